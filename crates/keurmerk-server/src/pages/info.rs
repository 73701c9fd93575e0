//! Home with search, the scheme pages, and "what does this label mean".

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, SchemeId};
use keurmerk_domain::jurisdiction::{accepted, check_member_state};
use keurmerk_domain::lifecycle::State as Lifecycle;
use keurmerk_domain::model::Category;
use keurmerk_domain::recognition::texts::category_words;
use keurmerk_service::{LabelPage, LabelQuery};
use keurmerk_store::search::{query_terms, QueryError};
use maud::html;
use serde::Deserialize;

use super::{error_page, href, lang_of, layout, page, t, PageLang};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    member_state: Option<String>,
}

/// The longest search query, in characters (the search box's `maxlength`).
const MAX_QUERY_CHARS: usize = keurmerk_store::search::MAX_QUERY_CHARS;

/// Labels listed on one page of results.
const RESULTS_PER_PAGE: i64 = 20;

/// A filter value from the page's query: empty means "any"; a value the page cannot read is
/// ignored and reported, like an unknown `?lang=`.
fn filter<T: std::str::FromStr>(raw: Option<&str>, unreadable: &mut bool) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let v = raw.parse().ok();
    *unreadable |= v.is_none();
    v
}

fn state_words(l: Lang, s: Lifecycle) -> &'static str {
    match s {
        Lifecycle::Active => t(l, "in force", "van kracht", "gültig", "en vigueur"),
        Lifecycle::Suspended => t(l, "suspended", "geschorst", "ausgesetzt", "suspendu"),
        Lifecycle::Withdrawn => t(l, "withdrawn", "ingetrokken", "entzogen", "retiré"),
        Lifecycle::Expired => t(l, "expired", "verlopen", "abgelaufen", "expiré"),
        Lifecycle::Superseded => t(l, "replaced", "vervangen", "ersetzt", "remplacé"),
        Lifecycle::Legacy => t(
            l,
            "old scheme",
            "oud schema",
            "altes Schema",
            "ancien schéma",
        ),
    }
}

const STATES: [Lifecycle; 6] = [
    Lifecycle::Active,
    Lifecycle::Suspended,
    Lifecycle::Withdrawn,
    Lifecycle::Expired,
    Lifecycle::Superseded,
    Lifecycle::Legacy,
];

pub(crate) async fn get_home_page(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(
        &PageLang {
            lang: q.lang.clone(),
        },
        &headers,
    );
    // A query the search refuses (too long, too many words) is not searched, and the page says
    // why instead of silently showing home; the rule is the store's own (`query_terms`).
    let raw = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let refused = raw.and_then(|s| query_terms(s).err());
    let text = raw.filter(|_| refused.is_none());
    let too_long = matches!(refused, Some(QueryError::TooLong { .. }));
    let too_many_words = matches!(refused, Some(QueryError::TooManyTerms { .. }));
    // A certificate id goes straight to its page.
    let cert = text
        .and_then(|s| s.to_ascii_uppercase().parse::<CertificateId>().ok())
        .filter(|_| text.is_some_and(|s| s.to_ascii_uppercase().starts_with("KM-")));
    let mut cert_found = None;
    if let Some(c) = cert {
        if state.registry.status(&c).await.is_ok() {
            cert_found = Some(c);
        }
    }
    let mut unreadable = false;
    let scheme: Option<SchemeId> = filter(q.scheme.as_deref(), &mut unreadable);
    let lifecycle: Option<Lifecycle> = filter(q.state.as_deref(), &mut unreadable);
    let category: Option<Category> = filter(q.category.as_deref(), &mut unreadable);
    let member_state = q
        .member_state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|raw| {
            let ok = check_member_state(state.registry.catalogue(), raw).ok();
            unreadable |= ok.is_none();
            ok
        });
    let scheme = scheme.filter(|s| {
        let known = state.registry.catalogue().get(s).is_some();
        unreadable |= !known;
        known
    });
    let filtered =
        scheme.is_some() || lifecycle.is_some() || category.is_some() || member_state.is_some();
    let searched = text.is_some() || filtered;
    let found = if searched {
        state
            .registry
            .search_labels(&LabelQuery {
                text: text.map(str::to_owned),
                scheme: scheme.clone(),
                state: lifecycle,
                category,
                member_state: member_state.clone(),
                limit: RESULTS_PER_PAGE,
                ..LabelQuery::default()
            })
            .await
    } else {
        Ok(LabelPage {
            items: Vec::new(),
            more: false,
        })
    };
    // A search that fails says so; it never reads as "nothing found".
    let (results, more, failed) = match found {
        Ok(p) => (p.items, p.more, false),
        Err(e) => {
            tracing::warn!(error = %e, "label search failed");
            (Vec::new(), false, true)
        }
    };
    let catalogue = state.registry.catalogue();
    let member_states: Vec<String> = accepted(catalogue).into_iter().collect();
    let body = html! {
        h1 { (t(l, "Check a cybersecurity label", "Controleer een cyberbeveiligingslabel", "Cybersicherheitskennzeichen prüfen", "Vérifier un label de cybersécurité")) }
        p { (t(l, "Find out whether a connected product is still safe to use: is its label valid, does the maker still fix security problems, and who checked it.",
               "Kijk of een verbonden product nog veilig te gebruiken is: is het label geldig, lost de fabrikant beveiligingsproblemen nog op, en wie heeft het gecontroleerd.",
               "Finden Sie heraus, ob ein vernetztes Produkt noch sicher ist: Ist sein Kennzeichen gültig, behebt der Hersteller noch Sicherheitsprobleme, und wer hat es geprüft.",
               "Vérifiez si un produit connecté est encore sûr : son label est-il valide, le fabricant corrige-t-il encore les problèmes de sécurité, et qui l'a contrôlé.")) }
        form role="search" method="get" action="/" {
            input type="hidden" name="lang" value=(l.tag());
            label for="q" { (t(l, "Product name, model, maker or label number", "Productnaam, model, fabrikant of labelnummer", "Produktname, Modell, Hersteller oder Kennzeichennummer", "Nom du produit, modèle, fabricant ou numéro de label")) }
            input type="search" id="q" name="q" value=(text.unwrap_or("")) maxlength=(MAX_QUERY_CHARS);
            details open[filtered] {
                summary { (t(l, "Narrow down", "Verfijnen", "Eingrenzen", "Affiner")) }
                div.filters {
                    label for="f-scheme" { (t(l, "Scheme", "Schema", "Schema", "Schéma")) }
                    select id="f-scheme" name="scheme" {
                        option value="" { (t(l, "any", "alle", "alle", "tous")) }
                        @for sc in catalogue.iter() {
                            option value=(sc.id) selected[scheme.as_ref() == Some(&sc.id)] { (sc.short_name) }
                        }
                    }
                    label for="f-category" { (t(l, "Kind of product", "Soort product", "Produktart", "Type de produit")) }
                    select id="f-category" name="category" {
                        option value="" { (t(l, "any", "alle", "alle", "tous")) }
                        @for c in Category::ALL {
                            option value=(c.as_str()) selected[category == Some(*c)] { (category_words(l, *c)) }
                        }
                    }
                    label for="f-state" { (t(l, "Label", "Label", "Kennzeichen", "Label")) }
                    select id="f-state" name="state" {
                        option value="" { (t(l, "any", "alle", "alle", "tous")) }
                        @for st in STATES {
                            option value=(st.as_str()) selected[lifecycle == Some(st)] { (state_words(l, st)) }
                        }
                    }
                    label for="f-ms" { (t(l, "Sold in (country code)", "Verkocht in (landcode)", "Verkauft in (Ländercode)", "Vendu en (code pays)")) }
                    select id="f-ms" name="member_state" {
                        option value="" { (t(l, "any", "alle", "alle", "tous")) }
                        @for ms in &member_states {
                            option value=(ms) selected[member_state.as_ref() == Some(ms)] { (ms) }
                        }
                    }
                }
            }
            button type="submit" { (t(l, "Search", "Zoeken", "Suchen", "Rechercher")) }
        }
        @if unreadable {
            p.notice role="status" {
                (t(l, "A filter in the address could not be read and was left out.",
                   "Een filter in het adres kon niet worden gelezen en is weggelaten.",
                   "Ein Filter in der Adresse konnte nicht gelesen werden und wurde weggelassen.",
                   "Un filtre de l'adresse n'a pas pu être lu et a été ignoré."))
            }
        }
        @if too_long {
            p.notice role="alert" {
                (t(l, "Your search is too long, so nothing was searched. Use at most 200 characters: a product name, a model number or a label number is enough.",
                   "Uw zoekopdracht is te lang, daarom is er niet gezocht. Gebruik hoogstens 200 tekens: een productnaam, een modelnummer of een labelnummer is genoeg.",
                   "Ihre Suche ist zu lang, deshalb wurde nicht gesucht. Verwenden Sie höchstens 200 Zeichen: Ein Produktname, eine Modellnummer oder eine Kennzeichennummer genügt.",
                   "Votre recherche est trop longue : rien n'a été cherché. Utilisez au plus 200 caractères : un nom de produit, un numéro de modèle ou un numéro de label suffit."))
            }
        }
        @if too_many_words {
            p.notice role="alert" {
                (t(l, "Your search has too many words, so nothing was searched. Use at most 8: a product name, a model number or a label number is enough.",
                   "Uw zoekopdracht heeft te veel woorden, daarom is er niet gezocht. Gebruik hoogstens 8: een productnaam, een modelnummer of een labelnummer is genoeg.",
                   "Ihre Suche hat zu viele Wörter, deshalb wurde nicht gesucht. Verwenden Sie höchstens 8: Ein Produktname, eine Modellnummer oder eine Kennzeichennummer genügt.",
                   "Votre recherche a trop de mots : rien n'a été cherché. Utilisez-en au plus 8 : un nom de produit, un numéro de modèle ou un numéro de label suffit."))
            }
        }
        @if let Some(c) = &cert_found {
            p { (t(l, "Label found:", "Label gevonden:", "Kennzeichen gefunden:", "Label trouvé :")) " " a href=(href(&format!("/c/{c}"), l)) { (c) } }
        }
        @if searched {
            section aria-labelledby="results" {
                h2 id="results" {
                    @if let Some(s) = text {
                        (t(l, "Results for", "Resultaten voor", "Ergebnisse für", "Résultats pour")) " “" (s) "”"
                    } @else {
                        (t(l, "Labels", "Labels", "Kennzeichen", "Labels"))
                    }
                }
                @if failed {
                    p.notice role="alert" { (t(l, "The search could not be done. Please try again later.", "Er kon niet worden gezocht. Probeer het later opnieuw.", "Die Suche konnte nicht ausgeführt werden. Bitte versuchen Sie es später erneut.", "La recherche n'a pas pu être faite. Veuillez réessayer plus tard.")) }
                } @else if results.is_empty() && cert_found.is_none() {
                    p { (t(l, "Nothing found. Check the spelling, or try the model number printed on the product.", "Niets gevonden. Controleer de spelling, of probeer het modelnummer op het product.", "Nichts gefunden. Prüfen Sie die Schreibweise oder versuchen Sie die Modellnummer auf dem Produkt.", "Aucun résultat. Vérifiez l'orthographe ou essayez le numéro de modèle imprimé sur le produit.")) }
                } @else {
                    ul.results {
                        @for r in &results {
                            @let c = &r.hit.certificate;
                            @let sc = catalogue.get(&c.scheme);
                            li data-status=(r.status.as_str()) {
                                (super::thumb::slot(&r.hit.product_name, r.hit.category, r.hit.image.as_ref()))
                                div.result-text {
                                a href=(href(&format!("/c/{}", c.id), l)) {
                                    span lang="en" { (r.hit.product_name) " " (r.hit.model) }
                                }
                                br;
                                strong.status { (r.status.title(l)) }
                                " · "
                                @if let Some(sc) = sc {
                                    (sc.short_name) " "
                                    @if sc.level(&c.level).is_some() { (sc.level_name_in(&c.level, l)) }
                                } @else { (c.scheme) " " (c.level) }
                                " · "
                                (category_words(l, r.hit.category))
                                " · "
                                span lang="en" { (r.hit.manufacturer_name) }
                                " · "
                                a href=(href(&format!("/c/{}/label.svg", c.id), l)) { (t(l, "label", "label", "Kennzeichen", "label")) " " (c.id) }
                                }
                            }
                        }
                    }
                    @if more {
                        p { (t(l, "There are more: add a word or a filter to narrow the list.", "Er zijn er meer: voeg een woord of filter toe om de lijst te verkleinen.", "Es gibt weitere: Fügen Sie ein Wort oder einen Filter hinzu, um die Liste einzugrenzen.", "Il y en a d'autres : ajoutez un mot ou un filtre pour réduire la liste.")) }
                    }
                }
            }
        }
    };
    let title = t(l, "Search", "Zoeken", "Suchen", "Rechercher");
    page(StatusCode::OK, l, layout(l, title, "/", body))
}

pub(crate) async fn get_schemes_page(
    State(state): State<AppState>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let body = html! {
        h1 { (t(l, "Schemes", "Keurmerkschema's", "Zertifizierungsschemata", "Schémas")) }
        p { (t(l, "A scheme is the rulebook a label is checked against.",
               "Een schema is het regelboek waartegen een label wordt gecontroleerd.",
               "Ein Schema ist das Regelwerk, nach dem ein Kennzeichen geprüft wird.",
               "Un schéma est le règlement au regard duquel un label est vérifié.")) }
        ul {
            @for s in state.registry.catalogue().iter() {
                li { a href=(href(&format!("/schemes/{}", s.id), l)) { (s.short_name) } " – " (s.title_in(l)) }
            }
        }
    };
    let title = t(
        l,
        "Schemes",
        "Keurmerkschema's",
        "Zertifizierungsschemata",
        "Schémas",
    );
    page(StatusCode::OK, l, layout(l, title, "/schemes", body))
}

pub(crate) async fn get_scheme_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/schemes/{id}");
    let Some(s) = id
        .parse::<SchemeId>()
        .ok()
        .and_then(|id| state.registry.catalogue().get(&id))
    else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let body = html! {
        h1 { (s.short_name) }
        p { strong { (s.title_in(l)) } ". " (s.description_in(l)) }
        p { (t(l, "Owner:", "Eigenaar:", "Eigentümer:", "Propriétaire :")) " " (s.owner) }
        @if s.third_party_only {
            p { (t(l, "Only an independent testing body may issue labels under this scheme.", "Onder dit schema mag alleen een onafhankelijke keuringsinstantie labels uitgeven.", "Nach diesem Schema darf nur eine unabhängige Prüfstelle Kennzeichen vergeben.", "Seul un organisme indépendant peut délivrer des labels selon ce schéma.")) }
        }
        h2 { (t(l, "Levels", "Niveaus", "Stufen", "Niveaux")) }
        @for lv in &s.levels {
            h3 { (s.level_name_in(&lv.id, l)) }
            p { (s.level_description_in(&lv.id, l)) }
            p {
                @if lv.self_assessment {
                    (t(l, "Who may give this label: the maker itself (self-declared) or an independent testing body.", "Wie dit label mag geven: de fabrikant zelf (eigen verklaring) of een onafhankelijke keuringsinstantie.", "Wer dieses Kennzeichen vergeben darf: der Hersteller selbst (Eigenerklärung) oder eine unabhängige Prüfstelle.", "Qui peut délivrer ce label : le fabricant lui-même (autodéclaration) ou un organisme indépendant."))
                } @else {
                    (t(l, "Who may give this label: only an independent testing body authorised by a national authority.", "Wie dit label mag geven: alleen een onafhankelijke keuringsinstantie die een nationale toezichthouder heeft aangewezen.", "Wer dieses Kennzeichen vergeben darf: nur eine von einer nationalen Behörde zugelassene unabhängige Prüfstelle.", "Qui peut délivrer ce label : uniquement un organisme indépendant agréé par une autorité nationale."))
                }
                @if lv.authority_approval {
                    " " (t(l, "The national authority must also approve each label.", "De nationale toezichthouder moet elk label ook goedkeuren.", "Die nationale Behörde muss außerdem jedes Kennzeichen genehmigen.", "L'autorité nationale doit aussi approuver chaque label."))
                }
            }
            details {
                summary { (t(l, "Requirements checked at this level", "Eisen die op dit niveau worden gecontroleerd", "Auf dieser Stufe geprüfte Anforderungen", "Exigences vérifiées à ce niveau")) }
                ul {
                    @for r in s.required_at(lv) {
                        @let (title, title_lang) = s.requirement_title(r, l);
                        li {
                            code { (r.id) } " "
                            // A title without a translation is shown in English, marked so.
                            @if title_lang == l { (title) } @else { span lang=(title_lang.tag()) { (title) } }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, l, layout(l, &s.short_name, &here, body))
}

pub(crate) async fn get_about_page(Query(q): Query<PageLang>, headers: HeaderMap) -> Response {
    let l = lang_of(&q, &headers);
    let title = t(
        l,
        "What does the label mean?",
        "Wat betekent het label?",
        "Was bedeutet das Kennzeichen?",
        "Que signifie le label ?",
    );
    let body = html! {
        h1 { (title) }
        p { (t(l, "The cybersecurity label tells you that a connected product – a camera, a smart plug, a router, an app – was checked against security rules, and whether it still meets them today.",
               "Het cyberbeveiligingslabel vertelt u dat een verbonden product – een camera, een slimme stekker, een router, een app – is gecontroleerd op beveiligingsregels, en of het daar vandaag nog aan voldoet.",
               "Das Cybersicherheitskennzeichen sagt Ihnen, dass ein vernetztes Produkt – eine Kamera, eine smarte Steckdose, ein Router, eine App – nach Sicherheitsregeln geprüft wurde und ob es sie heute noch erfüllt.",
               "Le label de cybersécurité vous indique qu'un produit connecté – caméra, prise connectée, routeur, application – a été contrôlé selon des règles de sécurité, et s'il les respecte encore aujourd'hui.")) }
        h2 { (t(l, "Scan it: the status is live", "Scan het: de status is actueel", "Scannen Sie es: der Status ist aktuell", "Scannez-le : le statut est en direct")) }
        p { (t(l, "The QR code on the label opens a page in this register. It shows whether the label is valid now, whether the maker still provides security updates, and whether known security problems are waiting for a fix. A label can be suspended or withdrawn after it was printed; the page always tells the truth of today.",
               "De QR-code op het label opent een pagina in dit register. Die laat zien of het label nu geldig is, of de fabrikant nog beveiligingsupdates levert en of er bekende beveiligingsproblemen op een oplossing wachten. Een label kan na het drukken worden geschorst of ingetrokken; de pagina vertelt altijd hoe het vandaag is.",
               "Der QR-Code auf dem Kennzeichen öffnet eine Seite in diesem Register. Sie zeigt, ob das Kennzeichen jetzt gültig ist, ob der Hersteller noch Sicherheitsupdates liefert und ob bekannte Sicherheitsprobleme auf eine Behebung warten. Ein Kennzeichen kann nach dem Druck ausgesetzt oder entzogen werden; die Seite zeigt immer den heutigen Stand.",
               "Le code QR du label ouvre une page de ce registre. Elle montre si le label est valide maintenant, si le fabricant fournit encore des mises à jour de sécurité et si des problèmes connus attendent un correctif. Un label peut être suspendu ou retiré après son impression ; la page dit toujours ce qu'il en est aujourd'hui.")) }
        h2 { (t(l, "Declared by the maker, or tested independently", "Verklaard door de fabrikant, of onafhankelijk getest", "Vom Hersteller erklärt oder unabhängig geprüft", "Déclaré par le fabricant ou testé de manière indépendante")) }
        p { (t(l, "For simple products at the lowest level, the maker may check its own product and declare that it meets the rules. For higher levels, an independent testing body, supervised by a national authority, must test it. The page of every label says clearly which of the two it is.",
               "Bij eenvoudige producten op het laagste niveau mag de fabrikant zijn eigen product controleren en verklaren dat het aan de regels voldoet. Voor hogere niveaus moet een onafhankelijke keuringsinstantie het testen, onder toezicht van een nationale toezichthouder. De pagina van elk label zegt duidelijk welke van de twee het is.",
               "Bei einfachen Produkten auf der niedrigsten Stufe darf der Hersteller sein Produkt selbst prüfen und erklären, dass es die Regeln erfüllt. Für höhere Stufen muss eine unabhängige Prüfstelle unter Aufsicht einer nationalen Behörde es testen. Die Seite jedes Kennzeichens sagt klar, was davon zutrifft.",
               "Pour les produits simples au niveau le plus bas, le fabricant peut contrôler son propre produit et déclarer qu'il respecte les règles. Pour les niveaux supérieurs, un organisme indépendant, contrôlé par une autorité nationale, doit le tester. La page de chaque label indique clairement de quel cas il s'agit.")) }
        h2 { (t(l, "How is this different from the CE marking?", "Wat is het verschil met de CE-markering?", "Was ist der Unterschied zur CE-Kennzeichnung?", "Quelle différence avec le marquage CE ?")) }
        p { (t(l, "The CE marking is the maker's own statement that a product may be sold in the EU because it meets the laws that apply to it. It is printed once and never changes, and you cannot look up its status. This label is about cybersecurity only, says who checked the product, and is live: you can see today whether it is still valid and until when the product gets security updates.",
               "De CE-markering is de eigen verklaring van de fabrikant dat een product in de EU verkocht mag worden omdat het aan de geldende wetten voldoet. Ze wordt één keer gedrukt en verandert nooit, en u kunt de status niet opzoeken. Dit label gaat alleen over cyberbeveiliging, zegt wie het product heeft gecontroleerd en is actueel: u ziet vandaag of het nog geldig is en tot wanneer het product beveiligingsupdates krijgt.",
               "Die CE-Kennzeichnung ist die eigene Erklärung des Herstellers, dass ein Produkt in der EU verkauft werden darf, weil es die geltenden Gesetze erfüllt. Sie wird einmal gedruckt, ändert sich nie, und ihr Status lässt sich nicht nachschlagen. Dieses Kennzeichen betrifft nur die Cybersicherheit, sagt, wer das Produkt geprüft hat, und ist aktuell: Sie sehen heute, ob es noch gültig ist und bis wann das Produkt Sicherheitsupdates erhält.",
               "Le marquage CE est la déclaration du fabricant qu'un produit peut être vendu dans l'UE parce qu'il respecte les lois applicables. Il est imprimé une fois, ne change jamais et son statut ne peut pas être consulté. Ce label concerne uniquement la cybersécurité, indique qui a contrôlé le produit et est en direct : vous voyez aujourd'hui s'il est encore valide et jusqu'à quand le produit reçoit des mises à jour de sécurité.")) }
        h2 { (t(l, "What the colours mean", "Wat de kleuren betekenen", "Was die Farben bedeuten", "Ce que signifient les couleurs")) }
        ul {
            li { strong { (t(l, "Valid", "Geldig", "Gültig", "Valide")) } " – " (t(l, "all is well.", "alles is in orde.", "alles in Ordnung.", "tout va bien.")) }
            li { strong { (t(l, "Attention", "Let op", "Achtung", "Attention")) } " – " (t(l, "still valid, but something needs action, such as installing an update.", "nog geldig, maar er moet iets gebeuren, zoals een update installeren.", "noch gültig, aber etwas ist zu tun, etwa ein Update installieren.", "encore valide, mais une action est nécessaire, comme installer une mise à jour.")) }
            li { strong { (t(l, "Suspended, withdrawn, expired", "Geschorst, ingetrokken, verlopen", "Ausgesetzt, entzogen, abgelaufen", "Suspendu, retiré, expiré")) } " – " (t(l, "do not rely on the label.", "vertrouw niet op het label.", "verlassen Sie sich nicht auf das Kennzeichen.", "ne vous fiez pas au label.")) }
        }
    };
    page(StatusCode::OK, l, layout(l, title, "/about", body))
}

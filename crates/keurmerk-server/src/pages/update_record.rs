//! The maker's update record in plain words (issue 12 item 5): a summary on the product page,
//! and the full record of a product (`/products/{id}/update-record`) and of a manufacturer
//! (`/org/{id}/update-record`). Lists, not wide tables, so it reads on a phone.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::Severity;
use keurmerk_domain::update_record::{ProductSupport, SeverityRecord, UpdateRecord, WINDOW_MONTHS};
use maud::{html, Markup};

use super::{date, error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::AppState;

/// Critical and high: what the headline is about.
const SERIOUS: &[Severity] = &[Severity::Critical, Severity::High];

fn fill(text: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(text.to_owned(), |s, (k, v)| s.replace(k, v))
}

fn severity(l: Lang, s: Severity) -> &'static str {
    match s {
        Severity::Critical => t(
            l,
            "Critical problems",
            "Kritieke problemen",
            "Kritische Probleme",
            "Problèmes critiques",
        ),
        Severity::High => t(
            l,
            "Serious problems",
            "Ernstige problemen",
            "Schwerwiegende Probleme",
            "Problèmes graves",
        ),
        Severity::Medium => t(
            l,
            "Moderate problems",
            "Middelmatige problemen",
            "Mittlere Probleme",
            "Problèmes moyens",
        ),
        Severity::Low => t(
            l,
            "Minor problems",
            "Kleine problemen",
            "Geringe Probleme",
            "Problèmes mineurs",
        ),
        Severity::Unknown => t(
            l,
            "Problems of a severity not known yet",
            "Problemen waarvan de ernst nog niet bekend is",
            "Probleme, deren Schwere noch nicht bekannt ist",
            "Problèmes de gravité pas encore connue",
        ),
        _ => t(
            l,
            "Problems without a rating",
            "Niet beoordeelde problemen",
            "Nicht bewertete Probleme",
            "Problèmes non évalués",
        ),
    }
}

/// One sentence for a group of findings: "Fixed within 12 days (median), at the latest after
/// 40 days; 1 of 9 fixes came late; 2 still open, 1 of them past its deadline."
fn sentence(l: Lang, r: &SeverityRecord) -> String {
    let mut parts = Vec::new();
    if r.fixed > 0 {
        parts.push(fill(
            t(
                l,
                "{fixed} of {found} fixed",
                "{fixed} van {found} opgelost",
                "{fixed} von {found} behoben",
                "{fixed} sur {found} corrigés",
            ),
            &[
                ("{fixed}", r.fixed.to_string()),
                ("{found}", r.findings.to_string()),
            ],
        ));
    } else {
        parts.push(fill(
            t(
                l,
                "{found} found, none fixed",
                "{found} gevonden, geen opgelost",
                "{found} gefunden, keines behoben",
                "{found} trouvés, aucun corrigé",
            ),
            &[("{found}", r.findings.to_string())],
        ));
    }
    if let (Some(median), Some(worst)) = (r.median_days, r.worst_days) {
        parts.push(fill(
            t(
                l,
                "usually within {median} days, the longest took {worst} days",
                "meestal binnen {median} dagen, het langst duurde {worst} dagen",
                "meist innerhalb von {median} Tagen, am längsten dauerte es {worst} Tage",
                "en général en {median} jours, au plus long {worst} jours",
            ),
            &[
                ("{median}", median.to_string()),
                ("{worst}", worst.to_string()),
            ],
        ));
    }
    if r.fixed > 0 {
        parts.push(fill(
            t(
                l,
                "{late} of {fixed} fixes came late",
                "{late} van {fixed} oplossingen kwamen te laat",
                "{late} von {fixed} Korrekturen kamen zu spät",
                "{late} sur {fixed} correctifs en retard",
            ),
            &[
                ("{late}", r.fixed_late.to_string()),
                ("{fixed}", r.fixed.to_string()),
            ],
        ));
    }
    let unfixed = r.open + r.closed_unfixed;
    if unfixed > 0 {
        parts.push(fill(
            t(
                l,
                "{open} not fixed, {overdue} of them past the deadline",
                "{open} niet opgelost, waarvan {overdue} over de termijn",
                "{open} nicht behoben, davon {overdue} über der Frist",
                "{open} non corrigés, dont {overdue} après le délai",
            ),
            &[
                ("{open}", unfixed.to_string()),
                ("{overdue}", (r.deadline_missed - r.fixed_late).to_string()),
            ],
        ));
    }
    if r.not_affected + r.advisory_withdrawn > 0 {
        parts.push(fill(
            t(
                l,
                "{n} closed without a fix (the maker says the product is not affected, or the warning was withdrawn)",
                "{n} gesloten zonder oplossing (volgens de fabrikant is het product niet getroffen, of de waarschuwing is ingetrokken)",
                "{n} ohne Korrektur geschlossen (laut Hersteller ist das Produkt nicht betroffen, oder die Warnung wurde zurückgenommen)",
                "{n} clos sans correctif (selon le fabricant le produit n'est pas concerné, ou l'avis a été retiré)",
            ),
            &[("{n}", (r.not_affected + r.advisory_withdrawn).to_string())],
        ));
    }
    let mut s = parts.join("; ");
    s.push('.');
    s
}

fn support(l: Lang, s: &ProductSupport) -> Markup {
    html! {
        @match (s.first_committed, s.current) {
            (Some(first), Some(current)) => {
                @if s.shortened.is_empty() {
                    @if s.ended {
                        (fill(t(l, "Security updates ended on {date}, as announced.", "Beveiligingsupdates stopten op {date}, zoals aangekondigd.", "Sicherheitsupdates endeten am {date}, wie angekündigt.", "Les mises à jour de sécurité ont pris fin le {date}, comme annoncé."), &[("{date}", date(l, current))]))
                    } @else {
                        (fill(t(l, "Security updates promised until {date}; never shortened.", "Beveiligingsupdates beloofd tot {date}; nooit ingekort.", "Sicherheitsupdates zugesagt bis {date}; nie verkürzt.", "Mises à jour de sécurité promises jusqu'au {date} ; jamais raccourci."), &[("{date}", date(l, current))]))
                    }
                } @else {
                    (fill(t(l, "Security updates were first promised until {first}, and the promise was later shortened:", "Beveiligingsupdates werden eerst beloofd tot {first}, en die belofte werd later ingekort:", "Sicherheitsupdates wurden zuerst bis {first} zugesagt, die Zusage wurde später verkürzt:", "Les mises à jour de sécurité avaient d'abord été promises jusqu'au {first}, puis la promesse a été raccourcie :"), &[("{first}", date(l, first))]))
                    ul {
                        @for sh in &s.shortened {
                            li { (fill(t(l, "on {at}: from {from} to {to}", "op {at}: van {from} naar {to}", "am {at}: von {from} auf {to}", "le {at} : du {from} au {to}"), &[("{at}", date(l, sh.at.date_naive())), ("{from}", date(l, sh.from)), ("{to}", date(l, sh.to))])) }
                        }
                    }
                }
                @if s.fixes_after_support > 0 || s.unfixed_at_support_end > 0 {
                    " "
                    (fill(t(l, "{within} fixes within the support period, {after} after it; {unfixed} problems were not fixed when support ended.", "{within} oplossingen binnen de ondersteuningsperiode, {after} erna; {unfixed} problemen waren niet opgelost toen de ondersteuning stopte.", "{within} Korrekturen innerhalb des Supportzeitraums, {after} danach; {unfixed} Probleme waren bei Supportende nicht behoben.", "{within} correctifs pendant la période de support, {after} après ; {unfixed} problèmes n'étaient pas corrigés à la fin du support."),
                        &[("{within}", s.fixes_within_support.to_string()), ("{after}", s.fixes_after_support.to_string()), ("{unfixed}", s.unfixed_at_support_end.to_string())]))
                }
            }
            _ => { (t(l, "The maker has not promised a support period.", "De fabrikant heeft geen ondersteuningsperiode beloofd.", "Der Hersteller hat keinen Supportzeitraum zugesagt.", "Le fabricant n'a promis aucune période de support.")) }
        }
    }
}

/// The record in plain words: the headline, then each severity, then support. `products`
/// names each product's support line when the record covers several.
/// `nested`: the markup sits under an `h2` (the product page's section), so its own headings are
/// `h3`; on a page of its own they are `h2`, so heading levels only go down by one.
pub(crate) fn record_markup(
    l: Lang,
    r: &UpdateRecord,
    products: &[(RecordId, String)],
    nested: bool,
) -> Markup {
    let serious = r.total(SERIOUS);
    html! {
        p {
            (fill(t(l, "Over the {months} months since {from}, from the signed records in the public log.", "Over de {months} maanden sinds {from}, uit de ondertekende gegevens in het openbare logboek.", "In den {months} Monaten seit dem {from}, aus den signierten Einträgen im öffentlichen Protokoll.", "Sur les {months} mois depuis le {from}, d'après les enregistrements signés du journal public."),
                &[("{months}", WINDOW_MONTHS.to_string()), ("{from}", date(l, r.window_from))]))
        }
        @if !r.is_complete() {
            p.warning role="alert" {
                strong { (t(l, "Incomplete:", "Onvolledig:", "Unvollständig:", "Incomplet :")) }
                " "
                (t(l, "the records of these labels could not be verified, so they are left out and this record may look better than it is:", "de gegevens van deze labels konden niet worden gecontroleerd; ze zijn weggelaten en dit overzicht kan er beter uitzien dan het is:", "die Einträge dieser Kennzeichen konnten nicht geprüft werden; sie fehlen, und diese Übersicht kann besser aussehen, als sie ist:", "les enregistrements de ces labels n'ont pas pu être vérifiés ; ils sont omis et ce bilan peut sembler meilleur qu'il ne l'est :"))
                " "
                @for (i, u) in r.unverified.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href=(href(&format!("/c/{}", u.certificate), l)) { (u.certificate) }
                }
            }
        }
        @if r.by_severity.is_empty() {
            p { (t(l, "No security problems were found in this period. Only versions whose software list the maker has published can be checked.", "In deze periode zijn geen beveiligingsproblemen gevonden. Alleen versies waarvan de fabrikant de softwarelijst heeft gepubliceerd, kunnen worden gecontroleerd.", "In diesem Zeitraum wurden keine Sicherheitsprobleme gefunden. Geprüft werden können nur Versionen, deren Softwareliste der Hersteller veröffentlicht hat.", "Aucun problème de sécurité n'a été trouvé sur cette période. Seules les versions dont le fabricant a publié la liste des logiciels peuvent être vérifiées.")) }
        } @else {
            // Together only when both occur (alone, the line below says it).
            @if SERIOUS.iter().all(|s| r.by_severity.contains_key(s)) {
                p { strong { (t(l, "Critical and serious problems together", "Kritieke en ernstige problemen samen", "Kritische und schwerwiegende Probleme zusammen", "Problèmes critiques et graves ensemble")) ": " } (sentence(l, &serious)) }
            }
            ul {
                @for (s, rec) in &r.by_severity {
                    li { strong { (severity(l, *s)) ": " } (sentence(l, rec)) }
                }
            }
            p.muted { (t(l, "A fix counts from the day a problem was first found until the day an update that does not contain it was covered by the label. The deadlines are the scheme's.", "Een oplossing telt vanaf de dag waarop een probleem voor het eerst werd gevonden tot de dag waarop het label een update zonder het probleem dekte. De termijnen zijn die van het keurmerkschema.", "Eine Korrektur zählt vom Tag, an dem ein Problem zuerst gefunden wurde, bis zu dem Tag, an dem das Kennzeichen ein Update ohne das Problem abdeckte. Die Fristen sind die des Zertifizierungsschemas.", "Un correctif compte du jour où un problème a été trouvé pour la première fois au jour où le label a couvert une mise à jour qui ne le contient pas. Les délais sont ceux du schéma.")) }
        }
        @let support_title = t(l, "Support periods", "Ondersteuningsperiodes", "Supportzeiträume", "Périodes de support");
        @if nested { h3 { (support_title) } } @else { h2 { (support_title) } }
        @if r.support.is_empty() {
            p { (t(l, "The maker has not promised a support period.", "De fabrikant heeft geen ondersteuningsperiode beloofd.", "Der Hersteller hat keinen Supportzeitraum zugesagt.", "Le fabricant n'a promis aucune période de support.")) }
        } @else if r.support.len() == 1 && products.len() <= 1 {
            p { (support(l, &r.support[0])) }
        } @else {
            ul {
                @for s in &r.support {
                    li {
                        a href=(href(&format!("/products/{}", s.product), l)) {
                            (products.iter().find(|(id, _)| id == &s.product).map_or(s.product.as_str(), |(_, n)| n.as_str()))
                        }
                        ": " (support(l, s))
                    }
                }
            }
        }
    }
}

pub(crate) async fn get_product_update_record_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/products/{id}/update-record");
    let Ok(id) = id.parse::<RecordId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let (d, r) = match (
        state.registry.product_details(&id).await,
        state.registry.product_update_record(&id).await,
    ) {
        (Ok(d), Ok(r)) => (d, r),
        (Err(e), _) | (_, Err(e)) => return service_error_page(l, e, &here),
    };
    let name = format!("{} {}", d.product.name, d.product.model);
    let title = fill(
        t(
            l,
            "How the maker fixes security problems: {name}",
            "Hoe de fabrikant beveiligingsproblemen oplost: {name}",
            "Wie der Hersteller Sicherheitsprobleme behebt: {name}",
            "Comment le fabricant corrige les problèmes de sécurité : {name}",
        ),
        &[("{name}", name.clone())],
    );
    let body = html! {
        h1 { (title) }
        (record_markup(l, &r, &[(id.clone(), name)], false))
        p {
            a href=(href(&format!("/products/{id}"), l)) { (t(l, "Back to the product", "Terug naar het product", "Zurück zum Produkt", "Retour au produit")) }
            " · "
            a href=(format!("/api/v1/products/{id}/update-record")) { (t(l, "The figures as data (JSON)", "De cijfers als gegevens (JSON)", "Die Zahlen als Daten (JSON)", "Les chiffres en données (JSON)")) }
        }
    };
    page(StatusCode::OK, l, layout(l, &title, &here, body))
}

pub(crate) async fn get_org_update_record_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/org/{id}/update-record");
    let Ok(id) = id.parse::<OrgId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let (org, r) = match (
        state.registry.organisation(&id).await,
        state.registry.org_update_record(&id).await,
    ) {
        (Ok(o), Ok(r)) => (o, r),
        (Err(e), _) | (_, Err(e)) => return service_error_page(l, e, &here),
    };
    let mut products = Vec::new();
    for s in &r.support {
        if let Ok(d) = state.registry.product_details(&s.product).await {
            products.push((
                s.product.clone(),
                format!("{} {}", d.product.name, d.product.model),
            ));
        }
    }
    let title = fill(
        t(
            l,
            "How {org} fixes security problems",
            "Hoe {org} beveiligingsproblemen oplost",
            "Wie {org} Sicherheitsprobleme behebt",
            "Comment {org} corrige les problèmes de sécurité",
        ),
        &[("{org}", org.name.clone())],
    );
    let body = html! {
        h1 { (title) }
        p { (t(l, "All products of this maker with a label together.", "Alle producten van deze fabrikant met een label samen.", "Alle Produkte dieses Herstellers mit Kennzeichen zusammen.", "Tous les produits labellisés de ce fabricant ensemble.")) }
        (record_markup(l, &r, &products, false))
        p {
            a href=(href(&format!("/org/{id}/feed"), l)) { (t(l, "Status changes of this maker's labels", "Statuswijzigingen van de labels van deze fabrikant", "Statusänderungen der Kennzeichen dieses Herstellers", "Changements de statut des labels de ce fabricant")) }
            " · "
            a href=(format!("/api/v1/organisations/{id}/update-record")) { (t(l, "The figures as data (JSON)", "De cijfers als gegevens (JSON)", "Die Zahlen als Daten (JSON)", "Les chiffres en données (JSON)")) }
        }
    };
    page(StatusCode::OK, l, layout(l, &title, &here, body))
}

/// The product page's section: the record (or that it could not be computed) and a link to it.
pub(crate) fn product_section(l: Lang, product: &RecordId, r: Option<&UpdateRecord>) -> Markup {
    html! {
        h2 { (t(l, "How the maker fixes security problems", "Hoe de fabrikant beveiligingsproblemen oplost", "Wie der Hersteller Sicherheitsprobleme behebt", "Comment le fabricant corrige les problèmes de sécurité")) }
        @match r {
            Some(r) => (record_markup(l, r, &[], true)),
            None => p.warning { (t(l, "The record could not be computed right now.", "Het overzicht kon nu niet worden berekend.", "Die Übersicht konnte gerade nicht berechnet werden.", "Le bilan n'a pas pu être calculé pour le moment.")) },
        }
        p { a href=(href(&format!("/products/{product}/update-record"), l)) { (t(l, "The update record in full", "Het volledige overzicht", "Die vollständige Übersicht", "Le bilan complet")) } }
    }
}

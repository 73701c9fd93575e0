//! The certificate page's section "Where this label is accepted": the label's legal status where
//! it applies (and a coming change), who supervises it, how it differs from CE marking, and what
//! the label is worth under other schemes (recognised by agreement, meets the requirements,
//! or why not), from the pure recognition report.

use chrono::NaiveDate;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::model::Category;
use keurmerk_domain::recognition::texts::legal_words;
use keurmerk_domain::recognition::{legal_position, Outcome, RecognitionJson, TargetJson};
use keurmerk_domain::scheme::{Catalogue, LegalKind, Scheme};
use keurmerk_service::CertificateDetails;
use maud::{html, Markup};

use super::{date, href, t};
use crate::AppState;

/// The section, or a short notice when the report cannot be computed (never a guess).
pub(crate) async fn recognition_section(
    state: &AppState,
    details: &CertificateDetails,
    scheme: Option<&Scheme>,
    l: Lang,
    at: Option<NaiveDate>,
) -> Markup {
    let id = &details.certificate.id;
    let category = details.product.category;
    let today = state.registry.day_or_today(at);
    let report = state.registry.recognition_of_details(details, at, l).await;
    html! {
        section aria-labelledby="accepted" {
            h2 id="accepted" {
                (t(l, "Where this label is accepted", "Waar dit label wordt geaccepteerd", "Wo dieses Kennzeichen anerkannt wird", "Où ce label est reconnu"))
                @if at.is_some() { " (" (t(l, "on", "op", "am", "le")) " " (date(l, today)) ")" }
            }
            @if let Some(s) = scheme { (legal_lines(l, s, category, today)) }
            p { (ce_words(l)) }
            @match &report {
                Ok(r) => { (targets(l, state.registry.catalogue(), r)) }
                Err(_) => p { (t(l, "The registry cannot work out right now where this label is accepted.", "Het register kan nu niet nagaan waar dit label wordt geaccepteerd.", "Das Register kann gerade nicht ermitteln, wo dieses Kennzeichen anerkannt wird.", "Le registre ne peut pas déterminer pour l'instant où ce label est reconnu.")) },
            }
            p {
                a href=(href(&format!("/products/{}/market-access", details.product.id), l)) {
                    (t(l, "Where this product may be sold, and what it still needs", "Waar dit product verkocht mag worden, en wat het nog nodig heeft", "Wo dieses Produkt verkauft werden darf und was ihm noch fehlt", "Où ce produit peut être vendu, et ce qu'il lui manque"))
                }
            }
            p.muted {
                a href=(format!("/api/v1/certificates/{id}/recognition?lang={}", l.tag())) {
                    (t(l, "The full comparison with every other label (JSON)", "De volledige vergelijking met elk ander label (JSON)", "Der vollständige Vergleich mit jedem anderen Kennzeichen (JSON)", "La comparaison complète avec chaque autre label (JSON)"))
                }
            }
        }
    }
}

/// "In the European Union", "In Singapore", … (the code itself for a place without a name).
fn place(l: Lang, j: &str) -> String {
    let named = match j {
        "EU" => Some(t(
            l,
            "In the European Union",
            "In de Europese Unie",
            "In der Europäischen Union",
            "Dans l'Union européenne",
        )),
        "GB" => Some(t(
            l,
            "In the United Kingdom",
            "In het Verenigd Koninkrijk",
            "Im Vereinigten Königreich",
            "Au Royaume-Uni",
        )),
        "DE" => Some(t(
            l,
            "In Germany",
            "In Duitsland",
            "In Deutschland",
            "En Allemagne",
        )),
        "FI" => Some(t(
            l,
            "In Finland",
            "In Finland",
            "In Finnland",
            "En Finlande",
        )),
        "SG" => Some(t(
            l,
            "In Singapore",
            "In Singapore",
            "In Singapur",
            "À Singapour",
        )),
        "KR" => Some(t(
            l,
            "In South Korea",
            "In Zuid-Korea",
            "In Südkorea",
            "En Corée du Sud",
        )),
        "JP" => Some(t(l, "In Japan", "In Japan", "In Japan", "Au Japon")),
        _ => None,
    };
    named.map_or_else(
        || format!("{} {j}", t(l, "In", "In", "In", "Pour")),
        str::to_owned,
    )
}

/// Voluntary or a legal requirement where the label applies, the next change, and who
/// supervises, per jurisdiction of the scheme.
pub(crate) fn legal_lines(
    l: Lang,
    scheme: &Scheme,
    category: Category,
    today: chrono::NaiveDate,
) -> Markup {
    html! {
        ul.legal {
            @for p in legal_position(scheme, category, today) {
                li {
                    strong { (place(l, p.jurisdiction)) ": " }
                    @match p.now {
                        Some(k) => { (legal_words(l, k)) "." }
                        None => { (t(l, "no legal requirement for this kind of product; the label is a choice of the maker.", "geen wettelijke eis voor dit soort product; het label is een keuze van de fabrikant.", "keine gesetzliche Pflicht für diese Art von Produkt; das Kennzeichen ist eine Wahl des Herstellers.", "aucune obligation légale pour ce type de produit ; le label est un choix du fabricant.")) }
                    }
                    @if let Some((k, from)) = p.next {
                        " " strong.change {
                            (t(l, "Changes on", "Verandert op", "Ändert sich am", "Change le")) " " (date(l, from)) ": "
                        }
                        (legal_words(l, k)) "."
                    }
                    @if let Some(body) = p.supervisor {
                        " " (t(l, "Supervised by", "Toezicht door", "Aufsicht:", "Contrôlé par")) " " (body) "."
                    }
                }
            }
            @if scheme.legal_status.iter().any(|s| s.status != LegalKind::Voluntary) {
                li.muted {
                    (t(l, "Source", "Bron", "Quelle", "Source")) ": "
                    @for (i, s) in scheme.legal_status.iter().filter(|s| s.status != LegalKind::Voluntary).enumerate() {
                        @if i > 0 { "; " }
                        (s.source)
                    }
                }
            }
        }
    }
}

fn ce_words(l: Lang) -> &'static str {
    t(
        l,
        "This label is not the CE mark. The CE mark shows that the maker declares the product meets EU law; for connected radio devices that includes basic cybersecurity since August 2025, and under the Cyber Resilience Act it covers the cybersecurity of all products with software from December 2027. A security label tells you more: which checks were done, by whom, and whether the product still gets security updates.",
        "Dit label is niet de CE-markering. Met de CE-markering verklaart de fabrikant dat het product aan de EU-wetgeving voldoet; voor verbonden radioapparaten hoort daar sinds augustus 2025 basisbeveiliging bij, en onder de Cyber Resilience Act geldt het vanaf december 2027 voor de beveiliging van alle producten met software. Een beveiligingslabel zegt meer: welke controles zijn gedaan, door wie, en of het product nog beveiligingsupdates krijgt.",
        "Dieses Kennzeichen ist nicht die CE-Kennzeichnung. Mit der CE-Kennzeichnung erklärt der Hersteller, dass das Produkt dem EU-Recht entspricht; für vernetzte Funkgeräte gehört seit August 2025 grundlegende Cybersicherheit dazu, und nach dem Cyber Resilience Act gilt sie ab Dezember 2027 für die Cybersicherheit aller Produkte mit Software. Ein Sicherheitskennzeichen sagt mehr: welche Prüfungen gemacht wurden, von wem, und ob das Produkt noch Sicherheitsupdates bekommt.",
        "Ce label n'est pas le marquage CE. Avec le marquage CE, le fabricant déclare que le produit respecte le droit de l'UE ; pour les appareils radio connectés, cela inclut une cybersécurité de base depuis août 2025, et avec le règlement sur la cyberrésilience (CRA), il couvre la cybersécurité de tous les produits comportant du logiciel à partir de décembre 2027. Un label de sécurité en dit plus : quels contrôles ont été faits, par qui, et si le produit reçoit encore des mises à jour de sécurité.",
    )
}

/// "CLS Level 3": the target's short scheme name and level name (ids if unknown).
fn name(t: &TargetJson, catalogue: &Catalogue) -> String {
    let scheme = t.scheme.parse().ok().and_then(|id| catalogue.get(&id));
    let level = scheme.and_then(|s| {
        t.level
            .parse()
            .ok()
            .and_then(|id| s.level(&id).map(|lv| lv.name.clone()))
    });
    match (scheme, level) {
        (Some(s), Some(lv)) => format!("{} {lv}", s.short_name),
        _ => format!("{} {}", t.scheme, t.level),
    }
}

fn targets(l: Lang, names: &Catalogue, r: &RecognitionJson) -> Markup {
    let accepted: Vec<&TargetJson> = r
        .targets
        .iter()
        .filter(|t| t.outcome == Outcome::Accepted)
        .collect();
    let meets: Vec<&TargetJson> = r
        .targets
        .iter()
        .filter(|t| t.outcome == Outcome::MeetsRequirements)
        .collect();
    // Not accepted because of an agreement's own terms (date, category, direction, level):
    // worth telling; the rest is in the JSON.
    let refused: Vec<&TargetJson> = r
        .targets
        .iter()
        .filter(|t| {
            t.outcome != Outcome::Accepted
                && t.reasons.iter().any(|w| {
                    matches!(
                        w.code.as_str(),
                        "not_yet_in_force" | "ended" | "excluded_category"
                    )
                })
        })
        .collect();
    html! {
        @if accepted.is_empty() {
            p { (t(l, "No agreement between label schemes covers this label today.", "Vandaag geldt voor dit label geen afspraak tussen keurmerkschema's.", "Heute gilt für dieses Kennzeichen keine Vereinbarung zwischen Kennzeichen-Systemen.", "Aujourd'hui, aucun accord entre systèmes de labels ne couvre ce label.")) }
        } @else {
            p { (t(l, "Recognised elsewhere by agreement:", "Elders erkend via een afspraak:", "Anderswo durch Vereinbarung anerkannt:", "Reconnu ailleurs par accord :")) }
            ul.recognised {
                @for x in &accepted {
                    li {
                        strong { (t(l, "Recognised as", "Erkend als", "Anerkannt als", "Reconnu comme")) " " (name(x, names)) }
                        " (" (x.jurisdictions.join(", ")) "). "
                        @for w in &x.reasons { (w.text) " " }
                    }
                }
            }
        }
        @if !meets.is_empty() {
            p {
                (t(l, "The checks done also cover what these labels ask for (each still needs its own application):", "De uitgevoerde controles dekken ook wat deze labels vragen (elk vraagt nog een eigen aanvraag):", "Die Prüfungen decken auch ab, was diese Kennzeichen verlangen (jedes braucht noch einen eigenen Antrag):", "Les contrôles effectués couvrent aussi ce que demandent ces labels (chacun demande encore sa propre demande) :"))
                " "
                @for (i, x) in meets.iter().enumerate() {
                    @if i > 0 { ", " }
                    (name(x, names)) " (" (x.jurisdictions.join(", ")) ")"
                }
                "."
            }
        }
        @if !refused.is_empty() {
            ul.not-accepted {
                @for x in &refused {
                    li {
                        (name(x, names)) ": "
                        @for w in x.reasons.iter().filter(|w| matches!(w.code.as_str(), "not_yet_in_force" | "ended" | "excluded_category" | "direction")) { (w.text) " " }
                    }
                }
            }
        }
        p.muted { (t(l, "Checked on", "Gecontroleerd op", "Geprüft am", "Vérifié le")) " " (date(l, r.at)) "." }
    }
}

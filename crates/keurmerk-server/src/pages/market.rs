//! The maker's market-access page `/products/{id}/market-access?markets=EU,UK&at=…`: per market,
//! the legal requirements for the product's kind and whether its valid labels meet them, the
//! voluntary labels it already earns, and the fewest provisions still to assess.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::recognition::texts::{category_words, legal_words};
use keurmerk_domain::recognition::{parse_markets, Outcome, Satisfaction};
use maud::{html, Markup};
use serde::Deserialize;

use super::{date, error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MarketQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    markets: Option<String>,
    #[serde(default)]
    at: Option<String>,
}

const DEFAULT_MARKETS: &str = "EU,DE,NL,FR,UK,SG,FI,KR,JP";

pub(crate) async fn get_market_access_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<MarketQuery>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(
        &PageLang {
            lang: q.lang.clone(),
        },
        &headers,
    );
    let here = format!("/products/{id}/market-access");
    let Ok(id) = id.parse::<RecordId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    // Like `?lang=`, what the page cannot read is not an error: it says so and shows the
    // default markets or today instead.
    let mut notices = Vec::new();
    let asked = q
        .markets
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_MARKETS.to_owned());
    let markets = match parse_markets(state.registry.catalogue(), &asked) {
        Ok(_) => asked,
        Err(e) => {
            notices.push(format!(
                "{} {e}",
                t(
                    l,
                    "Markets not understood, the usual ones are shown:",
                    "Markten niet begrepen, de gebruikelijke worden getoond:",
                    "Märkte nicht verstanden, die üblichen werden gezeigt:",
                    "Marchés non compris, les marchés habituels sont affichés :"
                )
            ));
            DEFAULT_MARKETS.to_owned()
        }
    };
    let at = match q.at.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                notices.push(
                    t(
                        l,
                        "The date was not understood (YYYY-MM-DD); today is shown.",
                        "De datum is niet begrepen (JJJJ-MM-DD); vandaag wordt getoond.",
                        "Das Datum wurde nicht verstanden (JJJJ-MM-TT); heute wird gezeigt.",
                        "La date n'a pas été comprise (AAAA-MM-JJ) ; aujourd'hui est affiché.",
                    )
                    .to_owned(),
                );
                None
            }
        },
    };
    let m = match state.registry.market_access(&id, &markets, at).await {
        Ok(m) => m,
        Err(e) => return service_error_page(l, e, &here),
    };
    let d = match state.registry.product_details(&id).await {
        Ok(d) => d,
        Err(e) => return service_error_page(l, e, &here),
    };
    let title = format!(
        "{} {} – {}",
        d.product.name,
        d.product.model,
        t(
            l,
            "Where it may be sold",
            "Waar het verkocht mag worden",
            "Wo es verkauft werden darf",
            "Où il peut être vendu"
        )
    );
    let body = html! {
        p.muted { a href=(href(&format!("/products/{id}"), l)) { (d.product.name) " " (d.product.model) } }
        h1 { (t(l, "Where this product may be sold", "Waar dit product verkocht mag worden", "Wo dieses Produkt verkauft werden darf", "Où ce produit peut être vendu")) }
        @for n in &notices { p.notice role="status" { (n) } }
        form method="get" action=(here) {
            input type="hidden" name="lang" value=(l.tag());
            label for="markets" { (t(l, "Markets (comma-separated)", "Markten (gescheiden door komma's)", "Märkte (durch Kommas getrennt)", "Marchés (séparés par des virgules)")) }
            " " input #markets type="text" name="markets" value=(markets);
            " " label for="at" { (t(l, "On", "Op", "Am", "Le")) }
            " " input #at type="date" name="at" value=(m.at.format("%Y-%m-%d").to_string());
            " " button type="submit" { (t(l, "Show", "Toon", "Anzeigen", "Afficher")) }
        }
        p {
            (t(l, "Kind of product:", "Soort product:", "Art des Produkts:", "Type de produit :")) " " (category_words(l, m.category)) ". "
            (t(l, "Labels that count (valid now):", "Labels die meetellen (nu geldig):", "Zählende Kennzeichen (jetzt gültig):", "Labels pris en compte (valides maintenant) :")) " "
            @if m.certificates.is_empty() { (t(l, "none", "geen", "keine", "aucun")) }
            @for (i, c) in m.certificates.iter().enumerate() {
                @if i > 0 { ", " }
                a href=(href(&format!("/c/{c}"), l)) { (c) }
            }
            "."
        }
        @for market in &m.markets {
            section {
                h2 { (market.market) }
                @if market.mandatory.is_empty() {
                    p { (t(l, "No legal requirement for this kind of product.", "Geen wettelijke eis voor dit soort product.", "Keine gesetzliche Pflicht für diese Art von Produkt.", "Aucune obligation légale pour ce type de produit.")) }
                }
                ul {
                    @for r in &market.mandatory {
                        li {
                            strong { (r.name) } " (" (r.jurisdiction) "): " (legal_words(l, r.status))
                            @if let Some(s) = r.since { " (" (t(l, "since", "sinds", "seit", "depuis le")) " " (date(l, s)) ")" }
                            ". " (satisfied(l, r.satisfied))
                            @if !r.certificates.is_empty() { " " (r.certificates.join(", ")) "." }
                            @if !r.missing.is_empty() {
                                " " (t(l, "Still to check:", "Nog te controleren:", "Noch zu prüfen:", "Reste à contrôler :")) " " (r.missing.join(", ")) "."
                            }
                            @if !r.also_required.is_empty() {
                                " " (t(l, "And its own checks:", "En de eigen controles:", "Und die eigenen Prüfungen:", "Et ses propres contrôles :")) " " (r.also_required.join(", ")) "."
                            }
                        }
                    }
                    @for u in &market.upcoming {
                        li.change {
                            (t(l, "From", "Vanaf", "Ab", "À partir du")) " " (date(l, u.from)) ": " (u.scheme) " – " (legal_words(l, u.status)) "."
                        }
                    }
                }
                (voluntary(l, &market.voluntary))
            }
        }
        section {
            h2 { (t(l, "What to do next", "Wat nu te doen", "Was als Nächstes zu tun ist", "Que faire ensuite")) }
            @if m.plan.regimes.is_empty() {
                p { (t(l, "Nothing more is legally required in these markets.", "In deze markten is wettelijk niets meer nodig.", "In diesen Märkten ist gesetzlich nichts weiter nötig.", "Rien d'autre n'est légalement requis sur ces marchés.")) }
            } @else {
                p {
                    (t(l, "The fewest requirements still to check:", "De minste eisen die nog gecontroleerd moeten worden:", "Die wenigsten noch zu prüfenden Anforderungen:", "Le moins d'exigences encore à contrôler :"))
                    " " (m.plan.provisions.len()) ": " (m.plan.provisions.join(", ")) "."
                    @if !m.plan.also_required.is_empty() { " " (t(l, "Plus:", "Plus:", "Dazu:", "En plus :")) " " (m.plan.also_required.join(", ")) "." }
                }
                p { (t(l, "Then obtain:", "Vraag daarna aan:", "Danach beantragen:", "Puis obtenir :")) " " (m.plan.regimes.join(", ")) "." }
                @if !m.plan.unlocks.is_empty() {
                    p { (t(l, "This also meets what these voluntary labels ask for:", "Daarmee voldoet het ook aan wat deze vrijwillige labels vragen:", "Damit erfüllt es auch, was diese freiwilligen Kennzeichen verlangen:", "Cela répond aussi à ce que demandent ces labels volontaires :")) " " (m.plan.unlocks.join(", ")) "." }
                }
            }
            p.muted { a href=(format!("/api/v1/products/{id}/market-access?markets={markets}&at={}", m.at)) { "JSON" } }
        }
    };
    page(StatusCode::OK, l, layout(l, &title, &here, body))
}

fn satisfied(l: Lang, s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Directly => t(
            l,
            "Met by the label",
            "Voldaan door het label",
            "Erfüllt durch das Kennzeichen",
            "Respecté grâce au label",
        ),
        Satisfaction::Deemed => t(
            l,
            "Counts as met through the label",
            "Geldt als voldaan via het label",
            "Gilt als erfüllt durch das Kennzeichen",
            "Réputé respecté grâce au label",
        ),
        Satisfaction::ByAgreement => t(
            l,
            "Met by agreement through the label",
            "Voldaan via een afspraak met het label",
            "Durch Vereinbarung erfüllt mit dem Kennzeichen",
            "Respecté par accord grâce au label",
        ),
        Satisfaction::MeetsRequirements => t(
            l,
            "The checks done cover it, but its own declaration is still needed.",
            "De gedane controles dekken het, maar de eigen verklaring is nog nodig.",
            "Die Prüfungen decken es ab, aber die eigene Erklärung fehlt noch.",
            "Les contrôles faits le couvrent, mais sa propre déclaration reste nécessaire.",
        ),
        Satisfaction::NotSatisfied => t(
            l,
            "Not met yet.",
            "Nog niet voldaan.",
            "Noch nicht erfüllt.",
            "Pas encore respecté.",
        ),
    }
}

fn voluntary(l: Lang, v: &[keurmerk_domain::recognition::VoluntaryJson]) -> Markup {
    let earned: Vec<String> = v
        .iter()
        .filter(|x| x.outcome == Outcome::Accepted)
        .map(|x| format!("{}/{}", x.scheme, x.level))
        .collect();
    let meets: Vec<String> = v
        .iter()
        .filter(|x| x.outcome == Outcome::MeetsRequirements)
        .map(|x| format!("{}/{}", x.scheme, x.level))
        .collect();
    html! {
        @if !earned.is_empty() {
            p { (t(l, "Voluntary labels it already has here:", "Vrijwillige labels die het hier al heeft:", "Freiwillige Kennzeichen, die es hier schon hat:", "Labels volontaires qu'il a déjà ici :")) " " (earned.join(", ")) "." }
        }
        @if !meets.is_empty() {
            p { (t(l, "Voluntary labels whose checks it already covers:", "Vrijwillige labels waarvan het de controles al dekt:", "Freiwillige Kennzeichen, deren Prüfungen es schon abdeckt:", "Labels volontaires dont il couvre déjà les contrôles :")) " " (meets.join(", ")) "." }
        }
    }
}

//! Public pages: server-rendered HTML without JavaScript, in English, Dutch, German and French.
//!
//! Every page has the same landmarks (`header`, `nav`, `main`, `footer`), a skip link, and
//! `<html lang>` set to the language shown. Words are for ordinary people: no jargon.

mod authority;
mod certificate;
mod complaint;
mod complaint_status;
mod info;
mod market;
mod product;
mod recognition;
mod thumb;
mod update_record;
mod verification;

pub(crate) use certificate::{event_words, get_certificate_page};
pub(crate) use complaint::{get_complaint_form, post_complaint};
pub(crate) use complaint_status::get_complaint_status_page;
pub(crate) use info::{get_about_page, get_home_page, get_scheme_page, get_schemes_page};
pub(crate) use market::get_market_access_page;
pub(crate) use product::get_product_page;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::i18n::Lang;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// The stylesheet (no inline styles, so the CSP can forbid them).
pub(crate) const STYLE: &str = include_str!("style.css");

pub(crate) async fn get_style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// `?lang=` on pages.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageLang {
    #[serde(default)]
    pub lang: Option<String>,
}

/// `?lang=` first (ignored if unsupported), then `Accept-Language`, then English.
pub(crate) fn lang_of(q: &PageLang, headers: &HeaderMap) -> Lang {
    q.lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Picks the text for `l` from four.
pub(crate) fn t(
    l: Lang,
    en: &'static str,
    nl: &'static str,
    de: &'static str,
    fr: &'static str,
) -> &'static str {
    l.pick(en, nl, de, fr)
}

fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Nl => "Nederlands",
        Lang::De => "Deutsch",
        Lang::Fr => "Français",
    }
}

/// Appends `lang=` to a path.
pub(crate) fn href(path: &str, l: Lang) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={}", l.tag())
}

/// The page around `body`. `here` is the current path, for the language links.
pub(crate) fn layout(l: Lang, title: &str, here: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(l.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Keurmerk" }
                link rel="stylesheet" href="/static/style.css";
                link rel="alternate" type="application/atom+xml" href="/feed.atom" title=(t(l, "Status changes", "Statuswijzigingen", "Statusänderungen", "Changements de statut"));
            }
            body {
                a.skip href="#main" { (t(l, "Skip to content", "Naar de inhoud", "Zum Inhalt", "Aller au contenu")) }
                header {
                    a.brand href=(href("/", l)) { "Keurmerk" }
                    " · " span { (t(l, "EU cybersecurity label register", "EU-register van cyberbeveiligingslabels", "EU-Register der Cybersicherheitskennzeichen", "Registre européen des labels de cybersécurité")) }
                    nav aria-label=(t(l, "Main", "Hoofdmenu", "Hauptmenü", "Menu principal")) {
                        ul {
                            li { a href=(href("/", l)) { (t(l, "Search", "Zoeken", "Suchen", "Rechercher")) } }
                            li { a href=(href("/schemes", l)) { (t(l, "Schemes", "Keurmerkschema's", "Zertifizierungsschemata", "Schémas")) } }
                            li { a href=(href("/about", l)) { (t(l, "What does the label mean?", "Wat betekent het label?", "Was bedeutet das Kennzeichen?", "Que signifie le label ?")) } }
                        }
                    }
                    nav aria-label=(t(l, "Language", "Taal", "Sprache", "Langue")) {
                        ul {
                            @for other in Lang::ALL {
                                li {
                                    @if other == l {
                                        span aria-current="true" lang=(other.tag()) { (lang_name(other)) }
                                    } @else {
                                        a href=(href(here, other)) lang=(other.tag()) hreflang=(other.tag()) { (lang_name(other)) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
                footer {
                    p {
                        (t(l, "Keurmerk is the public register of cybersecurity labels under the EU Cybersecurity Act.",
                           "Keurmerk is het openbare register van cyberbeveiligingslabels onder de Europese Cyberbeveiligingsverordening.",
                           "Keurmerk ist das öffentliche Register der Cybersicherheitskennzeichen nach dem EU-Rechtsakt zur Cybersicherheit.",
                           "Keurmerk est le registre public des labels de cybersécurité au titre du règlement européen sur la cybersécurité."))
                        " "
                        a href=(href("/feed", l)) { (t(l, "Status changes", "Statuswijzigingen", "Statusänderungen", "Changements de statut")) }
                        " · "
                        a href="/api/openapi.json" { "API" }
                    }
                }
            }
        }
    }
}

/// An HTML page response.
pub(crate) fn page(status: StatusCode, l: Lang, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_LANGUAGE, l.tag()),
            (header::VARY, "Accept-Language"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// A friendly error page.
pub(crate) fn error_page(l: Lang, status: StatusCode, here: &str) -> Response {
    let (title, text) = if status == StatusCode::NOT_FOUND {
        (
            t(l, "Not found", "Niet gevonden", "Nicht gefunden", "Introuvable"),
            t(l, "There is nothing in the register at this address. Check the number on the label, or search below.",
              "Op dit adres staat niets in het register. Controleer het nummer op het label, of zoek hieronder.",
              "Unter dieser Adresse steht nichts im Register. Prüfen Sie die Nummer auf dem Kennzeichen oder suchen Sie unten.",
              "Rien dans le registre à cette adresse. Vérifiez le numéro sur le label ou cherchez ci-dessous."),
        )
    } else if status == StatusCode::SERVICE_UNAVAILABLE {
        (
            t(
                l,
                "The register is busy",
                "Het register is even bezet",
                "Das Register ist gerade ausgelastet",
                "Le registre est occupé",
            ),
            t(
                l,
                "It cannot answer right now. Please try again in a few seconds.",
                "Het kan nu even geen antwoord geven. Probeer het over een paar seconden opnieuw.",
                "Es kann gerade nicht antworten. Bitte versuchen Sie es in ein paar Sekunden noch einmal.",
                "Il ne peut pas répondre pour l'instant. Réessayez dans quelques secondes.",
            ),
        )
    } else if status.is_client_error() {
        (
            t(
                l,
                "Something is wrong with the request",
                "Er klopt iets niet met het verzoek",
                "Mit der Anfrage stimmt etwas nicht",
                "La demande est incorrecte",
            ),
            t(
                l,
                "Please go back and try again.",
                "Ga terug en probeer het opnieuw.",
                "Bitte gehen Sie zurück und versuchen Sie es erneut.",
                "Revenez en arrière et réessayez.",
            ),
        )
    } else {
        (
            t(
                l,
                "Something went wrong",
                "Er ging iets mis",
                "Etwas ist schiefgelaufen",
                "Une erreur s'est produite",
            ),
            t(
                l,
                "Please try again in a moment.",
                "Probeer het over een moment opnieuw.",
                "Bitte versuchen Sie es gleich noch einmal.",
                "Réessayez dans un instant.",
            ),
        )
    };
    page(
        status,
        l,
        layout(
            l,
            title,
            here,
            html! {
                h1 { (title) }
                p { (text) }
                p { a href=(href("/", l)) { (t(l, "Search the register", "Zoek in het register", "Im Register suchen", "Chercher dans le registre")) } }
            },
        ),
    )
}

/// Maps a service error to an error page (internal details only to the log).
pub(crate) fn service_error_page(
    l: Lang,
    e: keurmerk_service::ServiceError,
    here: &str,
) -> Response {
    api_error_page(l, crate::error::ApiError::from(e), here)
}

/// The error page for an API error: its status, and its `Retry-After` when it has one.
pub(crate) fn api_error_page(l: Lang, e: crate::error::ApiError, here: &str) -> Response {
    let mut page = error_page(l, e.status(), here);
    // The database could not be used for the moment: when to ask again.
    if let Some(secs) = e.retry_after() {
        crate::error::unavailable_headers(page.headers_mut(), secs);
    }
    page
}

/// A date in the reader's language (month names shared with the printed label).
pub(crate) fn date(l: Lang, d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let label_lang = l.pick(
        keurmerk_label::Lang::En,
        keurmerk_label::Lang::Nl,
        keurmerk_label::Lang::De,
        keurmerk_label::Lang::Fr,
    );
    let m = keurmerk_label::month_name(label_lang, d.month());
    match l {
        Lang::De => format!("{}. {m} {}", d.day(), d.year()),
        _ => format!("{} {m} {}", d.day(), d.year()),
    }
}

/// The public pages, feeds and operational endpoints, for the route table.
pub(crate) fn routes() -> Vec<crate::api::Route> {
    use crate::api::route;
    use crate::api::Access::Public;
    vec![
        route!(GET "/", get_home_page, "pages", Public, Html, "Home page: search and browse labels (words; scheme, state, category and member-state filters)", query = &["q", "lang", "scheme", "state", "category", "member_state"]),
        route!(GET "/c/{id}", get_certificate_page, "pages", Public, Html, "Certificate page: the QR landing page (`?at=YYYY-MM-DD`: where the label is accepted on that day)", query = &["lang", "at"]),
        route!(GET "/c/{id}/complaint", get_complaint_form, "pages", Public, Html, "Complaint form for a certificate", query = &["lang"]),
        route!(POST "/c/{id}/complaint", post_complaint, "pages", Public, Html, "File a complaint (form post with CSRF token)"),
        route!(GET "/complaints/{reference}", get_complaint_status_page, "pages", Public, Html, "The complainant follows a complaint by its reference: state, dates, answer", query = &["lang"]),
        route!(GET "/authority/login", authority::get_authority_login, "authority pages", Public, Html, "Sign-in page of the national authority's complaint pages", query = &["lang"]),
        route!(POST "/authority/login", authority::post_authority_login, "authority pages", Public, Html, "Sign in with the authority's API token (form post); sets the session cookie and redirects (303)"),
        route!(GET "/authority/complaints", authority::get_authority_complaints, "authority pages", Public, Html, "The complaints routed to the signed-in authority (session cookie; 303 to sign-in without one)", query = &["lang"]),
        route!(GET "/authority/complaints/{id}", authority::get_authority_complaint, "authority pages", Public, Html, "One complaint with the steps the authority may take (session cookie)", query = &["lang"]),
        route!(POST "/authority/complaints/{id}", authority::post_authority_complaint, "authority pages", Public, Html, "Assign, answer or close a complaint (form post with the session's form token; 303 back to the complaint)"),
        route!(POST "/authority/logout", authority::post_authority_logout, "authority pages", Public, Html, "Sign out: ends the session and clears its cookie (form post with the session's form token)"),
        route!(GET "/products/{id}", get_product_page, "pages", Public, Html, "Product page", query = &["lang"]),
        route!(GET "/products/{id}/market-access", get_market_access_page, "pages", Public, Html, "Where the product may be sold: legal requirements per market, voluntary labels, what is still to check", query = &["lang", "markets", "at"]),
        route!(GET "/products/{id}/update-record", update_record::get_product_update_record_page, "pages", Public, Html, "How the maker fixes the product's security problems, in plain words", query = &["lang"]),
        route!(GET "/org/{id}/update-record", update_record::get_org_update_record_page, "pages", Public, Html, "How a maker fixes security problems across its labelled products, in plain words", query = &["lang"]),
        route!(GET "/schemes", get_schemes_page, "pages", Public, Html, "Schemes", query = &["lang"]),
        route!(GET "/schemes/{id}", get_scheme_page, "pages", Public, Html, "One scheme: requirements, levels, who may certify", query = &["lang"]),
        route!(GET "/about", get_about_page, "pages", Public, Html, "What does the label mean (and how it differs from the CE marking)", query = &["lang"]),
        route!(GET "/static/style.css", get_style, "pages", Public, Css, "Stylesheet"),
        route!(GET "/feed", crate::feed::get_feed_page, "pages", Public, Html, "Status changes of every label, as a page (the Atom feed is `/feed.atom`)", query = &["lang"]),
        route!(GET "/org/{id}/feed", crate::feed::get_org_feed_page, "pages", Public, Html, "Status changes of an organisation's labels, as a page", query = &["lang"]),
        route!(GET "/products/{id}/feed", crate::feed::get_product_feed_page, "pages", Public, Html, "Status changes of a product's labels, as a page", query = &["lang"]),
        route!(GET "/feed.atom", crate::feed::get_feed, "feeds", Public, Atom, "Status changes of every label", query = &["lang"]),
        route!(GET "/org/{id}/feed.atom", crate::feed::get_org_feed, "feeds", Public, Atom, "Status changes of an organisation's labels", query = &["lang"]),
        route!(GET "/products/{id}/feed.atom", crate::feed::get_product_feed, "feeds", Public, Atom, "Status changes of a product's labels", query = &["lang"]),
        route!(GET "/healthz", crate::get_healthz, "operations", Public, Text, "Health: the database answers"),
        route!(GET "/metrics", crate::get_metrics, "operations", Public, Text, "Prometheus metrics"),
        route!(GET "/api/openapi.json", crate::get_openapi, "operations", Public, Json, "This document", response = crate::openapi::document_schema),
    ]
}

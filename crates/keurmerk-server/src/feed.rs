//! Feeds of status changes: everything (`/feed.atom`), per organisation
//! (`/org/{id}/feed.atom`: certificates it holds or issued) and per product, each also as an
//! HTML page for browsers (the same path without `.atom`) built from the same entries.
//!
//! Written for people: each entry is titled "<product>: <what happened, in words>" in the feed's
//! language (`?lang=`, then `Accept-Language`, then English), with a plain-text sentence as
//! content; no event codes, no JSON.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::model::Certificate;
use keurmerk_service::{ProvenEvents, ServiceError};
use keurmerk_store::{ApiStore, CertificateFilter, CertificateStore, ProductStore};
use maud::html;

use crate::api::parse_id;
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::pages::{
    date, error_page, event_words, href, lang_of, layout, page, service_error_page, t, PageLang,
};
use crate::AppState;

/// Entries per feed.
pub const FEED_LEN: i64 = 50;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// "Name model" of the product of each certificate.
async fn product_names(
    state: &AppState,
    certs: &[CertificateId],
) -> Result<BTreeMap<CertificateId, String>, ServiceError> {
    let store = state.registry.store();
    let mut names = BTreeMap::new();
    for c in certs {
        if names.contains_key(c) {
            continue;
        }
        let name = match store.certificate(c).await? {
            Some((c, _)) => store
                .product(&c.product)
                .await?
                .map(|p| format!("{} {}", p.name, p.model)),
            None => None,
        };
        names.insert(c.clone(), name.unwrap_or_else(|| c.to_string()));
    }
    Ok(names)
}

/// One entry: a status change in words, or a label whose record cannot be confirmed.
struct Entry {
    certificate: CertificateId,
    seq: i64,
    /// The entry says the record of the label cannot be confirmed from `seq` on (not an event).
    unconfirmed: bool,
    at: DateTime<Utc>,
    /// "Name model" of the product.
    product: String,
    /// What happened, in the feed's language.
    words: String,
}

/// A feed in one language: what the Atom document and the HTML page both show.
struct Feed {
    lang: Lang,
    title: String,
    /// The feed's path without `.atom` (the HTML page); the Atom document is at `{path}.atom`.
    path: String,
    /// Whether `path` is an HTML page (not for a watch-list's feed, which needs its key).
    has_page: bool,
    /// Newest first.
    entries: Vec<Entry>,
}

impl Feed {
    /// The entries say only what the signed record proves ([`ProvenEvents`]); a label whose
    /// record cannot be confirmed gets an entry saying so, first.
    async fn new(
        state: &AppState,
        lang: Lang,
        title: String,
        path: String,
        proven: ProvenEvents,
    ) -> Result<Self, ServiceError> {
        let events = proven.events();
        let mut certs: Vec<CertificateId> = events.iter().map(|e| e.certificate.clone()).collect();
        certs.extend(proven.unconfirmed().iter().map(|u| u.certificate.clone()));
        let names = product_names(state, &certs).await?;
        let name = |c: &CertificateId| names.get(c).cloned().unwrap_or_else(|| c.to_string());
        let mut entries: Vec<Entry> = proven
            .unconfirmed()
            .iter()
            .map(|u| Entry {
                product: name(&u.certificate),
                words: t(
                    lang,
                    "the registry cannot confirm what happened to this label",
                    "het register kan niet bevestigen wat er met dit label is gebeurd",
                    "das Register kann nicht bestätigen, was mit diesem Kennzeichen geschehen ist",
                    "le registre ne peut pas confirmer ce qui est arrivé à ce label",
                )
                .to_owned(),
                certificate: u.certificate.clone(),
                seq: u.event,
                unconfirmed: true,
                at: u.at,
            })
            .collect();
        entries.extend(events.iter().map(|e| Entry {
            product: name(&e.certificate),
            words: event_words(lang, e),
            certificate: e.certificate.clone(),
            seq: e.seq,
            unconfirmed: false,
            at: e.at,
        }));
        Ok(Self {
            lang,
            title,
            path,
            has_page: true,
            entries,
        })
    }

    /// The sentence an entry's content and the HTML page's line say.
    fn sentence(&self, e: &Entry) -> String {
        let l = self.lang;
        format!(
            "{}: {}. {} {}.",
            date(l, e.at.date_naive()),
            e.words,
            t(l, "Label", "Label", "Kennzeichen", "Label"),
            e.certificate
        )
    }

    /// The Atom document.
    fn atom(&self, headers: &HeaderMap) -> Response {
        let l = self.lang;
        let base = base(headers);
        let self_path = format!("{}.atom", self.path);
        let updated = self
            .entries
            .first()
            .map_or(DateTime::<Utc>::UNIX_EPOCH, |e| e.at);
        let mut out = String::new();
        out.push_str(&format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", l.tag()));
        out.push_str(&format!("  <title>{}</title>\n", esc(&self.title)));
        out.push_str(&format!("  <id>{base}{}</id>\n", esc(&self_path)));
        out.push_str(&format!(
            "  <link rel=\"self\" href=\"{base}{}\"/>\n",
            esc(&self_path)
        ));
        if self.has_page {
            out.push_str(&format!(
                "  <link rel=\"alternate\" type=\"text/html\" href=\"{base}{}\"/>\n",
                esc(&href(&self.path, l))
            ));
        }
        out.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
        out.push_str("  <author><name>Keurmerk registry</name></author>\n");
        for e in &self.entries {
            let url = format!("{base}/c/{}?lang={}", e.certificate, l.tag());
            out.push_str("  <entry>\n");
            out.push_str(&format!(
                "    <title>{}: {}</title>\n",
                esc(&e.product),
                esc(&e.words)
            ));
            out.push_str(&format!(
                "    <id>{base}/c/{}#{}-{}</id>\n",
                e.certificate,
                if e.unconfirmed {
                    "unconfirmed"
                } else {
                    "event"
                },
                e.seq
            ));
            out.push_str(&format!("    <link href=\"{}\"/>\n", esc(&url)));
            out.push_str(&format!("    <updated>{}</updated>\n", e.at.to_rfc3339()));
            out.push_str(&format!(
                "    <content type=\"text\">{}</content>\n",
                esc(&self.sentence(e))
            ));
            out.push_str("  </entry>\n");
        }
        out.push_str("</feed>\n");
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            out,
        )
            .into_response()
    }

    /// The HTML page: the same entries, each linking to its label's page, and the Atom link.
    fn html(&self) -> Response {
        let l = self.lang;
        let atom = format!("{}.atom?lang={}", self.path, l.tag());
        let body = html! {
            h1 { (self.title) }
            p {
                (t(l, "The newest status changes first. To be told of new ones, add this address to a feed reader:",
                   "De nieuwste statuswijzigingen eerst. Wilt u nieuwe zien, voeg dit adres dan toe aan een feedlezer:",
                   "Die neuesten Statusänderungen zuerst. Um neue zu sehen, fügen Sie diese Adresse einem Feedreader hinzu:",
                   "Les changements de statut les plus récents d'abord. Pour suivre les nouveaux, ajoutez cette adresse à un lecteur de flux :"))
                " " a href=(atom) type="application/atom+xml" { (t(l, "Atom feed", "Atom-feed", "Atom-Feed", "Flux Atom")) }
            }
            @if self.entries.is_empty() {
                p { (t(l, "No status changes yet.", "Nog geen statuswijzigingen.", "Noch keine Statusänderungen.", "Aucun changement de statut pour l'instant.")) }
            } @else {
                ol.feed {
                    @for e in &self.entries {
                        @let (kind, item) = if e.unconfirmed { ("unconfirmed", None) } else { ("event", Some(e.seq)) };
                        li data-seq=[item] data-kind=(kind) {
                            time datetime=(e.at.to_rfc3339()) { (date(l, e.at.date_naive())) }
                            " · "
                            a href=(href(&format!("/c/{}", e.certificate), l)) { (e.product) }
                            ": " (e.words)
                        }
                    }
                }
            }
        };
        page(StatusCode::OK, l, layout(l, &self.title, &self.path, body))
    }
}

/// A watch-list's Atom feed (`path` ends in `.atom`; it has no HTML page: it needs its key).
pub(crate) async fn watch_feed(
    state: &AppState,
    l: Lang,
    title: String,
    path: &str,
    events: ProvenEvents,
    headers: &HeaderMap,
) -> Result<Response, ServiceError> {
    let mut f = Feed::new(
        state,
        l,
        title,
        path.trim_end_matches(".atom").to_owned(),
        events,
    )
    .await?;
    f.has_page = false;
    Ok(f.atom(headers))
}

/// The newest proven events of some certificates, newest first.
async fn events_of(state: &AppState, certs: &[Certificate]) -> Result<ProvenEvents, ServiceError> {
    let ids: Vec<CertificateId> = certs.iter().map(|c| c.id.clone()).collect();
    state
        .registry
        .proven_events_of(&ids, usize::try_from(FEED_LEN).unwrap_or(50))
        .await
}

fn feed_title(l: Lang) -> &'static str {
    t(
        l,
        "Keurmerk: label status changes",
        "Keurmerk: statuswijzigingen van labels",
        "Keurmerk: Statusänderungen der Kennzeichen",
        "Keurmerk : changements de statut des labels",
    )
}

/// Every label's newest status changes.
async fn everything(state: &AppState, l: Lang) -> Result<Feed, ServiceError> {
    let store = state.registry.store();
    let max = store.max_event_seq().await?;
    let mut events = store
        .events_after((max - FEED_LEN).max(0), FEED_LEN)
        .await?;
    events.reverse();
    let proven = state.registry.proven_events(events).await?;
    Feed::new(state, l, feed_title(l).to_owned(), "/feed".into(), proven).await
}

/// The status changes of the labels an organisation holds, issued or supervises.
async fn of_org(state: &AppState, l: Lang, id: &OrgId) -> Result<Feed, ServiceError> {
    let org = state.registry.organisation(id).await?;
    let certs: Vec<Certificate> = state
        .registry
        .certificates(&CertificateFilter::default())
        .await?
        .into_iter()
        .filter(|c| &c.holder == id || &c.issuer == id || c.authority.as_ref() == Some(id))
        .collect();
    let events = events_of(state, &certs).await?;
    Feed::new(
        state,
        l,
        format!("Keurmerk: {}", org.name),
        format!("/org/{id}/feed"),
        events,
    )
    .await
}

/// The status changes of a product's labels.
async fn of_product(state: &AppState, l: Lang, id: &RecordId) -> Result<Feed, ServiceError> {
    let d = state.registry.product_details(id).await?;
    let events = events_of(state, &d.certificates).await?;
    Feed::new(
        state,
        l,
        format!("Keurmerk: {} {}", d.product.name, d.product.model),
        format!("/products/{id}/feed"),
        events,
    )
    .await
}

pub(crate) async fn get_feed(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    Ok(everything(&state, l).await?.atom(&headers))
}

pub(crate) async fn get_org_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    let id: OrgId = parse_id(&id)?;
    Ok(of_org(&state, l, &id).await?.atom(&headers))
}

pub(crate) async fn get_product_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    let id: RecordId = parse_id(&id)?;
    Ok(of_product(&state, l, &id).await?.atom(&headers))
}

/// `GET /feed`: the HTML page of every label's status changes.
pub(crate) async fn get_feed_page(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    match everything(&state, l).await {
        Ok(f) => f.html(),
        Err(e) => service_error_page(l, e, "/feed"),
    }
}

/// `GET /org/{id}/feed`: an organisation's feed as a page.
pub(crate) async fn get_org_feed_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/org/{id}/feed");
    let Ok(id) = id.parse::<OrgId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    match of_org(&state, l, &id).await {
        Ok(f) => f.html(),
        Err(e) => service_error_page(l, e, &here),
    }
}

/// `GET /products/{id}/feed`: a product's feed as a page.
pub(crate) async fn get_product_feed_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/products/{id}/feed");
    let Ok(id) = id.to_ascii_uppercase().parse::<RecordId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    match of_product(&state, l, &id).await {
        Ok(f) => f.html(),
        Err(e) => service_error_page(l, e, &here),
    }
}

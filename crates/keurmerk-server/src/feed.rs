//! Atom feeds of status changes: everything (`/feed.atom`), per organisation
//! (`/org/{id}/feed.atom`: certificates it holds or issued) and per product.
//!
//! Written for people: each entry is titled "<product>: <what happened, in words>" in the feed's
//! language (`?lang=`, then `Accept-Language`, then English), with a plain-text sentence as
//! content; no event codes, no JSON.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::event::Event;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::model::Certificate;
use keurmerk_store::{ApiStore, CertificateFilter, CertificateStore, ProductStore};

use crate::api::parse_id;
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::pages::{date, event_words, lang_of, t, PageLang};
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

/// "Name model" of the product of each certificate in `events`.
pub(crate) async fn product_names(
    state: &AppState,
    events: &[Event],
) -> Result<BTreeMap<CertificateId, String>, ApiError> {
    let store = state.registry.store();
    let mut names = BTreeMap::new();
    for e in events {
        if names.contains_key(&e.certificate) {
            continue;
        }
        let err = keurmerk_service::ServiceError::from;
        let name = match store.certificate(&e.certificate).await.map_err(err)? {
            Some((c, _)) => store
                .product(&c.product)
                .await
                .map_err(err)?
                .map(|p| format!("{} {}", p.name, p.model)),
            None => None,
        };
        names.insert(
            e.certificate.clone(),
            name.unwrap_or_else(|| e.certificate.to_string()),
        );
    }
    Ok(names)
}

pub(crate) fn render(
    l: Lang,
    title: &str,
    self_path: &str,
    headers: &HeaderMap,
    events: &[Event],
    names: &BTreeMap<CertificateId, String>,
) -> Response {
    let base = base(headers);
    let updated = events
        .first()
        .map(|e| e.at)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let mut out = String::new();
    out.push_str(&format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", l.tag()));
    out.push_str(&format!("  <title>{}</title>\n", esc(title)));
    out.push_str(&format!("  <id>{base}{}</id>\n", esc(self_path)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{base}{}\"/>\n",
        esc(self_path)
    ));
    out.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
    out.push_str("  <author><name>Keurmerk registry</name></author>\n");
    for e in events {
        let url = format!("{base}/c/{}?lang={}", e.certificate, l.tag());
        let product = names
            .get(&e.certificate)
            .map_or(e.certificate.as_str(), String::as_str);
        let words = event_words(l, e);
        out.push_str("  <entry>\n");
        out.push_str(&format!(
            "    <title>{}: {}</title>\n",
            esc(product),
            esc(&words)
        ));
        out.push_str(&format!(
            "    <id>{base}/c/{}#event-{}</id>\n",
            e.certificate, e.seq
        ));
        out.push_str(&format!("    <link href=\"{}\"/>\n", esc(&url)));
        out.push_str(&format!("    <updated>{}</updated>\n", e.at.to_rfc3339()));
        let sentence = format!(
            "{}: {words}. {} {}.",
            date(l, e.at.date_naive()),
            t(l, "Label", "Label", "Kennzeichen", "Label"),
            e.certificate
        );
        out.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            esc(&sentence)
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

/// The newest events of some certificates, newest first.
async fn events_of(state: &AppState, certs: &[Certificate]) -> Result<Vec<Event>, ApiError> {
    let mut all = Vec::new();
    for c in certs {
        all.extend(
            state
                .registry
                .store()
                .events(&c.id)
                .await
                .map_err(keurmerk_service::ServiceError::from)?,
        );
    }
    all.sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
    all.truncate(usize::try_from(FEED_LEN).unwrap_or(50));
    Ok(all)
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

pub(crate) async fn get_feed(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    let store = state.registry.store();
    let max = store
        .max_event_seq()
        .await
        .map_err(keurmerk_service::ServiceError::from)?;
    let mut events = store
        .events_after((max - FEED_LEN).max(0), FEED_LEN)
        .await
        .map_err(keurmerk_service::ServiceError::from)?;
    events.reverse();
    let names = product_names(&state, &events).await?;
    Ok(render(
        l,
        feed_title(l),
        "/feed.atom",
        &headers,
        &events,
        &names,
    ))
}

pub(crate) async fn get_org_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    let id: OrgId = parse_id(&id)?;
    let org = state.registry.organisation(&id).await?;
    let certs: Vec<Certificate> = state
        .registry
        .certificates(&CertificateFilter::default())
        .await?
        .into_iter()
        .filter(|c| c.holder == id || c.issuer == id || c.authority.as_ref() == Some(&id))
        .collect();
    let events = events_of(&state, &certs).await?;
    let names = product_names(&state, &events).await?;
    Ok(render(
        l,
        &format!("Keurmerk: {}", org.name),
        &format!("/org/{id}/feed.atom"),
        &headers,
        &events,
        &names,
    ))
}

pub(crate) async fn get_product_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageLang>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = lang_of(&q, &headers);
    let id: RecordId = parse_id(&id)?;
    let d = state.registry.product_details(&id).await?;
    let events = events_of(&state, &d.certificates).await?;
    let names = product_names(&state, &events).await?;
    Ok(render(
        l,
        &format!("Keurmerk: {} {}", d.product.name, d.product.model),
        &format!("/products/{id}/feed.atom"),
        &headers,
        &events,
        &names,
    ))
}

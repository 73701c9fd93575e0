//! Atom feeds of status changes: everything (`/feed.atom`), per organisation
//! (`/org/{id}/feed.atom`: certificates it holds or issued) and per product.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::event::Event;
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::Certificate;
use keurmerk_store::{ApiStore, CertificateFilter, CertificateStore};

use crate::api::parse_id;
use crate::error::ApiError;
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

pub(crate) fn render(
    title: &str,
    self_path: &str,
    headers: &HeaderMap,
    events: &[Event],
) -> Response {
    let base = base(headers);
    let updated = events
        .first()
        .map(|e| e.at)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <title>{}</title>\n", esc(title)));
    out.push_str(&format!("  <id>{base}{}</id>\n", esc(self_path)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{base}{}\"/>\n",
        esc(self_path)
    ));
    out.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
    out.push_str("  <author><name>Keurmerk registry</name></author>\n");
    for e in events {
        let url = format!("{base}/c/{}", e.certificate);
        out.push_str("  <entry>\n");
        out.push_str(&format!(
            "    <title>{}: {}</title>\n",
            esc(e.certificate.as_str()),
            esc(e.kind.name())
        ));
        out.push_str(&format!("    <id>{url}#event-{}</id>\n", e.seq));
        out.push_str(&format!("    <link href=\"{url}\"/>\n"));
        out.push_str(&format!("    <updated>{}</updated>\n", e.at.to_rfc3339()));
        out.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            esc(&serde_json::to_string(&e.kind).unwrap_or_default())
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

pub(crate) async fn get_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
    Ok(render(
        "Keurmerk: label status changes",
        "/feed.atom",
        &headers,
        &events,
    ))
}

pub(crate) async fn get_org_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
    Ok(render(
        &format!("Keurmerk: {}", org.name),
        &format!("/org/{id}/feed.atom"),
        &headers,
        &events,
    ))
}

pub(crate) async fn get_product_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: RecordId = parse_id(&id)?;
    let d = state.registry.product_details(&id).await?;
    let events = events_of(&state, &d.certificates).await?;
    Ok(render(
        &format!("Keurmerk: {} {}", d.product.name, d.product.model),
        &format!("/products/{id}/feed.atom"),
        &headers,
        &events,
    ))
}

//! Trust endpoints (SPEC §7, issue 3): the signed trust list, the signed status response and the
//! label images.
//!
//! - `GET /api/v1/trust-list`: the trust list signed by the registry root key (`application/json`).
//! - `GET /api/v1/certificates/{id}/status`: unchanged JSON by default; the signed
//!   `StatusResponse` (`docs/FORMATS.md` §7) with `?signed=1` or
//!   `Accept: application/keurmerk-status+json`.
//! - `GET /c/{id}/label.svg`, `GET /c/{id}/label.png` (`?lang=en|nl|de|fr`).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::ids::CertificateId;
use serde::Deserialize;

use crate::error::ApiError;
use crate::AppState;

/// Media type of the signed status response.
pub const SIGNED_STATUS_MEDIA_TYPE: &str = "application/keurmerk-status+json";

fn bytes(content_type: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn cert_id(id: String) -> Result<CertificateId, ApiError> {
    CertificateId::new(id)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
}

pub(crate) async fn get_trust_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let signed = state.registry.signed_trust_list().await?;
    Ok(bytes("application/json", signed))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignedQuery {
    signed: Option<String>,
}

fn wants_signed(q: &SignedQuery, headers: &HeaderMap) -> bool {
    if q.signed
        .as_deref()
        .is_some_and(|v| matches!(v, "1" | "true" | "yes"))
    {
        return true;
    }
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.split(';').next().map(str::trim) == Some(SIGNED_STATUS_MEDIA_TYPE))
}

/// The status endpoint: signed when asked for, else the plain JSON of `status.rs`.
pub(crate) async fn get_certificate_status(
    state: State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SignedQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if wants_signed(&q, &headers) {
        let id = cert_id(id)?;
        let signed = state.registry.signed_status(&id).await?;
        return Ok(bytes(SIGNED_STATUS_MEDIA_TYPE, signed));
    }
    let lang = Query::try_from_uri(&uri)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))?;
    crate::status::get_certificate_status(state, Path(id), lang, headers)
        .await
        .map(IntoResponse::into_response)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LabelQuery {
    lang: Option<String>,
}

fn label_lang(q: &LabelQuery) -> Result<keurmerk_label::Lang, ApiError> {
    Ok(match q.lang.as_deref().unwrap_or("en") {
        "en" => keurmerk_label::Lang::En,
        "nl" => keurmerk_label::Lang::Nl,
        "de" => keurmerk_label::Lang::De,
        "fr" => keurmerk_label::Lang::Fr,
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("unsupported label language `{other}` (en, nl, de, fr)"),
            ))
        }
    })
}

fn render_error(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "label rendering failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
}

pub(crate) async fn get_label_svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LabelQuery>,
) -> Result<Response, ApiError> {
    let lang = label_lang(&q)?;
    let label = state.registry.label(&cert_id(id)?).await?;
    let svg = keurmerk_label::render_svg(&label.input, lang).map_err(render_error)?;
    Ok(bytes("image/svg+xml", svg.into_bytes()))
}

pub(crate) async fn get_label_png(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LabelQuery>,
) -> Result<Response, ApiError> {
    let lang = label_lang(&q)?;
    let label = state.registry.label(&cert_id(id)?).await?;
    let png = keurmerk_label::render_png(&label.input, lang, 2.0).map_err(render_error)?;
    Ok(bytes("image/png", png))
}

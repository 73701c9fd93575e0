use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use serde::Deserialize;

use crate::error::ApiError;
use crate::wire::StatusOut;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// `?lang=` first, then `Accept-Language`, then English.
pub(crate) fn pick_lang(q: &LangQuery, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if let Some(l) = &q.lang {
        return l
            .parse()
            .map_err(|e: keurmerk_domain::i18n::UnsupportedLang| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string())
            });
    }
    Ok(headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default())
}

pub(crate) async fn get_certificate_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<StatusOut>, ApiError> {
    let id = CertificateId::new(id)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))?;
    let lang = pick_lang(&q, &headers)?;
    let report = state.registry.status(&id).await?;
    Ok(Json(StatusOut::new(&report, lang)))
}

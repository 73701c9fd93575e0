use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use serde::Deserialize;

use crate::caching::{Representation, Validators};
use crate::error::ApiError;
use crate::wire::StatusOut;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    #[serde(default)]
    pub(crate) lang: Option<String>,
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
    state: AppState,
    id: String,
    q: LangQuery,
    version: Option<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = CertificateId::new(id)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))?;
    let lang = pick_lang(&q, &headers)?;
    if let Some(v) = version {
        // Per version: not cached (the QR hot path is the label's own status).
        let report = state.registry.version_status(&id, &v).await?;
        let validators = Validators::new(
            &report,
            Representation::Plain(lang.tag()),
            state.registry.now(),
        );
        if validators.not_modified(&headers) {
            return Ok(validators.not_modified_response());
        }
        return Ok(validators.apply(Json(StatusOut::new(&report, lang)).into_response()));
    }
    // The QR hot path: a status is cached for at most `ops::STATUS_TTL` and dropped on local writes.
    let key = (Arc::as_ptr(&state.registry) as usize, id);
    let report = match crate::ops::cached_status(&key) {
        Some(r) => r,
        None => {
            let r = Arc::new(state.registry.status(&key.1).await?);
            crate::ops::cache_status(key, r.clone());
            r
        }
    };
    let validators = Validators::new(
        &report,
        Representation::Plain(lang.tag()),
        state.registry.now(),
    );
    if validators.not_modified(&headers) {
        return Ok(validators.not_modified_response());
    }
    Ok(validators.apply(Json(StatusOut::new(&report, lang)).into_response()))
}

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::status::StatusReport;
use serde::Deserialize;

use crate::caching::{PlainAnswer, Validators};
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
        return plain_answer(&state, &report, lang, &headers);
    }
    // The QR hot path: a status is cached for at most `ops::STATUS_TTL` and dropped on local writes.
    let key = (Arc::as_ptr(&state.registry) as usize, id);
    let report = match crate::ops::cached_status(&key) {
        Some(r) => r,
        None => {
            let epoch = crate::ops::status_epoch();
            let r = Arc::new(state.registry.status(&key.1).await?);
            crate::ops::cache_status(key, r.clone(), epoch);
            r
        }
    };
    plain_answer(&state, &report, lang, &headers)
}

/// The plain answer of `report` in `lang`, serialised once for its body and its `ETag`; a 304
/// when the request holds that tag.
fn plain_answer(
    state: &AppState,
    report: &StatusReport,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let answer = PlainAnswer::render(&StatusOut::new(report, lang)).map_err(|e| {
        tracing::error!(certificate = %report.certificate, error = %e, "status answer not serialised");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    })?;
    let validators = Validators::plain(&answer, report, state.registry.now());
    if validators.not_modified(headers) {
        return Ok(validators.not_modified_response());
    }
    let json = [(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    Ok(validators.apply((json, answer.into_body()).into_response()))
}

//! Trust endpoints (SPEC §7, issue 3): the signed trust list, the signed status response and the
//! label images.
//!
//! - `GET /api/v1/trust-list`: the trust list signed by the registry root key (`application/json`).
//! - `GET /api/v1/certificates/{id}/status`: unchanged JSON by default; the signed
//!   `StatusResponse` (`docs/FORMATS.md` §7) with `?signed=1` or
//!   `Accept: application/keurmerk-status+json`.
//! - `GET /c/{id}/label.svg`, `GET /c/{id}/label.png` (`?lang=en|nl|de|fr`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keurmerk_domain::ids::CertificateId;
use serde::Deserialize;

use crate::caching::Validators;
use crate::error::ApiError;
use crate::json::{ApiPath, ApiQuery};
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

/// `?lang=&signed=` of the status endpoint.
#[derive(Debug, Deserialize)]
pub(crate) struct StatusQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default, deserialize_with = "signed_param")]
    signed: Option<bool>,
    /// The version on the device: the plain answer is for that version.
    #[serde(default)]
    version: Option<String>,
}

/// `?signed=`: `true`/`1` or `false`/`0`, nothing else (a typo must not silently give the
/// unsigned answer to a client that wants a signature).
fn signed_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match String::deserialize(d)?.as_str() {
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        other => Err(serde::de::Error::custom(format!(
            "`signed` must be true, false, 1 or 0, not `{}`",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

fn wants_signed(q: &StatusQuery, headers: &HeaderMap) -> bool {
    if let Some(signed) = q.signed {
        return signed;
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
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatusQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if wants_signed(&q, &headers) {
        if q.version.is_some() {
            // The signed status binds the label, not one version: never sign a partial answer.
            return Err(keurmerk_service::ServiceError::Invalid {
                field: "version".into(),
                problem:
                    "the signed status is for the whole label; ask for a version without `signed`"
                        .into(),
            }
            .into());
        }
        // The signed status has no language; a bad `lang` is still a bad request.
        crate::status::pick_lang(&crate::status::LangQuery { lang: q.lang }, &headers)?;
        let id = cert_id(id)?;
        let answer = state.registry.signed_status_report(&id).await?;
        let validators = Validators::signed(&answer, state.registry.now());
        if validators.not_modified(&headers) {
            return Ok(validators.not_modified_response());
        }
        return Ok(validators.apply(bytes(SIGNED_STATUS_MEDIA_TYPE, answer.bytes)));
    }
    let lang = crate::status::LangQuery { lang: q.lang };
    crate::status::get_certificate_status(state, id, lang, q.version, headers).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct LabelQuery {
    #[serde(default)]
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
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LabelQuery>,
) -> Result<Response, ApiError> {
    let lang = label_lang(&q)?;
    let label = state.registry.label(&cert_id(id)?).await?;
    let svg = keurmerk_label::render_svg(&label.input_in(lang), lang).map_err(render_error)?;
    Ok(bytes("image/svg+xml", svg.into_bytes()))
}

pub(crate) async fn get_label_png(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LabelQuery>,
) -> Result<Response, ApiError> {
    let lang = label_lang(&q)?;
    let label = state.registry.label(&cert_id(id)?).await?;
    let png = keurmerk_label::render_png(&label.input_in(lang), lang, 2.0).map_err(render_error)?;
    Ok(bytes("image/png", png))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use keurmerk_service::Registry;
    use keurmerk_store::SqlStore;
    use keurmerk_trust::{StatusResponse, TrustList};
    use tower::ServiceExt;

    use super::*;

    async fn app() -> (axum::Router, Registry<SqlStore>, tempfile::TempDir) {
        crate::test_support::demo_app().await
    }

    async fn get(
        app: &axum::Router,
        uri: &str,
        accept: Option<&str>,
    ) -> (StatusCode, String, Vec<u8>) {
        let mut req = Request::get(uri);
        if let Some(a) = accept {
            req = req.header(header::ACCEPT, a);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, ct, body)
    }

    #[tokio::test]
    async fn trust_list_signed_status_and_labels() {
        let (app, reg, _dir) = app().await;
        let root = reg.root_signing_key(reg.now()).await.unwrap().public_key();

        let (st, ct, body) = get(&app, "/api/v1/trust-list", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(ct, "application/json");
        let list = TrustList::verify(&body, &root).unwrap();
        assert!(list.keys.len() >= 10);

        // Plain JSON stays the default.
        let (st, ct, body) = get(&app, "/api/v1/certificates/KM-2026-000001/status", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(ct.starts_with("application/json"), "{ct}");
        let plain: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(plain.get("status").is_some());

        // Signed, by query or by Accept.
        let now = chrono::Utc::now();
        for (uri, accept) in [
            ("/api/v1/certificates/KM-2026-000001/status?signed=1", None),
            (
                "/api/v1/certificates/KM-2026-000001/status",
                Some(SIGNED_STATUS_MEDIA_TYPE),
            ),
        ] {
            let (st, ct, body) = get(&app, uri, accept).await;
            assert_eq!(st, StatusCode::OK);
            assert_eq!(ct, SIGNED_STATUS_MEDIA_TYPE);
            let v = StatusResponse::verify(&body, &list, "KM-2026-000001", now).unwrap();
            assert_eq!(
                v.response.next_update - v.response.produced_at,
                chrono::Duration::hours(1)
            );
            // The demo certificate's maker has published no software list: in force, but not
            // monitored, which its scheme asks attention for.
            assert_eq!(
                v.response.verdict(now),
                keurmerk_trust::ClientVerdict::Attention
            );
        }
        let (st, _, _) = get(
            &app,
            "/api/v1/certificates/KM-2099-000001/status?signed=1",
            None,
        )
        .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        let (st, ct, body) = get(&app, "/c/KM-2026-000001/label.svg?lang=nl", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(ct, "image/svg+xml");
        assert!(String::from_utf8(body).unwrap().starts_with("<svg"));
        let (st, ct, body) = get(&app, "/c/KM-2026-000001/label.png", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(ct, "image/png");
        assert_eq!(&body[1..4], b"PNG");
        let (st, _, _) = get(&app, "/c/KM-2026-000001/label.svg?lang=xx", None).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
    }
}

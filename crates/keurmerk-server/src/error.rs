//! The one mapping from errors to HTTP status codes, and the JSON error envelope:
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keurmerk_domain::lifecycle::Denial;
use keurmerk_service::ServiceError;
use serde::Serialize;

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Whether to ask for a bearer token (401).
    challenge: bool,
    /// Seconds to send as `Retry-After` (503 while the database cannot be used).
    retry_after: Option<u32>,
}

/// The headers of an answer given while the database cannot be used: when to ask again, and
/// that no cache (a CDN, a shop's proxy) may keep it to answer later requests with.
pub(crate) fn unavailable_headers(h: &mut axum::http::HeaderMap, retry_after_secs: u32) {
    h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The warnings of answers given while the database cannot be used: one a second at most.
static UNAVAILABLE: keurmerk_store::throttle::Throttle =
    keurmerk_store::throttle::Throttle::new(std::time::Duration::from_secs(1));

/// The `Retry-After` of [`ApiError::unavailable`], the same as the transparency log's.
pub use keurmerk_store::UNAVAILABLE_RETRY_AFTER_SECS;

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A client error with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            challenge: false,
            retry_after: None,
        }
    }

    /// 503 `unavailable` with `Retry-After`: the database cannot be used for the moment
    /// ([`ServiceError::Unavailable`]). The cause goes to the log, not to the client.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!(
                    "the register's database is busy or cannot be reached for the moment; \
                     retry in {UNAVAILABLE_RETRY_AFTER_SECS} seconds"
                ),
            )
        }
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        }
    }

    /// 400 naming what was wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `Retry-After` it is sent with, in seconds, if any.
    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// An error for a status with the code clients read for it and `message`.
    pub fn for_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, code_of(status), message)
    }
}

/// The envelope's `code` for a status that was not answered by [`ApiError`] itself.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Whether a response already carries a JSON body (the envelope, or a handler's JSON).
fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .is_some_and(|t| {
            t.eq_ignore_ascii_case("application/json")
                || (t.starts_with("application/") && t.ends_with("+json"))
        })
}

/// Largest body of a foreign rejection that is quoted as the envelope's message.
const MAX_QUOTED: usize = 512;

/// Every error under `/api/` in the envelope: a rejection made outside this crate's extractors
/// (the router's 405 with its `Allow` header, a layer's 408 or 413, …) is rewritten here with its
/// status and headers kept. Server errors are never quoted: their details are internal.
pub async fn envelope_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let message = if status == StatusCode::SERVICE_UNAVAILABLE {
        // Not quoted either (a server error), but not called internal: it is over by itself.
        "unavailable for the moment; retry later (after `Retry-After` seconds when given)"
            .to_owned()
    } else if status.is_server_error() {
        "internal error".to_owned()
    } else {
        let text = axum::body::to_bytes(body, MAX_QUOTED)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .unwrap_or_default();
        if text.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("request refused")
                .to_lowercase()
        } else {
            text
        }
    };
    let body = ApiError::for_status(status, message)
        .into_response()
        .into_body();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, body)
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let (status, code) = match &e {
            ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServiceError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            ServiceError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ServiceError::Lifecycle(Denial::NotPermitted { .. }) => {
                (StatusCode::FORBIDDEN, "forbidden")
            }
            ServiceError::Lifecycle(_) => (StatusCode::CONFLICT, "transition_denied"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServiceError::LogUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "log_unavailable"),
            ServiceError::Unavailable(_) => {
                // Not a fault of this program: a warning with the cause for the operator, at
                // most one a second however many requests are answered so.
                if let Some(answers) = UNAVAILABLE.admit_now() {
                    tracing::warn!(error = %e, answers,
                        "database unavailable; answered 503 (answers: how many since the last such line)");
                }
                return Self::unavailable();
            }
            _ => {
                // Internal details go to the log, never to the client.
                tracing::error!(error = %e, "internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                );
            }
        };
        Self::new(status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                code: self.code,
                message: &self.message,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.challenge {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keurmerk\""),
            );
        }
        if let Some(secs) = self.retry_after {
            unavailable_headers(res.headers_mut(), secs);
        }
        res
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt as _;

    /// A `503` in plain text under `/api/` (the transparency log's receipt while its database
    /// cannot be used) leaves in the envelope as `unavailable`, not as an internal error, with
    /// its `Retry-After` kept; a `500`'s text is not quoted.
    #[tokio::test]
    async fn a_plain_503_under_api_is_an_unavailable_envelope_with_its_retry_after() {
        let app = axum::Router::new()
            .route(
                "/api/busy",
                get(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "5")],
                        "the log's database is busy",
                    )
                }),
            )
            .route(
                "/api/broken",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "secret detail") }),
            )
            .layer(axum::middleware::from_fn(super::envelope_errors));
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                let res = app
                    .oneshot(Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let (parts, body) = res.into_parts();
                let body = axum::body::to_bytes(body, 4096).await.unwrap();
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                (parts, v)
            }
        };
        let (parts, v) = call("/api/busy").await;
        assert_eq!(parts.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(parts.headers[header::RETRY_AFTER], "5");
        assert_eq!(v["error"]["code"], "unavailable", "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("retry later") && !message.contains("internal"),
            "{v}"
        );
        assert!(!message.contains("database"), "quoted: {v}");
        let (parts, v) = call("/api/broken").await;
        assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["error"]["message"], "internal error", "{v}");
    }
}

//! The API's extractors. Each one answers a rejection in the JSON error envelope, with the
//! status the OpenAPI document states and a message naming what was wrong:
//!
//! - [`ApiJson`] / [`OptionalJson`]: a JSON object body (`415` without a JSON `Content-Type`,
//!   `400` for broken JSON, `422` for a value of the wrong shape, naming the field, `413` past the
//!   route's limit);
//! - [`NoBody`]: for writes that take no body: nothing, or `{}`;
//! - [`Document`]: an SBOM or VEX document as is (JSON or XML);
//! - [`ApiQuery`] / [`ApiPath`]: the query string and path parameters (`400`).
//!
//! Rejections that happen outside them (an unknown method, a layer's limit) are put in the
//! envelope by [`crate::error::envelope_errors`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON request body: a JSON object sent as `application/json` (or `…+json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !has_media_type(req.headers(), is_json_type) {
            return Err(unsupported_json());
        }
        let raw = body_bytes(req, state).await?;
        object(&raw).map(Self)
    }
}

/// An optional JSON request body: an empty (or all-whitespace) body gives `T::default()`; any
/// other body is read as [`ApiJson`] reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = has_media_type(req.headers(), is_json_type);
        let unlabelled = !req.headers().contains_key(header::CONTENT_TYPE);
        let raw = body_bytes(req, state).await?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        // A body without a Content-Type is read as JSON (what `curl -d` users mean); a body
        // labelled as something else is refused.
        if !json && !unlabelled {
            return Err(unsupported_json());
        }
        object(&raw).map(Self)
    }
}

/// The body of a write that takes none: empty, or the empty JSON object `{}`.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// A write without a body. A body that is there must be `{}`: broken JSON is `400`, anything
/// else `422`, so a client sending data to the wrong endpoint learns it at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBody;

impl<S: Send + Sync> FromRequest<S> for NoBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        OptionalJson::<Empty>::from_request(req, state)
            .await
            .map(|_| NoBody)
    }
}

fn unsupported_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as Content-Type: application/json",
    )
}

/// Whether the request's `Content-Type` is one `accept` takes.
fn has_media_type(headers: &HeaderMap, accept: fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .is_some_and(|t| accept(&t))
}

fn is_json_type(t: &str) -> bool {
    t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"))
}

fn is_xml_type(t: &str) -> bool {
    matches!(t, "application/xml" | "text/xml")
        || (t.starts_with("application/") && t.ends_with("+xml"))
}

async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| rejection(JsonRejection::BytesRejection(e)))
}

/// Parses a JSON object into `T`. Every request body of the API is an object: serde would also
/// read a struct from an array of its fields in order, which the document does not allow.
fn object<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let first = raw.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(raw) {
            return Err(ApiError::bad_request(format!(
                "the body is not valid JSON: {e}"
            )));
        }
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "invalid body: expected a JSON object",
        ));
    }
    axum::Json::<T>::from_bytes(raw)
        .map(|axum::Json(v)| v)
        .map_err(rejection)
}

fn rejection(e: JsonRejection) -> ApiError {
    match e {
        // axum reports the path of the failing field (serde_path_to_error), e.g.
        // "Failed to deserialize the JSON body into the target type: category: unknown variant…".
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            e.body_text().replace(
                "Failed to deserialize the JSON body into the target type: ",
                "",
            ),
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
            "the body is not valid JSON: {}",
            e.body_text()
                .replace("Failed to parse the request body as JSON: ", "")
        )),
        JsonRejection::MissingJsonContentType(_) => unsupported_json(),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the body is larger than the limit of {} bytes",
                    crate::MAX_BODY_BYTES
                ),
            )
        }
        JsonRejection::BytesRejection(e) => {
            ApiError::bad_request(format!("cannot read the body: {}", e.body_text()))
        }
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

/// A document uploaded as the request body as is (an SBOM or VEX file: JSON or XML), for the
/// parsers of `keurmerk-vuln`, which name what is wrong. An empty body is refused here, and so
/// is a `Content-Type` that is neither JSON nor XML (none at all is read as either).
#[derive(Debug, Clone, Default)]
pub struct Document(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Document {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if req.headers().contains_key(header::CONTENT_TYPE)
            && !has_media_type(req.headers(), |t| is_json_type(t) || is_xml_type(t))
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the document as Content-Type: application/json or application/xml",
            ));
        }
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "invalid body: the document is empty",
            )),
            Ok(b) => Ok(Self(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the document is larger than {} MiB",
                    crate::api::monitoring::MAX_DOCUMENT_BYTES / (1024 * 1024)
                ),
            )),
            Err(e) => Err(ApiError::bad_request(format!(
                "cannot read the body: {}",
                e.body_text()
            ))),
        }
    }
}

/// A product image uploaded as the request body as is (`Content-Type: image/png`,
/// `image/jpeg`, `application/octet-stream` or none): what it is is decided by its bytes
/// (`keurmerk_label::product_image::check`, in the service), never by the header. An empty body is `422`;
/// a body beyond the route's transport limit is `413` (smaller oversize images reach the check
/// and are `422` naming the limit).
#[derive(Debug, Clone, Default)]
pub struct ImageUpload(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ImageUpload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if req.headers().contains_key(header::CONTENT_TYPE)
            && !has_media_type(req.headers(), |t| {
                matches!(t, "image/png" | "image/jpeg" | "application/octet-stream")
            })
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the image as Content-Type: image/png or image/jpeg",
            ));
        }
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) if b.is_empty() => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "invalid image: the image is empty",
            )),
            Ok(b) => Ok(Self(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the body is larger than {} bytes; an image may be at most {} bytes",
                    crate::api::images::MAX_IMAGE_BODY,
                    keurmerk_label::product_image::MAX_IMAGE_BYTES
                ),
            )),
            Err(e) => Err(ApiError::bad_request(format!(
                "cannot read the body: {}",
                e.body_text()
            ))),
        }
    }
}

/// The query string, deserialised into `T` (`400` naming the parameter otherwise: an unknown
/// value, a number out of range, a parameter given twice).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e| {
                ApiError::bad_request(format!(
                    "invalid query string: {}",
                    e.body_text()
                        .replace("Failed to deserialize query string: ", "")
                ))
            })
    }
}

/// The path parameters (`400` when one cannot be decoded).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(e) if e.status().is_server_error() => {
                tracing::error!(error = %e.body_text(), "path parameters do not fit the route");
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                ))
            }
            Err(e) => Err(ApiError::bad_request(format!(
                "invalid path: {}",
                e.body_text()
            ))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        for t in ["application/json", "application/vnd.cyclonedx+json"] {
            assert!(is_json_type(t), "{t}");
        }
        for t in ["text/plain", "application/x-www-form-urlencoded", "json"] {
            assert!(!is_json_type(t), "{t}");
        }
        assert!(is_xml_type("application/vnd.cyclonedx+xml"));
        assert!(is_xml_type("text/xml"));
        assert!(!is_xml_type("text/html"));
    }

    #[test]
    fn bodies_must_be_objects() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: String,
        }
        let e = object::<T>(b"[\"x\"]").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{e:?}");
        let e = object::<T>(b"[\"x\"").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{e:?}");
        let e = object::<T>(b"{\"a\":1}").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{e:?}");
        assert!(object::<T>(b" {\"a\":\"x\"}").is_ok());
    }
}

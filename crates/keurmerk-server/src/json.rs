//! A `Json` extractor whose rejections use the JSON error envelope and name the field.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON request body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(e) => Err(rejection(e)),
        }
    }
}

/// An optional JSON request body: an empty (or all-whitespace) body gives `T::default()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let raw = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| rejection(JsonRejection::BytesRejection(e)))?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&raw)
            .map(Self)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string()))
    }
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
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        ),
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
        other => ApiError::new(other.status(), "bad_request", other.body_text()),
    }
}

/// A document uploaded as the request body as is (an SBOM or VEX file: JSON or XML), for the
/// parsers of `keurmerk-vuln`, which name what is wrong. An empty body is refused here.
#[derive(Debug, Clone, Default)]
pub struct Document(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Document {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
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

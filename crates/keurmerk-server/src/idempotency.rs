//! `Idempotency-Key` on writes: a retried request gets the first answer and never writes twice.
//!
//! A write (`POST`, `PUT`, `PATCH`, `DELETE`) made with a credential and an `Idempotency-Key`
//! header runs inside [`keurmerk_store::idempotency::with_request`]: the store records the key
//! (per credential: the SHA-256 of the `Authorization` header), with the SHA-256 of method,
//! path and body, in the request's first write transaction, and this middleware stores the
//! answer right after. A request whose key is already recorded is not run again:
//! - same request, answer stored → that answer again (`Idempotent-Replayed: true`);
//! - different method, path or body → 422 `idempotency_key_reused`, nothing written;
//! - answer not stored → the key's row proves the first request committed (it is written in
//!   the write's own transaction), so after waiting up to [`ANSWER_WAIT`] for the first answer
//!   the retry gets 200 `{"committed": true, …}`: the server stopped between commit and answer,
//!   or the first answer was a 5xx (e.g. the log did not take the entry in time), which is not
//!   stored because the write itself did commit.
//!
//! A request that committed nothing (refused, invalid) records no key, so it can be retried.
//! Anonymous requests ignore the header: without a credential there is nobody to scope it to.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keurmerk_store::idempotency::with_request;
use keurmerk_store::{IdempotencyStore, IdempotentRequest};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// How long a retry waits for the first request's answer to be stored.
pub const ANSWER_WAIT: Duration = Duration::from_secs(2);
/// Largest body hashed (the largest any route accepts: SBOM and advisory uploads).
const MAX_HASHED_BODY: usize = crate::api::monitoring::MAX_DOCUMENT_BYTES;

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic())
}

/// The middleware (see the module documentation).
pub(crate) async fn middleware(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(key) = req.headers().get(HEADER).filter(|_| write).cloned() else {
        return next.run(req).await;
    };
    let Some(credential) = req.headers().get(header::AUTHORIZATION).cloned() else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if valid_key(k) => k.to_owned(),
        _ => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("invalid Idempotency-Key: use 1 to {MAX_KEY_LEN} visible ASCII characters"),
            )
            .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_HASHED_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is too large",
        )
        .into_response();
    };
    let scope = sha256_hex(&[credential.as_bytes()]);
    let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let hash = sha256_hex(&[parts.method.as_str().as_bytes(), target.as_bytes(), &bytes]);
    let store = state.registry.store();
    if let Some(answer) = replay(store, &scope, &key, &hash).await {
        return answer;
    }
    let request = IdempotentRequest::new(scope.clone(), key.clone(), hash.clone());
    let res = with_request(
        request.clone(),
        next.run(Request::from_parts(parts, Body::from(bytes))),
    )
    .await;
    if !request.recorded() {
        // Nothing of this request was committed. If another request with the key committed
        // meanwhile (this one then failed on the key), answer as a retry would be answered.
        return match replay(store, &scope, &key, &hash).await {
            Some(answer) => answer,
            None => res,
        };
    }
    let (parts, body) = res.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the answer to store it for its Idempotency-Key");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
            .into_response();
        }
    };
    if parts.status.is_server_error() {
        // Committed, yet answered with an error: a retry learns that it committed instead.
    } else if let Err(e) = store
        .store_response(&scope, &key, parts.status.as_u16(), &bytes)
        .await
    {
        // The write is committed and its key recorded, so a retry still never writes twice.
        tracing::warn!(error = %e, "cannot store the answer for an Idempotency-Key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The answer to a request whose key is already recorded, or `None` if it is not.
async fn replay(
    store: &keurmerk_store::SqlStore,
    scope: &str,
    key: &str,
    hash: &str,
) -> Option<Response> {
    let deadline = tokio::time::Instant::now() + ANSWER_WAIT;
    let record = loop {
        let record = match store.idempotency_record(scope, key).await {
            Ok(r) => r?,
            // Answered as any failing read is: `503` with `Retry-After` while the database
            // cannot be used (then nothing was written, and the key is free for the retry),
            // else an internal error with the cause in the log.
            Err(e) => {
                return Some(
                    ApiError::from(keurmerk_service::ServiceError::from(e)).into_response(),
                )
            }
        };
        if record.request_sha256 != hash {
            return Some(
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request; nothing was written",
                )
                .into_response(),
            );
        }
        if record.response.is_some() || tokio::time::Instant::now() >= deadline {
            break record;
        }
        // The first request committed and may still be answering.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut res = match record.response {
        Some((status, body)) => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        None => (
            StatusCode::OK,
            axum::Json(serde_json::json!({
                "committed": true,
                "committed_at": record.created_at,
                "message": "the first request with this Idempotency-Key was committed, but its \
                            answer is not available; read the resource for its current state",
            })),
        )
            .into_response(),
    };
    res.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    Some(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("3f1c-retry_1"));
        assert!(!valid_key(""));
        assert!(!valid_key("with space"));
        assert!(!valid_key(&"k".repeat(MAX_KEY_LEN + 1)));
    }

    #[test]
    fn hashes_separate_their_parts() {
        assert_ne!(sha256_hex(&[b"ab", b"c"]), sha256_hex(&[b"a", b"bc"]));
    }
}

//! Requests made with an `Idempotency-Key`: the key is recorded in the request's first write
//! transaction, so a retried request can never write a second time.
//!
//! The HTTP layer runs a request inside [`with_request`]; every write transaction of
//! [`crate::SqlStore`] committed inside it first inserts the key's row (scope, key, request
//! hash). If another request with the same key got there first the insert fails, the
//! transaction rolls back and the write returns [`crate::StoreError::IdempotencyKeyUsed`]. The
//! first answer is stored afterwards with [`IdempotencyStore::store_response`].

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

/// The `Idempotency-Key` of the request being served.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    /// Who asked: a SHA-256 (hex) of the credential, so keys of different clients never meet.
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of method, path and body: a reused key with another request is refused.
    pub request_sha256: String,
    recorded: Arc<AtomicBool>,
}

impl IdempotentRequest {
    /// A request.
    pub fn new(scope: String, key: String, request_sha256: String) -> Self {
        Self {
            scope,
            key,
            request_sha256,
            recorded: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a write of this request committed (and with it the key's row).
    pub fn recorded(&self) -> bool {
        self.recorded.load(Ordering::SeqCst)
    }

    pub(crate) fn mark_recorded(&self) {
        self.recorded.store(true, Ordering::SeqCst);
    }
}

tokio::task_local! {
    static REQUEST: IdempotentRequest;
}

/// Runs `f` (one request) with `request` as its idempotency key.
pub async fn with_request<F: Future>(request: IdempotentRequest, f: F) -> F::Output {
    REQUEST.scope(request, f).await
}

/// The idempotency key of the running request, if any.
pub(crate) fn current() -> Option<IdempotentRequest> {
    REQUEST.try_with(Clone::clone).ok()
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The request's hash.
    pub request_sha256: String,
    /// When its first write committed.
    pub created_at: DateTime<Utc>,
    /// The first answer (status, body), once stored.
    pub response: Option<(u16, Vec<u8>)>,
}

/// Stored keys and answers.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// The record of a key.
    async fn idempotency_record(&self, scope: &str, key: &str)
        -> Result<Option<IdempotencyRecord>>;
    /// Stores the first answer of a request whose write committed.
    async fn store_response(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> Result<()>;
}

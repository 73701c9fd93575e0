use keurmerk_domain::event::FoldError;
use keurmerk_domain::lifecycle::Denial;
use keurmerk_store::StoreError;

/// Why a use case failed. The HTTP layer maps these to status codes in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The caller did not prove who they are: a missing, unknown or wrong key (HTTP 401).
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// The actor may not do this (HTTP 403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// A named record does not exist (HTTP 404).
    #[error("{what} `{id}` not found")]
    NotFound {
        /// What kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The input is wrong (HTTP 422).
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// Which field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The lifecycle table refuses the transition (HTTP 403 for a wrong role, else 409).
    #[error("{0}")]
    Lifecycle(#[from] Denial),
    /// The record exists already or changed concurrently (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The change is recorded but the transparency log did not take its entry in time, so it is
    /// not acknowledged (HTTP 503); it stays queued and is logged when the log catches up.
    #[error("transparency log unavailable: {0}")]
    LogUnavailable(String),
    /// The database cannot be used for the moment ([`StoreError::is_unavailable`]: no
    /// connection within the pool's wait, PostgreSQL at its connection limit, out of a resource,
    /// starting or stopping, SQLite locked by another writer): the same request may succeed
    /// when retried (HTTP 503 with `Retry-After`). The statement that failed changed nothing.
    #[error("database unavailable: {0}")]
    Unavailable(StoreError),
    /// Stored events do not fold (data corruption; HTTP 500).
    #[error("stored history is inconsistent: {0}")]
    History(#[from] FoldError),
    /// The store failed (HTTP 500 unless it is a conflict).
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { .. }
            | StoreError::Conflict { .. }
            | StoreError::IdempotencyKeyUsed => ServiceError::Conflict(e.to_string()),
            StoreError::NotFound { what, id } => ServiceError::NotFound { what, id },
            e if e.is_unavailable() => ServiceError::Unavailable(e),
            other => ServiceError::Store(other),
        }
    }
}

/// Shorthand.
pub type ServiceResult<T> = Result<T, ServiceError>;

pub(crate) fn invalid(field: &str, problem: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.to_owned(),
        problem: problem.into(),
    }
}

pub(crate) fn not_found(what: &'static str, id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        what,
        id: id.to_string(),
    }
}

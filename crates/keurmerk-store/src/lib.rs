//! Keurmerk storage.
//!
//! The service layer depends only on the narrow, role-split traits in [`traits`]
//! ([`OrgStore`], [`ProductStore`], [`AssessmentStore`], [`CertificateStore`], [`AuditStore`]).
//! [`SqlStore`] implements them once, through sqlx's runtime-generic `Any` driver, for both the
//! embedded default (SQLite, one file) and PostgreSQL: one code path, one contract test suite
//! (`tests/contract.rs`) run against both. See `docs/adr/0002-storage.md`.
//!
//! Invariants:
//! - `events` is append-only; certificate rows are a cache of the fold of their events and are
//!   updated in the same transaction as each append, guarded by `last_seq` (optimistic
//!   concurrency), so the cache can never drift from the events.
//! - Every write method takes an [`Audit`] record and writes it in the same transaction.
//! - Follow-up work of an event goes into the [`outbox`] in the event's transaction.
//! - A certificate number is taken in the transaction that issues the certificate.

pub mod api;
pub mod backup;
pub mod bulk;
mod codec;
pub mod cra;
pub mod idempotency;
pub mod images;
pub mod keys;
pub mod label_status;
pub mod outbox;
pub mod schedule;
pub mod search;
pub mod sessions;
mod sql;
pub mod statuslist;
pub mod throttle;
pub mod traits;
pub mod vuln;
pub mod watch;

pub use api::{ApiStore, ApiToken, Complaint, FormNonce};
pub use bulk::{BulkBatch, BulkCertificate, BulkSbom, BulkStore, CounterMove};
pub use cra::{CraDraft, CraReportKey, CraStore, StoredCraReport};
pub use idempotency::{IdempotencyRecord, IdempotencyStore, IdempotentRequest};
pub use images::{ImageRef, ImageStore, StoredImage};
pub use keys::{KeyRecord, KeyStore, LogPosition, PublishedTrustList, StoredStatement};
pub use label_status::{
    ListSlot, PageBody, ServedRule, StatusStore, StatusWithCertificate, StoredPage, StoredStatus,
};
pub use outbox::{FollowUp, OutboxItem, OutboxStore};
pub use schedule::ScheduleStore;
pub use search::{
    LabelHit, LabelSearch, SearchCheck, SearchDifference, SearchProblem, SearchStore,
};
pub use sessions::{PageSession, SessionStore};
pub use sql::{
    Backend, ConnectionLimit, ConnectionRoom, PoolSettings, PoolUse, SqlStore, DATABASE_WAIT,
    POSTGRES_CONNECTIONS, UNAVAILABLE_RETRY_AFTER_SECS,
};
pub use statuslist::{PublishedStatusList, StatusListStore, KEEP_STATUS_LIST_TOKENS};
pub use traits::{
    Appended, AssessmentStore, Audit, AuditEntry, AuditStore, CertificateFilter, CertificateStore,
    Credential, CredentialError, NewEvent, Numbering, OrgStore, ProductFilter, ProductStore,
    RegistryStore,
};
pub use vuln::{
    AdvisoryAlias, QueuedRecord, StoredAdvisory, StoredComponent, StoredSoftwareList, Upserted,
    VexDecision, VulnMatch, VulnStore,
};
pub use watch::{
    Attempt, AttemptOutcome, Delivery, VerificationOutcome, WatchItem, WatchStore, Watchlist,
    WebhookVerification,
};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The URL names no supported database.
    #[error("unsupported database URL `{0}`: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A record that should exist does not.
    #[error("{what} `{id}` not found")]
    NotFound {
        /// What was looked up.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A record with this key exists already.
    #[error("{what} `{id}` already exists")]
    AlreadyExists {
        /// What.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Someone else changed the record first; reload and retry.
    #[error("{what} `{id}` was changed concurrently; try again")]
    Conflict {
        /// What.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Another request with the same `Idempotency-Key` committed first; nothing was written.
    #[error("a request with this Idempotency-Key was already made")]
    IdempotencyKeyUsed,
    /// A stored value cannot be decoded (the database was changed outside Keurmerk).
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt {
        /// What.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// Another task sharing this handle's connections found the database out of reach
    /// ([`StoreError::is_unavailable`]) while this one waited for it, so this one did not try
    /// again: the cause it found.
    #[error("database out of reach: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether the database could not be used for the moment, so the same request may succeed
    /// when retried: no connection within the pool's wait (every one in use, or PostgreSQL
    /// refusing new ones until the wait ran out), the pool closed (the server stopping),
    /// PostgreSQL out of a resource (SQLSTATE class 53: too many connections, disk full, out
    /// of memory) or shutting down or starting (57P01-57P03), SQLite locked by another writer
    /// for longer than the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`). In each case the
    /// statement that failed changed nothing: the server refused it, or it was never sent. A
    /// broken connection is not among them: a commit under way when it broke may have
    /// committed, so the answer to that is not "retry".
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => database_unavailable(e),
            StoreError::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// [`StoreError::is_unavailable`] for an error of sqlx (for crates that query the store's pool
/// themselves: the transparency log's routes).
pub fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Extended result codes keep the primary one in their low byte.
                code.parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
            } else {
                code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
            }
        }
        _ => false,
    }
}

/// SQLite's primary result codes for a database another connection holds.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

//! The label status read model (issue 15 item 2, ADR 0015, migration 0021): one row per
//! certificate with the status report a lookup answers and what proves it current.
//!
//! The store only keeps rows; it never decides whether one may be served. It does guarantee two
//! things by itself: [`StatusStore::current_status`] returns a row only when it was folded from
//! the certificate's current last event, and [`StatusStore::put_status`] stores a row only if no
//! input of the fold changed since [`StatusStore::status_generation`] was read (database
//! triggers bump the generation in the transaction of every such change). The service checks the
//! rest (policy, trust list, time).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::status::StatusReport;

use crate::Result;

/// A stored label status and what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatus {
    /// The generation of the row's inputs it was computed under.
    pub generation: i64,
    /// The certificate's last event it was folded from (`certificates.last_seq`).
    pub seq: i64,
    /// The report.
    pub report: StatusReport,
    /// When it was computed (the service clock).
    pub computed_at: DateTime<Utc>,
    /// The first instant at which time alone may change the report; `None`: never.
    pub stale_after: Option<DateTime<Utc>>,
    /// Fingerprint of the scheme's status policy it was evaluated under.
    pub policy: String,
    /// Digest of the trust list its statements were verified against (hex).
    pub trust: String,
}

/// Storage of the label status read model.
#[async_trait]
pub trait StatusStore: Send + Sync {
    /// The stored status of a certificate, only if the row holds a report folded from the
    /// certificate's current last event (one primary-key read joined to the certificate row).
    async fn current_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>>;
    /// [`Self::current_status`] of several certificates in one read (a page of search results):
    /// the rows that qualify, in no particular order; a certificate without one is absent.
    async fn current_statuses(&self, ids: &[CertificateId]) -> Result<Vec<StoredStatus>>;
    /// The stored row whatever its state (`None`: no row or no report), for verification.
    async fn stored_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>>;
    /// The generation of a certificate's inputs (0 when it has no row yet). Read it before
    /// reading anything the report is computed from.
    async fn status_generation(&self, id: &CertificateId) -> Result<i64>;
    /// Stores a report if the row's generation is still `status.generation` (or the row does
    /// not exist and that generation is 0). `false`: an input changed meanwhile, nothing stored.
    async fn put_status(&self, id: &CertificateId, status: &StoredStatus) -> Result<bool>;
    /// Clears the stored report of a certificate (the next lookup folds and stores it again).
    async fn clear_status(&self, id: &CertificateId) -> Result<()>;
}

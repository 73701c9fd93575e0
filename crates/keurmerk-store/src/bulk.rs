//! Bulk writes for seeding a large registry (`keurmerk demo --scale N`, ADR 0019): many
//! certificates with their products, versions, support periods, software lists, dependencies,
//! assessments, events, signed statements (queued for the transparency log), audit records and
//! stored label status in **one transaction**, with multi-row inserts.
//!
//! Nothing here decides anything: the service builds, validates, signs and verifies every row
//! (`keurmerk_service::demo_scale::bulk`); the store only writes them atomically and guards the
//! numbering, as the single-row paths do: every counter must still be at the value the batch was
//! numbered from (else [`crate::StoreError::Conflict`] and nothing is written), and event sequence
//! numbers and status-list indices are taken inside the transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::event::Event;
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::model::{
    Assessment, Certificate, Dependency, Product, ProductVersion, SupportCommitment,
};
use keurmerk_domain::status::StatusReport;

use crate::traits::Audit;
use crate::vuln::StoredComponent;
use crate::Result;

/// One software list (SBOM) of a version.
#[derive(Debug, Clone)]
pub struct BulkSbom {
    /// The version it belongs to.
    pub version: RecordId,
    /// File name.
    pub name: String,
    /// Format name, as [`crate::VulnStore::put_sbom`] stores it.
    pub format: String,
    /// The document.
    pub document: std::sync::Arc<[u8]>,
    /// The lowercase hex SHA-256 of the document.
    pub sha256: std::sync::Arc<str>,
    /// The manufacturer's signed record of it (`keurmerk_trust::SoftwareListRecord`).
    pub record: std::sync::Arc<[u8]>,
    /// Its matchable components.
    pub components: Vec<StoredComponent>,
    /// When it was attached.
    pub uploaded_at: DateTime<Utc>,
}

/// One certificate with its history and stored label status.
#[derive(Debug, Clone)]
pub struct BulkCertificate {
    /// The certificate row (its `state` is the fold of `events`).
    pub certificate: Certificate,
    /// Its events in order, each with its signed statement. Over the whole batch their `seq`
    /// runs on from [`BulkBatch::events_after`] without a gap.
    pub events: Vec<(Event, Vec<u8>)>,
    /// The label status folded from `events` (the read model row).
    pub report: StatusReport,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// First instant time alone may change it.
    pub stale_after: Option<DateTime<Utc>>,
    /// Policy fingerprint it was evaluated under.
    pub policy: String,
    /// Digest of the trust list its statements were verified against (hex).
    pub trust: String,
    /// The scheduler's next due time (`None`: never).
    pub next_due: Option<DateTime<Utc>>,
    /// The certificate page's body (migration 0032), stored under the row's generation and
    /// `trust`; `None`: the first page view folds it.
    pub page: Option<crate::PageBody>,
}

/// A counter the batch numbered records from: it must be at `from` and is set to `to`.
#[derive(Debug, Clone)]
pub struct CounterMove {
    /// Counter name (`PRD`, `VER`, `KM-2025`, …).
    pub name: String,
    /// The value the batch read.
    pub from: u64,
    /// The value after the batch.
    pub to: u64,
}

/// Everything one bulk transaction writes.
#[derive(Debug, Clone, Default)]
pub struct BulkBatch {
    /// New products.
    pub products: Vec<Product>,
    /// New versions.
    pub versions: Vec<ProductVersion>,
    /// Support commitments of new products.
    pub support: Vec<(RecordId, SupportCommitment)>,
    /// Software lists of new versions.
    pub sboms: Vec<BulkSbom>,
    /// Dependencies of new products.
    pub dependencies: Vec<Dependency>,
    /// Assessments.
    pub assessments: Vec<Assessment>,
    /// Certificates with their events.
    pub certificates: Vec<BulkCertificate>,
    /// Audit records.
    pub audits: Vec<Audit>,
    /// Counters the records were numbered from.
    pub counters: Vec<CounterMove>,
    /// The last event sequence number when the batch was built (it must still be the last).
    pub events_after: i64,
}

/// Bulk writing (implemented by [`crate::SqlStore`]).
#[async_trait]
pub trait BulkStore: Send + Sync {
    /// The last event's sequence number (0: none).
    async fn last_event_seq(&self) -> Result<i64>;

    /// Writes the whole batch in one transaction, or nothing.
    async fn write_bulk(&self, batch: &BulkBatch) -> Result<()>;

    /// After the last batch: on PostgreSQL, `ANALYZE`, so the planner knows the tables' sizes
    /// and spreads (measured at 1,000,000 without statistics, as on a server whose autovacuum has
    /// not run yet: a certificate page took 100–250 ms, 10 ms after). Nothing on SQLite, whose
    /// planner uses no statistics unless `ANALYZE` was run once, which the registry never does.
    async fn bulk_load_done(&self) -> Result<()>;
}

//! Cyber Resilience Act reports (issue 12 item 4, migration 0024): the holder's drafts and the
//! submitted reports, content-addressed by the SHA-256 of their canonical JSON. The obligations
//! and their clocks are not stored here: they are folded from the certificate's events
//! (`keurmerk_domain::cra`), and a submitted report counts only through its signed event.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::cra::CraKind;
use keurmerk_domain::ids::CertificateId;

use crate::{Audit, Result};

/// Which report: certificate, vulnerability, kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraReportKey {
    /// The certificate.
    pub certificate: CertificateId,
    /// The vulnerability (as the certificate shows it).
    pub vulnerability: String,
    /// Which report.
    pub kind: CraKind,
}

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraDraft {
    /// Which report.
    pub key: CraReportKey,
    /// The draft (a `keurmerk_domain::cra::CraReport` as JSON).
    pub body: String,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
    /// By which organisation.
    pub updated_by: String,
}

/// A stored submitted report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCraReport {
    /// Which report.
    pub key: CraReportKey,
    /// SHA-256 (lowercase hex) of `body`.
    pub sha256: String,
    /// The canonical JSON, exactly as hashed.
    pub body: String,
    /// When stored.
    pub stored_at: DateTime<Utc>,
}

/// Drafts and submitted reports.
#[async_trait]
pub trait CraStore: Send + Sync {
    /// Stores (replacing) a draft, with its audit record in the same transaction.
    async fn put_cra_draft(&self, draft: &CraDraft, audit: &Audit) -> Result<()>;
    /// The draft of one report, if any.
    async fn cra_draft(&self, key: &CraReportKey) -> Result<Option<CraDraft>>;
    /// Stores a submitted report under its digest (storing the same digest again is a no-op:
    /// the bytes are the same), with its audit record.
    async fn put_cra_report(&self, report: &StoredCraReport, audit: &Audit) -> Result<()>;
    /// The submitted report with this digest, if stored for this certificate.
    async fn cra_report(
        &self,
        certificate: &CertificateId,
        sha256: &str,
    ) -> Result<Option<StoredCraReport>>;
}

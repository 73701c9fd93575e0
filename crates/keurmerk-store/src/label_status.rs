//! The label status read model (issue 15 item 2, ADR 0015, migration 0021): one row per
//! certificate with the status report a lookup answers and what proves it current.
//!
//! The store only keeps rows; it never decides whether one may be served. It does guarantee two
//! things by itself: [`StatusStore::current_status`] returns a row only when it was folded from
//! the certificate's current last event, and [`StatusStore::put_status`] stores a row only if no
//! input of the fold changed since [`StatusStore::status_generation`] was read (database
//! triggers bump the generation in the transaction of every such change). The service checks the
//! rest (policy, trust list, time).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::{Certificate, Product, Verdict};
use keurmerk_domain::status::{LabelStatus, StatusReport};

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

/// The certificate page's stored data (migration 0032): the body the service wrote, read under
/// the generation of the certificate's `label_status` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPage {
    /// The generation of the certificate's inputs it was read under (always the `label_status`
    /// row's current one when read through [`StatusStore::current_page`]).
    pub generation: i64,
    /// Digest of the trust list the events were verified against (hex).
    pub trust: String,
    /// What the body is.
    pub body: PageBody,
    /// The certificate row, read in the same statement as the status and the page.
    pub certificate: Certificate,
    /// The certificate's last event (`certificates.last_seq`), from that same row.
    pub last_seq: i64,
    /// The certificate's product, read in the same statement.
    pub product: Product,
    /// The log index of the statement of the certificate's last event, read in the same
    /// statement (`None`: not in the log yet). Log entries never change once appended.
    pub last_log_index: Option<i64>,
    /// The verdicts of the certificate's assessment, read in the same statement (`None`: no
    /// such row, or verdicts that do not read). An assessment's verdicts never change once
    /// recorded.
    pub verdicts: Option<BTreeMap<String, Verdict>>,
}

/// What [`StatusStore::status_with_certificate`] reads: the stored status, if any, the
/// certificate, its product and its status-list index.
pub type StatusWithCertificate = (Option<StoredStatus>, Certificate, Product, Option<u64>);

/// A stored page body and the name of its format (the service's; the store keeps it opaque).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBody {
    /// The format the service wrote `body` in; a body of another format is never read as this.
    pub format: String,
    /// The body (JSON).
    pub body: String,
}

/// Storage of the label status read model.
#[async_trait]
pub trait StatusStore: Send + Sync {
    /// The stored status of a certificate. A row holds a report only while it is folded from
    /// the certificate's current last event: every change of the certificate row (its last
    /// event, index, scheme, product, id) clears it in the writing transaction, and
    /// [`Self::put_status`] stores none for another event. One primary-key read.
    async fn current_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>>;
    /// [`Self::current_status`] of several certificates in one read (a page of search results):
    /// the rows that qualify, in no particular order; a certificate without one is absent.
    async fn current_statuses(&self, ids: &[CertificateId]) -> Result<Vec<StoredStatus>>;
    /// The generation of a certificate's inputs (0 when it has no row yet). Read it before
    /// reading anything the report is computed from.
    async fn status_generation(&self, id: &CertificateId) -> Result<i64>;
    /// Stores a report if the row's generation is still `status.generation` (or the row does
    /// not exist and that generation is 0) and `status.seq` is the certificate's last event.
    /// `false`: an input changed meanwhile (or the certificate does not exist), nothing stored.
    async fn put_status(&self, id: &CertificateId, status: &StoredStatus) -> Result<bool>;
    /// [`Self::put_status`] and, in the same transaction when the status is stored, the
    /// certificate page's body under the same generation and trust digest.
    async fn put_status_and_page(
        &self,
        id: &CertificateId,
        status: &StoredStatus,
        page: &PageBody,
    ) -> Result<bool>;
    /// The stored status ([`Self::current_status`]) with the certificate page's row of the same
    /// generation, in one read; `None` when either is missing. The database deletes a page row
    /// whenever its generation is bumped (migration 0032), so a row found is of the current one.
    async fn current_page(&self, id: &CertificateId) -> Result<Option<(StoredStatus, StoredPage)>>;
    /// The stored status ([`Self::current_status`], `None` when there is none) with the
    /// certificate row, its product and its status-list index, in one read: everything a signed
    /// status response is made of, in one snapshot. `None` when the certificate or its product
    /// is missing.
    async fn status_with_certificate(
        &self,
        id: &CertificateId,
    ) -> Result<Option<StatusWithCertificate>>;
    /// Clears the stored report and page of a certificate (the next lookup folds and stores
    /// them again) and takes its status list index from the certificate row again.
    async fn clear_status(&self, id: &CertificateId) -> Result<()>;
    /// The status word stored on a certificate's row for the status list (`None`: none; the
    /// database keeps a word only while the row has a report, migration 0031); `Corrupt` if it
    /// is not a status.
    async fn status_word(&self, id: &CertificateId) -> Result<Option<LabelStatus>>;
    /// The status index the list reads for a certificate (kept on its row from the certificate
    /// by the database; `certificate verify` compares the two), as stored: an index edited
    /// below zero is shown as it is, not refused, so that it can be reported and repaired.
    async fn status_list_index(&self, id: &CertificateId) -> Result<Option<i64>>;
    /// Every certificate that has a status index, in no particular order, handed to `each`:
    /// with the status word of its stored report where that row would be served under
    /// `rule` ([`ServedRule`]), else with its id for the caller to evaluate. A row that cannot
    /// be read as a slot (an index below zero, an id that is not one: an edit by hand) is
    /// handed as its error, one row at a time, so that one such row costs its own slot and not
    /// the whole list; an error of the read itself ends it. Returns the earliest `stale_after`
    /// of the rows handed with their stored status: the instant time alone first makes one of
    /// them stale (read in the same pass, so the list needs no second walk of the index).
    async fn list_statuses(
        &self,
        rule: &ServedRule,
        each: &mut (dyn FnMut(Result<ListSlot>) -> Result<()> + Send),
    ) -> Result<Option<DateTime<Utc>>>;
}

/// The conditions under which [`StatusStore::list_statuses`] takes a stored row's word, beyond
/// the row holding a report (so folded from the certificate's last event): the ones the service checks
/// before serving a row (`readmodel::servable`).
#[derive(Debug, Clone)]
pub struct ServedRule {
    /// The policy fingerprint the row must have been stored under.
    pub policy: String,
    /// The trust digest (hex) the row must have been stored under.
    pub trust: String,
    /// The row was computed at or before this instant and is not stale at it.
    pub now: DateTime<Utc>,
}

/// One certificate's slot in the status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSlot {
    /// Its status index.
    pub index: u64,
    /// The stored row's status, or the certificate to evaluate.
    pub status: std::result::Result<LabelStatus, CertificateId>,
}

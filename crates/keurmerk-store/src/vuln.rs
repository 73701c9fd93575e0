//! Storage for vulnerability monitoring: SBOM components, advisories, findings, VEX decisions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::RecordId;
use serde::{Deserialize, Serialize};

use crate::traits::Audit;
use crate::Result;

/// One SBOM component, reduced to what matching needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredComponent {
    /// The product version.
    pub version_id: RecordId,
    /// Position in the SBOM.
    pub idx: i64,
    /// Package key (`type:name`).
    pub pkg_key: String,
    /// The component's purl.
    pub purl: String,
    /// Installed version.
    pub version: String,
}

/// A version's software list as stored, with the manufacturer's signed record of it
/// (`keurmerk_trust::SoftwareListRecord`, migration 0047; `None` for a list stored without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSoftwareList {
    /// The product version.
    pub version_id: RecordId,
    /// The lowercase hex SHA-256 of the list's bytes, written with them (`None` for a list
    /// stored before migration 0047).
    pub sha256: Option<String>,
    /// The signed record, as the registry queued it for the log.
    pub record: Option<Vec<u8>>,
}

/// Where the newest software list record queued for a version's log is
/// ([`VulnStore::newest_software_list_record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuedRecord {
    /// Still waiting for the log: its bytes.
    Queued(Vec<u8>),
    /// In the log, at this index.
    Logged(u64),
    /// Neither (its queue row is gone and no log entry took it).
    Lost,
}

/// What [`VulnStore::upsert_advisory`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upserted {
    /// The advisory was new or modified, and stored.
    pub stored: bool,
    /// The package keys it touched before and after (components to re-match).
    pub touched: Vec<String>,
}

/// A stored advisory document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAdvisory {
    /// Document id (OSV id or CSAF tracking id).
    pub id: String,
    /// Name it was imported under (file or archive entry).
    pub source_name: String,
    /// The publisher's modification time, as written.
    pub modified: String,
    /// The original bytes.
    pub document: Vec<u8>,
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnMatch {
    /// The product version.
    pub version_id: RecordId,
    /// The advisory document.
    pub advisory_id: String,
    /// The vulnerability id shown to people (OSV id or CVE).
    pub vulnerability: String,
    /// Its other ids (CVE, GHSA, GO, …), as matching merged them.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Package key.
    pub pkg_key: String,
    /// Component purl.
    pub purl: String,
    /// Installed version.
    pub installed: String,
    /// Severity bucket (`critical`…`none`).
    pub severity: String,
    /// Fixed versions.
    pub fixed: Vec<String>,
    /// When first seen.
    pub first_seen: DateTime<Utc>,
    /// When it stopped matching (advisory changed or withdrawn), if it did.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One id an advisory document gives one of its vulnerabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryAlias {
    /// The id the document gives the vulnerability (OSV id; a CSAF vulnerability's CVE).
    pub vulnerability: String,
    /// One of its ids (the vulnerability's own id included).
    pub alias: String,
}

/// A holder's VEX decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexDecision {
    /// Product.
    pub product_id: RecordId,
    /// Vulnerability id.
    pub vulnerability: String,
    /// `vers:` range or `*`.
    pub versions: String,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    /// Justification for `not_affected`.
    pub justification: Option<String>,
    /// Impact statement.
    pub statement: Option<String>,
    /// When published.
    pub published_at: DateTime<Utc>,
}

/// Vulnerability monitoring storage.
#[async_trait]
pub trait VulnStore: Send + Sync {
    /// Stores (or replaces) a version's SBOM (with `sha256`, its bytes' lowercase hex SHA-256),
    /// its components and the manufacturer's signed `record` of it, and queues the record for
    /// the transparency log, in one transaction. Returns the record's queue id.
    #[allow(clippy::too_many_arguments)]
    async fn put_sbom(
        &self,
        version: &RecordId,
        name: &str,
        format: &str,
        document: &[u8],
        sha256: &str,
        record: &[u8],
        components: &[StoredComponent],
        audit: &Audit,
    ) -> Result<i64>;
    /// The newest software list record queued for `version`'s log (`software_list_records`),
    /// or `None` when none ever was.
    async fn newest_software_list_record(&self, version: &RecordId)
        -> Result<Option<QueuedRecord>>;
    /// A version's components.
    async fn components(&self, version: &RecordId) -> Result<Vec<StoredComponent>>;
    /// Every component with one of these package keys.
    async fn components_with_keys(&self, keys: &[String]) -> Result<Vec<StoredComponent>>;
    /// Stores an advisory unless the same `modified` is stored already, with its audit record in
    /// the same transaction (only when stored). Returns whether it was stored and the package keys
    /// it touched before and after.
    ///
    /// `aliases` are every id the document gives each of its vulnerabilities; they are stored
    /// with a new or modified advisory, and also for an unchanged one that has none stored yet
    /// (an advisory imported before aliases were indexed gets them on its next import).
    async fn upsert_advisory(
        &self,
        adv: &StoredAdvisory,
        keys: &[String],
        aliases: &[AdvisoryAlias],
        audit: &crate::Audit,
    ) -> Result<Upserted>;
    /// Every id of the vulnerability known under `id` (compared without regard to case): the ids
    /// of each stored advisory's vulnerability that lists `id` among its ids. Empty when no stored
    /// advisory knows the id.
    async fn vulnerability_ids(&self, id: &str) -> Result<Vec<String>>;
    /// Advisories with one of these package keys.
    async fn advisories_with_keys(&self, keys: &[String]) -> Result<Vec<StoredAdvisory>>;
    /// One advisory.
    async fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>>;
    /// Marks a vulnerability (OSV id or CVE) as actively exploited, known to be since `since`
    /// (e.g. KEV's `dateAdded`) when given. Returns whether the mark is new (a vulnerability
    /// marked already keeps its first mark; no audit record is written then).
    async fn mark_exploited(
        &self,
        vulnerability: &str,
        since: Option<DateTime<Utc>>,
        audit: &Audit,
    ) -> Result<bool>;
    /// Whether a vulnerability is marked as actively exploited.
    async fn is_exploited(&self, vulnerability: &str) -> Result<bool>;
    /// The earliest time any of `ids` (one vulnerability's ids) is known to be exploited since:
    /// the mark's `exploited_since`, else when it was marked. `None` when none is marked.
    async fn exploited_since(&self, ids: &[String]) -> Result<Option<DateTime<Utc>>>;
    /// Records a severity for a vulnerability from `source` (`euvd`, `operator`), replacing that
    /// source's earlier one, with its audit record in the same transaction.
    async fn set_severity(
        &self,
        vulnerability: &str,
        source: &str,
        severity: &str,
        reason: Option<&str>,
        audit: &Audit,
    ) -> Result<()>;
    /// The severities recorded for any of `ids` (one vulnerability's ids), as `(source, severity)`.
    async fn severities(&self, ids: &[String]) -> Result<Vec<(String, String)>>;
    /// Product versions with an open finding for this vulnerability.
    async fn versions_with_open(&self, vulnerability: &str) -> Result<Vec<RecordId>>;
    /// Replaces a version's findings for the given package keys (all keys when `None`) by
    /// `found`, keeping `first_seen` of findings that persist and closing those that vanished.
    async fn reconcile_matches(
        &self,
        version: &RecordId,
        keys: Option<&[String]>,
        found: &[VulnMatch],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A version's findings (open and closed).
    async fn matches(&self, version: &RecordId) -> Result<Vec<VulnMatch>>;
    /// Stores a VEX decision.
    async fn put_vex(&self, d: &VexDecision, audit: &Audit) -> Result<()>;
    /// A product's VEX decisions.
    async fn vex_decisions(&self, product: &RecordId) -> Result<Vec<VexDecision>>;
}

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
    /// Stores (or replaces) a version's SBOM and its components.
    async fn put_sbom(
        &self,
        version: &RecordId,
        name: &str,
        format: &str,
        document: &[u8],
        components: &[StoredComponent],
        audit: &Audit,
    ) -> Result<()>;
    /// A version's components.
    async fn components(&self, version: &RecordId) -> Result<Vec<StoredComponent>>;
    /// Every component with one of these package keys.
    async fn components_with_keys(&self, keys: &[String]) -> Result<Vec<StoredComponent>>;
    /// Stores an advisory unless the same `modified` is stored already, with its audit record in
    /// the same transaction (only when stored). Returns whether it was stored and the package keys
    /// it touched before and after.
    async fn upsert_advisory(
        &self,
        adv: &StoredAdvisory,
        keys: &[String],
        audit: &crate::Audit,
    ) -> Result<Upserted>;
    /// Advisories with one of these package keys.
    async fn advisories_with_keys(&self, keys: &[String]) -> Result<Vec<StoredAdvisory>>;
    /// One advisory.
    async fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>>;
    /// Marks a vulnerability (OSV id or CVE) as actively exploited.
    async fn mark_exploited(&self, vulnerability: &str, audit: &Audit) -> Result<()>;
    /// Whether a vulnerability is marked as actively exploited.
    async fn is_exploited(&self, vulnerability: &str) -> Result<bool>;
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

//! CSAF 2.0 documents (all profiles, including VEX): typed model, product-tree resolution, and conversion
//! to advisories (package + affected versions) and to [`crate::vex::VexStatement`]s.

mod convert;

use serde::Deserialize;

pub use crate::source::{ParseError, ParseErrorKind, Position};
pub use convert::{CsafAdvisory, CsafPackage, ProductInfo};

use crate::source::error::json_from_slice;

/// A CSAF 2.0 document.
#[derive(Debug, Clone, Deserialize)]
pub struct CsafDocument {
    /// Document-level metadata.
    pub document: DocumentMeta,
    /// Products.
    pub product_tree: Option<ProductTree>,
    /// Vulnerabilities.
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `document`.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentMeta {
    /// `csaf_base`, `csaf_security_advisory`, `csaf_vex`, …
    pub category: String,
    /// Must be `2.0`.
    pub csaf_version: String,
    /// Title.
    pub title: String,
    /// Publisher.
    pub publisher: Publisher,
    /// Tracking.
    pub tracking: Tracking,
    /// Notes.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Aggregate severity.
    pub aggregate_severity: Option<AggregateSeverity>,
    /// Language.
    pub lang: Option<String>,
}

/// `document.publisher`.
#[derive(Debug, Clone, Deserialize)]
pub struct Publisher {
    /// `vendor`, `coordinator`, …
    pub category: String,
    /// Name.
    pub name: String,
    /// Namespace URL.
    pub namespace: String,
}

/// `document.tracking`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tracking {
    /// Document id.
    pub id: String,
    /// Version.
    pub version: String,
    /// `draft`, `interim`, `final`.
    pub status: String,
    /// First release.
    pub initial_release_date: String,
    /// Current release.
    pub current_release_date: String,
    /// Revisions.
    #[serde(default)]
    pub revision_history: Vec<Revision>,
    /// Aliases of the document.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One revision.
#[derive(Debug, Clone, Deserialize)]
pub struct Revision {
    /// Date.
    pub date: String,
    /// Version number.
    pub number: String,
    /// Summary.
    pub summary: String,
}

/// A note.
#[derive(Debug, Clone, Deserialize)]
pub struct Note {
    /// `description`, `summary`, …
    pub category: String,
    /// Text.
    pub text: String,
    /// Title.
    pub title: Option<String>,
}

/// `document.aggregate_severity`.
#[derive(Debug, Clone, Deserialize)]
pub struct AggregateSeverity {
    /// Text.
    pub text: String,
    /// Namespace.
    pub namespace: Option<String>,
}

/// `product_tree`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductTree {
    /// Branches.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// Products listed outside branches.
    #[serde(default)]
    pub full_product_names: Vec<FullProductName>,
    /// Relationships (product X as component of platform Y).
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// Groups of product ids.
    #[serde(default)]
    pub product_groups: Vec<ProductGroup>,
}

/// A branch of the product tree.
#[derive(Debug, Clone, Deserialize)]
pub struct Branch {
    /// `vendor`, `product_name`, `product_version`, `product_version_range`, …
    pub category: String,
    /// Name (a version for `product_version`, a range for `product_version_range`).
    pub name: String,
    /// Sub-branches.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// Leaf product.
    pub product: Option<FullProductName>,
}

/// A product.
#[derive(Debug, Clone, Deserialize)]
pub struct FullProductName {
    /// Name.
    pub name: String,
    /// Id, referenced from vulnerabilities.
    pub product_id: String,
    /// purl / CPE / hashes.
    pub product_identification_helper: Option<ProductIdentificationHelper>,
}

/// `product_identification_helper`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductIdentificationHelper {
    /// CPE.
    pub cpe: Option<String>,
    /// purl.
    pub purl: Option<String>,
    /// Model numbers.
    #[serde(default)]
    pub model_numbers: Vec<String>,
    /// SKUs.
    #[serde(default)]
    pub skus: Vec<String>,
}

/// A relationship.
#[derive(Debug, Clone, Deserialize)]
pub struct Relationship {
    /// `default_component_of`, `installed_on`, …
    pub category: String,
    /// The component.
    pub product_reference: String,
    /// The platform.
    pub relates_to_product_reference: String,
    /// The combined product.
    pub full_product_name: FullProductName,
}

/// A product group.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductGroup {
    /// Group id.
    pub group_id: String,
    /// Members.
    pub product_ids: Vec<String>,
    /// Summary.
    pub summary: Option<String>,
}

/// A vulnerability.
#[derive(Debug, Clone, Deserialize)]
pub struct Vulnerability {
    /// CVE id.
    pub cve: Option<String>,
    /// Other ids.
    #[serde(default)]
    pub ids: Vec<VulnId>,
    /// Title.
    pub title: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// CWE.
    pub cwe: Option<Cwe>,
    /// Discovery date.
    pub discovery_date: Option<String>,
    /// Release date.
    pub release_date: Option<String>,
    /// Scores.
    #[serde(default)]
    pub scores: Vec<Score>,
    /// Product status.
    pub product_status: Option<ProductStatus>,
    /// Flags (VEX justifications).
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Threats (impact statements, exploit status).
    #[serde(default)]
    pub threats: Vec<Threat>,
    /// Remediations.
    #[serde(default)]
    pub remediations: Vec<Remediation>,
}

/// `ids[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct VulnId {
    /// System (e.g. `Cisco Bug ID`).
    pub system_name: String,
    /// Id.
    pub text: String,
}

/// CWE.
#[derive(Debug, Clone, Deserialize)]
pub struct Cwe {
    /// `CWE-79`.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A score for some products.
#[derive(Debug, Clone, Deserialize)]
pub struct Score {
    /// Products.
    pub products: Vec<String>,
    /// CVSS v3.
    pub cvss_v3: Option<Cvss>,
    /// CVSS v2.
    pub cvss_v2: Option<Cvss>,
}

/// The fields of a CVSS object that matter here.
#[derive(Debug, Clone, Deserialize)]
pub struct Cvss {
    /// Version (`3.1`, `2.0`).
    pub version: String,
    /// Vector.
    #[serde(rename = "vectorString")]
    pub vector_string: String,
    /// Base score 0–10.
    #[serde(rename = "baseScore")]
    pub base_score: f64,
    /// Base severity (v3 only).
    #[serde(rename = "baseSeverity")]
    pub base_severity: Option<String>,
}

/// `product_status`, all categories.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductStatus {
    /// First affected.
    #[serde(default)]
    pub first_affected: Vec<String>,
    /// First fixed.
    #[serde(default)]
    pub first_fixed: Vec<String>,
    /// Fixed.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// Known affected.
    #[serde(default)]
    pub known_affected: Vec<String>,
    /// Known not affected.
    #[serde(default)]
    pub known_not_affected: Vec<String>,
    /// Last affected.
    #[serde(default)]
    pub last_affected: Vec<String>,
    /// Recommended.
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Under investigation.
    #[serde(default)]
    pub under_investigation: Vec<String>,
}

/// A flag (VEX justification label).
#[derive(Debug, Clone, Deserialize)]
pub struct Flag {
    /// `component_not_present`, …
    pub label: String,
    /// Products.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Groups.
    #[serde(default)]
    pub group_ids: Vec<String>,
    /// Date.
    pub date: Option<String>,
}

/// A threat.
#[derive(Debug, Clone, Deserialize)]
pub struct Threat {
    /// `impact`, `exploit_status`, `target_set`.
    pub category: String,
    /// Details.
    pub details: String,
    /// Products.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Groups.
    #[serde(default)]
    pub group_ids: Vec<String>,
    /// Date.
    pub date: Option<String>,
}

/// A remediation.
#[derive(Debug, Clone, Deserialize)]
pub struct Remediation {
    /// `vendor_fix`, `workaround`, `mitigation`, `no_fix_planned`, `none_available`.
    pub category: String,
    /// Details.
    pub details: String,
    /// Products.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Groups.
    #[serde(default)]
    pub group_ids: Vec<String>,
    /// URL.
    pub url: Option<String>,
    /// Date.
    pub date: Option<String>,
}

/// Parse a CSAF 2.0 JSON document. `name` is used in errors only.
pub fn parse(name: &str, bytes: &[u8]) -> Result<CsafDocument, ParseError> {
    let doc: CsafDocument = json_from_slice(name, bytes)?;
    if doc.document.csaf_version != "2.0" {
        return Err(ParseError::new(
            name,
            ParseErrorKind::Schema,
            format!(
                "unsupported csaf_version {:?} (expected \"2.0\")",
                doc.document.csaf_version
            ),
        )
        .with_field("document.csaf_version"));
    }
    Ok(doc)
}

/// Is this JSON text (probably) a CSAF document? Cheap check used for content detection.
pub fn looks_like_csaf(bytes: &[u8]) -> bool {
    let key = b"\"csaf_version\"";
    bytes.windows(key.len()).any(|w| w == key)
}

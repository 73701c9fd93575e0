//! VEX: OpenVEX, CycloneDX VEX and CSAF VEX, all read into one [`VexStatement`] model.
//!
//! A statement says, for one vulnerability and one product (optionally one subcomponent of it), whether
//! the product is affected. Products are identified by purl, CycloneDX `bom-ref`, CPE or name, with a
//! version that is either exact, a `vers:` range, or "any". Applying statements to findings is done by
//! [`crate::matching`].

mod cyclonedx;
mod openvex;

pub use crate::source::{ParseError, ParseErrorKind, Position};

/// Exploitability status of a vulnerability in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not affected (closes a finding when a justification is given).
    NotAffected,
    /// Affected.
    Affected,
    /// Fixed in this product version.
    Fixed,
    /// Not yet known.
    UnderInvestigation,
}

impl VexStatus {
    /// Parse an OpenVEX / CSAF-style status word.
    pub fn from_openvex(s: &str) -> Option<Self> {
        Some(match s {
            "not_affected" => VexStatus::NotAffected,
            "affected" => VexStatus::Affected,
            "fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            _ => return None,
        })
    }
}

/// Why a product is not affected. OpenVEX / CSAF labels and CycloneDX justifications.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Justification {
    /// OpenVEX / CSAF `component_not_present`.
    ComponentNotPresent,
    /// OpenVEX / CSAF `vulnerable_code_not_present`.
    VulnerableCodeNotPresent,
    /// OpenVEX / CSAF `vulnerable_code_not_in_execute_path`.
    VulnerableCodeNotInExecutePath,
    /// OpenVEX / CSAF `vulnerable_code_cannot_be_controlled_by_adversary`.
    VulnerableCodeCannotBeControlledByAdversary,
    /// OpenVEX / CSAF `inline_mitigations_already_exist`.
    InlineMitigationsAlreadyExist,
    /// CycloneDX `code_not_present`.
    CodeNotPresent,
    /// CycloneDX `code_not_reachable`.
    CodeNotReachable,
    /// CycloneDX `requires_configuration`.
    RequiresConfiguration,
    /// CycloneDX `requires_dependency`.
    RequiresDependency,
    /// CycloneDX `requires_environment`.
    RequiresEnvironment,
    /// CycloneDX `protected_by_compiler`.
    ProtectedByCompiler,
    /// CycloneDX `protected_at_runtime`.
    ProtectedAtRuntime,
    /// CycloneDX `protected_at_perimeter`.
    ProtectedAtPerimeter,
    /// CycloneDX `protected_by_mitigating_control`.
    ProtectedByMitigatingControl,
    /// Anything else, verbatim.
    Other(String),
}

impl Justification {
    /// Parse a justification label of any of the three formats.
    pub fn parse(s: &str) -> Self {
        match s {
            "component_not_present" => Justification::ComponentNotPresent,
            "vulnerable_code_not_present" => Justification::VulnerableCodeNotPresent,
            "vulnerable_code_not_in_execute_path" => Justification::VulnerableCodeNotInExecutePath,
            "vulnerable_code_cannot_be_controlled_by_adversary" => {
                Justification::VulnerableCodeCannotBeControlledByAdversary
            }
            "inline_mitigations_already_exist" => Justification::InlineMitigationsAlreadyExist,
            "code_not_present" => Justification::CodeNotPresent,
            "code_not_reachable" => Justification::CodeNotReachable,
            "requires_configuration" => Justification::RequiresConfiguration,
            "requires_dependency" => Justification::RequiresDependency,
            "requires_environment" => Justification::RequiresEnvironment,
            "protected_by_compiler" => Justification::ProtectedByCompiler,
            "protected_at_runtime" => Justification::ProtectedAtRuntime,
            "protected_at_perimeter" => Justification::ProtectedAtPerimeter,
            "protected_by_mitigating_control" => Justification::ProtectedByMitigatingControl,
            other => Justification::Other(other.to_owned()),
        }
    }
}

/// Which VEX format a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum VexFormat {
    /// OpenVEX.
    OpenVex,
    /// CycloneDX `vulnerabilities[].analysis`.
    CycloneDx,
    /// CSAF 2.0 (`product_status`).
    Csaf,
}

/// Where a statement came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VexSource {
    /// Format.
    pub format: VexFormat,
    /// Input name as the caller passed it.
    pub document: String,
    /// Document id (`@id`, CSAF tracking id, CycloneDX serial number) when present.
    pub document_id: Option<String>,
    /// Author / publisher when present.
    pub author: Option<String>,
}

/// Which versions of a product a statement covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSpec {
    /// Every version (or: the identified component, whatever its version).
    Any,
    /// Exactly this version.
    Exact(String),
    /// A purl `vers:` range (`vers:semver/>=2.2.0|<=2.4.0`).
    Range(String),
}

/// The product (or subcomponent) a statement is about. At least one identifier is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct VexProduct {
    /// Package URL; when it carries `@version`, [`VexProduct::version`] is `Exact` of that version.
    pub purl: Option<String>,
    /// CycloneDX `bom-ref` (BOM-link prefix `urn:cdx:…#` removed).
    pub bom_ref: Option<String>,
    /// CPE.
    pub cpe: Option<String>,
    /// CSAF product id.
    pub product_id: Option<String>,
    /// Human-readable name.
    pub name: Option<String>,
    /// Versions covered.
    pub version: VersionSpec,
}

impl VexProduct {
    pub(crate) fn empty() -> Self {
        VexProduct {
            purl: None,
            bom_ref: None,
            cpe: None,
            product_id: None,
            name: None,
            version: VersionSpec::Any,
        }
    }

    /// A product identified by a purl; a version in the purl becomes `Exact`.
    pub fn from_purl(purl: &str) -> Self {
        let version = match purl_version(purl) {
            Some(v) => VersionSpec::Exact(v),
            None => VersionSpec::Any,
        };
        VexProduct {
            purl: Some(purl.to_owned()),
            version,
            ..VexProduct::empty()
        }
    }
}

/// One VEX statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VexStatement {
    /// Vulnerability id (CVE, GHSA, OSV id…).
    pub vulnerability: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// The product the statement is about.
    pub product: VexProduct,
    /// The component inside the product that carries the vulnerability, when named.
    pub subcomponent: Option<VexProduct>,
    /// Status.
    pub status: VexStatus,
    /// Justification (for `NotAffected`).
    pub justification: Option<Justification>,
    /// Free-text impact statement (why not affected).
    pub impact_statement: Option<String>,
    /// Free-text action statement (what to do when affected).
    pub action_statement: Option<String>,
    /// When the statement was made (RFC 3339 as written).
    pub timestamp: Option<String>,
    /// Where it came from.
    pub source: VexSource,
}

impl VexStatement {
    /// Does this statement name `id` (as its id or one of its aliases)?
    pub fn concerns(&self, id: &str) -> bool {
        self.vulnerability == id || self.aliases.iter().any(|a| a == id)
    }
}

/// Parse a VEX document of any supported format (OpenVEX, CycloneDX, CSAF), detected by content.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Vec<VexStatement>, ParseError> {
    crate::source::check_json_depth(name, bytes, crate::source::Limits::DEFAULT.max_depth)?;
    match sniff(bytes) {
        Some(VexFormat::OpenVex) => openvex::parse(name, bytes),
        Some(VexFormat::CycloneDx) => cyclonedx::parse(name, bytes),
        Some(VexFormat::Csaf) => Ok(crate::csaf::parse(name, bytes)?.vex_statements(name)),
        None => Err(ParseError::new(
            name,
            ParseErrorKind::UnknownFormat,
            "not a VEX document: no `@context` (OpenVEX), `bomFormat` (CycloneDX) or `csaf_version` (CSAF) key",
        )),
    }
}

/// Parse an OpenVEX document.
pub fn parse_openvex(name: &str, bytes: &[u8]) -> Result<Vec<VexStatement>, ParseError> {
    openvex::parse(name, bytes)
}

/// Parse the `vulnerabilities` of a CycloneDX (VEX) BOM.
pub fn parse_cyclonedx(name: &str, bytes: &[u8]) -> Result<Vec<VexStatement>, ParseError> {
    cyclonedx::parse(name, bytes)
}

/// Find which format a JSON document is by looking for a distinguishing key.
fn sniff(bytes: &[u8]) -> Option<VexFormat> {
    let has_key = |key: &[u8]| {
        bytes.windows(key.len()).enumerate().any(|(i, w)| {
            w == key
                && bytes[i + key.len()..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    == Some(&b':')
        })
    };
    if has_key(b"\"bomFormat\"") {
        Some(VexFormat::CycloneDx)
    } else if has_key(b"\"csaf_version\"") {
        Some(VexFormat::Csaf)
    } else if has_key(b"\"@context\"") || has_key(b"\"statements\"") {
        Some(VexFormat::OpenVex)
    } else {
        None
    }
}

/// The (percent-decoded) version of a purl, if it has one.
pub(crate) fn purl_version(purl: &str) -> Option<String> {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let body = &purl[..end];
    let at = body.rfind('@')?;
    // An '@' in the namespace/name part is percent-encoded, so the last one before `?`/`#` is the version
    // separator - unless it precedes the last '/', which cannot happen in a valid purl.
    if body[at..].contains('/') {
        return None;
    }
    let v = percent_decode(&body[at + 1..]);
    (!v.is_empty()).then_some(v)
}

/// The purl without `@version`, qualifiers and subpath.
pub(crate) fn purl_base(purl: &str) -> &str {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let body = &purl[..end];
    match body.rfind('@') {
        Some(at) if !body[at..].contains('/') => &body[..at],
        _ => body,
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_helpers() {
        assert_eq!(
            purl_version("pkg:maven/a/b@1.0%2B2?type=jar").as_deref(),
            Some("1.0+2")
        );
        assert_eq!(purl_base("pkg:maven/a/b@1.0?type=jar"), "pkg:maven/a/b");
        assert_eq!(purl_version("pkg:npm/%40scope/x"), None);
        assert_eq!(purl_base("pkg:npm/%40scope/x"), "pkg:npm/%40scope/x");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(
            sniff(br#"{"bomFormat" : "CycloneDX"}"#),
            Some(VexFormat::CycloneDx)
        );
        assert_eq!(sniff(br#"{"@context": "x"}"#), Some(VexFormat::OpenVex));
        assert_eq!(
            sniff(br#"{"document": {"csaf_version":"2.0"}}"#),
            Some(VexFormat::Csaf)
        );
        assert_eq!(sniff(br#"{"text": "bomFormat"}"#), None);
    }
}

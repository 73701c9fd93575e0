//! Scanning one SBOM against the index, with VEX statements applied to the findings.

use super::{versions_equal, AdvisoryIndex, EvalIssue, Finding};
use crate::purl::Purl;
use crate::sbom::{Component, Sbom};
use crate::vers::VersionRange;
use crate::vex::{Justification, VersionSpec, VexProduct, VexStatement, VexStatus};

/// The VEX statement applied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppliedVex {
    /// Status.
    pub status: VexStatus,
    /// Justification.
    pub justification: Option<Justification>,
    /// Impact statement.
    pub impact_statement: Option<String>,
    /// Action statement.
    pub action_statement: Option<String>,
    /// Timestamp.
    pub timestamp: Option<String>,
    /// Vulnerability id as the statement wrote it.
    pub vulnerability: String,
    /// Input name of the VEX document.
    pub document: String,
}

impl From<&VexStatement> for AppliedVex {
    fn from(s: &VexStatement) -> Self {
        AppliedVex {
            status: s.status,
            justification: s.justification.clone(),
            impact_statement: s.impact_statement.clone(),
            action_statement: s.action_statement.clone(),
            timestamp: s.timestamp.clone(),
            vulnerability: s.vulnerability.clone(),
            document: s.source.document.clone(),
        }
    }
}

/// A component that could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotChecked {
    /// Component name.
    pub name: String,
    /// `bom-ref`.
    pub bom_ref: Option<String>,
    /// Why: no purl, invalid purl, no version, or no known version ordering.
    pub reason: String,
}

/// The result of [`scan_report`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScanReport {
    /// Findings, in component order.
    pub findings: Vec<Finding>,
    /// Components that could not be checked.
    pub not_checked: Vec<NotChecked>,
    /// Versions that could not be evaluated against an advisory of their package.
    pub issues: Vec<EvalIssue>,
    /// Components checked.
    pub checked: usize,
}

/// Scan an SBOM: every component with a valid purl and a version is matched; VEX statements are
/// attached to the findings they apply to (see [`applicable_vex`]).
pub fn scan(sbom: &Sbom, index: &AdvisoryIndex, vex: &[VexStatement]) -> Vec<Finding> {
    scan_report(sbom, index, vex).findings
}

/// [`scan`], also reporting what could not be checked.
pub fn scan_report(sbom: &Sbom, index: &AdvisoryIndex, vex: &[VexStatement]) -> ScanReport {
    let mut report = ScanReport::default();
    for c in &sbom.components {
        let not_checked = |reason: String| NotChecked {
            name: c.name.clone(),
            bom_ref: c.bom_ref.clone(),
            reason,
        };
        let Some(purl) = &c.purl else {
            let reason = match (&c.purl_raw, &c.purl_error) {
                (Some(raw), Some(e)) => format!("invalid purl {raw:?}: {e}"),
                _ => "no purl".to_owned(),
            };
            report.not_checked.push(not_checked(reason));
            continue;
        };
        let Some(version) = purl.version().or(c.version.as_deref()) else {
            report
                .not_checked
                .push(not_checked("no version".to_owned()));
            continue;
        };
        let key = purl.package_key();
        if key.ecosystem().is_none() {
            report.not_checked.push(not_checked(format!(
                "no version ordering for purl type {:?}",
                key.purl_type
            )));
            continue;
        }
        report.checked += 1;
        let start = report.findings.len();
        index.evaluate(
            &key,
            version,
            None,
            &mut report.findings,
            &mut report.issues,
        );
        // One vulnerability published by several advisories (GO, GHSA, CVE…) is one finding.
        let found = report.findings.split_off(start);
        report
            .findings
            .extend(crate::identity::merge_findings(found));
        for f in &mut report.findings[start..] {
            f.bom_ref = c.bom_ref.clone();
            f.purl = c.purl_raw.clone();
            f.vex = applicable_vex(f, Some(c), sbom.metadata_component.as_ref(), vex)
                .map(AppliedVex::from);
        }
    }
    report
}

/// The VEX statement that applies to a finding, if any: it must name the advisory (id or alias) and
/// either (a) name the component (by `bom-ref`, purl package + version/range, or CPE), or (b) name the
/// SBOM's subject (its metadata component) with no subcomponent or with a subcomponent naming the
/// component, or (c) name no product at all (a statement about whatever it is supplied with). Among
/// several, the most recent (by timestamp) wins; later statements win ties.
pub fn applicable_vex<'a>(
    finding: &Finding,
    component: Option<&Component>,
    subject: Option<&Component>,
    vex: &'a [VexStatement],
) -> Option<&'a VexStatement> {
    let mut best: Option<&VexStatement> = None;
    for s in vex {
        let names_it =
            s.concerns(&finding.advisory_id) || finding.aliases.iter().any(|a| s.concerns(a));
        if !names_it {
            continue;
        }
        let comp_matches = |p: &VexProduct| component.is_some_and(|c| product_matches(p, c));
        let subject_matches = |p: &VexProduct| subject.is_some_and(|c| product_matches(p, c));
        let applies = match &s.subcomponent {
            Some(sub) => {
                comp_matches(sub)
                    && (subject.is_none() || subject_matches(&s.product) || is_unnamed(&s.product))
            }
            None => {
                is_unnamed(&s.product) || comp_matches(&s.product) || subject_matches(&s.product)
            }
        };
        if applies && best.is_none_or(|b| s.timestamp >= b.timestamp) {
            best = Some(s);
        }
    }
    best
}

fn is_unnamed(p: &VexProduct) -> bool {
    p.purl.is_none()
        && p.bom_ref.is_none()
        && p.cpe.is_none()
        && p.product_id.is_none()
        && p.name.is_none()
}

/// Does a VEX product name this component (identity and version)?
pub(crate) fn product_matches(p: &VexProduct, c: &Component) -> bool {
    let eco = c.purl.as_ref().and_then(|u| u.package_key().ecosystem());
    let version = c
        .purl
        .as_ref()
        .and_then(Purl::version)
        .or(c.version.as_deref());
    let identity = match (&p.bom_ref, &c.bom_ref) {
        (Some(a), Some(b)) if a == b => true,
        _ => match (&p.purl, &c.purl) {
            (Some(pp), Some(cp)) => pp
                .parse::<Purl>()
                .is_ok_and(|vp| vp.package_key() == cp.package_key()),
            _ => matches!((&p.cpe, &c.cpe), (Some(a), Some(b)) if a == b),
        },
    };
    identity
        && match &p.version {
            VersionSpec::Any => true,
            VersionSpec::Exact(x) => version.is_some_and(|v| versions_equal(eco, x, v)),
            VersionSpec::Range(r) => version.is_some_and(|v| {
                VersionRange::parse(r)
                    .and_then(|r| r.contains(v))
                    .unwrap_or(false)
            }),
        }
}

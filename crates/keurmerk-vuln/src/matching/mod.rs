//! The matching index: advisories keyed by package ([`PackageKey`]: purl type + name normalised per
//! type), evaluated exactly ([`CompiledAffected`] for OSV, per-ecosystem equality and `vers:` ranges for
//! CSAF), and a component-side [`PortfolioIndex`] so that one advisory is matched against a whole
//! portfolio by looking only at the components that share its keys.
//!
//! Nothing here is approximate: a component is reported only when its version parses under its
//! ecosystem's rules and the advisory's own evaluation says it is affected. Versions that cannot be
//! evaluated are reported as [`EvalIssue`]s, never as findings.

mod portfolio;
mod scan;

use std::collections::HashMap;
use std::sync::Arc;

use crate::csaf::CsafAdvisory;
use crate::osv::{CompiledAffected, Osv, SeverityBucket};
use crate::purl::{PackageKey, Purl};
use crate::source::AdvisoryDoc;
use crate::vers::VersionRange;
use crate::version::{self, Ecosystem};
use crate::vex::{purl_base, VersionSpec};

pub use portfolio::{PortfolioIndex, PortfolioMatch};
pub use scan::{applicable_vex, scan, scan_report, AppliedVex, NotChecked, ScanReport};

/// One advisory that affects one installed package version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    /// Advisory id (OSV id, or CVE / id of a CSAF vulnerability).
    pub advisory_id: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// The package.
    pub package: PackageKey,
    /// The installed version, as the SBOM / caller wrote it.
    pub installed_version: String,
    /// Versions that fix it for this installed version (OSV: the `fixed` event closing the affecting
    /// range; CSAF: fixed product versions). Empty when no fix is known.
    pub fixed_versions: Vec<String>,
    /// Severity bucket of the advisory.
    pub severity: Option<SeverityBucket>,
    /// The SBOM component (`bom-ref`) the finding is about, when from a scan.
    pub bom_ref: Option<String>,
    /// The component's purl as written, when from a scan.
    pub purl: Option<String>,
    /// The VEX statement that applies, if any (most recent wins).
    pub vex: Option<AppliedVex>,
}

/// A version that could not be evaluated against an advisory (it does not parse under the
/// ecosystem's rules, or the advisory's own versions do not).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvalIssue {
    /// Advisory id.
    pub advisory_id: String,
    /// Package.
    pub package: PackageKey,
    /// Version that was tested.
    pub version: String,
    /// What went wrong.
    pub error: String,
}

/// An advisory that could not be (fully) indexed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndexIssue {
    /// Advisory id.
    pub advisory_id: String,
    /// What went wrong.
    pub error: String,
}

#[derive(Debug, Clone)]
struct AdvisoryMeta {
    /// The id shown in findings (OSV id; CVE of a CSAF vulnerability).
    display_id: Arc<str>,
    aliases: Arc<[String]>,
    severity: Option<SeverityBucket>,
    keys: Vec<PackageKey>,
}

#[derive(Debug)]
struct CsafRule {
    ecosystem: Option<Ecosystem>,
    any: bool,
    exact: Vec<String>,
    ranges: Vec<VersionRange>,
    fixed: Vec<String>,
}

#[derive(Debug)]
enum Rule {
    Osv(CompiledAffected),
    Csaf(CsafRule),
}

#[derive(Debug)]
struct Entry {
    adv: u32,
    rule: Rule,
}

/// Advisories indexed by [`PackageKey`].
#[derive(Debug, Default)]
pub struct AdvisoryIndex {
    advisories: Vec<Option<AdvisoryMeta>>,
    by_id: HashMap<Arc<str>, u32>,
    by_key: HashMap<PackageKey, Vec<Entry>>,
    issues: Vec<IndexIssue>,
}

fn versions_equal(eco: Option<Ecosystem>, a: &str, b: &str) -> bool {
    a == b || eco.is_some_and(|e| version::compare(e, a, b) == Ok(std::cmp::Ordering::Equal))
}

impl Rule {
    /// `Ok(Some(fixed versions))` when affected, `Ok(None)` when not.
    fn evaluate(&self, version: &str) -> Result<Option<Vec<String>>, String> {
        match self {
            Rule::Osv(c) => {
                if c.affects(version).map_err(|e| e.to_string())? {
                    Ok(Some(c.fixed_versions(version).unwrap_or_default()))
                } else {
                    Ok(None)
                }
            }
            Rule::Csaf(r) => {
                let mut hit = r.any
                    || r.exact
                        .iter()
                        .any(|e| versions_equal(r.ecosystem, e, version));
                if !hit {
                    for range in &r.ranges {
                        if range.contains(version).map_err(|e| e.to_string())? {
                            hit = true;
                            break;
                        }
                    }
                }
                Ok(hit.then(|| r.fixed.clone()))
            }
        }
    }
}

/// Compile an `affected` entry, dropping from its `versions` list every version its ranges already
/// cover. The result is the same for every tested version (a version equal to a covered one is
/// covered too, as ranges and list use the same ordering), but real lists - PyPI records enumerate
/// every affected release, 53 on average - mostly disappear, which keeps large indexes small.
fn compile_pruned(a: &crate::osv::Affected) -> Result<CompiledAffected, crate::osv::OsvError> {
    if a.versions.is_empty() || a.ranges.is_empty() {
        return a.compile();
    }
    let ranges_only = crate::osv::Affected {
        versions: Vec::new(),
        ..a.clone()
    };
    let compiled = ranges_only.compile()?;
    let leftover: Vec<String> = a
        .versions
        .iter()
        .filter(|v| !compiled.affects(v).unwrap_or(false))
        .cloned()
        .collect();
    if leftover.is_empty() {
        return Ok(compiled);
    }
    crate::osv::Affected {
        versions: leftover,
        ..ranges_only
    }
    .compile()
}

impl AdvisoryIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of advisories indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index holds no advisory.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Number of distinct package keys.
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }

    /// Entries that could not be indexed (unsupported ecosystem, unparsable event versions…).
    pub fn issues(&self) -> &[IndexIssue] {
        &self.issues
    }

    /// The package keys an OSV record touches (without indexing it).
    pub fn osv_keys(osv: &Osv) -> Vec<PackageKey> {
        let mut keys: Vec<PackageKey> = osv
            .affected
            .iter()
            .filter_map(crate::osv::Affected::package_key)
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The package keys an indexed advisory touches (`advisory_id`: the OSV id, or
    /// [`CsafAdvisory::index_id`]).
    pub fn keys_of(&self, advisory_id: &str) -> &[PackageKey] {
        self.by_id
            .get(advisory_id)
            .and_then(|&i| self.advisories[i as usize].as_ref())
            .map_or(&[], |m| m.keys.as_slice())
    }

    /// Remove an advisory (OSV id or [`CsafAdvisory::index_id`]); returns the keys it touched.
    pub fn remove(&mut self, advisory_id: &str) -> Vec<PackageKey> {
        let Some(slot) = self.by_id.remove(advisory_id) else {
            return Vec::new();
        };
        let Some(meta) = self.advisories[slot as usize].take() else {
            return Vec::new();
        };
        for k in &meta.keys {
            if let Some(entries) = self.by_key.get_mut(k) {
                entries.retain(|e| e.adv != slot);
                if entries.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
        meta.keys
    }

    fn begin(
        &mut self,
        id: &str,
        display_id: &str,
        aliases: Vec<String>,
        severity: Option<SeverityBucket>,
    ) -> (u32, Vec<PackageKey>) {
        let old = self.remove(id);
        let slot = u32::try_from(self.advisories.len()).unwrap_or(u32::MAX);
        let id: Arc<str> = Arc::from(id);
        self.advisories.push(Some(AdvisoryMeta {
            display_id: if *id == *display_id {
                id.clone()
            } else {
                Arc::from(display_id)
            },
            aliases: aliases.into(),
            severity,
            keys: Vec::new(),
        }));
        self.by_id.insert(id, slot);
        (slot, old)
    }

    fn add_entry(&mut self, slot: u32, key: PackageKey, rule: Rule) {
        if let Some(Some(meta)) = self.advisories.get_mut(slot as usize) {
            if !meta.keys.contains(&key) {
                meta.keys.push(key.clone());
            }
        }
        self.by_key
            .entry(key)
            .or_default()
            .push(Entry { adv: slot, rule });
    }

    fn finish(&mut self, slot: u32, mut old: Vec<PackageKey>) -> Vec<PackageKey> {
        if let Some(Some(meta)) = self.advisories.get(slot as usize) {
            old.extend(meta.keys.iter().cloned());
        }
        old.sort();
        old.dedup();
        old
    }

    /// Index (or replace) an OSV record. Returns every key whose matches may have changed: the keys of
    /// the previous version of the record (if any) and of this one. A withdrawn record is removed.
    pub fn insert_osv(&mut self, osv: &Osv) -> Vec<PackageKey> {
        if osv.is_withdrawn() {
            return self.remove(&osv.id);
        }
        let (slot, old) = self.begin(&osv.id, &osv.id, osv.aliases.clone(), osv.severity_bucket());
        for a in &osv.affected {
            let Some(key) = a.package_key() else {
                continue;
            };
            match compile_pruned(a) {
                Ok(c) => self.add_entry(slot, key, Rule::Osv(c)),
                Err(e) => {
                    // The ranges cannot be evaluated (an event version is invalid in its ecosystem),
                    // but the explicit `versions` list still can: keep that much, and say so.
                    let versions_only = crate::osv::Affected {
                        ranges: Vec::new(),
                        ..a.clone()
                    };
                    let kept = !versions_only.versions.is_empty();
                    if let (true, Ok(c)) = (kept, versions_only.compile()) {
                        self.add_entry(slot, key.clone(), Rule::Osv(c));
                    }
                    self.issues.push(IndexIssue {
                        advisory_id: osv.id.clone(),
                        error: format!(
                            "{key}: {e}; ranges ignored{}",
                            if kept { ", `versions` list kept" } else { "" }
                        ),
                    });
                }
            }
        }
        self.finish(slot, old)
    }

    /// Index (or replace) one CSAF vulnerability under [`CsafAdvisory::index_id`] (document id and
    /// vulnerability id, so that two vendors' documents about one CVE do not replace each other);
    /// findings show the vulnerability id. Returns the keys touched (old and new).
    pub fn insert_csaf(&mut self, adv: &CsafAdvisory) -> Vec<PackageKey> {
        let (slot, old) = self.begin(
            &adv.index_id(),
            &adv.id,
            adv.aliases.clone(),
            adv.cvss_score.map(SeverityBucket::from_score),
        );
        for pkg in &adv.packages {
            let purl: Purl = match purl_base(&pkg.purl).parse() {
                Ok(p) => p,
                Err(e) => {
                    self.issues.push(IndexIssue {
                        advisory_id: adv.id.clone(),
                        error: format!("{}: {e}", pkg.purl),
                    });
                    continue;
                }
            };
            let key = purl.package_key();
            let ecosystem = key.ecosystem();
            let mut rule = CsafRule {
                ecosystem,
                any: false,
                exact: Vec::new(),
                ranges: Vec::new(),
                fixed: pkg.fixed.clone(),
            };
            for spec in &pkg.affected {
                match spec {
                    VersionSpec::Any => rule.any = true,
                    VersionSpec::Exact(v) => rule.exact.push(v.clone()),
                    VersionSpec::Range(r) => match VersionRange::parse(r) {
                        Ok(r) => rule.ranges.push(r),
                        Err(e) => self.issues.push(IndexIssue {
                            advisory_id: adv.id.clone(),
                            error: format!("{r}: {e}"),
                        }),
                    },
                }
            }
            self.add_entry(slot, key, Rule::Csaf(rule));
        }
        self.finish(slot, old)
    }

    /// Index a loaded document (an OSV record, or every vulnerability of a CSAF document).
    pub fn insert(&mut self, doc: &AdvisoryDoc) -> Vec<PackageKey> {
        match doc {
            AdvisoryDoc::Osv(o) => self.insert_osv(o),
            AdvisoryDoc::Csaf(c) => {
                let mut keys: Vec<PackageKey> = c
                    .advisories()
                    .iter()
                    .flat_map(|a| self.insert_csaf(a))
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            }
        }
    }

    /// Whether any advisory is indexed under `key`.
    pub fn contains_key(&self, key: &PackageKey) -> bool {
        self.by_key.contains_key(key)
    }

    /// Evaluate every advisory of `key` (or only `only`, an advisory id) against `version`.
    pub(crate) fn evaluate(
        &self,
        key: &PackageKey,
        version: &str,
        only: Option<u32>,
        findings: &mut Vec<Finding>,
        issues: &mut Vec<EvalIssue>,
    ) {
        let Some(entries) = self.by_key.get(key) else {
            return;
        };
        let start = findings.len();
        for e in entries {
            if only.is_some_and(|o| o != e.adv) {
                continue;
            }
            let Some(Some(meta)) = self.advisories.get(e.adv as usize) else {
                continue;
            };
            match e.rule.evaluate(version) {
                Ok(Some(fixed)) => {
                    // One advisory may list the same package twice (e.g. two `affected` entries);
                    // report it once, merging fixed versions.
                    if let Some(f) = findings[start..]
                        .iter_mut()
                        .find(|f| *f.advisory_id == *meta.display_id)
                    {
                        for v in fixed {
                            if !f.fixed_versions.contains(&v) {
                                f.fixed_versions.push(v);
                            }
                        }
                        continue;
                    }
                    findings.push(Finding {
                        advisory_id: meta.display_id.to_string(),
                        aliases: meta.aliases.to_vec(),
                        package: key.clone(),
                        installed_version: version.to_owned(),
                        fixed_versions: fixed,
                        severity: meta.severity,
                        bom_ref: None,
                        purl: None,
                        vex: None,
                    });
                }
                Ok(None) => {}
                Err(error) => issues.push(EvalIssue {
                    advisory_id: meta.display_id.to_string(),
                    package: key.clone(),
                    version: version.to_owned(),
                    error,
                }),
            }
        }
    }

    pub(crate) fn slot_of(&self, advisory_id: &str) -> Option<u32> {
        self.by_id.get(advisory_id).copied()
    }

    /// Findings for one package version, one per vulnerability: advisories that name one
    /// another (aliases) give one finding ([`crate::identity::merge_findings`]).
    pub fn match_version(&self, key: &PackageKey, version: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        self.evaluate(key, version, None, &mut findings, &mut Vec::new());
        crate::identity::merge_findings(findings)
    }

    /// Findings for a purl with a version (none when the purl has no version).
    pub fn match_component(&self, purl: &Purl) -> Vec<Finding> {
        let Some(version) = purl.version() else {
            return Vec::new();
        };
        let mut findings = self.match_version(&purl.package_key(), version);
        let text = purl.to_string();
        for f in &mut findings {
            f.purl = Some(text.clone());
        }
        findings
    }
}

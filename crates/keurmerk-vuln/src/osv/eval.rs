//! The OSV "Evaluation" algorithm, exactly as the schema's pseudocode states it:
//!
//! ```text
//! affected  = v in affected.versions  ||  IncludedInRanges(v, affected.ranges)
//! per range (when BeforeLimits: no limit events, or v < some limit; "*" is infinity):
//!   vulnerable = false
//!   for evt in sorted(range.events):          # "0" sorts before every version
//!     if   evt.introduced    and v >= evt.introduced:    vulnerable = true
//!     elif evt.fixed         and v >= evt.fixed:         vulnerable = false
//!     elif evt.last_affected and v >  evt.last_affected: vulnerable = false
//!   if vulnerable: return true
//! ```
//!
//! Events are sorted with the ordering of the range type: `SEMVER` ranges use SemVer 2.0 (Go's
//! flavour for Go packages, so `v` prefixes and pseudo-versions work; npm's for npm), `ECOSYSTEM`
//! ranges the package ecosystem's ordering. Events at equal versions keep their document order
//! (a stable sort). `GIT` ranges need a repository's commit graph and never match a package
//! version; the `versions` list still applies to such entries. Version equality for the `versions`
//! list uses the ecosystem's equality when both sides parse, otherwise exact string equality.

use std::cmp::Ordering;

use super::{Affected, Event, RangeType};
use crate::version::{Ecosystem, Version, VersionError};

/// Why an `affected` entry could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OsvError {
    /// An `ECOSYSTEM` range for an ecosystem whose ordering this crate does not implement.
    #[error("no version ordering for OSV ecosystem {0:?}")]
    UnsupportedEcosystem(String),
    /// A version (tested or in an event) does not parse under the range's ordering.
    #[error("{role} version: {source}")]
    Version {
        /// `tested`, `introduced`, `fixed`, `last_affected` or `limit`.
        role: &'static str,
        /// The parse error.
        source: VersionError,
    },
}

#[derive(Debug, Clone)]
enum Bound {
    Zero,
    At(Version),
    Infinity,
}

impl Bound {
    /// `v` compared with this bound.
    fn cmp_version(&self, v: &Version) -> Ordering {
        match self {
            Bound::Zero => Ordering::Greater,
            Bound::Infinity => Ordering::Less,
            // Both sides were parsed with the same ecosystem, so `try_cmp` cannot fail.
            Bound::At(b) => v.try_cmp(b).unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_bound(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) | (Bound::Infinity, Bound::Infinity) => Ordering::Equal,
            (Bound::Zero, _) | (_, Bound::Infinity) => Ordering::Less,
            (_, Bound::Zero) | (Bound::Infinity, _) => Ordering::Greater,
            (Bound::At(a), Bound::At(b)) => a.try_cmp(b).unwrap_or(Ordering::Equal),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

#[derive(Debug, Clone)]
struct CompiledRange {
    ecosystem: Ecosystem,
    events: Vec<(Kind, Bound, String)>,
    limits: Vec<Bound>,
}

/// An `affected` entry with every event version parsed and sorted once, for repeated evaluation.
#[derive(Debug, Clone)]
pub struct CompiledAffected {
    ecosystem: Option<Ecosystem>,
    versions: Vec<String>,
    parsed_versions: Vec<Version>,
    ranges: Vec<CompiledRange>,
}

fn parse(eco: Ecosystem, role: &'static str, s: &str) -> Result<Version, OsvError> {
    Version::parse(eco, s).map_err(|source| OsvError::Version { role, source })
}

impl CompiledAffected {
    /// Parses and sorts the events of every applicable range.
    pub fn new(affected: &Affected) -> Result<Self, OsvError> {
        let ecosystem = affected.ecosystem();
        let mut ranges = Vec::new();
        for r in &affected.ranges {
            let eco = match r.kind {
                RangeType::Semver => match ecosystem {
                    Some(e @ (Ecosystem::Go | Ecosystem::Npm | Ecosystem::Cargo)) => e,
                    _ => Ecosystem::SemVer,
                },
                RangeType::Ecosystem => ecosystem.ok_or_else(|| {
                    OsvError::UnsupportedEcosystem(
                        affected
                            .package
                            .as_ref()
                            .map(|p| p.ecosystem.clone())
                            .unwrap_or_default(),
                    )
                })?,
                RangeType::Git | RangeType::Unknown => continue,
            };
            let mut events = Vec::new();
            let mut limits = Vec::new();
            for e in &r.events {
                match e {
                    Event::Introduced(v) if v == "0" => {
                        events.push((Kind::Introduced, Bound::Zero, v.clone()));
                    }
                    Event::Introduced(v) => events.push((
                        Kind::Introduced,
                        Bound::At(parse(eco, "introduced", v)?),
                        v.clone(),
                    )),
                    Event::Fixed(v) => {
                        events.push((Kind::Fixed, Bound::At(parse(eco, "fixed", v)?), v.clone()));
                    }
                    Event::LastAffected(v) => events.push((
                        Kind::LastAffected,
                        Bound::At(parse(eco, "last_affected", v)?),
                        v.clone(),
                    )),
                    Event::Limit(v) if v.contains('*') => limits.push(Bound::Infinity),
                    Event::Limit(v) => limits.push(Bound::At(parse(eco, "limit", v)?)),
                }
            }
            sort_events(&mut events);
            ranges.push(CompiledRange {
                ecosystem: eco,
                events,
                limits,
            });
        }
        let parsed_versions = match ecosystem {
            Some(eco) => affected
                .versions
                .iter()
                .filter_map(|v| Version::parse(eco, v).ok())
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            ecosystem,
            versions: affected.versions.clone(),
            parsed_versions,
            ranges,
        })
    }

    /// `IncludedInVersions || IncludedInRanges` for `version`.
    pub fn affects(&self, version: &str) -> Result<bool, OsvError> {
        if self.in_versions(version) {
            return Ok(true);
        }
        let mut parsed: Option<Version> = None;
        for r in &self.ranges {
            let v = tested(&mut parsed, r.ecosystem, version)?;
            if r.walk(v).0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The `fixed` versions that end each range affecting `version` (the first `fixed` event
    /// above it), deduplicated in range order. Empty when `version` is unaffected or when the
    /// affecting ranges have no fix (open-ended or `last_affected` only).
    pub fn fixed_versions(&self, version: &str) -> Result<Vec<String>, OsvError> {
        let mut out: Vec<String> = Vec::new();
        let mut parsed: Option<Version> = None;
        for r in &self.ranges {
            let v = tested(&mut parsed, r.ecosystem, version)?;
            if let (true, Some(fix)) = r.walk(v) {
                if !out.iter().any(|f| f == fix) {
                    out.push(fix.to_owned());
                }
            }
        }
        Ok(out)
    }

    fn in_versions(&self, version: &str) -> bool {
        if self.versions.iter().any(|v| v == version) {
            return true;
        }
        match self.ecosystem.map(|e| Version::parse(e, version)) {
            Some(Ok(v)) => self
                .parsed_versions
                .iter()
                .any(|p| v.try_cmp(p) == Ok(Ordering::Equal)),
            _ => false,
        }
    }
}

/// Stable binary insertion sort of events by bound; unlike `sort_by` it cannot panic when an
/// ecosystem's ordering is not transitive (see [`crate::version::sort_by_version`]).
fn sort_events(events: &mut Vec<(Kind, Bound, String)>) {
    let mut sorted: Vec<(Kind, Bound, String)> = Vec::with_capacity(events.len());
    for e in events.drain(..) {
        let (mut lo, mut hi) = (0, sorted.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if sorted[mid].1.cmp_bound(&e.1) == Ordering::Greater {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        sorted.insert(lo, e);
    }
    *events = sorted;
}

/// Parses the tested version for `eco`, reusing the previous parse when the ecosystem matches.
fn tested<'a>(
    slot: &'a mut Option<Version>,
    eco: Ecosystem,
    version: &str,
) -> Result<&'a Version, OsvError> {
    if slot.as_ref().map(Version::ecosystem) != Some(eco) {
        *slot = Some(parse(eco, "tested", version)?);
    }
    slot.as_ref()
        .ok_or(OsvError::UnsupportedEcosystem(String::new()))
}

impl CompiledRange {
    /// Runs the schema's loop; returns whether `v` is vulnerable and, if so, the first `fixed`
    /// event above it.
    fn walk(&self, v: &Version) -> (bool, Option<&str>) {
        let before_limits = self.limits.is_empty()
            || self
                .limits
                .iter()
                .any(|l| l.cmp_version(v) == Ordering::Less);
        if !before_limits {
            return (false, None);
        }
        let mut vulnerable = false;
        for (kind, at, _) in &self.events {
            let o = at.cmp_version(v);
            match kind {
                Kind::Introduced if o != Ordering::Less => vulnerable = true,
                Kind::Fixed if o != Ordering::Less => vulnerable = false,
                Kind::LastAffected if o == Ordering::Greater => vulnerable = false,
                _ => {}
            }
        }
        if !vulnerable {
            return (false, None);
        }
        let fix = self
            .events
            .iter()
            .find(|(kind, at, _)| *kind == Kind::Fixed && at.cmp_version(v) == Ordering::Less)
            .map(|(_, _, raw)| raw.as_str());
        (true, fix)
    }
}

impl Affected {
    /// Whether `version` of this entry's package is affected (the schema's evaluation).
    pub fn affects(&self, version: &str) -> Result<bool, OsvError> {
        CompiledAffected::new(self)?.affects(version)
    }

    /// The fixed versions relevant to an affected `version` (see
    /// [`CompiledAffected::fixed_versions`]).
    pub fn fixed_versions(&self, version: &str) -> Result<Vec<String>, OsvError> {
        CompiledAffected::new(self)?.fixed_versions(version)
    }

    /// Parses and sorts the events once for repeated evaluation.
    pub fn compile(&self) -> Result<CompiledAffected, OsvError> {
        CompiledAffected::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::{Package, Range};

    fn affected(eco: &str, kind: RangeType, events: Vec<Event>) -> Affected {
        Affected {
            package: Some(Package {
                ecosystem: eco.to_owned(),
                name: "p".to_owned(),
                purl: None,
            }),
            severity: vec![],
            ranges: vec![Range {
                kind,
                repo: None,
                events,
                database_specific: None,
            }],
            versions: vec![],
            ecosystem_specific: None,
            database_specific: None,
        }
    }

    use Event::{Fixed, Introduced, LastAffected, Limit};

    fn s(v: &str) -> String {
        v.to_owned()
    }

    #[test]
    fn schema_examples() {
        // "Unfixed vulnerability example": everything is affected.
        let a = affected("npm", RangeType::Semver, vec![Introduced(s("0"))]);
        assert!(a.affects("0.0.1").unwrap() && a.affects("99.0.0").unwrap());
        // "Fixed vulnerability example": everything before 1.0.2.
        let a = affected(
            "npm",
            RangeType::Semver,
            vec![Introduced(s("0")), Fixed(s("1.0.2"))],
        );
        assert!(a.affects("1.0.1").unwrap());
        assert!(a.affects("1.0.2-rc.1").unwrap());
        assert!(!a.affects("1.0.2").unwrap());
        // "Multiple range example": [1.0.0, 1.0.2) and [3.0.0, 3.2.5), events given out of order.
        let a = affected(
            "npm",
            RangeType::Semver,
            vec![
                Introduced(s("3.0.0")),
                Fixed(s("1.0.2")),
                Fixed(s("3.2.5")),
                Introduced(s("1.0.0")),
            ],
        );
        for (v, want) in [
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.0.1", true),
            ("1.0.2", false),
            ("2.0.0", false),
            ("3.0.0", true),
            ("3.2.4", true),
            ("3.2.5", false),
        ] {
            assert_eq!(a.affects(v).unwrap(), want, "{v}");
        }
        assert_eq!(a.fixed_versions("3.1.0").unwrap(), vec!["3.2.5".to_owned()]);
        assert_eq!(a.fixed_versions("1.0.0").unwrap(), vec!["1.0.2".to_owned()]);
        assert!(a.fixed_versions("2.0.0").unwrap().is_empty());
        // "last_affected vs fixed example".
        let a = affected(
            "PyPI",
            RangeType::Ecosystem,
            vec![Introduced(s("0")), LastAffected(s("2.1.214"))],
        );
        assert!(a.affects("2.1.214").unwrap());
        assert!(a.affects("2.1.214.post1").is_ok_and(|b| !b));
        assert!(a.fixed_versions("2.0").unwrap().is_empty());
    }

    #[test]
    fn limits() {
        let a = affected(
            "Go",
            RangeType::Semver,
            vec![Introduced(s("1.0.0")), Limit(s("1.5.0"))],
        );
        assert!(a.affects("v1.4.0").unwrap());
        assert!(!a.affects("v1.5.0").unwrap());
        let a = affected(
            "Go",
            RangeType::Semver,
            vec![Introduced(s("1.0.0")), Limit(s("*"))],
        );
        assert!(a.affects("v9.0.0").unwrap());
    }

    #[test]
    fn go_pseudo_versions_and_prefixes() {
        let a = affected(
            "Go",
            RangeType::Semver,
            vec![Introduced(s("0")), Fixed(s("0.3.7"))],
        );
        assert!(a.affects("v0.3.6").unwrap());
        assert!(
            a.affects("v0.3.7-0.20210101000000-abcdefabcdef").unwrap(),
            "a pseudo-version is below its release"
        );
        assert!(!a.affects("v0.3.7").unwrap());
        assert!(!a.affects("v0.3.8-0.20210101000000-abcdefabcdef").unwrap());
    }

    #[test]
    fn ecosystem_orderings_apply() {
        let a = affected(
            "Debian:12",
            RangeType::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("1.0-2"))],
        );
        assert!(a.affects("1.0~rc1-5").unwrap());
        assert!(a.affects("1.0-1").unwrap());
        assert!(
            !a.affects("1:0.5-1").unwrap(),
            "an epoch outranks everything"
        );
        let a = affected(
            "Maven",
            RangeType::Ecosystem,
            vec![Introduced(s("2.0-beta9")), Fixed(s("2.15.0"))],
        );
        assert!(a.affects("2.0").unwrap());
        assert!(a.affects("2.14.1").unwrap());
        assert!(!a.affects("2.0-alpha1").unwrap());
        assert!(!a.affects("2.15.0").unwrap());
    }

    #[test]
    fn versions_list_and_git_ranges() {
        let mut a = affected(
            "PyPI",
            RangeType::Git,
            vec![Introduced(s("abc")), Fixed(s("def"))],
        );
        a.versions = vec![s("1.0"), s("1.1")];
        assert!(a.affects("1.0").unwrap());
        assert!(a.affects("1.0.0").unwrap(), "PEP 440 equality");
        assert!(
            !a.affects("1.2").unwrap(),
            "GIT ranges never match package versions"
        );
    }

    #[test]
    fn errors() {
        let a = affected("Linux", RangeType::Ecosystem, vec![Introduced(s("0"))]);
        assert!(matches!(
            a.affects("1"),
            Err(OsvError::UnsupportedEcosystem(_))
        ));
        let a = affected(
            "npm",
            RangeType::Semver,
            vec![Introduced(s("0")), Fixed(s("1.x"))],
        );
        assert!(matches!(
            a.affects("1.0.0"),
            Err(OsvError::Version { role: "fixed", .. })
        ));
        let a = affected("npm", RangeType::Semver, vec![Introduced(s("0"))]);
        assert!(matches!(
            a.affects("banana"),
            Err(OsvError::Version { role: "tested", .. })
        ));
    }

    #[test]
    fn multiple_introduced_and_repeated_ranges() {
        // Two branches in one range, plus a second range: any range affecting is enough.
        let mut a = affected(
            "crates.io",
            RangeType::Semver,
            vec![
                Introduced(s("0.1.0")),
                Fixed(s("0.1.5")),
                Introduced(s("0.2.0")),
                Fixed(s("0.2.3")),
            ],
        );
        a.ranges.push(Range {
            kind: RangeType::Ecosystem,
            repo: None,
            events: vec![Introduced(s("1.0.0"))],
            database_specific: None,
        });
        for (v, want) in [
            ("0.1.4", true),
            ("0.1.9", false),
            ("0.2.2", true),
            ("0.2.3", false),
            ("0.9.0", false),
            ("1.2.0", true),
        ] {
            assert_eq!(a.affects(v).unwrap(), want, "{v}");
        }
        let c = a.compile().unwrap();
        assert!(c.affects("0.2.0").unwrap());
    }
}

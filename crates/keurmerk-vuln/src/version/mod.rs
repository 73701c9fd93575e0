//! Exact, per-ecosystem version ordering.
//!
//! Every ecosystem orders versions by its own rules, and a vulnerability match is only as good as
//! the comparison behind it. Each submodule implements one ecosystem's documented algorithm:
//!
//! | [`Ecosystem`] | rules | module |
//! | --- | --- | --- |
//! | `Npm`, `Cargo`, `SemVer` | SemVer 2.0.0 §11 (build metadata ignored) | [`semver`] |
//! | `Go` | Go modules: SemVer with `v`, shorthand `v1`/`v1.2`, pseudo-versions are pre-releases | [`semver`] |
//! | `PyPI` | PEP 440 (epoch, pre/post/dev, local) | [`pep440`] |
//! | `Maven` | Maven `ComparableVersion` (3.9 rules) | [`maven`] |
//! | `Debian` | dpkg `verrevcmp` (epoch, upstream, revision, `~`) | [`dpkg`] |
//! | `Rpm` | `rpmvercmp` (epoch:version-release, `~`, `^`) | [`rpm`] |
//! | `Alpine` | apk-tools `version.c` (suffixes, `-rN`) | [`apk`] |
//! | `NuGet` | NuGet SemVer (4 parts, case-insensitive labels) | [`nuget`] |
//! | `RubyGems` | `Gem::Version` | [`gem`] |
//! | `Packagist` | Composer / PHP `version_compare` | [`composer`] |
//! | `Generic` | numeric-aware segment comparison | [`generic`] |
//!
//! Use [`compare`] (or [`compare_str`] with an ecosystem name) for one-off comparisons, or parse
//! once with [`Version::parse`] and compare the parsed values when the same version is compared many
//! times (as the OSV evaluator does).

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod gem;
pub mod generic;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod semver;

mod ecosystem;

pub use ecosystem::Ecosystem;

use std::cmp::Ordering;
use std::fmt;

/// Why a version string could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The ecosystem name is not one this crate knows (neither a purl type nor an OSV ecosystem).
    #[error("unknown ecosystem {0:?}")]
    UnknownEcosystem(String),
    /// The version string is not valid in its ecosystem.
    #[error("invalid {ecosystem} version {version:?}: {reason}")]
    Invalid {
        /// Ecosystem whose rules were applied.
        ecosystem: Ecosystem,
        /// The offending input.
        version: String,
        /// What is wrong and where (byte offsets are 0-based).
        reason: String,
    },
    /// Two parsed versions of different ecosystems were compared.
    #[error("cannot compare a {left} version with a {right} version")]
    EcosystemMismatch {
        /// Ecosystem of the left operand.
        left: Ecosystem,
        /// Ecosystem of the right operand.
        right: Ecosystem,
    },
}

impl VersionError {
    pub(crate) fn invalid(ecosystem: Ecosystem, version: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            ecosystem,
            version: version.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A version parsed under one ecosystem's rules.
///
/// `Version`s of the same ecosystem compare with [`Version::try_cmp`]; the original text is kept and
/// returned by [`Version::as_str`] and `Display`.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    SemVer(Ecosystem, semver::SemVer),
    Go(semver::SemVer),
    Pep440(pep440::Pep440Version),
    Maven(maven::MavenVersion),
    Debian(dpkg::DebianVersion),
    Rpm(rpm::RpmVersion),
    Apk(apk::ApkVersion),
    NuGet(nuget::NuGetVersion),
    Gem(gem::GemVersion),
    Composer(composer::ComposerVersion),
    Generic(generic::GenericVersion),
}

impl Version {
    /// Parses `text` under the rules of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Self, VersionError> {
        let err = |reason: String| VersionError::invalid(ecosystem, text, reason);
        let inner = match ecosystem {
            Ecosystem::Npm => {
                Inner::SemVer(ecosystem, semver::SemVer::parse_npm(text).map_err(err)?)
            }
            Ecosystem::Cargo | Ecosystem::SemVer => {
                Inner::SemVer(ecosystem, semver::SemVer::parse(text).map_err(err)?)
            }
            Ecosystem::Go => Inner::Go(semver::SemVer::parse_go(text).map_err(err)?),
            Ecosystem::PyPI => Inner::Pep440(pep440::Pep440Version::parse(text).map_err(err)?),
            Ecosystem::Maven => Inner::Maven(maven::MavenVersion::parse(text).map_err(err)?),
            Ecosystem::Debian => Inner::Debian(dpkg::DebianVersion::parse(text).map_err(err)?),
            Ecosystem::Rpm => Inner::Rpm(rpm::RpmVersion::parse(text).map_err(err)?),
            Ecosystem::Alpine => Inner::Apk(apk::ApkVersion::parse(text).map_err(err)?),
            Ecosystem::NuGet => Inner::NuGet(nuget::NuGetVersion::parse(text).map_err(err)?),
            Ecosystem::RubyGems => Inner::Gem(gem::GemVersion::parse(text).map_err(err)?),
            Ecosystem::Packagist => {
                Inner::Composer(composer::ComposerVersion::parse(text).map_err(err)?)
            }
            Ecosystem::Generic => {
                Inner::Generic(generic::GenericVersion::parse(text).map_err(err)?)
            }
        };
        Ok(Self {
            text: text.to_owned(),
            inner,
        })
    }

    /// The ecosystem whose rules this version was parsed with.
    pub fn ecosystem(&self) -> Ecosystem {
        match &self.inner {
            Inner::SemVer(e, _) => *e,
            Inner::Go(_) => Ecosystem::Go,
            Inner::Pep440(_) => Ecosystem::PyPI,
            Inner::Maven(_) => Ecosystem::Maven,
            Inner::Debian(_) => Ecosystem::Debian,
            Inner::Rpm(_) => Ecosystem::Rpm,
            Inner::Apk(_) => Ecosystem::Alpine,
            Inner::NuGet(_) => Ecosystem::NuGet,
            Inner::Gem(_) => Ecosystem::RubyGems,
            Inner::Composer(_) => Ecosystem::Packagist,
            Inner::Generic(_) => Ecosystem::Generic,
        }
    }

    /// The text this version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Orders two versions of the same ecosystem; versions of different ecosystems are an error.
    pub fn try_cmp(&self, other: &Self) -> Result<Ordering, VersionError> {
        Ok(match (&self.inner, &other.inner) {
            (Inner::SemVer(a_eco, a), Inner::SemVer(b_eco, b)) if a_eco == b_eco => a.cmp(b),
            (Inner::Go(a), Inner::Go(b)) => a.cmp(b),
            (Inner::Pep440(a), Inner::Pep440(b)) => a.cmp(b),
            (Inner::Maven(a), Inner::Maven(b)) => a.cmp(b),
            (Inner::Debian(a), Inner::Debian(b)) => a.cmp(b),
            (Inner::Rpm(a), Inner::Rpm(b)) => a.cmp(b),
            (Inner::Apk(a), Inner::Apk(b)) => a.cmp(b),
            (Inner::NuGet(a), Inner::NuGet(b)) => a.cmp(b),
            (Inner::Gem(a), Inner::Gem(b)) => a.cmp(b),
            (Inner::Composer(a), Inner::Composer(b)) => a.cmp(b),
            (Inner::Generic(a), Inner::Generic(b)) => a.cmp(b),
            _ => {
                return Err(VersionError::EcosystemMismatch {
                    left: self.ecosystem(),
                    right: other.ecosystem(),
                })
            }
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Compares two version strings under `ecosystem`'s rules.
///
/// ```
/// use keurmerk_vuln::version::{compare, Ecosystem};
/// use std::cmp::Ordering;
/// assert_eq!(compare(Ecosystem::Debian, "1.0~rc1", "1.0").unwrap(), Ordering::Less);
/// ```
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Version::parse(ecosystem, a)?.try_cmp(&Version::parse(ecosystem, b)?)
}

/// Like [`compare`], with the ecosystem given by name: a purl type (`npm`, `cargo`, `golang`,
/// `pypi`, `maven`, `deb`, `rpm`, `apk`, `nuget`, `gem`, `composer`, `generic`) or an OSV
/// ecosystem (`Go`, `PyPI`, `crates.io`, `Debian:12`, `Red Hat`, ...).
pub fn compare_str(ecosystem: &str, a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare(ecosystem.parse()?, a, b)
}

/// Sorts `items` by version, stably and without ever panicking.
///
/// `slice::sort_by` may panic when a comparison is not a total order, and some reference
/// algorithms are not (Maven's `ComparableVersion` has cycles such as `4-sp` < `4-ga-alpha` <
/// `4` < `4-sp`). This binary insertion sort only ever asks "is the existing item greater?", so
/// inconsistent input yields *some* order instead of a panic. Items whose versions cannot be
/// compared (different ecosystems) are treated as equal.
pub fn sort_by_version<T>(items: &mut Vec<T>, key: impl Fn(&T) -> &Version) {
    let mut sorted: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let (mut lo, mut hi) = (0, sorted.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let greater = key(&sorted[mid]).try_cmp(key(&item)) == Ok(Ordering::Greater);
            if greater {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        sorted.insert(lo, item);
    }
    *items = sorted;
}

/// Compares two runs of ASCII digits numerically without overflow (leading zeros ignored).
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_by_name_accepts_purl_and_osv_spellings() {
        assert_eq!(compare_str("golang", "v1.2.3", "1.2.4"), Ok(Ordering::Less));
        assert_eq!(compare_str("Go", "1.2.3", "1.2.3"), Ok(Ordering::Equal));
        assert_eq!(
            compare_str("crates.io", "1.0.0", "1.0.0-rc.1"),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            compare_str("Debian:12", "1:1.0", "2.0"),
            Ok(Ordering::Greater)
        );
        assert!(matches!(
            compare_str("cobol", "1", "2"),
            Err(VersionError::UnknownEcosystem(_))
        ));
    }

    #[test]
    fn mismatched_ecosystems_are_an_error() {
        let a = Version::parse(Ecosystem::Npm, "1.0.0").unwrap();
        let b = Version::parse(Ecosystem::Cargo, "1.0.0").unwrap();
        assert!(a.try_cmp(&b).is_err());
    }

    #[test]
    fn sorting_survives_non_transitive_orders() {
        let mut vs: Vec<Version> = ["4", "4-ga-alpha", "4-sp", "1", "4", "10"]
            .iter()
            .map(|v| Version::parse(Ecosystem::Maven, v).unwrap())
            .collect();
        sort_by_version(&mut vs, |v| v);
        assert_eq!(vs.len(), 6);
        assert_eq!(vs[0].as_str(), "1");
        let mut ok: Vec<Version> = ["1.10", "1.2", "1.0~rc1", "1.0"]
            .iter()
            .map(|v| Version::parse(Ecosystem::Debian, v).unwrap())
            .collect();
        sort_by_version(&mut ok, |v| v);
        let got: Vec<&str> = ok.iter().map(Version::as_str).collect();
        assert_eq!(got, ["1.0~rc1", "1.0", "1.2", "1.10"]);
    }

    #[test]
    fn digit_runs_compare_numerically() {
        assert_eq!(cmp_digits("010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("000", ""), Ordering::Equal);
        assert_eq!(
            cmp_digits("123456789012345678901234567890", "2"),
            Ordering::Greater
        );
    }
}

//! The purl version range specifier, `vers:<scheme>/<constraint>|<constraint>|...`
//! (<https://github.com/package-url/purl-spec/blob/main/VERSION-RANGE-SPEC.rst>).
//!
//! [`VersionRange::parse`] follows the spec's parsing procedure (spaces removed, `|`-separated
//! constraints, comparators `=` (implicit), `!=`, `<`, `<=`, `>`, `>=`, a lone `*`, percent-decoding)
//! and its validation rules: constraints are sorted by the scheme's version ordering, each version
//! occurs once, and, ignoring `!=`, an `=` is followed only by `=`, `>` or `>=`, and, ignoring `=` and
//! `!=`, lesser and greater comparators alternate. [`VersionRange::contains`] implements the spec's
//! containment algorithm. The schemes `all` and `none` (with `*`) match every or no version.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::version::{Ecosystem, Version, VersionError};

/// A `vers` comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=` (written without a comparator in canonical form).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Comparator {
    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    fn is_lesser(self) -> bool {
        matches!(self, Self::Lt | Self::Le)
    }

    fn is_greater(self) -> bool {
        matches!(self, Self::Gt | Self::Ge)
    }
}

/// One `<comparator><version>` constraint.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The comparator.
    pub comparator: Comparator,
    /// The version, parsed under the range's scheme.
    pub version: Version,
}

/// Why a `vers` string is invalid or a containment check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersError {
    /// Not of the form `vers:<scheme>/<constraints>`.
    #[error("a version range must look like \"vers:<scheme>/<constraints>\"")]
    Syntax,
    /// The URI scheme or versioning scheme is not lowercase.
    #[error("{0:?} must be lowercase")]
    NotLowercase(String),
    /// The versioning scheme is not one with known version rules.
    #[error("unknown versioning scheme {0:?}")]
    UnknownScheme(String),
    /// Nothing after the `/`.
    #[error("the range has no constraints")]
    Empty,
    /// Characters outside printable ASCII.
    #[error("the range contains a non-printable or non-ASCII character at byte {0}")]
    NotPrintableAscii(usize),
    /// `*` combined with other constraints.
    #[error("'*' must be the only constraint")]
    StarNotAlone,
    /// A constraint has a comparator but no version.
    #[error("constraint {index} has no version")]
    EmptyVersion {
        /// 0-based position of the constraint as written.
        index: usize,
    },
    /// A version is invalid in the scheme (or badly percent-encoded).
    #[error("constraint {index}: {source}")]
    Version {
        /// 0-based position of the constraint as written.
        index: usize,
        /// The version error.
        source: VersionError,
    },
    /// The same version occurs in two constraints.
    #[error("version {0:?} occurs more than once")]
    DuplicateVersion(String),
    /// Two neighbouring constraints (after sorting) make the range empty or redundant.
    #[error("invalid range: {first:?} cannot be followed by {second:?}")]
    InvalidSequence {
        /// The first constraint, as written in canonical form.
        first: String,
        /// The constraint that may not follow it.
        second: String,
    },
    /// The tested version could not be parsed under the range's scheme.
    #[error("tested version: {0}")]
    TestedVersion(VersionError),
}

#[derive(Debug, Clone)]
enum Body {
    /// `*`: every version.
    Star,
    /// `vers:none/*`: no version.
    Nothing,
    Constraints(Vec<Constraint>),
}

/// A parsed, validated and sorted `vers` range.
#[derive(Debug, Clone)]
pub struct VersionRange {
    scheme: String,
    ecosystem: Option<Ecosystem>,
    body: Body,
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl VersionRange {
    /// Parses and validates a `vers` string.
    ///
    /// ```
    /// use keurmerk_vuln::vers::VersionRange;
    /// let r = VersionRange::parse("vers:npm/1.2.3|>=2.0.0|<5.0.0").unwrap();
    /// assert!(r.contains("2.5.0").unwrap());
    /// assert!(!r.contains("1.2.4").unwrap());
    /// ```
    pub fn parse(input: &str) -> Result<Self, VersError> {
        if let Some(i) = input
            .bytes()
            .position(|b| !(b.is_ascii_graphic() || b == b' ' || b == b'\t'))
        {
            return Err(VersError::NotPrintableAscii(i));
        }
        let s: String = input.chars().filter(|c| *c != ' ' && *c != '\t').collect();
        let (uri, rest) = s.split_once(':').ok_or(VersError::Syntax)?;
        if uri != "vers" {
            return Err(if uri.eq_ignore_ascii_case("vers") {
                VersError::NotLowercase(uri.to_owned())
            } else {
                VersError::Syntax
            });
        }
        let (scheme, constraints) = rest.split_once('/').ok_or(VersError::Syntax)?;
        if scheme.is_empty() {
            return Err(VersError::Syntax);
        }
        if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(VersError::NotLowercase(scheme.to_owned()));
        }
        if constraints.is_empty() {
            return Err(VersError::Empty);
        }
        let special = matches!(scheme, "all" | "none");
        let ecosystem = if special {
            None
        } else {
            Some(
                Ecosystem::from_purl_type(scheme)
                    .ok_or_else(|| VersError::UnknownScheme(scheme.to_owned()))?,
            )
        };
        if constraints == "*" {
            let body = if scheme == "none" {
                Body::Nothing
            } else {
                Body::Star
            };
            return Ok(Self {
                scheme: scheme.to_owned(),
                ecosystem,
                body,
            });
        }
        if constraints.contains('*') {
            return Err(VersError::StarNotAlone);
        }
        let Some(eco) = ecosystem else {
            // `all` and `none` take only `*`.
            return Err(VersError::UnknownScheme(scheme.to_owned()));
        };
        let mut list = Vec::new();
        for (index, raw) in constraints.split('|').filter(|c| !c.is_empty()).enumerate() {
            let (comparator, v) = [
                (">=", Comparator::Ge),
                ("<=", Comparator::Le),
                ("!=", Comparator::Ne),
                ("<", Comparator::Lt),
                (">", Comparator::Gt),
                ("=", Comparator::Eq),
            ]
            .into_iter()
            .find_map(|(p, c)| raw.strip_prefix(p).map(|v| (c, v)))
            .unwrap_or((Comparator::Eq, raw));
            if v.is_empty() {
                return Err(VersError::EmptyVersion { index });
            }
            let v = if v.contains('%') {
                percent_decode(v).ok_or_else(|| VersError::Version {
                    index,
                    source: VersionError::Invalid {
                        ecosystem: eco,
                        version: v.to_owned(),
                        reason: "invalid percent-encoding".to_owned(),
                    },
                })?
            } else {
                v.to_owned()
            };
            let version =
                Version::parse(eco, &v).map_err(|source| VersError::Version { index, source })?;
            list.push(Constraint {
                comparator,
                version,
            });
        }
        if list.is_empty() {
            return Err(VersError::Empty);
        }
        // Same ecosystem throughout, so `try_cmp` cannot fail; `Equal` is the harmless fallback.
        let cmp = |a: &Version, b: &Version| a.try_cmp(b).unwrap_or(Ordering::Equal);
        // Not `sort_by`: some schemes (Maven) are not transitive and `sort_by` may panic then.
        crate::version::sort_by_version(&mut list, |c| &c.version);
        for w in list.windows(2) {
            if cmp(&w[0].version, &w[1].version) == Ordering::Equal {
                return Err(VersError::DuplicateVersion(w[1].version.to_string()));
            }
        }
        let render = |c: &Constraint| format!("{}{}", c.comparator.as_str(), c.version);
        let no_ne: Vec<&Constraint> = list
            .iter()
            .filter(|c| c.comparator != Comparator::Ne)
            .collect();
        for w in no_ne.windows(2) {
            if w[0].comparator == Comparator::Eq
                && !matches!(
                    w[1].comparator,
                    Comparator::Eq | Comparator::Gt | Comparator::Ge
                )
            {
                return Err(VersError::InvalidSequence {
                    first: render(w[0]),
                    second: render(w[1]),
                });
            }
        }
        let bounds: Vec<&Constraint> = no_ne
            .into_iter()
            .filter(|c| c.comparator != Comparator::Eq)
            .collect();
        for w in bounds.windows(2) {
            let ok = (w[0].comparator.is_lesser() && w[1].comparator.is_greater())
                || (w[0].comparator.is_greater() && w[1].comparator.is_lesser());
            if !ok {
                return Err(VersError::InvalidSequence {
                    first: render(w[0]),
                    second: render(w[1]),
                });
            }
        }
        Ok(Self {
            scheme: scheme.to_owned(),
            ecosystem,
            body: Body::Constraints(list),
        })
    }

    /// The versioning scheme as written (`npm`, `deb`, `all`, ...).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The ecosystem whose ordering applies (`None` for `all` and `none`).
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        self.ecosystem
    }

    /// The constraints, sorted by version (empty for `*`).
    pub fn constraints(&self) -> &[Constraint] {
        match &self.body {
            Body::Constraints(c) => c,
            Body::Star | Body::Nothing => &[],
        }
    }

    /// Whether `version` (parsed under the range's scheme) lies in the range.
    pub fn contains(&self, version: &str) -> Result<bool, VersError> {
        match (&self.body, self.ecosystem) {
            (Body::Star, _) => Ok(true),
            (Body::Nothing, _) => Ok(false),
            (Body::Constraints(_), Some(eco)) => {
                let v = Version::parse(eco, version).map_err(VersError::TestedVersion)?;
                self.contains_version(&v)
            }
            (Body::Constraints(_), None) => Ok(false),
        }
    }

    /// Whether an already parsed version lies in the range (the spec's containment algorithm).
    pub fn contains_version(&self, v: &Version) -> Result<bool, VersError> {
        let list = match &self.body {
            Body::Star => return Ok(true),
            Body::Nothing => return Ok(false),
            Body::Constraints(c) => c,
        };
        let cmp = |c: &Constraint| v.try_cmp(&c.version).map_err(VersError::TestedVersion);
        for c in list {
            if cmp(c)? == Ordering::Equal {
                match c.comparator {
                    Comparator::Eq | Comparator::Le | Comparator::Ge => return Ok(true),
                    Comparator::Ne => return Ok(false),
                    Comparator::Lt | Comparator::Gt => {}
                }
            }
        }
        let bounds: Vec<&Constraint> = list
            .iter()
            .filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        if bounds.is_empty() {
            // Only `!=` constraints: every other version is in. (With `=` constraints present the
            // equality check above already answered.)
            return Ok(list.iter().all(|c| c.comparator == Comparator::Ne));
        }
        if bounds.len() == 1 {
            // The spec's pairwise walk has no pair here; a lone bound is an open interval.
            let c = bounds[0];
            let o = cmp(c)?;
            return Ok(if c.comparator.is_lesser() {
                o == Ordering::Less
            } else {
                o == Ordering::Greater
            });
        }
        let last = bounds.len() - 2;
        for (i, w) in bounds.windows(2).enumerate() {
            let (cur, next) = (w[0], w[1]);
            if i == 0 && cur.comparator.is_lesser() && cmp(cur)? == Ordering::Less {
                return Ok(true);
            }
            if i == last && next.comparator.is_greater() && cmp(next)? == Ordering::Greater {
                return Ok(true);
            }
            if cur.comparator.is_greater()
                && next.comparator.is_lesser()
                && cmp(cur)? == Ordering::Greater
                && cmp(next)? == Ordering::Less
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl FromStr for VersionRange {
    type Err = VersError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for VersionRange {
    /// The canonical form: constraints sorted by version, `=` omitted, special characters quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme)?;
        match &self.body {
            Body::Star | Body::Nothing => f.write_str("*"),
            Body::Constraints(list) => {
                for (i, c) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    f.write_str(c.comparator.as_str())?;
                    for ch in c.version.as_str().chars() {
                        if "><=!*|%".contains(ch) || !ch.is_ascii_graphic() {
                            let mut buf = [0u8; 4];
                            for b in ch.encode_utf8(&mut buf).bytes() {
                                write!(f, "%{b:02X}")?;
                            }
                        } else {
                            write!(f, "{ch}")?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> VersionRange {
        VersionRange::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn spec_examples() {
        let npm = r("vers:npm/1.2.3|>=2.0.0|<5.0.0");
        for (v, want) in [
            ("1.2.3", true),
            ("1.2.4", false),
            ("2.0.0", true),
            ("4.9.9", true),
            ("5.0.0", false),
            ("0.1.0", false),
        ] {
            assert_eq!(npm.contains(v).unwrap(), want, "{v}");
        }
        let tomee = r("vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1");
        for (v, want) in [
            ("1.0.0-beta1", true),
            ("1.7.5", true),
            ("1.7.6", false),
            ("7.0.0-M2", true),
            ("7.0.8", false),
            ("7.1.1", true),
            ("8.0.0", true),
            ("8.0.2", false),
            ("0.9", false),
        ] {
            assert_eq!(tomee.contains(v).unwrap(), want, "{v}");
        }
        let pypi = r("vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1");
        assert!(
            pypi.contains("2.0rc1").unwrap(),
            "PEP 440 equality: pre1 == rc1"
        );
        assert!(!pypi.contains("2.0").unwrap());
        let gem = r("vers:gem/>=2.2.0|!= 2.2.1|<2.3.0");
        assert!(gem.contains("2.2.0").unwrap());
        assert!(!gem.contains("2.2.1").unwrap());
        assert!(gem.contains("2.2.5").unwrap());
        assert!(!gem.contains("2.3.0").unwrap());
        assert!(r("vers:deb/*").contains("1:2.0-1").unwrap());
        assert!(r("vers:all/*").contains("anything").unwrap());
        assert!(!r("vers:none/*").contains("1.0").unwrap());
    }

    #[test]
    fn open_ended_and_canonical() {
        let lt = r("vers:golang/<v1.2.3");
        assert!(lt.contains("v1.2.2").unwrap());
        assert!(lt.contains("v1.2.3-0.20200101000000-abcdefabcdef").unwrap());
        assert!(!lt.contains("v1.2.3").unwrap());
        let ge = r("vers:deb/>=1.0~rc1");
        assert!(ge.contains("1.0").unwrap());
        assert!(!ge.contains("0.9").unwrap());
        assert!(r("vers:npm/!=1.0.0").contains("2.0.0").unwrap());
        let messy = r("vers:npm/ <5.0.0 | >= 2.0.0 |1.2.3||");
        assert_eq!(messy.to_string(), "vers:npm/1.2.3|>=2.0.0|<5.0.0");
        assert_eq!(
            r("vers:generic/>=1%7C2").constraints()[0].version.as_str(),
            "1|2"
        );
        // Found by the `vers` fuzz target: a decoded control character must be re-encoded.
        let nl = r("vers:nuget/%0A0");
        assert_eq!(nl.to_string(), "vers:nuget/%0A0");
        assert_eq!(r(&nl.to_string()).to_string(), nl.to_string());
    }

    #[test]
    fn validation_errors() {
        assert_eq!(
            VersionRange::parse("npm/1.0").err(),
            Some(VersError::Syntax)
        );
        assert!(matches!(
            VersionRange::parse("VERS:npm/1.0.0"),
            Err(VersError::NotLowercase(_))
        ));
        assert!(matches!(
            VersionRange::parse("vers:NPM/1.0.0"),
            Err(VersError::NotLowercase(_))
        ));
        assert!(matches!(
            VersionRange::parse("vers:cobol/1"),
            Err(VersError::UnknownScheme(_))
        ));
        assert_eq!(
            VersionRange::parse("vers:npm/").err(),
            Some(VersError::Empty)
        );
        assert_eq!(
            VersionRange::parse("vers:npm/|").err(),
            Some(VersError::Empty)
        );
        assert_eq!(
            VersionRange::parse("vers:npm/*|1.0.0").err(),
            Some(VersError::StarNotAlone)
        );
        assert_eq!(
            VersionRange::parse("vers:npm/>=").err(),
            Some(VersError::EmptyVersion { index: 0 })
        );
        assert!(matches!(
            VersionRange::parse("vers:npm/1.0"),
            Err(VersError::Version { index: 0, .. })
        ));
        assert!(matches!(
            VersionRange::parse("vers:npm/1.0.0|<1.0.0"),
            Err(VersError::DuplicateVersion(_))
        ));
        assert!(matches!(
            VersionRange::parse("vers:npm/<1.0.0|<2.0.0"),
            Err(VersError::InvalidSequence { .. })
        ));
        assert!(matches!(
            VersionRange::parse("vers:npm/>1.0.0|>2.0.0"),
            Err(VersError::InvalidSequence { .. })
        ));
        assert!(matches!(
            VersionRange::parse("vers:npm/1.0.0|<2.0.0"),
            Err(VersError::InvalidSequence { .. })
        ));
        assert!(matches!(
            VersionRange::parse("vers:npm/1.0.0\u{e9}"),
            Err(VersError::NotPrintableAscii(_))
        ));
        assert!(matches!(
            r("vers:npm/<1.0.0").contains("x"),
            Err(VersError::TestedVersion(_))
        ));
    }
}

//! The OSV schema (<https://ossf.github.io/osv-schema/>): serde types for every field, tolerant of
//! fields this version does not know, and the schema's exact evaluation algorithm
//! ([`Affected::affects`], see [`eval`]) plus the severity of a record ([`cvss`]).

pub mod cvss;
pub mod eval;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub use cvss::{Severity as SeverityBucket, SeverityError};
pub use eval::{CompiledAffected, OsvError};

use crate::purl::PackageKey;
use crate::version::Ecosystem;

/// `null` and absent both mean "empty" for list fields.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list of version strings, tolerating bare numbers (unquoted YAML) and `null`.
fn version_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Option<Vec<Lenient>> = Option::deserialize(d)?;
    Ok(v.unwrap_or_default().into_iter().map(|l| l.0).collect())
}

/// One OSV record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Osv {
    /// Schema version the record follows (e.g. `1.6.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Identifier, `<DB>-<ENTRYID>`.
    pub id: String,
    /// Last modification, RFC 3339.
    pub modified: String,
    /// First publication, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Withdrawal time, RFC 3339; a withdrawn record must not be matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other ids for the same vulnerability (CVE, GHSA...).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// Ids of closely related but distinct vulnerabilities.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related: Vec<String>,
    /// Ids of upstream records this one derives from.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub upstream: Vec<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Details, CommonMark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Record-level severities.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Affected packages and versions.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub affected: Vec<Affected>,
    /// References (advisories, fixes, reports...).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// Credits.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub credits: Vec<Credit>,
    /// Database-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A `severity[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or label.
    pub score: String,
}

/// An `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package (optional in the schema for pure GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Package-level severities.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Affected ranges.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ranges: Vec<Range>,
    /// Enumerated affected versions.
    #[serde(
        default,
        deserialize_with = "version_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub versions: Vec<String>,
    /// Ecosystem-specific data (Go: affected symbols).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    /// Database-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// OSV ecosystem, possibly with a `:<release>` suffix.
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    pub name: String,
    /// Package URL without version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Type of an `affected[].ranges[]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RangeType {
    /// SemVer 2.0 precedence, no leading `v`.
    Semver,
    /// The package ecosystem's own ordering.
    Ecosystem,
    /// Git commits (needs the repository's graph; never matched against package versions).
    Git,
    /// A type this crate does not know.
    #[serde(other)]
    Unknown,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// How to interpret the event versions.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Repository URL (GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The timeline of status changes.
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<Event>,
    /// Database-specific data (no effect on evaluation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// One event of a range; exactly one key per object, as the schema requires.
///
/// (De)serialised as a one-key map (`{"introduced": "1.0"}`) in every format, YAML included;
/// numbers are accepted where a version string is expected, since unquoted YAML versions such as
/// `fixed: 2` arrive as numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The vulnerability is present from this version (`"0"`: from the beginning).
    Introduced(String),
    /// The vulnerability is fixed in this version.
    Fixed(String),
    /// The last version known to be affected.
    LastAffected(String),
    /// Upper limit of the range (`"*"`: infinity).
    Limit(String),
}

/// A version string that may have been written as a bare number.
struct Lenient(String);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a version string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Lenient, E> {
                Ok(Lenient(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct EventRepr {
    introduced: Option<Lenient>,
    fixed: Option<Lenient>,
    last_affected: Option<Lenient>,
    limit: Option<Lenient>,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = EventRepr::deserialize(d)?;
        let mut found = [
            r.introduced.map(|v| Event::Introduced(v.0)),
            r.fixed.map(|v| Event::Fixed(v.0)),
            r.last_affected.map(|v| Event::LastAffected(v.0)),
            r.limit.map(|v| Event::Limit(v.0)),
        ]
        .into_iter()
        .flatten();
        match (found.next(), found.next()) {
            (Some(e), None) => Ok(e),
            (None, _) => Err(serde::de::Error::custom(
                "an event needs one of introduced, fixed, last_affected or limit",
            )),
            (Some(_), Some(_)) => Err(serde::de::Error::custom(
                "an event may hold only one of introduced, fixed, last_affected or limit",
            )),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let key = match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        };
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(key, self.version())?;
        m.end()
    }
}

impl Event {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

/// A `references[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `ARTICLE`, `DETECTION`, `DISCUSSION`, `REPORT`, `FIX`, `INTRODUCED`, `GIT`,
    /// `PACKAGE`, `EVIDENCE`, `WEB`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// A `credits[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Who is credited.
    pub name: String,
    /// Contact URLs.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contact: Vec<String>,
    /// `FINDER`, `REPORTER`, `ANALYST`, `COORDINATOR`, `REMEDIATION_DEVELOPER`, ...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Osv {
    /// Parses one OSV JSON document; the error names the JSON path of the problem.
    pub fn from_json(json: &str) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de)
    }

    /// True if the record has been withdrawn and must not produce matches.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The OSV `IsVulnerable(pkg, v)`: whether any `affected` entry for `key` includes `version`.
    /// Withdrawn records affect nothing.
    pub fn affects(&self, key: &PackageKey, version: &str) -> Result<bool, OsvError> {
        if self.is_withdrawn() {
            return Ok(false);
        }
        for a in &self.affected {
            if a.package_key().as_ref() == Some(key) && a.affects(version)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The severity bucket: the highest score among the record- and package-level vectors of the
    /// most exact CVSS version present (v3, then the v4 approximation, then v2), else the highest
    /// other severity label (`Ubuntu`), else a `database_specific.severity` label (GHSA
    /// `MODERATE`...), else `None`.
    pub fn severity_bucket(&self) -> Option<SeverityBucket> {
        let vectors = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()));
        // Exact scores first: CVSS v3 is computed exactly, v4 only approximated (see `cvss`),
        // v2 is coarse; other types (e.g. `Ubuntu`) are labels.
        let all: Vec<&Severity> = vectors.collect();
        let from_vectors = ["CVSS_V3", "CVSS_V4", "CVSS_V2"]
            .iter()
            .find_map(|kind| {
                all.iter()
                    .filter(|s| s.kind == *kind)
                    .filter_map(|s| cvss::bucket_for(&s.kind, &s.score).ok())
                    .max()
            })
            .or_else(|| {
                all.iter()
                    .filter_map(|s| cvss::bucket_for(&s.kind, &s.score).ok())
                    .max()
            });
        from_vectors.or_else(|| {
            let label = |v: &Option<Value>| {
                v.as_ref()
                    .and_then(|d| d.get("severity"))
                    .and_then(Value::as_str)
                    .and_then(SeverityBucket::from_label)
            };
            label(&self.database_specific).or_else(|| {
                self.affected
                    .iter()
                    .filter_map(|a| {
                        label(&a.database_specific).or_else(|| label(&a.ecosystem_specific))
                    })
                    .max()
            })
        })
    }
}

impl Affected {
    /// The version ordering for this entry's package, from its OSV ecosystem name.
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        self.package
            .as_ref()
            .and_then(|p| Ecosystem::from_osv(&p.ecosystem))
    }

    /// The index key for this entry's package (`None` without a package or for an OSV ecosystem
    /// without a purl type).
    pub fn package_key(&self) -> Option<PackageKey> {
        let p = self.package.as_ref()?;
        PackageKey::from_osv(&p.ecosystem, &p.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        let json = r#"{
            "id": "X-1", "modified": "2024-01-01T00:00:00Z", "aliases": null,
            "future_field": {"a": 1},
            "affected": [{"package": {"ecosystem": "npm", "name": "x", "unknown": true}, "versions": [1, "2"],
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]},
                                     {"type": "SOMETHING_NEW", "events": []}]}]
        }"#;
        let osv = Osv::from_json(json).unwrap();
        assert!(osv.aliases.is_empty());
        assert_eq!(osv.affected[0].versions, ["1", "2"]);
        assert_eq!(osv.affected[0].ranges[1].kind, RangeType::Unknown);
        let back: Osv = serde_json::from_str(&serde_json::to_string(&osv).unwrap()).unwrap();
        assert_eq!(back, osv);
    }

    #[test]
    fn severity_prefers_exact_cvss() {
        let mut osv = Osv::from_json(r#"{"id": "X-1", "modified": "t"}"#).unwrap();
        osv.severity = vec![
            Severity {
                kind: "CVSS_V4".into(),
                score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            },
            Severity {
                kind: "CVSS_V3".into(),
                score: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N".into(),
            },
        ];
        assert_eq!(osv.severity_bucket(), Some(SeverityBucket::Medium));
        osv.severity.remove(1);
        assert_eq!(osv.severity_bucket(), Some(SeverityBucket::Critical));
        osv.severity = vec![Severity {
            kind: "Ubuntu".into(),
            score: "low".into(),
        }];
        assert_eq!(osv.severity_bucket(), Some(SeverityBucket::Low));
    }

    #[test]
    fn errors_name_the_path() {
        let json = r#"{"id": "X-1", "modified": "t", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"fixd": "1"}]}]}]}"#;
        let two = r#"{"id": "X-1", "modified": "t", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1"}]}]}]}"#;
        assert!(Osv::from_json(two).is_err());
        let err = Osv::from_json(json).unwrap_err();
        assert!(
            err.path()
                .to_string()
                .starts_with("affected[0].ranges[0].events[0]"),
            "{err}"
        );
    }
}

//! ENISA EU Vulnerability Database (EUVD) records, read for what makes one vulnerability one
//! identity: the EUVD id and its `aliases` (CVE, GHSA, …; a newline-separated string) and the
//! base score. The affected products (`enisaIdProduct`) mix free-text versions and commit ranges
//! and are not matched; an EUVD record only joins ids.

use serde::Deserialize;

use crate::osv::SeverityBucket;
use crate::source::{check_json_depth, Limits, ParseError, ParseErrorKind};

/// Most aliases accepted on one record.
pub const MAX_ALIASES: usize = 256;

/// One EUVD record.
#[derive(Debug, Clone, PartialEq)]
pub struct EuvdRecord {
    /// `EUVD-YYYY-N`.
    pub id: String,
    /// Its other ids, in record order, without blanks or repeats.
    pub aliases: Vec<String>,
    /// The base score, when the record has one (`-1` means none).
    pub base_score: Option<f64>,
    /// `dateUpdated`, as written (for "unchanged since the last import").
    pub updated: String,
}

impl EuvdRecord {
    /// The severity bucket of the base score.
    pub fn severity(&self) -> Option<SeverityBucket> {
        self.base_score.map(SeverityBucket::from_score)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    id: String,
    #[serde(default)]
    aliases: Option<String>,
    #[serde(default)]
    base_score: Option<f64>,
    #[serde(default)]
    date_updated: Option<String>,
    #[serde(default)]
    date_published: Option<String>,
}

fn is_euvd_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("EUVD-") else {
        return false;
    };
    let Some((year, n)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (1..=19).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// An alias must look like an id: 3–100 characters of letters, digits, `-`, `_`, `.`, `:`.
fn is_id_like(s: &str) -> bool {
    (3..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Whether the bytes look like an EUVD record (a JSON object with an `enisaUuid` or an `EUVD-` id).
pub fn looks_like_euvd(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    head.trim_start().starts_with('{')
        && (head.contains("\"enisaUuid\"") || head.contains("\"EUVD-"))
}

/// Parses one EUVD record (JSON) under [`Limits::DEFAULT`].
pub fn parse(name: &str, bytes: &[u8]) -> Result<EuvdRecord, ParseError> {
    let limits = Limits::DEFAULT;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_document_bytes {
        return Err(ParseError::new(
            name,
            ParseErrorKind::LimitExceeded,
            format!(
                "{} bytes, more than the limit for one document",
                bytes.len()
            ),
        ));
    }
    check_json_depth(name, bytes, limits.max_depth)?;
    let raw: Raw = crate::source::error::json_from_slice(name, bytes)?;
    let schema = |field: &str, message: String| {
        ParseError::new(name, ParseErrorKind::Schema, message).with_field(field)
    };
    let id = raw.id.trim().to_owned();
    if !is_euvd_id(&id) {
        return Err(schema(
            "id",
            format!(
                "{:?} is not an EUVD id (EUVD-YYYY-N)",
                raw.id.chars().take(40).collect::<String>()
            ),
        ));
    }
    let mut aliases: Vec<String> = Vec::new();
    for (i, a) in raw
        .aliases
        .as_deref()
        .unwrap_or_default()
        .split(['\n', '\r', ','])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .enumerate()
    {
        if i >= MAX_ALIASES {
            return Err(ParseError::new(
                name,
                ParseErrorKind::LimitExceeded,
                format!("more than {MAX_ALIASES} aliases"),
            )
            .with_field("aliases"));
        }
        if !is_id_like(a) {
            return Err(schema(
                "aliases",
                format!(
                    "{:?} is not a vulnerability id",
                    a.chars().take(40).collect::<String>()
                ),
            ));
        }
        if a != id && !aliases.iter().any(|x| x.eq_ignore_ascii_case(a)) {
            aliases.push(a.to_owned());
        }
    }
    let base_score = match raw.base_score {
        None => None,
        Some(s) if s < 0.0 => None,
        Some(s) if s <= 10.0 => Some(s),
        Some(s) => {
            return Err(schema(
                "baseScore",
                format!("{s} is not a score between 0 and 10"),
            ))
        }
    };
    Ok(EuvdRecord {
        id,
        aliases,
        base_score,
        updated: raw.date_updated.or(raw.date_published).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_aliases_and_score() {
        let r = parse(
            "EUVD-2022-55189.json",
            br#"{"id": "EUVD-2022-55189", "enisaUuid": "x", "baseScore": 7.8,
                "aliases": "GHSA-6q3v-9ww3-wjw7\nCVE-2022-49939\n", "dateUpdated": "Aug 4, 2026, 9:07:06 AM"}"#,
        )
        .unwrap();
        assert_eq!(r.id, "EUVD-2022-55189");
        assert_eq!(r.aliases, vec!["GHSA-6q3v-9ww3-wjw7", "CVE-2022-49939"]);
        assert_eq!(r.severity(), Some(SeverityBucket::High));
        let none = parse(
            "x.json",
            br#"{"id": "EUVD-2003-0853", "enisaUuid": "x", "baseScore": -1.0, "aliases": "CVE-2003-0862\n"}"#,
        )
        .unwrap();
        assert_eq!(none.base_score, None);
    }

    #[test]
    fn bad_records_are_errors_naming_the_field() {
        for (text, field) in [
            (r#"{"id": "CVE-2022-1"}"#, "id"),
            (
                r#"{"id": "EUVD-2022-1", "aliases": "CVE-2022-1\n<script>"}"#,
                "aliases",
            ),
            (r#"{"id": "EUVD-2022-1", "baseScore": 11}"#, "baseScore"),
        ] {
            let e = parse("r.json", text.as_bytes()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
        }
        assert!(parse("r.json", b"{").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse("fuzz", &bytes);
            let _ = looks_like_euvd(&bytes);
        }
    }
}

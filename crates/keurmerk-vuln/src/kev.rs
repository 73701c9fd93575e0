//! The CISA Known Exploited Vulnerabilities catalogue (JSON feed, schema v1: `catalogVersion`,
//! `dateReleased`, `count`, `vulnerabilities[]` with `cveID` and `dateAdded`).
//!
//! Only what the registry acts on is kept: each entry's CVE id and the date CISA added it. The
//! parser is strict where acting on a wrong entry would do harm: an id that is not a CVE id, a
//! date that is not a calendar date, a `count` that disagrees with the entries (a truncated or
//! edited catalogue) or a CVE listed twice is an error naming the entry, never a skip.

use serde::Deserialize;

use crate::source::{check_json_depth, Limits, ParseError, ParseErrorKind};

/// Most entries accepted (the real catalogue had 1,404 in August 2025).
pub const MAX_ENTRIES: usize = 100_000;

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// The CVE id, as written (`CVE-2022-32149`).
    pub cve: String,
    /// When CISA added it to the catalogue: the date it is known to be exploited, `YYYY-MM-DD`.
    pub date_added: KevDate,
}

/// A calendar date as the catalogue writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KevDate {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31 (checked against the month).
    pub day: u32,
}

/// A parsed catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalogue {
    /// `catalogVersion`, e.g. `2025.08.25`.
    pub version: String,
    /// `dateReleased`, as written.
    pub released: String,
    /// The entries, in catalogue order.
    pub entries: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    catalog_version: String,
    date_released: String,
    count: usize,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    date_added: String,
}

/// Whether the bytes look like a KEV catalogue (a JSON object with `catalogVersion` and
/// `vulnerabilities`), without parsing it.
pub fn looks_like_kev(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    text.trim_start().starts_with('{')
        && text.contains("\"catalogVersion\"")
        && String::from_utf8_lossy(bytes).contains("\"vulnerabilities\"")
}

fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl KevDate {
    /// Parses `YYYY-MM-DD` (a real calendar date, year 1990–9999).
    pub fn parse(s: &str) -> Option<KevDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        let (month, day) = (num(5..7)?, num(8..10)?);
        (year >= 1990 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(KevDate { year, month, day })
    }
}

impl std::fmt::Display for KevDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Parses a KEV catalogue under [`Limits::DEFAULT`].
pub fn parse(name: &str, bytes: &[u8]) -> Result<KevCatalogue, ParseError> {
    parse_within(name, bytes, &Limits::DEFAULT)
}

/// Parses a KEV catalogue under `limits` (document size and nesting depth).
pub fn parse_within(name: &str, bytes: &[u8], limits: &Limits) -> Result<KevCatalogue, ParseError> {
    let schema = |field: String, message: String| {
        ParseError::new(name, ParseErrorKind::Schema, message).with_field(field)
    };
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_document_bytes {
        return Err(ParseError::new(
            name,
            ParseErrorKind::LimitExceeded,
            format!(
                "{} bytes, more than the limit of {} bytes for one document",
                bytes.len(),
                limits.max_document_bytes
            ),
        ));
    }
    check_json_depth(name, bytes, limits.max_depth)?;
    let raw: Raw = crate::source::error::json_from_slice(name, bytes)?;
    if raw.catalog_version.trim().is_empty() || raw.catalog_version.len() > 64 {
        return Err(schema(
            "catalogVersion".into(),
            "must be a version such as 2025.08.25 (at most 64 characters)".into(),
        ));
    }
    if raw.vulnerabilities.len() > MAX_ENTRIES {
        return Err(ParseError::new(
            name,
            ParseErrorKind::LimitExceeded,
            format!(
                "{} entries, more than the limit of {MAX_ENTRIES}",
                raw.vulnerabilities.len()
            ),
        ));
    }
    if raw.count != raw.vulnerabilities.len() {
        return Err(schema(
            "count".into(),
            format!(
                "says {} entries but the catalogue holds {}: it is truncated or was edited",
                raw.count,
                raw.vulnerabilities.len()
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::with_capacity(raw.vulnerabilities.len());
    for (i, e) in raw.vulnerabilities.into_iter().enumerate() {
        let cve = e.cve_id.trim().to_owned();
        if !is_cve_id(&cve) {
            return Err(schema(
                format!("vulnerabilities[{i}].cveID"),
                format!(
                    "{:?} is not a CVE id (CVE-YYYY-NNNN)",
                    e.cve_id.chars().take(40).collect::<String>()
                ),
            ));
        }
        let Some(date_added) = KevDate::parse(e.date_added.trim()) else {
            return Err(schema(
                format!("vulnerabilities[{i}].dateAdded"),
                format!(
                    "{:?} is not a date (YYYY-MM-DD)",
                    e.date_added.chars().take(40).collect::<String>()
                ),
            ));
        };
        if !seen.insert(cve.clone()) {
            return Err(schema(
                format!("vulnerabilities[{i}].cveID"),
                format!("{cve} is listed twice"),
            ));
        }
        entries.push(KevEntry { cve, date_added });
    }
    Ok(KevCatalogue {
        version: raw.catalog_version,
        released: raw.date_released,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(count: usize, entries: &str) -> String {
        format!(
            r#"{{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2025.08.25",
            "dateReleased": "2025-08-25T17:04:19.9796Z", "count": {count}, "vulnerabilities": [{entries}]}}"#
        )
    }

    fn entry(cve: &str, date: &str) -> String {
        format!(
            r#"{{"cveID": "{cve}", "vendorProject": "Go", "product": "text", "vulnerabilityName": "x",
            "dateAdded": "{date}", "shortDescription": "x", "requiredAction": "x", "dueDate": "2025-09-15",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}}"#
        )
    }

    #[test]
    fn parses_entries_with_their_dates() {
        let text = doc(
            2,
            &[
                entry("CVE-2022-32149", "2025-08-25"),
                entry("CVE-2021-44228", "2021-12-10"),
            ]
            .join(","),
        );
        assert!(looks_like_kev(text.as_bytes()));
        let c = parse("kev.json", text.as_bytes()).unwrap();
        assert_eq!(c.version, "2025.08.25");
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.entries[1].cve, "CVE-2021-44228");
        assert_eq!(c.entries[1].date_added.to_string(), "2021-12-10");
    }

    #[test]
    fn bad_entries_are_errors_naming_the_entry() {
        for (text, field, says) in [
            (
                doc(1, &entry("GHSA-xxxx", "2025-01-01")),
                "vulnerabilities[0].cveID",
                "not a CVE id",
            ),
            (
                doc(1, &entry("CVE-2025-1", "2025-01-01")),
                "vulnerabilities[0].cveID",
                "not a CVE id",
            ),
            (
                doc(1, &entry("CVE-2025-1234", "2025-02-30")),
                "vulnerabilities[0].dateAdded",
                "not a date",
            ),
            (
                doc(1, &entry("CVE-2025-1234", "25-01-01")),
                "vulnerabilities[0].dateAdded",
                "not a date",
            ),
            (
                doc(3, &entry("CVE-2025-1234", "2025-01-01")),
                "count",
                "truncated",
            ),
            (
                doc(
                    2,
                    &[
                        entry("CVE-2025-1234", "2025-01-01"),
                        entry("CVE-2025-1234", "2025-01-02"),
                    ]
                    .join(","),
                ),
                "vulnerabilities[1].cveID",
                "listed twice",
            ),
        ] {
            let e = parse("kev.json", text.as_bytes()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
            assert!(e.message.contains(says), "{e}");
            assert_eq!(e.source_name, "kev.json");
        }
        let e = parse("kev.json", br#"{"catalogVersion": "1", "count": 0}"#).unwrap_err();
        assert!(e.to_string().contains("kev.json"), "{e}");
        assert!(parse("kev.json", b"[[[[").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            parse("kev.json", deep.as_bytes()).unwrap_err().kind,
            ParseErrorKind::LimitExceeded
        );
        let small = Limits {
            max_document_bytes: 10,
            ..Limits::DEFAULT
        };
        assert_eq!(
            parse_within("kev.json", doc(0, "").as_bytes(), &small)
                .unwrap_err()
                .kind,
            ParseErrorKind::LimitExceeded
        );
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(KevDate::parse("2024-02-29").is_some());
        assert!(KevDate::parse("2023-02-29").is_none());
        assert!(KevDate::parse("2023-13-01").is_none());
        assert!(KevDate::parse("2023-1-01").is_none());
        assert!(KevDate::parse("+023-01-01").is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse("fuzz", &bytes);
            let _ = looks_like_kev(&bytes);
        }

        #[test]
        fn never_panics_on_near_catalogues(cve in "\\PC{0,20}", date in "\\PC{0,12}") {
            let _ = parse("fuzz", doc(1, &entry(&cve.replace(['"', '\\'], ""), &date.replace(['"', '\\'], ""))).as_bytes());
        }
    }
}

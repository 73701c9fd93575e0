//! Severity buckets from CVSS vectors and advisory labels.
//!
//! * CVSS v3.0/v3.1: the base score is computed from the vector with the v3.1 specification's
//!   formulas (§7.1) and `Roundup` (Appendix A); v3.0 vectors are scored the same way (v3.0's
//!   simpler round-up differs only in rare floating-point cases).
//! * CVSS v2: base score per the v2 guide §3.2.1, bucketed with NVD's v2 ranges (no "critical").
//! * CVSS v4.0: the official score needs the specification's 270-entry MacroVector table; this crate
//!   instead **approximates** it by scoring the v4 base metrics with the v3.1 equations (AV, AC, PR
//!   map directly; `AT:P` lowers AC to `H`; `UI:P`/`UI:A` count as `UI:R`; VC/VI/VA are the impacts;
//!   any subsequent-system impact (SC/SI/SA not `N`) counts as a scope change). The result can
//!   differ from the official v4 rating by one bucket near bucket boundaries.
//!
//! Buckets use the CVSS v3/v4 qualitative scale: 0.0 none, 0.1–3.9 low, 4.0–6.9 medium,
//! 7.0–8.9 high, 9.0–10.0 critical.

use std::collections::HashMap;
use std::fmt;

/// Qualitative severity, ordered from `None` to `Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Score 0.0.
    None,
    /// 0.1–3.9.
    Low,
    /// 4.0–6.9.
    Medium,
    /// 7.0–8.9.
    High,
    /// 9.0–10.0.
    Critical,
}

impl Severity {
    /// The CVSS v3/v4 qualitative rating of a score.
    pub fn from_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::None
        }
    }

    /// A severity label as advisories write it (GHSA `MODERATE`, Go/Ubuntu/Debian words...),
    /// case-insensitive.
    pub fn from_label(label: &str) -> Option<Self> {
        Some(match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Self::Critical,
            "high" | "important" => Self::High,
            "moderate" | "medium" => Self::Medium,
            "low" | "negligible" => Self::Low,
            "none" | "unimportant" => Self::None,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        })
    }
}

/// Why a vector could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeverityError {
    /// The vector does not start with a supported `CVSS:x.y/` prefix (or is not a v2 vector).
    #[error("unsupported CVSS vector prefix in {0:?}")]
    UnsupportedVersion(String),
    /// A metric is malformed, repeated, unknown or has an invalid value.
    #[error("invalid CVSS metric {0:?}")]
    InvalidMetric(String),
    /// A mandatory base metric is missing.
    #[error("CVSS vector lacks base metric {0}")]
    MissingMetric(&'static str),
    /// The severity type is not a CVSS type and not a known label.
    #[error("cannot derive a severity from type {0:?}")]
    UnsupportedType(String),
}

fn metrics<'a>(
    body: &'a str,
    allowed: &[(&str, &[&str])],
) -> Result<HashMap<&'a str, &'a str>, SeverityError> {
    let mut out = HashMap::new();
    for part in body.split('/') {
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| SeverityError::InvalidMetric(part.to_owned()))?;
        let values = allowed
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, vals)| *vals)
            .ok_or_else(|| SeverityError::InvalidMetric(part.to_owned()))?;
        if !values.is_empty() && !values.contains(&v) {
            return Err(SeverityError::InvalidMetric(part.to_owned()));
        }
        if out.insert(k, v).is_some() {
            return Err(SeverityError::InvalidMetric(part.to_owned()));
        }
    }
    Ok(out)
}

fn need<'a>(m: &HashMap<&str, &'a str>, k: &'static str) -> Result<&'a str, SeverityError> {
    m.get(k).copied().ok_or(SeverityError::MissingMetric(k))
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is >= the input, computed on
/// integers to avoid floating-point artefacts.
fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

struct V3Inputs<'a> {
    av: &'a str,
    ac: &'a str,
    pr: &'a str,
    ui: &'a str,
    changed: bool,
    c: &'a str,
    i: &'a str,
    a: &'a str,
}

fn v3_equations(m: &V3Inputs<'_>) -> f64 {
    let av: f64 = match m.av {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let ac = if m.ac == "L" { 0.77 } else { 0.44 };
    let pr = match (m.pr, m.changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let ui = if m.ui == "N" { 0.85 } else { 0.62 };
    let cia = |x: &str| match x {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    };
    let iss: f64 = 1.0 - (1.0 - cia(m.c)) * (1.0 - cia(m.i)) * (1.0 - cia(m.a));
    let impact: f64 = if m.changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability: f64 = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        0.0
    } else if m.changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    }
}

const NLH: &[&str] = &["N", "L", "H"];
const ANY: &[&str] = &[];

/// The CVSS v3.x base score of a vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
/// Temporal and environmental metrics are validated by name and ignored.
pub fn cvss3_base_score(vector: &str) -> Result<f64, SeverityError> {
    let body = vector
        .strip_prefix("CVSS:3.1/")
        .or_else(|| vector.strip_prefix("CVSS:3.0/"))
        .ok_or_else(|| SeverityError::UnsupportedVersion(vector.to_owned()))?;
    let m = metrics(
        body,
        &[
            ("AV", &["N", "A", "L", "P"]),
            ("AC", &["L", "H"]),
            ("PR", NLH),
            ("UI", &["N", "R"]),
            ("S", &["U", "C"]),
            ("C", NLH),
            ("I", NLH),
            ("A", NLH),
            ("E", ANY),
            ("RL", ANY),
            ("RC", ANY),
            ("CR", ANY),
            ("IR", ANY),
            ("AR", ANY),
            ("MAV", ANY),
            ("MAC", ANY),
            ("MPR", ANY),
            ("MUI", ANY),
            ("MS", ANY),
            ("MC", ANY),
            ("MI", ANY),
            ("MA", ANY),
        ],
    )?;
    Ok(v3_equations(&V3Inputs {
        av: need(&m, "AV")?,
        ac: need(&m, "AC")?,
        pr: need(&m, "PR")?,
        ui: need(&m, "UI")?,
        changed: need(&m, "S")? == "C",
        c: need(&m, "C")?,
        i: need(&m, "I")?,
        a: need(&m, "A")?,
    }))
}

/// The CVSS v2 base score of a vector such as `AV:N/AC:L/Au:N/C:P/I:P/A:P` (optionally prefixed
/// with `(` … `)` or `CVSS:2.0/`).
pub fn cvss2_base_score(vector: &str) -> Result<f64, SeverityError> {
    let body = vector.trim_start_matches('(').trim_end_matches(')');
    let body = body.strip_prefix("CVSS:2.0/").unwrap_or(body);
    let npc: &[&str] = &["N", "P", "C"];
    let m = metrics(
        body,
        &[
            ("AV", &["L", "A", "N"]),
            ("AC", &["H", "M", "L"]),
            ("Au", &["M", "S", "N"]),
            ("C", npc),
            ("I", npc),
            ("A", npc),
            ("E", ANY),
            ("RL", ANY),
            ("RC", ANY),
            ("CDP", ANY),
            ("TD", ANY),
            ("CR", ANY),
            ("IR", ANY),
            ("AR", ANY),
        ],
    )?;
    let av = match need(&m, "AV")? {
        "L" => 0.395,
        "A" => 0.646,
        _ => 1.0,
    };
    let ac = match need(&m, "AC")? {
        "H" => 0.35,
        "M" => 0.61,
        _ => 0.71,
    };
    let au = match need(&m, "Au")? {
        "M" => 0.45,
        "S" => 0.56,
        _ => 0.704,
    };
    let cia = |k: &'static str| -> Result<f64, SeverityError> {
        Ok(match need(&m, k)? {
            "P" => 0.275,
            "C" => 0.660,
            _ => 0.0,
        })
    };
    let impact = 10.41 * (1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Ok((score * 10.0).round() / 10.0)
}

/// An approximate CVSS v4.0 base score (see the module documentation for the mapping).
pub fn cvss4_approx_score(vector: &str) -> Result<f64, SeverityError> {
    let body = vector
        .strip_prefix("CVSS:4.0/")
        .ok_or_else(|| SeverityError::UnsupportedVersion(vector.to_owned()))?;
    let hln: &[&str] = &["H", "L", "N"];
    let mut allowed: Vec<(&str, &[&str])> = vec![
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("AT", &["N", "P"]),
        ("PR", hln),
        ("UI", &["N", "P", "A"]),
        ("VC", hln),
        ("VI", hln),
        ("VA", hln),
        ("SC", hln),
        ("SI", hln),
        ("SA", hln),
    ];
    for k in [
        "E", "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC",
        "MSI", "MSA", "S", "AU", "R", "V", "RE", "U",
    ] {
        allowed.push((k, ANY));
    }
    let m = metrics(body, &allowed)?;
    let ac = if need(&m, "AT")? == "P" {
        "H"
    } else {
        need(&m, "AC")?
    };
    let changed = ["SC", "SI", "SA"]
        .iter()
        .map(|k| need(&m, k))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .any(|v| *v != "N");
    Ok(v3_equations(&V3Inputs {
        av: need(&m, "AV")?,
        ac,
        pr: need(&m, "PR")?,
        ui: if need(&m, "UI")? == "N" { "N" } else { "R" },
        changed,
        c: need(&m, "VC")?,
        i: need(&m, "VI")?,
        a: need(&m, "VA")?,
    }))
}

/// The bucket of an OSV `severity` entry (`type`, `score`).
pub fn bucket_for(kind: &str, score: &str) -> Result<Severity, SeverityError> {
    match kind {
        "CVSS_V3" => cvss3_base_score(score).map(Severity::from_score),
        "CVSS_V4" => cvss4_approx_score(score).map(Severity::from_score),
        "CVSS_V2" => cvss2_base_score(score).map(|s| {
            // NVD's v2 ranges: 0–3.9 low, 4.0–6.9 medium, 7.0–10.0 high.
            if s >= 7.0 {
                Severity::High
            } else {
                Severity::from_score(s)
            }
        }),
        other => Severity::from_label(score)
            .ok_or_else(|| SeverityError::UnsupportedType(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss3_known_scores() {
        // Scores as published by NVD / the FIRST calculator for these vectors.
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), // Log4Shell, CVE-2021-44228
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N", 6.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1), // typical reflected XSS
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 4.3),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8),
        ] {
            assert_eq!(cvss3_base_score(v).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn cvss3_rejects_bad_vectors() {
        assert!(cvss3_base_score("AV:N/AC:L").is_err());
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
            Err(SeverityError::MissingMetric("A"))
        );
        assert!(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
    }

    #[test]
    fn cvss2_known_scores() {
        assert_eq!(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap(), 7.5);
        assert_eq!(cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N").unwrap(), 4.3);
        assert_eq!(cvss2_base_score("AV:L/AC:M/Au:N/C:N/I:N/A:C").unwrap(), 4.7);
        assert_eq!(
            bucket_for("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
            Ok(Severity::High)
        );
    }

    #[test]
    fn cvss4_approximation_buckets() {
        // Official v4.0 score 9.3 (critical); with no impact at all, v4.0 scores 0.0.
        assert_eq!(
            bucket_for(
                "CVSS_V4",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
            ),
            Ok(Severity::Critical)
        );
        assert_eq!(
            bucket_for(
                "CVSS_V4",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"
            ),
            Ok(Severity::None)
        );
        assert!(cvss4_approx_score("CVSS:4.0/AV:N").is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(Severity::from_label("MODERATE"), Some(Severity::Medium));
        assert_eq!(bucket_for("Ubuntu", "high"), Ok(Severity::High));
        assert!(bucket_for("Ubuntu", "spicy").is_err());
        assert!(Severity::Critical > Severity::High);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
    }
}

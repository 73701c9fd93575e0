//! Wire types: what the API sends, kept apart from the domain types.

use chrono::{DateTime, NaiveDate, Utc};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::model::IssuerKind;
use keurmerk_domain::status::StatusReport;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A support end date as manufacturers state it: a day (`YYYY-MM-DD`), or a month (`YYYY-MM`)
/// meaning its *last* day — "security updates until December 2031" ends on 2031-12-31. The API's
/// `PUT /api/v1/products/{id}/support` and the CLI's `product set-support --until` both read it
/// with this function, so they agree.
pub fn parse_support_until(s: &str) -> Result<NaiveDate, String> {
    let well_formed = matches!(s.len(), 7 | 10)
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    if !well_formed {
        return Err(format!(
            "`{s}` is not a date (YYYY-MM-DD, or YYYY-MM for the month's last day)"
        ));
    }
    if s.len() == 10 {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| format!("`{s}` is not a day of the calendar"));
    }
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
        .and_then(|next| next.pred_opt())
        .ok_or_else(|| format!("`{s}` is not a month of the calendar"))
}

/// What [`parse_support_until`] accepts, for the OpenAPI document.
pub const SUPPORT_UNTIL_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$";

/// A support end date read by [`parse_support_until`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportUntil(pub NaiveDate);

impl<'de> Deserialize<'de> for SupportUntil {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_support_until(&s)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for SupportUntil {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SupportUntil".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": SUPPORT_UNTIL_PATTERN,
            "description": "Last day of security support: YYYY-MM-DD, or YYYY-MM meaning the last day of that month (as the CLI's `--until`)",
        })
    }
}

/// The API's (and the CLI's) spelling of an issuer kind: `self_declared` or `third_party`, as
/// `Certificate.issuer_kind` is serialised. The signed status and label token formats of
/// `keurmerk-trust` (docs/FORMATS.md) keep their own compact `self`.
pub fn issuer_kind_name(k: IssuerKind) -> &'static str {
    match k {
        IssuerKind::SelfDeclared => "self_declared",
        IssuerKind::ThirdParty => "third_party",
    }
}

/// A reason with its plain-language text.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReasonOut {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Plain words in the requested language.
    pub text: String,
    /// The reason's data.
    pub details: serde_json::Value,
}

/// The one date line that fits the status.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidityOut {
    /// `valid_until`, `suspended_since`, `withdrawn_on`, `expired_on`, `replaced_by` or
    /// `unconfirmed`.
    pub kind: &'static str,
    /// The line's label in the requested language ("Withdrawn on").
    pub label: &'static str,
    /// Its date, when it has one.
    #[serde(serialize_with = "crate::timefmt::opt_date")]
    pub date: Option<NaiveDate>,
    /// The replacing certificate, for `replaced_by`.
    pub replaced_by: Option<String>,
    /// A sentence after the date, in the requested language.
    pub note: Option<&'static str>,
}

/// A piece of advice for the product's owner.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AdviceOut {
    /// Stable code (`stop_using`, `return`, `update`, `change_default_password`, …).
    pub code: &'static str,
    /// Plain words in the requested language.
    pub text: &'static str,
}

/// The facts shown under a status, consistent with it (the same ones the page and the label
/// show): the date line, the known-problems line, whether positive marks are muted, and owner
/// advice.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FactsOut {
    /// The date line.
    pub validity: ValidityOut,
    /// The known-problems line in the requested language.
    pub findings: String,
    /// True when "tested independently" and "signature valid" must not be shown as
    /// reassurance (the status is not in force).
    pub positive_marks_muted: bool,
    /// What the owner should do, most important first.
    pub advice: Vec<AdviceOut>,
}

impl FactsOut {
    /// The facts of a report in a language.
    pub fn new(r: &StatusReport, lang: Lang) -> Self {
        use keurmerk_domain::status::{StatusFacts, Validity};
        let f = StatusFacts::of(r);
        let kind = match &f.validity {
            Validity::ValidUntil { .. } => "valid_until",
            Validity::SuspendedSince { .. } => "suspended_since",
            Validity::WithdrawnOn { .. } => "withdrawn_on",
            Validity::ExpiredOn { .. } => "expired_on",
            Validity::ReplacedBy { .. } => "replaced_by",
            Validity::Unconfirmed => "unconfirmed",
        };
        let replaced_by = match &f.validity {
            Validity::ReplacedBy { by } => Some(by.to_string()),
            _ => None,
        };
        Self {
            validity: ValidityOut {
                kind,
                label: f.validity.label(lang),
                date: f.validity.date(),
                replaced_by,
                note: f.validity.note(lang),
            },
            findings: f.findings.text(lang),
            positive_marks_muted: f.positive_marks_muted,
            advice: f
                .advice
                .iter()
                .map(|a| AdviceOut {
                    code: a.as_str(),
                    text: a.text(lang),
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/certificates/{id}/status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatusOut {
    /// Certificate id.
    pub certificate: String,
    /// `valid`, `attention`, `suspended`, `withdrawn`, `expired` or `support_ended`.
    pub status: &'static str,
    /// Short title in the requested language.
    pub title: &'static str,
    /// One-sentence explanation in the requested language.
    pub explanation: &'static str,
    /// Language of the texts.
    pub lang: &'static str,
    /// `self_declared` (declared by the manufacturer) or `third_party` (tested by an
    /// independent body).
    pub issuer_kind: IssuerKind,
    /// Reasons, most important first.
    pub reasons: Vec<ReasonOut>,
    /// Last day of validity.
    #[serde(serialize_with = "crate::timefmt::date")]
    pub valid_until: NaiveDate,
    /// Last day of security support.
    #[serde(serialize_with = "crate::timefmt::opt_date")]
    pub support_until: Option<NaiveDate>,
    /// Newest covered security update.
    pub latest_security_update: Option<String>,
    /// Open vulnerabilities by severity.
    pub open_vulnerabilities: serde_json::Value,
    /// Dependencies and their status.
    pub dependencies: serde_json::Value,
    /// When this was evaluated.
    // The one field the plain answer's `ETag` leaves out (`caching::PlainAnswer`).
    #[serde(serialize_with = "evaluated_at")]
    pub evaluated_at: DateTime<Utc>,
    /// What to show under the status, consistent with it.
    pub facts: FactsOut,
    /// The covered versions, oldest release first.
    pub covered_versions: Vec<String>,
    /// The answer for the version asked about (`?version=`), when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionOut>,
    /// Where the maker's update record of the certificate's product is (fix times, deadlines
    /// met, support periods honoured): `/api/v1/certificates/{id}/update-record`.
    pub update_record: String,
}

/// `StatusOut::evaluated_at`: left out of the `ETag`, written without `fmt`.
fn evaluated_at<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    crate::caching::unvalidated(&crate::timefmt::Instant(t), s)
}

/// The answer for one version (`?version=`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionOut {
    /// The version asked about.
    pub version: String,
    /// Whether the certificate covers it.
    pub covered: bool,
    /// Open security problems in that version.
    pub open_vulnerabilities: Vec<String>,
    /// The newer covered version that fixes them all: install it.
    pub install: Option<String>,
}

impl StatusOut {
    /// Renders a report in a language.
    pub fn new(r: &StatusReport, lang: Lang) -> Self {
        Self {
            certificate: r.certificate.to_string(),
            status: r.status.as_str(),
            title: r.status.title(lang),
            explanation: r.explanation(lang),
            lang: lang.tag(),
            issuer_kind: r.issuer_kind,
            reasons: r
                .reasons
                .iter()
                .map(|x| ReasonOut {
                    code: x.code(),
                    text: x.text(lang),
                    details: serde_json::to_value(x).unwrap_or_default(),
                })
                .collect(),
            valid_until: r.valid_until,
            support_until: r.support_until,
            latest_security_update: r.latest_security_update.as_ref().map(|v| v.version.clone()),
            open_vulnerabilities: serde_json::to_value(&r.open_vulnerabilities).unwrap_or_default(),
            dependencies: serde_json::to_value(&r.dependencies).unwrap_or_default(),
            evaluated_at: r.evaluated_at,
            facts: FactsOut::new(r, lang),
            covered_versions: r.covered_versions.clone(),
            version: r.version.as_ref().map(|v| VersionOut {
                version: v.version.clone(),
                covered: v.covered,
                open_vulnerabilities: v.open_vulnerabilities.clone(),
                install: v.install.clone(),
            }),
            update_record: format!("/api/v1/certificates/{}/update-record", r.certificate),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn support_until_reads_days_and_months() {
        assert_eq!(parse_support_until("2031-12").unwrap(), day("2031-12-31"));
        assert_eq!(parse_support_until("2028-02").unwrap(), day("2028-02-29"));
        assert_eq!(parse_support_until("2027-02").unwrap(), day("2027-02-28"));
        assert_eq!(
            parse_support_until("2030-06-15").unwrap(),
            day("2030-06-15")
        );
        for bad in [
            "2031",
            "2031-13",
            "2031-00",
            "2031-02-30",
            "31-12-2031",
            "2031-1",
            "",
            "2031-12-31T00:00:00Z",
            "+2031-12",
        ] {
            assert!(parse_support_until(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_api_spells_issuer_kinds_as_serde_does() {
        for k in IssuerKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(issuer_kind_name(*k))
            );
        }
    }
}

//! Wire types: what the API sends, kept apart from the domain types.

use chrono::{DateTime, NaiveDate, Utc};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::status::StatusReport;
use schemars::JsonSchema;
use serde::Serialize;

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
    /// `self` (declared by the manufacturer) or `third_party` (tested by an independent body).
    pub issuer_kind: &'static str,
    /// Reasons, most important first.
    pub reasons: Vec<ReasonOut>,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Last day of security support.
    pub support_until: Option<NaiveDate>,
    /// Newest covered security update.
    pub latest_security_update: Option<String>,
    /// Open vulnerabilities by severity.
    pub open_vulnerabilities: serde_json::Value,
    /// Dependencies and their status.
    pub dependencies: serde_json::Value,
    /// When this was evaluated.
    pub evaluated_at: DateTime<Utc>,
}

impl StatusOut {
    /// Renders a report in a language.
    pub fn new(r: &StatusReport, lang: Lang) -> Self {
        Self {
            certificate: r.certificate.to_string(),
            status: r.status.as_str(),
            title: r.status.title(lang),
            explanation: r.status.explanation(lang),
            lang: lang.tag(),
            issuer_kind: r.issuer_kind.as_str(),
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
        }
    }
}

//! The scheme catalogue. Schemes are data (`schemes/*.toml`), never Rust code: this module parses
//! and validates them, naming the file and key of every problem it finds.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::i18n::Lang;
use crate::ids::{LevelId, SchemeId};
use crate::model::{text_enum, Category, ChangeClass, Severity, UnknownValue};

mod texts;
pub use texts::{LevelTexts, SchemeTexts};

text_enum!(
    /// How a scheme's label looks (`label_design` in the scheme file).
    #[derive(Default)]
    LabelDesign, "label design" {
        /// An EU scheme: the blue shield, assurance level by name.
        Eu = "eu",
        /// A star rating (Singapore CLS).
        Stars = "stars",
        /// A statement of compliance (UK PSTI).
        Statement = "statement",
        /// A manufacturer declaration published by an authority (BSI IT security label).
        Declaration = "declaration",
        /// Any other national label (the default).
        #[default]
        Plain = "plain",
    }
);

/// Why a scheme file or the catalogue as a whole is invalid. Every variant names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemeError {
    /// The file is not valid TOML or does not have the scheme file's shape (unknown or missing
    /// keys, wrong types). The message from the TOML parser names line, column and key.
    #[error("{file}: {message}")]
    Syntax {
        /// The scheme file.
        file: String,
        /// What the parser reported.
        message: String,
    },
    /// A value is present but not acceptable.
    #[error("{file}: key `{key}`: {problem}")]
    Invalid {
        /// The scheme file.
        file: String,
        /// The dotted key path, e.g. `levels[1].id`.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Two files define the same scheme id.
    #[error("{file}: scheme id `{id}` is already defined in {other}")]
    Duplicate {
        /// The second file.
        file: String,
        /// The repeated id.
        id: String,
        /// The first file.
        other: String,
    },
    /// The catalogue has no baseline scheme, or more than one.
    #[error("catalogue: exactly one scheme must have `baseline = true`, found {found}")]
    Baseline {
        /// How many baseline schemes were found.
        found: usize,
    },
}

/// Whether a scheme still issues new certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SchemeStatus {
    /// The scheme issues new certificates.
    Active,
    /// The scheme no longer issues; existing labels stay visible.
    Legacy,
}

/// Mandatory or recommended, as in the EN 303 645 status table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Obligation {
    /// Must be met (or, when conditional, marked not applicable with a justification).
    Mandatory,
    /// Should be met; not meeting it must be justified (EN 303 645 5.0-1).
    Recommended,
}

/// One requirement of a scheme's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Requirement id, e.g. `5.1-1`.
    pub id: String,
    /// Short plain title.
    pub title: String,
    /// Mandatory or recommended.
    pub obligation: Obligation,
    /// Applies only when a condition holds or a feature is present.
    #[serde(default)]
    pub conditional: bool,
    /// Baseline provisions this requirement covers. For the baseline scheme itself, empty means
    /// "itself".
    #[serde(default)]
    pub maps_to: Vec<String>,
}

/// An assurance level a scheme offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Level id, e.g. `basic`, `l3`.
    pub id: LevelId,
    /// Display name, e.g. "Substantial" or "Level 3".
    pub name: String,
    /// Order of strength within the scheme, 1 = weakest.
    pub rank: u8,
    /// Whether the manufacturer may self-assess at this level (CSA Art 53).
    #[serde(default)]
    pub self_assessment: bool,
    /// Whether a certificate at this level needs the national authority's approval (CSA Art 56(6)).
    #[serde(default)]
    pub authority_approval: bool,
    /// Stars shown on the label (Singapore CLS), if the scheme uses stars.
    #[serde(default)]
    pub stars: Option<u8>,
    /// Plain-language description for the public pages.
    pub description: String,
    /// Requirements that must be assessed at this level. Absent: every mandatory requirement.
    #[serde(default)]
    pub required: Option<Vec<String>>,
    /// Common Criteria vulnerability-analysis components covered (EUCC), e.g. `[3, 4, 5]`.
    #[serde(default)]
    pub ava_van: Vec<u8>,
}

/// Remediation deadline per severity, in days from first detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RemediationDays {
    /// Critical severity.
    pub critical: u32,
    /// High severity.
    pub high: u32,
    /// Medium severity.
    pub medium: u32,
    /// Low severity.
    pub low: u32,
}

impl RemediationDays {
    /// The deadline in days for a severity. An unknown severity gets the `high` deadline here;
    /// a scheme's own class for it is applied by [`StatusPolicy::class_of`] first.
    pub fn for_severity(&self, severity: Severity) -> u32 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High | Severity::Unknown => self.high,
            Severity::Medium => self.medium,
            Severity::Low | Severity::None => self.low,
        }
    }
}

impl StatusPolicy {
    /// The class a severity counts as under this policy: itself, except
    /// [`Severity::Unknown`], which counts as the policy's `unknown_severity_as` (default
    /// `high`) until a severity arrives — an unscored vulnerability is never treated as minor.
    pub fn class_of(&self, severity: Severity) -> Severity {
        match severity {
            Severity::Unknown => self.unknown_severity_as,
            other => other,
        }
    }

    /// Days to remedy a vulnerability of this severity (after [`Self::class_of`]).
    pub fn remediation_days_for(&self, severity: Severity) -> u32 {
        self.remediation_days.for_severity(self.class_of(severity))
    }

    /// Whether an overdue vulnerability of this severity suspends the label (after
    /// [`Self::class_of`]).
    pub fn suspends_when_overdue(&self, severity: Severity) -> bool {
        self.suspend_when_overdue.contains(&self.class_of(severity))
    }
}

/// How a scheme turns facts into label effects (SPEC §4, §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusPolicy {
    /// Longest validity of a certificate, in months.
    pub max_validity_months: u32,
    /// Days to remedy a vulnerability, per severity.
    pub remediation_days: RemediationDays,
    /// Severities whose overdue vulnerabilities suspend the label.
    #[serde(default)]
    pub suspend_when_overdue: Vec<Severity>,
    /// Longest suspension before the authority must extend it or the certificate is withdrawn.
    pub max_suspension_days: u32,
    /// Longest total suspension including extensions by the national authority.
    #[serde(default)]
    pub max_suspension_total_days: Option<u32>,
    /// Days before the end of support at which the label asks for attention.
    #[serde(default = "default_support_warning_days")]
    pub support_warning_days: u32,
    /// The label is valid only while the device receives updates (Singapore CLS).
    #[serde(default)]
    pub valid_only_while_supported: bool,
    /// An unremediable vulnerability leads to withdrawal (EUCC).
    #[serde(default)]
    pub withdraw_when_unremediable: bool,
    /// What the scheduler records when a suspension's end date passes and nobody lifted it
    /// (default `withdraw`, the EUCC rule).
    #[serde(default)]
    pub when_suspension_ends: SuspensionEnd,
    /// The class a vulnerability whose severity is not known yet counts as (its deadline and
    /// whether it suspends when overdue): `critical`, `high`, `medium` or `low`; default `high`.
    #[serde(default = "default_unknown_severity_as")]
    pub unknown_severity_as: Severity,
    /// A certificate with a covered version for which the maker has published no software list
    /// (SBOM) asks for attention (the label says "not monitored" either way). Default `true`:
    /// a scheme that does not say is read the strict way.
    #[serde(default = "default_true")]
    pub attention_when_not_monitored: bool,
    /// The patch-management rule under which the holder of a certificate another body issued may
    /// add versions (absent: only the issuer covers versions).
    #[serde(default)]
    pub patch_management: Option<PatchManagement>,
}

/// Which classes of change the holder may cover with a signed impact statement and a software
/// list: at once, or only once the issuer confirms. A class in neither list is refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchManagement {
    /// Covered as soon as the holder declares them.
    #[serde(default)]
    pub covered_at_once: Vec<ChangeClass>,
    /// Covered only when the issuer confirms.
    #[serde(default)]
    pub needs_confirmation: Vec<ChangeClass>,
}

/// What the patch-management rule says about a declared change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRule {
    /// Covered at once.
    CoveredAtOnce,
    /// Covered once the issuer confirms.
    NeedsConfirmation,
    /// The holder may not cover it (no rule, or the class is not in it).
    Refused,
}

impl StatusPolicy {
    /// What the scheme's patch-management rule says about a change of `class` declared by the
    /// holder of a certificate another body issued.
    pub fn change_rule(&self, class: ChangeClass) -> ChangeRule {
        match &self.patch_management {
            Some(p) if p.covered_at_once.contains(&class) => ChangeRule::CoveredAtOnce,
            Some(p) if p.needs_confirmation.contains(&class) => ChangeRule::NeedsConfirmation,
            _ => ChangeRule::Refused,
        }
    }
}

/// What happens to a certificate whose suspension period ended without the suspension being
/// lifted (by the issuer or the national authority) or extended (by the authority).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuspensionEnd {
    /// Withdrawn with the reason "not remedied within the suspension period" (EUCC
    /// Implementing Regulation (EU) 2024/482, Art 30(1)).
    #[default]
    Withdraw,
    /// The certificate lapses: recorded as expired, not as a sanction.
    Lapse,
}

fn default_true() -> bool {
    true
}

fn default_support_warning_days() -> u32 {
    90
}

/// What a recognition arrangement gives a certificate of the source level in the target scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecognitionKind {
    /// The target accepts the source label as its own level.
    MutualRecognition,
    /// The source label counts as meeting the target's (legal) requirements.
    DeemedCompliance,
    /// The source label lets the holder apply to the target with less to show; the target's
    /// own decision still follows.
    SimplifiedApplication,
}

impl RecognitionKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MutualRecognition => "mutual_recognition",
            Self::DeemedCompliance => "deemed_compliance",
            Self::SimplifiedApplication => "simplified_application",
        }
    }
}

/// Whether an arrangement works one way (source → target) or both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only certificates of this scheme are accepted by the other scheme.
    OneWay,
    /// Also the other scheme's `as_level` (and above, with `and_above`) is accepted as this
    /// scheme's `level`.
    Mutual,
}

fn default_unknown_severity_as() -> Severity {
    Severity::High
}

/// A recognition arrangement, written in the file of its source scheme: certificates of this
/// scheme at `level` (or above, with `and_above`) are accepted as `scheme`/`as_level`, of the
/// given kind, from `from` (inclusive) until `until` (exclusive), except for products in
/// `excluded_categories`. A `mutual` arrangement also works the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// Stable id of the arrangement, unique in the catalogue, e.g. `sg-de-2022`.
    pub id: String,
    /// What it gives.
    pub kind: RecognitionKind,
    /// One way or mutual.
    pub direction: Direction,
    /// This scheme's (lowest) level.
    pub level: LevelId,
    /// Whether this scheme's higher levels are covered too (and, for mutual arrangements, the
    /// other scheme's levels above `as_level`).
    #[serde(default)]
    pub and_above: bool,
    /// The other scheme.
    pub scheme: SchemeId,
    /// The other scheme's level it is recognised as.
    pub as_level: LevelId,
    /// First day the arrangement applies.
    pub from: NaiveDate,
    /// First day it no longer applies, if it ends.
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Product categories the arrangement does not cover.
    #[serde(default)]
    pub excluded_categories: Vec<Category>,
    /// Where the arrangement is published.
    pub source: String,
}

impl Recognition {
    /// Whether the arrangement applies on `date`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|u| date < u)
    }
}

/// Who supervises a scheme in one of its jurisdictions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Supervision {
    /// `EU` or an ISO 3166-1 alpha-2 code; one of the scheme's jurisdictions.
    pub jurisdiction: String,
    /// The supervising body, in words.
    pub body: String,
    /// Where that is stated.
    pub source: String,
}

/// Whether a scheme is a choice or a legal requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LegalKind {
    /// The maker may choose to get the label.
    Voluntary,
    /// Only the duty to report actively exploited vulnerabilities applies (the CRA from
    /// 2026-09-11); the product requirements do not apply yet.
    Reporting,
    /// Products of the categories may only be sold if they comply.
    Mandatory,
}

impl LegalKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voluntary => "voluntary",
            Self::Reporting => "reporting",
            Self::Mandatory => "mandatory",
        }
    }
}

/// The legal status of a scheme in one jurisdiction for some product categories, from a date.
/// The status on a date is that of the entry with the latest `from` not after the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LegalStatus {
    /// `EU` or an ISO 3166-1 alpha-2 code; one of the scheme's jurisdictions.
    pub jurisdiction: String,
    /// Voluntary, reporting only, or mandatory.
    pub status: LegalKind,
    /// First day this status holds. Absent: since the scheme exists.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Product categories it applies to. Absent: every category.
    #[serde(default)]
    pub categories: Option<Vec<Category>>,
    /// Where the legal status is stated.
    pub source: String,
}

impl LegalStatus {
    /// Whether the entry concerns a product category.
    pub fn covers(&self, category: Category) -> bool {
        self.categories
            .as_ref()
            .is_none_or(|c| c.contains(&category))
    }
}

/// How completely a scheme's requirements are mapped onto the baseline (EN 303 645).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MappingCoverage {
    /// Every requirement that corresponds to a baseline provision says so.
    Full,
    /// Only some requirements are mapped, or only approximately (see the note).
    Partial,
}

/// The mapping of a scheme's requirements onto the baseline: how complete, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Full or partial.
    pub coverage: MappingCoverage,
    /// Where the mapping comes from and what it leaves out.
    pub source: String,
}

/// A certification scheme, loaded from a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Scheme id, e.g. `eu-iot`.
    pub id: SchemeId,
    /// Version of the scheme definition.
    pub version: String,
    /// Full title.
    pub title: String,
    /// Short name shown on the label.
    pub short_name: String,
    /// Who owns the scheme (e.g. "ENISA / European Commission", "BSI").
    pub owner: String,
    /// Plain-language description.
    pub description: String,
    /// Active or legacy.
    pub status: SchemeStatus,
    /// Where the scheme applies: `EU` for the whole Union, else ISO 3166-1 alpha-2 codes
    /// (`GB`, `SG`, `DE`, …). Organisations may be established in these besides the EU and
    /// EEA states.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    /// How its label looks (default `plain`).
    #[serde(default)]
    pub label_design: LabelDesign,
    /// Whether this is the common baseline catalogue that others map onto.
    #[serde(default)]
    pub baseline: bool,
    /// Whether the scheme issues third-party certificates only.
    #[serde(default)]
    pub third_party_only: bool,
    /// Assurance levels, weakest first.
    pub levels: Vec<Level>,
    /// The status policy.
    pub policy: StatusPolicy,
    /// The requirement catalogue.
    pub requirements: Vec<Requirement>,
    /// Recognition arrangements whose source is this scheme.
    #[serde(default)]
    pub recognitions: Vec<Recognition>,
    /// The supervising body per jurisdiction (one entry for each jurisdiction).
    #[serde(default)]
    pub supervision: Vec<Supervision>,
    /// Legal status per jurisdiction and product category, with dates (at least one entry for
    /// each jurisdiction).
    #[serde(default)]
    pub legal_status: Vec<LegalStatus>,
    /// How the requirements map onto the baseline (required for every non-baseline scheme).
    #[serde(default)]
    pub mapping: Option<Mapping>,
    /// The public words in Dutch, German and French (`[texts.nl]`…; English is the base
    /// above). Every one is required ([`texts`](self::texts)).
    #[serde(default)]
    pub texts: BTreeMap<Lang, SchemeTexts>,
}

impl Scheme {
    /// Parses and validates one scheme file. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, SchemeError> {
        let scheme: Scheme = toml::from_str(text).map_err(|e| SchemeError::Syntax {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        scheme.validate(file)?;
        scheme.validate_texts(file)?;
        Ok(scheme)
    }

    fn validate(&self, file: &str) -> Result<(), SchemeError> {
        let invalid = |key: String, problem: String| SchemeError::Invalid {
            file: file.to_owned(),
            key,
            problem,
        };
        for (key, value) in [
            ("version", &self.version),
            ("title", &self.title),
            ("short_name", &self.short_name),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(key.into(), "must not be empty".into()));
            }
        }
        for (i, j) in self.jurisdictions.iter().enumerate() {
            if j != crate::jurisdiction::EU
                && (j.len() != 2 || !j.chars().all(|c| c.is_ascii_uppercase()))
            {
                return Err(invalid(
                    format!("jurisdictions[{i}]"),
                    format!("`{j}` is neither `EU` nor a two-letter upper-case country code"),
                ));
            }
        }
        if self.levels.is_empty() {
            return Err(invalid(
                "levels".into(),
                "a scheme needs at least one level".into(),
            ));
        }
        if self.requirements.is_empty() {
            return Err(invalid(
                "requirements".into(),
                "a scheme needs requirements".into(),
            ));
        }
        let mut req_ids = BTreeSet::new();
        for (i, r) in self.requirements.iter().enumerate() {
            if r.id.trim().is_empty() || r.title.trim().is_empty() {
                return Err(invalid(
                    format!("requirements[{i}]"),
                    "id and title must not be empty".into(),
                ));
            }
            if !req_ids.insert(r.id.as_str()) {
                return Err(invalid(
                    format!("requirements[{i}].id"),
                    format!("requirement `{}` is defined twice", r.id),
                ));
            }
        }
        let mut level_ids = BTreeSet::new();
        let mut last_rank = 0;
        for (i, l) in self.levels.iter().enumerate() {
            if !level_ids.insert(l.id.as_str()) {
                return Err(invalid(
                    format!("levels[{i}].id"),
                    format!("level `{}` is defined twice", l.id),
                ));
            }
            if l.rank <= last_rank {
                return Err(invalid(
                    format!("levels[{i}].rank"),
                    "levels must be listed weakest first with increasing rank".into(),
                ));
            }
            last_rank = l.rank;
            if self.third_party_only && l.self_assessment {
                return Err(invalid(
                    format!("levels[{i}].self_assessment"),
                    "the scheme is third_party_only, so no level may allow self-assessment".into(),
                ));
            }
            if l.self_assessment && l.authority_approval {
                return Err(invalid(
                    format!("levels[{i}]"),
                    "a level that needs authority approval cannot be self-assessed".into(),
                ));
            }
            if let Some(stars) = l.stars {
                if !(1..=5).contains(&stars) {
                    return Err(invalid(
                        format!("levels[{i}].stars"),
                        "must be 1 to 5".into(),
                    ));
                }
            }
            for (j, req) in l.required.iter().flatten().enumerate() {
                if !req_ids.contains(req.as_str()) {
                    return Err(invalid(
                        format!("levels[{i}].required[{j}]"),
                        format!("unknown requirement `{req}`"),
                    ));
                }
            }
        }
        let p = &self.policy;
        if p.max_validity_months == 0 || p.max_validity_months > 120 {
            return Err(invalid(
                "policy.max_validity_months".into(),
                "must be between 1 and 120".into(),
            ));
        }
        let d = p.remediation_days;
        if !(d.critical <= d.high && d.high <= d.medium && d.medium <= d.low) || d.critical == 0 {
            return Err(invalid(
                "policy.remediation_days".into(),
                "deadlines must be positive and not shorter for lower severities".into(),
            ));
        }
        if matches!(p.unknown_severity_as, Severity::Unknown | Severity::None) {
            return Err(invalid(
                "policy.unknown_severity_as".into(),
                "must be critical, high, medium or low".into(),
            ));
        }
        if let Some(pm) = &p.patch_management {
            if let Some(c) = pm
                .covered_at_once
                .iter()
                .find(|c| pm.needs_confirmation.contains(c))
            {
                return Err(invalid(
                    "policy.patch_management".into(),
                    format!("`{c}` is both covered at once and in need of confirmation"),
                ));
            }
        }
        if let Some(total) = p.max_suspension_total_days {
            if total < p.max_suspension_days {
                return Err(invalid(
                    "policy.max_suspension_total_days".into(),
                    "must not be shorter than max_suspension_days".into(),
                ));
            }
        }
        for (i, r) in self.recognitions.iter().enumerate() {
            if !level_ids.contains(r.level.as_str()) {
                return Err(invalid(
                    format!("recognitions[{i}].level"),
                    format!("unknown level `{}`", r.level),
                ));
            }
            if r.scheme == self.id {
                return Err(invalid(
                    format!("recognitions[{i}].scheme"),
                    "an arrangement is between two different schemes".into(),
                ));
            }
            if r.id.trim().is_empty() || r.source.trim().is_empty() {
                return Err(invalid(
                    format!("recognitions[{i}]"),
                    "id and source must not be empty".into(),
                ));
            }
            if let Some(until) = r.until {
                if until <= r.from {
                    return Err(invalid(
                        format!("recognitions[{i}].until"),
                        format!("ends ({until}) on or before it starts ({})", r.from),
                    ));
                }
            }
            let mut seen = BTreeSet::new();
            for (j, c) in r.excluded_categories.iter().enumerate() {
                if !seen.insert(*c) {
                    return Err(invalid(
                        format!("recognitions[{i}].excluded_categories[{j}]"),
                        format!("`{c}` is listed twice"),
                    ));
                }
            }
        }
        let in_jurisdictions = |key: String, j: &str| {
            if self.jurisdictions.iter().any(|x| x == j) {
                Ok(())
            } else {
                Err(invalid(
                    key,
                    format!("`{j}` is not one of the scheme's jurisdictions"),
                ))
            }
        };
        let mut supervised = BTreeSet::new();
        for (i, sv) in self.supervision.iter().enumerate() {
            in_jurisdictions(format!("supervision[{i}].jurisdiction"), &sv.jurisdiction)?;
            if sv.body.trim().is_empty() || sv.source.trim().is_empty() {
                return Err(invalid(
                    format!("supervision[{i}]"),
                    "body and source must not be empty".into(),
                ));
            }
            if !supervised.insert(sv.jurisdiction.as_str()) {
                return Err(invalid(
                    format!("supervision[{i}].jurisdiction"),
                    format!("`{}` has two supervising bodies", sv.jurisdiction),
                ));
            }
        }
        for (i, ls) in self.legal_status.iter().enumerate() {
            in_jurisdictions(format!("legal_status[{i}].jurisdiction"), &ls.jurisdiction)?;
            if ls.source.trim().is_empty() {
                return Err(invalid(
                    format!("legal_status[{i}].source"),
                    "must not be empty".into(),
                ));
            }
            if ls.categories.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(
                    format!("legal_status[{i}].categories"),
                    "an empty list covers nothing; leave the key out to cover every category"
                        .into(),
                ));
            }
            // Two entries for the same jurisdiction, a shared category and the same start date
            // contradict each other: which one holds that day?
            for (k, other) in self.legal_status[..i].iter().enumerate() {
                let shared = Category::ALL
                    .iter()
                    .any(|c| ls.covers(*c) && other.covers(*c));
                if other.jurisdiction == ls.jurisdiction && other.from == ls.from && shared {
                    return Err(invalid(
                        format!("legal_status[{i}]"),
                        format!(
                            "contradicts legal_status[{k}]: same jurisdiction, start date and \
                             product category"
                        ),
                    ));
                }
            }
        }
        for j in &self.jurisdictions {
            if !supervised.contains(j.as_str()) {
                return Err(invalid(
                    "supervision".into(),
                    format!("no supervising body for jurisdiction `{j}`"),
                ));
            }
            if !self.legal_status.iter().any(|ls| &ls.jurisdiction == j) {
                return Err(invalid(
                    "legal_status".into(),
                    format!("no legal status for jurisdiction `{j}`"),
                ));
            }
        }
        if !self.baseline && self.mapping.is_none() {
            return Err(invalid(
                "mapping".into(),
                "a scheme other than the baseline must say how its requirements map onto the \
                 baseline (coverage and source)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The scheme's legal status in a jurisdiction for a product category on a date: the entry
    /// with the latest start not after the date. `None` when the scheme says nothing for it
    /// (e.g. a category a mandatory regime does not cover, before any entry starts).
    pub fn legal_status_at(
        &self,
        jurisdiction: &str,
        category: Category,
        date: NaiveDate,
    ) -> Option<&LegalStatus> {
        self.legal_status
            .iter()
            .filter(|ls| ls.jurisdiction == jurisdiction && ls.covers(category))
            .filter(|ls| ls.from.is_none_or(|f| f <= date))
            .max_by_key(|ls| ls.from)
    }

    /// The next change of legal status after `date` in a jurisdiction for a category, if any.
    pub fn next_legal_change(
        &self,
        jurisdiction: &str,
        category: Category,
        date: NaiveDate,
    ) -> Option<&LegalStatus> {
        self.legal_status
            .iter()
            .filter(|ls| ls.jurisdiction == jurisdiction && ls.covers(category))
            .filter(|ls| ls.from.is_some_and(|f| f > date))
            .min_by_key(|ls| ls.from)
    }

    /// Who supervises the scheme in a jurisdiction.
    pub fn supervisor(&self, jurisdiction: &str) -> Option<&Supervision> {
        self.supervision
            .iter()
            .find(|s| s.jurisdiction == jurisdiction)
    }

    /// Whether the scheme applies where an organisation is established: its jurisdictions name
    /// the member state, or the scheme is EU-wide and the state is an EU or EEA member.
    pub fn applies_in(&self, member_state: &str) -> bool {
        self.jurisdictions.iter().any(|j| {
            j == member_state
                || (j == crate::jurisdiction::EU && crate::jurisdiction::is_eu_or_eea(member_state))
        })
    }

    /// The level with this id.
    pub fn level(&self, id: &LevelId) -> Option<&Level> {
        self.levels.iter().find(|l| &l.id == id)
    }

    /// The requirement with this id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The requirements that must be assessed at a level.
    pub fn required_at<'a>(&'a self, level: &'a Level) -> Vec<&'a Requirement> {
        match &level.required {
            Some(ids) => ids.iter().filter_map(|id| self.requirement(id)).collect(),
            None => self
                .requirements
                .iter()
                .filter(|r| r.obligation == Obligation::Mandatory)
                .collect(),
        }
    }

    /// Baseline provisions a requirement covers.
    pub fn baseline_ids<'a>(&'a self, requirement: &'a Requirement) -> Vec<&'a str> {
        if self.baseline && requirement.maps_to.is_empty() {
            vec![requirement.id.as_str()]
        } else {
            requirement.maps_to.iter().map(String::as_str).collect()
        }
    }
}

/// One concrete grant of an arrangement: `source`/`source_level` is accepted as
/// `target`/`target_level` under `arrangement` (see [`Catalogue::grants`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant<'a> {
    /// The arrangement.
    pub arrangement: &'a Recognition,
    /// The scheme whose file defines the arrangement.
    pub owner: &'a SchemeId,
    /// The arrangement's index in its file's `recognitions`.
    pub index: usize,
    /// The scheme of the accepted certificate.
    pub source: &'a SchemeId,
    /// Its level.
    pub source_level: LevelId,
    /// The scheme that accepts it.
    pub target: &'a SchemeId,
    /// As which level.
    pub target_level: LevelId,
    /// Whether this is the other-way direction of a mutual arrangement.
    pub reverse: bool,
}

/// All schemes, validated together (mappings and recognitions must refer to things that exist).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    schemes: BTreeMap<SchemeId, Scheme>,
}

/// The scheme files shipped in the repository's `schemes/` directory, compiled in:
/// `(file name, TOML text)` pairs for [`Catalogue::from_files`]. Data, not I/O.
pub const SHIPPED: [(&str, &str); 10] = [
    (
        "schemes/eu-iot.toml",
        include_str!("../../../schemes/eu-iot.toml"),
    ),
    (
        "schemes/eucc.toml",
        include_str!("../../../schemes/eucc.toml"),
    ),
    (
        "schemes/de-bsi-itsik.toml",
        include_str!("../../../schemes/de-bsi-itsik.toml"),
    ),
    (
        "schemes/sg-cls.toml",
        include_str!("../../../schemes/sg-cls.toml"),
    ),
    (
        "schemes/fi-traficom.toml",
        include_str!("../../../schemes/fi-traficom.toml"),
    ),
    (
        "schemes/uk-psti.toml",
        include_str!("../../../schemes/uk-psti.toml"),
    ),
    (
        "schemes/eu-red-en18031.toml",
        include_str!("../../../schemes/eu-red-en18031.toml"),
    ),
    (
        "schemes/eu-cra.toml",
        include_str!("../../../schemes/eu-cra.toml"),
    ),
    (
        "schemes/kr-kisa-iot.toml",
        include_str!("../../../schemes/kr-kisa-iot.toml"),
    ),
    (
        "schemes/jp-jc-star.toml",
        include_str!("../../../schemes/jp-jc-star.toml"),
    ),
];

impl Catalogue {
    /// The shipped catalogue ([`SHIPPED`]), validated.
    pub fn shipped() -> Result<Self, SchemeError> {
        Self::from_files(SHIPPED)
    }

    /// Loads schemes from `(file name, text)` pairs and validates them as a whole.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SchemeError> {
        let mut schemes = BTreeMap::new();
        let mut origin: BTreeMap<SchemeId, String> = BTreeMap::new();
        for (file, text) in files {
            let scheme = Scheme::from_toml(file, text)?;
            if let Some(other) = origin.get(&scheme.id) {
                return Err(SchemeError::Duplicate {
                    file: file.to_owned(),
                    id: scheme.id.to_string(),
                    other: other.clone(),
                });
            }
            origin.insert(scheme.id.clone(), file.to_owned());
            schemes.insert(scheme.id.clone(), scheme);
        }
        let baselines: Vec<&Scheme> = schemes.values().filter(|s| s.baseline).collect();
        if baselines.len() != 1 {
            return Err(SchemeError::Baseline {
                found: baselines.len(),
            });
        }
        if baselines[0].requirements.len() > 128 {
            return Err(SchemeError::Invalid {
                file: origin.get(&baselines[0].id).cloned().unwrap_or_default(),
                key: "requirements".into(),
                problem: "the baseline may have at most 128 provisions".into(),
            });
        }
        let baseline_ids: BTreeSet<&str> = baselines[0]
            .requirements
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        for scheme in schemes.values() {
            let file = origin.get(&scheme.id).cloned().unwrap_or_default();
            for (i, r) in scheme.requirements.iter().enumerate() {
                for m in &r.maps_to {
                    if !baseline_ids.contains(m.as_str()) {
                        return Err(SchemeError::Invalid {
                            file: file.clone(),
                            key: format!("requirements[{i}].maps_to"),
                            problem: format!("`{m}` is not a baseline provision"),
                        });
                    }
                }
            }
            for (i, rec) in scheme.recognitions.iter().enumerate() {
                let ok = schemes
                    .get(&rec.scheme)
                    .is_some_and(|other| other.level(&rec.as_level).is_some());
                if !ok {
                    return Err(SchemeError::Invalid {
                        file: file.clone(),
                        key: format!("recognitions[{i}]"),
                        problem: format!("unknown scheme level `{}/{}`", rec.scheme, rec.as_level),
                    });
                }
            }
        }
        let mut catalogue = Self { schemes };
        catalogue.check_arrangements(&origin)?;
        catalogue.share_baseline_titles();
        Ok(catalogue)
    }

    /// Arrangement ids are unique, and no two arrangements grant the same source level the same
    /// target level on the same day (overlapping or contradictory entries).
    fn check_arrangements(&self, origin: &BTreeMap<SchemeId, String>) -> Result<(), SchemeError> {
        let mut ids: BTreeMap<&str, &SchemeId> = BTreeMap::new();
        let grants = self.grants();
        for scheme in self.schemes.values() {
            let file = origin.get(&scheme.id).cloned().unwrap_or_default();
            for (i, rec) in scheme.recognitions.iter().enumerate() {
                if let Some(other) = ids.insert(rec.id.as_str(), &scheme.id) {
                    return Err(SchemeError::Invalid {
                        file,
                        key: format!("recognitions[{i}].id"),
                        problem: format!("arrangement `{}` is also defined by `{other}`", rec.id),
                    });
                }
            }
        }
        for (n, g) in grants.iter().enumerate() {
            for h in &grants[..n] {
                let same_pair = g.source == h.source
                    && g.source_level == h.source_level
                    && g.target == h.target
                    && g.target_level == h.target_level;
                let overlap = g.arrangement.from < h.arrangement.until.unwrap_or(NaiveDate::MAX)
                    && h.arrangement.from < g.arrangement.until.unwrap_or(NaiveDate::MAX);
                if same_pair && overlap {
                    let owner = g.owner;
                    return Err(SchemeError::Invalid {
                        file: origin.get(owner).cloned().unwrap_or_default(),
                        key: format!("recognitions[{}]", g.index),
                        problem: format!(
                            "arrangement `{}` overlaps `{}`: both accept {}/{} as {}/{} on the \
                             same days",
                            g.arrangement.id,
                            h.arrangement.id,
                            g.source,
                            g.source_level,
                            g.target,
                            g.target_level
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every concrete grant of every arrangement: which level of which scheme is accepted as
    /// which level of which other scheme, expanded over `and_above` and both directions of
    /// mutual arrangements. Ordered by the catalogue's scheme order, then file order.
    pub fn grants(&self) -> Vec<Grant<'_>> {
        let mut out = Vec::new();
        for scheme in self.schemes.values() {
            for (index, rec) in scheme.recognitions.iter().enumerate() {
                let Some(other) = self.schemes.get(&rec.scheme) else {
                    continue;
                };
                let levels_from = |s: &'_ Scheme, min: &LevelId| -> Vec<LevelId> {
                    let rank = s.level(min).map_or(u8::MAX, |l| l.rank);
                    s.levels
                        .iter()
                        .filter(|l| &l.id == min || (rec.and_above && l.rank >= rank))
                        .map(|l| l.id.clone())
                        .collect()
                };
                for level in levels_from(scheme, &rec.level) {
                    out.push(Grant {
                        arrangement: rec,
                        owner: &scheme.id,
                        index,
                        source: &scheme.id,
                        source_level: level,
                        target: &other.id,
                        target_level: rec.as_level.clone(),
                        reverse: false,
                    });
                }
                if rec.direction == Direction::Mutual {
                    for level in levels_from(other, &rec.as_level) {
                        out.push(Grant {
                            arrangement: rec,
                            owner: &scheme.id,
                            index,
                            source: &other.id,
                            source_level: level,
                            target: &scheme.id,
                            target_level: rec.level.clone(),
                            reverse: true,
                        });
                    }
                }
            }
        }
        out
    }

    /// The scheme with this id.
    pub fn get(&self, id: &SchemeId) -> Option<&Scheme> {
        self.schemes.get(id)
    }

    /// All schemes, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Scheme> {
        self.schemes.values()
    }

    /// The catalogue with one scheme's status changed, e.g. as it was before the scheme became
    /// legacy (to replay history, such as a label issued while the scheme still issued). `None`
    /// for an unknown scheme. Cross-references do not depend on the status, so the result is as
    /// valid as `self`.
    pub fn with_status(&self, id: &SchemeId, status: SchemeStatus) -> Option<Self> {
        let mut schemes = self.schemes.clone();
        schemes.get_mut(id)?.status = status;
        Some(Self { schemes })
    }

    /// The baseline scheme.
    pub fn baseline(&self) -> Option<&Scheme> {
        self.schemes.values().find(|s| s.baseline)
    }
}

#[cfg(test)]
mod tests;

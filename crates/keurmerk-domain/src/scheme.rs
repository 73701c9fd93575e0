//! The scheme catalogue. Schemes are data (`schemes/*.toml`), never Rust code: this module parses
//! and validates them, naming the file and key of every problem it finds.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{LevelId, SchemeId};
use crate::model::Severity;

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
    /// The class a vulnerability whose severity is not known yet counts as (its deadline and
    /// whether it suspends when overdue): `critical`, `high`, `medium` or `low`; default `high`.
    #[serde(default = "default_unknown_severity_as")]
    pub unknown_severity_as: Severity,
    /// A certificate with a covered version for which the maker has published no software list
    /// (SBOM) asks for attention (the label says "not monitored" either way). Default `true`:
    /// a scheme that does not say is read the strict way.
    #[serde(default = "default_true")]
    pub attention_when_not_monitored: bool,
}

fn default_true() -> bool {
    true
}

fn default_support_warning_days() -> u32 {
    90
}

fn default_unknown_severity_as() -> Severity {
    Severity::High
}

/// A recognition agreement: a level of this scheme is accepted as another scheme's level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// This scheme's level.
    pub level: LevelId,
    /// The other scheme.
    pub scheme: SchemeId,
    /// The other scheme's level it is recognised as.
    pub as_level: LevelId,
    /// Where the agreement comes from.
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
    /// Recognition agreements with other schemes.
    #[serde(default)]
    pub recognitions: Vec<Recognition>,
}

impl Scheme {
    /// Parses and validates one scheme file. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, SchemeError> {
        let scheme: Scheme = toml::from_str(text).map_err(|e| SchemeError::Syntax {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        scheme.validate(file)?;
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
        }
        Ok(())
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

/// All schemes, validated together (mappings and recognitions must refer to things that exist).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    schemes: BTreeMap<SchemeId, Scheme>,
}

/// The scheme files shipped in the repository's `schemes/` directory, compiled in:
/// `(file name, TOML text)` pairs for [`Catalogue::from_files`]. Data, not I/O.
pub const SHIPPED: [(&str, &str); 6] = [
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
        Ok(Self { schemes })
    }

    /// The scheme with this id.
    pub fn get(&self, id: &SchemeId) -> Option<&Scheme> {
        self.schemes.get(id)
    }

    /// All schemes, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Scheme> {
        self.schemes.values()
    }

    /// The baseline scheme.
    pub fn baseline(&self) -> Option<&Scheme> {
        self.schemes.values().find(|s| s.baseline)
    }
}

#[cfg(test)]
mod tests;

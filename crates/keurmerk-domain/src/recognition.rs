//! Recognition and market access: what a certificate is worth outside its own scheme.
//!
//! Pure and deterministic: the caller passes the catalogue, the certificate's facts (scheme,
//! level, product category, the assessment's per-requirement verdicts) and the date. Coverage
//! goes through the schemes' `maps_to` links onto the baseline (EN 303 645); acceptance goes
//! through the recognition arrangements of [`crate::scheme::Recognition`].
//!
//! A requirement counts as covered only when its verdict is `pass` or `not_applicable`; a
//! target requirement that maps onto no baseline provision can never be met by coverage (fail
//! closed): it is reported as needing its own assessment.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::i18n::Lang;
use crate::ids::{LevelId, SchemeId};
use crate::model::{Category, Verdict};
use crate::scheme::{Catalogue, Grant, LegalKind, Level, Obligation, RecognitionKind, Scheme};

pub mod texts;

/// A set of baseline provisions, one bit per provision in the baseline's file order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Provisions(u128);

impl Provisions {
    fn with(self, bit: usize) -> Self {
        Self(self.0 | (1u128 << bit))
    }
    fn union(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
    fn minus(self, o: Self) -> Self {
        Self(self.0 & !o.0)
    }
    fn is_subset(self, o: Self) -> bool {
        self.0 & !o.0 == 0
    }
    fn len(self) -> u32 {
        self.0.count_ones()
    }
    fn bits(self) -> impl Iterator<Item = usize> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                b
            })
        })
    }
}

/// Why the recognition index cannot be built from a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The catalogue has no baseline scheme.
    #[error("the catalogue has no baseline scheme")]
    NoBaseline,
    /// The baseline has more provisions than the index can hold.
    #[error("the baseline has {0} provisions; at most 128 are supported")]
    TooManyProvisions(usize),
}

#[derive(Debug)]
struct TargetInfo<'c> {
    scheme: &'c Scheme,
    level: &'c Level,
    /// Baseline provisions the level's requirements map onto.
    required: Provisions,
    /// The level's requirements that map onto no baseline provision.
    unmapped: Vec<&'c str>,
}

/// The catalogue prepared for fast, repeated recognition reports: baseline provisions as bits,
/// each scheme level's required provisions, every concrete grant of every arrangement.
#[derive(Debug)]
pub struct RecognitionIndex<'c> {
    catalogue: &'c Catalogue,
    baseline_ids: Vec<&'c str>,
    mandatory: Provisions,
    /// Per scheme: requirement id → provisions it covers.
    covers: BTreeMap<&'c SchemeId, BTreeMap<&'c str, Provisions>>,
    targets: Vec<TargetInfo<'c>>,
    grants: Vec<Grant<'c>>,
    /// Per scheme and level: what every other target level needs besides coverage.
    pairs: BTreeMap<&'c SchemeId, BTreeMap<&'c LevelId, Vec<PairInfo<'c>>>>,
}

/// What a source scheme level and a target level have in common regardless of date, category
/// and verdicts: the grants between them, and why none applies when there is none.
#[derive(Debug, Clone)]
struct PairInfo<'c> {
    /// Index into `targets`.
    target: usize,
    /// Indices into `grants` for exactly this pair.
    direct: Vec<usize>,
    /// Without direct grants: arrangements between the schemes in the other direction only, or
    /// for other levels.
    diagnostics: Vec<Why<'c>>,
}

/// The facts of one certificate a report is computed from.
#[derive(Debug, Clone, Copy)]
pub struct CertificateFacts<'a> {
    /// The certificate id, as shown.
    pub id: &'a str,
    /// Its scheme.
    pub scheme: &'a SchemeId,
    /// Its level.
    pub level: &'a LevelId,
    /// The product's category.
    pub category: Category,
    /// The assessment's verdict per requirement id.
    pub verdicts: &'a BTreeMap<String, Verdict>,
}

/// The outcome for one target scheme level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Accepted under an arrangement in force.
    Accepted,
    /// Not accepted by agreement, but the assessed requirements cover the target level's
    /// (informational: the target's own procedure still applies).
    MeetsRequirements,
    /// Neither.
    NotAccepted,
}

impl Outcome {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::MeetsRequirements => "meets_requirements",
            Self::NotAccepted => "not_accepted",
        }
    }
}

/// What an outcome rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A recognition arrangement.
    Agreement,
    /// The coverage of the target's requirements.
    Coverage,
}

/// Why a target has its outcome. Rendered as `{code, text}` in a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why<'c> {
    /// Accepted under this arrangement.
    Agreement {
        /// The arrangement's id.
        id: &'c str,
        /// Its kind.
        kind: RecognitionKind,
        /// Its published source.
        source: &'c str,
    },
    /// An arrangement covers the pair but starts later.
    NotYetInForce {
        /// The arrangement's id.
        id: &'c str,
        /// Its first day.
        from: NaiveDate,
    },
    /// An arrangement covered the pair but has ended.
    Ended {
        /// The arrangement's id.
        id: &'c str,
        /// Its first day without effect.
        until: NaiveDate,
    },
    /// The product's category is excluded from the arrangement.
    ExcludedCategory {
        /// The arrangement's id.
        id: &'c str,
        /// The category.
        category: Category,
    },
    /// An arrangement exists only in the other direction.
    WrongDirection {
        /// The arrangement's id.
        id: &'c str,
    },
    /// An arrangement between the schemes covers other levels only.
    OtherLevels {
        /// The arrangement's id.
        id: &'c str,
    },
    /// Every requirement of the target maps onto covered provisions.
    Coverage,
    /// Some provisions the target needs are not covered.
    MissingProvisions {
        /// How many.
        count: usize,
    },
    /// The target needs requirements that have no baseline counterpart.
    NotMappable {
        /// The target's requirement ids.
        requirements: &'c [&'c str],
    },
}

/// One target scheme level in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetReport<'c> {
    /// The target scheme.
    pub scheme: &'c Scheme,
    /// The target level.
    pub level: &'c Level,
    /// Accepted, meets the requirements, or not accepted.
    pub outcome: Outcome,
    /// What the outcome rests on (`None` for not accepted).
    pub basis: Option<Basis>,
    /// The arrangement's kind, when accepted by agreement.
    pub kind: Option<RecognitionKind>,
    /// Baseline provisions the target needs that the certificate does not cover.
    pub missing: Vec<&'c str>,
    /// Why, in order.
    pub reasons: Vec<Why<'c>>,
}

/// The recognition report of one certificate on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecognitionReport<'c> {
    /// The certificate id.
    pub certificate: String,
    /// The date it is computed for.
    pub at: NaiveDate,
    /// Baseline provisions covered, in baseline order.
    pub covered: Vec<&'c str>,
    /// Mandatory baseline provisions not covered, in baseline order.
    pub missing_mandatory: Vec<&'c str>,
    /// Every level of every other scheme, in catalogue order.
    pub targets: Vec<TargetReport<'c>>,
}

impl<'c> RecognitionIndex<'c> {
    /// Prepares a catalogue.
    pub fn new(catalogue: &'c Catalogue) -> Result<Self, IndexError> {
        let baseline = catalogue.baseline().ok_or(IndexError::NoBaseline)?;
        if baseline.requirements.len() > 128 {
            return Err(IndexError::TooManyProvisions(baseline.requirements.len()));
        }
        let baseline_ids: Vec<&str> = baseline
            .requirements
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let pos: BTreeMap<&str, usize> = baseline_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i))
            .collect();
        let mandatory = baseline
            .requirements
            .iter()
            .enumerate()
            .filter(|(_, r)| r.obligation == Obligation::Mandatory)
            .fold(Provisions::default(), |p, (i, _)| p.with(i));
        let mut covers = BTreeMap::new();
        let mut targets = Vec::new();
        for scheme in catalogue.iter() {
            let mut map = BTreeMap::new();
            for r in &scheme.requirements {
                let p = scheme
                    .baseline_ids(r)
                    .into_iter()
                    .filter_map(|id| pos.get(id))
                    .fold(Provisions::default(), |p, i| p.with(*i));
                map.insert(r.id.as_str(), p);
            }
            for level in &scheme.levels {
                let mut required = Provisions::default();
                let mut unmapped = Vec::new();
                for r in scheme.required_at(level) {
                    let p = map.get(r.id.as_str()).copied().unwrap_or_default();
                    if p == Provisions::default() {
                        unmapped.push(r.id.as_str());
                    }
                    required = required.union(p);
                }
                targets.push(TargetInfo {
                    scheme,
                    level,
                    required,
                    unmapped,
                });
            }
            covers.insert(&scheme.id, map);
        }
        let mut index = Self {
            catalogue,
            baseline_ids,
            mandatory,
            covers,
            targets,
            grants: catalogue.grants(),
            pairs: BTreeMap::new(),
        };
        let mut pairs: BTreeMap<&SchemeId, BTreeMap<&LevelId, Vec<PairInfo<'c>>>> = BTreeMap::new();
        for scheme in catalogue.iter() {
            for level in &scheme.levels {
                pairs
                    .entry(&scheme.id)
                    .or_default()
                    .insert(&level.id, index.pair_infos(&scheme.id, &level.id));
            }
        }
        index.pairs = pairs;
        Ok(index)
    }

    /// The pair information of a source scheme level against every other scheme's levels.
    fn pair_infos(&self, scheme: &SchemeId, level: &LevelId) -> Vec<PairInfo<'c>> {
        self.targets
            .iter()
            .enumerate()
            .filter(|(_, t)| &t.scheme.id != scheme)
            .map(|(i, t)| {
                let direct: Vec<usize> = self
                    .grants
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| {
                        g.source == scheme
                            && &g.source_level == level
                            && g.target == &t.scheme.id
                            && g.target_level == t.level.id
                    })
                    .map(|(n, _)| n)
                    .collect();
                let mut diagnostics = Vec::new();
                if direct.is_empty() {
                    let forward = self
                        .grants
                        .iter()
                        .any(|h| h.source == scheme && h.target == &t.scheme.id);
                    let mut seen = BTreeSet::new();
                    for g in &self.grants {
                        let a = g.arrangement;
                        if g.source == &t.scheme.id && g.target == scheme {
                            if !forward && seen.insert(a.id.as_str()) {
                                diagnostics.push(Why::WrongDirection { id: &a.id });
                            }
                        } else if g.source == scheme
                            && g.target == &t.scheme.id
                            && seen.insert(a.id.as_str())
                        {
                            diagnostics.push(Why::OtherLevels { id: &a.id });
                        }
                    }
                }
                PairInfo {
                    target: i,
                    direct,
                    diagnostics,
                }
            })
            .collect()
    }

    /// The catalogue this index was built from.
    pub fn catalogue(&self) -> &'c Catalogue {
        self.catalogue
    }

    fn names(&self, p: Provisions) -> Vec<&'c str> {
        p.bits()
            .filter_map(|b| self.baseline_ids.get(b).copied())
            .collect()
    }

    /// The baseline provisions a certificate's verdicts cover: requirements of its scheme
    /// judged `pass` or `not_applicable`, through their mappings.
    pub fn coverage(&self, scheme: &SchemeId, verdicts: &BTreeMap<String, Verdict>) -> Provisions {
        let Some(map) = self.covers.get(scheme) else {
            return Provisions::default();
        };
        verdicts
            .iter()
            .filter(|(_, v)| matches!(v, Verdict::Pass | Verdict::NotApplicable { .. }))
            .filter_map(|(id, _)| map.get(id.as_str()))
            .fold(Provisions::default(), |p, q| p.union(*q))
    }

    /// The recognition report of a certificate on a date.
    pub fn report<'s>(
        &'s self,
        cert: &CertificateFacts<'_>,
        at: NaiveDate,
    ) -> RecognitionReport<'s> {
        let covered = self.coverage(cert.scheme, cert.verdicts);
        let known = self
            .pairs
            .get(cert.scheme)
            .and_then(|levels| levels.get(cert.level));
        // A level the catalogue does not know gets no grants, computed the same way.
        let computed;
        let pairs = match known {
            Some(p) => p,
            None => {
                computed = self.pair_infos(cert.scheme, cert.level);
                &computed
            }
        };
        let targets = pairs
            .iter()
            .map(|p| self.target(cert, covered, p, at))
            .collect();
        RecognitionReport {
            certificate: cert.id.to_owned(),
            at,
            covered: self.names(covered),
            missing_mandatory: self.names(self.mandatory.minus(covered)),
            targets,
        }
    }

    fn target<'s>(
        &'s self,
        cert: &CertificateFacts<'_>,
        covered: Provisions,
        p: &PairInfo<'c>,
        at: NaiveDate,
    ) -> TargetReport<'s> {
        let t = &self.targets[p.target];
        let mut reasons = Vec::new();
        for g in p.direct.iter().map(|n| &self.grants[*n]) {
            let a = g.arrangement;
            if !a.in_force(at) {
                if at < a.from {
                    reasons.push(Why::NotYetInForce {
                        id: &a.id,
                        from: a.from,
                    });
                } else if let Some(until) = a.until {
                    reasons.push(Why::Ended { id: &a.id, until });
                }
            } else if a.excluded_categories.contains(&cert.category) {
                reasons.push(Why::ExcludedCategory {
                    id: &a.id,
                    category: cert.category,
                });
            } else {
                return TargetReport {
                    scheme: t.scheme,
                    level: t.level,
                    outcome: Outcome::Accepted,
                    basis: Some(Basis::Agreement),
                    kind: Some(a.kind),
                    missing: vec![],
                    reasons: vec![Why::Agreement {
                        id: &a.id,
                        kind: a.kind,
                        source: &a.source,
                    }],
                };
            }
        }
        reasons.extend(p.diagnostics.iter().cloned());
        let missing = t.required.minus(covered);
        let (outcome, basis) = if missing == Provisions::default() && t.unmapped.is_empty() {
            reasons.push(Why::Coverage);
            (Outcome::MeetsRequirements, Some(Basis::Coverage))
        } else {
            if missing != Provisions::default() {
                reasons.push(Why::MissingProvisions {
                    count: missing.len() as usize,
                });
            }
            if !t.unmapped.is_empty() {
                reasons.push(Why::NotMappable {
                    requirements: &t.unmapped,
                });
            }
            (Outcome::NotAccepted, None)
        };
        TargetReport {
            scheme: t.scheme,
            level: t.level,
            outcome,
            basis,
            kind: None,
            missing: self.names(missing),
            reasons,
        }
    }
}

/// A reason as the JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ReasonJson {
    /// Stable code: `agreement`, `not_yet_in_force`, `ended`, `excluded_category`,
    /// `direction`, `other_levels`, `coverage`, `missing_provisions`, `not_mappable`.
    pub code: String,
    /// The reason in plain words, in the requested language.
    pub text: String,
}

/// One target in the JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TargetJson {
    /// Target scheme id.
    pub scheme: String,
    /// Target level id.
    pub level: String,
    /// The target scheme's jurisdictions.
    pub jurisdictions: Vec<String>,
    /// `accepted`, `meets_requirements` or `not_accepted`.
    pub outcome: Outcome,
    /// `agreement`, `coverage` or null.
    pub basis: Option<Basis>,
    /// The arrangement's kind when accepted by agreement, else null.
    pub kind: Option<RecognitionKind>,
    /// Baseline provisions still missing for this level.
    pub missing: Vec<String>,
    /// Why.
    pub reasons: Vec<ReasonJson>,
}

/// Baseline coverage in the JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BaselineJson {
    /// Baseline provisions covered.
    pub covered: Vec<String>,
    /// Mandatory baseline provisions not covered.
    pub missing_mandatory: Vec<String>,
}

/// The recognition report in its documented JSON shape (`docs/FORMATS.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RecognitionJson {
    /// The certificate id.
    pub certificate: String,
    /// The date, `YYYY-MM-DD`.
    pub at: NaiveDate,
    /// Baseline coverage.
    pub baseline: BaselineJson,
    /// Every level of every other scheme.
    pub targets: Vec<TargetJson>,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl RecognitionReport<'_> {
    /// The report in its JSON shape, with reasons in `lang`.
    pub fn to_json(&self, lang: Lang) -> RecognitionJson {
        RecognitionJson {
            certificate: self.certificate.clone(),
            at: self.at,
            baseline: BaselineJson {
                covered: strings(&self.covered),
                missing_mandatory: strings(&self.missing_mandatory),
            },
            targets: self
                .targets
                .iter()
                .map(|t| TargetJson {
                    scheme: t.scheme.id.to_string(),
                    level: t.level.id.to_string(),
                    jurisdictions: t.scheme.jurisdictions.clone(),
                    outcome: t.outcome,
                    basis: t.basis,
                    kind: t.kind,
                    missing: strings(&t.missing),
                    reasons: t
                        .reasons
                        .iter()
                        .map(|w| ReasonJson {
                            code: w.code().to_owned(),
                            text: w.text(lang, t),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The targets accepted by agreement (what the certificate is "recognised as").
    pub fn accepted(&self) -> impl Iterator<Item = &TargetReport<'_>> {
        self.targets
            .iter()
            .filter(|t| t.outcome == Outcome::Accepted)
    }
}

// ---------------------------------------------------------------------------------------------
// Market access
// ---------------------------------------------------------------------------------------------

/// Why a market code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    /// Not `EU`, `UK` or a two-letter code.
    #[error("`{0}` is not a market: use EU, UK or a two-letter country code (e.g. DE, SG)")]
    Malformed(String),
    /// A code no scheme or EU membership covers.
    #[error("no scheme of the catalogue applies in `{0}`")]
    Unknown(String),
    /// No markets, or too many.
    #[error("give between 1 and {max} markets, got {got}")]
    Count {
        /// Limit.
        max: usize,
        /// Given.
        got: usize,
    },
}

/// At most this many markets in one question.
pub const MAX_MARKETS: usize = 40;

/// Parses a comma-separated market list (`EU,DE,UK,SG`): upper-cased, `UK` read as `GB`,
/// duplicates dropped, order kept. A market must be the EU, an EU/EEA state, or a jurisdiction
/// of a scheme in the catalogue.
pub fn parse_markets(catalogue: &Catalogue, raw: &str) -> Result<Vec<String>, MarketError> {
    let mut out: Vec<String> = Vec::new();
    let parts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > MAX_MARKETS {
        return Err(MarketError::Count {
            max: MAX_MARKETS,
            got: parts.len(),
        });
    }
    for p in parts {
        let mut code = p.to_ascii_uppercase();
        if code == "UK" {
            code = "GB".into();
        }
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(MarketError::Malformed(p.chars().take(20).collect()));
        }
        let known = code == crate::jurisdiction::EU
            || crate::jurisdiction::is_eu_or_eea(&code)
            || catalogue
                .iter()
                .any(|s| s.jurisdictions.iter().any(|j| j == &code));
        if !known {
            return Err(MarketError::Unknown(code));
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// The jurisdictions whose rules apply in a market: the market itself, and the EU for the EU
/// and its (EEA) member states.
pub fn market_jurisdictions(market: &str) -> Vec<&str> {
    if market == crate::jurisdiction::EU {
        vec![crate::jurisdiction::EU]
    } else if crate::jurisdiction::is_eu_or_eea(market) {
        vec![crate::jurisdiction::EU, market]
    } else {
        vec![market]
    }
}

/// How a mandatory regime is satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// A certificate of the regime itself.
    Directly,
    /// A certificate deemed compliant under an arrangement.
    Deemed,
    /// A certificate accepted under a mutual-recognition arrangement.
    ByAgreement,
    /// The product's certificates cover every requirement, but the regime's own declaration
    /// or certificate is still needed.
    MeetsRequirements,
    /// Something is missing.
    NotSatisfied,
}

/// One mandatory regime in one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RegimeJson {
    /// The regime's scheme id.
    pub scheme: String,
    /// Its short name.
    pub name: String,
    /// The jurisdiction whose law requires it.
    pub jurisdiction: String,
    /// `mandatory` or `reporting` (reporting duties only, product rules later).
    pub status: LegalKind,
    /// Since when, if the law says.
    pub since: Option<NaiveDate>,
    /// How the product's certificates satisfy it.
    pub satisfied: Satisfaction,
    /// The certificates that satisfy it (directly, deemed or by agreement).
    pub certificates: Vec<String>,
    /// Baseline provisions still to assess for its lowest reachable level.
    pub missing: Vec<String>,
    /// Its own requirements with no baseline counterpart, to assess as well.
    pub also_required: Vec<String>,
    /// The legal source.
    pub source: String,
}

/// A coming change of a scheme's legal status in a market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ChangeJson {
    /// Scheme id.
    pub scheme: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// The new status.
    pub status: LegalKind,
    /// From when.
    pub from: NaiveDate,
    /// The legal source.
    pub source: String,
}

/// A voluntary label level available in a market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct VoluntaryJson {
    /// Scheme id.
    pub scheme: String,
    /// Level id.
    pub level: String,
    /// `accepted` (held or accepted by agreement), `meets_requirements` or `not_accepted`.
    pub outcome: Outcome,
    /// The certificates that earn it, when earned.
    pub certificates: Vec<String>,
}

/// One market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarketJson {
    /// The market code (`EU`, `DE`, `GB`, …).
    pub market: String,
    /// Mandatory regimes (and reporting duties) for the product's category on the date.
    pub mandatory: Vec<RegimeJson>,
    /// Changes of legal status still to come.
    pub upcoming: Vec<ChangeJson>,
    /// Voluntary labels there.
    pub voluntary: Vec<VoluntaryJson>,
}

/// The plan: the smallest set of additional baseline provisions that satisfies every
/// mandatory regime of the chosen markets (as far as the regimes map onto the baseline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PlanJson {
    /// Baseline provisions to assess in addition, in baseline order.
    pub provisions: Vec<String>,
    /// Regime requirements with no baseline counterpart that must be assessed as well
    /// (`scheme/requirement`).
    pub also_required: Vec<String>,
    /// Declarations or certificates still to obtain (`scheme/level`).
    pub regimes: Vec<String>,
    /// Voluntary labels (`scheme/level`) whose requirements would then be met too.
    pub unlocks: Vec<String>,
}

/// The market-access answer for a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarketAccessJson {
    /// The product id.
    pub product: String,
    /// Its category.
    pub category: Category,
    /// The date.
    pub at: NaiveDate,
    /// The certificates considered (valid ones).
    pub certificates: Vec<String>,
    /// Per market, in the order asked.
    pub markets: Vec<MarketJson>,
    /// What to do next.
    pub plan: PlanJson,
}

impl RecognitionIndex<'_> {
    /// Market access for a product with these (valid) certificates, on a date.
    pub fn market_access(
        &self,
        product: &str,
        category: Category,
        certs: &[CertificateFacts<'_>],
        markets: &[String],
        at: NaiveDate,
    ) -> MarketAccessJson {
        let reports: Vec<RecognitionReport<'_>> =
            certs.iter().map(|c| self.report(c, at)).collect();
        let covered = certs
            .iter()
            .map(|c| self.coverage(c.scheme, c.verdicts))
            .fold(Provisions::default(), Provisions::union);
        // Who earns (scheme, level): directly or by agreement.
        let earned = |scheme: &SchemeId, level: Option<&LevelId>| -> Vec<(String, Satisfaction)> {
            let mut out = Vec::new();
            for (c, r) in certs.iter().zip(&reports) {
                if c.scheme == scheme && level.is_none_or(|l| c.level == l) {
                    out.push((c.id.to_owned(), Satisfaction::Directly));
                    continue;
                }
                for t in r.accepted() {
                    if &t.scheme.id == scheme && level.is_none_or(|l| &t.level.id == l) {
                        match t.kind {
                            Some(RecognitionKind::DeemedCompliance) => {
                                out.push((c.id.to_owned(), Satisfaction::Deemed))
                            }
                            Some(RecognitionKind::MutualRecognition) => {
                                out.push((c.id.to_owned(), Satisfaction::ByAgreement))
                            }
                            _ => {}
                        }
                    }
                }
            }
            out.dedup();
            out
        };
        let mut market_out = Vec::new();
        // Unsatisfied mandatory regimes across markets: scheme → per-level (missing, unmapped).
        let mut open: BTreeMap<&SchemeId, &Scheme> = BTreeMap::new();
        for m in markets {
            let mut mandatory = Vec::new();
            let mut upcoming = Vec::new();
            let mut voluntary = Vec::new();
            for j in market_jurisdictions(m) {
                for s in self.catalogue.iter() {
                    if let Some(next) = s.next_legal_change(j, category, at) {
                        if let Some(from) = next.from {
                            upcoming.push(ChangeJson {
                                scheme: s.id.to_string(),
                                jurisdiction: j.to_owned(),
                                status: next.status,
                                from,
                                source: next.source.clone(),
                            });
                        }
                    }
                    let Some(ls) = s.legal_status_at(j, category, at) else {
                        continue;
                    };
                    match ls.status {
                        LegalKind::Voluntary => {
                            for t in self.targets.iter().filter(|t| t.scheme.id == s.id) {
                                let got = earned(&s.id, Some(&t.level.id));
                                let outcome = if !got.is_empty() {
                                    Outcome::Accepted
                                } else if t.required.is_subset(covered) && t.unmapped.is_empty() {
                                    Outcome::MeetsRequirements
                                } else {
                                    Outcome::NotAccepted
                                };
                                voluntary.push(VoluntaryJson {
                                    scheme: s.id.to_string(),
                                    level: t.level.id.to_string(),
                                    outcome,
                                    certificates: got.into_iter().map(|g| g.0).collect(),
                                });
                            }
                        }
                        LegalKind::Reporting | LegalKind::Mandatory => {
                            let got = earned(&s.id, None);
                            let (missing, unmapped) = self.cheapest(s, covered);
                            let satisfied = match got.first() {
                                Some((_, how)) => *how,
                                None if ls.status == LegalKind::Reporting => {
                                    Satisfaction::NotSatisfied
                                }
                                None if missing == Provisions::default() && unmapped.is_empty() => {
                                    Satisfaction::MeetsRequirements
                                }
                                None => Satisfaction::NotSatisfied,
                            };
                            if got.is_empty() && ls.status == LegalKind::Mandatory {
                                open.insert(&s.id, s);
                            }
                            let done = !got.is_empty();
                            mandatory.push(RegimeJson {
                                scheme: s.id.to_string(),
                                name: s.short_name.clone(),
                                jurisdiction: j.to_owned(),
                                status: ls.status,
                                since: ls.from,
                                satisfied,
                                certificates: got.into_iter().map(|g| g.0).collect(),
                                missing: if done {
                                    vec![]
                                } else {
                                    strings(&self.names(missing))
                                },
                                also_required: if done {
                                    vec![]
                                } else {
                                    unmapped.iter().map(|s| (*s).to_owned()).collect()
                                },
                                source: ls.source.clone(),
                            });
                        }
                    }
                }
            }
            market_out.push(MarketJson {
                market: m.clone(),
                mandatory,
                upcoming,
                voluntary,
            });
        }
        let plan = self.plan(&open, covered, markets, category, at);
        MarketAccessJson {
            product: product.to_owned(),
            category,
            at,
            certificates: certs.iter().map(|c| c.id.to_owned()).collect(),
            markets: market_out,
            plan,
        }
    }

    /// The level of a regime with the fewest missing provisions (then the lowest rank), its
    /// missing provisions and unmapped requirements.
    fn cheapest(&self, s: &Scheme, covered: Provisions) -> (Provisions, Vec<&str>) {
        self.targets
            .iter()
            .filter(|t| t.scheme.id == s.id)
            .map(|t| (t.required.minus(covered), t.unmapped.clone()))
            .min_by_key(|(m, u)| (m.len(), u.len()))
            .unwrap_or_default()
    }

    /// The smallest union of additional provisions over a choice of one level per open regime
    /// (exhaustive over the choices, bounded: at most 4096 combinations are tried, beyond that
    /// each regime's cheapest level is taken).
    fn plan(
        &self,
        open: &BTreeMap<&SchemeId, &Scheme>,
        covered: Provisions,
        markets: &[String],
        category: Category,
        at: NaiveDate,
    ) -> PlanJson {
        let options: Vec<Vec<&TargetInfo<'_>>> = open
            .keys()
            .map(|id| {
                self.targets
                    .iter()
                    .filter(|t| &&t.scheme.id == id)
                    .collect()
            })
            .collect();
        let combos: usize = options.iter().map(Vec::len).product();
        let mut best: Option<(Provisions, usize, Vec<usize>)> = None;
        if combos <= 4096 {
            for n in 0..combos {
                let mut k = n;
                let mut pick = Vec::with_capacity(options.len());
                let mut need = Provisions::default();
                let mut unmapped = 0;
                for o in &options {
                    let i = k % o.len();
                    k /= o.len();
                    need = need.union(o[i].required.minus(covered));
                    unmapped += o[i].unmapped.len();
                    pick.push(i);
                }
                let better = best
                    .as_ref()
                    .is_none_or(|(b, u, _)| (need.len(), unmapped) < (b.len(), *u));
                if better {
                    best = Some((need, unmapped, pick));
                }
            }
        } else {
            let pick: Vec<usize> = options
                .iter()
                .map(|o| {
                    (0..o.len())
                        .min_by_key(|i| o[*i].required.minus(covered).len())
                        .unwrap_or(0)
                })
                .collect();
            let need = options
                .iter()
                .zip(&pick)
                .fold(Provisions::default(), |p, (o, i)| {
                    p.union(o[*i].required.minus(covered))
                });
            best = Some((need, 0, pick));
        }
        let (need, _, pick) = best.unwrap_or_default();
        let chosen: Vec<&TargetInfo<'_>> = options.iter().zip(&pick).map(|(o, i)| o[*i]).collect();
        let after = covered.union(need);
        let mut unlocks = BTreeSet::new();
        for m in markets {
            for j in market_jurisdictions(m) {
                for t in &self.targets {
                    let voluntary = t
                        .scheme
                        .legal_status_at(j, category, at)
                        .is_some_and(|ls| ls.status == LegalKind::Voluntary);
                    if voluntary
                        && t.unmapped.is_empty()
                        && t.required.is_subset(after)
                        && !t.required.is_subset(covered)
                    {
                        unlocks.insert(format!("{}/{}", t.scheme.id, t.level.id));
                    }
                }
            }
        }
        PlanJson {
            provisions: strings(&self.names(need)),
            also_required: chosen
                .iter()
                .flat_map(|t| t.unmapped.iter().map(|u| format!("{}/{u}", t.scheme.id)))
                .collect(),
            regimes: chosen
                .iter()
                .map(|t| format!("{}/{}", t.scheme.id, t.level.id))
                .collect(),
            unlocks: unlocks.into_iter().collect(),
        }
    }
}

/// The plain-words legal position of a scheme for a product category in its jurisdictions on a
/// date: the status now and the next change, per jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalPosition<'c> {
    /// Jurisdiction.
    pub jurisdiction: &'c str,
    /// Status on the date (`None`: the scheme does not cover the category there).
    pub now: Option<LegalKind>,
    /// The next change, if one is coming.
    pub next: Option<(LegalKind, NaiveDate)>,
    /// Who supervises there.
    pub supervisor: Option<&'c str>,
}

/// The legal position of a scheme in each of its jurisdictions.
pub fn legal_position(
    scheme: &Scheme,
    category: Category,
    at: NaiveDate,
) -> Vec<LegalPosition<'_>> {
    scheme
        .jurisdictions
        .iter()
        .map(|j| LegalPosition {
            jurisdiction: j,
            now: scheme.legal_status_at(j, category, at).map(|l| l.status),
            next: scheme
                .next_legal_change(j, category, at)
                .and_then(|l| l.from.map(|f| (l.status, f))),
            supervisor: scheme.supervisor(j).map(|s| s.body.as_str()),
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! The maker's update record (issue 12 item 5, SPEC §1.1): how a manufacturer has dealt with the
//! vulnerabilities found in its products — how long fixes took, whether the scheme's deadlines
//! were met, whether support periods were honoured.
//!
//! It is a pure function of certificates' events (which the caller must have verified against
//! their signed statements), the scheme policies and "now", so anyone holding the log can
//! recompute it (`docs/FORMATS.md`, "The maker's update record"). The rules:
//!
//! - **Findings are per product and vulnerability.** Each certificate's history is folded with
//!   [`crate::event::apply`]; a `vulnerability_matched` event opens an *episode* on that
//!   certificate (as the fold's `first_seen`), a `vulnerability_resolved` closes it, and the
//!   certificate ending (withdrawn, expired, superseded) closes every open episode as
//!   *label ended*. Episodes of one product and one vulnerability id (compared without regard to
//!   ASCII case) are joined into one finding when they overlap, or when the earlier one ended
//!   only because its label ended: recertifying a product does not restart the clock.
//! - **A fix is a covered version that is proven free of the vulnerability**, and the fix time
//!   is when that version became covered (never before the first match):
//!   - a version covered with its software list on record in the log (a
//!     `version_change_declared` covered at once, or confirmed by `version_confirmed`: the event
//!     carries the list's SHA-256) that is not among the versions the finding's latest
//!     `vulnerability_matched` names as carrying it, and released no earlier than any of them —
//!     the devices on older versions can install it, which is what the maker can do; a later
//!     match naming that version takes the fix back;
//!   - or a resolution `fixed` naming a covered version (no covered version carries it any
//!     more).
//!
//!   A resolution `fixed` naming a version the certificate does not cover is not a fix. VEX
//!   `not_affected` and withdrawn advisories are counted separately and are not fixes. A
//!   finding still open, or left unfixed when its label ended, counts with its age, so a maker
//!   cannot look good by never fixing.
//! - **Days** are whole calendar days (UTC) from the first match to the fix (open: to today).
//!   The median of an even number of values is the larger of the two middle ones (it never
//!   flatters the maker).
//! - **Deadlines** are the scheme policy's per-severity remediation days counted from the first
//!   match's date, as the label status counts them (`status::evaluate`): a fix on or before the
//!   deadline date met it; a fix after it, or a finding not fixed by a date after its deadline,
//!   missed it. The policy and severity are those of the episode that ended the finding (the
//!   newest knowledge of its severity).
//! - **Window:** a finding counts when it is still open or its end lies in the 24 months before
//!   "now"; events after "now" are not read.
//! - **Support** (all time, not windowed: a promise does not expire): the committed support ends
//!   of a product in time order (issued, `support_changed`), each *shortening* (a new end before
//!   the one in force), whether support has ended and whether it ended as announced (no
//!   shortening), fixes made within the support period in force, and findings still unfixed on
//!   the day support ended.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{apply, fold, CoveredVersion, Event, EventKind, Resolution};
use crate::ids::{CertificateId, RecordId};
use crate::model::Severity;
use crate::scheme::StatusPolicy;

/// How far back the record looks, in months.
pub const WINDOW_MONTHS: u32 = 24;

/// One certificate's verified events (oldest first) and its scheme's policy.
#[derive(Debug, Clone, Copy)]
pub struct CertificateInput<'a> {
    /// The certificate.
    pub certificate: &'a CertificateId,
    /// The events, oldest first, every one proven by its signed statement.
    pub events: &'a [Event],
    /// The certificate's scheme policy.
    pub policy: &'a StatusPolicy,
}

/// The update record over a set of certificates (one product's, or one manufacturer's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct UpdateRecord {
    /// First day of the window (24 months before `computed_at`).
    pub window_from: NaiveDate,
    /// The "now" it was computed for.
    pub computed_at: DateTime<Utc>,
    /// The certificates it was computed from.
    pub certificates: Vec<CertificateId>,
    /// Certificates left out because their record could not be verified: the record is then
    /// incomplete and says so.
    pub unverified: Vec<Unverified>,
    /// Per severity (as recorded on the finding).
    pub by_severity: BTreeMap<Severity, SeverityRecord>,
    /// Support periods, per product.
    pub support: Vec<ProductSupport>,
    /// Every finding counted, so each figure can be checked.
    pub findings: Vec<Finding>,
}

impl UpdateRecord {
    /// Whether every certificate asked for was verified and used.
    pub fn is_complete(&self) -> bool {
        self.unverified.is_empty()
    }

    /// The figures over several severities together (e.g. critical and high: "serious").
    pub fn total(&self, severities: &[Severity]) -> SeverityRecord {
        let findings: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.counted && severities.contains(&f.severity))
            .collect();
        SeverityRecord::of(&findings)
    }
}

/// A certificate whose record could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Unverified {
    /// The certificate.
    pub certificate: CertificateId,
    /// What is wrong, in the verifier's words.
    pub problem: String,
}

/// The figures for one severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SeverityRecord {
    /// Findings counted in the days figures: fixed, open and closed unfixed.
    pub findings: u32,
    /// Fixed by a covered version.
    pub fixed: u32,
    /// Still open.
    pub open: u32,
    /// Closed without a fix by a covered version (the label ended, or a version the certificate
    /// does not cover).
    pub closed_unfixed: u32,
    /// Closed by the holder's VEX "not affected" (not a fix).
    pub not_affected: u32,
    /// Closed because the advisory was withdrawn (not a fix).
    pub advisory_withdrawn: u32,
    /// Median days from first match to fix (open and unfixed: their age).
    pub median_days: Option<u32>,
    /// Longest.
    pub worst_days: Option<u32>,
    /// Fixed on or before the scheme's deadline.
    pub deadline_met: u32,
    /// Fixed after the deadline, or not fixed and past it.
    pub deadline_missed: u32,
    /// Of the missed: fixes that came late.
    pub fixed_late: u32,
}

impl SeverityRecord {
    fn of(findings: &[&Finding]) -> Self {
        let mut r = SeverityRecord::default();
        let mut days = Vec::new();
        for f in findings {
            match f.outcome {
                Outcome::Fixed { .. } => r.fixed += 1,
                Outcome::Open => r.open += 1,
                Outcome::LabelEnded | Outcome::FixNotCovered { .. } => r.closed_unfixed += 1,
                Outcome::NotAffected => r.not_affected += 1,
                Outcome::AdvisoryWithdrawn => r.advisory_withdrawn += 1,
            }
            if f.outcome.counts_in_days() {
                r.findings += 1;
                days.push(f.days);
            }
            match f.deadline_met {
                Some(true) => r.deadline_met += 1,
                Some(false) => {
                    r.deadline_missed += 1;
                    if matches!(f.outcome, Outcome::Fixed { .. }) {
                        r.fixed_late += 1;
                    }
                }
                None => {}
            }
        }
        days.sort_unstable();
        r.median_days = days.get(days.len() / 2).copied();
        r.worst_days = days.last().copied();
        r
    }
}

/// How a finding ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Outcome {
    /// Still open.
    Open,
    /// Fixed by this covered version.
    Fixed {
        /// The version.
        version: String,
    },
    /// Resolved as fixed by a version the certificate did not cover: not a fix.
    FixNotCovered {
        /// The version named.
        version: String,
    },
    /// The holder's VEX says not affected.
    NotAffected,
    /// The advisory was withdrawn.
    AdvisoryWithdrawn,
    /// The label ended (withdrawn, expired, superseded) with the finding open, and no later
    /// certificate of the product carried it on.
    LabelEnded,
}

impl Outcome {
    /// Fixed, open and unfixed findings count in the days figures; VEX and withdrawn advisories
    /// do not.
    pub fn counts_in_days(&self) -> bool {
        !matches!(self, Outcome::NotAffected | Outcome::AdvisoryWithdrawn)
    }

    fn is_fix(&self) -> bool {
        matches!(self, Outcome::Fixed { .. })
    }

    // Which closing wins when two episodes end at the same moment.
    fn rank(&self) -> u8 {
        match self {
            Outcome::Open => 0,
            Outcome::LabelEnded => 1,
            Outcome::AdvisoryWithdrawn => 2,
            Outcome::NotAffected => 3,
            Outcome::FixNotCovered { .. } => 4,
            Outcome::Fixed { .. } => 5,
        }
    }
}

/// One finding: a vulnerability in a product, from its first match to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Finding {
    /// The product.
    pub product: RecordId,
    /// The vulnerability id as first recorded.
    pub vulnerability: String,
    /// Severity (the ending episode's).
    pub severity: Severity,
    /// Known to be actively exploited (any episode).
    pub exploited: bool,
    /// The first match.
    pub first_matched: DateTime<Utc>,
    /// When it ended (absent while open).
    pub ended: Option<DateTime<Utc>>,
    /// How.
    pub outcome: Outcome,
    /// Days from the first match to the end (open: to today).
    pub days: u32,
    /// The scheme's deadline for it.
    pub deadline: NaiveDate,
    /// Met (`true`), missed (`false`) or not counted (`None`: open within the deadline, VEX,
    /// withdrawn advisory).
    pub deadline_met: Option<bool>,
    /// The certificates it was recorded on.
    pub certificates: Vec<CertificateId>,
    /// Whether it lies in the window (open, or ended within it).
    pub counted: bool,
}

/// A product's support periods as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ProductSupport {
    /// The product.
    pub product: RecordId,
    /// The first committed last day of support.
    pub first_committed: Option<NaiveDate>,
    /// The last day of support in force now.
    pub current: Option<NaiveDate>,
    /// Every time a committed end was brought forward.
    pub shortened: Vec<Shortening>,
    /// Support has ended (the end in force is before today).
    pub ended: bool,
    /// Support ended and was never shortened.
    pub ended_as_announced: bool,
    /// Fixes made on or before the end of support in force at the time.
    pub fixes_within_support: u32,
    /// Fixes made after support had ended.
    pub fixes_after_support: u32,
    /// Findings still unfixed on the day support ended.
    pub unfixed_at_support_end: u32,
}

/// A committed support end brought forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Shortening {
    /// When.
    pub at: DateTime<Utc>,
    /// The end that was in force.
    pub from: NaiveDate,
    /// The new, earlier end.
    pub to: NaiveDate,
}

/// Computes the record over the given certificates at `now`. A certificate whose events do not
/// fold is listed in [`UpdateRecord::unverified`], never silently left out; the caller passes
/// the certificates whose signed record did not verify in `unverified`.
pub fn compute(
    inputs: &[CertificateInput<'_>],
    unverified: Vec<Unverified>,
    now: DateTime<Utc>,
) -> UpdateRecord {
    let today = now.date_naive();
    let window_from = today
        .checked_sub_months(Months::new(WINDOW_MONTHS))
        .unwrap_or(NaiveDate::MIN);
    let mut unverified = unverified;
    let mut certificates = Vec::new();
    let mut episodes = Vec::new();
    // product → (time, committed end)
    let mut commitments: BTreeMap<RecordId, Vec<(DateTime<Utc>, NaiveDate)>> = BTreeMap::new();
    for input in inputs {
        match certificate_episodes(input, now, &mut episodes, &mut commitments) {
            Ok(id) => certificates.push(id),
            Err((id, problem)) => unverified.push(Unverified {
                certificate: id,
                problem,
            }),
        }
    }
    certificates.sort();
    certificates.dedup();
    unverified.sort_by(|a, b| (&a.certificate, &a.problem).cmp(&(&b.certificate, &b.problem)));
    unverified.dedup();

    let mut findings = join(episodes, today);
    for f in &mut findings {
        f.counted = f.ended.is_none_or(|e| e.date_naive() >= window_from);
    }
    findings.sort_by(|a, b| {
        (&a.product, a.first_matched, &a.vulnerability).cmp(&(
            &b.product,
            b.first_matched,
            &b.vulnerability,
        ))
    });

    let mut by_severity = BTreeMap::new();
    for severity in Severity::ALL {
        let of: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.counted && f.severity == *severity)
            .collect();
        if !of.is_empty() {
            by_severity.insert(*severity, SeverityRecord::of(&of));
        }
    }
    let support = commitments
        .into_iter()
        .map(|(product, mut c)| {
            c.sort();
            support_of(product, &c, &findings, today)
        })
        .collect();
    UpdateRecord {
        window_from,
        computed_at: now,
        certificates,
        unverified,
        by_severity,
        support,
        findings,
    }
}

/// An open or closed stretch of one vulnerability on one certificate.
#[derive(Debug, Clone)]
struct Episode {
    product: RecordId,
    certificate: CertificateId,
    key: String,
    vulnerability: String,
    severity: Severity,
    exploited: bool,
    deadline_days: u32,
    start: DateTime<Utc>,
    /// The covered versions whose software list carries it (latest match; empty: not known).
    carriers: Vec<String>,
    /// A covered version proven free of it, and since when: the fix is available.
    fix: Option<(DateTime<Utc>, String)>,
    /// How the certificate closed it.
    closed: Option<(DateTime<Utc>, Outcome)>,
}

impl Episode {
    /// How it ended: a fix, once available, is its end; else the closing.
    fn end(&self) -> Option<(DateTime<Utc>, Outcome)> {
        match (&self.fix, &self.closed) {
            (Some((at, version)), _) => Some((
                *at,
                Outcome::Fixed {
                    version: version.clone(),
                },
            )),
            (None, closed) => closed.clone(),
        }
    }
}

/// A covered version whose software list is on record in the log (declared under the
/// patch-management rule with its SHA-256), and when it became covered.
#[derive(Debug, Clone)]
struct Proven {
    at: DateTime<Utc>,
    version: CoveredVersion,
}

/// The earliest-covered proven version that fixes an open episode: covered, not among the
/// versions carrying it, and released no earlier than any of them. Only when the finding says
/// which versions carry it (events before per-version findings do not).
fn proven_fix(
    e: &Episode,
    proven: &[Proven],
    covered: &[CoveredVersion],
) -> Option<(DateTime<Utc>, String)> {
    if e.carriers.is_empty() {
        return None;
    }
    let newest_carrier = covered
        .iter()
        .filter(|v| e.carriers.contains(&v.version))
        .map(|v| v.released_on)
        .max()?;
    proven
        .iter()
        .filter(|p| {
            !e.carriers.contains(&p.version.version)
                && p.version.released_on >= newest_carrier
                && covered.iter().any(|v| v.id == p.version.id)
        })
        .min_by(|a, b| (a.at, &a.version.version).cmp(&(b.at, &b.version.version)))
        .map(|p| (p.at.max(e.start), p.version.version.clone()))
}

fn certificate_episodes(
    input: &CertificateInput<'_>,
    now: DateTime<Utc>,
    episodes: &mut Vec<Episode>,
    commitments: &mut BTreeMap<RecordId, Vec<(DateTime<Utc>, NaiveDate)>>,
) -> Result<CertificateId, (CertificateId, String)> {
    let id = input.certificate.clone();
    let Some(first) = input.events.first() else {
        return Err((id, "the certificate has no events".into()));
    };
    if first.certificate != id {
        return Err((
            id,
            format!("event {} belongs to another certificate", first.seq),
        ));
    }
    let mut view = fold(std::slice::from_ref(first)).map_err(|e| (id.clone(), e.to_string()))?;
    let product = view.product.clone();
    let mut mine: Vec<Episode> = Vec::new();
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    let mut support = Vec::new();
    if let Some(end) = view.support_until {
        support.push((view.issued_at, end));
    }
    // When each version string became covered on this certificate.
    let mut covered_at: BTreeMap<String, DateTime<Utc>> = view
        .versions
        .iter()
        .map(|v| (v.version.clone(), view.issued_at))
        .collect();
    let mut proven: Vec<Proven> = Vec::new();
    for event in input.events.iter().skip(1) {
        if event.at > now {
            break;
        }
        let was_terminal = view.state.is_terminal();
        // A confirmation names the version record; the declaration it confirms is pending.
        let confirmed = match &event.kind {
            EventKind::VersionConfirmed { version } => view
                .pending_versions
                .iter()
                .find(|p| &p.version.id == version)
                .map(|p| p.version.clone()),
            _ => None,
        };
        let before: Vec<String> = view.versions.iter().map(|v| v.version.clone()).collect();
        apply(&mut view, event).map_err(|e| (id.clone(), e.to_string()))?;
        for v in &view.versions {
            if !before.contains(&v.version) {
                covered_at.entry(v.version.clone()).or_insert(event.at);
            }
        }
        let newly_proven = match &event.kind {
            EventKind::VersionChangeDeclared {
                version,
                covered: true,
                ..
            } => Some(version.clone()),
            EventKind::VersionConfirmed { .. } => confirmed,
            _ => None,
        };
        if let Some(version) = newly_proven {
            proven.push(Proven {
                at: event.at,
                version,
            });
        }
        match &event.kind {
            EventKind::VulnerabilityMatched {
                vulnerability,
                severity,
                exploited,
                versions,
                ..
            } => {
                let key = vulnerability.to_ascii_uppercase();
                let deadline_days = input.policy.remediation_days_for(*severity);
                let i = match open.get(&key) {
                    Some(&i) => i,
                    None => {
                        open.insert(key.clone(), mine.len());
                        mine.push(Episode {
                            product: product.clone(),
                            certificate: id.clone(),
                            key,
                            vulnerability: vulnerability.clone(),
                            severity: *severity,
                            exploited: false,
                            deadline_days,
                            start: event.at,
                            carriers: Vec::new(),
                            fix: None,
                            closed: None,
                        });
                        mine.len() - 1
                    }
                };
                let e = &mut mine[i];
                e.severity = *severity;
                e.exploited |= *exploited;
                e.deadline_days = deadline_days;
                e.carriers.clone_from(versions);
                // A version that now carries it is no fix; an earlier proven one may be.
                if e.fix.as_ref().is_some_and(|(_, v)| e.carriers.contains(v)) || e.fix.is_none() {
                    e.fix = proven_fix(e, &proven, &view.versions);
                }
            }
            EventKind::VulnerabilityResolved {
                vulnerability,
                resolution,
            } => {
                if let Some(i) = open.remove(&vulnerability.to_ascii_uppercase()) {
                    let e = &mut mine[i];
                    let outcome = match resolution {
                        Resolution::Fixed { version } => match covered_at.get(version) {
                            Some(at) if view.versions.iter().any(|v| &v.version == version) => {
                                let at = (*at).max(e.start);
                                if e.fix.as_ref().is_none_or(|(f, _)| at < *f) {
                                    e.fix = Some((at, version.clone()));
                                }
                                Outcome::Fixed {
                                    version: version.clone(),
                                }
                            }
                            _ => Outcome::FixNotCovered {
                                version: version.clone(),
                            },
                        },
                        Resolution::NotAffected { .. } => Outcome::NotAffected,
                        Resolution::AdvisoryWithdrawn => Outcome::AdvisoryWithdrawn,
                    };
                    e.closed = Some((event.at, outcome));
                }
            }
            EventKind::SupportChanged { support_until } => {
                support.push((event.at, *support_until));
            }
            _ => {}
        }
        if newly_proven_any(&event.kind) {
            for &i in open.values() {
                let e = &mut mine[i];
                if e.fix.is_none() {
                    e.fix = proven_fix(e, &proven, &view.versions);
                }
            }
        }
        if !was_terminal && view.state.is_terminal() {
            let at = view.state_since.min(event.at);
            for (_, i) in std::mem::take(&mut open) {
                mine[i].closed = Some((at, Outcome::LabelEnded));
            }
        }
    }
    episodes.append(&mut mine);
    commitments.entry(product).or_default().append(&mut support);
    Ok(id)
}

fn newly_proven_any(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::VersionChangeDeclared { covered: true, .. } | EventKind::VersionConfirmed { .. }
    )
}

/// Joins the episodes of one product and vulnerability into findings.
fn join(mut episodes: Vec<Episode>, today: NaiveDate) -> Vec<Finding> {
    // Deterministic whatever order the certificates came in.
    episodes.sort_by(|a, b| {
        (&a.product, &a.key, a.start, &a.certificate).cmp(&(
            &b.product,
            &b.key,
            b.start,
            &b.certificate,
        ))
    });
    let mut out: Vec<Finding> = Vec::new();
    let mut group: Vec<Episode> = Vec::new();
    for e in episodes {
        let continues = group.last().is_some_and(|last| {
            last.product == e.product
                && last.key == e.key
                && group_end(&group).is_none_or(|(end, outcome)| {
                    e.start <= end || matches!(outcome, Outcome::LabelEnded)
                })
        });
        if !continues && !group.is_empty() {
            out.push(finding(std::mem::take(&mut group), today));
        }
        group.push(e);
    }
    if !group.is_empty() {
        out.push(finding(group, today));
    }
    out
}

/// The end of a group of episodes: open if any is open, else the latest end (ties: the better
/// outcome).
fn group_end(group: &[Episode]) -> Option<(DateTime<Utc>, Outcome)> {
    let mut best: Option<(DateTime<Utc>, Outcome)> = None;
    for e in group {
        let (at, outcome) = e.end()?;
        let better = best
            .as_ref()
            .is_none_or(|(b_at, b_out)| (at, outcome.rank()) > (*b_at, b_out.rank()));
        if better {
            best = Some((at, outcome));
        }
    }
    best
}

fn finding(group: Vec<Episode>, today: NaiveDate) -> Finding {
    let end = group_end(&group);
    // The episode that decides severity and deadline: the open one started last, else the one
    // whose end is the group's end.
    let decisive = match &end {
        None => group
            .iter()
            .filter(|e| e.end().is_none())
            .max_by(|a, b| (a.start, &a.certificate).cmp(&(b.start, &b.certificate))),
        Some((at, outcome)) => group.iter().find(|e| {
            e.end()
                .is_some_and(|(a, o)| a == *at && o.rank() == outcome.rank())
        }),
    }
    .unwrap_or(&group[0]);
    let first = &group[0];
    let start = first.start.date_naive();
    let deadline = start
        .checked_add_days(Days::new(decisive.deadline_days.into()))
        .unwrap_or(NaiveDate::MAX);
    let (ended, outcome) = match end {
        Some((at, o)) => (Some(at), o),
        None => (None, Outcome::Open),
    };
    let until = ended.map_or(today, |e| e.date_naive());
    let days = u32::try_from((until - start).num_days().max(0)).unwrap_or(u32::MAX);
    let deadline_met = match &outcome {
        Outcome::Fixed { .. } => Some(until <= deadline),
        Outcome::NotAffected | Outcome::AdvisoryWithdrawn => None,
        // Not fixed: missed once the deadline is behind us.
        Outcome::Open | Outcome::LabelEnded | Outcome::FixNotCovered { .. } => {
            (today > deadline).then_some(false)
        }
    };
    let mut certificates: Vec<CertificateId> =
        group.iter().map(|e| e.certificate.clone()).collect();
    certificates.sort();
    certificates.dedup();
    Finding {
        product: first.product.clone(),
        vulnerability: first.vulnerability.clone(),
        severity: decisive.severity,
        exploited: group.iter().any(|e| e.exploited),
        first_matched: first.start,
        ended,
        outcome,
        days,
        deadline,
        deadline_met,
        certificates,
        counted: true,
    }
}

fn support_of(
    product: RecordId,
    commitments: &[(DateTime<Utc>, NaiveDate)],
    findings: &[Finding],
    today: NaiveDate,
) -> ProductSupport {
    // One timeline of what was in force: the same commitment reaches every live certificate of
    // the product, so repeats of the value in force are not changes.
    let mut timeline: Vec<(DateTime<Utc>, NaiveDate)> = Vec::new();
    let mut shortened = Vec::new();
    for &(at, end) in commitments {
        match timeline.last() {
            Some(&(_, current)) if current == end => continue,
            Some(&(_, current)) if end < current => shortened.push(Shortening {
                at,
                from: current,
                to: end,
            }),
            _ => {}
        }
        timeline.push((at, end));
    }
    let in_force = |at: DateTime<Utc>| {
        timeline
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map(|(_, end)| *end)
    };
    let current = timeline.last().map(|(_, end)| *end);
    let ended = current.is_some_and(|end| end < today);
    let mut fixes_within_support = 0;
    let mut fixes_after_support = 0;
    let mut unfixed_at_support_end = 0;
    for f in findings
        .iter()
        .filter(|f| f.product == product && f.counted)
    {
        if let (true, Some(at)) = (f.outcome.is_fix(), f.ended) {
            match in_force(at) {
                Some(end) if at.date_naive() > end => fixes_after_support += 1,
                Some(_) => fixes_within_support += 1,
                None => {}
            }
        }
        if let (true, Some(end)) = (ended, current) {
            let open_then = f.first_matched.date_naive() <= end
                && f.outcome.counts_in_days()
                && (f.ended.is_none_or(|e| e.date_naive() > end) || !f.outcome.is_fix());
            if open_then {
                unfixed_at_support_end += 1;
            }
        }
    }
    ProductSupport {
        product,
        first_committed: timeline.first().map(|(_, end)| *end),
        current,
        ended,
        ended_as_announced: ended && shortened.is_empty(),
        shortened,
        fixes_within_support,
        fixes_after_support,
        unfixed_at_support_end,
    }
}

#[cfg(test)]
mod tests;

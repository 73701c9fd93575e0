//! EU Cyber Resilience Act reporting (Regulation (EU) 2024/2847, Art. 14; issue 12 item 4): for
//! every actively exploited vulnerability in a certified product, three reports are owed — an
//! early warning within 24 hours, a notification within 72 hours and a final report at the latest
//! 14 days after a corrective measure is available. This module is the pure half: which
//! obligations a certificate has ([`CraCase`], folded from its events), when each is due and in
//! what state it is ([`Obligation`]), what a report holds ([`CraReport`], its canonical bytes and
//! its SHA-256), and which "deadline passed without a report" notices the scheduler owes
//! ([`candidates`], used by [`crate::schedule`]).
//!
//! Decisions (also in `docs/ARCHITECTURE.md`):
//! - **Clock start.** The registry's clock starts when it first *knew* that the product was
//!   affected by an actively exploited vulnerability: the time of the first
//!   `vulnerability_matched` event with `exploited: true` for it on the certificate (the
//!   exploited match itself, or the later re-match after an exploited mark or a KEV import). Not
//!   the KEV's `dateAdded` (earlier, but the registry did not know the product was affected) and
//!   not a time the maker claims: the signed event is the record anyone can check.
//! - **Applicability.** Art. 14 applies from 11 September 2026 ([`applies_from`], taken as 00:00
//!   UTC). A vulnerability the registry knew of earlier and that is still open then has its clocks
//!   start at that instant; one closed before it owes nothing.
//! - **Final report.** Due 14 days after the fix is available, which the registry knows once a
//!   covered version fixes it: the vulnerability is resolved as fixed, or a covered version
//!   released no earlier than every affected version is not among the versions that carry it.
//!   Until then its due time is *unknown* ([`ObligationState::Pending`]). When that version's
//!   software list later shows it affected after all, the fix is taken back.
//! - **Not required.** A finding closed as not affected (VEX) or withdrawn by its advisory before
//!   an obligation fell due ends that obligation ([`ObligationState::NotRequired`]); one that was
//!   already overdue stays overdue until submitted.
//! - Clocks are per certificate: the events of a certificate are its record.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::event::{CertificateView, CoveredVersion, Resolution};
use crate::ids::{CertificateId, OrgId, RecordId};
use crate::model::{text_enum, Severity, UnknownValue};
use crate::schedule::{Action, Rule, Scheduled};

text_enum!(
    /// The three reports Art. 14 asks for.
    CraKind, "CRA report kind" {
        /// Early warning, 24 hours after becoming aware: the vulnerability and the member
        /// states where the product is made available.
        EarlyWarning = "early_warning",
        /// Vulnerability notification, 72 hours after becoming aware: the product, the nature of
        /// the exploit and the vulnerability, measures taken and those users can take, and how
        /// sensitive the information is.
        Notification = "notification",
        /// Final report, at the latest 14 days after a corrective measure is available:
        /// description, severity and impact, the malicious actor if known, the security update.
        FinalReport = "final_report",
    }
);

text_enum!(
    /// Where an obligation stands.
    ObligationState, "CRA obligation state" {
        /// Its due time is not known yet (a final report before a fix is available).
        Pending = "pending",
        /// Due, not yet submitted, deadline not passed.
        Due = "due",
        /// The deadline passed without a report.
        Overdue = "overdue",
        /// Submitted by the deadline.
        SubmittedOnTime = "submitted_on_time",
        /// Submitted after the deadline.
        SubmittedLate = "submitted_late",
        /// The finding was closed (not affected, advisory withdrawn) before it fell due.
        NotRequired = "not_required",
    }
);

/// When the reporting obligations of Art. 14 apply: 11 September 2026 (Art. 71(2)), 00:00 UTC.
pub fn applies_from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 11, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The early warning's time limit after the clock starts.
pub fn early_warning_after() -> Duration {
    Duration::hours(24)
}

/// The notification's time limit after the clock starts.
pub fn notification_after() -> Duration {
    Duration::hours(72)
}

/// The final report's time limit after a corrective measure is available.
pub fn final_report_after() -> Duration {
    Duration::days(14)
}

/// The corrective measure the registry knows of: a covered version that fixes the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CraFix {
    /// The version.
    pub version: String,
    /// When the registry learnt it (the event that showed it).
    pub at: DateTime<Utc>,
}

/// A submitted report, as its event records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CraSubmission {
    /// When it was submitted.
    pub at: DateTime<Utc>,
    /// SHA-256 (lowercase hex) of the report's canonical JSON.
    pub sha256: String,
    /// The event's sequence number.
    pub seq: i64,
}

/// One actively exploited vulnerability's reporting record on a certificate, folded from its
/// events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CraCase {
    /// The vulnerability (the id the certificate shows it under).
    pub vulnerability: String,
    /// When the registry first knew the product was affected by it while exploited.
    pub aware_at: DateTime<Utc>,
    /// The fix, once a covered version has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<CraFix>,
    /// When the finding was closed as not affected or withdrawn, while it stays closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed_at: Option<DateTime<Utc>>,
    /// The reports submitted.
    #[serde(default)]
    pub submitted: BTreeMap<CraKind, CraSubmission>,
    /// The deadlines the scheduler recorded as passed without a report.
    #[serde(default)]
    pub overdue_recorded: BTreeSet<CraKind>,
}

/// One obligation with its clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Obligation {
    /// Which report.
    pub kind: CraKind,
    /// When it is due; `None` while not known (a final report before a fix is available).
    pub due_at: Option<DateTime<Utc>>,
    /// Where it stands at the time asked.
    pub state: ObligationState,
    /// When it was submitted, if it was.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The scheduler recorded its deadline as passed without a report.
    pub overdue_recorded: bool,
}

impl CraCase {
    /// A new case: the registry became aware at `at`.
    pub fn new(vulnerability: &str, at: DateTime<Utc>) -> Self {
        CraCase {
            vulnerability: vulnerability.to_owned(),
            aware_at: at,
            fix: None,
            dismissed_at: None,
            submitted: BTreeMap::new(),
            overdue_recorded: BTreeSet::new(),
        }
    }

    /// When the clocks start: when the registry became aware, but not before Art. 14 applies.
    pub fn clock_start(&self) -> DateTime<Utc> {
        self.aware_at.max(applies_from())
    }

    /// When `kind` is due, if known.
    pub fn due_at(&self, kind: CraKind) -> Option<DateTime<Utc>> {
        let start = self.clock_start();
        match kind {
            CraKind::EarlyWarning => start.checked_add_signed(early_warning_after()),
            CraKind::Notification => start.checked_add_signed(notification_after()),
            CraKind::FinalReport => self
                .fix
                .as_ref()
                .and_then(|f| f.at.max(start).checked_add_signed(final_report_after())),
        }
    }

    /// Whether `kind` stopped being owed because the finding was closed before it fell due.
    fn not_required(&self, kind: CraKind) -> bool {
        if self.submitted.contains_key(&kind) {
            return false;
        }
        match (self.dismissed_at, self.due_at(kind)) {
            (Some(d), Some(due)) => d < due,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Where `kind` stands at `now`.
    pub fn obligation(&self, kind: CraKind, now: DateTime<Utc>) -> Obligation {
        let due_at = self.due_at(kind);
        let submitted = self.submitted.get(&kind);
        let state = if let Some(s) = submitted {
            match due_at {
                Some(due) if s.at > due => ObligationState::SubmittedLate,
                _ => ObligationState::SubmittedOnTime,
            }
        } else if self.not_required(kind) {
            ObligationState::NotRequired
        } else {
            match due_at {
                None => ObligationState::Pending,
                Some(due) if now > due => ObligationState::Overdue,
                Some(_) => ObligationState::Due,
            }
        };
        Obligation {
            kind,
            due_at,
            state,
            submitted_at: submitted.map(|s| s.at),
            overdue_recorded: self.overdue_recorded.contains(&kind),
        }
    }

    /// The three obligations at `now`, in order.
    pub fn obligations(&self, now: DateTime<Utc>) -> Vec<Obligation> {
        CraKind::ALL
            .iter()
            .map(|k| self.obligation(*k, now))
            .collect()
    }

    /// The deadlines that will pass (or passed) without a report and are not on record yet:
    /// each is due for a "deadline passed" notice the moment after its due time.
    fn unrecorded_deadlines(&self) -> impl Iterator<Item = (CraKind, DateTime<Utc>)> + '_ {
        CraKind::ALL.iter().filter_map(move |k| {
            if self.submitted.contains_key(k)
                || self.overdue_recorded.contains(k)
                || self.not_required(*k)
            {
                return None;
            }
            // "Within 24 hours": the deadline passes once the due instant is behind us.
            let at = self
                .due_at(*k)?
                .checked_add_signed(Duration::microseconds(1))?;
            Some((*k, at))
        })
    }
}

/// The latest affected covered version's release, and the first covered version released no
/// earlier that does not carry the vulnerability: the fix, as far as the registry can tell.
fn fixing_version<'a>(
    affected: &[String],
    covered: &'a [CoveredVersion],
) -> Option<&'a CoveredVersion> {
    let latest_affected = covered
        .iter()
        .filter(|v| affected.contains(&v.version))
        .map(|v| v.released_on)
        .max()?;
    covered
        .iter()
        .filter(|v| !affected.contains(&v.version) && v.released_on >= latest_affected)
        .min_by(|a, b| (a.released_on, &a.version).cmp(&(b.released_on, &b.version)))
}

/// Fold step: a `vulnerability_matched` event.
pub(crate) fn on_matched(
    view: &mut CertificateView,
    vulnerability: &str,
    exploited: bool,
    versions: &[String],
    at: DateTime<Utc>,
) {
    if exploited && !view.cra.contains_key(vulnerability) {
        view.cra
            .insert(vulnerability.to_owned(), CraCase::new(vulnerability, at));
    }
    let covered = view.versions.clone();
    if let Some(case) = view.cra.get_mut(vulnerability) {
        // Open again (after a VEX or an advisory's withdrawal): owed again.
        case.dismissed_at = None;
        // The "fix" turned out to carry it after all.
        if case
            .fix
            .as_ref()
            .is_some_and(|f| versions.contains(&f.version))
        {
            case.fix = None;
        }
        if case.fix.is_none() {
            if let Some(v) = fixing_version(versions, &covered) {
                case.fix = Some(CraFix {
                    version: v.version.clone(),
                    at,
                });
            }
        }
    }
}

/// Fold step: a `vulnerability_resolved` event.
pub(crate) fn on_resolved(
    view: &mut CertificateView,
    vulnerability: &str,
    resolution: &Resolution,
    at: DateTime<Utc>,
) {
    if let Some(case) = view.cra.get_mut(vulnerability) {
        match resolution {
            Resolution::Fixed { version } => {
                if case.fix.is_none() {
                    case.fix = Some(CraFix {
                        version: version.clone(),
                        at,
                    });
                }
            }
            Resolution::NotAffected { .. } | Resolution::AdvisoryWithdrawn => {
                case.dismissed_at.get_or_insert(at);
            }
        }
    }
}

/// Fold step: a version became covered.
pub(crate) fn on_covered(view: &mut CertificateView, at: DateTime<Utc>) {
    let covered = view.versions.clone();
    for (id, case) in view.cra.iter_mut() {
        if case.fix.is_some() || case.dismissed_at.is_some() {
            continue;
        }
        let Some(finding) = view.vulnerabilities.get(id) else {
            continue;
        };
        if finding.resolution.is_some() {
            continue;
        }
        if let Some(v) = fixing_version(&finding.versions, &covered) {
            case.fix = Some(CraFix {
                version: v.version.clone(),
                at,
            });
        }
    }
}

/// Fold step: the holder submitted a report. Refused (so the history does not fold) when there
/// is no such obligation or the report was submitted before.
pub(crate) fn on_submitted(
    view: &mut CertificateView,
    kind: CraKind,
    vulnerability: &str,
    sha256: &str,
    seq: i64,
    at: DateTime<Utc>,
) -> Result<(), String> {
    if !is_sha256_hex(sha256) {
        return Err("a report's digest is 64 lowercase hex digits".into());
    }
    let case = view
        .cra
        .get_mut(vulnerability)
        .ok_or_else(|| format!("no CRA reporting obligation for {vulnerability}"))?;
    if case.submitted.contains_key(&kind) {
        return Err(format!(
            "the {kind} for {vulnerability} was submitted before"
        ));
    }
    case.submitted.insert(
        kind,
        CraSubmission {
            at,
            sha256: sha256.to_owned(),
            seq,
        },
    );
    Ok(())
}

/// Fold step: the scheduler recorded a deadline as passed. Refused when it could not be due.
pub(crate) fn on_overdue(
    view: &mut CertificateView,
    kind: CraKind,
    vulnerability: &str,
) -> Result<(), String> {
    let case = view
        .cra
        .get_mut(vulnerability)
        .ok_or_else(|| format!("no CRA reporting obligation for {vulnerability}"))?;
    if case.submitted.contains_key(&kind) {
        return Err(format!("the {kind} for {vulnerability} was submitted"));
    }
    if !case.overdue_recorded.insert(kind) {
        return Err(format!(
            "the {kind} for {vulnerability} is on record as overdue already"
        ));
    }
    Ok(())
}

/// Whether `s` is a SHA-256 in lowercase hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The scheduler's candidates (rule [`Rule::CraReportOverdue`]): for every deadline that passes
/// without a report and is not on record, a `cra_report_overdue` notice at the moment after its
/// due time, earliest first. Notices change no state; the fold remembers them, so each is
/// recorded once.
pub fn candidates(view: &CertificateView) -> Vec<Action> {
    let mut out: Vec<Action> = view
        .cra
        .values()
        .flat_map(|case| {
            case.unrecorded_deadlines().map(move |(kind, at)| Action {
                rule: Rule::CraReportOverdue,
                due_at: at,
                kind: crate::event::EventKind::CraReportOverdue {
                    report: kind,
                    vulnerability: case.vulnerability.clone(),
                    scheduled: Scheduled {
                        rule: Rule::CraReportOverdue,
                        due_at: at,
                    },
                },
            })
        })
        .collect();
    out.sort_by_key(|a| a.due_at);
    out
}

/// The product as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportedProduct {
    /// Product record.
    pub id: RecordId,
    /// Name.
    pub name: String,
    /// Model.
    pub model: String,
    /// The manufacturer (the certificate's holder).
    pub manufacturer: OrgId,
}

/// A CRA report: the registry's facts (certificate, product, vulnerability, clock) and the
/// holder's fields. The same type is the draft and, once submitted, the report whose canonical
/// JSON ([`CraReport::canonical`]) the submission event's digest binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CraReport {
    /// Format version of this document.
    pub format: String,
    /// Which report.
    pub kind: CraKind,
    /// The certificate.
    pub certificate: CertificateId,
    /// The product.
    pub product: ReportedProduct,
    /// The vulnerability and its other ids.
    pub vulnerability: String,
    /// Its other ids (CVE, GHSA, GO, EUVD, …).
    pub aliases: Vec<String>,
    /// When the registry became aware that the product is affected while it is exploited.
    pub aware_at: DateTime<Utc>,
    /// When this report is due, if known.
    pub due_at: Option<DateTime<Utc>>,
    /// The covered versions.
    pub covered_versions: Vec<String>,
    /// The affected versions (holder-editable; pre-filled with the versions whose software list
    /// carries it).
    pub affected_versions: Vec<String>,
    /// Member states where the product is made available (holder-editable; pre-filled with what
    /// the registry knows: the holder's and the supervising authority's member state).
    pub member_states: Vec<String>,
    /// Severity (holder-editable; pre-filled with the registry's).
    pub severity: Severity,
    /// The version that fixes it (holder-editable; pre-filled with the registry's fix).
    pub fix_version: Option<String>,
    /// Nature of the exploit and of the vulnerability (notification).
    pub nature: Option<String>,
    /// Corrective or mitigating measures taken (notification).
    pub measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take (notification).
    pub user_measures: Option<String>,
    /// How sensitive the notified information is (notification).
    pub sensitivity: Option<String>,
    /// Description of the vulnerability (final report).
    pub description: Option<String>,
    /// Its severity and impact in the holder's words (final report).
    pub impact: Option<String>,
    /// The malicious actor, if known (final report; may stay empty).
    pub malicious_actor: Option<String>,
    /// Details of the security update (final report).
    pub security_update: Option<String>,
    /// Random salt (128 bits, hex) set at submission, so the public digest cannot be used to
    /// confirm a guessed report.
    pub nonce: Option<String>,
}

/// The report document's format version.
pub const REPORT_FORMAT: &str = "keurmerk-cra-report/1";

/// Most bytes any one free-text field of a report may hold.
pub const MAX_FIELD_BYTES: usize = 16 * 1024;

/// At most this many entries in a list field (member states, versions).
pub const MAX_LIST: usize = 64;

/// Why a report cannot be submitted or edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A field the report kind requires is empty.
    #[error("`{0}` is required for this report")]
    Missing(&'static str),
    /// A field is too long or a list too large.
    #[error("`{0}` is too long")]
    TooLong(&'static str),
    /// A member state is not one.
    #[error("`member_states`: `{0}` is not an EU or EEA member state")]
    MemberState(String),
}

/// The holder's changes to a draft: `None` leaves a field as it is; an empty text clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportEdit {
    /// Affected versions.
    #[serde(default)]
    pub affected_versions: Option<Vec<String>>,
    /// Member states (ISO 3166 alpha-2, EU/EEA).
    #[serde(default)]
    pub member_states: Option<Vec<String>>,
    /// Severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Fix version.
    #[serde(default)]
    pub fix_version: Option<String>,
    /// Nature of the exploit and vulnerability.
    #[serde(default)]
    pub nature: Option<String>,
    /// Measures taken.
    #[serde(default)]
    pub measures_taken: Option<String>,
    /// Measures users can take.
    #[serde(default)]
    pub user_measures: Option<String>,
    /// Sensitivity.
    #[serde(default)]
    pub sensitivity: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Impact.
    #[serde(default)]
    pub impact: Option<String>,
    /// Malicious actor.
    #[serde(default)]
    pub malicious_actor: Option<String>,
    /// Security update details.
    #[serde(default)]
    pub security_update: Option<String>,
}

fn text(field: &'static str, value: Option<String>) -> Result<Option<String>, ReportError> {
    match value {
        None => Ok(None),
        Some(s) if s.len() > MAX_FIELD_BYTES => Err(ReportError::TooLong(field)),
        Some(s) => {
            let s = s.trim().to_owned();
            Ok((!s.is_empty()).then_some(s))
        }
    }
}

fn list(field: &'static str, values: &[String]) -> Result<(), ReportError> {
    if values.len() > MAX_LIST || values.iter().any(|v| v.len() > 256) {
        return Err(ReportError::TooLong(field));
    }
    Ok(())
}

impl CraReport {
    /// Applies the holder's edit (fields the registry owns cannot be edited: they are not in
    /// [`ReportEdit`]).
    pub fn apply(&mut self, edit: ReportEdit) -> Result<(), ReportError> {
        if let Some(v) = edit.affected_versions {
            list("affected_versions", &v)?;
            self.affected_versions = v;
        }
        if let Some(states) = edit.member_states {
            list("member_states", &states)?;
            let mut out = Vec::new();
            for s in states {
                let up = s.trim().to_ascii_uppercase();
                if !crate::jurisdiction::is_eu_or_eea(&up) {
                    return Err(ReportError::MemberState(s));
                }
                if !out.contains(&up) {
                    out.push(up);
                }
            }
            self.member_states = out;
        }
        if let Some(s) = edit.severity {
            self.severity = s;
        }
        macro_rules! set {
            ($($f:ident),+) => { $( if edit.$f.is_some() { self.$f = text(stringify!($f), edit.$f)?; } )+ };
        }
        set!(
            fix_version,
            nature,
            measures_taken,
            user_measures,
            sensitivity,
            description,
            impact,
            malicious_actor,
            security_update
        );
        Ok(())
    }

    /// Checks that the report says what Art. 14 asks of its kind.
    pub fn check(&self) -> Result<(), ReportError> {
        let need = |f: &'static str, v: &Option<String>| match v {
            Some(s) if !s.trim().is_empty() => Ok(()),
            _ => Err(ReportError::Missing(f)),
        };
        if self.member_states.is_empty() {
            return Err(ReportError::Missing("member_states"));
        }
        match self.kind {
            CraKind::EarlyWarning => Ok(()),
            CraKind::Notification => {
                need("nature", &self.nature)?;
                need("measures_taken", &self.measures_taken)?;
                need("user_measures", &self.user_measures)?;
                need("sensitivity", &self.sensitivity)
            }
            CraKind::FinalReport => {
                need("description", &self.description)?;
                need("impact", &self.impact)?;
                need("security_update", &self.security_update)?;
                need("fix_version", &self.fix_version)
            }
        }
    }

    /// The canonical bytes: RFC 8785 JSON (keys sorted, no white space). The submission event's
    /// digest is the SHA-256 of exactly these bytes.
    pub fn canonical(&self) -> Vec<u8> {
        // Serialising this struct cannot fail: every field is a string, number, list or map with
        // string keys.
        serde_json_canonicalizer::to_vec(self).unwrap_or_default()
    }

    /// SHA-256 (lowercase hex) of [`Self::canonical`].
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.canonical()))
    }
}

#[cfg(test)]
mod tests;

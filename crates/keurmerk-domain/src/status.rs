//! Label status (SPEC §5): what a consumer sees when they scan the label. [`evaluate`] is a pure
//! function of the certificate's events, its scheme's policy and the time: same inputs, same
//! output, replayable from the logged events.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{fold, CertificateView, CoveredVersion, Event, FoldError};
use crate::ids::{CertificateId, RecordId};
use crate::lifecycle::State;
use crate::model::{text_enum, DependencyKind, IssuerKind, Setup, Severity, UnknownValue};
use crate::reason::{ReasonCode, TextLang};
use crate::scheme::StatusPolicy;

mod facts;
pub mod horizon;
mod texts;

pub use facts::{advice_heading, Advice, Findings, StatusFacts, Validity};
pub use horizon::stale_after;
pub use texts::reason_word;

fn other_code() -> ReasonCode {
    ReasonCode::Other
}

text_enum!(
    /// The label status, from best to worst.
    LabelStatus, "label status" {
        /// Certified, supported, no overdue vulnerabilities, dependencies fine.
        Valid = "valid",
        /// Still certified, but something needs the user's or maker's action.
        Attention = "attention",
        /// The certificate is suspended.
        Suspended = "suspended",
        /// Security support has ended.
        SupportEnded = "support_ended",
        /// The certificate's validity has ended.
        Expired = "expired",
        /// The certificate was withdrawn.
        Withdrawn = "withdrawn",
        /// The registry cannot vouch for the certificate's record: a stored event differs from
        /// its signed statement, a statement does not verify, or it was signed with a key that
        /// was compromised at the time. Do not rely on the label.
        Unknown = "unknown",
    }
);

impl LabelStatus {
    /// Whether the label still stands (valid or attention).
    pub fn is_in_force(self) -> bool {
        matches!(self, LabelStatus::Valid | LabelStatus::Attention)
    }
}

/// A machine-readable reason for the status, with a plain-language text per language
/// ([`Reason::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Withdrawn by the issuer or authority.
    Withdrawn {
        /// When.
        on: NaiveDate,
        /// Why, in the organisation's words (not translated; may be empty).
        reason: String,
        /// Why, from the catalogue (read in the visitor's language).
        #[serde(default = "other_code")]
        reason_code: ReasonCode,
        /// The language `reason` is written in.
        #[serde(default = "TextLang::en")]
        reason_lang: TextLang,
    },
    /// Validity ended.
    Expired {
        /// Last day of validity.
        on: NaiveDate,
    },
    /// Replaced by a newer certificate.
    Superseded {
        /// The replacement.
        by: CertificateId,
    },
    /// Suspended by the issuer or authority.
    Suspended {
        /// Since when.
        since: NaiveDate,
        /// Why, in the organisation's words (not translated; may be empty).
        reason: String,
        /// Until when, if set.
        until: Option<NaiveDate>,
        /// Why, from the catalogue (read in the visitor's language).
        #[serde(default = "other_code")]
        reason_code: ReasonCode,
        /// The language `reason` is written in.
        #[serde(default = "TextLang::en")]
        reason_lang: TextLang,
    },
    /// A vulnerability was not fixed before the scheme's deadline.
    VulnerabilityOverdue {
        /// Advisory id.
        vulnerability: String,
        /// Severity.
        severity: Severity,
        /// The deadline that passed.
        deadline: NaiveDate,
        /// Whether the scheme suspends the label for it.
        suspends: bool,
        /// The covered versions that carry it (empty: not known which).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<String>,
    },
    /// Security support has ended.
    SupportEnded {
        /// Last day of support.
        on: NaiveDate,
    },
    /// Security support ends soon.
    SupportEnding {
        /// Last day of support.
        on: NaiveDate,
        /// Days left.
        days_left: i64,
    },
    /// The maker has not said how long the product gets security updates.
    NoSupportPeriod,
    /// A service the product depends on has no certificate.
    DependencyUncertified {
        /// The service.
        service: String,
        /// Its provider.
        provider: String,
        /// Kind of service.
        kind: DependencyKind,
    },
    /// A service the product depends on has a certificate that is not in force.
    DependencyNotValid {
        /// The service.
        service: String,
        /// Its provider.
        provider: String,
        /// Kind of service.
        kind: DependencyKind,
        /// The service certificate's state.
        state: State,
    },
    /// A known vulnerability is open, inside its remediation window.
    VulnerabilityOpen {
        /// Advisory id.
        vulnerability: String,
        /// Severity.
        severity: Severity,
        /// Deadline for the fix.
        deadline: NaiveDate,
        /// Known to be actively exploited.
        exploited: bool,
        /// The covered versions that carry it (empty: not known which).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<String>,
    },
    /// The version asked about has known security problems that a newer covered version fixes:
    /// install that update.
    InstallUpdate {
        /// The covered version to install.
        version: String,
        /// The problems it fixes.
        vulnerabilities: Vec<String>,
    },
    /// The version asked about is not covered by the certificate.
    VersionNotCovered {
        /// The version asked about.
        version: String,
        /// The holder declared it and the issuer has not decided yet.
        pending: bool,
    },
    /// The maker has published no software list (SBOM) for these covered versions, so the
    /// registry cannot check them for known vulnerabilities: the absence of findings says nothing.
    NotMonitored {
        /// The covered versions without a software list (empty: the certificate covers no
        /// version at all).
        versions: Vec<String>,
    },
    /// The scheme no longer issues labels; this one stays valid until it ends.
    SchemeLegacy,
    /// The assessment body that issued the certificate lost its authorisation for the scheme
    /// after the certificate was issued (the certificate itself stands).
    IssuerAuthorisationRevoked {
        /// When the authorisation was revoked.
        on: NaiveDate,
    },
    /// The stored record of an event does not match what was signed (or cannot be verified):
    /// the registry cannot vouch for the certificate.
    IntegrityProblem {
        /// The event's sequence number.
        event: i64,
        /// What is wrong, for operators (not shown to the public as is).
        detail: String,
    },
    /// An event was signed with a key that had already been compromised; it must be re-signed
    /// by its issuer before the label can be relied on again.
    CompromisedKey {
        /// The event's sequence number.
        event: i64,
        /// The compromised key's id.
        key: String,
        /// The compromise time recorded for the key.
        since: DateTime<Utc>,
    },
}

impl Reason {
    /// The stable code, as serialised.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Withdrawn { .. } => "withdrawn",
            Reason::Expired { .. } => "expired",
            Reason::Superseded { .. } => "superseded",
            Reason::Suspended { .. } => "suspended",
            Reason::VulnerabilityOverdue { .. } => "vulnerability_overdue",
            Reason::SupportEnded { .. } => "support_ended",
            Reason::SupportEnding { .. } => "support_ending",
            Reason::NoSupportPeriod => "no_support_period",
            Reason::DependencyUncertified { .. } => "dependency_uncertified",
            Reason::DependencyNotValid { .. } => "dependency_not_valid",
            Reason::VulnerabilityOpen { .. } => "vulnerability_open",
            Reason::NotMonitored { .. } => "not_monitored",
            Reason::InstallUpdate { .. } => "install_update",
            Reason::VersionNotCovered { .. } => "version_not_covered",
            Reason::SchemeLegacy => "scheme_legacy",
            Reason::IssuerAuthorisationRevoked { .. } => "issuer_authorisation_revoked",
            Reason::IntegrityProblem { .. } => "integrity_problem",
            Reason::CompromisedKey { .. } => "compromised_key",
        }
    }
}

/// The status of one dependency, as shown beside the label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyStatus {
    /// Dependency record id.
    pub id: RecordId,
    /// Kind of service.
    pub kind: DependencyKind,
    /// Provider.
    pub provider: String,
    /// Service.
    pub service: String,
    /// Its certificate.
    pub certificate: Option<CertificateId>,
    /// `None` when it has no certificate.
    pub state: Option<State>,
    /// Whether it counts as fine.
    pub ok: bool,
}

/// The full evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The certificate.
    pub certificate: CertificateId,
    /// The status.
    pub status: LabelStatus,
    /// Why, most important first.
    pub reasons: Vec<Reason>,
    /// When evaluated.
    pub evaluated_at: DateTime<Utc>,
    /// Lifecycle state from the events.
    pub state: State,
    /// Self-declared or independently tested.
    pub issuer_kind: IssuerKind,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Last day of support.
    pub support_until: Option<NaiveDate>,
    /// Newest covered security update.
    pub latest_security_update: Option<CoveredVersion>,
    /// Open vulnerabilities by severity.
    pub open_vulnerabilities: BTreeMap<Severity, usize>,
    /// Dependencies and their status.
    pub dependencies: Vec<DependencyStatus>,
    /// When the newest event of the certificate happened. Between events the status changes only
    /// at the start of a UTC day (every time rule is a date), which HTTP caching relies on.
    pub last_event_at: DateTime<Utc>,
    /// What the maker says about setting the product up (password, updates), which tailors the
    /// owner advice; `None` when the maker has published no support commitment. Not part of
    /// the fold: the service adds it from the product's support commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<Setup>,
    /// The covered versions, oldest release first.
    #[serde(default)]
    pub covered_versions: Vec<String>,
    /// Set when the status was asked for one version ([`evaluate_version`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionAnswer>,
}

/// The answer for the version on someone's device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionAnswer {
    /// The version asked about.
    pub version: String,
    /// Whether the certificate covers it.
    pub covered: bool,
    /// Open security problems in that version.
    pub open_vulnerabilities: Vec<String>,
    /// The newer covered version that fixes them all, to install.
    pub install: Option<String>,
}

/// Evaluates a certificate's label status from its events (oldest first).
pub fn evaluate(
    certificate: &CertificateId,
    events: &[Event],
    policy: &StatusPolicy,
    now: DateTime<Utc>,
) -> Result<StatusReport, FoldError> {
    let view = fold(events)?;
    if &view.id != certificate {
        return Err(FoldError::WrongCertificate {
            seq: events.first().map_or(0, |e| e.seq),
            other: view.id,
            expected: certificate.clone(),
        });
    }
    Ok(evaluate_view(&view, policy, now))
}

/// The report for a certificate whose signed record cannot be relied on: status
/// [`LabelStatus::Unknown`], `problems` first (each an [`Reason::IntegrityProblem`] or
/// [`Reason::CompromisedKey`]), whatever the rest of the record says.
pub fn distrusted(mut report: StatusReport, problems: Vec<Reason>) -> StatusReport {
    report.status = LabelStatus::Unknown;
    let mut reasons = problems;
    reasons.append(&mut report.reasons);
    report.reasons = reasons;
    report
}

fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MAX)
}

/// What the registry can monitor of a certificate's covered versions: which have a software
/// list (SBOM). Made only from the covered versions and the set of versions with a list, so a
/// caller cannot say "monitored" without having looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitoring {
    /// Covered versions without a software list, oldest release first.
    without_software_list: Vec<String>,
    /// The certificate covers at least one version.
    covers_any: bool,
}

impl Monitoring {
    /// The monitoring of `view`'s covered versions, given the ids of the versions that have a
    /// software list.
    pub fn of(view: &CertificateView, with_software_list: &[RecordId]) -> Self {
        Monitoring {
            without_software_list: by_release(view)
                .into_iter()
                .filter(|v| !with_software_list.contains(&v.id))
                .map(|v| v.version.clone())
                .collect(),
            covers_any: !view.versions.is_empty(),
        }
    }

    /// Whether every covered version (at least one) can be monitored.
    pub fn is_complete(&self) -> bool {
        self.covers_any && self.without_software_list.is_empty()
    }
}

/// [`evaluate_view`] with what the registry can monitor: a live certificate with a covered
/// version that has no software list gets [`Reason::NotMonitored`] — it never reads as "no known
/// problems" — and, when the scheme's policy says so (`attention_when_not_monitored`), the
/// status `attention`. This is the status the registry publishes.
pub fn evaluate_monitored(
    view: &CertificateView,
    policy: &StatusPolicy,
    monitoring: &Monitoring,
    now: DateTime<Utc>,
) -> StatusReport {
    let mut report = evaluate_view(view, policy, now);
    if view.state.is_terminal() || monitoring.is_complete() {
        return report;
    }
    report.reasons.push(Reason::NotMonitored {
        versions: monitoring.without_software_list.clone(),
    });
    if policy.attention_when_not_monitored && report.status < LabelStatus::Attention {
        report.status = LabelStatus::Attention;
    }
    report
}

/// Evaluates an already-folded view (without monitoring facts: see [`evaluate_monitored`]).
pub fn evaluate_view(
    view: &CertificateView,
    policy: &StatusPolicy,
    now: DateTime<Utc>,
) -> StatusReport {
    let today = now.date_naive();
    let mut status = LabelStatus::Valid;
    let mut reasons = Vec::new();
    let worsen = |s: LabelStatus, current: &mut LabelStatus| {
        if s > *current {
            *current = s;
        }
    };

    match view.state {
        State::Withdrawn => {
            let (at, reason) = view
                .withdrawn
                .clone()
                .unwrap_or((view.state_since, String::new()));
            let (reason_code, reason_lang) = view
                .withdrawal_code
                .clone()
                .unwrap_or((ReasonCode::Other, TextLang::en()));
            reasons.push(Reason::Withdrawn {
                on: at.date_naive(),
                reason,
                reason_code,
                reason_lang,
            });
            worsen(LabelStatus::Withdrawn, &mut status);
        }
        State::Superseded => {
            if let Some(by) = &view.superseded_by {
                reasons.push(Reason::Superseded { by: by.clone() });
            }
            worsen(LabelStatus::Expired, &mut status);
        }
        State::Expired => {
            reasons.push(Reason::Expired {
                on: view.valid_until.min(view.state_since.date_naive()),
            });
            worsen(LabelStatus::Expired, &mut status);
        }
        State::Suspended => {
            if let Some(s) = &view.suspension {
                reasons.push(Reason::Suspended {
                    since: s.since.date_naive(),
                    reason: s.reason.clone(),
                    until: s.until,
                    reason_code: s.reason_code,
                    reason_lang: s.reason_lang.clone(),
                });
            }
            worsen(LabelStatus::Suspended, &mut status);
        }
        State::Legacy => reasons.push(Reason::SchemeLegacy),
        State::Active => {}
    }
    if !view.state.is_terminal() && today > view.valid_until {
        reasons.push(Reason::Expired {
            on: view.valid_until,
        });
        worsen(LabelStatus::Expired, &mut status);
    }

    if let (false, Some(revoked)) = (view.state.is_terminal(), view.issuer_revocation_recorded) {
        // On record by the scheduler; the label stands, so the status does not worsen.
        reasons.push(Reason::IssuerAuthorisationRevoked {
            on: revoked.date_naive(),
        });
    }

    // Vulnerabilities against the scheme's deadlines.
    let mut open_counts = BTreeMap::new();
    let mut open: Vec<_> = view
        .vulnerabilities
        .values()
        .filter(|v| v.resolution.is_none())
        .collect();
    // Most severe first; an unknown severity sorts as the class the policy gives it.
    open.sort_by(|a, b| {
        (policy.class_of(a.severity), &a.id).cmp(&(policy.class_of(b.severity), &b.id))
    });
    for v in open {
        *open_counts.entry(v.severity).or_insert(0) += 1;
        let deadline = add_days(
            v.first_seen.date_naive(),
            policy.remediation_days_for(v.severity),
        );
        if today > deadline {
            let suspends = policy.suspends_when_overdue(v.severity);
            reasons.push(Reason::VulnerabilityOverdue {
                vulnerability: v.id.clone(),
                severity: v.severity,
                deadline,
                suspends,
                versions: v.versions.clone(),
            });
            worsen(
                if suspends {
                    LabelStatus::Suspended
                } else {
                    LabelStatus::Attention
                },
                &mut status,
            );
        } else {
            reasons.push(Reason::VulnerabilityOpen {
                vulnerability: v.id.clone(),
                severity: v.severity,
                deadline,
                exploited: v.exploited,
                versions: v.versions.clone(),
            });
            worsen(LabelStatus::Attention, &mut status);
        }
    }

    // Support period.
    match view.support_until {
        Some(end) if today > end => {
            reasons.push(Reason::SupportEnded { on: end });
            worsen(LabelStatus::SupportEnded, &mut status);
        }
        Some(end) => {
            let days_left = (end - today).num_days();
            if days_left < i64::from(policy.support_warning_days) {
                reasons.push(Reason::SupportEnding { on: end, days_left });
                worsen(LabelStatus::Attention, &mut status);
            }
        }
        None => {
            reasons.push(Reason::NoSupportPeriod);
            worsen(LabelStatus::Attention, &mut status);
        }
    }

    // Dependencies.
    let mut dependencies = Vec::new();
    for d in view.dependencies.values() {
        let state = d.certificate.as_ref().map(|_| {
            match (d.certificate_state, d.certificate_valid_until) {
                (Some(s), _) if s.is_terminal() || s == State::Suspended => s,
                (_, Some(until)) if today > until => State::Expired,
                (Some(s), _) => s,
                (None, _) => State::Active,
            }
        });
        let ok = matches!(state, Some(State::Active | State::Legacy));
        match state {
            None => reasons.push(Reason::DependencyUncertified {
                service: d.service.clone(),
                provider: d.provider.clone(),
                kind: d.kind,
            }),
            Some(s) if !ok => reasons.push(Reason::DependencyNotValid {
                service: d.service.clone(),
                provider: d.provider.clone(),
                kind: d.kind,
                state: s,
            }),
            Some(_) => {}
        }
        if !ok {
            worsen(LabelStatus::Attention, &mut status);
        }
        dependencies.push(DependencyStatus {
            id: d.id.clone(),
            kind: d.kind,
            provider: d.provider.clone(),
            service: d.service.clone(),
            certificate: d.certificate.clone(),
            state,
            ok,
        });
    }

    StatusReport {
        certificate: view.id.clone(),
        status,
        reasons,
        evaluated_at: now,
        state: view.state,
        issuer_kind: view.issuer_kind,
        valid_until: view.valid_until,
        support_until: view.support_until,
        latest_security_update: view.latest_security_update().cloned(),
        open_vulnerabilities: open_counts,
        dependencies,
        last_event_at: view.last_event_at,
        setup: None,
        covered_versions: view_versions(view),
        version: None,
    }
}

fn by_release(view: &CertificateView) -> Vec<&CoveredVersion> {
    let mut versions: Vec<&CoveredVersion> = view.versions.iter().collect();
    versions.sort_by(|a, b| (a.released_on, &a.id).cmp(&(b.released_on, &b.id)));
    versions
}

/// The published status ([`evaluate_monitored`]) for the device that runs `version`: whether the
/// certificate covers it, the open findings its software list carries (a finding recorded
/// without versions counts for every version: not known is not absent), and the newer covered
/// version that fixes them all ([`Reason::InstallUpdate`], first) — only a version with a
/// software list can be said to fix anything. A version the certificate does not cover gets
/// [`Reason::VersionNotCovered`] first and at least `attention`.
pub fn evaluate_version(
    view: &CertificateView,
    policy: &StatusPolicy,
    with_software_list: &[RecordId],
    version: &str,
    now: DateTime<Utc>,
) -> StatusReport {
    let covered = view.versions.iter().find(|v| v.version == version);
    let carries = |v: &crate::event::VulnerabilityState, name: &str| {
        v.versions.is_empty() || v.versions.iter().any(|x| x == name)
    };
    let mut scoped = view.clone();
    scoped
        .vulnerabilities
        .retain(|_, v| v.resolution.is_some() || carries(v, version));
    scoped.versions = covered.into_iter().cloned().collect();
    let monitoring = Monitoring::of(&scoped, with_software_list);
    let mut report = evaluate_monitored(&scoped, policy, &monitoring, now);
    report.covered_versions = view_versions(view);
    let open: Vec<&crate::event::VulnerabilityState> = scoped
        .vulnerabilities
        .values()
        .filter(|v| v.resolution.is_none())
        .collect();
    let mut install = None;
    match covered {
        None => {
            let pending = view
                .pending_versions
                .iter()
                .any(|p| p.version.version == version);
            report.reasons.insert(
                0,
                Reason::VersionNotCovered {
                    version: version.to_owned(),
                    pending,
                },
            );
            if report.status < LabelStatus::Attention {
                report.status = LabelStatus::Attention;
            }
        }
        Some(c) if !open.is_empty() => {
            install = by_release(view)
                .into_iter()
                .rev()
                .filter(|n| (n.released_on, &n.id) > (c.released_on, &c.id))
                .filter(|n| with_software_list.contains(&n.id))
                .find(|n| open.iter().all(|v| !carries(v, &n.version)))
                .map(|n| n.version.clone());
            if let Some(x) = &install {
                report.reasons.insert(
                    0,
                    Reason::InstallUpdate {
                        version: x.clone(),
                        vulnerabilities: open.iter().map(|v| v.id.clone()).collect(),
                    },
                );
            }
        }
        Some(_) => {}
    }
    report.version = Some(VersionAnswer {
        version: version.to_owned(),
        covered: covered.is_some(),
        open_vulnerabilities: open.iter().map(|v| v.id.clone()).collect(),
        install,
    });
    report
}

fn view_versions(view: &CertificateView) -> Vec<String> {
    by_release(view)
        .into_iter()
        .map(|v| v.version.clone())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;

//! Events: every change to a certificate is an event, stored append-only. The certificate's state
//! is *derived* by folding its events ([`fold`]); stored state is only a cache of that fold.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::cra::{CraCase, CraKind};
use crate::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use crate::lifecycle::{transition, ActorRole, Command, Denial, State};
use crate::model::{ChangeClass, DependencyKind, IssuerKind, Severity};
use crate::reason::{ReasonCode, TextLang};
use crate::schedule::Scheduled;

/// A version the certificate covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CoveredVersion {
    /// Version record id.
    pub id: RecordId,
    /// Version string.
    pub version: String,
    /// Release date.
    pub released_on: NaiveDate,
    /// Whether it is a security update.
    pub security_update: bool,
}

/// A dependency as recorded on the certificate, with what is known of the service's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DependencySnapshot {
    /// Dependency record id.
    pub id: RecordId,
    /// Kind of service.
    pub kind: DependencyKind,
    /// Provider name.
    pub provider: String,
    /// Service name.
    pub service: String,
    /// The service's certificate, if it has one.
    pub certificate: Option<CertificateId>,
    /// That certificate's state when last told.
    pub certificate_state: Option<State>,
    /// That certificate's last day of validity.
    pub certificate_valid_until: Option<NaiveDate>,
}

/// How a vulnerability match was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Resolution {
    /// A covered security update contains the fix.
    Fixed {
        /// The version that fixes it.
        version: String,
    },
    /// The holder's VEX says the product is not affected.
    NotAffected {
        /// The VEX justification.
        justification: String,
    },
    /// The advisory was withdrawn by its publisher.
    AdvisoryWithdrawn,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The certificate or statement of conformity was issued. Always the first event.
    Issued {
        /// Product.
        product: RecordId,
        /// Holder.
        holder: OrgId,
        /// Scheme.
        scheme: SchemeId,
        /// Level.
        level: LevelId,
        /// Issuer.
        issuer: OrgId,
        /// Self or third party.
        issuer_kind: IssuerKind,
        /// Supervising national authority.
        authority: Option<OrgId>,
        /// The assessment it rests on.
        assessment: RecordId,
        /// Last day of validity.
        valid_until: NaiveDate,
        /// Last day of security support, if committed.
        support_until: Option<NaiveDate>,
        /// Versions covered at issue.
        versions: Vec<CoveredVersion>,
        /// Dependencies at issue.
        dependencies: Vec<DependencySnapshot>,
    },
    /// A further version is covered.
    VersionCovered {
        /// The version.
        version: CoveredVersion,
    },
    /// Suspended.
    Suspended {
        /// Why, in the actor's words (may be empty when `reason_code` says it all).
        reason: String,
        /// Until when, if set.
        until: Option<NaiveDate>,
        /// Why, from the catalogue (absent on events written before reason codes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_code: Option<ReasonCode>,
        /// The language `reason` is written in (absent: English).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_lang: Option<TextLang>,
        /// Set when the scheduler recorded it under a scheme rule.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scheduled: Option<Scheduled>,
    },
    /// A suspension was extended by the national authority.
    SuspensionExtended {
        /// New end.
        until: NaiveDate,
        /// Why, in the actor's words.
        reason: String,
        /// Why, from the catalogue (absent on events written before reason codes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_code: Option<ReasonCode>,
        /// The language `reason` is written in (absent: English).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_lang: Option<TextLang>,
    },
    /// The suspension was lifted.
    Reinstated {
        /// Note.
        note: String,
    },
    /// Withdrawn for good.
    Withdrawn {
        /// Why, in the actor's words.
        reason: String,
        /// Why, from the catalogue (absent on events written before reason codes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_code: Option<ReasonCode>,
        /// The language `reason` is written in (absent: English).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_lang: Option<TextLang>,
        /// Set when the scheduler recorded it under a scheme rule.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scheduled: Option<Scheduled>,
    },
    /// The validity period ended (or, where the scheme's labels are valid only while the product
    /// is supported, the support period; or a suspension lapsed under the scheme's policy).
    Expired {
        /// Set when the scheduler recorded it under a scheme rule (absent on older events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scheduled: Option<Scheduled>,
    },
    /// Replaced by a newer certificate.
    Superseded {
        /// The replacement.
        by: CertificateId,
    },
    /// The scheme stopped issuing.
    MarkedLegacy,
    /// The support period changed.
    SupportChanged {
        /// New last day of support.
        support_until: NaiveDate,
    },
    /// A dependency was declared or updated.
    DependencyDeclared {
        /// The dependency.
        dependency: DependencySnapshot,
    },
    /// A dependency's certificate changed state.
    DependencyStatusChanged {
        /// Dependency record id.
        dependency: RecordId,
        /// The service certificate's new state.
        state: State,
    },
    /// A dependency was removed.
    DependencyRemoved {
        /// Dependency record id.
        dependency: RecordId,
    },
    /// A vulnerability was matched against a covered version's components.
    VulnerabilityMatched {
        /// Advisory or CVE id.
        vulnerability: String,
        /// Severity bucket.
        severity: Severity,
        /// The affected component (purl).
        component: String,
        /// Known to be actively exploited.
        exploited: bool,
        /// First fixed version, if known.
        fixed_in: Option<String>,
        /// The covered versions whose software list carries it (empty on events recorded
        /// before findings were kept per version: then it is not known which).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<String>,
    },
    /// A match was closed.
    VulnerabilityResolved {
        /// Advisory or CVE id.
        vulnerability: String,
        /// How.
        resolution: Resolution,
    },
    /// The support period ended (recorded by the scheduler where the label stays valid without
    /// support; where it does not, the scheduler records [`EventKind::Expired`] instead).
    SupportEnded {
        /// The last day of support.
        on: NaiveDate,
        /// The rule and when it became due.
        scheduled: Scheduled,
    },
    /// The assessment body that issued the certificate lost its authorisation for the scheme
    /// level after the certificate was issued: the certificate stands, with this on record.
    IssuerAuthorisationRevoked {
        /// When the authorisation was revoked (or lapsed, when `lapsed`).
        revoked_at: DateTime<Utc>,
        /// The authorisation was not revoked but ran out (absent on events of revocations).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        lapsed: bool,
        /// The rule and when it became due.
        scheduled: Scheduled,
    },
    /// The holder declared a new version under the scheme's patch-management rule: a signed
    /// impact statement classifying the change, with the version's software list.
    VersionChangeDeclared {
        /// The version.
        version: CoveredVersion,
        /// How the holder classifies the change.
        class: ChangeClass,
        /// The holder's impact statement, in its words.
        impact: String,
        /// SHA-256 (hex) of the software list the registry holds for the version.
        sbom_sha256: String,
        /// Whether the rule covers the class at once (otherwise the issuer must confirm).
        covered: bool,
    },
    /// The issuer confirmed a declared version: it is covered.
    VersionConfirmed {
        /// The version record.
        version: RecordId,
    },
    /// The issuer refused a declared version: it is not covered.
    VersionRefused {
        /// The version record.
        version: RecordId,
        /// Why, in the issuer's words.
        reason: String,
    },
    // ---- CRA reporting (issue 12 item 4; `crate::cra`) ----
    /// The holder submitted a Cyber Resilience Act report (Art. 14) for an actively exploited
    /// vulnerability. The report itself is confidential (stored apart, read by the holder, the
    /// supervising authority and the registry operator); the event binds it by its digest.
    CraReportSubmitted {
        /// Which report.
        report: CraKind,
        /// The vulnerability (as the certificate shows it).
        vulnerability: String,
        /// SHA-256 (lowercase hex) of the report's canonical JSON (RFC 8785).
        sha256: String,
    },
    /// A CRA reporting deadline passed without a report (recorded by the scheduler).
    CraReportOverdue {
        /// Which report.
        report: CraKind,
        /// The vulnerability.
        vulnerability: String,
        /// The rule and when it became due (the moment after the deadline).
        scheduled: Scheduled,
    },
}

impl EventKind {
    /// The stable name of the event type (used in storage and feeds).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Issued { .. } => "issued",
            EventKind::VersionCovered { .. } => "version_covered",
            EventKind::Suspended { .. } => "suspended",
            EventKind::SuspensionExtended { .. } => "suspension_extended",
            EventKind::Reinstated { .. } => "reinstated",
            EventKind::Withdrawn { .. } => "withdrawn",
            EventKind::Expired { .. } => "expired",
            EventKind::Superseded { .. } => "superseded",
            EventKind::MarkedLegacy => "marked_legacy",
            EventKind::SupportChanged { .. } => "support_changed",
            EventKind::DependencyDeclared { .. } => "dependency_declared",
            EventKind::DependencyStatusChanged { .. } => "dependency_status_changed",
            EventKind::DependencyRemoved { .. } => "dependency_removed",
            EventKind::VulnerabilityMatched { .. } => "vulnerability_matched",
            EventKind::VulnerabilityResolved { .. } => "vulnerability_resolved",
            EventKind::SupportEnded { .. } => "support_ended",
            EventKind::IssuerAuthorisationRevoked { .. } => "issuer_authorisation_revoked",
            EventKind::VersionChangeDeclared { .. } => "version_change_declared",
            EventKind::VersionConfirmed { .. } => "version_confirmed",
            EventKind::VersionRefused { .. } => "version_refused",
            EventKind::CraReportSubmitted { .. } => "cra_report_submitted",
            EventKind::CraReportOverdue { .. } => "cra_report_overdue",
        }
    }

    /// The scheduler's rule and due time, when the scheduler recorded this event.
    pub fn scheduled(&self) -> Option<&Scheduled> {
        match self {
            EventKind::Suspended { scheduled, .. }
            | EventKind::Withdrawn { scheduled, .. }
            | EventKind::Expired { scheduled } => scheduled.as_ref(),
            EventKind::SupportEnded { scheduled, .. }
            | EventKind::IssuerAuthorisationRevoked { scheduled, .. }
            | EventKind::CraReportOverdue { scheduled, .. } => Some(scheduled),
            _ => None,
        }
    }

    /// The reason of a suspension, extension or withdrawal: its code (for events written before
    /// reason codes, the one the scheduler rule implies, else [`ReasonCode::Other`]), the free
    /// text and its language (absent: English).
    pub fn stated_reason(&self) -> Option<StatedReason> {
        let (reason, code, lang, scheduled) = match self {
            EventKind::Suspended {
                reason,
                reason_code,
                reason_lang,
                scheduled,
                ..
            }
            | EventKind::Withdrawn {
                reason,
                reason_code,
                reason_lang,
                scheduled,
            } => (reason, reason_code, reason_lang, scheduled.as_ref()),
            EventKind::SuspensionExtended {
                reason,
                reason_code,
                reason_lang,
                ..
            } => (reason, reason_code, reason_lang, None),
            _ => return None,
        };
        Some(StatedReason {
            code: code.unwrap_or_else(|| {
                scheduled.map_or(ReasonCode::Other, |s| ReasonCode::for_rule(s.rule))
            }),
            text: reason.clone(),
            lang: lang.clone().unwrap_or_else(TextLang::en),
        })
    }

    /// The lifecycle command this event records, if it changes the state.
    pub fn command(&self) -> Option<Command> {
        match self {
            EventKind::Suspended { .. } => Some(Command::Suspend),
            EventKind::SuspensionExtended { .. } => Some(Command::ExtendSuspension),
            EventKind::Reinstated { .. } => Some(Command::Reinstate),
            EventKind::Withdrawn { .. } => Some(Command::Withdraw),
            EventKind::Expired { .. } => Some(Command::Expire),
            EventKind::Superseded { .. } => Some(Command::Supersede),
            EventKind::MarkedLegacy => Some(Command::MarkLegacy),
            _ => None,
        }
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Event {
    /// Position in the registry-wide event sequence (assigned by the store).
    pub seq: i64,
    /// The certificate it belongs to.
    pub certificate: CertificateId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (organisation).
    pub actor: OrgId,
    /// In what role relative to the certificate.
    pub role: ActorRole,
    /// What happened.
    pub kind: EventKind,
}

/// Why a sequence of events does not fold into a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FoldError {
    /// There are no events.
    #[error("certificate has no events")]
    Empty,
    /// The first event is not `issued`, or a later one is.
    #[error("event {seq}: `issued` must be the first event and only the first")]
    IssuedOutOfPlace {
        /// The event's sequence number.
        seq: i64,
    },
    /// An event belongs to another certificate.
    #[error("event {seq} belongs to certificate {other}, not {expected}")]
    WrongCertificate {
        /// The event's sequence number.
        seq: i64,
        /// Its certificate.
        other: CertificateId,
        /// The one being folded.
        expected: CertificateId,
    },
    /// A lifecycle event the transition table forbids.
    #[error("event {seq}: {denial}")]
    Denied {
        /// The event's sequence number.
        seq: i64,
        /// Why the table refuses it.
        denial: Denial,
    },
    /// A coverage event the coverage rule forbids (a version covered by someone other than the
    /// issuer, a confirmation of a version nobody declared…).
    #[error("event {seq}: {detail}")]
    Coverage {
        /// The event's sequence number.
        seq: i64,
        /// What is wrong.
        detail: String,
    },
    /// A CRA reporting event that cannot stand (a report by someone other than the holder, for
    /// no obligation, or twice; a deadline notice not by the scheduler or for a submitted report).
    #[error("event {seq}: {detail}")]
    Cra {
        /// The event's sequence number.
        seq: i64,
        /// What is wrong.
        detail: String,
    },
}

/// An open or closed vulnerability match, as folded from events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct VulnerabilityState {
    /// Advisory id.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// Component purl.
    pub component: String,
    /// Actively exploited.
    pub exploited: bool,
    /// First fixed version.
    pub fixed_in: Option<String>,
    /// The covered versions that carry it (empty: not known which, so read as every one).
    #[serde(default)]
    pub versions: Vec<String>,
    /// When first seen.
    pub first_seen: DateTime<Utc>,
    /// How it was closed, if it was.
    pub resolution: Option<Resolution>,
}

/// Why a certificate was suspended or withdrawn: a code from the catalogue (read in the
/// visitor's language) and the organisation's own words, in the language it wrote them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StatedReason {
    /// The code.
    pub code: ReasonCode,
    /// The free text (may be empty).
    pub text: String,
    /// The language of `text`.
    pub lang: TextLang,
}

impl StatedReason {
    /// `other`, no text, English.
    pub fn other() -> Self {
        StatedReason {
            code: ReasonCode::Other,
            text: String::new(),
            lang: TextLang::en(),
        }
    }
}

/// A version the holder declared under the patch-management rule, waiting for the issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PendingVersion {
    /// The version.
    pub version: CoveredVersion,
    /// The holder's classification.
    pub class: ChangeClass,
    /// When declared.
    pub declared_at: DateTime<Utc>,
}

/// A running or past suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Suspension {
    /// Since when.
    pub since: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Until when, if set.
    pub until: Option<NaiveDate>,
    /// Who suspended it.
    pub by: OrgId,
    /// The reason's code (cached views written before reason codes read as `other`).
    #[serde(default = "other_code")]
    pub reason_code: ReasonCode,
    /// The language of `reason` (cached views written before: English).
    #[serde(default = "TextLang::en")]
    pub reason_lang: TextLang,
}

fn other_code() -> ReasonCode {
    ReasonCode::Other
}

/// The certificate as derived from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CertificateView {
    /// Identifier.
    pub id: CertificateId,
    /// Product.
    pub product: RecordId,
    /// Holder.
    pub holder: OrgId,
    /// Scheme.
    pub scheme: SchemeId,
    /// Level.
    pub level: LevelId,
    /// Issuer.
    pub issuer: OrgId,
    /// Self or third party.
    pub issuer_kind: IssuerKind,
    /// Supervising authority.
    pub authority: Option<OrgId>,
    /// Assessment.
    pub assessment: RecordId,
    /// Issue time.
    pub issued_at: DateTime<Utc>,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Last day of support.
    pub support_until: Option<NaiveDate>,
    /// Lifecycle state.
    pub state: State,
    /// Current suspension, while suspended.
    pub suspension: Option<Suspension>,
    /// Withdrawal time and reason.
    pub withdrawn: Option<(DateTime<Utc>, String)>,
    /// The withdrawal's reason code and the language of its free text (absent in cached views
    /// written before reason codes: `other`, English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_code: Option<(ReasonCode, TextLang)>,
    /// When the state last changed.
    pub state_since: DateTime<Utc>,
    /// Covered versions, oldest first.
    pub versions: Vec<CoveredVersion>,
    /// Dependencies by record id.
    pub dependencies: BTreeMap<RecordId, DependencySnapshot>,
    /// Vulnerability matches by id.
    pub vulnerabilities: BTreeMap<String, VulnerabilityState>,
    /// Replacement, when superseded.
    pub superseded_by: Option<CertificateId>,
    /// Number of events folded.
    pub event_count: usize,
    /// When the newest folded event happened (an HTTP `Last-Modified` ingredient).
    pub last_event_at: DateTime<Utc>,
    /// The last day of support the scheduler recorded as ended ([`EventKind::SupportEnded`]).
    #[serde(default)]
    pub support_end_recorded: Option<NaiveDate>,
    /// The issuer's authorisation revocation the scheduler recorded
    /// ([`EventKind::IssuerAuthorisationRevoked`]).
    #[serde(default)]
    pub issuer_revocation_recorded: Option<DateTime<Utc>>,
    /// Versions the holder declared that wait for the issuer's confirmation.
    #[serde(default)]
    pub pending_versions: Vec<PendingVersion>,
    /// Cyber Resilience Act reporting, per actively exploited vulnerability (`crate::cra`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cra: BTreeMap<String, CraCase>,
}

impl CertificateView {
    /// The newest covered security update.
    pub fn latest_security_update(&self) -> Option<&CoveredVersion> {
        self.versions
            .iter()
            .filter(|v| v.security_update)
            .max_by_key(|v| v.released_on)
    }
}

/// Folds a certificate's events, oldest first, into its current view. Every lifecycle event is
/// checked against the transition table, so a stored history the table forbids is an error.
pub fn fold(events: &[Event]) -> Result<CertificateView, FoldError> {
    let (first, rest) = events.split_first().ok_or(FoldError::Empty)?;
    let mut view = match &first.kind {
        EventKind::Issued {
            product,
            holder,
            scheme,
            level,
            issuer,
            issuer_kind,
            authority,
            assessment,
            valid_until,
            support_until,
            versions,
            dependencies,
        } => CertificateView {
            id: first.certificate.clone(),
            product: product.clone(),
            holder: holder.clone(),
            scheme: scheme.clone(),
            level: level.clone(),
            issuer: issuer.clone(),
            issuer_kind: *issuer_kind,
            authority: authority.clone(),
            assessment: assessment.clone(),
            issued_at: first.at,
            valid_until: *valid_until,
            support_until: *support_until,
            state: State::Active,
            suspension: None,
            withdrawn: None,
            withdrawal_code: None,
            state_since: first.at,
            versions: versions.clone(),
            dependencies: dependencies
                .iter()
                .map(|d| (d.id.clone(), d.clone()))
                .collect(),
            vulnerabilities: BTreeMap::new(),
            superseded_by: None,
            event_count: 1,
            last_event_at: first.at,
            support_end_recorded: None,
            issuer_revocation_recorded: None,
            pending_versions: Vec::new(),
            cra: BTreeMap::new(),
        },
        _ => return Err(FoldError::IssuedOutOfPlace { seq: first.seq }),
    };
    for event in rest {
        apply(&mut view, event)?;
    }
    Ok(view)
}

/// Applies one further event to a view.
pub fn apply(view: &mut CertificateView, event: &Event) -> Result<(), FoldError> {
    if event.certificate != view.id {
        return Err(FoldError::WrongCertificate {
            seq: event.seq,
            other: event.certificate.clone(),
            expected: view.id.clone(),
        });
    }
    // A scheduled event takes effect when it became due, which is before it was recorded when
    // the scheduler caught up after downtime (see `schedule`).
    let effective = event.kind.scheduled().map_or(event.at, |s| s.due_at);
    if let Some(command) = event.kind.command() {
        let to =
            transition(view.state, command, event.role).map_err(|denial| FoldError::Denied {
                seq: event.seq,
                denial,
            })?;
        if to != view.state {
            view.state_since = effective;
        }
        view.state = to;
    }
    match &event.kind {
        EventKind::Issued { .. } => return Err(FoldError::IssuedOutOfPlace { seq: event.seq }),
        // The coverage invariant: a version is covered by the issuer (for a self-declared
        // certificate the holder is the issuer), or by the holder under the patch-management
        // rule, which the declaration records.
        EventKind::VersionCovered { version } => {
            if event.role != ActorRole::Issuer {
                return Err(coverage(event, "only the issuer covers a version"));
            }
            cover(view, version);
            crate::cra::on_covered(view, event.at);
        }
        EventKind::VersionChangeDeclared {
            version,
            covered,
            class,
            ..
        } => {
            if !matches!(event.role, ActorRole::Holder | ActorRole::Issuer) {
                return Err(coverage(event, "only the holder declares a version change"));
            }
            if view.versions.iter().any(|v| v.id == version.id) {
                return Err(coverage(event, "the version is covered already"));
            }
            view.pending_versions.retain(|p| p.version.id != version.id);
            if *covered {
                cover(view, version);
                crate::cra::on_covered(view, event.at);
            } else {
                view.pending_versions.push(PendingVersion {
                    version: version.clone(),
                    class: *class,
                    declared_at: event.at,
                });
            }
        }
        EventKind::VersionConfirmed { version } | EventKind::VersionRefused { version, .. } => {
            if event.role != ActorRole::Issuer {
                return Err(coverage(
                    event,
                    "only the issuer confirms or refuses a version",
                ));
            }
            let Some(i) = view
                .pending_versions
                .iter()
                .position(|p| &p.version.id == version)
            else {
                return Err(coverage(event, "no declared version waits for the issuer"));
            };
            let pending = view.pending_versions.remove(i);
            if matches!(event.kind, EventKind::VersionConfirmed { .. }) {
                cover(view, &pending.version);
                crate::cra::on_covered(view, event.at);
            }
        }
        EventKind::Suspended { until, .. } => {
            let why = event
                .kind
                .stated_reason()
                .unwrap_or_else(StatedReason::other);
            view.suspension = Some(Suspension {
                since: effective,
                reason: why.text,
                until: *until,
                by: event.actor.clone(),
                reason_code: why.code,
                reason_lang: why.lang,
            });
        }
        EventKind::SuspensionExtended { until, .. } => {
            let why = event
                .kind
                .stated_reason()
                .unwrap_or_else(StatedReason::other);
            if let Some(s) = view.suspension.as_mut() {
                s.until = Some(*until);
                s.reason = why.text;
                s.reason_code = why.code;
                s.reason_lang = why.lang;
            }
        }
        EventKind::Reinstated { .. } => view.suspension = None,
        EventKind::Withdrawn { .. } => {
            let why = event
                .kind
                .stated_reason()
                .unwrap_or_else(StatedReason::other);
            view.suspension = None;
            view.withdrawn = Some((effective, why.text));
            view.withdrawal_code = Some((why.code, why.lang));
        }
        EventKind::Superseded { by } => view.superseded_by = Some(by.clone()),
        EventKind::Expired { .. } | EventKind::MarkedLegacy => {}
        EventKind::SupportEnded { on, .. } => view.support_end_recorded = Some(*on),
        EventKind::IssuerAuthorisationRevoked { revoked_at, .. } => {
            view.issuer_revocation_recorded = Some(*revoked_at);
        }
        EventKind::SupportChanged { support_until } => view.support_until = Some(*support_until),
        EventKind::DependencyDeclared { dependency } => {
            view.dependencies
                .insert(dependency.id.clone(), dependency.clone());
        }
        EventKind::DependencyStatusChanged { dependency, state } => {
            if let Some(d) = view.dependencies.get_mut(dependency) {
                d.certificate_state = Some(*state);
            }
        }
        EventKind::DependencyRemoved { dependency } => {
            view.dependencies.remove(dependency);
        }
        EventKind::VulnerabilityMatched {
            vulnerability,
            severity,
            component,
            exploited,
            fixed_in,
            versions,
        } => {
            let first_seen = view
                .vulnerabilities
                .get(vulnerability)
                .filter(|v| v.resolution.is_none())
                .map_or(event.at, |v| v.first_seen);
            view.vulnerabilities.insert(
                vulnerability.clone(),
                VulnerabilityState {
                    id: vulnerability.clone(),
                    severity: *severity,
                    component: component.clone(),
                    exploited: *exploited,
                    fixed_in: fixed_in.clone(),
                    versions: versions.clone(),
                    first_seen,
                    resolution: None,
                },
            );
            crate::cra::on_matched(view, vulnerability, *exploited, versions, event.at);
        }
        EventKind::VulnerabilityResolved {
            vulnerability,
            resolution,
        } => {
            if let Some(v) = view.vulnerabilities.get_mut(vulnerability) {
                v.resolution = Some(resolution.clone());
            }
            crate::cra::on_resolved(view, vulnerability, resolution, event.at);
        }
        // ---- CRA reporting (issue 12 item 4) ----
        EventKind::CraReportSubmitted {
            report,
            vulnerability,
            sha256,
        } => {
            // Only the holder reports (Art. 14 is the manufacturer's duty); on a self-declared
            // certificate the holder acts as its issuer.
            if event.actor != view.holder
                || !matches!(event.role, ActorRole::Holder | ActorRole::Issuer)
            {
                return Err(cra(event, "only the holder submits a CRA report".into()));
            }
            crate::cra::on_submitted(view, *report, vulnerability, sha256, event.seq, event.at)
                .map_err(|d| cra(event, d))?;
        }
        EventKind::CraReportOverdue {
            report,
            vulnerability,
            ..
        } => {
            if event.role != ActorRole::Scheduler {
                return Err(cra(
                    event,
                    "only the scheduler records a CRA deadline".into(),
                ));
            }
            crate::cra::on_overdue(view, *report, vulnerability).map_err(|d| cra(event, d))?;
        }
    }
    view.event_count += 1;
    view.last_event_at = view.last_event_at.max(event.at);
    Ok(())
}

fn coverage(event: &Event, detail: &str) -> FoldError {
    FoldError::Coverage {
        seq: event.seq,
        detail: detail.to_owned(),
    }
}

fn cra(event: &Event, detail: String) -> FoldError {
    FoldError::Cra {
        seq: event.seq,
        detail,
    }
}

fn cover(view: &mut CertificateView, version: &CoveredVersion) {
    view.versions.retain(|v| v.id != version.id);
    view.versions.push(version.clone());
}

/// The role of `actor` relative to a certificate, given what the service layer knows of it.
pub fn role_of(
    actor: &OrgId,
    issuer: &OrgId,
    holder: &OrgId,
    authority: Option<&OrgId>,
    actor_is_registry: bool,
) -> ActorRole {
    if actor == issuer {
        ActorRole::Issuer
    } else if Some(actor) == authority {
        ActorRole::NationalAuthority
    } else if actor_is_registry {
        ActorRole::Registry
    } else if actor == holder {
        ActorRole::Holder
    } else {
        ActorRole::Other
    }
}

#[cfg(test)]
pub(crate) mod tests;

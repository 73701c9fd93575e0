//! What the scheme's policy makes happen to a certificate, and when (issue 12): the pure half of
//! the registry's scheduler. [`next_action`] looks at a folded certificate and says which rule
//! acts next and at what time; [`due`] plays the rules forward up to a time (what a scheduler
//! pass records, oldest first) and [`forecast`] is the same played up to a future date without
//! writing. The service records each action as a signed event that carries its [`Scheduled`]
//! rule and due time, so the effective time of a change (when it became due) stays apart from the
//! time it was recorded (the event's `at`), also when the scheduler catches up after downtime.
//!
//! Every rule is idempotent by construction: an action is due only while the certificate is in
//! the state the rule acts on (an expired certificate expires no more), and the two notices that
//! do not change the state are remembered in the fold ([`CertificateView::support_end_recorded`],
//! [`CertificateView::issuer_revocation_recorded`]), as are the CRA deadline notices
//! ([`crate::cra::CraCase::overdue_recorded`]).

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{apply, CertificateView, Event, EventKind};
use crate::lifecycle::{ActorRole, State};
use crate::model::{text_enum, AuthorisationEnd, IssuerKind, Severity, UnknownValue};
use crate::reason::ReasonCode;
use crate::scheme::{StatusPolicy, SuspensionEnd};

text_enum!(
    /// A rule the scheduler applies.
    Rule, "scheduler rule" {
        /// The validity period ended: the certificate expires.
        Expiry = "expiry",
        /// The support period ended: where the scheme's labels are valid only while the product
        /// is supported the certificate expires, else the end is put on record.
        SupportEnded = "support_ended",
        /// A vulnerability of a severity the scheme suspends for is past its remediation
        /// deadline: the certificate is suspended for the scheme's longest suspension.
        VulnerabilityOverdue = "vulnerability_overdue",
        /// A suspension's end date passed and nobody lifted or extended it: withdrawn ("not
        /// remedied within the suspension period") or lapsed, as the scheme says.
        SuspensionEnded = "suspension_ended",
        /// The issuing assessment body's authorisation for the scheme level was revoked or lapsed:
        /// a certificate issued afterwards is withdrawn, an earlier one gets it on record.
        IssuerAuthorisationRevoked = "issuer_authorisation_revoked",
        /// A Cyber Resilience Act reporting deadline (early warning 24 h, notification 72 h,
        /// final report 14 days after the fix) passed without the holder's report: put on record
        /// (`crate::cra`).
        CraReportOverdue = "cra_report_overdue",
    }
);

/// The rule that caused a scheduled event, and when it became due (its effective time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Scheduled {
    /// The rule.
    pub rule: Rule,
    /// When the action became due. The event's own time is when it was recorded.
    pub due_at: DateTime<Utc>,
}

/// What the scheduler needs besides the certificate: the scheme's policy and facts kept outside
/// the certificate's events.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The certificate's scheme policy.
    pub policy: &'a StatusPolicy,
    /// When the issuer's authorisation for the certificate's scheme level ends or ended, and how
    /// (revoked or lapsed), if it does (only looked at for third-party certificates).
    pub issuer_authorisation_end: Option<(DateTime<Utc>, AuthorisationEnd)>,
}

/// One action the policy takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The rule.
    pub rule: Rule,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// The event that records it (carrying `rule` and `due_at`).
    pub kind: EventKind,
}

/// The version of the rule set: part of the scheduler's policy fingerprint, so the due times a
/// store kept under older rules are computed again (a build that adds a rule, like the CRA
/// deadlines, would otherwise not look at a certificate until its old due time).
pub const RULES_VERSION: &str = "2:cra_report_overdue";

/// The reason recorded when a suspension ends without remedy (EUCC).
pub const NOT_REMEDIED: &str = "not remedied within the suspension period";

/// At most this many actions are played forward for one certificate in one go (a certificate can
/// go through at most suspend → withdraw or expire, plus two notices, plus three CRA deadline
/// notices per exploited vulnerability; the bound only guards against a rule that would not make
/// progress — what is left stays due and the next pass records it).
pub const MAX_ACTIONS: usize = 64;

/// The first instant of the day after `date`: a date-based rule ("valid until", "supported
/// until", "suspended until") is due once that whole day has passed.
fn day_after(date: NaiveDate) -> DateTime<Utc> {
    date.checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX)
        .and_hms_opt(0, 0, 0)
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

fn scheduled(rule: Rule, due_at: DateTime<Utc>) -> Option<Scheduled> {
    Some(Scheduled { rule, due_at })
}

/// The candidates, each valid on its own; [`next_action`] picks the earliest.
fn candidates(view: &CertificateView, ctx: &Context<'_>) -> Vec<Action> {
    let mut out = Vec::new();
    if view.state.is_terminal() {
        return out;
    }
    let policy = ctx.policy;

    // Expiry; where labels are valid only while supported and support ends first or on the
    // same day (validity is capped at the end of support), the end of support is the cause.
    let support_ends_it = policy.valid_only_while_supported
        && view
            .support_until
            .is_some_and(|end| end <= view.valid_until);
    if !support_ends_it {
        let at = day_after(view.valid_until);
        out.push(Action {
            rule: Rule::Expiry,
            due_at: at,
            kind: EventKind::Expired {
                scheduled: scheduled(Rule::Expiry, at),
            },
        });
    }

    // Support ended.
    if let Some(end) = view.support_until {
        let at = day_after(end);
        if policy.valid_only_while_supported {
            out.push(Action {
                rule: Rule::SupportEnded,
                due_at: at,
                kind: EventKind::Expired {
                    scheduled: scheduled(Rule::SupportEnded, at),
                },
            });
        } else if view.support_end_recorded != Some(end) {
            out.push(Action {
                rule: Rule::SupportEnded,
                due_at: at,
                kind: EventKind::SupportEnded {
                    on: end,
                    scheduled: Scheduled {
                        rule: Rule::SupportEnded,
                        due_at: at,
                    },
                },
            });
        }
    }

    // Overdue vulnerabilities of a severity the scheme suspends for: the earliest.
    if view.state == State::Active {
        let overdue = view
            .vulnerabilities
            .values()
            .filter(|v| v.resolution.is_none())
            // An unscored vulnerability counts as the policy's `unknown_severity_as`, as in
            // `status::evaluate`, so the scheduler acts exactly when the status says overdue.
            .filter(|v| policy.suspends_when_overdue(v.severity))
            .map(|v| {
                let deadline = v
                    .first_seen
                    .date_naive()
                    .checked_add_days(Days::new(policy.remediation_days_for(v.severity).into()))
                    .unwrap_or(NaiveDate::MAX);
                (day_after(deadline), deadline, v)
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(a.2.id.cmp(&b.2.id)));
        if let Some((overdue_at, deadline, v)) = overdue {
            // Reinstated by its issuer while still overdue: suspended again from then on.
            let at = overdue_at.max(view.state_since);
            let until = at
                .date_naive()
                .checked_add_days(Days::new(policy.max_suspension_days.into()))
                .unwrap_or(NaiveDate::MAX);
            // The covered versions that carry it, when known (issue 12: the reason names them).
            let in_versions = if v.versions.is_empty() {
                String::new()
            } else {
                format!(" in version {}", v.versions.join(", "))
            };
            out.push(Action {
                rule: Rule::VulnerabilityOverdue,
                due_at: at,
                kind: EventKind::Suspended {
                    reason: if v.severity == Severity::Unknown {
                        format!(
                            "the security problem {}{in_versions} (severity not known yet, counted as {}) was not fixed by {deadline}, the scheme's deadline",
                            v.id,
                            policy.class_of(v.severity).as_str()
                        )
                    } else {
                        format!(
                            "the {} security problem {}{in_versions} was not fixed by {deadline}, the scheme's deadline",
                            v.severity.as_str(),
                            v.id
                        )
                    },
                    until: Some(until),
                    reason_code: Some(ReasonCode::VulnerabilityNotFixed),
                    reason_lang: None,
                    scheduled: scheduled(Rule::VulnerabilityOverdue, at),
                },
            });
        }
    }

    // End of a suspension nobody lifted.
    if view.state == State::Suspended {
        if let Some(until) = view.suspension.as_ref().and_then(|s| s.until) {
            let at = day_after(until);
            let s = scheduled(Rule::SuspensionEnded, at);
            out.push(Action {
                rule: Rule::SuspensionEnded,
                due_at: at,
                kind: match policy.when_suspension_ends {
                    SuspensionEnd::Withdraw => EventKind::Withdrawn {
                        reason: NOT_REMEDIED.to_owned(),
                        reason_code: Some(ReasonCode::NotRemedied),
                        reason_lang: None,
                        scheduled: s,
                    },
                    SuspensionEnd::Lapse => EventKind::Expired { scheduled: s },
                },
            });
        }
    }

    // CRA reporting deadlines passed without a report (issue 12 item 4; `crate::cra`).
    out.extend(crate::cra::candidates(view));

    // The issuer lost its authorisation.
    if view.issuer_kind == IssuerKind::ThirdParty {
        if let Some((revoked, how)) = ctx.issuer_authorisation_end {
            let lapsed = how == AuthorisationEnd::Lapsed;
            if view.issued_at >= revoked {
                let at = view.issued_at;
                out.push(Action {
                    rule: Rule::IssuerAuthorisationRevoked,
                    due_at: at,
                    kind: EventKind::Withdrawn {
                        reason: if lapsed {
                            format!(
                                "issued after the assessment body's authorisation for this scheme lapsed on {}",
                                revoked.date_naive()
                            )
                        } else {
                            format!(
                                "issued after the assessment body's authorisation for this scheme was revoked on {}",
                                revoked.date_naive()
                            )
                        },
                        reason_code: Some(ReasonCode::IssuerAuthorisationRevoked),
                        reason_lang: None,
                        scheduled: scheduled(Rule::IssuerAuthorisationRevoked, at),
                    },
                });
            } else if view.issuer_revocation_recorded != Some(revoked) {
                out.push(Action {
                    rule: Rule::IssuerAuthorisationRevoked,
                    due_at: revoked,
                    kind: EventKind::IssuerAuthorisationRevoked {
                        revoked_at: revoked,
                        lapsed,
                        scheduled: Scheduled {
                            rule: Rule::IssuerAuthorisationRevoked,
                            due_at: revoked,
                        },
                    },
                });
            }
        }
    }
    out
}

/// The next action the policy takes on this certificate, whenever it is due; `None` when nothing
/// will ever happen by itself (a withdrawn, expired or superseded certificate). Ties go to the
/// rule listed first in [`Rule`].
pub fn next_action(view: &CertificateView, ctx: &Context<'_>) -> Option<Action> {
    candidates(view, ctx)
        .into_iter()
        .min_by(|a, b| a.due_at.cmp(&b.due_at).then(a.rule.cmp(&b.rule)))
}

/// When the next action is due (what the store keeps as the certificate's `next_due`).
pub fn next_due(view: &CertificateView, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
    next_action(view, ctx).map(|a| a.due_at)
}

/// Every action due at or before `now`, in the order they take effect, each played on the view
/// before the next is looked for (a suspension that ended before `now` is followed by its
/// withdrawal). This is what a scheduler pass records, catching up after downtime included.
pub fn due(view: &CertificateView, ctx: &Context<'_>, now: DateTime<Utc>) -> Vec<Action> {
    let mut view = view.clone();
    let mut out = Vec::new();
    while out.len() < MAX_ACTIONS {
        let Some(action) = next_action(&view, ctx).filter(|a| a.due_at <= now) else {
            break;
        };
        let event = Event {
            seq: i64::MAX,
            certificate: view.id.clone(),
            at: action.due_at,
            actor: view.issuer.clone(),
            role: ActorRole::Scheduler,
            kind: action.kind.clone(),
        };
        if apply(&mut view, &event).is_err() {
            // Cannot happen: every candidate is one the transition table allows in this state.
            break;
        }
        out.push(action);
    }
    out
}

/// What will happen to the certificate up to and including `until` if nobody acts: [`due`]
/// played to the end of that day. Writes nothing.
pub fn forecast(view: &CertificateView, ctx: &Context<'_>, until: NaiveDate) -> Vec<Action> {
    due(
        view,
        ctx,
        day_after(until) - chrono::Duration::microseconds(1),
    )
}

#[cfg(test)]
mod tests;

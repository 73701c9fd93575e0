use chrono::{Duration, NaiveDate, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::event::tests::{cert, ev, issued, t};
use crate::event::{fold, Event, Resolution};
use crate::ids::OrgId;
use crate::model::{AuthorisationEnd, Severity};
use crate::status::tests::policy;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn midnight(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn ctx(policy: &StatusPolicy) -> Context<'_> {
    Context {
        policy,
        issuer_authorisation_end: None,
    }
}

/// Issued day 0 (2026-01-01 12:00), valid until 2028-12-31, supported until 2027-06-30.
fn base() -> Vec<Event> {
    vec![issued(Some(date(2027, 6, 30)), vec![])]
}

fn critical(seq: i64, day: u32) -> Event {
    ev(
        seq,
        day,
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityMatched {
            vulnerability: "GHSA-aaaa".into(),
            severity: Severity::Critical,
            component: "pkg:cargo/x@1.0.0".into(),
            exploited: true,
            fixed_in: None,
            versions: vec![],
        },
    )
}

fn rules(actions: &[Action]) -> Vec<(Rule, DateTime<Utc>)> {
    actions.iter().map(|a| (a.rule, a.due_at)).collect()
}

/// Records `actions` as the service would: at `recorded`, by the scheduler.
fn record(events: &mut Vec<Event>, actions: &[Action], recorded: DateTime<Utc>) {
    for a in actions {
        let seq = events.len() as i64 + 1;
        events.push(Event {
            seq,
            certificate: cert(),
            at: recorded,
            actor: OrgId::new("enisa").unwrap(),
            role: ActorRole::Scheduler,
            kind: a.kind.clone(),
        });
    }
}

#[test]
fn nothing_is_due_before_its_day_has_passed() {
    let p = policy();
    let view = fold(&base()).unwrap();
    assert!(due(&view, &ctx(&p), midnight(2027, 6, 30)).is_empty());
    assert_eq!(
        next_due(&view, &ctx(&p)),
        Some(midnight(2027, 7, 1)),
        "support ends first"
    );
}

#[test]
fn support_end_is_put_on_record_once_when_the_label_outlives_it() {
    let p = policy();
    let mut events = base();
    let view = fold(&events).unwrap();
    let now = midnight(2027, 7, 2);
    let d = due(&view, &ctx(&p), now);
    assert_eq!(rules(&d), vec![(Rule::SupportEnded, midnight(2027, 7, 1))]);
    assert!(matches!(d[0].kind, EventKind::SupportEnded { on, .. } if on == date(2027, 6, 30)));
    record(&mut events, &d, now);
    let view = fold(&events).unwrap();
    assert_eq!(view.state, State::Active);
    assert!(due(&view, &ctx(&p), now).is_empty(), "idempotent");
    assert_eq!(next_due(&view, &ctx(&p)), Some(midnight(2029, 1, 1)));
}

#[test]
fn support_end_expires_the_label_where_it_is_valid_only_while_supported() {
    let mut p = policy();
    p.valid_only_while_supported = true;
    let mut events = base();
    let now = midnight(2027, 9, 1);
    let d = due(&fold(&events).unwrap(), &ctx(&p), now);
    assert_eq!(rules(&d), vec![(Rule::SupportEnded, midnight(2027, 7, 1))]);
    record(&mut events, &d, now);
    let view = fold(&events).unwrap();
    assert_eq!(view.state, State::Expired);
    assert_eq!(
        view.state_since,
        midnight(2027, 7, 1),
        "effective when due, not when recorded"
    );
    assert_eq!(events.last().unwrap().at, now, "recorded when applied");
    assert!(due(&view, &ctx(&p), midnight(2031, 1, 1)).is_empty());
}

#[test]
fn validity_end_expires() {
    let p = policy();
    let mut events = vec![issued(None, vec![])];
    let d = due(&fold(&events).unwrap(), &ctx(&p), midnight(2029, 1, 1));
    assert_eq!(rules(&d), vec![(Rule::Expiry, midnight(2029, 1, 1))]);
    record(&mut events, &d, midnight(2029, 1, 1));
    assert_eq!(fold(&events).unwrap().state, State::Expired);
}

#[test]
fn overdue_critical_suspends_then_withdraws_when_not_remedied() {
    let p = policy();
    // Matched on day 10 (2026-01-11): deadline 2026-02-10, overdue from 2026-02-11.
    let mut events = base();
    events.push(critical(2, 10));
    let view = fold(&events).unwrap();
    assert!(due(&view, &ctx(&p), midnight(2026, 2, 10) + Duration::hours(23)).is_empty());
    // The server was down for months: both steps are caught up, each at its own due time.
    let now = midnight(2026, 6, 1);
    let d = due(&view, &ctx(&p), now);
    assert_eq!(
        rules(&d),
        vec![
            (Rule::VulnerabilityOverdue, midnight(2026, 2, 11)),
            (Rule::SuspensionEnded, midnight(2026, 3, 26)),
        ]
    );
    match &d[0].kind {
        EventKind::Suspended {
            until,
            reason,
            reason_code,
            ..
        } => {
            assert_eq!(*until, Some(date(2026, 3, 25)), "42 days");
            assert!(reason.contains("GHSA-aaaa") && reason.contains("2026-02-10"));
            assert_eq!(
                *reason_code,
                Some(crate::reason::ReasonCode::VulnerabilityNotFixed)
            );
        }
        other => panic!("{other:?}"),
    }
    record(&mut events, &d, now);
    let view = fold(&events).unwrap();
    assert_eq!(view.state, State::Withdrawn);
    let (on, reason) = view.withdrawn.clone().unwrap();
    assert_eq!((on, reason.as_str()), (midnight(2026, 3, 26), NOT_REMEDIED));
    assert_eq!(
        view.withdrawal_code.as_ref().map(|c| c.0),
        Some(crate::reason::ReasonCode::NotRemedied)
    );
    assert!(due(&view, &ctx(&p), now).is_empty());
}

#[test]
fn a_lapsing_scheme_expires_the_certificate_instead() {
    let mut p = policy();
    p.when_suspension_ends = SuspensionEnd::Lapse;
    let mut events = base();
    events.push(critical(2, 10));
    let d = due(&fold(&events).unwrap(), &ctx(&p), midnight(2026, 6, 1));
    assert!(matches!(d[1].kind, EventKind::Expired { .. }));
    record(&mut events, &d, midnight(2026, 6, 1));
    assert_eq!(fold(&events).unwrap().state, State::Expired);
}

#[test]
fn fixed_lifted_or_extended_suspensions_are_left_alone() {
    let p = policy();
    let mut events = base();
    events.push(critical(2, 10));
    events.push(ev(
        3,
        20,
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityResolved {
            vulnerability: "GHSA-aaaa".into(),
            resolution: Resolution::Fixed {
                version: "1.0.1".into(),
            },
        },
    ));
    let view = fold(&events).unwrap();
    assert!(due(&view, &ctx(&p), midnight(2026, 6, 1)).is_empty());

    // A suspension by the issuer, extended by the authority: due only after the new end.
    let mut events = base();
    events.push(ev(
        2,
        5,
        "lab",
        ActorRole::Issuer,
        EventKind::Suspended {
            reason: "recall".into(),
            until: Some(date(2026, 2, 1)),
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    ));
    events.push(ev(
        3,
        20,
        "nl-rdi",
        ActorRole::NationalAuthority,
        EventKind::SuspensionExtended {
            until: date(2026, 5, 1),
            reason: "more time".into(),
            reason_code: None,
            reason_lang: None,
        },
    ));
    let view = fold(&events).unwrap();
    assert!(due(&view, &ctx(&p), midnight(2026, 5, 1)).is_empty());
    assert_eq!(
        rules(&due(&view, &ctx(&p), midnight(2026, 5, 2))),
        vec![(Rule::SuspensionEnded, midnight(2026, 5, 2))]
    );
}

#[test]
fn high_is_not_suspended_where_the_scheme_suspends_only_for_critical() {
    let p = policy();
    let mut events = base();
    let mut high = critical(2, 10);
    if let EventKind::VulnerabilityMatched { severity, .. } = &mut high.kind {
        *severity = Severity::High;
    }
    events.push(high);
    let d = due(&fold(&events).unwrap(), &ctx(&p), midnight(2026, 6, 1));
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn revoked_issuer_withdraws_later_certificates_and_notes_earlier_ones() {
    let p = policy();
    let events = base();
    let view = fold(&events).unwrap();
    // Revoked before the issue: withdrawn, effective from the issue.
    let before = Context {
        policy: &p,
        issuer_authorisation_end: Some((t(0) - Duration::days(1), AuthorisationEnd::Revoked)),
    };
    let d = due(&view, &before, t(3));
    assert_eq!(rules(&d), vec![(Rule::IssuerAuthorisationRevoked, t(0))]);
    assert!(
        matches!(&d[0].kind, EventKind::Withdrawn { reason, reason_code, .. }
            if reason.contains("revoked")
                && *reason_code == Some(crate::reason::ReasonCode::IssuerAuthorisationRevoked))
    );
    // Revoked after: on record once, the certificate stands.
    let after = Context {
        policy: &p,
        issuer_authorisation_end: Some((t(30), AuthorisationEnd::Revoked)),
    };
    assert!(due(&view, &after, t(29)).is_empty());
    let d = due(&view, &after, t(31));
    assert_eq!(rules(&d), vec![(Rule::IssuerAuthorisationRevoked, t(30))]);
    let mut events = events;
    record(&mut events, &d, t(31));
    let view = fold(&events).unwrap();
    assert_eq!(view.state, State::Active);
    assert_eq!(view.issuer_revocation_recorded, Some(t(30)));
    assert!(due(&view, &after, t(60)).is_empty());
}

#[test]
fn lapsed_authorisation_acts_like_a_revocation_at_its_end() {
    let p = policy();
    let events = base();
    let view = fold(&events).unwrap();
    // Lapsed before the issue: the certificate is withdrawn, saying it lapsed.
    let before = Context {
        policy: &p,
        issuer_authorisation_end: Some((t(0) - Duration::days(1), AuthorisationEnd::Lapsed)),
    };
    let d = due(&view, &before, t(1));
    assert_eq!(rules(&d), vec![(Rule::IssuerAuthorisationRevoked, t(0))]);
    assert!(matches!(&d[0].kind, EventKind::Withdrawn { reason, .. } if reason.contains("lapsed")));
    // Lapsing in the future: nothing is due before, the lapse is due at its end and is
    // recorded as a lapse, once.
    let later = Context {
        policy: &p,
        issuer_authorisation_end: Some((t(40), AuthorisationEnd::Lapsed)),
    };
    assert!(due(&view, &later, t(39)).is_empty());
    assert_eq!(crate::schedule::next_due(&view, &later), Some(t(40)));
    let d = due(&view, &later, t(40));
    assert!(matches!(&d[0].kind,
        EventKind::IssuerAuthorisationRevoked { revoked_at, lapsed: true, .. } if *revoked_at == t(40)));
    let mut events = events;
    record(&mut events, &d, t(41));
    let view = fold(&events).unwrap();
    assert_eq!(view.state, State::Active);
    assert!(due(&view, &later, t(90)).is_empty());
    // The recorded event keeps its old form for revocations (no `lapsed` key) and says so for
    // lapses.
    let json = serde_json::to_value(&d[0].kind).unwrap();
    assert_eq!(json["lapsed"], serde_json::json!(true));
}

#[test]
fn forecast_lists_what_happens_until_the_date() {
    let p = policy();
    let mut events = base();
    events.push(critical(2, 10));
    let view = fold(&events).unwrap();
    assert_eq!(
        rules(&forecast(&view, &ctx(&p), date(2026, 3, 25))),
        vec![(Rule::VulnerabilityOverdue, midnight(2026, 2, 11))]
    );
    assert_eq!(forecast(&view, &ctx(&p), date(2026, 3, 26)).len(), 2);
    assert_eq!(forecast(&view, &ctx(&p), date(2040, 1, 1)).len(), 2);
}

#[test]
fn old_events_serialise_as_before() {
    let json = serde_json::to_string(&EventKind::Expired { scheduled: None }).unwrap();
    assert_eq!(json, r#"{"type":"expired"}"#);
    let back: EventKind = serde_json::from_str(r#"{"type":"withdrawn","reason":"x"}"#).unwrap();
    assert_eq!(
        back,
        EventKind::Withdrawn {
            reason: "x".into(),
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        }
    );
}

proptest! {
    /// Running the scheduler at any sequence of times records the same history as running it
    /// once at the last time, and running it again at the same time records nothing.
    #[test]
    fn passes_are_idempotent_and_order_free(
        matched_day in 1u32..400,
        severity_critical in any::<bool>(),
        steps in proptest::collection::vec(0i64..1500, 1..6),
        supported_only in any::<bool>(),
        lapse in any::<bool>(),
    ) {
        let mut p = policy();
        p.valid_only_while_supported = supported_only;
        if lapse {
            p.when_suspension_ends = SuspensionEnd::Lapse;
        }
        let mut events = base();
        let mut m = critical(2, matched_day);
        if !severity_critical {
            if let EventKind::VulnerabilityMatched { severity, .. } = &mut m.kind {
                *severity = Severity::High;
            }
        }
        events.push(m);
        let start = t(matched_day);
        let mut steps = steps;
        steps.sort_unstable();
        let mut stepped = events.clone();
        for s in &steps {
            let now = start + Duration::days(*s);
            let d = due(&fold(&stepped).unwrap(), &ctx(&p), now);
            record(&mut stepped, &d, now);
            prop_assert!(due(&fold(&stepped).unwrap(), &ctx(&p), now).is_empty());
        }
        let last = start + Duration::days(*steps.last().unwrap());
        let once = due(&fold(&events).unwrap(), &ctx(&p), last);
        let stepped_kinds: Vec<_> = stepped[events.len()..].iter().map(|e| e.kind.clone()).collect();
        let once_kinds: Vec<_> = once.into_iter().map(|a| a.kind).collect();
        prop_assert_eq!(stepped_kinds, once_kinds);
    }
}

#[test]
fn an_overdue_problem_in_an_old_covered_version_suspends_naming_the_version() {
    let p = policy();
    let mut events = base();
    let mut m = critical(2, 10);
    if let EventKind::VulnerabilityMatched { versions, .. } = &mut m.kind {
        *versions = vec!["1.0".into()];
    }
    events.push(m);
    let d = due(&fold(&events).unwrap(), &ctx(&p), midnight(2026, 2, 12));
    assert_eq!(
        rules(&d),
        vec![(Rule::VulnerabilityOverdue, midnight(2026, 2, 11))]
    );
    match &d[0].kind {
        EventKind::Suspended { reason, .. } => assert!(
            reason.contains("GHSA-aaaa in version 1.0 was not fixed"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::event::tests::{cert, ev, issued};
use crate::event::{apply, fold, Event, EventKind, FoldError};
use crate::lifecycle::ActorRole;
use crate::schedule::{self, Context};
use crate::status::tests::policy;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn event(seq: i64, when: &str, actor: &str, role: ActorRole, kind: EventKind) -> Event {
    let mut e = ev(seq, 0, actor, role, kind);
    e.at = at(when);
    e
}

fn version(id: &str, v: &str, released: (i32, u32, u32)) -> CoveredVersion {
    CoveredVersion {
        id: RecordId::new(id).unwrap(),
        version: v.into(),
        released_on: NaiveDate::from_ymd_opt(released.0, released.1, released.2).unwrap(),
        security_update: true,
    }
}

fn matched(seq: i64, when: &str, exploited: bool, versions: &[&str]) -> Event {
    event(
        seq,
        when,
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityMatched {
            vulnerability: "CVE-2026-0001".into(),
            severity: Severity::Critical,
            component: "pkg:cargo/x@1.0.0".into(),
            exploited,
            fixed_in: None,
            versions: versions.iter().map(|s| s.to_string()).collect(),
        },
    )
}

fn covered(seq: i64, when: &str, v: CoveredVersion) -> Event {
    event(
        seq,
        when,
        "lab",
        ActorRole::Issuer,
        EventKind::VersionCovered { version: v },
    )
}

fn submitted(seq: i64, when: &str, kind: CraKind) -> Event {
    event(
        seq,
        when,
        "maker",
        ActorRole::Holder,
        EventKind::CraReportSubmitted {
            report: kind,
            vulnerability: "CVE-2026-0001".into(),
            sha256: "ab".repeat(32),
        },
    )
}

/// Issued with 1.0 covered, then 1.0 matched as exploited on 1 Oct 2026 10:00.
fn exploited_history() -> Vec<Event> {
    vec![
        issued(None, vec![]),
        covered(
            2,
            "2026-01-02T00:00:00Z",
            version("VER-000001", "1.0", (2026, 1, 1)),
        ),
        matched(3, "2026-10-01T10:00:00Z", true, &["1.0"]),
    ]
}

fn case(events: &[Event]) -> CraCase {
    fold(events).unwrap().cra["CVE-2026-0001"].clone()
}

#[test]
fn clocks_start_at_the_exploited_match() {
    let c = case(&exploited_history());
    assert_eq!(c.aware_at, at("2026-10-01T10:00:00Z"));
    assert_eq!(
        c.due_at(CraKind::EarlyWarning),
        Some(at("2026-10-02T10:00:00Z"))
    );
    assert_eq!(
        c.due_at(CraKind::Notification),
        Some(at("2026-10-04T10:00:00Z"))
    );
    assert_eq!(c.due_at(CraKind::FinalReport), None, "no fix yet: unknown");
}

#[test]
fn a_later_exploited_mark_starts_the_clock_not_the_first_match() {
    let mut events = exploited_history();
    events[2] = matched(3, "2026-10-01T10:00:00Z", false, &["1.0"]);
    assert!(
        fold(&events).unwrap().cra.is_empty(),
        "not exploited: nothing owed"
    );
    events.push(matched(4, "2026-10-05T08:00:00Z", true, &["1.0"]));
    assert_eq!(case(&events).aware_at, at("2026-10-05T08:00:00Z"));
}

#[test]
fn findings_known_before_the_cra_applies_start_their_clocks_on_11_september_2026() {
    let mut events = exploited_history();
    events[2] = matched(3, "2026-03-01T10:00:00Z", true, &["1.0"]);
    let c = case(&events);
    assert_eq!(c.clock_start(), at("2026-09-11T00:00:00Z"));
    assert_eq!(
        c.due_at(CraKind::EarlyWarning),
        Some(at("2026-09-12T00:00:00Z"))
    );
    // Closed (VEX) before the CRA applied: nothing was ever owed.
    events.push(event(
        4,
        "2026-05-01T00:00:00Z",
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityResolved {
            vulnerability: "CVE-2026-0001".into(),
            resolution: Resolution::NotAffected {
                justification: "code not present".into(),
            },
        },
    ));
    let c = case(&events);
    for o in c.obligations(at("2027-01-01T00:00:00Z")) {
        assert_eq!(o.state, ObligationState::NotRequired, "{:?}", o.kind);
    }
}

/// The table: (what happened after the exploited match, time asked, expected states of early
/// warning, notification, final report).
#[test]
fn obligation_states() {
    use ObligationState as S;
    let fix = covered(
        4,
        "2026-10-03T00:00:00Z",
        version("VER-000002", "1.1", (2026, 10, 2)),
    );
    let rows: Vec<(&str, Vec<Event>, &str, [S; 3])> = vec![
        (
            "nothing yet",
            vec![],
            "2026-10-01T12:00:00Z",
            [S::Due, S::Due, S::Pending],
        ),
        (
            "exactly at the 24 h deadline it is still on time",
            vec![],
            "2026-10-02T10:00:00Z",
            [S::Due, S::Due, S::Pending],
        ),
        (
            "a moment after",
            vec![],
            "2026-10-02T10:00:01Z",
            [S::Overdue, S::Due, S::Pending],
        ),
        (
            "early warning on time",
            vec![submitted(4, "2026-10-02T09:00:00Z", CraKind::EarlyWarning)],
            "2026-10-05T00:00:00Z",
            [S::SubmittedOnTime, S::Overdue, S::Pending],
        ),
        (
            "notification late",
            vec![submitted(4, "2026-10-04T11:00:00Z", CraKind::Notification)],
            "2026-10-05T00:00:00Z",
            [S::Overdue, S::SubmittedLate, S::Pending],
        ),
        (
            "a covered newer version fixes it: final report due 14 days later",
            vec![fix.clone()],
            "2026-10-16T23:59:59Z",
            [S::Overdue, S::Overdue, S::Due],
        ),
        (
            "final report overdue",
            vec![fix.clone()],
            "2026-10-17T00:00:01Z",
            [S::Overdue, S::Overdue, S::Overdue],
        ),
        (
            "withdrawn advisory before the notification fell due",
            vec![event(
                4,
                "2026-10-03T00:00:00Z",
                "registry",
                ActorRole::Registry,
                EventKind::VulnerabilityResolved {
                    vulnerability: "CVE-2026-0001".into(),
                    resolution: Resolution::AdvisoryWithdrawn,
                },
            )],
            "2026-10-20T00:00:00Z",
            [S::Overdue, S::NotRequired, S::NotRequired],
        ),
    ];
    for (name, extra, now, want) in rows {
        let mut events = exploited_history();
        events.extend(extra);
        let got: Vec<S> = case(&events)
            .obligations(at(now))
            .iter()
            .map(|o| o.state)
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_fix_is_the_covered_version_without_the_finding_and_is_taken_back_when_it_has_it() {
    let mut events = exploited_history();
    events.push(covered(
        4,
        "2026-10-03T00:00:00Z",
        version("VER-000002", "1.1", (2026, 10, 2)),
    ));
    let c = case(&events);
    assert_eq!(
        c.fix,
        Some(CraFix {
            version: "1.1".into(),
            at: at("2026-10-03T00:00:00Z")
        })
    );
    assert_eq!(
        c.due_at(CraKind::FinalReport),
        Some(at("2026-10-17T00:00:00Z"))
    );
    // Its software list arrives and carries the vulnerability too: not a fix after all.
    events.push(matched(5, "2026-10-04T00:00:00Z", true, &["1.0", "1.1"]));
    assert_eq!(case(&events).fix, None);
    // An older version covered later is no fix.
    let mut events = exploited_history();
    events.push(covered(
        4,
        "2026-10-03T00:00:00Z",
        version("VER-000003", "0.9", (2025, 6, 1)),
    ));
    assert_eq!(case(&events).fix, None);
    // Resolved as fixed (no covered version carries it) is a fix.
    let mut events = exploited_history();
    events.push(event(
        4,
        "2026-10-06T00:00:00Z",
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityResolved {
            vulnerability: "CVE-2026-0001".into(),
            resolution: Resolution::Fixed {
                version: "2.0".into(),
            },
        },
    ));
    assert_eq!(case(&events).fix.unwrap().version, "2.0");
}

#[test]
fn only_the_holder_submits_once_and_only_the_scheduler_records_a_deadline() {
    let mut events = exploited_history();
    let mut by_lab = submitted(4, "2026-10-02T00:00:00Z", CraKind::EarlyWarning);
    by_lab.role = ActorRole::Issuer;
    by_lab.actor = OrgId::new("lab").unwrap();
    events.push(by_lab);
    assert!(matches!(fold(&events), Err(FoldError::Cra { seq: 4, .. })));

    let mut events = exploited_history();
    events.push(submitted(4, "2026-10-02T00:00:00Z", CraKind::EarlyWarning));
    events.push(submitted(5, "2026-10-02T01:00:00Z", CraKind::EarlyWarning));
    assert!(matches!(fold(&events), Err(FoldError::Cra { seq: 5, .. })));

    let mut events = issued(None, vec![]);
    events.seq = 1;
    let mut for_nothing = vec![events];
    for_nothing.push(submitted(2, "2026-10-02T00:00:00Z", CraKind::EarlyWarning));
    assert!(matches!(fold(&for_nothing), Err(FoldError::Cra { .. })));

    let mut bad_digest = exploited_history();
    let mut e = submitted(4, "2026-10-02T00:00:00Z", CraKind::EarlyWarning);
    if let EventKind::CraReportSubmitted { sha256, .. } = &mut e.kind {
        *sha256 = "AB".repeat(32);
    }
    bad_digest.push(e);
    assert!(matches!(fold(&bad_digest), Err(FoldError::Cra { .. })));

    let mut events = exploited_history();
    let mut forged = event(
        4,
        "2026-10-03T00:00:00Z",
        "maker",
        ActorRole::Holder,
        EventKind::CraReportOverdue {
            report: CraKind::EarlyWarning,
            vulnerability: "CVE-2026-0001".into(),
            scheduled: Scheduled {
                rule: Rule::CraReportOverdue,
                due_at: at("2026-10-02T10:00:00Z"),
            },
        },
    );
    events.push(forged.clone());
    assert!(matches!(fold(&events), Err(FoldError::Cra { .. })));
    forged.role = ActorRole::Scheduler;
    let mut events = exploited_history();
    events.push(forged.clone());
    let mut twice = forged;
    twice.seq = 5;
    events.push(twice);
    assert!(matches!(fold(&events), Err(FoldError::Cra { seq: 5, .. })));
}

fn ctx(p: &crate::scheme::StatusPolicy) -> Context<'_> {
    Context {
        policy: p,
        issuer_authorisation_end: None,
    }
}

#[test]
fn the_scheduler_records_each_passed_deadline_once_in_order() {
    let p = policy();
    let mut events = exploited_history();
    events.push(covered(
        4,
        "2026-10-03T00:00:00Z",
        version("VER-000002", "1.1", (2026, 10, 2)),
    ));
    let view = fold(&events).unwrap();
    let cra_due: Vec<_> = schedule::due(&view, &ctx(&p), at("2026-10-20T00:00:00Z"))
        .into_iter()
        .filter(|a| a.rule == Rule::CraReportOverdue)
        .map(|a| match a.kind {
            EventKind::CraReportOverdue { report, .. } => (report, a.due_at),
            _ => unreachable!(),
        })
        .collect();
    let tick = Duration::microseconds(1);
    assert_eq!(
        cra_due,
        vec![
            (CraKind::EarlyWarning, at("2026-10-02T10:00:00Z") + tick),
            (CraKind::Notification, at("2026-10-04T10:00:00Z") + tick),
            (CraKind::FinalReport, at("2026-10-17T00:00:00Z") + tick),
        ]
    );
    // Nothing before the first deadline has passed.
    assert!(schedule::due(&view, &ctx(&p), at("2026-10-02T10:00:00Z"))
        .iter()
        .all(|a| a.rule != Rule::CraReportOverdue));
    // A submitted report is never said to be overdue.
    let mut events2 = events.clone();
    events2.push(submitted(5, "2026-10-02T09:00:00Z", CraKind::EarlyWarning));
    let view2 = fold(&events2).unwrap();
    assert!(schedule::due(&view2, &ctx(&p), at("2026-10-20T00:00:00Z"))
        .iter()
        .all(|a| !matches!(
            a.kind,
            EventKind::CraReportOverdue {
                report: CraKind::EarlyWarning,
                ..
            }
        )));
}

#[test]
fn drafts_are_checked_per_kind_and_hash_canonically() {
    let mut r = CraReport {
        format: REPORT_FORMAT.into(),
        kind: CraKind::Notification,
        certificate: cert(),
        product: ReportedProduct {
            id: RecordId::new("PRD-000001").unwrap(),
            name: "Cam".into(),
            model: "C1".into(),
            manufacturer: OrgId::new("maker").unwrap(),
        },
        vulnerability: "CVE-2026-0001".into(),
        aliases: vec![],
        aware_at: at("2026-10-01T10:00:00Z"),
        due_at: None,
        covered_versions: vec!["1.0".into()],
        affected_versions: vec!["1.0".into()],
        member_states: vec![],
        severity: Severity::Critical,
        fix_version: None,
        nature: None,
        measures_taken: None,
        user_measures: None,
        sensitivity: None,
        description: None,
        impact: None,
        malicious_actor: None,
        security_update: None,
        nonce: None,
    };
    assert_eq!(r.check(), Err(ReportError::Missing("member_states")));
    assert_eq!(
        r.apply(ReportEdit {
            member_states: Some(vec!["US".into()]),
            ..ReportEdit::default()
        }),
        Err(ReportError::MemberState("US".into()))
    );
    r.apply(ReportEdit {
        member_states: Some(vec!["nl".into(), "DE".into(), "NL".into()]),
        nature: Some("  remote code execution  ".into()),
        ..ReportEdit::default()
    })
    .unwrap();
    assert_eq!(r.member_states, vec!["NL", "DE"]);
    assert_eq!(r.nature.as_deref(), Some("remote code execution"));
    assert_eq!(r.check(), Err(ReportError::Missing("measures_taken")));
    assert_eq!(
        r.apply(ReportEdit {
            impact: Some("x".repeat(MAX_FIELD_BYTES + 1)),
            ..ReportEdit::default()
        }),
        Err(ReportError::TooLong("impact"))
    );
    r.apply(ReportEdit {
        measures_taken: Some("patched".into()),
        user_measures: Some("update".into()),
        sensitivity: Some("TLP:AMBER".into()),
        ..ReportEdit::default()
    })
    .unwrap();
    r.check().unwrap();
    let bytes = String::from_utf8(r.canonical()).unwrap();
    assert!(bytes.starts_with(r#"{"affected_versions":["1.0"],"aliases":[],"aware_at":"#));
    assert!(is_sha256_hex(&r.sha256()));
    let back: CraReport = serde_json::from_slice(&r.canonical()).unwrap();
    assert_eq!(
        back.sha256(),
        r.sha256(),
        "the digest survives a round trip"
    );
    assert!(serde_json::from_str::<ReportEdit>(r#"{"vulnerability":"X"}"#).is_err());
}

fn arb_step() -> impl Strategy<Value = (u8, u32)> {
    // (what, hours after the exploited match)
    (0u8..6, 0u32..24 * 30)
}

proptest! {
    /// Whatever happens, in any order of deadlines and submissions: a submitted report is never
    /// overdue; a report not submitted is overdue exactly when its due time is known and passed
    /// (unless the finding was closed before it fell due); playing the scheduler at any sequence
    /// of times records each passed deadline once, never for a submitted report.
    #[test]
    fn obligations_and_scheduler_agree(steps in proptest::collection::vec(arb_step(), 0..8),
                                       asks in proptest::collection::vec(0u32..24 * 40, 1..6)) {
        let p = policy();
        let start = at("2026-10-01T10:00:00Z");
        let mut events = exploited_history();
        let mut sorted = steps.clone();
        sorted.sort_by_key(|s| s.1);
        let mut asks = asks;
        asks.sort();
        for (what, h) in sorted {
            let when = start + Duration::hours(i64::from(h)) + Duration::seconds(1);
            let mut view = fold(&events).unwrap();
            // The scheduler catches up to `when` first.
            for a in schedule::due(&view, &ctx(&p), when) {
                let e = Event { seq: events.len() as i64 + 1, certificate: cert(), at: when,
                    actor: OrgId::new("enisa").unwrap(), role: ActorRole::Scheduler, kind: a.kind };
                apply(&mut view, &e).unwrap();
                events.push(e);
            }
            let seq = events.len() as i64 + 1;
            let kind = match what {
                0 => CraKind::EarlyWarning,
                1 => CraKind::Notification,
                2 => CraKind::FinalReport,
                3 => {
                    let mut e = covered(seq, "2026-01-01T00:00:00Z", version("VER-000009", "2.0", (2026, 12, 1)));
                    e.at = when;
                    if apply(&mut view, &e).is_ok() { events.push(e); }
                    continue;
                }
                4 => {
                    let mut e = matched(seq, "2026-01-01T00:00:00Z", true, &["1.0"]);
                    e.at = when;
                    apply(&mut view, &e).unwrap();
                    events.push(e);
                    continue;
                }
                _ => {
                    let mut e = submitted(seq, "2026-01-01T00:00:00Z", CraKind::EarlyWarning);
                    e.role = ActorRole::Other;
                    e.at = when;
                    prop_assert!(apply(&mut view.clone(), &e).is_err());
                    continue;
                }
            };
            if view.cra["CVE-2026-0001"].submitted.contains_key(&kind) { continue; }
            let mut e = submitted(seq, "2026-01-01T00:00:00Z", kind);
            e.at = when;
            apply(&mut view, &e).unwrap();
            events.push(e);
        }
        let view = fold(&events).unwrap();
        let c = &view.cra["CVE-2026-0001"];
        for kind in CraKind::ALL {
            if c.submitted.contains_key(kind) {
                prop_assert!(!c.overdue_recorded.contains(kind) || c.submitted[kind].at > c.due_at(*kind).unwrap());
            }
        }
        for h in asks {
            let now = start + Duration::hours(i64::from(h));
            for o in c.obligations(now) {
                let submitted = c.submitted.get(&o.kind);
                match o.state {
                    ObligationState::Overdue => {
                        prop_assert!(submitted.is_none());
                        prop_assert!(o.due_at.is_some_and(|d| now > d));
                    }
                    ObligationState::SubmittedLate => prop_assert!(submitted.unwrap().at > o.due_at.unwrap()),
                    ObligationState::SubmittedOnTime => prop_assert!(o.due_at.is_none_or(|d| submitted.unwrap().at <= d)),
                    ObligationState::Due => prop_assert!(o.due_at.is_some_and(|d| now <= d)),
                    ObligationState::Pending => prop_assert!(o.due_at.is_none()),
                    ObligationState::NotRequired => prop_assert!(false, "nothing was closed"),
                }
            }
            // A pass at `now` and a second one at the same time: the second records nothing.
            let mut v = view.clone();
            for a in schedule::due(&v.clone(), &ctx(&p), now) {
                let e = Event { seq: i64::MAX, certificate: cert(), at: now,
                    actor: OrgId::new("enisa").unwrap(), role: ActorRole::Scheduler, kind: a.kind };
                apply(&mut v, &e).unwrap();
            }
            prop_assert!(schedule::due(&v, &ctx(&p), now).is_empty());
        }
    }
}

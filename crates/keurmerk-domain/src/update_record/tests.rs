//! Table tests with answers computed by hand, and properties of the record.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::event::{CoveredVersion, Event, EventKind, Resolution};
use crate::ids::{LevelId, OrgId, RecordId, SchemeId};
use crate::lifecycle::ActorRole;
use crate::model::{ChangeClass, IssuerKind};
use crate::status::tests::policy;

/// Day 0 is 2026-01-01, noon UTC.
fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + chrono::Duration::days(i64::from(day))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn org(s: &str) -> OrgId {
    OrgId::new(s).unwrap()
}

fn cid(n: u64) -> CertificateId {
    CertificateId::from_sequence(2026, n)
}

fn product(n: u64) -> RecordId {
    RecordId::from_sequence("PRD", n)
}

fn version(v: &str) -> CoveredVersion {
    CoveredVersion {
        id: RecordId::new(format!("VER-{}", v.replace('.', ""))).unwrap(),
        version: v.into(),
        released_on: date(2026, 1, 1),
        security_update: true,
    }
}

/// Builds one certificate's events, numbering them as it goes.
struct History {
    cert: CertificateId,
    events: Vec<Event>,
}

impl History {
    fn new(cert: u64, prd: u64, day: u32, support: Option<NaiveDate>, versions: &[&str]) -> Self {
        let mut h = History {
            cert: cid(cert),
            events: Vec::new(),
        };
        h.push(
            day,
            ActorRole::Issuer,
            EventKind::Issued {
                product: product(prd),
                holder: org("maker"),
                scheme: SchemeId::new("eu-iot").unwrap(),
                level: LevelId::new("substantial").unwrap(),
                issuer: org("lab"),
                issuer_kind: IssuerKind::ThirdParty,
                authority: None,
                assessment: RecordId::from_sequence("ASM", cert),
                valid_until: date(2030, 12, 31),
                support_until: support,
                versions: versions.iter().copied().map(version).collect(),
                dependencies: vec![],
            },
        );
        h
    }

    fn push(&mut self, day: u32, role: ActorRole, kind: EventKind) -> &mut Self {
        let seq = self.events.len() as i64 + 1;
        self.events.push(Event {
            seq,
            certificate: self.cert.clone(),
            at: t(day),
            actor: org(if role == ActorRole::Issuer {
                "lab"
            } else {
                "registry"
            }),
            role,
            kind,
        });
        self
    }

    fn matched(&mut self, day: u32, id: &str, severity: Severity) -> &mut Self {
        self.push(
            day,
            ActorRole::Registry,
            EventKind::VulnerabilityMatched {
                vulnerability: id.into(),
                severity,
                component: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into(),
                exploited: false,
                fixed_in: None,
                versions: vec![],
            },
        )
    }

    fn resolved(&mut self, day: u32, id: &str, resolution: Resolution) -> &mut Self {
        self.push(
            day,
            ActorRole::Registry,
            EventKind::VulnerabilityResolved {
                vulnerability: id.into(),
                resolution,
            },
        )
    }

    fn fixed(&mut self, day: u32, id: &str, v: &str) -> &mut Self {
        self.resolved(day, id, Resolution::Fixed { version: v.into() })
    }

    fn covers(&mut self, day: u32, v: &str) -> &mut Self {
        self.push(
            day,
            ActorRole::Issuer,
            EventKind::VersionCovered {
                version: version(v),
            },
        )
    }

    fn matched_in(
        &mut self,
        day: u32,
        id: &str,
        severity: Severity,
        carriers: &[&str],
    ) -> &mut Self {
        self.push(
            day,
            ActorRole::Registry,
            EventKind::VulnerabilityMatched {
                vulnerability: id.into(),
                severity,
                component: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into(),
                exploited: true,
                fixed_in: Some("2.15.0".into()),
                versions: carriers.iter().map(|v| v.to_string()).collect(),
            },
        )
    }

    /// The holder declares `v` (released on `day`) with its software list, covered at once or
    /// waiting for the issuer.
    fn declares(&mut self, day: u32, v: &str, covered: bool) -> &mut Self {
        let mut version = version(v);
        version.released_on = t(day).date_naive();
        self.push(
            day,
            ActorRole::Holder,
            EventKind::VersionChangeDeclared {
                version,
                class: ChangeClass::SecurityPatch,
                impact: "fixes it".into(),
                sbom_sha256: "00".repeat(32),
                covered,
            },
        )
    }

    fn input<'a>(&'a self, policy: &'a StatusPolicy) -> CertificateInput<'a> {
        CertificateInput {
            certificate: &self.cert,
            events: &self.events,
            policy,
        }
    }
}

fn record(histories: &[&History], now: u32) -> UpdateRecord {
    let p = policy();
    let inputs: Vec<_> = histories.iter().map(|h| h.input(&p)).collect();
    compute(&inputs, vec![], t(now))
}

#[test]
fn fix_times_deadlines_and_what_is_not_a_fix() {
    // Policy: critical 30 days, high 60, medium 90, low 180.
    let mut h = History::new(1, 1, 0, None, &["1.0"]);
    h.matched(10, "CVE-A", Severity::Critical)
        .covers(20, "1.1")
        .fixed(22, "CVE-A", "1.1") // fixed by 1.1, covered on day 20: 10 days, deadline day 40
        .matched(30, "CVE-B", Severity::Critical)
        .covers(80, "1.2")
        .fixed(85, "cve-b", "1.2") // 50 days, deadline day 60: late (ids ignore case)
        .matched(100, "CVE-C", Severity::High) // open at day 200: 100 days, deadline 160: missed
        .matched(100, "CVE-D", Severity::High)
        .resolved(
            110,
            "CVE-D",
            Resolution::NotAffected {
                justification: "component_not_present".into(),
            },
        )
        .matched(120, "CVE-E", Severity::Medium)
        .fixed(130, "CVE-E", "9.9"); // not a covered version: 10 days, unfixed, deadline 210
    let r = record(&[&h], 200);

    let critical = &r.by_severity[&Severity::Critical];
    assert_eq!(
        (critical.findings, critical.fixed, critical.open),
        (2, 2, 0)
    );
    // [10, 50]: of two, the larger middle value.
    assert_eq!(
        (critical.median_days, critical.worst_days),
        (Some(50), Some(50))
    );
    assert_eq!(
        (
            critical.deadline_met,
            critical.deadline_missed,
            critical.fixed_late
        ),
        (1, 1, 1)
    );

    let high = &r.by_severity[&Severity::High];
    assert_eq!((high.findings, high.open, high.not_affected), (1, 1, 1));
    assert_eq!((high.median_days, high.worst_days), (Some(100), Some(100)));
    assert_eq!(
        (high.deadline_met, high.deadline_missed, high.fixed_late),
        (0, 1, 0)
    );

    let medium = &r.by_severity[&Severity::Medium];
    assert_eq!(
        (medium.findings, medium.fixed, medium.closed_unfixed),
        (1, 0, 1)
    );
    assert_eq!(medium.median_days, Some(10));
    // Not fixed, but its deadline (day 210) is still ahead: neither met nor missed yet.
    assert_eq!((medium.deadline_met, medium.deadline_missed), (0, 0));
    assert!(!r.by_severity.contains_key(&Severity::Low));

    let serious = r.total(&[Severity::Critical, Severity::High]);
    assert_eq!(
        (serious.findings, serious.median_days, serious.worst_days),
        (3, Some(50), Some(100))
    );
    assert_eq!((serious.deadline_met, serious.deadline_missed), (1, 2));
    assert!(r.is_complete());
    assert_eq!(r.certificates, vec![cid(1)]);
}

#[test]
fn a_covered_version_proven_free_of_it_is_the_fix() {
    // Like the demo doorbell: 1.0 carries it from day 10; 1.1 (its software list on record) is
    // covered on day 15; devices on 1.0 still carry it, but the fix is there.
    let mut h = History::new(1, 1, 0, None, &["1.0"]);
    h.matched_in(10, "GHSA-jfh8-c2jp-5v3q", Severity::Critical, &["1.0"])
        .declares(15, "1.1", true);
    let r = record(&[&h], 100);
    let f = &r.findings[0];
    assert_eq!(
        f.outcome,
        Outcome::Fixed {
            version: "1.1".into()
        }
    );
    assert_eq!(
        (f.days, f.deadline_met, f.ended),
        (5, Some(true), Some(t(15)))
    );
    assert!(f.exploited);

    // A later match that finds it in 1.1 too takes the fix back; 1.2, declared on day 30 and
    // confirmed by the issuer on day 34, is the fix: 24 days.
    h.matched_in(
        20,
        "GHSA-jfh8-c2jp-5v3q",
        Severity::Critical,
        &["1.0", "1.1"],
    );
    let r = record(&[&h], 100);
    assert_eq!(r.findings[0].outcome, Outcome::Open);
    assert_eq!(r.findings[0].days, 90);
    h.declares(30, "1.2", false);
    let r = record(&[&h], 100);
    assert_eq!(
        r.findings[0].outcome,
        Outcome::Open,
        "declared, not covered yet"
    );
    let v12 = h.events.last().map(|e| match &e.kind {
        EventKind::VersionChangeDeclared { version, .. } => version.id.clone(),
        _ => unreachable!(),
    });
    h.push(
        34,
        ActorRole::Issuer,
        EventKind::VersionConfirmed {
            version: v12.unwrap(),
        },
    );
    let r = record(&[&h], 100);
    let f = &r.findings[0];
    assert_eq!(
        (&f.outcome, f.days),
        (
            &Outcome::Fixed {
                version: "1.2".into()
            },
            24
        )
    );

    // A version the issuer covered without a software list on record proves nothing.
    let mut h = History::new(2, 1, 0, None, &["1.0"]);
    h.matched_in(10, "CVE-Q", Severity::High, &["1.0"])
        .covers(12, "1.1");
    let r = record(&[&h], 100);
    assert_eq!(r.findings[0].outcome, Outcome::Open);
    // An older version is no fix for a newer one.
    let mut h = History::new(3, 1, 0, None, &["1.0"]);
    h.declares(5, "0.9", true);
    if let Some(EventKind::VersionChangeDeclared { version, .. }) =
        h.events.last_mut().map(|e| &mut e.kind)
    {
        version.released_on = date(2025, 1, 1);
    }
    h.matched_in(10, "CVE-R", Severity::High, &["1.0"]);
    let r = record(&[&h], 100);
    assert_eq!(r.findings[0].outcome, Outcome::Open);
}

#[test]
fn recertifying_does_not_restart_the_clock() {
    // Certificate 1 carries CVE-X from day 10 and is superseded on day 50 with it open;
    // certificate 2 of the same product matches it again on day 51, covers 2.0 on day 65 and
    // is told on day 70 that 2.0 fixes it: 55 days from day 10.
    let mut old = History::new(1, 1, 0, None, &["1.0"]);
    old.matched(10, "CVE-X", Severity::Critical).push(
        50,
        ActorRole::Issuer,
        EventKind::Superseded { by: cid(2) },
    );
    let mut new = History::new(2, 1, 50, None, &["1.0"]);
    new.matched(51, "CVE-X", Severity::Critical)
        .covers(65, "2.0")
        .fixed(70, "CVE-X", "2.0");
    let r = record(&[&old, &new], 100);
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(f.days, 55);
    assert_eq!(f.ended, Some(t(65)));
    assert_eq!(f.deadline, t(40).date_naive());
    assert_eq!(f.deadline_met, Some(false));
    assert_eq!(f.certificates, vec![cid(1), cid(2)]);
    assert_eq!(
        f.outcome,
        Outcome::Fixed {
            version: "2.0".into()
        }
    );

    // Without the second certificate the finding ended with its label, unfixed, and counts
    // with its age at that end.
    let r = record(&[&old], 100);
    let f = &r.findings[0];
    assert_eq!(
        (f.days, &f.outcome, f.deadline_met),
        (40, &Outcome::LabelEnded, Some(false))
    );
    assert_eq!(r.by_severity[&Severity::Critical].closed_unfixed, 1);
}

#[test]
fn the_window_is_24_months_but_open_findings_always_count() {
    let mut h = History::new(1, 1, 0, None, &["1.0", "1.1"]);
    h.matched(1, "CVE-OLD-FIXED", Severity::Low)
        .fixed(5, "CVE-OLD-FIXED", "1.1")
        .matched(2, "CVE-OLD-OPEN", Severity::Low);
    // Day 900 is 2028-06-19: the window starts 2026-06-19.
    let r = record(&[&h], 900);
    assert_eq!(r.window_from, date(2026, 6, 19));
    let low = &r.by_severity[&Severity::Low];
    assert_eq!((low.findings, low.fixed, low.open), (1, 0, 1));
    assert_eq!(low.worst_days, Some(898));
    assert_eq!(r.findings.iter().filter(|f| f.counted).count(), 1);
}

#[test]
fn events_after_now_are_not_read() {
    let mut h = History::new(1, 1, 0, None, &["1.0"]);
    h.matched(10, "CVE-A", Severity::High)
        .fixed(30, "CVE-A", "1.0");
    let r = record(&[&h], 20);
    assert_eq!(r.findings[0].outcome, Outcome::Open);
    assert_eq!(r.findings[0].days, 10);
}

#[test]
fn support_shortened_fixes_within_it_and_left_unfixed() {
    // Support committed to 2026-06-30, brought forward on day 10 to 2026-03-31 (told twice: the
    // product has two certificates), ended since.
    let mut a = History::new(1, 1, 0, Some(date(2026, 6, 30)), &["1.0"]);
    a.push(
        10,
        ActorRole::Holder,
        EventKind::SupportChanged {
            support_until: date(2026, 3, 31),
        },
    )
    .matched(20, "CVE-Y", Severity::High)
    .fixed(40, "CVE-Y", "1.0") // within support
    .matched(60, "CVE-Z", Severity::Low) // open on the day support ended (2026-03-31, day 89)
    .matched(95, "CVE-W", Severity::Low) // found after it
    .fixed(100, "CVE-W", "1.0"); // 2026-04-11: after support
    let mut b = History::new(2, 1, 0, Some(date(2026, 6, 30)), &["1.0"]);
    b.push(
        10,
        ActorRole::Holder,
        EventKind::SupportChanged {
            support_until: date(2026, 3, 31),
        },
    );
    let r = record(&[&a, &b], 200);
    assert_eq!(r.support.len(), 1);
    let s = &r.support[0];
    assert_eq!(s.first_committed, Some(date(2026, 6, 30)));
    assert_eq!(s.current, Some(date(2026, 3, 31)));
    assert_eq!(
        s.shortened,
        vec![Shortening {
            at: t(10),
            from: date(2026, 6, 30),
            to: date(2026, 3, 31)
        }]
    );
    assert!(s.ended && !s.ended_as_announced);
    assert_eq!((s.fixes_within_support, s.fixes_after_support), (1, 1));
    assert_eq!(s.unfixed_at_support_end, 1);

    // Extended, then ended: as announced.
    let mut c = History::new(3, 2, 0, Some(date(2026, 3, 31)), &["1.0"]);
    c.push(
        10,
        ActorRole::Holder,
        EventKind::SupportChanged {
            support_until: date(2026, 4, 30),
        },
    );
    let r = record(&[&c], 200);
    let s = &r.support[0];
    assert!(s.ended && s.ended_as_announced && s.shortened.is_empty());
}

#[test]
fn a_history_that_does_not_fold_is_reported_never_left_out() {
    let good = History::new(1, 1, 0, None, &["1.0"]);
    let mut bad = History::new(2, 1, 0, None, &["1.0"]);
    // Reinstating an active certificate is not in the transition table.
    bad.matched(5, "CVE-A", Severity::Critical).push(
        6,
        ActorRole::Issuer,
        EventKind::Reinstated { note: "".into() },
    );
    let r = record(&[&good, &bad], 10);
    assert!(!r.is_complete());
    assert_eq!(r.unverified.len(), 1);
    assert_eq!(r.unverified[0].certificate, cid(2));
    assert_eq!(r.certificates, vec![cid(1)]);
    assert!(r.findings.is_empty(), "nothing of the bad history is used");

    let empty = History {
        cert: cid(3),
        events: vec![],
    };
    let r = record(&[&empty], 10);
    assert_eq!(r.unverified[0].certificate, cid(3));
}

// --- properties ---

#[derive(Debug, Clone)]
enum Op {
    Match(u8, Severity, bool),
    Declare,
    Fix(u8),
    Vex(u8),
    Withdrawn(u8),
    Cover,
    End,
}

fn op() -> impl Strategy<Value = Op> {
    let sev = prop::sample::select(Severity::ALL.to_vec());
    prop_oneof![
        4 => (0u8..4, sev, any::<bool>()).prop_map(|(v, s, c)| Op::Match(v, s, c)),
        1 => Just(Op::Declare),
        3 => (0u8..4).prop_map(Op::Fix),
        1 => (0u8..4).prop_map(Op::Vex),
        1 => (0u8..4).prop_map(Op::Withdrawn),
        1 => Just(Op::Cover),
        1 => Just(Op::End),
    ]
}

fn build(n: u64, prd: u64, start: u32, ops: &[(u32, Op)]) -> History {
    let mut h = History::new(n, prd, start, Some(date(2026, 9, 30)), &["1.0"]);
    let mut day = start;
    let mut covered = 0;
    for (gap, op) in ops {
        day += gap;
        let id = |v: &u8| format!("CVE-2026-{v}");
        match op {
            Op::Match(v, s, carriers) => {
                let newest = format!("1.{covered}");
                let carriers: &[&str] = if *carriers {
                    &["1.0", &newest]
                } else {
                    &["1.0"]
                };
                h.matched_in(day, &id(v), *s, carriers);
            }
            Op::Declare => {
                covered += 1;
                h.declares(day, &format!("1.{covered}"), true);
            }
            Op::Fix(v) => {
                h.fixed(day, &id(v), &format!("1.{covered}"));
            }
            Op::Vex(v) => {
                h.resolved(
                    day,
                    &id(v),
                    Resolution::NotAffected {
                        justification: "x".into(),
                    },
                );
            }
            Op::Withdrawn(v) => {
                h.resolved(day, &id(v), Resolution::AdvisoryWithdrawn);
            }
            Op::Cover => {
                covered += 1;
                h.covers(day, &format!("1.{covered}"));
            }
            Op::End => {
                h.push(
                    day,
                    ActorRole::Issuer,
                    EventKind::Withdrawn {
                        reason: "".into(),
                        reason_code: None,
                        reason_lang: None,
                        scheduled: None,
                    },
                );
                break;
            }
        }
    }
    h
}

/// Per certificate: its product (1 or 2), the day it is issued, and (gap in days, step)s.
type Spec = Vec<(u64, u32, Vec<(u32, Op)>)>;

fn certs() -> impl Strategy<Value = Spec> {
    prop::collection::vec(
        (
            1u64..3,
            0u32..100,
            prop::collection::vec((0u32..60, op()), 0..14),
        ),
        1..4,
    )
}

proptest! {
    #[test]
    fn the_record_holds_together(spec in certs(), now in 0u32..1200, rotate in 0usize..4) {
        let histories: Vec<History> = spec
            .iter()
            .enumerate()
            .map(|(i, (prd, start, ops))| build(i as u64 + 1, *prd, *start, ops))
            .collect();
        let refs: Vec<&History> = histories.iter().collect();
        let r = record(&refs, now);

        // Invariant under the order of the certificates.
        let mut other = refs.clone();
        other.reverse();
        let len = other.len();
        other.rotate_left(rotate % len);
        prop_assert_eq!(&record(&other, now), &r);

        let mut sum = SeverityRecord::default();
        for (severity, s) in &r.by_severity {
            prop_assert_eq!(s.findings, s.fixed + s.open + s.closed_unfixed);
            prop_assert!(s.median_days <= s.worst_days);
            prop_assert_eq!(s.median_days.is_some(), s.findings > 0);
            prop_assert!(s.deadline_met + s.deadline_missed <= s.findings);
            prop_assert!(s.fixed_late <= s.fixed.min(s.deadline_missed));
            let counted = r.findings.iter().filter(|f| f.counted && f.severity == *severity).count();
            prop_assert_eq!(counted as u32, s.findings + s.not_affected + s.advisory_withdrawn);
            sum.findings += s.findings;
        }
        for f in &r.findings {
            prop_assert!(f.first_matched <= t(now));
            prop_assert_eq!(f.ended.is_none(), f.outcome == Outcome::Open);
            if let Some(e) = f.ended {
                prop_assert!(e >= f.first_matched);
            }
        }
        // The same record for all products is the sum of the products' findings.
        let mut per_product = 0;
        for prd in 1..3u64 {
            let of: Vec<&History> = refs
                .iter()
                .copied()
                .filter(|h| matches!(&h.events[0].kind, EventKind::Issued { product: p, .. } if *p == product(prd)))
                .collect();
            per_product += record(&of, now).total(Severity::ALL).findings;
        }
        prop_assert_eq!(per_product, sum.findings);
    }
}

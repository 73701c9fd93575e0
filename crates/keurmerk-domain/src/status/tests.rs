//! Table-driven tests: one row per reason, each with the status it must produce.

use chrono::NaiveDate;

use super::*;
use crate::event::tests::{cert, ev, issued, t};
use crate::event::{DependencySnapshot, EventKind, Resolution};
use crate::i18n::Lang;
use crate::ids::RecordId;
use crate::lifecycle::ActorRole;
use crate::scheme::{RemediationDays, SuspensionEnd};

/// The policy the status and schedule tests share (EUCC-like: critical suspends, withdraw).
pub(crate) fn policy() -> StatusPolicy {
    StatusPolicy {
        max_validity_months: 36,
        remediation_days: RemediationDays {
            critical: 30,
            high: 60,
            medium: 90,
            low: 180,
        },
        suspend_when_overdue: vec![Severity::Critical],
        max_suspension_days: 42,
        max_suspension_total_days: None,
        support_warning_days: 90,
        valid_only_while_supported: false,
        withdraw_when_unremediable: true,
        when_suspension_ends: SuspensionEnd::Withdraw,
        unknown_severity_as: Severity::High,
        patch_management: None,
        attention_when_not_monitored: true,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn far() -> Option<NaiveDate> {
    Some(date(2030, 1, 1))
}

fn dep(cert: Option<&str>, state: Option<State>, until: Option<NaiveDate>) -> DependencySnapshot {
    DependencySnapshot {
        id: RecordId::new("DEP-000001").unwrap(),
        kind: DependencyKind::Cloud,
        provider: "Nimbus".into(),
        service: "Nimbus Cloud".into(),
        certificate: cert.map(|c| CertificateId::new(c).unwrap()),
        certificate_state: state,
        certificate_valid_until: until,
    }
}

fn vuln(seq: i64, day: u32, id: &str, severity: Severity) -> crate::event::Event {
    ev(
        seq,
        day,
        "registry",
        ActorRole::Registry,
        EventKind::VulnerabilityMatched {
            vulnerability: id.into(),
            severity,
            component: "pkg:golang/example.com/x@1.0.0".into(),
            exploited: false,
            fixed_in: Some("1.0.1".into()),
            versions: vec![],
        },
    )
}

struct Case {
    name: &'static str,
    events: Vec<crate::event::Event>,
    now_day: u32,
    status: LabelStatus,
    codes: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    use ActorRole as R;
    vec![
        Case {
            name: "valid",
            events: vec![issued(far(), vec![])],
            now_day: 10,
            status: LabelStatus::Valid,
            codes: &[],
        },
        Case {
            name: "withdrawn",
            events: vec![
                issued(far(), vec![]),
                ev(
                    2,
                    3,
                    "lab",
                    R::Issuer,
                    EventKind::Withdrawn {
                        reason: "fraud".into(),
                        scheduled: None,
                        reason_code: None,
                        reason_lang: None,
                    },
                ),
            ],
            now_day: 10,
            status: LabelStatus::Withdrawn,
            codes: &["withdrawn"],
        },
        Case {
            name: "expired by event",
            events: vec![
                issued(far(), vec![]),
                ev(
                    2,
                    3,
                    "registry",
                    R::Registry,
                    EventKind::Expired { scheduled: None },
                ),
            ],
            now_day: 10,
            status: LabelStatus::Expired,
            codes: &["expired"],
        },
        Case {
            // valid_until is 2028-12-31; day 1100 is in 2029.
            name: "expired by date without event",
            events: vec![issued(far(), vec![])],
            now_day: 1100,
            status: LabelStatus::Expired,
            codes: &["expired"],
        },
        Case {
            name: "superseded",
            events: vec![
                issued(far(), vec![]),
                ev(
                    2,
                    3,
                    "lab",
                    R::Issuer,
                    EventKind::Superseded {
                        by: CertificateId::new("KM-2026-000002").unwrap(),
                    },
                ),
            ],
            now_day: 10,
            status: LabelStatus::Expired,
            codes: &["superseded"],
        },
        Case {
            name: "suspended",
            events: vec![
                issued(far(), vec![]),
                ev(
                    2,
                    3,
                    "nl-rdi",
                    R::NationalAuthority,
                    EventKind::Suspended {
                        reason: "complaint".into(),
                        until: Some(date(2026, 2, 14)),
                        scheduled: None,
                        reason_code: None,
                        reason_lang: None,
                    },
                ),
            ],
            now_day: 10,
            status: LabelStatus::Suspended,
            codes: &["suspended"],
        },
        Case {
            name: "legacy stays valid",
            events: vec![
                issued(far(), vec![]),
                ev(2, 3, "registry", R::Registry, EventKind::MarkedLegacy),
            ],
            now_day: 10,
            status: LabelStatus::Valid,
            codes: &["scheme_legacy"],
        },
        Case {
            name: "support ended",
            events: vec![issued(Some(date(2026, 1, 5)), vec![])],
            now_day: 10,
            status: LabelStatus::SupportEnded,
            codes: &["support_ended"],
        },
        Case {
            // now = 2026-01-11; support ends 2026-04-01: 80 days left (< 90).
            name: "support ending within 90 days",
            events: vec![issued(Some(date(2026, 4, 1)), vec![])],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["support_ending"],
        },
        Case {
            name: "support ending in exactly 90 days is fine",
            events: vec![issued(Some(date(2026, 4, 11)), vec![])],
            now_day: 10,
            status: LabelStatus::Valid,
            codes: &[],
        },
        Case {
            name: "no support period",
            events: vec![issued(None, vec![])],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["no_support_period"],
        },
        Case {
            name: "dependency without certificate",
            events: vec![issued(far(), vec![dep(None, None, None)])],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["dependency_uncertified"],
        },
        Case {
            name: "dependency certificate fine",
            events: vec![issued(
                far(),
                vec![dep(Some("KM-2025-000001"), Some(State::Active), far())],
            )],
            now_day: 10,
            status: LabelStatus::Valid,
            codes: &[],
        },
        Case {
            name: "dependency suspended",
            events: vec![
                issued(
                    far(),
                    vec![dep(Some("KM-2025-000001"), Some(State::Active), far())],
                ),
                ev(
                    2,
                    4,
                    "registry",
                    R::Registry,
                    EventKind::DependencyStatusChanged {
                        dependency: RecordId::new("DEP-000001").unwrap(),
                        state: State::Suspended,
                    },
                ),
            ],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["dependency_not_valid"],
        },
        Case {
            name: "dependency withdrawn",
            events: vec![issued(
                far(),
                vec![dep(Some("KM-2025-000001"), Some(State::Withdrawn), far())],
            )],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["dependency_not_valid"],
        },
        Case {
            name: "dependency expired by date",
            events: vec![issued(
                far(),
                vec![dep(
                    Some("KM-2025-000001"),
                    Some(State::Active),
                    Some(date(2026, 1, 2)),
                )],
            )],
            now_day: 10,
            status: LabelStatus::Attention,
            codes: &["dependency_not_valid"],
        },
        Case {
            name: "vulnerability inside window",
            events: vec![
                issued(far(), vec![]),
                vuln(2, 1, "GO-1", Severity::Critical),
            ],
            now_day: 20,
            status: LabelStatus::Attention,
            codes: &["vulnerability_open"],
        },
        Case {
            name: "critical overdue suspends",
            events: vec![
                issued(far(), vec![]),
                vuln(2, 1, "GO-1", Severity::Critical),
            ],
            now_day: 40,
            status: LabelStatus::Suspended,
            codes: &["vulnerability_overdue"],
        },
        Case {
            name: "high overdue only asks attention under this policy",
            events: vec![issued(far(), vec![]), vuln(2, 1, "GO-2", Severity::High)],
            now_day: 70,
            status: LabelStatus::Attention,
            codes: &["vulnerability_overdue"],
        },
        Case {
            name: "unknown severity gets the high deadline, not the low one",
            events: vec![issued(far(), vec![]), vuln(2, 1, "GO-3", Severity::Unknown)],
            now_day: 70,
            status: LabelStatus::Attention,
            codes: &["vulnerability_overdue"],
        },
        Case {
            name: "resolved vulnerability no longer counts",
            events: vec![
                issued(far(), vec![]),
                vuln(2, 1, "GO-1", Severity::Critical),
                ev(
                    3,
                    5,
                    "maker",
                    R::Holder,
                    EventKind::VulnerabilityResolved {
                        vulnerability: "GO-1".into(),
                        resolution: Resolution::NotAffected {
                            justification: "vulnerable_code_not_in_execute_path".into(),
                        },
                    },
                ),
            ],
            now_day: 40,
            status: LabelStatus::Valid,
            codes: &[],
        },
        Case {
            name: "withdrawn beats everything",
            events: vec![
                issued(None, vec![dep(None, None, None)]),
                vuln(2, 1, "GO-1", Severity::Critical),
                ev(
                    3,
                    3,
                    "lab",
                    R::Issuer,
                    EventKind::Withdrawn {
                        reason: "x".into(),
                        scheduled: None,
                        reason_code: None,
                        reason_lang: None,
                    },
                ),
            ],
            now_day: 40,
            status: LabelStatus::Withdrawn,
            codes: &[
                "withdrawn",
                "vulnerability_overdue",
                "no_support_period",
                "dependency_uncertified",
            ],
        },
    ]
}

#[test]
fn every_reason_row() {
    for c in cases() {
        let report = evaluate(&cert(), &c.events, &policy(), t(c.now_day)).unwrap();
        let codes: Vec<_> = report.reasons.iter().map(Reason::code).collect();
        assert_eq!(report.status, c.status, "{}: {:?}", c.name, report.reasons);
        assert_eq!(codes, c.codes, "{}", c.name);
    }
}

#[test]
fn every_reason_has_text_in_every_language() {
    for c in cases() {
        let report = evaluate(&cert(), &c.events, &policy(), t(c.now_day)).unwrap();
        for r in &report.reasons {
            let mut seen = std::collections::BTreeSet::new();
            for lang in Lang::ALL {
                let text = r.text(lang);
                assert!(text.len() > 20, "{} {lang}: {text}", r.code());
                assert!(
                    seen.insert(text),
                    "{} has the same text in two languages",
                    r.code()
                );
            }
        }
        for lang in Lang::ALL {
            assert!(!report.status.title(lang).is_empty());
            assert!(report.status.explanation(lang).len() > 20);
        }
    }
}

#[test]
fn dependency_reason_names_the_service() {
    let report = evaluate(
        &cert(),
        &[issued(far(), vec![dep(None, None, None)])],
        &policy(),
        t(1),
    )
    .unwrap();
    assert!(report.reasons[0].text(Lang::Nl).contains("Nimbus Cloud"));
    assert!(!report.dependencies[0].ok);
}

#[test]
fn deadlines_come_from_the_policy() {
    let report = evaluate(
        &cert(),
        &[issued(far(), vec![]), vuln(2, 0, "GO-1", Severity::Medium)],
        &policy(),
        t(1),
    )
    .unwrap();
    match &report.reasons[0] {
        Reason::VulnerabilityOpen { deadline, .. } => assert_eq!(*deadline, date(2026, 4, 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.open_vulnerabilities[&Severity::Medium], 1);
}

#[test]
fn deterministic_and_replayable() {
    for c in cases() {
        let a = evaluate(&cert(), &c.events, &policy(), t(c.now_day)).unwrap();
        let b = evaluate(&cert(), &c.events, &policy(), t(c.now_day)).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn wrong_certificate_is_refused() {
    let other = CertificateId::new("KM-2026-000777").unwrap();
    assert!(evaluate(&other, &[issued(far(), vec![])], &policy(), t(1)).is_err());
}

#[test]
fn a_distrusted_record_is_unknown_whatever_it_says_and_explains_why_in_every_language() {
    let clean = evaluate(&cert(), &[issued(far(), vec![])], &policy(), t(1)).unwrap();
    assert_eq!(clean.status, LabelStatus::Valid);
    let problems = vec![
        Reason::IntegrityProblem {
            event: 7,
            detail: "the stored event differs from its signed statement".into(),
        },
        Reason::CompromisedKey {
            event: 8,
            key: "0123456789abcdef".into(),
            since: t(0),
        },
    ];
    let report = distrusted(clean.clone(), problems.clone());
    assert_eq!(report.status, LabelStatus::Unknown);
    assert!(
        report.status > LabelStatus::Withdrawn,
        "unknown is the worst status"
    );
    assert!(!report.status.is_in_force());
    assert_eq!(report.reasons[..2], problems[..]);
    assert_eq!(report.reasons.len(), clean.reasons.len() + 2);
    for r in &problems {
        let mut seen = std::collections::BTreeSet::new();
        for lang in Lang::ALL {
            assert!(seen.insert(r.text(lang)), "{} repeats a text", r.code());
        }
    }
    let mut titles = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        assert!(titles.insert(LabelStatus::Unknown.title(lang)));
        assert!(LabelStatus::Unknown.explanation(lang).len() > 20);
    }
}

#[test]
fn an_unknown_severity_counts_as_the_policy_class_and_says_it_is_not_known() {
    let events = [
        issued(far(), vec![]),
        vuln(2, 0, "GO-2022-1059", Severity::Unknown),
    ];
    // Default class: high (60 days here), never the 180 days of a minor problem.
    let report = evaluate(&cert(), &events, &policy(), t(1)).unwrap();
    match &report.reasons[0] {
        Reason::VulnerabilityOpen {
            deadline, severity, ..
        } => {
            assert_eq!(*severity, Severity::Unknown);
            assert_eq!(*deadline, date(2026, 3, 2));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.open_vulnerabilities[&Severity::Unknown], 1);
    let en = report.reasons[0].text(Lang::En);
    assert!(
        en.contains("not known yet") && !en.contains("minor problem"),
        "{en}"
    );
    let mut seen = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        let text = report.reasons[0].text(lang);
        assert!(text.contains("GO-2022-1059"), "{text}");
        assert!(seen.insert(text), "every language has its own text");
    }

    // A scheme that counts unknown as critical: 30 days, and overdue it suspends.
    let strict = StatusPolicy {
        unknown_severity_as: Severity::Critical,
        ..policy()
    };
    let report = evaluate(&cert(), &events, &strict, t(31)).unwrap();
    assert_eq!(report.status, LabelStatus::Suspended);
    match &report.reasons[0] {
        Reason::VulnerabilityOverdue {
            suspends, deadline, ..
        } => {
            assert!(*suspends);
            assert_eq!(*deadline, date(2026, 1, 31));
        }
        other => panic!("{other:?}"),
    }
    // Once a severity arrives it counts as itself.
    assert_eq!(strict.class_of(Severity::Low), Severity::Low);
    assert_eq!(strict.class_of(Severity::Unknown), Severity::Critical);
}

#[test]
fn a_version_without_a_software_list_is_not_monitored_and_never_reads_as_clean() {
    let covered = |id: &str, version: &str, day: u32| CoveredVersion {
        id: RecordId::new(id).unwrap(),
        version: version.into(),
        released_on: t(day).date_naive(),
        security_update: false,
    };
    let mut view = crate::event::fold(&[issued(far(), vec![])]).unwrap();
    // Covering no version at all: nothing can be monitored either.
    let r = evaluate_monitored(&view, &policy(), &Monitoring::of(&view, &[]), t(1));
    assert_eq!(r.reasons, vec![Reason::NotMonitored { versions: vec![] }]);
    view.versions = vec![
        covered("VER-000002", "1.1", 1),
        covered("VER-000001", "1.0", 0),
    ];
    let ids: Vec<RecordId> = view.versions.iter().map(|v| v.id.clone()).collect();
    let names = vec!["1.0".to_owned(), "1.1".to_owned()];

    // No software list: the reason names the versions, and the strict policy asks for attention.
    let none = Monitoring::of(&view, &[]);
    assert!(!none.is_complete());
    let r = evaluate_monitored(&view, &policy(), &none, t(1));
    assert_eq!(r.status, LabelStatus::Attention);
    assert_eq!(
        r.reasons,
        vec![Reason::NotMonitored {
            versions: names.clone()
        }]
    );
    let mut seen = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        let text = r.reasons[0].text(lang);
        assert!(text.contains(&names[0]), "{text}");
        assert!(seen.insert(text));
    }
    assert!(r.reasons[0]
        .text(Lang::En)
        .starts_with("Not monitored: the maker has published no software list"));

    // A scheme that does not ask for one: still says so, but the label stays valid.
    let lenient = StatusPolicy {
        attention_when_not_monitored: false,
        ..policy()
    };
    let r = evaluate_monitored(&view, &lenient, &none, t(1));
    assert_eq!(r.status, LabelStatus::Valid);
    assert_eq!(r.reasons[0].code(), "not_monitored");
    // ...and its explanation does not claim there are no known problems.
    for lang in Lang::ALL {
        assert_ne!(r.explanation(lang), LabelStatus::Valid.explanation(lang));
    }
    assert!(!r.explanation(Lang::En).contains("no known"));

    // Only 1.0 has a list: 1.1 is named.
    let some = Monitoring::of(&view, &[RecordId::new("VER-000001").unwrap()]);
    let r = evaluate_monitored(&view, &policy(), &some, t(1));
    assert_eq!(
        r.reasons,
        vec![Reason::NotMonitored {
            versions: vec!["1.1".into()]
        }]
    );

    // Every covered version has a list: nothing to say.
    let all = Monitoring::of(&view, &ids);
    assert!(all.is_complete());
    let r = evaluate_monitored(&view, &policy(), &all, t(1));
    assert_eq!(r, evaluate_view(&view, &policy(), t(1)));
    assert_eq!(r.status, LabelStatus::Valid);
    assert_eq!(
        r.explanation(Lang::En),
        LabelStatus::Valid.explanation(Lang::En)
    );

    // A worse status is not made better.
    let overdue = [
        issued(far(), vec![]),
        vuln(2, 1, "GO-1", Severity::Critical),
    ];
    let mut view = crate::event::fold(&overdue).unwrap();
    view.versions = vec![covered("VER-000001", "1.0", 0)];
    let r = evaluate_monitored(&view, &policy(), &Monitoring::of(&view, &[]), t(40));
    assert_eq!(r.status, LabelStatus::Suspended);
}

fn covered_version(id: &str, version: &str, day: u32) -> CoveredVersion {
    CoveredVersion {
        id: RecordId::new(id).unwrap(),
        version: version.into(),
        released_on: t(day).date_naive(),
        security_update: true,
    }
}

/// Versions 1.0 and 1.1 covered, an exploited critical problem in 1.0 only (1.1 fixes it),
/// both with a software list.
fn two_versions(found_day: u32) -> (CertificateView, Vec<RecordId>) {
    let events = [
        issued(far(), vec![]),
        ev(
            2,
            found_day,
            "registry",
            ActorRole::Registry,
            EventKind::VulnerabilityMatched {
                vulnerability: "GHSA-jfh8-c2jp-5v3q".into(),
                severity: Severity::Critical,
                component: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into(),
                exploited: true,
                fixed_in: Some("2.15.0".into()),
                versions: vec!["1.0".into()],
            },
        ),
    ];
    let mut view = crate::event::fold(&events).unwrap();
    view.versions = vec![
        covered_version("VER-000001", "1.0", 0),
        covered_version("VER-000002", "1.1", 5),
    ];
    let ids = view.versions.iter().map(|v| v.id.clone()).collect();
    (view, ids)
}

#[test]
fn an_old_version_with_an_open_problem_keeps_the_label_from_green_and_names_the_version() {
    let (view, ids) = two_versions(1);
    let all = Monitoring::of(&view, &ids);
    // Inside the deadline: attention, the reason names 1.0.
    let r = evaluate_monitored(&view, &policy(), &all, t(10));
    assert_eq!(r.status, LabelStatus::Attention);
    assert!(
        matches!(&r.reasons[0], Reason::VulnerabilityOpen { versions, exploited: true, .. } if versions == &["1.0"])
    );
    assert_eq!(r.covered_versions, vec!["1.0", "1.1"]);
    // Past it: overdue, the scheme suspends for critical, and the reason names the version in
    // every language.
    let r = evaluate_monitored(&view, &policy(), &all, t(40));
    assert_eq!(r.status, LabelStatus::Suspended);
    match &r.reasons[0] {
        Reason::VulnerabilityOverdue { versions, .. } => assert_eq!(versions, &["1.0"]),
        other => panic!("{other:?}"),
    }
    let mut seen = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        let text = r.reasons[0].text(lang);
        assert!(text.contains("1.0"), "{text}");
        assert!(seen.insert(text));
    }
}

#[test]
fn the_answer_for_a_version_says_which_update_to_install() {
    let (view, ids) = two_versions(1);
    // 1.0: the problem is open there; 1.1 fixes it.
    let r = evaluate_version(&view, &policy(), &ids, "1.0", t(10));
    assert_eq!(r.status, LabelStatus::Attention);
    assert_eq!(
        r.reasons[0],
        Reason::InstallUpdate {
            version: "1.1".into(),
            vulnerabilities: vec!["GHSA-jfh8-c2jp-5v3q".into()],
        }
    );
    let answer = r.version.clone().unwrap();
    assert!(answer.covered);
    assert_eq!(answer.install.as_deref(), Some("1.1"));
    assert_eq!(answer.open_vulnerabilities, vec!["GHSA-jfh8-c2jp-5v3q"]);
    let mut seen = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        let text = r.reasons[0].text(lang);
        assert!(text.contains("1.1"), "{text}");
        assert!(seen.insert(text));
    }
    // 1.1: fine.
    let r = evaluate_version(&view, &policy(), &ids, "1.1", t(10));
    assert_eq!(r.status, LabelStatus::Valid, "{:?}", r.reasons);
    assert!(r.reasons.is_empty());
    let answer = r.version.unwrap();
    assert!(answer.covered && answer.install.is_none() && answer.open_vulnerabilities.is_empty());
    // Overdue: 1.0 is suspended with the update to install first; 1.1 still fine.
    let r = evaluate_version(&view, &policy(), &ids, "1.0", t(40));
    assert_eq!(r.status, LabelStatus::Suspended);
    assert_eq!(r.reasons[0].code(), "install_update");
    assert_eq!(r.reasons[1].code(), "vulnerability_overdue");
    assert_eq!(
        evaluate_version(&view, &policy(), &ids, "1.1", t(40)).status,
        LabelStatus::Valid
    );
}

#[test]
fn an_update_without_a_software_list_is_never_said_to_fix_anything() {
    let (view, ids) = two_versions(1);
    // 1.1 has no software list: nobody knows it fixes the problem, and it is not monitored.
    let only_old = [ids[0].clone()];
    let r = evaluate_version(&view, &policy(), &only_old, "1.0", t(10));
    assert!(r.version.unwrap().install.is_none());
    assert!(r.reasons.iter().all(|x| x.code() != "install_update"));
    let r = evaluate_version(&view, &policy(), &only_old, "1.1", t(10));
    assert_eq!(r.status, LabelStatus::Attention);
    assert_eq!(
        r.reasons,
        vec![Reason::NotMonitored {
            versions: vec!["1.1".into()]
        }]
    );
}

#[test]
fn a_finding_recorded_without_versions_counts_for_every_version() {
    // Recorded before findings were kept per version: not known is not absent.
    let events = [issued(far(), vec![]), vuln(2, 1, "GO-1", Severity::High)];
    let mut view = crate::event::fold(&events).unwrap();
    view.versions = vec![
        covered_version("VER-000001", "1.0", 0),
        covered_version("VER-000002", "1.1", 5),
    ];
    let ids: Vec<RecordId> = view.versions.iter().map(|v| v.id.clone()).collect();
    for v in ["1.0", "1.1"] {
        let r = evaluate_version(&view, &policy(), &ids, v, t(10));
        assert_eq!(r.status, LabelStatus::Attention, "{v}");
        assert_eq!(r.version.unwrap().open_vulnerabilities, vec!["GO-1"]);
        assert!(r.reasons.iter().all(|x| x.code() != "install_update"));
    }
}

#[test]
fn a_version_the_label_does_not_cover_is_said_so() {
    let (mut view, ids) = two_versions(1);
    let r = evaluate_version(&view, &policy(), &ids, "2.0", t(10));
    assert_eq!(r.status, LabelStatus::Attention);
    assert_eq!(
        r.reasons[0],
        Reason::VersionNotCovered {
            version: "2.0".into(),
            pending: false
        }
    );
    assert!(!r.version.unwrap().covered);
    // Waiting for the issuer: said too.
    view.pending_versions.push(crate::event::PendingVersion {
        version: covered_version("VER-000003", "2.0", 9),
        class: crate::model::ChangeClass::SecurityFunctionChange,
        declared_at: t(9),
    });
    let r = evaluate_version(&view, &policy(), &ids, "2.0", t(10));
    assert_eq!(
        r.reasons[0],
        Reason::VersionNotCovered {
            version: "2.0".into(),
            pending: true
        }
    );
    let mut seen = std::collections::BTreeSet::new();
    for lang in Lang::ALL {
        let text = r.reasons[0].text(lang);
        assert!(text.contains("2.0"), "{text}");
        assert!(seen.insert(text));
    }
    // A status worse than attention stays as it is.
    view.state = State::Suspended;
    let r = evaluate_version(&view, &policy(), &ids, "2.0", t(10));
    assert_eq!(r.status, LabelStatus::Suspended);
}

mod version_properties {
    use proptest::prelude::*;

    use super::*;

    /// Up to four covered versions (released on days 0, 5, 10, 15), up to three findings each
    /// carried by a subset of them, any subset with a software list.
    fn case() -> impl Strategy<Value = (Vec<u8>, Vec<bool>, u32)> {
        (
            proptest::collection::vec(0u8..16, 0..4),
            proptest::collection::vec(any::<bool>(), 4),
            0u32..80,
        )
    }

    fn build(carriers: &[u8], lists: &[bool]) -> (CertificateView, Vec<RecordId>) {
        let mut events = vec![issued(far(), vec![])];
        for (i, mask) in carriers.iter().enumerate() {
            let versions: Vec<String> = (0..4)
                .filter(|b| mask & (1 << b) != 0)
                .map(|b| format!("1.{b}"))
                .collect();
            events.push(ev(
                i64::try_from(i).unwrap() + 2,
                1,
                "registry",
                ActorRole::Registry,
                EventKind::VulnerabilityMatched {
                    vulnerability: format!("GO-{i}"),
                    severity: Severity::Critical,
                    component: "pkg:golang/x@1".into(),
                    exploited: false,
                    fixed_in: None,
                    versions,
                },
            ));
        }
        let mut view = crate::event::fold(&events).unwrap();
        view.versions = (0..4u32)
            .map(|b| covered_version(&format!("VER-00000{b}"), &format!("1.{b}"), b * 5))
            .collect();
        let ids = view
            .versions
            .iter()
            .zip(lists)
            .filter(|(_, l)| **l)
            .map(|(v, _)| v.id.clone())
            .collect();
        (view, ids)
    }

    proptest! {
        #[test]
        fn a_version_answer_never_hides_its_problems((carriers, lists, day) in case()) {
            let (view, ids) = build(&carriers, &lists);
            for asked in 0..4u32 {
                let name = format!("1.{asked}");
                let r = evaluate_version(&view, &policy(), &ids, &name, t(day));
                let answer = r.version.clone().unwrap();
                let carried: Vec<String> = view
                    .vulnerabilities
                    .values()
                    .filter(|v| v.versions.contains(&name) || v.versions.is_empty())
                    .map(|v| v.id.clone())
                    .collect();
                prop_assert_eq!(&answer.open_vulnerabilities, &carried);
                if !carried.is_empty() {
                    prop_assert_ne!(r.status, LabelStatus::Valid);
                }
                if let Some(x) = &answer.install {
                    // Newer, with a software list, carrying none of the problems.
                    let n = view.versions.iter().find(|v| &v.version == x).unwrap();
                    prop_assert!(n.released_on > t(asked * 5).date_naive());
                    prop_assert!(ids.contains(&n.id));
                    for v in view.vulnerabilities.values().filter(|v| carried.contains(&v.id)) {
                        prop_assert!(!v.versions.contains(x));
                    }
                    prop_assert_eq!(r.reasons[0].code(), "install_update");
                }
                // The label as a whole is never better than the answer for a covered version.
                let label = evaluate_monitored(&view, &policy(), &Monitoring::of(&view, &ids), t(day));
                prop_assert!(label.status >= r.status || !ids.contains(&view.versions[asked as usize].id));
            }
        }
    }
}

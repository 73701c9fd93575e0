use chrono::TimeZone;

use super::*;

pub(crate) fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + chrono::Duration::days(i64::from(day))
}

pub(crate) fn cert() -> CertificateId {
    CertificateId::new("KM-2026-000001").unwrap()
}

pub(crate) fn org(s: &str) -> OrgId {
    OrgId::new(s).unwrap()
}

pub(crate) fn issued(support_until: Option<NaiveDate>, deps: Vec<DependencySnapshot>) -> Event {
    Event {
        seq: 1,
        certificate: cert(),
        at: t(0),
        actor: org("lab"),
        role: ActorRole::Issuer,
        kind: EventKind::Issued {
            product: RecordId::new("PRD-000001").unwrap(),
            holder: org("maker"),
            scheme: SchemeId::new("eu-iot").unwrap(),
            level: LevelId::new("substantial").unwrap(),
            issuer: org("lab"),
            issuer_kind: IssuerKind::ThirdParty,
            authority: Some(org("nl-rdi")),
            assessment: RecordId::new("ASM-000001").unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2028, 12, 31).unwrap(),
            support_until,
            versions: vec![],
            dependencies: deps,
        },
    }
}

pub(crate) fn ev(seq: i64, day: u32, actor: &str, role: ActorRole, kind: EventKind) -> Event {
    Event {
        seq,
        certificate: cert(),
        at: t(day),
        actor: org(actor),
        role,
        kind,
    }
}

#[test]
fn fold_follows_the_lifecycle() {
    let events = vec![
        issued(None, vec![]),
        ev(
            2,
            5,
            "lab",
            ActorRole::Issuer,
            EventKind::Suspended {
                reason: "r".into(),
                until: None,
                scheduled: None,
            },
        ),
        ev(
            3,
            9,
            "nl-rdi",
            ActorRole::NationalAuthority,
            EventKind::Reinstated { note: "ok".into() },
        ),
    ];
    let v = fold(&events).unwrap();
    assert_eq!(v.state, State::Active);
    assert_eq!(v.state_since, t(9));
    assert_eq!(v.suspension, None);
    assert_eq!(v.event_count, 3);
}

#[test]
fn fold_rejects_a_history_the_table_forbids() {
    let events = vec![
        issued(None, vec![]),
        ev(
            2,
            5,
            "maker",
            ActorRole::Holder,
            EventKind::Withdrawn {
                reason: "r".into(),
                scheduled: None,
            },
        ),
    ];
    assert!(matches!(
        fold(&events),
        Err(FoldError::Denied { seq: 2, .. })
    ));
}

#[test]
fn fold_requires_issued_first_and_once() {
    assert_eq!(fold(&[]), Err(FoldError::Empty));
    let e = ev(
        1,
        0,
        "lab",
        ActorRole::Issuer,
        EventKind::Expired { scheduled: None },
    );
    assert_eq!(fold(&[e]), Err(FoldError::IssuedOutOfPlace { seq: 1 }));
    let mut second = issued(None, vec![]);
    second.seq = 2;
    assert_eq!(
        fold(&[issued(None, vec![]), second]),
        Err(FoldError::IssuedOutOfPlace { seq: 2 })
    );
}

#[test]
fn fold_rejects_foreign_events() {
    let mut other = ev(
        2,
        1,
        "lab",
        ActorRole::Issuer,
        EventKind::Expired { scheduled: None },
    );
    other.certificate = CertificateId::new("KM-2026-000099").unwrap();
    assert!(matches!(
        fold(&[issued(None, vec![]), other]),
        Err(FoldError::WrongCertificate { .. })
    ));
}

#[test]
fn vulnerability_first_seen_survives_rematching() {
    let matched = |seq, day| {
        ev(
            seq,
            day,
            "registry",
            ActorRole::Registry,
            EventKind::VulnerabilityMatched {
                vulnerability: "GO-2024-0001".into(),
                severity: Severity::High,
                component: "pkg:golang/x@1".into(),
                exploited: false,
                fixed_in: Some("1.1".into()),
            },
        )
    };
    let v = fold(&[issued(None, vec![]), matched(2, 3), matched(3, 8)]).unwrap();
    assert_eq!(v.vulnerabilities["GO-2024-0001"].first_seen, t(3));
}

#[test]
fn events_round_trip_through_json() {
    let e = issued(NaiveDate::from_ymd_opt(2030, 1, 1), vec![]);
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"type\":\"issued\""), "{json}");
    let back: Event = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}

#[test]
fn roles_are_resolved_relative_to_the_certificate() {
    let (lab, maker, nca) = (org("lab"), org("maker"), org("nl-rdi"));
    assert_eq!(
        role_of(&lab, &lab, &maker, Some(&nca), false),
        ActorRole::Issuer
    );
    assert_eq!(
        role_of(&nca, &lab, &maker, Some(&nca), false),
        ActorRole::NationalAuthority
    );
    assert_eq!(
        role_of(&maker, &lab, &maker, Some(&nca), false),
        ActorRole::Holder
    );
    assert_eq!(
        role_of(&maker, &maker, &maker, Some(&nca), false),
        ActorRole::Issuer
    );
    assert_eq!(
        role_of(&org("enisa"), &lab, &maker, Some(&nca), true),
        ActorRole::Registry
    );
    assert_eq!(
        role_of(&org("x"), &lab, &maker, Some(&nca), false),
        ActorRole::Other
    );
}

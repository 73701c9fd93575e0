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
                reason_code: None,
                reason_lang: None,
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
                reason_code: None,
                reason_lang: None,
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
                versions: vec![],
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

/// Events signed before reason codes existed read back unchanged and serialize byte for byte as
/// they were signed, so their signatures still verify; they fold with code `other` (or the
/// code their scheduler rule implies) and English free text.
#[test]
fn events_without_a_reason_code_keep_their_bytes_and_fold_as_other() {
    use crate::reason::{ReasonCode, TextLang};
    use crate::schedule::Rule;
    for old in [
        r#"{"type":"suspended","reason":"no password on the stream","until":"2026-03-01"}"#,
        r#"{"type":"suspension_extended","until":"2026-04-01","reason":"more time"}"#,
        r#"{"type":"withdrawn","reason":"recall"}"#,
        r#"{"type":"withdrawn","reason":"not remedied within the suspension period","scheduled":{"rule":"suspension_ended","due_at":"2026-03-02T00:00:00Z"}}"#,
    ] {
        let kind: EventKind = serde_json::from_str(old).unwrap();
        assert_eq!(serde_json::to_string(&kind).unwrap(), old);
        let why = kind.stated_reason().unwrap();
        assert_eq!(why.lang, TextLang::en());
        let expected = if kind.scheduled().is_some() {
            ReasonCode::for_rule(Rule::SuspensionEnded)
        } else {
            ReasonCode::Other
        };
        assert_eq!(why.code, expected, "{old}");
    }
}

#[test]
fn reason_code_and_language_are_recorded_and_folded() {
    use crate::reason::{ReasonCode, TextLang};
    let suspended = EventKind::Suspended {
        reason: "Het wachtwoord ontbreekt".into(),
        until: None,
        reason_code: Some(ReasonCode::NonConformity),
        reason_lang: Some("nl".parse().unwrap()),
        scheduled: None,
    };
    let json = serde_json::to_string(&suspended).unwrap();
    assert!(json.contains(r#""reason_code":"non_conformity""#), "{json}");
    assert!(json.contains(r#""reason_lang":"nl""#), "{json}");
    assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), suspended);
    // A stored language that is not a language tag does not read back.
    let bad = json.replace(r#""reason_lang":"nl""#, r#""reason_lang":"<b>""#);
    assert!(serde_json::from_str::<EventKind>(&bad).is_err());
    let bad = json.replace("non_conformity", "lost");
    assert!(serde_json::from_str::<EventKind>(&bad).is_err());

    let mut events = vec![
        issued(None, vec![]),
        ev(2, 5, "nl-rdi", ActorRole::NationalAuthority, suspended),
    ];
    let view = fold(&events).unwrap();
    let s = view.suspension.as_ref().unwrap();
    assert_eq!(s.reason_code, ReasonCode::NonConformity);
    assert_eq!(s.reason_lang.as_str(), "nl");
    events.push(ev(
        3,
        6,
        "nl-rdi",
        ActorRole::NationalAuthority,
        EventKind::SuspensionExtended {
            until: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            reason: String::new(),
            reason_code: Some(ReasonCode::RemedyInProgress),
            reason_lang: None,
        },
    ));
    events.push(ev(
        4,
        7,
        "nl-rdi",
        ActorRole::NationalAuthority,
        EventKind::Withdrawn {
            reason: "Rappel du produit".into(),
            reason_code: Some(ReasonCode::Recall),
            reason_lang: Some("fr".parse().unwrap()),
            scheduled: None,
        },
    ));
    let view = fold(&events[..3]).unwrap();
    let s = view.suspension.as_ref().unwrap();
    assert_eq!(s.reason_code, ReasonCode::RemedyInProgress);
    assert_eq!(s.reason_lang, TextLang::en());
    let view = fold(&events).unwrap();
    assert_eq!(view.withdrawn.as_ref().unwrap().1, "Rappel du produit");
    assert_eq!(
        view.withdrawal_code,
        Some((ReasonCode::Recall, "fr".parse().unwrap()))
    );
    // A cached view written before reason codes still reads (as `other`, English).
    let mut cached = serde_json::to_value(&view).unwrap();
    cached.as_object_mut().unwrap().remove("withdrawal_code");
    let back: CertificateView = serde_json::from_value(cached).unwrap();
    assert_eq!(back.withdrawal_code, None);
}

fn version(id: &str, v: &str) -> CoveredVersion {
    CoveredVersion {
        id: RecordId::new(id).unwrap(),
        version: v.into(),
        released_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        security_update: true,
    }
}

fn declared(seq: i64, id: &str, covered: bool) -> Event {
    ev(
        seq,
        2,
        "maker",
        ActorRole::Holder,
        EventKind::VersionChangeDeclared {
            version: version(id, "1.1"),
            class: ChangeClass::SecurityPatch,
            impact: "Fixes CVE-2021-44228.".into(),
            sbom_sha256: "00".repeat(32),
            covered,
        },
    )
}

fn decided(seq: i64, id: &str, role: ActorRole, confirm: bool) -> Event {
    let version = RecordId::new(id).unwrap();
    ev(
        seq,
        3,
        "lab",
        role,
        if confirm {
            EventKind::VersionConfirmed { version }
        } else {
            EventKind::VersionRefused {
                version,
                reason: "changes the login".into(),
            }
        },
    )
}

fn coverage_error(events: &[Event]) -> i64 {
    match fold(events) {
        Err(FoldError::Coverage { seq, .. }) => seq,
        other => panic!("expected a coverage error, got {other:?}"),
    }
}

#[test]
fn a_certificate_covers_exactly_what_its_issuer_covered() {
    // The issuer covers a version.
    let by_issuer = ev(
        2,
        2,
        "lab",
        ActorRole::Issuer,
        EventKind::VersionCovered {
            version: version("VER-000002", "1.1"),
        },
    );
    let v = fold(&[issued(None, vec![]), by_issuer.clone()]).unwrap();
    assert_eq!(v.versions.len(), 1);
    // The holder of a certificate another body issued cannot.
    let mut by_holder = by_issuer;
    by_holder.role = ActorRole::Holder;
    by_holder.actor = org("maker");
    assert_eq!(coverage_error(&[issued(None, vec![]), by_holder]), 2);

    // Under the rule, covered at once.
    let v = fold(&[issued(None, vec![]), declared(2, "VER-000002", true)]).unwrap();
    assert_eq!(v.versions[0].version, "1.1");
    assert!(v.pending_versions.is_empty());

    // Waiting for the issuer: not covered until confirmed.
    let v = fold(&[issued(None, vec![]), declared(2, "VER-000002", false)]).unwrap();
    assert!(v.versions.is_empty());
    assert_eq!(v.pending_versions.len(), 1);
    let v = fold(&[
        issued(None, vec![]),
        declared(2, "VER-000002", false),
        decided(3, "VER-000002", ActorRole::Issuer, true),
    ])
    .unwrap();
    assert_eq!(v.versions.len(), 1);
    assert!(v.pending_versions.is_empty());
    // Refused: not covered.
    let v = fold(&[
        issued(None, vec![]),
        declared(2, "VER-000002", false),
        decided(3, "VER-000002", ActorRole::Issuer, false),
    ])
    .unwrap();
    assert!(v.versions.is_empty() && v.pending_versions.is_empty());
}

#[test]
fn the_fold_refuses_every_coverage_step_out_of_place() {
    let base = || vec![issued(None, vec![]), declared(2, "VER-000002", false)];
    // Confirmed by someone other than the issuer (the holder, the authority).
    for role in [
        ActorRole::Holder,
        ActorRole::NationalAuthority,
        ActorRole::Registry,
    ] {
        let mut e = base();
        e.push(decided(3, "VER-000002", role, true));
        assert_eq!(coverage_error(&e), 3, "{role}");
    }
    // Confirmed twice; refused then confirmed; a version nobody declared.
    let mut e = base();
    e.push(decided(3, "VER-000002", ActorRole::Issuer, true));
    e.push(decided(4, "VER-000002", ActorRole::Issuer, true));
    assert_eq!(coverage_error(&e), 4);
    let mut e = base();
    e.push(decided(3, "VER-000002", ActorRole::Issuer, false));
    e.push(decided(4, "VER-000002", ActorRole::Issuer, true));
    assert_eq!(coverage_error(&e), 4);
    let mut e = base();
    e.push(decided(3, "VER-000009", ActorRole::Issuer, true));
    assert_eq!(coverage_error(&e), 3);
    // Declared by someone other than the holder; declared when covered already.
    let mut d = declared(2, "VER-000002", true);
    d.role = ActorRole::NationalAuthority;
    assert_eq!(coverage_error(&[issued(None, vec![]), d]), 2);
    let e = vec![
        issued(None, vec![]),
        declared(2, "VER-000002", true),
        declared(3, "VER-000002", true),
    ];
    assert_eq!(coverage_error(&e), 3);
}

#[test]
fn coverage_events_round_trip_and_old_findings_read_without_versions() {
    for e in [
        declared(2, "VER-000002", false),
        decided(3, "VER-000002", ActorRole::Issuer, true),
        decided(3, "VER-000002", ActorRole::Issuer, false),
    ] {
        let json = serde_json::to_string(&e.kind).unwrap();
        assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), e.kind);
    }
    // A finding recorded before versions were kept: no `versions` key, read as empty, and
    // written back without one (its signed statement still verifies).
    let old = r#"{"type":"vulnerability_matched","vulnerability":"GO-1","severity":"high","component":"pkg:golang/x@1","exploited":false,"fixed_in":null}"#;
    let kind: EventKind = serde_json::from_str(old).unwrap();
    assert!(
        matches!(&kind, EventKind::VulnerabilityMatched { versions, .. } if versions.is_empty())
    );
    assert_eq!(serde_json::to_string(&kind).unwrap(), old);
}

use crate::fixture::*;
use chrono::{DateTime, Utc};
use keurmerk_trust::*;

pub fn stmt(key: &SigningKey, kind: StatementKind, signed_at: DateTime<Utc>) -> Statement {
    let mut payload = serde_json::Map::new();
    payload.insert("versions".into(), serde_json::json!(["1.2.0", "1.2.1"]));
    payload.insert("reason".into(), serde_json::json!("initial certification"));
    Statement {
        kind,
        certificate_id: "KM-2026-000123".into(),
        scheme_id: "eu-iot-baseline".into(),
        level: "substantial".into(),
        issuer: key.key_id(),
        signed_at,
        payload,
    }
}

fn check(key: &SigningKey, s: &Statement) -> Result<VerifiedStatement, TrustError> {
    let f = fx();
    let bytes = sign_statement(s, key).unwrap();
    verify_statement(&bytes, &f.list, at(2026, 6, 1))
}

#[test]
fn valid_statement_verifies() {
    let f = fx();
    let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    let v = check(&f.cab, &s).unwrap();
    assert_eq!(v.statement, s);
    assert_eq!(v.issuer.role, Role::AssessmentBody);
}

#[test]
fn encoding_is_canonical_and_deterministic() {
    let f = fx();
    let s = stmt(&f.cab, StatementKind::Suspended, at(2026, 2, 1));
    let a = sign_statement(&s, &f.cab).unwrap();
    assert_eq!(a, sign_statement(&s, &f.cab).unwrap());
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(canonical_json(&v).unwrap(), a);
}

#[test]
fn reformatted_json_still_verifies() {
    // The signature covers the canonical form, so pretty-printing in transit does no harm.
    let f = fx();
    let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    let v: serde_json::Value =
        serde_json::from_slice(&sign_statement(&s, &f.cab).unwrap()).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    assert!(verify_statement(&pretty, &f.list, at(2026, 6, 1)).is_ok());
}

#[test]
fn bad_encoding() {
    let f = fx();
    for bad in [
        &b"not json"[..],
        b"{}",
        b"{\"signatures\":[],\"statement\":{}}",
        b"\xff\xfe",
    ] {
        let err = verify_statement(bad, &f.list, at(2026, 6, 1)).unwrap_err();
        assert!(matches!(err, TrustError::Malformed { .. }), "{err:?}");
    }
}

#[test]
fn unknown_key() {
    let f = fx();
    let s = stmt(
        &f.stranger,
        StatementKind::CertificateIssued,
        at(2026, 2, 1),
    );
    assert!(matches!(
        check(&f.stranger, &s),
        Err(TrustError::UnknownKey(_))
    ));
}

#[test]
fn revoked_key_after_compromise_only() {
    let f = fx();
    let after = stmt(&f.revoked, StatementKind::CertificateIssued, at(2026, 3, 2));
    assert!(matches!(
        check(&f.revoked, &after),
        Err(TrustError::RevokedKey { .. })
    ));
    let before = stmt(
        &f.revoked,
        StatementKind::CertificateIssued,
        at(2026, 2, 27),
    );
    assert!(check(&f.revoked, &before).is_ok());
}

#[test]
fn rotated_key_verifies_what_it_signed_while_valid() {
    let f = fx();
    let while_valid = stmt(&f.old, StatementKind::CertificateIssued, at(2024, 6, 1));
    assert!(check(&f.old, &while_valid).is_ok());
    let after_rotation = stmt(&f.old, StatementKind::CertificateIssued, at(2026, 2, 1));
    assert!(matches!(
        check(&f.old, &after_rotation),
        Err(TrustError::KeyNotValidAt { .. })
    ));
}

fn out_of_scope(r: Result<VerifiedStatement, TrustError>) -> bool {
    matches!(r, Err(TrustError::OutOfScope { .. }))
}

#[test]
fn out_of_scope_role_scheme_level() {
    let f = fx();
    let by_maker = stmt(&f.maker, StatementKind::CertificateIssued, at(2026, 2, 1));
    assert!(out_of_scope(check(&f.maker, &by_maker)));
    let mut other_scheme = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    other_scheme.scheme_id = "de-it-sik".into();
    assert!(out_of_scope(check(&f.cab, &other_scheme)));
    let mut unknown_level = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    unknown_level.level = "extreme".into();
    assert!(out_of_scope(check(&f.cab, &unknown_level)));
    let expired_by_cab = stmt(&f.cab, StatementKind::Expired, at(2026, 2, 1));
    assert!(out_of_scope(check(&f.cab, &expired_by_cab)));
    // The registry signs its own acts for the schemes of its catalogue, not for any string.
    let by_registry = stmt(&f.registry, StatementKind::Expired, at(2026, 2, 1));
    assert!(check(&f.registry, &by_registry).is_ok());
    let mut elsewhere = by_registry.clone();
    elsewhere.scheme_id = "anything".into();
    assert!(out_of_scope(check(&f.registry, &elsewhere)));
    // A manufacturer self-declares only the levels its scheme lets it self-assess.
    let soc = stmt(
        &f.maker,
        StatementKind::StatementOfConformity,
        at(2026, 2, 1),
    );
    assert!(
        out_of_scope(check(&f.maker, &soc)),
        "substantial is not self-assessable"
    );
    let mut basic = soc.clone();
    basic.level = "basic".into();
    assert!(check(&f.maker, &basic).is_ok());
    // …but maintains its certificates of any level (holder acts), never issues them.
    let mut covered = stmt(&f.maker, StatementKind::VersionCovered, at(2026, 2, 1));
    covered.scheme_id = "eucc".into();
    covered.level = "high".into();
    assert!(check(&f.maker, &covered).is_ok());
}

#[test]
fn body_signs_only_within_its_authorisations_dates() {
    let f = fx();
    // eucc/substantial granted on 2026-03-01 (12:00): before it, out of scope; after, fine.
    let mut eucc = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 28));
    eucc.scheme_id = "eucc".into();
    let err = check(&f.cab, &eucc).unwrap_err();
    assert!(
        matches!(&err, TrustError::OutOfScope { detail, .. } if detail.contains("outside the grant")),
        "{err:?}"
    );
    eucc.signed_at = at(2026, 3, 2);
    assert!(check(&f.cab, &eucc).is_ok());
    // eu-iot-baseline/high revoked on 2026-01-15: what was signed before still verifies.
    let mut high = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 1, 10));
    high.level = "high".into();
    assert!(check(&f.cab, &high).is_ok());
    high.signed_at = at(2026, 1, 20);
    assert!(out_of_scope(check(&f.cab, &high)));
    high.kind = StatementKind::Suspended;
    assert!(out_of_scope(check(&f.cab, &high)), "no longer authorised");
}

#[test]
fn authority_supervises_but_never_issues() {
    let f = fx();
    let mut susp = stmt(&f.authority, StatementKind::Suspended, at(2026, 2, 1));
    susp.scheme_id = "eucc".into();
    susp.level = "high".into();
    assert!(check(&f.authority, &susp).is_ok());
    let issued = stmt(
        &f.authority,
        StatementKind::CertificateIssued,
        at(2026, 2, 1),
    );
    assert!(out_of_scope(check(&f.authority, &issued)));
    assert_eq!(
        f.list
            .key(&f.authority.key_id())
            .unwrap()
            .member_state
            .as_deref(),
        Some("NL")
    );
}

#[test]
fn bad_signature() {
    let f = fx();
    let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    let text = String::from_utf8(sign_statement(&s, &f.cab).unwrap()).unwrap();
    let altered = text.replace("initial certification", "initial certificatioN");
    let err = verify_statement(altered.as_bytes(), &f.list, at(2026, 6, 1)).unwrap_err();
    assert!(matches!(err, TrustError::BadSignature(_)), "{err:?}");
}

#[test]
fn signed_in_the_future() {
    let f = fx();
    let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 7, 1));
    assert!(matches!(
        check(&f.cab, &s),
        Err(TrustError::FromTheFuture { .. })
    ));
}

#[test]
fn signer_must_be_issuer() {
    let f = fx();
    let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    assert!(matches!(
        sign_statement(&s, &f.maker),
        Err(TrustError::InvalidClaims(_))
    ));
}

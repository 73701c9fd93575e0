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

#[test]
fn not_authorised_role_scheme_level() {
    let f = fx();
    let by_maker = stmt(&f.maker, StatementKind::CertificateIssued, at(2026, 2, 1));
    assert!(matches!(
        check(&f.maker, &by_maker),
        Err(TrustError::NotAuthorised { .. })
    ));
    let mut other_scheme = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    other_scheme.scheme_id = "eucc".into();
    assert!(matches!(
        check(&f.cab, &other_scheme),
        Err(TrustError::NotAuthorised { .. })
    ));
    let mut high = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
    high.level = "high".into();
    assert!(matches!(
        check(&f.cab, &high),
        Err(TrustError::NotAuthorised { .. })
    ));
    let expired_by_cab = stmt(&f.cab, StatementKind::Expired, at(2026, 2, 1));
    assert!(matches!(
        check(&f.cab, &expired_by_cab),
        Err(TrustError::NotAuthorised { .. })
    ));
    // The registry signs for every scheme.
    let mut by_registry = stmt(&f.registry, StatementKind::Expired, at(2026, 2, 1));
    by_registry.scheme_id = "anything".into();
    assert!(check(&f.registry, &by_registry).is_ok());
    let soc = stmt(
        &f.maker,
        StatementKind::StatementOfConformity,
        at(2026, 2, 1),
    );
    assert!(
        matches!(check(&f.maker, &soc), Err(TrustError::NotAuthorised { .. })),
        "level substantial not allowed"
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

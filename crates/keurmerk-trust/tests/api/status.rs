use crate::fixture::*;
use keurmerk_trust::*;

/// What the registry records for the certificate of [`claims`], issued by the fixture's body.
pub fn resp(status: CertStatus) -> StatusResponse {
    let c = claims();
    StatusResponse {
        certificate_id: c.certificate_id,
        product_id: "PRD-000042".into(),
        product_name: c.product_name,
        model_designation: c.model_designation,
        scheme_id: c.scheme_id,
        level: c.level,
        issuer_org_id: "org-assessmentbody".into(),
        issuer_kind: c.issuer_kind,
        issued_on: c.issued_on,
        valid_until: c.valid_until,
        support_until: c.support_until,
        status,
        reasons: vec!["vulnerability_in_window".into()],
        produced_at: at(2026, 6, 1),
        next_update: at(2026, 6, 2),
        status_list: None,
    }
}

#[test]
fn verifies_and_applies_fail_closed_rule() {
    let f = fx();
    let bytes = resp(CertStatus::Attention).sign(&f.registry).unwrap();
    let v = StatusResponse::verify(&bytes, &f.list, "KM-2026-000123", at(2026, 6, 1)).unwrap();
    assert_eq!(v.response.verdict(at(2026, 6, 1)), ClientVerdict::Attention);
    // Stale: authentic but no longer a basis for "valid".
    let later = at(2026, 6, 3);
    let v = StatusResponse::verify(&bytes, &f.list, "KM-2026-000123", later).unwrap();
    assert_eq!(v.response.verdict(later), ClientVerdict::Unknown);
    assert_eq!(
        resp(CertStatus::Suspended).verdict(at(2026, 6, 1)),
        ClientVerdict::NotValid(CertStatus::Suspended)
    );
    assert_eq!(
        resp(CertStatus::Valid).verdict(at(2026, 6, 1)),
        ClientVerdict::Valid
    );
}

#[test]
fn rejections() {
    let f = fx();
    let now = at(2026, 6, 1);
    let id = "KM-2026-000123";
    // Only registry keys may sign status, and only for the schemes of their scope.
    let by_cab = resp(CertStatus::Valid).sign(&f.cab).unwrap();
    assert!(matches!(
        StatusResponse::verify(&by_cab, &f.list, id, now),
        Err(TrustError::OutOfScope { .. })
    ));
    let mut elsewhere = resp(CertStatus::Valid);
    elsewhere.scheme_id = "not-in-the-catalogue".into();
    assert!(matches!(
        StatusResponse::verify(&elsewhere.sign(&f.registry).unwrap(), &f.list, id, now),
        Err(TrustError::OutOfScope { .. })
    ));
    let by_stranger = resp(CertStatus::Valid).sign(&f.stranger).unwrap();
    assert!(matches!(
        StatusResponse::verify(&by_stranger, &f.list, id, now),
        Err(TrustError::UnknownKey(_))
    ));
    let good = resp(CertStatus::Withdrawn).sign(&f.registry).unwrap();
    let text = String::from_utf8(good.clone())
        .unwrap()
        .replace("withdrawn", "valid");
    assert!(matches!(
        StatusResponse::verify(text.as_bytes(), &f.list, id, now),
        Err(TrustError::BadSignature(_))
    ));
    assert!(matches!(
        StatusResponse::verify(&good, &f.list, "KM-2026-999999", now),
        Err(TrustError::CertificateIdMismatch { .. })
    ));
    assert!(matches!(
        StatusResponse::verify(b"{", &f.list, id, now),
        Err(TrustError::Malformed { .. })
    ));
    assert!(matches!(
        StatusResponse::verify(&good, &f.list, id, at(2026, 5, 1)),
        Err(TrustError::FromTheFuture { .. })
    ));
}

#[test]
fn verdict_serialises_for_json_output() {
    let v = serde_json::to_value(ClientVerdict::NotValid(CertStatus::Suspended)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"verdict": "not_valid", "status": "suspended"})
    );
    let v = serde_json::to_value(ClientVerdict::Unknown).unwrap();
    assert_eq!(v, serde_json::json!({"verdict": "unknown"}));
}

fn label(f: &Fx, c: &TokenClaims, key: &SigningKey) -> VerifiedLabel {
    // Room enough that no name is truncated.
    let token = issue_token_within(c, key, 400).unwrap();
    verify_token(&token, &f.list, at(2026, 6, 1)).unwrap()
}

#[test]
fn status_binds_the_labels_claims() {
    let f = fx();
    let registry = resp(CertStatus::Valid);
    assert_eq!(registry.check_label(&label(&f, &claims(), &f.cab)), Ok(()));
    // A forged level on a real certificate id, signed by a key in scope for that level.
    let mut forged = claims();
    forged.level = "basic".into();
    assert_eq!(
        registry.check_label(&label(&f, &forged, &f.cab)),
        Err(TrustError::ClaimsMismatch {
            field: "level",
            label: "basic".into(),
            registry: "substantial".into()
        })
    );
    // The same claims signed by another organisation's key.
    let mut by_other = registry.clone();
    by_other.issuer_org_id = "org-other-lab".into();
    assert!(matches!(
        by_other.check_label(&label(&f, &claims(), &f.cab)),
        Err(TrustError::ClaimsMismatch {
            field: "issuer_org_id",
            ..
        })
    ));
    for (field, edit) in [
        (
            "product_name",
            (|c: &mut TokenClaims| c.product_name.push('X')) as fn(&mut TokenClaims),
        ),
        ("model_designation", |c| c.model_designation = "SC-1".into()),
        ("issued_on", |c| c.issued_on = day(2026, 2, 2)),
        ("valid_until", |c| c.valid_until = day(2029, 1, 31)),
        ("support_until", |c| c.support_until = day(2032, 1, 1)),
    ] {
        let mut c = claims();
        edit(&mut c);
        let err = registry.check_label(&label(&f, &c, &f.cab)).unwrap_err();
        assert!(
            matches!(err, TrustError::ClaimsMismatch { field: got, .. } if got == field),
            "{field}: {err:?}"
        );
    }
    // Support extended since the label was printed: the label under-claims, which is fine.
    let mut earlier = claims();
    earlier.support_until = day(2030, 1, 1);
    assert_eq!(registry.check_label(&label(&f, &earlier, &f.cab)), Ok(()));
}

#[test]
fn truncated_names_match_by_prefix_only_when_marked() {
    let f = fx();
    let mut c = claims();
    c.product_name = "Überlange Produktbezeichnung für eine vernetzte Türklingel mit Kamera".into();
    let mut registry = resp(CertStatus::Valid);
    registry.product_name = c.product_name.clone();
    let url = label_url(BASE, &c, &f.cab).unwrap();
    let v = verify_label_input(&url, &f.list, at(2026, 6, 1)).unwrap();
    assert!(v.product_name_truncated);
    assert_eq!(registry.check_label(&v), Ok(()));
    // An unmarked prefix is a different name.
    let mut short = claims();
    short.product_name = "Überlange".into();
    assert!(matches!(
        registry.check_label(&label(&f, &short, &f.cab)),
        Err(TrustError::ClaimsMismatch {
            field: "product_name",
            ..
        })
    ));
}

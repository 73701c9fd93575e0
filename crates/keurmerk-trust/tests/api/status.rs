use crate::fixture::*;
use keurmerk_trust::*;

fn resp(status: CertStatus) -> StatusResponse {
    StatusResponse {
        certificate_id: "KM-2026-000123".into(),
        status,
        reasons: vec!["vulnerability_in_window".into()],
        produced_at: at(2026, 6, 1),
        next_update: at(2026, 6, 2),
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
    // Only registry keys may sign status.
    let by_cab = resp(CertStatus::Valid).sign(&f.cab).unwrap();
    assert!(matches!(
        StatusResponse::verify(&by_cab, &f.list, id, now),
        Err(TrustError::NotAuthorised { .. })
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

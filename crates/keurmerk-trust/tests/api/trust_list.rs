use crate::fixture::*;
use keurmerk_trust::*;

#[test]
fn roundtrip_and_lookup() {
    let f = fx();
    let back = TrustList::verify(&f.signed_list, &f.root.public_key()).unwrap();
    assert_eq!(back, f.list);
    assert_eq!(
        back.key(&f.cab.key_id()).unwrap().role,
        Role::AssessmentBody
    );
    assert!(back.key(&f.stranger.key_id()).is_none());
    assert!(!back.is_stale(at(2026, 1, 2)));
    assert!(back.is_stale(at(2026, 2, 2)));
}

#[test]
fn wrong_root_is_rejected() {
    let f = fx();
    let err = TrustList::verify(&f.signed_list, &f.stranger.public_key()).unwrap_err();
    assert_eq!(err, TrustError::TrustListSignature);
}

#[test]
fn altered_list_is_rejected() {
    let f = fx();
    let text = String::from_utf8(f.signed_list.clone()).unwrap();
    let altered = text.replace("\"sequence\":7", "\"sequence\":8");
    assert_ne!(altered, text);
    let err = TrustList::verify(altered.as_bytes(), &f.root.public_key()).unwrap_err();
    assert_eq!(err, TrustError::TrustListSignature);
}

#[test]
fn garbage_is_malformed() {
    let f = fx();
    for bad in [
        &b""[..],
        b"{}",
        b"[1,2]",
        b"{\"trust_list\":{},\"keyid\":\"zz\",\"sig\":\"\"}",
    ] {
        let err = TrustList::verify(bad, &f.root.public_key()).unwrap_err();
        assert!(matches!(err, TrustError::Malformed { .. }), "{err:?}");
    }
}

#[test]
fn inconsistent_key_id_is_rejected_even_if_signed() {
    let f = fx();
    let mut list = f.list.clone();
    list.keys[0].key_id = f.cab.key_id();
    assert!(matches!(
        list.sign(&f.root),
        Err(TrustError::Malformed { .. })
    ));
    let mut dup = f.list.clone();
    dup.keys.push(dup.keys[0].clone());
    assert!(matches!(
        dup.sign(&f.root),
        Err(TrustError::Malformed { .. })
    ));
}

#[test]
fn rollback_is_rejected() {
    let f = fx();
    let mut newer = f.list.clone();
    newer.sequence = 8;
    let root = f.root.public_key();
    let signed_newer = newer.sign(&f.root).unwrap();
    assert!(TrustList::verify_update(&signed_newer, &root, &f.list).is_ok());
    assert!(
        TrustList::verify_update(&f.signed_list, &root, &f.list).is_ok(),
        "same sequence"
    );
    let err = TrustList::verify_update(&f.signed_list, &root, &newer).unwrap_err();
    assert_eq!(
        err,
        TrustError::TrustListRollback {
            cached: 8,
            offered: 7
        }
    );
}

#[test]
fn wildcard_scope_and_version_1_are_rejected() {
    let f = fx();
    for (scheme, level) in [("*", "basic"), ("eu-iot-baseline", "*")] {
        let mut list = f.list.clone();
        list.keys[1].scope[0].scheme = scheme.into();
        list.keys[1].scope[0].levels = vec![level.into()];
        assert!(
            matches!(list.sign(&f.root), Err(TrustError::Malformed { .. })),
            "{scheme}/{level}"
        );
    }
    let mut empty = f.list.clone();
    empty.keys[1].scope[0].levels.clear();
    assert!(matches!(
        empty.sign(&f.root),
        Err(TrustError::Malformed { .. })
    ));
    // A version 1 list (keys with `schemes`/`levels`) is not read as version 2.
    let v1 = String::from_utf8(f.signed_list.clone())
        .unwrap()
        .replace("\"version\":2", "\"version\":1");
    assert!(TrustList::verify(v1.as_bytes(), &f.root.public_key()).is_err());
}

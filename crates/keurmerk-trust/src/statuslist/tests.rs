#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::keys::{Act, Grant};
use crate::TRUST_LIST_VERSION;

const SUB: &str = "https://keurmerk.example.eu/api/v1/status-list";

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
}

fn key_info(key: &SigningKey, role: Role) -> KeyInfo {
    KeyInfo {
        key_id: key.key_id(),
        public_key: key.public_key(),
        organisation_id: "registry".into(),
        organisation_name: "Registry".into(),
        role,
        member_state: None,
        scope: vec![Grant {
            act: Act::Registry,
            scheme: "eu-iot-baseline".into(),
            levels: vec!["basic".into()],
            valid_from: at(0) - Duration::days(30),
            valid_until: None,
        }],
        valid_from: at(0) - Duration::days(30),
        valid_until: at(0) + Duration::days(365),
        revoked_at: None,
    }
}

fn trust(keys: Vec<KeyInfo>) -> TrustList {
    TrustList {
        version: TRUST_LIST_VERSION,
        sequence: 1,
        issued_at: at(0),
        next_update: at(0) + Duration::days(7),
        log_verifier_key: String::new(),
        keys,
    }
}

fn registry() -> (SigningKey, TrustList) {
    let k = SigningKey::from_seed(&[7; 32]);
    let t = trust(vec![key_info(&k, Role::Registry)]);
    (k, t)
}

fn sample(len: u64) -> StatusList {
    let mut l = StatusList::new(2, len).unwrap();
    for i in 0..len {
        l.set(i, (i % 4) as u8).unwrap();
    }
    l
}

fn token(list: &StatusList, key: &SigningKey, iat: DateTime<Utc>) -> String {
    status_list_token(list, SUB, iat, iat + Duration::hours(2), 3600, key).unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

// draft-ietf-oauth-status-list §4.1, the 1-bit example: 16 statuses.
const DRAFT_1BIT: [u8; 16] = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
// §4.1, the 2-bit example: 12 statuses.
const DRAFT_2BIT: [u8; 12] = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];

#[test]
fn draft_example_one_bit_encodes() {
    let mut l = StatusList::new(1, 16).unwrap();
    for (i, v) in DRAFT_1BIT.iter().enumerate() {
        l.set(i as u64, *v).unwrap();
    }
    assert_eq!(l.as_bytes(), &[0xB9, 0xA3]);
    assert_eq!(l.encode_lst(), "eNrbuRgAAhcBXQ");
}

#[test]
fn draft_example_one_bit_decodes() {
    let l = StatusList::decode_lst(1, "eNrbuRgAAhcBXQ", MAX_STATUS_LIST_BYTES).unwrap();
    assert_eq!(l.as_bytes(), &[0xB9, 0xA3]);
    assert_eq!(l.len(), 16);
    for (i, v) in DRAFT_1BIT.iter().enumerate() {
        assert_eq!(l.get(i as u64).unwrap(), *v, "index {i}");
    }
}

#[test]
fn draft_example_two_bits_encodes() {
    let mut l = StatusList::new(2, 12).unwrap();
    for (i, v) in DRAFT_2BIT.iter().enumerate() {
        l.set(i as u64, *v).unwrap();
    }
    assert_eq!(l.as_bytes(), &[0xC9, 0x44, 0xF9]);
    assert_eq!(l.encode_lst(), "eNo76fITAAPfAgc");
}

#[test]
fn draft_example_two_bits_decodes() {
    let l = StatusList::decode_lst(2, "eNo76fITAAPfAgc", MAX_STATUS_LIST_BYTES).unwrap();
    assert_eq!(l.as_bytes(), &[0xC9, 0x44, 0xF9]);
    for (i, v) in DRAFT_2BIT.iter().enumerate() {
        assert_eq!(l.get(i as u64).unwrap(), *v, "index {i}");
    }
    // 3 bytes hold 12 two-bit slots, no more.
    assert_eq!(l.len(), 12);
    assert!(matches!(
        l.get(12),
        Err(TrustError::StatusIndexOutOfRange {
            index: 12,
            size: 12
        })
    ));
}

#[test]
fn every_label_status_maps_and_only_valid_is_zero() {
    let table = [
        (CertStatus::Valid, STATUS_VALID, ListedStatus::Valid),
        (
            CertStatus::Attention,
            STATUS_ATTENTION,
            ListedStatus::Attention,
        ),
        (
            CertStatus::Suspended,
            STATUS_SUSPENDED,
            ListedStatus::Suspended,
        ),
        (CertStatus::Withdrawn, STATUS_INVALID, ListedStatus::Invalid),
        (CertStatus::Expired, STATUS_INVALID, ListedStatus::Invalid),
        (
            CertStatus::SupportEnded,
            STATUS_INVALID,
            ListedStatus::Invalid,
        ),
        (CertStatus::Unknown, STATUS_INVALID, ListedStatus::Invalid),
    ];
    for (status, value, listed) in table {
        assert_eq!(status_type(status), value, "{status:?}");
        assert_eq!(ListedStatus::of(value).unwrap(), listed);
    }
    assert_eq!(
        (
            STATUS_VALID,
            STATUS_INVALID,
            STATUS_SUSPENDED,
            STATUS_ATTENTION
        ),
        (0, 1, 2, 3)
    );
}

#[test]
fn bits_other_than_1_2_4_8_are_refused() {
    for bits in [0, 3, 5, 7, 9, 16] {
        assert!(StatusList::new(bits, 4).is_err(), "{bits}");
        assert!(StatusList::decode_lst(bits, "eNo76fITAAPfAgc", 100).is_err());
    }
}

#[test]
fn a_value_too_wide_for_the_bits_is_refused() {
    let mut l = StatusList::new(2, 4).unwrap();
    assert!(l.set(0, 4).is_err());
    assert!(l.set(4, 0).is_err());
}

#[test]
fn a_zlib_bomb_is_refused() {
    // 8 MiB of zeros compress to about 8 KB.
    let bomb = URL_SAFE_NO_PAD.encode(zlib(&vec![0u8; 8 * 1024 * 1024]));
    assert!(bomb.len() < 20_000);
    let err = StatusList::decode_lst(2, &bomb, MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(err.to_string().contains("more than"), "{err}");
    // At exactly the limit it is accepted.
    let exact = URL_SAFE_NO_PAD.encode(zlib(&vec![0u8; 1024]));
    assert_eq!(StatusList::decode_lst(2, &exact, 1024).unwrap().len(), 4096);
    assert!(StatusList::decode_lst(2, &exact, 1023).is_err());
}

#[test]
fn a_truncated_lst_is_refused() {
    let full = zlib(sample(10_000).as_bytes());
    for cut in [1, 2, 4, 5, full.len() / 2, full.len() - 1] {
        let lst = URL_SAFE_NO_PAD.encode(&full[..full.len() - cut]);
        let err = StatusList::decode_lst(2, &lst, MAX_STATUS_LIST_BYTES).unwrap_err();
        assert!(
            matches!(err, TrustError::Malformed { .. }),
            "cut {cut}: {err}"
        );
    }
}

#[test]
fn bytes_after_the_stream_are_refused() {
    let mut z = zlib(&[0xC9, 0x44, 0xF9]);
    z.push(0);
    let err = StatusList::decode_lst(2, &URL_SAFE_NO_PAD.encode(z), 100).unwrap_err();
    assert!(err.to_string().contains("after the end"), "{err}");
}

#[test]
fn not_base64url_or_not_zlib_is_refused() {
    for lst in ["!!!", "eNo7+fITAAPfAgc", "AAAA", ""] {
        assert!(StatusList::decode_lst(2, lst, 100).is_err(), "{lst}");
    }
}

#[test]
fn a_signed_list_verifies_and_reads() {
    let (k, t) = registry();
    let list = sample(1000);
    let jwt = token(&list, &k, at(1));
    let v = verify_status_list_token(&jwt, &t, Some(SUB), at(2), MAX_STATUS_LIST_BYTES).unwrap();
    assert_eq!(v.list.as_bytes(), list.as_bytes());
    assert_eq!(v.status(0).unwrap(), ListedStatus::Valid);
    assert_eq!(v.status(1).unwrap(), ListedStatus::Invalid);
    assert_eq!(v.status(2).unwrap(), ListedStatus::Suspended);
    assert_eq!(v.status(3).unwrap(), ListedStatus::Attention);
    assert_eq!(v.ttl, Some(3600));
    assert_eq!(hex::encode(v.sha256), status_list_sha256(&jwt));
    // The header is what the draft says.
    let h = URL_SAFE_NO_PAD
        .decode(jwt.split('.').next().unwrap())
        .unwrap();
    let h: serde_json::Value = serde_json::from_slice(&h).unwrap();
    assert_eq!(h["alg"], "EdDSA");
    assert_eq!(h["typ"], "statuslist+jwt");
    // An index past the end is an error, never a status.
    let size = v.list.len();
    assert!(matches!(
        v.status(size),
        Err(TrustError::StatusIndexOutOfRange { .. })
    ));
}

#[test]
fn an_expired_list_is_refused() {
    let (k, t) = registry();
    let jwt = token(&sample(8), &k, at(1));
    let err = verify_status_list_token(&jwt, &t, None, at(3), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::StatusListExpired { .. }), "{err}");
}

/// A key that retired (its `valid_until` passed) stays in the trust list for what it signed;
/// had it leaked, a list it signed just before retiring that lives for years would verify for
/// years. No list may live longer than a day; one living a day is accepted.
#[test]
fn a_list_that_would_live_longer_than_a_day_is_refused() {
    let (k, t) = registry();
    let retired = at(0) + Duration::days(365);
    let iat = retired - Duration::seconds(1);
    let forever =
        status_list_token(&sample(8), SUB, iat, iat + Duration::days(3650), 60, &k).unwrap();
    let later = retired + Duration::days(365);
    let err =
        verify_status_list_token(&forever, &t, None, later, MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("after iat"), "{err}");
    let day = status_list_token(&sample(8), SUB, at(1), at(1) + Duration::days(1), 60, &k).unwrap();
    verify_status_list_token(&day, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap();
    let longer = status_list_token(
        &sample(8),
        SUB,
        at(1),
        at(1) + Duration::days(1) + Duration::seconds(1),
        60,
        &k,
    )
    .unwrap();
    verify_status_list_token(&longer, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap_err();
}

#[test]
fn a_list_from_the_future_is_refused() {
    let (k, t) = registry();
    let jwt = token(&sample(8), &k, at(5));
    let err = verify_status_list_token(&jwt, &t, None, at(4), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::FromTheFuture { .. }), "{err}");
}

#[test]
fn a_tampered_list_is_refused() {
    let (k, t) = registry();
    let jwt = token(&sample(8), &k, at(1));
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload: StatusListPayload =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload.status_list.lst = StatusList::new(2, 8).unwrap().encode_lst();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    let err =
        verify_status_list_token(&forged, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::BadSignature(_)), "{err}");
}

#[test]
fn only_a_registry_key_in_the_trust_list_may_sign() {
    let (_, t) = registry();
    let stranger = SigningKey::from_seed(&[9; 32]);
    let jwt = token(&sample(8), &stranger, at(1));
    let err = verify_status_list_token(&jwt, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::UnknownKey(_)), "{err}");

    let lab = SigningKey::from_seed(&[8; 32]);
    let t = trust(vec![key_info(&lab, Role::AssessmentBody)]);
    let jwt = token(&sample(8), &lab, at(1));
    let err = verify_status_list_token(&jwt, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::NotAuthorised { .. }), "{err}");
}

#[test]
fn a_list_signed_after_the_key_was_compromised_is_refused() {
    let k = SigningKey::from_seed(&[7; 32]);
    let mut info = key_info(&k, Role::Registry);
    info.revoked_at = Some(at(1));
    let t = trust(vec![info]);
    let jwt = token(&sample(8), &k, at(1));
    let err = verify_status_list_token(&jwt, &t, None, at(2), MAX_STATUS_LIST_BYTES).unwrap_err();
    assert!(matches!(err, TrustError::RevokedKey { .. }), "{err}");
}

#[test]
fn wrong_typ_alg_sub_or_bits_are_refused() {
    let (k, t) = registry();
    let sign = |header: serde_json::Value, payload: serde_json::Value| {
        let mut s = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
        s.push('.');
        s.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()));
        let sig = k.sign(s.as_bytes());
        s.push('.');
        s.push_str(&URL_SAFE_NO_PAD.encode(sig));
        s
    };
    let kid = k.key_id().to_string();
    let good_payload = serde_json::json!({
        "sub": SUB, "iat": at(1).timestamp(), "exp": at(3).timestamp(), "ttl": 60,
        "status_list": {"bits": 2, "lst": "eNo76fITAAPfAgc"}
    });
    let good_header = serde_json::json!({"alg": "EdDSA", "typ": "statuslist+jwt", "kid": kid});
    assert!(verify_status_list_token(
        &sign(good_header.clone(), good_payload.clone()),
        &t,
        Some(SUB),
        at(2),
        100
    )
    .is_ok());
    let cases = [
        (
            serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": kid}),
            good_payload.clone(),
            None,
        ),
        (
            serde_json::json!({"alg": "none", "typ": "statuslist+jwt", "kid": kid}),
            good_payload.clone(),
            None,
        ),
        (
            serde_json::json!({"alg": "EdDSA", "typ": "statuslist+jwt"}),
            good_payload.clone(),
            None,
        ),
        (
            good_header.clone(),
            good_payload.clone(),
            Some("https://elsewhere.example/list"),
        ),
        (
            good_header.clone(),
            serde_json::json!({"sub": SUB, "iat": at(1).timestamp(), "exp": at(3).timestamp(),
                "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}),
            None,
        ),
        (
            good_header.clone(),
            serde_json::json!({"sub": SUB, "iat": at(1).timestamp(), "exp": at(1).timestamp(),
                "status_list": {"bits": 2, "lst": "eNo76fITAAPfAgc"}}),
            None,
        ),
        (
            good_header.clone(),
            serde_json::json!({"sub": SUB, "iat": at(1).timestamp(),
                "status_list": {"bits": 2, "lst": "eNo76fITAAPfAgc"}}),
            None,
        ),
    ];
    for (i, (h, p, sub)) in cases.into_iter().enumerate() {
        let r = verify_status_list_token(&sign(h, p), &t, sub.or(Some(SUB)), at(2), 100);
        assert!(r.is_err(), "case {i} verified");
    }
}

#[test]
fn garbage_tokens_are_refused_with_a_reason() {
    let (_, t) = registry();
    for s in ["", ".", "..", "a.b.c", "a.b.c.d", "eyJ9.e30.AA"] {
        let err = verify_status_list_token(s, &t, None, at(2), 100).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn the_log_record_verifies_and_is_bound_to_its_key() {
    let (k, t) = registry();
    let r = StatusListRecord {
        sub: SUB.into(),
        sequence: 3,
        issued_at: at(1),
        expires_at: at(3),
        size: 12,
        sha256: status_list_sha256("x.y.z"),
    };
    let signed = r.sign(&k).unwrap();
    assert_eq!(StatusListRecord::verify(&signed, &t, at(2)).unwrap(), r);
    let tampered = String::from_utf8(signed.clone())
        .unwrap()
        .replace("\"size\":12", "\"size\":13");
    assert!(matches!(
        StatusListRecord::verify(tampered.as_bytes(), &t, at(2)),
        Err(TrustError::BadSignature(_))
    ));
    let lab = SigningKey::from_seed(&[8; 32]);
    let t2 = trust(vec![key_info(&lab, Role::Manufacturer)]);
    assert!(matches!(
        StatusListRecord::verify(&r.sign(&lab).unwrap(), &t2, at(2)),
        Err(TrustError::NotAuthorised { .. })
    ));
    // A statement is not a record and a record is not a statement.
    assert!(crate::verify_statement(&signed, &t, at(2)).is_err());
}

proptest! {
    #[test]
    fn round_trip(values in proptest::collection::vec(0u8..4, 0..5000)) {
        let mut l = StatusList::new(2, values.len() as u64).unwrap();
        for (i, v) in values.iter().enumerate() {
            l.set(i as u64, *v).unwrap();
        }
        let back = StatusList::decode_lst(2, &l.encode_lst(), MAX_STATUS_LIST_BYTES).unwrap();
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(back.get(i as u64).unwrap(), *v);
        }
        // Slots past the last label read as 0 only inside the final byte, and the list
        // never claims more slots than its bytes hold.
        prop_assert_eq!(back.len(), (values.len() as u64).div_ceil(4) * 4);
    }

    #[test]
    fn round_trip_any_bits(bits in prop_oneof![Just(1u8), Just(2), Just(4), Just(8)],
                           raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mask = ((1u16 << bits) - 1) as u8;
        let mut l = StatusList::new(bits, raw.len() as u64).unwrap();
        for (i, v) in raw.iter().enumerate() {
            l.set(i as u64, v & mask).unwrap();
        }
        let back = StatusList::decode_lst(bits, &l.encode_lst(), MAX_STATUS_LIST_BYTES).unwrap();
        prop_assert_eq!(back.as_bytes(), l.as_bytes());
    }

    #[test]
    fn decoding_any_string_never_panics(s in "\\PC{0,300}") {
        let _ = StatusList::decode_lst(2, &s, 4096);
        let (_, t) = registry();
        let _ = verify_status_list_token(&s, &t, None, at(2), 4096);
    }

    #[test]
    fn decoding_any_bytes_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = StatusList::decode_lst(2, &URL_SAFE_NO_PAD.encode(&raw), 4096);
        // A damaged valid stream: flip one byte.
        let mut z = zlib(&raw);
        let i = raw.len() % z.len();
        z[i] ^= 0x5a;
        if let Ok(l) = StatusList::decode_lst(2, &URL_SAFE_NO_PAD.encode(&z), 4096) {
            // The adler32 trailer makes an undetected change very unlikely; whatever decoded
            // was fully read and within the limit.
            prop_assert!(l.as_bytes().len() <= 4096);
        }
    }
}

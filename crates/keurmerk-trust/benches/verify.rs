//! Offline token verification vs a raw Ed25519 verification of the same signed bytes.
//! `cargo bench -p keurmerk-trust --bench verify -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64::Engine as _;
use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use keurmerk_trust::*;

fn bench(c: &mut Criterion) {
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
    let key = SigningKey::from_seed(&[3; 32]);
    let root = SigningKey::from_seed(&[1; 32]);
    let list = TrustList {
        version: TRUST_LIST_VERSION,
        sequence: 1,
        issued_at: at(2026, 1, 1),
        next_update: at(2027, 1, 1),
        log_verifier_key: String::new(),
        keys: vec![KeyInfo {
            key_id: key.key_id(),
            public_key: key.public_key(),
            organisation_id: "cab".into(),
            organisation_name: "CAB".into(),
            role: Role::AssessmentBody,
            member_state: None,
            scope: vec![Grant {
                act: Act::Issue,
                scheme: "eu-iot-baseline".into(),
                levels: vec!["basic".into(), "substantial".into()],
                valid_from: at(2025, 1, 1),
                valid_until: None,
            }],
            valid_from: at(2025, 1, 1),
            valid_until: at(2030, 1, 1),
            revoked_at: None,
        }],
    };
    let list = TrustList::verify(&list.sign(&root).unwrap(), &root.public_key()).unwrap();
    let claims = TokenClaims {
        certificate_id: "KM-2026-000123".into(),
        product_name: "Acme SmartCam Pro 4K Outdoor Security Cam".into(),
        model_designation: "SC-4000-EU/B rev.2".into(),
        scheme_id: "eu-iot-baseline".into(),
        level: "substantial".into(),
        issuer_kind: IssuerKind::ThirdParty,
        issued_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        valid_until: NaiveDate::from_ymd_opt(2028, 1, 31).unwrap(),
        support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
        status_index: None,
    };
    let url = label_url("https://keurmerk.example.eu", &claims, &key).unwrap();
    let token = url.split_once('#').unwrap().1.to_owned();
    let now = at(2026, 6, 1);
    assert!(verify_token(&token, &list, now).is_ok());

    // The same message and signature, verified with ed25519-dalek directly.
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token)
        .unwrap();
    let (body, sig) = raw.split_at(raw.len() - 64);
    let msg = [TOKEN_DOMAIN, body].concat();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(key.public_key().as_bytes()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(sig).unwrap();

    // A token by a key missing from the trust list is fully decoded, then rejected before any
    // signature check: this isolates the non-cryptographic overhead of verify_token.
    let stranger = SigningKey::from_seed(&[9; 32]);
    let foreign = issue_token(&claims, &stranger).unwrap();

    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify_token", |b| {
        b.iter(|| verify_token(black_box(&token), &list, now).unwrap())
    });
    g.bench_function("verify_label_input_url", |b| {
        b.iter(|| verify_label_input(black_box(&url), &list, now).unwrap())
    });
    g.bench_function("decode_only_unknown_key", |b| {
        b.iter(|| verify_token(black_box(&foreign), &list, now).unwrap_err())
    });
    g.bench_function("raw_ed25519_verify_strict", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), &sig).unwrap())
    });
    g.bench_function("raw_ed25519_verify", |b| {
        b.iter(|| ed25519_dalek::Verifier::verify(&vk, black_box(&msg), &sig).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

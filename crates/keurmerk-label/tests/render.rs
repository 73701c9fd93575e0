//! End to end: issue a token, render the label PNG, read the QR code back and verify it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use keurmerk_label::*;
use keurmerk_trust as trust;

#[test]
fn png_qr_code_decodes_to_the_label_url_and_its_token_verifies() {
    let key = trust::SigningKey::from_seed(&[3; 32]);
    let root = trust::SigningKey::from_seed(&[1; 32]);
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
    let list = trust::TrustList {
        version: trust::TRUST_LIST_VERSION,
        sequence: 1,
        issued_at: at(2026, 1, 1),
        next_update: at(2027, 1, 1),
        log_verifier_key: "keurmerk.example.eu/log+00000000+AQ".into(),
        keys: vec![trust::KeyInfo {
            key_id: key.key_id(),
            public_key: key.public_key(),
            organisation_id: "cab-1".into(),
            organisation_name: "TÜV Example".into(),
            role: trust::Role::AssessmentBody,
            member_state: None,
            scope: vec![trust::Grant {
                act: trust::Act::Issue,
                scheme: "sg-cls".into(),
                levels: vec!["3".into()],
                valid_from: at(2025, 1, 1),
                valid_until: None,
            }],
            valid_from: at(2025, 1, 1),
            valid_until: at(2030, 1, 1),
            revoked_at: None,
        }],
    };
    let list = trust::TrustList::verify(&list.sign(&root).unwrap(), &root.public_key()).unwrap();
    let claims = trust::TokenClaims {
        certificate_id: "KM-2026-000123".into(),
        product_name: "Acme SmartCam Pro 4K Outdoor Security Cam".into(),
        model_designation: "SC-4000-EU/B rev.2".into(),
        scheme_id: "sg-cls".into(),
        level: "3".into(),
        issuer_kind: trust::IssuerKind::ThirdParty,
        issued_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        valid_until: NaiveDate::from_ymd_opt(2029, 1, 31).unwrap(),
        support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
        status_index: None,
    };
    let url = trust::label_url("https://keurmerk.example.eu", &claims, &key).unwrap();
    let input = LabelInput {
        scheme_id: "sg-cls".into(),
        scheme_name: "Singapore Cybersecurity Labelling Scheme".into(),
        level_id: "3".into(),
        level_name: "Level 3".into(),
        stars: Some(3),
        issuer_kind: IssuerKind::ThirdParty,
        issuer_name: "TÜV Example".into(),
        support_until: claims.support_until,
        certificate_id: claims.certificate_id.clone(),
        qr_url: url.clone(),
        product_name: "Acme SmartCam Pro 4K Outdoor Security Cam SC-4000-EU/B rev.2".into(),
        design: Design::Stars,
        not_valid: None,
    };
    for lang in Lang::ALL {
        let png = render_png(&input, lang, 2.0).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!((img.width(), img.height()), (800, 1400));
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "{lang:?}");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, url);
        let v = trust::verify_label_input(&content, &list, at(2026, 6, 1)).unwrap();
        assert_eq!(v.claims, claims);
    }
}

#[test]
fn lang_parses_from_cli_codes() {
    assert_eq!("fr".parse::<Lang>().unwrap(), Lang::Fr);
    assert!(matches!(
        "xx".parse::<Lang>(),
        Err(LabelError::UnknownLang(_))
    ));
}

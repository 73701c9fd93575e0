use crate::fixture::*;
use keurmerk_trust::*;

fn now() -> chrono::DateTime<chrono::Utc> {
    at(2026, 6, 1)
}

#[test]
fn realistic_label_url_fits_and_verifies() {
    let f = fx();
    let c = claims();
    let url = label_url(BASE, &c, &f.cab).unwrap();
    assert!(
        url.len() <= MAX_LABEL_URL_BYTES,
        "{} bytes: {url}",
        url.len()
    );
    assert!(url.starts_with("https://keurmerk.example.eu/c/KM-2026-000123#"));
    let v = verify_label_input(&url, &f.list, now()).unwrap();
    assert_eq!(v.claims, c);
    assert!(!v.product_name_truncated && !v.model_designation_truncated);
    assert_eq!(v.issuer.organisation_name, "AssessmentBody Org");
    assert!(
        v.trust_list_stale,
        "fixture list's next_update is 2026-01-08"
    );
    // Deterministic.
    assert_eq!(url, label_url(BASE, &c, &f.cab).unwrap());
}

#[test]
fn long_names_are_truncated_deterministically() {
    let f = fx();
    let mut c = claims();
    c.product_name = "Überlange Produktbezeichnung für eine vernetzte Türklingel mit Kamera und Gegensprechanlage".into();
    c.model_designation = "DB-9000-XL-EU-PLUS-WIFI6-ZIGBEE-MATTER-EDITION".into();
    let url = label_url(BASE, &c, &f.cab).unwrap();
    assert!(url.len() <= MAX_LABEL_URL_BYTES, "{}", url.len());
    let v = verify_label_input(&url, &f.list, now()).unwrap();
    assert!(v.product_name_truncated && v.model_designation_truncated);
    assert!(c.product_name.starts_with(&v.claims.product_name));
    assert!(c.model_designation.starts_with(&v.claims.model_designation));
    assert!(v.claims.product_name.len() + 4 > v.claims.model_designation.len());
    assert_eq!(url, label_url(BASE, &c, &f.cab).unwrap());
    // Huge inputs and every budget are handled.
    c.product_name = "é".repeat(1000);
    for max in [180, 200, 240, 400, 1000] {
        let t = issue_token_within(&c, &f.cab, max).unwrap();
        assert!(t.len() <= max, "{max}: {}", t.len());
        assert!(verify_token(&t, &f.list, now()).is_ok());
    }
    assert!(matches!(
        issue_token_within(&c, &f.cab, 160),
        Err(TrustError::InvalidClaims(_))
    ));
}

#[test]
fn invalid_claims() {
    let f = fx();
    let mut c = claims();
    c.certificate_id = "KM 2026/1".into();
    assert!(matches!(
        issue_token(&c, &f.cab),
        Err(TrustError::InvalidClaims(_))
    ));
    let mut c = claims();
    c.scheme_id = String::new();
    assert!(matches!(
        issue_token(&c, &f.cab),
        Err(TrustError::InvalidClaims(_))
    ));
    let long_base = format!("https://{}", "x".repeat(300));
    assert!(matches!(
        label_url(&long_base, &claims(), &f.cab),
        Err(TrustError::InvalidClaims(_))
    ));
}

#[test]
fn malformed() {
    let f = fx();
    let good = issue_token(&claims(), &f.cab).unwrap();
    for bad in [
        "",
        "!!!!",
        "AAAA",
        &good[..good.len() - 4],
        &format!("{good}A"),
        &good.replace('-', "+"),
    ] {
        let err = verify_token(bad, &f.list, now()).unwrap_err();
        assert!(
            matches!(err, TrustError::Malformed { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn tampered() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let f = fx();
    let mut raw = b64.decode(issue_token(&claims(), &f.cab).unwrap()).unwrap();
    // Flip a byte inside the product name.
    let pos = raw.windows(4).position(|w| w == b"Acme").unwrap();
    raw[pos] = b'X';
    let err = verify_token(&b64.encode(&raw), &f.list, now()).unwrap_err();
    assert!(matches!(err, TrustError::BadSignature(_)), "{err:?}");
}

#[test]
fn unknown_key() {
    let f = fx();
    let t = issue_token(&claims(), &f.stranger).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, now()),
        Err(TrustError::UnknownKey(_))
    ));
}

#[test]
fn revoked_key() {
    let f = fx();
    let mut c = claims();
    c.issued_on = day(2026, 3, 1); // compromise at 2026-03-01T00:00Z
    let t = issue_token(&c, &f.revoked).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, now()),
        Err(TrustError::RevokedKey { .. })
    ));
    c.issued_on = day(2026, 2, 28);
    let t = issue_token(&c, &f.revoked).unwrap();
    assert!(verify_token(&t, &f.list, now()).is_ok());
}

#[test]
fn key_not_valid_and_out_of_scope() {
    let f = fx();
    let t = issue_token(&claims(), &f.old).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, now()),
        Err(TrustError::KeyNotValidAt { .. })
    ));
    // A manufacturer key cannot issue a third-party token.
    let t = issue_token(&claims(), &f.maker).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, now()),
        Err(TrustError::OutOfScope { .. })
    ));
    // …nor can a national authority (supervision only).
    let t = issue_token(&claims(), &f.authority).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, now()),
        Err(TrustError::OutOfScope { .. })
    ));
    // …but a manufacturer can self-declare at a level it may self-assess.
    let mut c = claims();
    c.issuer_kind = IssuerKind::SelfDeclared;
    c.level = "basic".into();
    let v = verify_token(&issue_token(&c, &f.maker).unwrap(), &f.list, now()).unwrap();
    assert_eq!(v.claims.issuer_kind, IssuerKind::SelfDeclared);
    // An assessment body's key cannot sign a self-declaration.
    assert!(matches!(
        verify_token(&issue_token(&c, &f.cab).unwrap(), &f.list, now()),
        Err(TrustError::OutOfScope { .. })
    ));
}

/// The forgery of issue 10: a manufacturer's key "self-declaring" EUCC high, which no scheme lets
/// a manufacturer self-assess. A wildcard scope accepted it.
#[test]
fn manufacturer_forging_eucc_high_is_out_of_scope() {
    let f = fx();
    let mut c = claims();
    c.scheme_id = "eucc".into();
    c.level = "high".into();
    for kind in [IssuerKind::SelfDeclared, IssuerKind::ThirdParty] {
        c.issuer_kind = kind;
        let err = verify_token(&issue_token(&c, &f.maker).unwrap(), &f.list, now()).unwrap_err();
        match err {
            TrustError::OutOfScope { claim, .. } => {
                assert!(claim.starts_with("eucc/high signed 2026-02-01"), "{claim}")
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

#[test]
fn body_token_outside_authorisation_or_its_dates() {
    let f = fx();
    let verify = |c: &TokenClaims| verify_token(&issue_token(c, &f.cab).unwrap(), &f.list, now());
    let out =
        |r: Result<VerifiedLabel, TrustError>| matches!(r, Err(TrustError::OutOfScope { .. }));
    let mut c = claims();
    // Never authorised for eucc/high.
    c.scheme_id = "eucc".into();
    c.level = "high".into();
    assert!(out(verify(&c)));
    // eucc/substantial: granted 2026-03-01.
    c.level = "substantial".into();
    c.issued_on = day(2026, 2, 28);
    assert!(out(verify(&c)), "signed before the grant");
    c.issued_on = day(2026, 3, 1);
    assert!(verify(&c).is_ok(), "the grant's day counts");
    // eu-iot-baseline/high: revoked 2026-01-15.
    let mut c = claims();
    c.level = "high".into();
    c.issued_on = day(2026, 1, 10);
    assert!(verify(&c).is_ok(), "issued while authorised");
    c.issued_on = day(2026, 1, 16);
    assert!(out(verify(&c)), "issued after the revocation");
}

#[test]
fn expired_certificate() {
    let f = fx();
    let t = issue_token(&claims(), &f.cab).unwrap();
    assert!(
        verify_token(&t, &f.list, at(2028, 1, 31)).is_ok(),
        "last day is still valid"
    );
    let err = verify_token(&t, &f.list, at(2028, 2, 1)).unwrap_err();
    assert!(
        matches!(err, TrustError::CertificateExpired { .. }),
        "{err:?}"
    );
}

#[test]
fn issued_in_the_future() {
    let f = fx();
    let t = issue_token(&claims(), &f.cab).unwrap();
    assert!(matches!(
        verify_token(&t, &f.list, at(2026, 1, 20)),
        Err(TrustError::FromTheFuture { .. })
    ));
}

#[test]
fn wrong_certificate_id_in_url() {
    let f = fx();
    let url = label_url(BASE, &claims(), &f.cab).unwrap();
    let swapped = url.replace("/c/KM-2026-000123#", "/c/KM-2026-000999#");
    let err = verify_label_input(&swapped, &f.list, now()).unwrap_err();
    assert!(
        matches!(err, TrustError::CertificateIdMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn parse_input_forms() {
    let f = fx();
    let url = label_url(BASE, &claims(), &f.cab).unwrap();
    let token = url.split_once('#').unwrap().1;
    let p = parse_label_input(&url).unwrap();
    assert_eq!(p.token, token);
    assert_eq!(p.certificate_id.as_deref(), Some("KM-2026-000123"));
    assert_eq!(p.base_url.as_deref(), Some(BASE));
    let bare = parse_label_input(token).unwrap();
    assert_eq!((bare.token.as_str(), bare.certificate_id), (token, None));
    let file = format!("\u{feff}\n\n  {url}  \r\nsecond line\n");
    assert_eq!(parse_label_input(&file).unwrap(), p);
    let with_query = url.replace("#", "?lang=nl#");
    assert_eq!(
        parse_label_input(&with_query).unwrap().certificate_id,
        p.certificate_id
    );
    for bad in [
        "",
        "   \n",
        "https://x.eu/c/KM-1",
        "https://x.eu/other#abc",
        "https://x.eu/c/#abc",
        "abc def",
        "https://x.eu/c/KM#a b",
    ] {
        assert!(
            matches!(parse_label_input(bad), Err(TrustError::Malformed { .. })),
            "{bad:?}"
        );
    }
}

/// Known-answer vector, reproduced in docs/FORMATS.md. Run with `--nocapture` to print it.
#[test]
fn worked_example() {
    let f = fx();
    let url = label_url(BASE, &claims(), &f.cab).unwrap();
    let token = url.split_once('#').unwrap().1;
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .unwrap();
    assert_eq!(
        url,
        "https://keurmerk.example.eu/c/KM-2026-000123#AQG2LoZ_ovM6_oWgAd6lAbyvAQ5LTS0yMDI2LTAwMDEyMw9ldS1pb3QtYmFzZWxpbmULc3Vic3RhbnRpYWwpQWNtZSBTbWFydENhbSBQcm8gNEsgT3V0ZG9vciBTZWN1cml0eSBDYW0SU0MtNDAwMC1FVS9CIHJldi4yRjNgtLpuIvV4ITh0pQhCmK0Z1nEPLWRY6me2uoM9gFmWPib_IJlOIVNQVhIKqpFr8mNTmQ9wKwm7uMoTqnm1AQ"
    );
    println!("cab public key (b64): {}", f.cab.public_key().to_base64());
    println!("cab key id: {}", f.cab.key_id());
    println!("url ({} bytes): {url}", url.len());
    println!("token ({} chars, {} bytes)", token.len(), raw.len());
    println!("hex: {}", hex::encode(&raw));
    println!(
        "statement: {}",
        String::from_utf8(
            sign_statement(
                &crate::statement::stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1)),
                &f.cab
            )
            .unwrap()
        )
        .unwrap()
    );
    println!(
        "trust list: {}",
        String::from_utf8(f.signed_list.clone()).unwrap()
    );
    println!("root public key (b64): {}", f.root.public_key().to_base64());
    println!("forged level url: {}", crate::formats::forged_level_url(&f));
    let st = crate::formats::example_status();
    println!(
        "status: {}",
        String::from_utf8(st.sign(&f.registry).unwrap()).unwrap()
    );
}

#[test]
fn a_token_carries_its_status_index_and_old_tokens_still_verify() {
    let f = fx();
    let old = claims();
    assert_eq!(old.status_index, None);
    let old_url = label_url(BASE, &old, &f.cab).unwrap();
    assert_eq!(
        verify_label_input(&old_url, &f.list, now())
            .unwrap()
            .claims
            .status_index,
        None
    );
    for idx in [0, 1, 127, 128, 999_999, u32::MAX] {
        let mut c = claims();
        c.status_index = Some(idx);
        let url = label_url(BASE, &c, &f.cab).unwrap();
        assert!(url.len() <= MAX_LABEL_URL_BYTES);
        let v = verify_label_input(&url, &f.list, now()).unwrap();
        assert_eq!(v.claims.status_index, Some(idx));
        // A long index takes room from the names, which are then cut by the usual rule.
        if !v.product_name_truncated && !v.model_designation_truncated {
            assert_eq!(v.claims, c);
        } else {
            assert!(c.product_name.starts_with(&v.claims.product_name));
        }
    }
}

#[test]
fn a_status_index_flag_without_its_index_is_refused() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let f = fx();
    let mut c = claims();
    c.status_index = Some(300);
    let token = issue_token(&c, &f.cab).unwrap();
    let raw = b64.decode(&token).unwrap();
    // Drop the two varint bytes of the index (keeping the signature): the layout no longer
    // matches, so it is malformed (and the signature would not match either).
    let (body, sig) = raw.split_at(raw.len() - 64);
    let mut cut = body[..body.len() - 2].to_vec();
    cut.extend_from_slice(sig);
    let err = verify_token(&b64.encode(cut), &f.list, now()).unwrap_err();
    assert!(matches!(err, TrustError::Malformed { .. }), "{err}");
    // Removing the flag from a token with an index breaks its signature.
    let mut unflagged = raw.clone();
    unflagged[1] &= !0b1000;
    assert!(verify_token(&b64.encode(unflagged), &f.list, now()).is_err());
}

#[test]
fn a_token_whose_index_differs_from_the_signed_status_is_rejected_online() {
    let f = fx();
    let mut c = claims();
    c.status_index = Some(7);
    let label = verify_label_input(&label_url(BASE, &c, &f.cab).unwrap(), &f.list, now()).unwrap();
    let mut resp = crate::status::resp(CertStatus::Valid);
    resp.status_list = Some(StatusListRef {
        idx: 8,
        uri: "https://keurmerk.example.eu/api/v1/status-list".into(),
    });
    assert!(matches!(
        resp.check_label(&label),
        Err(TrustError::ClaimsMismatch {
            field: "status_index",
            ..
        })
    ));
    resp.status_list.as_mut().unwrap().idx = 7;
    resp.check_label(&label).unwrap();
}

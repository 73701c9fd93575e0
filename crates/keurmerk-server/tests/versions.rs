//! Status per version over HTTP and on the certificate page (issue 12 item 2): the demo doorbell
//! has versions 1.0 (an exploited critical problem, still supported) and 1.1 (fixed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_store::CertificateFilter;
use support::app;

async fn doorbell(a: &support::App) -> String {
    let products = a
        .reg
        .search_products(&keurmerk_store::ProductFilter {
            text: Some("BC-DB1".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let bell = products
        .iter()
        .find(|p| p.model == "BC-DB1")
        .expect("the demo has the doorbell");
    a.reg
        .certificates(&CertificateFilter {
            product: Some(bell.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id
        .to_string()
}

#[tokio::test]
async fn status_per_version_over_http() {
    let a = app().await;
    let id = doorbell(&a).await;
    // The label: not green, the reason names 1.0.
    let r = a.get(&format!("/api/v1/certificates/{id}/status")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_ne!(j["status"], "valid", "{j}");
    assert_eq!(j["covered_versions"], serde_json::json!(["1.0", "1.1"]));
    let first = &j["reasons"][0];
    assert_eq!(first["code"], "vulnerability_open", "{j}");
    assert_eq!(first["details"]["versions"], serde_json::json!(["1.0"]));
    assert!(first["text"].as_str().unwrap().contains("version 1.0"));
    assert!(j.get("version").is_none());

    // 1.0: install 1.1.
    let r = a
        .get(&format!("/api/v1/certificates/{id}/status?version=1.0"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_eq!(j["reasons"][0]["code"], "install_update", "{j}");
    assert_eq!(j["reasons"][0]["details"]["version"], "1.1");
    assert_eq!(j["version"]["install"], "1.1");
    assert_eq!(j["version"]["covered"], true);
    assert_ne!(j["status"], "valid");

    // 1.1: fine.
    let r = a
        .get(&format!(
            "/api/v1/certificates/{id}/status?version=1.1&lang=nl"
        ))
        .await;
    let j = r.json();
    assert_eq!(j["status"], "valid", "{j}");
    assert_eq!(j["version"]["open_vulnerabilities"], serde_json::json!([]));
    assert!(j["version"]["install"].is_null());

    // A version it does not cover.
    let j = a
        .get(&format!("/api/v1/certificates/{id}/status?version=0.9"))
        .await
        .json();
    assert_eq!(j["reasons"][0]["code"], "version_not_covered");
    assert_eq!(j["version"]["covered"], false);

    // Refused: 422 with the envelope naming `version`; 404 for an unknown certificate.
    for bad in ["", "%00", &"9".repeat(101)] {
        let r = a
            .get(&format!("/api/v1/certificates/{id}/status?version={bad}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert!(r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version"));
    }
    let r = a
        .get(&format!(
            "/api/v1/certificates/{id}/status?version=1.0&signed=1"
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = a
        .get("/api/v1/certificates/KM-2020-999999/status?version=1.0")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn the_certificate_page_asks_which_version_and_answers_for_it() {
    let a = app().await;
    let id = doorbell(&a).await;
    let page = a.get(&format!("/c/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Which version is on your device?"));
    // Plain links, no script needed.
    assert!(
        page.text.contains(&format!("/c/{id}?version=1.0")),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<script"));

    let old = a.get(&format!("/c/{id}?version=1.0")).await;
    assert_eq!(old.status, StatusCode::OK);
    assert!(
        old.text.contains("data-reason=\"install_update\""),
        "{}",
        old.text
    );
    assert!(old.text.contains("Install update 1.1"));

    let new = a.get(&format!("/c/{id}?version=1.1")).await;
    assert!(new
        .text
        .contains("This version has no known unfixed security problems."));
    assert!(!new.text.contains("data-reason=\"install_update\""));

    // In every language, the question and the answer are there.
    for (lang, question, install) in [
        (
            "nl",
            "Welke versie staat op uw apparaat?",
            "Installeer update 1.1",
        ),
        (
            "de",
            "Welche Version ist auf Ihrem Gerät?",
            "Installieren Sie das Update 1.1",
        ),
        (
            "fr",
            "Quelle version est sur votre appareil ?",
            "Installez la mise à jour 1.1",
        ),
    ] {
        let p = a.get(&format!("/c/{id}?version=1.0&lang={lang}")).await;
        assert!(p.text.contains(question), "{lang}");
        assert!(p.text.contains(install), "{lang}");
    }
    // An unreadable version is no question: the page still answers for the label.
    let p = a.get(&format!("/c/{id}?version=")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.text.contains("version-answer"));
}

#[tokio::test]
async fn the_holder_declares_and_only_the_issuer_confirms_or_refuses_over_http() {
    let a = app().await;
    let id = doorbell(&a).await;
    let cert = a
        .reg
        .certificate_details(&id.parse().unwrap())
        .await
        .unwrap();
    let product = cert.product.id.to_string();
    let maker = a.token("brightcam").await;
    let lab = a.token("rhein-pruef").await;
    let add = |v: &'static str| {
        let (a, maker, product) = (&a, maker.clone(), product.clone());
        async move {
            let r = a
                .call(
                    "POST",
                    &format!("/api/v1/products/{product}/versions"),
                    Some(&maker),
                    Some(serde_json::json!({"version": v, "released_on": "2026-01-15", "security_update": false})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.json()["id"].as_str().unwrap().to_owned()
        }
    };
    let v2 = add("2.0").await;
    let v3 = add("3.0").await;
    let declare = |v: String, class: &'static str| {
        serde_json::json!({"version": v, "class": class,
            "impact": "New login screen; the password rules are unchanged.",
            "sbom": {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}})
    };
    let uri = format!("/api/v1/certificates/{id}/versions");
    // Not the holder: 401 without a token, 403 for another maker or the lab.
    let r = a
        .call(
            "POST",
            &uri,
            None,
            Some(declare(v2.clone(), "security_function_change")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for other in [a.token("holland-home").await, lab.clone()] {
        let r = a
            .call(
                "POST",
                &uri,
                Some(&other),
                Some(declare(v2.clone(), "security_function_change")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    // A class nobody knows: 422.
    let r = a
        .call(
            "POST",
            &uri,
            Some(&maker),
            Some(declare(v2.clone(), "cosmetic")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Declared: waits for the issuer.
    let r = a
        .call(
            "POST",
            &uri,
            Some(&maker),
            Some(declare(v2.clone(), "security_function_change")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["covered"], false);
    let confirm = format!("/api/v1/certificates/{id}/versions/{v2}/confirm");
    // The holder and another lab may not confirm.
    for other in [maker.clone(), a.token("delta-testlab").await] {
        let r = a.call("POST", &confirm, Some(&other), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    let r = a.call("POST", &confirm, Some(&lab), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["covered"], true);
    // Twice: 409.
    let r = a.call("POST", &confirm, Some(&lab), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let j = a
        .get(&format!("/api/v1/certificates/{id}/status?version=2.0"))
        .await
        .json();
    assert_eq!(j["version"]["covered"], true, "{j}");

    // Refused, then confirmed: 409.
    let r = a
        .call(
            "POST",
            &uri,
            Some(&maker),
            Some(declare(v3.clone(), "security_function_change")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let refuse = format!("/api/v1/certificates/{id}/versions/{v3}/refuse");
    let r = a
        .call(
            "POST",
            &refuse,
            Some(&lab),
            Some(serde_json::json!({"reason": "The login flow needs testing."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["covered"], false);
    let r = a
        .call(
            "POST",
            &format!("/api/v1/certificates/{id}/versions/{v3}/confirm"),
            Some(&lab),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let j = a
        .get(&format!("/api/v1/certificates/{id}/status?version=3.0"))
        .await
        .json();
    assert_eq!(j["version"]["covered"], false);
}

//! The maker's update record over HTTP and on the pages (issue 12 item 5), on the demo: the
//! doorbell's Log4Shell, found in 1.0 and fixed by the 1.1 security patch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_store::CertificateFilter;
use support::app;

/// The doorbell's product id, its certificate and its maker.
async fn doorbell(a: &support::App) -> (String, String, String) {
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
    let cert = a
        .reg
        .certificates(&CertificateFilter {
            product: Some(bell.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id
        .to_string();
    (bell.id.to_string(), cert, bell.manufacturer.to_string())
}

#[tokio::test]
async fn the_record_as_data_and_linked_from_the_status() {
    let a = app().await;
    let (product, cert, maker) = doorbell(&a).await;
    let r = a
        .get(&format!("/api/v1/products/{product}/update-record"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_eq!(j["unverified"], serde_json::json!([]));
    let critical = &j["by_severity"]["critical"];
    assert_eq!(critical["fixed"], 1, "{j}");
    assert_eq!(critical["deadline_met"], 1, "{j}");
    assert_eq!(critical["median_days"], 5, "{j}");
    let log4shell = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"] == "GHSA-jfh8-c2jp-5v3q")
        .expect("Log4Shell is a finding");
    assert_eq!(log4shell["outcome"]["how"], "fixed");
    assert_eq!(log4shell["outcome"]["version"], "1.1");

    // The status answer links the record of the certificate's product, which is the same.
    let status = a
        .get(&format!("/api/v1/certificates/{cert}/status"))
        .await
        .json();
    let link = status["update_record"].as_str().unwrap().to_owned();
    assert_eq!(link, format!("/api/v1/certificates/{cert}/update-record"));
    let via = a.get(&link).await.json();
    assert_eq!(via["findings"], j["findings"]);

    // The maker's record holds the doorbell's finding too.
    let org = a
        .get(&format!("/api/v1/organisations/{maker}/update-record"))
        .await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.text);
    let org = org.json();
    assert!(org["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["vulnerability"] == "GHSA-jfh8-c2jp-5v3q" && f["product"] == product.as_str()));
    assert!(org["certificates"].as_array().unwrap().len() > 1, "{org}");
    // The demo's floodlight camera: a serious problem fixed 70 days after it was found (the
    // scheme gives 60), another fixed on the day; its support ended as promised.
    let high = &org["by_severity"]["high"];
    assert_eq!(
        (high["fixed"].as_u64(), high["fixed_late"].as_u64()),
        (Some(2), Some(1)),
        "{org}"
    );
    assert_eq!(high["worst_days"], 70, "{org}");
    assert!(
        org["support"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["ended_as_announced"] == true),
        "{org}"
    );

    // Unknown and malformed ids.
    let r = a.get("/api/v1/products/PRD-999999/update-record").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = a
        .get("/api/v1/organisations/nobody-here/update-record")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = a.get("/api/v1/products/not%20an%20id/update-record").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn the_record_in_plain_words_in_four_languages() {
    let a = app().await;
    let (product, _, maker) = doorbell(&a).await;
    for (lang, heading, words) in [
        (
            "en",
            "How the maker fixes security problems",
            "1 of 1 fixed",
        ),
        (
            "nl",
            "Hoe de fabrikant beveiligingsproblemen oplost",
            "1 van 1 opgelost",
        ),
        (
            "de",
            "Wie der Hersteller Sicherheitsprobleme behebt",
            "1 von 1 behoben",
        ),
        (
            "fr",
            "Comment le fabricant corrige les problèmes de sécurité",
            "1 sur 1 corrigés",
        ),
    ] {
        let page = a.get(&format!("/products/{product}?lang={lang}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(heading), "{lang}: {}", page.text);
        assert!(page.text.contains(words), "{lang}: {}", page.text);
        let full = a
            .get(&format!("/products/{product}/update-record?lang={lang}"))
            .await;
        assert_eq!(full.status, StatusCode::OK);
        assert!(full.text.contains(words), "{lang}");
        let org = a
            .get(&format!("/org/{maker}/update-record?lang={lang}"))
            .await;
        assert_eq!(org.status, StatusCode::OK, "{}", org.text);
        assert!(org.text.contains("BrightCam Video Doorbell"), "{lang}");
        let late = [
            "1 of 3 fixes came late",
            "1 van 3 oplossingen kwamen te laat",
            "1 von 3 Korrekturen kamen zu spät",
            "1 sur 3 correctifs en retard",
        ];
        assert!(
            late.iter().any(|w| org.text.contains(w)),
            "{lang}: {}",
            org.text
        );
    }
    let missing = a.get("/org/nobody-here/update-record").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

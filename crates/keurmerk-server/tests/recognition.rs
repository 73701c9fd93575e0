//! Issue 11 through HTTP: the certificate page's "Where this label is accepted" section in four
//! languages, the recognition report and market access in the API, their rejections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_store::CertificateFilter;
use support::app;

async fn cert_of(a: &support::App, scheme: &str) -> keurmerk_domain::model::Certificate {
    a.reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.scheme.as_str() == scheme)
        .unwrap()
}

#[tokio::test]
async fn the_page_says_where_the_label_is_accepted_in_four_languages() {
    let a = app().await;
    let fi = cert_of(&a, "fi-traficom").await.id;
    let psti = cert_of(&a, "uk-psti").await.id;
    let cra = cert_of(&a, "eu-cra").await.id;
    for (lang, heading, recognised, ce, change, mandatory) in [
        (
            "en",
            "Where this label is accepted",
            "Recognised as",
            "This label is not the CE mark",
            "Changes on",
            "a legal requirement",
        ),
        (
            "nl",
            "Waar dit label wordt geaccepteerd",
            "Erkend als",
            "Dit label is niet de CE-markering",
            "Verandert op",
            "wettelijk verplicht",
        ),
        (
            "de",
            "Wo dieses Kennzeichen anerkannt wird",
            "Anerkannt als",
            "nicht die CE-Kennzeichnung",
            "Ändert sich am",
            "gesetzlich vorgeschrieben",
        ),
        (
            "fr",
            "Où ce label est reconnu",
            "Reconnu comme",
            "n&#39;est pas le marquage CE",
            "Change le",
            "obligatoire",
        ),
    ] {
        // Transition: the legacy Finnish label is recognised as CLS Level 3, with the source.
        let p = a.get(&format!("/c/{fi}?lang={lang}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.text.contains(heading), "{lang}: {heading}");
        assert!(
            p.text.contains(&format!("{recognised} CLS Level 3")),
            "{lang}"
        );
        assert!(p.text.contains("Singapore and Finland"), "{lang}: source");
        assert!(
            p.text.contains(ce) || p.text.contains(&ce.replace("&#39;", "'")),
            "{lang}: {ce}"
        );
        // Supervision follows the scheme: a UK PSTI statement of a Dutch maker is supervised
        // by the UK's OPSS, never the Dutch authority; it is a legal requirement there.
        let p = a.get(&format!("/c/{psti}?lang={lang}")).await;
        assert!(
            p.text.contains("Office for Product Safety and Standards"),
            "{lang}"
        );
        assert!(!p.text.contains("Rijksinspectie"), "{lang}");
        assert!(p.text.contains(mandatory), "{lang}: {mandatory}");
        // A legal status that changes on a date is shown before it happens (the CRA,
        // mandatory from 2027-12-11).
        let p = a.get(&format!("/c/{cra}?lang={lang}")).await;
        assert!(p.text.contains(change), "{lang}: {change}");
        assert!(p.text.contains("2027"), "{lang}");
    }
}

#[tokio::test]
async fn recognition_report_through_the_api() {
    let a = app().await;
    let plug = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.scheme.as_str() == "sg-cls" && c.level.as_str() == "l2")
        .unwrap()
        .id;
    let r = a
        .get(&format!(
            "/api/v1/certificates/{plug}/recognition?lang=nl&at=2026-12-01"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_eq!(j["certificate"], plug.to_string());
    assert_eq!(j["at"], "2026-12-01");
    assert!(j["baseline"]["covered"].is_array());
    assert!(j["baseline"]["missing_mandatory"].is_array());
    let de = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scheme"] == "de-bsi-itsik")
        .unwrap();
    assert_eq!(de["outcome"], "accepted");
    assert_eq!(de["basis"], "agreement");
    assert_eq!(de["kind"], "mutual_recognition");
    assert_eq!(de["jurisdictions"], serde_json::json!(["DE"]));
    assert!(de["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("geaccepteerd"));
    // Before the German arrangement (20 Oct 2022) it was not in force.
    let old = a
        .get(&format!(
            "/api/v1/certificates/{plug}/recognition?at=2022-10-19"
        ))
        .await
        .json();
    let de = old["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scheme"] == "de-bsi-itsik")
        .unwrap();
    assert_ne!(de["outcome"], "accepted");
    assert!(de["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["code"] == "not_yet_in_force"));
    // Rejections in the JSON envelope.
    for (uri, status) in [
        (
            format!("/api/v1/certificates/{plug}/recognition?at=2026-13-01"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/certificates/{plug}/recognition?lang=es"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/certificates/KM-2026-999999/recognition".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/certificates/not%20an%20id/recognition".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = a.get(&uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text);
        assert!(r.json()["error"]["code"].is_string(), "{uri}");
    }
}

#[tokio::test]
async fn market_access_through_the_api() {
    let a = app().await;
    let psti = cert_of(&a, "uk-psti").await;
    let uri = format!(
        "/api/v1/products/{}/market-access?markets=EU,UK,SG&at=2026-12-01",
        psti.product
    );
    let r = a.get(&uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let j = r.json();
    assert_eq!(j["product"], psti.product.to_string());
    assert_eq!(j["category"], "thermostat");
    let markets: Vec<_> = j["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["market"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(markets, ["EU", "GB", "SG"]);
    assert_eq!(j["markets"][1]["mandatory"][0]["scheme"], "uk-psti");
    assert_eq!(j["markets"][1]["mandatory"][0]["satisfied"], "directly");
    assert_eq!(
        j["plan"]["regimes"],
        serde_json::json!(["eu-red-en18031/conformity"])
    );
    assert!(!j["plan"]["provisions"].as_array().unwrap().is_empty());
    // Every market by default.
    let all = a
        .get(&format!("/api/v1/products/{}/market-access", psti.product))
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.json()["markets"].as_array().unwrap().len() >= 6);
    for (uri, status) in [
        (
            format!("/api/v1/products/{}/market-access?markets=ZZ", psti.product),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "/api/v1/products/{}/market-access?markets=EUR",
                psti.product
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/products/{}/market-access?markets=eu", psti.product),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "/api/v1/products/{}/market-access?markets=EU,%20DE",
                psti.product
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/products/{}/market-access?markets=", psti.product),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "/api/v1/products/{}/market-access?at=yesterday",
                psti.product
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/products/PRD-999999/market-access?markets=EU".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = a.get(&uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text);
        assert!(r.json()["error"]["code"].is_string(), "{uri}");
    }
}

#[tokio::test]
async fn the_makers_market_access_page_in_four_languages() {
    let a = app().await;
    let psti = cert_of(&a, "uk-psti").await;
    let pid = psti.product;
    for (lang, heading, plan, met) in [
        (
            "en",
            "Where this product may be sold",
            "The fewest requirements still to check",
            "Met by the label",
        ),
        (
            "nl",
            "Waar dit product verkocht mag worden",
            "De minste eisen die nog gecontroleerd moeten worden",
            "Voldaan door het label",
        ),
        (
            "de",
            "Wo dieses Produkt verkauft werden darf",
            "Die wenigsten noch zu prüfenden Anforderungen",
            "Erfüllt durch das Kennzeichen",
        ),
        (
            "fr",
            "Où ce produit peut être vendu",
            "Le moins d&#39;exigences encore à contrôler",
            "Respecté grâce au label",
        ),
    ] {
        let p = a
            .get(&format!(
                "/products/{pid}/market-access?lang={lang}&markets=EU,UK"
            ))
            .await;
        assert_eq!(p.status, StatusCode::OK, "{lang}");
        let text = p.text.replace("&#39;", "'");
        for want in [heading, plan, met] {
            assert!(text.contains(&want.replace("&#39;", "'")), "{lang}: {want}");
        }
        assert!(p.text.contains("eu-red-en18031/conformity"), "{lang}");
        assert!(!p.text.contains("<script"));
    }
    // The certificate page links to it.
    let c = a.get(&format!("/c/{}", psti.id)).await;
    assert!(c.text.contains(&format!("/products/{pid}/market-access")));
    // What the page cannot read is said, not refused (as for `?lang=`).
    for (bad, notice) in [
        ("markets=ZZ", "Markets not understood"),
        ("at=2026-02-30", "The date was not understood"),
    ] {
        let p = a.get(&format!("/products/{pid}/market-access?{bad}")).await;
        assert_eq!(p.status, StatusCode::OK, "{bad}");
        assert!(p.text.contains(notice), "{bad}");
    }
    let p = a.get("/products/PRD-999999/market-access").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

/// "Not yet in force" on the certificate page, in four languages: the JC-STAR ★1 label is a
/// simplified CLS Level 1 application only from 2026-06-01 (`?at=` the day before and the day of).
#[tokio::test]
async fn not_yet_in_force_on_the_page_the_day_before() {
    let a = app().await;
    let jc = a
        .reg
        .certificates(&keurmerk_store::CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.scheme.as_str() == "jp-jc-star")
        .expect("the demo has a JC-STAR label");
    for (lang, words) in [
        ("en", "only from"),
        ("nl", "pas vanaf"),
        ("de", "erst ab"),
        ("fr", "seulement à partir du"),
    ] {
        let before = a
            .get(&format!("/c/{}?lang={lang}&at=2026-05-31", jc.id))
            .await;
        assert_eq!(before.status, axum::http::StatusCode::OK);
        let html = before.text.replace("&nbsp;", " ");
        assert!(html.contains(words), "{lang}: {}", before.text);
        let on = a
            .get(&format!("/c/{}?lang={lang}&at=2026-06-01", jc.id))
            .await;
        assert!(!on.text.contains(words), "{lang}");
    }
}

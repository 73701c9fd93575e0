//! Vulnerability monitoring over the API: SBOM and VEX uploads by the holder, findings for those
//! who may see them, exploited marks by authorities, bad documents named, size limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use keurmerk_domain::ids::OrgId;
use keurmerk_store::ProductFilter;
use serde_json::json;
use support::app;

#[tokio::test]
async fn the_holder_uploads_sboms_and_vex_and_reads_findings() {
    let a = app().await;
    let hh = a
        .reg
        .search_products(&ProductFilter {
            manufacturer: Some(OrgId::new("holland-home").unwrap()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let product = hh[0].id.clone();
    let version = a.reg.product_details(&product).await.unwrap().versions[0]
        .id
        .clone();
    let maker = a.token("holland-home").await;
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "name": "xz", "version": "5.6.0", "purl": "pkg:generic/xz@5.6.0"},
        {"type": "library", "name": "nameless"}]});
    let r = a
        .call(
            "POST",
            &format!("/api/v1/versions/{version}/sbom"),
            Some(&maker),
            Some(sbom),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["components"], 2);
    assert_eq!(r.json()["matchable"], 1);

    // Findings: the holder and the operator may read them; another maker may not; no token: 401.
    let uri = format!("/api/v1/products/{product}/findings");
    assert_eq!(a.get_as(&uri, Some(&maker)).await.status, StatusCode::OK);
    let op = a.get_as(&uri, Some(&a.token("enisa").await)).await;
    assert_eq!(op.status, StatusCode::OK, "{}", op.text);
    assert!(op.json().is_array());
    let other = a.get_as(&uri, Some(&a.token("brightcam").await)).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text);
    assert_eq!(a.get_as(&uri, None).await.status, StatusCode::UNAUTHORIZED);

    // Bad documents are named, not stored; the earlier SBOM stays.
    for (body, want) in [
        (
            "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"9.9\"}",
            "9.9",
        ),
        ("not a document", "SBOM"),
        ("   ", "empty"),
    ] {
        let r = a
            .send(
                Request::post(format!("/api/v1/versions/{version}/sbom"))
                    .header("authorization", format!("Bearer {maker}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
        assert!(r.text.contains(want), "{body}: {}", r.text);
        assert!(r.json()["error"]["code"].is_string(), "{}", r.text);
    }
    let again = a.get_as(&uri, Some(&maker)).await;
    assert_eq!(again.status, StatusCode::OK);

    // SBOMs may be larger than the 1 MiB limit of other bodies, up to 16 MiB.
    let mut big = String::from(
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": ["#,
    );
    for i in 0..15_000 {
        if i > 0 {
            big.push(',');
        }
        big.push_str(&format!(
            r#"{{"type": "library", "name": "lib{i}", "version": "1.0.{i}", "purl": "pkg:generic/lib{i}@1.0.{i}"}}"#
        ));
    }
    big.push_str("]}");
    assert!(
        big.len() > 1024 * 1024,
        "more than the 1 MiB limit of other bodies"
    );
    let r = a
        .send(
            Request::post(format!("/api/v1/versions/{version}/sbom"))
                .header("authorization", format!("Bearer {maker}"))
                .header("content-type", "application/json")
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["components"], 15_000);
    let huge = vec![b' '; 17 * 1024 * 1024];
    let r = a
        .send(
            Request::post(format!("/api/v1/versions/{version}/sbom"))
                .header("authorization", format!("Bearer {maker}"))
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");

    // VEX: a statement without a justification is refused with the reason.
    let bad_vex = json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "HH",
        "timestamp": "2026-06-02T10:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2024-3094"},
                        "products": [{"@id": "pkg:generic/hh/plug"}], "status": "not_affected"}]});
    let r = a
        .call(
            "POST",
            &format!("/api/v1/products/{product}/vex"),
            Some(&maker),
            Some(bad_vex),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("vex"), "{}", r.text);

    // Marking exploited: an id no advisory names is refused (so a typo cannot look done)...
    let rdi = a.token("nl-rdi").await;
    let r = a
        .call(
            "POST",
            "/api/v1/vulnerabilities/CVE-2024-3094/exploited",
            Some(&rdi),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "not_found");
    // ...a known one an authority may mark, and the mark is audited.
    a.known_vulnerability("CVE-2024-3094").await;
    let r = a
        .call(
            "POST",
            "/api/v1/vulnerabilities/CVE-2024-3094/exploited",
            Some(&rdi),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"vulnerability": "CVE-2024-3094", "exploited": true})
    );
    let audit = a
        .get_as("/api/v1/audit?limit=50", Some(&a.token("enisa").await))
        .await
        .json();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "vulnerability.mark_exploited" && e["actor"] == "nl-rdi"));
}

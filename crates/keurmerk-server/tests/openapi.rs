//! The OpenAPI document: snapshot, and every served route is in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::app;

#[tokio::test]
async fn openapi_document_snapshot() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for r in keurmerk_server::all_routes() {
        let m = r.method.as_str().to_ascii_lowercase();
        assert!(
            doc["paths"][r.path][&m].is_object(),
            "{m} {} missing",
            r.path
        );
    }
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn product_registration_response_snapshot() {
    let a = app().await;
    let t = a.token("holland-home").await;
    let res = a
        .call(
            "POST",
            "/api/v1/products",
            Some(&t),
            Some(json!({"name": "Smart Plug", "model": "SP-1", "category": "smart_plug", "identifiers": {"gtin": "4006381333931"}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    insta::assert_json_snapshot!("create_product", res.json(), {".id" => "[id]", ".created_at" => "[timestamp]"});
}

#[tokio::test]
async fn body_errors_use_the_envelope_and_name_the_field() {
    let a = app().await;
    let t = a.token("holland-home").await;
    let missing = a
        .call(
            "POST",
            "/api/v1/products",
            Some(&t),
            Some(json!({"name": "X", "category": "router"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("model"),
        "{}",
        missing.text
    );
    insta::assert_json_snapshot!("missing_field", missing.json());
    let syntax = a
        .send(
            axum::http::Request::post("/api/v1/products")
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
    assert_eq!(syntax.json()["error"]["code"], "bad_request");
    let huge = a
        .send(
            axum::http::Request::post("/api/v1/products")
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(format!(
                    "{{\"name\":\"{}\"}}",
                    "x".repeat(2 << 20)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.json()["error"]["code"], "payload_too_large");
    let unknown = a.get("/api/v1/nothing").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn lists_are_paginated() {
    let a = app().await;
    let p1 = a.get("/api/v1/products?limit=2").await.json();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["next_offset"], 2);
    let p2 = a.get("/api/v1/products?limit=2&offset=2").await.json();
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let big = a.get("/api/v1/certificates?limit=100000").await.json();
    assert_eq!(big["limit"], 200);
}

#[tokio::test]
async fn a_manufacturer_registers_and_self_declares_over_the_api() {
    let a = app().await;
    let t = a.token("holland-home").await;
    let p = a
        .call(
            "POST",
            "/api/v1/products",
            Some(&t),
            Some(json!({"name": "Smart Lock", "model": "SL-2", "category": "smart_lock"})),
        )
        .await
        .json();
    let pid = p["id"].as_str().unwrap();
    let v = a
        .call(
            "POST",
            &format!("/api/v1/products/{pid}/versions"),
            Some(&t),
            Some(json!({"version": "1.0.0", "released_on": "2026-01-10", "security_update": true})),
        )
        .await
        .json();
    let scheme = a.get("/api/v1/schemes/eu-iot").await.json();
    let level = scheme["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "basic")
        .unwrap()
        .clone();
    let required: Vec<String> = match level["required"].as_array() {
        Some(r) => r.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        None => scheme["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["obligation"] == "mandatory")
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect(),
    };
    let verdicts: serde_json::Map<String, serde_json::Value> = required
        .into_iter()
        .map(|id| (id, json!({"verdict": "pass"})))
        .collect();
    let asm = a
        .call("POST", "/api/v1/assessments", Some(&t), Some(json!({"product": pid, "version": v["id"], "scheme": "eu-iot", "level": "basic", "verdicts": verdicts})))
        .await;
    assert_eq!(asm.status, StatusCode::CREATED, "{}", asm.text);
    assert_eq!(asm.json()["passed"], true, "{}", asm.text);
    let cert = a
        .call(
            "POST",
            &format!(
                "/api/v1/assessments/{}/certify",
                asm.json()["id"].as_str().unwrap()
            ),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(cert.status, StatusCode::CREATED, "{}", cert.text);
    let cid = cert.json()["id"].as_str().unwrap().to_owned();
    let page = a.get(&format!("/c/{cid}?lang=nl")).await;
    assert!(page.text.contains("Verklaard door de fabrikant"));
    let status = a
        .get(&format!("/api/v1/certificates/{cid}/status"))
        .await
        .json();
    assert_eq!(status["issuer_kind"], "self");
    let details = a.get(&format!("/api/v1/certificates/{cid}")).await.json();
    assert!(!details["history"].as_array().unwrap().is_empty());
}

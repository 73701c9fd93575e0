//! The OpenAPI document: snapshot, and every served route is in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{json, Value};
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
    let big = a.get("/api/v1/certificates?limit=100000").await;
    assert_eq!(big.status, StatusCode::BAD_REQUEST, "{}", big.text);
    let max = a.get("/api/v1/certificates?limit=200").await.json();
    assert_eq!(max["limit"], 200);
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
    assert_eq!(status["issuer_kind"], "self_declared");
    let details = a.get(&format!("/api/v1/certificates/{cid}")).await.json();
    assert!(!details["history"].as_array().unwrap().is_empty());
}

/// Validates `v` against `schema` (a subset of JSON Schema 2020-12: `$ref` into
/// `components/schemas`, `type`, `properties`, `required`, `additionalProperties`, `items`,
/// `enum`, `const`, `oneOf`, `anyOf`, `allOf`, `minimum`), collecting errors with their paths.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: no value allowed"));
        }
        return;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").expect("local $ref");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "dangling $ref {r}");
        check(doc, target, v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{at}: {v} is not {c}"));
        }
    }
    if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(doc, sub, v, at, errors);
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let passing = alts
                .iter()
                .filter(|sub| {
                    let mut e = Vec::new();
                    check(doc, sub, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (exactly_one && passing > 1) {
                errors.push(format!(
                    "{at}: {passing} of the {key} alternatives match {v}"
                ));
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: missing required {r}"));
                }
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(sub) => check(doc, sub, x, &format!("{at}.{k}"), errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{at}: unexpected property {k}"));
                    }
                    Some(sub) => check(doc, sub, x, &format!("{at}.{k}"), errors),
                    None => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Whether a schema says anything about a JSON body (more than "any value" or "an object").
fn is_trivial(schema: &Value) -> bool {
    match schema {
        Value::Bool(_) => true,
        Value::Object(m) => {
            m.is_empty()
                || (m.len() == 1 && m.get("type") == Some(&json!("object")))
                || m.keys().all(|k| k == "description")
        }
        _ => true,
    }
}

#[tokio::test]
async fn every_json_route_has_a_typed_response_schema() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (code, resp) in op["responses"].as_object().unwrap() {
                if let Some(c) = resp["content"]["application/json"].as_object() {
                    let schema = c.get("schema").unwrap_or(&Value::Null);
                    assert!(
                        !is_trivial(schema),
                        "{method} {path} {code}: trivial schema {schema}"
                    );
                    checked += 1;
                }
            }
            if let Some(body) = op.get("requestBody") {
                for (media, m) in body["content"].as_object().unwrap() {
                    assert!(
                        !is_trivial(&m["schema"]) || media == "application/xml",
                        "{method} {path}: trivial {media} request schema"
                    );
                }
                let schema = &body["content"]["application/json"]["schema"];
                // The example given for humans is a valid body.
                if let Some(example) = body["content"]["application/json"].get("example") {
                    let mut errors = Vec::new();
                    check(&doc, schema, example, "example", &mut errors);
                    assert!(errors.is_empty(), "{method} {path}: {errors:?}");
                }
            }
        }
    }
    assert!(checked > 40, "{checked}");
    // Every $ref resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let r = r.split('"').next().unwrap();
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling {r}"
        );
    }
    // The log's routes (mounted by `keurmerk serve`) are documented with their media types.
    assert!(
        doc["paths"]["/log/checkpoint"]["get"]["responses"]["200"]["content"]["text/plain"]
            .is_object()
    );
    assert!(
        doc["paths"]["/log/tile/{path}"]["get"]["responses"]["200"]["content"]
            ["application/octet-stream"]
            .is_object()
    );
    assert!(doc["paths"]["/api/v1/certificates/{id}/receipt"]["get"].is_object());
}

/// The schema of the success answer of `method path` in the document.
fn response_schema<'a>(doc: &'a Value, path: &str, method: &str, media: &str) -> &'a Value {
    let responses = &doc["paths"][path][method]["responses"];
    let ok = if responses["201"].is_object() {
        "201"
    } else {
        "200"
    };
    let s = &responses[ok]["content"][media]["schema"];
    assert!(s.is_object(), "{method} {path} {media}: no schema");
    s
}

#[tokio::test]
async fn real_responses_validate_against_their_schemas() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await.json();
    let enisa = a.token("enisa").await;
    let maker = a.token("holland-home").await;
    let product = a.get("/api/v1/products?limit=1").await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cert = a.get("/api/v1/certificates?limit=1").await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, String, &str, Option<&str>)> = vec![
        (
            "/api/v1/schemes",
            "/api/v1/schemes".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/schemes/{id}",
            "/api/v1/schemes/eu-iot".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/organisations",
            "/api/v1/organisations".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/organisations/{id}",
            "/api/v1/organisations/holland-home".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/products",
            "/api/v1/products".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/products/{id}",
            format!("/api/v1/products/{product}"),
            "application/json",
            None,
        ),
        (
            "/api/v1/certificates",
            "/api/v1/certificates".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/certificates/{id}",
            format!("/api/v1/certificates/{cert}?lang=nl"),
            "application/json",
            None,
        ),
        (
            "/api/v1/certificates/{id}/status",
            format!("/api/v1/certificates/{cert}/status"),
            "application/json",
            None,
        ),
        (
            "/api/v1/certificates/{id}/status",
            format!("/api/v1/certificates/{cert}/status?signed=1"),
            "application/keurmerk-status+json",
            None,
        ),
        (
            "/api/v1/trust-list",
            "/api/v1/trust-list".into(),
            "application/json",
            None,
        ),
        (
            "/api/v1/audit",
            "/api/v1/audit?limit=20".into(),
            "application/json",
            Some(&enisa),
        ),
        (
            "/api/v1/tokens",
            "/api/v1/tokens".into(),
            "application/json",
            Some(&enisa),
        ),
        (
            "/api/v1/whoami",
            "/api/v1/whoami".into(),
            "application/json",
            Some(&maker),
        ),
        (
            "/api/openapi.json",
            "/api/openapi.json".into(),
            "application/json",
            None,
        ),
    ];
    for (path, uri, media, token) in cases {
        let res = a.get_as(&uri, token).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.text);
        let body: Value = serde_json::from_str(&res.text).unwrap();
        let mut errors = Vec::new();
        check(
            &doc,
            response_schema(&doc, path, "get", media),
            &body,
            "$",
            &mut errors,
        );
        assert!(errors.is_empty(), "{uri}: {errors:#?}");
    }
    // Writes: the created product, and a request body that the schema rejects is rejected.
    let res = a
        .call(
            "POST",
            "/api/v1/products",
            Some(&maker),
            Some(json!({"name": "Plug", "model": "P-1", "category": "smart_plug"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let mut errors = Vec::new();
    check(
        &doc,
        response_schema(&doc, "/api/v1/products", "post", "application/json"),
        &res.json(),
        "$",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    let request = &doc["paths"]["/api/v1/products"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let mut errors = Vec::new();
    check(
        &doc,
        request,
        &json!({"name": "X", "category": "router"}),
        "$",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("model")), "{errors:?}");
}

//! Every write endpoint × role: allowed, 401 without a token, 403 with a role that may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::lifecycle::State;
use keurmerk_store::{CertificateFilter, CertificateStore, ProductFilter};
use serde_json::{json, Value};
use support::app;

fn all_pass(
    reg: &keurmerk_service::Registry<keurmerk_store::SqlStore>,
    scheme: &str,
    level: &str,
) -> Value {
    let s = reg
        .catalogue()
        .get(&SchemeId::new(scheme).unwrap())
        .unwrap();
    let l = s.level(&LevelId::new(level).unwrap()).unwrap();
    let mut m = serde_json::Map::new();
    for r in s.required_at(l) {
        m.insert(r.id.clone(), json!({"verdict": "pass"}));
    }
    Value::Object(m)
}

/// A small CycloneDX SBOM.
fn sbom() -> Value {
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "name": "xz", "version": "5.6.0", "purl": "pkg:generic/xz@5.6.0"},
        {"type": "library", "name": "zlib", "version": "1.3", "purl": "pkg:generic/zlib@1.3"}]})
}

/// An OpenVEX document with one statement.
fn vex() -> Value {
    json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://hh.example/vex/1",
           "author": "Holland Home", "timestamp": "2026-06-02T10:00:00Z", "version": 1,
           "statements": [{"vulnerability": {"name": "CVE-2024-3094"},
                           "products": [{"@id": "pkg:generic/holland-home/plug"}],
                           "status": "not_affected",
                           "justification": "vulnerable_code_not_present"}]})
}

struct Case {
    name: &'static str,
    method: &'static str,
    uri: String,
    body: Option<Value>,
    denied: &'static str,
    allowed: Option<(&'static str, StatusCode)>,
}

#[tokio::test]
async fn every_write_endpoint_by_role() {
    let a = app().await;
    // `mark exploited` needs an id an imported advisory names.
    a.known_vulnerability("CVE-2024-3094").await;
    let reg = &a.reg;
    let hh_products = reg
        .search_products(&ProductFilter {
            manufacturer: Some(OrgId::new("holland-home").unwrap()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let product = hh_products[0].id.clone();
    let version = reg.product_details(&product).await.unwrap().versions[0]
        .id
        .clone();
    let certs = reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    let suspended = certs.iter().find(|c| c.state == State::Suspended).unwrap();
    let authority = suspended.authority.clone().unwrap();
    let valid = certs
        .iter()
        .find(|c| {
            c.state == State::Active
                && c.authority.as_ref() == Some(&authority)
                && c.id != suspended.id
        })
        .unwrap();
    // A self-assessment of holland-home to certify.
    let asm = a
        .call(
            "POST",
            "/api/v1/assessments",
            Some(&a.token("holland-home").await),
            Some(
                json!({"product": product, "version": version, "scheme": "eu-iot", "level": "basic",
                        "verdicts": all_pass(reg, "eu-iot", "basic")}),
            ),
        )
        .await;
    assert_eq!(asm.status, StatusCode::CREATED, "{}", asm.text);
    let asm_id = asm.json()["id"].as_str().unwrap().to_owned();
    let doomed_token = a
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&a.token("enisa").await),
            Some(json!({"org": "brightcam"})),
        )
        .await;
    let doomed = doomed_token.json()["id"].as_str().unwrap().to_owned();

    let cases = vec![
        Case {
            name: "register organisation",
            method: "POST",
            uri: "/api/v1/organisations".into(),
            body: Some(
                json!({"id": "new-maker", "name": "New Maker", "role": "manufacturer", "member_state": "NL"}),
            ),
            denied: "holland-home",
            allowed: Some(("enisa", StatusCode::CREATED)),
        },
        Case {
            name: "authorise body",
            method: "POST",
            uri: "/api/v1/authorisations".into(),
            body: Some(json!({"body": "delta-testlab", "scheme": "eucc", "level": "substantial"})),
            denied: "delta-testlab",
            allowed: Some(("nl-rdi", StatusCode::CREATED)),
        },
        Case {
            name: "revoke authorisation",
            method: "DELETE",
            uri: "/api/v1/authorisations/delta-testlab/eucc/substantial".into(),
            body: None,
            denied: "holland-home",
            allowed: Some(("nl-rdi", StatusCode::OK)),
        },
        Case {
            name: "register product",
            method: "POST",
            uri: "/api/v1/products".into(),
            body: Some(json!({"name": "Smart Plug", "model": "SP-1", "category": "smart_plug"})),
            denied: "delta-testlab",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "add version",
            method: "POST",
            uri: format!("/api/v1/products/{product}/versions"),
            body: Some(
                json!({"version": "9.9.9", "released_on": "2026-01-01", "security_update": false}),
            ),
            denied: "brightcam",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "set support",
            method: "PUT",
            uri: format!("/api/v1/products/{product}/support"),
            body: Some(
                json!({"support_until": "2040-12-31", "update_policy": "automatic", "vulnerability_contact": "security@hh.example"}),
            ),
            denied: "nl-rdi",
            allowed: Some(("holland-home", StatusCode::OK)),
        },
        Case {
            name: "add dependency",
            method: "POST",
            uri: format!("/api/v1/products/{product}/dependencies"),
            body: Some(
                json!({"kind": "mobile_app", "provider": "Holland Home", "service": "HH App"}),
            ),
            denied: "enisa",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "record assessment",
            method: "POST",
            uri: "/api/v1/assessments".into(),
            body: Some(
                json!({"product": product, "version": version, "scheme": "eu-iot", "level": "basic", "verdicts": {}}),
            ),
            denied: "nl-rdi",
            allowed: None,
        },
        Case {
            name: "approve assessment",
            method: "POST",
            uri: format!("/api/v1/assessments/{asm_id}/approve"),
            body: None,
            denied: "holland-home",
            allowed: None,
        },
        Case {
            name: "certify",
            method: "POST",
            uri: format!("/api/v1/assessments/{asm_id}/certify"),
            body: None,
            denied: "delta-testlab",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "suspend",
            method: "POST",
            uri: format!("/api/v1/certificates/{}/suspend", valid.id),
            body: Some(json!({"reason_code": "complaint_upheld", "reason": "Checking a report"})),
            denied: "brightcam",
            allowed: Some((authority_str(&authority), StatusCode::OK)),
        },
        Case {
            name: "extend suspension",
            method: "POST",
            uri: format!("/api/v1/certificates/{}/extend-suspension", suspended.id),
            body: Some(
                json!({"reason_code": "remedy_in_progress", "reason": "Still checking", "until": (chrono::Utc::now().date_naive() + chrono::Days::new(20)).to_string()}),
            ),
            denied: "brightcam",
            allowed: None,
        },
        Case {
            name: "reinstate",
            method: "POST",
            uri: format!("/api/v1/certificates/{}/reinstate", suspended.id),
            body: Some(json!({"reason": "Fixed"})),
            denied: "brightcam",
            allowed: Some((authority_str(&authority), StatusCode::OK)),
        },
        Case {
            name: "withdraw",
            method: "POST",
            uri: format!("/api/v1/certificates/{}/withdraw", valid.id),
            body: Some(
                json!({"reason_code": "non_conformity", "reason": "No longer meets the rules"}),
            ),
            denied: "nordlock",
            allowed: Some((authority_str(&authority), StatusCode::OK)),
        },
        Case {
            name: "attach SBOM",
            method: "POST",
            uri: format!("/api/v1/versions/{version}/sbom"),
            body: Some(sbom()),
            denied: "nl-rdi",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "publish VEX",
            method: "POST",
            uri: format!("/api/v1/products/{product}/vex"),
            body: Some(vex()),
            denied: "brightcam",
            allowed: Some(("holland-home", StatusCode::CREATED)),
        },
        Case {
            name: "mark exploited",
            method: "POST",
            uri: "/api/v1/vulnerabilities/CVE-2024-3094/exploited".into(),
            body: None,
            denied: "holland-home",
            allowed: Some(("nl-rdi", StatusCode::OK)),
        },
        Case {
            name: "create token",
            method: "POST",
            uri: "/api/v1/tokens".into(),
            body: Some(json!({"org": "holland-home"})),
            denied: "nl-rdi",
            allowed: Some(("enisa", StatusCode::CREATED)),
        },
        Case {
            name: "revoke token",
            method: "DELETE",
            uri: format!("/api/v1/tokens/{doomed}"),
            body: None,
            denied: "holland-home",
            allowed: Some(("enisa", StatusCode::OK)),
        },
    ];
    for c in &cases {
        let none = a.call(c.method, &c.uri, None, c.body.clone()).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{}: no token: {}",
            c.name,
            none.text
        );
        assert!(none.headers.contains_key("www-authenticate"), "{}", c.name);
        assert_eq!(none.json()["error"]["code"], "unauthorized");
        let bad = a.call(c.method, &c.uri, Some("kmt_TOK-000001_0000000000000000000000000000000000000000000000000000000000000000"), c.body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{}: wrong secret",
            c.name
        );
        let denied = a
            .call(
                c.method,
                &c.uri,
                Some(&a.token(c.denied).await),
                c.body.clone(),
            )
            .await;
        assert_eq!(
            denied.status,
            StatusCode::FORBIDDEN,
            "{} as {}: {}",
            c.name,
            c.denied,
            denied.text
        );
        assert_eq!(denied.json()["error"]["code"], "forbidden");
        if let Some((who, code)) = c.allowed {
            let ok = a
                .call(c.method, &c.uri, Some(&a.token(who).await), c.body.clone())
                .await;
            assert_eq!(ok.status, code, "{} as {who}: {}", c.name, ok.text);
        }
    }
    // Reads for authorities and the operator only.
    for (uri, allowed, denied) in [
        ("/api/v1/audit", "nl-rdi", "holland-home"),
        ("/api/v1/complaints", "nl-rdi", "brightcam"),
        ("/api/v1/tokens", "enisa", "nl-rdi"),
    ] {
        assert_eq!(
            a.get_as(uri, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
        assert_eq!(
            a.get_as(uri, Some(&a.token(denied).await)).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
        assert_eq!(
            a.get_as(uri, Some(&a.token(allowed).await)).await.status,
            StatusCode::OK,
            "{uri}"
        );
    }
    // The audit trail records the API writes, attributed to the token's organisation.
    let audit = a
        .get_as("/api/v1/audit?limit=200", Some(&a.token("enisa").await))
        .await
        .json();
    let items = audit["items"].as_array().unwrap();
    assert!(items
        .iter()
        .any(|e| e["action"] == "product.register" && e["actor"] == "holland-home"));
    assert!(items
        .iter()
        .any(|e| e["action"] == "token.revoke" && e["actor"] == "enisa"));
}

fn authority_str(a: &OrgId) -> &'static str {
    match a.as_str() {
        "nl-rdi" => "nl-rdi",
        "de-bsi" => "de-bsi",
        other => panic!("unexpected authority {other}"),
    }
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let a = app().await;
    let op = a.token("enisa").await;
    let created = a
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&op),
            Some(json!({"org": "holland-home", "name": "ci"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(body.get("secret_sha256").is_none());
    let who = a.get_as("/api/v1/whoami", Some(&secret)).await;
    assert_eq!(who.json()["id"], "holland-home");
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        a.call("DELETE", &format!("/api/v1/tokens/{id}"), Some(&op), None)
            .await
            .status,
        StatusCode::OK
    );
    let after = a.get_as("/api/v1/whoami", Some(&secret)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // Listing never shows hashes.
    let list = a.get_as("/api/v1/tokens", Some(&op)).await;
    assert!(!list.text.contains("sha256"));
}

/// Issue 13: a suspension needs a reason code from the catalogue; an unknown or unfitting one is
/// a 422 in the JSON envelope naming the allowed codes, and nothing is written. A caller who may
/// not suspend gets 403 whatever the body says. The page then reads the reason in the visitor's
/// language and marks the free text with the language it was written in.
#[tokio::test]
async fn reason_codes_are_checked_and_read_in_the_visitors_language() {
    let a = app().await;
    let c = support::active_certificate(&a).await;
    let uri = format!("/api/v1/certificates/{}/suspend", c.id);
    let authority = a.token(c.authority.as_ref().unwrap().as_str()).await;
    let holder = a.token(c.holder.as_str()).await;
    let events = |a: &support::App| {
        let id = c.id.clone();
        let reg = a.reg.clone();
        async move { reg.store().events(&id).await.unwrap().len() }
    };
    let before = events(&a).await;
    for body in [
        json!({"reason": "no code"}),
        json!({"reason_code": "lost"}),
        json!({"reason_code": "not_remedied"}),
        json!({"reason_code": 7}),
        json!({"reason_code": "recall", "reason_lang": "english please"}),
    ] {
        let r = a
            .call("POST", &uri, Some(&authority), Some(body.clone()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(r.json()["error"]["message"].is_string(), "{}", r.text);
        if body["reason_code"].is_string() && body["reason_lang"].is_null() {
            assert!(r.text.contains("under_investigation"), "{body}: {}", r.text);
        }
    }
    let r = a
        .call(
            "POST",
            &uri,
            Some(&holder),
            Some(json!({"reason_code": "lost"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(events(&a).await, before);

    let r = a
        .call(
            "POST",
            &uri,
            Some(&authority),
            Some(json!({"reason_code": "under_investigation", "reason": "Eine Meldung liegt vor", "reason_lang": "de-AT"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let nl = a.get(&format!("/c/{}?lang=nl", c.id)).await;
    assert!(
        nl.text
            .contains("Reden: Een melding over het product wordt onderzocht."),
        "{}",
        nl.text
    );
    assert!(
        nl.text
            .contains("<q lang=\"de-AT\">Eine Meldung liegt vor</q>"),
        "{}",
        nl.text
    );
    let api = a
        .get(&format!("/api/v1/certificates/{}?lang=fr", c.id))
        .await;
    assert!(
        api.text.contains("\"reason_code\":\"under_investigation\""),
        "{}",
        api.text
    );
}

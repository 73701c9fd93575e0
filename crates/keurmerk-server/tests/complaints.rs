//! The complaint form's tokens across instances, on every backend (SQLite always, PostgreSQL
//! when `KEURMERK_TEST_POSTGRES` is set, in its own schema): signed with a key all instances on
//! one database share, single-use, bound to certificate and time, and refused when another site
//! makes the browser post them. And their handling over HTTP (issue 13 item 6): the form names
//! product, label and authority or says where to go instead, the complainant follows the
//! complaint by reference, and only the receiving authority assigns, answers and closes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use keurmerk_server::{router_with, AppState, Limits};
use keurmerk_service::DEFAULT_BASE_URL;
use keurmerk_store::{ApiStore, AuditStore, CertificateFilter};
use tower::ServiceExt;

mod support;
use support::{demo_env as env, DemoEnv as Env};

impl Env {
    /// A server instance on this database: its own process state (form key cache, limits).
    fn instance(&self) -> axum::Router {
        router_with(
            AppState {
                registry: Arc::new(self.reg.clone()),
            },
            Limits {
                complaints_per_hour: 6000,
                ..Limits::default()
            },
        )
    }

    async fn complaints(&self) -> usize {
        self.reg
            .store()
            .complaints(None, 500, 0)
            .await
            .unwrap()
            .len()
    }
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Serves the form for `cert` and returns its token.
async fn form(app: &axum::Router, cert: &str) -> String {
    let (status, text) = send(
        app,
        Request::get(format!("/c/{cert}/complaint?lang=en"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    text.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Posts a complaint about `cert` with `token` and extra headers.
async fn post(
    app: &axum::Router,
    cert: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut r = Request::post(format!("/c/{cert}/complaint"))
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    send(
        app,
        r.body(Body::from(format!(
            "csrf={token}&lang=en&contact=&body=The+camera+sends+video+unencrypted"
        )))
        .unwrap(),
    )
    .await
}

async fn form_tokens_across_instances(e: Env) {
    // Certificates with a receiving authority (others take no complaint).
    let certs: Vec<_> = e
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.authority.is_some())
        .collect();
    let (x, y) = (certs[0].id.to_string(), certs[1].id.to_string());
    let a = e.instance();
    let b = e.instance();

    // A form served by instance A is accepted by instance B.
    let token = form(&a, &x).await;
    let (status, text) = post(&b, &x, &token, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(text.contains("CMP-"));
    assert_eq!(e.complaints().await, 1);

    // Single use: the same token again is refused, on either instance, with a clear page.
    for app in [&b, &a] {
        let (status, text) = post(app, &x, &token, &[]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{text}");
        assert!(text.contains("This form was sent already"), "{text}");
        assert!(text.contains("name=\"csrf\""), "a new form to use instead");
    }
    assert_eq!(e.complaints().await, 1, "a replay stores nothing");

    // After a restart (a new process: nothing cached), a form served before is still good.
    let before = form(&a, &x).await;
    let restarted = e.instance();
    let (status, text) = post(&restarted, &x, &before, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    // Cross-site posts are refused before the token is looked at, and store nothing.
    let token = form(&a, &x).await;
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "null")][..],
    ] {
        let (status, text) = post(&a, &x, &token, headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}: {text}");
        assert!(
            text.contains("sent from another website"),
            "{headers:?}: {text}"
        );
    }
    assert_eq!(e.complaints().await, 2);
    // The same token from this registry's own pages (its public origin) is accepted.
    let (status, text) = post(
        &a,
        &x,
        &token,
        &[
            ("origin", DEFAULT_BASE_URL),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");

    // A token for another certificate is refused.
    let token = form(&a, &x).await;
    let (status, text) = post(&a, &y, &token, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("The form has expired"), "{text}");
    // So is a forged one.
    let forged = format!(
        "{}.{}.{}",
        e.now.timestamp(),
        "0".repeat(32),
        "0".repeat(64)
    );
    let (status, _) = post(&a, &x, &forged, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An expired token is refused; a fresh one is accepted and prunes the used nonces that
    // would have expired anyway.
    let old = form(&a, &x).await;
    let later = e.now + chrono::Duration::hours(2) + chrono::Duration::seconds(1);
    e.clock.set(later);
    let (status, text) = post(&b, &x, &old, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert_eq!(e.complaints().await, 3);
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaint_form_nonces")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(used, 3);
    let fresh = form(&b, &y).await;
    let (status, text) = post(&a, &y, &fresh, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaint_form_nonces")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(used, 1, "only the fresh token's nonce is kept");
    e.done().await;
}

#[tokio::test]
async fn form_tokens_across_instances_on_sqlite() {
    form_tokens_across_instances(env(false).await.unwrap()).await;
}

#[tokio::test]
async fn form_tokens_across_instances_on_postgres() {
    let Some(e) = env(true).await else { return };
    form_tokens_across_instances(e).await;
}

/// A JSON call with a bearer token.
async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            r = r.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let (status, text) = send(app, r.body(body).unwrap()).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn between<'t>(text: &'t str, start: &str, end: &str) -> &'t str {
    text.split(start)
        .nth(1)
        .and_then(|t| t.split(end).next())
        .unwrap_or_else(|| panic!("no {start} in {text}"))
}

async fn handling_over_http(e: Env) {
    let app = e.instance();
    let certs = e
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    // A label the authority did not issue itself, so issuer and authority are told apart.
    let cert = certs
        .iter()
        .find(|c| c.authority.is_some() && c.authority.as_ref() != Some(&c.issuer))
        .unwrap();
    let authority = cert.authority.clone().unwrap();
    let authority_org = e.reg.organisation(&authority).await.unwrap();
    let product = e.reg.product_details(&cert.product).await.unwrap().product;
    let other = if authority.as_str() == "nl-rdi" {
        "de-bsi"
    } else {
        "nl-rdi"
    };
    let id = cert.id.to_string();

    // The form names the product, the label and the authority, and how the address is used.
    let (status, page) = send(
        &app,
        Request::get(format!("/c/{id}/complaint?lang=en"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        product.name.as_str(),
        id.as_str(),
        authority_org.name.as_str(),
        "only to reply to you about this complaint",
        "deleted when the complaint is closed",
    ] {
        assert!(page.contains(needle), "{needle} not in the form");
    }
    let token = between(&page, "name=\"csrf\" value=\"", "\"").to_owned();
    let (status, thanks) = send(
        &app,
        Request::post(format!("/c/{id}/complaint"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={token}&lang=en&contact=me%40example.org&body=No+password+at+all%0D%0Aon+the+camera"
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{thanks}");
    let reference = between(&thanks, "<code>", "</code>").to_owned();
    assert_eq!(reference.len(), 32);
    assert!(thanks.contains(&format!("/complaints/{reference}")));
    let filed = e
        .reg
        .store()
        .complaints(None, 1, 0)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(filed.body, "No password at all\r\non the camera");
    let cid = filed.id.to_string();

    // The complainant follows it by reference: state and dates, never address or text.
    let res = app
        .clone()
        .oneshot(
            Request::get(format!("/complaints/{reference}?lang=nl"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(text.contains("<html lang=\"nl\""));
    assert!(text.contains("Ontvangen"), "{text}");
    assert!(!text.contains("me@example.org") && !text.contains("No password"));
    let (status, json) = call(
        &app,
        "GET",
        &format!("/api/v1/complaint-status/{}", reference.to_uppercase()),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["state"], "received");
    assert_eq!(json["id"], cid.as_str());
    assert!(json.get("contact").is_none() && json.get("body").is_none());
    // Unknown and malformed references: the same 404, page and API.
    let mut wrong = reference.clone().into_bytes();
    wrong[5] = if wrong[5] == b'a' { b'b' } else { b'a' };
    let wrong = String::from_utf8(wrong).unwrap();
    for r in [wrong.as_str(), "nope", "CMP-000001", &"0".repeat(32)] {
        let (status, json) = call(
            &app,
            "GET",
            &format!("/api/v1/complaint-status/{r}"),
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{r}");
        assert_eq!(
            json["error"]["message"],
            "complaint `with this reference` not found"
        );
        let (status, _) = send(
            &app,
            Request::get(format!("/complaints/{r}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{r}");
    }

    // Reading one complaint: the authority in full, the operator without the address.
    let mine = e.token(authority.as_str()).await;
    let theirs = e.token(other).await;
    let maker = e.token(cert.holder.as_str()).await;
    let issuer = e.token(cert.issuer.as_str()).await;
    let operator = e.token("enisa").await;
    let one = format!("/api/v1/complaints/{cid}");
    let (status, json) = call(&app, "GET", &one, Some(&mine), None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["contact"], "me@example.org");
    let (status, json) = call(&app, "GET", &one, Some(&operator), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["contact"], serde_json::Value::Null);
    for t in [&theirs, &maker, &issuer] {
        assert_eq!(
            call(&app, "GET", &one, Some(t), None).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        call(&app, "GET", &one, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/v1/complaints/CMP-999999",
            Some(&mine),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/v1/complaints/not-an-id!",
            Some(&mine),
            None
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Only the receiving authority takes steps.
    let assign = format!("/api/v1/complaints/{cid}/assign");
    let answer = format!("/api/v1/complaints/{cid}/answer");
    let close = format!("/api/v1/complaints/{cid}/close");
    let who = serde_json::json!({"assignee": "J. Jansen"});
    for t in [&theirs, &maker, &issuer, &operator] {
        let (status, json) = call(&app, "POST", &assign, Some(t), Some(who.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{json}");
        assert_eq!(json["error"]["code"], "forbidden");
    }
    assert_eq!(
        call(&app, "POST", &assign, None, Some(who.clone())).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Wrong transitions: 409; bad bodies: 422.
    let (status, json) = call(
        &app,
        "POST",
        &answer,
        Some(&mine),
        Some(serde_json::json!({"answer": "Early"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    for (uri, body) in [
        (&assign, serde_json::json!({})),
        (&assign, serde_json::json!({"assignee": ""})),
        (&assign, serde_json::json!({"assignee": "A", "extra": 1})),
        (&close, serde_json::json!({"outcome": "maybe"})),
    ] {
        let (status, json) = call(&app, "POST", uri, Some(&mine), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {json}");
    }
    let (status, json) = call(&app, "POST", &assign, Some(&mine), Some(who.clone())).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["state"], "assigned");
    assert_eq!(json["assignee"], "J. Jansen");
    // The answer's language is one of the four, or refused naming the field.
    let (status, json) = call(
        &app,
        "POST",
        &answer,
        Some(&mine),
        Some(serde_json::json!({"answer": "Hola", "lang": "es"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    assert!(json.to_string().contains("lang"), "{json}");
    let (status, json) = call(
        &app,
        "POST",
        &answer,
        Some(&mine),
        Some(serde_json::json!({"answer": "We asked the maker to fix it.\nThank you.", "lang": "en"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["state"], "answered");
    assert_eq!(json["answer_lang"], "en");
    let (status, json) = call(
        &app,
        "POST",
        &close,
        Some(&mine),
        Some(serde_json::json!({"outcome": "upheld"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["state"], "closed");
    assert_eq!(json["contact"], serde_json::Value::Null);
    let (status, _) = call(
        &app,
        "POST",
        &close,
        Some(&mine),
        Some(serde_json::json!({"outcome": "rejected"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed complaint stays closed"
    );
    let stored = e.reg.store().complaint(&filed.id).await.unwrap().unwrap();
    assert_eq!(stored.contact, None, "the address is erased");

    // Every step is in the audit trail with the authority and its token.
    let trail = e.reg.store().audit(10, None).await.unwrap();
    let steps: Vec<_> = trail
        .iter()
        .filter(|r| r.audit.subject == cid && r.audit.action != "complaint.file")
        .map(|r| {
            (
                r.audit.action.as_str(),
                r.audit.actor.clone(),
                r.audit.credential.to_string(),
            )
        })
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    for (_, actor, credential) in &steps {
        assert_eq!(actor.as_ref(), Some(&authority));
        assert!(credential.starts_with("token:TOK-"), "{credential}");
    }

    // The complainant reads the answer and the outcome in their language.
    let (_, text) = send(
        &app,
        Request::get(format!("/complaints/{reference}?lang=de"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(text.contains("Abgeschlossen"), "{text}");
    assert!(text.contains("We asked the maker to fix it."));
    assert!(
        text.contains(r#"<blockquote class="answer" lang="en">"#),
        "the English answer is marked English on the German page: {text}"
    );
    assert!(text.contains("Ihre Beschwerde ist berechtigt"));
    assert!(!text.contains("Jansen"), "who handles it is not shown");

    // A label no authority in this register supervises takes no complaint and says where to go.
    if let Some(loose) = certs.iter().find(|c| c.authority.is_none()) {
        let lid = loose.id.to_string();
        let (status, page) = send(
            &app,
            Request::get(format!("/c/{lid}/complaint?lang=en"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("No authority in this register handles complaints"),
            "{page}"
        );
        assert!(page.contains("consumer"), "{page}");
        assert!(!page.contains("name=\"csrf\""), "no form to fill in");
        let before = e.complaints().await;
        let (status, page) = send(
            &app,
            Request::post(format!("/c/{lid}/complaint"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={token}&lang=en&body=Hello")))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(e.complaints().await, before, "nothing stored");
    } else {
        panic!("the demo has labels without a supervising authority in the register");
    }
    e.done().await;
}

#[tokio::test]
async fn complaints_are_handled_over_http_on_sqlite() {
    handling_over_http(env(false).await.unwrap()).await;
}

#[tokio::test]
async fn complaints_are_handled_over_http_on_postgres() {
    let Some(e) = env(true).await else { return };
    handling_over_http(e).await;
}

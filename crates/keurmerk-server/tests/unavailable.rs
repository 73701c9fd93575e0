//! A registry whose database cannot be used for the moment answers `503` with `Retry-After`,
//! never `500`: the public lookups (unsigned and signed status, the certificate page, search),
//! the health check a load balancer reads, and a write. Driven by a store that is closed, as it
//! is while `serve` stops; on SQLite and, with `KEURMERK_TEST_POSTGRES`, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod support;
use support::demo_env;

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    cache_control: Option<String>,
    content_type: String,
    text: String,
}

async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let header = |name| {
        res.headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (retry_after, cache_control, content_type) = (
        header(header::RETRY_AFTER),
        header(header::CACHE_CONTROL),
        header(header::CONTENT_TYPE).unwrap_or_default(),
    );
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        retry_after,
        cache_control,
        content_type,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn a_closed_database_is_answered_503(postgres: bool) {
    let Some(env) = demo_env(postgres).await else {
        return;
    };
    let app = env.app();
    let c = env
        .reg
        .certificates(&keurmerk_store::CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.authority.is_some())
        .unwrap();
    let (id, token) = (
        c.id.clone(),
        env.token(c.authority.as_ref().unwrap().as_str()).await,
    );
    let get = |uri: String| Request::get(uri).body(Body::empty()).unwrap();
    // Before: answered. (Not a status: an answer a second old may come from memory.)
    assert_eq!(
        send(&app, get("/healthz".into())).await.status,
        StatusCode::OK
    );
    env.reg.store().close().await;

    for uri in [
        format!("/api/v1/certificates/{id}/status"),
        format!("/api/v1/certificates/{id}/status?signed=true"),
        "/api/v1/labels?q=camera".to_owned(),
        "/healthz".to_owned(),
    ] {
        let a = send(&app, get(uri.clone())).await;
        assert_eq!(
            a.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            a.text
        );
        assert_eq!(a.retry_after.as_deref(), Some("5"), "{uri}");
        // No cache may keep "busy" to answer later scans with.
        assert_eq!(a.cache_control.as_deref(), Some("no-store"), "{uri}");
        if uri.starts_with("/api/") {
            let v: serde_json::Value = serde_json::from_str(&a.text).unwrap();
            assert_eq!(v["error"]["code"], "unavailable", "{uri}: {v}");
            // The cause is the operator's, not the client's.
            let message = v["error"]["message"].as_str().unwrap();
            assert!(message.contains("retry in 5 seconds"), "{message}");
            assert!(!message.to_lowercase().contains("pool"), "{message}");
        }
    }
    // The page a phone opens from the QR code, and the complaint form linked from it: in its
    // language, without jargon.
    for uri in [format!("/c/{id}"), format!("/c/{id}/complaint")] {
        let page = send(
            &app,
            Request::get(uri.clone())
                .header(header::ACCEPT_LANGUAGE, "nl")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            page.text
        );
        assert_eq!(page.retry_after.as_deref(), Some("5"), "{uri}");
        assert_eq!(page.cache_control.as_deref(), Some("no-store"), "{uri}");
        assert!(
            page.content_type.starts_with("text/html"),
            "{uri}: {}",
            page.content_type
        );
        assert!(
            page.text.contains("Het register is even bezet"),
            "{uri}: {}",
            page.text
        );
    }
    // A write, without and with an `Idempotency-Key` (whose lookup fails the same way): refused
    // the same way, nothing to undo, the key free for the retry.
    for key in [None, Some("suspend-once")] {
        let mut req = Request::post(format!("/api/v1/certificates/{id}/suspend"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        let body = r#"{"reason_code": "vulnerability_not_fixed", "reason": "A critical vulnerability is not fixed"}"#;
        let write = send(&app, req.body(Body::from(body)).unwrap()).await;
        assert_eq!(
            write.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{key:?}: {}",
            write.text
        );
        assert_eq!(write.retry_after.as_deref(), Some("5"), "{key:?}");
    }
    env.done().await;
}

#[tokio::test]
async fn a_closed_database_is_answered_503_on_sqlite() {
    a_closed_database_is_answered_503(false).await;
}

#[tokio::test]
async fn a_closed_database_is_answered_503_on_postgres() {
    a_closed_database_is_answered_503(true).await;
}

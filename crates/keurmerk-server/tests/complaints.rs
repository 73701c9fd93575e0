//! The complaint form's tokens across instances, on every backend (SQLite always, PostgreSQL
//! when `KEURMERK_TEST_POSTGRES` is set, in its own schema): signed with a key all instances on
//! one database share, single-use, bound to certificate and time, and refused when another site
//! makes the browser post them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use keurmerk_domain::scheme::{Catalogue, SHIPPED};
use keurmerk_server::{router_with, AppState, Limits};
use keurmerk_service::{demo, ManualClock, Registry, Secrets, Signer, DEFAULT_BASE_URL};
use keurmerk_store::{ApiStore, CertificateFilter, SqlStore};
use tower::ServiceExt;

struct Env {
    reg: Registry<SqlStore>,
    clock: Arc<ManualClock>,
    now: DateTime<Utc>,
    _dir: tempfile::TempDir,
    pg_schema: Option<String>,
}

async fn env(postgres: bool) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let (store, pg_schema) = if postgres {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set, so the PostgreSQL backend is not tested here");
            return None;
        };
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let store = SqlStore::connect_in_schema(&url, Some(&schema))
            .await
            .unwrap();
        (store, Some(schema))
    } else {
        let url = format!("sqlite:{}", dir.path().join("s.db").display());
        (SqlStore::connect(&url).await.unwrap(), None)
    };
    let catalogue = Arc::new(Catalogue::from_files(SHIPPED).unwrap());
    let keys = dir.path().join("keys");
    let now = Utc::now();
    demo::seed_with(store.clone(), catalogue.clone(), now, Secrets::dir(&keys))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let reg = Registry::new(store.clone(), catalogue, clock.clone())
        .with_signer(Signer::new(Arc::new(store), Secrets::dir(&keys)));
    Some(Env {
        reg,
        clock,
        now,
        _dir: dir,
        pg_schema,
    })
}

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

    async fn done(self) {
        if let Some(schema) = &self.pg_schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(self.reg.store().pool())
                .await
                .unwrap();
        }
        self.reg.store().close().await;
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
    let certs = e
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
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

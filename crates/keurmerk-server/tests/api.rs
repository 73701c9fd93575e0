#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_server::{router, AppState};
use keurmerk_service::{demo, Registry, SystemClock};
use keurmerk_store::{CertificateFilter, CertificateStore, SqlStore};
use tower::ServiceExt;

async fn app() -> (axum::Router, Registry<SqlStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
    demo::seed(store.clone(), catalogue.clone(), chrono::Utc::now())
        .await
        .unwrap();
    // Reading verifies the signed record against the public keys in the database.
    let registry = Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
        .with_signer(keurmerk_service::Signer::new(
            Arc::new(store),
            keurmerk_service::Secrets::memory(),
        ))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    (
        router(AppState {
            registry: Arc::new(registry.clone()),
        }),
        registry,
        dir,
    )
}

async fn get(app: &axum::Router, uri: &str, lang: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = Request::get(uri);
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn healthz() {
    let (app, _, _d) = app().await;
    let res = app
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// The health check fails (503) while the instance's clock is further from the database's
/// than the registry allows, so a balancer stops sending work to an instance that signs answers
/// from the future or the past; it answers 200 again once the clock is right.
#[tokio::test]
async fn healthz_fails_while_the_clock_is_wrong() {
    let (_, reg, _d) = app().await;
    let clock = Arc::new(keurmerk_service::ManualClock::new(
        chrono::Utc::now() + chrono::Duration::minutes(10),
    ));
    let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
    let checked = Registry::new(reg.store().clone(), catalogue, clock.clone()).with_clock_check(
        chrono::Duration::seconds(keurmerk_service::MAX_CLOCK_OFFSET_SECS),
    );
    let app = router(AppState {
        registry: Arc::new(checked),
    });
    let health = |app: axum::Router| async move {
        app.oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    };
    assert_eq!(health(app.clone()).await, StatusCode::SERVICE_UNAVAILABLE);
    clock.set(chrono::Utc::now());
    assert_eq!(health(app).await, StatusCode::OK);
}

#[tokio::test]
async fn status_of_a_suspended_certificate_in_dutch() {
    let (app, reg, _d) = app().await;
    let certs = reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    let suspended = certs
        .iter()
        .find(|c| c.state == keurmerk_domain::lifecycle::State::Suspended)
        .unwrap();
    let (code, body) = get(
        &app,
        &format!("/api/v1/certificates/{}/status", suspended.id),
        Some("nl-NL,nl;q=0.9,en;q=0.5"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["status"], "suspended");
    assert_eq!(body["lang"], "nl");
    assert_eq!(body["title"], "Geschorst");
    assert_eq!(body["issuer_kind"], "third_party");
    assert_eq!(body["reasons"][0]["code"], "suspended");
    assert!(body["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("geschorst sinds"));
    let (_, en) = get(
        &app,
        &format!("/api/v1/certificates/{}/status?lang=en", suspended.id),
        Some("nl"),
    )
    .await;
    assert_eq!(en["lang"], "en");
}

/// `GET /api/v1/certificates/{id}/forecast` (issue 12): what the policy will do and when, writing
/// nothing; a bad date or id is refused in the envelope.
#[tokio::test]
async fn forecast_of_a_suspended_certificate() {
    let (app, reg, _d) = app().await;
    let suspended = reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == keurmerk_domain::lifecycle::State::Suspended)
        .unwrap();
    let events = reg.store().events(&suspended.id).await.unwrap().len();
    let (code, body) = get(
        &app,
        &format!("/api/v1/certificates/{}/forecast", suspended.id),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "suspended");
    assert_eq!(body["actions"][0]["rule"], "suspension_ended");
    assert_eq!(body["actions"][0]["event"]["type"], "withdrawn");
    assert_eq!(
        body["actions"][0]["event"]["reason"],
        "not remedied within the suspension period"
    );
    let (code, body) = get(
        &app,
        &format!(
            "/api/v1/certificates/{}/forecast?until=2000-01-01",
            suspended.id
        ),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["actions"], serde_json::json!([]));
    let (code, body) = get(
        &app,
        &format!("/api/v1/certificates/{}/forecast?until=soon", suspended.id),
        None,
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    let (code, _) = get(&app, "/api/v1/certificates/KM-2020-999999/forecast", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        reg.store().events(&suspended.id).await.unwrap().len(),
        events,
        "nothing written"
    );
}

#[tokio::test]
async fn errors_use_one_envelope() {
    let (app, _, _d) = app().await;
    let (code, body) = get(&app, "/api/v1/certificates/KM-2020-999999/status", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (code, body) = get(&app, "/api/v1/certificates/not%20an%20id/status", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("certificate id"));
    let (code, body) = get(
        &app,
        "/api/v1/certificates/KM-2020-999999/status?lang=es",
        None,
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unsupported language"));
}

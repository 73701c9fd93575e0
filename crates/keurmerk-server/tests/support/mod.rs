#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use keurmerk_domain::ids::OrgId;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_server::auth::Secret;
use keurmerk_server::{router, AppState};
use keurmerk_service::{demo, Registry, Secrets, Signer, SystemClock, TokenAdmin};
use keurmerk_store::SqlStore;
use tower::ServiceExt;

pub use keurmerk_domain::scheme::SHIPPED as SCHEMES;

pub struct App {
    pub router: axum::Router,
    pub reg: Registry<SqlStore>,
    dir: tempfile::TempDir,
}

pub async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let catalogue = Arc::new(Catalogue::from_files(SCHEMES).unwrap());
    let keys = dir.path().join("keys");
    demo::seed_with(
        store.clone(),
        catalogue.clone(),
        chrono::Utc::now(),
        Secrets::dir(&keys),
    )
    .await
    .unwrap();
    let reg = Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
        .with_signer(Signer::new(Arc::new(store), Secrets::dir(&keys)))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    App {
        router: router(AppState {
            registry: Arc::new(reg.clone()),
        }),
        reg,
        dir,
    }
}

impl App {
    /// Imports a minimal OSV record naming `id` (as the registry operator), so the registry knows
    /// the vulnerability: `mark-exploited` refuses ids no advisory names.
    #[allow(dead_code)]
    pub async fn known_vulnerability(&self, id: &str) {
        let path = self.dir.path().join(format!("{id}.json"));
        std::fs::write(
            &path,
            format!(r#"{{"schema_version": "1.3.1", "id": "{id}", "modified": "2024-04-01T00:00:00Z", "affected": []}}"#),
        )
        .unwrap();
        let operator = keurmerk_service::Actor::cli(OrgId::new("enisa").unwrap(), "test");
        self.reg
            .import_advisories(&operator, &path, false, &|_| {})
            .await
            .unwrap();
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }
}

impl App {
    pub async fn token(&self, org: &str) -> String {
        let s = Secret::generate();
        let t = self
            .reg
            .create_token(
                TokenAdmin::Local,
                &OrgId::new(org).unwrap(),
                "test",
                s.sha256(),
            )
            .await
            .unwrap();
        s.bearer(&t.id)
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_as(&self, uri: &str, token: Option<&str>) -> Answer {
        let mut r = Request::get(uri);
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
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
        self.send(r.body(body).unwrap()).await
    }
}

/// An active certificate of the demo with a supervising authority.
pub async fn active_certificate(a: &App) -> keurmerk_domain::model::Certificate {
    a.reg
        .certificates(&keurmerk_store::CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == keurmerk_domain::lifecycle::State::Active && c.authority.is_some())
        .unwrap()
}

/// Suspends a certificate through the API as its supervising authority.
pub async fn suspend(a: &App, c: &keurmerk_domain::model::Certificate) {
    let authority = c.authority.as_ref().unwrap().as_str().to_owned();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/certificates/{}/suspend", c.id),
            Some(&a.token(&authority).await),
            Some(serde_json::json!({"reason_code": "vulnerability_not_fixed", "reason": "A critical vulnerability is not fixed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A demo registry on one backend (SQLite always; PostgreSQL in its own schema when
/// `KEURMERK_TEST_POSTGRES` is set) with a clock the test drives, for tests that run on both.
pub struct DemoEnv {
    pub reg: Registry<keurmerk_store::SqlStore>,
    pub clock: Arc<keurmerk_service::ManualClock>,
    /// The time the demo was seeded at (the clock's start).
    pub now: chrono::DateTime<chrono::Utc>,
    _dir: tempfile::TempDir,
    pg_schema: Option<String>,
}

/// [`DemoEnv`] on PostgreSQL (`None`, saying why, when `KEURMERK_TEST_POSTGRES` is not set) or
/// on SQLite.
pub async fn demo_env(postgres: bool) -> Option<DemoEnv> {
    use keurmerk_store::SqlStore;
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
    let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
    let keys = dir.path().join("keys");
    let now = chrono::Utc::now();
    demo::seed_with(store.clone(), catalogue.clone(), now, Secrets::dir(&keys))
        .await
        .unwrap();
    let clock = Arc::new(keurmerk_service::ManualClock::new(now));
    let reg = Registry::new(store.clone(), catalogue, clock.clone())
        .with_signer(Signer::new(Arc::new(store), Secrets::dir(&keys)))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    Some(DemoEnv {
        reg,
        clock,
        now,
        _dir: dir,
        pg_schema,
    })
}

impl DemoEnv {
    /// A server on this registry with the default limits.
    pub fn app(&self) -> axum::Router {
        router(AppState {
            registry: Arc::new(self.reg.clone()),
        })
    }

    /// A bearer token of `org`, and the token's id.
    pub async fn token_with_id(&self, org: &str) -> (String, keurmerk_domain::ids::RecordId) {
        let s = Secret::generate();
        let t = self
            .reg
            .create_token(TokenAdmin::Local, &org.parse().unwrap(), "test", s.sha256())
            .await
            .unwrap();
        (s.bearer(&t.id), t.id)
    }

    /// A bearer token of `org`.
    pub async fn token(&self, org: &str) -> String {
        self.token_with_id(org).await.0
    }

    /// Drops the PostgreSQL schema and closes the store (through a connection of its own when
    /// the test closed the store).
    pub async fn done(self) {
        if let Some(schema) = &self.pg_schema {
            let drop = format!("DROP SCHEMA {schema} CASCADE");
            if self.reg.store().pool().is_closed() {
                use sqlx::{Connection as _, Executor as _};
                let url = std::env::var("KEURMERK_TEST_POSTGRES").unwrap();
                let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
                c.execute(drop.as_str()).await.unwrap();
            } else {
                sqlx::query(&drop)
                    .execute(self.reg.store().pool())
                    .await
                    .unwrap();
            }
        }
        self.reg.store().close().await;
    }
}

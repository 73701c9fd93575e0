//! What the server's unit tests share: the demo registry served by the whole router.

use std::sync::Arc;

use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::{demo, Registry, Secrets, Signer, SystemClock};
use keurmerk_store::SqlStore;

use crate::{router, AppState};

/// The router over a fresh demo registry on SQLite in a temporary directory (kept alive by the
/// returned guard), with the registry itself for direct calls.
pub(crate) async fn demo_app() -> (axum::Router, Registry<SqlStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
    let secrets = Secrets::memory();
    demo::seed_with(
        store.clone(),
        catalogue.clone(),
        chrono::Utc::now(),
        secrets.clone(),
    )
    .await
    .unwrap();
    let registry = Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
        .with_signer(Signer::new(Arc::new(store), secrets))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    let app = router(AppState {
        registry: Arc::new(registry.clone()),
    });
    (app, registry, dir)
}

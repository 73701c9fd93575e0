//! The status fold behind a read-model miss of `GET /api/v1/certificates/{id}/status`
//! (certificate row, events, statements verified, fold, evaluation, product row), on the demo
//! registry. Since the read model (issue 15, `benches/readmodel.rs`) `Registry::status` reads a
//! stored row; this measures `certificate_details`, the fold it falls back to.
//!
//!     cargo bench -p keurmerk-service --bench status
//!     KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test cargo bench -p keurmerk-service --bench status
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::{demo, Registry, Secrets, Signer, SystemClock};
use keurmerk_store::{CertificateFilter, SqlStore};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![(
        "sqlite",
        format!("sqlite:{}", dir.path().join("bench.db").display()),
        None,
    )];
    if let Ok(pg) = std::env::var("KEURMERK_BENCH_PG") {
        let schema = format!("bench_{}", std::process::id());
        targets.push(("postgres", pg, Some(schema)));
    }
    for (name, url, schema) in targets {
        let (reg, id) = rt.block_on(async {
            let store = SqlStore::connect_in_schema(&url, schema.as_deref())
                .await
                .unwrap();
            let catalogue =
                Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
            demo::seed(store.clone(), catalogue.clone(), chrono::Utc::now())
                .await
                .unwrap();
            // Reading verifies the signed record against the public keys in the database.
            let reg = Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
                .with_signer(Signer::new(Arc::new(store), Secrets::memory()))
                .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
            let id = reg
                .certificates(&CertificateFilter::default())
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.state == State::Suspended)
                .unwrap()
                .id;
            (reg, id)
        });
        c.bench_function(&format!("status_uncached/{name}"), |b| {
            b.iter(|| rt.block_on(reg.certificate_details(&id)).unwrap());
        });
        if let Some(schema) = schema {
            rt.block_on(async {
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(reg.store().pool())
                    .await
                    .unwrap();
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! A label status lookup from the stored read model (issue 15 item 2), at 10,000 and 100,000
//! certificates (more with `KEURMERK_BENCH_SIZES=10000,100000,1000000`): each iteration looks up
//! a uniformly random certificate of the set, so no cache helps; the cost should be flat.
//!
//! The registry is the demo plus copies of one of its active certificates made in SQL (its
//! certificate row, its events and its stored status row with the id replaced): a lookup reads
//! only the status row joined to the certificate row, so a copy costs what a seeded certificate
//! does. The setup checks that the copies are served from the row (no fold).
//!
//!     cargo bench -p keurmerk-service --bench readmodel
//!     KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test cargo bench -p keurmerk-service --bench readmodel
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::{demo, Registry, Secrets, Signer, SystemClock};
use keurmerk_store::{Backend, CertificateFilter, SqlStore, StatusStore};

async fn registry(url: &str, schema: Option<&str>) -> Registry<SqlStore> {
    let store = SqlStore::connect_in_schema(url, schema).await.unwrap();
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
    Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
        .with_signer(Signer::new(Arc::new(store), secrets))
        .with_local_credential(keurmerk_service::Credential::Cli("bench".into()))
}

fn copy_id(backend: Backend, base: i64) -> String {
    match backend {
        Backend::Sqlite => format!("'KM-2099-' || printf('%07d', n.i + {base})"),
        Backend::Postgres => format!("'KM-2099-' || lpad((n.i + {base})::text, 7, '0')"),
    }
}

/// Copies `original` until there are `total` copies `KM-2099-0000001` …, in batches.
async fn copy(reg: &Registry<SqlStore>, original: &CertificateId, have: i64, total: i64) {
    let pool = reg.store().pool();
    let mut base = have;
    while base < total {
        let batch = (total - base).min(50_000);
        let id = copy_id(reg.store().backend(), base);
        let series = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {batch})"
        );
        sqlx::query(&format!(
            "{series} INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
             issuer_id, issuer_kind, authority_id, assessment_id, issued_at, valid_until, state, \
             last_seq) \
             SELECT {id}, c.product_id, c.holder_id, c.scheme_id, c.level_id, c.issuer_id, \
             c.issuer_kind, c.authority_id, c.assessment_id, c.issued_at, c.valid_until, c.state, \
             0 FROM n, certificates c WHERE c.id = $1"
        ))
        .bind(original.to_string())
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(&format!(
            "{series} INSERT INTO events (certificate_id, at, actor_id, role, kind, payload) \
             SELECT {id}, e.at, e.actor_id, e.role, e.kind, e.payload FROM n, events e \
             WHERE e.certificate_id = $1 ORDER BY n.i, e.seq"
        ))
        .bind(original.to_string())
        .execute(pool)
        .await
        .unwrap();
        base += batch;
    }
    sqlx::query(
        "UPDATE certificates SET last_seq = \
         (SELECT MAX(seq) FROM events WHERE events.certificate_id = certificates.id) \
         WHERE id LIKE 'KM-2099-%' AND last_seq = 0",
    )
    .execute(pool)
    .await
    .unwrap();
    // The stored status of each copy: the original's, with its id and last event.
    sqlx::query(
        "UPDATE label_status SET \
           report = REPLACE((SELECT o.report FROM label_status o WHERE o.certificate_id = $1), \
                            $1, label_status.certificate_id), \
           seq = (SELECT c.last_seq FROM certificates c WHERE c.id = label_status.certificate_id), \
           computed_at = (SELECT o.computed_at FROM label_status o WHERE o.certificate_id = $1), \
           stale_after = (SELECT o.stale_after FROM label_status o WHERE o.certificate_id = $1), \
           policy = (SELECT o.policy FROM label_status o WHERE o.certificate_id = $1), \
           trust = (SELECT o.trust FROM label_status o WHERE o.certificate_id = $1) \
         WHERE certificate_id LIKE 'KM-2099-%' AND report IS NULL",
    )
    .bind(original.to_string())
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
}

fn ids(n: i64) -> Vec<CertificateId> {
    (1..=n)
        .map(|i| CertificateId::new(format!("KM-2099-{i:07}")).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sizes: Vec<i64> = std::env::var("KEURMERK_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![(
        "sqlite",
        format!("sqlite:{}", dir.path().join("bench.db").display()),
        None,
    )];
    if let Ok(pg) = std::env::var("KEURMERK_BENCH_PG") {
        targets.push((
            "postgres",
            pg,
            Some(format!("bench_rm_{}", std::process::id())),
        ));
    }
    let mut group = c.benchmark_group("status_read_model");
    for (name, url, schema) in targets {
        let reg = rt.block_on(registry(&url, schema.as_deref()));
        let original = rt.block_on(async {
            let id = reg
                .certificates(&CertificateFilter::default())
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.state == State::Active)
                .unwrap()
                .id;
            // Stored now, by the lookup itself.
            reg.status(&id).await.unwrap();
            let row = reg.store().current_status(&id).await.unwrap().unwrap();
            assert!(row
                .stale_after
                .is_none_or(|t| t > chrono::Utc::now() + chrono::Duration::hours(1)));
            id
        });
        let mut have = 0;
        for &n in &sizes {
            rt.block_on(copy(&reg, &original, have, n));
            have = n;
            let all = ids(n);
            rt.block_on(async {
                // Served from the row: the row's computed_at does not move with a lookup.
                let sample = &all[all.len() / 2];
                let before = reg.store().current_status(sample).await.unwrap().unwrap();
                reg.status(sample).await.unwrap();
                let after = reg.store().current_status(sample).await.unwrap().unwrap();
                assert_eq!(before.computed_at, after.computed_at, "the copy was folded");
            });
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            group.bench_with_input(BenchmarkId::new(name, n), &all, |b, all| {
                b.iter(|| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let id = &all[(state % all.len() as u64) as usize];
                    rt.block_on(reg.status(id)).unwrap()
                });
            });
        }
        if let Some(schema) = schema {
            rt.block_on(async {
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(reg.store().pool())
                    .await
                    .unwrap();
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

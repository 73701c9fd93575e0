//! One policy-scheduler pass over a 100,000-certificate registry with nothing due (issue 12):
//! the lease, the policy fingerprint and the due query; no certificate is read.
//!
//! The registry is the demo, after one pass (which records what was due and stores every
//! certificate's next due time), plus 100,000 exact copies of one of its active certificates
//! (its certificate row and its events, so each copy folds to the same view and has the same next
//! due time; the setup checks this on a sample against the forecast).
//!
//!     cargo bench -p keurmerk-service --bench scheduler
//!     KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test cargo bench -p keurmerk-service --bench scheduler
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::{demo, ManualClock, Registry, Secrets, Signer};
use keurmerk_store::{Backend, CertificateFilter, SqlStore};

const COPIES: i64 = 100_000;
const LEASE: Duration = Duration::from_secs(3600);

async fn registry(url: &str, schema: Option<&str>) -> Registry<SqlStore> {
    let store = SqlStore::connect_in_schema(url, schema).await.unwrap();
    let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
    let now = chrono::Utc::now();
    let secrets = Secrets::memory();
    demo::seed_with(store.clone(), catalogue.clone(), now, secrets.clone())
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(now + chrono::Duration::minutes(1)));
    Registry::new(store.clone(), catalogue, clock)
        .with_signer(Signer::new(Arc::new(store), secrets))
        .with_local_credential(keurmerk_service::Credential::Cli("bench".into()))
}

/// Copies `original` (row and events) `COPIES` times as `KM-2099-000001` ….
async fn copy(reg: &Registry<SqlStore>, original: &CertificateId) {
    let pool = reg.store().pool();
    let id = match reg.store().backend() {
        Backend::Sqlite => "'KM-2099-' || printf('%06d', n.i)",
        Backend::Postgres => "'KM-2099-' || lpad(n.i::text, 6, '0')",
    };
    let series = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {COPIES})"
    );
    sqlx::query(&format!(
        "{series} INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
         issuer_id, issuer_kind, authority_id, assessment_id, issued_at, valid_until, state, \
         last_seq, next_due) \
         SELECT {id}, c.product_id, c.holder_id, c.scheme_id, c.level_id, c.issuer_id, \
         c.issuer_kind, c.authority_id, c.assessment_id, c.issued_at, c.valid_until, c.state, \
         c.last_seq, c.next_due FROM n, certificates c WHERE c.id = $1"
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
    sqlx::query(
        "UPDATE certificates SET last_seq = \
         (SELECT MAX(seq) FROM events WHERE events.certificate_id = certificates.id) \
         WHERE id LIKE 'KM-2099-%'",
    )
    .execute(pool)
    .await
    .unwrap();
}

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
        targets.push((
            "postgres",
            pg,
            Some(format!("bench_{}", std::process::id())),
        ));
    }
    for (name, url, schema) in targets {
        let reg = rt.block_on(async {
            let reg = registry(&url, schema.as_deref()).await;
            // The first pass records what is due and stores every due time.
            let first = reg.scheduler_pass("bench", LEASE).await.unwrap();
            assert!(first.ran);
            let original = reg
                .certificates(&CertificateFilter::default())
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.state == State::Active)
                .unwrap()
                .id;
            copy(&reg, &original).await;
            let all = reg
                .certificates(&CertificateFilter::default())
                .await
                .unwrap()
                .len();
            assert!(all >= COPIES as usize);
            // The copies' stored due time is what the scheduler computes for them.
            let stored: String =
                sqlx::query_scalar("SELECT next_due FROM certificates WHERE id = $1")
                    .bind(original.to_string())
                    .fetch_one(reg.store().pool())
                    .await
                    .unwrap();
            for n in [1, 2, 50_000, COPIES] {
                let id = CertificateId::new(format!("KM-2099-{n:06}")).unwrap();
                let f = reg
                    .forecast(&id, Some(chrono::NaiveDate::MAX))
                    .await
                    .unwrap();
                let due = f.actions.first().unwrap().due_at;
                assert_eq!(
                    stored,
                    due.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                );
            }
            let r = reg.scheduler_pass("bench", LEASE).await.unwrap();
            assert!(r.ran && r.examined == 0 && r.recorded.is_empty(), "{r:?}");
            eprintln!("{name}: {all} certificates, nothing due");
            reg
        });
        c.bench_function(&format!("scheduler_pass_nothing_due_100k/{name}"), |b| {
            b.iter(|| {
                let r = rt.block_on(reg.scheduler_pass("bench", LEASE)).unwrap();
                assert!(r.ran && r.recorded.is_empty());
            });
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

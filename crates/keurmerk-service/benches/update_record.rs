//! The maker's update record over a large organisation (issue 12 item 5): every certificate the
//! maker holds is loaded, its signed record verified, and the record computed from the proven
//! events. The registry is `demo --scale N` (N = 2,400 by default, `KEURMERK_BENCH_SCALE`),
//! spread over 12 makers; the bench takes the maker with the most certificates. Signature checks
//! are cached per trust list, as in a running server, so after the first iteration the cost is
//! the reads, the statement comparison and the computation.
//!
//!     cargo bench --workspace --bench update_record
//!     KEURMERK_BENCH_PG=postgres://postgres@127.0.0.1:5432/test cargo bench --workspace --bench update_record
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::{demo_scale, Registry, Secrets, Signer, SystemClock};
use keurmerk_store::{CertificateFilter, SqlStore};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let n: u64 = std::env::var("KEURMERK_BENCH_SCALE")
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(2400);
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
            Some(format!("bench_ur_{}", std::process::id())),
        ));
    }
    let mut group = c.benchmark_group("update_record_org");
    group.sample_size(10);
    for (name, url, schema) in targets {
        let reg = rt.block_on(async {
            let store = SqlStore::connect_in_schema(&url, schema.as_deref())
                .await
                .unwrap();
            let catalogue =
                Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
            let secrets = Secrets::memory();
            demo_scale::seed_scale(
                store.clone(),
                catalogue.clone(),
                chrono::Utc::now(),
                secrets.clone(),
                n,
                &|_| {},
            )
            .await
            .unwrap();
            Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
                .with_signer(Signer::new(Arc::new(store), secrets))
                .with_local_credential(keurmerk_service::Credential::Cli("bench".into()))
        });
        let (maker, count) = rt.block_on(async {
            let mut per: BTreeMap<String, usize> = BTreeMap::new();
            for c in reg
                .certificates(&CertificateFilter::default())
                .await
                .unwrap()
            {
                *per.entry(c.holder.to_string()).or_default() += 1;
            }
            per.into_iter().max_by_key(|(_, n)| *n).unwrap()
        });
        let maker = keurmerk_domain::ids::OrgId::new(&maker).unwrap();
        let r = rt.block_on(reg.org_update_record(&maker)).unwrap();
        assert!(r.is_complete(), "{:?}", r.unverified);
        assert_eq!(r.certificates.len(), count);
        eprintln!(
            "{name}: {maker} holds {count} certificates; {} findings in the record",
            r.findings.len()
        );
        group.bench_with_input(BenchmarkId::new(name, count), &maker, |b, maker| {
            b.iter(|| rt.block_on(reg.org_update_record(maker)).unwrap());
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

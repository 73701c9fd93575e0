//! Issue 15 item 1, ADR 0019: the bulk path of `demo --scale` writes what the use cases write.
//! A registry seeded in bulk (several batches) passes the same verification as any other: every
//! statement verifies and is in the transparency log with the same bytes (after the sequencer
//! ran), the stored state equals the fold, every read-model row is current and equals the fold;
//! and certificate by certificate it shows the status the reference path (the use cases, one by
//! one) gives the same mix. On SQLite and, when `KEURMERK_TEST_POSTGRES` is set, on PostgreSQL.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use keurmerk_service::demo_scale::{seed_scale, seed_scale_bulk};
use keurmerk_service::*;
use keurmerk_store::{CertificateFilter, CertificateStore, ProductStore, SqlStore, StatusStore};

use crate::support::*;

struct Db {
    url: String,
    schema: Option<String>,
    keys: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        Db {
            url: format!("sqlite:{}", dir.path().join("r.db").display()),
            schema: None,
            keys: tempfile::tempdir().unwrap(),
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<Db> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        Some(Db {
            url,
            schema: Some(format!("t_{}", uuid::Uuid::new_v4().simple())),
            keys: tempfile::tempdir().unwrap(),
            _dir: None,
        })
    }

    async fn store(&self) -> SqlStore {
        SqlStore::connect_in_schema(&self.url, self.schema.as_deref())
            .await
            .unwrap()
    }

    /// A registry reading the seeded store at `now`.
    async fn registry(&self, now: DateTime<Utc>) -> Registry<SqlStore> {
        let store = self.store().await;
        Registry::new(store.clone(), catalogue(), Arc::new(ManualClock::new(now)))
            .with_signer(Signer::new(Arc::new(store), Secrets::dir(self.keys.path())))
            .with_local_credential(Credential::Cli("test".into()))
    }

    async fn drop_schema(&self, store: &SqlStore) {
        if let Some(schema) = &self.schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(store.pool())
                .await
                .unwrap();
        }
    }
}

/// Logs everything queued, then checks the registry as `keurmerk certificate verify` does.
async fn verified(reg: &Registry<SqlStore>) -> usize {
    log_everything(reg).await;
    let problems = reg.verify_all_integrity().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(reg.verify_event_store().await.unwrap().is_empty());
    // Every software list is its maker's, the newest its version logged, with its components.
    let lists = reg.verify_software_lists().await.unwrap();
    assert!(lists.is_empty(), "{lists:?}");
    let check = reg.verify_read_model(false).await.unwrap();
    assert!(check.differences.is_empty(), "{:?}", check.differences);
    assert_eq!(check.not_current, 0, "every certificate has a current row");
    assert_eq!(check.current, check.checked);
    assert!(check.page_differences.is_empty(), "{check:?}");
    assert_eq!(
        check.pages_current, check.checked,
        "every certificate has a current page"
    );
    // Every statement of every certificate verifies against today's trust list, and every page
    // row holds the verdict on the newest one (which `verify_read_model` just compared).
    for c in reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
    {
        let (_, page) = reg.store().current_page(&c.id).await.unwrap().unwrap();
        assert_eq!(page.body.format, "certificate-page-2");
        assert!(page.body.body.contains("\"newest\":{"), "{}", c.id);
        for s in reg.verify_statements(&c.id).await.unwrap() {
            assert!(s.result.is_ok(), "{}: {:?}", c.id, s.result);
        }
    }
    check.checked
}

const N: u64 = 150;

async fn bulk_registry_verifies(db: Db) {
    let now = t0();
    let store = db.store().await;
    let summary = seed_scale_bulk(
        store.clone(),
        catalogue(),
        now,
        Secrets::dir(db.keys.path()),
        N,
        32,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.certificates, N);
    assert!(summary.suspended + summary.withdrawn > 0, "{summary:?}");
    assert!(
        summary.with_sbom > 0 && summary.with_dependency > 0,
        "{summary:?}"
    );
    let reg = db.registry(now).await;
    assert_eq!(verified(&reg).await, N as usize);
    // Seeding twice is refused, as on the reference path.
    let again = seed_scale_bulk(
        store.clone(),
        catalogue(),
        now,
        Secrets::dir(db.keys.path()),
        N,
        32,
        &|_| {},
    )
    .await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))), "{again:?}");
    // Search documents were written with the certificates.
    let page = reg
        .search_labels(&LabelQuery {
            text: Some("M00000100".into()),
            scheme: None,
            level: None,
            state: None,
            category: None,
            manufacturer: None,
            member_state: None,
            limit: 10,
            offset: 0,
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "{page:?}");
    db.drop_schema(&store).await;
}

#[tokio::test]
async fn bulk_registry_verifies_sqlite() {
    bulk_registry_verifies(Db::sqlite()).await;
}

#[tokio::test]
async fn bulk_registry_verifies_postgres() {
    if let Some(db) = Db::postgres() {
        bulk_registry_verifies(db).await;
    }
}

/// Each certificate's status by its product's model (`M<i>`), the seed's own numbering.
async fn statuses(reg: &Registry<SqlStore>) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    for c in reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
    {
        let p = reg.store().product(&c.product).await.unwrap().unwrap();
        let mut report = serde_json::to_value(reg.status(&c.id).await.unwrap()).unwrap();
        let o = report.as_object_mut().unwrap();
        // Which certificate (ids are numbered in another order) and when it was asked.
        o.remove("evaluated_at");
        o.remove("certificate");
        out.insert(
            p.model,
            serde_json::json!({"state": c.state, "report": report}),
        );
    }
    out
}

/// The same mix through both paths gives every certificate the same state and status report,
/// once the scheduler has run (the bulk path records what is due for its certificates as the
/// scheduler would). Software lists differ by design (ADR 0019: the bulk path gives most of the
/// mix's vulnerable lists the fixed version), so those certificates are left out.
#[tokio::test]
async fn bulk_gives_what_the_use_cases_give() {
    let now = t0();
    let n = 60;
    let (slow, fast) = (Db::sqlite(), Db::sqlite());
    seed_scale(
        slow.store().await,
        catalogue(),
        now,
        Secrets::dir(slow.keys.path()),
        n,
        &|_| {},
    )
    .await
    .unwrap();
    seed_scale_bulk(
        fast.store().await,
        catalogue(),
        now,
        Secrets::dir(fast.keys.path()),
        n,
        16,
        &|_| {},
    )
    .await
    .unwrap();
    let reference = slow.registry(now).await;
    reference
        .scheduler_pass("test", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let bulk = fast.registry(now).await;
    // The bulk path recorded what was due for its own certificates; those it seeded through the
    // use cases are left to the scheduler, as on the reference path.
    let pass = bulk
        .scheduler_pass("test", std::time::Duration::from_secs(60))
        .await
        .unwrap();
    // The seeder adopted its due times: the first pass examines what is due, not every
    // certificate again (it cleared and walked them all before).
    assert!(pass.examined < n as usize / 4, "{}", pass.examined);
    let (a, b) = (statuses(&reference).await, statuses(&bulk).await);
    assert_eq!(a.len(), b.len());
    let mut compared = 0;
    for (model, want) in &a {
        let i: u64 = model.trim_start_matches('M').parse().unwrap();
        if keurmerk_service::demo_scale::vulnerable_in_mix(i) {
            continue;
        }
        assert_eq!(Some(want), b.get(model), "{model}");
        compared += 1;
    }
    assert!(compared > n as usize / 2, "{compared}");
}

/// The store's guards: a batch numbered from a counter that moved, or after an event that is no
/// longer the last, writes nothing.
async fn bulk_write_is_refused_when_numbering_moved(db: Db) {
    use keurmerk_store::{BulkBatch, BulkCertificate, BulkStore, CounterMove};
    let now = t0();
    let store = db.store().await;
    seed_scale_bulk(
        store.clone(),
        catalogue(),
        now,
        Secrets::dir(db.keys.path()),
        20,
        8,
        &|_| {},
    )
    .await
    .unwrap();
    let reg = db.registry(now).await;
    let products = reg.store().current_sequence("PRD").await.unwrap();
    let stale = BulkBatch {
        counters: vec![CounterMove {
            name: "PRD".into(),
            from: products - 1,
            to: products + 5,
        }],
        ..BulkBatch::default()
    };
    let refused = store.write_bulk(&stale).await;
    assert!(
        matches!(refused, Err(keurmerk_store::StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert_eq!(reg.store().current_sequence("PRD").await.unwrap(), products);
    // A certificate numbered after an event that is no longer the last one.
    let c = reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .remove(0);
    let events = reg.store().events(&c.id).await.unwrap();
    let statements = reg.verify_statements(&c.id).await.unwrap();
    let last = store.last_event_seq().await.unwrap();
    let mut copy = c.clone();
    copy.id = "KM-2099-000001".parse().unwrap();
    let batch = BulkBatch {
        events_after: last - 1,
        certificates: vec![BulkCertificate {
            certificate: copy.clone(),
            events: events
                .iter()
                .zip(&statements)
                .enumerate()
                .map(|(k, (e, _))| {
                    let mut e = e.clone();
                    e.certificate = copy.id.clone();
                    e.seq = last + i64::try_from(k).unwrap();
                    (e, vec![1, 2, 3])
                })
                .collect(),
            report: reg.status(&c.id).await.unwrap(),
            computed_at: now,
            stale_after: None,
            policy: "p".into(),
            trust: "t".into(),
            next_due: None,
            page: None,
        }],
        ..BulkBatch::default()
    };
    let refused = store.write_bulk(&batch).await;
    assert!(
        matches!(refused, Err(keurmerk_store::StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert!(reg.store().certificate(&copy.id).await.unwrap().is_none());
    assert_eq!(store.last_event_seq().await.unwrap(), last);
    db.drop_schema(&store).await;
}

#[tokio::test]
async fn bulk_write_is_refused_when_numbering_moved_sqlite() {
    bulk_write_is_refused_when_numbering_moved(Db::sqlite()).await;
}

#[tokio::test]
async fn bulk_write_is_refused_when_numbering_moved_postgres() {
    if let Some(db) = Db::postgres() {
        bulk_write_is_refused_when_numbering_moved(db).await;
    }
}

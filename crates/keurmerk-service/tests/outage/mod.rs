//! Reads while the database is out of reach (PostgreSQL; nothing without
//! `KEURMERK_TEST_POSTGRES`): a request waits for its own pool only, and a flood of them is
//! answered within the pool's wait, not one wait after another (crate::turn in the service).

use std::sync::Arc;
use std::time::Duration;

use keurmerk_service::*;
use keurmerk_store::{PoolSettings, SqlStore};

use crate::support::*;

fn everything() -> LabelQuery {
    LabelQuery {
        limit: 10,
        ..LabelQuery::default()
    }
}

/// A fresh schema with the test world in it, a registry over it whose pool has `pool`, and the
/// schema's name (dropped by [`done`]).
async fn registry_with_pool(url: &str, pool: PoolSettings) -> (Registry<SqlStore>, String) {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = SqlStore::connect_with_pool(url, Some(&schema), pool)
        .await
        .unwrap();
    let reg = registry(store, Arc::new(ManualClock::new(t0())));
    world(&reg).await;
    // The trust list the writes built is no longer reused: the next read builds it.
    tokio::time::sleep(TRUST_LIST_TTL + Duration::from_millis(100)).await;
    (reg, schema)
}

async fn done(reg: &Registry<SqlStore>, schema: &str) {
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(reg.store().pool())
        .await
        .unwrap();
    reg.store().close().await;
}

/// The background work shares the trust list with requests but builds it on its own
/// connections: a build of its own waiting for its pool (here every connection of it held) never
/// keeps a request waiting. Before, the two took turns on one lock, and in an outage a request
/// waited the background pool's 10 s before its own wait began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_waits_for_the_background_pool() {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        return;
    };
    let (reg, schema) = registry_with_pool(&url, PoolSettings::default()).await;
    let background = reg.with_store(reg.store().with_own_pool(1).await.unwrap());
    let held = background.store().pool().acquire().await.unwrap();
    let builds = reg.trust_list_builds();
    let waiting = {
        let background = background.clone();
        tokio::spawn(async move { background.search_labels(&everything()).await })
    };
    // Its build has begun: it holds its turn, waiting for its pool's only connection.
    while reg.trust_list_builds() == builds {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    reg.search_labels(&everything()).await.unwrap();
    assert!(
        !waiting.is_finished(),
        "the request was answered only once the background build was done"
    );
    drop(held);
    waiting.await.unwrap().unwrap();
    // Not closed: it shares the search's words with `reg`, which `close` would end.
    drop(background);
    done(&reg, &schema).await;
}

/// Requests that find the trust list expired while every connection of their pool is held wait
/// for the first one's build; when it finds the database out of reach, they are answered
/// unavailable with it, and do not each build again (which took one pool's wait each, one after
/// another: the fourth was answered after four waits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_are_answered_with_the_build_that_found_the_database_out_of_reach() {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        return;
    };
    let pool = PoolSettings {
        connections: 1,
        // Long enough that the four reads, spawned together, all arrive before the first fails.
        wait: Duration::from_secs(1),
    };
    let (reg, schema) = registry_with_pool(&url, pool).await;
    let held = reg.store().pool().acquire().await.unwrap();
    let builds = reg.trust_list_builds();
    let reads: Vec<_> = (0..4)
        .map(|_| {
            let reg = reg.clone();
            tokio::spawn(async move { reg.search_labels(&everything()).await })
        })
        .collect();
    for read in reads {
        match read.await.unwrap() {
            Err(ServiceError::Unavailable(e)) => assert!(e.is_unavailable(), "{e}"),
            other => panic!("expected unavailable, got {other:?}"),
        }
    }
    // One build, or two if a read arrived only after the first had failed; four without turns.
    let built = reg.trust_list_builds() - builds;
    assert!((1..=2).contains(&built), "{built} builds for 4 reads");
    drop(held);
    // The database back, the next read builds and succeeds.
    reg.search_labels(&everything()).await.unwrap();
    done(&reg, &schema).await;
}

//! Integration tests: sequencer, tile serving, receipts, monitor, tampering, witnesses, and two
//! sequencers on one PostgreSQL schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt as _;
use keurmerk_store::SqlStore;
use keurmerk_tlog::{
    decode_entry_bundle, open_checkpoint, verify_receipt_for_origin, CosignatureV1Signer, Leaf,
    Receipt, Verifiers,
};
use keurmerk_transparency::{
    accept_all, log_router, verify_log, EntryCheck, Error, LogKey, LogState, MonitorError,
    Sequencer, SequencerConfig,
};
use tower::ServiceExt as _;

const ORIGIN: &str = "registry.test/log";

async fn sqlite_store() -> (tempfile::TempDir, SqlStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("k.db").to_str().unwrap())
        .await
        .unwrap();
    (dir, store)
}

fn entry(i: i64) -> Vec<u8> {
    format!(
        "{{\"statement\":{i},\"pad\":\"{}\"}}",
        "x".repeat((i % 50) as usize)
    )
    .into_bytes()
}

async fn enqueue(store: &SqlStore, seq: i64, entry: &[u8]) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(seq)
    .bind(entry.to_vec())
    .bind("2026-01-01T00:00:00Z")
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Queues entries `from..to` (event_seq = i) and sequences them all.
async fn append(store: &SqlStore, seq: &Sequencer, from: i64, to: i64) {
    for i in from..to {
        enqueue(store, i, &entry(i)).await;
    }
    while seq.step().await.unwrap().is_some() {}
}

async fn sequencer(store: &SqlStore, key: &str, batch: usize) -> Sequencer {
    Sequencer::new(
        store,
        LogKey::from_skey(key).unwrap(),
        SequencerConfig::default()
            .with_max_batch(batch)
            .with_interval(Duration::from_millis(50)),
    )
    .await
    .unwrap()
}

fn new_skey() -> (String, String) {
    let s = keurmerk_tlog::Ed25519Signer::generate(ORIGIN, &mut rand_core::OsRng).unwrap();
    (s.skey(), s.vkey())
}

async fn serve(state: LogState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, log_router(state)).await.unwrap() });
    addr
}

async fn get(state: &LogState, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let resp = log_router(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = |name| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (ct, cc) = (h(header::CONTENT_TYPE), h(header::CACHE_CONTROL));
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ct, cc, body)
}

#[tokio::test]
async fn router_serves_c2sp_tiles_with_cache_headers() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 4096).await;
    append(&store, &seq, 0, 300).await;
    let state = LogState::new(&store);

    let (st, ct, cc, body) = get(&state, "/log/checkpoint").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ct, "text/plain; charset=utf-8");
    assert_eq!(cc, "no-cache");
    let verifiers =
        Verifiers::new().with(keurmerk_tlog::Ed25519Verifier::from_vkey(&vkey).unwrap());
    let (cp, _) = open_checkpoint(&body, ORIGIN, &verifiers).unwrap();
    assert_eq!(cp.size, 300);

    let immutable = "public, max-age=31536000, immutable";
    for (path, len, cache) in [
        ("/log/tile/0/000", 256 * 32, immutable),
        ("/log/tile/0/001.p/44", 44 * 32, "public, max-age=5"),
        ("/log/tile/0/001.p/7", 7 * 32, "public, max-age=5"),
        ("/log/tile/1/000.p/1", 32, "public, max-age=5"),
    ] {
        let (st, ct, cc, body) = get(&state, path).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert_eq!(ct, "application/octet-stream", "{path}");
        assert_eq!(cc, cache, "{path}");
        assert_eq!(body.len(), len, "{path}");
    }
    let (st, _, cc, body) = get(&state, "/log/tile/entries/000").await;
    assert_eq!((st, cc.as_str()), (StatusCode::OK, immutable));
    let entries = decode_entry_bundle(&body).unwrap();
    assert_eq!(entries.len(), 256);
    assert_eq!(entries[5], entry(5).as_slice());
    let (st, _, _, body) = get(&state, "/log/tile/entries/001.p/44").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        decode_entry_bundle(&body).unwrap()[43],
        entry(299).as_slice()
    );
    let (st, _, _, body) = get(&state, "/log/tile/entries/001.p/3").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(decode_entry_bundle(&body).unwrap().len(), 3);

    for path in [
        "/log/tile/0/001.p/45",
        "/log/tile/0/001",
        "/log/tile/0/002",
        "/log/tile/1/000",
        "/log/tile/2/000.p/1",
        "/log/tile/entries/001",
        "/log/tile/entries/x001/000",
    ] {
        assert_eq!(get(&state, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/log/tile/0/1",
        "/log/tile/0/000.p/256",
        "/log/tile/0/000.p/0",
        "/log/tile/0/000.p/007",
        "/log/tile/x/000",
        "/log/tile/0/1000",
        "/log/tile/entries/000/extra",
        "/log/tile/0/x000/001",
    ] {
        assert_eq!(get(&state, path).await.0, StatusCode::BAD_REQUEST, "{path}");
    }
}

/// While the database cannot be used (here: the store closed, as while the server stops), the
/// log's routes answer `503` with `Retry-After` and `Cache-Control: no-store`, as the
/// registry's other routes do, not `500`;
/// a full hash tile already in memory is still served.
#[tokio::test]
async fn a_closed_database_is_answered_503_by_the_log() {
    let (_dir, store) = sqlite_store().await;
    let (skey, _) = new_skey();
    let seq = sequencer(&store, &skey, 4096).await;
    append(&store, &seq, 0, 300).await;
    let state = LogState::new(&store);
    assert_eq!(get(&state, "/log/tile/0/000").await.0, StatusCode::OK);
    store.close().await;
    for path in [
        "/log/checkpoint",
        "/log/tile/0/001.p/44",
        "/log/tile/entries/000",
    ] {
        let resp = log_router(state.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(
            resp.headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap()),
            Some("5"),
            "{path}"
        );
        // No cache keeps "busy" for later fetches.
        assert_eq!(
            resp.headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
    assert_eq!(get(&state, "/log/tile/0/000").await.0, StatusCode::OK);
}

#[tokio::test]
async fn receipts_verify_offline_for_each_event() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 100).await;
    append(&store, &seq, 1, 700).await;
    let state = LogState::new(&store);
    let verifiers =
        Verifiers::new().with(keurmerk_tlog::Ed25519Verifier::from_vkey(&vkey).unwrap());
    for event in [1, 2, 255, 256, 257, 511, 512, 699] {
        let text = state.receipt_for_event(event).await.unwrap();
        let receipt = Receipt::parse(text.as_bytes()).unwrap();
        assert_eq!(receipt.index, (event - 1) as u64);
        let v = verify_receipt_for_origin(&receipt, Leaf::Data(&entry(event)), &verifiers, ORIGIN)
            .unwrap();
        assert_eq!(v.checkpoint.size, 699);
    }
    assert!(matches!(
        state.receipt_for_event(5000).await,
        Err(Error::NotInLog(_))
    ));
}

#[tokio::test]
async fn wait_for_acknowledges_after_commit_with_running_sequencer() {
    let (_dir, store) = sqlite_store().await;
    let (skey, _) = new_skey();
    let seq = sequencer(&store, &skey, 64).await;
    let task = seq.spawn();
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push((i, enqueue(&store, i, &entry(i)).await));
    }
    let mut seen = HashSet::new();
    for (i, id) in ids {
        let index = tokio::time::timeout(Duration::from_secs(60), seq.wait_for(id))
            .await
            .unwrap()
            .unwrap();
        assert!(seen.insert(index));
        let receipt = LogState::new(&store).receipt_for_event(i).await.unwrap();
        assert_eq!(Receipt::parse(receipt.as_bytes()).unwrap().index, index);
    }
    assert!(matches!(
        seq.wait_for(999_999).await,
        Err(Error::UnknownQueueId(999_999))
    ));
    task.abort();
}

#[tokio::test]
async fn monitor_verifies_end_to_end_and_incrementally() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 300).await;
    append(&store, &seq, 0, 1000).await;
    let addr = serve(LogState::new(&store)).await;
    let url = format!("http://{addr}");
    let state_dir = tempfile::tempdir().unwrap();
    let state_file = state_dir.path().join("monitor.json");

    let seen = Mutex::new(HashSet::new());
    let check = |i: u64, e: &[u8]| {
        assert_eq!(e, entry(i as i64).as_slice());
        seen.lock().unwrap().insert(i);
        Ok(())
    };
    let r = verify_log(&url, Some(&state_file), &vkey, &[], 0, &check)
        .await
        .unwrap();
    assert_eq!(
        (r.previous_size, r.size, r.entries_checked),
        (0, 1000, 1000)
    );
    assert_eq!(seen.lock().unwrap().len(), 1000);

    append(&store, &seq, 1000, 1777).await;
    let r = verify_log(
        &format!("{url}/log/"),
        Some(&state_file),
        &vkey,
        &[],
        0,
        &check,
    )
    .await
    .unwrap();
    assert_eq!(
        (r.previous_size, r.size, r.entries_checked),
        (1000, 1777, 777)
    );
    assert_eq!(seen.lock().unwrap().len(), 1777);
    // Nothing new: still fine.
    let r = verify_log(&url, Some(&state_file), &vkey, &[], 0, &accept_all)
        .await
        .unwrap();
    assert_eq!(
        (r.previous_size, r.size, r.entries_checked),
        (1777, 1777, 0)
    );

    // The entry check is applied, and a rejection fails the run without moving the state.
    let reject = |i: u64, _: &[u8]| {
        if i == 1234 {
            Err("bad signature".to_owned())
        } else {
            Ok(())
        }
    };
    match verify_log(&url, None, &vkey, &[], 0, &reject).await {
        Err(MonitorError::EntriesRejected { count: 1, first }) => {
            assert_eq!(first, vec![(1234, "bad signature".to_owned())])
        }
        other => panic!("{other:?}"),
    }
    // A different log key is refused.
    let (_, other_vkey) = new_skey();
    assert!(matches!(
        verify_log(&url, None, &other_vkey, &[], 0, &accept_all).await,
        Err(MonitorError::Checkpoint(_))
    ));
}

/// Counts the entries it has checked, across runs: what it keeps is the count.
#[derive(Default)]
struct Counting(Mutex<u64>);

impl EntryCheck for Counting {
    fn check(&self, _index: u64, _entry: &[u8]) -> Result<(), String> {
        *self.0.lock().unwrap() += 1;
        Ok(())
    }

    fn memory(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "count": *self.0.lock().unwrap() }))
    }

    fn recall(&self, memory: &serde_json::Value) -> Result<(), String> {
        *self.0.lock().unwrap() = memory["count"].as_u64().ok_or("no count")?;
        Ok(())
    }
}

/// What an entry check keeps of the entries it checked reaches the next run through the state
/// file (a run never reads those entries again), survives a run whose check keeps nothing, is
/// saved only by a run that verified, and a memory the check cannot take back fails the run.
#[tokio::test]
async fn an_entry_checks_memory_is_carried_from_run_to_run() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 300).await;
    append(&store, &seq, 0, 300).await;
    let addr = serve(LogState::new(&store)).await;
    let url = format!("http://{addr}");
    let state_dir = tempfile::tempdir().unwrap();
    let state_file = state_dir.path().join("monitor.json");
    let kept = || -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&state_file).unwrap()).unwrap()
            ["entry_check"]
            .clone()
    };

    let first = Counting::default();
    verify_log(&url, Some(&state_file), &vkey, &[], 0, &first)
        .await
        .unwrap();
    assert_eq!(kept(), serde_json::json!({"count": 300}));
    append(&store, &seq, 300, 400).await;
    // A structure-only run checks the new entries without the memory, and leaves it as it was.
    verify_log(&url, Some(&state_file), &vkey, &[], 0, &accept_all)
        .await
        .unwrap();
    assert_eq!(kept(), serde_json::json!({"count": 300}));
    append(&store, &seq, 400, 450).await;
    let second = Counting::default();
    let r = verify_log(&url, Some(&state_file), &vkey, &[], 0, &second)
        .await
        .unwrap();
    assert_eq!(r.entries_checked, 50);
    assert_eq!(
        kept(),
        serde_json::json!({"count": 350}),
        "recalled, then counted on"
    );

    // A memory the check cannot take back: the run fails and the file stays as it was.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    file["entry_check"] = serde_json::json!({"counted": "many"});
    std::fs::write(&state_file, serde_json::to_vec(&file).unwrap()).unwrap();
    let before = std::fs::read(&state_file).unwrap();
    append(&store, &seq, 450, 460).await;
    match verify_log(&url, Some(&state_file), &vkey, &[], 0, &Counting::default()).await {
        Err(MonitorError::State { reason, .. }) => assert!(reason.contains("no count"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&state_file).unwrap(), before);
}

/// Changes stored log data behind the log's back (read-modify-write, same on both backends).
async fn tamper(store: &SqlStore, table: &str, key_sql: &str, edit: impl Fn(&mut Vec<u8>)) {
    let mut data: Vec<u8> =
        sqlx::query_scalar(&format!("SELECT data FROM {table} WHERE {key_sql}"))
            .fetch_one(store.pool())
            .await
            .unwrap();
    edit(&mut data);
    sqlx::query(&format!("UPDATE {table} SET data = $1 WHERE {key_sql}"))
        .bind(data)
        .execute(store.pool())
        .await
        .unwrap();
}

fn replace(data: &mut [u8], from: &[u8], to: &[u8]) {
    let at = data.windows(from.len()).position(|w| w == from).unwrap();
    data[at..at + to.len()].copy_from_slice(to);
}

#[tokio::test]
async fn monitor_detects_a_rewritten_entry_bundle() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 4096).await;
    append(&store, &seq, 0, 1000).await;
    let url = format!("http://{}", serve(LogState::new(&store)).await);
    verify_log(&url, None, &vkey, &[], 0, &accept_all)
        .await
        .unwrap();

    tamper(&store, "log_bundles", "idx = 2", |d| {
        replace(d, b"\"statement\":600,", b"\"statement\":601,")
    })
    .await;
    let err = verify_log(&url, None, &vkey, &[], 0, &accept_all)
        .await
        .unwrap_err();
    let msg = err.to_string();
    eprintln!("monitor: {msg}");
    assert!(matches!(err, MonitorError::Mismatch { .. }), "{msg}");
    assert!(
        msg.contains("tile/entries/002") || msg.contains("tile/0/002"),
        "{msg}"
    );
    assert!(msg.contains("entry 600"), "{msg}");
    assert!(msg.contains("rewritten"), "{msg}");
}

#[tokio::test]
async fn monitor_detects_a_rewritten_hash_tile() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 4096).await;
    append(&store, &seq, 0, 1000).await;
    let url = format!("http://{}", serve(LogState::new(&store)).await);

    tamper(&store, "log_tiles", "level = 0 AND idx = 1", |d| {
        d[128 * 32 + 5] ^= 1
    })
    .await;
    let err = verify_log(&url, None, &vkey, &[], 0, &accept_all)
        .await
        .unwrap_err();
    let msg = err.to_string();
    eprintln!("monitor: {msg}");
    assert!(matches!(err, MonitorError::Mismatch { .. }), "{msg}");
    assert!(msg.contains("tile/0/001 position 128"), "{msg}");
    assert!(msg.contains("hash tile was altered"), "{msg}");
}

#[tokio::test]
async fn monitor_detects_a_forked_history_against_its_state() {
    let (skey, vkey) = new_skey();
    let state_dir = tempfile::tempdir().unwrap();
    let state_file = state_dir.path().join("monitor.json");

    let (_d1, honest) = sqlite_store().await;
    append(&honest, &sequencer(&honest, &skey, 4096).await, 0, 600).await;
    let url = format!("http://{}", serve(LogState::new(&honest)).await);
    verify_log(&url, Some(&state_file), &vkey, &[], 0, &accept_all)
        .await
        .unwrap();

    // Same key, different history (entry 300 differs), then grown past the old size.
    let (_d2, forked) = sqlite_store().await;
    let fseq = sequencer(&forked, &skey, 4096).await;
    append(&forked, &fseq, 0, 300).await;
    enqueue(&forked, 300, b"a different statement").await;
    append(&forked, &fseq, 301, 900).await;
    let url = format!("http://{}", serve(LogState::new(&forked)).await);
    let err = verify_log(&url, Some(&state_file), &vkey, &[], 0, &accept_all)
        .await
        .unwrap_err();
    assert!(
        matches!(err, MonitorError::Inconsistent(_)),
        "{err}: expected an inconsistency"
    );
    eprintln!("monitor: {err}");
    assert!(err.to_string().contains("size 600"), "{err}");
    // The state file still holds the honest checkpoint.
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert_eq!(saved["size"], 600);
}

#[tokio::test]
async fn witness_cosignatures_are_added_and_required() {
    let (_dir, store) = sqlite_store().await;
    let (skey, vkey) = new_skey();
    let seq = sequencer(&store, &skey, 4096).await;
    append(&store, &seq, 0, 10).await;
    let state = LogState::new(&store);
    let url = format!("http://{}", serve(state.clone()).await);
    let witness = CosignatureV1Signer::generate("witness.test", &mut rand_core::OsRng).unwrap();
    let wkey = witness.verifier().vkey();

    match verify_log(
        &url,
        None,
        &vkey,
        std::slice::from_ref(&wkey),
        1,
        &accept_all,
    )
    .await
    {
        Err(MonitorError::NotEnoughWitnesses {
            found: 0,
            required: 1,
        }) => {}
        other => panic!("{other:?}"),
    }

    let checkpoint = state.checkpoint().await.unwrap();
    let text = keurmerk_tlog::Note::parse(checkpoint.as_bytes())
        .unwrap()
        .text;
    // A cosignature over another checkpoint is refused.
    let wrong = witness.cosign(
        "registry.test/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        1_700_000_000,
    );
    let err = state
        .add_cosignature(&wkey, &wrong.unwrap().line())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadCosignature(_)), "{err}");
    let line = witness.cosign(&text, 1_700_000_000).unwrap().line();
    state.add_cosignature(&wkey, &line).await.unwrap();

    let r = verify_log(
        &url,
        None,
        &vkey,
        std::slice::from_ref(&wkey),
        1,
        &accept_all,
    )
    .await
    .unwrap();
    assert_eq!(r.witnesses, vec!["witness.test".to_owned()]);

    // The next batch publishes a new checkpoint that the witness has not cosigned yet.
    append(&store, &seq, 10, 20).await;
    assert!(matches!(
        state.add_cosignature(&wkey, &line).await,
        Err(Error::BadCosignature(_))
    ));
}

/// Two sequencers (two pools, as two `keurmerk serve` instances) on one PostgreSQL schema, with
/// entries queued concurrently, build one log with every entry exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sequencers_on_one_postgres_make_one_log() {
    let Ok(pg_url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
        return;
    };
    let schema = format!("log_test_{}", uuid::Uuid::new_v4().simple());
    let a = SqlStore::connect_in_schema(&pg_url, Some(&schema))
        .await
        .unwrap();
    let b = SqlStore::connect_in_schema(&pg_url, Some(&schema))
        .await
        .unwrap();
    let (skey, vkey) = new_skey();
    let seq_a = sequencer(&a, &skey, 97).await;
    let seq_b = sequencer(&b, &skey, 61).await;

    const N: i64 = 2000;
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let store = if p % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in (p..N).step_by(4) {
                    ids.push(enqueue(&store, i, &entry(i)).await);
                }
                ids
            })
        })
        .collect();
    let run = |s: Sequencer, pool: sqlx::AnyPool| {
        tokio::spawn(async move {
            let mut batches = 0u32;
            loop {
                match s.step().await.unwrap() {
                    Some(_) => batches += 1,
                    None => {
                        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_entries")
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                        if done >= N {
                            return batches;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                }
            }
        })
    };
    let ta = run(seq_a.clone(), a.pool().clone());
    let tb = run(seq_b.clone(), b.pool().clone());
    let mut queued = Vec::new();
    for p in producers {
        queued.extend(p.await.unwrap());
    }
    // A hang guard, not a performance assertion: a lost entry would keep both loops waiting.
    let guard = Duration::from_secs(300);
    let ba = tokio::time::timeout(guard, ta).await.unwrap().unwrap();
    let bb = tokio::time::timeout(guard, tb).await.unwrap().unwrap();
    eprintln!("sequencer A ran {ba} batches, B ran {bb}");

    // Every queued entry is in the log exactly once, and the queue is empty.
    let rows: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT log_index, event_seq, queue_id FROM log_entries ORDER BY log_index")
            .fetch_all(a.pool())
            .await
            .unwrap();
    assert_eq!(rows.len() as i64, N);
    assert!(rows.iter().enumerate().all(|(i, r)| r.0 == i as i64));
    let events: HashSet<i64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(events.len() as i64, N);
    let ids: HashSet<i64> = rows.iter().map(|r| r.2).collect();
    assert_eq!(ids, queued.into_iter().collect());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(a.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);

    // Either instance acknowledges any entry, whichever sequenced it.
    for &(index, _, queue_id) in rows.iter().step_by(97) {
        assert_eq!(seq_a.wait_for(queue_id).await.unwrap(), index as u64);
        assert_eq!(seq_b.wait_for(queue_id).await.unwrap(), index as u64);
    }

    // The log verifies, and each entry is the one its mapping says.
    let by_index: std::collections::HashMap<u64, i64> =
        rows.iter().map(|r| (r.0 as u64, r.1)).collect();
    let url = format!("http://{}", serve(LogState::new(&b)).await);
    let check = |i: u64, e: &[u8]| {
        if e == entry(by_index[&i]).as_slice() {
            Ok(())
        } else {
            Err("entry does not match its event".to_owned())
        }
    };
    let r = verify_log(&url, None, &vkey, &[], 0, &check).await.unwrap();
    assert_eq!(r.size, N as u64);
    let receipt = LogState::new(&a).receipt_for_event(N - 1).await.unwrap();
    assert!(receipt.contains(&format!("\n{N}\n")));

    a.close().await;
    b.close().await;
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&pg_url)
        .await
        .unwrap();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

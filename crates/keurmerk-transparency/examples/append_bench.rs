//! Durable append throughput and storage per entry of the transparency log.
//!
//! ```text
//! cargo run --release -p keurmerk-transparency --example append_bench -- [DB] [N] [ENTRY_BYTES]
//! ```
//!
//! `DB` is `sqlite` (a fresh temporary file, WAL + synchronous=FULL: one fsync per batch) or a
//! `postgres://…` URL (a fresh schema, dropped afterwards). The queue is filled first (not
//! timed), then drained by the sequencer in batches of 4096; every batch is one committed
//! transaction with a signed checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use keurmerk_store::{Backend, SqlStore};
use keurmerk_transparency::{LogKey, Sequencer, SequencerConfig};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(2).map_or(200_000, |s| s.parse().unwrap());
    let entry_bytes: usize = args.get(3).map_or(600, |s| s.parse().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let schema = format!("log_bench_{}", uuid::Uuid::new_v4().simple());
    let store = if db == "sqlite" {
        SqlStore::connect(dir.path().join("bench.db").to_str().unwrap())
            .await
            .unwrap()
    } else {
        SqlStore::connect_in_schema(&db, Some(&schema))
            .await
            .unwrap()
    };
    let pool = store.pool().clone();

    // Fill the queue (what the service layer does, one row per signed statement).
    let t = Instant::now();
    // Incompressible padding (PostgreSQL compresses large values): hex of a xorshift stream,
    // standing in for the base64 signatures and digests that dominate real statements.
    let pad_len = entry_bytes.saturating_sub(25);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut pad_for = move || {
        (0..pad_len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b"0123456789abcdef"[(x & 15) as usize])
            })
            .collect::<String>()
    };
    for chunk_start in (0..n).step_by(1000) {
        let k = 1000.min(n - chunk_start);
        let values: Vec<String> = (0..k)
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for i in chunk_start..chunk_start + k {
            let e = format!("{{\"seq\":{i:>10},\"x\":\"{}\"}}", pad_for());
            q = q
                .bind(i as i64)
                .bind(e.into_bytes())
                .bind("2026-01-01T00:00:00Z");
        }
        q.execute(&pool).await.unwrap();
    }
    eprintln!("queued {n} entries in {:.2?}", t.elapsed());

    let seq = Sequencer::new(
        &store,
        LogKey::generate("bench.test/log").unwrap(),
        SequencerConfig::default().with_max_batch(4096),
    )
    .await
    .unwrap();
    let t = Instant::now();
    let mut batches = 0;
    while let Some(_b) = seq.step().await.unwrap() {
        batches += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:?}: {n} entries of {entry_bytes} B in {batches} batches: {secs:.2} s, {:.0} entries/s, {:.1} ms/batch",
        store.backend(),
        n as f64 / secs,
        1000.0 * secs / f64::from(batches)
    );

    // Storage per entry, by table (with indexes).
    let tables = ["log_tiles", "log_bundles", "log_entries", "log_head"];
    let mut total = 0i64;
    for table in tables {
        let bytes: i64 = match store.backend() {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = $1 OR name IN \
                 (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $2)",
            )
            .bind(table)
            .bind(table)
            .fetch_one(&pool)
            .await
            .unwrap(),
            Backend::Postgres => sqlx::query_scalar("SELECT pg_total_relation_size($1::regclass)")
                .bind(table)
                .fetch_one(&pool)
                .await
                .unwrap(),
        };
        total += bytes;
        println!(
            "  {table:<12} {bytes:>12} B  {:>8.1} B/entry",
            bytes as f64 / n as f64
        );
    }
    let payload = (n * entry_bytes) as f64;
    println!(
        "  total        {total:>12} B  {:>8.1} B/entry ({:.1} B/entry beyond the {entry_bytes}-byte entry)",
        total as f64 / n as f64,
        (total as f64 - payload) / n as f64
    );

    store.close().await;
    if store.backend() == Backend::Postgres {
        let admin = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&db)
            .await
            .unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
    }
}

//! A flood of log fetches answered `503` while the database cannot be used logs a warning a
//! second, each saying how many answers it stands for, not one per request (as the registry's
//! routes do). Alone in its test binary: the throttle counts for the whole process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use keurmerk_store::SqlStore;
use keurmerk_transparency::{log_router, LogState};
use tower::ServiceExt;

/// What the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_flood_of_unavailable_log_fetches_logs_a_line_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(dir.path().join("k.db").to_str().unwrap())
        .await
        .unwrap();
    let app = log_router(LogState::new(&store));
    store.close().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    const REQUESTS: u64 = 300;
    let started = std::time::Instant::now();
    for i in 0..REQUESTS {
        let path = if i % 2 == 0 {
            "/log/checkpoint"
        } else {
            "/log/tile/entries/000"
        };
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
    }
    let seconds = started.elapsed().as_secs();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let counts: Vec<u64> = log
        .lines()
        .filter(|l| l.contains("database unavailable; answered 503"))
        .map(|l| {
            let at = l.find("answers=").unwrap_or_else(|| panic!("{l}")) + "answers=".len();
            l[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    // One line, then at most one more for each second the flood lasted.
    assert!(
        !counts.is_empty() && counts.len() as u64 <= seconds + 1,
        "{} lines in {seconds} s:\n{log}",
        counts.len()
    );
    assert_eq!(counts[0], 1, "the first line stands for itself");
    // None counted twice; those since the last line are in the next one.
    assert!(counts.iter().sum::<u64>() <= REQUESTS, "{counts:?}");
    assert!(!log.contains("ERROR"), "{log}");
}

//! A flood of requests answered `503` while the database cannot be used logs a line a second,
//! each saying how many answers it stands for, not a line (or two) per request: at the rate QR
//! scans arrive, that many lines would cost the CPU the server is short of and bury the rest of
//! the log. The registry's routes and the transparency log's (which `serve` serves beside them)
//! each throttle their own warning. In a test binary of their own: the throttles count for the
//! whole process, and each test floods the routes of one throttle only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

mod support;
use support::demo_env;

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

/// The numbers after `field=` in each line holding `marker`.
fn counts(log: &str, marker: &str, field: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| l.contains(marker))
        .map(|l| {
            let at = l
                .find(&format!("{field}="))
                .unwrap_or_else(|| panic!("{l}"))
                + field.len()
                + 1;
            l[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

const REQUESTS: u64 = 300;

/// Sends `REQUESTS` GETs of `paths` in turn to `app`, each answered `503`, with the log
/// captured; the log, and the whole seconds the flood took.
async fn flood(app: &axum::Router, paths: &[&str]) -> (String, u64) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let started = std::time::Instant::now();
    for i in 0..REQUESTS {
        let path = paths[i as usize % paths.len()];
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
    }
    let seconds = started.elapsed().as_secs();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (log, seconds)
}

/// The lines holding `marker`: one when the flood starts, standing for itself, then at most one
/// for each second it lasted, each standing for the answers since the one before (`field`), none
/// counted twice.
fn assert_throttled(log: &str, seconds: u64, marker: &str, field: &str) {
    let lines = counts(log, marker, field);
    assert!(
        !lines.is_empty() && lines.len() as u64 <= seconds + 1,
        "{} `{marker}` lines in {seconds} s:\n{log}",
        lines.len()
    );
    assert_eq!(lines[0], 1, "{log}");
    assert!(lines.iter().sum::<u64>() <= REQUESTS, "{lines:?}");
    assert!(!log.contains("ERROR"), "a 503 is a warning: {log}");
}

#[tokio::test]
async fn a_flood_of_unavailable_answers_logs_a_line_a_second() {
    let env = demo_env(false).await.unwrap();
    let app = env.app();
    env.reg.store().close().await;
    let (log, seconds) = flood(&app, &["/api/v1/labels?q=camera"]).await;
    for (marker, field) in [
        ("database unavailable; answered 503", "answers"),
        ("response failed", "responses"),
    ] {
        assert_throttled(&log, seconds, marker, field);
    }
    // The cause is in the warning, for the operator.
    assert!(
        log.contains("closed pool") || log.contains("pool closed"),
        "{log}"
    );
    env.done().await;
}

#[tokio::test]
async fn a_flood_of_unavailable_log_fetches_logs_a_line_a_second() {
    use keurmerk_transparency::{log_router, LogState};
    let dir = tempfile::tempdir().unwrap();
    let store = keurmerk_store::SqlStore::connect(dir.path().join("k.db").to_str().unwrap())
        .await
        .unwrap();
    let app = log_router(LogState::new(&store));
    store.close().await;
    let (log, seconds) = flood(&app, &["/log/checkpoint", "/log/tile/entries/000"]).await;
    assert_throttled(
        &log,
        seconds,
        "transparency log request: database unavailable",
        "answers",
    );
}

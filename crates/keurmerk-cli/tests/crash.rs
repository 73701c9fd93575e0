//! Crash test: a real `keurmerk serve --demo` child process is killed with SIGKILL a few times
//! while a client writes to it (suspend/reinstate of the service certificate that demo products
//! depend on, and product registrations), each write with an `Idempotency-Key` and retried with
//! the same key until it is answered. After the last restart:
//! - every acknowledged write is present exactly once;
//! - every dependent's view of the service certificate equals its current state;
//! - the transparency log holds every event and `keurmerk log verify` accepts it;
//! - `keurmerk certificate verify` finds no drift.
//!
//! Runs on SQLite, and on PostgreSQL too when `KEURMERK_TEST_POSTGRES` is set (in a schema of
//! its own, dropped afterwards).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How many times the server is killed per backend.
const KILLS: usize = 4;

/// A `keurmerk serve` child process, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown code runs.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, db: &str, n: usize) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("server-{n}.log"));
        let stderr = std::fs::File::create(&log).unwrap();
        let child = keurmerk(dir, db)
            .args([
                "serve",
                "--demo",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--writes-per-minute",
                "1000000",
            ])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut s = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = s.child.try_wait().unwrap() {
                panic!("keurmerk serve exited with {status}:\n{}", s.stderr());
            }
            if matches!(common::http_get(port, "/healthz"), Some((200, _, _))) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "server not healthy in time:\n{}",
                s.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The binary with a clean environment, working in `dir` on database `db`.
fn keurmerk(dir: &Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keurmerk"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir).args(["--db", db]);
    c
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> String {
    let out: Output = keurmerk(dir, db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ok_json(dir: &Path, db: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, db, args)).unwrap()
}

/// A pseudo-random number below `n` (the clock's nanoseconds are random enough here).
fn jitter(n: u64) -> u64 {
    u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
    ) % n
}

/// A write the client made and the server acknowledged.
#[derive(Debug, Clone)]
enum Write {
    /// Suspended (`true`) or reinstated the service certificate, with this unique reason.
    Toggle { suspend: bool, reason: String },
    /// Registered a product with this unique name.
    Product { name: String },
}

/// Sends one write until it is answered (same `Idempotency-Key` on every try): the server may
/// be down, restarting, or killed mid-request. Counts the tries in `tries`.
fn send_until_answered(
    port: &AtomicU16,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
    tries: &mut usize,
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Idempotency-Key", key)];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "{path} {key}: no answer in time");
        let p = port.load(Ordering::SeqCst);
        *tries += 1;
        match common::http(p, "POST", path, &headers, Some(body)) {
            Some((status, _, body)) if status == 429 || status >= 500 => {
                let _ = body;
            }
            Some((status, _, body)) => {
                return (status, serde_json::from_slice(&body).unwrap_or(Value::Null));
            }
            None => {}
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// The demo's cloud service certificate and the live certificates that depend on it.
fn service_and_dependents(dir: &Path, db: &str) -> (String, Vec<String>) {
    let products = ok_json(
        dir,
        db,
        &["product", "list", "--search", "Nimbus IoT", "--json"],
    );
    let cloud_product = products[0]["id"].as_str().unwrap().to_owned();
    let certs = ok_json(dir, db, &["certificate", "list", "--json"]);
    let cloud = certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["product"] == cloud_product.as_str() && c["state"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut dependents = Vec::new();
    for c in certs.as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let show = ok_json(dir, db, &["certificate", "show", id, "--json"]);
        let depends = show["view"]["dependencies"]
            .as_object()
            .is_some_and(|d| d.values().any(|d| d["certificate"] == cloud.as_str()));
        if depends
            && !matches!(
                c["state"].as_str(),
                Some("withdrawn" | "expired" | "superseded")
            )
        {
            dependents.push(id.to_owned());
        }
    }
    (cloud, dependents)
}

fn crash_run(dir: &Path, db: &str) {
    let first = Server::start(dir, db, 0);
    let issuer = ok_json(
        dir,
        db,
        &["token", "create", "--org", "rhein-pruef", "--json"],
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let maker = ok_json(
        dir,
        db,
        &["token", "create", "--org", "brightcam", "--json"],
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (cloud, dependents) = service_and_dependents(dir, db);
    assert!(
        dependents.len() >= 2,
        "demo products depend on {cloud}: {dependents:?}"
    );

    let port = Arc::new(AtomicU16::new(first.port));
    let server = Arc::new(Mutex::new(Some(first)));
    let stop = Arc::new(AtomicBool::new(false));

    // The client: a stream of writes, each retried with its key until answered.
    let client = {
        let (port, stop, cloud) = (port.clone(), stop.clone(), cloud.clone());
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut tries = 0;
            let mut suspended = false;
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("crash-{i}");
                if i % 3 == 2 {
                    let name = format!("Crash probe {i}");
                    let body = json!({"name": name, "model": "CP-1", "category": "camera"});
                    let (status, answer) = send_until_answered(
                        &port,
                        "/api/v1/products",
                        &maker,
                        &key,
                        &body,
                        &mut tries,
                    );
                    assert!(status == 200 || status == 201, "{status} {answer}");
                    acked.push(Write::Product { name });
                } else {
                    let reason = format!("crash op {i}");
                    let path = if suspended {
                        format!("/api/v1/certificates/{cloud}/reinstate")
                    } else {
                        format!("/api/v1/certificates/{cloud}/suspend")
                    };
                    let (status, answer) = send_until_answered(
                        &port,
                        &path,
                        &issuer,
                        &key,
                        &if suspended {
                            json!({"reason": reason})
                        } else {
                            json!({"reason_code": "other", "reason": reason})
                        },
                        &mut tries,
                    );
                    // A write that committed is never answered "conflict": its retry gets the
                    // first answer (or, if that was lost in the crash, `committed: true`).
                    assert_eq!(status, 200, "op {i} ({path}): {answer}");
                    suspended = !suspended;
                    acked.push(Write::Toggle {
                        suspend: suspended,
                        reason,
                    });
                }
                i += 1;
            }
            (acked, tries)
        })
    };

    // The killer: SIGKILL at a random moment, restart, a few times.
    for n in 1..=KILLS {
        std::thread::sleep(Duration::from_millis(400 + jitter(800)));
        drop(server.lock().unwrap().take());
        let next = Server::start(dir, db, n);
        port.store(next.port, Ordering::SeqCst);
        *server.lock().unwrap() = Some(next);
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let (acked, tries) = client.join().unwrap();
    eprintln!(
        "{db}: {} writes acknowledged in {tries} tries across {KILLS} kills",
        acked.len()
    );
    let guard = server.lock().unwrap();
    let live = guard.as_ref().unwrap();
    let toggles = acked
        .iter()
        .filter(|w| matches!(w, Write::Toggle { .. }))
        .count();
    assert!(
        toggles >= KILLS,
        "too few writes to mean anything: {acked:?}"
    );

    // Every acknowledged write is there exactly once.
    let show = ok_json(dir, db, &["certificate", "show", &cloud, "--json"]);
    let events = show["events"].as_array().unwrap();
    let probes = ok_json(
        dir,
        db,
        &["product", "list", "--search", "Crash probe", "--json"],
    );
    let mut last_suspended = false;
    for w in &acked {
        match w {
            Write::Toggle { suspend, reason } => {
                let field = if *suspend { "reason" } else { "note" };
                let n = events
                    .iter()
                    .filter(|e| e["kind"][field] == reason.as_str())
                    .count();
                assert_eq!(n, 1, "{reason}: {n} events\n{}", live.stderr());
                last_suspended = *suspend;
            }
            Write::Product { name } => {
                let n = probes
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["name"] == name.as_str())
                    .count();
                assert_eq!(n, 1, "{name}: {n} products");
            }
        }
    }
    let state = show["certificate"]["state"].as_str().unwrap().to_owned();
    assert_eq!(
        state,
        if last_suspended {
            "suspended"
        } else {
            "active"
        }
    );

    // Every dependent sees the service's current state (the outbox worker may still be busy
    // with work a crash left behind: it runs every second, and an item claimed by a killed
    // process is free again after its lease, FOLLOW_UP_LEASE = 10 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    for d in &dependents {
        loop {
            let show = ok_json(dir, db, &["certificate", "show", d, "--json"]);
            let seen: Vec<Value> = show["view"]["dependencies"]
                .as_object()
                .unwrap()
                .values()
                .filter(|x| x["certificate"] == cloud.as_str())
                .map(|x| x["certificate_state"].clone())
                .collect();
            if seen.iter().all(|s| s == state.as_str()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{d} sees {cloud} as {seen:?}, but it is {state}\n{}",
                live.stderr()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    // The log holds every event, and verifies.
    let certs = ok_json(dir, db, &["certificate", "list", "--json"]);
    let mut total = 0u64;
    for c in certs.as_array().unwrap() {
        let show = ok_json(
            dir,
            db,
            &["certificate", "show", c["id"].as_str().unwrap(), "--json"],
        );
        total += show["events"].as_array().unwrap().len() as u64;
    }
    // The scheduler of the live server may append events after they were shown (as the log
    // test saw under load): the log is compared with the events stored when it is read.
    assert!(total > 0 && total <= common::rows(db, "events"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = common::http_get(live.port, "/log/checkpoint").unwrap();
        assert_eq!(status, 200);
        let size: u64 = String::from_utf8(body)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        // Counted after the checkpoint was read: events and lists only grow, so this is an
        // upper bound.
        let total = common::rows(db, "events");
        let lists = common::records(db);
        assert!(
            size <= total + lists,
            "more log entries ({size}) than events ({total}) and status and software list \
             records ({lists})"
        );
        if size == total + lists {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "log has {size} of {total} events and {lists} status lists\n{}",
            live.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let vkey = ok(dir, db, &["log", "key"]).trim().to_owned();
    let url = format!("http://127.0.0.1:{}", live.port);
    let report = ok(dir, db, &["log", "verify", &url, "--log-key-string", &vkey]);
    assert!(report.contains("verified"), "{report}");
    let verify = ok(dir, db, &["certificate", "verify"]);
    assert!(verify.contains("matches its events"), "{verify}");
}

#[test]
fn kill_9_under_writes_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("k.db").display());
    crash_run(dir.path(), &db);
}

#[test]
fn kill_9_under_writes_loses_nothing_on_postgres() {
    common::in_postgres_schema("crash", |db| {
        let dir = tempfile::tempdir().unwrap();
        crash_run(dir.path(), db);
    });
}

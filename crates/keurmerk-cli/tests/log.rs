//! The transparency log end to end through the real binary: `keurmerk serve --demo` sequences the
//! demo's queued statements into the log, `keurmerk log verify` monitors it over HTTP, and every
//! certificate has a tlog-proof receipt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `keurmerk serve` child process, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path) -> Server {
        // A free port: bind port 0, note it, release it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("server.log");
        let stderr = std::fs::File::create(&log).unwrap();
        let child = keurmerk(dir)
            .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
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
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The binary with a clean environment, working in `dir` (so the log key and signing keys are
/// created there).
fn keurmerk(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keurmerk"));
    c.current_dir(dir)
        .args(["--db", &format!("sqlite:{}", dir.join("k.db").display())]);
    for v in [
        "KEURMERK_DATABASE_URL",
        "KEURMERK_SCHEMES",
        "KEURMERK_ADDR",
        "KEURMERK_LOG_KEY",
        "KEURMERK_LOG_ORIGIN",
        "KEURMERK_LOG_VERIFIER_KEY",
        "KEURMERK_KEYS_DIR",
        "KEURMERK_BASE_URL",
    ] {
        c.env_remove(v);
    }
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    keurmerk(dir).args(args).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The checkpoint's tree size (second line of the signed note).
fn checkpoint_size(port: u16) -> u64 {
    let (status, _, body) = common::http_get(port, "/log/checkpoint").unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    String::from_utf8(body)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn serve_logs_the_demo_and_the_monitor_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Server::start(d);

    // Every demo statement, as the registry records it: one per event.
    let certs: serde_json::Value =
        serde_json::from_str(&ok(d, &["certificate", "list", "--json"])).unwrap();
    let ids: Vec<String> = certs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!ids.is_empty(), "the demo has certificates");
    // The certificates' events as the registry shows them, and as it stores them now (the
    // scheduler's first pass may append some, such as an overdue vulnerability report, after
    // the certificates were shown: under load it came after them, and the log then held two
    // more than a count taken once).
    let shown: u64 = ids
        .iter()
        .map(|id| {
            let show: serde_json::Value =
                serde_json::from_str(&ok(d, &["certificate", "show", id, "--json"])).unwrap();
            show["events"].as_array().unwrap().len() as u64
        })
        .sum();
    let db = format!("sqlite:{}", d.join("k.db").display());
    assert!(shown > 0 && shown <= common::rows(&db, "events"));

    // The demo was queued before the sequencer started; the sequencer drains the queue. Besides
    // the events, the log holds each published status list's record and each software list's
    // record. Both are read after the checkpoint: an upper bound of what it can hold.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let size = checkpoint_size(server.port);
        let events = common::rows(&db, "events");
        let lists = common::records(&db);
        assert!(
            size <= events + lists,
            "extra entries: {size} > {events} events + {lists} status and software list records"
        );
        if size == events + lists {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "log has {size} of {events} statements and {lists} status lists:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let entries = checkpoint_size(server.port);

    // The verifier key, from the key file `serve` created in the same directory.
    let vkey = ok(d, &["log", "key"]).trim().to_owned();
    assert!(vkey.starts_with("127.0.0.1/log+"), "{vkey}");

    let state = d.join("monitor.json");
    let state = state.to_str().unwrap();
    let report = ok(
        d,
        &[
            "log",
            "verify",
            &server.url(),
            "--log-key-string",
            &vkey,
            "--state",
            state,
        ],
    );
    assert!(report.contains("log 127.0.0.1/log verified"), "{report}");
    assert!(
        report.contains(&format!("checkpoint: {entries} entries")),
        "{report}"
    );
    assert!(
        report.contains(&format!("entries checked: {entries}\n")),
        "{report}"
    );
    assert!(
        report.contains("NOT checked"),
        "says what it did not check: {report}"
    );

    // A second run from the state file checks consistency and finds nothing new.
    let json: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "log",
            "verify",
            &server.url(),
            "--log-key-string",
            &vkey,
            "--state",
            state,
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["report"]["previous_size"], entries);
    assert_eq!(json["report"]["entries_checked"], 0);

    // With the trust list every entry is a verified statement or status list record, and the
    // state file keeps the newest list number for the next run (which reads no old entry).
    ok(d, &["trust-list", "export", "keurmerk-trust-list.json"]);
    let checked = d.join("checked.json");
    let checked = checked.to_str().unwrap();
    for run in 0..2 {
        let json: serde_json::Value = serde_json::from_str(&ok(
            d,
            &[
                "log",
                "verify",
                &server.url(),
                "--log-key-string",
                &vkey,
                "--trust-list",
                "keurmerk-trust-list.json",
                "--state",
                checked,
                "--json",
            ],
        ))
        .unwrap();
        assert_eq!(json["verified"], true, "{json}");
        assert_eq!(json["statements_checked"], true, "{json}");
        assert_eq!(
            json["report"]["entries_checked"],
            if run == 0 { entries } else { 0 },
            "{json}"
        );
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(checked).unwrap()).unwrap();
        let lists = kept["entry_check"]["status_lists"].as_object().unwrap();
        assert_eq!(lists.len(), 1, "{kept}");
        let newest = lists.values().next().unwrap();
        assert!(newest["sequence"].as_u64().unwrap() >= 1, "{kept}");
    }

    // Into a pipe whose reader is gone (`| head -1`): a quiet end, no panic (issue 14).
    let mut child = keurmerk(d)
        .args(["log", "verify", &server.url(), "--log-key-string", &vkey])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0 | 141)),
        "{:?}: {err}",
        out.status
    );

    // Every certificate has a receipt.
    for id in &ids {
        let (status, head, body) =
            common::http_get(server.port, &format!("/api/v1/certificates/{id}/receipt")).unwrap();
        let body = String::from_utf8(body).unwrap();
        assert_eq!(status, 200, "{id}: {body}");
        assert!(head.contains("content-type: text/plain"), "{head}");
        assert!(body.starts_with("c2sp.org/tlog-proof@v1"), "{body}");
    }
    let (status, _, _) =
        common::http_get(server.port, "/api/v1/certificates/KM-2000-999999/receipt").unwrap();
    assert_eq!(status, 404);

    // The log's routes are served under the registry's edge: the headers every answer carries,
    // and counted in /metrics by route (before, `serve` merged them after the edge was built,
    // and they had neither).
    let (_, head, _) = common::http_get(server.port, "/log/checkpoint").unwrap();
    let tile = match entries % 256 {
        0 => "/log/tile/0/000".to_owned(),
        partial => format!("/log/tile/0/000.p/{partial}"),
    };
    assert!(entries <= 256, "the demo's log fits in one tile: {entries}");
    let (status, tile_head, _) = common::http_get(server.port, &tile).unwrap();
    assert_eq!(status, 200, "{tile_head}");
    for head in [&head, &tile_head] {
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
        assert!(head.contains("x-frame-options: deny"), "{head}");
    }
    let (_, _, metrics) = common::http_get(server.port, "/metrics").unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    for route in [
        "/log/checkpoint",
        "/log/tile/{*path}",
        "/api/v1/certificates/{id}/receipt",
    ] {
        assert!(
            metrics.contains(&format!("route=\"{route}\",status=\"200\"")),
            "{route} not counted:\n{metrics}"
        );
    }

    // A wrong key is a failure that says what is wrong, with a non-zero exit.
    let other = format!("127.0.0.1/log+00000000+AQ{}", "A".repeat(42));
    let out = run(
        d,
        &["log", "verify", &server.url(), "--log-key-string", &other],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LOG VERIFICATION FAILED"), "{err}");
    drop(server);
}

#[test]
fn log_key_is_created_once_and_printed_in_signed_note_form() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = run(
        d,
        &["log", "key", "--log-origin", "keurmerk.example.eu/log"],
    );
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stderr).contains("created the log key"));
    let vkey = String::from_utf8(first.stdout).unwrap();
    assert!(vkey.starts_with("keurmerk.example.eu/log+"), "{vkey}");
    // The same key again, its origin taken from the file.
    assert_eq!(ok(d, &["log", "key"]), vkey);
    // A different configured origin is refused rather than silently renaming the log.
    let out = run(d, &["log", "key", "--log-origin", "other.example/log"]);
    assert!(!out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("keurmerk-log.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

//! `keurmerk backup` and `keurmerk restore` (issue 14 item 6):
//! - a backup of a SQLite registry taken while a running `keurmerk serve` takes a stream of
//!   writes restores every write acknowledged before the backup began, and passes its check;
//! - a copy whose log is behind a newer published checkpoint (the live registry, its database,
//!   a monitor's state file) is refused naming both sizes, and is not restored;
//! - a copy whose log tiles or events were edited is refused;
//! - a registry left by a killed server (its last writes only in its `-wal`) restores with them;
//! - truncated and garbled files are refused with a clear error, never a panic;
//! - an existing file is never overwritten without --force (and a replaced database is kept);
//! - on PostgreSQL `backup` prints the pg_dump procedure and exits non-zero, and
//!   `restore --check postgres://…` checks a database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A `keurmerk serve` child process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, db: &str, demo: bool) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("server-{port}.log"));
        let stderr = std::fs::File::create(&log).unwrap();
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--addr", &addr, "--writes-per-minute", "1000000"];
        if demo {
            args.push("--demo");
        }
        let child = kmk(dir, db)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut s = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(status) = s.child.try_wait().unwrap() {
                panic!("keurmerk serve exited with {status}:\n{}", s.stderr());
            }
            if matches!(common::http_get(port, "/healthz"), Some((200, _, _))) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "server not healthy:\n{}",
                s.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log has not grown for two seconds (follow-up work of the last writes
    /// may still add events after their answers) and returns its size.
    fn settled_log_size(&self) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut size = self.log_size();
        let mut since = Instant::now();
        while since.elapsed() < Duration::from_secs(2) {
            assert!(Instant::now() < deadline, "the log keeps growing");
            std::thread::sleep(Duration::from_millis(200));
            let now = self.log_size();
            if now != size {
                size = now;
                since = Instant::now();
            }
        }
        size
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The size of the log's current checkpoint.
    fn log_size(&self) -> u64 {
        let (status, _, body) = common::http_get(self.port, "/log/checkpoint").unwrap();
        assert_eq!(status, 200);
        String::from_utf8(body)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    }
}

fn kmk(dir: &Path, db: &str) -> std::process::Command {
    let mut c = common::keurmerk(dir);
    c.args(["--db", db]);
    c
}

fn run(dir: &Path, db: &str, args: &[&str]) -> Output {
    kmk(dir, db).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> String {
    let out = run(dir, db, args);
    assert!(out.status.success(), "{args:?} failed: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn ok_json(dir: &Path, db: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, db, args)).unwrap()
}

/// Exit status 1 (a refusal or an error), not a panic (101), and the output.
fn refused(dir: &Path, db: &str, args: &[&str]) -> String {
    let out = run(dir, db, args);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {t}");
    assert!(!t.contains("panicked"), "{args:?}: {t}");
    t
}

/// An acknowledged write of the stream.
#[derive(Debug, Clone)]
enum Write {
    /// A suspension or reinstatement of the demo's cloud certificate with this reason.
    Toggle(String),
    /// A product registered with this name.
    Product(String),
}

/// Writes through the API until stopped; each acknowledged write with the time of its answer.
struct Stream {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<(Instant, Write)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stream {
    fn start(dir: &Path, db: &str, port: u16, tag: &'static str) -> Stream {
        let token = |org: &str| {
            ok_json(dir, db, &["token", "create", "--org", org, "--json"])["secret"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (issuer, maker) = (token("rhein-pruef"), token("brightcam"));
        let cloud = cloud_certificate(dir, db);
        let show = ok_json(dir, db, &["certificate", "show", &cloud, "--json"]);
        let mut suspended = show["certificate"]["state"] == "suspended";
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, acked) = (stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let (path, auth, body, write) = if i % 2 == 0 {
                        let reason = format!("{tag} op {i}");
                        let verb = if suspended { "reinstate" } else { "suspend" };
                        (
                            format!("/api/v1/certificates/{cloud}/{verb}"),
                            format!("Bearer {issuer}"),
                            if suspended {
                                json!({"reason": reason})
                            } else {
                                json!({"reason_code": "other", "reason": reason})
                            },
                            Write::Toggle(reason),
                        )
                    } else {
                        let name = format!("{tag} probe {i}");
                        (
                            "/api/v1/products".to_owned(),
                            format!("Bearer {maker}"),
                            json!({"name": name, "model": "BP-1", "category": "camera"}),
                            Write::Product(name),
                        )
                    };
                    let (status, _, answer) = common::http(
                        port,
                        "POST",
                        &path,
                        &[("Authorization", &auth)],
                        Some(&body),
                    )
                    .expect("the server answers");
                    assert!(
                        status == 200 || status == 201,
                        "{path}: {status} {}",
                        String::from_utf8_lossy(&answer)
                    );
                    if matches!(write, Write::Toggle(_)) {
                        suspended = !suspended;
                    }
                    acked.lock().unwrap().push((Instant::now(), write));
                    i += 1;
                }
            })
        };
        Stream {
            stop,
            acked,
            thread: Some(thread),
        }
    }

    fn count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.count() < n {
            assert!(Instant::now() < deadline, "only {} writes", self.count());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish(mut self) -> Vec<(Instant, Write)> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.acked.lock().unwrap().clone()
    }
}

/// Every write in `writes` is in the database `db` exactly once.
fn holds_all(dir: &Path, db: &str, writes: &[Write], tag: &str) {
    let cloud = cloud_certificate(dir, db);
    let show = ok_json(dir, db, &["certificate", "show", &cloud, "--json"]);
    let events = show["events"].to_string();
    let products = ok_json(
        dir,
        db,
        &[
            "product",
            "list",
            "--search",
            &format!("{tag} probe"),
            "--json",
        ],
    );
    for w in writes {
        match w {
            Write::Toggle(reason) => {
                let n = events.matches(&format!("\"{reason}\"")).count();
                assert_eq!(n, 1, "{reason}: {n} events in {db}");
            }
            Write::Product(name) => {
                let n = products
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["name"] == name.as_str())
                    .count();
                assert_eq!(n, 1, "{name}: {n} products in {db}");
            }
        }
    }
}

/// The cloud certificate, active or suspended.
fn cloud_certificate(dir: &Path, db: &str) -> String {
    let products = ok_json(
        dir,
        db,
        &["product", "list", "--search", "Nimbus IoT", "--json"],
    );
    let product = products[0]["id"].as_str().unwrap().to_owned();
    let certs = ok_json(dir, db, &["certificate", "list", "--json"]);
    certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["product"] == product.as_str()
                && matches!(c["state"].as_str(), Some("active" | "suspended"))
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite:{}", dir.join(name).display())
}

async fn execute(db: &str, sql: &str) {
    let store = keurmerk_store::SqlStore::connect(db).await.unwrap();
    sqlx::query(sql).execute(store.pool()).await.unwrap();
    store.close().await;
}

#[test]
fn sqlite_backup_under_writes_restores_and_rollbacks_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let live = sqlite(dir, "live.db");
    let server = Server::start(dir, &live, true);

    // 1. A backup taken while writes stream in.
    let stream = Stream::start(dir, &live, server.port, "Backup");
    stream.wait_for(6);
    let began = Instant::now();
    let backup = ok(dir, &live, &["backup", "--to", "b1.db"]);
    let ended = Instant::now();
    stream.wait_for(stream.count() + 4);
    let acked = stream.finish();
    let before: Vec<Write> = acked
        .iter()
        .filter(|(t, _)| *t < began)
        .map(|(_, w)| w.clone())
        .collect();
    let during = acked
        .iter()
        .filter(|(t, _)| *t >= began && *t < ended)
        .count();
    eprintln!(
        "{} writes acknowledged before the backup began, {during} while it ran, {} in all",
        before.len(),
        acked.len()
    );
    assert!(before.len() >= 6);
    assert!(backup.contains("backup written: b1.db"), "{backup}");
    assert!(backup.contains("when the backup began"), "{backup}");
    assert!(backup.contains("log verified"), "{backup}");
    assert!(!dir.read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".partial")));

    let check = ok(dir, &live, &["restore", "--check", "b1.db"]);
    assert!(check.contains("restore check passed"), "{check}");
    let restored = ok(dir, &live, &["restore", "b1.db", "--to", "r1.db"]);
    assert!(restored.contains("restored"), "{restored}");
    let r1 = sqlite(dir, "r1.db");
    holds_all(dir, &r1, &before, "Backup");
    let verify = ok(dir, &r1, &["certificate", "verify"]);
    assert!(verify.contains("matches its events"), "{verify}");

    // 2. The live log grows past the backup: the copy is refused against every record of the
    //    newer checkpoint, naming both sizes, and is not restored.
    let stream = Stream::start(dir, &live, server.port, "Later");
    stream.wait_for(4);
    stream.finish();
    let live_size = server.settled_log_size();
    let vkey = ok(dir, &live, &["log", "key"]).trim().to_owned();
    ok(
        dir,
        &live,
        &[
            "log",
            "verify",
            &server.url(),
            "--log-key-string",
            &vkey,
            "--state",
            "monitor.json",
        ],
    );
    let copy_size: u64 = {
        let c = ok(dir, &live, &["restore", "--check", "b1.db"]);
        let line = c.lines().find(|l| l.contains("log: ")).unwrap().to_owned();
        line.split("log: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(copy_size < live_size, "{copy_size} < {live_size}");
    let url = server.url();
    for against in [url.as_str(), live.as_str(), "monitor.json"] {
        let t = refused(
            dir,
            &live,
            &["restore", "--check", "b1.db", "--against", against],
        );
        assert!(
            t.contains(&format!("the copy's log has {copy_size} entries"))
                && t.contains(&format!("has {live_size}"))
                && t.contains("roll the published log back"),
            "--against {against}: {t}"
        );
    }
    let t = refused(
        dir,
        &live,
        &["restore", "b1.db", "--to", "r2.db", "--against", &url],
    );
    assert!(t.contains("NOT restored"), "{t}");
    assert!(!dir.join("r2.db").exists());

    // 3. A backup taken now extends the live checkpoint (nothing is being written).
    ok(dir, &live, &["backup", "--to", "b2.db"]);
    let check = ok(
        dir,
        &live,
        &["restore", "--check", "b2.db", "--against", &url],
    );
    assert!(
        check.contains("extends the checkpoint of http://"),
        "{check}"
    );
    assert!(check.contains("restore check passed"), "{check}");

    // 4. Edited copies: a hash tile of the log, an event.
    let rt = tokio::runtime::Runtime::new().unwrap();
    std::fs::copy(dir.join("b2.db"), dir.join("tile.db")).unwrap();
    rt.block_on(execute(
        &sqlite(dir, "tile.db"),
        "UPDATE log_tiles SET data = zeroblob(length(data)) WHERE level = 0 AND idx = 0",
    ));
    let t = refused(dir, &live, &["restore", "--check", "tile.db"]);
    assert!(
        t.contains("REFUSED: the copy's transparency log does not verify"),
        "{t}"
    );
    std::fs::copy(dir.join("b2.db"), dir.join("event.db")).unwrap();
    rt.block_on(execute(
        &sqlite(dir, "event.db"),
        "UPDATE events SET payload = REPLACE(payload, '\"reason\":\"', '\"reason\":\"Harmless: ')",
    ));
    let t = refused(dir, &live, &["restore", "--check", "event.db"]);
    assert!(t.contains("integrity check failed"), "{t}");
    let t = refused(dir, &live, &["restore", "event.db", "--to", "r3.db"]);
    assert!(t.contains("NOT restored"), "{t}");
    let t = ok(
        dir,
        &live,
        &[
            "restore",
            "event.db",
            "--to",
            "r3.db",
            "--allow-integrity-problems",
        ],
    );
    assert!(t.contains("restored"), "{t}");
    drop(server);
}

/// A registry left by a killed `keurmerk serve` holds its last writes only in its `-wal`: a
/// restore of it keeps every acknowledged write (a plain file copy would drop them, and the check
/// of the source, which SQLite reads with its `-wal`, would not notice).
#[test]
fn a_registry_left_by_a_killed_server_restores_with_every_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let live = sqlite(dir, "live.db");
    let server = Server::start(dir, &live, true);
    let stream = Stream::start(dir, &live, server.port, "Killed");
    stream.wait_for(6);
    let acked: Vec<Write> = stream.finish().into_iter().map(|(_, w)| w).collect();
    drop(server); // SIGKILL: no checkpoint of the -wal on the way out.
    let wal = std::fs::metadata(dir.join("live.db-wal")).map_or(0, |m| m.len());
    assert!(wal > 0, "the killed server left its -wal");
    let restored = ok(dir, &live, &["restore", "live.db", "--to", "r.db"]);
    assert!(restored.contains("restored"), "{restored}");
    assert!(
        std::fs::metadata(dir.join("live.db-wal")).map_or(0, |m| m.len()) == wal,
        "the source is only read"
    );
    let r = sqlite(dir, "r.db");
    holds_all(dir, &r, &acked, "Killed");
    let verify = ok(dir, &r, &["certificate", "verify"]);
    assert!(verify.contains("matches its events"), "{verify}");
}

/// A registry seeded by `keurmerk demo` (no server ran: statements queued, no checkpoint).
fn demo_registry(dir: &Path) -> String {
    let db = sqlite(dir, "demo.db");
    ok(dir, &db, &["demo"]);
    db
}

#[test]
fn truncated_and_garbled_copies_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = demo_registry(dir);
    let out = ok(dir, &db, &["backup", "--to", "good.db"]);
    assert!(out.contains("log: empty"), "{out}");
    let good = std::fs::read(dir.join("good.db")).unwrap();
    assert!(good.len() > 8192);
    let mut flipped = good.clone();
    for b in &mut flipped[4096..good.len() / 2] {
        *b ^= 0x5a;
    }
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("half.db", good[..good.len() / 2].to_vec(), "damaged"),
        ("header.db", good[..100].to_vec(), "damaged"),
        ("flipped.db", flipped, "damaged"),
        ("empty.db", Vec::new(), "the file is empty"),
        ("text.db", b"not a backup\n".to_vec(), "SQLite header"),
    ];
    for (name, bytes, says) in cases {
        std::fs::write(dir.join(name), bytes).unwrap();
        let t = refused(dir, &db, &["restore", "--check", name]);
        assert!(t.contains("error:") && t.contains(says), "{name}: {t}");
        let target = format!("restored-{name}");
        let t = refused(dir, &db, &["restore", name, "--to", &target]);
        assert!(t.contains("error:") && t.contains(says), "{name}: {t}");
        assert!(!t.contains("timed out"), "{name}: {t}");
        assert!(!dir.join(&target).exists(), "{name}");
    }
    let t = refused(dir, &db, &["restore", "--check", "missing.db"]);
    assert!(t.contains("not a SQLite database"), "{t}");
    // The good one passes, reporting what it holds.
    let t = ok(dir, &db, &["restore", "--check", "good.db"]);
    assert!(
        t.contains("restore check passed") && t.contains("statements queued"),
        "{t}"
    );
}

#[test]
fn existing_files_are_replaced_only_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = demo_registry(dir);
    std::fs::write(dir.join("precious"), b"precious").unwrap();
    let t = refused(dir, &db, &["backup", "--to", "precious"]);
    assert!(t.contains("exists; pass --force"), "{t}");
    assert_eq!(std::fs::read(dir.join("precious")).unwrap(), b"precious");
    ok(dir, &db, &["backup", "--to", "precious", "--force"]);
    assert!(std::fs::read(dir.join("precious"))
        .unwrap()
        .starts_with(b"SQLite format 3\0"));

    // Restoring over a database: refused, then with --force the old one is kept aside.
    std::fs::write(dir.join("target.db"), b"old database").unwrap();
    let t = refused(dir, &db, &["restore", "precious", "--to", "target.db"]);
    assert!(t.contains("exists; pass --force"), "{t}");
    assert_eq!(
        std::fs::read(dir.join("target.db")).unwrap(),
        b"old database"
    );
    let t = ok(
        dir,
        &db,
        &["restore", "precious", "--to", "target.db", "--force"],
    );
    assert!(t.contains("kept as"), "{t}");
    let kept: Vec<PathBuf> = dir
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("target.db.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), b"old database");
    let target = sqlite(dir, "target.db");
    ok(dir, &target, &["certificate", "verify"]);

    // A stale -wal without its database would be applied to the restored one: refused.
    std::fs::write(dir.join("fresh.db-wal"), b"stale").unwrap();
    let t = refused(dir, &db, &["restore", "precious", "--to", "fresh.db"]);
    assert!(t.contains("fresh.db-wal exists"), "{t}");
    assert!(!dir.join("fresh.db").exists());
}

#[test]
fn postgres_backup_explains_pg_dump_and_restore_checks_the_database() {
    common::in_postgres_schema("backup", |db| {
        let tmp = tempfile::tempdir().unwrap();
        postgres_run(tmp.path(), db);
    });
}

fn postgres_run(dir: &Path, db: &str) {
    // A registry with a log: the demo, sequenced by a server that then stops.
    let server = Server::start(dir, db, true);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.log_size() == 0 {
        assert!(Instant::now() < deadline, "the log stays empty");
        std::thread::sleep(Duration::from_millis(100));
    }
    let size = server.settled_log_size();
    let url = server.url();

    let t = refused(dir, db, &["backup", "--to", "pg.db"]);
    assert!(t.contains("pg_dump --format=custom"), "{t}");
    assert!(t.contains("keurmerk restore --check"), "{t}");
    assert!(!dir.join("pg.db").exists());

    let t = ok(dir, db, &["restore", "--check", db, "--against", &url]);
    assert!(t.contains(&format!("log: {size} entries")), "{t}");
    assert!(t.contains("restore check passed"), "{t}");
    // A checkpoint that is not this log's is refused.
    std::fs::write(dir.join("newer.checkpoint"), b"not signed\n").unwrap();
    let t = refused(
        dir,
        db,
        &["restore", "--check", db, "--against", "newer.checkpoint"],
    );
    assert!(t.contains("not a checkpoint of this log"), "{t}");
    let t = refused(dir, db, &["restore", db, "--to", "pg.db"]);
    assert!(t.contains("pg_restore"), "{t}");
    drop(server);
}

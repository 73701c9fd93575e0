//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `keurmerk` in `dir`, with no `KEURMERK_*` variable inherited from the test's environment.
pub fn keurmerk(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keurmerk"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir);
    c
}

/// Status lists the registry published: each is a log entry besides the events (issue 15's
/// status list, its hash logged so no one is shown a different list).
pub fn published_lists(db: &str) -> u64 {
    rows(db, "status_lists")
}

/// The log entries that record no event at `db` now: each published status list's record
/// and each software list's record (`docs/FORMATS.md` §11 and §14).
pub fn records(db: &str) -> u64 {
    published_lists(db) + rows(db, "software_list_records")
}

/// The rows of `table` in the registry at `db` now.
pub fn rows(db: &str, table: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = keurmerk_store::SqlStore::connect(db).await.unwrap();
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap();
        store.close().await;
        u64::try_from(n).unwrap()
    })
}

/// `keurmerk --db sqlite:DIR/k.db ARGS` in `dir`, run to the end.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    let db = format!("sqlite:{}", dir.join("k.db").display());
    keurmerk(dir)
        .args(["--db", &db])
        .args(args)
        .output()
        .unwrap()
}

/// [`run`], which must succeed; its standard output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `verify ARGS`, expecting exit `code`; returns stdout + stderr.
pub fn verify(dir: &Path, args: &[&str], code: i32) -> String {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{all:?}: {text}");
    text
}

/// The private key `key_id` from the key directory `keurmerk` keeps in `dir`.
pub fn secret(dir: &Path, key_id: &str) -> keurmerk_trust::SigningKey {
    let text =
        std::fs::read_to_string(dir.join("keurmerk-keys").join(format!("{key_id}.key"))).unwrap();
    keurmerk_trust::SigningKey::from_seed_hex(&text).unwrap()
}

/// PostgreSQL schemas of a test's own on `KEURMERK_TEST_POSTGRES`, each created and migrated
/// when asked for, all dropped when this is dropped (also when the test panics).
pub struct PgSchemas {
    url: String,
    rt: tokio::runtime::Runtime,
    made: Vec<(keurmerk_store::SqlStore, String)>,
}

impl PgSchemas {
    /// `None`, saying the test is skipped, without `KEURMERK_TEST_POSTGRES`.
    pub fn new() -> Option<Self> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        Some(Self {
            url,
            rt: tokio::runtime::Runtime::new().unwrap(),
            made: Vec::new(),
        })
    }

    /// A `--db` URL of a new schema named `{prefix}_{process}_{milliseconds}`.
    pub fn db(&mut self, prefix: &str) -> String {
        let schema = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        );
        let store = self
            .rt
            .block_on(keurmerk_store::SqlStore::connect_in_schema(
                &self.url,
                Some(&schema),
            ))
            .unwrap();
        self.made.push((store, schema.clone()));
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={schema}", self.url)
    }
}

impl Drop for PgSchemas {
    fn drop(&mut self) {
        let made = std::mem::take(&mut self.made);
        self.rt.block_on(async {
            use sqlx::Executor as _;
            for (store, schema) in made {
                let _ = store
                    .pool()
                    .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                    .await;
                store.close().await;
            }
        });
    }
}

/// Runs `run` with a `--db` URL of a PostgreSQL schema of its own ([`PgSchemas`]), dropped
/// afterwards, also when `run` panics. Without `KEURMERK_TEST_POSTGRES`, says the test is
/// skipped and runs nothing.
pub fn in_postgres_schema(prefix: &str, run: impl FnOnce(&str)) {
    let Some(mut schemas) = PgSchemas::new() else {
        return;
    };
    run(&schemas.db(prefix));
}

/// `keurmerk --db DB serve` in `dir` on a free port of 127.0.0.1, with `env` besides and its
/// stderr piped (for [`log_until_listening`]); killed when dropped, also when a test fails.
pub struct Serving {
    pub child: std::process::Child,
    pub port: u16,
}

impl Serving {
    pub fn start(dir: &Path, db: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = keurmerk(dir)
            .args(["--db", db, "serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Self { child, port }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The log `child` (started with its stderr piped) writes up to its `keurmerk listening` line,
/// and whether it came (`false`: the process stopped first, or wrote nothing for two minutes,
/// so a hung server fails a test instead of blocking it). The child is left running.
pub fn log_until_listening(child: &mut std::process::Child) -> (String, bool) {
    use std::io::BufRead as _;
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut listening = false;
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(120)) {
        listening = line.contains("keurmerk listening");
        lines.push(line);
        if listening {
            break;
        }
    }
    (lines.join("\n"), listening)
}

/// One HTTP/1.1 request to `127.0.0.1:port` (`Connection: close`; a JSON `body` with its
/// `Content-Type`; `headers` besides): status, lower-cased head, body (de-chunked). `None` if
/// nothing listens yet, the server went away, or the answer was cut short or took over a minute.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Option<(u16, String, Vec<u8>)> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .ok()?;
    let body = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    Some((status, head, body))
}

/// [`http`] `GET`.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String, Vec<u8>)> {
    http(port, "GET", path, &[], None)
}

/// The body of a chunked HTTP/1.1 answer; `None` if it is cut short or malformed.
pub fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(eol + 2..eol + 2 + size)?);
        b = b.get(eol + 2 + size + 2..)?;
    }
}

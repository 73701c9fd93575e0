//! Layered configuration through the real binary: a TOML file (`--config`), `KEURMERK_*`
//! variables and flags, in that order of precedence; `keurmerk config show`; bad files; and
//! JSON logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::keurmerk;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(out: Output) -> String {
    assert!(!out.status.success(), "should have failed");
    String::from_utf8(out.stderr).unwrap()
}

fn show(c: &mut Command) -> serde_json::Value {
    serde_json::from_str(&ok(c.output().unwrap())).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `key = value` as a TOML document, `value` already in TOML syntax.
fn toml_doc(key: &str, value: &str) -> String {
    match key.rsplit_once('.') {
        Some((section, name)) => format!("[{section}]\n{name} = {value}\n"),
        None => format!("{key} = {value}\n"),
    }
}

/// Three values for a setting (file, env, flag), as the command line spells them; distinct
/// where the type allows (the source is checked too).
fn samples(key: &str, default: &serde_json::Value) -> [String; 3] {
    match (key, default) {
        ("serve.addr", _) => ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"].map(String::from),
        ("log.format", _) => ["json", "text", "json"].map(String::from),
        ("log.filter", _) => ["info", "debug", "warn"].map(String::from),
        // Just above the default, so the webhook backoff stays base <= max.
        (_, serde_json::Value::Number(n)) => {
            let n = n.as_u64().unwrap();
            [n + 1, n + 2, n + 3].map(|v| v.to_string())
        }
        (_, serde_json::Value::Bool(_)) => ["true", "false", "true"].map(String::from),
        _ => ["from-file", "from-env", "from-flag"].map(String::from),
    }
}

fn as_toml(default: &serde_json::Value, v: &str) -> String {
    match default {
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_owned(),
        _ => format!("\"{v}\""),
    }
}

fn as_json(default: &serde_json::Value, v: &str) -> serde_json::Value {
    match default {
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
            serde_json::from_str(v).unwrap()
        }
        _ => serde_json::Value::String(v.to_owned()),
    }
}

/// Every setting `config show` lists has a `KEURMERK_*` variable and a flag that set it, and a
/// file key that sets it; with all three layers the flag wins, without the flag the
/// variable, and without both the file. Iterates over the settings table, so a setting added
/// without a variable, flag or key fails here.
#[test]
fn every_setting_by_file_env_and_flag_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let defaults = show(keurmerk(d).args(["config", "show", "--json"]));
    assert_eq!(defaults["config_file"], serde_json::Value::Null);
    let settings = defaults["settings"].as_object().unwrap();
    for key in [
        "database",
        "serve.addr",
        "log.format",
        "webhooks.max_attempts",
    ] {
        assert!(settings.contains_key(key), "{key} missing");
    }
    for (key, entry) in settings {
        assert_eq!(entry["source"], "default", "{key}");
        let env = entry["env"].as_str().unwrap();
        let flag = entry["flag"].as_str().unwrap();
        assert!(env.starts_with("KEURMERK_"), "{key}: {env}");
        assert!(flag.starts_with("--"), "{key}: {flag}");
        // Settings without a default (null) are strings.
        let kind = &entry["value"];
        let [file_v, env_v, flag_v] = samples(key, kind);
        let file = write(d, "k.toml", &toml_doc(key, &as_toml(kind, &file_v)));
        let file = file.to_str().unwrap();

        let from_file = show(keurmerk(d).args(["--config", file, "config", "show", "--json"]));
        assert_eq!(from_file["config_file"], file);
        let e = &from_file["settings"][key];
        assert_eq!(e["source"], "file", "{key}: {e}");
        assert_eq!(e["value"], as_json(kind, &file_v), "{key}");

        let from_env = show(
            keurmerk(d)
                .args(["--config", file, "config", "show", "--json"])
                .env(env, &env_v),
        );
        let e = &from_env["settings"][key];
        assert_eq!(e["source"], "env", "{key}: {e}");
        assert_eq!(e["value"], as_json(kind, &env_v), "{key}");

        let from_flag = show(
            keurmerk(d)
                .args(["--config", file, "config", "show", "--json", flag, &flag_v])
                .env(env, &env_v),
        );
        let e = &from_flag["settings"][key];
        assert_eq!(e["source"], "flag", "{key}: {e}");
        assert_eq!(e["value"], as_json(kind, &flag_v), "{key}");
    }
}

/// Which database a command really opens: the file's, then the variable's, then the flag's.
#[test]
fn database_from_file_env_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = |name: &str| format!("sqlite:{}", d.join(name).display());
    let config = write(d, "k.toml", &format!("database = \"{}\"\n", db("file.db")));
    let config = config.to_str().unwrap();
    let exists = |name: &str| d.join(name).exists();

    ok(keurmerk(d).args(["org", "list"]).output().unwrap());
    assert!(
        exists("keurmerk.db"),
        "without a file: the built-in default"
    );

    ok(keurmerk(d)
        .args(["org", "list"])
        .env("KEURMERK_CONFIG", config)
        .output()
        .unwrap());
    assert!(exists("file.db"));

    ok(keurmerk(d)
        .args(["--config", config, "org", "list"])
        .env("KEURMERK_DATABASE_URL", db("env.db"))
        .output()
        .unwrap());
    assert!(exists("env.db"));

    ok(keurmerk(d)
        .args(["--config", config, "org", "list", "--db", &db("flag.db")])
        .env("KEURMERK_DATABASE_URL", db("env2.db"))
        .output()
        .unwrap());
    assert!(exists("flag.db"));
    assert!(!exists("env2.db"), "the flag beats the variable");
}

#[test]
fn bad_files_fail_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |text: &str| {
        let f = write(d, "bad.toml", text);
        let err = fails(
            keurmerk(d)
                .args(["--config", f.to_str().unwrap(), "config", "show"])
                .output()
                .unwrap(),
        );
        assert!(err.contains(f.to_str().unwrap()), "{err}");
        err
    };
    let err = run("database = \"sqlite:x.db\"\n[serve]\nadr = \"127.0.0.1:1\"\n");
    assert!(
        err.contains("key `serve.adr`") && err.contains("line 3"),
        "{err}"
    );
    let err = run("[webhooks]\nmax_attempts = \"many\"\n");
    assert!(err.contains("key `webhooks.max_attempts`"), "{err}");
    let err = run("[serve]\naddr = \"not an address\"\n");
    assert!(err.contains("key `serve.addr`"), "{err}");
    let err = run("[log]\nformat = \"xml\"\n");
    assert!(err.contains("key `log.format`"), "{err}");
    let err = run("keys_dir = [\n");
    assert!(err.contains("TOML parse error"), "{err}");

    let missing = d.join("missing.toml");
    let err = fails(
        keurmerk(d)
            .args(["--config", missing.to_str().unwrap(), "org", "list"])
            .output()
            .unwrap(),
    );
    assert!(err.contains(missing.to_str().unwrap()), "{err}");
    assert!(!d.join("keurmerk.db").exists(), "nothing opened");
}

#[test]
fn nonsense_values_are_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(
        d,
        "k.toml",
        "[webhooks]\nbackoff_base_secs = 60\nbackoff_max_secs = 30\n",
    );
    let err = fails(
        keurmerk(d)
            .args(["--config", f.to_str().unwrap(), "config", "show"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("webhooks.backoff_base_secs"), "{err}");
    let err = fails(
        keurmerk(d)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("KEURMERK_WRITES_PER_MINUTE", "0")
            .output()
            .unwrap(),
    );
    assert!(err.contains("KEURMERK_WRITES_PER_MINUTE"), "{err}");
    let err = fails(
        keurmerk(d)
            .args(["config", "show"])
            .env("KEURMERK_LOG_FORMAT", "xml")
            .output()
            .unwrap(),
    );
    assert!(err.contains("xml") && err.contains("--log-format"), "{err}");
    let err = fails(
        keurmerk(d)
            .args(["config", "show"])
            .env("KEURMERK_LOG", "keurmerk=loud")
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("invalid log filter") && err.contains("KEURMERK_LOG"),
        "{err}"
    );
}

/// `config show` prints TOML that is itself a valid configuration file giving the same values,
/// says where each came from, and hides a database password.
#[test]
fn config_show_round_trips_and_redacts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shown = ok(keurmerk(d)
        .args(["config", "show", "--writes-per-minute", "30"])
        .env("KEURMERK_WEBHOOK_MAX_ATTEMPTS", "3")
        .output()
        .unwrap());
    assert!(
        shown.contains("writes_per_minute = 30 # flag --writes-per-minute"),
        "{shown}"
    );
    assert!(
        shown.contains("max_attempts = 3 # env KEURMERK_WEBHOOK_MAX_ATTEMPTS"),
        "{shown}"
    );
    assert!(
        shown.contains("addr = \"127.0.0.1:8080\" # default"),
        "{shown}"
    );
    assert!(shown.contains("# schemes is not set"), "{shown}");
    let f = write(d, "shown.toml", &shown);
    let again =
        show(keurmerk(d).args(["--config", f.to_str().unwrap(), "config", "show", "--json"]));
    let s = &again["settings"];
    assert_eq!(s["serve.writes_per_minute"]["value"], 30);
    assert_eq!(s["serve.writes_per_minute"]["source"], "file");
    assert_eq!(s["webhooks.max_attempts"]["value"], 3);
    assert_eq!(s["webhooks.enabled"]["value"], true);
    assert_eq!(s["schemes"]["value"], serde_json::Value::Null);
    assert_eq!(s["schemes"]["source"], "default");

    let out = ok(keurmerk(d)
        .args(["config", "show"])
        .env(
            "KEURMERK_DATABASE_URL",
            "postgres://keurmerk:hunter2@db.example/keurmerk",
        )
        .output()
        .unwrap());
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("postgres://keurmerk:***@db.example/keurmerk"),
        "{out}"
    );
}

/// The shipped example is what `config example` prints and loads as a configuration file.
#[test]
fn example_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/keurmerk.example.toml");
    let printed = ok(keurmerk(dir.path())
        .args(["config", "example"])
        .output()
        .unwrap());
    assert_eq!(std::fs::read_to_string(&example).unwrap(), printed);
    let shown = show(keurmerk(dir.path()).args([
        "--config",
        example.to_str().unwrap(),
        "config",
        "show",
        "--json",
    ]));
    for (key, e) in shown["settings"].as_object().unwrap() {
        if e["value"].is_null() {
            assert_eq!(e["source"], "default", "{key}");
        } else {
            assert_eq!(e["source"], "file", "{key}");
        }
    }
}

fn assert_json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v["level"].is_string(), "{l}");
            assert!(v["fields"].is_object(), "{l}");
            v
        })
        .collect()
}

/// `keurmerk serve` with KEURMERK_LOG_FORMAT=json writes only JSON lines on stderr.
#[test]
fn serve_logs_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = keurmerk(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("KEURMERK_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (text, _) = common::log_until_listening(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("keurmerk listening"), "{text}");
    let logs = assert_json_lines(&text);
    let messages: Vec<&str> = logs
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(messages.contains(&"demo registry seeded"), "{messages:?}");
    assert!(messages.contains(&"transparency log"), "{messages:?}");
}

/// `[log]` in the file is honoured: the logger is set up after the file is read.
#[test]
fn log_settings_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = write(
        d,
        "k.toml",
        "[log]\nformat = \"json\"\nfilter = \"keurmerk=debug\"\n",
    );
    let out = keurmerk(d)
        .args(["--config", f.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    ok(out);
    let logs = assert_json_lines(&stderr);
    assert!(
        logs.iter()
            .any(|l| l["fields"]["message"] == "configuration file loaded"),
        "{stderr}"
    );
}

/// Text logs written to a file or a pipe carry no terminal colour codes (the finding: a log file
/// full of `ESC[2m…`); only a terminal gets colour.
#[test]
fn text_logs_to_a_pipe_are_plain() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "k.toml", "[log]\nformat = \"text\"\n");
    let out = keurmerk(dir.path())
        .args(["--config", cfg.to_str().unwrap()])
        .args(["--log-filter", "debug", "scheme", "list"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    // The debug line proves logs were written at all, so the test cannot pass vacuously.
    assert!(err.contains("configuration file loaded"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a piped log: {err:?}"
    );
}

/// On PostgreSQL, `serve` refuses at start, before it listens, a request pool the database
/// could never let it hold (here more connections than `max_connections`), naming the setting
/// in all its spellings and the limit; it does not start and fail requests at the first peak.
#[test]
fn serve_refuses_a_pool_postgresql_could_never_hold() {
    common::in_postgres_schema("pool", |db| {
        let dir = tempfile::tempdir().unwrap();
        let mut child = keurmerk(dir.path())
            .args(["--db", db, "serve", "--addr", "127.0.0.1:0"])
            .env("KEURMERK_DATABASE_CONNECTIONS", "100000")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        let status = status.unwrap_or_else(|| panic!("serve started: {stderr}"));
        assert!(!status.success(), "{stderr}");
        for part in [
            "serve.database_connections",
            "KEURMERK_DATABASE_CONNECTIONS",
            "is 100000",
            "100005 PostgreSQL connections",
            "max_connections",
        ] {
            assert!(stderr.contains(part), "{part} missing from: {stderr}");
        }
        assert!(!stderr.contains("keurmerk listening"), "{stderr}");
    });
}

/// On PostgreSQL, `serve`'s `/metrics` shows both pools it opens: the requests' at the size set
/// (`KEURMERK_DATABASE_CONNECTIONS`), and the background work's own (log sequencer, outbox,
/// scheduler, status list) at 4; the background work holds connections of its own.
#[test]
fn serve_shows_both_of_its_pools_in_metrics_on_postgresql() {
    common::in_postgres_schema("pools", |db| {
        let dir = tempfile::tempdir().unwrap();
        let mut serving =
            common::Serving::start(dir.path(), db, &[("KEURMERK_DATABASE_CONNECTIONS", "3")]);
        let (log, listening) = common::log_until_listening(&mut serving.child);
        let metrics = listening.then(|| common::http_get(serving.port, "/metrics"));
        drop(serving);
        let (status, _, body) = metrics
            .flatten()
            .unwrap_or_else(|| panic!("no answer: {log}"));
        let text = String::from_utf8(body).unwrap();
        assert_eq!(status, 200, "{text}");
        let gauge = |name: &str| -> u32 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
                .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
        };
        assert_eq!(
            gauge("keurmerk_database_connections_max{pool=\"requests\"}"),
            3
        );
        assert_eq!(
            gauge("keurmerk_database_connections_max{pool=\"background\"}"),
            4
        );
        // The sequencer started on the background pool before `serve` listened: it has opened
        // connections there.
        let open = gauge("keurmerk_database_connections{pool=\"background\",use=\"in_use\"}")
            + gauge("keurmerk_database_connections{pool=\"background\",use=\"idle\"}");
        assert!((1..=4).contains(&open), "{text}");
    });
}

/// A PostgreSQL role of its own with a database it owns, both dropped afterwards (also when the
/// test panics), for a test that changes the role's `CONNECTION LIMIT` under a running server.
struct OwnRole {
    admin: String,
    name: String,
    rt: tokio::runtime::Runtime,
}

impl OwnRole {
    fn new(admin: String, prefix: &str) -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let role = Self {
            admin,
            name: format!("{prefix}_{}_{millis}", std::process::id()),
            rt: tokio::runtime::Runtime::new().unwrap(),
        };
        role.exec(&[
            format!("CREATE ROLE {} LOGIN CONNECTION LIMIT 20", role.name),
            format!("CREATE DATABASE {0} OWNER {0}", role.name),
        ]);
        role
    }

    /// Runs `sql`, one statement after the other, as the administrator.
    fn exec(&self, sql: &[String]) {
        self.rt.block_on(async {
            use sqlx::{Connection as _, Executor as _};
            let mut c = sqlx::postgres::PgConnection::connect(&self.admin)
                .await
                .unwrap();
            for s in sql {
                c.execute(s.as_str()).await.unwrap();
            }
        });
    }

    /// The role's `--db` URL: its own database, as itself.
    fn url(&self) -> String {
        let (scheme, rest) = self.admin.split_once("://").unwrap();
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        let host = host.split(['/', '?']).next().unwrap();
        format!("{scheme}://{0}@{host}/{0}", self.name)
    }
}

impl Drop for OwnRole {
    fn drop(&mut self) {
        self.rt.block_on(async {
            use sqlx::{Connection as _, Executor as _};
            if let Ok(mut c) = sqlx::postgres::PgConnection::connect(&self.admin).await {
                let _ = c
                    .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                    .await;
                let _ = c
                    .execute(format!("DROP ROLE IF EXISTS {}", self.name).as_str())
                    .await;
            }
        });
    }
}

/// While PostgreSQL refuses `serve` its connections (here its role's `CONNECTION LIMIT` set to 0
/// and its sessions ended, as when other instances crowd the limit or PostgreSQL restarts), a
/// request waits `serve.database_wait_secs` (1 s here, not the default 10) and is answered `503`
/// with `Retry-After`, the API's and the health check alike; once PostgreSQL lets it connect
/// again, it answers `200` without a restart. Its stderr is a pipe nobody reads once it listens
/// (`log_until_listening` stops there), so the warnings of the outage cannot be written: a log
/// line that cannot be written must never fail a request (tracing-subscriber reported it with
/// `eprintln!`, which panicked on the same closed pipe and dropped the request's connection).
#[test]
fn serve_answers_503_while_postgresql_refuses_it_then_recovers() {
    let Ok(admin) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
        return;
    };
    let role = OwnRole::new(admin, "km_wait");
    let dir = tempfile::tempdir().unwrap();
    let mut serving = common::Serving::start(
        dir.path(),
        &role.url(),
        &[
            ("KEURMERK_DATABASE_CONNECTIONS", "2"),
            ("KEURMERK_DATABASE_WAIT_SECS", "1"),
        ],
    );
    let port = serving.port;
    let (log, listening) = common::log_until_listening(&mut serving.child);
    assert!(listening, "{log}");
    assert_eq!(common::http_get(port, "/healthz").map(|a| a.0), Some(200));

    role.exec(&[
        format!("ALTER ROLE {} CONNECTION LIMIT 0", role.name),
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{}'",
            role.name
        ),
    ]);
    for path in ["/api/v1/labels?q=camera", "/healthz"] {
        let started = std::time::Instant::now();
        let (status, head, body) = common::http_get(port, path).unwrap();
        assert_eq!(status, 503, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(head.contains("retry-after: 5"), "{path}: {head}");
        // The wait set, not the default 10 s (each waits at most 1 s for a connection).
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{path}: {:?}",
            started.elapsed()
        );
    }

    role.exec(&[format!("ALTER ROLE {} CONNECTION LIMIT 20", role.name)]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match common::http_get(port, "/api/v1/labels?q=camera").map(|a| a.0) {
            Some(200) => break,
            other => assert!(
                std::time::Instant::now() < deadline,
                "not answered again: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

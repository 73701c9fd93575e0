//! The README's command examples, run as written, so that the README cannot drift from the binary
//! again (issue 14 item 8: `keurmerk vex publish` did not exist, and the role walk-through had no
//! `keys create`, so its `certify` failed).
//!
//! Every ```sh block of `/README.md` has a marker comment on the line before it:
//! - `<!-- readme-test: demo -->`: run in order, in one temporary directory, on the registry the
//!   first of these blocks seeds with `keurmerk demo`;
//! - `<!-- readme-test: walkthrough -->`: run in order on ONE fresh, empty registry, so that the
//!   roles' blocks (operator → authority → manufacturer → assessment body → …) build it from
//!   nothing;
//! - `<!-- readme-test: skip REASON -->`: not run, for the reason given.
//!
//! A block without a marker, a marker without a block or an unknown marker fails the test.
//!
//! Each command (continuation lines joined) runs through `bash -eo pipefail -c` in its group's
//! directory, with the binary under test as `keurmerk` on `PATH` and no `KEURMERK_*` variable
//! inherited, so the README's defaults put the database (`keurmerk.db`), the keys
//! (`keurmerk-keys/`) and the log key there. Optional parts written `[--flag value]` are left out.
//! The repository's `crates/` is linked into the directory, so fixture paths written relative to
//! the repository root resolve. A command naming `http://127.0.0.1:8080` (where the README's
//! `keurmerk serve` listens) runs against a `keurmerk serve` the test starts on the group's
//! registry, at the port it got. Every command must exit 0: none of the commands shown documents
//! another exit status for a registry in good order.
//!
//! Runs on SQLite, and on PostgreSQL too when `KEURMERK_TEST_POSTGRES` is set (each group in a
//! schema of its own, dropped afterwards).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::{Datelike as _, Months, NaiveDate};

/// The day the README's examples are written for: its dates are relative to that day (a
/// suspension until a few weeks later, a compromise the day before, …) and its demo certificate
/// numbers are those `keurmerk demo` gives on that day. Run on another day, the test moves every
/// date by the days (`YYYY-MM-DD`) or months (`YYYY-MM`) since, gives the walk-through's
/// certificate numbers (`KM-<year>-<n>`, numbered per year of issue) the current year, and
/// translates the demo's numbers into the ones the demo gave today (see [`demo_ids`]).
const README_DATE: (i32, u32, u32) = (2026, 12, 1);

/// Where the README's server listens (`keurmerk serve` with the default `--addr`).
const README_SERVER: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Demo,
    Walkthrough,
    Skip(String),
}

#[derive(Debug)]
struct Block {
    /// Line of the opening fence (1-based).
    line: usize,
    mode: Mode,
    text: String,
}

const MARKER: &str = "<!-- readme-test:";

/// The README's shell blocks with their markers; every problem with a marker is an error naming
/// its line.
fn blocks(readme: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut pending: Option<(usize, Mode)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let n = i + 1;
        if let Some(rest) = line.strip_prefix(MARKER) {
            if let Some((at, _)) = pending {
                return Err(format!(
                    "README.md:{at}: marker without a ```sh block after it"
                ));
            }
            let body = rest
                .strip_suffix("-->")
                .ok_or_else(|| format!("README.md:{n}: marker not closed with `-->`"))?
                .trim();
            let mode = match body.split_once(char::is_whitespace) {
                None if body == "demo" => Mode::Demo,
                None if body == "walkthrough" => Mode::Walkthrough,
                Some(("skip", reason)) if !reason.trim().is_empty() => {
                    Mode::Skip(reason.trim().to_owned())
                }
                None if body == "skip" => {
                    return Err(format!("README.md:{n}: `skip` needs a reason"));
                }
                _ => {
                    return Err(format!(
                        "README.md:{n}: unknown marker `{body}` (demo, walkthrough or skip REASON)"
                    ))
                }
            };
            pending = Some((n, mode));
        } else if let Some(info) = line.strip_prefix("```") {
            let lang = info.trim();
            let shell = matches!(lang, "sh" | "bash" | "shell" | "console" | "zsh");
            let mut text = String::new();
            let mut j = i + 1;
            while j < lines.len() && !lines[j].trim_start().starts_with("```") {
                text.push_str(lines[j]);
                text.push('\n');
                j += 1;
            }
            if j == lines.len() {
                return Err(format!("README.md:{n}: code block not closed"));
            }
            match (shell, pending.take()) {
                (true, Some((_, mode))) => out.push(Block {
                    line: n,
                    mode,
                    text,
                }),
                (true, None) => {
                    return Err(format!(
                        "README.md:{n}: ```{lang} block without a `{MARKER} demo|walkthrough|skip REASON -->` \
                         marker on the line before it"
                    ))
                }
                (false, Some((at, _))) => {
                    return Err(format!(
                        "README.md:{at}: marker before a ```{lang} block, which is not run"
                    ))
                }
                (false, None) => {
                    // A command shown in a block of another kind would escape the test.
                    if text.lines().any(|l| {
                        let l = l.trim_start().trim_start_matches("$ ");
                        l == "keurmerk" || l.starts_with("keurmerk ")
                    }) {
                        return Err(format!(
                            "README.md:{n}: a ```{lang} block with `keurmerk` commands: make it ```sh with a marker"
                        ));
                    }
                }
            }
            i = j;
        } else if !line.is_empty() {
            if let Some((at, _)) = pending {
                return Err(format!(
                    "README.md:{at}: marker not directly before a ```sh block"
                ));
            }
        }
        i += 1;
    }
    match pending {
        Some((at, _)) => Err(format!(
            "README.md:{at}: marker without a ```sh block after it"
        )),
        None => Ok(out),
    }
}

/// A block's commands, each with its line offset in the block: a line ending in `\`, or a quote
/// still open at its end, continues on the next line; lines holding only a comment are dropped
/// (bash drops the comments after a command itself).
fn commands(block: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (n, line) in block.lines().enumerate() {
        if current.is_empty() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            start = n;
        }
        current.push_str(line);
        current.push('\n');
        if !continues(&current) {
            out.push((start, current.trim_end().to_owned()));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push((start, current.trim_end().to_owned()));
    }
    out
}

/// Whether shell text goes on: a quote is open, or it ends in a backslash before the newline.
fn continues(text: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    let mut comment = false;
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        if comment {
            if c == '\n' {
                comment = false;
            }
            prev = c;
            continue;
        }
        match (quote, c) {
            (None, '#') if prev.is_whitespace() => comment = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                // The escaped character is skipped; a newline escaped at the end goes on.
                let escaped = chars.next();
                if escaped == Some('\n') && chars.peek().is_none() {
                    return true;
                }
            }
            _ => {}
        }
        prev = c;
    }
    quote.is_some()
}

/// The command without its optional parts: every `[…]` group that starts a word, outside quotes
/// and comments, is removed with the blank before it (nested groups go with their parent).
fn strip_optional(cmd: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '#') if out.is_empty() || out.ends_with(char::is_whitespace) => {
                out.push(c);
                out.extend(chars.by_ref());
            }
            (None, '[') if out.is_empty() || out.ends_with(char::is_whitespace) => {
                let mut depth = 1;
                let mut q: Option<char> = None;
                for c in chars.by_ref() {
                    match (q, c) {
                        (None, '\'' | '"') => q = Some(c),
                        (Some(x), c) if c == x => q = None,
                        (None, '[') => depth += 1,
                        (None, ']') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let kept = out.trim_end_matches([' ', '\t']).len();
                out.truncate(kept);
                if chars.peek().is_some_and(|c| *c != ' ' && *c != '\n') {
                    out.push(' ');
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// How the README's dates and certificate numbers are moved to the day of the run.
#[derive(Debug, Clone, Copy)]
struct Shift {
    days: i64,
    months: i32,
    year: i32,
}

impl Shift {
    fn between(readme: NaiveDate, today: NaiveDate) -> Self {
        Self {
            days: (today - readme).num_days(),
            months: (today.year() * 12 + today.month0() as i32)
                - (readme.year() * 12 + readme.month0() as i32),
            year: today.year(),
        }
    }

    fn none(&self) -> bool {
        self.days == 0 && self.months == 0
    }
}

fn readme_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(README_DATE.0, README_DATE.1, README_DATE.2).unwrap()
}

/// The command with its dates moved by `shift` and every certificate number `KM-YYYY-NNNNNN`
/// given to `km`.
fn shift_command(cmd: &str, shift: Shift, km: &dyn Fn(&str) -> String) -> String {
    let b = cmd.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let num = |from: usize, n: usize| cmd[from..from + n].parse::<u32>().ok();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b"-._".contains(&b[i - 1]));
        // KM-YYYY-NNNNNN
        if boundary
            && cmd[i..].starts_with("KM-")
            && digits(i + 3, 4)
            && b.get(i + 7) == Some(&b'-')
            && digits(i + 8, 6)
            && !b.get(i + 14).is_some_and(u8::is_ascii_alphanumeric)
        {
            out.push_str(&km(&cmd[i..i + 14]));
            i += 14;
            continue;
        }
        // YYYY-MM-DD (also as the date of a timestamp) or YYYY-MM
        if boundary && digits(i, 4) && b.get(i + 4) == Some(&b'-') && digits(i + 5, 2) {
            let (y, m) = (num(i, 4).unwrap_or(0) as i32, num(i + 5, 2).unwrap_or(0));
            let day = (b.get(i + 7) == Some(&b'-') && digits(i + 8, 2))
                .then(|| num(i + 8, 2).unwrap_or(0));
            let end = if day.is_some() { i + 10 } else { i + 7 };
            let after_ok = !b.get(end).is_some_and(|c| c.is_ascii_digit() || *c == b'-')
                && (day.is_some() || !b.get(end).is_some_and(u8::is_ascii_alphanumeric));
            if after_ok {
                if let Some(d) = day.and_then(|d| NaiveDate::from_ymd_opt(y, m, d)) {
                    let moved = d + chrono::Duration::days(shift.days);
                    out.push_str(&moved.format("%Y-%m-%d").to_string());
                    i = end;
                    continue;
                }
                if let (None, Some(first)) = (day, NaiveDate::from_ymd_opt(y, m, 1)) {
                    let moved = if shift.months >= 0 {
                        first.checked_add_months(Months::new(shift.months.unsigned_abs()))
                    } else {
                        first.checked_sub_months(Months::new(shift.months.unsigned_abs()))
                    };
                    if let Some(moved) = moved {
                        out.push_str(&moved.format("%Y-%m").to_string());
                        i = end;
                        continue;
                    }
                }
            }
        }
        let c = cmd[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The README's demo certificate numbers (as `keurmerk demo` gave them on [`README_DATE`])
/// mapped to the numbers of the demo run today, `days` later. The demo dates everything relative
/// to the day it runs, and numbers certificates per year of issue in the order it issues them;
/// so a certificate issued on day D today was issued on D − `days` in the README's demo, and
/// numbering those dates per year gives its README number. `certs` are the demo's certificates
/// (number, date of issue) as listed today.
fn demo_ids(certs: &[(String, NaiveDate)], days: i64) -> HashMap<String, String> {
    let counter = |id: &str| id.rsplit('-').next().and_then(|n| n.parse::<u32>().ok());
    let mut sorted: Vec<&(String, NaiveDate)> = certs.iter().collect();
    // Issue order: by date, and within a day by number (numbers only grow).
    sorted.sort_by_key(|(id, d)| (*d, counter(id)));
    let mut per_year: HashMap<i32, u32> = HashMap::new();
    let mut map = HashMap::new();
    for (id, issued) in sorted {
        let then = *issued - chrono::Duration::days(days);
        let n = per_year.entry(then.year()).or_insert(0);
        *n += 1;
        map.insert(format!("KM-{}-{:06}", then.year(), n), id.clone());
    }
    map
}

/// A `keurmerk serve` child process, killed when dropped (also when the test fails).
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One group of blocks: its directory, its registry and, once needed, its server.
struct Group {
    /// First, so that it is dropped (killed) before its directory is removed.
    server: Option<Server>,
    name: &'static str,
    dir: tempfile::TempDir,
    shim: tempfile::TempDir,
    db: Option<String>,
    shift: Shift,
    /// Demo numbers as of the README's day → today's (only when the day differs).
    demo_ids: Option<HashMap<String, String>>,
}

impl Group {
    fn new(name: &'static str, db: Option<String>, shift: Shift) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::os::unix::fs::symlink(&crates, dir.path().join("crates")).unwrap();
        // `keurmerk` on PATH is the binary under test.
        let shim = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keurmerk"), shim.path().join("keurmerk"))
            .unwrap();
        Self {
            name,
            dir,
            shim,
            db,
            server: None,
            shift,
            demo_ids: None,
        }
    }

    fn env(&self, c: &mut Command) {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.shim.path().to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        c.env("PATH", std::env::join_paths(paths).unwrap());
        if let Some(db) = &self.db {
            c.env("KEURMERK_DATABASE_URL", db);
        }
    }

    fn start_server(&mut self) -> &Server {
        if self.server.is_none() {
            let mut c = common::keurmerk(self.dir.path());
            self.env(&mut c);
            let mut child = c
                .args(["serve", "--addr", "127.0.0.1:0"])
                .env("KEURMERK_LOG", "info")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stderr = child.stderr.take().unwrap();
            let (tx, rx) = mpsc::channel();
            let log = Arc::new(Mutex::new(Vec::new()));
            let log_w = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.split("Keurmerk registry on http://").nth(1) {
                        let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
                    }
                    log_w.lock().unwrap().push(line);
                }
            });
            let addr = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| {
                    panic!(
                        "keurmerk serve did not start for the {} examples:\n{}",
                        self.name,
                        log.lock().unwrap().join("\n")
                    )
                });
            self.server = Some(Server { child, addr, log });
            self.wait_for_the_log();
        }
        self.server.as_ref().unwrap()
    }

    /// The statements the CLI queued before the server started are in its log once the queue is
    /// empty (the sequencer deletes them from the queue in the transaction that publishes the
    /// checkpoint holding them); a reader's server has long done so when they look.
    fn wait_for_the_log(&self) {
        let url = self
            .db
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.dir.path().join("keurmerk.db").display()));
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = keurmerk_store::SqlStore::connect(&url).await.unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
                if queued == 0 {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the server's log still has {queued} statements queued after 60 s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            store.close().await;
        });
    }

    /// The command as run: dates moved, certificate numbers of today, the test's server.
    fn prepare(&mut self, cmd: &str, mode: &Mode) -> String {
        let cmd = strip_optional(cmd);
        let shift = self.shift;
        let ids = self.demo_ids.clone();
        let km = move |id: &str| match (mode, &ids) {
            (Mode::Demo, Some(map)) => map.get(id).cloned().unwrap_or_else(|| id.to_owned()),
            (Mode::Demo, None) => id.to_owned(),
            _ => format!("KM-{}-{}", shift.year, &id[8..]),
        };
        let mut cmd = if shift.none() {
            cmd
        } else {
            shift_command(&cmd, shift, &km)
        };
        if cmd.contains(README_SERVER) {
            let addr = self.start_server().addr.clone();
            cmd = cmd.replace(README_SERVER, &addr);
        }
        cmd
    }

    /// Runs one command of the README; a failure names it with its output.
    fn run(&mut self, line: usize, written: &str, mode: &Mode) {
        let first = written.split_whitespace().next().unwrap_or_default();
        assert!(
            first == "keurmerk" || first == "curl",
            "README.md:{line}: a command run by this test starts with `keurmerk` (or `curl` against \
             the server); mark the block `skip REASON` otherwise: {written}"
        );
        let cmd = self.prepare(written, mode);
        let mut c = Command::new("bash");
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("KEURMERK_") {
                c.env_remove(k);
            }
        }
        self.env(&mut c);
        let out = c
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &cmd])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        // Shown with --nocapture, and by the test harness when a later command fails.
        eprintln!(
            "README.md:{line} ({})\n$ {cmd}\n{}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            let server = self
                .server
                .as_ref()
                .map(|s| format!("\n--- server log:\n{}", s.log.lock().unwrap().join("\n")))
                .unwrap_or_default();
            panic!(
                "README.md:{line} ({} examples) failed with {}:\n{written}\n--- as run:\n{cmd}\n\
                 --- stdout:\n{}\n--- stderr:\n{}{server}",
                self.name,
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
        }
        if *mode == Mode::Demo
            && self.demo_ids.is_none()
            && !self.shift.none()
            && cmd.starts_with("keurmerk demo")
        {
            self.demo_ids = Some(self.translate_demo());
        }
    }

    fn translate_demo(&self) -> HashMap<String, String> {
        let mut c = common::keurmerk(self.dir.path());
        self.env(&mut c);
        let out = c.args(["certificate", "list", "--json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let certs: Vec<(String, NaiveDate)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let issued = c["issued_at"].as_str().unwrap();
                (
                    c["id"].as_str().unwrap().to_owned(),
                    NaiveDate::parse_from_str(&issued[..10], "%Y-%m-%d").unwrap(),
                )
            })
            .collect();
        demo_ids(&certs, self.shift.days)
    }
}

fn readme() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs every marked block; `db` gives each group its database URL (`None`: the README's
/// default, `keurmerk.db` in the group's directory).
fn run_readme(db: &mut dyn FnMut(&str) -> Option<String>) {
    let text = readme();
    let blocks = blocks(&text).unwrap_or_else(|e| panic!("{e}"));
    let shift = Shift::between(readme_date(), chrono::Utc::now().date_naive());
    let mut demo = Group::new("demo", db("demo"), shift);
    let mut walk = Group::new("walkthrough", db("walkthrough"), shift);
    let (mut ran, mut skipped) = (0, 0);
    for b in &blocks {
        let group = match &b.mode {
            Mode::Skip(_) => {
                skipped += 1;
                continue;
            }
            Mode::Demo => &mut demo,
            Mode::Walkthrough => &mut walk,
        };
        let cmds = commands(&b.text);
        assert!(
            !cmds.is_empty(),
            "README.md:{}: a run block without a command",
            b.line
        );
        for (offset, cmd) in cmds {
            group.run(b.line + 1 + offset, &cmd, &b.mode);
            ran += 1;
        }
    }
    // The README has both kinds of run blocks, and most blocks run.
    assert!(ran > 40, "only {ran} commands ran");
    assert!(
        skipped <= 4,
        "{skipped} blocks are skipped; keep skips rare"
    );
}

#[test]
fn readme_examples_run_on_sqlite() {
    run_readme(&mut |_| None);
}

#[test]
fn readme_examples_run_on_postgres() {
    let Some(mut schemas) = common::PgSchemas::new() else {
        return;
    };
    run_readme(&mut |group| Some(schemas.db(&format!("readme_{group}"))));
}

#[test]
fn a_command_that_does_not_exist_or_takes_other_flags_fails_the_test() {
    let shift = Shift::between(readme_date(), readme_date());
    for cmd in [
        "keurmerk vex publish --as maker --product PRD-000001 --file vex.json",
        "keurmerk scheme list --no-such-flag",
        "keurmerk status KM-2026-000001",
    ] {
        let mut g = Group::new("walkthrough", None, shift);
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            g.run(7, cmd, &Mode::Walkthrough);
        }))
        .expect_err(cmd);
        let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("README.md:7") && msg.contains(cmd), "{msg}");
    }
}

#[test]
fn a_block_without_a_marker_or_a_stray_marker_is_an_error() {
    let ok =
        "text\n\n<!-- readme-test: demo -->\n```sh\nkeurmerk demo\n```\n\n```toml\nx = 1\n```\n";
    let b = blocks(ok).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!((b[0].line, &b[0].mode), (4, &Mode::Demo));
    assert!(blocks("```sh\nkeurmerk demo\n```\n")
        .unwrap_err()
        .contains(":1:"));
    assert!(blocks("```bash\nkeurmerk demo\n```\n").is_err());
    assert!(blocks("<!-- readme-test: skip -->\n```sh\nx\n```\n")
        .unwrap_err()
        .contains("reason"));
    assert!(blocks("<!-- readme-test: sometimes -->\n```sh\nx\n```\n")
        .unwrap_err()
        .contains("unknown marker"));
    assert!(blocks("<!-- readme-test: demo -->\ntext\n```sh\nx\n```\n").is_err());
    assert!(blocks("<!-- readme-test: demo -->\n").is_err());
    assert!(blocks("<!-- readme-test: demo -->\n```toml\nx\n```\n").is_err());
    assert!(blocks("```\nkeurmerk demo\n```\n")
        .unwrap_err()
        .contains("make it ```sh"));
    assert!(blocks("```text\n$ keurmerk scheme list\n```\n").is_err());
    assert_eq!(
        blocks("<!-- readme-test: skip needs a network -->\n```sh\ncurl x\n```\n").unwrap()[0].mode,
        Mode::Skip("needs a network".into())
    );
}

#[test]
fn commands_join_continuations_and_open_quotes_and_drop_comment_lines() {
    let block = "keurmerk a   # it's a comment\n          # more comment\n\
                 keurmerk b --x \\\n    --y 1\n\
                 curl -d '{\"a\":\n  1}' x\n";
    assert_eq!(
        commands(block),
        vec![
            (0, "keurmerk a   # it's a comment".to_owned()),
            (2, "keurmerk b --x \\\n    --y 1".to_owned()),
            (4, "curl -d '{\"a\":\n  1}' x".to_owned()),
        ]
    );
}

#[test]
fn optional_groups_are_left_out() {
    assert_eq!(
        strip_optional("keurmerk x --a 1 [--b 2] --c 3"),
        "keurmerk x --a 1 --c 3"
    );
    assert_eq!(
        strip_optional(
            "keurmerk log verify u \\\n    [--trust-list t [--root-key K]] [--witness W]"
        ),
        "keurmerk log verify u \\\n"
    );
    assert_eq!(
        strip_optional("keurmerk x '[--kept]' [--gone \"]\"] --y # [kept in comments]"),
        "keurmerk x '[--kept]' --y # [kept in comments]"
    );
}

#[test]
fn dates_and_certificate_numbers_move_to_the_day_of_the_run() {
    let shift = Shift::between(readme_date(), NaiveDate::from_ymd_opt(2027, 2, 15).unwrap());
    assert_eq!((shift.days, shift.months, shift.year), (76, 2, 2027));
    let km = |id: &str| format!("KM-{}-{}", shift.year, &id[8..]);
    assert_eq!(
        shift_command(
            "keurmerk extend-suspension KM-2026-000002 --until 2027-01-10 --reason \"Report 2026-17\"",
            shift,
            &km
        ),
        "keurmerk extend-suspension KM-2027-000002 --until 2027-03-27 --reason \"Report 2026-17\""
    );
    assert_eq!(
        shift_command(
            "x --until 2031-12 --at 2026-11-30T08:00:00Z v1.2.3-0.20200101000000-ab",
            shift,
            &km
        ),
        "x --until 2032-02 --at 2027-02-14T08:00:00Z v1.2.3-0.20200101000000-ab"
    );
    let none = Shift::between(readme_date(), readme_date());
    assert!(none.none());
}

#[test]
fn demo_numbers_are_translated_to_the_run_day() {
    // Today (2027-02-15, 76 days after the README's day) the demo issued on these days:
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let today = [
        ("KM-2025-000001".to_owned(), d(2025, 10, 20)),
        ("KM-2026-000001".to_owned(), d(2026, 2, 2)),
        ("KM-2026-000002".to_owned(), d(2026, 2, 2)),
        ("KM-2027-000001".to_owned(), d(2027, 1, 10)),
    ];
    let map = demo_ids(&today, 76);
    // On the README's day the same certificates were issued 76 days earlier.
    assert_eq!(map["KM-2025-000001"], "KM-2025-000001");
    assert_eq!(map["KM-2025-000002"], "KM-2026-000001");
    assert_eq!(map["KM-2025-000003"], "KM-2026-000002");
    assert_eq!(map["KM-2026-000001"], "KM-2027-000001");
    assert_eq!(map.len(), 4);
}

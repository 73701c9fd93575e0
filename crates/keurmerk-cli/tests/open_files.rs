//! `keurmerk serve` under a low open-files limit (`RLIMIT_NOFILE`, set with the shell's
//! `ulimit` before it starts): a low soft limit is raised as far as the settings need; a hard
//! limit too low for `serve.max_connections` serves fewer connections at once, saying so; one
//! too low for even 16 is refused at start (Linux: reads `/proc/PID/limits`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};

/// `keurmerk ARGS` started by `sh` after `ulimit LIMIT` (e.g. `-Sn 300`), in `dir`, with no
/// `KEURMERK_*` variable inherited.
fn under_limit(dir: &std::path::Path, limit: &str, args: &[&str]) -> Child {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_keurmerk"))
        .args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `serve` on a new SQLite registry in `dir` under `limit`: its log up to `keurmerk listening`
/// (`true`) or to its end (`false`: it stopped), and the child (still running when listening).
fn serve(dir: &std::path::Path, limit: &str) -> (String, bool, Child) {
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let mut child = under_limit(dir, limit, &["--db", &db, "serve", "--addr", "127.0.0.1:0"]);
    let (log, listening) = common::log_until_listening(&mut child);
    (log, listening, child)
}

/// The soft and hard open-files limits of process `pid` (`None`: unlimited).
fn limits(pid: u32) -> (Option<u64>, Option<u64>) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut values = line["Max open files".len()..]
        .split_whitespace()
        .map(|v| v.parse().ok());
    (values.next().unwrap(), values.next().unwrap())
}

/// Whether this process's hard open-files limit is `n` or more (a shell may lower it to `n`,
/// never raise it); says the test is skipped if not.
fn hard_limit_at_least(n: u64) -> bool {
    let (_, hard) = limits(std::process::id());
    let ok = hard.is_none_or(|h| h >= n);
    if !ok {
        eprintln!("skipped: the hard open-files limit here is {hard:?}, below {n}");
    }
    ok
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The usual case: a soft limit far below what 1,024 connections need, a hard one above it.
#[test]
fn a_low_soft_limit_is_raised_as_far_as_the_settings_need() {
    // 1,024 connections (the default) and 256 descriptors kept for the rest.
    if !hard_limit_at_least(1280) {
        return;
    }
    let (_, hard) = limits(std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let (log, listening, child) = serve(dir.path(), "-Sn 300");
    assert!(listening, "{log}");
    let (soft, after_hard) = limits(child.id());
    stop(child);
    assert_eq!(soft, Some(1280), "{log}");
    assert_eq!(after_hard, hard, "the hard limit is left as it was");
    assert!(
        log.contains("open-files limit (RLIMIT_NOFILE) raised"),
        "{log}"
    );
}

/// A hard limit of 400: 400 − 256 = 144 connections at once, with a warning naming the setting
/// and the limit; the server answers.
#[test]
fn a_low_hard_limit_serves_fewer_connections_and_says_so() {
    if !hard_limit_at_least(400) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (log, listening, child) = serve(dir.path(), "-n 400");
    let pid = child.id();
    let (soft, hard) = limits(pid);
    stop(child);
    assert!(listening, "{log}");
    assert_eq!((soft, hard), (Some(400), Some(400)));
    for part in [
        "serve.max_connections",
        "KEURMERK_MAX_CONNECTIONS",
        "is 1024",
        "at most 400 files",
        "serving 144 connections at once",
    ] {
        assert!(log.contains(part), "{part} missing from: {log}");
    }
}

/// A hard limit of 200 leaves no room for 16 connections beside the 256 kept: refused at start,
/// naming the limit and the setting, before it listens.
#[test]
fn a_hard_limit_too_low_for_any_connection_is_refused_at_start() {
    if !hard_limit_at_least(200) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (log, listening, mut child) = serve(dir.path(), "-n 200");
    let status = child.wait().unwrap();
    assert!(!listening && !status.success(), "{log}");
    for part in [
        "RLIMIT_NOFILE",
        "at most 200 files",
        "serve.max_connections",
        "ulimit -Hn",
    ] {
        assert!(log.contains(part), "{part} missing from: {log}");
    }
}

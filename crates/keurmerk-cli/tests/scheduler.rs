//! Issue 12 item 1: the real `keurmerk serve` acts on the scheme policies by itself. The demo
//! registry is seeded today; `keurmerk forecast` says when the first action on a certificate is
//! due; `serve` then runs under a clock shifted past that day (libfaketime, `faketime -f +Nd`:
//! the whole process sees the shifted time, as a server that was stopped until then would) and
//! its start-up scheduler pass records the action, with its rule and due time, as the registry
//! operator's `system:scheduler`.
//!
//! Why faketime rather than a clock-offset setting: the service clock of `serve` is the system
//! clock, and a setting that shifts it would be a way to falsify every timestamp the registry
//! signs in production. Under faketime the server, its log sequencer and its signatures all see
//! one consistent shifted time, with no code path that only tests use. Skipped (saying so) where
//! `/usr/bin/faketime` is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

const FAKETIME: &str = "/usr/bin/faketime";

fn run(dir: &Path, args: &[&str]) -> Value {
    run_shifted(dir, 0, args)
}

/// `keurmerk` under the clock shifted by `days` (reads verify signatures against the time, so
/// what the shifted server signed is read at the shifted time too).
fn run_shifted(dir: &Path, days: i64, args: &[&str]) -> Value {
    let mut cmd = if days == 0 {
        common::keurmerk(dir)
    } else {
        let mut c = Command::new(FAKETIME);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("KEURMERK_") {
                c.env_remove(k);
            }
        }
        c.current_dir(dir)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", &format!("+{days}d"), env!("CARGO_BIN_EXE_keurmerk")]);
        c
    };
    let out = cmd
        .args(["--db", "sqlite:k.db"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut out = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut out);
    out.starts_with("HTTP/1.1 200")
}

/// The first scheduled action on `id` that is not due yet, as the forecast saw it: (rule, due
/// time, event type).
fn first_action(dir: &Path, id: &str) -> Option<(String, DateTime<Utc>, String)> {
    let f = run(dir, &["forecast", id, "--until", "2100-01-01", "--json"]);
    let first = f["actions"].as_array().unwrap().first()?.clone();
    // A certificate with an action already due (the demo has overdue findings) is acted on by
    // the same pass, but is no test of the shifted clock.
    if first["overdue"].as_bool() != Some(false) {
        return None;
    }
    let a = first;
    Some((
        a["rule"].as_str().unwrap().to_owned(),
        a["due_at"].as_str().unwrap().parse().unwrap(),
        a["event"]["type"].as_str().unwrap().to_owned(),
    ))
}

#[cfg(unix)]
#[test]
fn serve_under_a_shifted_clock_records_what_became_due() {
    if !Path::new(FAKETIME).exists() {
        // `.ci/run` installs it: in CI a missing tool fails, never skips.
        assert!(
            std::env::var_os("CI").is_none(),
            "{FAKETIME} is missing under CI=true (apt-get install faketime)"
        );
        eprintln!(
            "skipped: {FAKETIME} is not installed, so serve is not run under a shifted clock"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = common::keurmerk(d)
        .args(["--db", "sqlite:k.db", "demo"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The certificate whose first action comes soonest.
    let certs = run(d, &["certificate", "list", "--json"]);
    let (id, (rule, due, event)) = certs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            first_action(d, &id).map(|a| (id, a))
        })
        .min_by_key(|(_, a)| a.1)
        .expect("the demo has a certificate on which something will happen");
    let now = Utc::now();
    assert!(
        due > now,
        "nothing is due yet before the server runs: {rule} {due}"
    );
    let days = (due - now).num_days() + 2;
    let before = run(d, &["certificate", "show", &id, "--json"])["events"]
        .as_array()
        .unwrap()
        .len();

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(d.join("serve.log")).unwrap();
    let mut cmd = Command::new(FAKETIME);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            cmd.env_remove(k);
        }
    }
    // Its own process group: `faketime` runs `keurmerk` as its child and does not pass a signal
    // on, so the group is what is stopped (killing `faketime` alone left the server running
    // after the tests, adopted by init).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .current_dir(d)
        // Timers (tokio's intervals) keep real time; wall-clock reads are shifted.
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .args(["-f", &format!("+{days}d"), env!("CARGO_BIN_EXE_keurmerk")])
        .args(["--db", "sqlite:k.db", "serve"])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--scheduler-interval-secs", "3600"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let stop = |child: &mut std::process::Child| {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let recorded = loop {
        if Instant::now() > deadline {
            stop(&mut child);
            panic!(
                "serve recorded nothing for {id} within 120 s:\n{}",
                std::fs::read_to_string(d.join("serve.log")).unwrap_or_default()
            );
        }
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        if healthy(port) {
            let shown = run_shifted(d, days, &["certificate", "show", &id, "--json"]);
            let events = shown["events"].as_array().unwrap().clone();
            if events.len() > before {
                break events[before].clone();
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    stop(&mut child);

    assert_eq!(recorded["kind"]["type"].as_str(), Some(event.as_str()));
    assert_eq!(recorded["role"].as_str(), Some("scheduler"));
    assert_eq!(
        recorded["kind"]["scheduled"]["rule"].as_str(),
        Some(rule.as_str())
    );
    let due_at: DateTime<Utc> = recorded["kind"]["scheduled"]["due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due_at, due, "effective when it became due");
    let at: DateTime<Utc> = recorded["at"].as_str().unwrap().parse().unwrap();
    assert!(
        at > due && at > now + chrono::Duration::days(days - 1),
        "recorded at the server's (shifted) time: {at}"
    );
    // Attributed to the operator's scheduler in the audit trail.
    let audit = run_shifted(d, days, &["audit", "--as", "enisa", "--json"]);
    assert!(
        audit.as_array().unwrap().iter().any(
            |e| e["action"] == "certificate.scheduled" && e["credential"] == "system:scheduler"
        ),
        "{audit}"
    );
}

//! Issue 14: `keurmerk serve` stops within its shutdown grace period after SIGTERM even while a
//! client holds a half-open request (before, such a request kept it running indefinitely, which
//! blocks every rolling restart), and the listener settings reach the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

#[cfg(unix)]
#[test]
fn sigterm_ends_serve_within_the_grace_period_despite_a_half_open_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keurmerk"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEURMERK_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .current_dir(dir.path())
        .args(["--db", "sqlite:k.db", "serve", "--demo"])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args([
            "--shutdown-grace-secs",
            "2",
            "--body-read-timeout-secs",
            "60",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !healthy(port) {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        assert!(Instant::now() < deadline, "serve not healthy in time");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A request whose body never comes (the body timeout is far away).
    let mut held = TcpStream::connect(("127.0.0.1", port)).unwrap();
    held.write_all(
        b"POST /api/v1/watchlists HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "serve was still running 15 s after SIGTERM:\n{}",
            std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
        );
    }
    assert!(status.unwrap().success(), "serve did not exit cleanly");
    drop(held);
}

//! `keurmerk serve` delivers watch-list webhooks: a real server, a real receiver that answers the
//! confirmation handshake, a status change made over the API, and a delivery signed with the
//! secret shown at creation. Without `webhooks.allow_private_targets` a local target is refused
//! at registration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::keurmerk;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

fn run(dir: &Path, args: &[&str]) -> String {
    let out = keurmerk(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 request: head lines and body.
fn read_request(stream: &mut TcpStream) -> (Vec<String>, String) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let len: usize = head
        .iter()
        .find_map(|h| {
            h.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// A plain HTTP/1.1 call; returns status and JSON body.
fn call(addr: &str, method: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, json)
}

fn header<'h>(head: &'h [String], name: &str) -> &'h str {
    head.iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header in {head:?}"))
}

#[test]
fn serve_delivers_a_signed_webhook_for_a_suspension_made_over_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["demo"]);
    let certs: Value = serde_json::from_str(&run(d, &["certificate", "list", "--json"])).unwrap();
    let cert = certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "active" && c["authority"].is_string())
        .unwrap()
        .clone();
    let authority = cert["authority"].as_str().unwrap();
    let token = run(d, &["token", "create", "--org", authority])
        .trim()
        .to_owned();

    // The receiver: echoes the handshake's challenge; answers the first delivery 500, then 204.
    let hook = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!("http://{}/hook", hook.local_addr().unwrap());
    let (seen_tx, seen) = mpsc::channel();
    let (challenge_tx, challenges) = mpsc::channel();
    std::thread::spawn(move || {
        let mut deliveries = 0;
        for stream in hook.incoming() {
            let mut stream = stream.unwrap();
            let req = read_request(&mut stream);
            if header(&req.0, "keurmerk-event") == "webhook.verify" {
                let v: Value = serde_json::from_str(&req.1).unwrap();
                let echo = json!({"challenge": v["challenge"]}).to_string();
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{echo}",
                    echo.len()
                )
                .unwrap();
                let _ = challenge_tx.send(req);
                continue;
            }
            let status = if deliveries == 0 {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            deliveries += 1;
            write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            if seen_tx.send(req).is_err() {
                break;
            }
        }
    });

    let mut server = keurmerk(d)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KEURMERK_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .env("KEURMERK_WEBHOOK_BACKOFF_BASE_SECS", "1")
        .env("KEURMERK_WEBHOOK_BACKOFF_MAX_SECS", "1")
        .env("KEURMERK_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (addr_tx, addr_rx) = mpsc::channel();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log_w = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("Keurmerk registry on http://").nth(1) {
                let _ = addr_tx.send(rest.split('/').next().unwrap().to_owned());
            }
            log_w.lock().unwrap().push(line);
        }
    });
    // The server's log, for failure messages.
    let server_log = || log.lock().unwrap().join("\n");
    let addr = addr_rx.recv_timeout(Duration::from_secs(120)).unwrap();

    let (code, wl) = call(
        &addr,
        "POST",
        "/api/v1/watchlists",
        None,
        &json!({"name": "Suppliers", "webhook_url": hook_url,
                "items": [{"kind": "certificate", "target": cert["id"]}]}),
    );
    assert_eq!(code, 201, "{wl}\n{}", server_log());
    let secret = wl["webhook_secret"].as_str().unwrap().to_owned();
    // The handshake comes first, signed with the same secret.
    let (head, body) = challenges
        .recv_timeout(Duration::from_secs(60))
        .expect("the handshake");
    keurmerk_domain::watch::verify(
        &secret,
        header(&head, "keurmerk-signature"),
        body.as_bytes(),
        chrono::Utc::now().timestamp(),
        300,
    )
    .unwrap();
    let (code, body) = call(
        &addr,
        "POST",
        &format!(
            "/api/v1/certificates/{}/suspend",
            cert["id"].as_str().unwrap()
        ),
        Some(&token),
        &json!({"reason_code": "vulnerability_not_fixed", "reason": "A critical vulnerability is not fixed"}),
    );
    assert_eq!(code, 200, "{body}\n{}", server_log());

    let first = seen
        .recv_timeout(Duration::from_secs(60))
        .expect("first attempt");
    let second = seen
        .recv_timeout(Duration::from_secs(60))
        .expect("a retry after the 500");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(first.1, second.1, "the retry sends the same bytes");
    let (head, body) = second;
    assert!(head[0].starts_with("POST /hook "), "{head:?}");
    keurmerk_domain::watch::verify(
        &secret,
        header(&head, "keurmerk-signature"),
        body.as_bytes(),
        chrono::Utc::now().timestamp(),
        300,
    )
    .unwrap();
    assert_eq!(header(&head, "keurmerk-event"), "suspended");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["certificate"]["id"], cert["id"]);
    assert_eq!(payload["certificate"]["status"], "suspended");
}

/// Start `keurmerk serve` on a free port with extra environment; the child and its address.
fn serve(dir: &Path, env: &[(&str, &str)]) -> (std::process::Child, String) {
    let mut cmd = keurmerk(dir);
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut server = cmd.spawn().unwrap();
    let stderr = server.stderr.take().unwrap();
    let (addr_tx, addr_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("Keurmerk registry on http://").nth(1) {
                let _ = addr_tx.send(rest.split('/').next().unwrap().to_owned());
            }
        }
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(120)).unwrap();
    (server, addr)
}

#[test]
fn serve_refuses_local_webhook_targets_at_registration_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = serve(dir.path(), &[]);
    let mut answers = Vec::new();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/",
        "http://localhost/h",
    ] {
        answers.push((
            url,
            call(
                &addr,
                "POST",
                "/api/v1/watchlists",
                None,
                &json!({"name": "Local", "webhook_url": url}),
            ),
        ));
    }
    let (code, public) = call(
        &addr,
        "POST",
        "/api/v1/watchlists",
        None,
        &json!({"name": "Public", "webhook_url": "https://93.184.216.34/hook"}),
    );
    let _ = server.kill();
    let _ = server.wait();
    for (url, (code, body)) in answers {
        assert_eq!(code, 422, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("not a public one"), "{url}: {message}");
    }
    assert_eq!(code, 201, "{public}");
    assert_eq!(public["webhook_verification"]["state"], "pending");
}

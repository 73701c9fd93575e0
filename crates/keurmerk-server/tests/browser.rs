//! End-to-end: the demo registry served on 127.0.0.1 (in-process, like `keurmerk serve --demo`)
//! and Debian's headless Chromium. Opens the Dutch
//! certificate page of the suspended demo certificate and checks that the status and its reason
//! are shown; keeps a screenshot under the target directory.
//!
//! Skipped (with the reason printed) when `/usr/bin/chromium` is not installed; `.ci/run`
//! installs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

mod support;

fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    // The server answers small JSON bodies either whole or chunked; undo chunking.
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body.as_str();
        while let Some((len, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(len.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.push_str(after.get(..n)?);
            rest = after.get(n + 2..)?;
        }
        out
    } else {
        body
    };
    Some((code, body))
}

fn chromium(profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_certificate_in_dutch_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        println!("SKIPPED: {CHROMIUM} is not installed (apt-get install chromium chromium-driver)");
        return;
    }
    let app = support::app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(keurmerk_server::serve_app(listener, app.router.clone()));
    let dir = tempfile::tempdir().unwrap();
    let addr2 = addr.clone();
    let dirp = dir.path().to_owned();
    tokio::task::spawn_blocking(move || browse(&addr2, &dirp))
        .await
        .unwrap();
    server.abort();
}

fn browse(addr: &str, dir: &Path) {
    let addr = addr.to_owned();
    let (_, list) = http_get(&addr, "/api/v1/certificates?limit=200").unwrap();
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let suspended = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "suspended")
        .expect("the demo has a suspended certificate");
    let id = suspended["id"].as_str().unwrap();
    let (_, status) =
        http_get(&addr, &format!("/api/v1/certificates/{id}/status?lang=nl")).unwrap();
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let reason = status["reasons"][0]["text"].as_str().unwrap().to_owned();

    let url = format!("http://{addr}/c/{id}?lang=nl");
    let dom = chromium(&dir.join("profile-dom"), &["--dump-dom".into()], &url);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<html lang=\"nl\">"), "{dom}");
    assert!(dom.contains("Geschorst"), "status missing: {dom}");
    // The reason, as the API words it (the page escapes quotes, so compare the first words).
    let words: String = reason
        .chars()
        .take_while(|c| *c != '"' && *c != '\'' && *c != '&')
        .collect();
    assert!(
        dom.contains(words.trim()),
        "reason `{reason}` missing: {dom}"
    );
    assert!(dom.contains("Onafhankelijk getest"));

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join(format!("{id}-nl.png"));
    let out = chromium(
        &dir.join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2200".into(),
            "--hide-scrollbars".into(),
        ],
        &url,
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("screenshot: {}", shot.display());
}

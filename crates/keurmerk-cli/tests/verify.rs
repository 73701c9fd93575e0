//! Issue 3 end to end through the binary: `keurmerk demo`, render a label as PNG, decode its QR
//! code, verify it offline; and every rejection case with its own message and a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    let db = format!("sqlite:{}", dir.join("k.db").display());
    Command::new(env!("CARGO_BIN_EXE_keurmerk"))
        .args(["--db", &db])
        .args(args)
        .env_remove("KEURMERK_DATABASE_URL")
        .env_remove("KEURMERK_KEYS_DIR")
        .env_remove("KEURMERK_BASE_URL")
        .env_remove("KEURMERK_ROOT_KEY")
        .current_dir(dir)
        .output()
        .unwrap()
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

/// Runs `verify`, expecting exit `code`; returns stdout + stderr.
fn verify(dir: &Path, args: &[&str], code: i32) -> String {
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

fn qr_of(png: &Path) -> String {
    let img = image::open(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the label");
    grids[0].decode().unwrap().1
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["demo"]);
    ok(
        dir.path(),
        &["trust-list", "export", "keurmerk-trust-list.json"],
    );
    dir
}

#[test]
fn demo_label_png_qr_verifies_offline_and_every_rejection_has_its_message() {
    let d = demo();
    let dir = d.path();
    let printed = ok(
        dir,
        &[
            "label",
            "render",
            "KM-2026-000001",
            "--format",
            "png",
            "-o",
            "label.png",
        ],
    );
    let url = qr_of(&dir.join("label.png"));
    assert_eq!(url, printed.trim());
    assert!(url.starts_with("http://127.0.0.1:8080/c/KM-2026-000001#"));
    assert!(url.len() <= 300);

    // Valid, offline, with the default trust list and pinned root key files.
    let out = verify(dir, &[&url], 0);
    assert!(out.contains("VALID"), "{out}");
    assert!(out.contains("an independent assessment body"), "{out}");
    let out = verify(dir, &[&url, "--trust-list", "keurmerk-trust-list.json"], 0);
    assert!(out.contains("KM-2026-000001"));

    // A self-declared label says so.
    ok(
        dir,
        &[
            "label",
            "render",
            "KM-2026-000006",
            "--format",
            "svg",
            "-o",
            "self.svg",
        ],
    );
    let self_url = ok(
        dir,
        &[
            "label",
            "render",
            "KM-2026-000006",
            "--format",
            "svg",
            "-o",
            "self.svg",
        ],
    );
    let out = verify(dir, &[self_url.trim()], 0);
    assert!(out.contains("self-declared by the manufacturer"), "{out}");

    // Tampered token: change one character of the signed part.
    let (head, token) = url.split_once('#').unwrap();
    let mut t: Vec<char> = token.chars().collect();
    let i = 20;
    t[i] = if t[i] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{head}#{}", t.into_iter().collect::<String>());
    let out = verify(dir, &[&tampered], 1);
    assert!(out.contains("TAMPERED"), "{out}");

    // Expired demo certificate.
    let expired = ok(
        dir,
        &[
            "label",
            "render",
            "KM-2023-000001",
            "--format",
            "svg",
            "-o",
            "old.svg",
        ],
    );
    let out = verify(dir, &[expired.trim()], 1);
    assert!(out.contains("EXPIRED"), "{out}");

    // Trust list whose signature fails.
    let list = std::fs::read_to_string(dir.join("keurmerk-trust-list.json")).unwrap();
    std::fs::create_dir(dir.join("bad")).unwrap();
    std::fs::write(
        dir.join("bad/keurmerk-trust-list.json"),
        list.replace("Rhein", "Rhine"),
    )
    .unwrap();
    std::fs::copy(
        dir.join("keurmerk-root.pub"),
        dir.join("bad/keurmerk-root.pub"),
    )
    .unwrap();
    let out = verify(
        dir,
        &[&url, "--trust-list", "bad/keurmerk-trust-list.json"],
        2,
    );
    assert!(out.contains("TRUST LIST SIGNATURE FAILS"), "{out}");

    // Missing trust list: said clearly.
    let out = verify(dir, &[&url, "--trust-list", "nowhere.json"], 2);
    assert!(
        out.contains("offline verification needs a cached trust list"),
        "{out}"
    );

    // Unknown key: a trust list (with its own root) from another registry.
    let other = demo();
    let out = verify(
        dir,
        &[
            &url,
            "--trust-list",
            other
                .path()
                .join("keurmerk-trust-list.json")
                .to_str()
                .unwrap(),
        ],
        1,
    );
    assert!(out.contains("UNKNOWN KEY"), "{out}");

    // Revoked key: the issuer's key is reported compromised before it signed.
    let json: serde_json::Value = serde_json::from_str(&verify(dir, &[&url, "--json"], 0)).unwrap();
    let key_id = json["label"]["issuer"]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        dir,
        &[
            "keys",
            "revoke",
            &key_id,
            "--compromised-at",
            "2020-01-01T00:00:00Z",
        ],
    );
    ok(dir, &["trust-list", "export", "keurmerk-trust-list.json"]);
    let out = verify(dir, &[&url], 1);
    assert!(out.contains("REVOKED KEY"), "{out}");
}

#[test]
fn online_status_is_checked_and_fails_closed_without_an_answer() {
    let d = demo();
    let dir = d.path();
    let url = ok(
        dir,
        &[
            "label",
            "render",
            "KM-2026-000001",
            "--format",
            "svg",
            "-o",
            "l.svg",
        ],
    );
    let suspended = ok(
        dir,
        &[
            "label",
            "render",
            "KM-2026-000003",
            "--format",
            "svg",
            "-o",
            "s.svg",
        ],
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_keurmerk"))
        .args(["--db", &db, "serve", "--addr", &addr])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let online = format!("http://{addr}");
    let results = up.then(|| {
        (
            verify(dir, &[url.trim(), "--online", &online], 0),
            verify(dir, &[suspended.trim(), "--online", &online], 3),
        )
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let (valid, not_valid) = results.expect("the server did not start");
    assert!(valid.contains("Live status"), "{valid}");
    assert!(not_valid.contains("NOT VALID"), "{not_valid}");
    // No answer: fail closed.
    let out = verify(dir, &[url.trim(), "--online", &online], 4);
    assert!(out.contains("could not confirm"), "{out}");
}

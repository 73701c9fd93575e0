//! Issue 3 end to end through the binary: `keurmerk demo`, render a label as PNG, decode its QR
//! code, verify it offline; and every rejection case with its own message and a non-zero exit.
//! Issue 10: offline says "authentic", never "valid"; forged claims outside a key's scope exit 5;
//! claims that disagree with the registry's signed status exit 6 online.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{ok, secret, verify};

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

    // Authentic, offline, with the default trust list and pinned root key files: never "valid".
    let out = verify(dir, &[&url], 0);
    assert!(out.contains("AUTHENTIC — issued by "), "{out}");
    assert!(out.contains("live status not checked"), "{out}");
    assert!(!out.contains("VALID"), "{out}");
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
    assert!(valid.contains("Verdict:        VALID"), "{valid}");
    assert!(not_valid.contains("NOT VALID"), "{not_valid}");
    // No answer: fail closed.
    let out = verify(dir, &[url.trim(), "--online", &online], 4);
    assert!(out.contains("could not confirm"), "{out}");
}

fn claims_of(label: &serde_json::Value) -> keurmerk_trust::TokenClaims {
    serde_json::from_value(label["claims"].clone()).unwrap()
}

#[test]
fn offline_never_says_valid_even_for_the_suspended_demo_certificate() {
    let d = demo();
    let dir = d.path();
    // KM-2026-000003 is the demo's suspended certificate.
    let url = ok(
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
    let out = verify(dir, &[url.trim()], 0);
    assert!(out.contains("AUTHENTIC"), "{out}");
    assert!(out.contains("live status not checked"), "{out}");
    assert!(!out.contains("VALID"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&verify(dir, &[url.trim(), "--json"], 0)).unwrap();
    assert_eq!(json["verdict"], "authentic");
    // The exported trust list has no wildcard scope.
    let list = std::fs::read_to_string(dir.join("keurmerk-trust-list.json")).unwrap();
    assert!(!list.contains("\"*\""), "{list}");
    // The exit codes are documented in the help.
    let help = ok(dir, &["verify", "--help"]);
    for line in [
        "0  offline: authentic",
        "5  out of scope",
        "6  --online: the label's claims disagree",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
}

#[test]
fn a_manufacturer_key_forging_eucc_high_is_out_of_scope() {
    let d = demo();
    let dir = d.path();
    let keys: serde_json::Value =
        serde_json::from_str(&ok(dir, &["keys", "list", "--json"])).unwrap();
    let maker = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["key"])
        .find(|k| k["role"] == "manufacturer" && k.get("revoked_at").is_none())
        .expect("a manufacturer key");
    let key = secret(dir, maker["key_id"].as_str().unwrap());
    // A real certificate id, and claims no manufacturer may make.
    let real = ok(
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
    let json: serde_json::Value =
        serde_json::from_str(&verify(dir, &[real.trim(), "--json"], 0)).unwrap();
    let mut c = claims_of(&json["label"]);
    c.scheme_id = "eucc".into();
    c.level = "high".into();
    for kind in [
        keurmerk_trust::IssuerKind::SelfDeclared,
        keurmerk_trust::IssuerKind::ThirdParty,
    ] {
        c.issuer_kind = kind;
        let forged = keurmerk_trust::label_url("http://127.0.0.1:8080", &c, &key).unwrap();
        let out = verify(dir, &[&forged], 5);
        assert!(out.contains("OUT OF SCOPE"), "{kind:?}: {out}");
        assert!(out.contains("eucc/high"), "{out}");
        let json: serde_json::Value =
            serde_json::from_str(&verify(dir, &[&forged, "--json"], 5)).unwrap();
        assert_eq!(json["reason"], "out_of_scope");
        // Online too: the offline check comes first, whatever the registry would answer.
        let out = verify(dir, &[&forged, "--online", "http://127.0.0.1:9"], 5);
        assert!(out.contains("OUT OF SCOPE"), "{out}");
    }
}

#[test]
fn a_token_that_disagrees_with_the_signed_status_is_rejected_online() {
    let d = demo();
    let dir = d.path();
    let real = ok(
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
    let json: serde_json::Value =
        serde_json::from_str(&verify(dir, &[real.trim(), "--json"], 0)).unwrap();
    // Signed with the issuing body's own key, which is in scope for these claims: only the
    // product differs from what the registry recorded.
    let key = secret(dir, json["label"]["issuer"]["key_id"].as_str().unwrap());
    let mut c = claims_of(&json["label"]);
    c.product_name = "Some Other Camera".into();
    let forged = keurmerk_trust::label_url("http://127.0.0.1:8080", &c, &key).unwrap();
    let out = verify(dir, &[&forged], 0);
    assert!(out.contains("AUTHENTIC"), "offline it is authentic: {out}");

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
            verify(dir, &[&forged, "--online", &online], 6),
            verify(dir, &[&forged, "--online", &online, "--json"], 6),
            verify(dir, &[real.trim(), "--online", &online], 0),
        )
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let (text, json, real) = results.expect("the server did not start");
    assert!(text.contains("CLAIMS MISMATCH"), "{text}");
    assert!(text.contains("product_name"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["reason"], "claims_mismatch");
    assert!(real.contains("VALID"), "{real}");
}

//! Issue 15 item 6 end to end through the binary: `keurmerk status-list export`, then
//! `keurmerk verify URL --status-list FILE` reads the label's status offline (no network) and
//! fails closed (exit 4) for an expired, forged, tampered, truncated or oversized list and for a
//! label the list does not cover; with the list's receipt, also that the list is in the
//! transparency log (`--status-list-receipt`), fetched from `keurmerk serve`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{http_get, log_until_listening, ok, run, secret, verify, Serving};

use chrono::{Duration, Utc};
use keurmerk_trust::{
    sign_status_list_token, status_list_token, StatusList, StatusListClaim, StatusListPayload,
};

fn label(dir: &Path, id: &str) -> String {
    ok(
        dir,
        &["label", "render", id, "--format", "svg", "-o", "l.svg"],
    )
    .trim()
    .to_owned()
}

#[test]
fn a_label_is_checked_offline_against_the_status_list_and_fails_closed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["demo"]);
    ok(dir, &["trust-list", "export", "keurmerk-trust-list.json"]);
    let out = ok(dir, &["status-list", "export", "list.jwt"]);
    assert!(out.contains("written to list.jwt"), "{out}");
    let first: u64 = out.split_whitespace().nth(2).unwrap().parse().unwrap();
    // Publishing now makes the next list, which export then writes.
    let out = ok(dir, &["status-list", "publish"]);
    assert!(
        out.starts_with(&format!("status list {} published", first + 1)),
        "{out}"
    );
    let out = ok(dir, &["status-list", "export", "list.jwt"]);
    assert!(
        out.starts_with(&format!("status list {} (", first + 1)),
        "{out}"
    );

    // KM-2026-000001 is in force (attention: not monitored), KM-2026-000003 suspended.
    let good = label(dir, "KM-2026-000001");
    let text = verify(dir, &[&good, "--status-list", "list.jwt"], 0);
    assert!(
        text.contains("VALID — authentic, and the registry's signed status list"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&verify(
        dir,
        &[&good, "--status-list", "list.jwt", "--json"],
        0,
    ))
    .unwrap();
    assert_eq!(json["verdict"], "valid");
    assert_eq!(json["live"]["source"], "status_list");
    assert!(json["live"]["index"].is_u64(), "{json}");
    let suspended = label(dir, "KM-2026-000003");
    let text = verify(dir, &[&suspended, "--status-list", "list.jwt"], 3);
    assert!(text.contains("NOT VALID"), "{text}");
    assert!(text.contains("Suspended"), "{text}");

    // Lists made with the registry's own root key, to show that only the list's own checks
    // stand between a damaged list and a verdict.
    let root = secret(dir, json["live"]["list"]["signer"].as_str().unwrap());
    let sub = json["live"]["list"]["sub"].as_str().unwrap().to_owned();
    let now = Utc::now();
    let write = |name: &str, token: &str| std::fs::write(dir.join(name), token).unwrap();
    let mut all_valid = StatusList::new(2, 64).unwrap();
    for i in 0..64 {
        all_valid.set(i, 0).unwrap();
    }
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired.jwt",
            status_list_token(
                &all_valid,
                &sub,
                now - Duration::hours(3),
                now - Duration::hours(1),
                60,
                &root,
            )
            .unwrap(),
            "status_list_expired",
        ),
        (
            "short.jwt",
            status_list_token(
                &StatusList::new(2, 0).unwrap(),
                &sub,
                now,
                now + Duration::hours(1),
                60,
                &root,
            )
            .unwrap(),
            "index_out_of_range",
        ),
        (
            "bomb.jwt",
            sign_status_list_token(
                &StatusListPayload {
                    sub: sub.clone(),
                    iat: now.timestamp(),
                    exp: (now + Duration::hours(1)).timestamp(),
                    ttl: None,
                    status_list: StatusListClaim {
                        bits: 2,
                        // 16 MiB of zeros: "all valid", if anyone inflated it.
                        lst: StatusList::new(2, 64 * 1024 * 1024).unwrap().encode_lst(),
                    },
                },
                &root,
            )
            .unwrap(),
            "status_list_malformed",
        ),
        (
            "truncated.jwt",
            {
                let lst = all_valid.encode_lst();
                sign_status_list_token(
                    &StatusListPayload {
                        sub: sub.clone(),
                        iat: now.timestamp(),
                        exp: (now + Duration::hours(1)).timestamp(),
                        ttl: None,
                        status_list: StatusListClaim {
                            bits: 2,
                            lst: lst[..lst.len() - 4].to_owned(),
                        },
                    },
                    &root,
                )
                .unwrap()
            },
            "status_list_malformed",
        ),
        (
            "stranger.jwt",
            status_list_token(
                &all_valid,
                &sub,
                now,
                now + Duration::hours(1),
                60,
                &keurmerk_trust::SigningKey::generate(),
            )
            .unwrap(),
            "status_list_unknown_key",
        ),
        (
            "tampered.jwt",
            {
                // The exported list with its payload swapped for an all-valid one.
                let real = std::fs::read_to_string(dir.join("list.jwt")).unwrap();
                let forged =
                    status_list_token(&all_valid, &sub, now, now + Duration::hours(1), 60, &root)
                        .unwrap();
                let r: Vec<&str> = real.trim().split('.').collect();
                let f: Vec<&str> = forged.split('.').collect();
                format!("{}.{}.{}", r[0], f[1], r[2])
            },
            "status_list_tampered",
        ),
        ("garbage.jwt", "not a list".into(), "status_list_malformed"),
        (
            // Signed by this registry's key, but not this registry's list.
            "elsewhere.jwt",
            status_list_token(
                &all_valid,
                "https://elsewhere.example/api/v1/status-list",
                now,
                now + Duration::hours(1),
                60,
                &root,
            )
            .unwrap(),
            "status_list_of_another_registry",
        ),
    ];
    for (name, token, reason) in cases {
        write(name, &token);
        for suspect in [&good, &suspended] {
            let text = verify(dir, &[suspect, "--status-list", name, "--json"], 4);
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["verdict"], "unknown", "{name}: {text}");
            assert_eq!(json["live"]["reason"], reason, "{name}: {text}");
        }
        let text = verify(dir, &[&good, "--status-list", name], 4);
        assert!(text.contains("UNKNOWN"), "{name}: {text}");
        assert!(!text.contains("VALID —"), "{name}: {text}");
    }
    // A missing file is not a verdict either.
    let text = verify(dir, &[&good, "--status-list", "nowhere.jwt", "--json"], 4);
    assert!(text.contains("status_list_unreadable"), "{text}");
    // --online and --status-list are one or the other.
    let out = run(
        dir,
        &[
            "verify",
            &good,
            "--status-list",
            "list.jwt",
            "--online",
            "http://127.0.0.1:1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

/// `keurmerk serve` publishes the list, logs it and serves its receipt
/// (`GET /api/v1/status-list/{sha256}/receipt`); `keurmerk verify --status-list FILE
/// --status-list-receipt FILE` then proves offline that the list is in the log, and fails closed
/// (exit 4) on a receipt that proves nothing, or cannot be read.
#[test]
fn a_status_list_is_proven_offline_to_be_in_the_log_by_its_receipt() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["demo"]);
    ok(dir, &["trust-list", "export", "keurmerk-trust-list.json"]);
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let (serving, _, receipt) = serve_list_and_receipt(dir, &db);
    let port = serving.port;
    let get = |path: &str| http_get(port, path).unwrap();
    // Not a SHA-256, or one of no list here.
    assert_eq!(get("/api/v1/status-list/ABC/receipt").0, 400);
    assert_eq!(
        get(&format!("/api/v1/status-list/{}/receipt", "0".repeat(64))).0,
        404
    );
    drop(serving);

    let good = label(dir, "KM-2026-000001");
    let args = |receipt: &'static str| {
        [
            good.clone(),
            "--status-list".into(),
            "list.jwt".into(),
            "--status-list-receipt".into(),
            receipt.into(),
        ]
    };
    let text = verify(dir, &args("list.receipt").each_ref().map(String::as_str), 0);
    assert!(
        text.contains("proven to be in its transparency log (both read offline)"),
        "{text}"
    );
    let mut with_json: Vec<String> = args("list.receipt").into();
    with_json.push("--json".into());
    let with_json: Vec<&str> = with_json.iter().map(String::as_str).collect();
    let json: serde_json::Value = serde_json::from_str(&verify(dir, &with_json, 0)).unwrap();
    assert_eq!(json["verdict"], "valid");
    let logged = &json["live"]["list"]["logged"];
    assert!(
        logged["index"].as_u64().unwrap() < logged["tree_size"].as_u64().unwrap(),
        "{json}"
    );
    // Without a receipt the list is read, and the output says the log was not checked.
    let text = verify(dir, &[&good, "--status-list", "list.jwt"], 0);
    assert!(
        text.contains("not checked against the transparency log"),
        "{text}"
    );

    // A receipt with its entry changed by one byte proves nothing; nor does a missing one.
    let text = String::from_utf8(receipt).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap()
            .to_owned()
    };
    let extra = line("extra ");
    let changed = {
        // One character of the entry's base64, well inside it, replaced by another.
        let mut chars: Vec<char> = extra.chars().collect();
        chars[20] = if chars[20] == 'A' { 'B' } else { 'A' };
        text.replacen(&extra, &chars.into_iter().collect::<String>(), 1)
    };
    let index = line("index ");
    let n: u64 = index.strip_prefix("index ").unwrap().parse().unwrap();
    let moved = text.replacen(&index, &format!("index {}", n ^ 1), 1);
    assert_ne!(changed, text);
    for (name, body, reason) in [
        (
            "changed.receipt",
            changed.as_str(),
            "status_list_not_logged",
        ),
        ("moved.receipt", moved.as_str(), "status_list_not_logged"),
        ("garbage.receipt", "not a receipt", "status_list_not_logged"),
        (
            "cut.receipt",
            &text[..text.len() / 2],
            "status_list_not_logged",
        ),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
        let mut a: Vec<String> = args(name).into();
        a.push("--json".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = verify(dir, &a, 4);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["verdict"], "unknown", "{name}: {out}");
        assert_eq!(json["live"]["reason"], reason, "{name}: {out}");
    }
    let a = args("nowhere.receipt");
    let out = verify(dir, &a.each_ref().map(String::as_str), 4);
    assert!(out.contains("could not confirm"), "{out}");
    // The receipt belongs with a list.
    let out = run(
        dir,
        &["verify", &good, "--status-list-receipt", "list.receipt"],
    );
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

/// Starts `keurmerk serve` on `db` in `dir` and writes the served trust list
/// (`keurmerk-trust-list.json`, naming the log's key), the served status list (`list.jwt`) and
/// that list's receipt once it is logged (`list.receipt`); returns the server, the list and its
/// receipt.
fn serve_list_and_receipt(dir: &Path, db: &str) -> (Serving, String, Vec<u8>) {
    let mut serving = Serving::start(dir, db, &[]);
    let (log, listening) = log_until_listening(&mut serving.child);
    assert!(listening, "{log}");
    let port = serving.port;
    let get = |path: &str| http_get(port, path).unwrap();
    // The served trust list names the log's key.
    let (status, _, trust) = get("/api/v1/trust-list");
    assert_eq!(status, 200);
    std::fs::write(dir.join("keurmerk-trust-list.json"), &trust).unwrap();
    let (status, _, token) = get("/api/v1/status-list");
    assert_eq!(status, 200);
    let token = String::from_utf8(token).unwrap();
    std::fs::write(dir.join("list.jwt"), &token).unwrap();
    let sha = keurmerk_trust::status_list_sha256(&token);
    // Logged within seconds of being published.
    let mut receipt = None;
    for _ in 0..300 {
        let (status, _, body) = get(&format!("/api/v1/status-list/{sha}/receipt"));
        match status {
            200 => {
                receipt = Some(body);
                break;
            }
            404 => std::thread::sleep(std::time::Duration::from_millis(100)),
            other => panic!("{other}: {}", String::from_utf8_lossy(&body)),
        }
    }
    let receipt = receipt.expect("the list's receipt within 30 s");
    assert!(receipt.starts_with(b"c2sp.org/tlog-proof@v1\nextra "));
    std::fs::write(dir.join("list.receipt"), &receipt).unwrap();
    (serving, token, receipt)
}

/// A label issued after the list was built can fall on the padding of the list's last byte,
/// which reads "not valid"; the logged record says how many slots are labels, so with the
/// list's receipt such a label is unknown (fetch a newer list), not "not valid". A registry of
/// 21 labels (`demo --scale 21`) has three padding slots; the label is the issuing body's own
/// token for one of its certificates with the index the next label would get.
#[test]
fn a_label_on_the_lists_padding_is_unknown_with_the_receipt() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &["demo", "--scale", "21"]);
    ok(dir, &["trust-list", "export", "keurmerk-trust-list.json"]);
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let (serving, token, receipt) = serve_list_and_receipt(dir, &db);
    drop(serving);
    let root = keurmerk_trust::PublicKey::from_base64(
        std::fs::read_to_string(dir.join("keurmerk-root.pub"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let trust = keurmerk_trust::TrustList::verify(
        &std::fs::read(dir.join("keurmerk-trust-list.json")).unwrap(),
        &root,
    )
    .unwrap();
    let now = Utc::now();
    let listed = keurmerk_trust::verify_status_list_token(
        &token,
        &trust,
        None,
        now,
        keurmerk_trust::MAX_STATUS_LIST_BYTES,
    )
    .unwrap();
    let logged =
        keurmerk_transparency::verify_status_list_receipt(&receipt, &token, &trust, now).unwrap();
    let labels = logged.record.size;
    assert_eq!((labels, listed.list.len()), (21, 24), "three padding slots");

    let good = label(dir, "KM-2024-000001");
    let verified = keurmerk_trust::verify_label_input(&good, &trust, now).unwrap();
    let mut claims = verified.claims.clone();
    claims.status_index = Some(u32::try_from(labels).unwrap());
    let issuer = secret(dir, &verified.issuer.key_id.to_string());
    let base = good.split("/c/").next().unwrap();
    let newer = keurmerk_trust::label_url(base, &claims, &issuer).unwrap();
    let text = verify(dir, &[&newer, "--status-list", "list.jwt", "--json"], 3);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["verdict"], "not_valid",
        "the padding, without a receipt: {text}"
    );
    let text = verify(
        dir,
        &[
            &newer,
            "--status-list",
            "list.jwt",
            "--status-list-receipt",
            "list.receipt",
            "--json",
        ],
        4,
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["verdict"], "unknown", "{text}");
    assert_eq!(json["live"]["reason"], "index_out_of_range", "{text}");
    assert!(
        json["live"]["error"]
            .as_str()
            .unwrap()
            .contains("index 21 is past the 21 labels the list covers"),
        "{text}"
    );
    // The label at the list's last label slot is read as the list says.
    let mut last = verified.claims.clone();
    last.status_index = Some(20);
    let at_last = keurmerk_trust::label_url(base, &last, &issuer).unwrap();
    let args = [
        "verify",
        at_last.as_str(),
        "--status-list",
        "list.jwt",
        "--status-list-receipt",
        "list.receipt",
        "--json",
    ];
    let out = run(dir, &args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(json["verdict"], "unknown", "{json}");
}

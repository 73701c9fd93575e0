//! Issue 15 item 6 end to end through the binary: `keurmerk status-list export`, then
//! `keurmerk verify URL --status-list FILE` reads the label's status offline (no network) and
//! fails closed (exit 4) for an expired, forged, tampered, truncated or oversized list and for a
//! label the list does not cover.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{ok, run, secret, verify};

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

//! One spelling of each value in the CLI and the API (issue 14 item 7): the CLI prints
//! `issuer_kind` as the API serialises it, and reads a support end month as the API does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn run(dir: &std::path::Path, args: &[&str]) -> String {
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_keurmerk"))
        .args(["--db", &db])
        .args(args)
        .env_remove("KEURMERK_DATABASE_URL")
        .env_remove("KEURMERK_SCHEMES")
        .env_remove("KEURMERK_CONFIG")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn issuer_kinds_and_support_months_are_spelled_as_in_the_api() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["demo"]);
    let list = run(dir.path(), &["certificate", "list"]);
    let kinds: std::collections::BTreeSet<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .collect();
    assert_eq!(
        kinds,
        ["self_declared", "third_party"].into_iter().collect(),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(dir.path(), &["certificate", "list", "--json"])).unwrap();
    assert!(json
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["issuer_kind"] == "self_declared"));

    let products: serde_json::Value = serde_json::from_str(&run(
        dir.path(),
        &["product", "list", "--search", "holland", "--json"],
    ))
    .unwrap();
    let product = products[0]["id"].as_str().unwrap().to_owned();
    run(
        dir.path(),
        &[
            "product",
            "set-support",
            "--as",
            "holland-home",
            "--product",
            &product,
            "--until",
            "2044-02",
            "--contact",
            "security@hollandhome.example.nl",
        ],
    );
    let shown: serde_json::Value =
        serde_json::from_str(&run(dir.path(), &["product", "show", &product, "--json"])).unwrap();
    assert_eq!(shown["support"]["support_until"], "2044-02-29", "{shown}");
}

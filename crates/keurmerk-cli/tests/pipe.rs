//! Output into a closed pipe (`keurmerk … | head -1`): the process ends quietly, never with a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;

const OSV: &str = r#"{"schema_version": "1.3.1", "id": "GO-2020-0001", "modified": "2023-06-12T18:45:41Z",
  "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}]}"#;

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
  {"type": "library", "name": "github.com/gin-gonic/gin", "version": "v1.4.0", "purl": "pkg:golang/github.com/gin-gonic/gin@v1.4.0"}]}"#;

/// Run `args` with stdout a pipe whose reading end is closed before the process writes.
fn into_closed_pipe(dir: &Path, args: &[&str]) {
    let mut child = common::keurmerk(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
    let quiet = matches!(out.status.code(), Some(0 | 141)) || out.status.signal() == Some(13);
    assert!(quiet, "{args:?}: {:?} {stderr}", out.status);
}

#[test]
fn listing_commands_end_quietly_when_the_reader_is_gone() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("adv.json"), OSV).unwrap();
    std::fs::write(d.path().join("bom.json"), SBOM).unwrap();
    let ok = |args: &[&str]| {
        let out = common::keurmerk(d.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{args:?} prints something");
    };
    ok(&["demo"]);
    let commands: &[&[&str]] = &[
        &["scheme", "show", "eu-iot"],
        &["scheme", "list"],
        &["certificate", "list"],
        &["certificate", "list", "--json"],
        &["status", "KM-2026-000001"],
        &["audit", "--as", "enisa"],
        &["scan", "--sbom", "bom.json", "--advisories", "adv.json"],
        &[
            "scan",
            "--sbom",
            "bom.json",
            "--advisories",
            "adv.json",
            "--json",
        ],
        &["config", "example"],
        &["log", "key"],
    ];
    for args in commands {
        // The command works and prints, so the closed pipe is what is being tested.
        ok(args);
        into_closed_pipe(d.path(), args);
    }
}

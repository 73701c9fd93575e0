//! The offline vulnerability tools and the registry's monitoring commands, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    let db = format!("sqlite:{}", dir.join("k.db").display());
    Command::new(env!("CARGO_BIN_EXE_keurmerk"))
        .args(["--db", &db])
        .args(args)
        .env_remove("KEURMERK_DATABASE_URL")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn version_compare_follows_each_ecosystem() {
    let d = tempfile::tempdir().unwrap();
    for (eco, a, b, want) in [
        ("npm", "1.0.0-rc.1", "1.0.0", "<"),
        ("deb", "1.0~rc1", "1.0", "<"),
        ("pypi", "1.0a1", "1.0", "<"),
        (
            "golang",
            "v1.2.3-0.20200101000000-abcdefabcdef",
            "v1.2.3",
            "<",
        ),
        ("maven", "1.0-SNAPSHOT", "1.0", "<"),
        ("pypi", "1.0.0", "1.0", "="),
        ("rpm", "1.10", "1.9", ">"),
    ] {
        assert_eq!(
            stdout(d.path(), &["version", "compare", eco, a, b]).trim(),
            want,
            "{eco} {a} {b}"
        );
    }
    assert_eq!(
        stdout(
            d.path(),
            &["version", "contains", "vers:npm/>=1.0.0|<2.0.0", "1.5.0"]
        )
        .trim(),
        "true"
    );
    assert_eq!(
        stdout(
            d.path(),
            &["version", "contains", "vers:npm/>=1.0.0|<2.0.0", "2.0.0"]
        )
        .trim(),
        "false"
    );
    let bad = run(d.path(), &["version", "compare", "klingon", "1", "2"]);
    assert!(!bad.status.success());
    let bad = run(d.path(), &["version", "contains", "vers:npm/<<1", "1"]);
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stderr).is_empty());
}

const OSV: &str = r#"{"schema_version": "1.3.1", "id": "GO-2020-0001", "modified": "2023-06-12T18:45:41Z",
  "aliases": ["CVE-2020-36567"], "summary": "Arbitrary log line injection in gin",
  "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}]}"#;

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
  {"type": "library", "name": "github.com/gin-gonic/gin", "version": "v1.4.0", "purl": "pkg:golang/github.com/gin-gonic/gin@v1.4.0"}]}"#;

#[test]
fn scan_offline_and_monitor_in_the_registry() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("adv.json"), OSV).unwrap();
    std::fs::write(d.path().join("bom.json"), SBOM).unwrap();
    let out = stdout(
        d.path(),
        &[
            "scan",
            "--sbom",
            "bom.json",
            "--advisories",
            "adv.json",
            "--json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["findings"][0]["advisory_id"], "GO-2020-0001");
    assert_eq!(j["findings"][0]["fixed_versions"][0], "1.6.0");
    let human = stdout(
        d.path(),
        &["scan", "--sbom", "bom.json", "--advisories", "adv.json"],
    );
    assert!(human.contains("GO-2020-0001 (CVE-2020-36567)"), "{human}");

    // In the registry: the demo's camera gets the SBOM, the operator imports the advisory.
    stdout(d.path(), &["demo"]);
    let product: serde_json::Value = serde_json::from_str(&stdout(
        d.path(),
        &["product", "show", "PRD-000004", "--json"],
    ))
    .unwrap();
    let version = product["versions"][1]["id"].as_str().unwrap().to_owned();
    assert!(stdout(
        d.path(),
        &[
            "sbom",
            "attach",
            "--as",
            "brightcam",
            "--version",
            &version,
            "--file",
            "bom.json"
        ]
    )
    .contains("0 open finding"));
    assert!(stdout(
        d.path(),
        &["advisories", "import", "--as", "enisa", "adv.json"]
    )
    .contains("1 new or modified"));
    assert!(stdout(
        d.path(),
        &["advisories", "import", "--as", "enisa", "adv.json"]
    )
    .contains("1 unchanged"));
    let f = stdout(
        d.path(),
        &["findings", "--as", "brightcam", "--product", "PRD-000004"],
    );
    assert!(f.contains("GO-2020-0001") && f.contains("fix by"), "{f}");
    let denied = run(
        d.path(),
        &["advisories", "import", "--as", "brightcam", "adv.json"],
    );
    assert!(!denied.status.success());
}

#[test]
fn proton_bridge_against_the_go_database() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let (bom, go) = (
        data.join("sbom/proton-bridge/proton-bridge-v1.8.0.bom.json"),
        data.join("advisories/go-vulndb-osv.tar.gz"),
    );
    if !bom.exists() || !go.exists() {
        eprintln!("skipped: {} is not present", data.display());
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let out = stdout(
        d.path(),
        &[
            "scan",
            "--sbom",
            &bom.display().to_string(),
            "--advisories",
            &go.display().to_string(),
            "--json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisory_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"GO-2020-0017"), "jwt-go");
    assert!(ids.contains(&"GO-2021-0052"), "gin");
    // x/net at a 2021-04-05 pseudo-version is not affected by GO-2023-1495 (introduced 2022-05-24).
    assert!(!ids.contains(&"GO-2023-1495"));
    assert_eq!(j["advisory_errors"], 0);
}

#[test]
fn scan_and_import_fail_closed_on_input_they_cannot_read() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("bom.json"), SBOM).unwrap();
    std::fs::write(d.path().join("garbled.json"), &OSV[..OSV.len() / 2]).unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--sbom", "bom.json", "--advisories", "garbled.json"];
        args.extend_from_slice(extra);
        run(d.path(), &args)
    };
    for extra in [&[][..], &["--json"]] {
        let out = scan(extra);
        let (so, se) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(!out.status.success(), "{extra:?}: {so}");
        assert!(!so.contains("No known vulnerabilities"), "{so}");
        assert!(
            se.contains("0 loaded, 1 could not be read") && se.contains("garbled.json"),
            "{se}"
        );
    }
    // Explicitly partial: a result, marked incomplete in text and JSON.
    let out = scan(&["--allow-partial"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with("INCOMPLETE: 1 could not be read"),
        "{text}"
    );
    assert!(!text.contains("No known vulnerabilities found."), "{text}");
    let j: serde_json::Value =
        serde_json::from_slice(&scan(&["--allow-partial", "--json"]).stdout).unwrap();
    assert_eq!(
        (j["complete"].as_bool(), j["advisory_errors"].as_u64()),
        (Some(false), Some(1))
    );

    // A truncated archive of real advisories: what was read is not reported as a clean result.
    let go = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/advisories/go-vulndb-osv.tar.gz");
    if go.exists() {
        let bytes = std::fs::read(&go).unwrap();
        std::fs::write(d.path().join("cut.tar.gz"), &bytes[..bytes.len() / 2]).unwrap();
        let out = run(
            d.path(),
            &["scan", "--sbom", "bom.json", "--advisories", "cut.tar.gz"],
        );
        let se = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            se.contains("reading stopped before the end of cut.tar.gz"),
            "{se}"
        );
    }

    // The registry import stores nothing from an incomplete input unless told to.
    stdout(d.path(), &["demo"]);
    let import = |extra: &[&str]| {
        let mut args = vec!["advisories", "import", "--as", "enisa", "garbled.json"];
        args.extend_from_slice(extra);
        run(d.path(), &args)
    };
    let out = import(&[]);
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        se.contains("0 advisories read, 1 could not be read")
            && se.contains("nothing was imported"),
        "{se}"
    );
    let out = import(&["--allow-partial"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INCOMPLETE"));
}

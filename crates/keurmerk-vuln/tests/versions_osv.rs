//! OSV evaluation on real records (fixtures under `tests/fixtures/osv/`, see the README there) and,
//! when `/work/shared/data` is present, deserialisation of every record in the Go vulnerability
//! database archive (and the PyPA YAML archive) with this crate's OSV types.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::Path;

use keurmerk_vuln::osv::{Osv, SeverityBucket};
use keurmerk_vuln::purl::{PackageKey, Purl};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn go(name: &str) -> Osv {
    Osv::from_json(&fixture(name)).unwrap()
}

#[test]
fn go_introduced_zero() {
    let osv = go("GO-2021-0113.json");
    let key: PackageKey = "pkg:golang/golang.org/x/text"
        .parse::<Purl>()
        .unwrap()
        .package_key();
    for (v, want) in [
        ("v0.3.6", true),
        ("v0.0.0-20170915032832-14c0d48ead0c", true),
        ("v0.3.7-0.20210810000000-383b2e75a7a4", true),
        ("v0.3.7", false),
        ("v0.3.8", false),
    ] {
        assert_eq!(osv.affects(&key, v).unwrap(), want, "{v}");
    }
    assert_eq!(
        osv.affected[0].fixed_versions("v0.3.6").unwrap(),
        vec!["0.3.7".to_owned()]
    );
    let other = PackageKey::from_osv("Go", "golang.org/x/net").unwrap();
    assert!(!osv.affects(&other, "v0.3.6").unwrap());
}

#[test]
fn go_many_branches() {
    let osv = go("GO-2022-0354.json");
    let a = &osv.affected[0];
    for (v, want, fix) in [
        ("v1.18.9", false, None),
        ("v1.19.0", true, Some("1.19.6")),
        ("v1.19.6", false, None),
        ("v1.20.6", true, Some("1.20.7")),
        ("v1.21.5", true, Some("1.21.6")),
        ("v1.22.3", false, None),
        ("v1.23.1", true, Some("1.23.2")),
        ("v1.24.0", false, None),
    ] {
        assert_eq!(a.affects(v).unwrap(), want, "{v}");
        let fixes = a.fixed_versions(v).unwrap();
        assert_eq!(fixes.first().map(String::as_str), fix, "{v}");
    }
}

#[test]
fn go_pseudo_version_bounds() {
    let osv = go("GO-2020-0004.json");
    let a = &osv.affected[0];
    assert!(!a.affects("v0.0.0-20160722212128-ffffffffffff").unwrap());
    assert!(a.affects("v0.0.0-20160722212129-ac0cc4484ad4").unwrap());
    assert!(a.affects("v0.0.0-20190101000000-000000000000").unwrap());
    assert!(!a.affects("v0.0.0-20200131131040-063a3fb69896").unwrap());
}

#[test]
fn withdrawn_records_affect_nothing() {
    let osv = go("GO-2022-0617.json");
    assert!(osv.is_withdrawn());
    let key = osv.affected[0].package_key().unwrap();
    assert!(
        osv.affected[0].affects("v1.0.0").unwrap(),
        "the range itself is open"
    );
    assert!(!osv.affects(&key, "v1.0.0").unwrap());
}

#[test]
fn pypa_yaml_pep440_prerelease_fix() {
    let osv: Osv = serde_yaml_ng::from_str(&fixture("PYSEC-2019-26.yaml")).unwrap();
    let key = "pkg:pypi/Invenio_Previewer"
        .parse::<Purl>()
        .unwrap()
        .package_key();
    assert!(osv.affects(&key, "1.0.0a11").unwrap());
    assert!(osv.affects(&key, "0.1.0").unwrap());
    assert!(!osv.affects(&key, "1.0.0a12").unwrap());
    assert!(!osv.affects(&key, "1.0.0").unwrap());
    assert_eq!(osv.severity_bucket(), None);
}

#[test]
fn severity_from_vectors_and_labels() {
    let mut osv = go("GO-2021-0113.json");
    osv.severity = vec![keurmerk_vuln::osv::Severity {
        kind: "CVSS_V3".into(),
        score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
    }];
    assert_eq!(osv.severity_bucket(), Some(SeverityBucket::High));
    osv.severity.clear();
    osv.database_specific = Some(serde_json::json!({"severity": "MODERATE"}));
    assert_eq!(osv.severity_bucket(), Some(SeverityBucket::Medium));
}

fn for_each_entry(archive: &Path, suffix: &str, mut f: impl FnMut(&str, String)) -> usize {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut n = 0;
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if !path.ends_with(suffix) {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        f(&path, text);
        n += 1;
    }
    n
}

#[test]
fn every_go_vulndb_record_deserialises_and_evaluates() {
    let archive = Path::new("/work/shared/data/advisories/go-vulndb-osv.tar.gz");
    if !archive.exists() {
        eprintln!("skipped: {} not present", archive.display());
        return;
    }
    let mut failures = Vec::new();
    let n = for_each_entry(archive, ".json", |path, text| match Osv::from_json(&text) {
        Ok(osv) => {
            for a in &osv.affected {
                // Every range must compile (all event versions parse under Go's rules).
                if let Err(e) = a.compile().and_then(|c| c.affects("v0.0.1")) {
                    failures.push(format!("{path}: {e}"));
                }
            }
        }
        Err(e) => failures.push(format!("{path}: {e}")),
    });
    eprintln!("Go vulndb: {n} records, {} failures", failures.len());
    assert!(n > 4000, "only {n} records");
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn every_pypa_record_deserialises() {
    let archive = Path::new("/work/shared/data/advisories/pypa-osv-yaml.tar.gz");
    if !archive.exists() {
        eprintln!("skipped: {} not present", archive.display());
        return;
    }
    let mut failures = Vec::new();
    let mut eval_failures = Vec::new();
    let n = for_each_entry(
        archive,
        ".yaml",
        |path, text| match serde_yaml_ng::from_str::<Osv>(&text) {
            Ok(osv) => {
                for a in &osv.affected {
                    if let Err(e) = a.compile().and_then(|c| c.affects("0.0.1")) {
                        eval_failures.push(format!("{path}: {e}"));
                    }
                }
            }
            Err(e) => failures.push(format!("{path}: {e}")),
        },
    );
    assert!(n > 2000, "only {n} records");
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    // Some PyPA ranges carry versions that are not PEP 440 (legacy releases); they are reported
    // as errors rather than guessed, and must stay rare.
    eprintln!(
        "PyPA: {n} records, {} affected entries not evaluable: {eval_failures:?}",
        eval_failures.len()
    );
    assert!(
        eval_failures.len() * 100 < n,
        "{} of {n} records failed to evaluate",
        eval_failures.len()
    );
}

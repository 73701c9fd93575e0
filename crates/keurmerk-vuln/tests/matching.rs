#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Matching tests: exact evaluation on real advisories, Go pseudo-versions and `+incompatible`,
//! incremental re-matching, the portfolio index, VEX application and the advisory source loader.

use std::io::Write;
use std::path::{Path, PathBuf};

use keurmerk_vuln::matching::{AdvisoryIndex, PortfolioIndex};
use keurmerk_vuln::osv::Osv;
use keurmerk_vuln::purl::{PackageKey, Purl};
use keurmerk_vuln::sbom::{self, ParseErrorKind};
use keurmerk_vuln::source::{self, AdvisoryDoc};
use keurmerk_vuln::vex::{self, VexStatus};
use keurmerk_vuln::{csaf, matching};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn fixture_index() -> AdvisoryIndex {
    let mut index = AdvisoryIndex::new();
    let report = source::load(&fixture("advisories"), |_, doc| {
        index.insert(&doc);
    })
    .unwrap();
    assert_eq!(report.loaded, 8, "{:?}", report.errors);
    assert!(report.errors.is_empty());
    index
}

fn osv(json: &str) -> Osv {
    Osv::from_json(json).unwrap()
}

fn go_advisory(id: &str, module: &str, events: &str, versions: &str) -> Osv {
    osv(&format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","aliases":["CVE-{id}"],
           "affected":[{{"package":{{"ecosystem":"Go","name":"{module}"}},
                         "ranges":[{{"type":"SEMVER","events":[{events}]}}],
                         "versions":[{versions}]}}]}}"#
    ))
}

fn purl(s: &str) -> Purl {
    s.parse().unwrap()
}

fn ids(findings: &[matching::Finding]) -> Vec<String> {
    let mut v: Vec<_> = findings.iter().map(|f| f.advisory_id.clone()).collect();
    v.sort();
    v
}

// -------------------------------------------------------------------------------- exact matching

#[test]
fn proton_bridge_fixture_against_fixture_advisories() {
    let index = fixture_index();
    let s = sbom::parse(
        "pb",
        std::fs::File::open(fixture("sbom/proton-bridge-v1.6.3.cdx-1.2.json")).unwrap(),
    )
    .unwrap();
    let r = matching::scan_report(&s, &index, &[]);
    assert_eq!(r.checked, 201);
    assert!(r.not_checked.is_empty());
    let got: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.advisory_id.as_str(),
                f.installed_version.as_str(),
                f.fixed_versions.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // introduced at a pseudo-version, never fixed in this module path
            ("GO-2020-0017", "v3.2.0", vec![]),
            (
                "GO-2021-0238",
                "v0.0.0-20200707034311-ab3426394381",
                vec!["0.0.0-20210520170846-37e1c6afe023".to_owned()]
            ),
            // a pseudo-version based on v0.3.4 sorts before the v0.3.7 release
            (
                "GO-2021-0113",
                "v0.3.5-0.20201125200606-c27b9fd57aec",
                vec!["0.3.7".to_owned()]
            ),
            // pseudo-version against a pseudo-version fix: ordered by their timestamps
            (
                "GO-2022-0603",
                "v3.0.0-20200313102051-9f266ea9e77c",
                vec!["3.0.0-20220521103104-8f96da9f5d5e".to_owned()]
            ),
        ]
    );
    // gopkg.in/yaml.v2 v2.2.8 is past the 2.2.4 fix: no finding for GO-2022-0956.
    let yaml = s
        .components
        .iter()
        .find(|c| c.name == "gopkg.in/yaml.v2")
        .unwrap();
    assert_eq!(yaml.version.as_deref(), Some("v2.2.8"));
    assert!(!r.findings.iter().any(|f| f.advisory_id == "GO-2022-0956"));
}

#[test]
fn go_pseudo_versions_are_not_releases() {
    let mut index = AdvisoryIndex::new();
    index.insert_osv(&go_advisory(
        "GO-T-1",
        "example.com/m",
        r#"{"introduced":"1.2.0"},{"fixed":"1.2.5"}"#,
        r#""1.3.0""#,
    ));
    let m = |v: &str| ids(&index.match_component(&purl(&format!("pkg:golang/example.com/m@{v}"))));
    // A pseudo-version based on v1.1.x sorts before the v1.2.0 release: not yet introduced.
    assert!(m("v1.2.0-0.20190101000000-abcdefabcdef").is_empty());
    // Pseudo-versions after v1.2.0 (based on v1.2.0, named v1.2.1-0.…) are inside the range.
    assert_eq!(m("v1.2.1-0.20200101000000-abcdefabcdef"), ["GO-T-1"]);
    // A pseudo-version based on the fix release is after it.
    assert!(m("v1.2.6-0.20210101000000-abcdefabcdef").is_empty());
    // The `versions` list names releases: a pseudo-version derived from v1.3.0 is not v1.3.0.
    assert_eq!(m("v1.3.0"), ["GO-T-1"]);
    assert!(m("v1.3.1-0.20220101000000-abcdefabcdef").is_empty());
    assert!(m("v1.2.5").is_empty());
    assert_eq!(m("v1.2.4"), ["GO-T-1"]);
}

#[test]
fn go_incompatible_versions_compare_as_their_release() {
    let index = fixture_index();
    // GO-2021-0072: github.com/docker/distribution fixed in 2.7.0-rc.0+incompatible.
    let m = |v: &str| {
        ids(&index.match_component(&purl(&format!(
            "pkg:golang/github.com/docker/distribution@{v}"
        ))))
    };
    assert_eq!(m("v2.6.2+incompatible"), ["GO-2021-0072"]);
    assert_eq!(m("v2.6.2"), ["GO-2021-0072"]);
    assert!(m("v2.7.0-rc.0+incompatible").is_empty());
    assert!(m("v2.7.1+incompatible").is_empty());
}

#[test]
fn names_are_normalised_per_type_and_types_are_not_mixed() {
    let index = fixture_index();
    // PyPI: PEP 503 (case, `_`/`.`/`-`).
    assert_eq!(
        ids(&index.match_component(&purl("pkg:pypi/Jinja2@2.10"))),
        ["PYSEC-2019-217"]
    );
    assert!(index
        .match_component(&purl("pkg:pypi/jinja2@2.10.1"))
        .is_empty());
    // Same name, other ecosystem: no match.
    assert!(index
        .match_component(&purl("pkg:npm/jinja2@2.10"))
        .is_empty());
    // Go module paths are case-sensitive.
    assert!(index
        .match_component(&purl("pkg:golang/golang.org/x/Text@v0.3.5"))
        .is_empty());
    // No version, no finding.
    assert!(index.match_component(&purl("pkg:pypi/jinja2")).is_empty());
}

#[test]
fn unparsable_event_versions_keep_the_versions_list_and_are_reported() {
    let index = fixture_index();
    let issue = index
        .issues()
        .iter()
        .find(|i| i.advisory_id == "PYSEC-2021-371")
        .unwrap();
    assert!(issue.error.contains("0.2.0-n653"), "{}", issue.error);
    // That record has no `versions` list, so nothing of it can be matched - and nothing is.
    assert!(index
        .match_component(&purl("pkg:pypi/binderhub@0.1.0"))
        .is_empty());

    let mut index = AdvisoryIndex::new();
    index.insert_osv(&osv(
        r#"{"id":"PYSEC-T","modified":"x","affected":[{"package":{"ecosystem":"PyPI","name":"pkg"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not a version!"}]}],
            "versions":["0.1.0","0.2.0"]}]}"#,
    ));
    assert_eq!(index.issues().len(), 1);
    assert!(index.issues()[0].error.contains("`versions` list kept"));
    assert_eq!(
        ids(&index.match_component(&purl("pkg:pypi/pkg@0.2.0"))),
        ["PYSEC-T"]
    );
    assert!(index
        .match_component(&purl("pkg:pypi/pkg@0.1.5"))
        .is_empty());
}

#[test]
fn severity_and_fixed_versions_from_csaf() {
    let mut index = AdvisoryIndex::new();
    let d = csaf::parse(
        "adv.json",
        &std::fs::read(fixture("csaf/hand-written-purl-advisory.json")).unwrap(),
    )
    .unwrap();
    let keys = index.insert(&AdvisoryDoc::Csaf(Box::new(d)));
    assert_eq!(
        keys,
        vec![
            PackageKey::new("golang", Some("gopkg.in"), "yaml.v2"),
            PackageKey::new("pypi", None, "jinja2"),
        ]
    );
    // Exact CSAF version "2.2.2" equals the Go version "v2.2.2" under Go rules.
    let f = index.match_component(&purl("pkg:golang/gopkg.in/yaml.v2@v2.2.2"));
    assert_eq!(ids(&f), ["CVE-2022-3064"]);
    assert_eq!(f[0].fixed_versions, ["2.2.4"]);
    assert_eq!(f[0].severity.unwrap().to_string().to_lowercase(), "high");
    assert!(index
        .match_component(&purl("pkg:golang/gopkg.in/yaml.v2@v2.2.3"))
        .is_empty());
    assert_eq!(
        ids(&index.match_component(&purl("pkg:pypi/jinja2@2.10"))),
        ["CVE-2019-10906"]
    );
    assert!(index
        .match_component(&purl("pkg:pypi/jinja2@2.10.1"))
        .is_empty());
}

// -------------------------------------------------------------------------------- incremental

#[test]
fn incremental_keys_replacement_and_withdrawal() {
    let mut index = AdvisoryIndex::new();
    let a = go_advisory(
        "GO-T-2",
        "example.com/a",
        r#"{"introduced":"0"},{"fixed":"1.0.0"}"#,
        "",
    );
    let key_a = PackageKey::new("golang", Some("example.com"), "a");
    let key_b = PackageKey::new("golang", Some("example.com"), "b");
    assert_eq!(AdvisoryIndex::osv_keys(&a), vec![key_a.clone()]);
    assert_eq!(index.insert_osv(&a), vec![key_a.clone()]);
    // The record moves to another package: both keys are touched.
    let moved = go_advisory(
        "GO-T-2",
        "example.com/b",
        r#"{"introduced":"0"},{"fixed":"1.0.0"}"#,
        "",
    );
    assert_eq!(index.insert_osv(&moved), vec![key_a.clone(), key_b.clone()]);
    assert_eq!(index.len(), 1);
    assert!(index.match_version(&key_a, "0.9.0").is_empty());
    assert_eq!(index.match_version(&key_b, "0.9.0").len(), 1);
    // Withdrawal removes it.
    let mut withdrawn = moved.clone();
    withdrawn.withdrawn = Some("2024-02-01T00:00:00Z".into());
    assert_eq!(index.insert_osv(&withdrawn), vec![key_b.clone()]);
    assert!(index.is_empty());
    assert!(index.match_version(&key_b, "0.9.0").is_empty());
}

#[test]
fn portfolio_rematches_only_what_an_advisory_touches() {
    let mut index = fixture_index();
    let mut portfolio: PortfolioIndex<u32> = PortfolioIndex::new();
    let s = sbom::parse(
        "pb",
        std::fs::File::open(fixture("sbom/proton-bridge-v1.6.3.cdx-1.2.json")).unwrap(),
    )
    .unwrap();
    for product in 0..3u32 {
        assert_eq!(portfolio.add_sbom(&product, &s), 201);
    }
    let (all, issues) = portfolio.match_all(&index);
    assert!(issues.is_empty());
    assert_eq!(all.len(), 4 * 3);
    assert_eq!(all.iter().map(|m| m.findings.len()).sum::<usize>(), 4 * 3);

    // A new advisory for a package in the portfolio.
    let new = go_advisory(
        "GO-T-3",
        "github.com/sirupsen/logrus",
        r#"{"introduced":"1.0.0"},{"fixed":"1.8.0"}"#,
        "",
    );
    let keys = index.insert_osv(&new);
    assert_eq!(
        keys,
        vec![PackageKey::new(
            "golang",
            Some("github.com/sirupsen"),
            "logrus"
        )]
    );
    let (hits, _) = portfolio.match_advisory(&index, "GO-T-3");
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.findings.len() == 1
        && h.findings[0].advisory_id == "GO-T-3"
        && h.findings[0].installed_version == "v1.7.0"
        && h.findings[0].fixed_versions == ["1.8.0"]));
    let logrus = s
        .components
        .iter()
        .position(|c| c.name == "github.com/sirupsen/logrus")
        .unwrap();
    assert!(hits.iter().all(|h| h.component as usize == logrus));
    // Re-matching by keys gives every advisory of those keys.
    let (by_keys, _) = portfolio.match_keys(&index, &keys);
    assert_eq!(by_keys.len(), 3);

    assert_eq!(portfolio.remove_product(&1), 201);
    let (hits, _) = portfolio.match_advisory(&index, "GO-T-3");
    assert_eq!(hits.len(), 2);
    assert!(portfolio.match_advisory(&index, "NOPE").0.is_empty());
}

// -------------------------------------------------------------------------------------- VEX

#[test]
fn openvex_subcomponent_statement_closes_the_finding_in_that_product() {
    let mut index = fixture_index();
    let s = sbom::parse(
        "spdx",
        std::fs::File::open(fixture("sbom/hand-written.spdx-2.3.json")).unwrap(),
    )
    .unwrap();
    let statements = vex::parse(
        "openvex.json",
        &std::fs::read(fixture("vex/openvex-v0.2.0.json")).unwrap(),
    )
    .unwrap();
    let r = matching::scan_report(&s, &index, &statements);
    let yaml = r
        .findings
        .iter()
        .find(|f| f.advisory_id == "GO-2022-0956")
        .unwrap();
    // The statement names CVE-2022-3064, an alias of GO-2022-0956.
    let v = yaml.vex.as_ref().unwrap();
    assert_eq!(v.status, VexStatus::NotAffected);
    assert_eq!(v.document, "openvex.json");
    let jinja = r
        .findings
        .iter()
        .find(|f| f.advisory_id == "PYSEC-2019-217")
        .unwrap();
    assert_eq!(jinja.vex.as_ref().unwrap().status, VexStatus::Affected);
    assert_eq!(r.not_checked.len(), 1);
    assert_eq!(r.not_checked[0].reason, "no purl");

    // A later CSAF statement for the same vulnerability wins over the earlier OpenVEX one.
    let d = csaf::parse(
        "adv.json",
        &std::fs::read(fixture("csaf/hand-written-purl-advisory.json")).unwrap(),
    )
    .unwrap();
    let mut all = statements.clone();
    all.extend(d.vex_statements("csaf.json"));
    index.insert(&AdvisoryDoc::Csaf(Box::new(d)));
    let f = matching::scan(&s, &index, &all);
    // The CSAF vulnerability (CVE-2022-3064, exact version 2.2.2) is the Go record's alias: one
    // vulnerability, so one finding, shown under the smallest advisory id with the other as alias.
    let yaml: Vec<_> = f
        .iter()
        .filter(|f| f.package.name.contains("yaml"))
        .collect();
    assert_eq!(yaml.len(), 1, "{yaml:?}");
    assert_eq!(yaml[0].advisory_id, "CVE-2022-3064");
    assert!(yaml[0].aliases.iter().any(|a| a == "GO-2022-0956"));
    assert_eq!(yaml[0].vex.as_ref().unwrap().document, "csaf.json");
}

#[test]
fn cyclonedx_vex_by_purl_and_by_range() {
    let mut index = AdvisoryIndex::new();
    index.insert_osv(&osv(
        r#"{"id":"GHSA-T","modified":"x","aliases":["CVE-2020-25649"],
            "affected":[{"package":{"ecosystem":"Maven","name":"com.fasterxml.jackson.core:jackson-databind"},
                         "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.10.0"},{"fixed":"2.10.5.1"}]}]}]}"#,
    ));
    let s = sbom::parse(
        "bom.json",
        std::fs::File::open(fixture("vex/cyclonedx-bom.json")).unwrap(),
    )
    .unwrap();
    let st = vex::parse(
        "vex.json",
        &std::fs::read(fixture("vex/cyclonedx-vex.json")).unwrap(),
    )
    .unwrap();
    let f = matching::scan(&s, &index, &st);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].installed_version, "2.10.0");
    assert_eq!(f[0].vex.as_ref().unwrap().status, VexStatus::NotAffected);
    // Without the VEX the finding stands, unannotated.
    assert!(matching::scan(&s, &index, &[])[0].vex.is_none());
}

// --------------------------------------------------------------------------------- source

#[test]
fn source_reads_directories_archives_and_reports_bad_entries() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("advisories/GO-2022-0956.json")).unwrap();
    let yaml = std::fs::read(fixture("advisories/PYSEC-2019-217.yaml")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/GO-2022-0956.json"), &good).unwrap();
    std::fs::write(dir.path().join("b.yaml"), &yaml).unwrap();
    std::fs::write(dir.path().join("broken.json"), &good[..good.len() / 2]).unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "id: X\naffected: 5\n").unwrap();
    std::fs::write(dir.path().join("README.md"), "not an advisory").unwrap();
    let (docs, report) = source::load_all(dir.path()).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(report.loaded, 2);
    assert_eq!(report.skipped, 1);
    assert_eq!(report.errors.len(), 2);
    let broken = report
        .errors
        .iter()
        .find(|e| e.source_name == "broken.json")
        .unwrap();
    assert_eq!(broken.kind, ParseErrorKind::Truncated);
    let bad = report
        .errors
        .iter()
        .find(|e| e.source_name == "bad.yaml")
        .unwrap();
    assert_eq!(bad.kind, ParseErrorKind::Schema, "{bad}");
    assert!(bad.position.is_some(), "{bad}");
    assert!(docs.iter().any(|(n, _)| n == "sub/GO-2022-0956.json"));

    // The same as a .tar.gz, built here.
    let tgz = dir.path().join("adv.tar.gz");
    {
        let f = std::fs::File::create(&tgz).unwrap();
        let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in [
            ("osv/GO-2022-0956.json", &good[..]),
            ("osv/broken.json", &good[..10]),
            ("vulns/b.yaml", &yaml[..]),
            ("vulns/.id-allocator", b"1"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    }
    let (docs, report) = source::load_all(&tgz).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(report.skipped, 1);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0]
        .source_name
        .ends_with("adv.tar.gz:osv/broken.json"));

    // A truncated archive: what was readable is delivered, the damage is reported.
    let bytes = std::fs::read(&tgz).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (_, report) = source::load_all(&cut).unwrap();
    assert!(!report.errors.is_empty());

    // A single file, and a CSAF file detected by content.
    let (docs, _) = source::load_all(&fixture("csaf/bsi-2022-0001.json")).unwrap();
    assert!(matches!(docs[0].1, AdvisoryDoc::Csaf(_)));
    assert!(source::load_all(Path::new("/nonexistent/x")).is_err());
}

/// A `.tar.gz` of `(name, bytes)` entries; `stated` overrides an entry's header size (a bomb's header).
fn tar_gz(path: &Path, entries: &[(&str, &[u8], Option<u64>)]) {
    let f = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes, stated) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_path(name).unwrap();
        if let Some(size) = stated {
            // Write the header by hand: `append` would insist on the stated amount of data.
            h.set_size(*size);
            h.set_cksum();
            tar.get_mut().write_all(h.as_bytes()).unwrap();
            tar.get_mut().write_all(bytes).unwrap();
            continue;
        }
        h.set_cksum();
        tar.append(&h, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

#[test]
fn source_reports_incomplete_input_and_bounds_what_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("advisories/GO-2022-0956.json")).unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("osv/GO-{i}.json")).collect();
    let entries: Vec<(&str, &[u8], Option<u64>)> = names
        .iter()
        .map(|n| (n.as_str(), &good[..], None))
        .collect();
    let tgz = dir.path().join("adv.tar.gz");
    tar_gz(&tgz, &entries);
    let (_, report) = source::load_all(&tgz).unwrap();
    assert!(report.is_complete() && report.loaded == 40);

    // Truncated: what was read is delivered, but the report says the input was not read to its end.
    let bytes = std::fs::read(&tgz).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (docs, report) = source::load_all(&cut).unwrap();
    assert!(!docs.is_empty() && docs.len() < 40);
    assert!(report.stopped_early && !report.is_complete());
    assert_eq!(report.errors[0].kind, ParseErrorKind::Truncated);

    // A bomb's header states 1 GiB: rejected by the default 64 MiB limit without inflating it.
    let bomb = dir.path().join("bomb.tar.gz");
    tar_gz(&bomb, &[("osv/GO-bomb.json", &[b' '; 512], Some(1 << 30))]);
    let (docs, report) = source::load_all(&bomb).unwrap();
    assert!(docs.is_empty() && report.stopped_early);
    let e = &report.errors[0];
    assert_eq!(e.kind, ParseErrorKind::LimitExceeded);
    assert!(
        e.to_string().contains("bomb.tar.gz:osv/GO-bomb.json") && e.to_string().contains("64 MiB"),
        "{e}"
    );

    // The size limit holds for what is read, and for the archive's decompressed total.
    let small = source::Limits {
        max_document_bytes: 1024,
        ..source::Limits::DEFAULT
    };
    let report = source::load_within(&tgz, &small, |_, _| {}).unwrap();
    assert!(report.stopped_early && report.loaded == 0);
    assert!(
        report.errors[0].to_string().contains("1024 bytes"),
        "{}",
        report.errors[0]
    );
    let total = source::Limits {
        max_total_bytes: 10 * 1024 * 4,
        ..source::Limits::DEFAULT
    };
    let report = source::load_within(&tgz, &total, |_, _| {}).unwrap();
    assert!(report.stopped_early && report.loaded > 0 && report.loaded < 40);
    assert_eq!(report.errors[0].kind, ParseErrorKind::LimitExceeded);
    let file = source::read_bounded("big.json", &[b' '; 2048][..], 1024).unwrap_err();
    assert_eq!(file.kind, ParseErrorKind::LimitExceeded);

    // Nesting beyond 128 levels is refused before parsing, also in fields nobody reads.
    let deep_json = format!(
        r#"{{"id": "X", "modified": "2023-01-01T00:00:00Z", "x": {}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = source::parse_advisory("deep.json", deep_json.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::LimitExceeded, "{e}");
    let deep_yaml = format!(
        "id: X\nmodified: 2023-01-01T00:00:00Z\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = source::parse_advisory("deep.yaml", deep_yaml.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::LimitExceeded, "{e}");
    assert!(
        e.to_string().starts_with("deep.yaml (line 3") && e.to_string().contains("128"),
        "{e}"
    );
    let block = format!(
        "id: X\nmodified: 2023-01-01T00:00:00Z\nx:\n{}y\n",
        "- ".repeat(100_000)
    );
    let e = source::parse_advisory("block.yaml", block.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::LimitExceeded, "{e}");
    let xml = format!(
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4">{}{}</bom>"#,
        "<x>".repeat(1000),
        "</x>".repeat(1000)
    );
    let e = sbom::parse_slice("deep.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::LimitExceeded, "{e}");
}

#[test]
fn every_shared_advisory_parses() {
    let data = std::env::var_os("KEURMERK_SHARED_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    let dir = data.join("advisories");
    if !dir.is_dir() {
        println!(
            "SKIP: {} not found (set KEURMERK_SHARED_DATA)",
            dir.display()
        );
        return;
    }
    let mut total = 0;
    for name in ["go-vulndb-osv.tar.gz", "pypa-osv-yaml.tar.gz"] {
        let mut index = AdvisoryIndex::new();
        let report = source::load(&dir.join(name), |_, doc| {
            index.insert(&doc);
        })
        .unwrap();
        assert!(
            report.errors.is_empty(),
            "{name}: {:?}",
            &report.errors[..report.errors.len().min(5)]
        );
        assert!(report.loaded > 2000, "{name}: {}", report.loaded);
        println!(
            "{name}: {} advisories, {} keys, {} index issues",
            report.loaded,
            index.key_count(),
            index.issues().len()
        );
        total += report.loaded;
    }
    assert_eq!(total, 4291 + 2661);
}

#[test]
fn csaf_documents_about_one_cve_do_not_replace_each_other() {
    let bytes = std::fs::read(fixture("csaf/hand-written-purl-advisory.json")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let other = text.replace("EXBV-2026-0001", "OTHER-2026-9").replace(
        "pkg:golang/gopkg.in/yaml.v2@2.2.2",
        "pkg:golang/gopkg.in/yaml.v2@2.2.1",
    );
    let mut index = AdvisoryIndex::new();
    for (name, t) in [("a.json", &text), ("b.json", &other)] {
        let d = csaf::parse(name, t.as_bytes()).unwrap();
        index.insert(&AdvisoryDoc::Csaf(Box::new(d)));
    }
    assert_eq!(index.len(), 4);
    for v in ["v2.2.1", "v2.2.2"] {
        let f = index.match_component(&purl(&format!("pkg:golang/gopkg.in/yaml.v2@{v}")));
        assert_eq!(ids(&f), ["CVE-2022-3064"], "{v}");
    }
    assert_eq!(index.keys_of("OTHER-2026-9/CVE-2022-3064").len(), 1);
}

#[test]
fn the_same_package_twice_in_one_sbom_gives_one_finding_per_component() {
    let index = fixture_index();
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"yaml.v2","bom-ref":"a","purl":"pkg:golang/gopkg.in/yaml.v2@v2.2.1"},
        {"type":"library","name":"yaml.v2","bom-ref":"b","purl":"pkg:golang/gopkg.in/yaml.v2@v2.2.2"},
        {"type":"library","name":"yaml.v2","bom-ref":"c","purl":"pkg:golang/gopkg.in/yaml.v2@v2.2.4"}]}"#;
    let s = sbom::parse_slice("dup.json", doc.as_bytes()).unwrap();
    let f = matching::scan(&s, &index, &[]);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.bom_ref.as_deref().unwrap(), f.installed_version.as_str()))
        .collect();
    assert_eq!(got, [("a", "v2.2.1"), ("b", "v2.2.2")]);
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Parser tests: real fixtures (always), the whole shared corpus (when present), bad input, no panics.

use std::path::{Path, PathBuf};

use keurmerk_vuln::csaf;
use keurmerk_vuln::sbom::{self, ParseErrorKind, Position, SbomFormat};
use keurmerk_vuln::vex::{self, Justification, VersionSpec, VexFormat, VexStatus};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

fn parse_sbom(rel: &str) -> sbom::Sbom {
    sbom::parse(rel, std::fs::File::open(fixture(rel)).unwrap()).unwrap()
}

/// The shared data folder (`../shared/data` beside the repository), if present.
fn shared_data() -> Option<PathBuf> {
    let p = std::env::var_os("KEURMERK_SHARED_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    if p.is_dir() {
        Some(p)
    } else {
        println!(
            "SKIP: shared data folder {} not found (set KEURMERK_SHARED_DATA)",
            p.display()
        );
        None
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------------------------------------- SBOM

#[test]
fn cyclonedx_json_and_xml_of_the_same_project_agree() {
    let j = parse_sbom("sbom/cern-lhc-vdm-editor.cdx-1.2.json");
    let x = parse_sbom("sbom/cern-lhc-vdm-editor.cdx-1.2.xml");
    assert_eq!(j.format, SbomFormat::CycloneDxJson);
    assert_eq!(x.format, SbomFormat::CycloneDxXml);
    assert_eq!(j.spec_version, "1.2");
    assert_eq!(x.spec_version, "1.2");
    assert_eq!(j.components.len(), 43);
    let key = |s: &sbom::Sbom| {
        let mut v: Vec<_> = s
            .components
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.version.clone(),
                    c.purl_raw.clone(),
                    c.licenses.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&j), key(&x));
    let meta = j.metadata_component.as_ref().unwrap();
    assert_eq!(meta.name, "lhc-vdm-editor");
    let puppeteer = j.components.iter().find(|c| c.name == "puppeteer").unwrap();
    assert_eq!(
        puppeteer.purl_raw.as_deref(),
        Some("pkg:npm/puppeteer@1.19.0")
    );
    assert_eq!(puppeteer.hashes.len(), 1);
    assert_eq!(puppeteer.hashes[0].alg, "SHA-512");
}

#[test]
fn cyclonedx_1_1_xml_and_1_4_json() {
    let x = parse_sbom("sbom/laravel-7.12.0.cdx-1.1.xml");
    assert_eq!(x.spec_version, "1.1");
    assert_eq!(x.components.len(), 62);
    assert!(x.metadata_component.is_none());
    let c = &x.components[0];
    assert_eq!(c.group.as_deref(), Some("asm89"));
    assert_eq!(c.name, "stack-cors");
    assert_eq!(c.licenses, vec!["MIT".to_owned()]);
    let j = parse_sbom("sbom/laravel-7.12.0.cdx-1.4.json");
    assert_eq!(j.spec_version, "1.4");
    assert_eq!(j.components.len(), 62);
    assert_eq!(
        j.metadata_component.as_ref().unwrap().name,
        "cyclonedx-php-composer-demo"
    );
}

#[test]
fn go_sbom_keeps_pseudo_versions_verbatim() {
    let s = parse_sbom("sbom/proton-bridge-v1.6.3.cdx-1.2.json");
    assert_eq!(s.components.len(), 201);
    let c = s
        .components
        .iter()
        .find(|c| c.name == "github.com/0xAX/notificator")
        .unwrap();
    assert_eq!(
        c.version.as_deref(),
        Some("v0.0.0-20191016112426-3962a5ea8da1")
    );
    assert_eq!(s.version, Some(1));
}

#[test]
fn spdx_packages_purls_cpes_and_described_package() {
    let s = parse_sbom("sbom/hand-written.spdx-2.3.json");
    assert_eq!(s.format, SbomFormat::SpdxJson);
    assert_eq!(s.spec_version, "SPDX-2.3");
    let meta = s.metadata_component.as_ref().unwrap();
    assert_eq!(meta.name, "example-app");
    assert_eq!(meta.supplier.as_deref(), Some("Example BV"));
    assert_eq!(s.components.len(), 3);
    let yaml = &s.components[0];
    assert_eq!(
        yaml.purl_raw.as_deref(),
        Some("pkg:golang/gopkg.in/yaml.v2@v2.2.2")
    );
    assert_eq!(yaml.hashes[0].alg, "SHA-256");
    assert_eq!(yaml.licenses, vec!["Apache-2.0".to_owned()]);
    let jinja = &s.components[1];
    assert_eq!(jinja.purl_raw.as_deref(), Some("pkg:pypi/jinja2@2.10"));
    assert!(jinja
        .cpe
        .as_deref()
        .unwrap()
        .starts_with("cpe:2.3:a:palletsprojects"));
    assert_eq!(s.components[2].purl_raw, None);
    assert_eq!(yaml.purl.as_ref().unwrap().name(), "yaml.v2");
    // Forcing the wrong format is an error, not a silent empty result.
    let e = sbom::parse_cyclonedx_json("x.spdx.json", &read("sbom/hand-written.spdx-2.3.json")[..])
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownFormat);
}

const NESTED_JSON: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 3,
  "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "app",
     "components": [{"type": "library", "name": "bundled", "bom-ref": "bundled"}]}},
  "components": [
    {"type": "library", "name": "outer", "bom-ref": "outer", "version": "1",
     "licenses": [{"expression": "MIT OR Apache-2.0"}],
     "pedigree": {"ancestors": [{"type": "library", "name": "ancestor"}]},
     "components": [
       {"type": "library", "name": "inner", "bom-ref": "inner",
        "components": [{"type": "library", "name": "innermost", "bom-ref": "innermost"}]}
     ]},
    {"type": "library", "name": "second"}
  ]
}"#;

const NESTED_XML: &str = r#"<?xml version="1.0"?>
<cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.5" xmlns:ext="urn:example:ext" version="3">
  <cdx:metadata><cdx:component type="application" bom-ref="app"><cdx:name>app</cdx:name>
    <cdx:components><cdx:component type="library" bom-ref="bundled"><cdx:name>bundled</cdx:name></cdx:component></cdx:components>
  </cdx:component></cdx:metadata>
  <cdx:components>
    <cdx:component type="library" bom-ref="outer">
      <cdx:name>outer</cdx:name><cdx:version>1</cdx:version>
      <cdx:licenses><cdx:expression>MIT OR Apache-2.0</cdx:expression></cdx:licenses>
      <ext:name>not the name</ext:name>
      <cdx:pedigree><cdx:ancestors><cdx:component type="library"><cdx:name>ancestor</cdx:name></cdx:component></cdx:ancestors></cdx:pedigree>
      <cdx:components>
        <cdx:component type="library" bom-ref="inner"><cdx:name>inner</cdx:name>
          <cdx:components><cdx:component type="library" bom-ref="innermost"><cdx:name>innermost</cdx:name></cdx:component></cdx:components>
        </cdx:component>
      </cdx:components>
    </cdx:component>
    <cdx:component type="library"><cdx:name>second</cdx:name></cdx:component>
  </cdx:components>
</cdx:bom>"#;

#[test]
fn nested_components_are_flattened_in_document_order_with_parents() {
    for (name, text) in [("nested.json", NESTED_JSON), ("nested.xml", NESTED_XML)] {
        let s = sbom::parse_slice(name, text.as_bytes()).unwrap();
        let names: Vec<_> = s.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["bundled", "outer", "inner", "innermost", "second"],
            "{name}"
        );
        let parents: Vec<_> = s.components.iter().map(|c| c.parent.as_deref()).collect();
        assert_eq!(
            parents,
            [Some("app"), None, Some("outer"), Some("inner"), None],
            "{name}"
        );
        assert_eq!(
            s.components[1].licenses,
            vec!["MIT OR Apache-2.0".to_owned()]
        );
        assert_eq!(s.spec_version, "1.5");
        assert_eq!(s.version, Some(3));
        assert_eq!(s.metadata_component.as_ref().unwrap().name, "app");
        assert_eq!(s.component_by_ref("inner").unwrap().name, "inner");
    }
}

#[test]
fn truncated_json_is_reported_with_position() {
    let full = read("sbom/cern-lhc-vdm-editor.cdx-1.2.json");
    let e = sbom::parse_slice("bom.json", &full[..full.len() / 2]).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated, "{e}");
    assert!(
        matches!(e.position, Some(Position::LineColumn { line, .. }) if line > 100),
        "{e}"
    );
    assert!(e.to_string().starts_with("bom.json (line "), "{e}");
}

#[test]
fn truncated_xml_is_reported_with_byte_offset() {
    let full = read("sbom/cern-lhc-vdm-editor.cdx-1.2.xml");
    for cut in [full.len() / 2, full.len() - 10, 200] {
        let e = sbom::parse_slice("bom.xml", &full[..cut]).unwrap_err();
        assert!(
            matches!(e.kind, ParseErrorKind::Truncated | ParseErrorKind::Syntax),
            "{e}"
        );
        assert!(matches!(e.position, Some(Position::ByteOffset(_))), "{e}");
    }
}

#[test]
fn wrong_types_and_missing_fields_name_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"type":"library","name":"a"},{"type":"library","version":"1"}]}"#,
            "components[1]",
            "missing field `name`",
        ),
        (
            r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"type":"library","name":5}]}"#,
            "components[0].name",
            "invalid type",
        ),
        (
            r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":{}}"#,
            "components",
            "invalid type",
        ),
        (
            r#"{"bomFormat":"CycloneDX","components":[]}"#,
            "specVersion",
            "missing field `specVersion`",
        ),
        (
            r#"{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a"}]}"#,
            "packages[0]",
            "missing field `name`",
        ),
        (
            r#"{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"x","name":"n","externalRefs":[{"referenceCategory":"SECURITY"}]}]}"#,
            "packages[0].externalRefs[0]",
            "missing field `referenceType`",
        ),
    ];
    for (doc, field, msg) in cases {
        let e = sbom::parse_slice("t.json", doc.as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(*field), "{e}");
        assert!(e.message.contains(msg), "{e}");
        assert_eq!(e.kind, ParseErrorKind::Schema, "{e}");
    }
    let xml = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><version>1</version></component></components></bom>"#;
    let e = sbom::parse_slice("t.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("bom/components/component[0]/name"),
        "{e}"
    );
    let e = sbom::parse_slice("t.xml", b"<bom xmlns=\"urn:other\"/>").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownFormat);
    let e = sbom::parse_slice("t.json", br#"{"hello": 1}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownFormat);
}

// ----------------------------------------------------------------------------------------------- VEX

#[test]
fn openvex_v0_2_0_with_subcomponents() {
    let st = vex::parse("ov.json", &read("vex/openvex-v0.2.0.json")).unwrap();
    assert_eq!(st.len(), 2);
    let a = &st[0];
    assert_eq!(a.vulnerability, "CVE-2022-3064");
    assert!(a.concerns("GO-2022-0956"));
    assert_eq!(a.status, VexStatus::NotAffected);
    assert_eq!(
        a.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        a.product.purl.as_deref(),
        Some("pkg:golang/example.com/app@v1.4.0")
    );
    assert_eq!(a.product.version, VersionSpec::Exact("v1.4.0".into()));
    let sub = a.subcomponent.as_ref().unwrap();
    assert_eq!(
        sub.purl.as_deref(),
        Some("pkg:golang/gopkg.in/yaml.v2@v2.2.2")
    );
    assert_eq!(a.timestamp.as_deref(), Some("2026-11-02T09:00:00Z"));
    assert_eq!(a.source.format, VexFormat::OpenVex);
    assert_eq!(a.source.author.as_deref(), Some("Example BV PSIRT"));
    let b = &st[1];
    assert_eq!(b.status, VexStatus::Affected);
    assert_eq!(b.product.version, VersionSpec::Any);
    assert!(b.action_statement.as_deref().unwrap().contains("2.10.1"));
    assert_eq!(b.timestamp.as_deref(), Some("2026-11-03T09:00:00Z"));
}

#[test]
fn openvex_v0_0_1_string_forms() {
    let st = vex::parse_openvex("ov1.json", &read("vex/openvex-v0.0.1.json")).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].vulnerability, "CVE-2021-44228");
    assert_eq!(st[0].status, VexStatus::Fixed);
    assert_eq!(
        st[0].subcomponent.as_ref().unwrap().version,
        VersionSpec::Exact("2.14.1".into())
    );
}

#[test]
fn cyclonedx_vex_refs_versions_and_ranges() {
    let st = vex::parse("vex.json", &read("vex/cyclonedx-vex.json")).unwrap();
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(s.vulnerability, "CVE-2020-25649");
    assert_eq!(
        s.aliases,
        vec!["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302".to_owned()]
    );
    assert_eq!(s.status, VexStatus::NotAffected);
    assert_eq!(s.justification, Some(Justification::CodeNotReachable));
    assert_eq!(
        s.product.purl.as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar")
    );
    assert_eq!(s.product.version, VersionSpec::Exact("2.10.0".into()));
    assert!(s.impact_statement.is_some());

    let st = vex::parse("range.json", &read("vex/cyclonedx-vex-range.json")).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(
        st[0].product.version,
        VersionSpec::Range("vers:semver/>=2.2.0|<=2.4.0".into())
    );
    assert_eq!(st[0].status, VexStatus::NotAffected);

    let st = vex::parse("cisa.json", &read("vex/cisa-case1-not-affected.json")).unwrap();
    assert_eq!(st[0].product.bom_ref.as_deref(), Some("product-ABC"));
    assert_eq!(st[0].product.version, VersionSpec::Exact("4.2".into()));
    assert_eq!(st[0].justification, Some(Justification::CodeNotPresent));
}

#[test]
fn csaf_vex_profile_becomes_statements() {
    let st = vex::parse("na.json", &read("csaf/2022-evd-uc-01-na-001.json")).unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].status, VexStatus::NotAffected);
    assert_eq!(st[0].product.product_id.as_deref(), Some("CSAFPID-0001"));
    assert_eq!(st[0].product.version, VersionSpec::Exact("4.2".into()));
    assert_eq!(
        st[0].impact_statement.as_deref(),
        Some("Class with vulnerable code was removed before shipping.")
    );
    assert_eq!(st[0].source.format, VexFormat::Csaf);
    assert_eq!(
        st[0].source.document_id.as_deref(),
        Some("2022-EVD-UC-01-NA-001")
    );
}

#[test]
fn vex_bad_input_names_the_field() {
    let e = vex::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"maybe"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("statements[0].status"), "{e}");
    let e = vex::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}]}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("statements[0]"), "{e}");
    assert!(e.message.contains("missing field `status`"), "{e}");
    let e = vex::parse(
        "v.json",
        br#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"dunno"}}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("vulnerabilities[0].analysis.state"),
        "{e}"
    );
    let e = vex::parse("v.json", br#"{"foo": 1}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownFormat);
}

// ---------------------------------------------------------------------------------------------- CSAF

#[test]
fn csaf_product_tree_is_resolved() {
    let d = csaf::parse("bsi.json", &read("csaf/bsi-2022-0001.json")).unwrap();
    assert_eq!(d.document.tracking.id, "BSI-2022-0001");
    let products = d.products();
    assert_eq!(products.len(), 6);
    assert!(products
        .iter()
        .all(|p| p.vendor.as_deref() == Some("CSAF Tools")));
    assert!(products
        .iter()
        .any(|p| p.cpe.is_some() && p.version.is_some()));

    let rh = csaf::parse("rhsa.json", &read("csaf/rhsa-2021_5186.json")).unwrap();
    let rel: Vec<_> = rh
        .products()
        .into_iter()
        .filter(|p| p.relationship.is_some())
        .collect();
    assert!(!rel.is_empty());
    assert!(rel
        .iter()
        .all(|p| p.cpe.is_none() || p.cpe.as_deref().unwrap().starts_with("cpe:")));
}

#[test]
fn csaf_with_purls_converts_to_advisories_and_vex() {
    let d = csaf::parse("adv.json", &read("csaf/hand-written-purl-advisory.json")).unwrap();
    let adv = d.advisories();
    assert_eq!(adv.len(), 2);
    let a = &adv[0];
    assert_eq!(a.id, "CVE-2022-3064");
    assert_eq!(
        a.aliases,
        vec![
            "GHSA-6q6q-88xp-6f2r".to_owned(),
            "EXBV-2026-0001".to_owned()
        ]
    );
    assert_eq!(a.cvss_score, Some(7.5));
    assert_eq!(a.packages.len(), 1);
    assert_eq!(a.packages[0].purl, "pkg:golang/gopkg.in/yaml.v2");
    assert_eq!(
        a.packages[0].affected,
        vec![VersionSpec::Exact("2.2.2".into())]
    );
    assert_eq!(a.packages[0].fixed, vec!["2.2.4".to_owned()]);
    let b = &adv[1];
    assert_eq!(b.packages[0].purl, "pkg:pypi/jinja2");
    assert_eq!(
        b.packages[0].affected,
        vec![VersionSpec::Range("vers:pypi/<2.10.1".into())]
    );
    assert_eq!(b.cvss_score, Some(5.0));

    let st = d.vex_statements("adv.json");
    let na = st
        .iter()
        .find(|s| s.status == VexStatus::NotAffected)
        .unwrap();
    assert_eq!(na.product.product_id.as_deref(), Some("APP-140:YAML-222"));
    // Relationship products inherit the component's purl.
    assert_eq!(
        na.product.purl.as_deref(),
        Some("pkg:golang/gopkg.in/yaml.v2@2.2.2")
    );
    assert_eq!(
        na.justification,
        Some(Justification::VulnerableCodeNotInExecutePath)
    );
    assert_eq!(
        na.impact_statement.as_deref(),
        Some("The app never parses untrusted YAML.")
    );
    let aff = st
        .iter()
        .find(|s| s.status == VexStatus::Affected && s.vulnerability == "CVE-2022-3064")
        .unwrap();
    assert_eq!(
        aff.action_statement.as_deref(),
        Some("vendor_fix: Update to 2.2.4.")
    );
    assert!(st.iter().any(|s| s.status == VexStatus::UnderInvestigation));
    assert!(st.iter().any(|s| s.status == VexStatus::Fixed));
}

#[test]
fn csaf_bad_input_names_the_field() {
    let e = csaf::parse(
        "c.json",
        br#"{"document":{"category":"csaf_base","csaf_version":"2.0","title":"t","publisher":{"category":"vendor","name":"n","namespace":"https://x"},"tracking":{"id":"X","version":"1","status":"final","initial_release_date":"d"}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("document.tracking"), "{e}");
    assert!(e.message.contains("current_release_date"), "{e}");
    let e = csaf::parse(
        "c.json",
        br#"{"document":{"category":"csaf_base","csaf_version":"1.9","title":"t","publisher":{"category":"vendor","name":"n","namespace":"https://x"},"tracking":{"id":"X","version":"1","status":"final","initial_release_date":"d","current_release_date":"d"}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("document.csaf_version"), "{e}");
    let full = read("csaf/bsi-2022-0001.json");
    let e = csaf::parse("c.json", &full[..full.len() - 20]).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated, "{e}");
}

// ----------------------------------------------------------------------------------- shared corpus

#[test]
fn every_shared_sbom_vex_and_csaf_file_parses() {
    let Some(data) = shared_data() else { return };
    let mut files = Vec::new();
    for sub in ["sbom", "vex", "csaf"] {
        files_under(&data.join(sub), &mut files);
    }
    let mut counts = [0usize; 3];
    for f in files {
        let name = f.display().to_string();
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "json" && ext != "xml" {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap();
        let rel = f.strip_prefix(&data).unwrap();
        if rel.starts_with("csaf") {
            let d = csaf::parse(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
            let _ = d.advisories();
            let _ = d.vex_statements(&name);
            counts[2] += 1;
        } else if rel.starts_with("vex")
            && f.file_name().unwrap().to_string_lossy().starts_with("vex")
        {
            vex::parse(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
            counts[1] += 1;
        } else {
            let s = sbom::parse_slice(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.spec_version.is_empty());
            counts[0] += 1;
        }
    }
    println!(
        "parsed {} SBOMs, {} VEX, {} CSAF",
        counts[0], counts[1], counts[2]
    );
    assert!(counts.iter().all(|&c| c > 0));
}

// ----------------------------------------------------------------------------------- never panic

mod no_panic {
    use proptest::prelude::*;

    use super::*;

    fn corpus() -> Vec<Vec<u8>> {
        [
            "sbom/cern-lhc-vdm-editor.cdx-1.2.xml",
            "sbom/hand-written.spdx-2.3.json",
            "vex/openvex-v0.2.0.json",
            "vex/cyclonedx-vex.json",
            "csaf/hand-written-purl-advisory.json",
            "advisories/PYSEC-2019-217.yaml",
        ]
        .iter()
        .map(|f| read(f))
        .collect()
    }

    fn all_parsers(bytes: &[u8]) {
        let _ = sbom::parse_slice("p", bytes);
        let _ = vex::parse("p", bytes);
        let _ = csaf::parse("p", bytes);
        let _ = keurmerk_vuln::source::parse_advisory("p.json", bytes);
        let _ = keurmerk_vuln::source::parse_advisory("p.yaml", bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            all_parsers(&bytes);
        }

        #[test]
        fn mutated_real_documents(which in 0usize..6, cut in any::<proptest::sample::Index>(),
                                  flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..8)) {
            let mut doc = corpus().swap_remove(which);
            for (i, b) in flips {
                let i = i.index(doc.len());
                doc[i] = b;
            }
            let cut = cut.index(doc.len() + 1);
            all_parsers(&doc[..cut]);
        }
    }
}

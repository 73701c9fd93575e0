//! One vulnerability, many ids: the real Go record GO-2022-1059 (aliases CVE-2022-32149 and
//! GHSA-69ch-w2m2-3vjp) against the real proton-bridge SBOM, in the registry and in `scan`.

use keurmerk_domain::event::{EventKind, Resolution};
use keurmerk_domain::status::Reason;
use keurmerk_service::*;
use keurmerk_store::VulnStore;

use super::{setup, Setup};
use crate::support::*;

fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keurmerk-vuln/tests/fixtures")
        .join(path)
}

const SBOM: &str = "sbom/proton-bridge-v1.6.3.cdx-1.2.json";
const GO_1059: &str = "identity/GO-2022-1059.json";

fn vex_not_affected(id: &str) -> String {
    format!(
        r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://maker.example/vex/2", "author": "Maker",
        "timestamp": "2026-06-02T10:00:00Z", "version": 1, "statements": [{{"vulnerability": {{"name": "{id}"}},
        "products": [{{"@id": "pkg:golang/golang.org/x/text"}}], "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path"}}]}}"#
    )
}

async fn go_1059_found(s: &Setup) {
    let bom = std::fs::read(fixture(SBOM)).unwrap();
    s.e.reg
        .attach_sbom(&a("maker"), &s.version, "proton-bridge.json", &bom)
        .await
        .unwrap();
    s.e.reg
        .import_advisories(&a("enisa"), &fixture(GO_1059), false, &|_| {})
        .await
        .unwrap();
}

/// What `keurmerk scan` reports for the same SBOM, advisory and VEX documents.
fn scan(vex: &[String]) -> Vec<keurmerk_vuln::matching::Finding> {
    let bom =
        keurmerk_vuln::sbom::parse_slice(SBOM, &std::fs::read(fixture(SBOM)).unwrap()).unwrap();
    let mut index = keurmerk_vuln::matching::AdvisoryIndex::new();
    let doc =
        keurmerk_vuln::source::parse_advisory(GO_1059, &std::fs::read(fixture(GO_1059)).unwrap())
            .unwrap();
    index.insert(&doc);
    let statements: Vec<_> = vex
        .iter()
        .flat_map(|v| keurmerk_vuln::vex::parse("vex.json", v.as_bytes()).unwrap())
        .collect();
    keurmerk_vuln::matching::scan_report(&bom, &index, &statements).findings
}

#[tokio::test]
async fn scan_and_registry_agree_that_go_2022_1059_is_cve_2022_32149() {
    let s = setup().await;
    go_1059_found(&s).await;
    let registry = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    let scanned = scan(&[]);
    assert_eq!(registry.len(), 1, "{registry:?}");
    assert_eq!(scanned.len(), 1, "{scanned:?}");
    assert_eq!(registry[0].vulnerability, "GO-2022-1059");
    assert_eq!(scanned[0].advisory_id, registry[0].vulnerability);
    assert_eq!(scanned[0].aliases, registry[0].aliases);
    assert_eq!(
        registry[0].aliases,
        vec![
            "CVE-2022-32149".to_owned(),
            "GHSA-69ch-w2m2-3vjp".to_owned()
        ]
    );

    // Any alias finds it, in any case; an unknown id does not.
    for id in ["GO-2022-1059", "CVE-2022-32149", "ghsa-69ch-w2m2-3vjp"] {
        let ids = s.e.reg.vulnerability_ids(id).await.unwrap();
        assert_eq!(ids.len(), 3, "{id}: {ids:?}");
        assert!(ids[0].eq_ignore_ascii_case(id.trim()), "{ids:?}");
    }
    assert!(s
        .e
        .reg
        .vulnerability_ids("CVE-0000-NOPE")
        .await
        .unwrap()
        .is_empty());

    // A VEX naming the CVE closes the GO finding, in the registry and in `scan` alike.
    let vex = vex_not_affected("CVE-2022-32149");
    s.e.reg
        .publish_vex(&a("maker"), &s.product, "vex.json", vex.as_bytes())
        .await
        .unwrap();
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        !st.reasons
            .iter()
            .any(|r| matches!(r, Reason::VulnerabilityOpen { .. })),
        "{:?}",
        st.reasons
    );
    assert!(s.kinds().await.iter().any(|k| matches!(
        k,
        EventKind::VulnerabilityResolved {
            vulnerability,
            resolution: Resolution::NotAffected { .. },
        } if vulnerability == "GO-2022-1059"
    )));
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(
        f[0].vex.as_deref(),
        Some("not_affected: vulnerable_code_not_in_execute_path")
    );
    let scanned = scan(&[vex]);
    assert!(scanned[0].vex.is_some(), "{scanned:?}");
}

#[tokio::test]
async fn mark_exploited_takes_any_alias_and_refuses_unknown_ids() {
    let s = setup().await;
    go_1059_found(&s).await;
    match s.e.reg.mark_exploited(&a("nl-rdi"), "CVE-0000-NOPE").await {
        Err(ServiceError::NotFound { what, id }) => {
            assert_eq!((what, id.as_str()), ("vulnerability", "CVE-0000-NOPE"));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    // Refused before anything was written.
    assert!(!s.e.reg.store().is_exploited("CVE-0000-NOPE").await.unwrap());
    forbidden(s.e.reg.mark_exploited(&a("maker"), "CVE-2022-32149").await);

    // The CVE, written in lower case, marks the GO finding.
    s.e.reg
        .mark_exploited(&a("nl-rdi"), "cve-2022-32149")
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert!(f[0].exploited && f[0].cra.is_some(), "{f:?}");
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        st.reasons.iter().any(|r| matches!(
            r,
            Reason::VulnerabilityOpen { vulnerability, exploited: true, .. } if vulnerability == "GO-2022-1059"
        )),
        "{:?}",
        st.reasons
    );
}

const KEV: &str = "kev/kev-2025.08.25-subset.json";

fn wazuh_sbom() -> &'static str {
    r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
    {"type": "library", "name": "github.com/wazuh/wazuh", "version": "v4.5.0+incompatible",
     "purl": "pkg:golang/github.com/wazuh/wazuh@v4.5.0%2Bincompatible"}]}"#
}

#[tokio::test]
async fn the_kev_catalogue_marks_vulnerabilities_exploited_with_its_dates() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(&a("maker"), &s.version, "bom.json", wazuh_sbom().as_bytes())
        .await
        .unwrap();
    s.e.reg
        .import_advisories(
            &a("enisa"),
            &fixture("identity/GO-2025-3459.json"),
            false,
            &|_| {},
        )
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].vulnerability, "GO-2025-3459");
    assert!(!f[0].exploited);
    // The Go record has no score: its severity is unknown, and the deadline is the policy's
    // class for it (high: 60 days under the EU baseline), not the 180 days of a minor problem.
    assert_eq!(f[0].severity, keurmerk_domain::model::Severity::Unknown);
    assert_eq!(
        (f[0].deadline - f[0].first_seen.date_naive()).num_days(),
        60
    );

    forbidden(s.e.reg.import_kev(&a("maker"), &fixture(KEV)).await);
    // The advisory import recognises the catalogue and says which command takes it.
    let msg = invalid(
        s.e.reg
            .import_advisories(&a("enisa"), &fixture(KEV), false, &|_| {})
            .await,
        "path",
    );
    assert!(msg.contains("import-kev"), "{msg}");

    // A truncated catalogue marks nothing.
    let truncated = s.dir.path().join("kev.json");
    let text = std::fs::read_to_string(fixture(KEV)).unwrap();
    std::fs::write(&truncated, text.replace("\"count\": 3", "\"count\": 4")).unwrap();
    let msg = invalid(s.e.reg.import_kev(&a("enisa"), &truncated).await, "kev");
    assert!(msg.contains("count") && msg.contains("kev.json"), "{msg}");
    assert!(!s
        .e
        .reg
        .store()
        .is_exploited("CVE-2025-24016")
        .await
        .unwrap());

    let sum =
        s.e.reg
            .import_kev(&a("enisa"), &fixture(KEV))
            .await
            .unwrap();
    assert_eq!(
        (
            sum.entries,
            sum.marked,
            sum.already_marked,
            sum.known,
            sum.products_updated
        ),
        (3, 3, 0, 1, 1),
        "{sum:?}"
    );
    assert_eq!(sum.catalogue_version, "2025.08.25");
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert!(f[0].exploited && f[0].cra.is_some(), "{f:?}");
    let since =
        s.e.reg
            .store()
            .exploited_since(&["GO-2025-3459".into(), "CVE-2025-24016".into()])
            .await
            .unwrap()
            .unwrap();
    assert_eq!(since.date_naive().to_string(), "2025-06-10");
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        st.reasons.iter().any(|r| matches!(
            r,
            Reason::VulnerabilityOpen { vulnerability, exploited: true, .. } if vulnerability == "GO-2025-3459"
        )),
        "{:?}",
        st.reasons
    );
    // Every mark is audited, naming the catalogue.
    let trail = s.e.reg.audit_trail(&a("enisa"), 1000, None).await.unwrap();
    let marks: Vec<_> = trail
        .iter()
        .filter(|e| e.audit.action == "vulnerability.mark_exploited")
        .collect();
    assert_eq!(marks.len(), 3);
    assert!(marks.iter().all(|e| e.audit.detail["source"] == "cisa-kev"));

    // Importing it again changes nothing.
    let again =
        s.e.reg
            .import_kev(&a("enisa"), &fixture(KEV))
            .await
            .unwrap();
    assert_eq!((again.marked, again.already_marked), (0, 3));
}

#[tokio::test]
async fn an_euvd_id_is_one_more_alias() {
    let s = setup().await;
    go_1059_found(&s).await;
    // The real EUVD record (another vulnerability) imports as ids only.
    let sum =
        s.e.reg
            .import_advisories(
                &a("enisa"),
                &fixture("identity/EUVD-2022-55189.json"),
                false,
                &|_| {},
            )
            .await
            .unwrap();
    assert_eq!((sum.read, sum.changed), (1, 1));
    let ids = s.e.reg.vulnerability_ids("CVE-2022-49939").await.unwrap();
    assert_eq!(
        ids,
        vec![
            "CVE-2022-49939".to_owned(),
            "EUVD-2022-55189".to_owned(),
            "GHSA-6q3v-9ww3-wjw7".to_owned()
        ]
    );
    // An EUVD record for CVE-2022-32149 (written for this test: no real one is in the shared
    // data) makes its EUVD id an id of GO-2022-1059, two steps away.
    let path = s.dir.path().join("EUVD-2022-99999.json");
    std::fs::write(
        &path,
        r#"{"id": "EUVD-2022-99999", "enisaUuid": "00000000-0000-0000-0000-000000000000",
           "dateUpdated": "Jun 18, 2025, 10:54:40 AM", "baseScore": 7.5, "aliases": "CVE-2022-32149\n"}"#,
    )
    .unwrap();
    s.e.reg
        .import_advisories(&a("enisa"), &path, false, &|_| {})
        .await
        .unwrap();
    let ids = s.e.reg.vulnerability_ids("EUVD-2022-99999").await.unwrap();
    assert!(ids.iter().any(|x| x == "GO-2022-1059"), "{ids:?}");
    s.e.reg
        .mark_exploited(&a("nl-rdi"), "EUVD-2022-99999")
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert!(f[0].exploited, "{f:?}");
    // A VEX naming the EUVD id closes the GO finding too.
    let vex = vex_not_affected("EUVD-2022-99999");
    s.e.reg
        .publish_vex(&a("maker"), &s.product, "vex.json", vex.as_bytes())
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert!(f[0].vex.is_some(), "{f:?}");
}

#[tokio::test]
async fn an_unknown_severity_takes_one_that_arrives_from_an_alias_or_an_operator() {
    use keurmerk_domain::model::Severity;
    let s = setup().await;
    go_1059_found(&s).await;
    let severity = |f: &[monitoring::FindingView]| f[0].severity;
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(severity(&f), Severity::Unknown);
    let text = s.e.reg.status(&s.cert).await.unwrap().reasons[0].text(keurmerk_domain::Lang::En);
    assert!(text.contains("not known yet"), "{text}");

    // An EUVD record for its CVE brings a base score (7.5: high).
    let path = s.dir.path().join("EUVD-2022-99999.json");
    std::fs::write(
        &path,
        r#"{"id": "EUVD-2022-99999", "enisaUuid": "00000000-0000-0000-0000-000000000000",
           "dateUpdated": "Jun 18, 2025, 10:54:40 AM", "baseScore": 7.5, "aliases": "CVE-2022-32149\n"}"#,
    )
    .unwrap();
    s.e.reg
        .import_advisories(&a("enisa"), &path, false, &|_| {})
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(severity(&f), Severity::High);
    assert!(s.kinds().await.iter().any(|k| matches!(
        k,
        keurmerk_domain::event::EventKind::VulnerabilityMatched {
            severity: Severity::High,
            ..
        }
    )));

    // An operator's assessment wins, is refused to others, needs a reason and a known id.
    forbidden(
        s.e.reg
            .set_severity(&a("maker"), "CVE-2022-32149", Severity::Low, "mine")
            .await,
    );
    invalid(
        s.e.reg
            .set_severity(&a("nl-rdi"), "CVE-2022-32149", Severity::Low, " ")
            .await,
        "reason",
    );
    invalid(
        s.e.reg
            .set_severity(&a("nl-rdi"), "CVE-2022-32149", Severity::Unknown, "why")
            .await,
        "severity",
    );
    assert!(matches!(
        s.e.reg
            .set_severity(&a("nl-rdi"), "CVE-0000-NOPE", Severity::Low, "why")
            .await,
        Err(ServiceError::NotFound { .. })
    ));
    s.e.reg
        .set_severity(
            &a("nl-rdi"),
            "ghsa-69ch-w2m2-3vjp",
            Severity::Critical,
            "trivially reachable in this product class",
        )
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(severity(&f), Severity::Critical);
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        st.reasons.iter().any(|r| matches!(
            r,
            Reason::VulnerabilityOpen {
                severity: Severity::Critical,
                ..
            }
        )),
        "{:?}",
        st.reasons
    );
}

#[tokio::test]
async fn a_second_advisory_of_the_same_vulnerability_joins_its_finding() {
    use chrono::Duration;
    use keurmerk_domain::model::Severity;
    let s = setup().await;
    go_1059_found(&s).await;
    let before = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    // Ten days later a GHSA record of the same CVE arrives, with a score (written for this test
    // in the form GitHub publishes; the shared data has no GHSA database).
    s.e.clock.set(t0() + Duration::days(10));
    let ghsa = s.dir.path().join("GHSA-69ch-w2m2-3vjp.json");
    std::fs::write(
        &ghsa,
        r#"{"schema_version": "1.4.0", "id": "GHSA-69ch-w2m2-3vjp", "modified": "2023-11-08T04:09:42Z",
           "aliases": ["CVE-2022-32149"], "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
           "affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/text"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.3.8"}]}]}]}"#,
    )
    .unwrap();
    s.e.reg
        .import_advisories(&a("enisa"), &ghsa, false, &|_| {})
        .await
        .unwrap();
    let after = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(after.len(), 1, "one vulnerability, one finding: {after:?}");
    assert_eq!(after[0].vulnerability, "GHSA-69ch-w2m2-3vjp");
    assert!(after[0].aliases.iter().any(|x| x == "GO-2022-1059"));
    assert_eq!(after[0].severity, Severity::High);
    // It was first seen when the GO record found it: the deadline does not start again.
    assert_eq!(after[0].first_seen, before[0].first_seen);
    assert_eq!(after[0].deadline, before[0].deadline);
    // The label keeps the id it showed, with the score that arrived, and nothing was "resolved".
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        st.reasons.iter().any(|r| matches!(
            r,
            Reason::VulnerabilityOpen { vulnerability, severity: Severity::High, .. }
                if vulnerability == "GO-2022-1059"
        )),
        "{:?}",
        st.reasons
    );
    assert!(!s
        .kinds()
        .await
        .iter()
        .any(|k| matches!(k, EventKind::VulnerabilityResolved { .. })));
}

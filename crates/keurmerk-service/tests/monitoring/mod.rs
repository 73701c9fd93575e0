//! Monitoring in the registry: SBOM → findings → label, incremental advisory import, VEX, security
//! updates, policy deadlines, exploited vulnerabilities.

use chrono::Duration;
use keurmerk_domain::event::{EventKind, Resolution};
use keurmerk_domain::status::{LabelStatus, Reason};
use keurmerk_service::*;
use keurmerk_store::CertificateStore;

use crate::support::*;

mod identity;

fn osv(fixed: &str, modified: &str, severity: Option<&str>) -> String {
    let sev = severity.map_or(String::new(), |v| {
        format!(r#""severity": [{{"type": "CVSS_V3", "score": "{v}"}}],"#)
    });
    format!(
        r#"{{"schema_version": "1.3.1", "id": "GO-2020-0001", "modified": "{modified}", "published": "2021-04-14T20:04:52Z",
        "aliases": ["CVE-2020-36567"], "summary": "Arbitrary log line injection in github.com/gin-gonic/gin", {sev}
        "affected": [{{"package": {{"name": "github.com/gin-gonic/gin", "ecosystem": "Go"}},
        "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
}

fn sbom(gin: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
        {{"type": "library", "name": "github.com/gin-gonic/gin", "version": "{gin}", "purl": "pkg:golang/github.com/gin-gonic/gin@{gin}"}},
        {{"type": "library", "name": "golang.org/x/text", "version": "v0.3.8", "purl": "pkg:golang/golang.org/x/text@v0.3.8"}}]}}"#
    )
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

struct Setup {
    e: Env,
    dir: tempfile::TempDir,
    product: keurmerk_domain::ids::RecordId,
    version: keurmerk_domain::ids::RecordId,
    cert: keurmerk_domain::ids::CertificateId,
}

async fn setup() -> Setup {
    let e = env().await;
    world(&e.reg).await;
    let (product, version) = product(&e.reg, "maker").await;
    supported(&e.reg, "maker", &product, day(2000)).await;
    let cert = issued(&e.reg, "maker", &product, &version, "eu-iot", "basic").await;
    Setup {
        e,
        dir: tempfile::tempdir().unwrap(),
        product,
        version,
        cert,
    }
}

impl Setup {
    async fn import(&self, text: &str) -> monitoring::ImportSummary {
        let path = self.dir.path().join("GO-2020-0001.json");
        std::fs::write(&path, text).unwrap();
        self.e
            .reg
            .import_advisories(&a("enisa"), &path, false, &|_| {})
            .await
            .unwrap()
    }

    async fn kinds(&self) -> Vec<EventKind> {
        self.e
            .reg
            .store()
            .events(&self.cert)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

#[tokio::test]
async fn sbom_then_advisory_opens_a_finding_on_the_label() {
    let s = setup().await;
    let sum =
        s.e.reg
            .attach_sbom(
                &a("maker"),
                &s.version,
                "bom.json",
                sbom("v1.4.0").as_bytes(),
            )
            .await
            .unwrap();
    assert_eq!((sum.components, sum.matchable, sum.findings), (2, 2, 0));

    let imp = s
        .import(&osv("1.6.0", "2023-06-12T18:45:41Z", Some(CRITICAL)))
        .await;
    assert_eq!((imp.read, imp.changed, imp.versions_rematched), (1, 1, 1));
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert_eq!(st.status, LabelStatus::Attention);
    assert!(
        matches!(&st.reasons[0], Reason::VulnerabilityOpen { vulnerability, .. } if vulnerability == "GO-2020-0001"),
        "{:?}",
        st.reasons
    );

    // Re-importing the same record changes nothing and re-matches nothing.
    let again = s
        .import(&osv("1.6.0", "2023-06-12T18:45:41Z", Some(CRITICAL)))
        .await;
    assert_eq!(
        (again.changed, again.unchanged, again.versions_rematched),
        (0, 1, 0)
    );
    let matched = s
        .kinds()
        .await
        .iter()
        .filter(|k| matches!(k, EventKind::VulnerabilityMatched { .. }))
        .count();
    assert_eq!(matched, 1);

    // Past the critical deadline (30 days under eu-iot), the label is suspended by policy.
    s.e.clock.set(t0() + Duration::days(31));
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert_eq!(st.status, LabelStatus::Suspended);
    assert!(st
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::VulnerabilityOverdue { suspends: true, .. })));
}

#[tokio::test]
async fn advisory_before_sbom_matches_when_the_sbom_arrives() {
    let s = setup().await;
    s.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    let sum =
        s.e.reg
            .attach_sbom(
                &a("maker"),
                &s.version,
                "bom.json",
                sbom("v1.4.0").as_bytes(),
            )
            .await
            .unwrap();
    assert_eq!(sum.findings, 1);
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].installed, "v1.4.0");
    assert_eq!(f[0].fixed, vec!["1.6.0".to_owned()]);
    assert!(f[0].cra.is_none());
    // A fixed version is not reported (exact range evaluation).
    let s2 = setup().await;
    s2.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    let sum =
        s2.e.reg
            .attach_sbom(
                &a("maker"),
                &s2.version,
                "bom.json",
                sbom("v1.6.0").as_bytes(),
            )
            .await
            .unwrap();
    assert_eq!(sum.findings, 0);
}

#[tokio::test]
async fn a_modified_advisory_rematches_and_closes() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.4.0").as_bytes(),
        )
        .await
        .unwrap();
    s.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    // The publisher corrects the range: 1.4.0 was never affected.
    let imp = s.import(&osv("1.3.0", "2024-01-01T00:00:00Z", None)).await;
    assert_eq!(imp.changed, 1);
    assert_eq!(
        s.e.reg.status(&s.cert).await.unwrap().status,
        LabelStatus::Valid
    );
    assert!(s.kinds().await.iter().any(|k| matches!(
        k,
        EventKind::VulnerabilityResolved {
            resolution: Resolution::AdvisoryWithdrawn,
            ..
        }
    )));
}

#[tokio::test]
async fn vex_not_affected_closes_the_finding_and_survives_version_bumps() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.4.0").as_bytes(),
        )
        .await
        .unwrap();
    s.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    let vex = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://maker.example/vex/1", "author": "Maker",
        "timestamp": "2026-06-02T10:00:00Z", "version": 1, "statements": [{"vulnerability": {"name": "GO-2020-0001"},
        "products": [{"@id": "pkg:generic/maker/cosy-cam"}], "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path"}]}"#;
    forbidden(
        s.e.reg
            .publish_vex(&a("other-maker"), &s.product, "vex.json", vex.as_bytes())
            .await,
    );
    assert_eq!(
        s.e.reg
            .publish_vex(&a("maker"), &s.product, "vex.json", vex.as_bytes())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.e.reg.status(&s.cert).await.unwrap().status,
        LabelStatus::Valid
    );
    assert!(s.kinds().await.iter().any(|k| matches!(
        k,
        EventKind::VulnerabilityResolved {
            resolution: Resolution::NotAffected { .. },
            ..
        }
    )));
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    assert_eq!(
        f[0].vex.as_deref(),
        Some("not_affected: vulnerable_code_not_in_execute_path")
    );

    // A new version with the same component is still covered by the decision.
    let v2 =
        s.e.reg
            .add_version(
                &a("maker"),
                &s.product,
                NewVersion {
                    version: "1.1.0".into(),
                    released_on: (t0() + Duration::days(3)).date_naive(),
                    security_update: true,
                    notes: None,
                },
            )
            .await
            .unwrap();
    s.e.reg
        .attach_sbom(&a("maker"), &v2.id, "bom2.json", sbom("v1.4.0").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        s.e.reg.status(&s.cert).await.unwrap().status,
        LabelStatus::Valid
    );

    let bad = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "M", "timestamp": "2026-06-02T10:00:00Z",
        "version": 1, "statements": [{"vulnerability": {"name": "GO-2020-0001"}, "products": [{"@id": "pkg:generic/m/c"}], "status": "not_affected"}]}"#;
    invalid(
        s.e.reg
            .publish_vex(&a("maker"), &s.product, "bad.json", bad.as_bytes())
            .await,
        "vex",
    );
}

#[tokio::test]
async fn a_security_update_with_the_fix_leaves_devices_on_the_old_version_told_to_install_it() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.4.0").as_bytes(),
        )
        .await
        .unwrap();
    s.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    s.e.clock.set(t0() + Duration::days(5));
    let v2 =
        s.e.reg
            .add_version(
                &a("maker"),
                &s.product,
                NewVersion {
                    version: "1.0.1".into(),
                    released_on: (t0() + Duration::days(5)).date_naive(),
                    security_update: true,
                    notes: None,
                },
            )
            .await
            .unwrap();
    s.e.reg
        .attach_sbom(&a("maker"), &v2.id, "bom.json", sbom("v1.6.0").as_bytes())
        .await
        .unwrap();
    // The devices still on 1.0.0 carry the problem: the label is not green, the reason names
    // the version, and the answer for 1.0.0 is "install 1.0.1"; 1.0.1 itself is fine.
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert_eq!(st.status, LabelStatus::Attention);
    assert!(
        matches!(&st.reasons[0], Reason::VulnerabilityOpen { versions, .. } if versions == &["1.0.0"]),
        "{:?}",
        st.reasons
    );
    assert!(!s
        .kinds()
        .await
        .iter()
        .any(|k| matches!(k, EventKind::VulnerabilityResolved { .. })));
    let old = s.e.reg.version_status(&s.cert, "1.0.0").await.unwrap();
    assert!(
        matches!(&old.reasons[0], Reason::InstallUpdate { version, .. } if version == "1.0.1"),
        "{:?}",
        old.reasons
    );
    let new = s.e.reg.version_status(&s.cert, "1.0.1").await.unwrap();
    assert_eq!(new.status, LabelStatus::Valid, "{:?}", new.reasons);

    // Once no covered version carries it (1.0.0's software list now has the fix), it is fixed.
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.6.0").as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(
        s.e.reg.status(&s.cert).await.unwrap().status,
        LabelStatus::Valid
    );
    assert!(s.kinds().await.iter().any(|k| matches!(k, EventKind::VulnerabilityResolved { resolution: Resolution::Fixed { version }, .. } if version == "1.0.1")));
}

#[tokio::test]
async fn exploited_vulnerabilities_start_the_cra_clocks() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.4.0").as_bytes(),
        )
        .await
        .unwrap();
    s.import(&osv("1.6.0", "2023-06-12T18:45:41Z", None)).await;
    forbidden(s.e.reg.mark_exploited(&a("maker"), "GO-2020-0001").await);
    s.e.reg
        .mark_exploited(&a("nl-rdi"), "GO-2020-0001")
        .await
        .unwrap();
    let f = s.e.reg.findings(&a("maker"), &s.product).await.unwrap();
    let cra = f[0].cra.as_ref().unwrap();
    assert_eq!(cra.early_warning_due - f[0].first_seen, Duration::hours(24));
    assert_eq!(cra.notification_due - f[0].first_seen, Duration::hours(72));
    let st = s.e.reg.status(&s.cert).await.unwrap();
    assert!(
        matches!(
            &st.reasons[0],
            Reason::VulnerabilityOpen {
                exploited: true,
                ..
            }
        ),
        "{:?}",
        st.reasons
    );
}

#[tokio::test]
async fn monitoring_is_authorised_and_validated() {
    let s = setup().await;
    forbidden(
        s.e.reg
            .attach_sbom(
                &a("other-maker"),
                &s.version,
                "bom.json",
                sbom("v1.4.0").as_bytes(),
            )
            .await,
    );
    forbidden(
        s.e.reg
            .attach_sbom(
                &a("nl-lab"),
                &s.version,
                "bom.json",
                sbom("v1.4.0").as_bytes(),
            )
            .await,
    );
    let msg = invalid(
        s.e.reg
            .attach_sbom(
                &a("maker"),
                &s.version,
                "bom.json",
                b"{\"bomFormat\": \"CycloneDX\", \"components\": [{",
            )
            .await,
        "sbom",
    );
    assert!(msg.contains("bom.json"), "{msg}");
    let path = s.dir.path().join("x.json");
    std::fs::write(&path, "{}").unwrap();
    forbidden(
        s.e.reg
            .import_advisories(&a("maker"), &path, false, &|_| {})
            .await,
    );
    forbidden(s.e.reg.findings(&a("other-maker"), &s.product).await);
    assert!(s.e.reg.findings(&a("nl-rdi"), &s.product).await.is_ok());
    let bad =
        s.e.reg
            .import_advisories(&a("enisa"), &path, true, &|_| {})
            .await
            .unwrap();
    assert_eq!((bad.read, bad.errors.len()), (0, 1));
}

#[tokio::test]
async fn an_import_that_cannot_be_read_completely_stores_nothing() {
    let s = setup().await;
    s.e.reg
        .attach_sbom(
            &a("maker"),
            &s.version,
            "bom.json",
            sbom("v1.4.0").as_bytes(),
        )
        .await
        .unwrap();
    let dir = s.dir.path().join("feed");
    std::fs::create_dir(&dir).unwrap();
    let good = osv("1.6.0", "2023-06-12T18:45:41Z", None);
    std::fs::write(dir.join("GO-2020-0001.json"), &good).unwrap();
    std::fs::write(dir.join("GO-2020-0002.json"), &good[..good.len() / 2]).unwrap();
    let enisa = a("enisa");
    let import = |allow_partial| {
        s.e.reg
            .import_advisories(&enisa, &dir, allow_partial, &|_| {})
    };
    let msg = invalid(import(false).await, "path");
    assert!(
        msg.contains("1 advisories read, 1 could not be read")
            && msg.contains("nothing was imported")
            && msg.contains("GO-2020-0002.json"),
        "{msg}"
    );
    assert!(s
        .e
        .reg
        .findings(&a("maker"), &s.product)
        .await
        .unwrap()
        .is_empty());
    // Explicitly partial: what could be read is stored, and the summary says what was not.
    let partial = import(true).await.unwrap();
    assert_eq!(
        (partial.read, partial.changed, partial.errors.len()),
        (1, 1, 1)
    );
    assert!(!s
        .e
        .reg
        .findings(&a("maker"), &s.product)
        .await
        .unwrap()
        .is_empty());
}

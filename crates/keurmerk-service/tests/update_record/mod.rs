//! The maker's update record (issue 12 item 5) through the normal use cases, on SQLite and, when
//! `KEURMERK_TEST_POSTGRES` is set, on PostgreSQL: a finding fixed by a declared security patch,
//! a support period extended, the same record per product, per maker and per certificate, and a
//! certificate whose signed record no longer verifies reported, never left out.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::model::{ChangeClass, Severity};
use keurmerk_domain::update_record::{Outcome, UpdateRecord};
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, SqlStore};

use crate::support::*;

/// An excerpt of the OSV record of Log4Shell (osv.dev, CC-BY 4.0), its first range only.
const LOG4SHELL: &str = r#"{"schema_version": "1.4.0", "id": "GHSA-jfh8-c2jp-5v3q", "modified": "2024-06-27T20:19:59Z",
  "published": "2021-12-10T00:40:56Z", "aliases": ["CVE-2021-44228"],
  "summary": "Remote code injection in Log4j",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}"#;

fn sbom(log4j: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {{"type": "library", "name": "log4j-core", "group": "org.apache.logging.log4j", "version": "{log4j}",
          "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@{log4j}"}}]}}"#
    )
}

struct Db {
    url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        Db {
            url: format!("sqlite:{}", dir.path().join("r.db").display()),
            schema: None,
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<Db> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!(
                "skipped: KEURMERK_TEST_POSTGRES is not set, so this is not tested on PostgreSQL"
            );
            return None;
        };
        Some(Db {
            url,
            schema: Some(format!("t_{}", uuid::Uuid::new_v4().simple())),
            _dir: None,
        })
    }

    async fn env(&self) -> (Registry<SqlStore>, Arc<ManualClock>) {
        let store = SqlStore::connect_in_schema(&self.url, self.schema.as_deref())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(t0()));
        (registry(store, clock.clone()), clock)
    }

    async fn drop_schema(&self, reg: &Registry<SqlStore>) {
        if let Some(schema) = &self.schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(reg.store().pool())
                .await
                .unwrap();
        }
    }
}

macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $body(Db::sqlite()).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(db) = Db::postgres() {
                $body(db).await;
            }
        }
    };
}

async fn support(reg: &Registry<SqlStore>, p: &RecordId, until: NaiveDate) {
    supported(reg, "maker", p, until).await;
}

/// The maker's camera, tested by `nl-lab`: Log4Shell found in 1.0.0 on day 1, 1.0.1 declared as
/// a security patch (covered at once) on day 13; support first promised for 2000 days, then
/// extended to 2500 on day 20 (the use cases refuse to shorten it).
async fn camera(reg: &Registry<SqlStore>, clock: &ManualClock) -> (RecordId, CertificateId) {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    support(reg, &p, (t0() + Duration::days(2000)).date_naive()).await;
    let cert = issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    reg.attach_sbom(
        &a("maker"),
        &v,
        "cam-1.0.0.cdx.json",
        sbom("2.14.1").as_bytes(),
    )
    .await
    .unwrap();
    clock.set(t0() + Duration::days(1));
    reg.import_advisory_document(
        &a("enisa"),
        "GHSA-jfh8-c2jp-5v3q.json",
        LOG4SHELL.as_bytes(),
    )
    .await
    .unwrap();
    clock.set(t0() + Duration::days(13));
    let fixed = reg
        .add_version(
            &a("maker"),
            &p,
            NewVersion {
                version: "1.0.1".into(),
                released_on: (t0() + Duration::days(13)).date_naive(),
                security_update: true,
                notes: None,
            },
        )
        .await
        .unwrap();
    reg.declare_version_change(
        &a("maker"),
        &cert,
        VersionChange {
            version: fixed.id,
            class: ChangeClass::SecurityPatch,
            impact: "Updates log4j-core to 2.17.1. No security function changes.".into(),
            sbom_name: "cam-1.0.1.cdx.json".into(),
            sbom: sbom("2.17.1").into_bytes(),
        },
    )
    .await
    .unwrap();
    clock.set(t0() + Duration::days(20));
    support(reg, &p, (t0() + Duration::days(2500)).date_naive()).await;
    clock.set(t0() + Duration::days(30));
    (p, cert)
}

fn check_camera(r: &UpdateRecord, p: &RecordId, cert: &CertificateId) {
    assert!(r.is_complete(), "{:?}", r.unverified);
    assert_eq!(r.certificates, vec![cert.clone()]);
    let critical = &r.by_severity[&Severity::Critical];
    assert_eq!(
        (critical.findings, critical.fixed, critical.open),
        (1, 1, 0)
    );
    assert_eq!(
        (critical.median_days, critical.worst_days),
        (Some(12), Some(12))
    );
    assert_eq!((critical.deadline_met, critical.deadline_missed), (1, 0));
    let f = &r.findings[0];
    assert_eq!(&f.product, p);
    assert_eq!(
        f.outcome,
        Outcome::Fixed {
            version: "1.0.1".into()
        }
    );
    let s = &r.support[0];
    assert_eq!(
        s.first_committed,
        Some((t0() + Duration::days(2000)).date_naive())
    );
    assert_eq!(s.current, Some((t0() + Duration::days(2500)).date_naive()));
    assert!(s.shortened.is_empty() && !s.ended && !s.ended_as_announced);
    assert_eq!(s.fixes_within_support, 1);
}

async fn record_from_the_use_cases(db: Db) {
    let (reg, clock) = db.env().await;
    let (p, cert) = camera(&reg, &clock).await;
    let by_product = reg.product_update_record(&p).await.unwrap();
    check_camera(&by_product, &p, &cert);
    let by_maker = reg
        .org_update_record(&OrgId::new("maker").unwrap())
        .await
        .unwrap();
    assert_eq!(by_maker, by_product, "the maker has this one product");
    assert_eq!(
        reg.certificate_update_record(&cert).await.unwrap(),
        by_product
    );
    // Another maker's record holds nothing of it.
    let other = reg
        .org_update_record(&OrgId::new("other-maker").unwrap())
        .await
        .unwrap();
    assert!(other.findings.is_empty() && other.certificates.is_empty());

    // Unknown subjects are not found, and nothing is written by reading.
    let events = reg.store().events(&cert).await.unwrap().len();
    assert!(matches!(
        reg.product_update_record(&RecordId::new("PRD-999999").unwrap())
            .await,
        Err(ServiceError::NotFound { .. })
    ));
    assert!(matches!(
        reg.org_update_record(&OrgId::new("nobody").unwrap()).await,
        Err(ServiceError::NotFound { .. })
    ));
    assert!(matches!(
        reg.certificate_update_record(&CertificateId::new("KM-2026-999999").unwrap())
            .await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(reg.store().events(&cert).await.unwrap().len(), events);
    db.drop_schema(&reg).await;
}

on_both!(
    record_from_the_use_cases_sqlite,
    record_from_the_use_cases_postgres,
    record_from_the_use_cases
);

async fn an_unverifiable_certificate_is_reported_never_left_out(db: Db) {
    let (reg, clock) = db.env().await;
    let (p, cert) = camera(&reg, &clock).await;
    // Someone edits the stored match so the finding looks minor.
    let seq = reg
        .store()
        .events(&cert)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind.name() == "vulnerability_matched")
        .unwrap()
        .seq;
    sqlx::query(&format!(
        "UPDATE events SET payload = REPLACE(payload, '\"critical\"', '\"low\"') WHERE seq = {seq}"
    ))
    .execute(reg.store().pool())
    .await
    .unwrap();
    let r = reg.product_update_record(&p).await.unwrap();
    assert!(!r.is_complete());
    assert_eq!(r.unverified.len(), 1);
    assert_eq!(r.unverified[0].certificate, cert);
    assert!(
        r.unverified[0].problem.contains(&seq.to_string()),
        "{:?}",
        r.unverified
    );
    // None of its events is used: not the edited one, not the verified prefix.
    assert!(r.findings.is_empty() && r.certificates.is_empty() && r.support.is_empty());
    db.drop_schema(&reg).await;
}

on_both!(
    an_unverifiable_certificate_is_reported_sqlite,
    an_unverifiable_certificate_is_reported_postgres,
    an_unverifiable_certificate_is_reported_never_left_out
);

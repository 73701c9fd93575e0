//! Exact per-version coverage (issue 12 item 2): a certificate covers exactly the versions its
//! issuer covered; the holder adds versions only under the scheme's patch-management rule, the
//! issuer confirms or refuses; status per version.

use std::sync::Arc;

use chrono::Duration;
use keurmerk_domain::event::{fold, EventKind};
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::lifecycle::ActorRole;
use keurmerk_domain::model::ChangeClass;
use keurmerk_domain::scheme::Catalogue;
use keurmerk_domain::status::{LabelStatus, Reason};
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, ProductStore, SqlStore};

use crate::support::*;

const BOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
  {"type": "library", "name": "log4j-core", "group": "org.apache.logging.log4j", "version": "2.17.1",
   "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"}]}"#;

struct Lab {
    e: Env,
    product: RecordId,
    cert: CertificateId,
}

/// `maker`'s product with version 1.0, certified by `nl-lab` under eu-iot (third party).
async fn lab() -> Lab {
    lab_in(env().await).await
}

async fn lab_in(e: Env) -> Lab {
    world(&e.reg).await;
    let (product, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &product, &v, "eu-iot", "substantial").await;
    Lab { e, product, cert }
}

impl Lab {
    async fn version(&self, name: &str, days: i64) -> RecordId {
        self.e
            .reg
            .add_version(
                &a("maker"),
                &self.product,
                NewVersion {
                    version: name.into(),
                    released_on: (t0() + Duration::days(days)).date_naive(),
                    security_update: true,
                    notes: None,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn covered(&self) -> Vec<String> {
        let view = fold(&self.e.reg.store().events(&self.cert).await.unwrap()).unwrap();
        view.versions.into_iter().map(|v| v.version).collect()
    }

    async fn events(&self) -> usize {
        self.e.reg.store().events(&self.cert).await.unwrap().len()
    }

    async fn declare(
        &self,
        who: &str,
        version: &RecordId,
        class: ChangeClass,
    ) -> Result<ChangeOutcome, ServiceError> {
        self.e
            .reg
            .declare_version_change(
                &a(who),
                &self.cert,
                VersionChange {
                    version: version.clone(),
                    class,
                    impact: "Updates log4j-core to 2.17.1. No security function changes.".into(),
                    sbom_name: "bom.json".into(),
                    sbom: BOM.as_bytes().to_vec(),
                },
            )
            .await
    }
}

/// The versions of `product` with a software list stored (proven or not).
async fn stored_lists(reg: &Registry<SqlStore>, product: &RecordId) -> Vec<RecordId> {
    reg.store()
        .software_lists(product)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.version_id)
        .collect()
}

fn conflict<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
    match r {
        Err(ServiceError::Conflict(m)) => m,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_makers_new_version_does_not_reach_a_certificate_a_lab_issued() {
    let l = lab().await;
    l.version("1.1", 5).await;
    // add-version by the maker: the lab's certificate still covers only what the lab covered.
    assert_eq!(l.covered().await, vec!["1.0.0"]);
    let st = l.e.reg.version_status(&l.cert, "1.1").await.unwrap();
    assert_eq!(
        st.reasons[0],
        Reason::VersionNotCovered {
            version: "1.1".into(),
            pending: false
        }
    );
    assert!(!st.version.unwrap().covered);
}

#[tokio::test]
async fn a_security_patch_is_covered_at_once_under_the_rule_with_its_software_list() {
    let l = lab().await;
    let v = l.version("1.1", 5).await;
    let out = l
        .declare("maker", &v, ChangeClass::SecurityPatch)
        .await
        .unwrap();
    assert!(out.covered);
    assert_eq!(l.covered().await, vec!["1.0.0", "1.1"]);
    let events = l.e.reg.store().events(&l.cert).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.role, ActorRole::Holder);
    match &last.kind {
        EventKind::VersionChangeDeclared {
            class,
            sbom_sha256,
            covered,
            ..
        } => {
            assert_eq!(*class, ChangeClass::SecurityPatch);
            assert!(*covered);
            assert_eq!(sbom_sha256.len(), 64);
        }
        other => panic!("{other:?}"),
    }
    // Signed and logged like every event: the record still proves itself.
    assert!(l.e.reg.verify_all_integrity().await.unwrap().is_empty());
    // The software list was attached to the version.
    let with = stored_lists(&l.e.reg, &l.product).await;
    assert!(with.contains(&v));
}

/// A log that never answers.
struct Stopped;

impl LogWaiter for Stopped {
    fn wait_for(&self, _: i64) -> LogWaitFuture<'_> {
        Box::pin(async { Err("sequencer stopped".to_owned()) })
    }
}

/// With a log that does not answer, a declaration is answered "recorded, not yet logged" only
/// once its event is written: the software list's record is waited for with the declaration's
/// statement, not before the declaration exists.
#[tokio::test]
async fn a_declaration_waits_for_the_log_only_once_its_event_is_written() {
    let l = lab().await;
    let v = l.version("1.1", 5).await;
    let before = l.events().await;
    let reg = l.e.reg.clone().with_log_waiter(Arc::new(Stopped));
    let err = reg
        .declare_version_change(
            &a("maker"),
            &l.cert,
            VersionChange {
                version: v.clone(),
                class: ChangeClass::SecurityPatch,
                impact: "Updates log4j-core to 2.17.1. No security function changes.".into(),
                sbom_name: "bom.json".into(),
                sbom: BOM.as_bytes().to_vec(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, ServiceError::LogUnavailable(_)), "{err}");
    assert_eq!(l.events().await, before + 1);
    assert_eq!(l.covered().await, vec!["1.0.0", "1.1"]);
}

#[tokio::test]
async fn a_security_function_change_waits_for_the_issuer_who_confirms_it() {
    let l = lab().await;
    let v = l.version("2.0", 5).await;
    let out = l
        .declare("maker", &v, ChangeClass::SecurityFunctionChange)
        .await
        .unwrap();
    assert!(!out.covered);
    assert_eq!(l.covered().await, vec!["1.0.0"]);
    let st = l.e.reg.version_status(&l.cert, "2.0").await.unwrap();
    assert_eq!(
        st.reasons[0],
        Reason::VersionNotCovered {
            version: "2.0".into(),
            pending: true
        }
    );
    let out =
        l.e.reg
            .confirm_version(&a("nl-lab"), &l.cert, &v)
            .await
            .unwrap();
    assert!(out.covered);
    assert_eq!(out.version, "2.0");
    assert_eq!(l.covered().await, vec!["1.0.0", "2.0"]);
    let st = l.e.reg.version_status(&l.cert, "2.0").await.unwrap();
    assert!(st.version.unwrap().covered);
    assert!(l.e.reg.verify_all_integrity().await.unwrap().is_empty());
}

#[tokio::test]
async fn every_denied_coverage_path_writes_nothing() {
    let l = lab().await;
    let v = l.version("2.0", 5).await;
    let before = (l.events().await, audit_len(&l.e.reg).await);
    // Another maker, a lab, an authority: not the holder.
    forbidden(
        l.declare("other-maker", &v, ChangeClass::SecurityPatch)
            .await,
    );
    forbidden(l.declare("nl-lab", &v, ChangeClass::SecurityPatch).await);
    forbidden(l.declare("nl-rdi", &v, ChangeClass::SecurityPatch).await);
    // A version of another product.
    let other =
        l.e.reg
            .register_product(
                &a("maker"),
                NewProduct {
                    name: "Other Cam".into(),
                    model: "OC-1".into(),
                    category: keurmerk_domain::model::Category::Camera,
                    identifiers: Default::default(),
                },
            )
            .await
            .unwrap();
    let other_version =
        l.e.reg
            .add_version(
                &a("maker"),
                &other.id,
                NewVersion {
                    version: "9.9".into(),
                    released_on: t0().date_naive(),
                    security_update: false,
                    notes: None,
                },
            )
            .await
            .unwrap()
            .id;
    invalid(
        l.declare("maker", &other_version, ChangeClass::SecurityPatch)
            .await,
        "version",
    );
    // Confirming or refusing what nobody declared.
    conflict(l.e.reg.confirm_version(&a("nl-lab"), &l.cert, &v).await);
    conflict(
        l.e.reg
            .refuse_version(&a("nl-lab"), &l.cert, &v, "no")
            .await,
    );
    assert_eq!(before.0, l.events().await);

    l.declare("maker", &v, ChangeClass::SecurityFunctionChange)
        .await
        .unwrap();
    let pending = l.events().await;
    // Declared twice.
    conflict(
        l.declare("maker", &v, ChangeClass::SecurityFunctionChange)
            .await,
    );
    // Someone other than the issuer confirms: the holder, another lab (issuer of other
    // certificates), the supervising authority, the registry operator.
    forbidden(l.e.reg.confirm_version(&a("maker"), &l.cert, &v).await);
    forbidden(l.e.reg.confirm_version(&a("de-lab"), &l.cert, &v).await);
    forbidden(l.e.reg.confirm_version(&a("nl-rdi"), &l.cert, &v).await);
    forbidden(l.e.reg.confirm_version(&a("enisa"), &l.cert, &v).await);
    forbidden(
        l.e.reg
            .refuse_version(&a("de-lab"), &l.cert, &v, "not ours")
            .await,
    );
    // A refusal needs a reason.
    invalid(
        l.e.reg
            .refuse_version(&a("nl-lab"), &l.cert, &v, "  ")
            .await,
        "reason",
    );
    assert_eq!(pending, l.events().await);

    // Refused, then confirmed: refused stays refused.
    l.e.reg
        .refuse_version(
            &a("nl-lab"),
            &l.cert,
            &v,
            "The login flow changed; it needs testing.",
        )
        .await
        .unwrap();
    conflict(l.e.reg.confirm_version(&a("nl-lab"), &l.cert, &v).await);
    assert_eq!(l.covered().await, vec!["1.0.0"]);

    // Declared again after the refusal, confirmed, then confirmed twice.
    l.declare("maker", &v, ChangeClass::SecurityFunctionChange)
        .await
        .unwrap();
    l.e.reg
        .confirm_version(&a("nl-lab"), &l.cert, &v)
        .await
        .unwrap();
    conflict(l.e.reg.confirm_version(&a("nl-lab"), &l.cert, &v).await);
    // Covered: declaring it again is refused.
    conflict(l.declare("maker", &v, ChangeClass::SecurityPatch).await);
    assert_eq!(l.covered().await, vec!["1.0.0", "2.0"]);
    assert!(audit_len(&l.e.reg).await > before.1);
}

#[tokio::test]
async fn without_a_patch_management_rule_only_the_issuer_covers() {
    // eu-iot without its rule.
    let files: Vec<(&str, String)> = SCHEMES
        .iter()
        .map(|(name, text)| {
            let text = match text.find("[policy.patch_management]") {
                Some(i) if name.ends_with("eu-iot.toml") => {
                    let end = text[i..].find("\n\n").map_or(text.len(), |n| i + n);
                    format!("{}{}", &text[..i], &text[end..])
                }
                _ => (*text).to_owned(),
            };
            (*name, text)
        })
        .collect();
    let catalogue =
        Arc::new(Catalogue::from_files(files.iter().map(|(n, t)| (*n, t.as_str()))).unwrap());
    assert!(catalogue
        .get(&scheme("eu-iot"))
        .unwrap()
        .policy
        .patch_management
        .is_none());
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let e = env().await;
    let reg = Registry::new(store.clone(), catalogue, e.clock.clone())
        .with_signer(Signer::new(Arc::new(store), Secrets::memory()))
        .with_local_credential(Credential::Cli("test".into()));
    world(&reg).await;
    let (p, v) = product(&reg, "maker").await;
    let cert = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let v2 = reg
        .add_version(
            &a("maker"),
            &p,
            NewVersion {
                version: "1.1".into(),
                released_on: t0().date_naive(),
                security_update: true,
                notes: None,
            },
        )
        .await
        .unwrap();
    for class in ChangeClass::ALL {
        let m = forbidden(
            reg.declare_version_change(
                &a("maker"),
                &cert,
                VersionChange {
                    version: v2.id.clone(),
                    class: *class,
                    impact: "Small fix.".into(),
                    sbom_name: "bom.json".into(),
                    sbom: BOM.as_bytes().to_vec(),
                },
            )
            .await,
        );
        assert!(m.contains("only the issuer"), "{m}");
    }
    // Nothing attached, nothing covered.
    assert!(stored_lists(&reg, &p).await.is_empty());
    let view = fold(&reg.store().events(&cert).await.unwrap()).unwrap();
    assert_eq!(view.versions.len(), 1);
}

#[tokio::test]
async fn on_a_self_declared_certificate_the_holder_is_the_issuer() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    let l = Lab {
        e,
        product: p,
        cert,
    };
    // add-version covers a security update at once, as before.
    l.version("1.1", 5).await;
    assert_eq!(l.covered().await, vec!["1.0.0", "1.1"]);
    // Any class declared is covered at once, recorded in the issuer's role.
    let v = l.version("2.0", 6).await;
    // 2.0 was covered by add-version already (a security update).
    conflict(
        l.declare("maker", &v, ChangeClass::SecurityFunctionChange)
            .await,
    );
    let v3 =
        l.e.reg
            .add_version(
                &a("maker"),
                &l.product,
                NewVersion {
                    version: "3.0".into(),
                    released_on: (t0() + Duration::days(7)).date_naive(),
                    security_update: false,
                    notes: None,
                },
            )
            .await
            .unwrap();
    let out = l
        .declare("maker", &v3.id, ChangeClass::SecurityFunctionChange)
        .await
        .unwrap();
    assert!(out.covered);
    let events = l.e.reg.store().events(&l.cert).await.unwrap();
    assert_eq!(events.last().unwrap().role, ActorRole::Issuer);
    assert!(l.covered().await.contains(&"3.0".to_owned()));
}

#[tokio::test]
async fn version_status_refuses_an_unreadable_version_and_an_unknown_certificate() {
    let l = lab().await;
    invalid(l.e.reg.version_status(&l.cert, "").await, "version");
    invalid(
        l.e.reg.version_status(&l.cert, &"9".repeat(101)).await,
        "version",
    );
    invalid(l.e.reg.version_status(&l.cert, "1.0\u{0}").await, "version");
    match l
        .e
        .reg
        .version_status(&CertificateId::new("KM-2026-999999").unwrap(), "1.0")
        .await
    {
        Err(ServiceError::NotFound { .. }) => {}
        other => panic!("{other:?}"),
    }
    // The covered version answers, with the label's facts.
    let st = l.e.reg.version_status(&l.cert, "1.0.0").await.unwrap();
    assert!(st.version.unwrap().covered);
    assert_ne!(st.status, LabelStatus::Unknown);
}

#[tokio::test]
async fn two_decisions_at_once_record_one() {
    let l = lab().await;
    let v = l.version("2.0", 5).await;
    l.declare("maker", &v, ChangeClass::SecurityFunctionChange)
        .await
        .unwrap();
    let before = l.events().await;
    // The issuer's two instances confirm and refuse at the same moment: each decision is taken
    // again on the freshly folded certificate inside the append's concurrency guard, so exactly
    // one is recorded and the other is told why not.
    let issuer = a("nl-lab");
    let (a1, a2) = tokio::join!(
        l.e.reg.confirm_version(&issuer, &l.cert, &v),
        l.e.reg
            .refuse_version(&issuer, &l.cert, &v, "Not tested yet.")
    );
    assert!(a1.is_ok() != a2.is_ok(), "{a1:?} / {a2:?}");
    let loser = if a1.is_ok() {
        a2.map(|_| ())
    } else {
        a1.map(|_| ())
    };
    conflict(loser);
    assert_eq!(l.events().await, before + 1);
    assert!(l.e.reg.verify_event_store().await.unwrap().is_empty());
}

//! Attribution (issue 14 item 8): every write's audit record names the organisation and the
//! credential it was made with; local administration without an operator credential is refused;
//! member states are checked; a change that takes no end date refuses one; advisory imports are
//! audited and counted by what was stored.

use std::sync::Arc;

use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::model::{Category, OrgRole, ProductIdentifiers};
use keurmerk_service::*;
use keurmerk_store::{AuditStore, Credential, SqlStore};

use crate::support::*;

async fn last_audit(reg: &Registry<SqlStore>) -> keurmerk_store::AuditEntry {
    reg.store().audit(1, None).await.unwrap().remove(0)
}

#[tokio::test]
async fn every_write_names_its_credential() {
    let e = env().await;
    world(&e.reg).await;
    // The bootstrap and the organisations were made with the local (command line) credential
    // and the test actors' `cli:test`.
    let trail = e.reg.store().audit(100, None).await.unwrap();
    assert!(!trail.is_empty());
    assert!(
        trail
            .iter()
            .all(|r| r.audit.credential == Credential::Cli("test".into())),
        "{trail:#?}"
    );
    // An API token's id is recorded, never its secret.
    let token = RecordId::new("TOK-000042").unwrap();
    let by_token = Actor::token(OrgId::new("maker").unwrap(), token.clone());
    let p = e
        .reg
        .register_product(
            &by_token,
            NewProduct {
                name: "Cosy Cam".into(),
                model: "CC-1".into(),
                category: Category::Camera,
                identifiers: ProductIdentifiers::default(),
            },
        )
        .await
        .unwrap();
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "product.register");
    assert_eq!(rec.audit.subject, p.id.to_string());
    assert_eq!(rec.audit.actor, Some(OrgId::new("maker").unwrap()));
    assert_eq!(rec.audit.credential, Credential::ApiToken(token));
    assert_eq!(rec.audit.credential.to_string(), "token:TOK-000042");
    // Stored and read back as one string that parses.
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["credential"], "token:TOK-000042");
}

#[tokio::test]
async fn registry_tasks_are_attributed_to_the_system() {
    let e = env().await;
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    // Far in the future: the certificate is past its validity and the scheduled run expires it.
    e.clock.set(t0() + chrono::Duration::days(6 * 365));
    let expired = e.reg.expire_due_scheduled().await.unwrap();
    assert_eq!(expired, vec![cert]);
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "certificate.expire");
    assert_eq!(rec.audit.actor, Some(OrgId::new("enisa").unwrap()));
    assert_eq!(rec.audit.credential, Credential::System("expiry".into()));
}

#[tokio::test]
async fn local_administration_needs_an_operator_credential() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    // No `with_local_credential`: nobody to attribute the bootstrap, keys or tokens to.
    let reg = Registry::new(store.clone(), catalogue(), Arc::new(ManualClock::new(t0())))
        .with_signer(Signer::new(Arc::new(store.clone()), Secrets::memory()));
    forbidden(
        reg.bootstrap_operator(new_org("enisa", OrgRole::RegistryOperator, "GR"))
            .await,
    );
    assert!(reg.organisations().await.unwrap().is_empty());
    forbidden(reg.create_root_key(KeyScope::default()).await);
    assert!(reg.keys().await.unwrap().is_empty());
    assert_eq!(audit_len(&reg).await, 0);
}

#[tokio::test]
async fn member_states_are_eu_eea_or_a_scheme_jurisdiction() {
    let e = env().await;
    world(&e.reg).await;
    let op = a("enisa");
    for bad in ["ZZ", "EU", "XX", "NLD", "1A", ""] {
        let before = audit_len(&e.reg).await;
        let msg = invalid(
            e.reg
                .create_organisation(&op, new_org("m-x", OrgRole::Manufacturer, bad))
                .await,
            "member_state",
        );
        assert!(msg.contains('`'), "{bad}: {msg}");
        assert_eq!(audit_len(&e.reg).await, before, "{bad}: nothing written");
    }
    // EEA, and the non-EU jurisdictions of the shipped schemes (UK PSTI, Singapore's CLS).
    for (id, ms) in [("m-no", "NO"), ("m-gb", "gb"), ("m-sg", "SG")] {
        let o = e
            .reg
            .create_organisation(&op, new_org(id, OrgRole::Manufacturer, ms))
            .await
            .unwrap();
        assert_eq!(o.member_state, ms.to_ascii_uppercase());
    }
}

#[tokio::test]
async fn a_change_without_an_end_refuses_an_end_date() {
    let e = env().await;
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let until = Some(t0().date_naive() + chrono::Days::new(30));
    for command in [Command::Withdraw, Command::Reinstate] {
        let before = audit_len(&e.reg).await;
        let msg = invalid(
            e.reg
                .change_state(
                    &a("nl-rdi"),
                    &cert,
                    LifecycleRequest {
                        command,
                        reason: "recall".into(),
                        until,
                        reason_code: (command != Command::Reinstate).then(|| "other".into()),
                        reason_lang: None,
                    },
                )
                .await,
            "until",
        );
        assert!(msg.contains("only a suspension"), "{msg}");
        assert_eq!(audit_len(&e.reg).await, before);
    }
    // A suspension takes it.
    e.reg
        .change_state(
            &a("nl-rdi"),
            &cert,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "complaint".into(),
                until,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn advisory_imports_are_audited_and_counted_by_what_was_stored() {
    let e = env().await;
    world(&e.reg).await;
    // A CSAF document about products nobody registered: new on the first import although it
    // touches no component, unchanged on the second.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keurmerk-vuln/tests/fixtures/csaf/bsi-2022-0001.json");
    let by = Actor::token(
        OrgId::new("enisa").unwrap(),
        RecordId::new("TOK-000007").unwrap(),
    );
    let first = e
        .reg
        .import_advisories(&by, &path, false, &|_| {})
        .await
        .unwrap();
    assert_eq!((first.read, first.changed, first.unchanged), (1, 1, 0));
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "advisory.import");
    assert_eq!(rec.audit.credential.to_string(), "token:TOK-000007");
    assert!(rec.audit.detail["source"]
        .as_str()
        .unwrap()
        .ends_with("bsi-2022-0001.json"));
    let n = audit_len(&e.reg).await;
    let again = e
        .reg
        .import_advisories(&by, &path, false, &|_| {})
        .await
        .unwrap();
    assert_eq!((again.read, again.changed, again.unchanged), (1, 0, 1));
    assert_eq!(
        audit_len(&e.reg).await,
        n,
        "nothing stored, nothing audited"
    );
}

#[tokio::test]
async fn complaints_and_watch_lists_are_audited_without_personal_data() {
    let e = env().await;
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let c = e
        .reg
        .file_complaint(
            &cert,
            Some("someone@example.org".into()),
            "The camera streams without a password.",
            None,
        )
        .await
        .unwrap()
        .complaint;
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "complaint.file");
    assert_eq!(rec.audit.subject, c.id.to_string());
    assert_eq!(rec.audit.actor, None);
    assert_eq!(rec.audit.credential, Credential::Public);
    let text = serde_json::to_string(&rec).unwrap();
    assert!(
        !text.contains("someone@example.org") && !text.contains("password"),
        "{text}"
    );

    let key = "a".repeat(64);
    let (w, grant) = e
        .reg
        .create_watchlist("Plant 3", None, key, None)
        .await
        .unwrap();
    let rec = last_audit(&e.reg).await;
    assert_eq!(
        (rec.audit.action.as_str(), rec.audit.credential.clone()),
        ("watchlist.create", Credential::Public)
    );
    assert!(e
        .reg
        .watch(
            &grant,
            keurmerk_domain::watch::WatchKind::Certificate,
            cert.as_str()
        )
        .await
        .unwrap());
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "watchlist.watch");
    assert_eq!(rec.audit.subject, w.id.to_string());
    assert_eq!(rec.audit.actor, None);
    assert_eq!(rec.audit.credential, Credential::WatchKey(w.id.clone()));
    // Following it again changes nothing and records nothing.
    let n = audit_len(&e.reg).await;
    assert!(!e
        .reg
        .watch(
            &grant,
            keurmerk_domain::watch::WatchKind::Certificate,
            cert.as_str()
        )
        .await
        .unwrap());
    assert_eq!(audit_len(&e.reg).await, n);
    e.reg
        .unwatch(
            &grant,
            keurmerk_domain::watch::WatchKind::Certificate,
            cert.as_str(),
        )
        .await
        .unwrap();
    e.reg.delete_watchlist(grant).await.unwrap();
    let trail = e.reg.store().audit(2, None).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|r| r.audit.action.as_str()).collect();
    assert_eq!(actions, ["watchlist.delete", "watchlist.unwatch"]);
}

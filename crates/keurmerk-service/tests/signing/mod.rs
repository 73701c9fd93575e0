//! Issue 3: every statement is signed by its issuer's key; no key, no write; statements
//! re-verify against the trust list; rotation and revocation behave as documented.

use std::sync::Arc;

use chrono::Duration;
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::model::OrgRole;
use keurmerk_service::*;
use keurmerk_store::{CertificateFilter, CertificateStore, KeyStore, SqlStore};
use keurmerk_trust::{Role, StatementKind, TrustError, TrustList};

use crate::support::*;

async fn keyed_world() -> Env {
    // `world()` gives every organisation a key, plus the registry root key.
    let e = env().await;
    world(&e.reg).await;
    e
}

#[tokio::test]
async fn certify_signs_the_issued_statement_with_the_issuers_key() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let checks = e.reg.verify_statements(&id).await.unwrap();
    assert_eq!(checks.len(), 1);
    let st = checks[0].result.as_ref().unwrap();
    assert_eq!(st.statement.kind, StatementKind::CertificateIssued);
    assert_eq!(st.issuer.organisation_id, "nl-lab");
    assert_eq!(st.issuer.role, Role::AssessmentBody);
    assert_eq!(st.statement.certificate_id, id.to_string());
    assert_eq!(st.statement.signed_at, t0());
    assert_eq!(st.statement.payload["event"]["type"], "issued");

    // Suspension by the authority: signed by the authority's key.
    e.reg
        .change_state(
            &a("nl-rdi"),
            &id,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "critical vulnerability unpatched".into(),
                until: None,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    let checks = e.reg.verify_statements(&id).await.unwrap();
    assert_eq!(checks.len(), 2);
    let st = checks[1].result.as_ref().unwrap();
    assert_eq!(st.statement.kind, StatementKind::Suspended);
    assert_eq!(st.issuer.organisation_id, "nl-rdi");
    assert_eq!(st.issuer.role, Role::NationalAuthority);
}

#[tokio::test]
async fn the_log_queue_holds_the_signed_statement() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let entry: Vec<u8> = sqlx::query_scalar("SELECT entry FROM log_queue ORDER BY id DESC LIMIT 1")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    let list = e.reg.trust_list(1).await.unwrap();
    let v = keurmerk_trust::verify_statement(&entry, &list, t0()).unwrap();
    assert_eq!(v.statement.certificate_id, id.to_string());
}

#[tokio::test]
async fn an_organisation_without_a_key_cannot_write_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let reg = Registry::new(store.clone(), catalogue(), clock.clone())
        .with_signer(Signer::new(Arc::new(store.clone()), Secrets::memory()))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    world(&reg).await;
    // A new lab, authorised, but without a signing key.
    reg.create_organisation(
        &a("nl-rdi"),
        new_org("keyless-lab", OrgRole::AssessmentBody, "NL"),
    )
    .await
    .unwrap();
    reg.authorise(
        &a("nl-rdi"),
        &keurmerk_domain::ids::OrgId::new("keyless-lab").unwrap(),
        &scheme("eu-iot"),
        &level("substantial"),
    )
    .await
    .unwrap();
    let (p, v) = product(&reg, "maker").await;
    let asm = reg
        .record_assessment(
            &a("keyless-lab"),
            assessment(&reg, &p, &v, "eu-iot", "substantial"),
        )
        .await
        .unwrap();
    let before = audit_len(&reg).await;
    let msg = forbidden(reg.certify(&a("keyless-lab"), &asm.id, None).await);
    assert!(msg.contains("keyless-lab has no signing key"), "{msg}");
    assert!(
        msg.contains("keurmerk keys create --org keyless-lab"),
        "{msg}"
    );
    assert_eq!(audit_len(&reg).await, before);
    assert!(store
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .is_empty());
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);

    // A registry without any signer refuses too.
    let unsigned = Registry::new(store.clone(), catalogue(), clock);
    let msg = forbidden(unsigned.certify(&a("keyless-lab"), &asm.id, None).await);
    assert!(msg.contains("no signing keys"), "{msg}");
}

#[tokio::test]
async fn a_revoked_key_cannot_sign_a_suspension() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let rdi_key = e
        .reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| k.organisation_id == "nl-rdi")
        .unwrap()
        .0;
    e.reg
        .revoke_key(&rdi_key.key_id.to_string(), t0())
        .await
        .unwrap();
    e.clock.set(t0() + Duration::hours(1));
    let before = audit_len(&e.reg).await;
    let msg = forbidden(
        e.reg
            .change_state(
                &a("nl-rdi"),
                &id,
                LifecycleRequest {
                    command: Command::Suspend,
                    reason: "x".into(),
                    until: None,
                    reason_code: Some("other".into()),
                    reason_lang: None,
                },
            )
            .await,
    );
    assert!(msg.contains("no signing key"), "{msg}");
    assert_eq!(audit_len(&e.reg).await, before);
    assert_eq!(e.reg.store().events(&id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn rotation_keeps_old_statements_valid_and_revocation_invalidates_later_ones() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let first = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    e.clock.set(t0() + Duration::days(1));
    let new_key = e
        .reg
        .rotate_key(&keurmerk_domain::ids::OrgId::new("nl-lab").unwrap())
        .await
        .unwrap();
    e.clock.set(t0() + Duration::days(2));
    let second = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let s1 = e.reg.verify_statements(&first).await.unwrap();
    let s2 = e.reg.verify_statements(&second).await.unwrap();
    assert!(s1[0].result.is_ok(), "{:?}", s1[0].result);
    assert_eq!(s2[0].result.as_ref().unwrap().issuer.key_id, new_key.key_id);

    // The new key is compromised from day 2: the second certificate's statement fails, the
    // first (old key) still verifies.
    e.reg
        .revoke_key(&new_key.key_id.to_string(), t0() + Duration::days(2))
        .await
        .unwrap();
    let s1 = e.reg.verify_statements(&first).await.unwrap();
    let s2 = e.reg.verify_statements(&second).await.unwrap();
    assert!(s1[0].result.is_ok());
    assert!(matches!(s2[0].result, Err(TrustError::RevokedKey { .. })));
}

#[tokio::test]
async fn the_trust_list_lists_every_key_and_verifies_under_the_root_key() {
    let e = keyed_world().await;
    let signed = e.reg.signed_trust_list().await.unwrap();
    let root = e.reg.root_signing_key(t0()).await.unwrap().public_key();
    let list = TrustList::verify(&signed, &root).unwrap();
    assert_eq!(list.keys.len(), 8, "7 organisations + root");
    // Reading it again is not a write: the same list while nothing changed.
    assert_eq!(e.reg.signed_trust_list().await.unwrap(), signed);
    // A key change gives a new list at once, with a higher sequence.
    e.reg
        .rotate_key(&keurmerk_domain::ids::OrgId::new("nl-lab").unwrap())
        .await
        .unwrap();
    let rotated = TrustList::verify(&e.reg.signed_trust_list().await.unwrap(), &root).unwrap();
    assert!(rotated.sequence > list.sequence);
    assert_eq!(rotated.keys.len(), 9);
    // Unchanged keys are re-signed after an hour (fresh validity, higher sequence).
    e.clock
        .set(t0() + Duration::seconds(keurmerk_service::TRUST_LIST_REISSUE_SECS + 1));
    let later = TrustList::verify(&e.reg.signed_trust_list().await.unwrap(), &root).unwrap();
    assert!(later.sequence > rotated.sequence);
    assert!(later.issued_at > rotated.issued_at);
    assert!(TrustList::verify(
        &signed,
        &keurmerk_trust::SigningKey::generate().public_key()
    )
    .is_err());
}

#[tokio::test]
async fn key_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let keys = dir.path().join("keys");
    let signer = Signer::new(Arc::new(store.clone()), Secrets::dir(&keys));
    assert!(!format!("{signer:?}").contains("SigningKey"));
    let reg = Registry::new(store.clone(), catalogue(), Arc::new(ManualClock::new(t0())))
        .with_signer(signer)
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    let k = reg.create_root_key(KeyScope::default()).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys), 0o700);
        assert_eq!(mode(&keys.join(format!("{}.key", k.key_id))), 0o600);
    }
    assert_eq!(store.signing_keys().await.unwrap().len(), 1);
    // A second root key is refused while one is valid.
    assert!(reg.create_root_key(KeyScope::default()).await.is_err());
}

#[tokio::test]
async fn the_demo_is_fully_signed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let secrets = Secrets::dir(dir.path().join("keys"));
    demo::seed_with(store.clone(), catalogue(), t0(), secrets.clone())
        .await
        .unwrap();
    let reg = Registry::new(store.clone(), catalogue(), Arc::new(ManualClock::new(t0())))
        .with_signer(Signer::new(Arc::new(store.clone()), secrets))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    let certs = store
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    for c in &certs {
        let events = store.events(&c.id).await.unwrap();
        let checks = reg.verify_statements(&c.id).await.unwrap();
        assert_eq!(checks.len(), events.len(), "{}", c.id);
        for ch in checks {
            assert!(
                ch.result.is_ok(),
                "{} #{}: {:?}",
                c.id,
                ch.event_seq,
                ch.result
            );
        }
        // Every certificate has a label whose token verifies.
        let label = reg.label(&c.id).await.unwrap();
        let list = reg.trust_list(1).await.unwrap();
        let v =
            keurmerk_trust::verify_label_input(&label.url, &list, c.issued_at + Duration::hours(1));
        assert!(v.is_ok(), "{}: {v:?}", c.id);
    }
    let signed = reg.signed_status(&certs[0].id).await.unwrap();
    let list = reg.trust_list(1).await.unwrap();
    keurmerk_trust::StatusResponse::verify(&signed, &list, certs[0].id.as_str(), t0()).unwrap();
}

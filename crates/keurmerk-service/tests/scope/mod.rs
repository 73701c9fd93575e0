//! Issue 10: every key's scope is computed from the registry's data (authorisations, the scheme
//! catalogue) when the trust list is built, without wildcards; a claim outside it is rejected
//! offline, and the signed status binds what the label claims.

use std::sync::Arc;

use chrono::Duration;
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_service::*;
use keurmerk_store::{CertificateFilter, CertificateStore, SqlStore};
use keurmerk_trust::{
    issue_token_within, verify_label_input, verify_token, Act, Grant, IssuerKind, KeyInfo, Role,
    SigningKey, StatusResponse, TokenClaims, TrustError, TrustList,
};

use crate::support::*;

async fn keyed_world() -> Env {
    let e = env().await;
    world(&e.reg).await;
    e
}

fn key_of<'a>(list: &'a TrustList, org: &str) -> &'a KeyInfo {
    list.keys
        .iter()
        .find(|k| k.organisation_id == org)
        .unwrap_or_else(|| panic!("no key of {org}"))
}

fn issue_grants(k: &KeyInfo) -> Vec<(String, Vec<String>)> {
    k.scope
        .iter()
        .filter(|g| g.act == Act::Issue)
        .map(|g| (g.scheme.clone(), g.levels.clone()))
        .collect()
}

async fn secret(reg: &Registry<SqlStore>, k: &KeyInfo) -> SigningKey {
    reg.signer()
        .unwrap()
        .secrets()
        .load(&k.key_id)
        .unwrap()
        .unwrap()
}

fn no_wildcard(signed: &[u8]) {
    let text = String::from_utf8_lossy(signed);
    assert!(!text.contains("\"*\""), "{text}");
    let v: serde_json::Value = serde_json::from_slice(signed).unwrap();
    for k in v["trust_list"]["keys"].as_array().unwrap() {
        assert!(
            k.get("schemes").is_none() && k.get("levels").is_none(),
            "{k}"
        );
    }
}

#[tokio::test]
async fn every_key_is_scoped_by_what_its_organisation_may_sign() {
    let e = keyed_world().await;
    let signed = e.reg.signed_trust_list().await.unwrap();
    no_wildcard(&signed);
    let root = e.reg.root_signing_key(t0()).await.unwrap().public_key();
    let list = TrustList::verify(&signed, &root).unwrap();
    // A body: exactly its authorisations, from when they were granted.
    let lab = key_of(&list, "nl-lab");
    assert_eq!(
        lab.scope,
        vec![Grant {
            act: Act::Issue,
            scheme: "eu-iot".into(),
            levels: vec!["high".into(), "substantial".into()],
            valid_from: t0(),
            valid_until: None,
        }]
    );
    assert_eq!(
        issue_grants(key_of(&list, "de-lab")),
        [("eucc".to_owned(), vec!["substantial".to_owned()])]
    );
    // A manufacturer issues only self-assessable levels: never EUCC, never eu-iot high.
    let maker = issue_grants(key_of(&list, "maker"));
    assert!(
        maker.contains(&("eu-iot".to_owned(), vec!["basic".to_owned()])),
        "{maker:?}"
    );
    assert!(
        maker
            .iter()
            .all(|(s, l)| s != "eucc" && !l.contains(&"high".to_owned())),
        "{maker:?}"
    );
    // An authority supervises, in its member state, and never issues.
    let rdi = key_of(&list, "nl-rdi");
    assert_eq!(rdi.member_state.as_deref(), Some("NL"));
    assert!(issue_grants(rdi).is_empty());
    assert!(rdi
        .scope
        .iter()
        .any(|g| g.act == Act::Supervise && g.scheme == "eucc"));
    // The registry: its own acts only.
    let reg_keys: Vec<_> = list
        .keys
        .iter()
        .filter(|k| k.role == Role::Registry)
        .collect();
    assert!(!reg_keys.is_empty());
    assert!(reg_keys
        .iter()
        .all(|k| k.scope.iter().all(|g| g.act == Act::Registry)));
}

#[tokio::test]
async fn changing_an_authorisation_reissues_the_trust_list() {
    let e = keyed_world().await;
    let root = e.reg.root_signing_key(t0()).await.unwrap().public_key();
    let before = TrustList::verify(&e.reg.signed_trust_list().await.unwrap(), &root).unwrap();
    e.clock.set(t0() + Duration::days(10));
    e.reg
        .revoke_authorisation(
            &a("nl-rdi"),
            &OrgId::new("nl-lab").unwrap(),
            &scheme("eu-iot"),
            &level("high"),
        )
        .await
        .unwrap();
    let after = TrustList::verify(&e.reg.signed_trust_list().await.unwrap(), &root).unwrap();
    assert!(
        after.sequence > before.sequence,
        "re-issued at once, not after an hour"
    );
    let lab = key_of(&after, "nl-lab");
    let high = lab.scope.iter().find(|g| g.levels == ["high"]).unwrap();
    assert_eq!(high.valid_from, t0());
    assert_eq!(high.valid_until, Some(t0() + Duration::days(10)));
    assert!(lab
        .scope
        .iter()
        .any(|g| g.levels == ["substantial"] && g.valid_until.is_none()));
}

fn claims(id: &str, scheme: &str, level: &str, kind: IssuerKind) -> TokenClaims {
    TokenClaims {
        certificate_id: id.into(),
        product_name: "Forged Cam".into(),
        model_designation: "F-1".into(),
        scheme_id: scheme.into(),
        level: level.into(),
        issuer_kind: kind,
        issued_on: t0().date_naive(),
        valid_until: t0().date_naive() + Duration::days(700),
        support_until: t0().date_naive() + Duration::days(700),
        status_index: None,
    }
}

#[tokio::test]
async fn tokens_outside_a_keys_scope_are_rejected_offline() {
    let e = keyed_world().await;
    let list = e.reg.trust_list(1).await.unwrap();
    let now = t0() + Duration::days(20);
    let out_of_scope = |c: &TokenClaims, k: &SigningKey, list: &TrustList| {
        let t = issue_token_within(c, k, 400).unwrap();
        matches!(
            verify_token(&t, list, now),
            Err(TrustError::OutOfScope { .. })
        )
    };
    // The forgery of issue 10: a manufacturer's key claiming EUCC high, either way.
    let maker = secret(&e.reg, key_of(&list, "maker")).await;
    for kind in [IssuerKind::SelfDeclared, IssuerKind::ThirdParty] {
        assert!(
            out_of_scope(
                &claims("KM-2026-000001", "eucc", "high", kind),
                &maker,
                &list
            ),
            "{kind:?}"
        );
    }
    // Self-assessable: fine.
    let ok = issue_token_within(
        &claims(
            "KM-2026-000001",
            "eu-iot",
            "basic",
            IssuerKind::SelfDeclared,
        ),
        &maker,
        400,
    )
    .unwrap();
    assert!(verify_token(&ok, &list, now).is_ok());
    // A body outside its authorisations.
    let lab = secret(&e.reg, key_of(&list, "nl-lab")).await;
    assert!(out_of_scope(
        &claims(
            "KM-2026-000001",
            "eucc",
            "substantial",
            IssuerKind::ThirdParty
        ),
        &lab,
        &list
    ));
    // …and before its grant: authorised for EUCC substantial on day 5.
    e.clock.set(t0() + Duration::days(5));
    e.reg
        .authorise(
            &a("nl-rdi"),
            &OrgId::new("nl-lab").unwrap(),
            &scheme("eucc"),
            &level("substantial"),
        )
        .await
        .unwrap();
    let list = e.reg.trust_list(2).await.unwrap();
    let mut early = claims(
        "KM-2026-000001",
        "eucc",
        "substantial",
        IssuerKind::ThirdParty,
    );
    early.issued_on = t0().date_naive() + Duration::days(3);
    assert!(out_of_scope(&early, &lab, &list), "issued before the grant");
    early.issued_on = t0().date_naive() + Duration::days(6);
    assert!(!out_of_scope(&early, &lab, &list), "issued after the grant");
    // …and after its revocation, once the trust list says so.
    e.clock.set(t0() + Duration::days(10));
    e.reg
        .revoke_authorisation(
            &a("nl-rdi"),
            &OrgId::new("nl-lab").unwrap(),
            &scheme("eu-iot"),
            &level("high"),
        )
        .await
        .unwrap();
    let list = e.reg.trust_list(3).await.unwrap();
    let mut late = claims("KM-2026-000001", "eu-iot", "high", IssuerKind::ThirdParty);
    late.issued_on = t0().date_naive() + Duration::days(12);
    assert!(
        out_of_scope(&late, &lab, &list),
        "issued after the revocation"
    );
    late.issued_on = t0().date_naive() + Duration::days(2);
    let t = issue_token_within(&late, &lab, 400).unwrap();
    assert!(
        verify_token(&t, &list, now).is_ok(),
        "signed while authorised"
    );
    // An authority never issues.
    let rdi = secret(&e.reg, key_of(&list, "nl-rdi")).await;
    assert!(out_of_scope(
        &claims("KM-2026-000001", "eu-iot", "high", IssuerKind::ThirdParty),
        &rdi,
        &list
    ));
}

/// The signed status reuses the root key only while nothing changed the keys: rotating or
/// revoking it through the registry takes effect on the very next signed status.
#[tokio::test]
async fn a_rotated_or_revoked_root_key_stops_signing_statuses_at_once() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let keyid = |signed: &[u8]| -> String {
        let v: serde_json::Value = serde_json::from_slice(signed).unwrap();
        v["keyid"].as_str().unwrap().to_owned()
    };
    let first = keyid(&e.reg.signed_status(&id).await.unwrap());
    assert_eq!(keyid(&e.reg.signed_status(&id).await.unwrap()), first);
    let rotated = e.reg.rotate_root_key().await.unwrap();
    let signed = e.reg.signed_status(&id).await.unwrap();
    assert_ne!(
        keyid(&signed),
        first,
        "the rotated-out root key signed again"
    );
    assert_eq!(rotated.key_id.to_string(), keyid(&signed));
    let list = e.reg.trust_list(1).await.unwrap();
    StatusResponse::verify(&signed, &list, id.as_str(), e.reg.now()).unwrap();
    e.reg
        .revoke_key(&keyid(&signed), e.reg.now())
        .await
        .unwrap();
    match e.reg.signed_status(&id).await {
        Ok(again) => assert_ne!(keyid(&again), keyid(&signed), "a revoked root key signed"),
        Err(ServiceError::Forbidden(_)) => {}
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn the_signed_status_binds_the_labels_claims() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let list = e.reg.trust_list(1).await.unwrap();
    let now = t0() + Duration::minutes(1);
    let status = StatusResponse::verify(
        &e.reg.signed_status(&id).await.unwrap(),
        &list,
        id.as_str(),
        now,
    )
    .unwrap()
    .response;
    assert_eq!(
        (status.scheme_id.as_str(), status.level.as_str()),
        ("eu-iot", "substantial")
    );
    assert_eq!(status.issuer_org_id, "nl-lab");
    assert_eq!(status.product_id, p.to_string());
    let label = e.reg.label(&id).await.unwrap();
    let real = verify_label_input(&label.url, &list, now).unwrap();
    assert_eq!(status.check_label(&real), Ok(()));
    // Forged: the real certificate id at level high, signed by the issuing body's own key, which
    // is authorised for high: authentic offline, rejected online.
    let lab = secret(&e.reg, key_of(&list, "nl-lab")).await;
    let mut forged = label.claims.clone();
    forged.level = "high".into();
    let t = issue_token_within(&forged, &lab, 400).unwrap();
    let offline = verify_token(&t, &list, now).unwrap();
    assert!(matches!(
        status.check_label(&offline),
        Err(TrustError::ClaimsMismatch { field: "level", .. })
    ));
}

#[tokio::test]
async fn out_of_scope_signing_is_refused_before_anything_is_written() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    e.clock.set(t0() + Duration::days(1));
    e.reg
        .revoke_authorisation(
            &a("nl-rdi"),
            &OrgId::new("nl-lab").unwrap(),
            &scheme("eu-iot"),
            &level("substantial"),
        )
        .await
        .unwrap();
    let events = e.reg.store().events(&id).await.unwrap().len();
    // The body may no longer sign for eu-iot substantial: its suspension would not verify.
    let m = forbidden(
        e.reg
            .change_state(
                &a("nl-lab"),
                &id,
                LifecycleRequest {
                    command: Command::Suspend,
                    reason: "found a flaw".into(),
                    until: None,
                    reason_code: Some("other".into()),
                    reason_lang: None,
                },
            )
            .await,
    );
    assert!(
        m.contains("would not verify") && m.contains("eu-iot/substantial"),
        "{m}"
    );
    assert_eq!(e.reg.store().events(&id).await.unwrap().len(), events);
    // What it signed while authorised still verifies; the authority can act.
    assert!(e
        .reg
        .verify_statements(&id)
        .await
        .unwrap()
        .iter()
        .all(|c| c.result.is_ok()));
    e.reg
        .change_state(
            &a("nl-rdi"),
            &id,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "found a flaw".into(),
                until: None,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
}

/// `keurmerk serve --demo` publishes this list: no wildcard anywhere, and the demo signs only
/// within scope (every statement and label verifies, `signing::the_demo_is_fully_signed`).
#[tokio::test]
async fn the_demo_trust_list_has_no_wildcard() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let secrets = Secrets::memory();
    demo::seed_with(store.clone(), catalogue(), t0(), secrets.clone())
        .await
        .unwrap();
    let reg = Registry::new(store.clone(), catalogue(), Arc::new(ManualClock::new(t0())))
        .with_signer(Signer::new(Arc::new(store.clone()), secrets))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    let signed = reg.signed_trust_list().await.unwrap();
    no_wildcard(&signed);
    let list = TrustList::verify(
        &signed,
        &reg.root_signing_key(t0()).await.unwrap().public_key(),
    )
    .unwrap();
    for k in list.keys.iter().filter(|k| k.role == Role::Manufacturer) {
        assert!(
            issue_grants(k).iter().all(|(s, _)| s != "eucc"),
            "{}: {:?}",
            k.organisation_id,
            k.scope
        );
    }
    // Every demo certificate's signed status agrees with its label.
    for c in store
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
    {
        let id: CertificateId = c.id.clone();
        let label = reg.label(&id).await.unwrap();
        let at = c.issued_at + Duration::hours(1);
        let Ok(v) = verify_label_input(&label.url, &list, at) else {
            continue; // expired ones are covered by signing::the_demo_is_fully_signed
        };
        let st = StatusResponse::verify(
            &reg.signed_status(&id).await.unwrap(),
            &list,
            id.as_str(),
            t0(),
        )
        .unwrap();
        assert_eq!(st.response.check_label(&v), Ok(()), "{id}");
    }
}

/// The scope is dated by the authorisation: granting it again (while active, or after a
/// revocation) must not move its start past what the body already signed.
#[tokio::test]
async fn a_regrant_keeps_what_the_body_signed_verifying() {
    let e = keyed_world().await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let lab = OrgId::new("nl-lab").unwrap();
    let (s, l) = (scheme("eu-iot"), level("substantial"));
    e.clock.set(t0() + Duration::days(1));
    e.reg.authorise(&a("nl-rdi"), &lab, &s, &l).await.unwrap();
    e.clock.set(t0() + Duration::days(2));
    e.reg
        .revoke_authorisation(&a("nl-rdi"), &lab, &s, &l)
        .await
        .unwrap();
    e.clock.set(t0() + Duration::days(3));
    let again = e.reg.authorise(&a("nl-rdi"), &lab, &s, &l).await.unwrap();
    assert_eq!(again.granted_at, t0());
    let checks = e.reg.verify_statements(&id).await.unwrap();
    assert!(checks.iter().all(|c| c.result.is_ok()), "{checks:?}");
    let list = e.reg.trust_list(1).await.unwrap();
    let label = e.reg.label(&id).await.unwrap();
    assert!(verify_label_input(&label.url, &list, t0() + Duration::days(3)).is_ok());
}

//! A test for every denied path. Each also checks that the denial wrote nothing.

use keurmerk_domain::ids::OrgId;
use keurmerk_domain::lifecycle::{Command, Denial};
use keurmerk_domain::model::{Category, OrgRole, ProductIdentifiers};
use keurmerk_service::*;

use crate::support::*;

macro_rules! denied {
    ($env:expr, $call:expr) => {{
        let before = audit_len(&$env.reg).await;
        let msg = forbidden($call.await);
        assert_eq!(
            audit_len(&$env.reg).await,
            before,
            "a denied call wrote something"
        );
        msg
    }};
}

#[tokio::test]
async fn unknown_actor_may_do_nothing() {
    let e = env().await;
    world(&e.reg).await;
    let msg = denied!(
        e,
        e.reg.register_product(
            &a("ghost"),
            NewProduct {
                name: "x".into(),
                model: "x".into(),
                category: Category::Other,
                identifiers: ProductIdentifiers::default()
            }
        )
    );
    assert!(msg.contains("unknown organisation"), "{msg}");
}

#[tokio::test]
async fn only_operator_or_authority_registers_organisations() {
    let e = env().await;
    world(&e.reg).await;
    denied!(
        e,
        e.reg
            .create_organisation(&a("maker"), new_org("x", OrgRole::Manufacturer, "NL"))
    );
    denied!(
        e,
        e.reg
            .create_organisation(&a("nl-lab"), new_org("x", OrgRole::AssessmentBody, "NL"))
    );
    let m = denied!(
        e,
        e.reg
            .create_organisation(&a("nl-rdi"), new_org("x", OrgRole::Manufacturer, "NL"))
    );
    assert!(m.contains("assessment bodies in NL"), "{m}");
    denied!(
        e,
        e.reg
            .create_organisation(&a("nl-rdi"), new_org("x", OrgRole::AssessmentBody, "DE"))
    );
    denied!(
        e,
        e.reg
            .create_organisation(&a("enisa"), new_org("x", OrgRole::RegistryOperator, "GR"))
    );
    denied!(
        e,
        e.reg
            .bootstrap_operator(new_org("x", OrgRole::RegistryOperator, "GR"))
    );
}

#[tokio::test]
async fn only_the_home_authority_authorises_its_bodies() {
    let e = env().await;
    world(&e.reg).await;
    let lab = OrgId::new("nl-lab").unwrap();
    denied!(
        e,
        e.reg
            .authorise(&a("maker"), &lab, &scheme("eu-iot"), &level("substantial"))
    );
    denied!(
        e,
        e.reg
            .authorise(&a("enisa"), &lab, &scheme("eu-iot"), &level("substantial"))
    );
    let m = denied!(
        e,
        e.reg
            .authorise(&a("de-bsi"), &lab, &scheme("eu-iot"), &level("substantial"))
    );
    assert!(m.contains("established in NL"), "{m}");
    // Only the granting authority revokes.
    denied!(
        e,
        e.reg
            .revoke_authorisation(&a("de-bsi"), &lab, &scheme("eu-iot"), &level("substantial"))
    );
    invalid(
        e.reg
            .authorise(
                &a("nl-rdi"),
                &OrgId::new("maker").unwrap(),
                &scheme("eu-iot"),
                &level("basic"),
            )
            .await,
        "body",
    );
    invalid(
        e.reg
            .authorise(
                &a("nl-rdi"),
                &lab,
                &scheme("fi-traficom"),
                &level("labelled"),
            )
            .await,
        "scheme",
    );
    invalid(
        e.reg
            .authorise(&a("nl-rdi"), &lab, &scheme("eu-iot"), &level("ultra"))
            .await,
        "level",
    );
}

#[tokio::test]
async fn only_manufacturers_register_and_only_their_own_products_change() {
    let e = env().await;
    world(&e.reg).await;
    let np = || NewProduct {
        name: "x".into(),
        model: "x".into(),
        category: Category::Camera,
        identifiers: ProductIdentifiers::default(),
    };
    denied!(e, e.reg.register_product(&a("nl-lab"), np()));
    denied!(e, e.reg.register_product(&a("nl-rdi"), np()));
    let (p, _) = product(&e.reg, "maker").await;
    let nv = NewVersion {
        version: "2".into(),
        released_on: t0().date_naive(),
        security_update: false,
        notes: None,
    };
    denied!(e, e.reg.add_version(&a("other-maker"), &p, nv.clone()));
    denied!(e, e.reg.add_version(&a("nl-lab"), &p, nv));
    let nd = NewDependency {
        kind: keurmerk_domain::model::DependencyKind::Cloud,
        provider: "p".into(),
        service: "s".into(),
        certificate: None,
    };
    denied!(e, e.reg.add_dependency(&a("other-maker"), &p, nd));
}

#[tokio::test]
async fn self_assessment_only_where_the_scheme_allows_it() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let m = denied!(
        e,
        e.reg.record_assessment(
            &a("maker"),
            assessment(&e.reg, &p, &v, "eu-iot", "substantial")
        )
    );
    assert!(m.contains("does not allow self-assessment"), "{m}");
    denied!(
        e,
        e.reg.record_assessment(
            &a("maker"),
            assessment(&e.reg, &p, &v, "eucc", "substantial")
        )
    );
    denied!(
        e,
        e.reg
            .record_assessment(&a("maker"), assessment(&e.reg, &p, &v, "sg-cls", "l3"))
    );
    // Not someone else's product.
    denied!(
        e,
        e.reg.record_assessment(
            &a("other-maker"),
            assessment(&e.reg, &p, &v, "eu-iot", "basic")
        )
    );
    // Authorities do not assess.
    denied!(
        e,
        e.reg
            .record_assessment(&a("nl-rdi"), assessment(&e.reg, &p, &v, "eu-iot", "basic"))
    );
    // Legacy schemes no longer issue.
    let m = denied!(
        e,
        e.reg.record_assessment(
            &a("nl-lab"),
            assessment(&e.reg, &p, &v, "fi-traficom", "labelled")
        )
    );
    assert!(m.contains("legacy"), "{m}");
}

#[tokio::test]
async fn bodies_assess_only_what_they_are_authorised_for() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let m = denied!(
        e,
        e.reg.record_assessment(
            &a("de-lab"),
            assessment(&e.reg, &p, &v, "eu-iot", "substantial")
        )
    );
    assert!(m.contains("not authorised"), "{m}");
    denied!(
        e,
        e.reg
            .record_assessment(&a("de-lab"), assessment(&e.reg, &p, &v, "eucc", "high"))
    );
    // After revocation the body may no longer assess or issue.
    let asm = e
        .reg
        .record_assessment(
            &a("nl-lab"),
            assessment(&e.reg, &p, &v, "eu-iot", "substantial"),
        )
        .await
        .unwrap();
    e.reg
        .revoke_authorisation(
            &a("nl-rdi"),
            &OrgId::new("nl-lab").unwrap(),
            &scheme("eu-iot"),
            &level("substantial"),
        )
        .await
        .unwrap();
    denied!(
        e,
        e.reg.record_assessment(
            &a("nl-lab"),
            assessment(&e.reg, &p, &v, "eu-iot", "substantial")
        )
    );
    denied!(e, e.reg.certify(&a("nl-lab"), &asm.id, None));
}

#[tokio::test]
async fn only_the_assessor_issues_and_a_manufacturer_never_issues_third_party() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let asm = e
        .reg
        .record_assessment(
            &a("nl-lab"),
            assessment(&e.reg, &p, &v, "eu-iot", "substantial"),
        )
        .await
        .unwrap();
    let m = denied!(e, e.reg.certify(&a("maker"), &asm.id, None));
    assert!(m.contains("only the assessor"), "{m}");
    denied!(e, e.reg.certify(&a("de-lab"), &asm.id, None));
    denied!(e, e.reg.certify(&a("nl-rdi"), &asm.id, None));
}

#[tokio::test]
async fn high_needs_the_authoritys_approval() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let asm = e
        .reg
        .record_assessment(&a("nl-lab"), assessment(&e.reg, &p, &v, "eu-iot", "high"))
        .await
        .unwrap();
    let m = denied!(e, e.reg.certify(&a("nl-lab"), &asm.id, None));
    assert!(m.contains("approval"), "{m}");
    // Only the authority that authorised the lab approves.
    denied!(e, e.reg.approve_assessment(&a("de-bsi"), &asm.id));
    denied!(e, e.reg.approve_assessment(&a("maker"), &asm.id));
    e.reg
        .approve_assessment(&a("nl-rdi"), &asm.id)
        .await
        .unwrap();
    let c = e.reg.certify(&a("nl-lab"), &asm.id, None).await.unwrap();
    assert_eq!(c.authority, Some(OrgId::new("nl-rdi").unwrap()));
}

#[tokio::test]
async fn only_issuer_or_authority_suspends_or_withdraws() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let req = |c| LifecycleRequest {
        command: c,
        reason: "a reason".into(),
        until: None,
        reason_code: (c != Command::Reinstate).then(|| "other".into()),
        reason_lang: None,
    };
    for who in ["maker", "other-maker", "de-bsi", "de-lab", "enisa"] {
        for c in [Command::Suspend, Command::Withdraw] {
            if who == "enisa" && c == Command::Suspend {
                continue; // the registry's status policy may suspend
            }
            let before = audit_len(&e.reg).await;
            let r = e.reg.change_state(&a(who), &cert, req(c)).await;
            assert!(
                matches!(r, Err(ServiceError::Lifecycle(Denial::NotPermitted { .. }))),
                "{who} {c}: {r:?}"
            );
            assert_eq!(audit_len(&e.reg).await, before);
        }
    }
    e.reg
        .change_state(&a("nl-lab"), &cert, req(Command::Suspend))
        .await
        .unwrap();
    let r = e
        .reg
        .change_state(&a("maker"), &cert, req(Command::Reinstate))
        .await;
    assert!(
        matches!(r, Err(ServiceError::Lifecycle(Denial::NotPermitted { .. }))),
        "{r:?}"
    );
    let r = e
        .reg
        .change_state(&a("nl-lab"), &cert, req(Command::ExtendSuspension))
        .await;
    assert!(r.is_err(), "{r:?}");
    e.reg
        .change_state(&a("nl-rdi"), &cert, req(Command::Withdraw))
        .await
        .unwrap();
    let r = e
        .reg
        .change_state(&a("nl-rdi"), &cert, req(Command::Reinstate))
        .await;
    assert!(
        matches!(r, Err(ServiceError::Lifecycle(Denial::Terminal { .. }))),
        "{r:?}"
    );
    // People cannot request registry-only commands.
    invalid(
        e.reg
            .change_state(&a("nl-lab"), &cert, req(Command::Expire))
            .await,
        "command",
    );
}

#[tokio::test]
async fn self_declared_statements_are_suspended_by_the_maker_or_its_authority() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    let req = LifecycleRequest {
        command: Command::Suspend,
        reason: "r".into(),
        until: None,
        reason_code: Some("other".into()),
        reason_lang: None,
    };
    let r = e.reg.change_state(&a("de-bsi"), &cert, req.clone()).await;
    assert!(
        matches!(r, Err(ServiceError::Lifecycle(Denial::NotPermitted { .. }))),
        "{r:?}"
    );
    e.reg.change_state(&a("nl-rdi"), &cert, req).await.unwrap();
}

#[tokio::test]
async fn audit_trail_and_expiry_are_restricted() {
    let e = env().await;
    world(&e.reg).await;
    forbidden(e.reg.audit_trail(&a("maker"), 10, None).await);
    forbidden(e.reg.audit_trail(&a("nl-lab"), 10, None).await);
    assert!(!e
        .reg
        .audit_trail(&a("nl-rdi"), 10, None)
        .await
        .unwrap()
        .is_empty());
    assert!(!e
        .reg
        .audit_trail(&a("enisa"), 10, None)
        .await
        .unwrap()
        .is_empty());
    denied!(e, e.reg.expire_due(&a("nl-rdi")));
}

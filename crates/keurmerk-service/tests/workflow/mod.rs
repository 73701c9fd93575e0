//! The certification workflow end to end, and bad input.

use chrono::Duration;
use keurmerk_domain::lifecycle::{Command, State};
use keurmerk_domain::model::{
    Category, DependencyKind, ProductIdentifiers, SupportCommitment, UpdatePolicy, Verdict,
};
use keurmerk_domain::status::LabelStatus;
use keurmerk_service::*;

use crate::support::*;

#[tokio::test]
async fn self_declared_then_third_party_with_dependency_propagation() {
    let e = env().await;
    world(&e.reg).await;
    let (svc, sv) = product(&e.reg, "other-maker").await;
    let svc_cert = issued(&e.reg, "de-lab", &svc, &sv, "eucc", "substantial").await;
    let (p, v) = product(&e.reg, "maker").await;
    supported(&e.reg, "maker", &p, day(1000)).await;
    e.reg
        .add_dependency(
            &a("maker"),
            &p,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Other".into(),
                service: "Other Cloud".into(),
                certificate: Some(svc_cert.clone()),
            },
        )
        .await
        .unwrap();
    let cert = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    // No software list yet: not monitored, which the EU baseline asks attention for.
    let st = e.reg.status(&cert).await.unwrap();
    assert_eq!(st.status, LabelStatus::Attention);
    assert_eq!(
        st.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        vec!["not_monitored"]
    );
    e.reg
        .attach_sbom(
            &a("maker"),
            &v,
            "bom.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": []}"#,
        )
        .await
        .unwrap();
    assert_eq!(
        e.reg.status(&cert).await.unwrap().status,
        LabelStatus::Valid
    );

    // The service's certificate is suspended: the product's label asks for attention, naming it.
    e.reg
        .change_state(
            &a("de-lab"),
            &svc_cert,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "patch overdue".into(),
                until: None,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    let st = e.reg.status(&cert).await.unwrap();
    assert_eq!(st.status, LabelStatus::Attention);
    assert!(st.reasons[0]
        .text(keurmerk_domain::Lang::En)
        .contains("Other Cloud"));

    e.reg
        .change_state(
            &a("de-lab"),
            &svc_cert,
            LifecycleRequest {
                command: Command::Reinstate,
                reason: "patched".into(),
                until: None,
                reason_code: None,
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        e.reg.status(&cert).await.unwrap().status,
        LabelStatus::Valid
    );

    // A security update is covered at once.
    e.clock.set(t0() + Duration::days(30));
    e.reg
        .add_version(
            &a("maker"),
            &p,
            NewVersion {
                version: "1.0.1".into(),
                released_on: (t0() + Duration::days(30)).date_naive(),
                security_update: true,
                notes: None,
            },
        )
        .await
        .unwrap();
    let d = e.reg.certificate_details(&cert).await.unwrap();
    assert_eq!(
        d.view.latest_security_update().map(|v| v.version.as_str()),
        Some("1.0.1")
    );
    assert!(e.reg.verify_event_store().await.unwrap().is_empty());
}

#[tokio::test]
async fn expiry_is_recorded_by_the_registry() {
    let e = env().await;
    let none = e.reg.expire_due_scheduled().await.unwrap_err();
    assert!(none.to_string().contains("no registry operator"), "{none}");
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    e.clock.set(t0() + Duration::days(365 * 3 + 5));
    assert_eq!(
        e.reg.status(&cert).await.unwrap().status,
        LabelStatus::Expired
    );
    assert_eq!(
        e.reg.expire_due_scheduled().await.unwrap(),
        vec![cert.clone()],
        "the scheduled run acts as the registry operator"
    );
    assert_eq!(
        e.reg
            .certificate_details(&cert)
            .await
            .unwrap()
            .certificate
            .state,
        State::Expired
    );
    assert!(e.reg.expire_due(&a("enisa")).await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_is_named_and_writes_nothing() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let before = audit_len(&e.reg).await;

    let mut bad = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    bad.verdicts.insert("9.9-9".into(), Verdict::Pass);
    assert!(invalid(e.reg.record_assessment(&a("maker"), bad).await, "verdicts").contains("9.9-9"));

    let mut bad = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    bad.verdicts.insert(
        "5.2-1".into(),
        Verdict::NotApplicable {
            justification: "we have none".into(),
        },
    );
    assert!(
        invalid(e.reg.record_assessment(&a("maker"), bad).await, "verdicts")
            .contains("cannot be not applicable")
    );

    let mut bad = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    bad.verdicts.insert(
        "5.1-1".into(),
        Verdict::NotApplicable {
            justification: " ".into(),
        },
    );
    invalid(e.reg.record_assessment(&a("maker"), bad).await, "verdicts");

    let mut bad = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    bad.scheme = scheme("xx-nope");
    invalid(e.reg.record_assessment(&a("maker"), bad).await, "scheme");
    let mut bad = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    bad.level = level("gold");
    invalid(e.reg.record_assessment(&a("maker"), bad).await, "level");

    invalid(
        e.reg
            .register_product(
                &a("maker"),
                NewProduct {
                    name: " ".into(),
                    model: "m".into(),
                    category: Category::Camera,
                    identifiers: ProductIdentifiers::default(),
                },
            )
            .await,
        "name",
    );
    invalid(
        e.reg
            .register_product(
                &a("maker"),
                NewProduct {
                    name: "n".into(),
                    model: "m".into(),
                    category: Category::Camera,
                    identifiers: ProductIdentifiers {
                        gtin: Some("1234".into()),
                        ..Default::default()
                    },
                },
            )
            .await,
        "gtin",
    );
    invalid(
        e.reg
            .create_organisation(
                &a("enisa"),
                new_org(
                    "zz",
                    keurmerk_domain::model::OrgRole::Manufacturer,
                    "Netherlands",
                ),
            )
            .await,
        "member_state",
    );
    assert_eq!(audit_len(&e.reg).await, before);

    // A failed assessment is recorded, but nothing can be issued on it.
    let mut failing = assessment(&e.reg, &p, &v, "eu-iot", "basic");
    failing.verdicts.insert(
        "5.1-1".into(),
        Verdict::Fail {
            note: Some("admin/admin".into()),
        },
    );
    let asm = e.reg.record_assessment(&a("maker"), failing).await.unwrap();
    assert!(!asm.passed);
    invalid(
        e.reg.certify(&a("maker"), &asm.id, None).await,
        "assessment",
    );

    let ok = e
        .reg
        .record_assessment(&a("maker"), assessment(&e.reg, &p, &v, "eu-iot", "basic"))
        .await
        .unwrap();
    let too_long = (t0() + Duration::days(365 * 4)).date_naive();
    invalid(
        e.reg.certify(&a("maker"), &ok.id, Some(too_long)).await,
        "valid_until",
    );
    invalid(
        e.reg
            .certify(&a("maker"), &ok.id, Some(t0().date_naive()))
            .await,
        "valid_until",
    );

    // Support periods can be extended, not shortened.
    let sc = |days| SupportCommitment {
        support_until: (t0() + Duration::days(days)).date_naive(),
        update_policy: UpdatePolicy::UserInitiated,
        vulnerability_contact: "c".into(),
        disclosure_policy_url: None,
        password: None,
        updates_url: None,
    };
    e.reg.set_support(&a("maker"), &p, sc(500)).await.unwrap();
    invalid(
        e.reg.set_support(&a("maker"), &p, sc(400)).await,
        "support_until",
    );

    // Suspensions longer than the scheme allows are refused.
    let cert = e.reg.certify(&a("maker"), &ok.id, None).await.unwrap().id;
    let long = LifecycleRequest {
        command: Command::Suspend,
        reason: "r".into(),
        until: Some((t0() + Duration::days(43)).date_naive()),
        reason_code: Some("other".into()),
        reason_lang: None,
    };
    invalid(e.reg.change_state(&a("maker"), &cert, long).await, "until");
    let no_reason = LifecycleRequest {
        command: Command::Withdraw,
        reason: "".into(),
        until: None,
        reason_code: Some("other".into()),
        reason_lang: None,
    };
    invalid(
        e.reg.change_state(&a("maker"), &cert, no_reason).await,
        "reason",
    );
}

#[tokio::test]
async fn a_label_valid_only_while_supported_respects_the_support_period() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let certify = |valid_until: Option<chrono::NaiveDate>| {
        let reg = e.reg.clone();
        let (p, v) = (p.clone(), v.clone());
        async move {
            let asm = reg
                .record_assessment(&a("maker"), assessment(&reg, &p, &v, "sg-cls", "l1"))
                .await
                .unwrap();
            reg.certify(&a("maker"), &asm.id, valid_until).await
        }
    };
    // Singapore CLS labels are valid only while the device gets updates: without a stated
    // support period there is nothing to be valid against.
    let msg = invalid(certify(None).await, "support");
    assert!(msg.contains("not stated how long"), "{msg}");
    let support = commitment;
    let end = (t0() + Duration::days(200)).date_naive();
    e.reg
        .set_support(&a("maker"), &p, support(end))
        .await
        .unwrap();
    // The validity is capped at the end of support (the scheme would allow three years).
    let c = certify(None).await.unwrap();
    assert_eq!(c.valid_until, end);
    // A validity past the end of support is refused, naming why.
    let msg = invalid(certify(Some(end + Duration::days(1))).await, "valid_until");
    assert!(msg.contains("end of support"), "{msg}");

    // Under a scheme without that rule the support period does not cap validity.
    let eu = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    let d = e.reg.certificate_details(&eu).await.unwrap();
    assert!(d.certificate.valid_until > end);

    // Once support has ended, no label is issued.
    e.clock.set(t0() + Duration::days(201));
    let msg = invalid(certify(None).await, "support");
    assert!(msg.contains(&format!("ended on {end}")), "{msg}");
}

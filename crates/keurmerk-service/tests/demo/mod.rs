//! The demo dataset: realistic, complete, and every certificate rebuilds from its events.

use std::collections::BTreeMap;

use keurmerk_domain::event::fold;
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::{IssuerKind, OrgRole};
use keurmerk_domain::status::{LabelStatus, Reason};
use keurmerk_service::demo;
use keurmerk_store::{CertificateFilter, CertificateStore, SqlStore};

use crate::support::*;

async fn check(store: SqlStore) {
    let summary = demo::seed(store.clone(), catalogue(), t0()).await.unwrap();
    let count = |r| {
        summary
            .organisations
            .iter()
            .filter(|(_, role)| *role == r)
            .count()
    };
    assert!(count(OrgRole::Manufacturer) >= 3);
    assert_eq!(count(OrgRole::NationalAuthority), 3);
    assert!(count(OrgRole::AssessmentBody) >= 2);
    assert!(summary.products.len() >= 10);

    // Reading needs only the public keys (in the database) to verify the signed record.
    let reg = keurmerk_service::Registry::new(
        store.clone(),
        catalogue(),
        std::sync::Arc::new(keurmerk_service::ManualClock::new(t0())),
    )
    .with_signer(keurmerk_service::Signer::new(
        std::sync::Arc::new(store.clone()),
        keurmerk_service::Secrets::memory(),
    ))
    .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    let certs = store
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    let mut statuses = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    let mut schemes = std::collections::BTreeSet::new();
    let mut support_ending = 0;
    for c in &certs {
        // Rebuild from events and compare with the stored state.
        let view = fold(&store.events(&c.id).await.unwrap()).unwrap();
        assert_eq!(view.state, c.state, "{}", c.id);
        assert_eq!(view.valid_until, c.valid_until);
        assert_eq!(view.issuer, c.issuer);
        assert_eq!(view.issuer_kind, c.issuer_kind);
        let st = reg.status(&c.id).await.unwrap();
        *statuses.entry(st.status).or_insert(0) += 1;
        *kinds.entry(c.issuer_kind).or_insert(0) += 1;
        schemes.insert((c.scheme.clone(), c.level.clone()));
        support_ending += st
            .reasons
            .iter()
            .filter(|r| matches!(r, Reason::SupportEnding { .. }))
            .count();
    }
    assert!(reg.verify_event_store().await.unwrap().is_empty());
    let problems = reg.verify_all_integrity().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(statuses[&LabelStatus::Suspended] >= 1, "{statuses:?}");
    assert!(statuses[&LabelStatus::Expired] >= 1, "{statuses:?}");
    assert!(statuses[&LabelStatus::Withdrawn] >= 1, "{statuses:?}");
    assert!(statuses[&LabelStatus::Valid] >= 3, "{statuses:?}");
    assert!(support_ending >= 1);
    assert!(
        kinds[&IssuerKind::SelfDeclared] >= 3 && kinds[&IssuerKind::ThirdParty] >= 3,
        "{kinds:?}"
    );
    assert!(schemes.len() >= 6, "{schemes:?}");
    assert!(certs.iter().any(|c| c.state == State::Expired));

    // Seeding twice is refused.
    assert!(demo::seed(store.clone(), catalogue(), t0()).await.is_err());

    recognition_outcomes(&reg, &certs).await;
    versions_outcome(&reg, &certs).await;

    // An edit of a signed event's stored text, made directly in the database, is seen: by the
    // full check (naming certificate and event) and by everyone reading the status.
    let (seq, cert): (i64, String) = sqlx::query_as(
        "SELECT seq, certificate_id FROM events WHERE kind = 'suspended' ORDER BY seq LIMIT 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let id: keurmerk_domain::ids::CertificateId = cert.parse().unwrap();
    assert_eq!(
        reg.status(&id).await.unwrap().status,
        LabelStatus::Suspended
    );
    sqlx::query(
        "UPDATE events SET payload = REPLACE(payload, '\"reason\":\"', '\"reason\":\"Edited: ') \
         WHERE seq = $1",
    )
    .bind(seq)
    .execute(store.pool())
    .await
    .unwrap();
    let problems = reg.verify_all_integrity().await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].certificate.as_ref(), Some(&id));
    assert_eq!(problems[0].event, seq);
    assert!(problems[0]
        .to_string()
        .contains("differs from its signed statement"));
    let st = reg.status(&id).await.unwrap();
    assert_eq!(st.status, LabelStatus::Unknown);
    assert!(matches!(st.reasons[0], Reason::IntegrityProblem { event, .. } if event == seq));
    // What is shown is only what the signed record proves: never the edited reason.
    let details = reg.certificate_details(&id).await.unwrap();
    assert!(details.events.iter().all(|e| e.seq < seq));
    assert!(!format!("{:?}", details.status).contains("Edited"));
}

/// The doorbell (issue 12): 1.0 has an exploited critical problem and is still supported, 1.1
/// fixes it. The label is not green and names 1.0; for 1.0 the answer is "install 1.1"; 1.1 is
/// fine. 1.1 came in under the patch-management rule, on the holder's declaration.
async fn versions_outcome(
    reg: &keurmerk_service::Registry<SqlStore>,
    certs: &[keurmerk_domain::model::Certificate],
) {
    use keurmerk_domain::event::EventKind;
    let mut bell = None;
    for c in certs {
        let d = reg.certificate_details(&c.id).await.unwrap();
        if d.product.model == "BC-DB1" {
            bell = Some(d);
        }
    }
    let d = bell.expect("the demo has the doorbell");
    assert_eq!(d.certificate.issuer_kind, IssuerKind::ThirdParty);
    assert_eq!(d.status.covered_versions, vec!["1.0", "1.1"]);
    assert!(d.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::VersionChangeDeclared { covered: true, .. }
    )));
    let st = &d.status;
    assert_ne!(st.status, LabelStatus::Valid);
    assert!(st.support_until.is_some_and(|s| s > t0().date_naive()));
    assert!(
        matches!(&st.reasons[0], Reason::VulnerabilityOpen { exploited: true, severity: keurmerk_domain::model::Severity::Critical, versions, .. } if versions == &["1.0"]),
        "{:?}",
        st.reasons
    );
    let old = reg.version_status(&d.certificate.id, "1.0").await.unwrap();
    assert_eq!(
        old.reasons[0],
        Reason::InstallUpdate {
            version: "1.1".into(),
            vulnerabilities: vec!["GHSA-jfh8-c2jp-5v3q".into()],
        }
    );
    let new = reg.version_status(&d.certificate.id, "1.1").await.unwrap();
    assert_eq!(new.status, LabelStatus::Valid, "{:?}", new.reasons);
    assert!(new.reasons.is_empty());
}

/// The demo shows every recognition outcome (issue 11), through the service the API, CLI and
/// pages use; the demo's "today" is `t0()` (2026-06-01).
async fn recognition_outcomes(
    reg: &keurmerk_service::Registry<SqlStore>,
    certs: &[keurmerk_domain::model::Certificate],
) {
    use keurmerk_domain::i18n::Lang;
    use keurmerk_domain::recognition::{Outcome, RecognitionJson, Satisfaction};
    use keurmerk_domain::scheme::RecognitionKind;
    let of = |scheme: &str, level: &str| {
        certs
            .iter()
            .filter(|c| c.scheme.as_str() == scheme && c.level.as_str() == level)
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
    };
    let target = |r: &RecognitionJson, scheme: &str, level: &str| {
        r.targets
            .iter()
            .find(|t| t.scheme == scheme && t.level == level)
            .cloned()
            .unwrap()
    };
    let day = |d: &str| Some(d.parse::<chrono::NaiveDate>().unwrap());
    // Accepted by agreement: the CLS level 2 smart plug as the German IT-SiK.
    let plug = &of("sg-cls", "l2")[0];
    let r = reg.recognition(plug, None, Lang::En).await.unwrap();
    assert_eq!(r.at, t0().date_naive());
    let t = target(&r, "de-bsi-itsik", "declared");
    assert_eq!(t.outcome, Outcome::Accepted);
    assert_eq!(t.kind, Some(RecognitionKind::MutualRecognition));
    // Deemed compliance: the CLS level 1 speaker under UK PSTI.
    let speaker = &of("sg-cls", "l1")[0];
    let r = reg.recognition(speaker, None, Lang::Nl).await.unwrap();
    let t = target(&r, "uk-psti", "compliant");
    assert_eq!(t.kind, Some(RecognitionKind::DeemedCompliance));
    assert!(t.reasons[0].text.contains("geldt als"), "{:?}", t.reasons);
    // Meets by coverage: an EU IoT substantial certificate against UK PSTI.
    let eu = &of("eu-iot", "substantial")[0];
    let r = reg.recognition(eu, None, Lang::En).await.unwrap();
    let t = target(&r, "uk-psti", "compliant");
    assert_eq!(t.outcome, Outcome::MeetsRequirements);
    assert!(r.baseline.missing_mandatory.is_empty(), "{:?}", r.baseline);
    // Excluded category: the IT-SiK smoke alarm is not accepted as CLS level 2.
    let mut alarm = None;
    for id in of("de-bsi-itsik", "declared") {
        let d = reg.certificate_details(&id).await.unwrap();
        if d.product.category == keurmerk_domain::model::Category::Alarm {
            alarm = Some(id);
        }
    }
    let alarm = alarm.expect("the demo's smoke alarm");
    let r = reg.recognition(&alarm, None, Lang::De).await.unwrap();
    let t = target(&r, "sg-cls", "l2");
    // Not by agreement; its checks still cover level 2, so CSA's own procedure would apply.
    assert_eq!(t.outcome, Outcome::MeetsRequirements);
    assert!(
        t.reasons.iter().any(|w| w.code == "excluded_category"),
        "{:?}",
        t.reasons
    );
    // Not yet in force: JC-STAR ★1 for a simplified CLS level 1 application, from 2026-06-01.
    let jp = &of("jp-jc-star", "star1")[0];
    let before = reg
        .recognition(jp, day("2026-05-31"), Lang::Fr)
        .await
        .unwrap();
    let t = target(&before, "sg-cls", "l1");
    assert_ne!(t.outcome, Outcome::Accepted);
    assert!(
        t.reasons.iter().any(|w| w.code == "not_yet_in_force"),
        "{:?}",
        t.reasons
    );
    let on = reg
        .recognition(jp, day("2026-06-01"), Lang::Fr)
        .await
        .unwrap();
    assert_eq!(
        target(&on, "sg-cls", "l1").kind,
        Some(RecognitionKind::SimplifiedApplication)
    );
    // Transition: the legacy Finnish label is recognised as CLS level 3, with its source.
    let fi = &of("fi-traficom", "labelled")[0];
    let r = reg.recognition(fi, None, Lang::En).await.unwrap();
    let t = target(&r, "sg-cls", "l3");
    assert_eq!(t.outcome, Outcome::Accepted);
    assert!(
        t.reasons[0].text.contains("Singapore and Finland"),
        "{:?}",
        t.reasons
    );
    // Supervision follows the scheme's jurisdiction: no EU authority for a UK PSTI statement
    // or a Singapore label declared by a Dutch or Finnish maker; the Dutch authority for an
    // EU declaration.
    for c in certs {
        match c.scheme.as_str() {
            "uk-psti" | "sg-cls" | "jp-jc-star" => assert_eq!(c.authority, None, "{}", c.id),
            "eu-cra" => assert_eq!(c.authority.as_ref().map(|a| a.as_str()), Some("nl-rdi")),
            "fi-traficom" => {
                assert_eq!(
                    c.authority.as_ref().map(|a| a.as_str()),
                    Some("fi-traficom-ncsc")
                )
            }
            _ => {}
        }
    }
    // Market access of the PSTI thermostat: met directly in the UK; in the EU the radio rules
    // are missing and the plan says what to assess.
    let psti = certs
        .iter()
        .find(|c| c.scheme.as_str() == "uk-psti")
        .unwrap();
    let m = reg
        .market_access(&psti.product, "EU,UK,SG", None)
        .await
        .unwrap();
    assert_eq!(m.markets[1].market, "GB");
    assert_eq!(m.markets[1].mandatory[0].satisfied, Satisfaction::Directly);
    let red = m.markets[0]
        .mandatory
        .iter()
        .find(|r| r.scheme == "eu-red-en18031")
        .unwrap();
    assert_eq!(red.satisfied, Satisfaction::NotSatisfied);
    assert_eq!(m.plan.regimes, ["eu-red-en18031/conformity"]);
    assert_eq!(m.plan.provisions, red.missing);
    assert!(reg
        .market_access(&psti.product, "EU,ZZ", None)
        .await
        .is_err());
}

#[tokio::test]
async fn demo_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    check(store).await;
}

#[tokio::test]
async fn demo_on_postgres() {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        eprintln!(
            "skipped: KEURMERK_TEST_POSTGRES is not set, so the demo is not tested on PostgreSQL"
        );
        return;
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = SqlStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    check(store.clone()).await;
    sqlx_drop(&store, &schema).await;
}

async fn sqlx_drop(store: &SqlStore, schema: &str) {
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(store.pool())
        .await
        .unwrap();
}

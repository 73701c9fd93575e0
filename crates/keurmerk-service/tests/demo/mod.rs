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
    assert_eq!(count(OrgRole::NationalAuthority), 2);
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

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

    let reg = keurmerk_service::Registry::new(
        store.clone(),
        catalogue(),
        std::sync::Arc::new(keurmerk_service::ManualClock::new(t0())),
    );
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
    assert!(demo::seed(store, catalogue(), t0()).await.is_err());
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

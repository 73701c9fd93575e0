use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::model::{Category, OrgRole, ProductIdentifiers, Verdict};
use keurmerk_domain::scheme::Catalogue;
use keurmerk_service::*;
use keurmerk_store::{AuditStore, SqlStore};

pub use keurmerk_domain::scheme::SHIPPED as SCHEMES;

pub fn catalogue() -> Arc<Catalogue> {
    Arc::new(Catalogue::from_files(SCHEMES).unwrap())
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap()
}

pub struct Env {
    pub reg: Registry<SqlStore>,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    Env {
        reg: registry(store, clock.clone()),
        clock,
        _dir: dir,
    }
}

/// Runs `test` on a registry over a fresh PostgreSQL schema (its store passed through `adjust`
/// first), then drops the schema; does nothing without `KEURMERK_TEST_POSTGRES`.
pub async fn on_postgres(
    adjust: impl FnOnce(SqlStore) -> SqlStore,
    test: impl AsyncFnOnce(&Registry<SqlStore>),
) {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        return;
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = adjust(
        SqlStore::connect_in_schema(&url, Some(&schema))
            .await
            .unwrap(),
    );
    test(&registry(store.clone(), Arc::new(ManualClock::new(t0())))).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(store.pool())
        .await
        .unwrap();
}

/// A registry over `store` (either backend) with the shipped schemes, `clock`, a signer with
/// keys in memory and the CLI credential `test`.
pub fn registry(store: SqlStore, clock: Arc<ManualClock>) -> Registry<SqlStore> {
    Registry::new(store.clone(), catalogue(), clock)
        .with_signer(Signer::new(Arc::new(store), Secrets::memory()))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()))
}

pub fn a(s: &str) -> Actor {
    Actor::cli(OrgId::new(s).unwrap(), "test")
}
pub fn scheme(s: &str) -> SchemeId {
    SchemeId::new(s).unwrap()
}
pub fn level(s: &str) -> LevelId {
    LevelId::new(s).unwrap()
}

pub fn new_org(id: &str, role: OrgRole, ms: &str) -> NewOrganisation {
    NewOrganisation {
        id: OrgId::new(id).unwrap(),
        name: format!("{id} org"),
        role,
        member_state: ms.into(),
        contact: None,
    }
}

/// operator `enisa`; authorities `nl-rdi` (NL), `de-bsi` (DE); labs `nl-lab` (NL, eu-iot
/// substantial+high), `de-lab` (DE, eucc substantial); makers `maker` (NL), `other-maker` (DE).
pub async fn world(reg: &Registry<SqlStore>) {
    reg.bootstrap_operator(new_org("enisa", OrgRole::RegistryOperator, "GR"))
        .await
        .unwrap();
    let op = a("enisa");
    for (id, role, ms) in [
        ("nl-rdi", OrgRole::NationalAuthority, "NL"),
        ("de-bsi", OrgRole::NationalAuthority, "DE"),
        ("maker", OrgRole::Manufacturer, "NL"),
        ("other-maker", OrgRole::Manufacturer, "DE"),
    ] {
        reg.create_organisation(&op, new_org(id, role, ms))
            .await
            .unwrap();
    }
    reg.create_organisation(
        &a("nl-rdi"),
        new_org("nl-lab", OrgRole::AssessmentBody, "NL"),
    )
    .await
    .unwrap();
    reg.create_organisation(
        &a("de-bsi"),
        new_org("de-lab", OrgRole::AssessmentBody, "DE"),
    )
    .await
    .unwrap();
    keys_for_all(reg).await;
    reg.authorise(
        &a("nl-rdi"),
        &OrgId::new("nl-lab").unwrap(),
        &scheme("eu-iot"),
        &level("substantial"),
    )
    .await
    .unwrap();
    reg.authorise(
        &a("nl-rdi"),
        &OrgId::new("nl-lab").unwrap(),
        &scheme("eu-iot"),
        &level("high"),
    )
    .await
    .unwrap();
    reg.authorise(
        &a("de-bsi"),
        &OrgId::new("de-lab").unwrap(),
        &scheme("eucc"),
        &level("substantial"),
    )
    .await
    .unwrap();
}

/// A signing key for every organisation without one, and the registry root key (issue 3: every
/// statement is signed, so an organisation without a key cannot act).
pub async fn keys_for_all(reg: &Registry<SqlStore>) {
    let scope = || KeyScope {
        valid_until: Some(t0() + chrono::Duration::days(20 * 365)),
        ..Default::default()
    };
    let have: Vec<String> = reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.organisation_id)
        .collect();
    if !reg.keys().await.unwrap().iter().any(|(_, root)| *root) {
        reg.create_root_key(scope()).await.unwrap();
    }
    for o in reg.organisations().await.unwrap() {
        if !have.contains(&o.id.to_string()) {
            reg.create_key(&o.id, scope()).await.unwrap();
        }
    }
}

/// A product of `maker` with one version; returns (product, version).
pub async fn product(reg: &Registry<SqlStore>, maker: &str) -> (RecordId, RecordId) {
    named_product(reg, maker, "Cosy Cam", "CC-1", Category::Camera).await
}

/// A support commitment until `until`: automatic updates, a security contact, no password and
/// no update page.
pub fn commitment(until: chrono::NaiveDate) -> keurmerk_domain::model::SupportCommitment {
    keurmerk_domain::model::SupportCommitment {
        support_until: until,
        update_policy: keurmerk_domain::model::UpdatePolicy::Automatic,
        vulnerability_contact: "security@maker.example".into(),
        disclosure_policy_url: None,
        password: None,
        updates_url: None,
    }
}

/// `maker` sets [`commitment`]`(until)` for `p`.
pub async fn supported(
    reg: &Registry<SqlStore>,
    maker: &str,
    p: &RecordId,
    until: chrono::NaiveDate,
) {
    reg.set_support(&a(maker), p, commitment(until))
        .await
        .unwrap();
}

/// The day `days` after [`t0`].
pub fn day(days: i64) -> chrono::NaiveDate {
    (t0() + chrono::Duration::days(days)).date_naive()
}

/// [`product`] with its name, model and category.
pub async fn named_product(
    reg: &Registry<SqlStore>,
    maker: &str,
    name: &str,
    model: &str,
    category: Category,
) -> (RecordId, RecordId) {
    let p = reg
        .register_product(
            &a(maker),
            NewProduct {
                name: name.into(),
                model: model.into(),
                category,
                identifiers: ProductIdentifiers::default(),
            },
        )
        .await
        .unwrap();
    let v = reg
        .add_version(
            &a(maker),
            &p.id,
            NewVersion {
                version: "1.0.0".into(),
                released_on: t0().date_naive(),
                security_update: false,
                notes: None,
            },
        )
        .await
        .unwrap();
    (p.id, v.id)
}

pub fn all_pass(reg: &Registry<SqlStore>, s: &str, l: &str) -> VerdictInput {
    let sc = reg.catalogue().get(&scheme(s)).unwrap();
    let lv = sc.level(&level(l)).unwrap();
    sc.required_at(lv)
        .into_iter()
        .map(|r| (r.id.clone(), Verdict::Pass))
        .collect()
}

pub fn assessment(
    reg: &Registry<SqlStore>,
    p: &RecordId,
    v: &RecordId,
    s: &str,
    l: &str,
) -> NewAssessment {
    NewAssessment {
        product: p.clone(),
        version: v.clone(),
        scheme: scheme(s),
        level: level(l),
        verdicts: all_pass(reg, s, l),
        evidence: vec![],
    }
}

/// Issues a certificate through the whole flow.
pub async fn issued(
    reg: &Registry<SqlStore>,
    assessor: &str,
    p: &RecordId,
    v: &RecordId,
    s: &str,
    l: &str,
) -> CertificateId {
    let asm = reg
        .record_assessment(&a(assessor), assessment(reg, p, v, s, l))
        .await
        .unwrap();
    reg.certify(&a(assessor), &asm.id, None).await.unwrap().id
}

pub async fn audit_len(reg: &Registry<SqlStore>) -> usize {
    reg.store().audit(10_000, None).await.unwrap().len()
}

pub fn forbidden<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> String {
    match r {
        Err(ServiceError::Forbidden(m)) => m,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

pub fn invalid<T: std::fmt::Debug>(r: Result<T, ServiceError>, field: &str) -> String {
    match r {
        Err(ServiceError::Invalid { field: f, problem }) if f == field => problem,
        other => panic!("expected Invalid {field}, got {other:?}"),
    }
}

/// Runs the log's sequencer (a fresh log key) until the queue is empty.
pub async fn log_everything(reg: &Registry<SqlStore>) {
    let key = keurmerk_transparency::LogKey::generate("test.example/log").unwrap();
    let seq = keurmerk_transparency::Sequencer::new(reg.store(), key, Default::default())
        .await
        .unwrap();
    while seq.step().await.unwrap().is_some() {}
}

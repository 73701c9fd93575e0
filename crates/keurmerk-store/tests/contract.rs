//! One contract suite, run against every backend: each test body is written once and
//! instantiated for SQLite (always) and PostgreSQL (when `KEURMERK_TEST_POSTGRES` is set; each
//! test gets its own schema, dropped afterwards).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use keurmerk_domain::complaint::{ComplaintState, Outcome};
use keurmerk_domain::event::{Event, EventKind};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_domain::model::*;
use keurmerk_store::*;

struct Db {
    store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl Db {
    async fn drop_schema(self) {
        if let Some((_, schema)) = &self.pg_schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(self.store.pool())
                .await
                .unwrap();
        }
        self.store.close().await;
    }
}

async fn sqlite() -> Option<Db> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    Some(Db {
        store: SqlStore::connect(&url).await.unwrap(),
        _dir: Some(dir),
        pg_schema: None,
    })
}

async fn postgres() -> Option<Db> {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set, so the PostgreSQL backend is not tested here");
        return None;
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = SqlStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    Some(Db {
        store,
        _dir: None,
        pg_schema: Some((url, schema)),
    })
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() {
                let db = super::sqlite().await.unwrap();
                super::$name(&db.store).await;
                db.drop_schema().await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                let Some(db) = super::postgres().await else { return };
                super::$name(&db.store).await;
                db.drop_schema().await;
            })*
        }
    };
}

contract!(
    organisations_round_trip,
    duplicate_org_is_reported,
    authorisations_upsert,
    products_versions_support_dependencies,
    product_search,
    assessments_round_trip,
    certificate_events_append_only_with_optimistic_concurrency,
    every_write_is_audited,
    sequences_are_per_name,
    watch_lists_queue_deliveries_with_the_event,
    tokens_and_complaints_round_trip,
    complaint_steps_are_conditional_on_the_state_they_start_from,
    the_published_trust_list_never_goes_back,
    certificate_numbers_are_taken_when_the_issue_commits,
    follow_ups_are_stored_with_their_event_and_claimed_once,
    product_writes_store_their_follow_ups_in_their_transaction,
    an_idempotency_key_is_recorded_with_the_first_write,
    labels_are_found_by_every_field_and_filtered,
    search_documents_are_checked_and_repaired,
    search_hits_show_the_products_image_as_it_is_now,
    words_with_or_without_accents_find_the_same_labels,
    scheduler_due_times_and_lease,
    aliases_find_a_vulnerability_by_any_id,
    exploited_marks_keep_their_first_date,
    severities_are_kept_per_source,
    label_status_rows_are_served_only_for_the_current_event,
    every_input_edit_clears_the_stored_label_status,
    the_status_list_reads_a_word_only_from_a_row_a_lookup_would_serve,
    cra_drafts_and_reports_round_trip,
    product_images_are_stored_by_content,
);

#[path = "contract/cra.rs"]
mod cra;
use cra::cra_drafts_and_reports_round_trip;

#[path = "contract/images.rs"]
mod images;
use images::product_images_are_stored_by_content;

#[path = "contract/search.rs"]
mod search;
use search::{
    labels_are_found_by_every_field_and_filtered, search_documents_are_checked_and_repaired,
    search_hits_show_the_products_image_as_it_is_now,
    words_with_or_without_accents_find_the_same_labels,
};

#[path = "contract/vuln.rs"]
mod vuln;
use vuln::{
    aliases_find_a_vulnerability_by_any_id, exploited_marks_keep_their_first_date,
    severities_are_kept_per_source,
};

#[path = "contract/label_status.rs"]
mod label_status;
use label_status::{
    every_input_edit_clears_the_stored_label_status,
    label_status_rows_are_served_only_for_the_current_event,
    the_status_list_reads_a_word_only_from_a_row_a_lookup_would_serve,
};

#[path = "contract/atomic.rs"]
mod atomic;
use atomic::{
    an_idempotency_key_is_recorded_with_the_first_write,
    certificate_numbers_are_taken_when_the_issue_commits,
    follow_ups_are_stored_with_their_event_and_claimed_once,
    product_writes_store_their_follow_ups_in_their_transaction,
};

fn at(day: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::days(day)
}

fn audit(actor: &str, action: &str) -> Audit {
    Audit {
        at: at(0),
        actor: Some(OrgId::new(actor).unwrap()),
        credential: Credential::ApiToken(RecordId::new("TOK-000001").unwrap()),
        action: action.into(),
        subject: "x".into(),
        detail: serde_json::json!({"k": "v"}),
    }
}

fn org(id: &str, role: OrgRole) -> Organisation {
    Organisation {
        id: OrgId::new(id).unwrap(),
        name: format!("{id} name"),
        role,
        member_state: "NL".into(),
        contact: Some("security@example.org".into()),
        created_at: at(0),
    }
}

fn rid(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

async fn seed(s: &SqlStore) -> Product {
    s.insert_org(
        &org("maker", OrgRole::Manufacturer),
        &audit("enisa", "org.create"),
    )
    .await
    .unwrap();
    s.insert_org(
        &org("lab", OrgRole::AssessmentBody),
        &audit("enisa", "org.create"),
    )
    .await
    .unwrap();
    let p = Product {
        id: rid("PRD-000001"),
        manufacturer: OrgId::new("maker").unwrap(),
        name: "Cosy Cam".into(),
        model: "CC-200".into(),
        category: Category::Camera,
        identifiers: ProductIdentifiers {
            gtin: Some("08712345678906".into()),
            purl: None,
            cpe: None,
        },
        created_at: at(0),
    };
    s.insert_product(&p, &audit("maker", "product.register"))
        .await
        .unwrap();
    p
}

async fn organisations_round_trip(s: &SqlStore) {
    let o = org("nl-rdi", OrgRole::NationalAuthority);
    s.insert_org(&o, &audit("enisa", "org.create"))
        .await
        .unwrap();
    assert_eq!(s.org(&o.id).await.unwrap(), Some(o.clone()));
    assert_eq!(s.orgs().await.unwrap(), vec![o]);
    assert_eq!(s.org(&OrgId::new("nope").unwrap()).await.unwrap(), None);
}

async fn duplicate_org_is_reported(s: &SqlStore) {
    let o = org("maker", OrgRole::Manufacturer);
    s.insert_org(&o, &audit("enisa", "org.create"))
        .await
        .unwrap();
    let e = s
        .insert_org(&o, &audit("enisa", "org.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::AlreadyExists {
                what: "organisation",
                ..
            }
        ),
        "{e}"
    );
    // The failed write left no audit record behind.
    assert_eq!(s.audit(10, None).await.unwrap().len(), 1);
}

async fn authorisations_upsert(s: &SqlStore) {
    s.insert_org(
        &org("lab", OrgRole::AssessmentBody),
        &audit("enisa", "org.create"),
    )
    .await
    .unwrap();
    s.insert_org(
        &org("nl-rdi", OrgRole::NationalAuthority),
        &audit("enisa", "org.create"),
    )
    .await
    .unwrap();
    let mut a = Authorisation {
        body: OrgId::new("lab").unwrap(),
        scheme: SchemeId::new("eu-iot").unwrap(),
        level: LevelId::new("substantial").unwrap(),
        granted_by: OrgId::new("nl-rdi").unwrap(),
        granted_at: at(1),
        revoked_at: None,
        expires_at: None,
    };
    s.upsert_authorisation(&a, &audit("nl-rdi", "authorise"))
        .await
        .unwrap();
    // Granted again for a period: the lapse is stored and read back.
    a.expires_at = Some(at(9));
    s.upsert_authorisation(&a, &audit("nl-rdi", "authorise"))
        .await
        .unwrap();
    assert_eq!(s.authorisations(&a.body).await.unwrap(), vec![a.clone()]);
    a.revoked_at = Some(at(5));
    s.upsert_authorisation(&a, &audit("nl-rdi", "revoke"))
        .await
        .unwrap();
    assert_eq!(s.authorisations(&a.body).await.unwrap(), vec![a]);
}

async fn products_versions_support_dependencies(s: &SqlStore) {
    let p = seed(s).await;
    assert_eq!(s.product(&p.id).await.unwrap(), Some(p.clone()));
    let v1 = ProductVersion {
        id: rid("VER-000001"),
        product: p.id.clone(),
        version: "1.0.0".into(),
        released_on: NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
        security_update: false,
        notes: None,
    };
    let v2 = ProductVersion {
        id: rid("VER-000002"),
        version: "1.0.1".into(),
        security_update: true,
        released_on: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
        notes: Some("fix".into()),
        ..v1.clone()
    };
    s.insert_version(&v2, &audit("maker", "version.add"), &[])
        .await
        .unwrap();
    s.insert_version(&v1, &audit("maker", "version.add"), &[])
        .await
        .unwrap();
    assert_eq!(
        s.versions(&p.id).await.unwrap(),
        vec![v1.clone(), v2.clone()]
    );
    let dup = ProductVersion {
        id: rid("VER-000003"),
        ..v1.clone()
    };
    assert!(matches!(
        s.insert_version(&dup, &audit("maker", "version.add"), &[])
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let sc = SupportCommitment {
        support_until: NaiveDate::from_ymd_opt(2031, 12, 31).unwrap(),
        update_policy: UpdatePolicy::Automatic,
        vulnerability_contact: "https://maker.example/security".into(),
        disclosure_policy_url: None,
        password: None,
        updates_url: None,
    };
    s.set_support(&p.id, &sc, &audit("maker", "support.set"), &[])
        .await
        .unwrap();
    assert_eq!(s.support(&p.id).await.unwrap(), Some(sc.clone()));
    // The setup facts round-trip and can be changed with the period.
    let sc2 = SupportCommitment {
        support_until: NaiveDate::from_ymd_opt(2032, 6, 30).unwrap(),
        password: Some(PasswordSetup::SetOnFirstUse),
        updates_url: Some("https://maker.example/updates".into()),
        ..sc
    };
    s.set_support(&p.id, &sc2, &audit("maker", "support.set"), &[])
        .await
        .unwrap();
    assert_eq!(s.support(&p.id).await.unwrap(), Some(sc2));

    let cert = CertificateId::new("KM-2026-000009").unwrap();
    let d = Dependency {
        id: rid("DEP-000001"),
        product: p.id.clone(),
        kind: DependencyKind::Cloud,
        provider: "Nimbus".into(),
        service: "Nimbus IoT Cloud".into(),
        certificate: Some(cert.clone()),
    };
    s.insert_dependency(&d, &audit("maker", "dependency.add"), &[])
        .await
        .unwrap();
    assert_eq!(s.dependencies(&p.id).await.unwrap(), vec![d.clone()]);
    assert_eq!(s.dependents(&cert).await.unwrap(), vec![d]);
}

async fn product_search(s: &SqlStore) {
    seed(s).await;
    let find = |t: &str| ProductFilter {
        text: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(s.products(&find("cosy")).await.unwrap().len(), 1);
    assert_eq!(s.products(&find("cc-2")).await.unwrap().len(), 1);
    assert_eq!(s.products(&find("MAKER NAME")).await.unwrap().len(), 1);
    assert_eq!(s.products(&find("0871234")).await.unwrap().len(), 1);
    assert_eq!(s.products(&find("router")).await.unwrap().len(), 0);
    assert_eq!(
        s.products(&find("%")).await.unwrap().len(),
        1,
        "wildcards are literal-stripped"
    );
    let by_maker = ProductFilter {
        manufacturer: Some(OrgId::new("lab").unwrap()),
        ..Default::default()
    };
    assert!(s.products(&by_maker).await.unwrap().is_empty());
    let page = ProductFilter {
        limit: 1,
        offset: 1,
        ..Default::default()
    };
    assert!(s.products(&page).await.unwrap().is_empty());
}

async fn assessments_round_trip(s: &SqlStore) {
    let p = seed(s).await;
    let v = ProductVersion {
        id: rid("VER-000001"),
        product: p.id.clone(),
        version: "1".into(),
        released_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        security_update: false,
        notes: None,
    };
    s.insert_version(&v, &audit("maker", "version.add"), &[])
        .await
        .unwrap();
    let mut a = Assessment {
        id: rid("ASM-000001"),
        product: p.id.clone(),
        version: v.id.clone(),
        scheme: SchemeId::new("eu-iot").unwrap(),
        level: LevelId::new("high").unwrap(),
        assessor: OrgId::new("lab").unwrap(),
        assessor_kind: IssuerKind::ThirdParty,
        verdicts: [
            ("5.1-1".to_string(), Verdict::Pass),
            (
                "5.1-2".to_string(),
                Verdict::NotApplicable {
                    justification: "no passwords".into(),
                },
            ),
        ]
        .into(),
        evidence: vec!["report-17".into()],
        assessed_at: at(2),
        passed: true,
        approved_by: None,
    };
    s.insert_assessment(&a, &audit("lab", "assessment.record"))
        .await
        .unwrap();
    s.insert_org(
        &org("nl-rdi", OrgRole::NationalAuthority),
        &audit("enisa", "org.create"),
    )
    .await
    .unwrap();
    s.approve_assessment(
        &a.id,
        &OrgId::new("nl-rdi").unwrap(),
        &audit("nl-rdi", "approve"),
    )
    .await
    .unwrap();
    a.approved_by = Some(OrgId::new("nl-rdi").unwrap());
    assert_eq!(s.assessment(&a.id).await.unwrap(), Some(a));
    assert!(matches!(
        s.approve_assessment(
            &rid("ASM-000404"),
            &OrgId::new("nl-rdi").unwrap(),
            &audit("nl-rdi", "approve")
        )
        .await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A product with a self-declared certificate, issued (event `seq`).
async fn issued_certificate(s: &SqlStore) -> (Product, Certificate, Event, i64) {
    let p = seed(s).await;
    let v = ProductVersion {
        id: rid("VER-000001"),
        product: p.id.clone(),
        version: "1".into(),
        released_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        security_update: false,
        notes: None,
    };
    s.insert_version(&v, &audit("maker", "version.add"), &[])
        .await
        .unwrap();
    let a = Assessment {
        id: rid("ASM-000001"),
        product: p.id.clone(),
        version: v.id.clone(),
        scheme: SchemeId::new("eu-iot").unwrap(),
        level: LevelId::new("basic").unwrap(),
        assessor: OrgId::new("maker").unwrap(),
        assessor_kind: IssuerKind::SelfDeclared,
        verdicts: Default::default(),
        evidence: vec![],
        assessed_at: at(1),
        passed: true,
        approved_by: None,
    };
    s.insert_assessment(&a, &audit("maker", "assessment.record"))
        .await
        .unwrap();
    let id = CertificateId::new("KM-2026-000001").unwrap();
    let cert = Certificate {
        id: id.clone(),
        product: p.id.clone(),
        holder: p.manufacturer.clone(),
        scheme: a.scheme.clone(),
        level: a.level.clone(),
        issuer: p.manufacturer.clone(),
        issuer_kind: IssuerKind::SelfDeclared,
        authority: None,
        assessment: a.id.clone(),
        issued_at: at(2),
        valid_until: NaiveDate::from_ymd_opt(2029, 3, 1).unwrap(),
        state: State::Active,
    };
    let issued = Event {
        seq: 0,
        certificate: id.clone(),
        at: at(2),
        actor: p.manufacturer.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Issued {
            product: p.id.clone(),
            holder: p.manufacturer.clone(),
            scheme: a.scheme.clone(),
            level: a.level.clone(),
            issuer: p.manufacturer.clone(),
            issuer_kind: IssuerKind::SelfDeclared,
            authority: None,
            assessment: a.id.clone(),
            valid_until: cert.valid_until,
            support_until: None,
            versions: vec![],
            dependencies: vec![],
        },
    };
    let seq1 = s
        .issue(&cert, &issued, b"stmt-1", &audit("maker", "certify"))
        .await
        .unwrap()
        .seq;
    (p, cert, issued, seq1)
}

async fn certificate_events_append_only_with_optimistic_concurrency(s: &SqlStore) {
    let (p, cert, issued, seq1) = issued_certificate(s).await;
    let id = cert.id.clone();
    assert!(matches!(
        s.issue(&cert, &issued, b"stmt-1", &audit("maker", "certify"))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let suspend = Event {
        seq: 0,
        certificate: id.clone(),
        at: at(3),
        actor: p.manufacturer.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: "firmware recall".into(),
            until: None,
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    };
    let appended = s
        .append(
            &suspend,
            State::Suspended,
            seq1,
            b"stmt-2",
            &audit("maker", "suspend"),
        )
        .await
        .unwrap();
    let seq2 = appended.seq;
    assert!(seq2 > seq1);
    // A writer that read the old state loses, and its event is not stored.
    let stale = s
        .append(
            &suspend,
            State::Suspended,
            seq1,
            b"stmt-3",
            &audit("maker", "suspend"),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");

    let (stored, last) = s.certificate(&id).await.unwrap().unwrap();
    assert_eq!(stored.state, State::Suspended);
    assert_eq!(last, seq2);
    let events = s.events(&id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, issued.kind);
    assert_eq!(events[1].seq, seq2);
    assert_eq!(events[1].at, at(3));
    assert_eq!(s.events_after(seq1, 10).await.unwrap().len(), 1);
    // Both statements, and only the committed ones, wait in the log queue.
    let queued: Vec<Vec<u8>> = sqlx::query_scalar("SELECT entry FROM log_queue ORDER BY id")
        .fetch_all(s.pool())
        .await
        .unwrap();
    assert_eq!(queued, vec![b"stmt-1".to_vec(), b"stmt-2".to_vec()]);
    assert!(appended.queue_id > 0);
    // The statements, oldest first; the newest in one read; none for an unknown certificate.
    let statements = s.statements(id.as_str()).await.unwrap();
    let seqs: Vec<i64> = statements.iter().map(|st| st.event_seq).collect();
    assert_eq!(seqs, vec![seq1, seq2]);
    let latest = s.latest_statement(id.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (latest.event_seq, latest.signed),
        (seq2, b"stmt-2".to_vec())
    );
    assert!(s
        .latest_statement("KM-2000-000001")
        .await
        .unwrap()
        .is_none());
    let all = s.certificates(&CertificateFilter::default()).await.unwrap();
    assert_eq!(
        all,
        vec![Certificate {
            state: State::Suspended,
            ..cert
        }]
    );
    let none = s
        .certificates(&CertificateFilter {
            scheme: Some(SchemeId::new("eucc").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    // Keyset paging: after an id sorts strictly after it.
    let before = CertificateId::new("KM-2000-000001").unwrap();
    let after = |id: &CertificateId| CertificateFilter {
        after: Some(id.clone()),
        ..Default::default()
    };
    assert_eq!(s.certificates(&after(&before)).await.unwrap().len(), 1);
    assert!(s.certificates(&after(&all[0].id)).await.unwrap().is_empty());
}

async fn every_write_is_audited(s: &SqlStore) {
    seed(s).await;
    let trail = s.audit(10, None).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|e| e.audit.action.as_str()).collect();
    assert_eq!(actions, ["product.register", "org.create", "org.create"]);
    assert_eq!(trail[0].audit.detail, serde_json::json!({"k": "v"}));
    let older = s.audit(10, Some(trail[0].seq)).await.unwrap();
    assert_eq!(older.len(), 2);
    // Every credential kind, and no organisation (the public), round-trip through the column.
    for (i, (credential, actor)) in [
        (
            Credential::ApiToken(RecordId::new("TOK-000009").unwrap()),
            Some("maker"),
        ),
        (Credential::Cli("alice".into()), Some("maker")),
        (Credential::System("expiry".into()), Some("maker")),
        (
            Credential::WatchKey(RecordId::new("WL-000003").unwrap()),
            None,
        ),
        (Credential::Public, None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut a = audit("maker", "credential.test");
        a.actor = actor.map(|o| OrgId::new(o).unwrap());
        a.credential = credential;
        s.insert_org(&org(&format!("o-{i}"), OrgRole::Manufacturer), &a)
            .await
            .unwrap();
        let back = s.audit(1, None).await.unwrap().remove(0).audit;
        assert_eq!(back, a);
        assert_eq!(
            back.credential.to_string().parse::<Credential>().unwrap(),
            a.credential
        );
    }
    for bad in [
        "",
        "token:",
        "token:lower",
        "cli:",
        "cli:two words",
        "root",
        "system:x\ny",
    ] {
        assert!(bad.parse::<Credential>().is_err(), "{bad:?}");
    }
}

async fn sequences_are_per_name(s: &SqlStore) {
    assert_eq!(s.next_sequence("PRD").await.unwrap(), 1);
    assert_eq!(s.next_sequence("PRD").await.unwrap(), 2);
    assert_eq!(s.next_sequence("KM-2026").await.unwrap(), 1);
}

fn watchlist(id: &str, url: Option<&str>) -> Watchlist {
    Watchlist {
        id: rid(id),
        name: format!("{id} name"),
        key_sha256: "ab".repeat(32),
        webhook_url: url.map(str::to_owned),
        webhook_secret: url.map(|_| "whsec_0123456789abcdef0123456789abcdef".to_owned()),
        created_at: at(0),
    }
}

/// Passes a webhook's handshake (see `tests/webhook_confirm.rs` for the handshake itself).
async fn confirm_webhook(s: &SqlStore, id: &str) {
    use keurmerk_domain::watch::WebhookState;
    assert!(s
        .claim_verification(&rid(id), None, at(5), "challenge")
        .await
        .unwrap());
    let confirmed = VerificationOutcome {
        state: WebhookState::Confirmed,
        attempts: 1,
        next_attempt_at: None,
        confirmed_at: Some(at(5)),
        error: None,
    };
    assert!(s
        .record_verification(&rid(id), "challenge", &confirmed)
        .await
        .unwrap());
}

async fn watch_lists_queue_deliveries_with_the_event(s: &SqlStore) {
    use keurmerk_domain::watch::{DeliveryState, WatchKind};
    let item = |kind, target: &str| WatchItem {
        kind,
        target: target.to_owned(),
        added_at: at(0),
    };
    // By certificate, by product, by organisation without a webhook, and an unrelated one.
    for (id, url, kind, target) in [
        (
            "WL-000001",
            Some("https://a.example/h"),
            WatchKind::Certificate,
            "KM-2026-000001",
        ),
        (
            "WL-000002",
            Some("https://b.example/h"),
            WatchKind::Product,
            "PRD-000001",
        ),
        ("WL-000003", None, WatchKind::Organisation, "maker"),
        (
            "WL-000004",
            Some("https://d.example/h"),
            WatchKind::Certificate,
            "KM-2026-000099",
        ),
    ] {
        s.insert_watchlist(&watchlist(id, url), &audit("maker", "watch"))
            .await
            .unwrap();
        assert!(s
            .add_watch_item(&rid(id), &item(kind, target), &audit("maker", "watch"))
            .await
            .unwrap());
        assert!(!s
            .add_watch_item(&rid(id), &item(kind, target), &audit("maker", "watch"))
            .await
            .unwrap());
    }
    // The organisation list also follows the product: one delivery per list and event.
    s.add_watch_item(
        &rid("WL-000002"),
        &item(WatchKind::Organisation, "maker"),
        &audit("maker", "watch"),
    )
    .await
    .unwrap();
    assert!(matches!(
        s.insert_watchlist(&watchlist("WL-000001", None), &audit("maker", "watch"))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let got = s.watchlist(&rid("WL-000001")).await.unwrap().unwrap();
    assert_eq!(got, watchlist("WL-000001", Some("https://a.example/h")));
    assert!(
        !format!("{got:?}").contains("whsec_"),
        "the secret is redacted"
    );

    let (_, cert, _, seq1) = issued_certificate(s).await;
    let suspend = Event {
        seq: 0,
        certificate: cert.id.clone(),
        at: at(3),
        actor: cert.holder.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: "recall".into(),
            until: None,
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    };
    let seq2 = s
        .append(
            &suspend,
            State::Suspended,
            seq1,
            b"st",
            &audit("maker", "suspend"),
        )
        .await
        .unwrap()
        .seq;
    assert_eq!(
        s.watched_certificates(&rid("WL-000003")).await.unwrap(),
        vec![cert.id.clone()]
    );
    assert!(s
        .watched_certificates(&rid("WL-000004"))
        .await
        .unwrap()
        .is_empty());
    // Deliveries of webhooks that have not passed the handshake are held.
    assert!(s.due_deliveries(at(10), 100).await.unwrap().is_empty());
    for id in ["WL-000001", "WL-000002", "WL-000004"] {
        confirm_webhook(s, id).await;
    }
    let due = s.due_deliveries(at(10), 100).await.unwrap();
    let mut pairs: Vec<(String, i64)> = due
        .iter()
        .map(|d| (d.watchlist.to_string(), d.event_seq))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("WL-000001".to_owned(), seq1),
            ("WL-000001".to_owned(), seq2),
            ("WL-000002".to_owned(), seq1),
            ("WL-000002".to_owned(), seq2),
        ]
    );
    assert!(
        s.due_deliveries(at(1), 100).await.unwrap().is_empty(),
        "not due before the event"
    );

    // Claiming is exclusive; the payload is fixed once; attempts are logged.
    let d = due[0].clone();
    assert_eq!(d.state, DeliveryState::Pending);
    let due_at = d.next_attempt_at.unwrap();
    assert!(s.claim_delivery(d.id, due_at, at(11)).await.unwrap());
    assert!(!s.claim_delivery(d.id, due_at, at(12)).await.unwrap());
    assert_eq!(s.fix_payload(d.id, "{\"a\":1}").await.unwrap(), "{\"a\":1}");
    assert_eq!(s.fix_payload(d.id, "{\"b\":2}").await.unwrap(), "{\"a\":1}");
    let fail = |n: i64, state, next| AttemptOutcome {
        attempt: Attempt {
            attempt: n,
            at: at(11),
            status: Some(500),
            error: Some("the receiver answered HTTP 500".into()),
            duration_ms: 12,
        },
        state,
        next_attempt_at: next,
    };
    s.record_attempt(d.id, &fail(1, DeliveryState::Pending, Some(at(12))))
        .await
        .unwrap();
    assert!(
        !s.redeliver(d.id, at(12), &audit("maker", "watch"))
            .await
            .unwrap(),
        "still pending"
    );
    s.record_attempt(d.id, &fail(2, DeliveryState::Failed, None))
        .await
        .unwrap();
    assert!(matches!(
        s.record_attempt(d.id, &fail(2, DeliveryState::Failed, None))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let failed = s.delivery(d.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.attempts, failed.next_attempt_at),
        (DeliveryState::Failed, 2, None)
    );
    assert_eq!(failed.payload.as_deref(), Some("{\"a\":1}"));
    let log = s.attempts(d.id).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].attempt, log[0].status, log[0].duration_ms),
        (1, Some(500), 12)
    );
    assert!(s
        .redeliver(d.id, at(13), &audit("maker", "watch"))
        .await
        .unwrap());
    let again = s.delivery(d.id).await.unwrap().unwrap();
    assert_eq!(
        (again.state, again.round_start, again.next_attempt_at),
        (DeliveryState::Pending, 2, Some(at(13)))
    );
    s.record_attempt(
        d.id,
        &AttemptOutcome {
            attempt: Attempt {
                attempt: 3,
                at: at(13),
                status: Some(204),
                error: None,
                duration_ms: 3,
            },
            state: DeliveryState::Delivered,
            next_attempt_at: None,
        },
    )
    .await
    .unwrap();
    let done = s.delivery(d.id).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.delivered_at),
        (DeliveryState::Delivered, Some(at(13)))
    );

    // Lists, webhook changes, removal.
    let mine = s.deliveries(&d.watchlist, 10, 0).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine[0].id > mine[1].id, "newest first");
    s.set_webhook(&rid("WL-000002"), None, None, &audit("maker", "watch"))
        .await
        .unwrap();
    assert_eq!(
        s.watchlist(&rid("WL-000002"))
            .await
            .unwrap()
            .unwrap()
            .webhook_url,
        None
    );
    assert!(matches!(
        s.set_webhook(&rid("WL-000404"), None, None, &audit("maker", "watch"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s
        .remove_watch_item(
            &rid("WL-000002"),
            WatchKind::Organisation,
            "maker",
            &audit("maker", "watch")
        )
        .await
        .unwrap());
    assert_eq!(s.watch_items(&rid("WL-000002")).await.unwrap().len(), 1);
    s.delete_watchlist(&d.watchlist, &audit("maker", "watch"))
        .await
        .unwrap();
    assert!(s.watchlist(&d.watchlist).await.unwrap().is_none());
    assert!(s.delivery(d.id).await.unwrap().is_none());
    assert!(s.attempts(d.id).await.unwrap().is_empty());
    assert!(matches!(
        s.delete_watchlist(&d.watchlist, &audit("maker", "watch"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn tokens_and_complaints_round_trip(s: &SqlStore) {
    let (_, cert, _, _) = issued_certificate(s).await;
    let t = ApiToken {
        id: rid("TOK-000001"),
        org: OrgId::new("maker").unwrap(),
        name: "ci".into(),
        secret_sha256: "cd".repeat(32),
        created_at: at(1),
        revoked_at: None,
    };
    s.insert_token(&t, &audit("enisa", "token.create"))
        .await
        .unwrap();
    assert!(matches!(
        s.insert_token(&t, &audit("enisa", "token.create")).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    assert_eq!(s.token(&t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(s.tokens().await.unwrap(), vec![t.clone()]);
    s.revoke_token(&t.id, at(2), &audit("enisa", "token.revoke"))
        .await
        .unwrap();
    assert_eq!(
        s.token(&t.id).await.unwrap().unwrap().revoked_at,
        Some(at(2))
    );
    assert!(matches!(
        s.revoke_token(&t.id, at(3), &audit("enisa", "token.revoke"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.max_event_seq().await.unwrap() > 0);
    let c = |id: &str, authority: Option<&str>| Complaint {
        id: rid(id),
        certificate: cert.id.clone(),
        authority: authority.map(|a| OrgId::new(a).unwrap()),
        filed_at: at(4),
        contact: None,
        body: "The camera streams without a password.".into(),
        reference_sha256: None,
        state: ComplaintState::Received,
        assignee: None,
        assigned_at: None,
        answer: None,
        answered_at: None,
        answer_lang: None,
        outcome: None,
        closed_at: None,
    };
    s.insert_complaint(
        &c("CMP-000001", Some("nl-rdi")),
        &audit("nl-rdi", "complaint.file"),
    )
    .await
    .unwrap();
    s.insert_complaint(
        &c("CMP-000002", Some("de-bsi")),
        &audit("nl-rdi", "complaint.file"),
    )
    .await
    .unwrap();
    let rdi = OrgId::new("nl-rdi").unwrap();
    assert_eq!(
        s.complaints(Some(&rdi), 10, 0).await.unwrap(),
        vec![c("CMP-000001", Some("nl-rdi"))]
    );
    assert_eq!(s.complaints(None, 10, 0).await.unwrap().len(), 2);
    assert_eq!(s.complaints(None, 1, 1).await.unwrap().len(), 1);
}

async fn complaint_steps_are_conditional_on_the_state_they_start_from(s: &SqlStore) {
    let (_, cert, _, _) = issued_certificate(s).await;
    let filed = Complaint {
        id: rid("CMP-000010"),
        certificate: cert.id.clone(),
        authority: Some(OrgId::new("nl-rdi").unwrap()),
        filed_at: at(4),
        contact: Some("someone@example.org".into()),
        body: "The default password is printed on the box.".into(),
        reference_sha256: Some("ab".repeat(32)),
        state: ComplaintState::Received,
        assignee: None,
        assigned_at: None,
        answer: None,
        answered_at: None,
        answer_lang: None,
        outcome: None,
        closed_at: None,
    };
    let nonce = FormNonce {
        nonce: "0".repeat(32),
        expires_at: at(100),
    };
    s.insert_complaint_once(&filed, &nonce, &audit("nl-rdi", "complaint.file"))
        .await
        .unwrap();
    // A second complaint with the same reference is refused (the reference is unique).
    let twin = Complaint {
        id: rid("CMP-000011"),
        ..filed.clone()
    };
    assert!(s
        .insert_complaint(&twin, &audit("nl-rdi", "complaint.file"))
        .await
        .is_err());
    assert_eq!(s.complaint(&filed.id).await.unwrap(), Some(filed.clone()));
    assert_eq!(
        s.complaint_by_reference(&"ab".repeat(32)).await.unwrap(),
        Some(filed.clone())
    );
    assert_eq!(
        s.complaint_by_reference(&"cd".repeat(32)).await.unwrap(),
        None
    );
    assert_eq!(s.complaint(&rid("CMP-999999")).await.unwrap(), None);

    let audits_before = s.audit(1000, None).await.unwrap().len();
    let assigned = Complaint {
        state: ComplaintState::Assigned,
        assignee: Some("J. Jansen".into()),
        assigned_at: Some(at(5)),
        ..filed.clone()
    };
    s.update_complaint(
        &assigned,
        ComplaintState::Received,
        &audit("nl-rdi", "complaint.assign"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.complaint(&filed.id).await.unwrap(),
        Some(assigned.clone())
    );
    // A second instance that read it as received before the first step loses, writing nothing.
    let other = Complaint {
        assignee: Some("P. Peters".into()),
        ..assigned.clone()
    };
    assert!(matches!(
        s.update_complaint(
            &other,
            ComplaintState::Received,
            &audit("nl-rdi", "complaint.assign")
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        s.complaint(&filed.id).await.unwrap(),
        Some(assigned.clone())
    );
    let closed = Complaint {
        state: ComplaintState::Closed,
        answer: Some("We asked the maker to fix it.".into()),
        answered_at: Some(at(6)),
        answer_lang: Some(keurmerk_domain::i18n::Lang::Nl),
        outcome: Some(Outcome::Upheld),
        closed_at: Some(at(7)),
        contact: None,
        ..assigned.clone()
    };
    s.update_complaint(
        &closed,
        ComplaintState::Assigned,
        &audit("nl-rdi", "complaint.close"),
    )
    .await
    .unwrap();
    let stored = s.complaint(&filed.id).await.unwrap().unwrap();
    assert_eq!(stored, closed);
    assert_eq!(stored.contact, None, "the address is gone with the close");
    // Two steps, two audit records; the refused one wrote none.
    assert_eq!(s.audit(1000, None).await.unwrap().len(), audits_before + 2);
    // An unknown complaint is not updated.
    let ghost = Complaint {
        id: rid("CMP-999999"),
        ..closed.clone()
    };
    assert!(matches!(
        s.update_complaint(
            &ghost,
            ComplaintState::Closed,
            &audit("nl-rdi", "complaint.close")
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
}

async fn the_published_trust_list_never_goes_back(s: &SqlStore) {
    assert_eq!(s.published_trust_list().await.unwrap(), None);
    let list = |sequence: u64, content: &str| PublishedTrustList {
        sequence,
        content_sha256: content.to_owned(),
        issued_at: at(sequence as i64),
        signed: format!("signed-{sequence}").into_bytes(),
    };
    assert!(s.publish_trust_list(&list(2, "a")).await.unwrap());
    assert!(
        !s.publish_trust_list(&list(1, "b")).await.unwrap(),
        "lower: refused"
    );
    assert!(
        !s.publish_trust_list(&list(2, "b")).await.unwrap(),
        "equal: refused"
    );
    assert_eq!(s.published_trust_list().await.unwrap(), Some(list(2, "a")));
    assert!(s.publish_trust_list(&list(5, "c")).await.unwrap());
    assert_eq!(s.published_trust_list().await.unwrap(), Some(list(5, "c")));
    assert_eq!(s.next_trust_list_sequence().await.unwrap(), 1);
}

/// Migration 0012: the due time is unknown after issue and after every append, is set only for
/// the history it was computed from, and the due query reads what is due; the lease is held by
/// one holder at a time until it runs out or is released.
async fn scheduler_due_times_and_lease(s: &SqlStore) {
    let (p, cert, _, seq1) = issued_certificate(s).await;
    let id = cert.id.clone();
    assert_eq!(
        s.due_certificates(at(0)).await.unwrap(),
        vec![id.clone()],
        "unknown: due"
    );
    assert!(s.set_next_due(&id, Some(at(100)), seq1).await.unwrap());
    assert!(s.due_certificates(at(99)).await.unwrap().is_empty());
    assert_eq!(s.due_certificates(at(100)).await.unwrap(), vec![id.clone()]);
    // Never: not due whenever.
    assert!(s.set_next_due(&id, None, seq1).await.unwrap());
    assert!(s.due_certificates(at(100_000)).await.unwrap().is_empty());
    // An append clears it in its transaction; a due time computed before it is not stored.
    let e = Event {
        seq: 0,
        certificate: id.clone(),
        at: at(3),
        actor: p.manufacturer.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::VersionCovered {
            version: keurmerk_domain::event::CoveredVersion {
                id: rid("VER-000001"),
                version: "1".into(),
                released_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                security_update: false,
            },
        },
    };
    let seq2 = s
        .append(&e, State::Active, seq1, b"stmt-2", &audit("maker", "cover"))
        .await
        .unwrap()
        .seq;
    assert_eq!(s.due_certificates(at(0)).await.unwrap(), vec![id.clone()]);
    assert!(
        !s.set_next_due(&id, Some(at(100)), seq1).await.unwrap(),
        "stale"
    );
    assert_eq!(s.due_certificates(at(0)).await.unwrap(), vec![id.clone()]);
    assert!(s.set_next_due(&id, Some(at(100)), seq2).await.unwrap());
    // An authorisation change of the issuer clears it too.
    s.upsert_authorisation(
        &Authorisation {
            body: p.manufacturer.clone(),
            scheme: SchemeId::new("eu-iot").unwrap(),
            level: LevelId::new("basic").unwrap(),
            granted_by: OrgId::new("maker").unwrap(),
            granted_at: at(0),
            revoked_at: Some(at(5)),
            expires_at: None,
        },
        &audit("maker", "authorisation.revoke"),
    )
    .await
    .unwrap();
    assert_eq!(s.due_certificates(at(0)).await.unwrap(), vec![id.clone()]);
    assert!(s.set_next_due(&id, Some(at(100)), seq2).await.unwrap());
    assert_eq!(s.clear_next_due().await.unwrap(), 1);
    assert_eq!(s.due_certificates(at(0)).await.unwrap(), vec![id.clone()]);

    // The lease.
    assert!(s.take_lease("policy", "a", at(0), at(1)).await.unwrap());
    assert!(!s.take_lease("policy", "b", at(0), at(1)).await.unwrap());
    assert!(
        s.take_lease("policy", "a", at(0), at(2)).await.unwrap(),
        "renewed"
    );
    assert!(!s.take_lease("policy", "b", at(1), at(3)).await.unwrap());
    assert!(
        s.take_lease("policy", "b", at(3), at(4)).await.unwrap(),
        "ran out"
    );
    s.release_lease("policy", "a").await.unwrap();
    assert!(
        !s.take_lease("policy", "a", at(3), at(4)).await.unwrap(),
        "not a's to release"
    );
    s.release_lease("policy", "b").await.unwrap();
    assert!(
        s.take_lease("policy", "a", at(3), at(4)).await.unwrap(),
        "released"
    );
    assert_eq!(s.scheduler_value("policy").await.unwrap(), None);
    s.set_scheduler_value("policy", "x").await.unwrap();
    s.set_scheduler_value("policy", "y").await.unwrap();
    assert_eq!(
        s.scheduler_value("policy").await.unwrap().as_deref(),
        Some("y")
    );
}

/// PostgreSQL only: every function the migrations define (the triggers of the label status read
/// model and of search) is planned per call (`plan_cache_mode = force_custom_plan`, migration
/// 0029). A PL/pgSQL plan cached while the tables were small is a sequential scan kept for the
/// connection's life; seeding a million labels fell to ~300/s by 90,000 through one. A function
/// added without the setting fails here.
#[tokio::test]
async fn every_schema_function_is_planned_per_call_on_postgres() {
    let Some(db) = postgres().await else { return };
    let (_, schema) = db.pg_schema.clone().unwrap();
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT p.proname::TEXT, array_to_string(p.proconfig, ',') \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = $1 ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    assert!(
        rows.iter().any(|(name, _)| name == "label_status_support"),
        "the read model's triggers are in the schema: {rows:?}"
    );
    let unplanned: Vec<_> = rows
        .iter()
        .filter(|(_, config)| {
            !config
                .as_deref()
                .is_some_and(|c| c.contains("plan_cache_mode=force_custom_plan"))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        unplanned.is_empty(),
        "planned once per connection: {unplanned:?}"
    );
    db.drop_schema().await;
}

/// `with_own_pool`: on PostgreSQL a pool of its own, in the same schema, that answers while every
/// connection of the first pool is held (as by a flood of lookups), and holds no more than its
/// own limit; on SQLite the same store.
#[tokio::test]
async fn a_store_with_its_own_pool_answers_while_the_other_is_exhausted() {
    if let Some(db) = sqlite().await {
        let own = db.store.with_own_pool(2).await.unwrap();
        seed(&db.store).await;
        assert_eq!(
            own.orgs().await.unwrap().len(),
            db.store.orgs().await.unwrap().len()
        );
        db.drop_schema().await;
    }
    let Some(db) = postgres().await else { return };
    seed(&db.store).await;
    let own = db.store.with_own_pool(2).await.unwrap();
    let max = db.store.pool().options().get_max_connections();
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(db.store.pool().acquire().await.unwrap());
    }
    let wait = std::time::Duration::from_secs(5);
    // The first pool has nothing left: a read through it would wait.
    assert!(tokio::time::timeout(
        std::time::Duration::from_millis(200),
        db.store.pool().acquire()
    )
    .await
    .is_err());
    // The own pool reads the same schema's rows at once.
    let orgs = tokio::time::timeout(wait, own.orgs())
        .await
        .unwrap()
        .unwrap();
    assert!(!orgs.is_empty());
    assert_eq!(own.pool().options().get_max_connections(), 2);
    drop(held);
    assert_eq!(db.store.orgs().await.unwrap(), orgs);
    own.close().await;
    db.drop_schema().await;
}

/// `connect_with_pool`: on PostgreSQL the pool holds at most that many connections, so an
/// operator can size `max_connections` for every instance (`serve.database_connections`); none
/// is 1; on SQLite the pool keeps its 4 and the setting changes nothing. A statement finding
/// every connection held waits the pool's `wait` (`serve.database_wait_secs`), then fails as
/// unavailable.
#[tokio::test]
async fn a_store_opened_with_n_connections_holds_at_most_n() {
    let dir = tempfile::tempdir().unwrap();
    let file = format!("sqlite:{}", dir.path().join("n.db").display());
    let pool = |connections| PoolSettings {
        connections,
        wait: std::time::Duration::from_millis(200),
    };
    let lite = SqlStore::connect_with_pool(&file, None, pool(2))
        .await
        .unwrap();
    assert_eq!(lite.pool().options().get_max_connections(), 4);
    lite.close().await;
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        return;
    };
    for (asked, max) in [(3, 3), (0, 1)] {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let store = SqlStore::connect_with_pool(&url, Some(&schema), pool(asked))
            .await
            .unwrap();
        assert_eq!(store.pool().options().get_max_connections(), max);
        seed(&store).await;
        let mut held = Vec::new();
        for _ in 0..max {
            held.push(store.pool().acquire().await.unwrap());
        }
        // Every connection is held: one more would be a connection past the limit. A read waits
        // the 200 ms set, not the default 10 s, then fails as unavailable.
        let waited = tokio::time::timeout(std::time::Duration::from_secs(5), store.orgs())
            .await
            .expect("the read waited longer than the pool's wait")
            .unwrap_err();
        assert!(waited.is_unavailable(), "{waited:?}");
        drop(held);
        assert!(!store.orgs().await.unwrap().is_empty());
        Db {
            store,
            _dir: None,
            pg_schema: Some((url.clone(), schema)),
        }
        .drop_schema()
        .await;
    }
}

/// `url` with `user` (no password) as the user it connects as.
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}@{rest}")
}

/// `connection_room`: on PostgreSQL, `max_connections` as the server reports it (a superuser
/// may use every slot, another role not those reserved for superusers), and a role's own
/// `CONNECTION LIMIT`, tightest first; connections the role holds elsewhere counted as others',
/// those of the asking store's own pool not. `None` on SQLite, which has no such limit.
#[tokio::test]
async fn connection_room_reads_postgresqls_limits_and_who_holds_them() {
    let Some(lite) = sqlite().await else { return };
    assert_eq!(lite.store.connection_room().await.unwrap(), None);
    lite.drop_schema().await;
    let Some(db) = postgres().await else { return };
    let (url, _) = db.pg_schema.clone().unwrap();
    let setting = |name: &'static str| {
        let pool = db.store.pool().clone();
        async move {
            let (v,): (String,) = sqlx::query_as(&format!("SELECT current_setting('{name}')"))
                .fetch_one(&pool)
                .await
                .unwrap();
            v.parse::<u32>().unwrap()
        }
    };
    let (max, reserved) = (
        setting("max_connections").await,
        setting("superuser_reserved_connections").await,
    );
    // The tests connect as a superuser: every slot, no role or database limit.
    let room = db.store.connection_room().await.unwrap().unwrap();
    assert_eq!(room.limits.len(), 1, "{room:?}");
    assert_eq!(
        (room.limits[0].name.as_str(), room.limits[0].allows),
        ("max_connections", max)
    );

    // A role of its own, limited to 10 connections, that may create its schema here.
    let role = format!("km_room_{}", uuid::Uuid::new_v4().simple());
    for sql in [
        format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 10"),
        format!("GRANT CREATE ON DATABASE {} TO {role}", {
            let (d,): (String,) = sqlx::query_as("SELECT current_database()::TEXT")
                .fetch_one(db.store.pool())
                .await
                .unwrap();
            d
        }),
    ] {
        sqlx::query(&sql).execute(db.store.pool()).await.unwrap();
    }
    let role_url = as_user(&url, &role);
    let mine = SqlStore::connect_in_schema(&role_url, Some(&role))
        .await
        .unwrap();
    let held = [
        mine.pool().acquire().await.unwrap(),
        mine.pool().acquire().await.unwrap(),
    ];
    // Another program of the same role holding three.
    let other = sqlx::any::AnyPoolOptions::new()
        .max_connections(3)
        .min_connections(3)
        .connect(&role_url)
        .await
        .unwrap();
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(other.acquire().await.unwrap());
    }
    let room = mine.connection_room().await.unwrap().unwrap();
    let names: Vec<&str> = room.limits.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(room.limits.len(), 2, "{room:?}");
    let own = &room.limits[0];
    assert_eq!(
        (own.name.as_str(), own.allows, own.held_by_others),
        ("the role's CONNECTION LIMIT", 10, 3),
        "{names:?}"
    );
    assert_eq!(own.free(), 7);
    let server = &room.limits[1];
    assert!(
        server.name.starts_with(&format!(
            "max_connections ({max}) less superuser_reserved_connections ({reserved})"
        )),
        "{}",
        server.name
    );
    // PostgreSQL 16's `reserved_connections` is 0 unless set, and missing before.
    assert!(server.allows <= max - reserved && server.allows > 10);
    assert!(server.held_by_others >= 3, "{server:?}");
    assert_eq!(room.tightest(), Some(own));
    drop((held, others));
    other.close().await;
    mine.close().await;
    for sql in [
        format!("DROP OWNED BY {role} CASCADE"),
        format!("DROP ROLE {role}"),
    ] {
        sqlx::query(&sql).execute(db.store.pool()).await.unwrap();
    }
    db.drop_schema().await;
}

/// SQLite: a write waits at most the store's wait for this process's earlier writes and as long
/// again (the busy timeout, which follows the wait) for another process's lock. With another
/// process holding SQLite's write lock, eight writes started together are each refused as
/// unavailable within about twice the wait; queued one behind another, the `n`-th was refused
/// only after `n` busy timeouts. Once the lock is let go, a write succeeds and nothing refused
/// was written.
#[tokio::test]
async fn sqlite_writes_behind_another_processs_lock_wait_once_each() {
    use sqlx::{Connection as _, Executor as _};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("queued.db").display());
    let wait = Duration::from_millis(500);
    let store = SqlStore::connect_with_pool(
        &url,
        None,
        PoolSettings {
            connections: 1,
            wait,
        },
    )
    .await
    .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(busy, 500, "SQLite's busy timeout follows the store's wait");
    let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let writes: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let o = org(&format!("queued{i}"), OrgRole::Manufacturer);
                let r = store.insert_org(&o, &audit("enisa", "org.create")).await;
                (r, started.elapsed())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for w in writes {
        let (r, took) = w.await.unwrap();
        let e = r.unwrap_err();
        assert!(e.is_unavailable(), "{e}");
        slowest = slowest.max(took);
    }
    // Twice the wait at most, with room for a loaded machine; one behind another, the eighth
    // took eight waits (4 s).
    assert!(
        slowest < wait * 5,
        "a write was refused only after {slowest:?}, with a wait of {wait:?}"
    );
    holder.execute("ROLLBACK").await.unwrap();
    store
        .insert_org(
            &org("after", OrgRole::Manufacturer),
            &audit("enisa", "org.create"),
        )
        .await
        .unwrap();
    let ids: Vec<String> = store
        .orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(ids, ["after"]);
    store.close().await;
}

/// `StoreError::is_unavailable`: the real errors of a database that cannot be used for the
/// moment are (SQLite locked by another writer, a pool with no connection free within its wait
/// or closed, PostgreSQL refusing a role past its `CONNECTION LIMIT`, a session the
/// administrator ended); a wrong statement, a duplicate key or a record not found are not.
#[tokio::test]
async fn errors_of_a_database_that_cannot_be_used_now_are_unavailable() {
    use sqlx::{Connection as _, Executor as _};
    let unavailable = |e: sqlx::Error| StoreError::from(e).is_unavailable();
    let Some(lite) = sqlite().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("busy.db").display());
    let store = SqlStore::connect(&url).await.unwrap();
    let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
    other.execute("PRAGMA busy_timeout = 0").await.unwrap();
    let busy = other.execute("BEGIN IMMEDIATE").await.unwrap_err();
    assert!(
        matches!(&busy, sqlx::Error::Database(d) if d.code().as_deref() == Some("5")),
        "{busy:?}"
    );
    assert!(unavailable(busy));
    let wrong = other
        .execute("SELECT * FROM no_such_table")
        .await
        .unwrap_err();
    assert!(!unavailable(wrong));
    holder.execute("ROLLBACK").await.unwrap();
    // A duplicate key, as the store reports it, is a conflict, not a database out of reach.
    let dup = other
        .execute("CREATE TABLE t (k TEXT PRIMARY KEY); INSERT INTO t VALUES ('a'); INSERT INTO t VALUES ('a')")
        .await
        .unwrap_err();
    assert!(!unavailable(dup));
    assert!(!StoreError::NotFound {
        what: "certificate",
        id: "KM-2026-000001".into()
    }
    .is_unavailable());
    // Every connection of a pool held past its wait, then the pool closed.
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_millis(100))
        .connect(&url)
        .await
        .unwrap();
    let held = pool.acquire().await.unwrap();
    let waited = pool.acquire().await.unwrap_err();
    assert!(matches!(waited, sqlx::Error::PoolTimedOut), "{waited:?}");
    assert!(unavailable(waited));
    drop(held);
    pool.close().await;
    assert!(unavailable(pool.acquire().await.unwrap_err()));
    // The store's own error after it closed.
    store.close().await;
    let closed = store.orgs().await.unwrap_err();
    assert!(closed.is_unavailable(), "{closed:?}");
    drop((holder, other));
    lite.drop_schema().await;

    let Some(db) = postgres().await else { return };
    let (url, _) = db.pg_schema.clone().unwrap();
    // A role that may hold no connection at all: PostgreSQL refuses it (53300).
    let role = format!("km_full_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
        .execute(db.store.pool())
        .await
        .unwrap();
    let refused = sqlx::AnyConnection::connect(&as_user(&url, &role))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, sqlx::Error::Database(d) if d.code().as_deref() == Some("53300")),
        "{refused:?}"
    );
    assert!(unavailable(refused));
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(db.store.pool())
        .await
        .unwrap();
    // A session the administrator ends (57P01), as when PostgreSQL is stopped.
    let mut ended = sqlx::AnyConnection::connect(&url).await.unwrap();
    let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
        .fetch_one(&mut ended)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(db.store.pool())
        .await
        .unwrap();
    // The signal may reach the session just after the next statement.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let gone = loop {
        match ended.execute("SELECT 1").await {
            Err(e) => break e,
            Ok(_) => assert!(std::time::Instant::now() < deadline, "never ended"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert!(
        matches!(&gone, sqlx::Error::Database(d) if d.code().as_deref() == Some("57P01")),
        "{gone:?}"
    );
    assert!(unavailable(gone));
    let wrong = sqlx::query("SELECT 1/0")
        .execute(db.store.pool())
        .await
        .unwrap_err();
    assert!(!unavailable(wrong));
    db.drop_schema().await;
}

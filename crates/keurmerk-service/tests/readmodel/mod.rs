//! Issue 15 item 2: the stored label status (read model). A lookup after a write reads the row
//! the write refreshed; the row is never served once anything it was made from changed — an
//! edited event, a compromised key, the passing of time, a new software list — and after any
//! sequence of writes and clock moves the read model equals the fold (property test, SQLite and,
//! with `KEURMERK_TEST_POSTGRES`, PostgreSQL). The same for the certificate page's stored data
//! (migration 0032): served only at its status row's generation, proven by `certificate verify`.

use std::sync::Arc;

use chrono::Duration;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::status::{LabelStatus, Reason, StatusReport};
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, ProductStore, SqlStore, StatusStore};
use proptest::prelude::*;

use crate::support::*;

async fn exec(reg: &Registry<SqlStore>, sql: &str) {
    sqlx::query(sql).execute(reg.store().pool()).await.unwrap();
}

/// The report with `evaluated_at` set to `at`, to compare reports made at different instants.
fn at(mut r: StatusReport, at: chrono::DateTime<chrono::Utc>) -> StatusReport {
    r.evaluated_at = at;
    r
}

/// The status a lookup answers, and everything the certificate page shows, equal the fold of
/// the verified events (`evaluated_at` aside).
async fn lookup_equals_fold(reg: &Registry<SqlStore>, id: &CertificateId) -> StatusReport {
    let looked_up = reg.status(id).await.unwrap();
    let page = reg.certificate_details(id).await.unwrap();
    let folded = reg.folded_details(id).await.unwrap();
    assert_eq!(looked_up.evaluated_at, reg.now());
    assert_eq!(
        at(looked_up.clone(), folded.status.evaluated_at),
        folded.status
    );
    page_equals_fold(&page, &folded);
    // The signed status is signed over the same status.
    let signed = reg.signed_status_report(id).await.unwrap().report;
    assert_eq!(at(signed, folded.status.evaluated_at), folded.status);
    newest_signature_equals_live(reg, id, &page).await;
    read_beside_equals_looked_up(reg, &page).await;
    looked_up
}

/// What the details read beside a stored page (the newest statement's log index, the
/// assessment's verdicts) equals what is looked up on its own.
async fn read_beside_equals_looked_up(reg: &Registry<SqlStore>, page: &CertificateDetails) {
    let last = page.events.last().map_or(0, |e| e.seq);
    let logged = reg.store().log_index_of_event(last).await.unwrap();
    if let Some(index) = page.log_index_of(last) {
        assert_eq!(Some(index), logged.map(|i| u64::try_from(i).unwrap()));
    }
    assert_eq!(page.log_index_of(last + 1), None, "only the last event's");
    for lang in [Lang::En, Lang::Nl] {
        assert_eq!(
            reg.recognition_of_details(page, None, lang).await.unwrap(),
            reg.recognition_of(&page.certificate, &page.product, None, lang)
                .await
                .unwrap()
        );
    }
}

/// What the page's verification section shows of the newest statement (from the verdict the
/// details carry when they have one) equals verifying that statement now.
async fn newest_signature_equals_live(
    reg: &Registry<SqlStore>,
    id: &CertificateId,
    page: &CertificateDetails,
) {
    let shown = reg.latest_signature_of(page).await.unwrap();
    let live = reg.latest_signature(id).await.unwrap();
    let parts = |r: Option<SignatureReport>| {
        r.map(|r| {
            (
                r.event_seq,
                format!("{:?}", r.result),
                r.claimed,
                format!("{:?}", r.key),
                r.integrity,
            )
        })
    };
    assert_eq!(parts(shown), parts(live));
}

/// The certificate page's details equal the fold's, field by field.
fn page_equals_fold(page: &CertificateDetails, folded: &CertificateDetails) {
    assert_eq!(page.certificate, folded.certificate);
    assert_eq!(page.product, folded.product);
    assert_eq!(page.events, folded.events);
    assert_eq!(page.view, folded.view);
    assert_eq!(page.integrity, folded.integrity);
    // A page row without a verdict (the format before it) shows the same by verifying.
    if let Some(stored) = page.newest_signature() {
        assert_eq!(Some(stored), folded.newest_signature());
    }
    assert_eq!(
        at(page.status.clone(), folded.status.evaluated_at),
        folded.status
    );
}

async fn stored(reg: &Registry<SqlStore>, id: &CertificateId) -> Option<StatusReport> {
    reg.store()
        .current_status(id)
        .await
        .unwrap()
        .map(|r| r.report)
}

async fn certificate(e: &Env) -> CertificateId {
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await
}

fn suspend() -> LifecycleRequest {
    LifecycleRequest {
        command: Command::Suspend,
        reason: "default password on every unit".into(),
        until: None,
        reason_code: Some("non_conformity".into()),
        reason_lang: None,
    }
}

#[tokio::test]
async fn a_write_stores_the_status_a_lookup_then_reads() {
    let e = env().await;
    let id = certificate(&e).await;
    let row = stored(&e.reg, &id).await.expect("the issue stored a row");
    assert_eq!(row.state, keurmerk_domain::lifecycle::State::Active);
    let first = lookup_equals_fold(&e.reg, &id).await;
    assert_eq!(at(first, row.evaluated_at), row);

    e.clock.set(t0() + Duration::hours(1));
    e.reg
        .change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap();
    let row = stored(&e.reg, &id)
        .await
        .expect("the suspension refreshed it");
    assert_eq!(row.status, LabelStatus::Suspended);
    assert_eq!(
        lookup_equals_fold(&e.reg, &id).await.status,
        LabelStatus::Suspended
    );
    assert!(e
        .reg
        .verify_read_model(false)
        .await
        .unwrap()
        .differences
        .is_empty());
}

#[tokio::test]
async fn an_edited_event_is_not_masked_by_the_stored_row() {
    let e = env().await;
    let id = certificate(&e).await;
    e.reg
        .change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap();
    e.reg
        .change_state(
            &a("nl-rdi"),
            &id,
            LifecycleRequest {
                command: Command::Reinstate,
                reason: "fixed".into(),
                until: None,
                reason_code: None,
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    let green = e.reg.status(&id).await.unwrap();
    assert_ne!(green.status, LabelStatus::Unknown);
    assert!(stored(&e.reg, &id).await.is_some());
    // Someone with the database rewrites the suspension's reason.
    exec(
        &e.reg,
        &format!(
            "UPDATE events SET payload = REPLACE(payload, 'default password', 'cosmetic') \
             WHERE certificate_id = '{id}'"
        ),
    )
    .await;
    assert_eq!(stored(&e.reg, &id).await, None, "the edit cleared the row");
    let st = lookup_equals_fold(&e.reg, &id).await;
    assert_eq!(st.status, LabelStatus::Unknown);
    assert!(matches!(st.reasons[0], Reason::IntegrityProblem { .. }));
    // A distrusted status is never stored: every lookup verifies again.
    assert_eq!(stored(&e.reg, &id).await, None);
    let check = e.reg.verify_read_model(false).await.unwrap();
    assert!(check.differences.is_empty());
    assert_eq!(check.not_current, 1);

    // A row written directly (a stale green row with the current sequence number) is caught by
    // `certificate verify` and repaired.
    let seq: i64 = sqlx::query_scalar("SELECT last_seq FROM certificates WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    exec(
        &e.reg,
        "UPDATE events SET payload = REPLACE(payload, 'cosmetic', 'default password')",
    )
    .await;
    assert_eq!(lookup_equals_fold(&e.reg, &id).await.status, green.status);
    let row = e.reg.store().current_status(&id).await.unwrap().unwrap();
    assert_eq!(row.seq, seq);
    let mut forged = row.report.clone();
    forged.status = if green.status == LabelStatus::Valid {
        LabelStatus::Suspended
    } else {
        LabelStatus::Valid
    };
    exec(
        &e.reg,
        &format!(
            "UPDATE label_status SET report = '{}' WHERE certificate_id = '{id}'",
            serde_json::to_string(&forged).unwrap().replace('\'', "''")
        ),
    )
    .await;
    let check = e.reg.verify_read_model(true).await.unwrap();
    assert_eq!(check.differences.len(), 1, "{check:?}");
    assert_eq!(check.differences[0].certificate, id);
    assert_eq!(check.differences[0].fields, vec!["status".to_owned()]);
    assert_eq!(check.repaired, 1);
    assert!(e
        .reg
        .verify_read_model(false)
        .await
        .unwrap()
        .differences
        .is_empty());
    lookup_equals_fold(&e.reg, &id).await;
}

async fn page(reg: &Registry<SqlStore>) -> Vec<LabelResult> {
    reg.search_labels(&LabelQuery {
        text: Some("cosy".into()),
        limit: 10,
        ..LabelQuery::default()
    })
    .await
    .unwrap()
    .items
}

/// A page of search results reads its rows in one statement, and takes a row's stored status
/// word only where a single lookup would serve that row: an edited certificate among them is
/// folded (and shown `unknown`), the others equal their lookups, in the page's order; a row
/// stored under another trust list or policy, computed in the future or stale is evaluated
/// instead, whatever its word says.
#[tokio::test]
async fn a_search_page_serves_only_the_rows_a_lookup_would() {
    let e = env().await;
    let first = certificate(&e).await;
    let (p, v) = product(&e.reg, "maker").await;
    let second = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let (p, v) = product(&e.reg, "maker").await;
    let third = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    e.reg
        .change_state(&a("nl-rdi"), &third, suspend())
        .await
        .unwrap();
    let items = page(&e.reg).await;
    let shown: Vec<CertificateId> = items.iter().map(|i| i.hit.certificate.id.clone()).collect();
    assert_eq!(
        shown,
        vec![third.clone(), second.clone(), first.clone()],
        "newest first"
    );
    for item in &items {
        let single = lookup_equals_fold(&e.reg, &item.hit.certificate.id).await;
        assert_eq!(item.status, single.status);
    }
    assert_eq!(items[0].status, LabelStatus::Suspended);
    // Someone with the database rewrites the suspension's reason: the row is cleared, and the
    // page shows what the fold proves (nothing), never the row.
    exec(
        &e.reg,
        &format!(
            "UPDATE events SET payload = REPLACE(payload, 'default password', 'cosmetic') \
             WHERE certificate_id = '{third}'"
        ),
    )
    .await;
    let items = page(&e.reg).await;
    assert_eq!(items[0].status, LabelStatus::Unknown);
    assert_ne!(items[1].status, LabelStatus::Unknown);
    // A forged row with the current sequence number and a forged word, but a condition a lookup
    // would not serve it under (rows proved under a trust list the registry no longer reads
    // with, another policy, computed in the future, stale): the page evaluates the certificate.
    let good = e.reg.status(&second).await.unwrap();
    assert_ne!(good.status, LabelStatus::Suspended);
    let mut forged = good.clone();
    forged.status = LabelStatus::Suspended;
    let forged = serde_json::to_string(&forged).unwrap().replace('\'', "''");
    for condition in [
        "trust = 'not-the-trust-list'",
        "policy = 'another-policy'",
        "computed_at = '2999-01-01T00:00:00.000000Z'",
        "stale_after = '2000-01-01T00:00:00.000000Z'",
    ] {
        exec(
            &e.reg,
            &format!(
                "UPDATE label_status SET report = '{forged}', status = 'suspended', {condition} \
                 WHERE certificate_id = '{second}'"
            ),
        )
        .await;
        let items = page(&e.reg).await;
        assert_eq!(items[1].hit.certificate.id, second);
        assert_eq!(items[1].status, good.status, "{condition}");
        // The evaluation stored the fold again for the next condition.
        assert_eq!(e.reg.status(&second).await.unwrap().status, good.status);
    }
    // A word edited alone in a row a lookup would serve is what the page shows (as the status
    // list does: the word is stored with its report and trusted under the same conditions), and
    // `certificate verify` reports it and repairs it.
    exec(
        &e.reg,
        &format!("UPDATE label_status SET status = 'suspended' WHERE certificate_id = '{second}'"),
    )
    .await;
    assert_eq!(page(&e.reg).await[1].status, LabelStatus::Suspended);
    let check = e.reg.verify_read_model(true).await.unwrap();
    assert!(
        check
            .differences
            .iter()
            .any(|d| d.certificate == second && d.fields.contains(&"status list word".to_owned())),
        "{check:?}"
    );
    assert_eq!(page(&e.reg).await[1].status, good.status);
    // A word that is not a status is never shown: the certificate is evaluated.
    exec(
        &e.reg,
        &format!("UPDATE label_status SET status = 'gold' WHERE certificate_id = '{second}'"),
    )
    .await;
    assert_eq!(page(&e.reg).await[1].status, good.status);
}

/// A registry with a certificate that the national authority suspended a day after its issue.
async fn suspended_a_day_later() -> (Env, CertificateId) {
    let e = env().await;
    let id = certificate(&e).await;
    e.clock.set(t0() + Duration::days(1));
    e.reg
        .change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap();
    (e, id)
}

#[tokio::test]
async fn a_compromised_key_makes_every_row_it_proved_stale() {
    let (e, id) = suspended_a_day_later().await;
    assert!(stored(&e.reg, &id).await.is_some());
    let rdi = e
        .reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, root)| k.organisation_id == "nl-rdi" && !root)
        .unwrap()
        .0;
    e.reg
        .revoke_key(&rdi.key_id.to_string(), t0() + Duration::hours(12))
        .await
        .unwrap();
    let st = lookup_equals_fold(&e.reg, &id).await;
    assert_eq!(st.status, LabelStatus::Unknown);
    assert!(matches!(st.reasons[0], Reason::CompromisedKey { .. }));
    // The page holds no verdict on a statement signed after its key was compromised: it
    // verifies it, and says why it is not authentic.
    let page = e.reg.certificate_details(&id).await.unwrap();
    assert!(page.newest_signature().is_none());
    let shown = e.reg.latest_signature_of(&page).await.unwrap().unwrap();
    assert!(
        matches!(
            shown.result,
            Err(keurmerk_trust::TrustError::RevokedKey { .. })
        ),
        "{:?}",
        shown.result
    );
}

/// A key compromised after it signed the newest statement: the stored verdict was reached under
/// the old trust list, so the page row is not served; the fold stores the verdict again (still
/// authentic, signed before) and the page shows the compromise date from the key's record.
#[tokio::test]
async fn a_key_compromised_after_it_signed_leaves_an_authentic_verdict_naming_the_revocation() {
    let (e, id) = suspended_a_day_later().await;
    let before = e.reg.certificate_details(&id).await.unwrap();
    let verdict = before
        .newest_signature()
        .cloned()
        .expect("stored with the row");
    assert_eq!(verdict.certificate(), id.as_str());
    assert_eq!(
        Some(verdict.event_seq()),
        before.events.last().map(|e| e.seq)
    );
    let (_, page) = e.reg.store().current_page(&id).await.unwrap().unwrap();
    e.clock.set(t0() + Duration::days(3));
    e.reg
        .revoke_key(verdict.key_id(), t0() + Duration::days(2))
        .await
        .unwrap();
    let after = e.reg.certificate_details(&id).await.unwrap();
    let (_, again) = e.reg.store().current_page(&id).await.unwrap().unwrap();
    assert_ne!(page.trust, again.trust, "folded under the new trust list");
    assert_eq!(after.newest_signature(), Some(&verdict));
    let shown = e.reg.latest_signature_of(&after).await.unwrap().unwrap();
    assert!(shown.is_valid());
    assert!(shown.key.unwrap().revoked_at.is_some());
    lookup_equals_fold(&e.reg, &id).await;
}

#[tokio::test]
async fn time_alone_makes_the_row_stale_and_a_clock_going_back_is_not_trusted() {
    let e = env().await;
    let id = certificate(&e).await;
    let row = e.reg.store().current_status(&id).await.unwrap().unwrap();
    let end = row
        .stale_after
        .expect("a live label changes by time one day");
    // Just before: served from the row, and it equals the fold.
    e.clock.set(end - Duration::microseconds(1));
    lookup_equals_fold(&e.reg, &id).await;
    // From then on the row is not served; the fold is stored again.
    e.clock.set(end);
    lookup_equals_fold(&e.reg, &id).await;
    let again = e.reg.store().current_status(&id).await.unwrap().unwrap();
    assert_eq!(again.computed_at, end);
    // Far past the validity: expired, whatever the row said.
    e.clock.set(t0() + Duration::days(365 * 6));
    assert_eq!(
        lookup_equals_fold(&e.reg, &id).await.status,
        LabelStatus::Expired
    );
    // The clock goes back: a row computed "in the future" is not served.
    e.clock.set(t0());
    assert_ne!(
        lookup_equals_fold(&e.reg, &id).await.status,
        LabelStatus::Expired
    );
}

#[tokio::test]
async fn a_registry_with_other_policies_does_not_serve_the_rows() {
    let e = env().await;
    let id = certificate(&e).await;
    exec(
        &e.reg,
        "UPDATE label_status SET policy = 'an older catalogue'",
    )
    .await;
    assert!(e.reg.store().current_status(&id).await.unwrap().is_some());
    lookup_equals_fold(&e.reg, &id).await;
    let row = e.reg.store().current_status(&id).await.unwrap().unwrap();
    assert_ne!(
        row.policy, "an older catalogue",
        "stored again under the current one"
    );
    // A row this build cannot read (another build's report format) is folded, not an error.
    exec(
        &e.reg,
        "UPDATE label_status SET report = '{\"status\": \"valid\"}'",
    )
    .await;
    assert!(e.reg.store().current_status(&id).await.is_err());
    lookup_equals_fold(&e.reg, &id).await;
    assert!(e.reg.store().current_status(&id).await.unwrap().is_some());
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    Change(Command, u32),
    Clock(i64),
    Lookup,
    Expire,
    Scheduler,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            prop_oneof![
                Just(Command::Suspend),
                Just(Command::Reinstate),
                Just(Command::Withdraw),
                Just(Command::ExtendSuspension),
            ],
            1u32..40
        )
            .prop_map(|(c, d)| Step::Change(c, d)),
        (0i64..900).prop_map(Step::Clock),
        Just(Step::Lookup),
        Just(Step::Expire),
        Just(Step::Scheduler),
    ]
}

async fn run_history(reg: &Registry<SqlStore>, clock: &ManualClock, steps: &[Step]) {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    let id = issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let mut now = t0();
    for s in steps {
        match s {
            Step::Change(command, days) => {
                let until = matches!(command, Command::Suspend | Command::ExtendSuspension)
                    .then(|| (now + Duration::days(i64::from(*days))).date_naive());
                // Refused transitions are part of the game: they must not touch the row.
                let _ = reg
                    .change_state(
                        &a("nl-rdi"),
                        &id,
                        LifecycleRequest {
                            command: *command,
                            reason: "random".into(),
                            until,
                            // A code that fits each command, so the transitions are refused
                            // only by the lifecycle, not for a missing reason.
                            reason_code: match command {
                                Command::Reinstate => None,
                                Command::Withdraw => Some("non_conformity".into()),
                                _ => Some("under_investigation".into()),
                            },
                            reason_lang: None,
                        },
                    )
                    .await;
            }
            Step::Clock(hours) => {
                now += Duration::hours(*hours * 7);
                clock.set(now);
            }
            Step::Lookup => {
                lookup_equals_fold(reg, &id).await;
            }
            Step::Expire => {
                reg.expire_due(&a("enisa")).await.unwrap();
            }
            Step::Scheduler => {
                reg.scheduler_pass("prop", std::time::Duration::from_secs(60))
                    .await
                    .unwrap();
            }
        }
        lookup_equals_fold(reg, &id).await;
    }
    let check = reg.verify_read_model(false).await.unwrap();
    assert!(check.differences.is_empty(), "{check:?}");
    assert!(check.page_differences.is_empty(), "{check:?}");
}

fn sqlite_history(steps: &[Step]) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let e = env().await;
        run_history(&e.reg, &e.clock, steps).await;
    });
}

fn postgres_history(url: &str, steps: &[Step]) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let clock = Arc::new(ManualClock::new(t0()));
        let (store, reg) = postgres_registry(url, &schema, clock.clone()).await;
        run_history(&reg, &clock, steps).await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(store.pool())
            .await
            .unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// After any sequence of lifecycle writes (refused ones too), expiry runs, scheduler passes
    /// and clock moves, every lookup equals the fold and `certificate verify` finds no
    /// difference.
    #[test]
    fn the_read_model_equals_the_fold_after_random_histories(
        steps in proptest::collection::vec(step(), 1..12)
    ) {
        sqlite_history(&steps);
        if let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") {
            postgres_history(&url, &steps);
        }
    }
}

/// Someone with the database rewrites the suspension's reason in `table.column` of `id`.
async fn rewrite_reason(reg: &Registry<SqlStore>, table: &str, column: &str, id: &CertificateId) {
    exec(
        reg,
        &format!(
            "UPDATE {table} SET {column} = REPLACE({column}, 'default password', 'cosmetic') \
             WHERE certificate_id = '{id}'"
        ),
    )
    .await;
}

/// A registry on PostgreSQL in a fresh schema (dropped by the caller), with the given clock.
async fn postgres_registry(
    url: &str,
    schema: &str,
    clock: Arc<ManualClock>,
) -> (SqlStore, Registry<SqlStore>) {
    let store = SqlStore::connect_in_schema(url, Some(schema))
        .await
        .unwrap();
    let reg = registry(store.clone(), clock);
    (store, reg)
}

/// Deletes the certificate's status and page rows and views the page, which stores both again.
async fn clear_and_view(reg: &Registry<SqlStore>, id: &CertificateId) {
    reg.store().clear_status(id).await.unwrap();
    reg.certificate_details(id).await.unwrap();
    assert_eq!(page_rows(reg, id).await, 1);
}

/// How many stored page rows a certificate has.
async fn page_rows(reg: &Registry<SqlStore>, id: &CertificateId) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM certificate_page WHERE certificate_id = $1")
        .bind(id.to_string())
        .fetch_one(reg.store().pool())
        .await
        .unwrap()
}

/// The certificate page's read model (migration 0032): stored with the status by every write,
/// gone with any change of the generation, never served in another format, under another trust
/// list or short of the certificate's last event, and a forged body is found and repaired by
/// `certificate verify`.
async fn the_page_is_served_from_its_row_only_while_it_is_current(reg: &Registry<SqlStore>) {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    let id = issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let (row, page) = reg
        .store()
        .current_page(&id)
        .await
        .unwrap()
        .expect("the issue stored the page with the status");
    assert_eq!(page.generation, row.generation);
    assert_eq!(page.trust, row.trust);
    lookup_equals_fold(reg, &id).await;
    // The assessment's verdicts come with the page; the last event's log index too, once the
    // sequencer logged its statement (none before).
    let assessment = reg.assessment(&page.certificate.assessment).await.unwrap();
    assert_eq!(page.verdicts.as_ref(), Some(&assessment.verdicts));
    assert_eq!(page.last_log_index, None);
    let d = reg.certificate_details(&id).await.unwrap();
    assert_eq!(d.log_index_of(page.last_seq), None);
    log_everything(reg).await;
    let (_, page) = reg.store().current_page(&id).await.unwrap().unwrap();
    let logged = reg.store().log_index_of_event(page.last_seq).await.unwrap();
    assert!(logged.is_some());
    assert_eq!(page.last_log_index, logged);
    let d = reg.certificate_details(&id).await.unwrap();
    assert_eq!(
        d.log_index_of(page.last_seq),
        logged.map(|i| u64::try_from(i).unwrap())
    );
    lookup_equals_fold(reg, &id).await;

    // Any bump of the generation deletes the page in the same statement.
    exec(
        reg,
        &format!("UPDATE label_status SET gen = gen + 1 WHERE certificate_id = '{id}'"),
    )
    .await;
    assert_eq!(page_rows(reg, &id).await, 0);
    lookup_equals_fold(reg, &id).await;
    assert_eq!(
        page_rows(reg, &id).await,
        1,
        "the page view stored it again"
    );

    // A write's own refresh stores the page of the new history.
    reg.change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap();
    let (row, page) = reg.store().current_page(&id).await.unwrap().unwrap();
    assert_eq!(page.generation, row.generation);
    let d = reg.certificate_details(&id).await.unwrap();
    assert_eq!(d.status.status, LabelStatus::Suspended);
    assert_eq!(d.events.len(), 2);
    // The certificate and product rows come with the page, as the store holds them.
    let (stored, last) = reg.store().certificate(&id).await.unwrap().unwrap();
    assert_eq!((&page.certificate, page.last_seq), (&stored, last));
    assert_eq!(page.last_seq, row.seq);
    assert_eq!(
        Some(page.product.clone()),
        reg.store().product(&p).await.unwrap()
    );
    assert_eq!((&d.certificate, &d.product), (&stored, &page.product));
    let suspension = d.events[1].seq;
    lookup_equals_fold(reg, &id).await;

    // Someone with the database rewrites the suspension's reason in the stored page only: the
    // page would show it, so `certificate verify` must find it, and repairs it.
    rewrite_reason(reg, "certificate_page", "body", &id).await;
    let shown = reg.certificate_details(&id).await.unwrap();
    let folded = reg.folded_details(&id).await.unwrap();
    assert_ne!(
        shown.events, folded.events,
        "the forged row is what a view reads"
    );
    let check = reg.verify_read_model(true).await.unwrap();
    assert_eq!(check.page_differences.len(), 1, "{check:?}");
    assert_eq!(check.page_differences[0].certificate, id);
    assert_eq!(check.page_differences[0].first_difference, Some(suspension));
    assert!(
        check.differences.is_empty(),
        "the status row itself is right"
    );
    let check = reg.verify_read_model(false).await.unwrap();
    assert!(check.page_differences.is_empty(), "{check:?}");
    assert_eq!(check.pages_current, 1);
    lookup_equals_fold(reg, &id).await;

    // A body in another format, under another trust digest, short of the last event or not
    // readable is folded, never served, and stored again.
    for edit in [
        "format = 'certificate-page-0'",
        "trust = 'not-the-trust-list'",
        "body = '{\"events\": []}'",
        "body = 'not json'",
    ] {
        exec(
            reg,
            &format!("UPDATE certificate_page SET {edit} WHERE certificate_id = '{id}'"),
        )
        .await;
        lookup_equals_fold(reg, &id).await;
        let (row, page) = reg.store().current_page(&id).await.unwrap().unwrap();
        assert_eq!(page.body.format, "certificate-page-2", "{edit}");
        assert_eq!(page.trust, row.trust, "{edit}");
    }

    // The verdict on the newest statement is stored with the events and served with them.
    let (_, page) = reg.store().current_page(&id).await.unwrap().unwrap();
    let body: serde_json::Value = serde_json::from_str(&page.body.body).unwrap();
    let last = page.last_seq;
    assert_eq!(body["newest"]["event_seq"], last);
    let d = reg.certificate_details(&id).await.unwrap();
    let verdict = d.newest_signature().cloned().expect("served with the page");
    // A verdict for another event, or one in the format that had none, is never served: the
    // view folds and stores the page again.
    let body_of = async || reg.store().current_page(&id).await.unwrap().unwrap().1.body;
    let right = format!("\"event_seq\":{last},");
    let wrong = format!("\"event_seq\":{},", last - 1);
    for edit in [
        format!("body = REPLACE(body, '{right}', '{wrong}')"),
        "format = 'certificate-page-1'".to_owned(),
    ] {
        exec(
            reg,
            &format!("UPDATE certificate_page SET {edit} WHERE certificate_id = '{id}'"),
        )
        .await;
        let edited = body_of().await;
        assert!(
            edited.body.contains(&wrong) || edited.format == "certificate-page-1",
            "{edit}"
        );
        lookup_equals_fold(reg, &id).await;
        let again = body_of().await;
        assert_eq!(again.format, "certificate-page-2", "{edit}");
        assert!(again.body.contains(&right), "{edit}");
    }
    // A body of that format without a verdict is served, and the page verifies the statement.
    exec(
        reg,
        &format!(
            "UPDATE certificate_page SET format = 'certificate-page-1', body = '{}' \
             WHERE certificate_id = '{id}'",
            serde_json::json!({ "events": body["events"] })
        ),
    )
    .await;
    let d = reg.certificate_details(&id).await.unwrap();
    assert!(d.newest_signature().is_none());
    assert_eq!(
        reg.store()
            .current_page(&id)
            .await
            .unwrap()
            .unwrap()
            .1
            .body
            .format,
        "certificate-page-1",
        "served, not folded"
    );
    let shown = reg.latest_signature_of(&d).await.unwrap().unwrap();
    assert_eq!(shown.result.unwrap(), verdict);
    lookup_equals_fold(reg, &id).await;
    // Someone with the database names another signer in the stored verdict: the page would show
    // it, so `certificate verify` must find it, and repairs it.
    clear_and_view(reg, &id).await;
    exec(
        reg,
        &format!(
            "UPDATE certificate_page SET body = REPLACE(body, '\"organisation\":\"{}\"', \
             '\"organisation\":\"Someone Else\"') WHERE certificate_id = '{id}'",
            verdict.organisation()
        ),
    )
    .await;
    let shown = reg.certificate_details(&id).await.unwrap();
    assert_eq!(
        shown.newest_signature().unwrap().organisation(),
        "Someone Else"
    );
    let check = reg.verify_read_model(true).await.unwrap();
    assert_eq!(check.page_differences.len(), 1, "{check:?}");
    assert!(check.page_differences[0].signature_differs, "{check:?}");
    assert_eq!(check.page_differences[0].first_difference, None);
    let check = reg.verify_read_model(false).await.unwrap();
    assert!(check.page_differences.is_empty(), "{check:?}");
    lookup_equals_fold(reg, &id).await;

    // An edited event: the status row and the page are gone in that statement, and the page
    // shows what the fold proves (nothing: `unknown`, with the problem).
    rewrite_reason(reg, "events", "payload", &id).await;
    assert_eq!(page_rows(reg, &id).await, 0);
    lookup_equals_fold(reg, &id).await;
    let d = reg.certificate_details(&id).await.unwrap();
    assert_eq!(d.status.status, LabelStatus::Unknown);
    assert!(!d.integrity.is_empty());
    assert!(reg.store().current_page(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_page_is_served_from_its_row_only_while_it_is_current_on_sqlite() {
    let e = env().await;
    the_page_is_served_from_its_row_only_while_it_is_current(&e.reg).await;
}

#[tokio::test]
async fn the_page_is_served_from_its_row_only_while_it_is_current_on_postgres() {
    on_postgres(
        |s| s,
        async |reg| the_page_is_served_from_its_row_only_while_it_is_current(reg).await,
    )
    .await;
}

/// A certificate row edited outside the registry (its level, issuer kind, authority, issue time)
/// is not believed: the editing statement drops the stored status and page, the fold names the
/// fact and answers `unknown` (never stored as proven), the signed status says `unknown`, no
/// label is signed with the edited claims, and the event store check reports the row. Put back,
/// the label is whole again.
async fn an_edited_certificate_row_is_not_believed(reg: &Registry<SqlStore>) {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    let id = issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let good = lookup_equals_fold(reg, &id).await;
    assert_ne!(good.status, LabelStatus::Unknown);
    reg.label(&id).await.unwrap();
    let (row, _) = reg.store().certificate(&id).await.unwrap().unwrap();
    let issued_at = row
        .issued_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let authority = row.authority.clone().unwrap();
    for (column, edited, original, fact) in [
        (
            "level_id",
            "'high'".to_owned(),
            "'substantial'".to_owned(),
            "level",
        ),
        (
            "issuer_kind",
            "'self'".to_owned(),
            "'third_party'".to_owned(),
            "issuer_kind",
        ),
        (
            "authority_id",
            "NULL".to_owned(),
            format!("'{authority}'"),
            "authority",
        ),
        (
            "issued_at",
            "'2020-01-01T00:00:00.000000Z'".to_owned(),
            format!("'{issued_at}'"),
            "issued_at",
        ),
    ] {
        let set =
            |value: &str| format!("UPDATE certificates SET {column} = {value} WHERE id = '{id}'");
        assert!(stored(reg, &id).await.is_some(), "{column}");
        exec(reg, &set(&edited)).await;
        assert_eq!(
            stored(reg, &id).await,
            None,
            "{column}: the edit dropped the stored status"
        );
        let st = lookup_equals_fold(reg, &id).await;
        assert_eq!(st.status, LabelStatus::Unknown, "{column}");
        assert!(
            st.reasons.iter().any(|r| matches!(r,
                Reason::IntegrityProblem { detail, .. }
                    if detail.contains(&format!("signed record proves ({fact})")))),
            "{column}: {:?}",
            st.reasons
        );
        assert_eq!(
            stored(reg, &id).await,
            None,
            "{column}: not stored as proven"
        );
        let e = reg.label(&id).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("({fact})")),
            "{column}: {e}"
        );
        assert_eq!(
            reg.verify_event_store().await.unwrap(),
            vec![id.clone()],
            "{column}"
        );
        exec(reg, &set(&original)).await;
        let back = lookup_equals_fold(reg, &id).await;
        assert_eq!(back.status, good.status, "{column}");
        assert!(
            reg.verify_event_store().await.unwrap().is_empty(),
            "{column}"
        );
        reg.label(&id).await.unwrap();
    }
}

#[tokio::test]
async fn an_edited_certificate_row_is_not_believed_on_sqlite() {
    let e = env().await;
    an_edited_certificate_row_is_not_believed(&e.reg).await;
}

#[tokio::test]
async fn an_edited_certificate_row_is_not_believed_on_postgres() {
    on_postgres(
        |s| s,
        async |reg| an_edited_certificate_row_is_not_believed(reg).await,
    )
    .await;
}

/// When the reused trust list expires under many lookups at once, one of them builds it again
/// and the others take that build: every lookup building its own was 4 % of a saturated
/// server's CPU (2026-12-03).
#[tokio::test]
async fn lookups_build_an_expired_trust_list_once() {
    let e = env().await;
    let id = certificate(&e).await;
    let first = e.reg.status(&id).await.unwrap();
    // The list is reused for `TTL` on the monotonic clock.
    std::thread::sleep(TRUST_LIST_TTL + std::time::Duration::from_millis(100));
    let before = e.reg.trust_list_builds();
    let mut lookups = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (reg, id) = (e.reg.clone(), id.clone());
        lookups.spawn(async move { reg.status(&id).await });
    }
    while let Some(status) = lookups.join_next().await {
        assert_eq!(status.unwrap().unwrap().status, first.status);
    }
    assert_eq!(e.reg.trust_list_builds() - before, 1);
    // Reused again: no build for another lookup.
    e.reg.status(&id).await.unwrap();
    assert_eq!(e.reg.trust_list_builds() - before, 1);
}

/// The certificate page shows the signer's key record and the organisations named on it from
/// what the trust list reads reuse was built from (no statement of their own): a key revoked
/// through this registry shows at once, one revoked in the database (by another instance)
/// within the list's TTL, and an organisation registered since elsewhere is read from the store.
#[tokio::test]
async fn a_page_shows_keys_and_organisations_as_the_reused_trust_list_read_them() {
    let (e, id) = suspended_a_day_later().await;
    let page = e.reg.certificate_details(&id).await.unwrap();
    let verdict = page
        .newest_signature()
        .cloned()
        .expect("stored with the row");
    let shown = e.reg.latest_signature_of(&page).await.unwrap().unwrap();
    let key = shown.key.clone().expect("the signer's key record");
    assert_eq!(key.key_id, verdict.key_id());
    assert_eq!(key.revoked_at, None);
    for org in e.reg.organisations().await.unwrap() {
        assert_eq!(e.reg.shown_organisation(&org.id).await.unwrap(), org);
    }

    // Revoked in the database by another instance: shown once the reused list expired.
    let compromised = t0() + Duration::days(2);
    exec(
        &e.reg,
        &format!(
            "UPDATE signing_keys SET revoked_at = '{}' WHERE key_id = '{}'",
            compromised.to_rfc3339(),
            key.key_id
        ),
    )
    .await;
    std::thread::sleep(TRUST_LIST_TTL + std::time::Duration::from_millis(100));
    let shown = e.reg.latest_signature_of(&page).await.unwrap().unwrap();
    assert_eq!(shown.key.unwrap().revoked_at, Some(compromised));

    // Registered by another instance a moment ago: not in the reused reading, read from the
    // store; an organisation that does not exist is not found, never made up.
    e.reg.status(&id).await.unwrap();
    exec(
        &e.reg,
        &format!(
            "INSERT INTO organisations (id, name, role, member_state, contact, created_at) \
             VALUES ('late-lab', 'Late Lab', 'assessment_body', 'BE', NULL, '{}')",
            t0().to_rfc3339()
        ),
    )
    .await;
    let late = keurmerk_domain::ids::OrgId::new("late-lab").unwrap();
    assert_eq!(
        e.reg.shown_organisation(&late).await.unwrap().name,
        "Late Lab"
    );
    let nobody = keurmerk_domain::ids::OrgId::new("nobody").unwrap();
    assert!(matches!(
        e.reg.shown_organisation(&nobody).await,
        Err(ServiceError::NotFound { .. })
    ));
    // Registered through this registry: shown at once.
    e.reg
        .create_organisation(
            &a("nl-rdi"),
            new_org(
                "new-lab",
                keurmerk_domain::model::OrgRole::AssessmentBody,
                "NL",
            ),
        )
        .await
        .unwrap();
    let new = keurmerk_domain::ids::OrgId::new("new-lab").unwrap();
    assert_eq!(
        e.reg.shown_organisation(&new).await.unwrap().name,
        "new-lab org"
    );
}

//! Issue 15 item 6: the Token Status List, on SQLite and, when `KEURMERK_TEST_POSTGRES` is set,
//! on PostgreSQL: indices taken once in issue order (also by two instances at once), the list
//! built from the statuses (fail closed), published when a status changes and at least hourly,
//! shared by every instance, and its hash in the transparency log.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::status::LabelStatus;
use keurmerk_service::*;
use keurmerk_store::{ScheduleStore, SqlStore, StatusListStore, StatusStore};
use keurmerk_trust::{
    verify_label_input, verify_status_list_token, ListedStatus, StatusListRecord, StatusResponse,
    TrustList, MAX_STATUS_LIST_BYTES,
};

use crate::support::*;

struct Db {
    url: String,
    schema: Option<String>,
    keys: tempfile::TempDir,
    clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        Db {
            url: format!("sqlite:{}", dir.path().join("r.db").display()),
            schema: None,
            keys: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(t0())),
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<Db> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        Some(Db {
            url,
            schema: Some(format!("t_{}", uuid::Uuid::new_v4().simple())),
            keys: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(t0())),
            _dir: None,
        })
    }

    async fn registry(&self) -> Registry<SqlStore> {
        self.registry_with_clock(self.clock.clone()).await
    }

    async fn registry_with_clock(&self, clock: Arc<dyn Clock>) -> Registry<SqlStore> {
        let store = SqlStore::connect_in_schema(&self.url, self.schema.as_deref())
            .await
            .unwrap();
        Registry::new(store.clone(), catalogue(), clock)
            .with_signer(
                Signer::new(Arc::new(store), Secrets::dir(self.keys.path()))
                    .with_base_url("https://keurmerk.example.eu"),
            )
            .with_local_credential(Credential::Cli("test".into()))
    }

    async fn drop_schema(&self, reg: &Registry<SqlStore>) {
        if let Some(schema) = &self.schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(reg.store().pool())
                .await
                .unwrap();
        }
    }
}

macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $body(Db::sqlite()).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(db) = Db::postgres() {
                $body(db).await;
            }
        }
    };
}

fn advance(c: &ManualClock, d: Duration) {
    c.set(Clock::now(c) + d);
}

/// What the list must say for a certificate in force: its status, valid or attention (a
/// certificate without a software list reads "attention: not monitored" under most schemes).
async fn in_force(reg: &Registry<SqlStore>, id: &keurmerk_domain::CertificateId) -> ListedStatus {
    match reg.status(id).await.unwrap().status {
        LabelStatus::Valid => ListedStatus::Valid,
        LabelStatus::Attention => ListedStatus::Attention,
        other => panic!("{id} is {other:?}"),
    }
}

const URL: &str = "https://keurmerk.example.eu/api/v1/status-list";

fn request(command: Command) -> LifecycleRequest {
    let reason_code = match command {
        Command::Reinstate => None,
        Command::Withdraw => Some("non_conformity".into()),
        _ => Some("under_investigation".into()),
    };
    LifecycleRequest {
        command,
        reason: "lab report under review".into(),
        until: None,
        reason_code,
        reason_lang: None,
    }
}

async fn trust(reg: &Registry<SqlStore>) -> TrustList {
    reg.trust_list(1).await.unwrap()
}

/// Three certificates: the first stays valid, the second is suspended, the third withdrawn.
async fn three(reg: &Registry<SqlStore>) -> Vec<keurmerk_domain::CertificateId> {
    world(reg).await;
    let mut ids = Vec::new();
    for maker in ["maker", "maker", "maker"] {
        let (p, v) = product(reg, maker).await;
        ids.push(issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await);
    }
    reg.change_state(&a("nl-rdi"), &ids[1], request(Command::Suspend))
        .await
        .unwrap();
    reg.change_state(&a("nl-rdi"), &ids[2], request(Command::Withdraw))
        .await
        .unwrap();
    ids
}

async fn indices_are_taken_in_issue_order_and_carried_by_token_and_status(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    let list = trust(&reg).await;
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(reg.store().status_index(id).await.unwrap(), Some(n as u64));
        let label = reg.label(id).await.unwrap();
        let v = verify_label_input(&label.url, &list, t0()).unwrap();
        assert_eq!(v.claims.status_index, Some(n as u32));
        let signed = reg.signed_status(id).await.unwrap();
        let s = StatusResponse::verify(&signed, &list, id.as_str(), t0()).unwrap();
        let r = s.response.status_list.as_ref().unwrap();
        assert_eq!((r.idx, r.uri.as_str()), (n as u32, URL));
        s.response.check_label(&v).unwrap();
    }
    db.drop_schema(&reg).await;
}
on_both!(
    indices_in_issue_order_sqlite,
    indices_in_issue_order_postgres,
    indices_are_taken_in_issue_order_and_carried_by_token_and_status
);

async fn two_instances_issuing_at_once_never_share_an_index(db: Db) {
    let r1 = db.registry().await;
    let r2 = db.registry().await;
    world(&r1).await;
    let (p1, v1) = product(&r1, "maker").await;
    let (p2, v2) = product(&r1, "maker").await;
    let (a1, a2) = tokio::join!(
        issued(&r1, "nl-lab", &p1, &v1, "eu-iot", "substantial"),
        issued(&r2, "nl-lab", &p2, &v2, "eu-iot", "substantial"),
    );
    let i1 = r1.store().status_index(&a1).await.unwrap().unwrap();
    let i2 = r1.store().status_index(&a2).await.unwrap().unwrap();
    let mut got = [i1, i2];
    got.sort_unstable();
    assert_eq!(got, [0, 1]);
    db.drop_schema(&r1).await;
}
on_both!(
    concurrent_issue_indices_sqlite,
    concurrent_issue_indices_postgres,
    two_instances_issuing_at_once_never_share_an_index
);

async fn the_published_list_says_what_the_statuses_say(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    let p = reg.refresh_status_list().await.unwrap().unwrap();
    // Three labels; the list's byte holds a fourth slot, padding, which is not counted.
    assert_eq!((p.sequence, p.size), (1, 3));
    let v = verify_status_list_token(
        &p.token,
        &trust(&reg).await,
        Some(URL),
        t0(),
        MAX_STATUS_LIST_BYTES,
    )
    .unwrap();
    assert_eq!(v.status(0).unwrap(), in_force(&reg, &ids[0]).await);
    assert_eq!(v.status(1).unwrap(), ListedStatus::Suspended);
    assert_eq!(v.status(2).unwrap(), ListedStatus::Invalid);
    // Slot 3 is the last of the packed byte: no certificate, so never valid.
    assert_eq!(v.status(3).unwrap(), ListedStatus::Invalid);
    assert!(v.status(4).is_err());
    assert_eq!(
        v.expires_at - v.issued_at,
        Duration::seconds(STATUS_LIST_VALIDITY_SECS)
    );
    assert_eq!(v.ttl, Some(STATUS_LIST_TTL_SECS));
    // Serving gives the stored bytes.
    assert_eq!(reg.status_list().await.unwrap().token, p.token);
    db.drop_schema(&reg).await;
}
on_both!(
    published_list_sqlite,
    published_list_postgres,
    the_published_list_says_what_the_statuses_say
);

async fn a_list_is_published_on_a_status_change_and_at_least_hourly(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    assert_eq!(
        reg.refresh_status_list().await.unwrap().unwrap().sequence,
        1
    );
    // Nothing changed: nothing is published.
    advance(&db.clock, Duration::minutes(10));
    assert!(reg.refresh_status_list().await.unwrap().is_none());
    // A status change: published again at once.
    reg.change_state(&a("nl-rdi"), &ids[1], request(Command::Reinstate))
        .await
        .unwrap();
    let p = reg.refresh_status_list().await.unwrap().unwrap();
    assert_eq!(p.sequence, 2);
    let v = verify_status_list_token(
        &p.token,
        &trust(&reg).await,
        None,
        reg.now(),
        MAX_STATUS_LIST_BYTES,
    )
    .unwrap();
    assert_eq!(v.status(1).unwrap(), in_force(&reg, &ids[1]).await);
    assert!(reg.refresh_status_list().await.unwrap().is_none());
    // An hour later it is published again although nothing changed, so it never expires.
    advance(&db.clock, Duration::seconds(STATUS_LIST_REPUBLISH_SECS));
    let p3 = reg.refresh_status_list().await.unwrap().unwrap();
    assert_eq!(p3.sequence, 3);
    assert_eq!(p3.content_sha256, p.content_sha256);
    // Served after its exp (no publisher ran): a fresh one is built, never the expired one.
    advance(&db.clock, Duration::seconds(STATUS_LIST_VALIDITY_SECS + 1));
    let served = reg.status_list().await.unwrap();
    assert_eq!(served.sequence, 4);
    assert!(served.expires_at > reg.now());
    db.drop_schema(&reg).await;
}
on_both!(
    republished_sqlite,
    republished_postgres,
    a_list_is_published_on_a_status_change_and_at_least_hourly
);

async fn two_instances_publish_one_list_and_serve_the_same_bytes(db: Db) {
    let r1 = db.registry().await;
    let r2 = db.registry().await;
    three(&r1).await;
    let (p1, p2) = tokio::join!(r1.status_list(), r2.status_list());
    let (p1, p2) = (p1.unwrap(), p2.unwrap());
    assert_eq!(p1.token, p2.token);
    assert_eq!(p1.sequence, 1);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM status_lists")
        .fetch_one(r1.store().pool())
        .await
        .unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue WHERE event_seq = 0")
        .fetch_one(r1.store().pool())
        .await
        .unwrap();
    assert_eq!((rows, queued), (1, 1));
    // The lease: while one instance holds it, the other does not publish even when a list is
    // due; the holder does.
    advance(&db.clock, Duration::hours(1));
    let lease = StdDuration::from_secs(2 * 3600);
    assert!(r1.status_list_pass("one", lease).await.unwrap().is_some());
    advance(&db.clock, Duration::hours(1));
    assert!(r2.status_list_pass("two", lease).await.unwrap().is_none());
    assert!(r1.status_list_pass("one", lease).await.unwrap().is_some());
    db.drop_schema(&r1).await;
}
on_both!(
    two_instances_sqlite,
    two_instances_postgres,
    two_instances_publish_one_list_and_serve_the_same_bytes
);

async fn every_published_list_is_in_the_log(db: Db) {
    let reg = db.registry().await;
    three(&reg).await;
    let first = reg.refresh_status_list().await.unwrap().unwrap();
    advance(&db.clock, Duration::hours(1));
    let second = reg.refresh_status_list().await.unwrap().unwrap();
    let log = keurmerk_transparency::LogState::new(reg.store());
    let not_in_log = |r: Result<String, keurmerk_transparency::Error>| {
        matches!(r, Err(keurmerk_transparency::Error::NotInLog(_)))
    };
    // Published, queued, not logged yet: no receipt.
    let first_sha = keurmerk_trust::status_list_sha256(&first.token);
    assert!(not_in_log(log.receipt_for_status_list(&first_sha).await));
    let key = keurmerk_transparency::LogKey::generate("test.example/log").unwrap();
    let vkey = key.log_verifier_key();
    let seq = keurmerk_transparency::Sequencer::new(reg.store(), key, Default::default())
        .await
        .unwrap();
    while seq.step().await.unwrap().is_some() {}
    let list = trust(&reg).await;
    let published = reg.store().status_list_queue_ids().await.unwrap();
    assert_eq!(published.len(), 2);
    for ((sequence, token_sha256, queue_id), p) in published.into_iter().zip([&first, &second]) {
        assert_eq!(token_sha256, keurmerk_trust::status_list_sha256(&p.token));
        let (index, entry): (i64, Vec<u8>) = {
            let index: i64 =
                sqlx::query_scalar("SELECT log_index FROM log_entries WHERE queue_id = $1")
                    .bind(queue_id)
                    .fetch_one(reg.store().pool())
                    .await
                    .unwrap();
            let bundle = reg
                .signer()
                .unwrap()
                .key_store()
                .log_bundle(u64::try_from(index).unwrap() / 256)
                .await
                .unwrap()
                .unwrap();
            let entries = keurmerk_tlog::decode_entry_bundle(&bundle).unwrap();
            (
                index,
                entries[usize::try_from(index % 256).unwrap()].to_vec(),
            )
        };
        let record = StatusListRecord::verify(&entry, &list, reg.now()).unwrap();
        // The monitor's entry check accepts it too.
        keurmerk_transparency::EntryCheck::check(
            &keurmerk_transparency::statement_check(&list, reg.now()),
            0,
            &entry[..],
        )
        .unwrap();
        assert_eq!(record.sequence, sequence);
        assert_eq!(record.sha256, token_sha256);
        assert_eq!(record.sub, URL);
        // A receipt proves the entry is in the signed tree.
        let receipt = log
            .receipt_for_index(u64::try_from(index).unwrap())
            .await
            .unwrap();
        let receipt = keurmerk_tlog::Receipt::parse(receipt.as_bytes()).unwrap();
        let verifiers = keurmerk_tlog::Verifiers::new()
            .with(keurmerk_tlog::Ed25519Verifier::from_vkey(&vkey).unwrap());
        keurmerk_tlog::verify_receipt(&receipt, keurmerk_tlog::Leaf::Data(&entry), &verifiers)
            .unwrap();
        // The list's own receipt, found by its token's SHA-256, carries that entry as `extra`.
        let text = log.receipt_for_status_list(&token_sha256).await.unwrap();
        let by_list = keurmerk_tlog::Receipt::parse(text.as_bytes()).unwrap();
        assert_eq!(by_list.index, u64::try_from(index).unwrap());
        let extra = by_list.extra.clone().unwrap();
        assert_eq!(extra, entry);
        keurmerk_tlog::verify_receipt(&by_list, keurmerk_tlog::Leaf::Data(&extra), &verifiers)
            .unwrap();
    }
    // A list this registry never published has none.
    assert!(not_in_log(
        log.receipt_for_status_list(&"0".repeat(64)).await
    ));
    // The full integrity check does not mistake the records for log entries whose event is
    // missing.
    assert!(reg.verify_all_integrity().await.unwrap().is_empty());
    db.drop_schema(&reg).await;
}
on_both!(
    in_the_log_sqlite,
    in_the_log_postgres,
    every_published_list_is_in_the_log
);

/// The status at `index` of the newest published list.
async fn listed(reg: &Registry<SqlStore>, index: u64) -> ListedStatus {
    let p = reg.store().latest_status_list().await.unwrap().unwrap();
    verify_status_list_token(
        &p.token,
        &trust(reg).await,
        Some(URL),
        reg.now(),
        MAX_STATUS_LIST_BYTES,
    )
    .unwrap()
    .status(index)
    .unwrap()
}

/// A status that changes without an event reaches the list at the next pass, not an hour
/// later: the issuing body's key found compromised before it signed makes the label `unknown`
/// at once, so its slot must stop reading valid.
async fn a_key_found_compromised_reaches_the_list_at_the_next_pass(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    reg.refresh_status_list().await.unwrap().unwrap();
    assert_eq!(listed(&reg, 0).await, in_force(&reg, &ids[0]).await);
    assert_ne!(listed(&reg, 0).await, ListedStatus::Invalid);
    // Nothing changed: nothing to publish.
    advance(&db.clock, Duration::seconds(20));
    assert!(reg.refresh_status_list().await.unwrap().is_none());
    let lab = reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| k.organisation_id == "nl-lab")
        .unwrap()
        .0
        .key_id;
    reg.revoke_key(&lab.to_string(), t0() - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        reg.status(&ids[0]).await.unwrap().status,
        LabelStatus::Unknown
    );
    advance(&db.clock, Duration::seconds(20));
    let p = reg
        .refresh_status_list()
        .await
        .unwrap()
        .expect("a new list within a pass of the key's compromise");
    assert_eq!(p.sequence, 2);
    assert_eq!(listed(&reg, 0).await, ListedStatus::Invalid);
    db.drop_schema(&reg).await;
}
on_both!(
    compromised_key_sqlite,
    compromised_key_postgres,
    a_key_found_compromised_reaches_the_list_at_the_next_pass
);

/// A stored status that time alone makes stale is evaluated again at the first pass after that
/// instant (what the list was built from records the earliest one), not at the hourly list.
async fn a_pass_after_a_stored_status_goes_stale_builds_again(db: Db) {
    let reg = db.registry().await;
    three(&reg).await;
    // No stored status to read: the pass evaluates (and stores) each, and the instant comes
    // from what it stored, not from its walk of the stored words.
    sqlx::query("UPDATE label_status SET report = NULL")
        .execute(reg.store().pool())
        .await
        .unwrap();
    reg.refresh_status_list().await.unwrap().unwrap();
    let built_from = || async {
        let v = reg
            .store()
            .scheduler_value("status_list_built_from")
            .await
            .unwrap()
            .expect("what the list was built from is recorded");
        serde_json::from_str::<serde_json::Value>(&v).unwrap()
    };
    let first = built_from().await;
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(first["until"].clone()).expect("some stored status goes stale");
    assert!(until > reg.now());
    // Before that instant a pass builds nothing and records nothing new.
    advance(&db.clock, Duration::seconds(20));
    assert!(reg.refresh_status_list().await.unwrap().is_none());
    assert_eq!(built_from().await, first);
    // The list is republished hourly anyway: move the clock so that `until` falls within the
    // newest list's hour, publish, then pass `until`.
    db.clock.set(until - Duration::seconds(30));
    reg.publish_status_list_now().await.unwrap();
    let before = built_from().await;
    advance(&db.clock, Duration::seconds(40));
    reg.refresh_status_list().await.unwrap();
    let after = built_from().await;
    assert_ne!(after["until"], before["until"], "built again after {until}");
    db.drop_schema(&reg).await;
}
on_both!(
    stale_with_time_sqlite,
    stale_with_time_postgres,
    a_pass_after_a_stored_status_goes_stale_builds_again
);

/// PostgreSQL: an event that took its number before another but commits after it (two writes
/// under way at once) is not skipped. The watermark is read only once the writes under way have
/// ended, so the list built after it has the late event; the old watermark (the highest number)
/// was read at once, and every pass after that saw the same highest number and built nothing
/// until the hourly list.
#[tokio::test]
async fn an_event_committed_after_a_later_numbered_one_reaches_the_list() {
    use sqlx::{Connection as _, Executor as _};
    let Some(db) = Db::postgres() else { return };
    let reg = db.registry().await;
    let ids = three(&reg).await;
    reg.refresh_status_list().await.unwrap().unwrap();
    assert_ne!(listed(&reg, 0).await, ListedStatus::Invalid);
    // A write under way, as `SqlStore::write` opens one: it appends an event (no signed
    // statement, so the label it names cannot be proven any more) and does not commit yet.
    let mut late = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let schema = db.schema.clone().unwrap();
    late.execute(format!("SET search_path TO {schema}").as_str())
        .await
        .unwrap();
    late.execute("BEGIN").await.unwrap();
    late.execute("SELECT pg_advisory_xact_lock_shared(1263355222)")
        .await
        .unwrap();
    late.execute(
        format!(
            "INSERT INTO events (certificate_id, at, actor_id, role, kind, payload) \
             SELECT certificate_id, at, actor_id, role, kind, payload FROM events \
             WHERE certificate_id = '{}' ORDER BY seq DESC LIMIT 1",
            ids[0]
        )
        .as_str(),
    )
    .await
    .unwrap();
    // Another write, numbered after it, commits first.
    reg.change_state(&a("nl-rdi"), &ids[1], request(Command::Withdraw))
        .await
        .unwrap();
    advance(&db.clock, Duration::seconds(20));
    let pass = tokio::spawn({
        let reg = reg.clone();
        async move { reg.refresh_status_list().await }
    });
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert!(
        !pass.is_finished(),
        "the watermark waits for the write under way"
    );
    late.execute("COMMIT").await.unwrap();
    pass.await.unwrap().unwrap();
    advance(&db.clock, Duration::seconds(20));
    reg.refresh_status_list().await.unwrap();
    assert_eq!(
        reg.status(&ids[0]).await.unwrap().status,
        LabelStatus::Unknown
    );
    assert_eq!(listed(&reg, 0).await, ListedStatus::Invalid);
    drop(late);
    db.drop_schema(&reg).await;
}

/// The entry at `index` of the registry's log, as its entry bundle holds it.
async fn log_entry(reg: &Registry<SqlStore>, index: u64) -> Vec<u8> {
    let bundle = reg
        .signer()
        .unwrap()
        .key_store()
        .log_bundle(index / 256)
        .await
        .unwrap()
        .unwrap();
    keurmerk_tlog::decode_entry_bundle(&bundle).unwrap()[usize::try_from(index % 256).unwrap()]
        .to_vec()
}

/// A status list's receipt proves it is in the log with nothing but the trust list
/// (`keurmerk_transparency::verify_status_list_receipt`), and nothing else passes for that proof:
/// another list's receipt, a trust list without the log's key or with another log's, a changed
/// entry or index, a cut or oversized receipt, one without its entry, and a real entry of the
/// log that is a statement rather than a status list record.
async fn a_status_lists_receipt_proves_it_is_in_the_log_offline(db: Db) {
    use keurmerk_transparency::{verify_status_list_receipt, ListProofError};
    let reg = db.registry().await;
    let ids = three(&reg).await;
    let first = reg.refresh_status_list().await.unwrap().unwrap();
    advance(&db.clock, Duration::hours(1));
    let second = reg.refresh_status_list().await.unwrap().unwrap();
    let key = keurmerk_transparency::LogKey::generate("test.example/log").unwrap();
    let mut list = trust(&reg).await;
    list.log_verifier_key = key.log_verifier_key();
    let seq = keurmerk_transparency::Sequencer::new(reg.store(), key, Default::default())
        .await
        .unwrap();
    while seq.step().await.unwrap().is_some() {}
    let log = keurmerk_transparency::LogState::new(reg.store());
    let sha = keurmerk_trust::status_list_sha256(&first.token);
    let text = log.receipt_for_status_list(&sha).await.unwrap();
    let now = reg.now();

    let logged = verify_status_list_receipt(text.as_bytes(), &first.token, &list, now).unwrap();
    assert_eq!(logged.origin, "test.example/log");
    assert_eq!(logged.record.sha256, sha);
    assert_eq!(logged.record.sequence, first.sequence);
    assert!(logged.index < logged.tree_size);

    let check = |receipt: &[u8], token: &str, list: &TrustList| {
        verify_status_list_receipt(receipt, token, list, now).unwrap_err()
    };
    // The receipt of one list is no proof for another.
    let e = check(text.as_bytes(), &second.token, &list);
    assert!(matches!(e, ListProofError::OtherList { .. }), "{e}");
    // A trust list that names no log key, or another log's key under the same name.
    let mut keyless = list.clone();
    keyless.log_verifier_key = String::new();
    let e = check(text.as_bytes(), &first.token, &keyless);
    assert!(matches!(e, ListProofError::NoLogKey), "{e}");
    let mut other = list.clone();
    other.log_verifier_key = keurmerk_transparency::LogKey::generate("test.example/log")
        .unwrap()
        .log_verifier_key();
    let e = check(text.as_bytes(), &first.token, &other);
    assert!(matches!(e, ListProofError::NotProven { .. }), "{e}");

    let receipt = keurmerk_tlog::Receipt::parse(text.as_bytes()).unwrap();
    let with = |f: &dyn Fn(&mut keurmerk_tlog::Receipt)| {
        let mut r = receipt.clone();
        f(&mut r);
        r.to_text()
    };
    // The entry changed by one byte, or the proof moved to another index.
    let e = check(
        with(&|r| {
            let extra = r.extra.as_mut().unwrap();
            let at = extra.len() / 2;
            extra[at] ^= 1;
        })
        .as_bytes(),
        &first.token,
        &list,
    );
    assert!(matches!(e, ListProofError::NotProven { .. }), "{e}");
    let e = check(with(&|r| r.index ^= 1).as_bytes(), &first.token, &list);
    assert!(matches!(e, ListProofError::NotProven { .. }), "{e}");
    // Without its entry, cut short, or oversized.
    let e = check(with(&|r| r.extra = None).as_bytes(), &first.token, &list);
    assert!(matches!(e, ListProofError::Malformed(_)), "{e}");
    for cut in [text.len() / 2, text.len() - 30] {
        let e = check(&text.as_bytes()[..cut], &first.token, &list);
        assert!(
            matches!(
                e,
                ListProofError::Malformed(_) | ListProofError::NotProven { .. }
            ),
            "cut at {cut}: {e}"
        );
    }
    let mut big = text.clone().into_bytes();
    big.resize(
        keurmerk_transparency::MAX_STATUS_LIST_RECEIPT_BYTES + 1,
        b'\n',
    );
    let e = check(&big, &first.token, &list);
    assert!(matches!(e, ListProofError::Malformed(_)), "{e}");
    // A real entry of the same log, proven to be in it, that records a certificate's statement.
    let proof = keurmerk_tlog::Receipt::parse(
        log.receipt_for_certificate(ids[0].as_str())
            .await
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let entry = log_entry(&reg, proof.index).await;
    let e = check(
        keurmerk_tlog::Receipt {
            extra: Some(entry),
            ..proof
        }
        .to_text()
        .as_bytes(),
        &first.token,
        &list,
    );
    assert!(matches!(e, ListProofError::Record(_)), "{e}");
    db.drop_schema(&reg).await;
}
on_both!(
    list_receipt_sqlite,
    list_receipt_postgres,
    a_status_lists_receipt_proves_it_is_in_the_log_offline
);

#[tokio::test]
async fn without_a_root_key_no_list_is_published_and_nothing_is_written() {
    let e = env().await;
    // Organisations but no keys at all.
    e.reg
        .bootstrap_operator(new_org(
            "enisa",
            keurmerk_domain::model::OrgRole::RegistryOperator,
            "GR",
        ))
        .await
        .unwrap();
    let err = e.reg.status_list().await.unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)), "{err}");
    assert!(e.reg.store().latest_status_list().await.unwrap().is_none());
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn a_certificate_whose_record_cannot_be_proven_is_never_listed_valid() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    // Damage the signed record: the status becomes `unknown`.
    sqlx::query("UPDATE statements SET signed = X'00'")
        .execute(e.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(
        e.reg.status(&id).await.unwrap().status,
        LabelStatus::Unknown
    );
    let (list, _) = e.reg.current_status_list().await.unwrap();
    assert_eq!(list.get(0).unwrap(), keurmerk_trust::STATUS_INVALID);
}

/// The list read from the status words equals the one lookups give, also when the words are
/// missing (edited away) or one was edited in the database, which
/// `certificate verify` reports and repairs.
async fn the_list_read_from_status_words_is_the_lookups_list(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    let expected = vec![
        match in_force(&reg, &ids[0]).await {
            ListedStatus::Valid => keurmerk_trust::STATUS_VALID,
            _ => keurmerk_trust::STATUS_ATTENTION,
        },
        keurmerk_trust::STATUS_SUSPENDED,
        keurmerk_trust::STATUS_INVALID,
        keurmerk_trust::STATUS_INVALID,
    ];
    let listed = |list: &keurmerk_trust::StatusList| -> Vec<u8> {
        (0..list.len()).map(|i| list.get(i).unwrap()).collect()
    };
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(listed(&list), expected);

    let pool = reg.store().pool().clone();
    sqlx::query("UPDATE label_status SET status = NULL")
        .execute(&pool)
        .await
        .unwrap();
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(listed(&list), expected, "words missing: evaluated");
    // Verification reports each served row without a word (every list would fold it), and
    // repair stores it again with one.
    let check = reg.verify_read_model(false).await.unwrap();
    assert!(!check.differences.is_empty(), "{check:?}");
    assert!(check
        .differences
        .iter()
        .all(|d| d.fields == vec!["status list word".to_owned()]));
    reg.verify_read_model(true).await.unwrap();
    for id in &ids {
        let word = reg.store().status_word(id).await.unwrap();
        let stored = reg.store().current_status(id).await.unwrap();
        assert_eq!(word, stored.map(|s| s.report.status), "{id} repaired");
    }

    // An edited word: the list would read it, so verification must report it.
    sqlx::query("UPDATE label_status SET status = 'valid' WHERE certificate_id = $1")
        .bind(ids[1].to_string())
        .execute(&pool)
        .await
        .unwrap();
    let check = reg.verify_read_model(false).await.unwrap();
    assert_eq!(check.differences.len(), 1, "{check:?}");
    assert_eq!(check.differences[0].certificate, ids[1]);
    assert_eq!(
        check.differences[0].fields,
        vec!["status list word".to_owned()]
    );
    let repaired = reg.verify_read_model(true).await.unwrap();
    assert_eq!(repaired.repaired, 1);
    assert!(reg
        .verify_read_model(false)
        .await
        .unwrap()
        .differences
        .is_empty());
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(listed(&list), expected, "repaired");

    // Indexes swapped on the rows by hand: the list would show each at the other's place, so
    // verification reports both, and repair takes each certificate's own index again.
    // (One label per index, migration 0044: the first row is moved off its index first.)
    sqlx::query("UPDATE label_status SET idx = NULL WHERE certificate_id = $1")
        .bind(ids[1].to_string())
        .execute(&pool)
        .await
        .unwrap();
    for (id, other) in [(&ids[2], &ids[1]), (&ids[1], &ids[2])] {
        let idx = reg.store().status_index(other).await.unwrap().unwrap();
        sqlx::query("UPDATE label_status SET idx = $1 WHERE certificate_id = $2")
            .bind(i64::try_from(idx).unwrap())
            .bind(id.to_string())
            .execute(&pool)
            .await
            .unwrap();
    }
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_ne!(listed(&list), expected, "the swap shows in the list");
    let check = reg.verify_read_model(false).await.unwrap();
    let mut found: Vec<_> = check
        .index_differences
        .iter()
        .map(|d| d.certificate.clone())
        .collect();
    found.sort();
    assert_eq!(found, vec![ids[1].clone(), ids[2].clone()], "{check:?}");
    reg.verify_read_model(true).await.unwrap();
    assert!(reg
        .verify_read_model(false)
        .await
        .unwrap()
        .index_differences
        .is_empty());
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(listed(&list), expected, "indexes repaired");
    db.drop_schema(&reg).await;
}
on_both!(
    list_from_words_sqlite,
    list_from_words_postgres,
    the_list_read_from_status_words_is_the_lookups_list
);

/// Rows of `label_status` edited by hand cost their own labels' slots, never the list: two
/// labels at one index (which the database refuses, migration 0044, so the test drops its index
/// first, as a database restored from elsewhere might lack it) make that slot "not valid"
/// whichever of the two is read last, and leave the moved label's own slot unclaimed; an index
/// below zero, an index past what a verifier reads and a row whose id is no certificate id are
/// left out. Every other label is listed as it is, the list is published, and `certificate
/// verify` finds and repairs the moved indices. (Until now each of the last three stopped
/// every publication.)
async fn damaged_status_rows_cost_their_own_slots_not_the_list(db: Db) {
    let reg = db.registry().await;
    let mut ids = three(&reg).await;
    for _ in 0..2 {
        let (p, v) = product(&reg, "maker").await;
        ids.push(issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await);
    }
    let listed_as = |s: ListedStatus| match s {
        ListedStatus::Valid => keurmerk_trust::STATUS_VALID,
        ListedStatus::Attention => keurmerk_trust::STATUS_ATTENTION,
        ListedStatus::Suspended => keurmerk_trust::STATUS_SUSPENDED,
        ListedStatus::Invalid => keurmerk_trust::STATUS_INVALID,
    };
    let as_published = |list: &keurmerk_trust::StatusList| -> Vec<u8> {
        (0..5).map(|i| list.get(i).unwrap()).collect()
    };
    let valid = listed_as(in_force(&reg, &ids[0]).await);
    assert_eq!(valid, listed_as(in_force(&reg, &ids[4]).await));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(reg.store().status_index(id).await.unwrap(), Some(i as u64));
    }
    let healthy = vec![
        valid,
        keurmerk_trust::STATUS_SUSPENDED,
        keurmerk_trust::STATUS_INVALID,
        valid,
        valid,
    ];
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(as_published(&list), healthy);

    let pool = reg.store().pool().clone();
    let exec = |sql: String| {
        let pool = pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.map(|_| ()) }
    };
    // The suspended label's row moved onto the valid one's index: refused.
    let onto_first = format!(
        "UPDATE label_status SET idx = 0 WHERE certificate_id = '{}'",
        ids[1]
    );
    assert!(
        exec(onto_first.clone()).await.is_err(),
        "a shared index is refused"
    );
    exec("DROP INDEX label_status_one_per_index".into())
        .await
        .unwrap();
    exec(onto_first).await.unwrap();
    for (id, idx) in [(&ids[2], "-3"), (&ids[3], "9000000000000")] {
        exec(format!(
            "UPDATE label_status SET idx = {idx} WHERE certificate_id = '{id}'"
        ))
        .await
        .unwrap();
    }
    exec("INSERT INTO label_status (certificate_id, gen, idx) VALUES ('not an id!', 1, 2)".into())
        .await
        .unwrap();

    let damaged = vec![keurmerk_trust::STATUS_INVALID; 4]
        .into_iter()
        .chain([valid])
        .collect::<Vec<_>>();
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(as_published(&list), damaged);
    // Published, and what a verifier reads.
    advance(&db.clock, Duration::hours(2));
    reg.refresh_status_list().await.unwrap().expect("a list");
    let mut read = Vec::new();
    for i in 0..5 {
        read.push(listed_as(listed(&reg, i).await));
    }
    assert_eq!(read, damaged);

    // Verification names the three moved rows, and repair gives each its own index back.
    let check = reg.verify_read_model(false).await.unwrap();
    let mut moved: Vec<_> = check
        .index_differences
        .iter()
        .map(|d| d.certificate.clone())
        .collect();
    moved.sort();
    assert_eq!(moved, ids[1..4].to_vec(), "{check:?}");
    reg.verify_read_model(true).await.unwrap();
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(as_published(&list), healthy, "repaired");

    // More unreadable rows than a hand could have edited (a fault of the reading, or of a
    // release): no list rather than one saying "not valid" for each, and the last one stays.
    let published = reg.store().latest_status_list().await.unwrap().unwrap();
    for i in 0..11 {
        exec(format!(
            "INSERT INTO label_status (certificate_id, gen, idx) VALUES ('bad id {i}', 1, {})",
            100 + i
        ))
        .await
        .unwrap();
    }
    let err = reg.current_status_list().await.unwrap_err().to_string();
    assert!(err.contains("11 of 16 status rows cannot be read"), "{err}");
    advance(&db.clock, Duration::hours(2));
    assert!(reg.refresh_status_list().await.is_err());
    assert_eq!(
        reg.store()
            .latest_status_list()
            .await
            .unwrap()
            .unwrap()
            .sequence,
        published.sequence
    );
    db.drop_schema(&reg).await;
}
on_both!(
    damaged_rows_sqlite,
    damaged_rows_postgres,
    damaged_status_rows_cost_their_own_slots_not_the_list
);

/// An instance whose clock is more than `MAX_CLOCK_OFFSET_SECS` from the database's, ahead or
/// behind, publishes no status list (on a pass, on demand, or when told to), runs no scheduler
/// pass, and takes no lease from an instance whose clock is right; set right, it does all of it
/// again. A registry without the check (tests with clocks of their own) is not stopped.
async fn an_instance_whose_clock_is_wrong_publishes_nothing_and_takes_no_lease(db: Db) {
    let max = chrono::Duration::seconds(MAX_CLOCK_OFFSET_SECS);
    // Keys and labels made an hour ago, so that they are valid for every clock below.
    db.clock.set(chrono::Utc::now() - Duration::hours(1));
    let ahead = db.registry().await.with_clock_check(max);
    three(&ahead).await;
    db.clock.set(chrono::Utc::now() + Duration::minutes(10));
    let offset = ahead.clock_offset().await.unwrap();
    assert!(
        (offset.offset - Duration::minutes(10)).abs() < Duration::seconds(5),
        "{offset}"
    );
    assert!(
        offset.to_string().contains("ahead of the database's"),
        "{offset}"
    );
    let lease = StdDuration::from_secs(90);
    let refused = |r: ServiceResult<_>| matches!(r, Err(ServiceError::Unavailable(_)));
    assert!(refused(ahead.check_clock().await));
    assert!(refused(
        ahead.status_list_pass("ahead", lease).await.map(|_| ())
    ));
    assert!(refused(ahead.status_list().await.map(|_| ())));
    assert!(refused(ahead.publish_status_list_now().await.map(|_| ())));
    assert!(refused(
        ahead.scheduler_pass("ahead", lease).await.map(|_| ())
    ));
    assert!(reg_lists(&ahead).await.is_none(), "nothing published");

    // An instance whose clock is right takes both leases and publishes.
    let right = db
        .registry_with_clock(Arc::new(SystemClock))
        .await
        .with_clock_check(max);
    right.check_clock().await.unwrap();
    let p = right
        .status_list_pass("right", lease)
        .await
        .unwrap()
        .expect("a list");
    assert!((p.issued_at - chrono::Utc::now()).abs() < Duration::seconds(5));
    assert!(right.scheduler_pass("right", lease).await.unwrap().ran);

    // Behind is wrong too.
    db.clock.set(chrono::Utc::now() - Duration::minutes(10));
    assert!(refused(ahead.publish_status_list_now().await.map(|_| ())));
    // Set right, it publishes again (within the check's bound).
    db.clock.set(chrono::Utc::now() + Duration::seconds(2));
    ahead.check_clock().await.unwrap();
    assert!(ahead.publish_status_list_now().await.is_ok());
    // Without the check nothing is measured.
    db.clock.set(chrono::Utc::now() + Duration::days(30));
    let unchecked = db.registry().await;
    unchecked.check_clock().await.unwrap();
    db.drop_schema(&unchecked).await;
}
on_both!(
    clock_wrong_sqlite,
    clock_wrong_postgres,
    an_instance_whose_clock_is_wrong_publishes_nothing_and_takes_no_lease
);

async fn reg_lists(reg: &Registry<SqlStore>) -> Option<keurmerk_store::PublishedStatusList> {
    reg.store().latest_status_list().await.unwrap()
}

/// A row holding another label's index (moved there by hand, or of no certificate) blocks
/// nothing the registry writes: the certificate's own row takes its index back (migration 0046)
/// at its next event, and an issue whose index such a row sits on succeeds; the row that held it
/// is left out of the list until repair. With the one-row-per-index rule alone (migration 0044)
/// both writes failed on a unique violation: a revocation blocked, every issue blocked.
async fn a_row_on_another_labels_index_blocks_no_write(db: Db) {
    let reg = db.registry().await;
    let ids = three(&reg).await;
    let pool = reg.store().pool().clone();
    let exec = |sql: String| {
        let pool = pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.unwrap() }
    };
    // The valid label's row moved off its index, the withdrawn one's onto it.
    exec(format!(
        "UPDATE label_status SET idx = NULL WHERE certificate_id = '{}'",
        ids[0]
    ))
    .await;
    exec(format!(
        "UPDATE label_status SET idx = 0 WHERE certificate_id = '{}'",
        ids[2]
    ))
    .await;
    reg.change_state(&a("nl-rdi"), &ids[0], request(Command::Suspend))
        .await
        .expect("the suspension is recorded");
    assert_eq!(
        reg.store().status_list_index(&ids[0]).await.unwrap(),
        Some(0)
    );
    assert_eq!(reg.store().status_list_index(&ids[2]).await.unwrap(), None);
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(list.get(0).unwrap(), keurmerk_trust::STATUS_SUSPENDED);

    // A row of no certificate on the next index to hand out.
    exec(
        "INSERT INTO label_status (certificate_id, gen, idx) VALUES ('KM-1999-000001', 1, 3)"
            .into(),
    )
    .await;
    let (p, v) = product(&reg, "maker").await;
    let next = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    assert_eq!(reg.store().status_index(&next).await.unwrap(), Some(3));
    assert_eq!(reg.store().status_list_index(&next).await.unwrap(), Some(3));
    let (list, _) = reg.current_status_list().await.unwrap();
    assert_eq!(
        list.get(3).unwrap(),
        match in_force(&reg, &next).await {
            ListedStatus::Valid => keurmerk_trust::STATUS_VALID,
            _ => keurmerk_trust::STATUS_ATTENTION,
        }
    );
    // Repair gives the withdrawn label its own index back.
    reg.verify_read_model(true).await.unwrap();
    assert_eq!(
        reg.store().status_list_index(&ids[2]).await.unwrap(),
        Some(2)
    );
    db.drop_schema(&reg).await;
}
on_both!(
    blocks_no_write_sqlite,
    blocks_no_write_postgres,
    a_row_on_another_labels_index_blocks_no_write
);

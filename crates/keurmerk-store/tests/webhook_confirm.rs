//! The store's side of issue 14 items 4 and 5, on every backend (SQLite always, PostgreSQL when
//! `KEURMERK_TEST_POSTGRES` is set; each test in its own schema): the webhook handshake's state
//! (deliveries held until confirmed, exclusive claims, answers recorded only for the webhook
//! they were sent to) and the keys shared by every instance.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::watch::WebhookState;
use keurmerk_store::*;

/// A watch-list change made with its key.
fn watch_audit() -> Audit {
    Audit {
        at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap(),
        actor: None,
        credential: Credential::WatchKey(RecordId::new("WL-000001").unwrap()),
        action: "watchlist.test".into(),
        subject: "WL-000001".into(),
        detail: serde_json::json!({}),
    }
}

struct Db {
    store: SqlStore,
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

impl Db {
    /// A second connection pool on the same database (another server instance).
    async fn other_instance(&self) -> SqlStore {
        SqlStore::connect_in_schema(&self.url, self.pg_schema.as_deref())
            .await
            .unwrap()
    }

    async fn drop_schema(self) {
        if let Some(schema) = &self.pg_schema {
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
        url,
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
        url,
        _dir: None,
        pg_schema: Some(schema),
    })
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() {
                let db = super::sqlite().await.unwrap();
                super::$name(&db).await;
                db.drop_schema().await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                let Some(db) = super::postgres().await else { return };
                super::$name(&db).await;
                db.drop_schema().await;
            })*
        }
    };
}

on_both!(
    deliveries_wait_for_the_handshake,
    handshake_answers_count_only_for_the_webhook_they_were_sent_to,
    instances_agree_on_one_shared_key,
);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}

fn rid(s: &str) -> RecordId {
    s.parse().unwrap()
}

fn list(id: &str, url: Option<&str>) -> Watchlist {
    Watchlist {
        id: rid(id),
        name: id.to_owned(),
        key_sha256: "ab".repeat(32),
        webhook_url: url.map(str::to_owned),
        webhook_secret: url.map(|_| "whsec_0123456789abcdef0123456789abcdef".to_owned()),
        created_at: at(0),
    }
}

/// A queued delivery, as the event's transaction would write it.
async fn queue(s: &SqlStore, list: &str, seq: i64) {
    sqlx::query(
        "INSERT INTO webhook_deliveries \
           (watchlist_id, event_seq, certificate_id, state, attempts, round_start, next_attempt_at, created_at) \
         VALUES ($1, $2, 'KM-2026-000001', 'pending', 0, 0, $3, $3)",
    )
    .bind(list.to_owned())
    .bind(seq)
    .bind(keurmerk_store_ts(at(1)))
    .execute(s.pool())
    .await
    .unwrap();
}

/// The stored time format (RFC 3339 with microseconds, as the store writes it).
fn keurmerk_store_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn outcome(state: WebhookState, attempts: i64, next: Option<i64>) -> VerificationOutcome {
    VerificationOutcome {
        state,
        attempts,
        next_attempt_at: next.map(at),
        confirmed_at: (state == WebhookState::Confirmed).then(|| at(3)),
        error: (state != WebhookState::Confirmed).then(|| "no echo".to_owned()),
    }
}

async fn deliveries_wait_for_the_handshake(db: &Db) {
    let s = &db.store;
    s.insert_watchlist(
        &list("WL-000001", Some("https://a.example/h")),
        &watch_audit(),
    )
    .await
    .unwrap();
    s.insert_watchlist(&list("WL-000002", None), &watch_audit())
        .await
        .unwrap();
    assert_eq!(
        s.webhook_verification(&rid("WL-000002")).await.unwrap(),
        None
    );
    assert_eq!(
        s.webhook_verification(&rid("WL-000404")).await.unwrap(),
        None
    );
    let v = s
        .webhook_verification(&rid("WL-000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.state, v.attempts, v.next_attempt_at, v.confirmed_at),
        (WebhookState::Pending, 0, None, None)
    );
    queue(s, "WL-000001", 7).await;
    // Held: not due, and not claimable even with the right due time.
    assert!(s.due_deliveries(at(10), 10).await.unwrap().is_empty());
    let d = s
        .deliveries(&rid("WL-000001"), 10, 0)
        .await
        .unwrap()
        .remove(0);
    assert!(!s.claim_delivery(d.id, at(1), at(20)).await.unwrap());

    // The handshake is due at once; a claim is exclusive.
    let due = s.due_verifications(at(2), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].watchlist, rid("WL-000001"));
    assert!(s
        .claim_verification(&rid("WL-000001"), None, at(30), "c1")
        .await
        .unwrap());
    assert!(!s
        .claim_verification(&rid("WL-000001"), None, at(31), "c2")
        .await
        .unwrap());
    assert!(
        s.due_verifications(at(2), 10).await.unwrap().is_empty(),
        "leased"
    );
    // A failed attempt: pending, due again later.
    assert!(s
        .record_verification(
            &rid("WL-000001"),
            "c1",
            &outcome(WebhookState::Pending, 1, Some(5))
        )
        .await
        .unwrap());
    assert!(s.due_verifications(at(4), 10).await.unwrap().is_empty());
    let due = s.due_verifications(at(5), 10).await.unwrap();
    assert_eq!(due[0].next_attempt_at, Some(at(5)));
    assert_eq!(due[0].last_error.as_deref(), Some("no echo"));
    assert!(
        !s.claim_verification(&rid("WL-000001"), Some(at(4)), at(30), "c3")
            .await
            .unwrap(),
        "found at another due time: someone else claimed it"
    );
    assert!(s
        .claim_verification(&rid("WL-000001"), Some(at(5)), at(30), "c3")
        .await
        .unwrap());
    assert!(s
        .record_verification(
            &rid("WL-000001"),
            "c3",
            &outcome(WebhookState::Confirmed, 2, None)
        )
        .await
        .unwrap());
    let v = s
        .webhook_verification(&rid("WL-000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            v.state,
            v.attempts,
            v.next_attempt_at,
            v.confirmed_at,
            v.last_error
        ),
        (WebhookState::Confirmed, 2, None, Some(at(3)), None)
    );
    // Confirmed: the held delivery is due and can be claimed.
    assert_eq!(s.due_deliveries(at(10), 10).await.unwrap().len(), 1);
    assert!(s.claim_delivery(d.id, at(1), at(20)).await.unwrap());

    // A new webhook starts over, and its deliveries are held again.
    queue(s, "WL-000001", 8).await;
    s.set_webhook(
        &rid("WL-000001"),
        Some("https://b.example/h"),
        Some("whsec_ffffffffffffffffffffffffffffffff"),
        &watch_audit(),
    )
    .await
    .unwrap();
    let v = s
        .webhook_verification(&rid("WL-000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.state, v.attempts, v.confirmed_at),
        (WebhookState::Pending, 0, None)
    );
    assert!(s.due_deliveries(at(10), 10).await.unwrap().is_empty());
    // Removing the webhook removes its state; re-verifying needs a webhook.
    s.set_webhook(&rid("WL-000001"), None, None, &watch_audit())
        .await
        .unwrap();
    assert_eq!(
        s.webhook_verification(&rid("WL-000001")).await.unwrap(),
        None
    );
    assert!(!s
        .reverify_webhook(&rid("WL-000001"), &watch_audit())
        .await
        .unwrap());
    assert!(!s
        .reverify_webhook(&rid("WL-000002"), &watch_audit())
        .await
        .unwrap());
}

async fn handshake_answers_count_only_for_the_webhook_they_were_sent_to(db: &Db) {
    let s = &db.store;
    s.insert_watchlist(
        &list("WL-000001", Some("https://a.example/h")),
        &watch_audit(),
    )
    .await
    .unwrap();
    assert!(s
        .claim_verification(&rid("WL-000001"), None, at(30), "old")
        .await
        .unwrap());
    // The owner changes the webhook while the challenge is out: the old answer is void.
    s.set_webhook(
        &rid("WL-000001"),
        Some("https://b.example/h"),
        Some("whsec_ffffffffffffffffffffffffffffffff"),
        &watch_audit(),
    )
    .await
    .unwrap();
    assert!(!s
        .record_verification(
            &rid("WL-000001"),
            "old",
            &outcome(WebhookState::Confirmed, 1, None)
        )
        .await
        .unwrap());
    assert_eq!(
        s.webhook_verification(&rid("WL-000001"))
            .await
            .unwrap()
            .unwrap()
            .state,
        WebhookState::Pending
    );
    // A failed handshake is not retried until re-verification is asked for.
    assert!(s
        .claim_verification(&rid("WL-000001"), None, at(30), "new")
        .await
        .unwrap());
    assert!(s
        .record_verification(
            &rid("WL-000001"),
            "new",
            &outcome(WebhookState::Failed, 8, None)
        )
        .await
        .unwrap());
    assert!(s.due_verifications(at(100), 10).await.unwrap().is_empty());
    let v = s
        .webhook_verification(&rid("WL-000001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((v.state, v.next_attempt_at), (WebhookState::Failed, None));
    assert!(s
        .reverify_webhook(&rid("WL-000001"), &watch_audit())
        .await
        .unwrap());
    let due = s.due_verifications(at(100), 10).await.unwrap();
    assert_eq!(
        (
            due.len(),
            due[0].state,
            due[0].attempts,
            due[0].last_error.clone()
        ),
        (1, WebhookState::Pending, 0, None)
    );
}

async fn instances_agree_on_one_shared_key(db: &Db) {
    let a = db.store.clone();
    let b = db.other_instance().await;
    // Two instances starting at once, each with its own candidate: both end with the same key.
    let (ka, kb) = tokio::join!(
        a.shared_key("complaint_form", "candidate-a", at(0)),
        b.shared_key("complaint_form", "candidate-b", at(0)),
    );
    let (ka, kb) = (ka.unwrap(), kb.unwrap());
    assert_eq!(ka, kb);
    assert!(ka == "candidate-a" || ka == "candidate-b");
    // Later callers (a restart) get the stored key, not their candidate.
    let again = db.other_instance().await;
    assert_eq!(
        again
            .shared_key("complaint_form", "candidate-c", at(9))
            .await
            .unwrap(),
        ka
    );
    // Keys are per name.
    assert_eq!(
        a.shared_key("other", "candidate-d", at(9)).await.unwrap(),
        "candidate-d"
    );
    b.close().await;
    again.close().await;
}

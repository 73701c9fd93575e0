//! Watch-lists, their items and webhook deliveries with the log of every attempt.
//!
//! Deliveries are queued by [`crate::CertificateStore::issue`] and
//! [`crate::CertificateStore::append`] in the same transaction as the event, one per watch-list
//! with a webhook that follows the certificate, its product or one of its organisations. A
//! worker claims due deliveries ([`WatchStore::claim_delivery`] is exclusive across server
//! instances), sends them and records each attempt.
//!
//! A webhook gets events only once confirmed ([`WebhookVerification`]): its target must echo a
//! challenge first. Deliveries of an unconfirmed webhook are queued as always but not due
//! ([`WatchStore::due_deliveries`] and [`WatchStore::claim_delivery`] skip them) until it is.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::watch::{DeliveryState, WatchKind, WebhookState};
use serde::{Deserialize, Serialize};

use crate::traits::Audit;
use crate::Result;

/// A watch-list.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchlist {
    /// Identifier (`WL-…`), not secret.
    pub id: RecordId,
    /// A name to tell watch-lists apart.
    pub name: String,
    /// Lowercase hex SHA-256 of the management key.
    #[serde(skip_serializing)]
    pub key_sha256: String,
    /// Where status changes are posted, if anywhere.
    pub webhook_url: Option<String>,
    /// The HMAC secret deliveries are signed with (kept as is: it is needed to sign).
    #[serde(skip_serializing)]
    pub webhook_secret: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Watchlist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchlist")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key_sha256", &"<redacted>")
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Where a watch-list's webhook stands in the confirmation handshake.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookVerification {
    /// The watch-list.
    #[serde(skip)]
    pub watchlist: RecordId,
    /// `pending` until the target echoes the challenge, then `confirmed`; `failed` when every
    /// attempt of the handshake failed (a re-verification starts again).
    pub state: WebhookState,
    /// Handshake attempts made since the webhook was set (or re-verification was asked for).
    pub attempts: i64,
    /// When the next attempt is due (pending only; absent: at once).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the target echoed the challenge.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The result of one handshake attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationOutcome {
    /// The new state.
    pub state: WebhookState,
    /// Attempts made, this one included.
    pub attempts: i64,
    /// When to try again (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was confirmed (confirmed only).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// What went wrong (not confirmed only).
    pub error: Option<String>,
}

/// One followed thing.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchItem {
    /// What it is.
    pub kind: WatchKind,
    /// Its id (certificate, product or organisation id).
    pub target: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// A webhook delivery: one certificate event for one watch-list.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Identifier (a number, in queueing order).
    pub id: i64,
    /// The watch-list.
    pub watchlist: RecordId,
    /// The certificate event's sequence number.
    pub event_seq: i64,
    /// The certificate.
    pub certificate: CertificateId,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far (all rounds).
    pub attempts: i64,
    /// `attempts` when the current round began (a redelivery starts a new round).
    pub round_start: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body, fixed at the first attempt.
    pub payload: Option<String>,
}

/// One attempt to deliver.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based attempt number of the delivery.
    pub attempt: i64,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// What happened in an attempt and what comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The attempt.
    pub attempt: Attempt,
    /// The new state: delivered (2xx), pending (retry at `next_attempt_at`) or failed.
    pub state: DeliveryState,
    /// When to try again (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Watch-lists and deliveries.
#[async_trait]
pub trait WatchStore: Send + Sync {
    /// Stores a new watch-list.
    async fn insert_watchlist(&self, w: &Watchlist, audit: &Audit) -> Result<()>;
    /// One watch-list.
    async fn watchlist(&self, id: &RecordId) -> Result<Option<Watchlist>>;
    /// Sets or clears the webhook (URL and secret together). A new webhook is `pending` (its
    /// handshake due at once) and its deliveries are held until it is confirmed.
    async fn set_webhook(
        &self,
        id: &RecordId,
        url: Option<&str>,
        secret: Option<&str>,
        audit: &Audit,
    ) -> Result<()>;
    /// Deletes a watch-list with its items, deliveries and attempts.
    async fn delete_watchlist(&self, id: &RecordId, audit: &Audit) -> Result<()>;
    /// Adds an item; `false` if it was there already.
    async fn add_watch_item(&self, id: &RecordId, item: &WatchItem, audit: &Audit) -> Result<bool>;
    /// Removes an item; `false` if it was not there.
    async fn remove_watch_item(
        &self,
        id: &RecordId,
        kind: WatchKind,
        target: &str,
        audit: &Audit,
    ) -> Result<bool>;
    /// The items of a watch-list, in the order they were added.
    async fn watch_items(&self, id: &RecordId) -> Result<Vec<WatchItem>>;
    /// The certificates a watch-list follows (directly, by product or by organisation).
    async fn watched_certificates(&self, id: &RecordId) -> Result<Vec<CertificateId>>;
    /// Deliveries of a watch-list, newest first.
    async fn deliveries(&self, id: &RecordId, limit: i64, offset: i64) -> Result<Vec<Delivery>>;
    /// One delivery.
    async fn delivery(&self, id: i64) -> Result<Option<Delivery>>;
    /// The attempts of a delivery, in order.
    async fn attempts(&self, delivery: i64) -> Result<Vec<Attempt>>;
    /// Pending deliveries due at `now` whose watch-list's webhook is confirmed, oldest first.
    async fn due_deliveries(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>>;
    /// Claims a due delivery until `lease_until` by moving its due time; `false` if another
    /// worker claimed it first (its due time is no longer `due`) or its webhook is not confirmed.
    async fn claim_delivery(
        &self,
        id: i64,
        due: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Fixes the payload of a delivery (first attempt); returns the stored payload (the one
    /// given, or the one another worker fixed first).
    async fn fix_payload(&self, id: i64, payload: &str) -> Result<String>;
    /// Records an attempt and the delivery's new state.
    async fn record_attempt(&self, id: i64, outcome: &AttemptOutcome) -> Result<()>;
    /// Starts a new round of attempts for a delivered or failed delivery, due at `now`;
    /// `false` if it is pending already.
    async fn redeliver(&self, id: i64, now: DateTime<Utc>, audit: &Audit) -> Result<bool>;
    /// The handshake state of a watch-list's webhook; `None` without a webhook.
    async fn webhook_verification(&self, id: &RecordId) -> Result<Option<WebhookVerification>>;
    /// Pending webhooks whose next handshake attempt is due at `now`, oldest first.
    async fn due_verifications(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WebhookVerification>>;
    /// Claims a due handshake until `lease_until` and records the challenge about to be sent;
    /// `false` if another worker claimed it first or the webhook changed (`due` is the
    /// `next_attempt_at` it was found with).
    async fn claim_verification(
        &self,
        id: &RecordId,
        due: Option<DateTime<Utc>>,
        lease_until: DateTime<Utc>,
        challenge: &str,
    ) -> Result<bool>;
    /// Records a handshake attempt for the webhook `challenge` was sent to; `false` (nothing
    /// recorded) if the webhook was changed or removed meanwhile.
    async fn record_verification(
        &self,
        id: &RecordId,
        challenge: &str,
        outcome: &VerificationOutcome,
    ) -> Result<bool>;
    /// Starts the handshake again (pending, due now, attempts from zero); `false` without a
    /// webhook.
    async fn reverify_webhook(&self, id: &RecordId, audit: &Audit) -> Result<bool>;
}

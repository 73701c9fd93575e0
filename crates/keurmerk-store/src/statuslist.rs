//! What the Token Status List needs from storage (issue 15 item 6, migration 0020): each
//! certificate's stable index (taken when it is issued) and the published lists, which every
//! instance serves byte for byte. Publishing a list queues its signed record for the
//! transparency log in the same transaction, so no published list can be missing from the log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;

use crate::Result;

/// How many of the newest publications keep their token; older rows keep everything but it.
pub const KEEP_STATUS_LIST_TOKENS: u64 = 48;

/// A published status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedStatusList {
    /// 1, 2, … in publication order.
    pub sequence: u64,
    /// Its `iat`.
    pub issued_at: DateTime<Utc>,
    /// Its `exp`.
    pub expires_at: DateTime<Utc>,
    /// The newest event sequence number it reflects.
    pub watermark: i64,
    /// How many statuses it lists.
    pub size: u64,
    /// Lowercase hex SHA-256 of the packed statuses.
    pub content_sha256: String,
    /// Lowercase hex SHA-256 of the token.
    pub token_sha256: String,
    /// The signed Status List Token (JWS compact), as served.
    pub token: String,
}

/// Status-list storage.
#[async_trait]
pub trait StatusListStore: Send + Sync {
    /// A certificate's status index (`None`: no such certificate, or it has none).
    async fn status_index(&self, id: &CertificateId) -> Result<Option<u64>>;
    /// The newest event sequence number (0 when there is none), such that every event numbered
    /// up to it is committed: on PostgreSQL an event can take its number before another that
    /// commits first, so this waits for every write under way (see `SqlStore::write`).
    async fn status_watermark(&self) -> Result<i64>;
    /// The earliest instant after `after` at which time alone makes the stored status of one of
    /// `ids` stale (its `stale_after`), if any: for the certificates the status list evaluated
    /// (and stored again) while it was built; the list's own pass gives it for the rest
    /// (`StatusStore::list_statuses`).
    async fn earliest_stale_after_of(
        &self,
        ids: &[CertificateId],
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;
    /// The newest published list.
    async fn latest_status_list(&self) -> Result<Option<PublishedStatusList>>;
    /// Publishes `list` and queues `record` (its signed log record) for the transparency log,
    /// in one transaction; `Ok(None)` when a list with this sequence was published meanwhile
    /// (by another instance: nothing is written). Returns the log queue id. Drops the tokens of
    /// publications older than the newest [`KEEP_STATUS_LIST_TOKENS`].
    async fn publish_status_list(
        &self,
        list: &PublishedStatusList,
        record: &[u8],
    ) -> Result<Option<i64>>;
    /// The log queue ids of every published list, by sequence (to check they are in the log).
    async fn status_list_queue_ids(&self) -> Result<Vec<(u64, String, i64)>>;
}

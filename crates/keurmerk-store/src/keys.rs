//! Public signing-key metadata and the signed statements of events (issue 3).
//!
//! Only public material is stored: private keys live in the key directory managed by the service
//! layer and never reach the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::traits::Audit;
use crate::Result;

/// One signing key's public metadata (a row of `signing_keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key id: 16 lowercase hex digits (first 8 bytes of SHA-256 of the public key).
    pub key_id: String,
    /// Owning organisation id (for the root key: the registry operator, or `registry`).
    pub org_id: String,
    /// Owning organisation's name, as verifiers show it.
    pub org_name: String,
    /// `national_authority`, `assessment_body`, `manufacturer` or `registry`.
    pub role: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Scheme ids the key may sign for (`*` = any).
    pub schemes: Vec<String>,
    /// Level ids the key may sign for (`*` = any).
    pub levels: Vec<String>,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity (exclusive); set to the rotation time when the key is rotated out.
    pub valid_until: DateTime<Utc>,
    /// Compromise time, when revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether this is the registry root key (signs the trust list and status responses).
    pub root: bool,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
}

/// A stored signed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatement {
    /// The event's sequence number.
    pub event_seq: i64,
    /// The signed statement bytes (JCS envelope, `docs/FORMATS.md` §4).
    pub signed: Vec<u8>,
}

/// Where one statement sits in the transparency log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    /// The event the entry records (its own statement or a re-signature of it).
    pub event_seq: i64,
    /// The entry's index in the log.
    pub log_index: u64,
}

/// Signing keys and signed statements.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Adds a key; when `retire` names a key, its `valid_until` is set to `key.valid_from` in the
    /// same transaction (rotation).
    async fn insert_key(&self, key: &KeyRecord, retire: Option<&str>, audit: &Audit) -> Result<()>;
    /// One key.
    async fn signing_key(&self, key_id: &str) -> Result<Option<KeyRecord>>;
    /// All keys, including rotated-out and revoked ones, oldest first.
    async fn signing_keys(&self) -> Result<Vec<KeyRecord>>;
    /// Records a key's compromise time.
    async fn revoke_key(&self, key_id: &str, at: DateTime<Utc>, audit: &Audit) -> Result<()>;
    /// A certificate's signed statements, oldest first.
    async fn statements(&self, certificate_id: &str) -> Result<Vec<StoredStatement>>;
    /// A certificate's newest signed statement (the highest event sequence number), in one
    /// index descent: the last of [`Self::statements`] without reading the others.
    async fn latest_statement(&self, certificate_id: &str) -> Result<Option<StoredStatement>>;
    /// A certificate's statements and re-signed statements, each oldest first, in one read.
    async fn signed_record(
        &self,
        certificate_id: &str,
    ) -> Result<(Vec<StoredStatement>, Vec<StoredStatement>)>;
    /// A certificate's re-signed statements (confirmations of events whose original statement
    /// was signed with a compromised key), oldest first.
    async fn resignatures(&self, certificate_id: &str) -> Result<Vec<StoredStatement>>;
    /// Stores re-signed statements of a certificate's events and queues each for the
    /// transparency log, with the audit record, in one transaction. Returns the queue ids.
    async fn insert_resignatures(
        &self,
        certificate_id: &str,
        signed: &[StoredStatement],
        at: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<Vec<i64>>;
    /// The log positions of every entry recording an event of this certificate (statements and
    /// re-signatures), in log order.
    async fn log_positions(&self, certificate_id: &str) -> Result<Vec<LogPosition>>;
    /// The statements of this certificate still waiting in the log queue, in queue order.
    async fn queued_statements(&self, certificate_id: &str) -> Result<Vec<StoredStatement>>;
    /// An entry bundle of the log (`tile/entries/<idx>`, widest version), if written.
    async fn log_bundle(&self, idx: u64) -> Result<Option<Vec<u8>>>;
    /// Log entries whose event is no longer in the `events` table (a deleted row): the log
    /// remembers what the database forgot.
    async fn log_entries_without_event(&self) -> Result<Vec<LogPosition>>;
    /// The next trust list sequence number (1, 2, …).
    async fn next_trust_list_sequence(&self) -> Result<u64>;
    /// The trust list last published (shared by every instance), if any.
    async fn published_trust_list(&self) -> Result<Option<PublishedTrustList>>;
    /// Publishes a signed trust list unless one with a higher or equal sequence is published
    /// already; `false` then (the caller serves the published one: the list never goes back).
    async fn publish_trust_list(&self, list: &PublishedTrustList) -> Result<bool>;
}

/// A signed trust list as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedTrustList {
    /// Its sequence number.
    pub sequence: u64,
    /// SHA-256 (hex) of what it lists (keys and log key), to tell whether it is still current.
    pub content_sha256: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The signed envelope, as served.
    pub signed: Vec<u8>,
}

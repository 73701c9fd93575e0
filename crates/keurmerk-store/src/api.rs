//! Records of the HTTP API: API tokens, complaints from the public with the single-use nonces of
//! the complaint form, and keys shared by every server instance.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::complaint::{ComplaintState, Outcome};
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use serde::{Deserialize, Serialize};

use crate::traits::Audit;
use crate::Result;

/// An API token. Only the SHA-256 of its secret is stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiToken {
    /// Identifier (`TOK-…`), not secret.
    pub id: RecordId,
    /// The organisation the token acts as (its role is the organisation's role).
    pub org: OrgId,
    /// A name to tell tokens apart.
    pub name: String,
    /// Lowercase hex SHA-256 of the secret.
    #[serde(skip_serializing)]
    pub secret_sha256: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("org", &self.org)
            .field("name", &self.name)
            .field("secret_sha256", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

/// A complaint about a certificate (Cybersecurity Act Art 63).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Complaint {
    /// Identifier (`CMP-…`).
    pub id: RecordId,
    /// The certificate complained about.
    pub certificate: CertificateId,
    /// The national authority it is routed to.
    pub authority: Option<OrgId>,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// How to reach the complainant (an e-mail address), if they gave it; erased when the
    /// complaint is closed.
    pub contact: Option<String>,
    /// The complaint.
    pub body: String,
    /// Lowercase hex SHA-256 of the public reference the complainant follows it with (the
    /// reference itself is never stored); `None` for complaints filed before references.
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    pub reference_sha256: Option<String>,
    /// Where it stands.
    pub state: ComplaintState,
    /// The person of the authority who handles it.
    pub assignee: Option<String>,
    /// When it was (last) assigned.
    pub assigned_at: Option<DateTime<Utc>>,
    /// The authority's answer to the complainant.
    pub answer: Option<String>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The language the authority wrote the answer in; `None` for answers given before the
    /// language was recorded (read as English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_lang: Option<keurmerk_domain::i18n::Lang>,
    /// How it ended, once closed.
    pub outcome: Option<Outcome>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A used complaint form token's nonce: stored with the complaint, so the token is accepted
/// once. Kept until `expires_at` (when the token would be refused anyway), then pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormNonce {
    /// The token's random nonce.
    pub nonce: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Tokens and complaints.
#[async_trait]
pub trait ApiStore: Send + Sync {
    /// Stores a new token.
    async fn insert_token(&self, t: &ApiToken, audit: &Audit) -> Result<()>;
    /// One token.
    async fn token(&self, id: &RecordId) -> Result<Option<ApiToken>>;
    /// All tokens, newest first.
    async fn tokens(&self) -> Result<Vec<ApiToken>>;
    /// Marks a token revoked.
    async fn revoke_token(&self, id: &RecordId, at: DateTime<Utc>, audit: &Audit) -> Result<()>;
    /// The highest event sequence number (0 when there are none), for feeds of the newest events.
    async fn max_event_seq(&self) -> Result<i64>;
    /// Stores a complaint with its audit record.
    async fn insert_complaint(&self, c: &Complaint, audit: &Audit) -> Result<()>;
    /// Complaints routed to an authority (all when `None`), newest first.
    async fn complaints(
        &self,
        authority: Option<&OrgId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Complaint>>;
    /// One complaint.
    async fn complaint(&self, id: &RecordId) -> Result<Option<Complaint>>;
    /// The complaint whose reference has this SHA-256 (lowercase hex).
    async fn complaint_by_reference(&self, reference_sha256: &str) -> Result<Option<Complaint>>;
    /// Stores a step of a complaint's handling (its state, assignee, answer, outcome, dates and
    /// contact as in `c`) with its audit record, only if the stored complaint is still in state
    /// `from`: otherwise [`crate::StoreError::Conflict`] and nothing is written.
    async fn update_complaint(
        &self,
        c: &Complaint,
        from: ComplaintState,
        audit: &Audit,
    ) -> Result<()>;
    /// Stores a complaint and consumes the form nonce in one transaction, pruning nonces expired
    /// before `c.filed_at`. A nonce used before is [`crate::StoreError::AlreadyExists`] and
    /// nothing is stored.
    async fn insert_complaint_once(
        &self,
        c: &Complaint,
        nonce: &FormNonce,
        audit: &Audit,
    ) -> Result<()>;
    /// The shared key named `name`: stored as `candidate` if there is none yet (insert if absent,
    /// then read, so instances starting at once agree on one key).
    async fn shared_key(&self, name: &str, candidate: &str, at: DateTime<Utc>) -> Result<String>;
}

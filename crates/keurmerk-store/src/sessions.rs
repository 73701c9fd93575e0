//! Sessions of the authority's complaint pages (issue 13 item 6, migration 0025): the store
//! keeps the SHA-256 of each random session id with the organisation and API token it stands
//! for. Whether a session may be used (expiry, token still valid, role) is the service's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::{OrgId, RecordId};

use crate::traits::Audit;
use crate::Result;

/// A stored session.
#[derive(Clone, PartialEq, Eq)]
pub struct PageSession {
    /// Lowercase hex SHA-256 of the session id the cookie holds.
    pub id_sha256: String,
    /// The organisation signed in.
    pub org: OrgId,
    /// The API token it signed in with.
    pub token: RecordId,
    /// The session's form token (hex), checked on every post.
    pub csrf: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PageSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageSession")
            .field("org", &self.org)
            .field("token", &self.token)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Storage of page sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session with its audit record, and deletes sessions that expired before it
    /// started, in one transaction.
    async fn insert_session(&self, s: &PageSession, audit: &Audit) -> Result<()>;
    /// The session with this id digest.
    async fn session(&self, id_sha256: &str) -> Result<Option<PageSession>>;
    /// Deletes a session (with its audit record when given). `false`: there was none, and
    /// nothing was written.
    async fn delete_session(&self, id_sha256: &str, audit: Option<&Audit>) -> Result<bool>;
}

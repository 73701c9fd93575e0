//! Follow-up work of a write, recorded in the write's transaction (an outbox).
//!
//! [`crate::CertificateStore::append`] and [`crate::CertificateStore::issue`] take the
//! [`FollowUp`]s an event causes and store them in the same transaction as the event (and the
//! product writes, [`crate::ProductStore::insert_version`], [`crate::ProductStore::set_support`]
//! and [`crate::ProductStore::insert_dependency`], those of the product record), so a crash
//! after the commit can delay them but never lose them. A worker (in-process right after the
//! write, and `keurmerk serve` in the background on every instance) claims an item with a lease
//! ([`OutboxStore::claim_follow_ups`] is exclusive and only hands out the oldest item of a
//! subject, so one subject's items are completed in order), completes it idempotently and
//! deletes it ([`OutboxStore::finish_follow_up`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};

use crate::Result;

/// What has to be done after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowUp {
    /// Tell the certificates of products that depend on this (service) certificate its current
    /// state. Only stored when the certificate has dependents.
    Dependents {
        /// The service certificate.
        provider: CertificateId,
        /// Who caused it (recorded as the actor of the dependents' events).
        actor: OrgId,
    },
    /// Record that the product's live certificates cover this (security-update) version.
    VersionCovered {
        /// The version.
        version: RecordId,
        /// The manufacturer that added it (the actor of the certificates' events).
        actor: OrgId,
    },
    /// Tell the product's live certificates its current support period.
    SupportChanged {
        /// The product.
        product: RecordId,
        /// The manufacturer that set it.
        actor: OrgId,
    },
    /// Record the dependency on the product's live certificates.
    DependencyDeclared {
        /// The dependency.
        dependency: RecordId,
        /// The manufacturer that declared it.
        actor: OrgId,
    },
}

impl FollowUp {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            FollowUp::Dependents { .. } => "dependents",
            FollowUp::VersionCovered { .. } => "version_covered",
            FollowUp::SupportChanged { .. } => "support_changed",
            FollowUp::DependencyDeclared { .. } => "dependency_declared",
        }
    }

    /// What the work is about: one subject's items are completed in order (see
    /// [`OutboxStore::claim_follow_ups`]).
    pub fn subject(&self) -> String {
        match self {
            FollowUp::Dependents { provider, .. } => provider.to_string(),
            FollowUp::VersionCovered { version, .. } => version.to_string(),
            FollowUp::SupportChanged { product, .. } => product.to_string(),
            FollowUp::DependencyDeclared { dependency, .. } => dependency.to_string(),
        }
    }

    fn actor(&self) -> &OrgId {
        match self {
            FollowUp::Dependents { actor, .. }
            | FollowUp::VersionCovered { actor, .. }
            | FollowUp::SupportChanged { actor, .. }
            | FollowUp::DependencyDeclared { actor, .. } => actor,
        }
    }

    pub(crate) fn actor_id(&self) -> String {
        self.actor().to_string()
    }
}

/// A claimed outbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Its row.
    pub id: i64,
    /// The work.
    pub work: FollowUp,
    /// How many times it was claimed (this claim included).
    pub attempts: i64,
}

/// The outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` items until `lease_until`: only items whose lease is free or ran out
    /// before `now`, only the oldest item of each subject, and only for `subject` if given.
    /// Exclusive: two callers never get the same item while its lease runs.
    async fn claim_follow_ups(
        &self,
        subject: Option<&str>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>>;
    /// Extends the lease of an item still being worked on to `lease_until`, if its lease has
    /// not run out at `now` (else another worker may hold it: `false`, nothing changed).
    async fn renew_follow_up(
        &self,
        id: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Deletes a completed item.
    async fn finish_follow_up(&self, id: i64) -> Result<()>;
    /// Releases an item that failed, recording why; it is claimed again after `retry_at`.
    async fn fail_follow_up(&self, id: i64, error: &str, retry_at: DateTime<Utc>) -> Result<()>;
    /// How many items wait.
    async fn pending_follow_ups(&self) -> Result<i64>;
}

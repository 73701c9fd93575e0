//! What the policy scheduler keeps (issue 12): each certificate's next due time, the lease that
//! makes one instance the active scheduler, and the fingerprint of the policies the due times
//! were computed with. See migration 0012.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;

use crate::Result;

/// The scheduler's storage.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Certificates that are not withdrawn, expired or superseded and whose next due time is
    /// unknown or not after `now`, by id. Reads only those rows (through the `next_due` index),
    /// not the registry.
    async fn due_certificates(&self, now: DateTime<Utc>) -> Result<Vec<CertificateId>>;
    /// Records when the scheduler's next action on a certificate is due (`None`: never), if its
    /// last event is still `last_seq`; `false` when an event was appended meanwhile (the append
    /// cleared the due time, so the next pass computes it again).
    async fn set_next_due(
        &self,
        id: &CertificateId,
        next: Option<DateTime<Utc>>,
        last_seq: i64,
    ) -> Result<bool>;
    /// Forgets every certificate's next due time (the policies changed). Returns how many.
    async fn clear_next_due(&self) -> Result<u64>;
    /// Takes or renews the lease `name` for `holder` until `until`, if it is free, ran out
    /// before `now`, or is already `holder`'s. Exclusive: two holders never both get `true`
    /// while a lease runs.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives the lease up, if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
    /// A value the scheduler keeps.
    async fn scheduler_value(&self, name: &str) -> Result<Option<String>>;
    /// Sets a value the scheduler keeps.
    async fn set_scheduler_value(&self, name: &str, value: &str) -> Result<()>;
    /// The database's clock now: the one clock every instance of a registry shares
    /// (PostgreSQL's `clock_timestamp()`; on SQLite the host's, read by SQLite itself).
    async fn database_now(&self) -> Result<DateTime<Utc>>;
}

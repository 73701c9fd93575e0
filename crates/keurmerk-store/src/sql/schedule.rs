use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;

use super::{Backend, SqlStore};
use crate::codec::ts;
use crate::schedule::ScheduleStore;
use crate::{Result, StoreError};

/// Stored for a certificate on which nothing will ever happen by itself; sorts after every
/// timestamp.
pub(crate) const NEVER: &str = "never";

#[async_trait]
impl ScheduleStore for SqlStore {
    async fn due_certificates(&self, now: DateTime<Utc>) -> Result<Vec<CertificateId>> {
        // Two index range reads rather than one `IS NULL OR <=` (which the planners answer
        // with a scan of every certificate). 'never' sorts after every timestamp.
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM certificates WHERE next_due IS NULL \
             AND state NOT IN ('withdrawn', 'expired', 'superseded') \
             UNION ALL \
             SELECT id FROM certificates WHERE next_due <= $1 \
             AND state NOT IN ('withdrawn', 'expired', 'superseded')",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let mut ids = ids
            .into_iter()
            .map(|id| {
                id.parse().map_err(|e| StoreError::Corrupt {
                    what: "certificate id",
                    detail: format!("{id}: {e}"),
                })
            })
            .collect::<Result<Vec<CertificateId>>>()?;
        ids.sort();
        Ok(ids)
    }

    async fn set_next_due(
        &self,
        id: &CertificateId,
        next: Option<DateTime<Utc>>,
        last_seq: i64,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        let done =
            sqlx::query("UPDATE certificates SET next_due = $1 WHERE id = $2 AND last_seq = $3")
                .bind(next.map_or_else(|| NEVER.to_owned(), ts))
                .bind(id.to_string())
                .bind(last_seq)
                .execute(&mut *w.tx)
                .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn clear_next_due(&self) -> Result<u64> {
        let mut w = self.write().await?;
        let done =
            sqlx::query("UPDATE certificates SET next_due = NULL WHERE next_due IS NOT NULL")
                .execute(&mut *w.tx)
                .await?;
        w.commit().await?;
        Ok(done.rows_affected())
    }

    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        // One statement: the row is inserted, or updated only when free for this holder, under
        // the row lock (PostgreSQL) or the single writer (SQLite).
        let done = sqlx::query(
            "INSERT INTO scheduler_leases (name, holder, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             lease_until = excluded.lease_until \
             WHERE scheduler_leases.holder = excluded.holder \
             OR scheduler_leases.lease_until < $4",
        )
        .bind(name)
        .bind(holder)
        .bind(ts(until))
        .bind(ts(now))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn database_now(&self) -> Result<DateTime<Utc>> {
        // Text in both dialects (the `Any` driver has no timestamp type): microseconds on
        // PostgreSQL, milliseconds on SQLite, both RFC 3339 in UTC.
        let sql = match self.backend {
            Backend::Postgres => {
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
            }
            Backend::Sqlite => "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        };
        let text: String = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt {
                what: "database clock",
                detail: format!("{text:?}: {e}"),
            })
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    async fn scheduler_value(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM scheduler_state WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_scheduler_value(&self, name: &str, value: &str) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO scheduler_state (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }
}

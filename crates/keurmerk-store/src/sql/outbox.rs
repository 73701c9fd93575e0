use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::SqlStore;
use crate::codec::{get_i64, get_parse, get_str, ts};
use crate::outbox::{FollowUp, OutboxItem, OutboxStore};
use crate::{Result, StoreError};

/// Stores follow-up work inside the transaction of the event that causes it.
pub(super) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    work: &FollowUp,
    at: DateTime<Utc>,
) -> Result<()> {
    match work {
        FollowUp::Dependents { provider, actor } => {
            // Only certificates something depends on need it.
            sqlx::query(
                "INSERT INTO outbox (kind, subject, actor_id, created_at) \
                 SELECT $1, $2, $3, $4 WHERE EXISTS \
                 (SELECT 1 FROM dependencies WHERE certificate_id = $2)",
            )
            .bind(work.kind())
            .bind(provider.to_string())
            .bind(actor.to_string())
            .bind(ts(at))
            .execute(&mut **tx)
            .await?;
        }
        FollowUp::VersionCovered { .. }
        | FollowUp::SupportChanged { .. }
        | FollowUp::DependencyDeclared { .. } => {
            sqlx::query(
                "INSERT INTO outbox (kind, subject, actor_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(work.kind())
            .bind(work.subject())
            .bind(work.actor_id())
            .bind(ts(at))
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

fn item_from_row(row: &AnyRow) -> Result<OutboxItem> {
    let kind = get_str(row, "kind")?;
    let work = match kind.as_str() {
        "dependents" => FollowUp::Dependents {
            provider: get_parse(row, "subject")?,
            actor: get_parse(row, "actor_id")?,
        },
        "version_covered" => FollowUp::VersionCovered {
            version: get_parse(row, "subject")?,
            actor: get_parse(row, "actor_id")?,
        },
        "support_changed" => FollowUp::SupportChanged {
            product: get_parse(row, "subject")?,
            actor: get_parse(row, "actor_id")?,
        },
        "dependency_declared" => FollowUp::DependencyDeclared {
            dependency: get_parse(row, "subject")?,
            actor: get_parse(row, "actor_id")?,
        },
        other => {
            return Err(StoreError::Corrupt {
                what: "outbox item",
                detail: format!("unknown kind `{other}`"),
            })
        }
    };
    Ok(OutboxItem {
        id: get_i64(row, "id")?,
        work,
        attempts: get_i64(row, "attempts")?,
    })
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn claim_follow_ups(
        &self,
        subject: Option<&str>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        // Only the oldest item of a subject: one subject's work is done in order, by one worker.
        let rows = sqlx::query(
            "SELECT * FROM outbox o WHERE ($1 IS NULL OR o.subject = $1) \
             AND (o.lease_until IS NULL OR o.lease_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.subject = o.subject AND p.id < o.id) \
             ORDER BY o.id LIMIT $3",
        )
        .bind(subject.map(str::to_owned))
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for row in &rows {
            let mut item = item_from_row(row)?;
            let mut w = self.write().await?;
            let n = sqlx::query(
                "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(ts(lease_until))
            .bind(item.id)
            .bind(ts(now))
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            w.commit().await?;
            if n == 1 {
                item.attempts += 1;
                claimed.push(item);
            }
        }
        Ok(claimed)
    }

    async fn renew_follow_up(
        &self,
        id: i64,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut w = self.write().await?;
        let n =
            sqlx::query("UPDATE outbox SET lease_until = $1 WHERE id = $2 AND lease_until >= $3")
                .bind(ts(lease_until))
                .bind(id)
                .bind(ts(now))
                .execute(&mut *w.tx)
                .await?
                .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    async fn finish_follow_up(&self, id: i64) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    async fn fail_follow_up(&self, id: i64, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("UPDATE outbox SET lease_until = $1, last_error = $2 WHERE id = $3")
            .bind(ts(retry_at))
            .bind(error.chars().take(2000).collect::<String>())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    async fn pending_follow_ups(&self) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

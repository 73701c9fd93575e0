use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::watch::{DeliveryState, WatchKind, WebhookState};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{unique, write_audit, SqlStore};
use crate::codec::{get_i64, get_opt, get_opt_parse, get_opt_ts, get_parse, get_str, get_ts, ts};
use crate::traits::Audit;
use crate::watch::{
    Attempt, AttemptOutcome, Delivery, VerificationOutcome, WatchItem, WatchStore, Watchlist,
    WebhookVerification,
};
use crate::{Result, StoreError};

/// Queues one delivery per watch-list with a webhook that follows the certificate of event
/// `seq`, directly, by its product, or by its holder, issuer or authority. Runs inside the
/// transaction that appends the event, after the certificate row is written.
pub(super) async fn enqueue_deliveries(
    tx: &mut Transaction<'static, Any>,
    seq: i64,
    certificate: &CertificateId,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries \
           (watchlist_id, event_seq, certificate_id, state, attempts, round_start, next_attempt_at, created_at) \
         SELECT DISTINCT w.id, $1, c.id, 'pending', 0, 0, $2, $2 \
         FROM certificates c \
         JOIN watch_items i ON \
              (i.kind = 'certificate' AND i.target = c.id) \
           OR (i.kind = 'product' AND i.target = c.product_id) \
           OR (i.kind = 'organisation' AND (i.target = c.holder_id OR i.target = c.issuer_id \
                                            OR i.target = c.authority_id)) \
         JOIN watchlists w ON w.id = i.watchlist_id \
         WHERE c.id = $3 AND w.webhook_url IS NOT NULL",
    )
    .bind(seq)
    .bind(ts(at))
    .bind(certificate.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn watchlist_from_row(row: &AnyRow) -> Result<Watchlist> {
    Ok(Watchlist {
        id: get_parse(row, "id")?,
        name: get_str(row, "name")?,
        key_sha256: get_str(row, "key_sha256")?,
        webhook_url: get_opt(row, "webhook_url")?,
        webhook_secret: get_opt(row, "webhook_secret")?,
        created_at: get_ts(row, "created_at")?,
    })
}

fn verification_from_row(row: &AnyRow) -> Result<Option<WebhookVerification>> {
    let Some(state): Option<WebhookState> = get_opt_parse(row, "webhook_state")? else {
        return Ok(None);
    };
    Ok(Some(WebhookVerification {
        watchlist: get_parse(row, "id")?,
        state,
        attempts: get_i64(row, "webhook_verify_attempts")?,
        next_attempt_at: match state {
            WebhookState::Pending => get_opt_ts(row, "webhook_verify_at")?,
            _ => None,
        },
        confirmed_at: get_opt_ts(row, "webhook_confirmed_at")?,
        last_error: get_opt(row, "webhook_verify_error")?,
    }))
}

fn delivery_from_row(row: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: get_i64(row, "id")?,
        watchlist: get_parse(row, "watchlist_id")?,
        event_seq: get_i64(row, "event_seq")?,
        certificate: get_parse(row, "certificate_id")?,
        state: get_parse(row, "state")?,
        attempts: get_i64(row, "attempts")?,
        round_start: get_i64(row, "round_start")?,
        next_attempt_at: get_opt_ts(row, "next_attempt_at")?,
        created_at: get_ts(row, "created_at")?,
        delivered_at: get_opt_ts(row, "delivered_at")?,
        payload: get_opt(row, "payload")?,
    })
}

fn attempt_from_row(row: &AnyRow) -> Result<Attempt> {
    Ok(Attempt {
        attempt: get_i64(row, "attempt")?,
        at: get_ts(row, "at")?,
        status: row.try_get::<Option<i64>, _>("status")?,
        error: get_opt(row, "error")?,
        duration_ms: get_i64(row, "duration_ms")?,
    })
}

#[async_trait]
impl WatchStore for SqlStore {
    async fn insert_watchlist(&self, w: &Watchlist, audit: &Audit) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO watchlists \
               (id, name, key_sha256, webhook_url, webhook_secret, created_at, webhook_state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(w.id.to_string())
        .bind(w.name.clone())
        .bind(w.key_sha256.clone())
        .bind(w.webhook_url.clone())
        .bind(w.webhook_secret.clone())
        .bind(ts(w.created_at))
        .bind(
            w.webhook_url
                .as_ref()
                .map(|_| WebhookState::Pending.as_str()),
        )
        .execute(&mut *tx.tx)
        .await
        .map_err(unique("watch-list", w.id.as_str()))?;
        write_audit(&mut tx.tx, audit).await?;
        tx.commit().await
    }

    async fn watchlist(&self, id: &RecordId) -> Result<Option<Watchlist>> {
        let row = sqlx::query("SELECT * FROM watchlists WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(watchlist_from_row).transpose()
    }

    async fn set_webhook(
        &self,
        id: &RecordId,
        url: Option<&str>,
        secret: Option<&str>,
        audit: &Audit,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        // A new webhook (or a new secret) must be confirmed again: pending, due at once.
        let n = sqlx::query(
            "UPDATE watchlists SET webhook_url = $1, webhook_secret = $2, webhook_state = $3, \
               webhook_verify_attempts = 0, webhook_verify_at = NULL, webhook_challenge = NULL, \
               webhook_verify_error = NULL, webhook_confirmed_at = NULL \
             WHERE id = $4",
        )
        .bind(url.map(str::to_owned))
        .bind(secret.map(str::to_owned))
        .bind(url.map(|_| WebhookState::Pending.as_str()))
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "watch-list",
                id: id.to_string(),
            });
        }
        write_audit(&mut tx.tx, audit).await?;
        tx.commit().await
    }

    async fn delete_watchlist(&self, id: &RecordId, audit: &Audit) -> Result<()> {
        let mut tx = self.write().await?;
        let id = id.to_string();
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE watchlist_id = $1)",
        )
        .bind(id.clone())
        .execute(&mut *tx.tx)
        .await?;
        for table in ["webhook_deliveries", "watch_items"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE watchlist_id = $1"))
                .bind(id.clone())
                .execute(&mut *tx.tx)
                .await?;
        }
        let n = sqlx::query("DELETE FROM watchlists WHERE id = $1")
            .bind(id.clone())
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "watch-list",
                id,
            });
        }
        write_audit(&mut tx.tx, audit).await?;
        tx.commit().await
    }

    async fn add_watch_item(&self, id: &RecordId, item: &WatchItem, audit: &Audit) -> Result<bool> {
        let mut tx = self.write().await?;
        // Write first (no read-then-write upgrade); an item already there is left as it is.
        let n = sqlx::query(
            "INSERT INTO watch_items (watchlist_id, kind, target, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (watchlist_id, kind, target) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(item.kind.as_str())
        .bind(item.target.clone())
        .bind(ts(item.added_at))
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n > 0 {
            write_audit(&mut tx.tx, audit).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn remove_watch_item(
        &self,
        id: &RecordId,
        kind: WatchKind,
        target: &str,
        audit: &Audit,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "DELETE FROM watch_items WHERE watchlist_id = $1 AND kind = $2 AND target = $3",
        )
        .bind(id.to_string())
        .bind(kind.as_str())
        .bind(target.to_owned())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n > 0 {
            write_audit(&mut tx.tx, audit).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn watch_items(&self, id: &RecordId) -> Result<Vec<WatchItem>> {
        let rows = sqlx::query(
            "SELECT * FROM watch_items WHERE watchlist_id = $1 ORDER BY added_at, kind, target",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WatchItem {
                    kind: get_parse(r, "kind")?,
                    target: get_str(r, "target")?,
                    added_at: get_ts(r, "added_at")?,
                })
            })
            .collect()
    }

    async fn watched_certificates(&self, id: &RecordId) -> Result<Vec<CertificateId>> {
        let rows = sqlx::query(
            "SELECT DISTINCT c.id AS id FROM certificates c \
             JOIN watch_items i ON \
                  (i.kind = 'certificate' AND i.target = c.id) \
               OR (i.kind = 'product' AND i.target = c.product_id) \
               OR (i.kind = 'organisation' AND (i.target = c.holder_id OR i.target = c.issuer_id \
                                                OR i.target = c.authority_id)) \
             WHERE i.watchlist_id = $1 ORDER BY c.id",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| get_parse(r, "id")).collect()
    }

    async fn deliveries(&self, id: &RecordId, limit: i64, offset: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_deliveries WHERE watchlist_id = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(id.to_string())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn delivery(&self, id: i64) -> Result<Option<Delivery>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn attempts(&self, delivery: i64) -> Result<Vec<Attempt>> {
        let rows =
            sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt")
                .bind(delivery)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(attempt_from_row).collect()
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.* FROM webhook_deliveries d JOIN watchlists w ON w.id = d.watchlist_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
               AND w.webhook_state = 'confirmed' \
             ORDER BY d.next_attempt_at, d.id LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn claim_delivery(
        &self,
        id: i64,
        due: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3 \
               AND EXISTS (SELECT 1 FROM watchlists w \
                           WHERE w.id = webhook_deliveries.watchlist_id \
                             AND w.webhook_state = 'confirmed')",
        )
        .bind(ts(lease_until))
        .bind(id)
        .bind(ts(due))
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn fix_payload(&self, id: i64, payload: &str) -> Result<String> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE webhook_deliveries SET payload = $1 WHERE id = $2 AND payload IS NULL")
            .bind(payload.to_owned())
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        let stored: Option<Option<String>> =
            sqlx::query_scalar("SELECT payload FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx.tx)
                .await?;
        tx.commit().await?;
        stored.flatten().ok_or_else(|| StoreError::NotFound {
            what: "delivery",
            id: id.to_string(),
        })
    }

    async fn record_attempt(&self, id: i64, o: &AttemptOutcome) -> Result<()> {
        let mut tx = self.write().await?;
        let a = &o.attempt;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(a.attempt)
        .bind(ts(a.at))
        .bind(a.status)
        .bind(a.error.clone())
        .bind(a.duration_ms)
        .execute(&mut *tx.tx)
        .await
        .map_err(unique("delivery attempt", &format!("{id}/{}", a.attempt)))?;
        let delivered_at = (o.state == DeliveryState::Delivered).then(|| ts(a.at));
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, \
             delivered_at = COALESCE($4, delivered_at) WHERE id = $5",
        )
        .bind(o.state.as_str())
        .bind(a.attempt)
        .bind(o.next_attempt_at.map(ts))
        .bind(delivered_at)
        .bind(id)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "delivery",
                id: id.to_string(),
            });
        }
        tx.commit().await
    }

    async fn redeliver(&self, id: i64, now: DateTime<Utc>, audit: &Audit) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, \
             round_start = attempts WHERE id = $2 AND state <> 'pending'",
        )
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n == 1 {
            write_audit(&mut tx.tx, audit).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn webhook_verification(&self, id: &RecordId) -> Result<Option<WebhookVerification>> {
        let row = sqlx::query("SELECT * FROM watchlists WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => verification_from_row(&r)?,
            None => None,
        })
    }

    async fn due_verifications(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WebhookVerification>> {
        let rows = sqlx::query(
            "SELECT * FROM watchlists WHERE webhook_state = 'pending' \
               AND (webhook_verify_at IS NULL OR webhook_verify_at <= $1) \
             ORDER BY COALESCE(webhook_verify_at, ''), id LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.extend(verification_from_row(r)?);
        }
        Ok(out)
    }

    async fn claim_verification(
        &self,
        id: &RecordId,
        due: Option<DateTime<Utc>>,
        lease_until: DateTime<Utc>,
        challenge: &str,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        // The row must still be due at the time it was found: NULL (due at once) or `due`.
        let sql = if due.is_some() {
            "UPDATE watchlists SET webhook_verify_at = $1, webhook_challenge = $2 \
             WHERE id = $3 AND webhook_state = 'pending' AND webhook_url IS NOT NULL \
               AND webhook_verify_at = $4"
        } else {
            "UPDATE watchlists SET webhook_verify_at = $1, webhook_challenge = $2 \
             WHERE id = $3 AND webhook_state = 'pending' AND webhook_url IS NOT NULL \
               AND webhook_verify_at IS NULL"
        };
        let mut q = sqlx::query(sql)
            .bind(ts(lease_until))
            .bind(challenge.to_owned())
            .bind(id.to_string());
        if let Some(due) = due {
            q = q.bind(ts(due));
        }
        let n = q.execute(&mut *tx.tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn record_verification(
        &self,
        id: &RecordId,
        challenge: &str,
        o: &VerificationOutcome,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE watchlists SET webhook_state = $1, webhook_verify_attempts = $2, \
               webhook_verify_at = $3, webhook_confirmed_at = $4, webhook_verify_error = $5, \
               webhook_challenge = NULL \
             WHERE id = $6 AND webhook_challenge = $7 AND webhook_state = 'pending'",
        )
        .bind(o.state.as_str())
        .bind(o.attempts)
        .bind(o.next_attempt_at.map(ts))
        .bind(o.confirmed_at.map(ts))
        .bind(o.error.clone())
        .bind(id.to_string())
        .bind(challenge.to_owned())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn reverify_webhook(&self, id: &RecordId, audit: &Audit) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE watchlists SET webhook_state = 'pending', webhook_verify_attempts = 0, \
               webhook_verify_at = NULL, webhook_challenge = NULL, webhook_verify_error = NULL, \
               webhook_confirmed_at = NULL \
             WHERE id = $1 AND webhook_url IS NOT NULL",
        )
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if n == 1 {
            write_audit(&mut tx.tx, audit).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }
}

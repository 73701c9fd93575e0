use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;
use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Backend, SqlStore};
use crate::codec::{get_i64, get_str, get_ts, parse_ts, ts, Cols};
use crate::statuslist::{PublishedStatusList, StatusListStore, KEEP_STATUS_LIST_TOKENS};
use crate::{Result, StoreError};

pub(super) fn unsigned(what: &'static str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("{v}: {e}"),
    })
}

fn signed(what: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("{v}: {e}"),
    })
}

fn published(r: &AnyRow) -> Result<PublishedStatusList> {
    let token: Option<String> = r.try_get("token")?;
    Ok(PublishedStatusList {
        sequence: unsigned("status list sequence", get_i64(r, "sequence")?)?,
        issued_at: get_ts(r, "issued_at")?,
        expires_at: get_ts(r, "expires_at")?,
        watermark: get_i64(r, "watermark")?,
        size: unsigned("status list size", get_i64(r, "size")?)?,
        content_sha256: get_str(r, "content_sha256")?,
        token_sha256: get_str(r, "token_sha256")?,
        token: token.ok_or_else(|| StoreError::Corrupt {
            what: "status list",
            detail: "the newest publication has no token".into(),
        })?,
    })
}

/// Certificates one query of `earliest_stale_after_of` names (both backends' parameter limits).
const STALE_CHUNK: usize = 500;
#[async_trait]
impl StatusListStore for SqlStore {
    async fn status_index(&self, id: &CertificateId) -> Result<Option<u64>> {
        const SQL: &str = "SELECT status_index FROM certificates WHERE id = $1";
        if let Some(found) = self.point_row(SQL, id.as_str(), |r| r.int("status_index"))? {
            return found
                .flatten()
                .map(|i| unsigned("status index", i))
                .transpose();
        }
        let v: Option<Option<i64>> = sqlx::query_scalar(SQL)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        v.flatten().map(|i| unsigned("status index", i)).transpose()
    }

    async fn status_watermark(&self) -> Result<i64> {
        let v: Option<i64> = match self.backend {
            // One writer at a time: numbers are committed in order.
            Backend::Sqlite => {
                sqlx::query_scalar("SELECT MAX(seq) FROM events")
                    .fetch_one(&self.pool)
                    .await?
            }
            // Every write holds the append lock shared from its first statement to its end
            // (`SqlStore::write`); taken exclusively here, it waits for the writes under way to
            // end, so no event numbered below the maximum read can commit after it.
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(super::EVENT_APPEND_LOCK)
                    .execute(&mut *tx)
                    .await?;
                let v = sqlx::query_scalar("SELECT MAX(seq) FROM events")
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                v
            }
        };
        Ok(v.unwrap_or(0))
    }

    async fn earliest_stale_after_of(
        &self,
        ids: &[CertificateId],
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let mut earliest: Option<String> = None;
        // Timestamps are stored in one fixed-width UTC form: text order is time order.
        for chunk in ids.chunks(STALE_CHUNK) {
            let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT MIN(stale_after) FROM label_status \
                 WHERE idx IS NOT NULL AND stale_after > $1 AND length(stale_after) = 27 \
                 AND certificate_id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, Option<String>>(&sql).bind(ts(after));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            if let Some(t) = q.fetch_one(&self.pool).await? {
                if earliest.as_ref().is_none_or(|e| t < *e) {
                    earliest = Some(t);
                }
            }
        }
        // A value edited by hand into no date is not taken, rather than failing the list (the
        // row itself is not served: its stored status does not parse).
        Ok(earliest.and_then(|t| {
            parse_ts("label_status.stale_after", &t)
                .map_err(|e| tracing::warn!(error = %e, "a stored status's end not read"))
                .ok()
        }))
    }

    async fn latest_status_list(&self) -> Result<Option<PublishedStatusList>> {
        let row = sqlx::query("SELECT * FROM status_lists ORDER BY sequence DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(published).transpose()
    }

    async fn publish_status_list(
        &self,
        list: &PublishedStatusList,
        record: &[u8],
    ) -> Result<Option<i64>> {
        let sequence = signed("status list sequence", list.sequence)?;
        let mut w = self.write().await?;
        // event_seq 0: no event has it (sequences start at 1); the status_lists row below
        // accounts for the entry.
        let queue_id: i64 = sqlx::query_scalar(
            "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES (0, $1, $2) RETURNING id",
        )
        .bind(record.to_vec())
        .bind(ts(list.issued_at))
        .fetch_one(&mut *w.tx)
        .await?;
        let done = sqlx::query(
            "INSERT INTO status_lists (sequence, issued_at, expires_at, watermark, size, \
               content_sha256, token_sha256, queue_id, token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sequence) DO NOTHING",
        )
        .bind(sequence)
        .bind(ts(list.issued_at))
        .bind(ts(list.expires_at))
        .bind(list.watermark)
        .bind(signed("status list size", list.size)?)
        .bind(list.content_sha256.clone())
        .bind(list.token_sha256.clone())
        .bind(queue_id)
        .bind(list.token.clone())
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() != 1 {
            // Another instance published this sequence: dropping the transaction takes the
            // queued record back.
            return Ok(None);
        }
        sqlx::query(
            "UPDATE status_lists SET token = NULL WHERE sequence <= $1 AND token IS NOT NULL",
        )
        .bind(sequence - signed("kept tokens", KEEP_STATUS_LIST_TOKENS)?)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(Some(queue_id))
    }

    async fn status_list_queue_ids(&self) -> Result<Vec<(u64, String, i64)>> {
        let rows = sqlx::query(
            "SELECT sequence, token_sha256, queue_id FROM status_lists ORDER BY sequence",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    unsigned("status list sequence", get_i64(r, "sequence")?)?,
                    get_str(r, "token_sha256")?,
                    get_i64(r, "queue_id")?,
                ))
            })
            .collect()
    }
}

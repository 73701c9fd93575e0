use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{unique, write_audit, SqlStore};
use crate::codec::{get_i64, get_json, get_opt_ts, get_str, get_ts, json, ts, Cols};
use crate::keys::{KeyRecord, KeyStore, LogPosition, PublishedTrustList, StoredStatement};
use crate::traits::Audit;
use crate::{Result, StoreError};

fn key_from_row(row: &(impl Cols + ?Sized)) -> Result<KeyRecord> {
    Ok(KeyRecord {
        key_id: get_str(row, "key_id")?,
        org_id: get_str(row, "org_id")?,
        org_name: get_str(row, "org_name")?,
        role: get_str(row, "role")?,
        public_key: get_str(row, "public_key")?,
        schemes: get_json(row, "schemes")?,
        levels: get_json(row, "levels")?,
        valid_from: get_ts(row, "valid_from")?,
        valid_until: get_ts(row, "valid_until")?,
        revoked_at: get_opt_ts(row, "revoked_at")?,
        root: get_i64(row, "is_root")? != 0,
        created_at: get_ts(row, "created_at")?,
    })
}

fn stored_statement(r: &(impl Cols + ?Sized)) -> Result<StoredStatement> {
    Ok(StoredStatement {
        event_seq: get_i64(r, "event_seq")?,
        signed: r.bytes("signed")?,
    })
}

fn log_position(r: &AnyRow) -> Result<LogPosition> {
    let index = get_i64(r, "log_index")?;
    Ok(LogPosition {
        event_seq: get_i64(r, "event_seq")?,
        log_index: u64::try_from(index).map_err(|_| StoreError::Corrupt {
            what: "log index",
            detail: index.to_string(),
        })?,
    })
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn insert_key(&self, k: &KeyRecord, retire: Option<&str>, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        if let Some(old) = retire {
            let done = sqlx::query(
                "UPDATE signing_keys SET valid_until = $1 WHERE key_id = $2 AND valid_until > $1",
            )
            .bind(ts(k.valid_from))
            .bind(old.to_owned())
            .execute(&mut *w.tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict {
                    what: "signing key",
                    id: old.to_owned(),
                });
            }
        }
        sqlx::query(
            "INSERT INTO signing_keys (key_id, org_id, org_name, role, public_key, schemes, \
             levels, valid_from, valid_until, revoked_at, is_root, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(k.key_id.clone())
        .bind(k.org_id.clone())
        .bind(k.org_name.clone())
        .bind(k.role.clone())
        .bind(k.public_key.clone())
        .bind(json(&k.schemes)?)
        .bind(json(&k.levels)?)
        .bind(ts(k.valid_from))
        .bind(ts(k.valid_until))
        .bind(k.revoked_at.map(ts))
        .bind(i64::from(k.root))
        .bind(ts(k.created_at))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("signing key", &k.key_id))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn signing_key(&self, key_id: &str) -> Result<Option<KeyRecord>> {
        // Read on every certificate page view (its verification section): a point read.
        self.row_by_key(
            "SELECT * FROM signing_keys WHERE key_id = $1",
            key_id,
            |r| key_from_row(r),
        )
        .await
    }

    async fn signing_keys(&self) -> Result<Vec<KeyRecord>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, key_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn revoke_key(&self, key_id: &str, at: DateTime<Utc>, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        let done = sqlx::query("UPDATE signing_keys SET revoked_at = $1 WHERE key_id = $2")
            .bind(ts(at))
            .bind(key_id.to_owned())
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound {
                what: "signing key",
                id: key_id.to_owned(),
            });
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn statements(&self, certificate_id: &str) -> Result<Vec<StoredStatement>> {
        const SQL: &str =
            "SELECT event_seq, signed FROM statements WHERE certificate_id = $1 ORDER BY event_seq";
        self.rows_by_key(SQL, certificate_id, |r| stored_statement(r))
            .await
    }

    async fn latest_statement(&self, certificate_id: &str) -> Result<Option<StoredStatement>> {
        const SQL: &str = "SELECT event_seq, signed FROM statements WHERE certificate_id = $1 \
             ORDER BY event_seq DESC LIMIT 1";
        self.row_by_key(SQL, certificate_id, |r| stored_statement(r))
            .await
    }

    async fn signed_record(
        &self,
        certificate_id: &str,
    ) -> Result<(Vec<StoredStatement>, Vec<StoredStatement>)> {
        const SQL: &str = "SELECT CAST(0 AS BIGINT) AS resigned, event_seq, event_seq AS ord, \
             signed FROM statements WHERE certificate_id = $1 \
             UNION ALL \
             SELECT CAST(1 AS BIGINT) AS resigned, event_seq, id AS ord, signed FROM resignatures \
             WHERE certificate_id = $1 ORDER BY resigned, ord";
        let rows = self
            .rows_by_key(SQL, certificate_id, |r| {
                Ok((get_i64(r, "resigned")? != 0, stored_statement(r)?))
            })
            .await?;
        let (mut statements, mut resignatures) = (Vec::new(), Vec::new());
        for (resigned, s) in rows {
            if resigned {
                resignatures.push(s);
            } else {
                statements.push(s);
            }
        }
        Ok((statements, resignatures))
    }

    async fn resignatures(&self, certificate_id: &str) -> Result<Vec<StoredStatement>> {
        let rows = sqlx::query(
            "SELECT event_seq, signed FROM resignatures WHERE certificate_id = $1 ORDER BY id",
        )
        .bind(certificate_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_statement).collect()
    }

    async fn insert_resignatures(
        &self,
        certificate_id: &str,
        signed: &[StoredStatement],
        at: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<Vec<i64>> {
        let mut w = self.write().await?;
        let mut queued = Vec::with_capacity(signed.len());
        for s in signed {
            sqlx::query(
                "INSERT INTO resignatures (event_seq, certificate_id, signed, at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(s.event_seq)
            .bind(certificate_id.to_owned())
            .bind(s.signed.clone())
            .bind(ts(at))
            .execute(&mut *w.tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES ($1, $2, $3) \
                 RETURNING id",
            )
            .bind(s.event_seq)
            .bind(s.signed.clone())
            .bind(ts(at))
            .fetch_one(&mut *w.tx)
            .await?;
            queued.push(id);
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(queued)
    }

    async fn log_positions(&self, certificate_id: &str) -> Result<Vec<LogPosition>> {
        let rows = sqlx::query(
            "SELECT l.event_seq, l.log_index FROM log_entries l \
             JOIN events e ON e.seq = l.event_seq WHERE e.certificate_id = $1 \
             ORDER BY l.log_index",
        )
        .bind(certificate_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(log_position).collect()
    }

    async fn queued_statements(&self, certificate_id: &str) -> Result<Vec<StoredStatement>> {
        let rows = sqlx::query(
            "SELECT q.event_seq, q.entry AS signed FROM log_queue q \
             JOIN events e ON e.seq = q.event_seq WHERE e.certificate_id = $1 ORDER BY q.id",
        )
        .bind(certificate_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(stored_statement).collect()
    }

    async fn log_bundle(&self, idx: u64) -> Result<Option<Vec<u8>>> {
        let idx = i64::try_from(idx).map_err(|_| StoreError::Corrupt {
            what: "log bundle index",
            detail: idx.to_string(),
        })?;
        let row = sqlx::query("SELECT data FROM log_bundles WHERE idx = $1")
            .bind(idx)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get::<Vec<u8>, _>("data")?))
            .transpose()
    }

    async fn log_entries_without_event(&self) -> Result<Vec<LogPosition>> {
        let rows = sqlx::query(
            "SELECT l.event_seq, l.log_index FROM log_entries l \
             WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = l.event_seq) \
             AND NOT (l.event_seq = 0 AND (\
               EXISTS (SELECT 1 FROM status_lists s WHERE s.queue_id = l.queue_id) \
               OR EXISTS (SELECT 1 FROM software_list_records r WHERE r.queue_id = l.queue_id))) \
             ORDER BY l.log_index",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(log_position).collect()
    }

    async fn next_trust_list_sequence(&self) -> Result<u64> {
        let mut w = self.write().await?;
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ('trust-list', 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        u64::try_from(value).map_err(|e| StoreError::Corrupt {
            what: "trust-list counter",
            detail: e.to_string(),
        })
    }

    async fn published_trust_list(&self) -> Result<Option<PublishedTrustList>> {
        let row = sqlx::query("SELECT * FROM trust_lists WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(|r| {
                Ok(PublishedTrustList {
                    sequence: u64::try_from(get_i64(r, "sequence")?).map_err(|e| {
                        StoreError::Corrupt {
                            what: "trust list sequence",
                            detail: e.to_string(),
                        }
                    })?,
                    content_sha256: get_str(r, "content_sha256")?,
                    issued_at: get_ts(r, "issued_at")?,
                    signed: r.try_get("signed")?,
                })
            })
            .transpose()
    }

    async fn publish_trust_list(&self, list: &PublishedTrustList) -> Result<bool> {
        let sequence = i64::try_from(list.sequence).map_err(|e| StoreError::Corrupt {
            what: "trust list sequence",
            detail: e.to_string(),
        })?;
        let mut w = self.write().await?;
        let n = sqlx::query(
            "INSERT INTO trust_lists (id, sequence, content_sha256, issued_at, signed) \
             VALUES (1, $1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, \
               content_sha256 = excluded.content_sha256, issued_at = excluded.issued_at, \
               signed = excluded.signed \
             WHERE trust_lists.sequence < excluded.sequence",
        )
        .bind(sequence)
        .bind(list.content_sha256.clone())
        .bind(ts(list.issued_at))
        .bind(list.signed.clone())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }
}

impl SqlStore {
    /// The log index of event `event_seq`'s statement (the lowest, should it be logged twice),
    /// or `None` while it waits in the queue: one descent of migration 0033's index, on the
    /// calling thread where the point reader can answer (the certificate page asks it on every
    /// view; through sqlx's SQLite worker it was about a tenth of a view's CPU).
    pub async fn log_index_of_event(&self, event_seq: i64) -> Result<Option<i64>> {
        let found = self
            .row_by_key(
                "SELECT CAST(MIN(log_index) AS BIGINT) AS log_index FROM log_entries \
                 WHERE event_seq = CAST($1 AS BIGINT)",
                &event_seq.to_string(),
                |r| r.int("log_index"),
            )
            .await?;
        Ok(found.flatten())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sqlx::Executor as _;

    /// Event 7 at two log indexes (its answer is the lower), event 8 at one.
    const ENTRIES: &str = "INSERT INTO log_entries (log_index, event_seq, queue_id) VALUES \
                           (5, 7, 1), (3, 7, 2), (4, 8, 3)";

    /// The lowest log index of an event's statement, `None` for one not logged: on the calling
    /// thread (the point reader of a SQLite file), through the pool (the same file without its
    /// reader) and on PostgreSQL (when `KEURMERK_TEST_POSTGRES` is set), the same answers.
    #[tokio::test]
    async fn an_events_log_index_is_read_alike_on_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let file =
            super::SqlStore::connect(&format!("sqlite:{}", dir.path().join("l.db").display()))
                .await
                .unwrap();
        assert!(file.point.is_some());
        file.pool.execute(ENTRIES).await.unwrap();
        let mut pooled = file.clone();
        pooled.point = None;
        let mut stores = vec![(file, None, false), (pooled, None, false)];
        if let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let store = super::SqlStore::connect_in_schema(&url, Some(&schema))
                .await
                .unwrap();
            stores.push((store, Some(schema), true));
        }
        for (store, schema, empty) in stores {
            if empty {
                store.pool.execute(ENTRIES).await.unwrap();
            }
            assert_eq!(store.log_index_of_event(7).await.unwrap(), Some(3));
            assert_eq!(store.log_index_of_event(8).await.unwrap(), Some(4));
            assert_eq!(store.log_index_of_event(9).await.unwrap(), None);
            if let Some(schema) = schema {
                store
                    .pool
                    .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                    .await
                    .unwrap();
            }
        }
    }
}

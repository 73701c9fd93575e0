use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Any, Row, Transaction};

use super::SqlStore;
use crate::codec::{get_ts, ts};
use crate::idempotency::{IdempotencyRecord, IdempotencyStore, IdempotentRequest};
use crate::{Result, StoreError};

/// Inserts the key's row in a write transaction; a row already there means another request with
/// the key committed first.
pub(super) async fn record_key(
    tx: &mut Transaction<'static, Any>,
    r: &IdempotentRequest,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, request_sha256, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(r.scope.clone())
    .bind(r.key.clone())
    .bind(r.request_sha256.clone())
    .bind(ts(Utc::now()))
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::IdempotencyKeyUsed,
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT request_sha256, created_at, status, response FROM idempotency_keys \
             WHERE scope = $1 AND idem_key = $2",
        )
        .bind(scope.to_owned())
        .bind(key.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let status: Option<i64> = row.try_get("status")?;
        let body: Option<Vec<u8>> = row.try_get("response")?;
        let response = match (status, body) {
            (Some(s), Some(b)) => Some((
                u16::try_from(s).map_err(|_| StoreError::Corrupt {
                    what: "idempotency key",
                    detail: format!("status {s}"),
                })?,
                b,
            )),
            _ => None,
        };
        Ok(Some(IdempotencyRecord {
            request_sha256: row.try_get("request_sha256")?,
            created_at: get_ts(&row, "created_at")?,
            response,
        }))
    }

    async fn store_response(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> Result<()> {
        // Not through `write()`: this runs inside the request, after its key is recorded.
        let _guard = self.write_turn().await?;
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response = $2 \
             WHERE scope = $3 AND idem_key = $4 AND status IS NULL",
        )
        .bind(i64::from(status))
        .bind(body.to_vec())
        .bind(scope.to_owned())
        .bind(key.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

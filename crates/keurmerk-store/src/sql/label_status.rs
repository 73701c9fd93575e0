//! SQL rows of the label status read model (see [`crate::label_status`], migration 0021).

use async_trait::async_trait;
use keurmerk_domain::ids::CertificateId;

use super::SqlStore;
use crate::codec::{get_i64, get_json, get_opt_ts, get_str, get_ts, json, ts, Cols};
use crate::label_status::{StatusStore, StoredStatus};
use crate::Result;

fn status_from_row(row: &(impl Cols + ?Sized)) -> Result<StoredStatus> {
    Ok(StoredStatus {
        generation: get_i64(row, "gen")?,
        seq: get_i64(row, "seq")?,
        report: get_json(row, "report")?,
        computed_at: get_ts(row, "computed_at")?,
        stale_after: get_opt_ts(row, "stale_after")?,
        policy: get_str(row, "policy")?,
        trust: get_str(row, "trust")?,
    })
}

/// The stored status of a certificate if it was folded from its last event (`$1`: the id).
const CURRENT_STATUS: &str = "SELECT r.gen, r.seq, r.report, r.computed_at, r.stale_after, \
     r.policy, r.trust FROM label_status r JOIN certificates c ON c.id = r.certificate_id \
     WHERE r.certificate_id = $1 AND r.report IS NOT NULL AND r.seq = c.last_seq";

#[async_trait]
impl StatusStore for SqlStore {
    async fn current_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>> {
        // The QR hot path on SQLite: one indexed read on this thread (ADR 0020).
        self.row_by_key(CURRENT_STATUS, id.as_str(), |r| status_from_row(r))
            .await
    }

    async fn current_statuses(&self, ids: &[CertificateId]) -> Result<Vec<StoredStatus>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT r.gen, r.seq, r.report, r.computed_at, r.stale_after, r.policy, r.trust \
             FROM label_status r JOIN certificates c ON c.id = r.certificate_id \
             WHERE r.certificate_id IN ({}) AND r.report IS NOT NULL AND r.seq = c.last_seq",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id.to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(status_from_row).collect()
    }

    async fn stored_status(&self, id: &CertificateId) -> Result<Option<StoredStatus>> {
        let row = sqlx::query(
            "SELECT gen, seq, report, computed_at, stale_after, policy, trust \
             FROM label_status WHERE certificate_id = $1 AND report IS NOT NULL",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(status_from_row).transpose()
    }

    async fn status_generation(&self, id: &CertificateId) -> Result<i64> {
        let generation: Option<i64> =
            sqlx::query_scalar("SELECT gen FROM label_status WHERE certificate_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(generation.unwrap_or(0))
    }

    async fn put_status(&self, id: &CertificateId, s: &StoredStatus) -> Result<bool> {
        let mut w = self.write().await?;
        // The WHERE of the upsert is the guard: a trigger that bumped `gen` after the caller
        // read it means an input changed, so this report may be stale and is not stored.
        let done = sqlx::query(
            "INSERT INTO label_status \
                 (certificate_id, gen, seq, report, computed_at, stale_after, policy, trust) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (certificate_id) DO UPDATE SET seq = excluded.seq, \
                 report = excluded.report, computed_at = excluded.computed_at, \
                 stale_after = excluded.stale_after, policy = excluded.policy, \
                 trust = excluded.trust \
             WHERE label_status.gen = excluded.gen",
        )
        .bind(id.to_string())
        .bind(s.generation)
        .bind(s.seq)
        .bind(json(&s.report)?)
        .bind(ts(s.computed_at))
        .bind(s.stale_after.map(ts))
        .bind(s.policy.clone())
        .bind(s.trust.clone())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn clear_status(&self, id: &CertificateId) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("UPDATE label_status SET report = NULL WHERE certificate_id = $1")
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }
}

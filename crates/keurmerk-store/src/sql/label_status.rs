//! SQL rows of the label status read model (see [`crate::label_status`], migration 0021).

use async_trait::async_trait;
use futures_util::TryStreamExt as _;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::status::LabelStatus;

use super::point::Point;
use super::SqlStore;
use crate::codec::{get_i64, get_json, get_opt_ts, get_str, get_ts, json, ts, Cols};
use crate::label_status::{ListSlot, ServedRule, StatusStore, StoredStatus};
use crate::{Result, StoreError};

/// Rows [`StatusStore::fill_status_words`] reads per query (SQLite statements stay within 400
/// values, ADR 0019).
const FILL_CHUNK: usize = 400;

fn word(what: &str, s: &str) -> Result<LabelStatus> {
    s.parse().map_err(|e| StoreError::Corrupt {
        what: "label status word",
        detail: format!("{what}: {e}"),
    })
}

/// Only the status of a stored report (the rest of it is skipped, not built).
#[derive(serde::Deserialize)]
struct ReportStatus {
    status: LabelStatus,
}

/// A row of [`LIST_STATUSES`] as a slot.
fn list_slot(row: &(impl Cols + ?Sized)) -> Result<ListSlot> {
    let index = u64::try_from(get_i64(row, "idx")?).map_err(|e| StoreError::Corrupt {
        what: "status index",
        detail: e.to_string(),
    })?;
    let ok = get_i64(row, "ok")? == 1;
    // A word that is not a status is not trusted: the caller evaluates that one.
    let word = row.text("word")?.filter(|_| ok);
    let unfilled = match word.as_deref().map(str::parse::<LabelStatus>) {
        Some(Ok(status)) => {
            return Ok(ListSlot {
                index,
                status: Ok(status),
                unfilled: false,
            })
        }
        found => ok && found.is_none(),
    };
    let id = get_str(row, "id")?;
    let id = id.parse().map_err(|e| StoreError::Corrupt {
        what: "certificate id",
        detail: format!("{id}: {e}"),
    })?;
    Ok(ListSlot {
        index,
        status: Err(id),
        unfilled,
    })
}

/// Each certificate with a status index; its row's word when the row is current under the
/// rule (`$1` policy, `$2` trust, `$3` now: timestamps are stored in one fixed-width UTC form,
/// so text order is time order). The conditions are `readmodel::servable`'s.
const LIST_STATUSES: &str = "SELECT c.status_index AS idx, c.id AS id, r.status AS word, \
     CASE WHEN r.report IS NOT NULL AND r.seq = c.last_seq AND r.policy = $1 AND r.trust = $2 \
          AND r.computed_at <= $3 AND (r.stale_after IS NULL OR r.stale_after > $3) \
     THEN 1 ELSE 0 END AS ok \
     FROM certificates c LEFT JOIN label_status r ON r.certificate_id = c.id \
     WHERE c.status_index IS NOT NULL";

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
                 (certificate_id, gen, seq, report, computed_at, stale_after, policy, trust, \
                  status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (certificate_id) DO UPDATE SET seq = excluded.seq, \
                 report = excluded.report, computed_at = excluded.computed_at, \
                 stale_after = excluded.stale_after, policy = excluded.policy, \
                 trust = excluded.trust, status = excluded.status \
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
        .bind(s.report.status.as_str())
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

    async fn status_word(&self, id: &CertificateId) -> Result<Option<LabelStatus>> {
        let w: Option<Option<String>> = sqlx::query_scalar(
            "SELECT status FROM label_status WHERE certificate_id = $1 AND report IS NOT NULL",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        w.flatten().map(|w| word(id.as_str(), &w)).transpose()
    }

    async fn list_statuses(
        &self,
        rule: &ServedRule,
        each: &mut (dyn FnMut(ListSlot) -> Result<()> + Send),
    ) -> Result<()> {
        let params = vec![rule.policy.clone(), rule.trust.clone(), ts(rule.now)];
        // SQLite: a million rows decoded on a blocking thread straight from the file (ADR 0020),
        // not handed one by one from sqlx's worker.
        if let Some(point) = &self.point {
            if let Point::Done(()) = point
                .scan(LIST_STATUSES, params.clone(), |r| list_slot(r), &mut *each)
                .await?
            {
                return Ok(());
            }
        }
        let mut rows = sqlx::query(LIST_STATUSES)
            .bind(params[0].clone())
            .bind(params[1].clone())
            .bind(params[2].clone())
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            each(list_slot(&row)?)?;
        }
        Ok(())
    }

    async fn fill_status_words(&self, ids: &[CertificateId]) -> Result<u64> {
        let mut filled = 0;
        for chunk in ids.chunks(FILL_CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT certificate_id, gen, report FROM label_status \
                 WHERE certificate_id IN ({}) AND report IS NOT NULL AND status IS NULL",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            let rows = q.fetch_all(&self.pool).await?;
            if rows.is_empty() {
                continue;
            }
            let mut w = self.write().await?;
            for row in &rows {
                let report = get_str(row, "report")?;
                // A report this build cannot read stays without a word: the fold decides.
                let Ok(r) = serde_json::from_str::<ReportStatus>(&report) else {
                    continue;
                };
                // Unchanged since it was read (same generation, same report), or left alone.
                let done = sqlx::query(
                    "UPDATE label_status SET status = $1 WHERE certificate_id = $2 \
                     AND gen = $3 AND report = $4 AND status IS NULL",
                )
                .bind(r.status.as_str())
                .bind(get_str(row, "certificate_id")?)
                .bind(get_i64(row, "gen")?)
                .bind(report)
                .execute(&mut *w.tx)
                .await?;
                filled += done.rows_affected();
            }
            w.commit().await?;
        }
        Ok(filled)
    }
}

use async_trait::async_trait;
use keurmerk_domain::event::{Event, EventKind};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::{Certificate, Product};
use sqlx::{Any, Transaction};

use super::products::product_from_cols;
use super::{unique, write_audit, SqlStore};
use crate::codec::{
    date, get_date, get_i64, get_json, get_opt_parse, get_parse, get_ts, json, ts, Cols,
};
use crate::traits::{Appended, Audit, CertificateFilter, CertificateStore, NewEvent, Numbering};
use crate::{Result, StoreError};

/// A certificate already issued on the assessment `$1`, read in the issuing transaction (an index
/// descent, migration 0035: it read every certificate before, 1.5–1.9 s at 1,000,000).
const ASSESSMENT_USED: &str = "SELECT id FROM certificates WHERE assessment_id = $1 LIMIT 1";

pub(super) fn certificate_from_row(row: &(impl Cols + ?Sized)) -> Result<Certificate> {
    Ok(Certificate {
        id: get_parse(row, "id")?,
        product: get_parse(row, "product_id")?,
        holder: get_parse(row, "holder_id")?,
        scheme: get_parse(row, "scheme_id")?,
        level: get_parse(row, "level_id")?,
        issuer: get_parse(row, "issuer_id")?,
        issuer_kind: get_parse(row, "issuer_kind")?,
        authority: get_opt_parse(row, "authority_id")?,
        assessment: get_parse(row, "assessment_id")?,
        issued_at: get_ts(row, "issued_at")?,
        valid_until: get_date(row, "valid_until")?,
        state: get_parse(row, "state")?,
    })
}

/// A certificate row joined with its product's columns (`pr.*` but `id`, its `created_at` as
/// `product_created_at`), and the certificate's status-list index.
pub(super) fn certificate_product_index(
    r: &(impl Cols + ?Sized),
) -> Result<(Certificate, Product, Option<u64>)> {
    let index = r
        .int("status_index")?
        .map(|i| super::statuslist::unsigned("status index", i))
        .transpose()?;
    Ok((
        certificate_from_row(r)?,
        product_from_cols(r, "product_id", "product_created_at")?,
        index,
    ))
}

fn event_from_row(row: &(impl Cols + ?Sized)) -> Result<Event> {
    let kind: EventKind = get_json(row, "payload")?;
    Ok(Event {
        seq: get_i64(row, "seq")?,
        certificate: get_parse(row, "certificate_id")?,
        at: get_ts(row, "at")?,
        actor: get_parse(row, "actor_id")?,
        role: get_parse(row, "role")?,
        kind,
    })
}

async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    seq: i64,
    entry: &[u8],
    at: &Event,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO log_queue (event_seq, entry, queued_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(seq)
    .bind(entry.to_vec())
    .bind(ts(at.at))
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn insert_event(tx: &mut Transaction<'static, Any>, e: &Event) -> Result<i64> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (certificate_id, at, actor_id, role, kind, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
    )
    .bind(e.certificate.to_string())
    .bind(ts(e.at))
    .bind(e.actor.to_string())
    .bind(e.role.as_str())
    .bind(e.kind.name())
    .bind(json(&e.kind)?)
    .fetch_one(&mut **tx)
    .await?;
    Ok(seq)
}

/// Appends one event inside a transaction (see [`CertificateStore::append_event`]).
async fn append_in(tx: &mut Transaction<'static, Any>, e: &NewEvent<'_>) -> Result<Appended> {
    let event = e.event;
    let seq = insert_event(tx, event).await?;
    let done = sqlx::query(
        "UPDATE certificates SET state = $1, last_seq = $2, next_due = NULL \
         WHERE id = $3 AND last_seq = $4",
    )
    .bind(e.new_state.as_str())
    .bind(seq)
    .bind(event.certificate.to_string())
    .bind(e.expected_last_seq)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        // Dropping the transaction rolls the event back.
        return Err(StoreError::Conflict {
            what: "certificate",
            id: event.certificate.to_string(),
        });
    }
    let queue_id = enqueue(tx, seq, e.log_entry, event).await?;
    super::watch::enqueue_deliveries(tx, seq, &event.certificate, event.at).await?;
    for work in e.follow_ups {
        super::outbox::enqueue(tx, work, event.at).await?;
    }
    Ok(Appended { seq, queue_id })
}

/// Takes certificate number `n.number` if the counter is still at the number before it.
async fn take_number(tx: &mut Transaction<'static, Any>, n: &Numbering) -> Result<()> {
    let number = i64::try_from(n.number).map_err(|_| StoreError::Corrupt {
        what: "certificate number",
        detail: n.number.to_string(),
    })?;
    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(n.counter.clone())
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("UPDATE counters SET value = $1 WHERE name = $2 AND value = $3")
        .bind(number)
        .bind(n.counter.clone())
        .bind(number - 1)
        .execute(&mut **tx)
        .await?;
    // Moved on from the number before; else someone took it meanwhile.
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict {
            what: "certificate number",
            id: format!("{}-{:06}", n.counter, n.number),
        });
    }
    Ok(())
}

/// Takes the next status-list index (migration 0020) in the issuing transaction: the counter
/// row's lock (PostgreSQL) or the write lock (SQLite) serialises concurrent issues, so two
/// instances never take the same index, and a rolled-back issue takes none.
async fn take_status_index(tx: &mut Transaction<'static, Any>) -> Result<i64> {
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ('status_index', 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(next - 1)
}

async fn insert_certificate(
    tx: &mut Transaction<'static, Any>,
    c: &Certificate,
    issued: &Event,
    log_entry: &[u8],
) -> Result<Appended> {
    let status_index = take_status_index(tx).await?;
    sqlx::query(
        "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, issuer_id, \
             issuer_kind, authority_id, assessment_id, issued_at, valid_until, state, last_seq, \
             status_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13)",
    )
    .bind(c.id.to_string())
    .bind(c.product.to_string())
    .bind(c.holder.to_string())
    .bind(c.scheme.to_string())
    .bind(c.level.to_string())
    .bind(c.issuer.to_string())
    .bind(c.issuer_kind.as_str())
    .bind(c.authority.as_ref().map(ToString::to_string))
    .bind(c.assessment.to_string())
    .bind(ts(c.issued_at))
    .bind(date(c.valid_until))
    .bind(c.state.as_str())
    .bind(status_index)
    .execute(&mut **tx)
    .await
    .map_err(unique("certificate", c.id.as_str()))?;
    let seq = insert_event(tx, issued).await?;
    sqlx::query("UPDATE certificates SET last_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(c.id.to_string())
        .execute(&mut **tx)
        .await?;
    let queue_id = enqueue(tx, seq, log_entry, issued).await?;
    super::watch::enqueue_deliveries(tx, seq, &c.id, issued.at).await?;
    Ok(Appended { seq, queue_id })
}

#[async_trait]
impl CertificateStore for SqlStore {
    async fn issue(
        &self,
        c: &Certificate,
        issued: &Event,
        log_entry: &[u8],
        audit: &Audit,
    ) -> Result<Appended> {
        let mut w = self.write().await?;
        let appended = insert_certificate(&mut w.tx, c, issued, log_entry).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(appended)
    }

    async fn issue_numbered(
        &self,
        c: &Certificate,
        issued: &Event,
        log_entry: &[u8],
        number: &Numbering,
        also: &[NewEvent<'_>],
        audit: &Audit,
    ) -> Result<Vec<Appended>> {
        let mut w = self.write().await?;
        // The number first: on PostgreSQL the counter row's lock also serialises concurrent
        // issues, so the assessment check below sees any certificate committed before it.
        take_number(&mut w.tx, number).await?;
        let used: Option<String> = sqlx::query_scalar(ASSESSMENT_USED)
            .bind(c.assessment.to_string())
            .fetch_optional(&mut *w.tx)
            .await?;
        if let Some(existing) = used {
            return Err(StoreError::AlreadyExists {
                what: "certificate on this assessment",
                id: existing,
            });
        }
        let mut appended = vec![insert_certificate(&mut w.tx, c, issued, log_entry).await?];
        for e in also {
            appended.push(append_in(&mut w.tx, e).await?);
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(appended)
    }

    async fn append_event(&self, e: &NewEvent<'_>, audit: &Audit) -> Result<Appended> {
        let mut w = self.write().await?;
        let appended = append_in(&mut w.tx, e).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(appended)
    }

    async fn certificate(&self, id: &CertificateId) -> Result<Option<(Certificate, i64)>> {
        const SQL: &str = "SELECT * FROM certificates WHERE id = $1";
        self.row_by_key(SQL, id.as_str(), |r| {
            Ok((certificate_from_row(r)?, get_i64(r, "last_seq")?))
        })
        .await
    }

    async fn certificate_with_product(
        &self,
        id: &CertificateId,
    ) -> Result<Option<(Certificate, Product, Option<u64>)>> {
        // The signed status's claims: one read instead of three (certificate, product, index).
        const SQL: &str = "SELECT c.*, pr.manufacturer_id, pr.name, pr.model, pr.category, \
             pr.gtin, pr.purl, pr.cpe, pr.created_at AS product_created_at \
             FROM certificates c JOIN products pr ON pr.id = c.product_id WHERE c.id = $1";
        self.row_by_key(SQL, id.as_str(), |r| certificate_product_index(r))
            .await
    }

    async fn certificates(&self, f: &CertificateFilter) -> Result<Vec<Certificate>> {
        // Only the filters given become conditions: `($1 IS NULL OR product_id = $1)` kept both
        // databases from using the product's index, so the certificates of one product were
        // found by walking the whole table (350 ms at 1,000,000, for every dependency and
        // advisory follow-up). A plain `id > $n` (no `IS NULL OR`) lets the primary key start a
        // walk there; every id sorts after the empty string.
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        for (column, value) in [
            ("product_id", f.product.as_ref().map(ToString::to_string)),
            ("holder_id", f.holder.as_ref().map(ToString::to_string)),
            ("scheme_id", f.scheme.as_ref().map(ToString::to_string)),
        ] {
            if let Some(v) = value {
                values.push(v);
                conditions.push(format!("{column} = ${}", values.len()));
            }
        }
        values.push(
            f.after
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        );
        conditions.push(format!("id > ${}", values.len()));
        let sql = format!(
            "SELECT * FROM certificates WHERE {} ORDER BY id LIMIT ${} OFFSET ${}",
            conditions.join(" AND "),
            values.len() + 1,
            values.len() + 2
        );
        let mut q = sqlx::query(&sql);
        for v in values {
            q = q.bind(v);
        }
        let rows = q
            .bind(if f.limit > 0 { f.limit } else { i64::MAX })
            .bind(f.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(certificate_from_row).collect()
    }

    async fn events(&self, id: &CertificateId) -> Result<Vec<Event>> {
        const SQL: &str = "SELECT * FROM events WHERE certificate_id = $1 ORDER BY seq";
        self.rows_by_key(SQL, id.as_str(), |r| event_from_row(r))
            .await
    }

    async fn events_after(&self, seq: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// The issuing transaction's check of the assessment is an index descent, never a read of
    /// every certificate while the registry's one writer waits (migration 0035).
    #[tokio::test]
    async fn the_assessment_check_descends_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool(dir.path()).await;
        super::super::SQLITE_MIGRATIONS.run(&pool).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", super::ASSESSMENT_USED))
                .bind("a")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(
            plan.iter().any(
                |p| p.3.contains("USING COVERING INDEX certificates_assessment")
                    || p.3.contains("USING INDEX certificates_assessment")
            ),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|p| p.3.starts_with("SCAN")), "{plan:?}");
    }
}

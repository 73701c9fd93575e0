use async_trait::async_trait;
use keurmerk_domain::event::{Event, EventKind};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::Certificate;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::{unique, write_audit, SqlStore};
use crate::codec::{date, get_date, get_i64, get_json, get_opt_parse, get_parse, get_ts, json, ts};
use crate::traits::{Appended, Audit, CertificateFilter, CertificateStore};
use crate::{Result, StoreError};

fn certificate_from_row(row: &AnyRow) -> Result<Certificate> {
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

fn event_from_row(row: &AnyRow) -> Result<Event> {
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
        sqlx::query(
            "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, issuer_id, \
             issuer_kind, authority_id, assessment_id, issued_at, valid_until, state, last_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)",
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
        .execute(&mut *w.tx)
        .await
        .map_err(unique("certificate", c.id.as_str()))?;
        let seq = insert_event(&mut w.tx, issued).await?;
        sqlx::query("UPDATE certificates SET last_seq = $1 WHERE id = $2")
            .bind(seq)
            .bind(c.id.to_string())
            .execute(&mut *w.tx)
            .await?;
        let queue_id = enqueue(&mut w.tx, seq, log_entry, issued).await?;
        super::watch::enqueue_deliveries(&mut w.tx, seq, &c.id, issued.at).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(Appended { seq, queue_id })
    }

    async fn append(
        &self,
        event: &Event,
        new_state: State,
        expected_last_seq: i64,
        log_entry: &[u8],
        audit: &Audit,
    ) -> Result<Appended> {
        let mut w = self.write().await?;
        let seq = insert_event(&mut w.tx, event).await?;
        let done = sqlx::query(
            "UPDATE certificates SET state = $1, last_seq = $2 WHERE id = $3 AND last_seq = $4",
        )
        .bind(new_state.as_str())
        .bind(seq)
        .bind(event.certificate.to_string())
        .bind(expected_last_seq)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() != 1 {
            // Dropping the transaction rolls the event back.
            return Err(StoreError::Conflict {
                what: "certificate",
                id: event.certificate.to_string(),
            });
        }
        let queue_id = enqueue(&mut w.tx, seq, log_entry, event).await?;
        super::watch::enqueue_deliveries(&mut w.tx, seq, &event.certificate, event.at).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(Appended { seq, queue_id })
    }

    async fn certificate(&self, id: &CertificateId) -> Result<Option<(Certificate, i64)>> {
        let row = sqlx::query("SELECT * FROM certificates WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|r| Ok((certificate_from_row(r)?, get_i64(r, "last_seq")?)))
            .transpose()
    }

    async fn certificates(&self, f: &CertificateFilter) -> Result<Vec<Certificate>> {
        let rows = sqlx::query(
            "SELECT * FROM certificates WHERE ($1 IS NULL OR product_id = $1) \
             AND ($2 IS NULL OR holder_id = $2) AND ($3 IS NULL OR scheme_id = $3) \
             ORDER BY id LIMIT $4 OFFSET $5",
        )
        .bind(f.product.as_ref().map(ToString::to_string))
        .bind(f.holder.as_ref().map(ToString::to_string))
        .bind(f.scheme.as_ref().map(ToString::to_string))
        .bind(if f.limit > 0 { f.limit } else { i64::MAX })
        .bind(f.offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(certificate_from_row).collect()
    }

    async fn events(&self, id: &CertificateId) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE certificate_id = $1 ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
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

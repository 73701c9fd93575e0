use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::complaint::ComplaintState;
use keurmerk_domain::ids::{OrgId, RecordId};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::{unique, write_audit, SqlStore};
use crate::api::{ApiStore, ApiToken, Complaint, FormNonce};
use crate::codec::{get_opt, get_opt_parse, get_opt_ts, get_parse, get_str, get_ts, ts};
use crate::traits::Audit;
use crate::{Result, StoreError};

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: get_parse(row, "id")?,
        org: get_parse(row, "org_id")?,
        name: get_str(row, "name")?,
        secret_sha256: get_str(row, "secret_sha256")?,
        created_at: get_ts(row, "created_at")?,
        revoked_at: get_opt_ts(row, "revoked_at")?,
    })
}

fn complaint_from_row(row: &AnyRow) -> Result<Complaint> {
    Ok(Complaint {
        id: get_parse(row, "id")?,
        certificate: get_parse(row, "certificate_id")?,
        authority: get_opt_parse(row, "authority_id")?,
        filed_at: get_ts(row, "filed_at")?,
        contact: get_opt(row, "contact")?,
        body: get_str(row, "body")?,
        reference_sha256: get_opt(row, "reference_sha256")?,
        state: get_parse(row, "state")?,
        assignee: get_opt(row, "assignee")?,
        assigned_at: get_opt_ts(row, "assigned_at")?,
        answer: get_opt(row, "answer")?,
        answered_at: get_opt_ts(row, "answered_at")?,
        answer_lang: get_opt_parse(row, "answer_lang")?,
        outcome: get_opt_parse(row, "outcome")?,
        closed_at: get_opt_ts(row, "closed_at")?,
    })
}

#[async_trait]
impl ApiStore for SqlStore {
    async fn insert_token(&self, t: &ApiToken, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, name, secret_sha256, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(t.id.to_string())
        .bind(t.org.to_string())
        .bind(t.name.clone())
        .bind(t.secret_sha256.clone())
        .bind(ts(t.created_at))
        .bind(t.revoked_at.map(ts))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("token", t.id.as_str()))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn token(&self, id: &RecordId) -> Result<Option<ApiToken>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at DESC, id DESC")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(&self, id: &RecordId, at: DateTime<Utc>, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ts(at))
        .bind(id.to_string())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "active token",
                id: id.to_string(),
            });
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn max_event_seq(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
            .fetch_one(self.pool())
            .await?;
        Ok(v.unwrap_or(0))
    }

    async fn insert_complaint(&self, c: &Complaint, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        insert_complaint(&mut w.tx, c).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn insert_complaint_once(
        &self,
        c: &Complaint,
        nonce: &FormNonce,
        audit: &Audit,
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("DELETE FROM complaint_form_nonces WHERE expires_at < $1")
            .bind(ts(c.filed_at))
            .execute(&mut *w.tx)
            .await?;
        // Insert-if-absent rather than a unique violation, which would abort a PostgreSQL
        // transaction; no row inserted means the token was used before.
        let n = sqlx::query(
            "INSERT INTO complaint_form_nonces (nonce, expires_at) VALUES ($1, $2) \
             ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce.nonce.clone())
        .bind(ts(nonce.expires_at))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::AlreadyExists {
                what: "complaint form token",
                id: nonce.nonce.clone(),
            });
        }
        insert_complaint(&mut w.tx, c).await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn shared_key(&self, name: &str, candidate: &str, at: DateTime<Utc>) -> Result<String> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO shared_keys (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(candidate.to_owned())
        .bind(ts(at))
        .execute(&mut *w.tx)
        .await?;
        let stored: String = sqlx::query_scalar("SELECT secret FROM shared_keys WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(stored)
    }

    async fn complaint(&self, id: &RecordId) -> Result<Option<Complaint>> {
        let row = sqlx::query("SELECT * FROM complaints WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(complaint_from_row).transpose()
    }

    async fn complaint_by_reference(&self, reference_sha256: &str) -> Result<Option<Complaint>> {
        let row = sqlx::query("SELECT * FROM complaints WHERE reference_sha256 = $1")
            .bind(reference_sha256.to_owned())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(complaint_from_row).transpose()
    }

    async fn update_complaint(
        &self,
        c: &Complaint,
        from: ComplaintState,
        audit: &Audit,
    ) -> Result<()> {
        let mut w = self.write().await?;
        let n = sqlx::query(
            "UPDATE complaints SET state = $1, assignee = $2, assigned_at = $3, answer = $4, \
             answered_at = $5, outcome = $6, closed_at = $7, contact = $8, answer_lang = $9 \
             WHERE id = $10 AND state = $11",
        )
        .bind(c.state.as_str().to_owned())
        .bind(c.assignee.clone())
        .bind(c.assigned_at.map(ts))
        .bind(c.answer.clone())
        .bind(c.answered_at.map(ts))
        .bind(c.outcome.map(|o| o.as_str().to_owned()))
        .bind(c.closed_at.map(ts))
        .bind(c.contact.clone())
        .bind(c.answer_lang.map(|l| l.tag().to_owned()))
        .bind(c.id.to_string())
        .bind(from.as_str().to_owned())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            // Gone, or moved on by someone else since it was read.
            return Err(StoreError::Conflict {
                what: "complaint",
                id: c.id.to_string(),
            });
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn complaints(
        &self,
        authority: Option<&OrgId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Complaint>> {
        let rows =
            match authority {
                Some(a) => {
                    sqlx::query(
                        "SELECT * FROM complaints WHERE authority_id = $1 \
                     ORDER BY filed_at DESC, id DESC LIMIT $2 OFFSET $3",
                    )
                    .bind(a.to_string())
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(self.pool())
                    .await?
                }
                None => sqlx::query(
                    "SELECT * FROM complaints ORDER BY filed_at DESC, id DESC LIMIT $1 OFFSET $2",
                )
                .bind(limit)
                .bind(offset)
                .fetch_all(self.pool())
                .await?,
            };
        rows.iter().map(complaint_from_row).collect()
    }
}

async fn insert_complaint(tx: &mut Transaction<'static, Any>, c: &Complaint) -> Result<()> {
    sqlx::query(
        "INSERT INTO complaints (id, certificate_id, authority_id, filed_at, contact, body, \
         reference_sha256, state, assignee, assigned_at, answer, answered_at, outcome, closed_at, \
         answer_lang) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(c.id.to_string())
    .bind(c.certificate.to_string())
    .bind(c.authority.as_ref().map(ToString::to_string))
    .bind(ts(c.filed_at))
    .bind(c.contact.clone())
    .bind(c.body.clone())
    .bind(c.reference_sha256.clone())
    .bind(c.state.as_str().to_owned())
    .bind(c.assignee.clone())
    .bind(c.assigned_at.map(ts))
    .bind(c.answer.clone())
    .bind(c.answered_at.map(ts))
    .bind(c.outcome.map(|o| o.as_str().to_owned()))
    .bind(c.closed_at.map(ts))
    .bind(c.answer_lang.map(|l| l.tag().to_owned()))
    .execute(&mut **tx)
    .await
    .map_err(unique("complaint", c.id.as_str()))?;
    Ok(())
}

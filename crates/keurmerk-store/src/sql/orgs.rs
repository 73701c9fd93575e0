use async_trait::async_trait;
use keurmerk_domain::ids::OrgId;
use keurmerk_domain::model::{Authorisation, Organisation};
use sqlx::any::AnyRow;

use super::{unique, write_audit, SqlStore};
use crate::codec::{get_opt, get_opt_ts, get_parse, get_str, get_ts, ts, Cols};
use crate::traits::{Audit, AuditEntry, AuditStore, OrgStore};
use crate::Result;

fn org_from_row(row: &(impl Cols + ?Sized)) -> Result<Organisation> {
    Ok(Organisation {
        id: get_parse(row, "id")?,
        name: get_str(row, "name")?,
        role: get_parse(row, "role")?,
        member_state: get_str(row, "member_state")?,
        contact: get_opt(row, "contact")?,
        created_at: get_ts(row, "created_at")?,
    })
}

fn auth_from_row(row: &AnyRow) -> Result<Authorisation> {
    Ok(Authorisation {
        body: get_parse(row, "body_id")?,
        scheme: get_parse(row, "scheme_id")?,
        level: get_parse(row, "level_id")?,
        granted_by: get_parse(row, "granted_by")?,
        granted_at: get_ts(row, "granted_at")?,
        revoked_at: get_opt_ts(row, "revoked_at")?,
        expires_at: get_opt_ts(row, "expires_at")?,
    })
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn insert_org(&self, org: &Organisation, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO organisations (id, name, role, member_state, contact, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.id.to_string())
        .bind(org.name.clone())
        .bind(org.role.as_str())
        .bind(org.member_state.clone())
        .bind(org.contact.clone())
        .bind(ts(org.created_at))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("organisation", org.id.as_str()))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Organisation>> {
        const SQL: &str = "SELECT * FROM organisations WHERE id = $1";
        self.row_by_key(SQL, id.as_str(), |r| org_from_row(r)).await
    }

    async fn orgs(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query("SELECT * FROM organisations ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(org_from_row).collect()
    }

    async fn upsert_authorisation(&self, a: &Authorisation, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO authorisations \
             (body_id, scheme_id, level_id, granted_by, granted_at, revoked_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (body_id, scheme_id, level_id) DO UPDATE SET \
             granted_by = excluded.granted_by, granted_at = excluded.granted_at, \
             revoked_at = excluded.revoked_at, expires_at = excluded.expires_at",
        )
        .bind(a.body.to_string())
        .bind(a.scheme.to_string())
        .bind(a.level.to_string())
        .bind(a.granted_by.to_string())
        .bind(ts(a.granted_at))
        .bind(a.revoked_at.map(ts))
        .bind(a.expires_at.map(ts))
        .execute(&mut *w.tx)
        .await?;
        // What the scheduler does to the body's certificates depends on the authorisation.
        sqlx::query(
            "UPDATE certificates SET next_due = NULL \
             WHERE issuer_id = $1 AND scheme_id = $2 AND level_id = $3",
        )
        .bind(a.body.to_string())
        .bind(a.scheme.to_string())
        .bind(a.level.to_string())
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn authorisations(&self, body: &OrgId) -> Result<Vec<Authorisation>> {
        let rows = sqlx::query(
            "SELECT * FROM authorisations WHERE body_id = $1 ORDER BY scheme_id, level_id",
        )
        .bind(body.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(auth_from_row).collect()
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit(&self, limit: i64, before_seq: Option<i64>) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2")
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    seq: crate::codec::get_i64(row, "seq")?,
                    audit: Audit {
                        at: get_ts(row, "at")?,
                        actor: match get_str(row, "actor_id")?.as_str() {
                            "" => None,
                            _ => Some(get_parse(row, "actor_id")?),
                        },
                        credential: get_parse(row, "credential")?,
                        action: get_str(row, "action")?,
                        subject: get_str(row, "subject")?,
                        detail: crate::codec::get_json(row, "detail")?,
                    },
                })
            })
            .collect()
    }
}

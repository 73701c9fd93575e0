use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::{write_audit, SqlStore};
use crate::codec::{get_parse, get_str, get_ts, ts};
use crate::sessions::{PageSession, SessionStore};
use crate::traits::Audit;
use crate::Result;

fn session_from_row(row: &AnyRow) -> Result<PageSession> {
    Ok(PageSession {
        id_sha256: get_str(row, "id_sha256")?,
        org: get_parse(row, "org_id")?,
        token: get_parse(row, "token_id")?,
        csrf: get_str(row, "csrf")?,
        created_at: get_ts(row, "created_at")?,
        expires_at: get_ts(row, "expires_at")?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &PageSession, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query("DELETE FROM page_sessions WHERE expires_at < $1")
            .bind(ts(s.created_at))
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO page_sessions (id_sha256, org_id, token_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id_sha256.clone())
        .bind(s.org.to_string())
        .bind(s.token.to_string())
        .bind(s.csrf.clone())
        .bind(ts(s.created_at))
        .bind(ts(s.expires_at))
        .execute(&mut *w.tx)
        .await
        .map_err(super::unique("session", "(new)"))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn session(&self, id_sha256: &str) -> Result<Option<PageSession>> {
        let row = sqlx::query("SELECT * FROM page_sessions WHERE id_sha256 = $1")
            .bind(id_sha256.to_owned())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn delete_session(&self, id_sha256: &str, audit: Option<&Audit>) -> Result<bool> {
        let mut w = self.write().await?;
        let n = sqlx::query("DELETE FROM page_sessions WHERE id_sha256 = $1")
            .bind(id_sha256.to_owned())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        if let Some(a) = audit {
            write_audit(&mut w.tx, a).await?;
        }
        w.commit().await?;
        Ok(true)
    }
}

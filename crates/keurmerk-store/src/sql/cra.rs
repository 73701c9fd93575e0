use async_trait::async_trait;
use keurmerk_domain::ids::CertificateId;
use sqlx::any::AnyRow;

use super::{write_audit, SqlStore};
use crate::codec::{get_parse, get_str, get_ts, ts};
use crate::cra::{CraDraft, CraReportKey, CraStore, StoredCraReport};
use crate::{Audit, Result};

fn key(row: &AnyRow) -> Result<CraReportKey> {
    Ok(CraReportKey {
        certificate: get_parse(row, "certificate_id")?,
        vulnerability: get_str(row, "vulnerability")?,
        kind: get_parse(row, "kind")?,
    })
}

#[async_trait]
impl CraStore for SqlStore {
    async fn put_cra_draft(&self, d: &CraDraft, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO cra_report_drafts \
             (certificate_id, vulnerability, kind, body, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (certificate_id, vulnerability, kind) DO UPDATE SET \
             body = excluded.body, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(d.key.certificate.to_string())
        .bind(d.key.vulnerability.clone())
        .bind(d.key.kind.as_str().to_owned())
        .bind(d.body.clone())
        .bind(ts(d.updated_at))
        .bind(d.updated_by.clone())
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn cra_draft(&self, k: &CraReportKey) -> Result<Option<CraDraft>> {
        let row = sqlx::query(
            "SELECT certificate_id, vulnerability, kind, body, updated_at, updated_by \
             FROM cra_report_drafts \
             WHERE certificate_id = $1 AND vulnerability = $2 AND kind = $3",
        )
        .bind(k.certificate.to_string())
        .bind(k.vulnerability.clone())
        .bind(k.kind.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(CraDraft {
                key: key(&r)?,
                body: get_str(&r, "body")?,
                updated_at: get_ts(&r, "updated_at")?,
                updated_by: get_str(&r, "updated_by")?,
            })
        })
        .transpose()
    }

    async fn put_cra_report(&self, r: &StoredCraReport, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO cra_reports \
             (sha256, certificate_id, vulnerability, kind, body, stored_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(r.sha256.clone())
        .bind(r.key.certificate.to_string())
        .bind(r.key.vulnerability.clone())
        .bind(r.key.kind.as_str().to_owned())
        .bind(r.body.clone())
        .bind(ts(r.stored_at))
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        // Stored before the event that submits it: not the request's write, so it must not
        // record the request's key (a crash before the event leaves an orphan, never a
        // "committed" submission that is not there).
        w.commit_unrecorded().await
    }

    async fn cra_report(
        &self,
        certificate: &CertificateId,
        sha256: &str,
    ) -> Result<Option<StoredCraReport>> {
        let row = sqlx::query(
            "SELECT sha256, certificate_id, vulnerability, kind, body, stored_at \
             FROM cra_reports WHERE sha256 = $1 AND certificate_id = $2",
        )
        .bind(sha256.to_owned())
        .bind(certificate.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredCraReport {
                key: key(&r)?,
                sha256: get_str(&r, "sha256")?,
                body: get_str(&r, "body")?,
                stored_at: get_ts(&r, "stored_at")?,
            })
        })
        .transpose()
    }
}

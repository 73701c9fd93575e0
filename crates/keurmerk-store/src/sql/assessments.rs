use async_trait::async_trait;
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::Assessment;

use super::{unique, write_audit, SqlStore};
use crate::codec::{get_i64, get_json, get_opt_parse, get_parse, get_ts, json, ts, Cols};
use crate::traits::{AssessmentStore, Audit};
use crate::{Result, StoreError};

fn assessment_from_row(row: &(impl Cols + ?Sized)) -> Result<Assessment> {
    Ok(Assessment {
        id: get_parse(row, "id")?,
        product: get_parse(row, "product_id")?,
        version: get_parse(row, "version_id")?,
        scheme: get_parse(row, "scheme_id")?,
        level: get_parse(row, "level_id")?,
        assessor: get_parse(row, "assessor_id")?,
        assessor_kind: get_parse(row, "assessor_kind")?,
        verdicts: get_json(row, "verdicts")?,
        evidence: get_json(row, "evidence")?,
        assessed_at: get_ts(row, "assessed_at")?,
        passed: get_i64(row, "passed")? != 0,
        approved_by: get_opt_parse(row, "approved_by")?,
    })
}

#[async_trait]
impl AssessmentStore for SqlStore {
    async fn insert_assessment(&self, a: &Assessment, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO assessments (id, product_id, version_id, scheme_id, level_id, assessor_id, \
             assessor_kind, verdicts, evidence, assessed_at, passed, approved_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(a.id.to_string())
        .bind(a.product.to_string())
        .bind(a.version.to_string())
        .bind(a.scheme.to_string())
        .bind(a.level.to_string())
        .bind(a.assessor.to_string())
        .bind(a.assessor_kind.as_str())
        .bind(json(&a.verdicts)?)
        .bind(json(&a.evidence)?)
        .bind(ts(a.assessed_at))
        .bind(i64::from(a.passed))
        .bind(a.approved_by.as_ref().map(ToString::to_string))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("assessment", a.id.as_str()))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn assessment(&self, id: &RecordId) -> Result<Option<Assessment>> {
        const SQL: &str = "SELECT * FROM assessments WHERE id = $1";
        self.row_by_key(SQL, id.as_str(), |r| assessment_from_row(r))
            .await
    }

    async fn approve_assessment(&self, id: &RecordId, by: &OrgId, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        let done = sqlx::query("UPDATE assessments SET approved_by = $1 WHERE id = $2")
            .bind(by.to_string())
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound {
                what: "assessment",
                id: id.to_string(),
            });
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }
}

use async_trait::async_trait;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::model::{
    Dependency, Product, ProductIdentifiers, ProductVersion, SupportCommitment,
};
use sqlx::any::AnyRow;

use super::{unique, write_audit, SqlStore};
use crate::codec::{
    date, get_date, get_i64, get_opt, get_opt_parse, get_parse, get_str, get_ts, ts, Cols,
};
use crate::outbox::FollowUp;
use crate::traits::{Audit, ProductFilter, ProductStore};
use crate::Result;

fn product_from_row(row: &(impl Cols + ?Sized)) -> Result<Product> {
    product_from_cols(row, "id", "created_at")
}

/// A product from a row whose id and creation time are in the columns `id` and `created_at`
/// (a row joined with another table's `id`, `created_at`).
pub(super) fn product_from_cols(
    row: &(impl Cols + ?Sized),
    id: &'static str,
    created_at: &'static str,
) -> Result<Product> {
    Ok(Product {
        id: get_parse(row, id)?,
        manufacturer: get_parse(row, "manufacturer_id")?,
        name: get_str(row, "name")?,
        model: get_str(row, "model")?,
        category: get_parse(row, "category")?,
        identifiers: ProductIdentifiers {
            gtin: get_opt(row, "gtin")?,
            purl: get_opt(row, "purl")?,
            cpe: get_opt(row, "cpe")?,
        },
        created_at: get_ts(row, created_at)?,
    })
}

fn support_from_row(row: &(impl Cols + ?Sized)) -> Result<SupportCommitment> {
    Ok(SupportCommitment {
        support_until: get_date(row, "support_until")?,
        update_policy: get_parse(row, "update_policy")?,
        vulnerability_contact: get_str(row, "vulnerability_contact")?,
        disclosure_policy_url: get_opt(row, "disclosure_policy_url")?,
        password: get_opt_parse(row, "password_setup")?,
        updates_url: get_opt(row, "updates_url")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<ProductVersion> {
    Ok(ProductVersion {
        id: get_parse(row, "id")?,
        product: get_parse(row, "product_id")?,
        version: get_str(row, "version")?,
        released_on: get_date(row, "released_on")?,
        security_update: get_i64(row, "security_update")? != 0,
        notes: get_opt(row, "notes")?,
    })
}

fn dependency_from_row(row: &AnyRow) -> Result<Dependency> {
    Ok(Dependency {
        id: get_parse(row, "id")?,
        product: get_parse(row, "product_id")?,
        kind: get_parse(row, "kind")?,
        provider: get_str(row, "provider")?,
        service: get_str(row, "service")?,
        certificate: get_opt_parse(row, "certificate_id")?,
    })
}

#[async_trait]
impl ProductStore for SqlStore {
    async fn next_sequence(&self, name: &str) -> Result<u64> {
        let mut w = self.write().await?;
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(name.to_owned())
        .fetch_one(&mut *w.tx)
        .await?;
        // Taking a number is not the request's write: it must not record its key.
        w.commit_unrecorded().await?;
        Ok(u64::try_from(value).unwrap_or(0))
    }

    async fn current_sequence(&self, name: &str) -> Result<u64> {
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(value.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    }

    async fn insert_product(&self, p: &Product, audit: &Audit) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO products (id, manufacturer_id, name, model, category, gtin, purl, cpe, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(p.id.to_string())
        .bind(p.manufacturer.to_string())
        .bind(p.name.clone())
        .bind(p.model.clone())
        .bind(p.category.as_str())
        .bind(p.identifiers.gtin.clone())
        .bind(p.identifiers.purl.clone())
        .bind(p.identifiers.cpe.clone())
        .bind(ts(p.created_at))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("product", p.id.as_str()))?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn product(&self, id: &RecordId) -> Result<Option<Product>> {
        const SQL: &str = "SELECT * FROM products WHERE id = $1";
        self.row_by_key(SQL, id.as_str(), |r| product_from_row(r))
            .await
    }

    async fn products(&self, f: &ProductFilter) -> Result<Vec<Product>> {
        let pattern = f
            .text
            .as_ref()
            .map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        let rows = sqlx::query(
            "SELECT p.* FROM products p JOIN organisations o ON o.id = p.manufacturer_id \
             WHERE ($1 IS NULL OR p.manufacturer_id = $1) \
             AND ($2 IS NULL OR LOWER(p.name) LIKE $2 OR LOWER(p.model) LIKE $2 \
                  OR LOWER(o.name) LIKE $2 OR LOWER(p.id) LIKE $2 OR p.gtin LIKE $2) \
             ORDER BY p.id LIMIT $3 OFFSET $4",
        )
        .bind(f.manufacturer.as_ref().map(ToString::to_string))
        .bind(pattern)
        .bind(if f.limit > 0 { f.limit } else { i64::MAX })
        .bind(f.offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_from_row).collect()
    }

    async fn insert_version(
        &self,
        v: &ProductVersion,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO product_versions (id, product_id, version, released_on, security_update, notes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(v.id.to_string())
        .bind(v.product.to_string())
        .bind(v.version.clone())
        .bind(date(v.released_on))
        .bind(i64::from(v.security_update))
        .bind(v.notes.clone())
        .execute(&mut *w.tx)
        .await
        .map_err(unique("product version", &v.version))?;
        write_audit(&mut w.tx, audit).await?;
        for work in follow_ups {
            super::outbox::enqueue(&mut w.tx, work, audit.at).await?;
        }
        w.commit().await
    }

    async fn version(&self, id: &RecordId) -> Result<Option<ProductVersion>> {
        let row = sqlx::query("SELECT * FROM product_versions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    async fn versions(&self, product: &RecordId) -> Result<Vec<ProductVersion>> {
        let rows = sqlx::query(
            "SELECT * FROM product_versions WHERE product_id = $1 ORDER BY released_on, id",
        )
        .bind(product.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn software_lists(
        &self,
        product: &RecordId,
    ) -> Result<Vec<crate::vuln::StoredSoftwareList>> {
        let rows = sqlx::query(
            "SELECT s.version_id, s.sha256, s.record FROM sboms s \
             JOIN product_versions v ON v.id = s.version_id \
             WHERE v.product_id = $1 ORDER BY s.version_id",
        )
        .bind(product.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok(crate::vuln::StoredSoftwareList {
                    version_id: get_parse(r, "version_id")?,
                    sha256: r.try_get::<Option<String>, _>("sha256")?,
                    record: r.try_get::<Option<Vec<u8>>, _>("record")?,
                })
            })
            .collect()
    }

    async fn software_list_document(
        &self,
        version: &RecordId,
    ) -> Result<Option<(Vec<u8>, Option<String>)>> {
        Ok(
            sqlx::query_as("SELECT document, sha256 FROM sboms WHERE version_id = $1")
                .bind(version.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_support(
        &self,
        product: &RecordId,
        s: &SupportCommitment,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO support_commitments (product_id, support_until, update_policy, vulnerability_contact, disclosure_policy_url, password_setup, updates_url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (product_id) DO UPDATE SET \
             support_until = excluded.support_until, update_policy = excluded.update_policy, \
             vulnerability_contact = excluded.vulnerability_contact, disclosure_policy_url = excluded.disclosure_policy_url, \
             password_setup = excluded.password_setup, updates_url = excluded.updates_url",
        )
        .bind(product.to_string())
        .bind(date(s.support_until))
        .bind(s.update_policy.as_str())
        .bind(s.vulnerability_contact.clone())
        .bind(s.disclosure_policy_url.clone())
        .bind(s.password.map(|p| p.as_str()))
        .bind(s.updates_url.clone())
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        for work in follow_ups {
            super::outbox::enqueue(&mut w.tx, work, audit.at).await?;
        }
        w.commit().await
    }

    async fn support(&self, product: &RecordId) -> Result<Option<SupportCommitment>> {
        const SQL: &str = "SELECT * FROM support_commitments WHERE product_id = $1";
        self.row_by_key(SQL, product.as_str(), |r| support_from_row(r))
            .await
    }

    async fn insert_dependency(
        &self,
        d: &Dependency,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO dependencies (id, product_id, kind, provider, service, certificate_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(d.id.to_string())
        .bind(d.product.to_string())
        .bind(d.kind.as_str())
        .bind(d.provider.clone())
        .bind(d.service.clone())
        .bind(d.certificate.as_ref().map(ToString::to_string))
        .execute(&mut *w.tx)
        .await
        .map_err(unique("dependency", d.id.as_str()))?;
        write_audit(&mut w.tx, audit).await?;
        for work in follow_ups {
            super::outbox::enqueue(&mut w.tx, work, audit.at).await?;
        }
        w.commit().await
    }

    async fn dependency(&self, id: &RecordId) -> Result<Option<Dependency>> {
        let row = sqlx::query("SELECT * FROM dependencies WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(dependency_from_row).transpose()
    }

    async fn dependencies(&self, product: &RecordId) -> Result<Vec<Dependency>> {
        let rows = sqlx::query("SELECT * FROM dependencies WHERE product_id = $1 ORDER BY id")
            .bind(product.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(dependency_from_row).collect()
    }

    async fn dependents(&self, certificate: &CertificateId) -> Result<Vec<Dependency>> {
        let rows = sqlx::query("SELECT * FROM dependencies WHERE certificate_id = $1 ORDER BY id")
            .bind(certificate.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(dependency_from_row).collect()
    }
}

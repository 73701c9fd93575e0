use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::RecordId;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{write_audit, SqlStore};
use crate::codec::{get_parse, get_str, ts};
use crate::images::{ImageRef, ImageStore, StoredImage};
use crate::traits::Audit;
use crate::{Result, StoreError};

fn meta_from_row(row: &AnyRow) -> Result<ImageRef> {
    let side = |col: &'static str| -> Result<u32> {
        let v: i64 = row.try_get(col)?;
        u32::try_from(v).map_err(|_| StoreError::Corrupt {
            what: "image",
            detail: format!("{col} {v}"),
        })
    };
    Ok(ImageRef {
        sha256: get_str(row, "sha256")?,
        media_type: get_str(row, "media_type")?,
        width: side("width")?,
        height: side("height")?,
    })
}

#[async_trait]
impl ImageStore for SqlStore {
    async fn set_product_image(
        &self,
        product: &RecordId,
        image: &StoredImage,
        at: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO images (sha256, media_type, width, height, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(image.meta.sha256.clone())
        .bind(image.meta.media_type.clone())
        .bind(i64::from(image.meta.width))
        .bind(i64::from(image.meta.height))
        .bind(image.data.clone())
        .bind(ts(at))
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO product_images (product_id, sha256, set_at) VALUES ($1, $2, $3) \
             ON CONFLICT (product_id) DO UPDATE SET sha256 = excluded.sha256, \
             set_at = excluded.set_at",
        )
        .bind(product.to_string())
        .bind(image.meta.sha256.clone())
        .bind(ts(at))
        .execute(&mut *w.tx)
        .await?;
        write_audit(&mut w.tx, audit).await?;
        w.commit().await
    }

    async fn clear_product_image(&self, product: &RecordId, audit: &Audit) -> Result<bool> {
        let mut w = self.write().await?;
        let n = sqlx::query("DELETE FROM product_images WHERE product_id = $1")
            .bind(product.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        write_audit(&mut w.tx, audit).await?;
        w.commit().await?;
        Ok(true)
    }

    async fn image(&self, sha256: &str) -> Result<Option<StoredImage>> {
        let row = sqlx::query(
            "SELECT sha256, media_type, width, height, data FROM images WHERE sha256 = $1",
        )
        .bind(sha256.to_owned())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(StoredImage {
                meta: meta_from_row(&r)?,
                data: r.try_get::<Vec<u8>, _>("data")?,
            })
        })
        .transpose()
    }

    async fn product_images(&self, products: &[RecordId]) -> Result<HashMap<RecordId, ImageRef>> {
        if products.is_empty() {
            return Ok(HashMap::new());
        }
        let marks: Vec<String> = (1..=products.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT p.product_id, i.sha256, i.media_type, i.width, i.height \
             FROM product_images p JOIN images i ON i.sha256 = p.sha256 \
             WHERE p.product_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in products {
            q = q.bind(p.to_string());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok((get_parse(r, "product_id")?, meta_from_row(r)?)))
            .collect()
    }
}

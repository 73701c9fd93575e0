//! Product images (issue 13 item 5, migration 0025): the bytes stored by content (the key is
//! their SHA-256), and each product's current image. The store keeps what it is given; the
//! service checks an image (`keurmerk_label::product_image::check`) and who may set it before.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::ids::RecordId;

use crate::traits::Audit;
use crate::Result;

/// What a page needs to show an image without loading it: its content address, media type and
/// pixel size (for the slot's `width`/`height`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// `image/png` or `image/jpeg`.
    pub media_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// An image with its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Address, type and size.
    pub meta: ImageRef,
    /// The file as uploaded.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for StoredImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredImage")
            .field("meta", &self.meta)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Storage of product images.
#[async_trait]
pub trait ImageStore: Send + Sync {
    /// Makes `image` the product's image, with the audit record, in one transaction. The bytes
    /// are stored once per content: an image already stored (same SHA-256) is reused.
    async fn set_product_image(
        &self,
        product: &RecordId,
        image: &StoredImage,
        at: DateTime<Utc>,
        audit: &Audit,
    ) -> Result<()>;
    /// Removes the product's image (the bytes stay: their URL was published as immutable).
    /// `false`: it had none, and nothing (not even the audit record) was written.
    async fn clear_product_image(&self, product: &RecordId, audit: &Audit) -> Result<bool>;
    /// An image by its SHA-256 (lowercase hex).
    async fn image(&self, sha256: &str) -> Result<Option<StoredImage>>;
    /// The current images of these products (one query; products without one are absent).
    async fn product_images(&self, products: &[RecordId]) -> Result<HashMap<RecordId, ImageRef>>;
}

//! Product images for the search results' image slot (issue 13 item 5).
//!
//! The maker (the product's manufacturer, nobody else) uploads a PNG or JPEG; it is checked in
//! full by `keurmerk_label::product_image::check` (size, magic bytes, stated dimensions before any
//! decoding, a complete decode) and stored by content, so its URL (`/images/{sha256}`) names
//! those bytes for ever. The registry serves it itself: a visitor's phone never asks a third
//! party for it. Setting or removing an image is audited.

use keurmerk_domain::ids::RecordId;
use keurmerk_label::product_image::{check, ImageFormat};
use keurmerk_store::{ImageRef, ImageStore, RegistryStore, StoredImage};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceResult};

/// The public path an image is served at.
pub fn image_path(sha256: &str) -> String {
    format!("/images/{sha256}")
}

/// Whether a text is a content address as stored: 64 lowercase hex digits.
pub fn is_image_address(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl<S: RegistryStore + ImageStore> Registry<S> {
    /// The product's maker sets its image. Refused unless the actor is the product's
    /// manufacturer ([`crate::ServiceError::Forbidden`]) — checked before the bytes are looked
    /// at — and unless the bytes pass [`check`] (`invalid` on the field `image`, naming what
    /// is wrong).
    pub async fn set_product_image(
        &self,
        actor: &Actor,
        product: &RecordId,
        bytes: &[u8],
    ) -> ServiceResult<ImageRef> {
        let p = self
            .own_product(actor, product, "set a product's image")
            .await?;
        let checked = check(bytes).map_err(|e| invalid("image", e.to_string()))?;
        let meta = ImageRef {
            sha256: hex::encode(Sha256::digest(bytes)),
            media_type: checked.format.media_type().to_owned(),
            width: checked.width,
            height: checked.height,
        };
        let audit = self.audit(
            actor,
            "product.image.set",
            &p.id,
            json!({"sha256": meta.sha256, "media_type": meta.media_type,
                   "width": meta.width, "height": meta.height, "bytes": bytes.len()}),
        );
        let image = StoredImage {
            meta: meta.clone(),
            data: bytes.to_vec(),
        };
        self.store()
            .set_product_image(&p.id, &image, self.now(), &audit)
            .await?;
        Ok(meta)
    }

    /// The product's maker removes its image (pages show the placeholder again). Removing
    /// none is `not_found`.
    pub async fn clear_product_image(
        &self,
        actor: &Actor,
        product: &RecordId,
    ) -> ServiceResult<()> {
        let p = self
            .own_product(actor, product, "remove a product's image")
            .await?;
        let audit = self.audit(actor, "product.image.clear", &p.id, json!({}));
        if !self.store().clear_product_image(&p.id, &audit).await? {
            return Err(not_found("image of product", &p.id));
        }
        Ok(())
    }

    /// An image by its content address, for anyone. Anything that is not a stored address is
    /// the same `not_found`. A stored row whose bytes no longer hash to its address, or whose
    /// type is not one we serve, is refused too: only what was checked is ever served.
    pub async fn image(&self, sha256: &str) -> ServiceResult<StoredImage> {
        let missing = || not_found("image", sha256.chars().take(64).collect::<String>());
        if !is_image_address(sha256) {
            return Err(missing());
        }
        let img = self.store().image(sha256).await?.ok_or_else(missing)?;
        if hex::encode(Sha256::digest(&img.data)) != img.meta.sha256
            || ImageFormat::from_media_type(&img.meta.media_type).is_none()
        {
            return Err(crate::ServiceError::Store(
                keurmerk_store::StoreError::Corrupt {
                    what: "image",
                    detail: format!("{sha256} does not match its address or type"),
                },
            ));
        }
        Ok(img)
    }

    /// The current images of these products, for a page of results.
    pub async fn product_images(
        &self,
        products: &[RecordId],
    ) -> ServiceResult<std::collections::HashMap<RecordId, ImageRef>> {
        Ok(self.store().product_images(products).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_sha256_hex_is_an_address() {
        assert!(is_image_address(&"a1".repeat(32)));
        assert!(!is_image_address(&"A1".repeat(32)));
        assert!(!is_image_address(&"a1".repeat(31)));
        assert!(!is_image_address("../../etc/passwd"));
        assert!(!is_image_address(""));
        assert_eq!(image_path("ab"), "/images/ab");
    }
}

//! Product images (issue 13 item 5): the maker uploads one per product
//! (`PUT /api/v1/products/{id}/image`, removed with `DELETE`), and anyone reads it at its content
//! address (`GET /images/{sha256}`), served by the registry itself so that no visitor's phone
//! asks a third party for it. Who may set it and what is accepted is the service's
//! (`keurmerk_service::images`).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keurmerk_domain::ids::RecordId;
use keurmerk_label::product_image::ImageFormat;
use keurmerk_service::images::image_path;
use keurmerk_store::ImageRef;
use schemars::JsonSchema;
use serde::Serialize;

use super::{parse_id, Route};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiPath, ImageUpload};
use crate::AppState;

/// Largest body the image upload reads: beyond the image limit, so that a somewhat too large
/// image is answered `422` naming the limit; anything larger is `413` before it is read.
pub const MAX_IMAGE_BODY: usize = 4 * keurmerk_label::product_image::MAX_IMAGE_BYTES;

/// How long an image may be cached: a year; its address is its content, so it never changes.
pub const IMAGE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// A product image as pages and clients refer to it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImageOut {
    /// Where it is served (`/images/{sha256}`); the address never serves other bytes.
    pub url: String,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// `image/png` or `image/jpeg`.
    pub media_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl From<&ImageRef> for ImageOut {
    fn from(i: &ImageRef) -> Self {
        Self {
            url: image_path(&i.sha256),
            sha256: i.sha256.clone(),
            media_type: i.media_type.clone(),
            width: i.width,
            height: i.height,
        }
    }
}

/// What was removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageRemoved {
    /// The product.
    pub product: RecordId,
    /// Always true.
    pub removed: bool,
}

/// The image upload routes.
pub fn routes() -> Vec<Route> {
    use super::route;
    use super::Access::Token;
    let upload = |r: Route| Route {
        handler: r.handler.layer(DefaultBodyLimit::max(MAX_IMAGE_BODY)),
        max_body: MAX_IMAGE_BODY,
        ..r
    };
    vec![
        upload(
            route!(PUT "/api/v1/products/{id}/image", put_product_image, "products", Token("manufacturer"), Json,
            "The maker sets the product's image (PNG or JPEG as the body, at most 512 KiB and 16 to 2048 pixels a side; checked by decoding, refused with 422 naming what is wrong), shown in search results and served at `/images/{sha256}`"),
        ),
        route!(DELETE "/api/v1/products/{id}/image", delete_product_image, "products", Token("manufacturer"), Json,
            "The maker removes the product's image (pages show a placeholder)"),
    ]
}

pub(crate) async fn put_product_image(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ImageUpload(body): ImageUpload,
) -> Result<Json<ImageOut>, ApiError> {
    let product: RecordId = parse_id(&id)?;
    let meta = state
        .registry
        .set_product_image(&actor, &product, &body)
        .await?;
    Ok(Json(ImageOut::from(&meta)))
}

pub(crate) async fn delete_product_image(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImageRemoved>, ApiError> {
    let product: RecordId = parse_id(&id)?;
    state.registry.clear_product_image(&actor, &product).await?;
    Ok(Json(ImageRemoved {
        product,
        removed: true,
    }))
}

/// `GET /images/{sha256}`: the bytes with their checked type, `nosniff`, a sandboxing CSP and
/// an immutable year of caching. Anything but a stored address is `404`.
pub(crate) async fn get_image(
    State(state): State<AppState>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let img = state.registry.image(&sha256).await?;
    // The service serves only checked types; a stored row it could not name was refused there.
    let Some(format) = ImageFormat::from_media_type(&img.meta.media_type) else {
        return Err(ApiError::from(keurmerk_service::ServiceError::NotFound {
            what: "image",
            id: sha256,
        }));
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(IMAGE_CACHE_CONTROL),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // The address is 64 hex digits (checked by the service), always a valid header value.
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", img.meta.sha256)) {
        headers.insert(header::ETAG, etag);
    }
    Ok((StatusCode::OK, headers, img.data).into_response())
}

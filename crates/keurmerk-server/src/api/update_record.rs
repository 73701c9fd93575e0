//! The maker's update record as data (issue 12 item 5): per product, per manufacturer, and for
//! the product a certificate is for (the status answer links it). Public, read-only; computed
//! from the verified events (`docs/FORMATS.md`, "The maker's update record").

use axum::extract::State;
use axum::Json;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::update_record::UpdateRecord;

use super::parse_id;
use crate::error::ApiError;
use crate::json::ApiPath;
use crate::AppState;

/// `GET /api/v1/products/{id}/update-record`.
pub(crate) async fn get_product_update_record(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UpdateRecord>, ApiError> {
    let id: RecordId = parse_id(&id)?;
    Ok(Json(state.registry.product_update_record(&id).await?))
}

/// `GET /api/v1/organisations/{id}/update-record`.
pub(crate) async fn get_organisation_update_record(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UpdateRecord>, ApiError> {
    let id: OrgId = parse_id(&id)?;
    Ok(Json(state.registry.org_update_record(&id).await?))
}

/// `GET /api/v1/certificates/{id}/update-record`: the record of the certificate's product.
pub(crate) async fn get_certificate_update_record(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UpdateRecord>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    Ok(Json(state.registry.certificate_update_record(&id).await?))
}

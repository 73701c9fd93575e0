//! Exact per-version coverage over HTTP (`keurmerk_service::coverage`): the holder declares a
//! version under the scheme's patch-management rule; the issuer confirms or refuses it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::model::ChangeClass;
use keurmerk_service::{ChangeOutcome, VersionChange};
use schemars::JsonSchema;
use serde::Deserialize;

use super::parse_id;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, NoBody};
use crate::AppState;

/// `POST /api/v1/certificates/{id}/versions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclareIn {
    /// The version record (`VER-…`) of the certificate's product.
    version: String,
    /// How the change is classified.
    class: ChangeClass,
    /// The impact statement: what changed and why the class fits.
    impact: String,
    /// The version's software list: a CycloneDX or SPDX JSON document.
    sbom: serde_json::Value,
}

pub(crate) async fn declare_certificate_version(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DeclareIn>,
) -> Result<(StatusCode, Json<ChangeOutcome>), ApiError> {
    let id: CertificateId = parse_id(&id)?;
    // A body field that is not a version id is an invalid request body (422), as for every
    // other body field; 400 is for the path.
    let version: RecordId =
        body.version
            .parse()
            .map_err(|e: <RecordId as std::str::FromStr>::Err| {
                ApiError::for_status(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    format!("version: {e}"),
                )
            })?;
    let sbom =
        serde_json::to_vec(&body.sbom).map_err(|e| ApiError::bad_request(format!("sbom: {e}")))?;
    let out = state
        .registry
        .declare_version_change(
            &actor,
            &id,
            VersionChange {
                version,
                class: body.class,
                impact: body.impact,
                sbom_name: "sbom.json".into(),
                sbom,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

pub(crate) async fn confirm_certificate_version(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath((id, version)): ApiPath<(String, String)>,
    _: NoBody,
) -> Result<Json<ChangeOutcome>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let version: RecordId = parse_id(&version)?;
    Ok(Json(
        state
            .registry
            .confirm_version(&actor, &id, &version)
            .await?,
    ))
}

/// `POST /api/v1/certificates/{id}/versions/{version}/refuse`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefuseIn {
    /// Why, in the issuer's words.
    reason: String,
}

pub(crate) async fn refuse_certificate_version(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RefuseIn>,
) -> Result<Json<ChangeOutcome>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let version: RecordId = parse_id(&version)?;
    Ok(Json(
        state
            .registry
            .refuse_version(&actor, &id, &version, &body.reason)
            .await?,
    ))
}

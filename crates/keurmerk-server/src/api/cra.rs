//! Cyber Resilience Act reports (issue 12 item 4): the obligations with their clocks, a report's
//! draft or submitted text, the holder's edits and submission, and the export as JSON.
//! Authorisation is the service's (`keurmerk_service::Registry::cra_report` and friends: holder,
//! supervising authority, registry operator); these handlers only parse and answer.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keurmerk_domain::cra::{CraKind, CraReport, ReportEdit};
use keurmerk_domain::ids::CertificateId;
use keurmerk_service::{CraObligations, CraReportView};
use schemars::JsonSchema;
use serde::Deserialize;

use super::monitoring::vulnerability_id;
use super::parse_id;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery, NoBody};
use crate::AppState;

/// `?certificate=`: only this certificate's obligations.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraQuery {
    /// A certificate id.
    certificate: Option<String>,
}

pub(crate) async fn list_cra_reports(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<CraQuery>,
) -> Result<Json<Vec<CraObligations>>, ApiError> {
    let cert: Option<CertificateId> = q.certificate.as_deref().map(parse_id).transpose()?;
    Ok(Json(
        state
            .registry
            .cra_obligations(&actor, cert.as_ref())
            .await?,
    ))
}

fn parse_path(
    (id, vulnerability, report): (String, String, String),
) -> Result<(CertificateId, String, CraKind), ApiError> {
    let id: CertificateId = parse_id(&id)?;
    vulnerability_id(&vulnerability)?;
    let kind: CraKind = parse_id(&report)?;
    Ok((id, vulnerability, kind))
}

pub(crate) async fn get_cra_report(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(path): ApiPath<(String, String, String)>,
) -> Result<Json<CraReportView>, ApiError> {
    let (id, v, kind) = parse_path(path)?;
    Ok(Json(
        state.registry.cra_report(&actor, &id, &v, kind).await?,
    ))
}

pub(crate) async fn put_cra_report(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(path): ApiPath<(String, String, String)>,
    ApiJson(edit): ApiJson<ReportEdit>,
) -> Result<Json<CraReportView>, ApiError> {
    let (id, v, kind) = parse_path(path)?;
    Ok(Json(
        state
            .registry
            .edit_cra_report(&actor, &id, &v, kind, edit)
            .await?,
    ))
}

pub(crate) async fn submit_cra_report(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(path): ApiPath<(String, String, String)>,
    _: NoBody,
) -> Result<Json<CraReportView>, ApiError> {
    let (id, v, kind) = parse_path(path)?;
    Ok(Json(
        state
            .registry
            .submit_cra_report(&actor, &id, &v, kind)
            .await?,
    ))
}

/// A report's JSON document as bytes: for a submitted report exactly the canonical bytes the
/// signed event's SHA-256 covers (re-serialising would risk changing them).
pub(crate) struct ReportBytes(Vec<u8>);

impl IntoResponse for ReportBytes {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            self.0,
        )
            .into_response()
    }
}

impl super::schema::ResponseSchema for ReportBytes {
    fn response_schema(g: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        Some(g.subschema_for::<CraReport>())
    }
}

pub(crate) async fn export_cra_report(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(path): ApiPath<(String, String, String)>,
) -> Result<ReportBytes, ApiError> {
    let (id, v, kind) = parse_path(path)?;
    Ok(ReportBytes(
        state
            .registry
            .export_cra_report(&actor, &id, &v, kind)
            .await?,
    ))
}

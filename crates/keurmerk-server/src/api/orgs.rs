use axum::extract::State;
use axum::Json;
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::model::{Authorisation, Organisation};
use keurmerk_domain::scheme::Scheme;
use keurmerk_service::NewOrganisation;
use keurmerk_store::{AuditEntry, OrgStore};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{parse_id, Page, PageQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub(crate) async fn list_schemes(State(state): State<AppState>) -> Json<Vec<Scheme>> {
    Json(state.registry.catalogue().iter().cloned().collect())
}

pub(crate) async fn get_scheme(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Scheme>, ApiError> {
    let id: SchemeId = parse_id(&id)?;
    state
        .registry
        .catalogue()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| {
            ApiError::from(keurmerk_service::ServiceError::NotFound {
                what: "scheme",
                id: id.to_string(),
            })
        })
}

pub(crate) async fn list_organisations(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Organisation>>, ApiError> {
    Ok(Json(Page::slice(state.registry.organisations().await?, q)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OrganisationOut {
    #[serde(flatten)]
    organisation: Organisation,
    authorisations: Vec<Authorisation>,
}

pub(crate) async fn get_organisation(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OrganisationOut>, ApiError> {
    let id: OrgId = parse_id(&id)?;
    let organisation = state.registry.organisation(&id).await?;
    let authorisations = state
        .registry
        .store()
        .authorisations(&id)
        .await
        .map_err(keurmerk_service::ServiceError::from)?;
    Ok(Json(OrganisationOut {
        organisation,
        authorisations,
    }))
}

pub(crate) async fn create_organisation(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewOrganisation>,
) -> Result<(axum::http::StatusCode, Json<Organisation>), ApiError> {
    let org = state.registry.create_organisation(&actor, new).await?;
    Ok((axum::http::StatusCode::CREATED, Json(org)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct AuthorisationIn {
    body: OrgId,
    scheme: SchemeId,
    level: LevelId,
    /// The last day (UTC) of the authorisation; afterwards it has lapsed, as if revoked.
    /// Absent: until revoked.
    #[serde(default)]
    until: Option<chrono::NaiveDate>,
}

pub(crate) async fn create_authorisation(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiJson(a): ApiJson<AuthorisationIn>,
) -> Result<(axum::http::StatusCode, Json<Authorisation>), ApiError> {
    let a = state
        .registry
        .authorise_until(&actor, &a.body, &a.scheme, &a.level, a.until)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(a)))
}

pub(crate) async fn delete_authorisation(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath((body, scheme, level)): ApiPath<(String, String, String)>,
) -> Result<Json<Authorisation>, ApiError> {
    let a = state
        .registry
        .revoke_authorisation(
            &actor,
            &parse_id(&body)?,
            &parse_id(&scheme)?,
            &parse_id(&level)?,
        )
        .await?;
    Ok(Json(a))
}

/// Largest page of the audit trail.
pub const MAX_AUDIT_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default, deserialize_with = "audit_limit")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "before")]
    before: Option<i64>,
}

fn audit_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    super::int_param(d, "limit", 1, MAX_AUDIT_LIMIT)
}

fn before<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    super::int_param(d, "before", 1, i64::MAX)
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AuditPage {
    items: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page.
    next_before: Option<i64>,
}

pub(crate) async fn list_audit(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_AUDIT_LIMIT);
    let items = state.registry.audit_trail(&actor, limit, q.before).await?;
    let next_before = (items.len() as i64 == limit)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(Json(AuditPage { items, next_before }))
}

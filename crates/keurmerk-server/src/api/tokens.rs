use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use keurmerk_domain::ids::OrgId;
use keurmerk_domain::model::Organisation;
use keurmerk_service::TokenAdmin;
use keurmerk_store::{ApiToken, Complaint};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{parse_id, Page, PageQuery};
use crate::auth::{Authed, Secret};
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    Authed(actor): Authed,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.registry.tokens(TokenAdmin::Api(&actor)).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct TokenIn {
    org: OrgId,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TokenCreated {
    #[serde(flatten)]
    token: ApiToken,
    /// The bearer token. Shown once; only its hash is stored.
    secret: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiJson(t): ApiJson<TokenIn>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let secret = Secret::generate();
    let token = state
        .registry
        .create_token(
            TokenAdmin::Api(&actor),
            &t.org,
            t.name.as_deref().unwrap_or("api"),
            secret.sha256(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            secret: secret.bearer(&token.id),
            token,
        }),
    ))
}

pub(crate) async fn delete_token(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApiToken>, ApiError> {
    Ok(Json(
        state
            .registry
            .revoke_token(TokenAdmin::Api(&actor), &parse_id(&id)?)
            .await?,
    ))
}

pub(crate) async fn get_whoami(
    State(state): State<AppState>,
    Authed(actor): Authed,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(state.registry.organisation(&actor.org).await?))
}

pub(crate) async fn list_complaints(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Complaint>>, ApiError> {
    let items = state
        .registry
        .complaints(&actor, q.limit() + 1, q.offset())
        .await?;
    Ok(Json(Page::new(items, q)))
}

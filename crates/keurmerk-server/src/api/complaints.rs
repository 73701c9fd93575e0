//! Complaint handling by the receiving national authority (read, assign, answer, close) and the
//! complainant's view by reference. Authorisation is the service's
//! (`keurmerk_service::Registry::handle_complaint`); these handlers only parse and answer.

use axum::extract::State;
use axum::Json;
use keurmerk_domain::complaint::Outcome;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::RecordId;
use keurmerk_service::{ComplaintAction, ComplaintStatus};
use keurmerk_store::Complaint;
use schemars::JsonSchema;
use serde::Deserialize;

use super::parse_id;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath};
use crate::AppState;

pub(crate) async fn get_complaint(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Complaint>, ApiError> {
    let id: RecordId = parse_id(&id)?;
    Ok(Json(state.registry.complaint(&actor, &id).await?))
}

/// Who handles the complaint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignIn {
    /// The name of the person at the authority who handles it (one line, at most 100
    /// characters).
    assignee: String,
}

/// The answer to the complainant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerIn {
    /// Shown to the complainant on the complaint's page (at most 5000 characters).
    answer: String,
    /// The answer's language: `en`, `nl`, `de` or `fr`; the page marks the answer with it.
    /// Omitted: the language of the authority's member state where it is one of these, else
    /// `en`.
    #[serde(default)]
    lang: Option<Lang>,
}

/// How the complaint ended.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CloseIn {
    /// `upheld` or `rejected` only once answered; `forwarded` or `withdrawn` at any time.
    outcome: Outcome,
}

async fn step(
    state: AppState,
    actor: keurmerk_service::Actor,
    id: String,
    action: ComplaintAction,
) -> Result<Json<Complaint>, ApiError> {
    let id: RecordId = parse_id(&id)?;
    Ok(Json(
        state.registry.handle_complaint(&actor, &id, action).await?,
    ))
}

pub(crate) async fn assign_complaint(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssignIn>,
) -> Result<Json<Complaint>, ApiError> {
    step(
        state,
        actor,
        id,
        ComplaintAction::Assign {
            assignee: body.assignee,
        },
    )
    .await
}

pub(crate) async fn answer_complaint(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AnswerIn>,
) -> Result<Json<Complaint>, ApiError> {
    step(
        state,
        actor,
        id,
        ComplaintAction::Answer {
            answer: body.answer,
            lang: body.lang,
        },
    )
    .await
}

pub(crate) async fn close_complaint(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CloseIn>,
) -> Result<Json<Complaint>, ApiError> {
    step(
        state,
        actor,
        id,
        ComplaintAction::Close {
            outcome: body.outcome,
        },
    )
    .await
}

/// The complainant's view: any text that is not a known reference is the same `404`.
pub(crate) async fn get_complaint_status(
    State(state): State<AppState>,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<ComplaintStatus>, ApiError> {
    Ok(Json(state.registry.complaint_status(&reference).await?))
}

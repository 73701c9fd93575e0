use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::NaiveDate;
use keurmerk_domain::event::Event;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::model::{Certificate, Product};
use keurmerk_service::LifecycleRequest;
use keurmerk_store::CertificateFilter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{parse_id, Page, PageQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery, NoBody};
use crate::status::{pick_lang, LangQuery};
use crate::wire::StatusOut;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(crate) struct CertificateQuery {
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    holder: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default, deserialize_with = "super::limit_param")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "super::offset_param")]
    offset: Option<i64>,
}

pub(crate) async fn list_certificates(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> Result<Json<Page<Certificate>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        offset: q.offset,
    };
    let product: Option<RecordId> = q.product.as_deref().map(parse_id).transpose()?;
    let holder: Option<OrgId> = q.holder.as_deref().map(parse_id).transpose()?;
    let scheme: Option<SchemeId> = q.scheme.as_deref().map(parse_id).transpose()?;
    let items = state
        .registry
        .certificates(&CertificateFilter {
            product,
            holder,
            scheme,
            limit: page.limit() + 1,
            offset: page.offset(),
            after: None,
        })
        .await?;
    Ok(Json(Page::new(items, page)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CertificateOut {
    certificate: Certificate,
    product: Product,
    status: StatusOut,
    history: Vec<Event>,
}

pub(crate) async fn get_certificate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<CertificateOut>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let lang = pick_lang(&q, &headers)?;
    let d = state.registry.certificate_details(&id).await?;
    Ok(Json(CertificateOut {
        status: StatusOut::new(&d.status, lang),
        certificate: d.certificate,
        product: d.product,
        history: d.events,
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ForecastQuery {
    #[serde(default)]
    until: Option<String>,
}

/// `GET /api/v1/certificates/{id}/forecast`: what the scheme's policy will do to the certificate
/// and when, if nobody acts (`Registry::forecast`); writes nothing.
pub(crate) async fn get_forecast(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ForecastQuery>,
) -> Result<Json<keurmerk_service::Forecast>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let until = q
        .until
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request(format!("until: `{s}` is not a date (YYYY-MM-DD)"))
            })
        })
        .transpose()?;
    Ok(Json(state.registry.forecast(&id, until).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ChangeIn {
    /// Why, in the organisation's own words: optional with a reason code (required with
    /// `other`); for a reinstatement, its note. Shown untranslated, marked with `reason_lang`.
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: Option<NaiveDate>,
    /// Why, from the catalogue: required to suspend, extend a suspension or withdraw; refused
    /// on reinstatement. One of vulnerability_not_fixed, recall, under_investigation (suspend and
    /// extend only), complaint_upheld,
    /// non_conformity, false_information, issuer_authorisation_revoked, holder_request,
    /// support_ended (withdraw only), not_remedied (withdraw only), remedy_in_progress (extend
    /// only), other (needs `reason`). An unknown or unfitting code is refused with 422 naming
    /// the allowed codes.
    #[serde(default)]
    reason_code: Option<String>,
    /// The language `reason` is written in, a BCP 47 tag such as `nl` or `de-AT` (default `en`).
    #[serde(default)]
    reason_lang: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ChangeOut {
    certificate: String,
    state: &'static str,
}

async fn change(
    state: AppState,
    actor: keurmerk_service::Actor,
    id: String,
    command: Command,
    body: ChangeIn,
) -> Result<Json<ChangeOut>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let new = state
        .registry
        .change_state(
            &actor,
            &id,
            LifecycleRequest {
                command,
                reason: body.reason,
                until: body.until,
                reason_code: body.reason_code,
                reason_lang: body.reason_lang,
            },
        )
        .await?;
    Ok(Json(ChangeOut {
        certificate: id.to_string(),
        state: new.as_str(),
    }))
}

macro_rules! change_handler {
    ($name:ident, $cmd:expr) => {
        pub(crate) async fn $name(
            State(state): State<AppState>,
            Authed(actor): Authed,
            ApiPath(id): ApiPath<String>,
            ApiJson(body): ApiJson<ChangeIn>,
        ) -> Result<Json<ChangeOut>, ApiError> {
            change(state, actor, id, $cmd, body).await
        }
    };
}

change_handler!(suspend_certificate, Command::Suspend);
change_handler!(extend_suspension_certificate, Command::ExtendSuspension);
change_handler!(reinstate_certificate, Command::Reinstate);
change_handler!(withdraw_certificate, Command::Withdraw);

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ResignOut {
    certificate: String,
    /// Sequence numbers of the events confirmed again with a valid key.
    resigned: Vec<i64>,
}

/// The organisation that acted confirms again its events signed with a key after that key's
/// compromise (`Registry::resign`).
pub(crate) async fn resign_certificate(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    _: NoBody,
) -> Result<Json<ResignOut>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let resigned = state.registry.resign(&actor, &id).await?;
    Ok(Json(ResignOut {
        certificate: id.to_string(),
        resigned,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecognitionQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    at: Option<String>,
}

/// `?at=YYYY-MM-DD`, refused (400) when it is not a calendar date.
pub(crate) fn parse_at(at: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    at.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request(format!(
                "`at` must be a date YYYY-MM-DD, got `{}`",
                s.chars().take(20).collect::<String>()
            ))
        })
    })
    .transpose()
}

pub(crate) async fn get_certificate_recognition(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RecognitionQuery>,
    headers: HeaderMap,
) -> Result<Json<keurmerk_domain::recognition::RecognitionJson>, ApiError> {
    let id: CertificateId = parse_id(&id)?;
    let lang = pick_lang(
        &LangQuery {
            lang: q.lang.clone(),
        },
        &headers,
    )?;
    let at = parse_at(q.at.as_deref())?;
    Ok(Json(state.registry.recognition(&id, at, lang).await?))
}

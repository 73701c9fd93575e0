use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::{
    Assessment, Certificate, Dependency, PasswordSetup, Product, ProductVersion, SupportCommitment,
    UpdatePolicy,
};
use keurmerk_service::{NewAssessment, NewDependency, NewProduct, NewVersion, ProductDetails};
use keurmerk_store::ProductFilter;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{parse_id, Page, PageQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery, NoBody, OptionalJson};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(crate) struct ProductQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    manufacturer: Option<String>,
    #[serde(default, deserialize_with = "super::limit_param")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "super::offset_param")]
    offset: Option<i64>,
}

pub(crate) async fn list_products(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Json<Page<Product>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        offset: q.offset,
    };
    let manufacturer: Option<OrgId> = q.manufacturer.as_deref().map(parse_id).transpose()?;
    let items = state
        .registry
        .search_products(&ProductFilter {
            manufacturer,
            text: q.q.filter(|t| !t.trim().is_empty()),
            limit: page.limit() + 1,
            offset: page.offset(),
        })
        .await?;
    Ok(Json(Page::new(items, page)))
}

pub(crate) async fn create_product(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let p = state.registry.register_product(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

pub(crate) async fn get_product(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProductDetails>, ApiError> {
    let id: RecordId = parse_id(&id)?;
    Ok(Json(state.registry.product_details(&id).await?))
}

pub(crate) async fn create_version(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(new): ApiJson<NewVersion>,
) -> Result<(StatusCode, Json<ProductVersion>), ApiError> {
    let v = state
        .registry
        .add_version(&actor, &parse_id(&id)?, new)
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `PUT /api/v1/products/{id}/support`: [`SupportCommitment`] with the end date as a day or a
/// month ([`crate::wire::parse_support_until`]).
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct SupportIn {
    support_until: crate::wire::SupportUntil,
    update_policy: UpdatePolicy,
    vulnerability_contact: String,
    #[serde(default)]
    disclosure_policy_url: Option<String>,
    /// How the password is set up (`none`, `unique_per_device`, `set_on_first_use`); shown to
    /// owners as setup advice. Omitted: not said.
    #[serde(default)]
    password: Option<PasswordSetup>,
    /// Where owners get updates and instructions (https). Omitted: not said.
    #[serde(default)]
    updates_url: Option<String>,
}

pub(crate) async fn put_support(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(s): ApiJson<SupportIn>,
) -> Result<Json<SupportCommitment>, ApiError> {
    let s = SupportCommitment {
        support_until: s.support_until.0,
        update_policy: s.update_policy,
        vulnerability_contact: s.vulnerability_contact,
        disclosure_policy_url: s.disclosure_policy_url,
        password: s.password,
        updates_url: s.updates_url,
    };
    state
        .registry
        .set_support(&actor, &parse_id(&id)?, s.clone())
        .await?;
    Ok(Json(s))
}

pub(crate) async fn create_dependency(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(new): ApiJson<NewDependency>,
) -> Result<(StatusCode, Json<Dependency>), ApiError> {
    let d = state
        .registry
        .add_dependency(&actor, &parse_id(&id)?, new)
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub(crate) async fn create_assessment(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewAssessment>,
) -> Result<(StatusCode, Json<Assessment>), ApiError> {
    let a = state.registry.record_assessment(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

pub(crate) async fn get_assessment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Assessment>, ApiError> {
    Ok(Json(state.registry.assessment(&parse_id(&id)?).await?))
}

pub(crate) async fn approve_assessment(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    _: NoBody,
) -> Result<Json<Assessment>, ApiError> {
    Ok(Json(
        state
            .registry
            .approve_assessment(&actor, &parse_id(&id)?)
            .await?,
    ))
}

/// `POST /api/v1/assessments/{id}/certify`; the body may be empty.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub(crate) struct CertifyIn {
    /// Last day of validity; the scheme's longest validity when absent.
    #[serde(default)]
    valid_until: Option<NaiveDate>,
}

pub(crate) async fn certify_assessment(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<CertifyIn>,
) -> Result<(StatusCode, Json<Certificate>), ApiError> {
    let c = state
        .registry
        .certify(&actor, &parse_id(&id)?, body.valid_until)
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MarketAccessQuery {
    #[serde(default)]
    markets: Option<String>,
    #[serde(default)]
    at: Option<String>,
}

/// Every market the catalogue knows (`EU` and every scheme jurisdiction), comma-separated.
pub(crate) fn all_markets(catalogue: &keurmerk_domain::scheme::Catalogue) -> String {
    let mut all = vec!["EU".to_owned()];
    for s in catalogue.iter() {
        for j in &s.jurisdictions {
            if !all.contains(j) {
                all.push(j.clone());
            }
        }
    }
    all.join(",")
}

/// Every market code `?markets=` takes, exactly as written there (upper case): `EU`, `UK`, the
/// EU and EEA states and every scheme jurisdiction. The OpenAPI document's pattern is built
/// from the same list (for the shipped catalogue).
pub(crate) fn market_codes(catalogue: &keurmerk_domain::scheme::Catalogue) -> Vec<String> {
    let mut codes: Vec<String> = ["EU", "UK"]
        .into_iter()
        .map(str::to_owned)
        .chain(keurmerk_domain::jurisdiction::accepted(catalogue))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

pub(crate) async fn get_market_access(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<MarketAccessQuery>,
) -> Result<Json<keurmerk_domain::recognition::MarketAccessJson>, ApiError> {
    let id: RecordId = parse_id(&id)?;
    let at = super::certificates::parse_at(q.at.as_deref())?;
    let markets = match q.markets {
        Some(m) => m,
        None => all_markets(state.registry.catalogue()),
    };
    // The API reads the list strictly, as its documented pattern says (the CLI is lenient):
    // known upper-case codes separated by single commas, at most 40. Anything else is a
    // malformed parameter (400), checked before the product is looked up.
    let codes = market_codes(state.registry.catalogue());
    let parts: Vec<&str> = markets.split(',').collect();
    if parts.len() > keurmerk_domain::recognition::MAX_MARKETS
        || !parts.iter().all(|p| codes.iter().any(|c| c == p))
    {
        return Err(ApiError::bad_request(format!(
            "markets: `{}` is not a comma-separated list of at most {} market codes ({})",
            markets.chars().take(60).collect::<String>(),
            keurmerk_domain::recognition::MAX_MARKETS,
            codes.join(", ")
        )));
    }
    keurmerk_domain::recognition::parse_markets(state.registry.catalogue(), &markets)
        .map_err(|e| ApiError::bad_request(format!("markets: {e}")))?;
    Ok(Json(state.registry.market_access(&id, &markets, at).await?))
}

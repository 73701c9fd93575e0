//! `GET /api/v1/labels`: search and browse labels (issue 13 item 5), each with its live status.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::lifecycle::State as Lifecycle;
use keurmerk_domain::model::{Category, IssuerKind};
use keurmerk_service::{LabelQuery, LabelResult, MAX_SEARCH_LIMIT};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{parse_id, Page, PageQuery};
use crate::error::ApiError;
use crate::json::ApiQuery;
use crate::AppState;

/// Default page size of a label search.
pub(crate) const DEFAULT_SEARCH_LIMIT: i64 = 20;

#[derive(Debug, Deserialize)]
pub(crate) struct LabelsQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    manufacturer: Option<String>,
    #[serde(default)]
    member_state: Option<String>,
    #[serde(default, deserialize_with = "search_limit_param")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "super::offset_param")]
    offset: Option<i64>,
}

fn search_limit_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    super::int_param(d, "limit", 1, MAX_SEARCH_LIMIT)
}

/// One label in a search result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LabelOut {
    /// Certificate id.
    pub certificate: String,
    /// Product id.
    pub product: String,
    /// Product name.
    pub product_name: String,
    /// Model designation.
    pub model: String,
    /// Product category.
    pub category: Category,
    /// Manufacturer (organisation id).
    pub manufacturer: String,
    /// Manufacturer's name.
    pub manufacturer_name: String,
    /// Scheme id.
    pub scheme: String,
    /// Level id.
    pub level: String,
    /// `self_declared` or `third_party`.
    pub issuer_kind: IssuerKind,
    /// Lifecycle state of the certificate.
    pub state: Lifecycle,
    /// Live label status: `valid`, `attention`, `suspended`, `withdrawn`, `expired`,
    /// `support_ended` or `unknown`.
    pub status: &'static str,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// The certificate's public page.
    pub page: String,
    /// The label image (SVG).
    pub label_svg: String,
    /// The product's image for the result's image slot, served by the registry; `null` when
    /// the maker has set none (show a placeholder).
    pub image: Option<super::images::ImageOut>,
}

impl From<&LabelResult> for LabelOut {
    fn from(r: &LabelResult) -> Self {
        let c = &r.hit.certificate;
        Self {
            certificate: c.id.to_string(),
            product: c.product.to_string(),
            product_name: r.hit.product_name.clone(),
            model: r.hit.model.clone(),
            category: r.hit.category,
            manufacturer: r.hit.manufacturer.to_string(),
            manufacturer_name: r.hit.manufacturer_name.clone(),
            scheme: c.scheme.to_string(),
            level: c.level.to_string(),
            issuer_kind: c.issuer_kind,
            state: c.state,
            status: r.status.as_str(),
            valid_until: c.valid_until,
            page: format!("/c/{}", c.id),
            label_svg: format!("/c/{}/label.svg", c.id),
            image: r.hit.image.as_ref().map(super::images::ImageOut::from),
        }
    }
}

pub(crate) fn label_query(q: LabelsQuery, page: PageQuery) -> Result<LabelQuery, ApiError> {
    Ok(LabelQuery {
        text: q.q.filter(|t| !t.trim().is_empty()),
        scheme: q.scheme.as_deref().map(parse_id::<SchemeId>).transpose()?,
        level: q.level.as_deref().map(parse_id::<LevelId>).transpose()?,
        state: q.state.as_deref().map(parse_id::<Lifecycle>).transpose()?,
        category: q
            .category
            .as_deref()
            .map(parse_id::<Category>)
            .transpose()?,
        manufacturer: q
            .manufacturer
            .as_deref()
            .map(parse_id::<OrgId>)
            .transpose()?,
        member_state: q.member_state,
        limit: page.limit(),
        offset: page.offset(),
    })
}

pub(crate) async fn search_labels(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LabelsQuery>,
) -> Result<Json<Page<LabelOut>>, ApiError> {
    let page = PageQuery {
        limit: Some(q.limit.unwrap_or(DEFAULT_SEARCH_LIMIT)),
        offset: q.offset,
    };
    let query = label_query(q, page)?;
    let found = state.registry.search_labels(&query).await?;
    let items = found.items.iter().map(LabelOut::from).collect();
    Ok(Json(Page::with_more(items, page, found.more)))
}

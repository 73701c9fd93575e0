//! The HTTP API under `/api/v1` and the table of every route.
//!
//! [`routes`] is the single list both the router and the OpenAPI document are built from, so a
//! route cannot exist without being documented.

mod certificates;
mod complaints;
mod coverage;
mod cra;
pub mod images;
pub(crate) mod labels;
pub mod monitoring;
pub(crate) mod orgs;
pub(crate) mod products;
pub mod schema;
mod tokens;
mod update_record;
pub mod watch;

use axum::http::Method;
use axum::routing::MethodRouter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A bearer token of an organisation with one of these roles (checked by the service).
    Token(&'static str),
    /// The management key of the watch-list named in the path (`kmw_…`).
    WatchKey,
}

/// What a route answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produces {
    /// `application/json`.
    Json,
    /// `text/html`.
    Html,
    /// `application/atom+xml`.
    Atom,
    /// `text/plain`.
    Text,
    /// `text/css`.
    Css,
}

/// One route.
#[derive(Debug)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// axum path (`{id}` parameters).
    pub path: &'static str,
    /// operationId: the handler's name.
    pub op: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Media type of the answer.
    pub produces: Produces,
    /// Example JSON body for writes.
    pub body: Option<&'static str>,
    /// Query parameters.
    pub query: &'static [&'static str],
    /// Schema of the JSON request body, read off the handler (`None` from it: no body).
    pub request: schema::SchemaFn,
    /// Schema of the JSON response body, read off the handler (`None` from it: not JSON).
    pub response: schema::SchemaFn,
    /// The handler.
    pub handler: MethodRouter<AppState>,
    /// Largest request body accepted; a larger `Content-Length` is refused before reading.
    pub max_body: usize,
    /// Status of a success, read off the handler (`201` for `(StatusCode, Json<_>)`).
    pub success: u16,
}

/// One row of the route table. For `Json` routes the request and response schemas are read off
/// the handler's signature ([`schema`]); `response = f` overrides that for a handler whose body
/// is untyped JSON.
macro_rules! route {
    ($m:ident $path:literal, $h:path, $tag:literal, $access:expr, $produces:ident, $summary:literal $(, body = $body:expr)? $(, query = $q:expr)? $(, response = $resp:expr)?) => {
        $crate::api::Route {
            method: ::axum::http::Method::$m,
            path: $path,
            op: stringify!($h).rsplit("::").next().unwrap_or(""),
            tag: $tag,
            summary: $summary,
            access: $access,
            produces: $crate::api::Produces::$produces,
            body: route!(@body $($body)?),
            query: route!(@query $($q)?),
            request: route!(@request $produces, $h),
            response: route!(@response $produces, $h $(, $resp)?),
            handler: route!(@m $m, $h),
            max_body: $crate::MAX_BODY_BYTES,
            success: route!(@success $produces, $h),
        }
    };
    (@success Json, $h:path) => { $crate::api::schema::success_of(&$h) };
    (@success $other:ident, $h:path) => { 200 };
    (@body) => { None };
    (@body $b:expr) => { Some($b) };
    (@query) => { &[] };
    (@query $q:expr) => { $q };
    (@request Json, $h:path) => { $crate::api::schema::request_of(&$h) };
    (@request $other:ident, $h:path) => { $crate::api::schema::no_schema };
    (@response $p:ident, $h:path, $resp:expr) => { $resp };
    (@response Json, $h:path) => { $crate::api::schema::response_of(&$h) };
    (@response $other:ident, $h:path) => { $crate::api::schema::no_schema };
    (@m GET, $h:path) => { ::axum::routing::get($h) };
    (@m POST, $h:path) => { ::axum::routing::post($h) };
    (@m PUT, $h:path) => { ::axum::routing::put($h) };
    (@m DELETE, $h:path) => { ::axum::routing::delete($h) };
}
pub(crate) use route;

use Access::{Public, Token};

const PAGE: &[&str] = &["limit", "offset"];

/// Every API route.
pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/v1/schemes", orgs::list_schemes, "schemes", Public, Json, "Schemes in the catalogue"),
        route!(GET "/api/v1/schemes/{id}", orgs::get_scheme, "schemes", Public, Json, "One scheme with its levels and requirements"),
        route!(GET "/api/v1/organisations", orgs::list_organisations, "organisations", Public, Json, "Organisations", query = PAGE),
        route!(POST "/api/v1/organisations", orgs::create_organisation, "organisations", Token("registry_operator, national_authority"), Json, "Register an organisation",
            body = r#"{"id":"nl-lab","name":"NL Lab B.V.","role":"assessment_body","member_state":"NL","contact":"info@lab.example"}"#),
        route!(GET "/api/v1/organisations/{id}", orgs::get_organisation, "organisations", Public, Json, "One organisation with its authorisations"),
        route!(POST "/api/v1/authorisations", orgs::create_authorisation, "organisations", Token("national_authority"), Json, "Authorise an assessment body for a scheme level",
            body = r#"{"body":"nl-lab","scheme":"eu-iot","level":"substantial"}"#),
        route!(DELETE "/api/v1/authorisations/{body}/{scheme}/{level}", orgs::delete_authorisation, "organisations", Token("national_authority"), Json, "Revoke an authorisation"),
        route!(GET "/api/v1/labels", labels::search_labels, "labels", Public, Json, "Search and browse labels, newest first, each with its live status: words (any case; whole words when some label has them all, else words of three or more characters as prefixes) of the product's name, model, manufacturer, category (en/nl/de/fr) or GTIN or the certificate id; filters by scheme, level, lifecycle state, category, manufacturer and member state", query = &["q", "scheme", "level", "state", "category", "manufacturer", "member_state", "limit", "offset"]),
        route!(GET "/api/v1/products", products::list_products, "products", Public, Json, "Search products (name, model, manufacturer, GTIN, id)", query = &["q", "manufacturer", "limit", "offset"]),
        route!(POST "/api/v1/products", products::create_product, "products", Token("manufacturer"), Json, "Register a product",
            body = r#"{"name":"Smart Plug","model":"SP-1","category":"smart_plug","identifiers":{"gtin":"4006381333931"}}"#),
        route!(GET "/api/v1/products/{id}", products::get_product, "products", Public, Json, "A product with versions, support, dependencies and certificates"),
        route!(GET "/api/v1/products/{id}/market-access", products::get_market_access, "products", Public, Json, "Mandatory regimes and voluntary labels per market for the product's valid certificates, and the smallest set of provisions still to assess", query = &["markets", "at"]),
        route!(POST "/api/v1/products/{id}/versions", products::create_version, "products", Token("manufacturer"), Json, "Add a version",
            body = r#"{"version":"1.2.0","released_on":"2026-01-15","security_update":true}"#),
        route!(PUT "/api/v1/products/{id}/support", products::put_support, "products", Token("manufacturer"), Json, "Publish or extend the support period",
            body = r#"{"support_until":"2030-12-31","update_policy":"automatic","vulnerability_contact":"security@maker.example"}"#),
        route!(POST "/api/v1/products/{id}/dependencies", products::create_dependency, "products", Token("manufacturer"), Json, "Declare a dependency on a service",
            body = r#"{"kind":"cloud","provider":"Maker Cloud","service":"Device API"}"#),
        route!(POST "/api/v1/assessments", products::create_assessment, "assessments", Token("manufacturer, assessment_body"), Json, "Record an assessment (self-assessment or independent)",
            body = r#"{"product":"PRD-000001","version":"VER-000001","scheme":"eu-iot","level":"basic","verdicts":{"5.1-1":{"verdict":"pass"}}}"#),
        route!(GET "/api/v1/assessments/{id}", products::get_assessment, "assessments", Public, Json, "One assessment"),
        route!(POST "/api/v1/assessments/{id}/approve", products::approve_assessment, "assessments", Token("national_authority"), Json, "Approve an assessment at a level that needs approval"),
        route!(POST "/api/v1/assessments/{id}/certify", products::certify_assessment, "assessments", Token("manufacturer, assessment_body"), Json, "Issue a certificate or statement of conformity",
            body = r#"{"valid_until":"2029-12-31"}"#),
        route!(GET "/api/v1/certificates", certificates::list_certificates, "certificates", Public, Json, "Certificates", query = &["product", "holder", "scheme", "limit", "offset"]),
        route!(GET "/api/v1/certificates/{id}", certificates::get_certificate, "certificates", Public, Json, "A certificate with its live status and history", query = &["lang"]),
        route!(GET "/api/v1/certificates/{id}/forecast", certificates::get_forecast, "certificates", Public, Json, "What the scheme's policy will do to the certificate and when, if nobody acts (`?until=YYYY-MM-DD`, default the day after its validity); writes nothing", query = &["until"]),
        route!(GET "/api/v1/certificates/{id}/recognition", certificates::get_certificate_recognition, "certificates", Public, Json, "Where the certificate is accepted: baseline coverage and, for every other scheme level, accepted by agreement, meets the requirements by coverage, or not accepted (docs/FORMATS.md)", query = &["at", "lang"]),
        route!(POST "/api/v1/certificates/{id}/suspend", certificates::suspend_certificate, "certificates", Token("issuer, national_authority"), Json, "Suspend a certificate with a reason code (422 naming the allowed codes if unknown) and optional free text in a stated language",
            body = r#"{"reason_code":"vulnerability_not_fixed","reason":"A critical vulnerability is not fixed","reason_lang":"en","until":"2026-06-30"}"#),
        route!(POST "/api/v1/certificates/{id}/extend-suspension", certificates::extend_suspension_certificate, "certificates", Token("national_authority"), Json, "Extend a running suspension, with a reason code (422 naming the allowed codes if unknown) and optional free text in a stated language",
            body = r#"{"reason_code":"remedy_in_progress","reason":"Die Korrektur ist noch nicht verfügbar","reason_lang":"de","until":"2026-09-30"}"#),
        route!(POST "/api/v1/certificates/{id}/reinstate", certificates::reinstate_certificate, "certificates", Token("issuer, national_authority"), Json, "Lift a suspension",
            body = r#"{"reason":"Fixed in version 1.2.1"}"#),
        route!(POST "/api/v1/certificates/{id}/withdraw", certificates::withdraw_certificate, "certificates", Token("issuer, national_authority"), Json, "Withdraw a certificate for good, with a reason code (422 naming the allowed codes if unknown) and optional free text in a stated language",
            body = r#"{"reason_code":"non_conformity","reason":"The product no longer meets the requirements"}"#),
        route!(POST "/api/v1/certificates/{id}/versions", coverage::declare_certificate_version, "certificates", Token("manufacturer"), Json, "The holder declares a version under the scheme's patch-management rule (an impact statement classifying the change and the version's software list): covered at once or waiting for the issuer",
            body = r#"{"version":"VER-000002","class":"security_patch","impact":"Updates log4j-core to 2.17.1; no security function changes","sbom":{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[]}}"#),
        route!(POST "/api/v1/certificates/{id}/versions/{version}/confirm", coverage::confirm_certificate_version, "certificates", Token("issuer"), Json, "The issuer confirms a declared version: the certificate covers it"),
        route!(POST "/api/v1/certificates/{id}/versions/{version}/refuse", coverage::refuse_certificate_version, "certificates", Token("issuer"), Json, "The issuer refuses a declared version: the certificate does not cover it",
            body = r#"{"reason":"The login flow changed; it needs testing"}"#),
        route!(POST "/api/v1/certificates/{id}/resign", certificates::resign_certificate, "certificates", Token("issuer, national_authority, registry_operator"), Json, "Confirm again, with a valid key, this organisation's events signed with a key after its compromise"),
        // ---- CRA reporting (issue 12 item 4) ----
        route!(GET "/api/v1/cra-reports", cra::list_cra_reports, "cra", Token("manufacturer, national_authority, registry_operator"), Json, "Cyber Resilience Act reporting obligations with their clocks (early warning 24 h, notification 72 h, final report 14 days after the fix): the holder's own, the supervising authority's certificates', all for the operator", query = &["certificate"]),
        route!(GET "/api/v1/certificates/{id}/cra-reports/{vulnerability}/{report}", cra::get_cra_report, "cra", Token("manufacturer, national_authority, registry_operator"), Json, "One CRA report: the draft pre-filled from the registry, or the submitted report (checked against the digest in its signed event); holder, supervising authority and operator only"),
        route!(PUT "/api/v1/certificates/{id}/cra-reports/{vulnerability}/{report}", cra::put_cra_report, "cra", Token("manufacturer"), Json, "The holder edits the draft of a CRA report (fields left out stay as they are; an empty text clears one)",
            body = r#"{"member_states":["NL","DE"],"nature":"Remote code execution through the web interface","measures_taken":"Fixed in 1.1","user_measures":"Install 1.1","sensitivity":"TLP:AMBER"}"#),
        route!(POST "/api/v1/certificates/{id}/cra-reports/{vulnerability}/{report}/submit", cra::submit_cra_report, "cra", Token("manufacturer"), Json, "The holder submits a CRA report to the supervising authority: a signed, logged event naming the SHA-256 of the report's canonical JSON (422 naming a missing field)"),
        route!(GET "/api/v1/certificates/{id}/cra-reports/{vulnerability}/{report}/export", cra::export_cra_report, "cra", Token("manufacturer, national_authority, registry_operator"), Json, "A CRA report as a JSON document (RFC 8785 canonical JSON; for a submitted report exactly the bytes its event's digest covers)"),
        route!(GET "/api/v1/audit", orgs::list_audit, "audit", Token("registry_operator, national_authority"), Json, "The audit trail of every write", query = &["limit", "before"]),
        route!(GET "/api/v1/complaints", tokens::list_complaints, "complaints", Token("registry_operator, national_authority"), Json, "Complaints routed to the caller (all for the operator)", query = PAGE),
        route!(GET "/api/v1/complaints/{id}", complaints::get_complaint, "complaints", Token("registry_operator, national_authority"), Json, "One complaint: the receiving authority reads it in full, the operator without the complainant's address"),
        route!(POST "/api/v1/complaints/{id}/assign", complaints::assign_complaint, "complaints", Token("national_authority"), Json, "The receiving authority gives the complaint to a named person (again, to hand it over)",
            body = r#"{"assignee":"J. Jansen"}"#),
        route!(POST "/api/v1/complaints/{id}/answer", complaints::answer_complaint, "complaints", Token("national_authority"), Json, "The receiving authority answers the complainant (shown on the complaint's page)",
            body = r#"{"answer":"We asked the maker to change the default password in an update.","lang":"en"}"#),
        route!(POST "/api/v1/complaints/{id}/close", complaints::close_complaint, "complaints", Token("national_authority"), Json, "The receiving authority closes the complaint with an outcome; the complainant's address is erased",
            body = r#"{"outcome":"upheld"}"#),
        route!(GET "/api/v1/complaint-status/{reference}", complaints::get_complaint_status, "complaints", Public, Json, "A complaint's state, dates and answer by its reference (given once when filed); never the complainant's address or text"),
        route!(GET "/api/v1/tokens", tokens::list_tokens, "tokens", Token("registry_operator"), Json, "API tokens (without secrets)"),
        route!(POST "/api/v1/tokens", tokens::create_token, "tokens", Token("registry_operator"), Json, "Create an API token for an organisation; the secret is shown once",
            body = r#"{"org":"acme-devices","name":"ci"}"#),
        route!(DELETE "/api/v1/tokens/{id}", tokens::delete_token, "tokens", Token("registry_operator"), Json, "Revoke an API token"),
        route!(GET "/api/v1/whoami", tokens::get_whoami, "tokens", Token("any"), Json, "The organisation a token acts as"),
        route!(GET "/api/v1/products/{id}/update-record", update_record::get_product_update_record, "update-record", Public, Json, "The maker's update record for the product: days from first match to a covered fix (median, worst) and deadlines met per severity over 24 months, support periods honoured; computed from the verified events (docs/FORMATS.md)"),
        route!(GET "/api/v1/organisations/{id}/update-record", update_record::get_organisation_update_record, "update-record", Public, Json, "The maker's update record over all certificates the organisation holds (as for a product)"),
        route!(GET "/api/v1/certificates/{id}/update-record", update_record::get_certificate_update_record, "update-record", Public, Json, "The update record of the certificate's product (linked from the status answer)"),
    ]
}

/// `?limit=&offset=`: 1 to [`MAX_LIMIT`] per page (50 by default), offset 0 to [`MAX_OFFSET`].
/// A value out of range, not a number or given twice is refused (`400`), never clamped.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PageQuery {
    /// Page size.
    #[serde(default, deserialize_with = "limit_param")]
    pub limit: Option<i64>,
    /// Items to skip.
    #[serde(default, deserialize_with = "offset_param")]
    pub offset: Option<i64>,
}

/// Largest page.
pub const MAX_LIMIT: i64 = 200;

/// Largest offset (far beyond any registry; keeps `offset + limit` from overflowing).
pub const MAX_OFFSET: i64 = 1_000_000_000;

/// Parses an integer query parameter within `min..=max`, naming it when it is not.
pub(crate) fn int_param<'de, D: serde::Deserializer<'de>>(
    d: D,
    name: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(serde::de::Error::custom(format!(
            "`{name}` must be an integer from {min} to {max}, not `{raw}`"
        ))),
    }
}

pub(crate) fn limit_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    int_param(d, "limit", 1, MAX_LIMIT)
}

pub(crate) fn offset_param<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    int_param(d, "offset", 0, MAX_OFFSET)
}

impl PageQuery {
    pub(crate) fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, MAX_LIMIT)
    }
    pub(crate) fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).clamp(0, MAX_OFFSET)
    }
}

/// A page of a list.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Page size asked for.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Offset of the next page, when there may be one.
    pub next_offset: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items (the extra one tells there is more).
    pub(crate) fn new(items: Vec<T>, q: PageQuery) -> Self {
        let more = items.len() as i64 > q.limit();
        Self::with_more(items, q, more)
    }

    /// A page of at most `limit` items, with `more` saying whether there are more after them.
    pub(crate) fn with_more(mut items: Vec<T>, q: PageQuery, more: bool) -> Self {
        let (limit, offset) = (q.limit(), q.offset());
        items.truncate(usize::try_from(limit).unwrap_or(0));
        Self {
            next_offset: more.then_some(offset + limit),
            items,
            limit,
            offset,
        }
    }

    /// Pages an in-memory list.
    pub(crate) fn slice(all: Vec<T>, q: PageQuery) -> Self {
        let items = all
            .into_iter()
            .skip(usize::try_from(q.offset()).unwrap_or(0))
            .take(usize::try_from(q.limit() + 1).unwrap_or(0))
            .collect();
        Self::new(items, q)
    }
}

pub(crate) fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, crate::error::ApiError>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e: T::Err| crate::error::ApiError::bad_request(e.to_string()))
}

//! Vulnerability monitoring over the API (SPEC §6): the holder uploads SBOMs and VEX documents
//! and reads its findings; authorities and the operator mark vulnerabilities actively exploited.
//! Advisory feeds are imported by the operator on the server (`keurmerk advisories import`).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use keurmerk_domain::ids::RecordId;
use keurmerk_service::monitoring::{FindingView, SbomSummary};
use serde::Serialize;

use super::{parse_id, Route};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::json::{ApiPath, Document, NoBody};
use crate::AppState;

/// Largest SBOM or VEX document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// The monitoring routes.
pub fn routes() -> Vec<Route> {
    use super::route;
    use super::Access::Token;
    let large = |r: Route| Route {
        handler: r.handler.layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES)),
        max_body: MAX_DOCUMENT_BYTES,
        ..r
    };
    vec![
        large(
            route!(POST "/api/v1/versions/{id}/sbom", attach_sbom, "monitoring", Token("manufacturer"), Json,
            "Attach the SBOM of a product version (CycloneDX 1.2-1.6 JSON/XML, SPDX 2.3 JSON; up to 16 MiB), matched against the advisories at once; the maker's key signs a record of it (its SHA-256), which is logged, and without which the version does not count as monitored (403 when the maker has no valid key)",
            body = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"openssl","version":"3.0.7","purl":"pkg:generic/openssl@3.0.7"}]}"#),
        ),
        large(
            route!(POST "/api/v1/products/{id}/vex", publish_vex, "monitoring", Token("manufacturer"), Json,
            "Publish VEX statements for a product (OpenVEX, CycloneDX VEX, CSAF VEX); not_affected with a justification closes findings",
            body = r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://maker.example/vex/1","author":"Maker","timestamp":"2026-06-02T10:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2024-0001"},"products":[{"@id":"pkg:generic/maker/cam"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#),
        ),
        route!(GET "/api/v1/products/{id}/findings", list_findings, "monitoring", Token("the holder, its issuers and authorities, registry_operator"), Json,
            "Open vulnerability findings of a product with remediation deadlines and CRA clocks"),
        route!(POST "/api/v1/vulnerabilities/{id}/exploited", mark_exploited, "monitoring", Token("registry_operator, national_authority"), Json,
            "Mark a vulnerability (OSV id or CVE) as actively exploited: CRA clocks start and affected labels say so"),
    ]
}

pub(crate) async fn attach_sbom(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    Document(body): Document,
) -> Result<(StatusCode, Json<SbomSummary>), ApiError> {
    let version: RecordId = parse_id(&id)?;
    let summary = state
        .registry
        .attach_sbom(&actor, &version, "the request body", &body)
        .await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// What publishing VEX did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct VexOut {
    /// Statements stored.
    statements: usize,
}

pub(crate) async fn publish_vex(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    Document(body): Document,
) -> Result<(StatusCode, Json<VexOut>), ApiError> {
    let product: RecordId = parse_id(&id)?;
    let statements = state
        .registry
        .publish_vex(&actor, &product, "the request body", &body)
        .await?;
    Ok((StatusCode::CREATED, Json(VexOut { statements })))
}

pub(crate) async fn list_findings(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<FindingView>>, ApiError> {
    let product: RecordId = parse_id(&id)?;
    Ok(Json(state.registry.findings(&actor, &product).await?))
}

/// What marking did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ExploitedOut {
    /// The vulnerability marked.
    vulnerability: String,
    /// Always true.
    exploited: bool,
}

/// What a vulnerability id in a path looks like (`CVE-2024-3094`, `GHSA-…`, `PYSEC-…`,
/// `RUSTSEC-…`, `GO-…`): the OpenAPI document states the same.
pub const VULNERABILITY_ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$";

pub(crate) fn vulnerability_id(s: &str) -> Result<&str, ApiError> {
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
        && s.len() <= 200;
    if ok {
        Ok(s)
    } else {
        Err(ApiError::bad_request(format!(
            "`{}` is not a vulnerability id (letters, digits, '.', '_', ':' and '-'; at most 200)",
            s.chars().take(64).collect::<String>()
        )))
    }
}

pub(crate) async fn mark_exploited(
    State(state): State<AppState>,
    Authed(actor): Authed,
    ApiPath(id): ApiPath<String>,
    _: NoBody,
) -> Result<Json<ExploitedOut>, ApiError> {
    vulnerability_id(&id)?;
    state.registry.mark_exploited(&actor, &id).await?;
    Ok(Json(ExploitedOut {
        vulnerability: id,
        exploited: true,
    }))
}

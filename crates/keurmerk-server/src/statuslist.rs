//! `GET /api/v1/status-list`: the registry's Token Status List (draft-ietf-oauth-status-list),
//! `application/statuslist+jwt`, exactly as published (the same bytes from every instance).
//!
//! Caching: the `ETag` is strong, the token's SHA-256 (the bytes are the representation);
//! `If-None-Match` naming it answers `304`. `Cache-Control: public, max-age=N` with `N` the
//! list's `ttl` bounded by the time left before its `exp`, so no cache keeps a list past its
//! expiry; `Last-Modified` is its `iat` (informational, `If-Modified-Since` is ignored as for the
//! status, `crate::caching`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use keurmerk_store::PublishedStatusList;

use crate::error::ApiError;
use crate::AppState;

/// `ETag`, `Cache-Control` and `Last-Modified` of a published list at `now`.
pub(crate) struct ListValidators {
    etag: String,
    max_age: i64,
    last_modified: DateTime<Utc>,
}

impl ListValidators {
    pub(crate) fn new(p: &PublishedStatusList, now: DateTime<Utc>) -> Self {
        let ttl = i64::try_from(keurmerk_service::STATUS_LIST_TTL_SECS).unwrap_or(i64::MAX);
        let left = (p.expires_at - now).num_seconds().max(0);
        Self {
            etag: format!("\"{}\"", p.token_sha256),
            max_age: ttl.min(left),
            last_modified: p.issued_at.min(now),
        }
    }

    /// Whether `If-None-Match` names this list (`*` or its tag; weak comparison).
    pub(crate) fn not_modified(&self, headers: &HeaderMap) -> bool {
        let ours = self.etag.as_str();
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == ours)
    }

    pub(crate) fn apply(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={}", self.max_age)) {
            h.insert(header::CACHE_CONTROL, v);
        }
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(self.last_modified.into())) {
            h.insert(header::LAST_MODIFIED, v);
        }
        response
    }
}

pub(crate) async fn get_status_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let published = state.registry.status_list().await?;
    let v = ListValidators::new(&published, state.registry.now());
    if v.not_modified(&headers) {
        return Ok(v.apply(StatusCode::NOT_MODIFIED.into_response()));
    }
    Ok(v.apply(
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(keurmerk_trust::STATUS_LIST_MEDIA_TYPE),
            )],
            published.token,
        )
            .into_response(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::Body;
    use axum::http::Request;
    use chrono::{Duration, TimeZone};
    use http_body_util::BodyExt;
    use keurmerk_service::Registry;
    use keurmerk_store::SqlStore;
    use tower::ServiceExt;

    use super::*;

    async fn app() -> (axum::Router, Registry<SqlStore>, tempfile::TempDir) {
        crate::test_support::demo_app().await
    }

    async fn get(app: &axum::Router, if_none_match: Option<&str>) -> Response {
        let mut req = Request::get("/api/v1/status-list");
        if let Some(t) = if_none_match {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        app.clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_endpoint_serves_the_signed_list_and_answers_conditional_requests() {
        let (app, reg, _dir) = app().await;
        let res = get(&app, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], "application/statuslist+jwt");
        let etag = h[header::ETAG].to_str().unwrap().to_owned();
        let cc = h[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        assert!(cc.starts_with("public, max-age="), "{cc}");
        let max_age: i64 = cc.rsplit('=').next().unwrap().parse().unwrap();
        assert!(max_age > 0 && max_age <= 3600, "{max_age}");
        assert!(h.contains_key(header::LAST_MODIFIED));
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        let token = String::from_utf8(body).unwrap();
        assert_eq!(
            etag,
            format!("\"{}\"", keurmerk_trust::status_list_sha256(&token))
        );
        // It verifies against the published trust list, and lists every demo certificate.
        let list = reg.trust_list(1).await.unwrap();
        let v = keurmerk_trust::verify_status_list_token(
            &token,
            &list,
            Some(&reg.status_list_url().unwrap()),
            Utc::now(),
            keurmerk_trust::MAX_STATUS_LIST_BYTES,
        )
        .unwrap();
        assert!(v.list.len() >= 13, "{}", v.list.len());

        // Held: 304 with the validators and no body.
        let res = get(&app, Some(&etag)).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[header::ETAG].to_str().unwrap(), etag);
        assert!(res.headers().contains_key(header::CACHE_CONTROL));
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty());
        // Another tag: the full answer, the same bytes (a second request builds nothing new).
        let res = get(&app, Some("\"0000\"")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let again = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        assert_eq!(again, token.as_bytes());
    }

    fn published(at: DateTime<Utc>) -> PublishedStatusList {
        PublishedStatusList {
            sequence: 1,
            issued_at: at,
            expires_at: at + Duration::hours(2),
            watermark: 0,
            size: 0,
            content_sha256: String::new(),
            token_sha256: "ab".repeat(32),
            token: "x.y.z".into(),
        }
    }

    #[test]
    fn max_age_is_the_ttl_but_never_past_exp() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let p = published(t);
        assert_eq!(ListValidators::new(&p, t).max_age, 3600);
        assert_eq!(
            ListValidators::new(&p, t + Duration::minutes(90)).max_age,
            1800
        );
        assert_eq!(ListValidators::new(&p, t + Duration::hours(3)).max_age, 0);
    }

    #[test]
    fn only_its_own_tag_or_a_star_matches() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let v = ListValidators::new(&published(t), t);
        let mut h = HeaderMap::new();
        assert!(!v.not_modified(&h));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!v.not_modified(&h));
        let tag = format!("\"x\", W/\"{}\"", "ab".repeat(32));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&tag).unwrap());
        assert!(v.not_modified(&h));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(v.not_modified(&h));
    }
}

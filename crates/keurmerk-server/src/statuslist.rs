//! `GET /api/v1/status-list`: the registry's Token Status List (draft-ietf-oauth-status-list),
//! `application/statuslist+jwt`, exactly as published (the same bytes from every instance).
//!
//! Caching: the `ETag` is strong, the token's SHA-256 (the bytes are the representation);
//! `If-None-Match` naming it answers `304`. `Cache-Control: public, max-age=N` with `N` the
//! list's `ttl` bounded by the time left before its `exp`, so no cache keeps a list past its
//! expiry; `Last-Modified` is its `iat` (informational, `If-Modified-Since` is ignored as for the
//! status, `crate::caching`).
//!
//! Transfer compression: a client that accepts `gzip` gets the same token gzip-compressed
//! (`Content-Encoding: gzip`, `Vary: Accept-Encoding`, its own strong tag `"<sha256>-gzip"`, as a
//! strong validator must change with the content coding). The JWS compact form base64url-encodes
//! a payload that already holds `lst` as base64url, so an incompressible list (labels spread
//! evenly over the four statuses) is 16/9 of its raw bits as a token; gzip takes most of that back
//! (`docs/PERFORMANCE.md`, "Token Status List"). The compressed bytes are made once per published
//! list and process ([`gzipped`]), not per request.

use std::io::Write;
use std::sync::Mutex;

use axum::body::Bytes;
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
    /// The validators of the token as published (`gzip` false) or gzip-compressed.
    pub(crate) fn new(p: &PublishedStatusList, now: DateTime<Utc>, gzip: bool) -> Self {
        let ttl = i64::try_from(keurmerk_service::STATUS_LIST_TTL_SECS).unwrap_or(i64::MAX);
        let left = (p.expires_at - now).num_seconds().max(0);
        let coding = if gzip { "-gzip" } else { "" };
        Self {
            etag: format!("\"{}{coding}\"", p.token_sha256),
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
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        response
    }
}

/// Whether `Accept-Encoding` accepts `gzip` (or `x-gzip`, or `*`) with a non-zero quality. An
/// explicit `gzip;q=0` refuses it even after a `*`.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut star = false;
    let mut gzip = None;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("q")
                    && v.trim().parse::<f32>().map_or(true, |q| q <= 0.0)
            })
        });
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(!q_zero),
            "*" => star = !q_zero,
            _ => {}
        }
    }
    gzip.unwrap_or(star)
}

/// The newest list served gzip-compressed by this process: (token SHA-256, bytes).
static GZIPPED: Mutex<Option<(String, Bytes)>> = Mutex::new(None);

/// `p`'s token gzip-compressed (best compression), made once per published list and process:
/// the same bytes on every request (and from every instance of the same build: no name, no time
/// in the gzip header). Requests that arrive before the first compression ends each compress.
pub(crate) fn gzipped(p: &PublishedStatusList) -> std::io::Result<Bytes> {
    if let Ok(held) = GZIPPED.lock() {
        if let Some((sha, bytes)) = held.as_ref() {
            if *sha == p.token_sha256 {
                return Ok(bytes.clone());
            }
        }
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(p.token.as_bytes())?;
    let bytes = Bytes::from(enc.finish()?);
    if let Ok(mut held) = GZIPPED.lock() {
        *held = Some((p.token_sha256.clone(), bytes.clone()));
    }
    Ok(bytes)
}

pub(crate) async fn get_status_list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let published = state.registry.status_list().await?;
    let gzip = accepts_gzip(&headers);
    let v = ListValidators::new(&published, state.registry.now(), gzip);
    if v.not_modified(&headers) {
        return Ok(v.apply(StatusCode::NOT_MODIFIED.into_response()));
    }
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static(keurmerk_trust::STATUS_LIST_MEDIA_TYPE),
    );
    if gzip {
        // Compression of a few hundred kilobytes is CPU work: off the async workers.
        let compressed = tokio::task::spawn_blocking(move || gzipped(&published))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let body = match compressed {
            Ok(body) => body,
            Err(e) => {
                // Internal details go to the log, never to the client.
                tracing::error!(error = %e, "cannot compress the status list");
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                ));
            }
        };
        return Ok(v.apply(
            (
                [
                    content_type,
                    (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                ],
                body,
            )
                .into_response(),
        ));
    }
    Ok(v.apply(([content_type], published.token).into_response()))
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
        get_with(app, if_none_match, None).await
    }

    async fn get_with(
        app: &axum::Router,
        if_none_match: Option<&str>,
        accept_encoding: Option<&str>,
    ) -> Response {
        let mut req = Request::get("/api/v1/status-list");
        if let Some(t) = if_none_match {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        if let Some(e) = accept_encoding {
            req = req.header(header::ACCEPT_ENCODING, e);
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

    #[tokio::test]
    async fn a_client_accepting_gzip_gets_the_same_token_compressed_under_its_own_tag() {
        use std::io::Read;
        let (app, _reg, _dir) = app().await;
        let plain = get(&app, None).await;
        let plain_tag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(plain.headers()[header::VARY], "Accept-Encoding");
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        let token = plain.into_body().collect().await.unwrap().to_bytes();

        let res = get_with(&app, None, Some("br;q=1.0, gzip;q=0.8")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(h[header::CONTENT_TYPE], "application/statuslist+jwt");
        assert_eq!(h[header::VARY], "Accept-Encoding");
        let gz_tag = h[header::ETAG].to_str().unwrap().to_owned();
        let expected = format!("{}-gzip\"", plain_tag.trim_end_matches('"'));
        assert_eq!(gz_tag, expected);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, token.to_vec(), "the very token, compressed");
        // A second request: the same bytes (made once per list).
        let again = get_with(&app, None, Some("gzip")).await;
        let again = again.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(again, body);

        // Each coding's tag answers 304 only for that coding.
        let res = get_with(&app, Some(&gz_tag), Some("gzip")).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[header::ETAG].to_str().unwrap(), gz_tag);
        let res = get_with(&app, Some(&gz_tag), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
        // Refused gzip: identity.
        let res = get_with(&app, None, Some("gzip;q=0, *")).await;
        assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    }

    #[test]
    fn accept_encoding_is_read_with_its_qualities() {
        let h = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(h("gzip"));
        assert!(h("deflate, GZIP;q=0.5"));
        assert!(h("x-gzip"));
        assert!(h("*"));
        assert!(!h("identity"));
        assert!(!h("gzip;q=0"));
        assert!(!h("gzip; q=0.000"));
        assert!(!h("*, gzip;q=0"));
        assert!(!h("gzip;q=nonsense"));
        assert!(!h("*;q=0"));
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
        assert_eq!(ListValidators::new(&p, t, false).max_age, 3600);
        assert_eq!(
            ListValidators::new(&p, t + Duration::minutes(90), false).max_age,
            1800
        );
        assert_eq!(
            ListValidators::new(&p, t + Duration::hours(3), false).max_age,
            0
        );
    }

    #[test]
    fn only_its_own_tag_or_a_star_matches() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let v = ListValidators::new(&published(t), t, false);
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

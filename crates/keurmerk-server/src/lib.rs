//! The Keurmerk HTTP server. [`router`] builds the whole application so tests can call it
//! in-process; [`serve`] binds it and shuts down gracefully on Ctrl-C / SIGTERM.
//!
//! Handlers are thin: they parse the request, call the service layer, and map the result through
//! [`error::ApiError`], the one place where errors become status codes and the JSON envelope.

pub mod api;
pub mod auth;
mod caching;
pub mod error;
mod feed;
pub mod idempotency;
pub mod json;
pub mod listen;
pub mod openapi;
pub mod ops;
mod pages;
mod status;
mod statuslist;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod test_support;
mod throttle;
mod timefmt;
pub mod trust;
pub mod webhooks;
pub mod wire;

pub use listen::ServeLimits;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use keurmerk_service::Registry;
use keurmerk_store::SqlStore;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The registry.
    pub registry: Arc<Registry<SqlStore>>,
}

/// Largest request body accepted (SBOMs are uploaded elsewhere).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Server settings that are not the registry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// API writes per token (or address) per minute.
    pub writes_per_minute: u32,
    /// Complaints per address per hour.
    pub complaints_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            writes_per_minute: 120,
            complaints_per_hour: 10,
        }
    }
}

/// Every route of the route table: the API, the pages, feeds and operations. The OpenAPI
/// document is generated from this list plus [`openapi::EXTERNAL`] (routes added below by hand,
/// and the transparency log's routes that `keurmerk serve` mounts).
pub fn all_routes() -> Vec<api::Route> {
    let mut r = api::routes();
    r.extend(api::monitoring::routes());
    r.extend(api::watch::routes());
    r.extend(api::images::routes());
    r.extend(pages::routes());
    r
}

/// The content security policy of every answer: no scripts at all, styles from our own file.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The application with default limits.
pub fn router(state: AppState) -> Router {
    router_with(state, Limits::default())
}

/// The application.
pub fn router_with(state: AppState, limits: Limits) -> Router {
    router_serving(state, limits, Router::new())
}

/// [`router_with`] serving `more` routes beside the registry's (`serve` adds the transparency
/// log's), under the same edge: tracing, the API's envelope under `/api/`, the headers every
/// answer carries, `/metrics` counting and the rate limits. A router merged after the edge is
/// built would have none of them.
pub fn router_serving(state: AppState, limits: Limits, more: Router) -> Router {
    let rt = Arc::new(ops::Runtime::new(
        limits.writes_per_minute,
        limits.complaints_per_hour,
    ));
    let mut app = Router::new()
        .route(
            "/api/v1/certificates/{id}/status",
            get(trust::get_certificate_status),
        )
        .route("/api/v1/trust-list", get(trust::get_trust_list))
        .route("/api/v1/status-list", get(statuslist::get_status_list))
        .route("/c/{id}/label.svg", get(trust::get_label_svg))
        .route("/c/{id}/label.png", get(trust::get_label_png))
        .route("/images/{sha256}", get(api::images::get_image));
    // Idempotency keys are for the methods a route has (`route_layer`): another method is
    // answered 405 with `Allow` before any key is looked up, and so is an unknown route.
    let idempotent = axum::middleware::from_fn_with_state(state.clone(), idempotency::middleware);
    for r in all_routes() {
        let guard = listen::ContentLengthGuardLayer::new(r.max_body);
        // Each route of the table has one method. An idempotency key is only ever looked up for
        // a write, so a route that only reads goes without the layer (a layer is a boxed
        // service of its own on every request).
        let handler = if r.method == axum::http::Method::GET {
            r.handler
        } else {
            r.handler.route_layer(idempotent.clone())
        };
        app = app.route(r.path, handler.layer(guard));
    }
    // One `layer` call with the whole stack: `Router::layer` boxes every route's service once
    // per call, and each boxed boundary costs a clone and an allocation per request.
    // Outermost first: tracing, then the envelope (so every rejection under /api/ leaves in
    // it), the headers every answer carries, the body limit, and the metrics and rate limits.
    let edge = tower::ServiceBuilder::new()
        .layer(TraceLayer::new_for_http().on_failure(throttle::log_failed_response))
        .layer(axum::middleware::from_fn(error::envelope_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(rt.clone()))
        .layer(axum::middleware::from_fn_with_state(rt, ops::middleware));
    app.with_state(state)
        .merge(more)
        .fallback(fallback)
        .layer(edge)
}

/// Unknown paths: the JSON envelope under `/api/`, a friendly HTML page everywhere else (a
/// person typed or followed it).
async fn fallback(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return error::ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("no route for {path}"),
        )
        .into_response();
    }
    let q = pages::PageLang {
        lang: uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .map(str::to_owned)
        }),
    };
    let l = pages::lang_of(&q, &headers);
    pages::error_page(l, axum::http::StatusCode::NOT_FOUND, "/")
}

async fn get_openapi() -> axum::Json<serde_json::Value> {
    axum::Json(openapi::document(&all_routes()))
}

/// The pool of `keurmerk serve`'s background work (log sequencer, outbox, scheduler, status
/// list) when it has one of its own (PostgreSQL: [`keurmerk_store::SqlStore::with_own_pool`]),
/// added to the router as an [`Extension`] so `/metrics` shows its connections beside the
/// request pool's.
#[derive(Debug, Clone)]
pub struct BackgroundPool(pub SqlStore);

async fn get_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(rt): Extension<Arc<ops::Runtime>>,
    background: Option<Extension<BackgroundPool>>,
) -> impl IntoResponse {
    let builds = format!(
        "# HELP keurmerk_trust_list_builds_total Trust lists built to verify statements (reads reuse one for up to a second).\n\
         # TYPE keurmerk_trust_list_builds_total counter\n\
         keurmerk_trust_list_builds_total {}\n",
        state.registry.trust_list_builds()
    );
    // Absent where the store keeps no words in memory (PostgreSQL, an in-memory SQLite).
    let words = match keurmerk_store::SearchStore::search_words(state.registry.store()) {
        Some((covered, bytes)) => format!(
            "# HELP keurmerk_search_words_covered Highest search document the words in memory cover (newer ones are searched in the full-text index).\n\
             # TYPE keurmerk_search_words_covered gauge\n\
             keurmerk_search_words_covered {covered}\n\
             # HELP keurmerk_search_words_bytes Bytes of the lists of the search's words in memory.\n\
             # TYPE keurmerk_search_words_bytes gauge\n\
             keurmerk_search_words_bytes {bytes}\n"
        ),
        None => String::new(),
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        rt.metrics.render()
            + &webhooks::render_metrics()
            + &builds
            + &words
            + &pool_metrics(
                state.registry.store(),
                background.as_ref().map(|Extension(BackgroundPool(b))| b),
            ),
    )
}

/// The pools' connections now, in use and idle, and their limits
/// ([`keurmerk_store::SqlStore::pool_use`]): the requests' pool, and the background work's
/// when it has one of its own.
fn pool_metrics(requests: &SqlStore, background: Option<&SqlStore>) -> String {
    let pools: Vec<(&str, keurmerk_store::PoolUse)> = std::iter::once(("requests", requests))
        .chain(background.map(|b| ("background", b)))
        .map(|(name, store)| (name, store.pool_use()))
        .collect();
    let mut out = String::from(
        "# HELP keurmerk_database_connections Connections of a pool open now, by use (pool: requests, or background work on PostgreSQL).\n\
         # TYPE keurmerk_database_connections gauge\n",
    );
    for (pool, u) in &pools {
        let _ = write!(
            out,
            "keurmerk_database_connections{{pool=\"{pool}\",use=\"in_use\"}} {}\n\
             keurmerk_database_connections{{pool=\"{pool}\",use=\"idle\"}} {}\n",
            u.in_use, u.idle
        );
    }
    out.push_str(
        "# HELP keurmerk_database_connections_max Most connections a pool opens (requests on PostgreSQL: serve.database_connections).\n\
         # TYPE keurmerk_database_connections_max gauge\n",
    );
    for (pool, u) in &pools {
        let _ = writeln!(
            out,
            "keurmerk_database_connections_max{{pool=\"{pool}\"}} {}",
            u.max
        );
    }
    out
}

async fn get_healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, error::ApiError> {
    // Healthy means the database answers, and this instance's clock agrees with its clock
    // (where the registry checks that: `serve`), so a balancer stops sending work to an
    // instance that would sign answers from the future or the past.
    state.registry.organisations().await?;
    state.registry.check_clock().await?;
    Ok("ok\n")
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "keurmerk listening");
    serve_app(listener, router(state)).await
}

/// Serves an application on a bound listener (with client addresses, for rate limits) within
/// the default [`ServeLimits`] until Ctrl-C or SIGTERM.
pub async fn serve_app(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    serve_app_with(listener, app, ServeLimits::default()).await
}

/// [`serve_app`] within `limits` (timeouts, connections, shutdown deadline; see [`listen`]).
pub async fn serve_app_with(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServeLimits,
) -> std::io::Result<()> {
    listen::serve_bounded(listener, app, limits, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// Every kind of answer — the QR hot path (plain and signed status), the page, search,
    /// static files, lists, and each kind of refusal — leaves through the whole edge stack in
    /// one `layer` call: the four security headers on every answer, the JSON envelope on every
    /// refusal under `/api/`, a friendly page elsewhere, and a metrics series for each.
    #[tokio::test]
    async fn every_answer_leaves_through_the_edge() {
        let (app, reg, _dir) = crate::test_support::demo_app().await;
        let id = reg
            .certificates(&keurmerk_store::CertificateFilter::default())
            .await
            .unwrap()
            .remove(0)
            .id
            .to_string();
        let cases: Vec<(Request<Body>, StatusCode, bool)> = vec![
            (
                get(&format!("/api/v1/certificates/{id}/status")),
                StatusCode::OK,
                false,
            ),
            (
                get(&format!("/api/v1/certificates/{id}/status?signed=true")),
                StatusCode::OK,
                false,
            ),
            (get(&format!("/c/{id}")), StatusCode::OK, false),
            (get("/api/v1/labels?q=camera"), StatusCode::OK, false),
            (get("/static/style.css"), StatusCode::OK, false),
            (get("/api/v1/status-list"), StatusCode::OK, false),
            (get("/api/v1/trust-list"), StatusCode::OK, false),
            // Refusals: unknown route, unknown certificate, bad id, wrong method, a body
            // announced too large on a read route, a Content-Length that is not a number.
            (get("/api/v1/nothing-here"), StatusCode::NOT_FOUND, true),
            (
                get("/api/v1/certificates/KM-1999-000001/status"),
                StatusCode::NOT_FOUND,
                true,
            ),
            (
                get("/api/v1/certificates/not-an-id/status"),
                StatusCode::BAD_REQUEST,
                true,
            ),
            (
                Request::delete("/api/v1/labels")
                    .body(Body::empty())
                    .unwrap(),
                StatusCode::METHOD_NOT_ALLOWED,
                true,
            ),
            (
                Request::get("/api/v1/labels")
                    .header("content-length", "999999999")
                    .body(Body::empty())
                    .unwrap(),
                StatusCode::PAYLOAD_TOO_LARGE,
                true,
            ),
            (
                Request::get("/api/v1/labels")
                    .header("content-length", "many")
                    .body(Body::empty())
                    .unwrap(),
                StatusCode::BAD_REQUEST,
                true,
            ),
            (get("/no/such/page"), StatusCode::NOT_FOUND, false),
        ];
        for (req, want, envelope) in cases {
            let what = format!("{} {}", req.method(), req.uri());
            let res = app.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), want, "{what}");
            let h = res.headers().clone();
            assert_eq!(h["x-frame-options"], "DENY", "{what}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
            assert_eq!(
                h["referrer-policy"], "strict-origin-when-cross-origin",
                "{what}"
            );
            assert_eq!(h["content-security-policy"], super::CSP, "{what}");
            let body = res.into_body().collect().await.unwrap().to_bytes();
            if envelope {
                assert_eq!(h["content-type"], "application/json", "{what}");
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert!(v["error"]["code"].is_string(), "{what}: {v}");
                assert!(v["error"]["message"].is_string(), "{what}: {v}");
            }
        }
        let metrics = app.clone().oneshot(get("/metrics")).await.unwrap();
        let text = metrics.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(text.to_vec()).unwrap();
        for series in [
            "route=\"/api/v1/certificates/{id}/status\",status=\"200\"} 2",
            "route=\"/api/v1/certificates/{id}/status\",status=\"404\"} 1",
            "route=\"/api/v1/labels\",status=\"413\"} 1",
            "route=\"/c/{id}\",status=\"200\"} 1",
            "route=\"unmatched\",status=\"404\"} 2",
            "keurmerk_trust_list_builds_total ",
        ] {
            assert!(text.contains(series), "{series} in\n{text}");
        }
    }

    fn get(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).unwrap()
    }
}

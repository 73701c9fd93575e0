//! Operations: Prometheus metrics (hand-rolled, see docs/adr/0006-metrics.md), rate limits,
//! security headers, and the short-lived status cache of the QR hot path.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::status::StatusReport;

use crate::error::ApiError;

/// Latency buckets in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// One route's series, by method ([`method_label`]) and status.
type RouteSeries = HashMap<(&'static str, u16), Series>;

/// The method as a metrics label: the methods of RFC 9110 and PATCH by name, any other `OTHER`,
/// so that clients sending made-up methods cannot grow the series without bound.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// Request counters and latency histograms per (method, route, status): by route, then by
/// method and status, so that counting a request allocates only for a series never seen before.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<HashMap<String, RouteSeries>>,
}

impl Metrics {
    fn observe(&self, method: &Method, route: &str, status: StatusCode, secs: f64) {
        let mut m = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let by_route = match m.get_mut(route) {
            Some(r) => r,
            None => m.entry(route.to_owned()).or_default(),
        };
        let s = by_route
            .entry((method_label(method), status.as_u16()))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let m = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mut rows: Vec<((&str, &str, u16), &Series)> = m
            .iter()
            .flat_map(|(route, r)| {
                r.iter()
                    .map(move |((method, status), s)| ((*method, route.as_str(), *status), s))
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::new();
        out.push_str("# HELP keurmerk_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE keurmerk_http_requests_total counter\n");
        for (k, s) in &rows {
            let _ = writeln!(
                out,
                "keurmerk_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                k.0, k.1, k.2, s.count
            );
        }
        out.push_str("# HELP keurmerk_http_request_duration_seconds Time to answer.\n");
        out.push_str("# TYPE keurmerk_http_request_duration_seconds histogram\n");
        for (k, s) in &rows {
            let labels = format!("method=\"{}\",route=\"{}\",status=\"{}\"", k.0, k.1, k.2);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "keurmerk_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "keurmerk_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "keurmerk_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "keurmerk_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

/// A token bucket per key (API token id or client address).
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `capacity` requests at once, refilled at `per_minute`.
    pub fn new(capacity: u32, per_minute: u32) -> Self {
        Self {
            capacity: f64::from(capacity.max(1)),
            per_sec: f64::from(per_minute.max(1)) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket; `false` when it is empty.
    pub fn check(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if b.len() > 100_000 {
            // Forget full buckets so the table cannot grow without bound.
            let (cap, rate) = (self.capacity, self.per_sec);
            b.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < cap);
        }
        let e = b.entry(key.to_owned()).or_insert((self.capacity, now));
        e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * self.per_sec).min(self.capacity);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// How long a cached status may be served. Status depends on time (expiry, deadlines) and on
/// writes by other instances, so entries expire quickly; local writes clear the cache at once.
pub const STATUS_TTL: Duration = Duration::from_secs(1);

/// Process-wide state of the server that is not the registry.
#[derive(Debug)]
pub struct Runtime {
    /// Request metrics.
    pub metrics: Metrics,
    /// Writes per API token / address.
    pub writes: RateLimiter,
    /// Complaints per address.
    pub complaints: RateLimiter,
    /// New watch-lists per address (anyone may create one): the complaints' hourly budget, up
    /// to 10 at once.
    pub new_watchlists: RateLimiter,
    /// Key of the complaint form's CSRF tokens.
    pub form_key: FormKey,
}

/// The key that signs the complaint form's tokens. Every instance on one database uses the same
/// one (a form served by one instance is accepted by another, and after a restart): it is stored
/// in the database by whichever instance needs it first, and read once per process. `Debug`
/// never shows it, and it is never logged.
#[derive(Default)]
pub struct FormKey {
    key: std::sync::OnceLock<String>,
    /// One reading at a time; while the database is out of reach, those waiting take the
    /// failure of the reading they waited for instead of each waiting for the pool in turn.
    turns: keurmerk_service::turn::BuildTurns,
}

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(<redacted>)")
    }
}

impl FormKey {
    /// The shared key, from the database (created there, from 32 random bytes, if absent).
    pub(crate) async fn get(
        &self,
        registry: &keurmerk_service::Registry<keurmerk_store::SqlStore>,
    ) -> Result<&[u8], keurmerk_service::ServiceError> {
        if let Some(key) = self.key.get() {
            return Ok(key.as_bytes());
        }
        let mut turn = self.turns.take().await?;
        if let Some(key) = self.key.get() {
            return Ok(key.as_bytes());
        }
        let mut candidate = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut candidate);
        let read = registry.complaint_form_key(&hex::encode(candidate)).await;
        turn.ended(&read);
        let key = read?;
        Ok(self.key.get_or_init(|| key).as_bytes())
    }
}

impl Runtime {
    /// A runtime with the given limits; the form key is read from the database on first use.
    pub fn new(writes_per_minute: u32, complaints_per_hour: u32) -> Self {
        Self {
            metrics: Metrics::default(),
            writes: RateLimiter::new(writes_per_minute, writes_per_minute),
            complaints: RateLimiter::new(
                complaints_per_hour.clamp(1, 5),
                complaints_per_hour.div_ceil(60).max(1),
            ),
            new_watchlists: RateLimiter::new(
                complaints_per_hour.clamp(1, 10),
                complaints_per_hour.div_ceil(60).max(1),
            ),
            form_key: FormKey::default(),
        }
    }
}

/// The status cache: per registry (by address) and certificate. Process-wide because the status
/// handler's signature is shared with the trust endpoints.
type StatusKey = (usize, CertificateId);
type StatusCache = Mutex<HashMap<StatusKey, (Instant, Arc<StatusReport>)>>;

fn status_cache() -> &'static StatusCache {
    static CACHE: std::sync::OnceLock<StatusCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A cached status, if fresh.
pub(crate) fn cached_status(key: &StatusKey) -> Option<Arc<StatusReport>> {
    let c = status_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    c.get(key)
        .filter(|(at, _)| at.elapsed() < STATUS_TTL)
        .map(|(_, r)| r.clone())
}

/// Statuses cached at most (about 15 MB): enough for the labels scanned in a peak second on one
/// product, not a copy of the read model (a uniformly random lookup never hits it).
const STATUS_CACHE_MAX: usize = 10_000;

/// How many times the status cache was cleared after a write.
static STATUS_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The status cache's epoch, read before a status is computed and handed to [`cache_status`].
pub(crate) fn status_epoch() -> u64 {
    STATUS_EPOCH.load(std::sync::atomic::Ordering::Acquire)
}

/// Caches a status computed after [`status_epoch`] gave `epoch`, unless a write cleared the
/// cache since: that status may have been read before the write committed, and caching it
/// after the clearing would serve the old status for another [`STATUS_TTL`].
pub(crate) fn cache_status(key: StatusKey, r: Arc<StatusReport>, epoch: u64) {
    let mut c = status_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if STATUS_EPOCH.load(std::sync::atomic::Ordering::Acquire) != epoch {
        return;
    }
    if c.len() >= STATUS_CACHE_MAX {
        c.retain(|_, (at, _)| at.elapsed() < STATUS_TTL);
        // Still mostly fresh (lookups of many labels at once: the cache is not helping): start
        // over, so the sweep runs at most once per `STATUS_CACHE_MAX / 2` inserts.
        if c.len() >= STATUS_CACHE_MAX / 2 {
            c.clear();
        }
    }
    c.insert(key, (Instant::now(), r));
}

/// Forgets every cached status (after a write), and every status being computed meanwhile
/// (see [`cache_status`]).
pub(crate) fn invalidate_statuses() {
    let mut c = status_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    STATUS_EPOCH.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    c.clear();
}

pub(crate) fn client_key(req: &Request) -> String {
    if let Some(h) = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // The token id only: the secret never becomes a map key or a log line.
        if let Some(id) = h
            .strip_prefix("Bearer kmt_")
            .and_then(|r| r.rsplit_once('_'))
            .map(|(id, _)| id)
        {
            return format!("token:{id}");
        }
        if let Some(id) = h
            .strip_prefix("Bearer kmw_")
            .and_then(|r| r.rsplit_once('_'))
            .map(|(id, _)| id)
        {
            return format!("watch:{id}");
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| format!("ip:{}", c.0.ip()))
        .unwrap_or_else(|| "ip:unknown".into())
}

/// Who is calling, for rate limits: `token:<id>`, `watch:<id>` or `ip:<address>` (never a
/// secret). Set on every write request by the middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(pub String);

/// Counts and times every request, rate-limits writes, and clears the status cache after a
/// successful write.
pub(crate) async fn middleware(
    State(rt): State<Arc<Runtime>>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let api_write = write && route.starts_with("/api/");
    // Only writes are rate-limited, so only they pay for working out who the client is (the
    // status lookups of QR scans do not).
    let limited = if write {
        let client = client_key(&req);
        let limited = api_write && !rt.writes.check(&client);
        req.extensions_mut().insert(ClientKey(client));
        limited
    } else {
        false
    };
    let res = if limited {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many writes; slow down and retry in a minute",
        )
        .into_response();
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        r
    } else {
        next.run(req).await
    };
    if write && res.status().is_success() {
        invalidate_statuses();
    }
    rt.metrics
        .observe(&method, route, res.status(), start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A valid status of `certificate`, to cache.
    fn valid_report(certificate: &str) -> StatusReport {
        serde_json::from_value(serde_json::json!({
            "certificate": certificate, "status": "valid", "reasons": [],
            "evaluated_at": "2026-12-01T00:00:00Z", "state": "active",
            "issuer_kind": "third_party", "valid_until": "2028-01-01", "support_until": null,
            "latest_security_update": null, "open_vulnerabilities": {}, "dependencies": [],
            "last_event_at": "2026-12-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn the_status_cache_stays_bounded_under_many_labels() {
        let report = valid_report("KM-2026-000001");
        let report = Arc::new(report);
        // A registry address no real registry has (the cache is shared by the crate's tests).
        for n in 0..3 * STATUS_CACHE_MAX {
            let id: CertificateId = format!("KM-2026-{n:06}").parse().unwrap();
            cache_status((usize::MAX, id), report.clone(), status_epoch());
            assert!(status_cache().lock().unwrap().len() <= STATUS_CACHE_MAX + 64);
        }
        let last: CertificateId = format!("KM-2026-{:06}", 3 * STATUS_CACHE_MAX - 1)
            .parse()
            .unwrap();
        assert!(cached_status(&(usize::MAX, last)).is_some());
    }

    /// A status computed while a write cleared the cache (read, perhaps, before the write
    /// committed) is not cached after the clearing.
    #[test]
    fn a_status_computed_across_a_write_is_not_cached() {
        let report = valid_report("KM-2026-999999");
        let key = (usize::MAX - 1, report.certificate.clone());
        let before_the_write = status_epoch();
        invalidate_statuses();
        cache_status(key.clone(), Arc::new(report), before_the_write);
        assert!(cached_status(&key).is_none());
    }

    #[test]
    fn buckets_empty_and_are_per_key() {
        let l = RateLimiter::new(2, 1);
        assert!(l.check("a"));
        assert!(l.check("a"));
        assert!(!l.check("a"));
        assert!(l.check("b"));
    }

    #[test]
    fn metrics_render_prometheus_text() {
        let m = Metrics::default();
        m.observe(&Method::GET, "/healthz", StatusCode::OK, 0.002);
        let t = m.render();
        assert!(t.contains(
            "keurmerk_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(t.contains("le=\"0.0025\"} 1"));
        assert!(t.contains("le=\"0.001\"} 0"));
    }

    #[test]
    fn metrics_keep_one_series_per_method_route_and_status_in_order() {
        let m = Metrics::default();
        let s = "/api/v1/certificates/{id}/status";
        m.observe(&Method::POST, "/api/v1/products", StatusCode::CREATED, 0.01);
        m.observe(&Method::GET, s, StatusCode::OK, 0.001);
        m.observe(&Method::GET, s, StatusCode::NOT_FOUND, 0.001);
        m.observe(&Method::GET, s, StatusCode::OK, 0.003);
        m.observe(&Method::HEAD, s, StatusCode::OK, 0.001);
        m.observe(&Method::GET, "unmatched", StatusCode::NOT_FOUND, 0.001);
        // Made-up methods share one label (a client cannot add series at will).
        for made_up in ["FOO", "BAR", "PROPFIND"] {
            let made_up = Method::from_bytes(made_up.as_bytes()).unwrap();
            m.observe(&made_up, "unmatched", StatusCode::NOT_FOUND, 0.001);
        }
        let t = m.render();
        let totals: Vec<&str> = t
            .lines()
            .filter(|l| l.starts_with("keurmerk_http_requests_total{"))
            .collect();
        // Sorted by method, then route, then status; each request counted in its own series.
        assert_eq!(
            totals,
            [
                "keurmerk_http_requests_total{method=\"GET\",route=\"/api/v1/certificates/{id}/status\",status=\"200\"} 2",
                "keurmerk_http_requests_total{method=\"GET\",route=\"/api/v1/certificates/{id}/status\",status=\"404\"} 1",
                "keurmerk_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
                "keurmerk_http_requests_total{method=\"HEAD\",route=\"/api/v1/certificates/{id}/status\",status=\"200\"} 1",
                "keurmerk_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"404\"} 3",
                "keurmerk_http_requests_total{method=\"POST\",route=\"/api/v1/products\",status=\"201\"} 1",
            ]
        );
        assert!(t.contains(
            "keurmerk_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/certificates/{id}/status\",status=\"200\"} 0.004"
        ));
    }
}

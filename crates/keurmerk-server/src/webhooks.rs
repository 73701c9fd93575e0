//! The webhook delivery worker: posts every queued delivery to its watch-list's webhook, signed
//! with `Keurmerk-Signature` (HMAC-SHA256, see `keurmerk_domain::watch`), and retries failures
//! with exponential backoff until the round's attempts are used up. Each attempt is logged.
//!
//! Several server instances may run workers on one database: a delivery is claimed (leased)
//! before it is sent, so each attempt is made by one worker. A worker that dies mid-attempt
//! leaves the lease to expire, and the delivery is attempted again ("at least once": receivers
//! de-duplicate by the `Keurmerk-Delivery` header).
//!
//! Targets are resolved here and must be public addresses unless the operator allows private
//! ones ([`WebhookConfig::allow_private_targets`]); the connection is pinned to the checked
//! address so a second DNS answer cannot redirect it, and redirects are not followed.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keurmerk_domain::watch::{
    check_webhook_url, is_public_address, sign, DeliveryState, RetryPolicy,
};
use keurmerk_service::WebhookRequest;
use rand::Rng;

use crate::AppState;

/// Settings of the delivery worker.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Whether this instance delivers at all.
    pub enabled: bool,
    /// Attempts and backoff.
    pub retry: RetryPolicy,
    /// Time allowed for one attempt (connect, send, answer).
    pub timeout: Duration,
    /// Allow targets on loopback and private networks (tests, closed deployments).
    pub allow_private_targets: bool,
    /// How often to look for due deliveries.
    pub poll_interval: Duration,
    /// Deliveries attempted at once.
    pub concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            allow_private_targets: false,
            poll_interval: Duration::from_secs(1),
            concurrency: 8,
        }
    }
}

/// The `User-Agent` of deliveries.
pub const USER_AGENT: &str = concat!("keurmerk-webhooks/", env!("CARGO_PKG_VERSION"));

/// Attempts by outcome, for `/metrics`: delivered, retried later, failed for good.
static OUTCOMES: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// The worker's counters in the Prometheus text format (appended to `/metrics`).
pub fn render_metrics() -> String {
    let mut out = String::from(
        "# HELP keurmerk_webhook_attempts_total Webhook delivery attempts by outcome.\n\
         # TYPE keurmerk_webhook_attempts_total counter\n",
    );
    for (i, outcome) in ["delivered", "retry", "failed"].iter().enumerate() {
        let _ = writeln!(
            out,
            "keurmerk_webhook_attempts_total{{outcome=\"{outcome}\"}} {}",
            OUTCOMES[i].load(Ordering::Relaxed)
        );
    }
    out
}

/// Resolves the target and picks an address it may be sent to.
async fn resolve(url: &str, allow_private: bool) -> Result<(String, SocketAddr), String> {
    let target = check_webhook_url(url).map_err(|e| e.to_string())?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{} has no address", target.host));
    }
    if !allow_private {
        if let Some(a) = addrs.iter().find(|a| !is_public_address(a.ip())) {
            return Err(format!(
                "{} resolves to {}, which is not a public address (private targets are not allowed)",
                target.host,
                a.ip()
            ));
        }
    }
    Ok((target.host, addrs[0]))
}

/// Sends one request; the HTTP status if the receiver answered, or what went wrong.
async fn send(req: &WebhookRequest, cfg: &WebhookConfig) -> (Option<u16>, Option<String>) {
    let (host, addr) = match resolve(&req.url, cfg.allow_private_targets).await {
        Ok(x) => x,
        Err(e) => return (None, Some(e)),
    };
    let client = match reqwest::Client::builder()
        .resolve(&host, addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .user_agent(USER_AGENT)
        .build()
    {
        Ok(c) => c,
        Err(e) => return (None, Some(format!("cannot build the HTTP client: {e}"))),
    };
    let now = chrono::Utc::now().timestamp();
    let signature = sign(&req.secret, now, req.body.as_bytes());
    let sent = client
        .post(&req.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(keurmerk_domain::watch::SIGNATURE_HEADER, signature)
        .header("Keurmerk-Delivery", req.delivery.id.to_string())
        .header("Keurmerk-Event", req.event.as_str())
        .header("Keurmerk-Watchlist", req.delivery.watchlist.to_string())
        .body(req.body.clone())
        .send()
        .await;
    match sent {
        Ok(r) => (Some(r.status().as_u16()), None),
        Err(e) if e.is_timeout() => (None, Some(format!("no answer within {:?}", cfg.timeout))),
        Err(e) if e.is_connect() => (None, Some(format!("cannot connect to {addr}: {e}"))),
        Err(e) => (None, Some(format!("request failed: {e}"))),
    }
}

/// One pass: claims and attempts up to `limit` due deliveries. Returns how many were attempted.
pub async fn deliver_due(state: &AppState, cfg: &WebhookConfig, limit: i64) -> usize {
    let due = match state.registry.due_webhooks(limit).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read due webhook deliveries");
            return 0;
        }
    };
    let mut attempted = 0;
    for chunk in due.chunks(cfg.concurrency.max(1)) {
        let mut set = tokio::task::JoinSet::new();
        for d in chunk {
            let (state, cfg, d) = (state.clone(), cfg.clone(), d.clone());
            set.spawn(async move { attempt(&state, &cfg, &d).await });
        }
        while let Some(r) = set.join_next().await {
            attempted += usize::from(matches!(r, Ok(true)));
        }
    }
    attempted
}

/// Claims and attempts one delivery; `false` if another worker had it.
async fn attempt(state: &AppState, cfg: &WebhookConfig, d: &keurmerk_store::Delivery) -> bool {
    // The lease outlives the attempt (resolve + connect + answer) with room to record it.
    let lease = cfg.timeout * 3 + Duration::from_secs(30);
    let req = match state.registry.claim_webhook(d, lease).await {
        Ok(Some(r)) => r,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(delivery = d.id, error = %e, "cannot prepare a webhook delivery");
            return false;
        }
    };
    let start = Instant::now();
    let (status, error) = send(&req, cfg).await;
    let took = start.elapsed();
    let jitter: f64 = rand::thread_rng().gen();
    match state
        .registry
        .record_webhook_attempt(
            &req.delivery,
            status,
            error.clone(),
            took,
            &cfg.retry,
            jitter,
        )
        .await
    {
        Ok(outcome) => {
            let i = match outcome {
                DeliveryState::Delivered => 0,
                DeliveryState::Pending => 1,
                DeliveryState::Failed => 2,
            };
            OUTCOMES[i].fetch_add(1, Ordering::Relaxed);
            tracing::info!(delivery = d.id, watchlist = %d.watchlist, status, error = error.as_deref(),
                outcome = %outcome, attempt = d.attempts + 1, "webhook attempt");
        }
        Err(e) => {
            tracing::warn!(delivery = d.id, error = %e, "cannot record a webhook attempt");
        }
    }
    true
}

/// Runs the worker until the task is aborted.
pub fn spawn(state: AppState, cfg: WebhookConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !cfg.enabled {
            return;
        }
        let mut tick = tokio::time::interval(cfg.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Drain: keep going while full batches come back.
            while deliver_due(&state, &cfg, 64).await >= 64 {}
        }
    })
}

//! The webhook delivery worker: posts every queued delivery to its watch-list's webhook, signed
//! with `Keurmerk-Signature` (HMAC-SHA256, see `keurmerk_domain::watch`), and retries failures
//! with exponential backoff until the round's attempts are used up. Each attempt is logged.
//!
//! Several server instances may run workers on one database: a delivery is claimed (leased)
//! before it is sent, so each attempt is made by one worker. A worker that dies mid-attempt
//! leaves the lease to expire, and the delivery is attempted again ("at least once": receivers
//! de-duplicate by the `Keurmerk-Delivery` header).
//!
//! Before any event, a new webhook must pass the confirmation handshake: [`verify_due`] posts a
//! signed challenge (`Keurmerk-Event: webhook.verify`) and the webhook is confirmed when the
//! answer echoes it; deliveries of unconfirmed webhooks stay queued and are not claimed.
//!
//! Every request (handshake or delivery) resolves its target again with
//! `keurmerk_service::resolve_webhook_target`, the rule registration applied: public addresses
//! only unless the operator allows private ones ([`WebhookConfig::allow_private_targets`]), since
//! DNS may answer otherwise now. The connection is pinned to the checked address so a second DNS
//! answer cannot redirect it, and redirects are not followed.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keurmerk_domain::watch::{
    check_echo, sign, DeliveryState, RetryPolicy, MAX_ECHO_LEN, VERIFY_EVENT,
};
use keurmerk_service::{resolve_webhook_target, VerifyRequest, WebhookRequest, WebhookTargets};
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

/// What came back from one request: the HTTP status and (for the handshake) the start of the
/// body, or what went wrong.
struct Answer {
    status: Option<u16>,
    body: Vec<u8>,
    error: Option<String>,
}

impl Answer {
    fn failed(error: String) -> Self {
        Self {
            status: None,
            body: Vec::new(),
            error: Some(error),
        }
    }
}

/// Posts a signed body to a webhook target: resolved under the address rule, pinned to the
/// checked address, no redirects. Reads up to `read_body` bytes of the answer.
async fn post(
    url: &str,
    secret: &str,
    body: &str,
    headers: &[(&str, String)],
    cfg: &WebhookConfig,
    read_body: usize,
) -> Answer {
    let targets = WebhookTargets {
        allow_private: cfg.allow_private_targets,
        resolve_timeout: cfg.timeout,
    };
    let target = match resolve_webhook_target(url, &targets).await {
        Ok(t) => t,
        Err(e) => return Answer::failed(e.to_string()),
    };
    let client = match reqwest::Client::builder()
        .resolve(&target.host, target.addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .user_agent(USER_AGENT)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Answer::failed(format!("cannot build the HTTP client: {e}")),
    };
    let now = chrono::Utc::now().timestamp();
    let mut req = client
        .post(&target.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            keurmerk_domain::watch::SIGNATURE_HEADER,
            sign(secret, now, body.as_bytes()),
        );
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let addr = target.addr;
    match req.body(body.to_owned()).send().await {
        Ok(mut r) => {
            let status = Some(r.status().as_u16());
            let mut got = Vec::new();
            while got.len() < read_body {
                match r.chunk().await {
                    Ok(Some(c)) => got.extend_from_slice(&c),
                    Ok(None) => break,
                    Err(e) => {
                        return Answer {
                            status,
                            body: got,
                            error: Some(format!("cannot read the answer: {e}")),
                        }
                    }
                }
            }
            Answer {
                status,
                body: got,
                error: None,
            }
        }
        Err(e) if e.is_timeout() => Answer::failed(format!("no answer within {:?}", cfg.timeout)),
        Err(e) if e.is_connect() => Answer::failed(format!("cannot connect to {addr}: {e}")),
        Err(e) => Answer::failed(format!("request failed: {e}")),
    }
}

/// Sends one delivery; the HTTP status if the receiver answered, or what went wrong.
async fn send(req: &WebhookRequest, cfg: &WebhookConfig) -> (Option<u16>, Option<String>) {
    let headers = [
        ("Keurmerk-Delivery", req.delivery.id.to_string()),
        ("Keurmerk-Event", req.event.clone()),
        ("Keurmerk-Watchlist", req.delivery.watchlist.to_string()),
    ];
    let a = post(&req.url, &req.secret, &req.body, &headers, cfg, 0).await;
    (a.status, a.error)
}

/// Sends one handshake request; `Ok` when the answer is a 2xx echoing the challenge.
async fn send_challenge(req: &VerifyRequest, cfg: &WebhookConfig) -> Result<(), String> {
    let headers = [
        ("Keurmerk-Event", VERIFY_EVENT.to_owned()),
        ("Keurmerk-Watchlist", req.watchlist.to_string()),
    ];
    // One byte more than an echo may have, so an overlong answer is seen as such.
    let a = post(
        &req.url,
        &req.secret,
        &req.body,
        &headers,
        cfg,
        MAX_ECHO_LEN + 1,
    )
    .await;
    if let Some(e) = a.error {
        return Err(e);
    }
    match a.status {
        Some(s) if (200..300).contains(&s) => {
            check_echo(&req.challenge, &a.body).map_err(|e| e.to_string())
        }
        Some(s) => Err(format!("the receiver answered HTTP {s}")),
        None => Err("no answer".into()),
    }
}

/// One handshake pass: claims and attempts up to `limit` due handshakes. Returns how many were
/// attempted.
pub async fn verify_due(state: &AppState, cfg: &WebhookConfig, limit: i64) -> usize {
    let due = match state.registry.due_webhook_verifications(limit).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read due webhook handshakes");
            return 0;
        }
    };
    let mut attempted = 0;
    for chunk in due.chunks(cfg.concurrency.max(1)) {
        let mut set = tokio::task::JoinSet::new();
        for v in chunk {
            let (state, cfg, v) = (state.clone(), cfg.clone(), v.clone());
            set.spawn(async move { verify_one(&state, &cfg, &v).await });
        }
        while let Some(r) = set.join_next().await {
            attempted += usize::from(matches!(r, Ok(true)));
        }
    }
    attempted
}

/// Claims and attempts one handshake; `false` if another worker had it.
async fn verify_one(
    state: &AppState,
    cfg: &WebhookConfig,
    v: &keurmerk_store::WebhookVerification,
) -> bool {
    let lease = cfg.timeout * 3 + Duration::from_secs(30);
    let mut challenge = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut challenge);
    let req = match state
        .registry
        .claim_webhook_verification(v, lease, hex::encode(challenge))
        .await
    {
        Ok(Some(r)) => r,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(watchlist = %v.watchlist, error = %e, "cannot prepare a webhook handshake");
            return false;
        }
    };
    let result = send_challenge(&req, cfg).await;
    let jitter: f64 = rand::thread_rng().gen();
    if let Err(e) = state
        .registry
        .record_webhook_verification(&req, result, &cfg.retry, jitter)
        .await
    {
        tracing::warn!(watchlist = %v.watchlist, error = %e, "cannot record a webhook handshake");
    }
    true
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
            // Handshakes first, so a webhook confirmed now gets its held deliveries in this pass.
            while verify_due(&state, &cfg, 64).await >= 64 {}
            // Drain: keep going while full batches come back.
            while deliver_due(&state, &cfg, 64).await >= 64 {}
        }
    })
}

//! Webhook targets and the confirmation handshake (issue 14 item 4).
//!
//! - [`resolve_webhook_target`] resolves a target's host (with a timeout) and applies the one
//!   address rule of `keurmerk_domain::watch::pick_address`. Registration
//!   ([`Registry::create_watchlist`], [`Registry::set_webhook`]) and every request of the
//!   delivery worker (handshake and deliveries) go through it, so they cannot diverge.
//! - The handshake: a new webhook is `pending`; the worker posts a signed challenge
//!   ([`Registry::claim_webhook_verification`]) and records whether the target echoed it
//!   ([`Registry::record_webhook_verification`]). Events are sent only once it is `confirmed`;
//!   until then its deliveries are held in the queue.

use std::net::SocketAddr;
use std::time::Duration;

use keurmerk_domain::ids::RecordId;
use keurmerk_domain::watch::{
    check_webhook_url, pick_address, verify_body, RetryPolicy, WebhookError, WebhookState,
};
use keurmerk_store::{RegistryStore, VerificationOutcome, WatchStore, WebhookVerification};

use crate::{Registry, ServiceError, ServiceResult, WatchGrant};

/// Which webhook targets the registry accepts, at registration and at delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookTargets {
    /// Accept targets on loopback, private, link-local and other non-public addresses (the
    /// `webhooks.allow_private_targets` setting: tests and closed deployments).
    pub allow_private: bool,
    /// How long a host name may take to resolve.
    pub resolve_timeout: Duration,
}

impl Default for WebhookTargets {
    /// Public addresses only; names must resolve within 5 s.
    fn default() -> Self {
        Self {
            allow_private: false,
            resolve_timeout: Duration::from_secs(5),
        }
    }
}

/// A webhook target that passed the URL check and the address rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// The URL (normalised).
    pub url: String,
    /// The host to name in the request (TLS, `Host`).
    pub host: String,
    /// The checked address to connect to (pin it: a second lookup could answer otherwise).
    pub addr: SocketAddr,
}

/// Checks a webhook URL, resolves its host within `targets.resolve_timeout` and applies the
/// address rule. Fails closed: a name that does not resolve (or not in time) is refused.
pub async fn resolve_webhook_target(
    url: &str,
    targets: &WebhookTargets,
) -> Result<ResolvedTarget, WebhookError> {
    let t = check_webhook_url(url)?;
    let unresolvable = |reason: String| WebhookError::Unresolvable {
        host: t.host.clone(),
        reason,
    };
    let lookup = tokio::net::lookup_host((t.host.as_str(), t.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(targets.resolve_timeout, lookup).await {
        Err(_) => {
            return Err(unresolvable(format!(
                "no answer within {} s",
                targets.resolve_timeout.as_secs_f64()
            )))
        }
        Ok(Err(e)) => return Err(unresolvable(e.to_string())),
        Ok(Ok(a)) => a.collect(),
    };
    let addr = pick_address(&t.host, &addrs, targets.allow_private)?;
    Ok(ResolvedTarget {
        url: t.url,
        host: t.host,
        addr,
    })
}

/// A handshake request about to be sent.
#[derive(Clone)]
pub struct VerifyRequest {
    /// The watch-list.
    pub watchlist: RecordId,
    /// Where to post.
    pub url: String,
    /// The HMAC secret (the webhook's, as for deliveries).
    pub secret: String,
    /// The exact body, with the challenge.
    pub body: String,
    /// The challenge the answer must echo.
    pub challenge: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("watchlist", &self.watchlist)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<S: RegistryStore + WatchStore> Registry<S> {
    /// Which webhook targets this registry accepts.
    pub fn webhook_targets(&self) -> &WebhookTargets {
        &self.webhook_targets
    }

    /// The handshake state of the watch-list's webhook (`None` without a webhook).
    pub async fn webhook_status(
        &self,
        g: &WatchGrant,
    ) -> ServiceResult<Option<WebhookVerification>> {
        Ok(self.store().webhook_verification(g.id()).await?)
    }

    /// Starts the handshake again, due at once: after fixing a receiver whose handshake failed,
    /// or to check a confirmed one again (its deliveries are held until it answers).
    pub async fn reverify_webhook(&self, g: &WatchGrant) -> ServiceResult<WebhookVerification> {
        let audit = self.watch_audit(g, "watchlist.reverify_webhook", serde_json::json!({}));
        if !self.store().reverify_webhook(g.id(), &audit).await? {
            return Err(ServiceError::Conflict(format!(
                "{} has no webhook to verify",
                g.id()
            )));
        }
        tracing::info!(watchlist = %g.id(), "webhook re-verification asked for");
        self.store()
            .webhook_verification(g.id())
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("{} has no webhook", g.id())))
    }

    /// Pending webhooks whose handshake is due now.
    pub async fn due_webhook_verifications(
        &self,
        limit: i64,
    ) -> ServiceResult<Vec<WebhookVerification>> {
        Ok(self.store().due_verifications(self.now(), limit).await?)
    }

    /// Claims a due handshake for `lease` and prepares its request with `challenge` (which the
    /// caller draws at random); `None` if another worker claimed it first or the webhook changed.
    pub async fn claim_webhook_verification(
        &self,
        v: &WebhookVerification,
        lease: Duration,
        challenge: String,
    ) -> ServiceResult<Option<VerifyRequest>> {
        let lease_until = self.now()
            + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::minutes(5));
        if !self
            .store()
            .claim_verification(&v.watchlist, v.next_attempt_at, lease_until, &challenge)
            .await?
        {
            return Ok(None);
        }
        let Some((url, secret)) = self
            .store()
            .watchlist(&v.watchlist)
            .await?
            .and_then(|w| w.webhook_url.zip(w.webhook_secret))
        else {
            return Ok(None);
        };
        Ok(Some(VerifyRequest {
            body: verify_body(v.watchlist.as_str(), &challenge),
            watchlist: v.watchlist.clone(),
            url,
            secret,
            challenge,
            attempts: v.attempts,
        }))
    }

    /// Records a handshake attempt: confirmed when the target echoed the challenge (`Ok`),
    /// else retried after the policy's backoff, or `failed` when the attempts are used up.
    /// `None` when the webhook was changed meanwhile (nothing recorded: the new one is verified
    /// on its own).
    pub async fn record_webhook_verification(
        &self,
        req: &VerifyRequest,
        result: Result<(), String>,
        policy: &RetryPolicy,
        jitter: f64,
    ) -> ServiceResult<Option<WebhookState>> {
        let now = self.now();
        let attempts = req.attempts + 1;
        let outcome = match result {
            Ok(()) => VerificationOutcome {
                state: WebhookState::Confirmed,
                attempts,
                next_attempt_at: None,
                confirmed_at: Some(now),
                error: None,
            },
            Err(error) => {
                let failures = u32::try_from(attempts).unwrap_or(u32::MAX);
                let next = policy.next_wait(failures, jitter).map(|wait| {
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
                });
                VerificationOutcome {
                    state: if next.is_some() {
                        WebhookState::Pending
                    } else {
                        WebhookState::Failed
                    },
                    attempts,
                    next_attempt_at: next,
                    confirmed_at: None,
                    error: Some(error),
                }
            }
        };
        let recorded = self
            .store()
            .record_verification(&req.watchlist, &req.challenge, &outcome)
            .await?;
        if !recorded {
            return Ok(None);
        }
        tracing::info!(watchlist = %req.watchlist, state = %outcome.state, attempt = attempts,
            error = outcome.error.as_deref(), "webhook handshake");
        Ok(Some(outcome.state))
    }
}

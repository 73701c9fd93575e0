//! Watch-lists for those who must follow status (NIS operators, retailers, researchers; SPEC §2,
//! §9): anyone may create one, follow certificates, products and organisations, read its feed,
//! and have every status change posted to a webhook signed with HMAC, with retries and a log of
//! every attempt.
//!
//! A watch-list is managed with its own key (only its SHA-256 is stored), so following status
//! needs no account: [`Registry::watch_grant`] checks a presented key and every operation on a
//! watch-list takes the resulting [`WatchGrant`], so no operation can reach another watch-list.
//! As with API tokens, callers generate secrets and pass only what must be stored.
//!
//! A webhook target is checked when it is set: its host must resolve, and to public addresses
//! only unless the operator allows private targets (`crate::webhook_confirm`, the same rule the
//! delivery worker applies before every request). It then gets events only once it has echoed
//! the handshake's challenge.

use std::time::Duration;

use keurmerk_domain::event::Event;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::watch::{DeliveryState, RetryPolicy, WatchKind, WebhookState};
use keurmerk_store::{
    Attempt, AttemptOutcome, Audit, Credential, Delivery, RegistryStore, WatchItem, WatchStore,
    Watchlist,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::is_sha256_hex;
use crate::error::{invalid, not_found};
use crate::orgs::check_text;
use crate::{Registry, ServiceError, ServiceResult};

/// Most items one watch-list may hold.
pub const MAX_WATCH_ITEMS: usize = 500;
/// Shortest webhook secret accepted (characters).
pub const MIN_WEBHOOK_SECRET_LEN: usize = 32;

/// Proof that the caller presented a watch-list's key; only [`Registry::watch_grant`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchGrant {
    id: RecordId,
}

impl WatchGrant {
    /// The watch-list this grant is for.
    pub fn id(&self) -> &RecordId {
        &self.id
    }
}

/// What is about to be sent for a delivery.
#[derive(Clone)]
pub struct WebhookRequest {
    /// The delivery.
    pub delivery: Delivery,
    /// Where to post.
    pub url: String,
    /// The HMAC secret.
    pub secret: String,
    /// The exact body (the same bytes on every retry).
    pub body: String,
    /// The event kind, for the `Keurmerk-Event` header.
    pub event: String,
}

impl std::fmt::Debug for WebhookRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("delivery", &self.delivery.id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("event", &self.event)
            .finish_non_exhaustive()
    }
}

/// A delivery with its attempts: one line of the delivery log.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryLog {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<Attempt>,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl<S: RegistryStore + WatchStore> Registry<S> {
    /// Checks a webhook's URL and secret, and resolves its target under the address rule (the
    /// one deliveries follow), so a target the registry would never call is refused now.
    async fn check_webhook(
        &self,
        url: Option<&str>,
        secret: Option<&str>,
    ) -> ServiceResult<Option<String>> {
        match (url, secret) {
            (None, _) => Ok(None),
            (Some(u), Some(s)) => {
                if s.chars().count() < MIN_WEBHOOK_SECRET_LEN {
                    return Err(invalid(
                        "webhook_secret",
                        format!("must be at least {MIN_WEBHOOK_SECRET_LEN} characters"),
                    ));
                }
                let target = crate::resolve_webhook_target(u, self.webhook_targets())
                    .await
                    .map_err(|e| invalid("webhook_url", e.to_string()))?;
                Ok(Some(target.url))
            }
            (Some(_), None) => Err(invalid(
                "webhook_secret",
                "a webhook needs a secret to sign its deliveries",
            )),
        }
    }

    /// The audit record of a change made with a watch-list's management key (no organisation).
    pub(crate) fn watch_audit(
        &self,
        g: &WatchGrant,
        action: &str,
        detail: serde_json::Value,
    ) -> Audit {
        Audit {
            at: self.now(),
            actor: None,
            credential: Credential::WatchKey(g.id.clone()),
            action: action.into(),
            subject: g.id.to_string(),
            detail,
        }
    }

    /// Creates a watch-list. `key_sha256` is the SHA-256 of the management key the caller
    /// generated and hands out once; `webhook_secret` signs deliveries and is required with a
    /// `webhook_url`. The creator gets the grant to fill it.
    pub async fn create_watchlist(
        &self,
        name: &str,
        webhook_url: Option<&str>,
        key_sha256: String,
        webhook_secret: Option<String>,
    ) -> ServiceResult<(Watchlist, WatchGrant)> {
        check_text("name", name, 100)?;
        if !is_sha256_hex(&key_sha256) {
            return Err(invalid("key_sha256", "must be 64 lowercase hex digits"));
        }
        let url = self
            .check_webhook(webhook_url, webhook_secret.as_deref())
            .await?;
        let n = self.store().next_sequence("WL").await?;
        let w = Watchlist {
            id: RecordId::from_sequence("WL", n),
            name: name.trim().to_owned(),
            key_sha256,
            webhook_secret: url.as_ref().and(webhook_secret),
            webhook_url: url,
            created_at: self.now(),
        };
        // Anyone may create one: no organisation, the public's credential. Never the key or
        // the secret in the trail.
        let audit = Audit {
            at: w.created_at,
            actor: None,
            credential: Credential::Public,
            action: "watchlist.create".into(),
            subject: w.id.to_string(),
            detail: serde_json::json!({"webhook_url": w.webhook_url}),
        };
        self.store().insert_watchlist(&w, &audit).await?;
        tracing::info!(watchlist = %w.id, webhook = w.webhook_url.is_some(), "watch-list created");
        let grant = WatchGrant { id: w.id.clone() };
        Ok((w, grant))
    }

    /// Checks a presented management key (constant time). An unknown watch-list and a wrong key
    /// are the same answer, so keys cannot be probed per watch-list.
    pub async fn watch_grant(&self, id: &RecordId, key: &str) -> ServiceResult<WatchGrant> {
        let denied =
            || ServiceError::Unauthenticated("the watch-list key is unknown or wrong".into());
        let Some(w) = self.store().watchlist(id).await? else {
            return Err(denied());
        };
        let presented = sha256_hex(key);
        let same: bool = presented.as_bytes().ct_eq(w.key_sha256.as_bytes()).into();
        if !same {
            tracing::info!(watchlist = %id, "rejected watch-list key");
            return Err(denied());
        }
        Ok(WatchGrant { id: w.id })
    }

    /// Requires that `grant` is for the watch-list named in the request.
    pub fn grant_for<'g>(
        &self,
        grant: &'g WatchGrant,
        id: &RecordId,
    ) -> ServiceResult<&'g WatchGrant> {
        if &grant.id == id {
            Ok(grant)
        } else {
            Err(ServiceError::Forbidden(format!(
                "this key manages {}, not {id}",
                grant.id
            )))
        }
    }

    /// The watch-list and its items.
    pub async fn watchlist(&self, g: &WatchGrant) -> ServiceResult<(Watchlist, Vec<WatchItem>)> {
        let w = self
            .store()
            .watchlist(&g.id)
            .await?
            .ok_or_else(|| not_found("watch-list", &g.id))?;
        let items = self.store().watch_items(&g.id).await?;
        Ok((w, items))
    }

    /// Follows a certificate, product or organisation (which must exist). Returns `false` if it
    /// was followed already.
    pub async fn watch(
        &self,
        g: &WatchGrant,
        kind: WatchKind,
        target: &str,
    ) -> ServiceResult<bool> {
        let target = target.trim();
        let bad = |e: keurmerk_domain::IdError| invalid("target", e.to_string());
        // The canonical form of the id is stored, so it compares equal to the certificate rows.
        let (exists, target) = match kind {
            WatchKind::Certificate => {
                let id: CertificateId = target.parse().map_err(bad)?;
                (
                    self.store().certificate(&id).await?.is_some(),
                    id.to_string(),
                )
            }
            WatchKind::Product => {
                let id: RecordId = target.parse().map_err(bad)?;
                (self.store().product(&id).await?.is_some(), id.to_string())
            }
            WatchKind::Organisation => {
                let id: OrgId = target.parse().map_err(bad)?;
                (self.store().org(&id).await?.is_some(), id.to_string())
            }
        };
        if !exists {
            return Err(not_found(
                match kind {
                    WatchKind::Certificate => "certificate",
                    WatchKind::Product => "product",
                    WatchKind::Organisation => "organisation",
                },
                &target,
            ));
        }
        let items = self.store().watch_items(&g.id).await?;
        if items.iter().any(|i| i.kind == kind && i.target == target) {
            return Ok(false);
        }
        if items.len() >= MAX_WATCH_ITEMS {
            return Err(invalid(
                "items",
                format!("a watch-list follows at most {MAX_WATCH_ITEMS} items"),
            ));
        }
        let item = WatchItem {
            kind,
            target,
            added_at: self.now(),
        };
        let audit = self.watch_audit(
            g,
            "watchlist.watch",
            serde_json::json!({"kind": kind.as_str(), "target": item.target}),
        );
        Ok(self.store().add_watch_item(&g.id, &item, &audit).await?)
    }

    /// Stops following something.
    pub async fn unwatch(
        &self,
        g: &WatchGrant,
        kind: WatchKind,
        target: &str,
    ) -> ServiceResult<()> {
        let audit = self.watch_audit(
            g,
            "watchlist.unwatch",
            serde_json::json!({"kind": kind.as_str(), "target": target}),
        );
        if self
            .store()
            .remove_watch_item(&g.id, kind, target, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(not_found("watch item", format!("{kind}/{target}")))
        }
    }

    /// Sets, replaces (with a new secret) or removes the webhook. Pending deliveries go to the
    /// new URL, signed with the new secret, once it has been confirmed by the handshake.
    pub async fn set_webhook(
        &self,
        g: &WatchGrant,
        url: Option<&str>,
        secret: Option<String>,
    ) -> ServiceResult<()> {
        let url = self.check_webhook(url, secret.as_deref()).await?;
        let secret = url.as_ref().and(secret);
        let audit = self.watch_audit(
            g,
            "watchlist.set_webhook",
            serde_json::json!({"webhook_url": url}),
        );
        Ok(self
            .store()
            .set_webhook(&g.id, url.as_deref(), secret.as_deref(), &audit)
            .await?)
    }

    /// Deletes the watch-list with its items and delivery log.
    pub async fn delete_watchlist(&self, g: WatchGrant) -> ServiceResult<()> {
        let audit = self.watch_audit(&g, "watchlist.delete", serde_json::json!({}));
        self.store().delete_watchlist(&g.id, &audit).await?;
        tracing::info!(watchlist = %g.id, "watch-list deleted");
        Ok(())
    }

    /// The delivery log, newest first.
    pub async fn deliveries(
        &self,
        g: &WatchGrant,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<Delivery>> {
        Ok(self.store().deliveries(&g.id, limit, offset).await?)
    }

    async fn own_delivery(&self, g: &WatchGrant, id: i64) -> ServiceResult<Delivery> {
        match self.store().delivery(id).await? {
            // Another watch-list's delivery is "not found": its existence is not ours to know.
            Some(d) if d.watchlist == g.id => Ok(d),
            _ => Err(not_found("delivery", id)),
        }
    }

    /// One delivery with every attempt.
    pub async fn delivery_log(&self, g: &WatchGrant, id: i64) -> ServiceResult<DeliveryLog> {
        let delivery = self.own_delivery(g, id).await?;
        let attempt_log = self.store().attempts(id).await?;
        Ok(DeliveryLog {
            delivery,
            attempt_log,
        })
    }

    /// Sends a delivered or failed delivery again (a new round of attempts, due now).
    pub async fn redeliver(&self, g: &WatchGrant, id: i64) -> ServiceResult<Delivery> {
        self.own_delivery(g, id).await?;
        let audit = self.watch_audit(
            g,
            "watchlist.redeliver",
            serde_json::json!({"delivery": id}),
        );
        if !self.store().redeliver(id, self.now(), &audit).await? {
            return Err(ServiceError::Conflict(format!(
                "delivery {id} is still pending"
            )));
        }
        self.own_delivery(g, id).await
    }

    /// The newest events of the certificates the watch-list follows, newest first, as their
    /// signed records prove them.
    pub async fn watch_events(
        &self,
        g: &WatchGrant,
        limit: usize,
    ) -> ServiceResult<crate::ProvenEvents> {
        let certs = self.store().watched_certificates(&g.id).await?;
        self.proven_events_of(&certs, limit).await
    }

    // --- the delivery worker's side ---------------------------------------------------------

    /// Pending deliveries that are due now, oldest first (held ones of unconfirmed webhooks
    /// excluded).
    pub async fn due_webhooks(&self, limit: i64) -> ServiceResult<Vec<Delivery>> {
        Ok(self.store().due_deliveries(self.now(), limit).await?)
    }

    /// Claims a due delivery for `lease` (so no other server instance sends it meanwhile) and
    /// prepares its request; `None` if another worker claimed it first. A watch-list whose
    /// webhook was removed fails the delivery.
    pub async fn claim_webhook(
        &self,
        d: &Delivery,
        lease: Duration,
    ) -> ServiceResult<Option<WebhookRequest>> {
        let Some(due) = d.next_attempt_at else {
            return Ok(None);
        };
        let lease_until = self.now()
            + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::minutes(5));
        if !self.store().claim_delivery(d.id, due, lease_until).await? {
            return Ok(None);
        }
        // The store claims only deliveries of confirmed webhooks; one changed since (a new URL
        // being verified) is left to its lease and sent once the new target is confirmed.
        let confirmed = self
            .store()
            .webhook_verification(&d.watchlist)
            .await?
            .is_some_and(|v| v.state == WebhookState::Confirmed);
        let w = self.store().watchlist(&d.watchlist).await?;
        if w.as_ref().is_some_and(|w| w.webhook_url.is_some()) && !confirmed {
            return Ok(None);
        }
        let (url, secret) = match w.and_then(|w| w.webhook_url.zip(w.webhook_secret)) {
            Some(pair) => pair,
            None => {
                self.store()
                    .record_attempt(
                        d.id,
                        &AttemptOutcome {
                            attempt: Attempt {
                                attempt: d.attempts + 1,
                                at: self.now(),
                                status: None,
                                error: Some("the watch-list has no webhook any more".into()),
                                duration_ms: 0,
                            },
                            state: DeliveryState::Failed,
                            next_attempt_at: None,
                        },
                    )
                    .await?;
                return Ok(None);
            }
        };
        let event = self
            .store()
            .events_after(d.event_seq - 1, 1)
            .await?
            .into_iter()
            .next()
            .filter(|e| e.seq == d.event_seq)
            .ok_or_else(|| not_found("event", d.event_seq))?;
        let body = match &d.payload {
            Some(p) => p.clone(),
            None => {
                let body = self.webhook_payload(d, &event).await?;
                self.store().fix_payload(d.id, &body).await?
            }
        };
        let mut delivery = d.clone();
        delivery.next_attempt_at = Some(lease_until);
        Ok(Some(WebhookRequest {
            delivery,
            url,
            secret,
            body,
            event: event.kind.name().to_owned(),
        }))
    }

    /// The JSON body of a delivery: the event and the certificate's status when first sent.
    async fn webhook_payload(&self, d: &Delivery, event: &Event) -> ServiceResult<String> {
        let details = self.certificate_details(&d.certificate).await?;
        let base = self
            .signer()
            .map(|s| s.base_url().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let body = json!({
            "type": "certificate.event",
            "delivery": d.id,
            "watchlist": d.watchlist,
            "event": {
                "seq": event.seq,
                "kind": event.kind.name(),
                "at": event.at,
                "actor": event.actor,
                "details": event.kind,
            },
            "certificate": {
                "id": details.certificate.id,
                "url": format!("{base}/c/{}", details.certificate.id),
                "product": {
                    "id": details.product.id,
                    "name": details.product.name,
                    "model": details.product.model,
                },
                "holder": details.certificate.holder,
                "scheme": details.certificate.scheme,
                "level": details.certificate.level,
                "state": details.view.state,
                "status": details.status.status,
                "reasons": details.status.reasons,
            },
        });
        serde_json::to_string(&body).map_err(|e| invalid("payload", e.to_string()))
    }

    /// Records the outcome of an attempt: delivered on a 2xx answer; otherwise retried after the
    /// policy's backoff, or failed when the round is used up. `jitter` is drawn by the caller in
    /// `0.0..1.0`.
    pub async fn record_webhook_attempt(
        &self,
        d: &Delivery,
        status: Option<u16>,
        error: Option<String>,
        took: Duration,
        policy: &RetryPolicy,
        jitter: f64,
    ) -> ServiceResult<DeliveryState> {
        let now = self.now();
        let attempt = d.attempts + 1;
        let ok = status.is_some_and(|s| (200..300).contains(&s)) && error.is_none();
        let failures = u32::try_from(attempt - d.round_start).unwrap_or(u32::MAX);
        let (state, next) = if ok {
            (DeliveryState::Delivered, None)
        } else {
            match policy.next_wait(failures, jitter) {
                Some(wait) => (
                    DeliveryState::Pending,
                    Some(
                        now + chrono::Duration::from_std(wait)
                            .unwrap_or(chrono::Duration::hours(1)),
                    ),
                ),
                None => (DeliveryState::Failed, None),
            }
        };
        let error = error.or_else(|| {
            status
                .filter(|_| !ok)
                .map(|s| format!("the receiver answered HTTP {s}"))
        });
        self.store()
            .record_attempt(
                d.id,
                &AttemptOutcome {
                    attempt: Attempt {
                        attempt,
                        at: now,
                        status: status.map(i64::from),
                        error,
                        duration_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
                    },
                    state,
                    next_attempt_at: next,
                },
            )
            .await?;
        Ok(state)
    }
}

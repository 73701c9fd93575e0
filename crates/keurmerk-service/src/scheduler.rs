//! The policy scheduler (issue 12 item 1): acts on time for the scheme policies. What is due is
//! decided by the pure [`keurmerk_domain::schedule`]; this module records each due action as a
//! signed, logged event through the normal write path ([`Registry::write_event`]: fold, check
//! the transition table, sign, append with optimistic concurrency, log queue, webhooks and
//! follow-up work in the same transaction), attributed to the registry operator organisation
//! with the credential `system:scheduler` and the role [`ActorRole::Scheduler`].
//!
//! - **One active scheduler.** A pass runs only while its instance holds the `policy` lease
//!   (table `scheduler_leases`, migration 0012); the holder renews it every pass, another
//!   instance takes over once it ran out. Even two passes at once record each action once: every
//!   action is re-decided on the freshly folded certificate inside the append's optimistic
//!   concurrency loop, so the loser of a race finds nothing left to do.
//! - **Idempotent.** An action is due only while the certificate is in the state the rule acts
//!   on; a second pass at the same time records nothing.
//! - **Catch-up.** A pass records everything due up to now, each action carrying its rule and
//!   the time it became due; the event's own time is when it was recorded.
//! - **Cheap when nothing is due.** Each certificate keeps its next due time (`next_due`,
//!   cleared by every append and authorisation change); a pass reads only the certificates whose
//!   time has come or is unknown.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use keurmerk_domain::event::{fold, EventKind};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, SchemeId};
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_domain::model::{AuthorisationEnd, IssuerKind, OrgRole};
use keurmerk_domain::schedule::{self, Context, Rule};
use keurmerk_store::RegistryStore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::not_found;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// The lease every scheduler instance competes for.
pub const SCHEDULER_LEASE: &str = "policy";

/// One action a pass recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledAction {
    /// The certificate.
    pub certificate: CertificateId,
    /// The event's sequence number.
    pub seq: i64,
    /// The event type (`expired`, `withdrawn`, …).
    pub event: String,
    /// The rule that caused it.
    pub rule: Rule,
    /// When it became due (its effective time).
    pub due_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassReport {
    /// `false` when another instance holds the scheduler lease (then nothing was looked at).
    pub ran: bool,
    /// Certificates whose due time had come or was unknown.
    pub examined: usize,
    /// The actions recorded, in order.
    pub recorded: Vec<ScheduledAction>,
    /// Certificates it could not act on, and why (they stay due for the next pass).
    pub failed: Vec<(CertificateId, String)>,
}

/// What will happen to a certificate if nobody acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Forecast {
    /// The certificate.
    pub certificate: CertificateId,
    /// When the forecast was made.
    pub at: DateTime<Utc>,
    /// The last day it looks at.
    pub until: NaiveDate,
    /// Its state now.
    pub state: State,
    /// What happens, in order.
    pub actions: Vec<ForecastItem>,
}

/// One forecast action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ForecastItem {
    /// The rule.
    pub rule: Rule,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Already due but not yet recorded (the next scheduler pass records it).
    pub overdue: bool,
    /// The event that will record it.
    pub event: EventKind,
}

/// A fingerprint of every scheme's policy: the stored due times hold only for the policies they
/// were computed with.
pub(crate) fn policy_fingerprint(catalogue: &keurmerk_domain::scheme::Catalogue) -> String {
    let mut h = Sha256::new();
    h.update(schedule::RULES_VERSION.as_bytes());
    h.update([0]);
    for s in catalogue.iter() {
        h.update(s.id.as_str().as_bytes());
        h.update(serde_json::to_vec(&s.policy).unwrap_or_default());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// The scheduler value naming the policies the stored due times were computed with.
const POLICY_KEY: &str = "policy";

type AuthorisationEnds = BTreeMap<(OrgId, SchemeId, LevelId), Option<IssuerEnd>>;

/// When and how an issuer's authorisation ends or ended.
type IssuerEnd = (DateTime<Utc>, AuthorisationEnd);

impl<S: RegistryStore> Registry<S> {
    /// One scheduler pass, if this instance (`holder`) holds or can take the scheduler lease; the
    /// lease is kept until `now + lease`. `keurmerk serve` runs it at start and on an interval.
    pub async fn scheduler_pass(&self, holder: &str, lease: Duration) -> ServiceResult<PassReport> {
        // A clock that is wrong acts at the wrong time, and would take the lease from the
        // instances whose clock is right (`Registry::with_clock_check`).
        self.check_clock().await?;
        let now = self.now();
        let until = now
            + chrono::Duration::from_std(lease)
                .map_err(|_| crate::error::invalid("lease", "too long"))?;
        if !self
            .store()
            .take_lease(SCHEDULER_LEASE, holder, now, until)
            .await?
        {
            return Ok(PassReport::default());
        }
        self.run_due(now).await
    }

    /// Records that every stored due time was computed under this catalogue's policies, when no
    /// fingerprint is stored yet. For a seeder that has just written the due time of each
    /// certificate it made (`demo --scale`): without it, the first pass of `serve` clears and
    /// recomputes every due time, a walk of the whole registry (measured: still walking 1,000,000
    /// certificates after 13 minutes at 800 MB). A stored fingerprint is left alone: due times
    /// from other policies are then recomputed as always.
    pub(crate) async fn adopt_due_times(&self) -> ServiceResult<()> {
        if self.store().scheduler_value(POLICY_KEY).await?.is_none() {
            self.store()
                .set_scheduler_value(POLICY_KEY, &policy_fingerprint(self.catalogue()))
                .await?;
        }
        Ok(())
    }

    /// Gives the scheduler lease up (on shutdown), so another instance takes over at once.
    pub async fn release_scheduler(&self, holder: &str) -> ServiceResult<()> {
        Ok(self.store().release_lease(SCHEDULER_LEASE, holder).await?)
    }

    async fn scheduler_actor(&self) -> ServiceResult<Actor> {
        let operator = self
            .store()
            .orgs()
            .await?
            .into_iter()
            .find(|o| o.role == OrgRole::RegistryOperator)
            .ok_or_else(|| {
                ServiceError::Forbidden(
                    "there is no registry operator organisation for the scheduler to act as".into(),
                )
            })?;
        Ok(Actor::system(operator.id, "scheduler"))
    }

    /// Records everything due at `now` (see the module documentation).
    async fn run_due(&self, now: DateTime<Utc>) -> ServiceResult<PassReport> {
        let actor = self.scheduler_actor().await?;
        let fingerprint = policy_fingerprint(self.catalogue());
        if self.store().scheduler_value(POLICY_KEY).await?.as_deref() != Some(&fingerprint) {
            let cleared = self.store().clear_next_due().await?;
            tracing::info!(
                cleared,
                "scheme policies changed: every due time is computed again"
            );
            self.store()
                .set_scheduler_value(POLICY_KEY, &fingerprint)
                .await?;
        }
        let mut report = PassReport {
            ran: true,
            ..PassReport::default()
        };
        let mut revocations = AuthorisationEnds::new();
        for id in self.store().due_certificates(now).await? {
            report.examined += 1;
            // One certificate that cannot be acted on (say, a history that does not fold) must
            // not hold up the others: nothing is written for it, it stays due, and it is named.
            if let Err(e) = self
                .act_on(&id, &actor, now, &mut revocations, &mut report.recorded)
                .await
            {
                tracing::warn!(certificate = %id, error = %e, "scheduler cannot act on a certificate");
                report.failed.push((id, e.to_string()));
            }
        }
        Ok(report)
    }

    /// When and how the issuer's authorisation for the scheme level ends or ended (revoked or
    /// lapsed), if it does.
    async fn authorisation_end(
        &self,
        cache: &mut AuthorisationEnds,
        issuer: &OrgId,
        scheme: &SchemeId,
        level: &LevelId,
    ) -> ServiceResult<Option<IssuerEnd>> {
        let key = (issuer.clone(), scheme.clone(), level.clone());
        if let Some(known) = cache.get(&key) {
            return Ok(*known);
        }
        let end = self
            .store()
            .authorisations(issuer)
            .await?
            .into_iter()
            .find(|a| &a.scheme == scheme && &a.level == level)
            .and_then(|a| a.end());
        cache.insert(key, end);
        Ok(end)
    }

    async fn context_facts(
        &self,
        id: &CertificateId,
        cache: &mut AuthorisationEnds,
    ) -> ServiceResult<(keurmerk_domain::scheme::StatusPolicy, Option<IssuerEnd>)> {
        let (cert, _) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        let policy = self
            .catalogue()
            .get(&cert.scheme)
            .ok_or_else(|| {
                crate::error::invalid("scheme", format!("unknown scheme `{}`", cert.scheme))
            })?
            .policy
            .clone();
        let end = if cert.issuer_kind == IssuerKind::ThirdParty {
            self.authorisation_end(cache, &cert.issuer, &cert.scheme, &cert.level)
                .await?
        } else {
            None
        };
        Ok((policy, end))
    }

    /// Records every action due on one certificate, then stores its next due time.
    async fn act_on(
        &self,
        id: &CertificateId,
        actor: &Actor,
        now: DateTime<Utc>,
        cache: &mut AuthorisationEnds,
        recorded: &mut Vec<ScheduledAction>,
    ) -> ServiceResult<()> {
        let (policy, issuer_authorisation_end) = self.context_facts(id, cache).await?;
        let ctx = Context {
            policy: &policy,
            issuer_authorisation_end,
        };
        for _ in 0..schedule::MAX_ACTIONS {
            let mut rule = None;
            let written = self
                .write_event(
                    id,
                    actor,
                    ActorRole::Scheduler,
                    "certificate.scheduled",
                    |view| {
                        let next = schedule::next_action(view, &ctx).filter(|a| a.due_at <= now);
                        rule = next.as_ref().map(|a| a.rule);
                        Ok(next.map(|a| a.kind))
                    },
                )
                .await?;
            let Some(written) = written else { break };
            if written.state_changed {
                self.complete_follow_ups_of(id).await;
            }
            let events = self.store().events(id).await?;
            if let Some(e) = events.iter().find(|e| e.seq == written.appended.seq) {
                let s = e.kind.scheduled().copied();
                recorded.push(ScheduledAction {
                    certificate: id.clone(),
                    seq: e.seq,
                    event: e.kind.name().to_owned(),
                    rule: s.map_or(rule.unwrap_or(Rule::Expiry), |s| s.rule),
                    due_at: s.map_or(e.at, |s| s.due_at),
                    recorded_at: e.at,
                });
                tracing::info!(certificate = %id, event = e.kind.name(),
                    rule = ?s.map(|s| s.rule), "scheduler recorded an event");
            }
        }
        // The next due time, from what is stored now (unless someone appended meanwhile: then
        // the append cleared it and the next pass computes it).
        let (_, last_seq) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        let view = fold(&self.store().events(id).await?)?;
        let next = schedule::next_due(&view, &ctx);
        self.store().set_next_due(id, next, last_seq).await?;
        Ok(())
    }

    /// What will happen to a certificate up to `until` (default: the day after its validity) if
    /// nobody acts, by the scheme's policy. Writes nothing; public like the certificate itself.
    pub async fn forecast(
        &self,
        id: &CertificateId,
        until: Option<NaiveDate>,
    ) -> ServiceResult<Forecast> {
        let mut cache = AuthorisationEnds::new();
        let (policy, issuer_authorisation_end) = self.context_facts(id, &mut cache).await?;
        let view = fold(&self.store().events(id).await?)?;
        let until =
            until.unwrap_or_else(|| view.valid_until.succ_opt().unwrap_or(view.valid_until));
        let now = self.now();
        let ctx = Context {
            policy: &policy,
            issuer_authorisation_end,
        };
        Ok(Forecast {
            certificate: id.clone(),
            at: now,
            until,
            state: view.state,
            actions: schedule::forecast(&view, &ctx, until)
                .into_iter()
                .map(|a| ForecastItem {
                    rule: a.rule,
                    due_at: a.due_at,
                    overdue: a.due_at <= now,
                    event: a.kind,
                })
                .collect(),
        })
    }
}

//! Completing the follow-up work that writes record in the outbox (`keurmerk_store::outbox`).
//!
//! Right after a write commits, the service completes the work it recorded
//! ([`Registry::complete_follow_ups_of`]); `keurmerk serve` runs
//! [`Registry::complete_follow_ups`] in the background on every instance, so work left by a
//! crash (or by a CLI write whose drain failed) is completed later. Completing an item is
//! idempotent: a dependent whose view already has the provider's current state gets no event,
//! so doing an item twice (a lease that ran out, a crash before the item was deleted) never
//! appends two events.
//!
//! The product writes (a security-update version, the support period, a dependency) store the
//! live certificates' events as follow-up work with the product record
//! ([`Registry::complete_product_follow_up`]); completing it skips a certificate whose view
//! already shows the change, so it too never appends two events for one change.

use std::time::Duration;

use keurmerk_domain::event::EventKind;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_domain::model::Certificate;
use keurmerk_store::{CertificateFilter, FollowUp, OutboxItem, RegistryStore};

use crate::products::covered;

use crate::{Actor, Registry, ServiceError, ServiceResult};

/// How long a claimed item is reserved for the worker that claimed it. Short, because an item
/// claimed by a process that was killed waits this long before another worker takes it; a worker
/// slower than this is harmless (see [`Registry::tell_dependents`]).
pub const FOLLOW_UP_LEASE: Duration = Duration::from_secs(10);

/// How many items one pass claims at a time.
const BATCH: i64 = 32;

/// How often one item re-reads a provider that keeps changing before leaving it to later items.
const ROUNDS: usize = 5;

fn retry_delay(attempts: i64) -> chrono::Duration {
    let exp = u32::try_from(attempts.clamp(1, 10)).unwrap_or(10);
    chrono::Duration::seconds(2_i64.pow(exp).min(600))
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(FOLLOW_UP_LEASE).unwrap_or(chrono::Duration::seconds(60))
}

impl<S: RegistryStore> Registry<S> {
    /// Completes the waiting follow-up work of `subject` (a certificate just changed), logging
    /// failures: the work stays in the outbox and the worker completes it later.
    pub(crate) async fn complete_follow_ups_of(&self, subject: &CertificateId) {
        if let Err(e) = self.drain(Some(subject.as_str()), &mut Vec::new()).await {
            tracing::warn!(certificate = %subject, error = %e,
                "follow-up work left for the outbox worker");
        }
    }

    /// Completes waiting follow-up work (all of it that can be claimed now); returns how many
    /// items were completed. An item that fails stays in the outbox with its error and is tried
    /// again later, after a growing delay.
    pub async fn complete_follow_ups(&self) -> ServiceResult<usize> {
        self.drain(None, &mut Vec::new()).await
    }

    /// Completes the follow-up work a product write just committed with its record (the live
    /// certificates' events), then waits until their statements are logged (if a log waiter is
    /// set), like any certificate write. Failing to complete it is only logged: the write has
    /// committed and the worker completes the work later, so after the commit this fails only
    /// with `LogUnavailable`.
    pub(crate) async fn complete_product_follow_up(&self, work: &FollowUp) -> ServiceResult<()> {
        let subject = work.subject();
        let mut queued = Vec::new();
        if let Err(e) = self.drain(Some(&subject), &mut queued).await {
            tracing::warn!(subject = %subject, error = %e,
                "follow-up work left for the outbox worker");
        }
        for queue_id in queued {
            self.logged(queue_id).await?;
        }
        Ok(())
    }

    /// How many follow-up items wait in the outbox.
    pub async fn pending_follow_ups(&self) -> ServiceResult<i64> {
        Ok(self.store().pending_follow_ups().await?)
    }

    /// Claims and completes items (only `subject`'s if given); the log queue ids of the
    /// statements it appends go to `queued`.
    async fn drain(&self, subject: Option<&str>, queued: &mut Vec<i64>) -> ServiceResult<usize> {
        let mut done = 0;
        loop {
            let now = self.now();
            let items = self
                .store()
                .claim_follow_ups(subject, now, now + lease(), BATCH)
                .await?;
            if items.is_empty() {
                return Ok(done);
            }
            for item in items {
                match self.complete_holding_lease(&item, queued).await {
                    Ok(()) => {
                        self.store().finish_follow_up(item.id).await?;
                        done += 1;
                    }
                    Err(e) => {
                        tracing::warn!(item = item.id, attempts = item.attempts, error = %e,
                            "follow-up work failed; will retry");
                        let retry_at = self.now() + retry_delay(item.attempts);
                        self.store()
                            .fail_follow_up(item.id, &e.to_string(), retry_at)
                            .await?;
                    }
                }
            }
        }
    }

    /// [`Self::complete`], renewing the item's lease every third of [`FOLLOW_UP_LEASE`] while it
    /// runs: telling the dependents of a provider with thousands of them takes minutes, and a
    /// lease that ran out would let another worker (another instance, or this one's background
    /// worker) claim the item and do the same writes again beside it.
    ///
    /// The renewal is a future polled beside the work, never a step the work waits behind: a
    /// renewal needs the write lock, which the work may hold across an await (its transaction
    /// begun, the answer not yet taken), so renewing inside a `select!` arm while the work
    /// stood still deadlocked both (seen at 1,000,000 certificates: the first provider's
    /// dependents were never told).
    async fn complete_holding_lease(
        &self,
        item: &OutboxItem,
        queued: &mut Vec<i64>,
    ) -> ServiceResult<()> {
        let work = self.complete(item, queued);
        let renewing = async {
            let mut renew = tokio::time::interval(self.follow_up_renewal);
            renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick is immediate: the claim has just set the lease.
            renew.tick().await;
            loop {
                renew.tick().await;
                let now = self.now();
                match self
                    .store()
                    .renew_follow_up(item.id, now, now + lease())
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        item = item.id,
                        "follow-up lease ran out before it was renewed; another worker may \
                         repeat this work (harmless: each write checks it is still needed)"
                    ),
                    Err(e) => tracing::warn!(item = item.id, error = %e,
                        "cannot renew the follow-up lease"),
                }
            }
        };
        tokio::pin!(work, renewing);
        tokio::select! {
            done = &mut work => done,
            never = &mut renewing => never,
        }
    }

    async fn complete(&self, item: &OutboxItem, queued: &mut Vec<i64>) -> ServiceResult<()> {
        match &item.work {
            FollowUp::Dependents { provider, actor } => self.tell_dependents(provider, actor).await,
            FollowUp::VersionCovered { version, actor } => {
                self.cover_version(version, actor, queued).await
            }
            FollowUp::SupportChanged { product, actor } => {
                self.tell_support(product, actor, queued).await
            }
            FollowUp::DependencyDeclared { dependency, actor } => {
                self.declare_dependency(dependency, actor, queued).await
            }
            // `FollowUp` is non-exhaustive: work this version does not know stays queued.
            other => Err(crate::error::invalid(
                "follow_up",
                format!("unknown follow-up work {other:?}"),
            )),
        }
    }

    /// Brings every live certificate of every product that depends on `provider` in line with
    /// `provider`'s *current* state (so items done late or out of order still converge). Should
    /// the provider change meanwhile (another worker may then have told the dependents the newer
    /// state before this one wrote an older one), it goes round again with the new state.
    async fn tell_dependents(&self, provider: &CertificateId, actor: &OrgId) -> ServiceResult<()> {
        let mut state = match self.store().certificate(provider).await? {
            Some((cert, _)) => cert.state,
            None => return Ok(()),
        };
        for _ in 0..ROUNDS {
            for dep in self.store().dependents(provider).await? {
                let dependents = self
                    .store()
                    .certificates(&CertificateFilter {
                        product: Some(dep.product.clone()),
                        ..Default::default()
                    })
                    .await?;
                for c in dependents
                    .into_iter()
                    .filter(|c| !c.state.is_terminal() && &c.id != provider)
                {
                    self.tell_dependent(&c.id, &dep.id, state, actor).await?;
                }
            }
            match self.store().certificate(provider).await? {
                Some((cert, _)) if cert.state != state => state = cert.state,
                _ => return Ok(()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "{provider} keeps changing; its dependents are told later"
        )))
    }

    /// Records on `dependent` that its dependency `dep` is in `state`, unless its history says
    /// so already (or it no longer has that dependency, or it ended meanwhile).
    async fn tell_dependent(
        &self,
        dependent: &CertificateId,
        dep: &RecordId,
        state: State,
        actor: &OrgId,
    ) -> ServiceResult<()> {
        // The statement is queued for the log with the event; not waiting for it keeps the item
        // well inside its lease.
        self.write_event(
            dependent,
            &Actor::system(actor.clone(), "follow-up"),
            ActorRole::Registry,
            "certificate.dependency_status",
            |view| {
                let known = view.dependencies.get(dep).map(|d| d.certificate_state);
                Ok(match known {
                    Some(s) if s != Some(state) && !view.state.is_terminal() => {
                        Some(EventKind::DependencyStatusChanged {
                            dependency: dep.clone(),
                            state,
                        })
                    }
                    _ => None,
                })
            },
        )
        .await?;
        Ok(())
    }
}

/// The manufacturer's role on one of its product's certificates (as when it writes one itself).
fn maker_role(c: &Certificate, actor: &OrgId) -> ActorRole {
    if &c.issuer == actor {
        ActorRole::Issuer
    } else {
        ActorRole::Holder
    }
}

impl<S: RegistryStore> Registry<S> {
    /// Appends to a live certificate of a product the event `decide` returns (signed by `actor`
    /// like any of its writes), unless `decide` finds the view shows the change already.
    async fn write_product_event<F>(
        &self,
        c: &Certificate,
        actor: &OrgId,
        action: &str,
        mut decide: F,
        queued: &mut Vec<i64>,
    ) -> ServiceResult<()>
    where
        F: FnMut(&keurmerk_domain::event::CertificateView) -> Option<EventKind>,
    {
        let written = self
            .write_event(
                &c.id,
                &Actor::system(actor.clone(), "follow-up"),
                maker_role(c, actor),
                action,
                |view| {
                    Ok(if view.state.is_terminal() {
                        None
                    } else {
                        decide(view)
                    })
                },
            )
            .await?;
        // These events change no state; should one ever, its own follow-up work is in the
        // outbox with it and the worker completes it.
        if let Some(w) = written {
            queued.push(w.appended.queue_id);
        }
        Ok(())
    }

    /// Every live certificate of the version's product that the manufacturer issued itself
    /// covers the (security-update) version. A certificate another body issued covers exactly
    /// what its issuer covered: the holder adds versions to it only under the scheme's
    /// patch-management rule (`Registry::declare_version_change`).
    async fn cover_version(
        &self,
        version: &RecordId,
        actor: &OrgId,
        queued: &mut Vec<i64>,
    ) -> ServiceResult<()> {
        let Some(v) = self.store().version(version).await? else {
            return Ok(());
        };
        let version = covered(&v);
        for c in self
            .live_certificates(&v.product)
            .await?
            .into_iter()
            .filter(|c| &c.issuer == actor)
        {
            self.write_product_event(
                &c,
                actor,
                "certificate.cover_version",
                |view| {
                    (!view.versions.iter().any(|x| x.id == version.id)).then(|| {
                        EventKind::VersionCovered {
                            version: version.clone(),
                        }
                    })
                },
                queued,
            )
            .await?;
        }
        Ok(())
    }

    /// Every live certificate of the product shows its current support period.
    async fn tell_support(
        &self,
        product: &RecordId,
        actor: &OrgId,
        queued: &mut Vec<i64>,
    ) -> ServiceResult<()> {
        let Some(support) = self.store().support(product).await? else {
            return Ok(());
        };
        let until = support.support_until;
        for c in self.live_certificates(product).await? {
            self.write_product_event(
                &c,
                actor,
                "certificate.support_changed",
                |view| {
                    (view.support_until != Some(until)).then_some(EventKind::SupportChanged {
                        support_until: until,
                    })
                },
                queued,
            )
            .await?;
        }
        Ok(())
    }

    /// Every live certificate of the dependency's product records the dependency, with what is
    /// known of its service's certificate now.
    async fn declare_dependency(
        &self,
        dependency: &RecordId,
        actor: &OrgId,
        queued: &mut Vec<i64>,
    ) -> ServiceResult<()> {
        let Some(d) = self.store().dependency(dependency).await? else {
            return Ok(());
        };
        let snapshot = self.dependency_snapshot(&d).await?;
        let live = self.live_certificates(&d.product).await?;
        for c in &live {
            self.write_product_event(
                c,
                actor,
                "certificate.dependency",
                |view| {
                    (!view.dependencies.contains_key(&d.id)).then(|| {
                        EventKind::DependencyDeclared {
                            dependency: snapshot.clone(),
                        }
                    })
                },
                queued,
            )
            .await?;
        }
        // Should the service's certificate have changed since the snapshot, its own follow-up
        // work may have run before the declaration was there to update: tell it now.
        if let Some(provider) = &d.certificate {
            if let Some((pc, _)) = self.store().certificate(provider).await? {
                if Some(pc.state) != snapshot.certificate_state {
                    for c in live.iter().filter(|c| &c.id != provider) {
                        self.tell_dependent(&c.id, &d.id, pc.state, actor).await?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1), chrono::Duration::seconds(2));
        assert_eq!(retry_delay(3), chrono::Duration::seconds(8));
        assert_eq!(retry_delay(50), chrono::Duration::seconds(600));
    }
}

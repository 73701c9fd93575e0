//! Completing the follow-up work that writes record in the outbox (`keurmerk_store::outbox`).
//!
//! Right after a write commits, the service completes the work it recorded
//! ([`Registry::complete_follow_ups_of`]); `keurmerk serve` runs
//! [`Registry::complete_follow_ups`] in the background on every instance, so work left by a
//! crash (or by a CLI write whose drain failed) is completed later. Completing an item is
//! idempotent: a dependent whose view already has the provider's current state gets no event,
//! so doing an item twice (a lease that ran out, a crash before the item was deleted) never
//! appends two events.

use std::time::Duration;

use keurmerk_domain::event::EventKind;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_store::{CertificateFilter, FollowUp, OutboxItem, RegistryStore};

use crate::{Registry, ServiceError, ServiceResult};

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
        if let Err(e) = self.drain(Some(subject)).await {
            tracing::warn!(certificate = %subject, error = %e,
                "follow-up work left for the outbox worker");
        }
    }

    /// Completes waiting follow-up work (all of it that can be claimed now); returns how many
    /// items were completed. An item that fails stays in the outbox with its error and is tried
    /// again later, after a growing delay.
    pub async fn complete_follow_ups(&self) -> ServiceResult<usize> {
        self.drain(None).await
    }

    /// How many follow-up items wait in the outbox.
    pub async fn pending_follow_ups(&self) -> ServiceResult<i64> {
        Ok(self.store().pending_follow_ups().await?)
    }

    async fn drain(&self, subject: Option<&CertificateId>) -> ServiceResult<usize> {
        let subject = subject.map(ToString::to_string);
        let mut done = 0;
        loop {
            let now = self.now();
            let items = self
                .store()
                .claim_follow_ups(subject.as_deref(), now, now + lease(), BATCH)
                .await?;
            if items.is_empty() {
                return Ok(done);
            }
            for item in items {
                match self.complete(&item).await {
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

    async fn complete(&self, item: &OutboxItem) -> ServiceResult<()> {
        match &item.work {
            FollowUp::Dependents { provider, actor } => self.tell_dependents(provider, actor).await,
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
            actor,
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

use chrono::{Days, NaiveDate};
use keurmerk_domain::event::{apply, fold, Event, EventKind};
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_domain::lifecycle::{transition, ActorRole, Command, State};
use keurmerk_domain::model::{Certificate, OrgRole};
use keurmerk_store::{CertificateFilter, RegistryStore, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// A request to change a certificate's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleRequest {
    /// Suspend, extend_suspension, reinstate or withdraw.
    pub command: Command,
    /// Why, in words the public will read.
    pub reason: String,
    /// For suspensions: until when (default: the scheme's longest suspension).
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

const ATTEMPTS: usize = 5;

impl<S: RegistryStore> Registry<S> {
    /// Appends one event to a certificate: folds its history, checks the transition table for
    /// lifecycle events, and writes with optimistic concurrency (retrying if another writer got
    /// there first).
    pub(crate) async fn append_event(
        &self,
        id: &CertificateId,
        actor: &OrgId,
        role: ActorRole,
        kind: EventKind,
        action: &str,
    ) -> ServiceResult<State> {
        for _ in 0..ATTEMPTS {
            let (_, last_seq) = self
                .store()
                .certificate(id)
                .await?
                .ok_or_else(|| not_found("certificate", id))?;
            let mut view = fold(&self.store().events(id).await?)?;
            if let Some(cmd) = kind.command() {
                transition(view.state, cmd, role)?;
            }
            let event = Event {
                seq: last_seq + 1,
                certificate: id.clone(),
                at: self.now(),
                actor: actor.clone(),
                role,
                kind: kind.clone(),
            };
            apply(&mut view, &event)?;
            let audit = self.audit(
                actor,
                action,
                id,
                json!({"event": kind.name(), "role": role}),
            );
            let statement = self
                .signed_statement(&event, view.scheme.as_str(), view.level.as_str())
                .await?;
            match self
                .store()
                .append(&event, view.state, last_seq, &statement, &audit)
                .await
            {
                Ok(appended) => {
                    self.logged(appended.queue_id).await?;
                    return Ok(view.state);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "{id} is changing too often; try again"
        )))
    }

    /// The actor's role relative to a certificate.
    async fn role_for(&self, actor: &Actor, cert: &Certificate) -> ServiceResult<ActorRole> {
        let me = self.acting(actor).await?;
        Ok(keurmerk_domain::event::role_of(
            &me.id,
            &cert.issuer,
            &cert.holder,
            cert.authority.as_ref(),
            me.role == OrgRole::RegistryOperator,
        ))
    }

    /// Suspends, extends a suspension, reinstates or withdraws a certificate. Who may is decided
    /// by the lifecycle table: the issuer or the supervising national authority.
    pub async fn change_state(
        &self,
        actor: &Actor,
        id: &CertificateId,
        req: LifecycleRequest,
    ) -> ServiceResult<State> {
        let (cert, _) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        let role = self.role_for(actor, &cert).await?;
        let scheme = self
            .catalogue()
            .get(&cert.scheme)
            .ok_or_else(|| invalid("scheme", format!("unknown scheme `{}`", cert.scheme)))?;
        let reason = req.reason.trim().to_owned();
        let today = self.now().date_naive();
        let kind = match req.command {
            Command::Suspend | Command::ExtendSuspension | Command::Withdraw => {
                crate::orgs::check_text("reason", &reason, 1000)?;
                match req.command {
                    Command::Suspend => {
                        let max = today + Days::new(scheme.policy.max_suspension_days.into());
                        let until = req.until.unwrap_or(max);
                        if until <= today || until > max {
                            return Err(invalid(
                                "until",
                                format!(
                                    "a suspension under {} lasts at most {} days (until {max})",
                                    scheme.id, scheme.policy.max_suspension_days
                                ),
                            ));
                        }
                        EventKind::Suspended {
                            reason,
                            until: Some(until),
                        }
                    }
                    Command::ExtendSuspension => {
                        let total = scheme
                            .policy
                            .max_suspension_total_days
                            .unwrap_or(scheme.policy.max_suspension_days);
                        let since = fold(&self.store().events(id).await?)?
                            .suspension
                            .map_or(today, |s| s.since.date_naive());
                        let max = since + Days::new(total.into());
                        let until = req
                            .until
                            .ok_or_else(|| invalid("until", "an extension needs a new end date"))?;
                        if until <= today || until > max {
                            return Err(invalid("until", format!(
                                "a suspension under {} lasts at most {total} days in total (until {max})",
                                scheme.id
                            )));
                        }
                        EventKind::SuspensionExtended { until, reason }
                    }
                    _ => EventKind::Withdrawn { reason },
                }
            }
            Command::Reinstate => EventKind::Reinstated { note: reason },
            other => {
                return Err(invalid(
                    "command",
                    format!("`{other}` is not requested by people; the registry does it"),
                ));
            }
        };
        let action = format!("certificate.{}", req.command);
        let state = self
            .append_event(id, &actor.org, role, kind, &action)
            .await?;
        self.propagate(id, &actor.org, state).await?;
        Ok(state)
    }

    /// Tells the certificates of products that depend on this (service) certificate.
    async fn propagate(
        &self,
        id: &CertificateId,
        actor: &OrgId,
        state: State,
    ) -> ServiceResult<()> {
        for dep in self.store().dependents(id).await? {
            let dependents = self
                .store()
                .certificates(&CertificateFilter {
                    product: Some(dep.product.clone()),
                    ..Default::default()
                })
                .await?;
            for c in dependents.into_iter().filter(|c| !c.state.is_terminal()) {
                self.append_event(
                    &c.id,
                    actor,
                    ActorRole::Registry,
                    EventKind::DependencyStatusChanged {
                        dependency: dep.id.clone(),
                        state,
                    },
                    "certificate.dependency_status",
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The registry operator records the expiry of every certificate past its validity.
    /// Returns the certificates it expired.
    pub async fn expire_due(&self, actor: &Actor) -> ServiceResult<Vec<CertificateId>> {
        let me = self
            .acting_as(actor, &[OrgRole::RegistryOperator], "record expiries")
            .await?;
        let today = self.now().date_naive();
        let mut expired = Vec::new();
        for c in self
            .store()
            .certificates(&CertificateFilter::default())
            .await?
        {
            if !c.state.is_terminal() && c.valid_until < today {
                let state = self
                    .append_event(
                        &c.id,
                        &me.id,
                        ActorRole::Registry,
                        EventKind::Expired,
                        "certificate.expire",
                    )
                    .await?;
                self.propagate(&c.id, &me.id, state).await?;
                expired.push(c.id);
            }
        }
        Ok(expired)
    }

    /// The registry's scheduled expiry run (`keurmerk serve` runs it at start and every hour):
    /// [`Registry::expire_due`] acting as the registry operator organisation, so expiries reach
    /// the feeds, webhooks and the log without anyone having to run a command.
    pub async fn expire_due_scheduled(&self) -> ServiceResult<Vec<CertificateId>> {
        let operator = self
            .store()
            .orgs()
            .await?
            .into_iter()
            .find(|o| o.role == OrgRole::RegistryOperator)
            .ok_or_else(|| {
                ServiceError::Forbidden(
                    "there is no registry operator organisation to record expiries".into(),
                )
            })?;
        self.expire_due(&Actor::new(operator.id)).await
    }
}

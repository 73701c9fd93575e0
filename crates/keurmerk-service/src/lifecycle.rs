use chrono::{Days, NaiveDate};
use keurmerk_domain::event::{apply, fold, CertificateView, Event, EventKind};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::{transition, ActorRole, Command, State};
use keurmerk_domain::model::{Certificate, OrgRole};
use keurmerk_domain::reason::{ReasonCode, ReasonError, TextLang};
use keurmerk_store::{Appended, CertificateFilter, FollowUp, NewEvent, RegistryStore, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// A request to change a certificate's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleRequest {
    /// Suspend, extend_suspension, reinstate or withdraw.
    pub command: Command,
    /// Why, in the organisation's own words (optional with a reason code, except `other`; the
    /// note of a reinstatement). Shown untranslated, marked with `reason_lang`.
    #[serde(default)]
    pub reason: String,
    /// For suspensions: until when (default: the scheme's longest suspension).
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Why, from the reason-code catalogue (`keurmerk_domain::reason::ReasonCode`): required to
    /// suspend, extend or withdraw, refused otherwise. Text, checked here, so an unknown code is
    /// refused naming the allowed ones.
    #[serde(default)]
    pub reason_code: Option<String>,
    /// The language `reason` is written in (a BCP 47 tag; default `en`, the register's working
    /// language, as organisations carry no language of their own).
    #[serde(default)]
    pub reason_lang: Option<String>,
}

/// How often a write is retried when another writer appended to the certificate first.
const ATTEMPTS: u32 = 8;

/// A short, growing, jittered pause before retrying a write that lost a race, so writers that
/// collide do not collide again in lockstep.
pub(crate) async fn backoff(attempt: u32) {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 20,
    );
    let ms = 5 * u64::from(attempt + 1) + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// An event that was appended.
pub(crate) struct Written {
    pub state: State,
    pub appended: Appended,
    /// The state changed, so follow-up work (dependents) may be waiting in the outbox.
    pub state_changed: bool,
}

impl<S: RegistryStore> Registry<S> {
    /// Appends one event to a certificate: folds its history, checks the transition table for
    /// lifecycle events, and writes with optimistic concurrency (retrying if another writer got
    /// there first). A change of state records telling the dependents in the outbox in the same
    /// transaction; they are told right after the commit (and by the worker, should that fail).
    /// The error after a commit is never [`ServiceError::Conflict`]: only the log wait can fail.
    pub(crate) async fn append_event(
        &self,
        id: &CertificateId,
        actor: &Actor,
        role: ActorRole,
        kind: EventKind,
        action: &str,
    ) -> ServiceResult<State> {
        let written = self
            .write_event(id, actor, role, action, |_| Ok(Some(kind.clone())))
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("{id}: nothing to write")))?;
        if written.state_changed {
            self.complete_follow_ups_of(id).await;
        }
        self.logged(written.appended.queue_id).await?;
        Ok(written.state)
    }

    /// The retry loop under [`append_event`](Self::append_event): `decide` sees the folded
    /// certificate on every attempt and returns the event to append, or `None` when there is
    /// nothing to do (then nothing is written). Does not wait for the log.
    pub(crate) async fn write_event<F>(
        &self,
        id: &CertificateId,
        actor: &Actor,
        role: ActorRole,
        action: &str,
        mut decide: F,
    ) -> ServiceResult<Option<Written>>
    where
        F: FnMut(&CertificateView) -> ServiceResult<Option<EventKind>>,
    {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let (_, last_seq) = self
                .store()
                .certificate(id)
                .await?
                .ok_or_else(|| not_found("certificate", id))?;
            let mut view = fold(&self.store().events(id).await?)?;
            let Some(kind) = decide(&view)? else {
                return Ok(None);
            };
            if let Some(cmd) = kind.command() {
                transition(view.state, cmd, role)?;
            }
            let before = view.state;
            let event = Event {
                seq: last_seq + 1,
                certificate: id.clone(),
                at: self.now(),
                actor: actor.org.clone(),
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
            let state_changed = view.state != before;
            let follow_ups: Vec<FollowUp> = if state_changed {
                vec![FollowUp::Dependents {
                    provider: id.clone(),
                    actor: actor.org.clone(),
                }]
            } else {
                Vec::new()
            };
            let new = NewEvent {
                event: &event,
                new_state: view.state,
                expected_last_seq: last_seq,
                log_entry: &statement,
                follow_ups: &follow_ups,
            };
            match self.store().append_event(&new, &audit).await {
                Ok(appended) => {
                    // Any event, any kind: the read model is refreshed from the new history.
                    self.refresh_after_write(id).await;
                    return Ok(Some(Written {
                        state: view.state,
                        appended,
                        state_changed,
                    }));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "{id} is changing too often; nothing was written, try again"
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
        if req.until.is_some()
            && !matches!(req.command, Command::Suspend | Command::ExtendSuspension)
        {
            // Accepting and ignoring it would let the caller believe the change ends by itself.
            return Err(invalid(
                "until",
                format!(
                    "only a suspension or its extension has an end date; `{}` takes none",
                    req.command
                ),
            ));
        }
        // Who may is decided before the reason is looked at: a caller who may not make this
        // change is told so, not what its request lacks (the append checks it again, atomically).
        let coded = matches!(
            req.command,
            Command::Suspend | Command::ExtendSuspension | Command::Withdraw
        );
        if coded {
            transition(cert.state, req.command, role)?;
        }
        if req.command == Command::Reinstate
            && (req.reason_code.is_some() || req.reason_lang.is_some())
        {
            return Err(invalid(
                "reason_code",
                format!("`{}` takes no reason code or language", req.command),
            ));
        }
        let kind = match req.command {
            Command::Suspend | Command::ExtendSuspension | Command::Withdraw => {
                let code = req.reason_code.as_deref().ok_or_else(|| {
                    invalid(
                        "reason_code",
                        format!(
                            "a reason code is required; allowed: {}",
                            ReasonCode::allowed_text(req.command)
                        ),
                    )
                })?;
                let reason_code = Some(
                    ReasonCode::check(code, req.command, Some(&reason)).map_err(|e| match e {
                        ReasonError::TextTooLong(_)
                        | ReasonError::TextControl
                        | ReasonError::OtherNeedsText => invalid("reason", e.to_string()),
                        e => invalid("reason_code", e.to_string()),
                    })?,
                );
                let reason_lang = match req.reason_lang.as_deref() {
                    None => None,
                    Some(tag) => Some(
                        tag.trim()
                            .parse::<TextLang>()
                            .map_err(|e| invalid("reason_lang", e.to_string()))?,
                    ),
                };
                // No free text: no language to record.
                let reason_lang = reason_lang.filter(|_| !reason.is_empty());
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
                            reason_code,
                            reason_lang,
                            scheduled: None,
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
                        EventKind::SuspensionExtended {
                            until,
                            reason,
                            reason_code,
                            reason_lang,
                        }
                    }
                    _ => EventKind::Withdrawn {
                        reason,
                        reason_code,
                        reason_lang,
                        scheduled: None,
                    },
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
        self.append_event(id, actor, role, kind, &action).await
    }

    /// The registry operator records the expiry of every certificate past its validity.
    /// Returns the certificates it expired.
    pub async fn expire_due(&self, actor: &Actor) -> ServiceResult<Vec<CertificateId>> {
        self.acting_as(actor, &[OrgRole::RegistryOperator], "record expiries")
            .await?;
        let today = self.now().date_naive();
        let mut expired = Vec::new();
        for c in self
            .store()
            .certificates(&CertificateFilter::default())
            .await?
        {
            if !c.state.is_terminal() && c.valid_until < today {
                self.append_event(
                    &c.id,
                    actor,
                    ActorRole::Registry,
                    EventKind::Expired { scheduled: None },
                    "certificate.expire",
                )
                .await?;
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
        self.expire_due(&Actor::system(operator.id, "expiry")).await
    }
}

//! Keurmerk use cases. Every write goes through here, so this is where authorisation is enforced
//! (SPEC §2): the CLI and the HTTP API are thin callers and never decide who may do what.
//!
//! [`Registry`] is generic over the store traits of `keurmerk-store`; it knows nothing of HTTP.
//! Each operation takes the acting organisation, checks its right to act, validates the input,
//! and writes the change together with its audit record.

mod api;
mod assess;
mod clock;
mod complaints;
mod coverage;
mod cra;
pub mod demo;
pub mod demo_scale;
mod error;
pub mod images;
mod integrity;
pub mod kev;
mod lifecycle;
mod logwait;
pub mod monitoring;
mod orgs;
mod outbox;
mod products;
mod proven;
mod queries;
mod readmodel;
mod recognition;
mod scheduler;
mod scope;
mod search;
pub mod sessions;
mod signing;
mod softwarelists;
mod statement;
mod statuslist;
mod trustcache;
pub mod turn;
/// How long reads reuse a built trust list at most.
pub use trustcache::TTL as TRUST_LIST_TTL;
mod update_record;
mod verification;
mod watch;
mod webhook_confirm;

use std::sync::Arc;

use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::{OrgRole, Organisation};
use keurmerk_domain::scheme::Catalogue;
pub use keurmerk_store::Credential;
use keurmerk_store::{Audit, RegistryStore};

pub use api::TokenAdmin;
pub use assess::{NewAssessment, VerdictInput};
pub use clock::{Clock, ClockOffset, ManualClock, SystemClock, MAX_CLOCK_OFFSET_SECS};
pub use complaints::{
    reference_digest, ComplaintAction, ComplaintRouting, ComplaintStatus, FiledComplaint,
    MAX_ANSWER_CHARS, MAX_ASSIGNEE_CHARS, MAX_COMPLAINT_CHARS, MAX_CONTACT_CHARS,
};
pub use coverage::{ChangeOutcome, VersionChange};
pub use cra::{CraObligations, CraReportView};
pub use error::{ServiceError, ServiceResult};
pub use integrity::{Problem, ProblemKind, VerifiedHistory};
pub use lifecycle::LifecycleRequest;
pub use logwait::{LogWaitFuture, LogWaiter, LOG_WAIT_TIMEOUT};
pub use orgs::NewOrganisation;
pub use outbox::FOLLOW_UP_LEASE;
pub use products::{NewDependency, NewProduct, NewVersion, ProductDetails};
pub use proven::{ProvenEvents, Unconfirmed};
pub use queries::{check_version_query, CertificateDetails};
pub use readmodel::{IndexDifference, PageDifference, ReadModelCheck, ReadModelDifference};
pub use scheduler::{Forecast, ForecastItem, PassReport, ScheduledAction, SCHEDULER_LEASE};
pub use search::{LabelPage, LabelQuery, LabelResult, MAX_SEARCH_LIMIT};
pub use signing::{
    cert_status, key_info, role_of, KeyScope, Label, Secrets, SignedStatusAnswer, Signer,
    DEFAULT_BASE_URL, ROOT_ORG, STATUS_VALIDITY_SECS, TRUST_LIST_REISSUE_SECS,
    TRUST_LIST_VALIDITY_DAYS,
};
pub use softwarelists::UnprovenSoftwareList;
pub use statement::{statement_for, statement_kind, StatementCheck};
pub use statuslist::{
    STATUS_LIST_CHECK_SECS, STATUS_LIST_LEASE, STATUS_LIST_PATH, STATUS_LIST_REPUBLISH_SECS,
    STATUS_LIST_TTL_SECS, STATUS_LIST_VALIDITY_SECS,
};
pub use verification::{AuthenticSignature, ClaimedSignature, SignatureReport};
pub use watch::{DeliveryLog, WatchGrant, WebhookRequest, MAX_WATCH_ITEMS, MIN_WEBHOOK_SECRET_LEN};
pub use webhook_confirm::{resolve_webhook_target, ResolvedTarget, VerifyRequest, WebhookTargets};

/// The registry's use cases over a store.
#[derive(Clone)]
pub struct Registry<S> {
    store: S,
    catalogue: Arc<Catalogue>,
    /// The recognition index of `catalogue` (rebuilt per question for another catalogue).
    recognition: Arc<recognition::RecognitionCache>,
    /// Recognition reports of `catalogue` already made ([`recognition::ReportMemo`]).
    report_memo: Arc<recognition::ReportMemo>,
    clock: Arc<dyn Clock>,
    signer: Option<signing::Signer>,
    log_waiter: Option<Arc<dyn LogWaiter>>,
    /// How often a follow-up's lease is renewed while its work runs.
    follow_up_renewal: std::time::Duration,
    verified: Arc<integrity::VerifiedCache>,
    trust_cache: Arc<trustcache::TrustCache>,
    /// Turns to build the trust list for reads, per store handle (crate::turn).
    trust_turns: Arc<turn::BuildTurns>,
    /// Turns to publish an expired status list when it is asked for (crate::turn).
    status_list_turns: Arc<turn::BuildTurns>,
    /// Fingerprint of the catalogue's status policies: the read model's rows hold for it only.
    policy_fingerprint: Arc<str>,
    /// Who administers the registry with local access to its database (the command line's
    /// operating-system user): the credential of key, token and bootstrap records.
    local: Option<Credential>,
    webhook_targets: WebhookTargets,
    /// How far this registry's clock may be from the database's before it refuses to sign
    /// status lists and to act on time (`None`: not checked; [`clock::ClockOffset`]).
    clock_check: Option<chrono::Duration>,
}

impl<S: Clone> Registry<S> {
    /// The same registry — catalogue, clock, signer, log waiter, caches — over another handle
    /// of its store (`SqlStore::with_own_pool`: `serve`'s background work on connections of its
    /// own).
    pub fn with_store(&self, store: S) -> Self {
        Registry {
            store,
            catalogue: self.catalogue.clone(),
            recognition: self.recognition.clone(),
            report_memo: self.report_memo.clone(),
            clock: self.clock.clone(),
            signer: self.signer.clone(),
            log_waiter: self.log_waiter.clone(),
            follow_up_renewal: self.follow_up_renewal,
            verified: self.verified.clone(),
            trust_cache: self.trust_cache.clone(),
            // Its own turns: a request never waits for a build on the other handle's pool.
            trust_turns: Arc::default(),
            status_list_turns: Arc::default(),
            policy_fingerprint: self.policy_fingerprint.clone(),
            local: self.local.clone(),
            webhook_targets: self.webhook_targets,
            clock_check: self.clock_check,
        }
    }
}

impl<S> std::fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("schemes", &self.catalogue.iter().count())
            .finish_non_exhaustive()
    }
}

/// Who is acting: an organisation, as authenticated by the caller, and the credential it
/// presented (an API token's id, the operating-system user running the CLI with `--as`, or the
/// registry's own task). Every write's audit record names both; there is no actor without a
/// credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The acting organisation.
    pub org: OrgId,
    /// The credential it acts with.
    pub credential: Credential,
}

impl Actor {
    /// Acting as `org` with an API token.
    pub fn token(org: OrgId, token: RecordId) -> Self {
        Self {
            org,
            credential: Credential::ApiToken(token),
        }
    }

    /// Acting as `org` from the command line, run by the operating-system user `os_user`.
    pub fn cli(org: OrgId, os_user: &str) -> Self {
        Self {
            org,
            credential: Credential::cli_user(os_user),
        }
    }

    /// The registry itself (`org` is the registry operator) doing `task`.
    pub fn system(org: OrgId, task: &str) -> Self {
        Self {
            org,
            credential: Credential::System(task.to_owned()),
        }
    }
}

impl<S: RegistryStore> Registry<S> {
    /// A registry over `store` with the given scheme catalogue and clock.
    pub fn new(store: S, catalogue: Arc<Catalogue>, clock: Arc<dyn Clock>) -> Self {
        Self {
            policy_fingerprint: format!(
                "{}:{}",
                readmodel::FORMAT,
                scheduler::policy_fingerprint(&catalogue)
            )
            .into(),
            store,
            recognition: Arc::new(recognition::RecognitionCache::of(catalogue.clone())),
            report_memo: Arc::default(),
            catalogue,
            clock,
            signer: None,
            log_waiter: None,
            follow_up_renewal: outbox::FOLLOW_UP_LEASE / 3,
            verified: Arc::default(),
            trust_cache: Arc::default(),
            trust_turns: Arc::default(),
            status_list_turns: Arc::default(),
            local: None,
            webhook_targets: WebhookTargets::default(),
            clock_check: None,
        }
    }

    /// The same registry, refusing to publish a status list, to run a scheduler pass and to
    /// answer its health check while its clock is more than `max` from the database's
    /// ([`Registry::check_clock`]). The command line sets [`clock::MAX_CLOCK_OFFSET_SECS`];
    /// tests that set their own clock leave it unset.
    pub fn with_clock_check(mut self, max: chrono::Duration) -> Self {
        self.clock_check = Some(max);
        self
    }

    /// The same registry, administered locally with `credential` (the command line sets the
    /// operating-system user running it). Without one, local administration (signing keys,
    /// tokens created without the API, the bootstrap) is refused: no write goes unattributed.
    pub fn with_local_credential(mut self, credential: Credential) -> Self {
        self.local = Some(credential);
        self
    }

    /// `org` acting through local administration (the operator's credential), or a refusal.
    pub(crate) fn local_actor(&self, org: &OrgId) -> ServiceResult<Actor> {
        Ok(Actor {
            org: org.clone(),
            credential: self.local_credential()?,
        })
    }

    /// The credential of local administration, or a refusal.
    pub(crate) fn local_credential(&self) -> ServiceResult<Credential> {
        self.local.clone().ok_or_else(|| {
            ServiceError::Forbidden(
                "local administration needs the operator's credential (the command line's \
                 operating-system user); none is set"
                    .into(),
            )
        })
    }

    /// The same registry, signing with `signer` (without one, every write that records a
    /// statement is refused).
    pub fn with_signer(mut self, signer: signing::Signer) -> Self {
        self.signer = Some(signer);
        self
    }

    /// The same registry, acknowledging each write that records a statement only once `waiter`
    /// reports its transparency log entry committed (see [`LogWaiter`]). Without one, statements
    /// stay queued until a sequencer (`keurmerk serve`) runs.
    pub fn with_log_waiter(mut self, waiter: Arc<dyn LogWaiter>) -> Self {
        self.log_waiter = Some(waiter);
        self
    }

    /// The same registry, renewing the lease of follow-up work every `period` while the work
    /// runs (default: a third of [`outbox::FOLLOW_UP_LEASE`]; tests shorten it to renew during
    /// every write).
    pub fn with_follow_up_renewal(mut self, period: std::time::Duration) -> Self {
        self.follow_up_renewal = period.max(std::time::Duration::from_millis(1));
        self
    }

    /// The same registry, accepting webhook targets by `targets` (default: public addresses
    /// only), at registration and, through [`resolve_webhook_target`], at delivery.
    pub fn with_webhook_targets(mut self, targets: WebhookTargets) -> Self {
        self.webhook_targets = targets;
        self
    }

    /// Waits until the statement queued as `queue_id` is logged, if a log waiter is set.
    async fn logged(&self, queue_id: i64) -> ServiceResult<()> {
        if let Some(w) = &self.log_waiter {
            logwait::wait_logged(w.as_ref(), queue_id, LOG_WAIT_TIMEOUT).await?;
        }
        Ok(())
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The scheme catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The current time as the registry sees it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Loads the acting organisation, or fails: an unknown actor may do nothing.
    async fn acting(&self, actor: &Actor) -> ServiceResult<Organisation> {
        self.store
            .org(&actor.org)
            .await?
            .ok_or_else(|| ServiceError::Forbidden(format!("unknown organisation `{}`", actor.org)))
    }

    /// Loads the acting organisation and requires one of `roles`.
    async fn acting_as(
        &self,
        actor: &Actor,
        roles: &[OrgRole],
        action: &str,
    ) -> ServiceResult<Organisation> {
        let org = self.acting(actor).await?;
        if roles.contains(&org.role) {
            Ok(org)
        } else {
            let allowed: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(ServiceError::Forbidden(format!(
                "{} is a {}; only a {} may {action}",
                org.id,
                org.role,
                allowed.join(" or ")
            )))
        }
    }

    fn audit(
        &self,
        actor: &Actor,
        action: &str,
        subject: impl ToString,
        detail: serde_json::Value,
    ) -> Audit {
        Audit {
            at: self.now(),
            actor: Some(actor.org.clone()),
            credential: actor.credential.clone(),
            action: action.to_owned(),
            subject: subject.to_string(),
            detail,
        }
    }
}

//! The narrow store traits the service layer depends on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keurmerk_domain::event::Event;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::{
    Assessment, Authorisation, Certificate, Dependency, Organisation, Product, ProductVersion,
    SupportCommitment,
};
use serde::{Deserialize, Serialize};

use crate::outbox::{FollowUp, OutboxStore};
use crate::Result;

/// The credential a write was made with: who, beyond the organisation, did it. Never a secret.
///
/// Stored and shown as one string: `token:TOK-000001` (an API token, by id), `cli:alice` (the
/// command line, run by the operating-system user `alice` with direct database access),
/// `system:expiry` (the registry itself, by task), `watch-key:WL-000001` (a watch-list's
/// management key), `public` (an anonymous visitor, e.g. the complaint form) and `unrecorded`
/// (records older than credentials).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// An API token, by id.
    ApiToken(RecordId),
    /// The command line, run by this operating-system user.
    Cli(String),
    /// The registry itself, doing this task.
    System(String),
    /// A watch-list's management key.
    WatchKey(RecordId),
    /// An anonymous member of the public.
    Public,
    /// Not recorded: audit records written before credentials were (migration 0010).
    Unrecorded,
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiToken(id) => write!(f, "token:{id}"),
            Self::Cli(user) => write!(f, "cli:{user}"),
            Self::System(task) => write!(f, "system:{task}"),
            Self::WatchKey(id) => write!(f, "watch-key:{id}"),
            Self::Public => f.write_str("public"),
            Self::Unrecorded => f.write_str("unrecorded"),
        }
    }
}

/// A stored credential that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a credential (token:ID, cli:USER, system:TASK, watch-key:ID, public or unrecorded)")]
pub struct CredentialError(String);

/// What a user or task name in a credential may hold: printable, no spaces, at most 64 bytes.
fn credential_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_graphic())
}

impl std::str::FromStr for Credential {
    type Err = CredentialError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || CredentialError(s.chars().take(80).collect());
        match s {
            "public" => return Ok(Self::Public),
            "unrecorded" => return Ok(Self::Unrecorded),
            _ => {}
        }
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "token" => RecordId::new(rest).map(Self::ApiToken).map_err(|_| bad()),
            "watch-key" => RecordId::new(rest).map(Self::WatchKey).map_err(|_| bad()),
            "cli" if credential_name(rest) => Ok(Self::Cli(rest.to_owned())),
            "system" if credential_name(rest) => Ok(Self::System(rest.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl Credential {
    /// The command line's credential: the operating-system user running it (from the password
    /// database, not the environment), reduced to characters a credential may hold.
    pub fn cli_user(name: &str) -> Self {
        let clean: String = name
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '_' })
            .take(64)
            .collect();
        Self::Cli(if clean.is_empty() {
            "unknown".into()
        } else {
            clean
        })
    }
}

impl Serialize for Credential {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Credential {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Credential {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Credential".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(public|unrecorded|token:[A-Z0-9-]+|watch-key:[A-Z0-9-]+|cli:[!-~]{1,64}|system:[!-~]{1,64})$",
            "description": "The credential a write was made with (never a secret)."
        })
    }
}

/// An audit record written in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Audit {
    /// When.
    pub at: DateTime<Utc>,
    /// Which organisation acted; none for an anonymous member of the public.
    pub actor: Option<OrgId>,
    /// With which credential.
    pub credential: Credential,
    /// What it did (e.g. `product.register`).
    pub action: String,
    /// The record it did it to.
    pub subject: String,
    /// Details (never secrets).
    pub detail: serde_json::Value,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Sequence number.
    pub seq: i64,
    /// The record.
    #[serde(flatten)]
    pub audit: Audit,
}

/// Where an appended event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The event's sequence number.
    pub seq: i64,
    /// Its row in `log_queue`, until the sequencer moves it into the log.
    pub queue_id: i64,
}

/// An event to append to a certificate.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The event (its `seq` is assigned by the store).
    pub event: &'a Event,
    /// The certificate's state after it.
    pub new_state: State,
    /// The certificate's last event when the event was built (optimistic concurrency).
    pub expected_last_seq: i64,
    /// The signed statement recording it, queued for the transparency log.
    pub log_entry: &'a [u8],
    /// Follow-up work, stored in the outbox in the same transaction.
    pub follow_ups: &'a [FollowUp],
}

/// The certificate number an issue takes, in its own transaction: the counter `counter` must
/// still be at `number - 1`, else the issue fails with [`crate::StoreError::Conflict`] and
/// nothing is written (so a refused or failed issue never uses up a number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// The counter (`KM-<year>`).
    pub counter: String,
    /// The number taken.
    pub number: u64,
}

/// Which products to list.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Only this manufacturer's.
    pub manufacturer: Option<OrgId>,
    /// Case-insensitive match on name, model, manufacturer name, GTIN or product id.
    pub text: Option<String>,
    /// At most this many.
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
}

/// Which certificates to list.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    /// Only for this product.
    pub product: Option<RecordId>,
    /// Only this holder's.
    pub holder: Option<OrgId>,
    /// Only this scheme's.
    pub scheme: Option<SchemeId>,
    /// At most this many (0 = no limit).
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
    /// Only those whose id sorts after this one (keyset paging: walking the whole registry page
    /// by page costs the same per page at the end as at the start, unlike `offset`).
    pub after: Option<CertificateId>,
}

/// Organisations and authorisations.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Registers an organisation.
    async fn insert_org(&self, org: &Organisation, audit: &Audit) -> Result<()>;
    /// One organisation.
    async fn org(&self, id: &OrgId) -> Result<Option<Organisation>>;
    /// All organisations, by id.
    async fn orgs(&self) -> Result<Vec<Organisation>>;
    /// Grants (or re-grants) an authorisation.
    async fn upsert_authorisation(&self, a: &Authorisation, audit: &Audit) -> Result<()>;
    /// An assessment body's authorisations, including revoked ones.
    async fn authorisations(&self, body: &OrgId) -> Result<Vec<Authorisation>>;
}

/// Products, versions, support commitments and dependencies.
#[async_trait]
pub trait ProductStore: Send + Sync {
    /// The next id for a prefix (`PRD`, `VER`, `DEP`, `ASM`, or `KM-<year>`).
    async fn next_sequence(&self, name: &str) -> Result<u64>;
    /// The last id given out for a prefix (0 if none), without taking one.
    async fn current_sequence(&self, name: &str) -> Result<u64>;
    /// Registers a product.
    async fn insert_product(&self, p: &Product, audit: &Audit) -> Result<()>;
    /// One product.
    async fn product(&self, id: &RecordId) -> Result<Option<Product>>;
    /// Products matching a filter, by id.
    async fn products(&self, filter: &ProductFilter) -> Result<Vec<Product>>;
    /// Adds a version, with the follow-up work it causes (in the same transaction).
    async fn insert_version(
        &self,
        v: &ProductVersion,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()>;
    /// One version.
    async fn version(&self, id: &RecordId) -> Result<Option<ProductVersion>>;
    /// A product's versions, oldest release first.
    async fn versions(&self, product: &RecordId) -> Result<Vec<ProductVersion>>;
    /// Every software list of a product's versions, with its signed record, by version id: what
    /// the registry proves before it counts a version as monitored.
    async fn software_lists(
        &self,
        product: &RecordId,
    ) -> Result<Vec<crate::vuln::StoredSoftwareList>>;
    /// The bytes of a version's software list and the SHA-256 stored with them (one row, one
    /// read), if a list is stored.
    async fn software_list_document(
        &self,
        version: &RecordId,
    ) -> Result<Option<(Vec<u8>, Option<String>)>>;
    /// Sets the support commitment, with the follow-up work it causes (in the same transaction).
    async fn set_support(
        &self,
        product: &RecordId,
        s: &SupportCommitment,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()>;
    /// The support commitment.
    async fn support(&self, product: &RecordId) -> Result<Option<SupportCommitment>>;
    /// Adds a dependency, with the follow-up work it causes (in the same transaction).
    async fn insert_dependency(
        &self,
        d: &Dependency,
        audit: &Audit,
        follow_ups: &[FollowUp],
    ) -> Result<()>;
    /// One dependency.
    async fn dependency(&self, id: &RecordId) -> Result<Option<Dependency>>;
    /// A product's dependencies.
    async fn dependencies(&self, product: &RecordId) -> Result<Vec<Dependency>>;
    /// Dependencies on a given service certificate.
    async fn dependents(&self, certificate: &CertificateId) -> Result<Vec<Dependency>>;
}

/// Assessments.
#[async_trait]
pub trait AssessmentStore: Send + Sync {
    /// Records an assessment.
    async fn insert_assessment(&self, a: &Assessment, audit: &Audit) -> Result<()>;
    /// One assessment.
    async fn assessment(&self, id: &RecordId) -> Result<Option<Assessment>>;
    /// Records the national authority's approval.
    async fn approve_assessment(&self, id: &RecordId, by: &OrgId, audit: &Audit) -> Result<()>;
}

/// Certificates and their append-only events.
#[async_trait]
pub trait CertificateStore: Send + Sync {
    /// Creates a certificate with its `issued` event, and queues `log_entry` (the signed
    /// statement recording it) for the transparency log in the same transaction.
    async fn issue(
        &self,
        cert: &Certificate,
        issued: &Event,
        log_entry: &[u8],
        audit: &Audit,
    ) -> Result<Appended>;
    /// Issues a certificate like [`issue`](Self::issue), and in the same transaction takes its
    /// number (see [`Numbering`]), refuses an assessment that already has a certificate
    /// ([`crate::StoreError::AlreadyExists`]) and appends `also` (e.g. the supersession of the
    /// certificates it replaces). Returns where the issue event landed, then each of `also`.
    async fn issue_numbered(
        &self,
        cert: &Certificate,
        issued: &Event,
        log_entry: &[u8],
        number: &Numbering,
        also: &[NewEvent<'_>],
        audit: &Audit,
    ) -> Result<Vec<Appended>>;
    /// Appends an event and updates the cached state, if the certificate's last event is still
    /// `expected_last_seq` (else [`crate::StoreError::Conflict`]), and queues the statement for
    /// the transparency log and the follow-up work in the outbox in the same transaction.
    async fn append_event(&self, e: &NewEvent<'_>, audit: &Audit) -> Result<Appended>;
    /// [`append_event`](Self::append_event) without follow-up work.
    async fn append(
        &self,
        event: &Event,
        new_state: State,
        expected_last_seq: i64,
        log_entry: &[u8],
        audit: &Audit,
    ) -> Result<Appended> {
        let e = NewEvent {
            event,
            new_state,
            expected_last_seq,
            log_entry,
            follow_ups: &[],
        };
        self.append_event(&e, audit).await
    }
    /// One certificate (cached state) and its last event sequence number.
    async fn certificate(&self, id: &CertificateId) -> Result<Option<(Certificate, i64)>>;
    /// A certificate with its product and its status list index, in one read (what a signed
    /// status claims); `None` if either row is missing.
    async fn certificate_with_product(
        &self,
        id: &CertificateId,
    ) -> Result<Option<(Certificate, Product, Option<u64>)>>;
    /// Certificates matching a filter, by id.
    async fn certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>>;
    /// A certificate's events, oldest first.
    async fn events(&self, id: &CertificateId) -> Result<Vec<Event>>;
    /// Events registry-wide after a sequence number, oldest first (feeds, monitors).
    async fn events_after(&self, seq: i64, limit: i64) -> Result<Vec<Event>>;
}

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Audit records, newest first.
    async fn audit(&self, limit: i64, before_seq: Option<i64>) -> Result<Vec<AuditEntry>>;
}

/// Everything the service layer needs.
pub trait RegistryStore:
    OrgStore
    + ProductStore
    + AssessmentStore
    + CertificateStore
    + AuditStore
    + OutboxStore
    + crate::schedule::ScheduleStore
    + crate::statuslist::StatusListStore
    + crate::label_status::StatusStore
{
}

impl<
        T: OrgStore
            + ProductStore
            + AssessmentStore
            + CertificateStore
            + AuditStore
            + OutboxStore
            + crate::schedule::ScheduleStore
            + crate::statuslist::StatusListStore
            + crate::label_status::StatusStore,
    > RegistryStore for T
{
}

//! The registry's Token Status List (issue 15 item 6; draft-ietf-oauth-status-list): the status
//! of every label, 2 bits each at the certificate's stable index, signed by the registry root key
//! and published so that a phone, a till or customs can check any label offline without telling
//! anyone which one.
//!
//! - **Which bits.** `keurmerk_trust::status_type` of the signed status ([`crate::cert_status`]):
//!   valid `0`, attention `3`, suspended `2`, everything else `1` (withdrawn, expired, support
//!   ended, unknown). A certificate whose status cannot be computed, and any slot no certificate
//!   holds, is `1`: nothing reads as valid that the registry did not evaluate as valid.
//! - **Published, shared, logged.** A publication is stored (`status_lists`, migration 0020) with
//!   its signed [`StatusListRecord`] queued for the transparency log in the same transaction, so
//!   every instance serves the same bytes and every list anybody was served is in the log.
//! - **When.** [`Registry::status_list_pass`] (run by `keurmerk serve` every
//!   [`STATUS_LIST_CHECK_SECS`], one instance at a time through the `status-list` lease) builds a
//!   new list when anything it was built from changed since the last one ([`BuiltFrom`]: an
//!   event was recorded, the trust list or the policies changed, or a stored status went stale
//!   with time) and the statuses differ, and at least every [`STATUS_LIST_REPUBLISH_SECS`]; a list expires [`STATUS_LIST_VALIDITY_SECS`] after it
//!   was issued, and tells verifiers to refetch after `ttl` = [`STATUS_LIST_TTL_SECS`].

use chrono::{DateTime, Duration, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_store::{PublishedStatusList, RegistryStore};
use keurmerk_trust::{
    status_list_sha256, status_list_token, status_type, StatusList, StatusListRecord,
    MAX_STATUS_LIST_BYTES, STATUS_INVALID, STATUS_LIST_BITS,
};
use sha2::{Digest, Sha256};

use crate::error::invalid;
use crate::signing::cert_status;
use crate::{Registry, ServiceError, ServiceResult};

/// Path of the published list, under the registry's base URL (the token's `sub`).
pub const STATUS_LIST_PATH: &str = "/api/v1/status-list";
/// How long a list is valid (`exp - iat`).
pub const STATUS_LIST_VALIDITY_SECS: i64 = 2 * 3600;
/// The list's `ttl`: how long a verifier may keep it before fetching a fresh one.
pub const STATUS_LIST_TTL_SECS: u64 = 3600;
/// A list is published again after this long even when nothing changed, so a current list is
/// always at least [`STATUS_LIST_VALIDITY_SECS`] minus this away from expiring.
pub const STATUS_LIST_REPUBLISH_SECS: i64 = 3600;
/// How often `keurmerk serve` looks for status changes to publish.
pub const STATUS_LIST_CHECK_SECS: u64 = 15;
/// The lease that makes one instance the publisher.
pub const STATUS_LIST_LEASE: &str = "status-list";
/// What the newest list's statuses were last found equal to ([`BuiltFrom`], as JSON).
const CHECKED: &str = "status_list_built_from";
/// Slots a list may have: what a verifier decompresses ([`MAX_STATUS_LIST_BYTES`]) at
/// [`STATUS_LIST_BITS`] each.
const MAX_SLOTS: usize = MAX_STATUS_LIST_BYTES * (8 / STATUS_LIST_BITS as usize);
/// Certificates whose stored statuses one query reads while the list is built.
const STATUS_READ_CHUNK: usize = 500;

/// While a list is read, a slot no row has claimed yet (beyond the 2-bit statuses).
const UNCLAIMED: u8 = 0xff;
/// A slot two rows claimed.
const CONTESTED: u8 = 0xfe;
/// A slot whose certificate is being evaluated.
const PENDING: u8 = 0xfd;
/// How many of a pass's damaged rows are named in its warning (the rest are counted).
const DAMAGE_NAMED: usize = 10;

/// Rows a pass could not take as slots: each label concerned reads "not valid" in the list, and
/// the operator is told (`certificate verify` finds and repairs them).
#[derive(Debug, Default)]
struct Damage {
    /// Why each unreadable row was left out (the first [`DAMAGE_NAMED`]).
    unreadable: Vec<String>,
    /// How many rows were left out.
    unreadable_count: usize,
    /// Indices two or more rows claimed.
    shared: Vec<u64>,
}

impl Damage {
    fn unreadable(&mut self, why: String) {
        self.unreadable_count += 1;
        if self.unreadable.len() < DAMAGE_NAMED {
            self.unreadable.push(why);
        }
    }

    fn report(&self) {
        if self.unreadable_count > 0 {
            tracing::error!(rows = self.unreadable_count, first = ?self.unreadable,
                "status rows that are not slots left out of the status list: their labels are \
                 listed not valid; run `keurmerk certificate verify --repair`");
        }
        if !self.shared.is_empty() {
            tracing::error!(indices = self.shared.len(),
                first = ?self.shared.iter().take(DAMAGE_NAMED).collect::<Vec<_>>(),
                "status indices held by more than one label: listed not valid; run \
                 `keurmerk certificate verify --repair`");
        }
    }
}

/// Lowercase hex SHA-256 of the packed statuses.
fn content_sha256(list: &StatusList) -> String {
    hex::encode(Sha256::digest(list.as_bytes()))
}

/// Whole seconds: `iat` and `exp` are in seconds, and the record must state the same instants.
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// What a list's statuses were built from besides the stored rows: a pass builds nothing while
/// all of it still holds. Not the events alone: a key revoked or found compromised, a trust or
/// policy change and the passing of a date change statuses without a new event, and each would
/// otherwise wait for the hourly list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct BuiltFrom {
    /// The newest event, every one up to it committed (`StatusListStore::status_watermark`).
    watermark: i64,
    /// The policies' fingerprint the stored statuses were proven under.
    policy: String,
    /// The trust list's digest (hex) they were proven under.
    trust: String,
    /// The earliest instant time alone makes one of them stale.
    until: Option<DateTime<Utc>>,
}

impl BuiltFrom {
    /// Whether a list built from this is still what one built now would be built from.
    fn still_holds(&self, watermark: i64, rule: &keurmerk_store::ServedRule) -> bool {
        self.watermark == watermark
            && self.policy == rule.policy
            && self.trust == rule.trust
            && self.until.is_none_or(|until| rule.now < until)
    }
}

/// A certificate's value in the list from its lookup: the status type of its status; `INVALID`
/// when it cannot be evaluated (nothing reads as valid that the registry did not evaluate as
/// valid); the error itself when the database could not be used for the moment, which says
/// nothing about the label, so the caller builds no list.
fn list_value(
    id: &CertificateId,
    looked_up: ServiceResult<keurmerk_domain::status::StatusReport>,
) -> ServiceResult<u8> {
    match looked_up {
        Ok(report) => Ok(status_type(cert_status(report.status))),
        Err(e @ ServiceError::Unavailable(_)) => Err(e),
        Err(e) => {
            tracing::warn!(certificate = %id, error = %e,
                "no status for the status list: published as invalid");
            Ok(STATUS_INVALID)
        }
    }
}

impl<S: RegistryStore> Registry<S> {
    /// The list's URL (`sub`): the base URL of labels plus [`STATUS_LIST_PATH`].
    pub fn status_list_url(&self) -> ServiceResult<String> {
        Ok(format!("{}{STATUS_LIST_PATH}", self.signer()?.base_url()))
    }

    /// Every certificate's status type at its index, and the event watermark they reflect.
    /// Slots without a certificate, and certificates whose status cannot be computed, are
    /// `INVALID`.
    ///
    /// One pass over `label_status` (one index on SQLite, migration 0031) reads each row's
    /// index and the status word stored with its report (`label_status.status`, under the
    /// conditions a lookup serves the row by); only
    /// the certificates without one are evaluated as a lookup would (fold and store), a chunk
    /// at a time.
    pub async fn current_status_list(&self) -> ServiceResult<(StatusList, i64)> {
        let (list, _, from) = self.build_status_list(self.list_inputs().await?).await?;
        Ok((list, from.watermark))
    }

    /// [`Self::current_status_list`], how many of its slots are labels' (up to the highest
    /// index; the padding of the last byte after them is not), and what it was built from.
    async fn build_status_list(
        &self,
        (watermark, rule): (i64, keurmerk_store::ServedRule),
    ) -> ServiceResult<(StatusList, u64, BuiltFrom)> {
        // One byte per slot while reading (1 MB per million), packed at the end; a slot no row
        // claimed, or two rows did, is "not valid" in the list.
        let mut values: Vec<u8> = Vec::new();
        let mut to_evaluate: Vec<(usize, CertificateId)> = Vec::new();
        let mut damage = Damage::default();
        let mut rows = 0usize;
        // The earliest instant time alone makes a stored status stale: of the rows read with
        // their status, from the pass itself; of those evaluated (and stored again), below.
        let mut until = self
            .store()
            .list_statuses(&rule, &mut |slot| {
                rows += 1;
                // A row that is not a slot (an edit by hand) costs its own slot, which no row
                // then claims: that label reads "not valid", the rest are published.
                let slot = match slot {
                    Ok(slot) => slot,
                    Err(e) => {
                        damage.unreadable(e.to_string());
                        return Ok(());
                    }
                };
                // Beyond what verifiers decompress (and a corrupt index must not make this
                // allocate without bound): that row's label is left out, like an unreadable one.
                let Some(i) = usize::try_from(slot.index).ok().filter(|i| *i < MAX_SLOTS) else {
                    damage.unreadable(format!(
                        "status index {} is past the {MAX_SLOTS} statuses a verifier reads",
                        slot.index
                    ));
                    return Ok(());
                };
                if values.len() <= i {
                    values.resize(i + 1, UNCLAIMED);
                }
                if values[i] != UNCLAIMED {
                    // Two labels at one index (the database keeps one, migration 0044: a hand
                    // edit, or a restore from elsewhere): neither status is the slot's.
                    if values[i] != CONTESTED {
                        damage.shared.push(slot.index);
                    }
                    values[i] = CONTESTED;
                    return Ok(());
                }
                match slot.status {
                    Ok(status) => values[i] = status_type(cert_status(status)),
                    Err(id) => {
                        values[i] = PENDING;
                        to_evaluate.push((i, id));
                    }
                }
                Ok(())
            })
            .await?;
        // Many rows that cannot be read are no edit by hand but a fault of the reading (or of a
        // release): a list saying "not valid" for all of them would be signed and logged, so
        // none is built, and the last one stays served.
        if damage.unreadable_count > DAMAGE_NAMED.max(rows / 100) {
            damage.report();
            return Err(keurmerk_store::StoreError::Corrupt {
                what: "status list",
                detail: format!(
                    "{} of {rows} status rows cannot be read as slots: no list is built from them",
                    damage.unreadable_count
                ),
            }
            .into());
        }
        // The statuses a page of lookups would give, a chunk of rows per query.
        for chunk in to_evaluate.chunks(STATUS_READ_CHUNK) {
            let ids: Vec<CertificateId> = chunk.iter().map(|(_, id)| id.clone()).collect();
            for ((i, _), value) in chunk.iter().zip(self.evaluate_for_list(&ids).await?) {
                // A contested slot stays so, whatever either label's status.
                if let Some(slot) = values.get_mut(*i).filter(|v| **v == PENDING) {
                    *slot = value;
                }
            }
            let stored = self.store().earliest_stale_after_of(&ids, rule.now).await?;
            until = match (until, stored) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        for v in &mut values {
            if matches!(*v, UNCLAIMED | CONTESTED | PENDING) {
                *v = STATUS_INVALID;
            }
        }
        damage.report();
        let labels = values.len() as u64;
        // Every slot of the packed bytes, up to the last byte's end: a verifier reads the
        // padding too, so it must say "not valid" as well.
        let per_byte = usize::from(8 / STATUS_LIST_BITS);
        values.resize(values.len().div_ceil(per_byte) * per_byte, STATUS_INVALID);
        let mut list = StatusList::new(STATUS_LIST_BITS, values.len() as u64)
            .map_err(|e| invalid("status list", e.to_string()))?;
        for (i, v) in values.into_iter().enumerate() {
            list.set(i as u64, v)
                .map_err(|e| invalid("status list", e.to_string()))?;
        }
        Ok((
            list,
            labels,
            BuiltFrom {
                watermark,
                policy: rule.policy,
                trust: rule.trust,
                until,
            },
        ))
    }

    /// What a list is built from, read before any row: the watermark first (an event recorded
    /// while the statuses are read makes the list look out of date, so the next pass builds it
    /// again), then the rule (the trust list and policies the stored statuses must have been
    /// proven under). On PostgreSQL the watermark waits for the writes under way.
    async fn list_inputs(&self) -> ServiceResult<(i64, keurmerk_store::ServedRule)> {
        let watermark = self.store().status_watermark().await?;
        Ok((watermark, self.served_rule().await?))
    }

    /// The status types of `ids` as lookups would give them; a certificate that cannot be
    /// evaluated is `INVALID`, and never takes the others with it. A database that cannot be
    /// used for the moment is an error, not a status: published, it would read as "not valid"
    /// for labels that are valid until the next list (up to an hour), so no list is built and
    /// the current one stays served until the next pass.
    async fn evaluate_for_list(&self, ids: &[CertificateId]) -> ServiceResult<Vec<u8>> {
        match self.statuses_from_read_model(ids).await {
            Ok(reports) => Ok(reports
                .iter()
                .map(|r| status_type(cert_status(r.status)))
                .collect()),
            Err(e @ ServiceError::Unavailable(_)) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e,
                    "reading a chunk of statuses for the status list failed: one by one");
                let mut one_by_one = Vec::with_capacity(ids.len());
                for id in ids {
                    one_by_one.push(list_value(id, self.status(id).await)?);
                }
                Ok(one_by_one)
            }
        }
    }

    /// Builds, signs, stores and queues for the log a new list if one is due (see the module
    /// documentation); returns it, or `None` when the newest list is still current.
    pub async fn refresh_status_list(&self) -> ServiceResult<Option<PublishedStatusList>> {
        let now = self.now();
        let latest = self.store().latest_status_list().await?;
        let young = |p: &PublishedStatusList| {
            now >= p.issued_at
                && now < p.issued_at + Duration::seconds(STATUS_LIST_REPUBLISH_SECS)
                && now < p.expires_at
        };
        let (watermark, rule) = self.list_inputs().await?;
        let checked: Option<BuiltFrom> = self
            .store()
            .scheduler_value(CHECKED)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok());
        if latest.as_ref().is_some_and(young)
            && checked.is_some_and(|c| c.still_holds(watermark, &rule))
        {
            return Ok(None);
        }
        // Built from what was just read: the watermark (on PostgreSQL a wait for the writes
        // under way) and the rule are not read twice.
        let (list, labels, from) = self.build_status_list((watermark, rule)).await?;
        let content = content_sha256(&list);
        if let Some(p) = latest.as_ref().filter(|p| young(p)) {
            if p.content_sha256 == content {
                // Something changed, but no status did: remember that, so the next pass does
                // not evaluate everything again for the same change.
                self.record_built_from(&from).await?;
                return Ok(None);
            }
        }
        self.publish_status_list(
            &list,
            labels,
            &from,
            latest.as_ref().map_or(1, |p| p.sequence + 1),
        )
        .await
        .map(Some)
    }

    /// Notes what the newest list's statuses were found equal to, for the next pass.
    async fn record_built_from(&self, from: &BuiltFrom) -> ServiceResult<()> {
        let value =
            serde_json::to_string(from).map_err(|e| invalid("status list", e.to_string()))?;
        self.store().set_scheduler_value(CHECKED, &value).await?;
        Ok(())
    }

    async fn publish_status_list(
        &self,
        list: &StatusList,
        labels: u64,
        from: &BuiltFrom,
        sequence: u64,
    ) -> ServiceResult<PublishedStatusList> {
        // Every publication's `iat` and `exp` are this clock's: a list from the future is
        // refused by verifiers and makes every other instance publish again
        // (`Registry::with_clock_check`).
        self.check_clock().await?;
        let watermark = from.watermark;
        let issued_at = whole_seconds(self.now());
        let expires_at = issued_at + Duration::seconds(STATUS_LIST_VALIDITY_SECS);
        let sub = self.status_list_url()?;
        let root = self.root_signing_key(issued_at).await?;
        let token = status_list_token(
            list,
            &sub,
            issued_at,
            expires_at,
            STATUS_LIST_TTL_SECS,
            &root,
        )
        .map_err(|e| invalid("status list", e.to_string()))?;
        let token_sha256 = status_list_sha256(&token);
        let record = StatusListRecord {
            sub,
            sequence,
            issued_at,
            expires_at,
            size: labels,
            sha256: token_sha256.clone(),
        }
        .sign(&root)
        .map_err(|e| invalid("status list record", e.to_string()))?;
        let published = PublishedStatusList {
            sequence,
            issued_at,
            expires_at,
            watermark,
            size: labels,
            content_sha256: content_sha256(list),
            token_sha256,
            token,
        };
        match self
            .store()
            .publish_status_list(&published, &record)
            .await?
        {
            Some(queue_id) => {
                tracing::info!(
                    sequence,
                    size = published.size,
                    queue_id,
                    "published a status list"
                );
                // Best effort: without it, the next pass builds the same list once more.
                if let Err(e) = self.record_built_from(from).await {
                    tracing::warn!(error = %e, "what the status list was built from not recorded");
                }
                Ok(published)
            }
            // Another instance published this sequence meanwhile: serve its list.
            None => self.store().latest_status_list().await?.ok_or_else(|| {
                crate::ServiceError::Conflict("the status list was published concurrently".into())
            }),
        }
    }

    /// One publisher pass: if this instance (`holder`) holds or can take the `status-list`
    /// lease (kept until `now + lease`), [`Registry::refresh_status_list`].
    pub async fn status_list_pass(
        &self,
        holder: &str,
        lease: std::time::Duration,
    ) -> ServiceResult<Option<PublishedStatusList>> {
        // Before the lease: an instance whose clock is wrong must not take it from the others.
        self.check_clock().await?;
        let now = self.now();
        let until = now + Duration::from_std(lease).map_err(|_| invalid("lease", "too long"))?;
        if !self
            .store()
            .take_lease(STATUS_LIST_LEASE, holder, now, until)
            .await?
        {
            return Ok(None);
        }
        self.refresh_status_list().await
    }

    /// Builds and publishes a new list now, whether or not one is due (an operator after a
    /// restore or a mass change, and the build's benchmark); returns it with how long reading
    /// the statuses and packing them took, and how long signing, storing and queueing it took.
    pub async fn publish_status_list_now(
        &self,
    ) -> ServiceResult<(
        PublishedStatusList,
        std::time::Duration,
        std::time::Duration,
    )> {
        // Before any work: a build on a wrong clock would evaluate and store statuses by it.
        self.check_clock().await?;
        let started = std::time::Instant::now();
        let latest = self.store().latest_status_list().await?;
        let (list, labels, from) = self.build_status_list(self.list_inputs().await?).await?;
        let built = started.elapsed();
        let published = self
            .publish_status_list(&list, labels, &from, latest.map_or(1, |p| p.sequence + 1))
            .await?;
        Ok((published, built, started.elapsed() - built))
    }

    /// The list to serve: the newest publication while it has not expired, else a new one
    /// published now (a registry without a root key cannot, and says so).
    pub async fn status_list(&self) -> ServiceResult<PublishedStatusList> {
        if let Some(p) = self.store().latest_status_list().await? {
            if self.now() < p.expires_at {
                return Ok(p);
            }
        }
        // Before the turn and the build: a build on a wrong clock would evaluate and store
        // statuses by it, and then be refused.
        self.check_clock().await?;
        // One build at a time (per store handle); whoever waited finds the fresh list, or the
        // failure of a build that found the database out of reach meanwhile (crate::turn).
        let mut turn = self.status_list_turns.take().await?;
        let built = async {
            let latest = self.store().latest_status_list().await?;
            if let Some(p) = latest.as_ref().filter(|p| self.now() < p.expires_at) {
                return Ok(p.clone());
            }
            let (list, labels, from) = self.build_status_list(self.list_inputs().await?).await?;
            self.publish_status_list(&list, labels, &from, latest.map_or(1, |p| p.sequence + 1))
                .await
        }
        .await;
        turn.ended(&built);
        built
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keurmerk_domain::status::LabelStatus;
    use keurmerk_store::StoreError;

    /// A database out of reach builds no list; a certificate that cannot be evaluated is
    /// published as not valid; an evaluated one as its status.
    #[test]
    fn only_a_label_that_cannot_be_evaluated_is_listed_invalid() {
        let id: CertificateId = "KM-2026-000001".parse().unwrap();
        let out = ServiceError::Unavailable(StoreError::Unavailable("pool timed out".into()));
        assert!(matches!(
            list_value(&id, Err(out)),
            Err(ServiceError::Unavailable(_))
        ));
        let corrupt = ServiceError::Store(StoreError::Corrupt {
            what: "status",
            detail: "unreadable".into(),
        });
        assert_eq!(list_value(&id, Err(corrupt)).unwrap(), STATUS_INVALID);
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let report = |status| keurmerk_domain::status::StatusReport {
            certificate: id.clone(),
            status,
            reasons: Vec::new(),
            evaluated_at: at,
            state: keurmerk_domain::lifecycle::State::Active,
            issuer_kind: keurmerk_domain::model::IssuerKind::ThirdParty,
            valid_until: at.date_naive(),
            support_until: None,
            latest_security_update: None,
            open_vulnerabilities: Default::default(),
            dependencies: Vec::new(),
            last_event_at: at,
            setup: None,
            covered_versions: Vec::new(),
            version: None,
        };
        assert_eq!(list_value(&id, Ok(report(LabelStatus::Valid))).unwrap(), 0);
        assert_eq!(
            list_value(&id, Ok(report(LabelStatus::Suspended))).unwrap(),
            2
        );
    }
}

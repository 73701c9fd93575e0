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
//!   new list when an event was recorded since the last one and the statuses differ, and at least
//!   every [`STATUS_LIST_REPUBLISH_SECS`]; a list expires [`STATUS_LIST_VALIDITY_SECS`] after it
//!   was issued, and tells verifiers to refetch after `ttl` = [`STATUS_LIST_TTL_SECS`].

use chrono::{DateTime, Duration, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_store::{PublishedStatusList, RegistryStore, StoreError};
use keurmerk_trust::{
    status_list_sha256, status_list_token, status_type, StatusList, StatusListRecord,
    MAX_STATUS_LIST_BYTES, STATUS_INVALID, STATUS_LIST_BITS,
};
use sha2::{Digest, Sha256};

use crate::error::invalid;
use crate::signing::cert_status;
use crate::{Registry, ServiceResult};

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
/// The newest event sequence number whose statuses equal the newest list's.
const CHECKED_WATERMARK: &str = "status_list_watermark";
/// Slots a list may have: what a verifier decompresses ([`MAX_STATUS_LIST_BYTES`]) at
/// [`STATUS_LIST_BITS`] each.
const MAX_SLOTS: usize = MAX_STATUS_LIST_BYTES * (8 / STATUS_LIST_BITS as usize);
/// Certificates whose stored statuses one query reads while the list is built.
const STATUS_READ_CHUNK: usize = 500;

/// Lowercase hex SHA-256 of the packed statuses.
fn content_sha256(list: &StatusList) -> String {
    hex::encode(Sha256::digest(list.as_bytes()))
}

/// Whole seconds: `iat` and `exp` are in seconds, and the record must state the same instants.
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
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
        // The watermark first: an event recorded while the statuses are read makes the list
        // look out of date, so the next pass builds it again.
        let watermark = self.store().status_watermark().await?;
        let rule = self.served_rule().await?;
        // One byte per slot while reading (1 MB per million), packed at the end.
        let mut values: Vec<u8> = Vec::new();
        let mut to_evaluate: Vec<(u64, CertificateId)> = Vec::new();
        self.store()
            .list_statuses(&rule, &mut |slot| {
                // Beyond what verifiers decompress (and a corrupt index must not make this
                // allocate without bound): no list rather than one nobody can read.
                let i = usize::try_from(slot.index)
                    .ok()
                    .filter(|i| *i < MAX_SLOTS)
                    .ok_or_else(|| StoreError::Corrupt {
                        what: "status index",
                        detail: format!(
                            "{} is past the {MAX_SLOTS} statuses a verifier reads",
                            slot.index
                        ),
                    })?;
                if values.len() <= i {
                    values.resize(i + 1, STATUS_INVALID);
                }
                match slot.status {
                    Ok(status) => values[i] = status_type(cert_status(status)),
                    Err(id) => to_evaluate.push((slot.index, id)),
                }
                Ok(())
            })
            .await?;
        // The statuses a page of lookups would give, a chunk of rows per query.
        for chunk in to_evaluate.chunks(STATUS_READ_CHUNK) {
            let ids: Vec<CertificateId> = chunk.iter().map(|(_, id)| id.clone()).collect();
            for ((index, _), value) in chunk.iter().zip(self.evaluate_for_list(&ids).await) {
                let i = usize::try_from(*index).unwrap_or(usize::MAX);
                if let Some(slot) = values.get_mut(i) {
                    *slot = value;
                }
            }
        }
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
        Ok((list, watermark))
    }

    /// The status types of `ids` as lookups would give them; a certificate that cannot be
    /// evaluated is `INVALID`, and never takes the others with it.
    async fn evaluate_for_list(&self, ids: &[CertificateId]) -> Vec<u8> {
        match self.statuses_from_read_model(ids).await {
            Ok(reports) => reports
                .iter()
                .map(|r| status_type(cert_status(r.status)))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e,
                    "reading a chunk of statuses for the status list failed: one by one");
                let mut one_by_one = Vec::with_capacity(ids.len());
                for id in ids {
                    one_by_one.push(match self.status(id).await {
                        Ok(report) => status_type(cert_status(report.status)),
                        Err(e) => {
                            tracing::warn!(certificate = %id, error = %e,
                                "no status for the status list: published as invalid");
                            STATUS_INVALID
                        }
                    });
                }
                one_by_one
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
        let watermark = self.store().status_watermark().await?;
        let checked = self
            .store()
            .scheduler_value(CHECKED_WATERMARK)
            .await?
            .and_then(|v| v.parse::<i64>().ok());
        if let Some(p) = latest.as_ref().filter(|p| young(p)) {
            if p.watermark == watermark || checked == Some(watermark) {
                return Ok(None);
            }
        }
        let (list, watermark) = self.current_status_list().await?;
        let content = content_sha256(&list);
        if let Some(p) = latest.as_ref().filter(|p| young(p)) {
            if p.content_sha256 == content {
                // Events, but no status changed: remember that, so the next pass does not
                // evaluate everything again for the same events.
                self.store()
                    .set_scheduler_value(CHECKED_WATERMARK, &watermark.to_string())
                    .await?;
                return Ok(None);
            }
        }
        self.publish_status_list(
            &list,
            watermark,
            latest.as_ref().map_or(1, |p| p.sequence + 1),
        )
        .await
        .map(Some)
    }

    async fn publish_status_list(
        &self,
        list: &StatusList,
        watermark: i64,
        sequence: u64,
    ) -> ServiceResult<PublishedStatusList> {
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
            size: list.len(),
            sha256: token_sha256.clone(),
        }
        .sign(&root)
        .map_err(|e| invalid("status list record", e.to_string()))?;
        let published = PublishedStatusList {
            sequence,
            issued_at,
            expires_at,
            watermark,
            size: list.len(),
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
        let started = std::time::Instant::now();
        let latest = self.store().latest_status_list().await?;
        let (list, watermark) = self.current_status_list().await?;
        let built = started.elapsed();
        let published = self
            .publish_status_list(&list, watermark, latest.map_or(1, |p| p.sequence + 1))
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
        // One build at a time (per store handle); whoever waited finds the fresh list, or the
        // failure of a build that found the database out of reach meanwhile (crate::turn).
        let mut turn = self.status_list_turns.take().await?;
        let built = async {
            let latest = self.store().latest_status_list().await?;
            if let Some(p) = latest.as_ref().filter(|p| self.now() < p.expires_at) {
                return Ok(p.clone());
            }
            let (list, watermark) = self.current_status_list().await?;
            self.publish_status_list(&list, watermark, latest.map_or(1, |p| p.sequence + 1))
                .await
        }
        .await;
        turn.ended(&built);
        built
    }
}

//! The label status read model (issue 15 item 2, ADR 0015): a status lookup reads one stored row
//! instead of folding the certificate's events, and serves it only when it can prove the row is
//! the report the fold would give now. Otherwise it folds (verifying every statement, as before)
//! and stores the result for the next lookup.
//!
//! A row is served only when all of these hold (fail closed: anything unknown means fold):
//! - it was folded from the certificate's current last event (`seq` = `certificates.last_seq`,
//!   checked in the same query) and no other input changed since (the store's triggers clear the
//!   report in the transaction of any change of the certificate's events, statements,
//!   re-signatures, software lists or scheme; see migration 0021);
//! - its history was fully proven by signed statements (a certificate with any integrity problem
//!   never gets a row, so its `unknown` status is always folded afresh);
//! - it was verified against the trust list the registry reads with now (same content digest:
//!   a key revoked or compromised, an authorisation changed, all make it stale);
//! - it was evaluated under the catalogue's current status policies (fingerprint);
//! - `computed_at <= now < stale_after`, the window in which time alone cannot change it
//!   ([`keurmerk_domain::status::stale_after`]); a clock that went back is outside it.
//!
//! The certificate page has a read model of the same generation (migration 0032): the events
//! the fold proved, stored with the status row, served only together with a status row that
//! may be served ([`Registry::details_from_read_model`]). With them, who signed the newest
//! statement when the fold verified it ([`AuthenticSignature`]): the page's verification section
//! shows that verdict instead of verifying the statement again on every view. It holds exactly
//! as long as the row may be served: the statement's bytes cannot change without deleting the
//! row (trigger), the row is served only under a trust list of the same content digest (so
//! under the same keys, revocations and scopes), and time cannot undo it once
//! `computed_at <= now` (a statement is refused only for being signed in the future).

use keurmerk_domain::event::{fold, Event};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::{Certificate, Product};
use keurmerk_domain::status::{stale_after, StatusReport};
use keurmerk_store::{CertificateFilter, PageBody, RegistryStore, StoredPage, StoredStatus};
use serde::{Deserialize, Serialize};

use crate::queries::CertificateDetails;
use crate::{AuthenticSignature, Registry, ServiceResult};

/// Certificates read per page by [`Registry::verify_read_model`].
const PAGE: i64 = 500;

/// The version of what a stored row means: part of the fingerprint each row is checked against,
/// so rows written by a build whose `StatusReport` or evaluation differed are never served.
/// Bump it with any change to either (2: the report carries the maker's setup facts and the
/// covered versions; 3: a software list counts only with its maker's signed record, so a row
/// an older build stores during a rolling upgrade, counting any list, is never served).
pub(crate) const FORMAT: &str = "label-status-3";

/// The format of a stored certificate page body ([`PageData`]). Bump it with any change of
/// that type or of what the page derives from it: a body of another format is never read
/// (except [`PAGE_FORMAT_EVENTS_ONLY`]). 2: with the newest statement's verdict.
pub(crate) const PAGE_FORMAT: &str = "certificate-page-2";

/// The format before the verdict: its events are read, and the page verifies the newest
/// statement itself, so a registry upgraded with a million such rows need not fold them again.
const PAGE_FORMAT_EVENTS_ONLY: &str = "certificate-page-1";

/// What the certificate page's read model stores (migration 0032): the events the signed
/// statements prove, oldest first, as [`Registry::fold_details`] verified them. The view is
/// folded from them again on every read (pure and cheap; no signature is checked), so it cannot
/// drift from them. `newest`: who signed the last event's statement, when that fold verified it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageData {
    events: Vec<Event>,
    #[serde(default)]
    newest: Option<StoredSignature>,
}

/// An [`AuthenticSignature`] as the page row stores it (the certificate is the row's).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredSignature {
    event_seq: i64,
    organisation: String,
    role: keurmerk_trust::Role,
    key_id: String,
    signed_at: chrono::DateTime<chrono::Utc>,
}

/// [`PageData`] as written, borrowing the events.
#[derive(Serialize)]
struct PageDataRef<'a> {
    events: &'a [Event],
    #[serde(skip_serializing_if = "Option::is_none")]
    newest: Option<StoredSignature>,
}

/// The stored body of a page whose proven events are `events`, with the verdict on the newest
/// statement the fold reached, if any.
pub(crate) fn page_body(
    events: &[Event],
    newest: Option<&AuthenticSignature>,
) -> serde_json::Result<PageBody> {
    let newest = newest.map(|s| StoredSignature {
        event_seq: s.event_seq(),
        organisation: s.organisation().to_owned(),
        role: s.role(),
        key_id: s.key_id().to_owned(),
        signed_at: s.signed_at(),
    });
    Ok(PageBody {
        format: PAGE_FORMAT.to_owned(),
        body: serde_json::to_string(&PageDataRef { events, newest })?,
    })
}

/// A stored certificate page that differs from the fold of the certificate's verified events.
#[derive(Debug, Clone, Serialize)]
pub struct PageDifference {
    /// The certificate.
    pub certificate: CertificateId,
    /// The events the stored page would show (their sequence numbers).
    pub stored: Vec<i64>,
    /// The events the fold proves (their sequence numbers).
    pub folded: Vec<i64>,
    /// The first sequence number whose event differs (`None`: the lists differ in length only,
    /// or not at all).
    pub first_difference: Option<i64>,
    /// Whether the stored verdict on the newest statement differs from verifying it now.
    pub signature_differs: bool,
}

impl std::fmt::Display for PageDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: the stored certificate page shows {} events, the fold proves {}",
            self.certificate,
            self.stored.len(),
            self.folded.len()
        )?;
        if let Some(seq) = self.first_difference {
            write!(f, "; event {seq} differs")?;
        }
        if self.signature_differs {
            write!(
                f,
                "; who signed the newest statement differs from verifying it now"
            )?;
        }
        Ok(())
    }
}

/// A stored status that differs from the fold.
#[derive(Debug, Clone, Serialize)]
pub struct ReadModelDifference {
    /// The certificate.
    pub certificate: CertificateId,
    /// The top-level fields of the report that differ.
    pub fields: Vec<String>,
    /// What the stored row would have served.
    pub stored: StatusReport,
    /// What the fold of the verified events gives.
    pub folded: StatusReport,
}

impl std::fmt::Display for ReadModelDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: the stored status ({}) differs from the fold of its events ({}) in {}",
            self.certificate,
            self.stored.status,
            self.folded.status,
            self.fields.join(", ")
        )
    }
}

/// A certificate whose row puts it at another place of the status list than its own index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexDifference {
    /// The certificate.
    pub certificate: CertificateId,
    /// The index on its label status row (what the status list uses), as stored.
    pub listed: Option<i64>,
    /// The index of the certificate itself (what its label and signed status carry).
    pub issued: Option<u64>,
}

impl std::fmt::Display for IndexDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let none = || "none".to_owned();
        write!(
            f,
            "{}: the status list would show it at index {}, its label carries index {}",
            self.certificate,
            self.listed.map_or_else(none, |i| i.to_string()),
            self.issued.map_or_else(none, |i| i.to_string())
        )
    }
}

/// What [`Registry::verify_read_model`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadModelCheck {
    /// Certificates checked.
    pub checked: usize,
    /// Certificates whose stored row would be served and equals the fold.
    pub current: usize,
    /// Certificates without a row that may be served (a lookup folds them).
    pub not_current: usize,
    /// Rows that would be served but differ from the fold (should always be empty).
    pub differences: Vec<ReadModelDifference>,
    /// Rows whose status list index is not their certificate's (should always be empty).
    pub index_differences: Vec<IndexDifference>,
    /// Certificates whose stored page would be served and equals the fold.
    pub pages_current: usize,
    /// Stored pages that would be served but differ from the fold (should always be empty).
    pub page_differences: Vec<PageDifference>,
    /// Rows stored again (with `repair`).
    pub repaired: usize,
    /// The search documents against the certificates' rows, and the full-text index against
    /// the documents (repaired with `repair`).
    pub search: keurmerk_store::SearchCheck,
}

/// The top-level fields in which two reports differ, `evaluated_at` aside.
fn differing_fields(a: &StatusReport, b: &StatusReport) -> Vec<String> {
    let (Ok(serde_json::Value::Object(x)), Ok(serde_json::Value::Object(y))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["(unreadable report)".into()];
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "evaluated_at" && x.get(*k) != y.get(*k))
        .cloned()
        .collect()
}

impl<S: RegistryStore> Registry<S> {
    /// The status a lookup answers: the stored row when it is provably current, else the fold
    /// (stored for the next lookup).
    pub(crate) async fn status_from_read_model(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<StatusReport> {
        if let Some(report) = self.served_status(id).await? {
            return Ok(report);
        }
        self.refresh_status(id).await
    }

    /// [`Self::status_from_read_model`] with the certificate, its product and its status-list
    /// index, read in the same statement as the stored row when that row is served (a signed
    /// status in one round trip); `None` for them when the status was folded (the caller reads
    /// them then).
    pub(crate) async fn status_with_certificate(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<(StatusReport, Option<(Certificate, Product, Option<u64>)>)> {
        match self.store().status_with_certificate(id).await {
            Ok(Some((Some(row), certificate, product, index))) => {
                if let Some(report) = self.servable(id, row).await? {
                    return Ok((report, Some((certificate, product, index))));
                }
            }
            // No row, no such certificate (the fold says so), or a row this build cannot
            // read (not proven current): fold.
            Ok(_) | Err(keurmerk_store::StoreError::Corrupt { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok((self.refresh_status(id).await?, None))
    }

    /// The statuses of several certificates (a page of search results), in their order: the
    /// stored rows read in one query where each is provably current, the others folded one by
    /// one as [`Self::status_from_read_model`] does.
    pub(crate) async fn statuses_from_read_model(
        &self,
        ids: &[CertificateId],
    ) -> ServiceResult<Vec<StatusReport>> {
        let rows = match self.store().current_statuses(ids).await {
            Ok(rows) => rows,
            // A row this build cannot read is not proven current: each is read on its own.
            Err(keurmerk_store::StoreError::Corrupt { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut served = std::collections::HashMap::new();
        for row in rows {
            let id = row.report.certificate.clone();
            if let Some(report) = self.servable(&id, row).await? {
                served.insert(id, report);
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match served.remove(id) {
                Some(report) => out.push(report),
                None => out.push(self.status_from_read_model(id).await?),
            }
        }
        Ok(out)
    }

    /// The stored report, with `evaluated_at` now, if every condition of the module docs holds.
    async fn served_status(&self, id: &CertificateId) -> ServiceResult<Option<StatusReport>> {
        let row = match self.store().current_status(id).await {
            Ok(Some(row)) => row,
            Ok(None) => return Ok(None),
            // A row this build cannot read is not proven current: fold.
            Err(keurmerk_store::StoreError::Corrupt { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        self.servable(id, row).await
    }

    /// The conditions under which the store may take a stored row's status word without the
    /// row being read here (the status list, a search page): [`Self::servable`]'s, now.
    pub(crate) async fn served_rule(&self) -> ServiceResult<keurmerk_store::ServedRule> {
        let (_, digest, _) = self.trust_for_reads(true).await?;
        Ok(keurmerk_store::ServedRule {
            policy: self.policy_fingerprint.to_string(),
            trust: hex::encode(digest),
            now: self.now(),
        })
    }

    /// `row` as served for `id`, if every condition of the module docs holds.
    async fn servable(
        &self,
        id: &CertificateId,
        row: StoredStatus,
    ) -> ServiceResult<Option<StatusReport>> {
        let now = self.now();
        if row.policy != *self.policy_fingerprint
            || now < row.computed_at
            || row.stale_after.is_some_and(|end| now >= end)
            || &row.report.certificate != id
        {
            return Ok(None);
        }
        let (_, digest, _) = self.trust_for_reads(true).await?;
        if row.trust != hex::encode(digest) {
            return Ok(None);
        }
        let mut report = row.report;
        report.evaluated_at = now;
        Ok(Some(report))
    }

    /// Folds a certificate's status from its verified events and stores it when the history is
    /// proven. Storing is best effort: a failure is logged and the folded status still returned.
    pub(crate) async fn refresh_status(&self, id: &CertificateId) -> ServiceResult<StatusReport> {
        Ok(self.refresh_details(id).await?.status)
    }

    /// [`Self::refresh_status`] with everything the certificate page shows: the fold, and the
    /// status and page stored together when the history is proven.
    async fn refresh_details(&self, id: &CertificateId) -> ServiceResult<CertificateDetails> {
        // Read before anything the report is made from: a change after this bumps it, and the
        // store then refuses the row.
        let generation = self.store().status_generation(id).await?;
        let (details, proven) = self.fold_details(id, None).await?;
        if let Some(trust) = proven {
            if let Err(e) = self.store_status(id, generation, &details, trust).await {
                tracing::warn!(certificate = %id, error = %e, "label status not stored");
            }
        }
        Ok(details)
    }

    /// Everything the certificate page shows: from the stored status and page when both are
    /// provably current, else folded (verifying every statement) and stored for the next view.
    pub(crate) async fn details_from_read_model(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<CertificateDetails> {
        if let Some(details) = self.served_details(id).await? {
            return Ok(details);
        }
        self.refresh_details(id).await
    }

    /// The stored page, if it may be served: its status row may be ([`Self::servable`]), it
    /// was stored under that row's generation and trust digest in this build's format, it
    /// reads, and its last event is the certificate's last event. Any doubt: `None` (fold).
    async fn served_details(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<Option<CertificateDetails>> {
        let (row, page) = match self.store().current_page(id).await {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            Err(keurmerk_store::StoreError::Corrupt { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let with_verdict = page.body.format == PAGE_FORMAT;
        if page.generation != row.generation
            || page.trust != row.trust
            || !(with_verdict || page.body.format == PAGE_FORMAT_EVENTS_ONLY)
        {
            return Ok(None);
        }
        let Some(status) = self.servable(id, row).await? else {
            return Ok(None);
        };
        let (events, newest) = match serde_json::from_str::<PageData>(&page.body.body) {
            // A verdict in a body of the format that had none is not ours: fold.
            Ok(PageData {
                newest: Some(_), ..
            }) if !with_verdict => return Ok(None),
            Ok(data) => (data.events, data.newest),
            Err(e) => {
                tracing::warn!(certificate = %id, error = %e, "stored certificate page unreadable");
                return Ok(None);
            }
        };
        // The certificate and its product come from the same statement as the rows.
        let StoredPage {
            certificate,
            last_seq,
            product,
            last_log_index,
            verdicts,
            ..
        } = page;
        if events.last().map(|e| e.seq) != Some(last_seq)
            || events.iter().any(|e| &e.certificate != id)
            || newest.as_ref().is_some_and(|s| s.event_seq != last_seq)
        {
            return Ok(None);
        }
        let Ok(view) = fold(&events) else {
            return Ok(None);
        };
        let newest_signature = newest.map(|s| {
            AuthenticSignature::stored(
                id.to_string(),
                s.event_seq,
                s.organisation,
                s.role,
                s.key_id,
                s.signed_at,
            )
        });
        Ok(Some(CertificateDetails {
            certificate,
            product,
            view,
            status,
            events,
            // A status row is stored only for a history its statements prove entirely.
            integrity: Vec::new(),
            newest_signature,
            // A log index is never negative; a row that says otherwise is looked up again.
            newest_log_index: last_log_index
                .and_then(|i| u64::try_from(i).ok())
                .map(|i| (last_seq, i)),
            verdicts,
        }))
    }

    /// Brings the stored status up to date after a write, logging (never failing) on error: a
    /// missing row only means the next lookup folds.
    pub(crate) async fn refresh_after_write(&self, id: &CertificateId) {
        if let Err(e) = self.refresh_status(id).await {
            tracing::warn!(certificate = %id, error = %e, "label status not refreshed");
        }
    }

    async fn store_status(
        &self,
        id: &CertificateId,
        generation: i64,
        details: &CertificateDetails,
        trust: [u8; 32],
    ) -> ServiceResult<bool> {
        let Some(seq) = details.events.last().map(|e| e.seq) else {
            return Ok(false);
        };
        let Some(scheme) = self.catalogue().get(&details.certificate.scheme) else {
            return Ok(false);
        };
        let computed_at = details.status.evaluated_at;
        let row = StoredStatus {
            generation,
            seq,
            report: details.status.clone(),
            computed_at,
            stale_after: stale_after(&details.view, &scheme.policy, computed_at),
            policy: self.policy_fingerprint.to_string(),
            trust: hex::encode(trust),
        };
        match page_body(&details.events, details.newest_signature()) {
            Ok(page) => Ok(self.store().put_status_and_page(id, &row, &page).await?),
            Err(e) => {
                // The status alone still spares the next lookup a fold; the page folds.
                tracing::warn!(certificate = %id, error = %e, "certificate page not stored");
                Ok(self.store().put_status(id, &row).await?)
            }
        }
    }

    /// Makes every certificate's stored status current: each lookup that finds no servable row
    /// folds and stores it. Returns how many were folded.
    pub async fn refresh_read_model(&self) -> ServiceResult<usize> {
        let mut folded = 0;
        let mut after = None;
        loop {
            let page = self
                .store()
                .certificates(&CertificateFilter {
                    limit: PAGE,
                    after: after.take(),
                    ..CertificateFilter::default()
                })
                .await?;
            if page.is_empty() {
                return Ok(folded);
            }
            after = page.last().map(|c| c.id.clone());
            for c in page {
                if self.served_status(&c.id).await?.is_none() {
                    self.refresh_status(&c.id).await?;
                    folded += 1;
                }
            }
        }
    }

    /// The served status and the served certificate page of `id`, each against one fold of
    /// its verified events. For each: `None`, nothing would be served; `Some(None)`, it equals
    /// the fold; `Some(Some(d))`, it differs (checked twice, so a day that began or a write
    /// that landed between the reads does not count).
    async fn compare_with_fold(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<(
        Option<Option<ReadModelDifference>>,
        Option<Option<PageDifference>>,
    )> {
        let mut last = (None, None);
        for _ in 0..2 {
            let stored = self.served_status(id).await?;
            let page = self.served_details(id).await?;
            if stored.is_none() && page.is_none() {
                return Ok((None, None));
            }
            let folded = self.fold_details(id, None).await?.0;
            let status = match stored {
                Some(stored) => Some(self.status_difference(id, stored, &folded.status).await?),
                None => None,
            };
            let page = page.map(|p| page_difference(id, &p, &folded));
            let settled = !matches!(status, Some(Some(_))) && !matches!(page, Some(Some(_)));
            last = (status, page);
            if settled {
                break;
            }
        }
        Ok(last)
    }

    /// How a served report differs from the folded one, the status list's word included.
    async fn status_difference(
        &self,
        id: &CertificateId,
        stored: StatusReport,
        folded: &StatusReport,
    ) -> ServiceResult<Option<ReadModelDifference>> {
        let mut fields = differing_fields(&stored, folded);
        // The word the status list reads must be the report's status (a missing one would make
        // every list fold this certificate). Read after the report: a refresh between the two
        // reads shows as a difference once and is read again.
        let word_differs = match self.store().status_word(id).await {
            Ok(w) => w != Some(folded.status),
            // Not a status at all: certainly not the report's.
            Err(keurmerk_store::StoreError::Corrupt { .. }) => true,
            Err(e) => return Err(e.into()),
        };
        if word_differs {
            fields.push("status list word".into());
        }
        Ok((!fields.is_empty()).then(|| ReadModelDifference {
            certificate: id.clone(),
            fields,
            stored,
            folded: folded.clone(),
        }))
    }
}

impl<S: RegistryStore + keurmerk_store::SearchStore> Registry<S> {
    /// Proves the read model: for every certificate, the row a lookup would serve equals the
    /// fold of its verified events (`evaluated_at` aside), and every search document is what
    /// its certificate's rows make. With `repair`, a differing or missing row is folded and
    /// stored again, and a differing search document is stored again.
    pub async fn verify_read_model(&self, repair: bool) -> ServiceResult<ReadModelCheck> {
        let mut check = ReadModelCheck::default();
        let mut after = None;
        loop {
            let page = self
                .store()
                .certificates(&CertificateFilter {
                    limit: PAGE,
                    after: after.take(),
                    ..CertificateFilter::default()
                })
                .await?;
            if page.is_empty() {
                break;
            }
            after = page.last().map(|c| c.id.clone());
            for c in page {
                check.checked += 1;
                let listed = self.store().status_list_index(&c.id).await?;
                let issued = self.store().status_index(&c.id).await?;
                if listed != issued.and_then(|i| i64::try_from(i).ok()) {
                    if repair {
                        // Clearing the row takes the index from the certificate again.
                        self.store().clear_status(&c.id).await?;
                    }
                    check.index_differences.push(IndexDifference {
                        certificate: c.id.clone(),
                        listed,
                        issued,
                    });
                }
                let (status, page) = self.compare_with_fold(&c.id).await?;
                // `Some(true)`: store again after clearing (a served row or page differs);
                // `Some(false)`: store (no row would be served).
                let mut store_again = None;
                match status {
                    None => {
                        check.not_current += 1;
                        store_again = Some(false);
                    }
                    Some(None) => check.current += 1,
                    Some(Some(difference)) => {
                        check.differences.push(difference);
                        store_again = Some(true);
                    }
                }
                match page {
                    None => {}
                    Some(None) => check.pages_current += 1,
                    Some(Some(difference)) => {
                        check.page_differences.push(difference);
                        store_again = Some(true);
                    }
                }
                if let (true, Some(clear)) = (repair, store_again) {
                    if clear {
                        self.store().clear_status(&c.id).await?;
                    }
                    self.refresh_status(&c.id).await?;
                    check.repaired += 1;
                }
            }
        }
        check.search = self.store().verify_search(repair).await?;
        Ok(check)
    }
}

/// How a served certificate page differs from the fold (its events; the view follows them).
fn page_difference(
    id: &CertificateId,
    stored: &CertificateDetails,
    folded: &CertificateDetails,
) -> Option<PageDifference> {
    // A stored verdict must be the one verifying the statement now gives; a page row without
    // one verifies it on every view, so that is never a difference.
    let signature_differs = stored
        .newest_signature()
        .is_some_and(|s| Some(s) != folded.newest_signature());
    if stored.events == folded.events && stored.view == folded.view && !signature_differs {
        return None;
    }
    Some(PageDifference {
        certificate: id.clone(),
        stored: stored.events.iter().map(|e| e.seq).collect(),
        folded: folded.events.iter().map(|e| e.seq).collect(),
        first_difference: stored
            .events
            .iter()
            .zip(&folded.events)
            .find(|(a, b)| a != b)
            .map(|(a, _)| a.seq),
        signature_differs,
    })
}

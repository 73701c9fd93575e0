use std::collections::BTreeMap;

use keurmerk_domain::event::{fold, CertificateView, Event};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::{Certificate, OrgRole, Product, Verdict};
use keurmerk_domain::status::{
    distrusted, evaluate_monitored, evaluate_version, Monitoring, StatusReport,
};
use keurmerk_store::{AuditEntry, CertificateFilter, RegistryStore};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceResult};

/// A certificate with its history and live status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateDetails {
    /// The stored (cached) certificate.
    pub certificate: Certificate,
    /// The product.
    pub product: Product,
    /// The view folded from the events.
    pub view: CertificateView,
    /// The live label status (`unknown` when the signed record does not prove the events).
    pub status: StatusReport,
    /// The events proven by their signed statements, oldest first.
    pub events: Vec<Event>,
    /// What the signed record does not prove (empty when intact).
    pub integrity: Vec<crate::Problem>,
    /// Who signed the statement of the last event, as the verification that proved these
    /// details found it; `None` when that statement did not itself verify (or the page row
    /// these details were read from holds no verdict). Never sent anywhere.
    #[serde(skip)]
    pub(crate) newest_signature: Option<crate::AuthenticSignature>,
    /// The log index of the statement of the last event, as read beside the stored page:
    /// `(event seq, index)`. `None` when folded, or not in the log when read. Never sent.
    #[serde(skip)]
    pub(crate) newest_log_index: Option<(i64, u64)>,
    /// The verdicts of the certificate's assessment, as read beside the stored page (`None`
    /// when folded). Never sent: the assessment is its own resource.
    #[serde(skip)]
    pub(crate) verdicts: Option<BTreeMap<String, Verdict>>,
}

impl CertificateDetails {
    /// Who signed the statement of the last event, when the verification that proved these
    /// details reached that verdict ([`Registry::latest_signature_of`] shows it instead of
    /// verifying that statement again).
    pub fn newest_signature(&self) -> Option<&crate::AuthenticSignature> {
        self.newest_signature.as_ref()
    }

    /// The log index of the statement of event `event_seq` when it was read with these
    /// details (the last event's, beside a stored page); `None`: look it up.
    pub fn log_index_of(&self, event_seq: i64) -> Option<u64> {
        self.newest_log_index
            .filter(|(seq, _)| *seq == event_seq)
            .map(|(_, i)| i)
    }
}

impl<S: RegistryStore> Registry<S> {
    /// Certificates matching a filter.
    pub async fn certificates(
        &self,
        filter: &CertificateFilter,
    ) -> ServiceResult<Vec<Certificate>> {
        Ok(self.store().certificates(filter).await?)
    }

    /// The live label status, evaluated from the certificate's events under its scheme's policy:
    /// read from the stored read model when it is provably current, else folded (and stored).
    pub async fn status(&self, id: &CertificateId) -> ServiceResult<StatusReport> {
        self.status_from_read_model(id).await
    }

    /// The label status for the device that runs `version` (see
    /// [`keurmerk_domain::status::evaluate_version`]).
    pub async fn version_status(
        &self,
        id: &CertificateId,
        version: &str,
    ) -> ServiceResult<StatusReport> {
        Ok(self
            .certificate_details_for(id, Some(version))
            .await?
            .status)
    }

    /// Everything about a certificate.
    pub async fn certificate_details(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<CertificateDetails> {
        // The stored page when it is provably current, else the fold (stored for the next view).
        self.details_from_read_model(id).await
    }

    /// Everything about a certificate, with the status for the device that runs `version` when
    /// one is given (then always folded: the read model holds the whole label's status only).
    pub async fn certificate_details_for(
        &self,
        id: &CertificateId,
        version: Option<&str>,
    ) -> ServiceResult<CertificateDetails> {
        match version {
            Some(_) => Ok(self.fold_details(id, version).await?.0),
            None => self.details_from_read_model(id).await,
        }
    }

    /// Everything about a certificate, always folded from its events with every statement
    /// verified now, never read from the read model: what the read model is checked against.
    pub async fn folded_details(&self, id: &CertificateId) -> ServiceResult<CertificateDetails> {
        Ok(self.fold_details(id, None).await?.0)
    }

    /// [`Registry::certificate_details_for`], folded from the events, and — when the signed
    /// record proves every event — the digest of the trust list that proved them.
    pub(crate) async fn fold_details(
        &self,
        id: &CertificateId,
        version: Option<&str>,
    ) -> ServiceResult<(CertificateDetails, Option<[u8; 32]>)> {
        if let Some(v) = version {
            check_version_query(v)?;
        }
        let (certificate, last_seq) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        // Only events proven by their signed statements are folded; with a problem, the status is
        // `unknown` and the view shows what the record proves (its verified prefix).
        let stored = self.store().events(id).await?;
        let history = self
            .verify_history(&certificate, last_seq, stored.clone())
            .await?;
        let events = history.events().to_vec();
        let view = if events.is_empty() {
            // Not even the issue is proven: show the stored rows, under an `unknown` status.
            fold(&stored)?
        } else {
            fold(&events)?
        };
        let scheme = self
            .catalogue()
            .get(&certificate.scheme)
            .ok_or_else(|| invalid("scheme", format!("unknown scheme `{}`", certificate.scheme)))?;
        let product = self
            .store()
            .product(&certificate.product)
            .await?
            .ok_or_else(|| not_found("product", &certificate.product))?;
        // What the registry can monitor: a covered version without a software list its maker's
        // signed record proves is never shown as free of known problems.
        let lists = self
            .proven_software_lists(&product, history.trust_list())
            .await?;
        let with_sbom = lists.versions();
        let mut status = match version {
            Some(v) => evaluate_version(&view, &scheme.policy, with_sbom, v.trim(), self.now()),
            None => {
                let monitoring = Monitoring::of(&view, with_sbom);
                evaluate_monitored(&view, &scheme.policy, &monitoring, self.now())
            }
        };
        if !history.is_intact() {
            status = distrusted(
                status,
                history
                    .problems()
                    .iter()
                    .map(crate::Problem::reason)
                    .collect(),
            );
        }
        // The maker's setup facts fit the owner advice (no "change the default password" for a
        // product without one).
        status.setup = self
            .store()
            .support(&certificate.product)
            .await?
            .map(|s| s.setup());
        let proven = history.is_intact().then(|| history.trust_digest());
        Ok((
            CertificateDetails {
                certificate,
                product,
                view,
                status,
                events,
                integrity: history.problems().to_vec(),
                newest_signature: history.newest_signature().cloned(),
                newest_log_index: None,
                verdicts: None,
            },
            proven,
        ))
    }

    /// The audit trail, for the registry operator and national authorities.
    pub async fn audit_trail(
        &self,
        actor: &Actor,
        limit: i64,
        before: Option<i64>,
    ) -> ServiceResult<Vec<AuditEntry>> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "read the audit trail",
        )
        .await?;
        Ok(self.store().audit(limit.clamp(1, 1000), before).await?)
    }

    /// Re-folds every certificate from its events and compares with its row
    /// ([`Certificate::differs_from`]: every fact of it, not only the state). Returns the ids
    /// whose row differs (should always be empty).
    pub async fn verify_event_store(&self) -> ServiceResult<Vec<CertificateId>> {
        let mut drifted = Vec::new();
        for c in self
            .store()
            .certificates(&CertificateFilter::default())
            .await?
        {
            let view = fold(&self.store().events(&c.id).await?)?;
            if c.differs_from(&view).is_some() {
                drifted.push(c.id);
            }
        }
        Ok(drifted)
    }
}

/// A version asked about: 1 to 100 characters, no control characters.
pub fn check_version_query(v: &str) -> ServiceResult<()> {
    let t = v.trim();
    if t.is_empty() {
        return Err(invalid("version", "must not be empty"));
    }
    if t.chars().count() > 100 {
        return Err(invalid("version", "must be at most 100 characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid("version", "must not contain control characters"));
    }
    Ok(())
}

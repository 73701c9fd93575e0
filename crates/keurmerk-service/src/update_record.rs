//! The maker's update record per product and per manufacturer (issue 12 item 5): loads every
//! certificate's history, proves it by its signed statements ([`VerifiedHistory`]) and hands
//! only proven histories to the pure [`keurmerk_domain::update_record::compute`].
//!
//! Fail closed: a certificate whose signed record does not prove every event, or whose scheme
//! the running catalogue does not know, is listed as *could not be verified* in the record
//! (`unverified`) and none of its events is used — not even its verified prefix, which could
//! hide a later fix or a later finding.
//!
//! The record is public (it is shown on the product and organisation pages), so reading it
//! needs no credential; asking for a product or organisation that does not exist is
//! `not_found`.

use keurmerk_domain::event::Event;
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::model::Certificate;
use keurmerk_domain::update_record::{compute, CertificateInput, Unverified, UpdateRecord};
use keurmerk_store::{CertificateFilter, RegistryStore};

use crate::error::not_found;
use crate::{Registry, ServiceResult};

impl<S: RegistryStore> Registry<S> {
    /// The update record of one product, over all its certificates (live and ended).
    pub async fn product_update_record(&self, product: &RecordId) -> ServiceResult<UpdateRecord> {
        self.store()
            .product(product)
            .await?
            .ok_or_else(|| not_found("product", product))?;
        let certificates = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(product.clone()),
                ..Default::default()
            })
            .await?;
        self.update_record_of(certificates).await
    }

    /// The update record of a manufacturer, over the certificates it holds.
    pub async fn org_update_record(&self, org: &OrgId) -> ServiceResult<UpdateRecord> {
        self.store()
            .org(org)
            .await?
            .ok_or_else(|| not_found("organisation", org))?;
        let certificates = self
            .store()
            .certificates(&CertificateFilter {
                holder: Some(org.clone()),
                ..Default::default()
            })
            .await?;
        self.update_record_of(certificates).await
    }

    /// The update record of the product a certificate is for (the status answer links it).
    pub async fn certificate_update_record(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<UpdateRecord> {
        let (certificate, _) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        self.product_update_record(&certificate.product).await
    }

    async fn update_record_of(
        &self,
        certificates: Vec<Certificate>,
    ) -> ServiceResult<UpdateRecord> {
        let now = self.now();
        let mut proven: Vec<(Certificate, Vec<Event>)> = Vec::with_capacity(certificates.len());
        let mut unverified = Vec::new();
        for c in certificates {
            let history = self.verified_history(&c.id).await?;
            if history.is_intact() {
                let events = history.events().to_vec();
                proven.push((c, events));
            } else {
                unverified.push(Unverified {
                    certificate: c.id.clone(),
                    problem: history
                        .problems()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
        let catalogue = self.catalogue();
        let mut inputs = Vec::with_capacity(proven.len());
        for (c, events) in &proven {
            match catalogue.get(&c.scheme) {
                Some(scheme) => inputs.push(CertificateInput {
                    certificate: &c.id,
                    events,
                    policy: &scheme.policy,
                }),
                None => unverified.push(Unverified {
                    certificate: c.id.clone(),
                    problem: format!("scheme `{}` is not in the catalogue", c.scheme),
                }),
            }
        }
        Ok(compute(&inputs, unverified, now))
    }
}

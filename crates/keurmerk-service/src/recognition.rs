//! Recognition reports and market access: public reads computed by the pure
//! `keurmerk_domain::recognition` module from the certificate's assessment and the catalogue.

use std::sync::Arc;

use chrono::NaiveDate;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::model::{Assessment, Certificate, Product};
use keurmerk_domain::recognition::{
    parse_markets, CertificateFacts, IndexError, MarketAccessJson, RecognitionIndex,
    RecognitionJson,
};
use keurmerk_domain::scheme::Catalogue;
use keurmerk_store::{CertificateFilter, RegistryStore};

use crate::error::{invalid, not_found};
use crate::{Registry, ServiceResult};

/// [`RecognitionIndex::new`]'s answer for one catalogue.
type BuiltIndex<'c> = Result<RecognitionIndex<'c>, IndexError>;

self_cell::self_cell!(
    /// A catalogue's recognition index, built once (it was built on every certificate page
    /// and recognition question before) and kept with the catalogue it borrows.
    pub(crate) struct RecognitionCache {
        owner: Arc<Catalogue>,
        #[covariant]
        dependent: BuiltIndex,
    }
);

impl RecognitionCache {
    /// The index of `catalogue`, built now.
    pub(crate) fn of(catalogue: Arc<Catalogue>) -> Self {
        Self::new(catalogue, |c| RecognitionIndex::new(c))
    }
}

impl<S: RegistryStore> Registry<S> {
    /// `f` over the recognition index of the registry's catalogue.
    fn with_recognition_index<R>(
        &self,
        f: impl for<'c> FnOnce(&RecognitionIndex<'c>) -> R,
    ) -> ServiceResult<R> {
        // A validated catalogue has one baseline of at most 128 provisions, so an error does
        // not happen; were it to, the question is refused rather than answered wrongly.
        let refuse = |e: &IndexError| invalid("catalogue", e.to_string());
        if Arc::ptr_eq(self.recognition.borrow_owner(), &self.catalogue) {
            return match self.recognition.borrow_dependent() {
                Ok(index) => Ok(f(index)),
                Err(e) => Err(refuse(e)),
            };
        }
        // A catalogue put in after the registry was made (the demo's look at another day):
        // built for this question only.
        let index = RecognitionIndex::new(self.catalogue()).map_err(|e| refuse(&e))?;
        Ok(f(&index))
    }

    /// The date a question is asked for: the given day, or today by the service clock.
    pub fn day_or_today(&self, at: Option<NaiveDate>) -> NaiveDate {
        at.unwrap_or_else(|| self.now().date_naive())
    }

    /// The recognition report of a certificate on a date (default: today), reasons in `lang`.
    /// Computed from the assessment the certificate rests on, whatever the label's status (the
    /// status is on the certificate itself).
    pub async fn recognition(
        &self,
        id: &CertificateId,
        at: Option<NaiveDate>,
        lang: Lang,
    ) -> ServiceResult<RecognitionJson> {
        let (cert, _) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        let product = self
            .store()
            .product(&cert.product)
            .await?
            .ok_or_else(|| not_found("product", &cert.product))?;
        self.recognition_of(&cert, &product, at, lang).await
    }

    /// [`Self::recognition`] of a certificate and its product the caller has read already (the
    /// certificate page).
    pub async fn recognition_of(
        &self,
        cert: &Certificate,
        product: &Product,
        at: Option<NaiveDate>,
        lang: Lang,
    ) -> ServiceResult<RecognitionJson> {
        let assessment = self.assessment(&cert.assessment).await?;
        let id_text = cert.id.to_string();
        let facts = CertificateFacts {
            id: &id_text,
            scheme: &cert.scheme,
            level: &cert.level,
            category: product.category,
            verdicts: &assessment.verdicts,
        };
        let day = self.day_or_today(at);
        self.with_recognition_index(|index| index.report(&facts, day).to_json(lang))
    }

    /// Market access of a product for comma-separated markets (`EU,DE,UK,SG`) on a date
    /// (default: today), from its certificates whose label is valid now and still valid on the
    /// date.
    pub async fn market_access(
        &self,
        product: &RecordId,
        markets: &str,
        at: Option<NaiveDate>,
    ) -> ServiceResult<MarketAccessJson> {
        let markets = parse_markets(self.catalogue(), markets)
            .map_err(|e| invalid("markets", e.to_string()))?;
        let p = self
            .store()
            .product(product)
            .await?
            .ok_or_else(|| not_found("product", product))?;
        let at = self.day_or_today(at);
        let mut held: Vec<(String, keurmerk_domain::model::Certificate, Assessment)> = Vec::new();
        for c in self
            .store()
            .certificates(&CertificateFilter {
                product: Some(p.id.clone()),
                limit: 0,
                ..Default::default()
            })
            .await?
        {
            let d = self.certificate_details(&c.id).await?;
            if !d.status.status.is_in_force() || d.status.valid_until < at {
                continue;
            }
            let a = self.assessment(&c.assessment).await?;
            held.push((c.id.to_string(), c, a));
        }
        let facts: Vec<CertificateFacts<'_>> = held
            .iter()
            .map(|(id, c, a)| CertificateFacts {
                id,
                scheme: &c.scheme,
                level: &c.level,
                category: p.category,
                verdicts: &a.verdicts,
            })
            .collect();
        self.with_recognition_index(|index| {
            index.market_access(p.id.as_str(), p.category, &facts, &markets, at)
        })
    }
}

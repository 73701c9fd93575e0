//! Recognition reports and market access: public reads computed by the pure
//! `keurmerk_domain::recognition` module from the certificate's assessment and the catalogue.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, LevelId, RecordId, SchemeId};
use keurmerk_domain::model::{Assessment, Category, Certificate, Product, Verdict};
use keurmerk_domain::recognition::{
    parse_markets, CertificateFacts, IndexError, MarketAccessJson, Provisions, RecognitionIndex,
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

/// Everything a recognition report depends on besides the certificate's id, for the registry's
/// own catalogue (`keurmerk_domain::recognition`: the verdicts count only through the baseline
/// provisions they cover).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReportKey {
    scheme: SchemeId,
    level: LevelId,
    category: Category,
    covered: Provisions,
    day: NaiveDate,
    lang: Lang,
}

/// Reports made in this process, keyed by [`ReportKey`]. Certificates share few keys (a scheme
/// level's assessments mostly cover the same provisions), so a page view mostly finds its
/// report here instead of computing it: 43,000 fewer of a view's 660,000 instructions
/// (callgrind, 2026-12-04); reading the assessment for its coverage stays.
#[derive(Default)]
pub(crate) struct ReportMemo(Mutex<HashMap<ReportKey, Arc<RecognitionJson>>>);

/// Reports kept before the memo starts over: a report is a few kilobytes, and the keys a day's
/// views need are far fewer (one per scheme level, category, coverage and language).
const MEMO_MAX: usize = 1024;

impl ReportMemo {
    fn lock(&self) -> MutexGuard<'_, HashMap<ReportKey, Arc<RecognitionJson>>> {
        // A panic while holding the lock leaves only whole entries behind.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &ReportKey) -> Option<Arc<RecognitionJson>> {
        self.lock().get(key).cloned()
    }

    fn put(&self, key: ReportKey, report: Arc<RecognitionJson>) {
        let mut map = self.lock();
        if map.len() >= MEMO_MAX {
            map.clear();
        }
        map.insert(key, report);
    }

    /// How many reports it holds (tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
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
        self.recognition_with(cert, product, &assessment.verdicts, at, lang)
    }

    /// [`Self::recognition_of`] a certificate's details: with the assessment's verdicts read
    /// beside its stored page when they were (no statement of its own), else read now.
    pub async fn recognition_of_details(
        &self,
        details: &crate::CertificateDetails,
        at: Option<NaiveDate>,
        lang: Lang,
    ) -> ServiceResult<RecognitionJson> {
        match &details.verdicts {
            Some(verdicts) => {
                self.recognition_with(&details.certificate, &details.product, verdicts, at, lang)
            }
            None => {
                self.recognition_of(&details.certificate, &details.product, at, lang)
                    .await
            }
        }
    }

    fn recognition_with(
        &self,
        cert: &Certificate,
        product: &Product,
        verdicts: &BTreeMap<String, Verdict>,
        at: Option<NaiveDate>,
        lang: Lang,
    ) -> ServiceResult<RecognitionJson> {
        let id_text = cert.id.to_string();
        let facts = CertificateFacts {
            id: &id_text,
            scheme: &cert.scheme,
            level: &cert.level,
            category: product.category,
            verdicts,
        };
        let day = self.day_or_today(at);
        // The registry's own catalogue: from the memo, or computed and kept there. The report
        // of another catalogue (`with_recognition_index`) is computed for its question only.
        if Arc::ptr_eq(self.recognition.borrow_owner(), &self.catalogue) {
            if let Ok(index) = self.recognition.borrow_dependent() {
                let key = ReportKey {
                    scheme: cert.scheme.clone(),
                    level: cert.level.clone(),
                    category: product.category,
                    covered: index.coverage(&cert.scheme, verdicts),
                    day,
                    lang,
                };
                let shared = match self.report_memo.get(&key) {
                    Some(hit) => hit,
                    None => {
                        let made = Arc::new(index.report(&facts, day).to_json(lang));
                        self.report_memo.put(key, made.clone());
                        made
                    }
                };
                let mut report = (*shared).clone();
                report.certificate = id_text;
                return Ok(report);
            }
        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{Duration, Utc};
    use keurmerk_store::{CertificateFilter, ProductStore, SqlStore};

    use super::*;
    use crate::{demo, Secrets};

    /// The report computed from the index alone, without the memo.
    async fn computed(
        reg: &Registry<SqlStore>,
        cert: &Certificate,
        day: NaiveDate,
        lang: Lang,
    ) -> RecognitionJson {
        let product = reg.store().product(&cert.product).await.unwrap().unwrap();
        let assessment = reg.assessment(&cert.assessment).await.unwrap();
        let id = cert.id.to_string();
        let facts = CertificateFacts {
            id: &id,
            scheme: &cert.scheme,
            level: &cert.level,
            category: product.category,
            verdicts: &assessment.verdicts,
        };
        reg.with_recognition_index(|index| index.report(&facts, day).to_json(lang))
            .unwrap()
    }

    /// Every certificate of the demo, in two languages and on two days (one before an
    /// arrangement of the demo's catalogue comes into force), asked twice: each answer names its
    /// own certificate and equals the report computed without the memo, and certificates share
    /// the memo's reports.
    #[tokio::test]
    async fn the_memo_answers_what_computing_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
            .await
            .unwrap();
        let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
        demo::seed_with(
            store.clone(),
            catalogue.clone(),
            Utc::now(),
            Secrets::dir(dir.path().join("keys")),
        )
        .await
        .unwrap();
        let reg = Registry::new(store, catalogue, Arc::new(crate::SystemClock));
        let certs = reg
            .certificates(&CertificateFilter::default())
            .await
            .unwrap();
        assert!(certs.len() > 5);
        let today = reg.day_or_today(None);
        let days = [today, today - Duration::days(3650)];
        let mut asked = 0;
        for round in 0..2 {
            for cert in &certs {
                for day in days {
                    for lang in [Lang::En, Lang::Fr] {
                        let r = reg.recognition(&cert.id, Some(day), lang).await.unwrap();
                        assert_eq!(r.certificate, cert.id.to_string());
                        assert_eq!(r, computed(&reg, cert, day, lang).await, "round {round}");
                        asked += 1;
                    }
                }
            }
        }
        let kept = reg.report_memo.len();
        assert!(kept > 0 && kept <= asked / 2, "{kept} of {asked}");

        // The same certificate, scheme, level, category, day and language with verdicts that
        // cover nothing any more: another report, not the one kept.
        let cert = &certs[0];
        let before = reg
            .recognition(&cert.id, Some(today), Lang::En)
            .await
            .unwrap();
        assert!(!before.baseline.covered.is_empty());
        sqlx::query("UPDATE assessments SET verdicts = '{}' WHERE id = $1")
            .bind(cert.assessment.to_string())
            .execute(reg.store().pool())
            .await
            .unwrap();
        let after = reg
            .recognition(&cert.id, Some(today), Lang::En)
            .await
            .unwrap();
        assert!(after.baseline.covered.is_empty(), "{after:?}");
        assert_eq!(after, computed(&reg, cert, today, Lang::En).await);
    }
}

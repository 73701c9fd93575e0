//! Importing the CISA Known Exploited Vulnerabilities catalogue: every entry marks its
//! vulnerability (by its CVE id, so every alias of it) as actively exploited since the date CISA
//! added it, audited, and the labels of products with an open finding for it say so.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use keurmerk_domain::model::OrgRole;
use keurmerk_store::{RegistryStore, VulnStore};
use keurmerk_vuln::kev::{self, KevDate};
use keurmerk_vuln::source;
use serde::Serialize;
use serde_json::json;

use crate::error::invalid;
use crate::{Actor, Registry, ServiceResult};

/// What a KEV import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KevSummary {
    /// `catalogVersion` of the catalogue.
    pub catalogue_version: String,
    /// Entries read.
    pub entries: usize,
    /// Vulnerabilities newly marked as exploited.
    pub marked: usize,
    /// Entries marked before (by an earlier import or by hand): their first mark stands.
    pub already_marked: usize,
    /// Entries naming a vulnerability an imported advisory knows (by any alias).
    pub known: usize,
    /// Products whose findings were brought up to date.
    pub products_updated: usize,
}

fn day_start(d: KevDate) -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(d.year, d.month, d.day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

impl<S: RegistryStore + VulnStore> Registry<S> {
    /// The registry operator or a national authority imports the KEV catalogue (JSON). The whole
    /// file is read and checked first; a catalogue that cannot be read completely marks nothing.
    /// Entries whose vulnerability no advisory knows yet are marked too: the mark applies as soon
    /// as an advisory naming the CVE (or listing it as an alias) is imported.
    pub async fn import_kev(&self, actor: &Actor, path: &Path) -> ServiceResult<KevSummary> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "import the known exploited vulnerabilities catalogue",
        )
        .await?;
        let limits = source::Limits::DEFAULT;
        let bytes =
            source::read_document(path, &limits).map_err(|e| invalid("path", e.to_string()))?;
        let name = path.display().to_string();
        let catalogue =
            kev::parse_within(&name, &bytes, &limits).map_err(|e| invalid("kev", e.to_string()))?;
        let mut summary = KevSummary {
            catalogue_version: catalogue.version.clone(),
            entries: catalogue.entries.len(),
            ..KevSummary::default()
        };
        let mut all_ids = BTreeSet::new();
        for e in &catalogue.entries {
            let since = day_start(e.date_added)
                .ok_or_else(|| invalid("kev", format!("{name}: {}: date out of range", e.cve)))?;
            let mut ids = self.vulnerability_ids(&e.cve).await?;
            if ids.is_empty() {
                ids.push(e.cve.clone());
            } else {
                summary.known += 1;
            }
            let audit = self.audit(
                actor,
                "vulnerability.mark_exploited",
                &ids[0],
                json!({
                    "aliases": &ids[1..],
                    "since": since,
                    "source": "cisa-kev",
                    "catalogue_version": catalogue.version,
                }),
            );
            if self
                .store()
                .mark_exploited(&ids[0], Some(since), &audit)
                .await?
            {
                summary.marked += 1;
            } else {
                summary.already_marked += 1;
            }
            all_ids.extend(ids);
        }
        let ids: Vec<String> = all_ids.into_iter().collect();
        summary.products_updated = self.reapply(&ids).await?;
        tracing::info!(
            version = %summary.catalogue_version,
            entries = summary.entries,
            marked = summary.marked,
            known = summary.known,
            "known exploited vulnerabilities imported"
        );
        Ok(summary)
    }
}

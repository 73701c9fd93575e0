//! Continuous vulnerability monitoring in the registry (SPEC §6).
//!
//! Matching is incremental: SBOM components and advisories are both stored under their package
//! keys (`keurmerk_vuln::purl::PackageKey`). A new or modified advisory re-matches only the
//! components with its keys; a new SBOM matches only itself. Findings turn into certificate events
//! (`vulnerability_matched` / `vulnerability_resolved`, naming the covered versions that carry the
//! vulnerability) for the live certificates with an affected covered version, and the scheme's status policy turns those into deadlines and label
//! effects (`keurmerk_domain::status`).
//!
//! `identity` holds what makes one vulnerability one under all its ids (CVE, GHSA, GO, EUVD…):
//! lookup by any alias, the severity a finding counts with, operators' severities and exploited
//! marks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use keurmerk_domain::event::{fold, EventKind, Resolution};
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::lifecycle::ActorRole;
use keurmerk_domain::model::{OrgRole, Severity};
use keurmerk_store::{
    AdvisoryAlias, CertificateFilter, RegistryStore, StoredAdvisory, StoredComponent, VexDecision,
    VulnMatch, VulnStore,
};
use keurmerk_vuln::matching::AdvisoryIndex;
use keurmerk_vuln::purl::PackageKey;
use keurmerk_vuln::source::{self, AdvisoryDoc};
use keurmerk_vuln::vex::{Justification, VersionSpec, VexStatus};
use serde::Serialize;
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

mod identity;
use identity::match_ids;

/// What attaching an SBOM found.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct SbomSummary {
    /// Components in the SBOM.
    pub components: usize,
    /// Components with a purl and a version, so they can be matched.
    pub matchable: usize,
    /// Open findings for this version afterwards.
    pub findings: usize,
}

/// Why an import was refused: the counts, whether the input stopped early, and the first problems.
fn incomplete_import(path: &Path, s: &ImportSummary) -> String {
    const SHOWN: usize = 10;
    let mut msg = format!(
        "{}: {} advisories read, {} could not be read",
        path.display(),
        s.read,
        s.errors.len()
    );
    if s.stopped_early {
        msg.push_str(", and reading stopped before the end of the input, so an unknown number more were not read");
    }
    msg.push_str("; nothing was imported");
    for e in s.errors.iter().take(SHOWN) {
        msg.push_str("\n  ");
        msg.push_str(e);
    }
    if s.errors.len() > SHOWN {
        msg.push_str(&format!("\n  … and {} more", s.errors.len() - SHOWN));
    }
    msg
}

/// What an advisory import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    /// Documents read.
    pub read: usize,
    /// New or modified advisories stored.
    pub changed: usize,
    /// Advisories already stored with the same `modified`.
    pub unchanged: usize,
    /// Documents that could not be read, each naming its entry.
    pub errors: Vec<String>,
    /// Reading stopped before the end of the input (a truncated archive, a size limit): an unknown
    /// number of further documents were not read.
    pub stopped_early: bool,
    /// Product versions re-matched.
    pub versions_rematched: usize,
}

/// The EU Cyber Resilience Act reporting clocks for an actively exploited vulnerability.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CraClocks {
    /// Early warning to the CSIRT and ENISA: 24 hours after becoming aware.
    pub early_warning_due: DateTime<Utc>,
    /// Vulnerability notification: 72 hours after becoming aware.
    pub notification_due: DateTime<Utc>,
    /// Final report: 14 days after a corrective measure is available.
    pub final_report: &'static str,
}

/// One open finding as the holder sees it.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// Product version.
    pub version: String,
    /// Vulnerability id.
    pub vulnerability: String,
    /// Its other ids (CVE, GHSA, GO, EUVD, …): one vulnerability.
    pub aliases: Vec<String>,
    /// Severity bucket.
    pub severity: Severity,
    /// Component purl.
    pub component: String,
    /// Installed version.
    pub installed: String,
    /// Fixed versions.
    pub fixed: Vec<String>,
    /// When first seen.
    pub first_seen: DateTime<Utc>,
    /// Remediation deadline under the strictest policy of the product's certificates.
    pub deadline: NaiveDate,
    /// Past the deadline.
    pub overdue: bool,
    /// Marked as actively exploited.
    pub exploited: bool,
    /// CRA clocks, when actively exploited.
    pub cra: Option<CraClocks>,
    /// The holder's VEX decision, if any.
    pub vex: Option<String>,
}

fn severity_of(bucket: Option<keurmerk_vuln::osv::SeverityBucket>) -> Severity {
    use keurmerk_vuln::osv::SeverityBucket as B;
    match bucket {
        Some(B::Critical) => Severity::Critical,
        Some(B::High) => Severity::High,
        Some(B::Medium) => Severity::Medium,
        Some(B::Low) => Severity::Low,
        Some(B::None) => Severity::None,
        // No advisory gave a score: not known yet, which the scheme's policy never reads as low.
        None => Severity::Unknown,
    }
}

fn key_from_str(s: &str) -> Option<PackageKey> {
    let (t, n) = s.split_once(':')?;
    Some(PackageKey {
        purl_type: t.to_owned(),
        name: n.to_owned(),
    })
}

fn justification_text(j: &Justification) -> String {
    match j {
        Justification::Other(s) => s.clone(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

/// Every id the document gives each of its vulnerabilities (the vulnerability's own id included).
fn doc_aliases(doc: &AdvisoryDoc) -> Vec<AdvisoryAlias> {
    fn add(out: &mut Vec<AdvisoryAlias>, vulnerability: &str, aliases: &[String]) {
        for alias in std::iter::once(vulnerability).chain(aliases.iter().map(String::as_str)) {
            out.push(AdvisoryAlias {
                vulnerability: vulnerability.to_owned(),
                alias: alias.to_owned(),
            });
        }
    }
    let mut out = Vec::new();
    match doc {
        AdvisoryDoc::Osv(o) => add(&mut out, &o.id, &o.aliases),
        AdvisoryDoc::Csaf(c) => {
            for a in c.advisories() {
                add(&mut out, &a.id, &a.aliases);
            }
        }
        _ => {}
    }
    out
}

fn doc_identity(doc: &AdvisoryDoc) -> Option<(String, String)> {
    match doc {
        AdvisoryDoc::Osv(o) => Some((o.id.clone(), o.modified.clone())),
        AdvisoryDoc::Csaf(c) => Some((
            c.document.tracking.id.clone(),
            c.document.tracking.current_release_date.clone(),
        )),
        _ => None,
    }
}

impl<S: RegistryStore + VulnStore> Registry<S> {
    /// The manufacturer attaches an SBOM (CycloneDX 1.2–1.6 JSON/XML, SPDX 2.3 JSON) to a version
    /// of its product; the SBOM is matched against the stored advisories at once. Answered once
    /// the maker's record of it (`docs/FORMATS.md` §14) is in a signed checkpoint, as every
    /// other write.
    pub async fn attach_sbom(
        &self,
        actor: &Actor,
        version: &RecordId,
        name: &str,
        bytes: &[u8],
    ) -> ServiceResult<SbomSummary> {
        let (summary, queue_id) = self.attach_sbom_queued(actor, version, name, bytes).await?;
        self.logged(queue_id).await?;
        Ok(summary)
    }

    /// [`Registry::attach_sbom`] without waiting for the log: also the record's queue id, for a
    /// caller that writes more before it waits (`declare_version_change`, whose answer must not
    /// say "recorded" before its own event is).
    pub(crate) async fn attach_sbom_queued(
        &self,
        actor: &Actor,
        version: &RecordId,
        name: &str,
        bytes: &[u8],
    ) -> ServiceResult<(SbomSummary, i64)> {
        // The role first, so a caller who may not attach SBOMs learns nothing about versions.
        self.acting_as(actor, &[OrgRole::Manufacturer], "attach SBOMs")
            .await?;
        let v = self
            .store()
            .version(version)
            .await?
            .ok_or_else(|| not_found("version", version))?;
        let p = self.own_product(actor, &v.product, "attach SBOMs").await?;
        let sbom = keurmerk_vuln::sbom::parse_slice(name, bytes)
            .map_err(|e| invalid("sbom", e.to_string()))?;
        let components = crate::softwarelists::components_of(&v.id, &sbom);
        // The maker's signed record of the list: without it the version would not count as
        // monitored (`softwarelists`). Signed and checked before anything is written.
        let record = self
            .software_list_record(&p, &v, name, &sbom, bytes)
            .await?;
        let audit = self.audit(
            actor,
            "sbom.attach",
            &v.id,
            json!({"name": name, "components": sbom.components.len()}),
        );
        let queue_id = self
            .store()
            .put_sbom(
                &v.id,
                name,
                &format!("{:?}", sbom.format),
                bytes,
                &keurmerk_trust::software_list_sha256(bytes),
                &record,
                &components,
                &audit,
            )
            .await?;
        self.rematch(&components, None).await?;
        self.apply_findings(&p.id).await?;
        let findings = self
            .store()
            .matches(&v.id)
            .await?
            .iter()
            .filter(|m| m.closed_at.is_none())
            .count();
        Ok((
            SbomSummary {
                components: sbom.components.len(),
                matchable: components.len(),
                findings,
            },
            queue_id,
        ))
    }

    /// The registry operator or a national authority imports advisories (OSV JSON/YAML, CSAF) from
    /// a directory, a `.tar.gz` or a file. Only new or modified advisories are stored, and only
    /// the components they can touch are re-matched. `progress` is called per document read.
    ///
    /// Fails closed: when any document cannot be read (or the input stops early), nothing is stored
    /// and the error names the counts and the problems — unless `allow_partial`, when the readable
    /// advisories are stored and the summary lists what was not read.
    pub async fn import_advisories(
        &self,
        actor: &Actor,
        path: &Path,
        allow_partial: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> ServiceResult<ImportSummary> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "import advisories",
        )
        .await?;
        let mut docs = Vec::new();
        let mut summary = ImportSummary::default();
        let mut euvd = Vec::new();
        let walked = source::for_each_document(path, |name, bytes| {
            if keurmerk_vuln::kev::looks_like_kev(bytes) {
                summary.errors.push(format!(
                    "{name}: this is the CISA Known Exploited Vulnerabilities catalogue, not an advisory; import it with `keurmerk advisories import-kev`"
                ));
                return;
            }
            if keurmerk_vuln::euvd::looks_like_euvd(bytes) {
                // An EUVD record joins ids (EUVD, CVE, GHSA…) into one vulnerability.
                match keurmerk_vuln::euvd::parse(name, bytes) {
                    Ok(r) => {
                        euvd.push((name.to_owned(), bytes.to_vec(), r));
                        progress(docs.len() + euvd.len());
                    }
                    Err(e) => summary.errors.push(e.to_string()),
                }
                return;
            }
            match source::parse_advisory(name, bytes) {
                Ok(doc) => {
                    docs.push((name.to_owned(), bytes.to_vec(), doc));
                    progress(docs.len() + euvd.len());
                }
                Err(e) => summary.errors.push(e.to_string()),
            }
        })
        .map_err(|e| invalid("path", e.to_string()))?;
        summary
            .errors
            .extend(walked.read_errors.iter().map(ToString::to_string));
        summary.stopped_early = walked.stopped_early;
        summary.read = docs.len() + euvd.len();
        if !allow_partial && (!summary.errors.is_empty() || summary.stopped_early) {
            return Err(invalid("path", incomplete_import(path, &summary)));
        }
        let mut touched = BTreeSet::new();
        for (name, bytes, r) in euvd {
            let aliases: Vec<AdvisoryAlias> = std::iter::once(&r.id)
                .chain(r.aliases.iter())
                .map(|a| AdvisoryAlias {
                    vulnerability: r.id.clone(),
                    alias: a.clone(),
                })
                .collect();
            let audit = self.audit(
                actor,
                "advisory.import",
                &r.id,
                json!({"source": name, "modified": r.updated, "kind": "euvd"}),
            );
            let adv = StoredAdvisory {
                id: r.id.clone(),
                source_name: name,
                modified: r.updated.clone(),
                document: bytes,
            };
            if !self
                .store()
                .upsert_advisory(&adv, &[], &aliases, &audit)
                .await?
                .stored
            {
                summary.unchanged += 1;
                continue;
            }
            summary.changed += 1;
            if let Some(bucket) = r.severity() {
                let severity = severity_of(Some(bucket));
                let audit = self.audit(
                    actor,
                    "vulnerability.set_severity",
                    &r.id,
                    json!({"severity": severity, "source": "euvd", "base_score": r.base_score}),
                );
                self.store()
                    .set_severity(&r.id, "euvd", severity.as_str(), None, &audit)
                    .await?;
            }
            // New ids (and a score) for findings that may already be open.
            let ids = self.vulnerability_ids(&r.id).await?;
            summary.versions_rematched += self.reapply(&ids).await?;
        }
        for (name, bytes, doc) in docs {
            self.store_advisory_doc(actor, name, bytes, &doc, &mut summary, &mut touched)
                .await?;
        }
        let keys: Vec<String> = touched.into_iter().collect();
        summary.versions_rematched = self.rematch_keys(&keys).await?;
        tracing::info!(
            changed = summary.changed,
            read = summary.read,
            rematched = summary.versions_rematched,
            "advisories imported"
        );
        Ok(summary)
    }

    /// Imports one advisory document (OSV JSON/YAML or CSAF) given as bytes, as
    /// [`Registry::import_advisories`] does for each document it reads (the demo seeds with it).
    pub async fn import_advisory_document(
        &self,
        actor: &Actor,
        name: &str,
        bytes: &[u8],
    ) -> ServiceResult<ImportSummary> {
        self.acting_as(
            actor,
            &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
            "import advisories",
        )
        .await?;
        let doc =
            source::parse_advisory(name, bytes).map_err(|e| invalid("advisory", e.to_string()))?;
        let mut summary = ImportSummary {
            read: 1,
            ..Default::default()
        };
        let mut touched = BTreeSet::new();
        self.store_advisory_doc(
            actor,
            name.to_owned(),
            bytes.to_vec(),
            &doc,
            &mut summary,
            &mut touched,
        )
        .await?;
        let keys: Vec<String> = touched.into_iter().collect();
        summary.versions_rematched = self.rematch_keys(&keys).await?;
        Ok(summary)
    }

    /// Stores one parsed advisory when it is new or modified, counting it in `summary` and
    /// collecting the package keys of the components it can touch.
    async fn store_advisory_doc(
        &self,
        actor: &Actor,
        name: String,
        bytes: Vec<u8>,
        doc: &AdvisoryDoc,
        summary: &mut ImportSummary,
        touched: &mut BTreeSet<String>,
    ) -> ServiceResult<()> {
        let Some((id, modified)) = doc_identity(doc) else {
            return Ok(());
        };
        let mut scratch = AdvisoryIndex::new();
        let keys: Vec<String> = scratch
            .insert(doc)
            .iter()
            .map(ToString::to_string)
            .collect();
        let aliases = doc_aliases(doc);
        let audit = self.audit(
            actor,
            "advisory.import",
            &id,
            json!({"source": name, "modified": modified}),
        );
        let adv = StoredAdvisory {
            id,
            source_name: name,
            modified,
            document: bytes,
        };
        // Counted by whether the advisory itself was stored, not by whether it touches a
        // component (a CSAF document for products nobody registered is still new).
        let upserted = self
            .store()
            .upsert_advisory(&adv, &keys, &aliases, &audit)
            .await?;
        if upserted.stored {
            summary.changed += 1;
            touched.extend(upserted.touched);
        } else {
            summary.unchanged += 1;
        }
        Ok(())
    }

    /// The holder publishes VEX statements (OpenVEX, CycloneDX VEX, CSAF VEX) for its product.
    /// A `not_affected` statement with a justification closes the matching findings on the label.
    pub async fn publish_vex(
        &self,
        actor: &Actor,
        product: &RecordId,
        name: &str,
        bytes: &[u8],
    ) -> ServiceResult<usize> {
        let p = self
            .own_product(actor, product, "publish VEX statements")
            .await?;
        let statements =
            keurmerk_vuln::vex::parse(name, bytes).map_err(|e| invalid("vex", e.to_string()))?;
        if statements.is_empty() {
            return Err(invalid("vex", format!("{name} holds no VEX statement")));
        }
        for s in &statements {
            if s.status == VexStatus::NotAffected
                && s.justification.is_none()
                && s.impact_statement.is_none()
            {
                return Err(invalid(
                    "vex",
                    format!("{name}: `not_affected` for {} needs a justification or an impact statement", s.vulnerability),
                ));
            }
        }
        for s in &statements {
            let status = match s.status {
                VexStatus::NotAffected => "not_affected",
                VexStatus::Affected => "affected",
                VexStatus::Fixed => "fixed",
                VexStatus::UnderInvestigation => "under_investigation",
            };
            let versions = match &s.product.version {
                VersionSpec::Any => "*".to_owned(),
                VersionSpec::Exact(v) => format!("={v}"),
                VersionSpec::Range(r) => r.clone(),
            };
            for id in std::iter::once(&s.vulnerability).chain(s.aliases.iter()) {
                let d = VexDecision {
                    product_id: p.id.clone(),
                    vulnerability: id.clone(),
                    versions: versions.clone(),
                    status: status.to_owned(),
                    justification: s.justification.as_ref().map(justification_text),
                    statement: s.impact_statement.clone(),
                    published_at: self.now(),
                };
                let audit = self.audit(
                    actor,
                    "vex.publish",
                    &p.id,
                    json!({"vulnerability": id, "status": status}),
                );
                self.store().put_vex(&d, &audit).await?;
            }
        }
        self.apply_findings(&p.id).await?;
        Ok(statements.len())
    }

    /// Re-matches every component with one of `keys`; returns how many versions were touched.
    async fn rematch_keys(&self, keys: &[String]) -> ServiceResult<usize> {
        if keys.is_empty() {
            return Ok(0);
        }
        let components = self.store().components_with_keys(keys).await?;
        let versions: BTreeSet<RecordId> =
            components.iter().map(|c| c.version_id.clone()).collect();
        self.rematch(&components, Some(keys)).await?;
        let mut products = BTreeSet::new();
        for v in &versions {
            if let Some(pv) = self.store().version(v).await? {
                products.insert(pv.product);
            }
        }
        for p in products {
            self.apply_findings(&p).await?;
        }
        Ok(versions.len())
    }

    /// Matches `components` against the stored advisories for their keys and reconciles the
    /// findings of each version within `scope` (all keys when `None`).
    async fn rematch(
        &self,
        components: &[StoredComponent],
        scope: Option<&[String]>,
    ) -> ServiceResult<()> {
        let keys: Vec<String> = components
            .iter()
            .map(|c| c.pkg_key.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut index = AdvisoryIndex::new();
        for adv in self.store().advisories_with_keys(&keys).await? {
            match source::parse_advisory(&adv.source_name, &adv.document) {
                Ok(doc) => {
                    index.insert(&doc);
                }
                Err(e) => {
                    tracing::warn!(advisory = %adv.id, error = %e, "stored advisory no longer parses")
                }
            }
        }
        let now = self.now();
        let mut by_version: BTreeMap<RecordId, Vec<VulnMatch>> = BTreeMap::new();
        for c in components {
            by_version.entry(c.version_id.clone()).or_default();
            let Some(key) = key_from_str(&c.pkg_key) else {
                continue;
            };
            for f in index.match_version(&key, &c.version) {
                by_version
                    .entry(c.version_id.clone())
                    .or_default()
                    .push(VulnMatch {
                        version_id: c.version_id.clone(),
                        advisory_id: f.advisory_id.clone(),
                        vulnerability: f.advisory_id.clone(),
                        aliases: f.aliases.clone(),
                        pkg_key: c.pkg_key.clone(),
                        purl: c.purl.clone(),
                        installed: c.version.clone(),
                        severity: severity_of(f.severity).as_str().to_owned(),
                        fixed: f.fixed_versions.clone(),
                        first_seen: now,
                        closed_at: None,
                    });
            }
        }
        for (version, found) in by_version {
            self.store()
                .reconcile_matches(&version, scope, &found, now)
                .await?;
        }
        Ok(())
    }

    async fn registry_actor(&self) -> ServiceResult<Actor> {
        self.store()
            .orgs()
            .await?
            .into_iter()
            .find(|o| o.role == OrgRole::RegistryOperator)
            .map(|o| Actor::system(o.id, "monitoring"))
            .ok_or_else(|| {
                ServiceError::Forbidden(
                    "the registry has no operator to record monitoring events".into(),
                )
            })
    }

    /// Brings the live certificates of a product in line with the findings of their covered
    /// versions and the holder's VEX decisions. A finding stays open on a certificate while any
    /// covered version's software list carries it (a newer version that fixes it does not fix
    /// the devices still running the old one); the event names the versions that carry it.
    pub(crate) async fn apply_findings(&self, product: &RecordId) -> ServiceResult<()> {
        let certs = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(product.clone()),
                ..Default::default()
            })
            .await?;
        let vex = self.store().vex_decisions(product).await?;
        let registry = self.registry_actor().await?;
        for c in certs.into_iter().filter(|c| !c.state.is_terminal()) {
            let view = fold(&self.store().events(&c.id).await?)?;
            let mut covered = view.versions.clone();
            covered.sort_by(|a, b| (a.released_on, &a.id).cmp(&(b.released_on, &b.id)));
            let Some(latest) = covered.last().cloned() else {
                continue;
            };
            // One read of each covered version's findings serves both directions below.
            let mut per_version = Vec::with_capacity(covered.len());
            for v in &covered {
                per_version.push((v.clone(), self.store().matches(&v.id).await?));
            }
            let all_matches: Vec<&VulnMatch> =
                per_version.iter().flat_map(|(_, ms)| ms.iter()).collect();
            // Keyed by the id the certificate already shows the vulnerability under, if it shows
            // it under any of the finding's ids, so a finding that another advisory now names
            // first stays one vulnerability on the certificate.
            let open_on_view = |m: &VulnMatch| -> Option<String> {
                match_ids(m).into_iter().find_map(|x| {
                    view.vulnerabilities
                        .iter()
                        .find(|(id, v)| {
                            v.resolution.is_none() && keurmerk_vuln::identity::same_id(id, &x)
                        })
                        .map(|(id, _)| id.clone())
                })
            };
            let mut wanted: BTreeMap<String, (VulnMatch, Vec<String>, Vec<String>)> =
                BTreeMap::new();
            for (v, ms) in &per_version {
                for m in ms.iter().filter(|m| m.closed_at.is_none()) {
                    let ids = self.finding_ids(m).await?;
                    if vex_not_affected(&vex, &ids, &v.version).is_some() {
                        continue;
                    }
                    // One vulnerability in several versions is one finding.
                    let key = open_on_view(m)
                        .or_else(|| {
                            wanted
                                .iter()
                                .find(|(_, (_, wids, _))| {
                                    wids.iter().any(|w| {
                                        ids.iter().any(|x| keurmerk_vuln::identity::same_id(w, x))
                                    })
                                })
                                .map(|(k, _)| k.clone())
                        })
                        .unwrap_or_else(|| m.vulnerability.clone());
                    let entry = wanted
                        .entry(key)
                        .or_insert_with(|| (m.clone(), ids, Vec::new()));
                    if !entry.2.contains(&v.version) {
                        entry.2.push(v.version.clone());
                    }
                }
            }
            for (id, (m, ids, versions)) in &wanted {
                let severity = self.effective_severity(m, ids).await?;
                let exploited = self.store().exploited_since(ids).await?.is_some();
                let fixed_in = m.fixed.first().cloned();
                let current = view
                    .vulnerabilities
                    .get(id)
                    .filter(|v| v.resolution.is_none());
                let same = current.is_some_and(|v| {
                    v.severity == severity
                        && v.exploited == exploited
                        && v.fixed_in == fixed_in
                        && &v.versions == versions
                });
                if !same {
                    let kind = EventKind::VulnerabilityMatched {
                        vulnerability: id.clone(),
                        severity,
                        component: m.purl.clone(),
                        exploited,
                        fixed_in,
                        versions: versions.clone(),
                    };
                    self.append_event(
                        &c.id,
                        &registry,
                        ActorRole::Registry,
                        kind,
                        "certificate.vulnerability_matched",
                    )
                    .await?;
                }
            }
            for id in view
                .vulnerabilities
                .iter()
                .filter(|(_, v)| v.resolution.is_none())
                .map(|(id, _)| id)
            {
                if wanted.contains_key(id) {
                    continue;
                }
                let seen = all_matches.iter().find(|m| {
                    match_ids(m)
                        .iter()
                        .any(|x| keurmerk_vuln::identity::same_id(x, id))
                });
                let ids = match seen {
                    Some(m) => self.finding_ids(m).await?,
                    None => {
                        let mut ids = self.vulnerability_ids(id).await?;
                        if ids.is_empty() {
                            ids.push(id.clone());
                        }
                        ids
                    }
                };
                let on_latest = per_version.last().is_some_and(|(_, ms)| {
                    ms.iter().any(|m| {
                        match_ids(m)
                            .iter()
                            .any(|x| keurmerk_vuln::identity::same_id(x, id))
                    })
                });
                let resolution = if let Some(j) = vex_not_affected(&vex, &ids, &latest.version) {
                    Resolution::NotAffected { justification: j }
                } else if on_latest {
                    // The newest covered version's finding closed without a VEX decision: the
                    // advisory changed or was withdrawn.
                    Resolution::AdvisoryWithdrawn
                } else {
                    // No covered version carries the vulnerability: it is fixed.
                    Resolution::Fixed {
                        version: latest.version.clone(),
                    }
                };
                let kind = EventKind::VulnerabilityResolved {
                    vulnerability: id.clone(),
                    resolution,
                };
                self.append_event(
                    &c.id,
                    &registry,
                    ActorRole::Registry,
                    kind,
                    "certificate.vulnerability_resolved",
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The holder's (or its authority's) view of a product's open findings, with deadlines and
    /// CRA clocks for actively exploited vulnerabilities.
    pub async fn findings(
        &self,
        actor: &Actor,
        product: &RecordId,
    ) -> ServiceResult<Vec<FindingView>> {
        let me = self.acting(actor).await?;
        let p = self
            .store()
            .product(product)
            .await?
            .ok_or_else(|| not_found("product", product))?;
        let certs = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(product.clone()),
                ..Default::default()
            })
            .await?;
        let allowed = p.manufacturer == me.id
            || matches!(me.role, OrgRole::RegistryOperator)
            || certs
                .iter()
                .any(|c| c.authority.as_ref() == Some(&me.id) || c.issuer == me.id);
        if !allowed {
            return Err(ServiceError::Forbidden(format!(
                "only the holder, its issuers and authorities see the findings of {product}"
            )));
        }
        // The strictest remediation policy among the product's live certificates (baseline otherwise).
        let policies: Vec<_> = certs
            .iter()
            .filter(|c| !c.state.is_terminal())
            .filter_map(|c| self.catalogue().get(&c.scheme).map(|s| s.policy.clone()))
            .chain(self.catalogue().baseline().map(|b| b.policy.clone()))
            .collect();
        let vex = self.store().vex_decisions(product).await?;
        let today = self.now().date_naive();
        let mut out = Vec::new();
        for v in self.store().versions(product).await? {
            for m in self
                .store()
                .matches(&v.id)
                .await?
                .into_iter()
                .filter(|m| m.closed_at.is_none())
            {
                let ids = self.finding_ids(&m).await?;
                let severity = self.effective_severity(&m, &ids).await?;
                let days = policies
                    .iter()
                    .map(|p| p.remediation_days_for(severity))
                    .min()
                    .unwrap_or(90);
                let deadline = m
                    .first_seen
                    .date_naive()
                    .checked_add_days(Days::new(days.into()))
                    .unwrap_or(NaiveDate::MAX);
                let exploited = self.store().exploited_since(&ids).await?.is_some();
                out.push(FindingView {
                    version: v.version.clone(),
                    vex: vex_not_affected(&vex, &ids, &v.version)
                        .map(|j| format!("not_affected: {j}")),
                    vulnerability: m.vulnerability.clone(),
                    aliases: m.aliases.clone(),
                    severity,
                    component: m.purl.clone(),
                    installed: m.installed.clone(),
                    fixed: m.fixed.clone(),
                    first_seen: m.first_seen,
                    deadline,
                    overdue: today > deadline,
                    exploited,
                    cra: exploited.then(|| CraClocks {
                        early_warning_due: m.first_seen + Duration::hours(24),
                        notification_due: m.first_seen + Duration::hours(72),
                        final_report: "14 days after a corrective measure is available",
                    }),
                });
            }
        }
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .reverse()
                .then(a.deadline.cmp(&b.deadline))
        });
        Ok(out)
    }
}

/// The justification of a `not_affected` decision about the vulnerability with these `ids` (any
/// of them: a decision naming CVE-2022-32149 covers GO-2022-1059, which lists it) that covers
/// `version`, if any.
fn vex_not_affected(vex: &[VexDecision], ids: &[String], version: &str) -> Option<String> {
    vex.iter()
        .filter(|d| {
            d.status == "not_affected"
                && ids
                    .iter()
                    .any(|x| keurmerk_vuln::identity::same_id(x, &d.vulnerability))
        })
        .find(|d| {
            d.versions == "*"
                || d.versions == format!("={version}")
                || range_contains(&d.versions, version)
        })
        .map(|d| {
            d.justification
                .clone()
                .or_else(|| d.statement.clone())
                .unwrap_or_default()
        })
}

fn range_contains(range: &str, version: &str) -> bool {
    keurmerk_vuln::vers::VersionRange::parse(range)
        .ok()
        .and_then(|r| r.contains(version).ok())
        .unwrap_or(false)
}

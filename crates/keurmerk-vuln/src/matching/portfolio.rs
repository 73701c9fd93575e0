//! The component side of matching: package key → versions in use → (product version, component), so
//! that a new or changed advisory is evaluated once per distinct version in the portfolio and fanned out
//! to every product version that has it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{AdvisoryIndex, EvalIssue, Finding};
use crate::purl::PackageKey;
use crate::sbom::Sbom;

#[derive(Debug, Clone)]
struct VersionGroup<P> {
    version: String,
    members: Vec<(P, u32)>,
}

/// Components of many product versions, indexed by package key and version. `P` identifies a product
/// version (a database id, a name…); components are identified by their position in that product
/// version's SBOM (`Sbom::components` index).
#[derive(Debug, Clone)]
pub struct PortfolioIndex<P> {
    by_key: HashMap<PackageKey, Vec<VersionGroup<P>>>,
    occurrences: usize,
}

impl<P> Default for PortfolioIndex<P> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
            occurrences: 0,
        }
    }
}

/// One component occurrence with the findings for its package version. Findings are shared between all
/// occurrences of the same package version.
#[derive(Debug, Clone)]
pub struct PortfolioMatch<P> {
    /// Product version.
    pub product: P,
    /// Component position in that product version's SBOM.
    pub component: u32,
    /// Findings (at least one).
    pub findings: Arc<[Finding]>,
}

impl<P: Clone + PartialEq + Send + Sync> PortfolioIndex<P> {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of component occurrences indexed.
    pub fn len(&self) -> usize {
        self.occurrences
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.occurrences == 0
    }

    /// Number of distinct package keys.
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }

    /// Add one component occurrence.
    pub fn add(&mut self, product: P, component: u32, key: PackageKey, version: &str) {
        let groups = self.by_key.entry(key).or_default();
        match groups.iter_mut().find(|g| g.version == version) {
            Some(g) => g.members.push((product, component)),
            None => groups.push(VersionGroup {
                version: version.to_owned(),
                members: vec![(product, component)],
            }),
        }
        self.occurrences += 1;
    }

    /// Add every component of an SBOM that has a valid purl and a version (from the purl, else the
    /// component's `version`). Returns how many were indexed.
    pub fn add_sbom(&mut self, product: &P, sbom: &Sbom) -> usize {
        let mut n = 0;
        for (i, c) in sbom.components.iter().enumerate() {
            let Some(purl) = &c.purl else { continue };
            let Some(version) = purl.version().or(c.version.as_deref()) else {
                continue;
            };
            let Ok(idx) = u32::try_from(i) else { break };
            self.add(product.clone(), idx, purl.package_key(), version);
            n += 1;
        }
        n
    }

    /// Remove every component of a product version. Returns how many were removed.
    pub fn remove_product(&mut self, product: &P) -> usize {
        let mut removed = 0;
        self.by_key.retain(|_, groups| {
            groups.retain_mut(|g| {
                let before = g.members.len();
                g.members.retain(|(p, _)| p != product);
                removed += before - g.members.len();
                !g.members.is_empty()
            });
            !groups.is_empty()
        });
        self.occurrences -= removed;
        removed
    }

    fn match_groups(
        &self,
        index: &AdvisoryIndex,
        keys: &[&PackageKey],
        only: Option<u32>,
    ) -> (Vec<PortfolioMatch<P>>, Vec<EvalIssue>) {
        let mut out = Vec::new();
        let mut issues = Vec::new();
        let mut findings = Vec::new();
        for key in keys {
            let Some(groups) = self.by_key.get(*key) else {
                continue;
            };
            for g in groups {
                findings.clear();
                index.evaluate(key, &g.version, only, &mut findings, &mut issues);
                if findings.is_empty() {
                    continue;
                }
                let shared: Arc<[Finding]> = findings.drain(..).collect();
                out.extend(g.members.iter().map(|(p, c)| PortfolioMatch {
                    product: p.clone(),
                    component: *c,
                    findings: shared.clone(),
                }));
            }
        }
        (out, issues)
    }

    /// Match the whole portfolio against the whole index (initial load; normal operation is
    /// incremental). Runs on all available cores.
    pub fn match_all(&self, index: &AdvisoryIndex) -> (Vec<PortfolioMatch<P>>, Vec<EvalIssue>) {
        let keys: Vec<&PackageKey> = self
            .by_key
            .keys()
            .filter(|k| index.contains_key(k))
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(8);
        if threads <= 1 || keys.len() < 1024 {
            return self.match_groups(index, &keys, None);
        }
        let chunk = keys.len().div_ceil(threads);
        let parts: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = keys
                .chunks(chunk)
                .map(|part| s.spawn(move || self.match_groups(index, part, None)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut out = Vec::new();
        let mut issues = Vec::new();
        for (m, i) in parts {
            out.extend(m);
            issues.extend(i);
        }
        (out, issues)
    }

    /// Re-match the components of the given keys against every advisory of those keys (after
    /// [`AdvisoryIndex::insert_osv`] returned them).
    pub fn match_keys(
        &self,
        index: &AdvisoryIndex,
        keys: &[PackageKey],
    ) -> (Vec<PortfolioMatch<P>>, Vec<EvalIssue>) {
        let keys: Vec<&PackageKey> = keys.iter().collect();
        self.match_groups(index, &keys, None)
    }

    /// Match one indexed advisory against the whole portfolio: only the components sharing its keys
    /// are looked at, once per distinct version.
    pub fn match_advisory(
        &self,
        index: &AdvisoryIndex,
        advisory_id: &str,
    ) -> (Vec<PortfolioMatch<P>>, Vec<EvalIssue>) {
        let Some(slot) = index.slot_of(advisory_id) else {
            return (Vec::new(), Vec::new());
        };
        let keys: Vec<&PackageKey> = index.keys_of(advisory_id).iter().collect();
        self.match_groups(index, &keys, Some(slot))
    }
}

//! Product-tree resolution and conversion of CSAF vulnerabilities to advisories and VEX statements.

use std::collections::{BTreeMap, HashMap};

use super::{Branch, CsafDocument, FullProductName, Vulnerability};
use crate::vex::{
    purl_base, purl_version, Justification, VersionSpec, VexFormat, VexProduct, VexSource,
    VexStatement, VexStatus,
};

/// A product of the tree, with what the branches above it say about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProductInfo {
    /// Product id.
    pub product_id: String,
    /// Full product name.
    pub name: String,
    /// Vendor branch name.
    pub vendor: Option<String>,
    /// Product-name branch name.
    pub product_name: Option<String>,
    /// `product_version` branch name.
    pub version: Option<String>,
    /// `product_version_range` branch name (a `vers:` string or free text).
    pub version_range: Option<String>,
    /// purl (own, or inherited from the component of a relationship).
    pub purl: Option<String>,
    /// CPE (own, or inherited).
    pub cpe: Option<String>,
    /// `(category, component product id, platform product id)` for relationship products.
    pub relationship: Option<(String, String, String)>,
}

/// One package affected by a CSAF vulnerability.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CsafPackage {
    /// purl without version, qualifiers or subpath.
    pub purl: String,
    /// Affected versions (exact versions or `vers:` ranges; `Any` when the purl has no version).
    pub affected: Vec<VersionSpec>,
    /// Fixed versions.
    pub fixed: Vec<String>,
}

/// One vulnerability of a CSAF document as an advisory.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CsafAdvisory {
    /// CVE, else the first `ids[].text`, else `<tracking id>#<index>`.
    pub id: String,
    /// Other ids (document tracking id, `ids[]`).
    pub aliases: Vec<String>,
    /// Document tracking id.
    pub document_id: String,
    /// Vulnerability title, else document title.
    pub title: String,
    /// Highest CVSS base score (v3 preferred, else v2).
    pub cvss_score: Option<f64>,
    /// Release date (vulnerability, else document initial release).
    pub published: Option<String>,
    /// Document current release date.
    pub modified: String,
    /// Affected packages (products that carry a purl).
    pub packages: Vec<CsafPackage>,
    /// Affected products that have no purl (CPE or name only) and so cannot be matched by purl.
    pub unmatched_products: Vec<String>,
}

impl CsafAdvisory {
    /// The id under which [`crate::matching::AdvisoryIndex`] keeps it: `<document id>/<id>`.
    pub fn index_id(&self) -> String {
        format!("{}/{}", self.document_id, self.id)
    }
}

fn walk(b: &Branch, ctx: &mut Vec<(String, String)>, out: &mut Vec<ProductInfo>) {
    ctx.push((b.category.clone(), b.name.clone()));
    if let Some(p) = &b.product {
        let find = |cat: &str| {
            ctx.iter()
                .rev()
                .find(|(c, _)| c == cat)
                .map(|(_, n)| n.clone())
        };
        let mut info = leaf(p);
        info.vendor = find("vendor");
        info.product_name = find("product_name");
        info.version = find("product_version");
        info.version_range = find("product_version_range");
        out.push(info);
    }
    for child in &b.branches {
        walk(child, ctx, out);
    }
    ctx.pop();
}

fn leaf(p: &FullProductName) -> ProductInfo {
    let helper = p.product_identification_helper.as_ref();
    ProductInfo {
        product_id: p.product_id.clone(),
        name: p.name.clone(),
        vendor: None,
        product_name: None,
        version: None,
        version_range: None,
        purl: helper.and_then(|h| h.purl.clone()),
        cpe: helper.and_then(|h| h.cpe.clone()),
        relationship: None,
    }
}

impl CsafDocument {
    /// Every product of the tree (branches, `full_product_names`, relationships), in document order.
    pub fn products(&self) -> Vec<ProductInfo> {
        let Some(tree) = &self.product_tree else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for b in &tree.branches {
            walk(b, &mut Vec::new(), &mut out);
        }
        out.extend(tree.full_product_names.iter().map(leaf));
        for r in &tree.relationships {
            let mut info = leaf(&r.full_product_name);
            if let Some(component) = out
                .iter()
                .find(|p| p.product_id == r.product_reference)
                .cloned()
            {
                info.purl = info.purl.or(component.purl);
                info.cpe = info.cpe.or(component.cpe);
                info.vendor = component.vendor;
                info.product_name = component.product_name;
                info.version = component.version;
                info.version_range = component.version_range;
            }
            info.relationship = Some((
                r.category.clone(),
                r.product_reference.clone(),
                r.relates_to_product_reference.clone(),
            ));
            out.push(info);
        }
        out
    }

    /// Product ids named directly or through product groups.
    pub fn expand_ids(&self, product_ids: &[String], group_ids: &[String]) -> Vec<String> {
        let mut out = product_ids.to_vec();
        if let Some(tree) = &self.product_tree {
            for g in group_ids {
                if let Some(group) = tree.product_groups.iter().find(|pg| &pg.group_id == g) {
                    out.extend(group.product_ids.iter().cloned());
                }
            }
        }
        out
    }

    fn vuln_ids(&self, index: usize, v: &Vulnerability) -> (String, Vec<String>) {
        let mut aliases: Vec<String> = v.ids.iter().map(|i| i.text.clone()).collect();
        aliases.push(self.document.tracking.id.clone());
        let id = match &v.cve {
            Some(c) => c.clone(),
            None if !v.ids.is_empty() => aliases.remove(0),
            None => format!("{}#{index}", self.document.tracking.id),
        };
        aliases.retain(|a| a != &id);
        aliases.dedup();
        (id, aliases)
    }

    /// Convert each vulnerability to an advisory: packages (by purl) with affected versions/ranges
    /// and fixed versions. `known_affected` products give exact versions, `first_affected` /
    /// `last_affected` give `>=` / `<=` ranges, `fixed` / `first_fixed` give fixed versions.
    pub fn advisories(&self) -> Vec<CsafAdvisory> {
        let products: HashMap<String, ProductInfo> = self
            .products()
            .into_iter()
            .map(|p| (p.product_id.clone(), p))
            .collect();
        let mut out = Vec::new();
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let (id, aliases) = self.vuln_ids(i, v);
            let status = v.product_status.clone().unwrap_or_default();
            let mut pkgs: BTreeMap<String, CsafPackage> = BTreeMap::new();
            let mut unmatched = Vec::new();
            let affected = [
                (&status.known_affected, None),
                (&status.first_affected, Some(">=")),
                (&status.last_affected, Some("<=")),
            ];
            for (ids, op) in affected {
                for pid in ids {
                    let Some((base, spec)) = products.get(pid).and_then(package_version) else {
                        unmatched.push(pid.clone());
                        continue;
                    };
                    let spec = match (op, spec) {
                        (Some(op), VersionSpec::Exact(ver)) => {
                            VersionSpec::Range(format!("vers:{}/{op}{ver}", purl_type(&base)))
                        }
                        (_, s) => s,
                    };
                    let entry = pkgs.entry(base.clone()).or_insert_with(|| CsafPackage {
                        purl: base,
                        affected: Vec::new(),
                        fixed: Vec::new(),
                    });
                    if !entry.affected.contains(&spec) {
                        entry.affected.push(spec);
                    }
                }
            }
            for pid in status.fixed.iter().chain(&status.first_fixed) {
                if let Some((base, VersionSpec::Exact(ver))) =
                    products.get(pid).and_then(package_version)
                {
                    if let Some(entry) = pkgs.get_mut(&base) {
                        if !entry.fixed.contains(&ver) {
                            entry.fixed.push(ver);
                        }
                    }
                }
            }
            let cvss_score = v
                .scores
                .iter()
                .filter_map(|s| s.cvss_v3.as_ref().or(s.cvss_v2.as_ref()))
                .map(|c| c.base_score)
                .fold(None, |acc: Option<f64>, x| {
                    Some(acc.map_or(x, |a| a.max(x)))
                });
            out.push(CsafAdvisory {
                id,
                aliases,
                document_id: self.document.tracking.id.clone(),
                title: v
                    .title
                    .clone()
                    .unwrap_or_else(|| self.document.title.clone()),
                cvss_score,
                published: v
                    .release_date
                    .clone()
                    .or_else(|| Some(self.document.tracking.initial_release_date.clone())),
                modified: self.document.tracking.current_release_date.clone(),
                packages: pkgs.into_values().collect(),
                unmatched_products: unmatched,
            });
        }
        out
    }

    /// Every `product_status` entry as a VEX statement, with justifications from `flags`, impact
    /// statements from `threats` (category `impact`) and action statements from `remediations`.
    pub fn vex_statements(&self, name: &str) -> Vec<VexStatement> {
        let products: HashMap<String, ProductInfo> = self
            .products()
            .into_iter()
            .map(|p| (p.product_id.clone(), p))
            .collect();
        let source = VexSource {
            format: VexFormat::Csaf,
            document: name.to_owned(),
            document_id: Some(self.document.tracking.id.clone()),
            author: Some(self.document.publisher.name.clone()),
        };
        let mut out = Vec::new();
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let (id, aliases) = self.vuln_ids(i, v);
            let Some(status) = &v.product_status else {
                continue;
            };
            let cats = [
                (&status.known_not_affected, VexStatus::NotAffected),
                (&status.known_affected, VexStatus::Affected),
                (&status.first_affected, VexStatus::Affected),
                (&status.last_affected, VexStatus::Affected),
                (&status.fixed, VexStatus::Fixed),
                (&status.first_fixed, VexStatus::Fixed),
                (&status.under_investigation, VexStatus::UnderInvestigation),
            ];
            for (ids, st) in cats {
                for pid in ids {
                    let flag = v
                        .flags
                        .iter()
                        .find(|f| self.expand_ids(&f.product_ids, &f.group_ids).contains(pid));
                    let impact = v
                        .threats
                        .iter()
                        .filter(|t| t.category == "impact")
                        .find(|t| self.expand_ids(&t.product_ids, &t.group_ids).contains(pid))
                        .map(|t| t.details.clone());
                    let action: Vec<String> = v
                        .remediations
                        .iter()
                        .filter(|r| self.expand_ids(&r.product_ids, &r.group_ids).contains(pid))
                        .map(|r| format!("{}: {}", r.category, r.details))
                        .collect();
                    out.push(VexStatement {
                        vulnerability: id.clone(),
                        aliases: aliases.clone(),
                        product: vex_product(pid, products.get(pid)),
                        subcomponent: None,
                        status: st,
                        justification: flag.map(|f| Justification::parse(&f.label)),
                        impact_statement: impact,
                        action_statement: (!action.is_empty()).then(|| action.join("\n")),
                        timestamp: flag
                            .and_then(|f| f.date.clone())
                            .or_else(|| Some(self.document.tracking.current_release_date.clone())),
                        source: source.clone(),
                    });
                }
            }
        }
        out
    }
}

fn purl_type(purl: &str) -> &str {
    purl.strip_prefix("pkg:")
        .and_then(|r| r.split('/').next())
        .unwrap_or("generic")
}

/// `(purl base, versions)` of a product that has a purl.
fn package_version(p: &ProductInfo) -> Option<(String, VersionSpec)> {
    let purl = p.purl.as_deref()?;
    let base = purl_base(purl).to_owned();
    let spec = match (purl_version(purl), &p.version, &p.version_range) {
        (Some(v), _, _) => VersionSpec::Exact(v),
        (None, Some(v), _) => VersionSpec::Exact(v.clone()),
        (None, None, Some(r)) if r.starts_with("vers:") => VersionSpec::Range(r.clone()),
        _ => VersionSpec::Any,
    };
    Some((base, spec))
}

fn vex_product(pid: &str, info: Option<&ProductInfo>) -> VexProduct {
    let mut p = match info.and_then(|i| i.purl.as_deref()) {
        Some(purl) => VexProduct::from_purl(purl),
        None => VexProduct::empty(),
    };
    p.product_id = Some(pid.to_owned());
    if let Some(info) = info {
        p.cpe = info.cpe.clone();
        p.name = Some(info.name.clone());
        if p.version == VersionSpec::Any {
            if let Some(v) = &info.version {
                p.version = VersionSpec::Exact(v.clone());
            } else if let Some(r) = info
                .version_range
                .as_ref()
                .filter(|r| r.starts_with("vers:"))
            {
                p.version = VersionSpec::Range(r.clone());
            }
        }
    }
    p
}

//! Vulnerability identity: one vulnerability is published under several ids (CVE, GHSA, GO,
//! PYSEC, EUVD, …) — an advisory names itself and lists the others as `aliases`. Everything that
//! compares vulnerabilities (matching, VEX, exploited marks, findings) compares *identities*: two
//! ids are the same vulnerability when one advisory lists both.
//!
//! Ids are compared without regard to ASCII case and surrounding spaces ([`key`]), as CVE and GHSA
//! ids are written both ways in the wild.

use crate::matching::Finding;

/// The comparison key of an id: trimmed and ASCII upper-case.
pub fn key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// Whether two ids are the same id (see [`key`]).
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// All ids of a finding: its own and its aliases.
pub fn ids_of(f: &Finding) -> impl Iterator<Item = &str> {
    std::iter::once(f.advisory_id.as_str()).chain(f.aliases.iter().map(String::as_str))
}

/// Whether two findings name one vulnerability (an id of one is an id of the other).
pub fn same_vulnerability(a: &Finding, b: &Finding) -> bool {
    ids_of(a).any(|x| ids_of(b).any(|y| same_id(x, y)))
}

/// Merges findings about one vulnerability in one installed package version into one finding.
///
/// Findings merge when they are about the same package and installed version and share an id
/// (transitively: A–B and B–C make one group). The merged finding is shown under the smallest
/// advisory id of its group (so the result does not depend on the order of advisories), lists
/// every other id of the group as an alias, takes the highest severity any of them gives (an
/// advisory without a score does not hide another's score) and the union of fixed versions.
/// Order is kept: a group sits where its first finding was.
pub fn merge_findings(findings: Vec<Finding>) -> Vec<Finding> {
    let n = findings.len();
    // Union-find over the findings' indices.
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (&findings[i], &findings[j]);
            if a.package == b.package
                && a.installed_version == b.installed_version
                && a.bom_ref == b.bom_ref
                && same_vulnerability(a, b)
            {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                if ri != rj {
                    parent[rj.max(ri)] = rj.min(ri);
                }
            }
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| root(&mut parent, i)).collect();
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for i in 0..n {
        if roots[i] != i {
            continue;
        }
        let group: Vec<Finding> = (i..n)
            .filter(|&j| roots[j] == i)
            .filter_map(|j| slots[j].take())
            .collect();
        out.push(merge_group(group));
    }
    out
}

fn merge_group(mut group: Vec<Finding>) -> Finding {
    if group.len() == 1 {
        return group.remove(0);
    }
    group.sort_by_key(|f| key(&f.advisory_id));
    let mut merged = group.remove(0);
    for other in group {
        for id in ids_of(&other) {
            push_id(&mut merged, id);
        }
        for v in other.fixed_versions {
            if !merged.fixed_versions.contains(&v) {
                merged.fixed_versions.push(v);
            }
        }
        merged.severity = match (merged.severity, other.severity) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if merged.vex.is_none() {
            merged.vex = other.vex;
        }
    }
    merged
}

fn push_id(f: &mut Finding, id: &str) {
    if !ids_of(f).any(|x| same_id(x, id)) {
        f.aliases.push(id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::SeverityBucket;
    use crate::purl::PackageKey;

    fn finding(id: &str, aliases: &[&str], severity: Option<SeverityBucket>) -> Finding {
        Finding {
            advisory_id: id.to_owned(),
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            package: PackageKey {
                purl_type: "golang".into(),
                name: "golang.org/x/text".into(),
            },
            installed_version: "0.3.5".into(),
            fixed_versions: vec!["0.3.8".into()],
            severity,
            bom_ref: None,
            purl: None,
            vex: None,
        }
    }

    #[test]
    fn ids_compare_without_case_or_spaces() {
        assert!(same_id("CVE-2022-32149", " cve-2022-32149 "));
        assert!(same_id("GHSA-69ch-w2m2-3vjp", "GHSA-69CH-W2M2-3VJP"));
        assert!(!same_id("CVE-2022-32149", "CVE-2022-3214"));
        assert_eq!(key(" ghsa-69ch-w2m2-3vjp"), "GHSA-69CH-W2M2-3VJP");
    }

    #[test]
    fn a_go_and_a_ghsa_record_of_one_cve_are_one_finding() {
        let go = finding(
            "GO-2022-1059",
            &["CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"],
            None,
        );
        let ghsa = finding(
            "GHSA-69ch-w2m2-3vjp",
            &["CVE-2022-32149"],
            Some(SeverityBucket::High),
        );
        let merged = merge_findings(vec![go.clone(), ghsa.clone()]);
        assert_eq!(merged.len(), 1);
        // Same result whatever the order of the advisories.
        assert_eq!(merge_findings(vec![ghsa, go]), merged);
        let m = &merged[0];
        assert_eq!(m.advisory_id, "GHSA-69ch-w2m2-3vjp");
        assert!(m.aliases.iter().any(|a| a == "GO-2022-1059"));
        assert!(m.aliases.iter().any(|a| a == "CVE-2022-32149"));
        assert_eq!(m.aliases.len(), 2, "no id twice: {:?}", m.aliases);
        // The score of one advisory is not hidden by the other's missing score.
        assert_eq!(m.severity, Some(SeverityBucket::High));
    }

    #[test]
    fn merging_is_transitive_and_keeps_unrelated_findings_apart() {
        let a = finding("GO-1", &["CVE-1"], None);
        let b = finding("PYSEC-1", &["GHSA-1"], Some(SeverityBucket::Low));
        let c = finding("GHSA-1", &["CVE-1"], Some(SeverityBucket::Medium));
        let other = finding("GO-2", &["CVE-2"], None);
        let merged = merge_findings(vec![a, other.clone(), b, c]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].advisory_id, "GHSA-1");
        assert_eq!(merged[0].severity, Some(SeverityBucket::Medium));
        assert_eq!(merged[1], other);
    }

    #[test]
    fn different_versions_of_a_package_are_not_merged() {
        let a = finding("GO-1", &["CVE-1"], None);
        let mut b = finding("GHSA-1", &["CVE-1"], None);
        b.installed_version = "0.3.6".into();
        assert_eq!(merge_findings(vec![a, b]).len(), 2);
    }
}

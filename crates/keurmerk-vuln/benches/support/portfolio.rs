//! Synthetic portfolio built from the real advisories (shared by `benches/matching.rs` and
//! `examples/gen_portfolio.rs`).
//!
//! Advisories: the real Go and PyPI records, then renamed copies (`<id>-S<k>`, package
//! `<module>/s<k>` for Go and `<name>-s<k>` for PyPI) until the requested count is reached.
//! Products: `products` product versions of `components` components each, every component drawn from
//! the advisories' packages (a random copy), with a version known to be affected with probability
//! `vulnerable_rate` and otherwise a version checked to be unaffected.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use keurmerk_vuln::matching::{AdvisoryIndex, PortfolioIndex};
use keurmerk_vuln::osv::{Event, Osv, RangeType};
use keurmerk_vuln::purl::PackageKey;
use keurmerk_vuln::source::{self, AdvisoryDoc};

/// The shared data folder, if present.
pub fn shared_data() -> Option<PathBuf> {
    let p = std::env::var_os("KEURMERK_SHARED_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    p.is_dir().then_some(p)
}

/// Deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Load the real Go and PyPI advisories, stripped of text fields the matcher does not use.
pub fn load_real(data: &Path) -> Vec<Osv> {
    let mut out = Vec::new();
    for name in ["go-vulndb-osv.tar.gz", "pypa-osv-yaml.tar.gz"] {
        source::load(&data.join("advisories").join(name), |_, doc| {
            if let AdvisoryDoc::Osv(mut o) = doc {
                o.details = None;
                o.summary = None;
                o.references.clear();
                o.credits.clear();
                o.database_specific = None;
                for a in &mut o.affected {
                    a.ecosystem_specific = None;
                    a.database_specific = None;
                }
                if !o.is_withdrawn() {
                    out.push(*o);
                }
            }
        })
        .expect("advisory archive");
    }
    out
}

fn rename(ecosystem: &str, name: &str, k: usize) -> String {
    if k == 0 {
        name.to_owned()
    } else if ecosystem == "Go" {
        format!("{name}/s{k}")
    } else {
        format!("{name}-s{k}")
    }
}

/// Copy `k` of a real advisory (copy 0 is the original).
pub fn copy(real: &Osv, k: usize) -> Osv {
    let mut o = real.clone();
    if k > 0 {
        o.id = format!("{}-S{k}", real.id);
        for a in &mut o.affected {
            if let Some(p) = &mut a.package {
                p.name = rename(&p.ecosystem, &p.name, k);
                p.purl = None;
            }
        }
    }
    o
}

/// A package of the pool: its key in copy 0, its ecosystem, and versions to draw from.
pub struct PoolEntry {
    pub ecosystem: String,
    pub name: String,
    pub vulnerable: Vec<String>,
    pub safe: Vec<String>,
}

impl PoolEntry {
    pub fn key(&self, k: usize) -> PackageKey {
        PackageKey::from_osv(&self.ecosystem, &rename(&self.ecosystem, &self.name, k))
            .expect("known ecosystem")
    }
    fn purl_version(&self, v: &str) -> String {
        if self.ecosystem == "Go" {
            format!("v{v}")
        } else {
            v.to_owned()
        }
    }
}

/// Versions known (by the index itself) to be affected / unaffected, per real package.
pub fn pool(real: &[Osv], index: &AdvisoryIndex) -> Vec<PoolEntry> {
    use std::collections::BTreeMap;
    let mut by_pkg: BTreeMap<(String, String), (Vec<String>, Vec<String>)> = BTreeMap::new();
    for o in real {
        for a in &o.affected {
            let Some(p) = &a.package else { continue };
            if p.ecosystem != "Go" && p.ecosystem != "PyPI" {
                continue;
            }
            let e = by_pkg
                .entry((p.ecosystem.clone(), p.name.clone()))
                .or_default();
            e.0.extend(a.versions.iter().take(3).cloned());
            for r in a.ranges.iter().filter(|r| r.kind != RangeType::Git) {
                for ev in &r.events {
                    match ev {
                        Event::Introduced(v) if v != "0" => e.0.push(v.clone()),
                        Event::LastAffected(v) => e.0.push(v.clone()),
                        Event::Fixed(v) => e.1.push(v.clone()),
                        _ => {}
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((eco, name), (mut vuln, mut safe)) in by_pkg {
        let mut entry = PoolEntry {
            ecosystem: eco,
            name,
            vulnerable: Vec::new(),
            safe: Vec::new(),
        };
        let Some(key) = PackageKey::from_osv(&entry.ecosystem, &entry.name) else {
            continue;
        };
        vuln.sort();
        vuln.dedup();
        safe.sort();
        safe.dedup();
        for v in vuln.into_iter().take(4) {
            let pv = entry.purl_version(&v);
            if !index.match_version(&key, &pv).is_empty() {
                entry.vulnerable.push(pv);
            }
        }
        for v in safe.into_iter().rev().take(3) {
            let pv = entry.purl_version(&v);
            if index.match_version(&key, &pv).is_empty() {
                entry.safe.push(pv);
            }
        }
        if !entry.vulnerable.is_empty() && !entry.safe.is_empty() {
            out.push(entry);
        }
    }
    out
}

/// Build the advisory index of `n` advisories (real ones and renamed copies). Returns the index and
/// the number of copies used.
pub fn build_index(real: &[Osv], n: usize) -> (AdvisoryIndex, usize) {
    let mut index = AdvisoryIndex::new();
    let mut added = 0;
    let mut k = 0;
    'outer: loop {
        for o in real {
            if added == n {
                break 'outer;
            }
            index.insert_osv(&copy(o, k));
            added += 1;
        }
        k += 1;
    }
    (index, k.max(1))
}

/// Build the portfolio: `products` × `components`, components from `pool` over `copies` copies.
/// Returns the portfolio and how many component occurrences were drawn as vulnerable.
pub fn build_portfolio(
    pool: &[PoolEntry],
    copies: usize,
    products: u32,
    components: u32,
    vulnerable_rate: f64,
    seed: u64,
) -> (PortfolioIndex<u32>, usize) {
    let mut rng = Rng::new(seed);
    let mut portfolio = PortfolioIndex::new();
    let mut vulnerable = 0;
    for p in 0..products {
        for c in 0..components {
            let e = &pool[rng.below(pool.len())];
            let k = rng.below(copies);
            let version = if rng.chance(vulnerable_rate) {
                vulnerable += 1;
                &e.vulnerable[rng.below(e.vulnerable.len())]
            } else {
                &e.safe[rng.below(e.safe.len())]
            };
            portfolio.add(p, c, e.key(k), version);
        }
    }
    (portfolio, vulnerable)
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
//! Build the synthetic portfolio and time a full match and single-advisory re-matches.
//!
//! ```text
//! cargo build --release -p keurmerk-vuln --example gen_portfolio
//! /usr/bin/time -v target/release/examples/gen_portfolio [ADVISORIES=500000] [PRODUCTS=10000] [COMPONENTS=300]
//! ```

#[path = "../benches/support/portfolio.rs"]
mod portfolio;

use std::time::Instant;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .map_or(default, |a| a.parse().expect("number"))
}

fn main() {
    let n_adv = arg(1, 500_000);
    let products = u32::try_from(arg(2, 10_000)).unwrap();
    let components = u32::try_from(arg(3, 300)).unwrap();
    let Some(data) = portfolio::shared_data() else {
        println!("SKIP: shared data folder not found (set KEURMERK_SHARED_DATA)");
        return;
    };
    let t = Instant::now();
    let real = portfolio::load_real(&data);
    println!("loaded {} real advisories in {:?}", real.len(), t.elapsed());

    let t = Instant::now();
    let (index, copies) = portfolio::build_index(&real, n_adv);
    println!(
        "index: {} advisories ({} copies), {} keys, built in {:?}",
        index.len(),
        copies,
        index.key_count(),
        t.elapsed()
    );

    let t = Instant::now();
    let pool = portfolio::pool(&real, &index);
    let (pf, vulnerable) =
        portfolio::build_portfolio(&pool, copies, products, components, 0.05, 42);
    println!(
        "portfolio: {} products x {} components = {} occurrences, {} keys, {} drawn vulnerable ({:.2}%), pool {} packages, built in {:?}",
        products,
        components,
        pf.len(),
        pf.key_count(),
        vulnerable,
        100.0 * vulnerable as f64 / pf.len() as f64,
        pool.len(),
        t.elapsed()
    );

    let t = Instant::now();
    let (matches, issues) = pf.match_all(&index);
    let elapsed = t.elapsed();
    let findings: usize = matches.iter().map(|m| m.findings.len()).sum();
    println!(
        "FULL MATCH: {} vulnerable component occurrences, {} findings, {} eval issues in {:?}",
        matches.len(),
        findings,
        issues.len(),
        elapsed
    );
    for i in issues.iter().take(3) {
        println!(
            "  issue: {} {} {}: {}",
            i.advisory_id, i.package, i.version, i.error
        );
    }
    assert_eq!(
        matches.len(),
        vulnerable,
        "every drawn-vulnerable component and no other"
    );

    // One new advisory, re-matched against the whole portfolio: a renamed copy of a real advisory
    // for a package copy that is in the portfolio.
    let mut index = index;
    let mut times = Vec::new();
    let mut hits = 0;
    for (i, o) in real.iter().step_by(real.len() / 100).take(100).enumerate() {
        let mut new = portfolio::copy(o, i % copies);
        new.id = format!("NEW-{i}");
        let t = Instant::now();
        let keys = index.insert_osv(&new);
        let (m, _) = pf.match_advisory(&index, &new.id);
        times.push(t.elapsed());
        hits += m.len();
        assert!(!keys.is_empty());
    }
    times.sort();
    println!(
        "ONE NEW ADVISORY (insert + re-match, 100 samples): median {:?}, p95 {:?}, max {:?}; {} component hits in total",
        times[50],
        times[95],
        times[99],
        hits
    );
}

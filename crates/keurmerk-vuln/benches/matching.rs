#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Matching benchmarks. They need the shared data folder (`../shared/data`, or `KEURMERK_SHARED_DATA`)
//! and skip with a message without it.
//!
//! ```text
//! cargo bench -p keurmerk-vuln --bench matching                 # everything
//! cargo bench -p keurmerk-vuln --bench matching -- rematch      # one new advisory vs the portfolio
//! cargo bench -p keurmerk-vuln --bench matching -- sbom/        # parse vs parse+scan per SBOM
//! cargo bench -p keurmerk-vuln --bench matching -- inputs/      # end to end, with the advisory archives
//! ```
//! `KEURMERK_BENCH_ADVISORIES` / `KEURMERK_BENCH_PRODUCTS` scale the synthetic portfolio (default
//! 500000 advisories, 10000 product versions of 300 components).

#[path = "support/portfolio.rs"]
mod portfolio;

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use keurmerk_vuln::matching::{scan, AdvisoryIndex};
use keurmerk_vuln::{sbom, source};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rematch(c: &mut Criterion) {
    let Some(data) = portfolio::shared_data() else {
        println!("SKIP rematch: shared data folder not found");
        return;
    };
    let real = portfolio::load_real(&data);
    let (mut index, copies) =
        portfolio::build_index(&real, env_or("KEURMERK_BENCH_ADVISORIES", 500_000));
    let pool = portfolio::pool(&real, &index);
    let products = u32::try_from(env_or("KEURMERK_BENCH_PRODUCTS", 10_000)).unwrap();
    let (pf, _) = portfolio::build_portfolio(&pool, copies, products, 300, 0.05, 42);
    let mut g = c.benchmark_group("rematch");
    g.sample_size(50).measurement_time(Duration::from_secs(3));
    let mut i = 0usize;
    g.bench_function("one_new_advisory_insert_and_match_portfolio", |b| {
        b.iter_batched(
            || {
                i += 1;
                let mut new = portfolio::copy(&real[(i * 7919) % real.len()], i % copies);
                new.id = format!("NEW-{i}");
                new
            },
            |new| {
                index.insert_osv(&new);
                pf.match_advisory(&index, &new.id)
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn sbom_files() -> Vec<PathBuf> {
    let Some(data) = portfolio::shared_data() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in std::fs::read_dir(data.join("sbom")).unwrap() {
        let d = d.unwrap().path();
        if d.is_dir() {
            for f in std::fs::read_dir(&d).unwrap() {
                let f = f.unwrap().path();
                if matches!(f.extension().and_then(|e| e.to_str()), Some("json" | "xml")) {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

fn advisory_archives() -> Vec<PathBuf> {
    portfolio::shared_data().map_or_else(Vec::new, |d| {
        ["go-vulndb-osv.tar.gz", "pypa-osv-yaml.tar.gz"]
            .iter()
            .map(|n| d.join("advisories").join(n))
            .collect()
    })
}

fn per_sbom(c: &mut Criterion) {
    let files = sbom_files();
    if files.is_empty() {
        println!("SKIP sbom/: shared data folder not found");
        return;
    }
    let mut index = AdvisoryIndex::new();
    for a in advisory_archives() {
        source::load(&a, |_, d| {
            index.insert(&d);
        })
        .unwrap();
    }
    let mut g = c.benchmark_group("sbom");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = format!(
            "{}/{}",
            f.parent().unwrap().file_name().unwrap().to_string_lossy(),
            f.file_name().unwrap().to_string_lossy()
        );
        g.bench_function(format!("{name}/parse"), |b| {
            b.iter(|| sbom::parse_slice("b", &bytes).unwrap());
        });
        g.bench_function(format!("{name}/parse_and_scan"), |b| {
            b.iter(|| {
                let s = sbom::parse_slice("b", &bytes).unwrap();
                scan(&s, &index, &[])
            });
        });
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let files = sbom_files();
    if files.is_empty() {
        println!("SKIP inputs/: shared data folder not found");
        return;
    }
    let sboms: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let archives = advisory_archives();
    let mut g = c.benchmark_group("inputs");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("all_sboms_and_go_pypi_advisories/parse_only", |b| {
        b.iter(|| {
            let mut n = 0;
            for a in &archives {
                source::load(a, |_, _| n += 1).unwrap();
            }
            for s in &sboms {
                n += sbom::parse_slice("b", s).unwrap().components.len();
            }
            n
        });
    });
    g.bench_function("all_sboms_and_go_pypi_advisories/parse_index_scan", |b| {
        b.iter(|| {
            let mut index = AdvisoryIndex::new();
            for a in &archives {
                source::load(a, |_, d| {
                    index.insert(&d);
                })
                .unwrap();
            }
            let mut n = 0;
            for s in &sboms {
                n += scan(&sbom::parse_slice("b", s).unwrap(), &index, &[]).len();
            }
            n
        });
    });
    g.finish();
}

criterion_group!(benches, per_sbom, end_to_end, rematch);
criterion_main!(benches);

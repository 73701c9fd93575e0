#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
//! Scan SBOMs against advisories, printing findings and timings.
//!
//! `cargo run --release --example scan -- --advisories PATH [--advisories PATH]… [--vex F]… SBOM…`

use std::path::PathBuf;
use std::time::Instant;

use keurmerk_vuln::matching::{scan_report, AdvisoryIndex};
use keurmerk_vuln::{sbom, source, vex};

fn main() {
    let mut advisories = Vec::new();
    let mut vex_files = Vec::new();
    let mut sboms = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--advisories" => advisories.push(PathBuf::from(args.next().expect("path"))),
            "--vex" => vex_files.push(PathBuf::from(args.next().expect("path"))),
            _ => sboms.push(PathBuf::from(a)),
        }
    }
    let t = Instant::now();
    let mut index = AdvisoryIndex::new();
    for p in &advisories {
        let report = source::load(p, |_, doc| {
            index.insert(&doc);
        })
        .unwrap();
        println!(
            "# {}: {} loaded, {} skipped, {} errors",
            p.display(),
            report.loaded,
            report.skipped,
            report.errors.len()
        );
        for e in report.errors.iter().take(5) {
            println!("#   {e}");
        }
    }
    println!(
        "# index: {} advisories, {} keys, {} issues, built in {:?}",
        index.len(),
        index.key_count(),
        index.issues().len(),
        t.elapsed()
    );
    for i in index.issues() {
        println!("#   index issue: {}: {}", i.advisory_id, i.error);
    }
    let mut statements = Vec::new();
    for f in &vex_files {
        statements
            .extend(vex::parse(&f.display().to_string(), &std::fs::read(f).unwrap()).unwrap());
    }
    for f in &sboms {
        let t = Instant::now();
        let s = sbom::parse(&f.display().to_string(), std::fs::File::open(f).unwrap()).unwrap();
        let parsed = t.elapsed();
        let r = scan_report(&s, &index, &statements);
        println!(
            "## {}: {} components, {} checked, {} not checked, {} findings, {} eval issues (parse {:?}, parse+scan {:?})",
            f.display(),
            s.components.len(),
            r.checked,
            r.not_checked.len(),
            r.findings.len(),
            r.issues.len(),
            parsed,
            t.elapsed()
        );
        for x in &r.findings {
            println!(
                "{}\t{}\t{}\tfixed={:?}\t{:?}\taliases={}\tvex={:?}",
                x.advisory_id,
                x.package,
                x.installed_version,
                x.fixed_versions,
                x.severity,
                x.aliases.join(","),
                x.vex.as_ref().map(|v| v.status)
            );
        }
        for i in r.issues.iter().take(10) {
            println!(
                "#   issue: {} {} {}: {}",
                i.advisory_id, i.package, i.version, i.error
            );
        }
    }
}

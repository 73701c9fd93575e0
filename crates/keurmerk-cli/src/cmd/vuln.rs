//! Offline vulnerability tools: exact version comparison, `vers:` ranges, and SBOM scanning.

use std::cmp::Ordering;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use keurmerk_vuln::matching::{scan_report, AdvisoryIndex};
use keurmerk_vuln::vers::VersionRange;
use keurmerk_vuln::{sbom, source, version, vex};

#[derive(Debug, Subcommand)]
pub enum VersionCmd {
    /// Compare two versions under an ecosystem's rules; prints `<`, `=` or `>`.
    Compare {
        /// npm, cargo, golang, pypi, maven, deb, rpm, apk, composer, gem, nuget, generic (OSV
        /// spellings such as `Go` or `PyPI` work too).
        ecosystem: String,
        /// First version.
        a: String,
        /// Second version.
        b: String,
    },
    /// Whether a purl `vers:` range contains a version; prints `true` or `false`.
    Contains {
        /// The range, e.g. `vers:npm/>=1.0.0|<2.0.0`.
        range: String,
        /// The version.
        version: String,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The SBOM: CycloneDX 1.2–1.6 (JSON or XML) or SPDX 2.3 JSON.
    #[arg(long)]
    sbom: PathBuf,
    /// Advisories: a directory, a .tar.gz, or a single OSV / CSAF file.
    #[arg(long)]
    advisories: PathBuf,
    /// VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX); repeatable.
    #[arg(long)]
    vex: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Report a result even if some advisories could not be read; it is marked incomplete. Without
    /// this flag such a scan fails and reports no result.
    #[arg(long)]
    allow_partial: bool,
}

pub fn version(cmd: &VersionCmd) -> Result<ExitCode> {
    match cmd {
        VersionCmd::Compare { ecosystem, a, b } => {
            let ord = version::compare_str(ecosystem, a, b)?;
            println!(
                "{}",
                match ord {
                    Ordering::Less => "<",
                    Ordering::Equal => "=",
                    Ordering::Greater => ">",
                }
            );
        }
        VersionCmd::Contains { range, version } => {
            let r = VersionRange::parse(range)?;
            println!("{}", r.contains(version)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn scan(a: &ScanArgs) -> Result<ExitCode> {
    let limits = source::Limits::DEFAULT;
    let bytes = source::read_document(&a.sbom, &limits)?;
    let name = a.sbom.display().to_string();
    let bom = sbom::parse_slice(&name, &bytes)?;
    let mut statements = Vec::new();
    for path in &a.vex {
        let b = source::read_document(path, &limits)?;
        statements.extend(vex::parse(&path.display().to_string(), &b)?);
    }

    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} loading advisories: {pos} ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut index = AdvisoryIndex::new();
    let report = source::load(&a.advisories, |_, doc| {
        index.insert(&doc);
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    for e in &report.errors {
        eprintln!("warning: advisory not loaded: {e}");
    }
    let complete = report.is_complete();
    let unread = if report.stopped_early {
        format!(
            "{} could not be read, and reading stopped before the end of {} (an unknown number more were not read)",
            report.errors.len(),
            a.advisories.display()
        )
    } else {
        format!("{} could not be read", report.errors.len())
    };
    if !complete && !a.allow_partial {
        anyhow::bail!(
            "the advisories could not be read completely: {} loaded, {unread}; no result is reported \
             from incomplete input (--allow-partial reports one marked incomplete)",
            report.loaded
        );
    }

    let result = scan_report(&bom, &index, &statements);
    if a.json {
        crate::output::json(&serde_json::json!({
            "sbom": name,
            "complete": complete,
            "advisories_loaded": report.loaded,
            "advisory_errors": report.errors.len(),
            "advisories_stopped_early": report.stopped_early,
            "components_checked": result.checked,
            "findings": result.findings,
            "not_checked": result.not_checked,
            "issues": result.issues,
        }))?;
    } else {
        if !complete {
            println!("INCOMPLETE: {unread}; findings may be missing.");
        }
        println!(
            "{} advisories loaded ({} could not be read); {} of {} components checked",
            report.loaded,
            report.errors.len(),
            result.checked,
            bom.components.len()
        );
        if result.findings.is_empty() && complete {
            println!("No known vulnerabilities found.");
        } else if result.findings.is_empty() {
            println!(
                "No known vulnerabilities found in the advisories that could be read (incomplete)."
            );
        }
        for f in &result.findings {
            let fixed = if f.fixed_versions.is_empty() {
                "no fix known".to_owned()
            } else {
                f.fixed_versions.join(", ")
            };
            let severity = f
                .severity
                .map_or("unknown".to_owned(), |s| format!("{s:?}").to_lowercase());
            let aliases = if f.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.aliases.join(", "))
            };
            let vex = f
                .vex
                .as_ref()
                .map_or(String::new(), |v| format!("  [VEX: {:?}]", v.status));
            println!(
                "{}{aliases}\n    {} {} -> fixed in {fixed}; severity {severity}{vex}",
                f.advisory_id, f.package, f.installed_version
            );
        }
        for n in &result.not_checked {
            eprintln!("not checked: {} ({})", n.name, n.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! Monitoring workflows in the registry: SBOMs, advisories, VEX, findings.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use keurmerk_domain::ids::RecordId;
use keurmerk_vuln::source;

use super::{actor, Ctx};

#[derive(Debug, Subcommand)]
pub enum SbomCmd {
    /// Attach an SBOM to a product version (manufacturer); it is matched at once.
    Attach {
        /// Acting manufacturer.
        #[arg(long = "as")]
        as_org: String,
        /// Version id.
        #[arg(long)]
        version: RecordId,
        /// CycloneDX 1.2–1.6 (JSON or XML) or SPDX 2.3 JSON.
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCmd {
    /// Import advisories (OSV JSON/YAML, CSAF) from a directory, .tar.gz or file; only new or
    /// modified ones are stored and re-matched.
    Import {
        /// Acting registry operator or national authority.
        #[arg(long = "as")]
        as_org: String,
        /// Directory, .tar.gz or file.
        path: PathBuf,
        /// Store the advisories that could be read even if others could not (the default refuses
        /// the whole import); the summary is then marked incomplete.
        #[arg(long)]
        allow_partial: bool,
    },
    /// Import the CISA Known Exploited Vulnerabilities catalogue (its JSON feed): every entry
    /// marks its vulnerability (by any alias) as actively exploited since the date CISA added it.
    /// A catalogue that cannot be read completely marks nothing.
    ImportKev {
        /// Acting registry operator or national authority.
        #[arg(long = "as")]
        as_org: String,
        /// known_exploited_vulnerabilities.json
        file: PathBuf,
    },
    /// Assess a vulnerability's severity (by any of its ids), e.g. one its advisories leave
    /// unscored: it counts with that severity on every label it affects. Needs a reason.
    SetSeverity {
        /// Acting registry operator or national authority.
        #[arg(long = "as")]
        as_org: String,
        /// Vulnerability id (any alias).
        id: String,
        /// critical, high, medium, low or none.
        severity: keurmerk_domain::model::Severity,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Mark a vulnerability as actively exploited, by any of its ids (OSV id, CVE, GHSA, EUVD…):
    /// starts the CRA clocks. An id no imported advisory knows is refused.
    MarkExploited {
        /// Acting registry operator or national authority.
        #[arg(long = "as")]
        as_org: String,
        /// Vulnerability id.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct VexArgs {
    /// Acting manufacturer.
    #[arg(long = "as")]
    as_org: String,
    /// Product id.
    #[arg(long)]
    product: RecordId,
    /// OpenVEX, CycloneDX VEX or CSAF VEX document.
    #[arg(long)]
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct FindingsArgs {
    /// Acting organisation (holder, issuer, authority or operator).
    #[arg(long = "as")]
    as_org: String,
    /// Product id.
    #[arg(long)]
    product: RecordId,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub async fn sbom(ctx: &Ctx, cmd: &SbomCmd) -> Result<ExitCode> {
    let SbomCmd::Attach {
        as_org,
        version,
        file,
    } = cmd;
    let bytes = source::read_document(file, &source::Limits::DEFAULT)?;
    let s = ctx
        .registry
        .attach_sbom(
            &actor(as_org)?,
            version,
            &file.display().to_string(),
            &bytes,
        )
        .await?;
    println!(
        "{version}: {} components, {} matchable, {} open finding(s)",
        s.components, s.matchable, s.findings
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn advisories(ctx: &Ctx, cmd: &AdvisoriesCmd) -> Result<ExitCode> {
    match cmd {
        AdvisoriesCmd::Import {
            as_org,
            path,
            allow_partial,
        } => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} reading advisories: {pos} ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            let progress = |n: usize| bar.set_position(u64::try_from(n).unwrap_or(u64::MAX));
            let s = ctx
                .registry
                .import_advisories(&actor(as_org)?, path, *allow_partial, &progress)
                .await;
            bar.finish_and_clear();
            let s = s.context(
                "refusing an incomplete import (--allow-partial stores what could be read)",
            )?;
            for e in &s.errors {
                eprintln!("warning: {e}");
            }
            if !s.errors.is_empty() || s.stopped_early {
                println!(
                    "INCOMPLETE: {} advisories could not be read{}; the registry lacks them",
                    s.errors.len(),
                    if s.stopped_early {
                        ", and reading stopped before the end of the input"
                    } else {
                        ""
                    }
                );
            }
            println!(
                "{} read, {} new or modified, {} unchanged, {} could not be read; {} product version(s) re-matched",
                s.read,
                s.changed,
                s.unchanged,
                s.errors.len(),
                s.versions_rematched
            );
        }
        AdvisoriesCmd::ImportKev { as_org, file } => {
            let s = ctx.registry.import_kev(&actor(as_org)?, file).await?;
            println!(
                "KEV catalogue {}: {} entries, {} newly marked as exploited, {} marked before; {} known to the registry's advisories; {} product(s) updated",
                s.catalogue_version, s.entries, s.marked, s.already_marked, s.known, s.products_updated
            );
        }
        AdvisoriesCmd::SetSeverity {
            as_org,
            id,
            severity,
            reason,
        } => {
            ctx.registry
                .set_severity(&actor(as_org)?, id, *severity, reason)
                .await?;
            println!("{id} counts as {severity} from now on");
        }
        AdvisoriesCmd::MarkExploited { as_org, id } => {
            ctx.registry.mark_exploited(&actor(as_org)?, id).await?;
            println!("{id} is marked as actively exploited");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn vex(ctx: &Ctx, a: &VexArgs) -> Result<ExitCode> {
    let bytes = source::read_document(&a.file, &source::Limits::DEFAULT)?;
    let n = ctx
        .registry
        .publish_vex(
            &actor(&a.as_org)?,
            &a.product,
            &a.file.display().to_string(),
            &bytes,
        )
        .await?;
    println!("{n} VEX statement(s) published for {}", a.product);
    Ok(ExitCode::SUCCESS)
}

pub async fn findings(ctx: &Ctx, a: &FindingsArgs) -> Result<ExitCode> {
    let f = ctx
        .registry
        .findings(&actor(&a.as_org)?, &a.product)
        .await?;
    if a.json {
        crate::output::json(&f)?;
        return Ok(ExitCode::SUCCESS);
    }
    if f.is_empty() {
        println!("No open findings for {}.", a.product);
    }
    for x in &f {
        let fixed = if x.fixed.is_empty() {
            "no fix known".to_owned()
        } else {
            x.fixed.join(", ")
        };
        let due = if x.overdue {
            format!("OVERDUE since {}", x.deadline)
        } else {
            format!("fix by {}", x.deadline)
        };
        let aliases = if x.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", x.aliases.join(", "))
        };
        println!(
            "{}{aliases} [{}] {} {} in version {} — {due}; fixed in {fixed}",
            x.vulnerability, x.severity, x.component, x.installed, x.version
        );
        if let Some(v) = &x.vex {
            println!("    VEX: {v}");
        }
        if let Some(c) = &x.cra {
            println!(
                "    actively exploited: CRA early warning due {}, notification due {}, final report {}",
                c.early_warning_due.format("%Y-%m-%d %H:%M UTC"),
                c.notification_due.format("%Y-%m-%d %H:%M UTC"),
                c.final_report
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `keurmerk cra`: Cyber Resilience Act reports (issue 12 item 4). The holder lists its
//! obligations with their clocks, reads and edits the pre-filled draft of a report, submits it
//! (a signed, logged event) and exports it as JSON; the supervising authority and the registry
//! operator list, show and export. `--as` names the acting organisation; the service checks it
//! may.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use keurmerk_domain::cra::{CraKind, ReportEdit};
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::Severity;
use keurmerk_service::{CraObligations, CraReportView};

use super::{actor, Ctx};

/// Which report.
#[derive(Debug, Args)]
pub struct Which {
    /// Acting organisation.
    #[arg(long = "as")]
    as_org: String,
    /// Certificate id.
    certificate: CertificateId,
    /// The vulnerability, as the certificate shows it.
    vulnerability: String,
    /// early_warning, notification or final_report.
    report: CraKind,
}

/// What `cra edit` changes.
#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    which: Which,
    /// Read the changes from this JSON file (the API's PUT body) instead of the flags.
    #[arg(long, conflicts_with_all = ["member_states", "severity", "fix_version", "nature", "measures_taken", "user_measures", "sensitivity", "description", "impact", "malicious_actor", "security_update"])]
    file: Option<PathBuf>,
    /// Member states where the product is made available, comma-separated (NL,DE).
    #[arg(long, value_delimiter = ',')]
    member_states: Option<Vec<String>>,
    /// Affected versions, comma-separated.
    #[arg(long, value_delimiter = ',')]
    affected_versions: Option<Vec<String>>,
    /// Severity.
    #[arg(long)]
    severity: Option<Severity>,
    /// The version that fixes it.
    #[arg(long)]
    fix_version: Option<String>,
    /// Nature of the exploit and the vulnerability (notification).
    #[arg(long)]
    nature: Option<String>,
    /// Measures taken (notification).
    #[arg(long)]
    measures_taken: Option<String>,
    /// Measures users can take (notification).
    #[arg(long)]
    user_measures: Option<String>,
    /// How sensitive the information is (notification).
    #[arg(long)]
    sensitivity: Option<String>,
    /// Description (final report).
    #[arg(long)]
    description: Option<String>,
    /// Severity and impact (final report).
    #[arg(long)]
    impact: Option<String>,
    /// The malicious actor, if known (final report).
    #[arg(long)]
    malicious_actor: Option<String>,
    /// Details of the security update (final report).
    #[arg(long)]
    security_update: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CraCmd {
    /// Reporting obligations with their clocks: the holder's own, an authority's supervised
    /// certificates', every certificate's for the registry operator.
    List {
        /// Acting organisation.
        #[arg(long = "as")]
        as_org: String,
        /// Only this certificate's.
        #[arg(long)]
        certificate: Option<CertificateId>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One report: the draft pre-filled from the registry, or the submitted report.
    Show {
        #[command(flatten)]
        which: Which,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The holder edits the draft (fields not given stay as they are; an empty text clears).
    Edit(Box<EditArgs>),
    /// The holder submits the report to the supervising authority (signed, logged).
    Submit {
        #[command(flatten)]
        which: Which,
    },
    /// The report as JSON (for a submitted report exactly the bytes its event's digest covers).
    Export {
        #[command(flatten)]
        which: Which,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "unknown until a fix is available".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn print_obligations(all: &[CraObligations]) {
    if all.is_empty() {
        println!("No CRA reporting obligations");
        return;
    }
    for o in all {
        println!(
            "{} {}  aware {}{}",
            o.certificate,
            o.vulnerability,
            o.aware_at.format("%Y-%m-%d %H:%M UTC"),
            if o.unverified_history {
                "  (history not fully verified)"
            } else {
                ""
            }
        );
        for ob in &o.obligations {
            println!(
                "  {:<14} due {:<32} {}",
                ob.kind.as_str(),
                when(ob.due_at),
                ob.state
            );
        }
    }
}

fn print_report(v: &CraReportView) {
    let r = &v.report;
    println!(
        "{} {} {}: {} (due {}){}",
        r.certificate,
        r.vulnerability,
        r.kind,
        v.obligation.state,
        when(v.obligation.due_at),
        if v.submitted {
            "  submitted"
        } else {
            "  draft"
        }
    );
    println!("  sha256:          {}", v.sha256);
    println!(
        "  product:         {} {} ({})",
        r.product.name, r.product.model, r.product.id
    );
    println!("  member states:   {}", r.member_states.join(", "));
    println!("  affected:        {}", r.affected_versions.join(", "));
    println!("  severity:        {}", r.severity);
    let fields = [
        ("fix version", &r.fix_version),
        ("nature", &r.nature),
        ("measures taken", &r.measures_taken),
        ("user measures", &r.user_measures),
        ("sensitivity", &r.sensitivity),
        ("description", &r.description),
        ("impact", &r.impact),
        ("malicious actor", &r.malicious_actor),
        ("security update", &r.security_update),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            println!("  {:<16} {}", format!("{name}:"), super::complaint::safe(v));
        }
    }
}

pub async fn run(ctx: &Ctx, c: &CraCmd) -> Result<ExitCode> {
    match c {
        CraCmd::List {
            as_org,
            certificate,
            json,
        } => {
            let all = ctx
                .registry
                .cra_obligations(&actor(as_org)?, certificate.as_ref())
                .await?;
            if *json {
                crate::output::json(&all)?;
            } else {
                print_obligations(&all);
            }
        }
        CraCmd::Show { which, json } => {
            let v = ctx
                .registry
                .cra_report(
                    &actor(&which.as_org)?,
                    &which.certificate,
                    &which.vulnerability,
                    which.report,
                )
                .await?;
            if *json {
                crate::output::json(&v)?;
            } else {
                print_report(&v);
            }
        }
        CraCmd::Edit(e) => {
            let EditArgs {
                which,
                file,
                member_states,
                affected_versions,
                severity,
                fix_version,
                nature,
                measures_taken,
                user_measures,
                sensitivity,
                description,
                impact,
                malicious_actor,
                security_update,
            } = e.as_ref();
            let edit = match file {
                Some(f) => {
                    let meta =
                        std::fs::metadata(f).with_context(|| format!("reading {}", f.display()))?;
                    anyhow::ensure!(
                        meta.len() <= 1024 * 1024,
                        "{}: larger than 1 MiB",
                        f.display()
                    );
                    let bytes =
                        std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                    serde_json::from_slice::<ReportEdit>(&bytes)
                        .with_context(|| format!("{}: not a report edit", f.display()))?
                }
                None => ReportEdit {
                    affected_versions: affected_versions.clone(),
                    member_states: member_states.clone(),
                    severity: *severity,
                    fix_version: fix_version.clone(),
                    nature: nature.clone(),
                    measures_taken: measures_taken.clone(),
                    user_measures: user_measures.clone(),
                    sensitivity: sensitivity.clone(),
                    description: description.clone(),
                    impact: impact.clone(),
                    malicious_actor: malicious_actor.clone(),
                    security_update: security_update.clone(),
                },
            };
            let v = ctx
                .registry
                .edit_cra_report(
                    &actor(&which.as_org)?,
                    &which.certificate,
                    &which.vulnerability,
                    which.report,
                    edit,
                )
                .await?;
            print_report(&v);
        }
        CraCmd::Submit { which } => {
            let v = ctx
                .registry
                .submit_cra_report(
                    &actor(&which.as_org)?,
                    &which.certificate,
                    &which.vulnerability,
                    which.report,
                )
                .await?;
            println!(
                "{} for {} on {} submitted ({}), sha256 {}",
                v.report.kind,
                v.report.vulnerability,
                v.report.certificate,
                v.obligation.state,
                v.sha256
            );
        }
        CraCmd::Export { which, output } => {
            let bytes = ctx
                .registry
                .export_cra_report(
                    &actor(&which.as_org)?,
                    &which.certificate,
                    &which.vulnerability,
                    which.report,
                )
                .await?;
            match output {
                Some(path) => std::fs::write(path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.write_all(b"\n")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use keurmerk_domain::ids::SchemeId;
use keurmerk_domain::scheme::Obligation;

use crate::Cli;

#[derive(Debug, Subcommand)]
pub enum SchemeCmd {
    /// List the schemes and their levels.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show a scheme with its requirements.
    Show {
        /// Scheme id, e.g. eu-iot.
        id: SchemeId,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Check scheme files (with --schemes DIR) and report the first problem.
    Check,
}

pub async fn run(cli: &Cli, cmd: &SchemeCmd) -> Result<ExitCode> {
    let cat = crate::schemes::load(cli.schemes.as_deref())?;
    match cmd {
        SchemeCmd::List { json } => {
            if *json {
                crate::output::json(&cat.iter().collect::<Vec<_>>())?;
            } else {
                for s in cat.iter() {
                    println!(
                        "{:<14} {} ({:?}, {} requirements)",
                        s.id,
                        s.title,
                        s.status,
                        s.requirements.len()
                    );
                    for l in &s.levels {
                        let who = if l.self_assessment {
                            "self-assessment allowed"
                        } else {
                            "independent assessment"
                        };
                        let approval = if l.authority_approval {
                            ", needs authority approval"
                        } else {
                            ""
                        };
                        println!("    {:<12} {} — {who}{approval}", l.id, l.name);
                    }
                }
            }
        }
        SchemeCmd::Show { id, json } => {
            let s = cat
                .get(id)
                .ok_or_else(|| anyhow::anyhow!("unknown scheme `{id}`"))?;
            if *json {
                crate::output::json(s)?;
            } else {
                println!(
                    "{} — {}\n{}\nOwner: {}\n",
                    s.id, s.title, s.description, s.owner
                );
                for r in &s.requirements {
                    let o = match r.obligation {
                        Obligation::Mandatory => "M",
                        Obligation::Recommended => "R",
                    };
                    println!(
                        "  {:<20} {o}{} {}",
                        r.id,
                        if r.conditional { "c" } else { " " },
                        r.title
                    );
                }
            }
        }
        SchemeCmd::Check => println!("{} schemes are valid", cat.iter().count()),
    }
    Ok(ExitCode::SUCCESS)
}

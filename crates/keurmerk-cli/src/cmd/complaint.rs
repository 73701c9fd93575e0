//! `keurmerk complaint`: a national authority handles the complaints routed to it (list, show,
//! assign, answer, close); the registry operator may list and show them, without the
//! complainants' addresses. `--as` names the acting organisation; the service checks it may.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use keurmerk_domain::complaint::Outcome;
use keurmerk_domain::ids::RecordId;
use keurmerk_service::ComplaintAction;
use keurmerk_store::Complaint;

use super::{actor, Ctx};

#[derive(Debug, Subcommand)]
pub enum ComplaintCmd {
    /// Complaints routed to the authority (all for the operator), newest first.
    List {
        /// Acting organisation: a national authority or the registry operator.
        #[arg(long = "as")]
        as_org: String,
        /// At most this many (1-500).
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One complaint in full.
    Show {
        /// Acting organisation: the receiving authority or the registry operator.
        #[arg(long = "as")]
        as_org: String,
        /// Complaint id (`CMP-…`).
        id: RecordId,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Give a complaint to a named person of the authority (again, to hand it over).
    Assign {
        /// Acting organisation: the receiving authority.
        #[arg(long = "as")]
        as_org: String,
        /// Complaint id (`CMP-…`).
        id: RecordId,
        /// The person who handles it.
        #[arg(long)]
        to: String,
    },
    /// Answer the complainant; the answer is shown on the complaint's public page.
    Answer {
        /// Acting organisation: the receiving authority.
        #[arg(long = "as")]
        as_org: String,
        /// Complaint id (`CMP-…`).
        id: RecordId,
        /// The answer text.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        text: Option<String>,
        /// Read the answer from this file (UTF-8, at most 5000 characters).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// The answer's language: en, nl, de or fr (default: the authority's member state's
        /// language where it is one of them, else en). The complainant's page marks it so.
        #[arg(long)]
        lang: Option<keurmerk_domain::i18n::Lang>,
    },
    /// Close a complaint with an outcome; the complainant's address is erased.
    Close {
        /// Acting organisation: the receiving authority.
        #[arg(long = "as")]
        as_org: String,
        /// Complaint id (`CMP-…`).
        id: RecordId,
        /// upheld, rejected (both only once answered), forwarded or withdrawn.
        #[arg(long)]
        outcome: Outcome,
    },
}

/// Text from the public, safe to print on a terminal: control characters other than line
/// breaks and tabs (escape sequences) are shown escaped, not sent to the terminal.
pub(crate) fn safe(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn line(c: &Complaint) -> String {
    format!(
        "{:<11} {:<9} {} filed {}{}",
        c.id,
        c.state,
        c.certificate,
        c.filed_at.format("%Y-%m-%d"),
        c.assignee
            .as_deref()
            .map(|a| format!("  assigned to {}", safe(a)))
            .unwrap_or_default()
    )
}

fn show(c: &Complaint) {
    println!("{}", line(c));
    if let Some(a) = &c.authority {
        println!("  authority: {a}");
    }
    if let Some(contact) = &c.contact {
        println!("  contact:   {}", safe(contact));
    }
    for (what, at) in [
        ("assigned", c.assigned_at),
        ("answered", c.answered_at),
        ("closed", c.closed_at),
    ] {
        if let Some(at) = at {
            println!("  {what:<9}  {}", at.format("%Y-%m-%d %H:%M UTC"));
        }
    }
    if let Some(o) = c.outcome {
        println!("  outcome:   {o}");
    }
    println!("\nComplaint:\n{}", safe(&c.body));
    if let Some(a) = &c.answer {
        // Answers given before the language was recorded are English.
        let lang = c.answer_lang.unwrap_or_default();
        println!("\nAnswer ({lang}):\n{}", safe(a));
    }
}

pub async fn run(ctx: &Ctx, c: &ComplaintCmd) -> Result<ExitCode> {
    let (as_org, id, action) = match c {
        ComplaintCmd::List {
            as_org,
            limit,
            json,
        } => {
            let all = ctx.registry.complaints(&actor(as_org)?, *limit, 0).await?;
            if *json {
                crate::output::json(&all)?;
            } else if all.is_empty() {
                println!("No complaints");
            } else {
                for c in &all {
                    println!("{}", line(c));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        ComplaintCmd::Show { as_org, id, json } => {
            let c = ctx.registry.complaint(&actor(as_org)?, id).await?;
            if *json {
                crate::output::json(&c)?;
            } else {
                show(&c);
            }
            return Ok(ExitCode::SUCCESS);
        }
        ComplaintCmd::Assign { as_org, id, to } => (
            as_org,
            id,
            ComplaintAction::Assign {
                assignee: to.clone(),
            },
        ),
        ComplaintCmd::Answer {
            as_org,
            id,
            text,
            file,
            lang,
        } => {
            let answer = match (text, file) {
                (Some(t), _) => t.clone(),
                (None, Some(f)) => std::fs::read_to_string(f)
                    .with_context(|| format!("reading the answer from {}", f.display()))?,
                (None, None) => anyhow::bail!("give the answer with --text or --file"),
            };
            (
                as_org,
                id,
                ComplaintAction::Answer {
                    answer,
                    lang: *lang,
                },
            )
        }
        ComplaintCmd::Close {
            as_org,
            id,
            outcome,
        } => (as_org, id, ComplaintAction::Close { outcome: *outcome }),
    };
    let c = ctx
        .registry
        .handle_complaint(&actor(as_org)?, id, action)
        .await?;
    println!("{} is now {}", c.id, c.state);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_from_the_public_are_not_printed_raw() {
        assert_eq!(safe("a\nb\tc"), "a\nb\tc");
        assert_eq!(safe("x\u{1b}[2Jy"), "x\\u{1b}[2Jy");
        assert_eq!(safe("\r"), "\\r");
    }
}

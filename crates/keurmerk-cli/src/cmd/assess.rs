use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use keurmerk_domain::ids::{LevelId, RecordId, SchemeId};
use keurmerk_domain::model::Verdict;
use keurmerk_service::{NewAssessment, VerdictInput};

use super::{actor, Ctx};

#[derive(Debug, Subcommand)]
pub enum AssessmentCmd {
    /// Print a verdicts file to fill in: every requirement of the level, set to "pass".
    Template {
        /// Scheme.
        #[arg(long)]
        scheme: SchemeId,
        /// Level.
        #[arg(long)]
        level: LevelId,
    },
    /// Record an assessment (self-assessment by the manufacturer, or by an assessment body).
    Record {
        /// Acting organisation.
        #[arg(long = "as")]
        as_org: String,
        /// Product id.
        #[arg(long)]
        product: RecordId,
        /// Version id.
        #[arg(long)]
        version: RecordId,
        /// Scheme.
        #[arg(long)]
        scheme: SchemeId,
        /// Level.
        #[arg(long)]
        level: LevelId,
        /// JSON file of verdicts: {"5.1-1": {"verdict": "pass"}, "5.8-3": {"verdict":
        /// "not_applicable", "justification": "…"}}.
        #[arg(long)]
        verdicts: PathBuf,
        /// Evidence reference (repeatable).
        #[arg(long)]
        evidence: Vec<String>,
    },
    /// A national authority approves an assessment (needed at level high).
    Approve {
        /// Acting national authority.
        #[arg(long = "as")]
        as_org: String,
        /// Assessment id.
        id: RecordId,
    },
    /// Show an assessment.
    Show {
        /// Assessment id.
        id: RecordId,
    },
}

pub async fn run(ctx: &Ctx, cmd: &AssessmentCmd) -> Result<ExitCode> {
    let reg = &ctx.registry;
    match cmd {
        AssessmentCmd::Template { scheme, level } => {
            let s = reg
                .catalogue()
                .get(scheme)
                .ok_or_else(|| anyhow::anyhow!("unknown scheme `{scheme}`"))?;
            let l = s
                .level(level)
                .ok_or_else(|| anyhow::anyhow!("scheme {scheme} has no level `{level}`"))?;
            let t: VerdictInput = s
                .required_at(l)
                .into_iter()
                .map(|r| (r.id.clone(), Verdict::Pass))
                .collect();
            crate::output::json(&t)?;
        }
        AssessmentCmd::Record {
            as_org,
            product,
            version,
            scheme,
            level,
            verdicts,
            evidence,
        } => {
            let text = std::fs::read_to_string(verdicts)
                .with_context(|| format!("reading {}", verdicts.display()))?;
            let parsed: VerdictInput = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a verdicts file", verdicts.display()))?;
            let a = reg
                .record_assessment(
                    &actor(as_org)?,
                    NewAssessment {
                        product: product.clone(),
                        version: version.clone(),
                        scheme: scheme.clone(),
                        level: level.clone(),
                        verdicts: parsed,
                        evidence: evidence.clone(),
                    },
                )
                .await?;
            println!(
                "{} ({})",
                a.id,
                if a.passed {
                    "passed"
                } else {
                    "not passed: a required requirement is not met"
                }
            );
        }
        AssessmentCmd::Approve { as_org, id } => {
            let a = reg.approve_assessment(&actor(as_org)?, id).await?;
            println!("{} approved by {}", a.id, as_org);
        }
        AssessmentCmd::Show { id } => crate::output::json(&reg.assessment(id).await?)?,
    }
    Ok(ExitCode::SUCCESS)
}

//! `keurmerk update-record PRODUCT|ORG [--json]`: the maker's update record (issue 12 item 5).

use std::process::ExitCode;

use anyhow::{bail, Result};
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::Severity;
use keurmerk_domain::update_record::{SeverityRecord, UpdateRecord};
use keurmerk_service::ServiceError;

use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct UpdateRecordArgs {
    /// A product id (`PRD-…`) or an organisation id (a manufacturer).
    subject: String,
    /// Machine-readable output (the same document as `GET /api/v1/…/update-record`).
    #[arg(long)]
    json: bool,
}

/// Prints the record; exits 1 when a certificate's record could not be verified (the record is
/// then incomplete and says which).
pub async fn run(ctx: &Ctx, a: &UpdateRecordArgs) -> Result<ExitCode> {
    let reg = &ctx.registry;
    let subject = a.subject.trim();
    let record = match subject.parse::<RecordId>() {
        Ok(product) if subject.starts_with("PRD-") => reg.product_update_record(&product).await?,
        _ => match subject.parse::<OrgId>() {
            Ok(org) => match reg.org_update_record(&org).await {
                Err(ServiceError::NotFound { .. }) => {
                    bail!("`{subject}` is neither a product (PRD-…) nor an organisation in the registry")
                }
                other => other?,
            },
            Err(_) => bail!("`{subject}` is neither a product id (PRD-…) nor an organisation id"),
        },
    };
    if a.json {
        crate::output::json(&record)?;
    } else {
        print(subject, &record);
    }
    if record.is_complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "incomplete: {} certificate(s) could not be verified and were left out",
            record.unverified.len()
        );
        Ok(ExitCode::from(1))
    }
}

fn line(name: &str, r: &SeverityRecord) {
    let days = match (r.median_days, r.worst_days) {
        (Some(m), Some(w)) => format!("median {m} days, worst {w} days"),
        _ => "no days to count".to_owned(),
    };
    println!(
        "  {name:<9} {found} counted: {fixed} fixed, {open} open, {unfixed} closed unfixed; {days}; deadlines met {met}, missed {missed} ({late} of the fixes late); {vex} not affected (VEX), {wd} advisories withdrawn",
        found = r.findings,
        fixed = r.fixed,
        open = r.open,
        unfixed = r.closed_unfixed,
        met = r.deadline_met,
        missed = r.deadline_missed,
        late = r.fixed_late,
        vex = r.not_affected,
        wd = r.advisory_withdrawn,
    );
}

fn print(subject: &str, r: &UpdateRecord) {
    println!(
        "Update record of {subject}, {} to {} ({} certificates, from their verified events):",
        r.window_from,
        r.computed_at.date_naive(),
        r.certificates.len()
    );
    if r.by_severity.is_empty() {
        println!("  no findings in the window");
    } else {
        line("serious", &r.total(&[Severity::Critical, Severity::High]));
        for (s, rec) in &r.by_severity {
            line(s.as_str(), rec);
        }
    }
    println!("Support periods:");
    if r.support.is_empty() {
        println!("  none committed");
    }
    for s in &r.support {
        let now = match s.current {
            Some(c) if s.ended => format!("ended {c}"),
            Some(c) => format!("until {c}"),
            None => "none".to_owned(),
        };
        println!(
            "  {}: {now}; first committed {}; shortened {} time(s){}; fixes within support {}, after {}; unfixed when support ended {}",
            s.product,
            s.first_committed.map_or("-".to_owned(), |d| d.to_string()),
            s.shortened.len(),
            if s.ended_as_announced { "; ended as announced" } else { "" },
            s.fixes_within_support,
            s.fixes_after_support,
            s.unfixed_at_support_end,
        );
        for sh in &s.shortened {
            println!("    {}: {} -> {}", sh.at.date_naive(), sh.from, sh.to);
        }
    }
    for u in &r.unverified {
        println!("COULD NOT BE VERIFIED: {} ({})", u.certificate, u.problem);
    }
}

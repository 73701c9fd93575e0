use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_service::LifecycleRequest;
use keurmerk_store::{CertificateFilter, SearchStore as _};

use super::{actor, parse_date, Ctx};

#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// Acting organisation: the assessor.
    #[arg(long = "as")]
    as_org: String,
    /// The passed assessment.
    #[arg(long)]
    assessment: RecordId,
    /// Last day of validity (default: the scheme's longest).
    #[arg(long, value_parser = parse_date)]
    valid_until: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Acting organisation.
    #[arg(long = "as")]
    as_org: String,
    /// Certificate id.
    id: CertificateId,
    /// Why, from the catalogue (required to suspend, extend or withdraw): vulnerability_not_fixed,
    /// recall, under_investigation (suspend, extend), complaint_upheld, non_conformity, false_information, issuer_authorisation_revoked,
    /// holder_request, support_ended (withdraw), not_remedied (withdraw), remedy_in_progress
    /// (extend), other (needs --reason). The public reads it in their own language.
    #[arg(long, value_name = "CODE")]
    reason_code: Option<String>,
    /// Optional: why, in your own words (shown untranslated; for a reinstatement, its note).
    #[arg(long)]
    reason: Option<String>,
    /// The language --reason is written in, e.g. nl or de (default: en).
    #[arg(long, value_name = "LANG")]
    reason_lang: Option<String>,
    /// For suspensions: until when.
    #[arg(long, value_parser = parse_date)]
    until: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Certificate id.
    id: CertificateId,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// en, nl, de or fr.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// The version on the device: the answer is for that version (covered or not, its open
    /// security problems, the covered update that fixes them).
    #[arg(long, value_name = "V")]
    version: Option<String>,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Certificate id.
    id: CertificateId,
    /// Look up to and including this day (YYYY-MM-DD; default: the day after its validity ends).
    #[arg(long, value_name = "DATE")]
    until: Option<chrono::NaiveDate>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CertificateCmd {
    /// List certificates.
    List {
        /// Only this product's.
        #[arg(long)]
        product: Option<RecordId>,
        /// Only this scheme's.
        #[arg(long)]
        scheme: Option<SchemeId>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show a certificate with its history.
    Show {
        /// Certificate id.
        id: CertificateId,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The registry operator records the expiry of every certificate past its validity.
    ExpireDue {
        /// Acting registry operator.
        #[arg(long = "as")]
        as_org: String,
    },
    /// Check every certificate: its stored state against the fold of its events, every event
    /// against its signed statement (verified now), and every statement against the
    /// transparency log, and the stored label status (the read model a lookup serves) against
    /// the fold of its verified events, and every search document against the rows it is made
    /// from. Exits non-zero naming each certificate and event that fails.
    Verify {
        /// Fold and store again every label status that differs from the fold or is not
        /// current, and store again every search document that differs (the difference is still
        /// reported and the exit is still non-zero).
        #[arg(long)]
        repair: bool,
        /// Check only the search documents and the full-text index (seconds to minutes at a
        /// million labels, where the whole check folds every certificate).
        #[arg(long)]
        search: bool,
    },
    /// The issuer confirms again, with its current key, the events of a certificate that were
    /// signed with a key after that key's recorded compromise (`keys revoke --compromised-at`);
    /// until then the certificate's status is `unknown`.
    Resign {
        /// Acting organisation: the one whose events were signed with the compromised key (the
        /// registry operator for the registry's own events).
        #[arg(long = "as")]
        as_org: String,
        /// Certificate id.
        id: CertificateId,
    },
}

pub async fn certify(ctx: &Ctx, a: &CertifyArgs) -> Result<ExitCode> {
    let c = ctx
        .registry
        .certify(&actor(&a.as_org)?, &a.assessment, a.valid_until)
        .await?;
    println!("{}", c.id);
    Ok(ExitCode::SUCCESS)
}

pub async fn change(ctx: &Ctx, command: Command, a: &ChangeArgs) -> Result<ExitCode> {
    let state = ctx
        .registry
        .change_state(
            &actor(&a.as_org)?,
            &a.id,
            LifecycleRequest {
                command,
                reason: a.reason.clone().unwrap_or_default(),
                until: a.until,
                reason_code: a.reason_code.clone(),
                reason_lang: a.reason_lang.clone(),
            },
        )
        .await?;
    println!("{} is now {state}", a.id);
    Ok(ExitCode::SUCCESS)
}

pub async fn status(ctx: &Ctx, a: &StatusArgs) -> Result<ExitCode> {
    let d = ctx
        .registry
        .certificate_details_for(&a.id, a.version.as_deref())
        .await?;
    if a.json {
        crate::output::json(&serde_json::json!({
            "certificate": d.certificate.id,
            "status": d.status.status,
            "title": d.status.status.title(a.lang),
            "explanation": d.status.explanation(a.lang),
            "lang": a.lang.tag(),
            "issuer_kind": d.certificate.issuer_kind,
            "issuer": d.certificate.issuer,
            "reasons": d.status.reasons.iter().map(|r| serde_json::json!({"code": r.code(), "text": r.text(a.lang), "details": r})).collect::<Vec<_>>(),
            "valid_until": d.status.valid_until,
            "support_until": d.status.support_until,
            "open_vulnerabilities": d.status.open_vulnerabilities,
            "dependencies": d.status.dependencies,
            "covered_versions": d.status.covered_versions,
            "version": d.status.version,
        }))?;
    } else {
        let issuer = ctx.registry.organisation(&d.certificate.issuer).await?;
        crate::output::status(
            &d,
            &issuer,
            ctx.registry.catalogue().get(&d.certificate.scheme),
            a.lang,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `keurmerk forecast`: what the policy scheduler will record for a certificate, and when.
pub async fn forecast(ctx: &Ctx, a: &ForecastArgs) -> Result<ExitCode> {
    let f = ctx.registry.forecast(&a.id, a.until).await?;
    if a.json {
        crate::output::json(&f)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} now; what the scheme's policy does until {} if nobody acts:",
        f.certificate, f.state, f.until
    );
    if f.actions.is_empty() {
        println!("  nothing");
    }
    for item in &f.actions {
        let what = match &item.event {
            keurmerk_domain::event::EventKind::Suspended { reason, until, .. } => match until {
                Some(u) => format!("suspended until {u}: {reason}"),
                None => format!("suspended: {reason}"),
            },
            keurmerk_domain::event::EventKind::Withdrawn { reason, .. } => {
                format!("withdrawn: {reason}")
            }
            keurmerk_domain::event::EventKind::Expired { .. } => "expired".to_owned(),
            keurmerk_domain::event::EventKind::SupportEnded { on, .. } => {
                format!("support ended on {on} (put on record)")
            }
            keurmerk_domain::event::EventKind::IssuerAuthorisationRevoked {
                revoked_at,
                lapsed,
                ..
            } => {
                format!(
                    "the assessment body's authorisation {} on {} (put on record)",
                    if *lapsed { "lapsed" } else { "revoked" },
                    revoked_at.date_naive()
                )
            }
            keurmerk_domain::event::EventKind::CraReportOverdue {
                report,
                vulnerability,
                ..
            } => format!(
                "CRA {} on {vulnerability} overdue (put on record)",
                report.as_str().replace('_', " ")
            ),
            other => other.name().replace('_', " "),
        };
        println!(
            "  {}  {what}  [rule {}{}]",
            item.due_at.format("%Y-%m-%d %H:%M UTC"),
            item.rule,
            if item.overdue {
                "; due already, recorded by the next scheduler pass"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(ctx: &Ctx, cmd: &CertificateCmd) -> Result<ExitCode> {
    let reg = &ctx.registry;
    match cmd {
        CertificateCmd::List {
            product,
            scheme,
            json,
        } => {
            let certs = reg
                .certificates(&CertificateFilter {
                    product: product.clone(),
                    scheme: scheme.clone(),
                    ..Default::default()
                })
                .await?;
            if *json {
                crate::output::json(&certs)?;
            } else {
                for c in certs {
                    let st = reg.status(&c.id).await?;
                    println!(
                        "{:<15} {:<11} {:<13} {:<12} {:<11} {:<14} {}",
                        c.id,
                        c.product,
                        c.scheme,
                        c.level,
                        keurmerk_server::wire::issuer_kind_name(c.issuer_kind),
                        st.status,
                        c.issuer
                    );
                }
            }
        }
        CertificateCmd::Show { id, json } => {
            let d = reg.certificate_details(id).await?;
            if *json {
                crate::output::json(&d)?;
            } else {
                let issuer = reg.organisation(&d.certificate.issuer).await?;
                crate::output::status(
                    &d,
                    &issuer,
                    ctx.registry.catalogue().get(&d.certificate.scheme),
                    Lang::En,
                );
                println!("\nHistory:");
                for e in &d.events {
                    println!(
                        "  {:>5} {} {:<24} by {} ({})",
                        e.seq,
                        e.at.format("%Y-%m-%d %H:%M"),
                        e.kind.name(),
                        e.actor,
                        e.role
                    );
                }
                if !d.integrity.is_empty() {
                    println!("\nIntegrity problems (do not rely on this label):");
                    for p in &d.integrity {
                        println!("  {p}");
                    }
                }
            }
        }
        CertificateCmd::ExpireDue { as_org } => {
            let done = reg.expire_due(&actor(as_org)?).await?;
            println!("{} certificate(s) expired", done.len());
            for id in done {
                println!("  {id}");
            }
        }
        CertificateCmd::Resign { as_org, id } => {
            let seqs = reg.resign(&actor(as_org)?, id).await?;
            println!("{id}: re-signed {} event(s)", seqs.len());
            for s in seqs {
                println!("  event {s}");
            }
        }
        CertificateCmd::Verify {
            repair,
            search: true,
        } => {
            let search = reg.store().verify_search(*repair).await?;
            print_search(&search, *repair);
            if search.is_clean() {
                println!("every search document is what its certificate's rows make");
            } else {
                eprintln!(
                    "integrity check failed: {} search document difference(s){}",
                    search.different,
                    if search.index_sound {
                        ""
                    } else {
                        " and an unsound full-text index"
                    }
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        CertificateCmd::Verify {
            repair,
            search: false,
        } => {
            let drifted = reg.verify_event_store().await?;
            let problems = reg.verify_all_integrity().await?;
            let read_model = reg.verify_read_model(*repair).await?;
            let lists = reg.verify_software_lists().await?;
            for id in &drifted {
                println!("{id}: stored state differs from its events");
            }
            for p in &problems {
                println!("{p}");
            }
            for l in &lists {
                println!("{l}");
            }
            for d in &read_model.differences {
                println!("{d}");
            }
            for d in &read_model.index_differences {
                println!("{d}");
            }
            for d in &read_model.page_differences {
                println!("{d}");
            }
            println!(
                "label status read model: {} certificate(s) checked, {} current and equal to \
                 the fold, {} not current (a lookup folds them), {} different{}",
                read_model.checked,
                read_model.current,
                read_model.not_current,
                read_model.differences.len(),
                if *repair {
                    format!(", {} stored again", read_model.repaired)
                } else {
                    String::new()
                }
            );
            println!(
                "certificate page read model: {} page(s) current and equal to the fold, {} \
                 different",
                read_model.pages_current,
                read_model.page_differences.len()
            );
            let search = &read_model.search;
            print_search(search, *repair);
            let differ = read_model.differences.len()
                + read_model.index_differences.len()
                + read_model.page_differences.len();
            if drifted.is_empty()
                && problems.is_empty()
                && differ == 0
                && search.is_clean()
                && lists.is_empty()
            {
                println!(
                    "every certificate's stored state matches its events, every event matches \
                     its signed statement, every statement is logged or queued for the log, \
                     every stored label status and certificate page a lookup would serve equals \
                     the fold (and each status sits at its certificate's place in the status \
                     list), every search document is what its certificate's rows make, and \
                     every software list is its maker's signed one, with the components it names"
                );
            } else {
                eprintln!(
                    "integrity check failed: {} certificate(s) drifted, {} problem(s) with the \
                     signed record, {} software list(s) not on record or not as stored, {} \
                     stored label status(es) or page(s) differ from the fold or the \
                     certificate's status index, {} search document difference(s){}",
                    drifted.len(),
                    problems.len(),
                    lists.len(),
                    differ,
                    search.different,
                    if search.index_sound {
                        ""
                    } else {
                        " and an unsound full-text index"
                    }
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the search documents' check found (`certificate verify`).
fn print_search(search: &keurmerk_store::SearchCheck, repair: bool) {
    for d in &search.differences {
        println!("{d}");
    }
    let more = search
        .different
        .saturating_sub(search.differences.len() as u64);
    if more > 0 {
        println!("... and {more} more search document difference(s)");
    }
    if !search.index_sound {
        println!(
            "the full-text index does not hold exactly the search documents' words{}",
            if search.rebuilt { " (rebuilt)" } else { "" }
        );
    }
    println!(
        "search: {} document(s) read, {} difference(s) from the certificates' rows{}",
        search.documents,
        search.different,
        if repair {
            format!(", {} certificate(s) stored again", search.repaired)
        } else {
            String::new()
        }
    );
}

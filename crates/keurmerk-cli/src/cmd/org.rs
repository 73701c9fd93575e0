use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::model::OrgRole;
use keurmerk_service::NewOrganisation;

use super::{actor, Ctx};

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Create the registry operator in an empty registry.
    Bootstrap {
        /// Identifier (lowercase, digits, '-').
        #[arg(long)]
        id: OrgId,
        /// Name.
        #[arg(long)]
        name: String,
        /// Member state (two letters).
        #[arg(long)]
        member_state: String,
    },
    /// Register an organisation (registry operator; national authorities for their bodies).
    Create {
        /// Acting organisation.
        #[arg(long = "as")]
        as_org: String,
        /// Identifier (lowercase, digits, '-').
        #[arg(long)]
        id: OrgId,
        /// Name.
        #[arg(long)]
        name: String,
        /// national_authority, assessment_body or manufacturer.
        #[arg(long)]
        role: OrgRole,
        /// Member state (two letters).
        #[arg(long)]
        member_state: String,
        /// Public contact.
        #[arg(long)]
        contact: Option<String>,
    },
    /// List organisations.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// A national authority authorises an assessment body for a scheme level.
    Authorise {
        #[command(flatten)]
        auth: AuthArgs,
        /// The last day (UTC) of the authorisation; afterwards it has lapsed, as if revoked.
        /// Without it the authorisation holds until revoked.
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: Option<chrono::NaiveDate>,
    },
    /// A national authority revokes an authorisation it granted.
    Revoke(AuthArgs),
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Acting national authority.
    #[arg(long = "as")]
    as_org: String,
    /// The assessment body.
    #[arg(long)]
    body: OrgId,
    /// Scheme.
    #[arg(long)]
    scheme: SchemeId,
    /// Level.
    #[arg(long)]
    level: LevelId,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Acting organisation (registry operator or national authority).
    #[arg(long = "as")]
    as_org: String,
    /// How many records, newest first.
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, cmd: &OrgCmd) -> Result<ExitCode> {
    let reg = &ctx.registry;
    match cmd {
        OrgCmd::Bootstrap {
            id,
            name,
            member_state,
        } => {
            let o = reg
                .bootstrap_operator(NewOrganisation {
                    id: id.clone(),
                    name: name.clone(),
                    role: OrgRole::RegistryOperator,
                    member_state: member_state.clone(),
                    contact: None,
                })
                .await?;
            println!("created registry operator {}", o.id);
        }
        OrgCmd::Create {
            as_org,
            id,
            name,
            role,
            member_state,
            contact,
        } => {
            let o = reg
                .create_organisation(
                    &actor(as_org)?,
                    NewOrganisation {
                        id: id.clone(),
                        name: name.clone(),
                        role: *role,
                        member_state: member_state.clone(),
                        contact: contact.clone(),
                    },
                )
                .await?;
            println!("created {} {} ({})", o.role, o.id, o.name);
        }
        OrgCmd::List { json } => {
            let orgs = reg.organisations().await?;
            if *json {
                crate::output::json(&orgs)?;
            } else {
                for o in orgs {
                    println!("{:<16} {:<20} {}  {}", o.id, o.role, o.member_state, o.name);
                }
            }
        }
        OrgCmd::Authorise { auth: a, until } => {
            reg.authorise_until(&actor(&a.as_org)?, &a.body, &a.scheme, &a.level, *until)
                .await?;
            match until {
                Some(last) => println!(
                    "{} may now assess and certify {} at level {} until {last}",
                    a.body, a.scheme, a.level
                ),
                None => println!(
                    "{} may now assess and certify {} at level {}",
                    a.body, a.scheme, a.level
                ),
            }
        }
        OrgCmd::Revoke(a) => {
            reg.revoke_authorisation(&actor(&a.as_org)?, &a.body, &a.scheme, &a.level)
                .await?;
            println!(
                "{} is no longer authorised for {} {}",
                a.body, a.scheme, a.level
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(ctx: &Ctx, a: &AuditArgs) -> Result<ExitCode> {
    let trail = ctx
        .registry
        .audit_trail(&actor(&a.as_org)?, a.limit, None)
        .await?;
    if a.json {
        crate::output::json(&trail)?;
    } else {
        for e in trail {
            println!(
                "{:>6} {} {:<16} {:<22} {:<28} {}",
                e.seq,
                e.audit.at.format("%Y-%m-%d %H:%M:%S"),
                e.audit.actor.as_ref().map_or("(public)", |o| o.as_str()),
                e.audit.credential.to_string(),
                e.audit.action,
                e.audit.subject
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

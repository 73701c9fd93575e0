//! `keurmerk token`: API tokens. Whoever can open the database manages tokens (like the registry
//! operator over the API). The secret is printed once and only its hash is stored.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_server::auth::Secret;
use keurmerk_service::TokenAdmin;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token acting as an organisation (with that organisation's role). Prints the
    /// secret once.
    Create {
        /// The organisation.
        #[arg(long)]
        org: OrgId,
        /// A name to tell tokens apart.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token; it stops working at once.
    Revoke {
        /// Token id (`TOK-…`).
        id: RecordId,
    },
    /// List tokens (never their secrets).
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, c: &TokenCmd) -> Result<ExitCode> {
    match c {
        TokenCmd::Create { org, name, json } => {
            let secret = Secret::generate();
            let t = ctx
                .registry
                .create_token(TokenAdmin::Local, org, name, secret.sha256())
                .await?;
            let bearer = secret.bearer(&t.id);
            if *json {
                crate::output::json(&serde_json::json!({
                    "id": t.id, "org": t.org, "name": t.name, "secret": bearer
                }))?;
            } else {
                eprintln!(
                    "Token {} for {} created. The secret is shown only now; store it safely:",
                    t.id, t.org
                );
                println!("{bearer}");
            }
        }
        TokenCmd::Revoke { id } => {
            let t = ctx.registry.revoke_token(TokenAdmin::Local, id).await?;
            println!("Token {} of {} revoked", t.id, t.org);
        }
        TokenCmd::List { json } => {
            let all = ctx.registry.tokens(TokenAdmin::Local).await?;
            if *json {
                crate::output::json(&all)?;
            } else {
                for t in all {
                    let state = match t.revoked_at {
                        Some(at) => format!("revoked {}", at.format("%Y-%m-%d")),
                        None => "active".to_owned(),
                    };
                    println!(
                        "{:<11} {:<20} {:<16} created {}  {state}",
                        t.id,
                        t.org,
                        t.name,
                        t.created_at.format("%Y-%m-%d")
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

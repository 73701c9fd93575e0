use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use keurmerk_server::AppState;
use keurmerk_store::OrgStore;

use crate::Cli;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEURMERK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Seed the demo registry first if the database is empty.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let ctx = super::open(cli).await?;
    if args.demo {
        if ctx.registry.store().orgs().await?.is_empty() {
            let catalogue = Arc::new(crate::schemes::load(cli.schemes.as_deref())?);
            let s = keurmerk_service::demo::seed_with(
                ctx.registry.store().clone(),
                catalogue,
                chrono::Utc::now(),
                keurmerk_service::Secrets::dir(&cli.keys_dir),
            )
            .await?;
            tracing::info!(
                certificates = s.certificates.len(),
                products = s.products.len(),
                "demo registry seeded"
            );
        } else {
            tracing::info!("database is not empty; not seeding the demo");
        }
    }
    let state = AppState {
        registry: Arc::new(ctx.registry),
    };
    eprintln!(
        "Keurmerk registry on http://{}/ (Ctrl-C to stop)",
        args.addr
    );
    keurmerk_server::serve(args.addr, state)
        .await
        .with_context(|| format!("serving on {}", args.addr))?;
    Ok(ExitCode::SUCCESS)
}

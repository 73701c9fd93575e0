use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use keurmerk_server::AppState;
use keurmerk_store::OrgStore;
use keurmerk_transparency::{LogState, Sequencer, SequencerConfig};

use crate::Cli;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEURMERK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Seed the demo registry first if the database is empty.
    #[arg(long)]
    pub demo: bool,
    /// The transparency log's key.
    #[command(flatten)]
    pub log: super::log::LogKeyArgs,
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
    // The transparency log: the sequencer drains `log_queue` (including anything queued while no
    // server ran, e.g. the demo just seeded) and every write waits for its entry to be logged.
    let log_key = super::log::load_key(&args.log, args.addr)?;
    let store = ctx.registry.store().clone();
    let mut registry = ctx.registry;
    if let Ok(signer) = registry.signer() {
        let signer = signer
            .clone()
            .with_log_verifier_key(log_key.log_verifier_key());
        registry = registry.with_signer(signer);
    }
    tracing::info!(origin = log_key.origin(), verifier_key = %log_key.log_verifier_key(),
        "transparency log");
    let sequencer = Sequencer::new(&store, log_key, SequencerConfig::default())
        .await
        .context("starting the transparency log sequencer")?;
    let sequencer_task = sequencer.spawn();
    let registry = registry.with_log_waiter(Arc::new(super::log::SequencerWaiter(sequencer)));
    let state = AppState {
        registry: Arc::new(registry),
    };
    let app = keurmerk_server::router(state).merge(super::log::routes(LogState::new(&store)));
    eprintln!(
        "Keurmerk registry on http://{}/ (Ctrl-C to stop)",
        args.addr
    );
    let served = async {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        tracing::info!(addr = %args.addr, "keurmerk listening");
        keurmerk_server::serve_app(listener, app).await
    }
    .await;
    sequencer_task.abort();
    served.with_context(|| format!("serving on {}", args.addr))?;
    Ok(ExitCode::SUCCESS)
}

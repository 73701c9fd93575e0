//! `keurmerk status-list export FILE`: the registry's current Token Status List (the one
//! `GET /api/v1/status-list` serves; published now if there is none or it expired), for
//! `keurmerk verify URL --status-list FILE` and for distribution outside HTTP.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum StatusListCmd {
    /// Write the current status list (`application/statuslist+jwt`) to FILE.
    Export {
        /// Where to write it.
        file: PathBuf,
    },
}

pub async fn run(ctx: &Ctx, c: &StatusListCmd) -> Result<ExitCode> {
    let StatusListCmd::Export { file } = c;
    let p = ctx.registry.status_list().await?;
    std::fs::write(file, &p.token).with_context(|| format!("writing {}", file.display()))?;
    println!(
        "status list {} ({} labels, {} bytes, valid until {}, SHA-256 {}) written to {}",
        p.sequence,
        p.size,
        p.token.len(),
        p.expires_at,
        p.token_sha256,
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

//! `keurmerk status-list export FILE`: the registry's current Token Status List (the one
//! `GET /api/v1/status-list` serves; published now if there is none or it expired), for
//! `keurmerk verify URL --status-list FILE` and for distribution outside HTTP.
//! `keurmerk status-list publish`: build, sign and publish a new list now (logged like every
//! list), saying how long reading the statuses and publishing took.

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
    /// Build, sign and publish a new list now, even if the current one is still due later
    /// (after a restore or a mass change); prints how long building and publishing took.
    Publish,
}

pub async fn run(ctx: &Ctx, c: &StatusListCmd) -> Result<ExitCode> {
    let file = match c {
        StatusListCmd::Export { file } => file,
        StatusListCmd::Publish => {
            let (p, built, published) = ctx.registry.publish_status_list_now().await?;
            println!(
                "status list {} published ({} labels, {} bytes, valid until {}, SHA-256 {}); \
                 read and built in {} ms, signed, stored and queued for the log in {} ms",
                p.sequence,
                p.size,
                p.token.len(),
                p.expires_at,
                p.token_sha256,
                built.as_millis(),
                published.as_millis()
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
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

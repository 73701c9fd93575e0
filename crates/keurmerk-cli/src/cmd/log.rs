//! `keurmerk log …`: the transparency log's key and a monitor (SPEC §7), plus the pieces
//! `keurmerk serve` uses to run the log (key loading, the sequencer-backed [`LogWaiter`], routes).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use axum::routing::get;
use axum::Router;
use clap::{Args, Subcommand};
use keurmerk_service::{LogWaitFuture, LogWaiter};
use keurmerk_transparency::{LogKey, LogState, MonitorReport, Sequencer};
use keurmerk_trust::{PublicKey, TrustList};

use crate::Cli;

/// File name of the pinned registry root public key, looked for next to the trust list (the
/// name `keurmerk trust-list export` writes).
const ROOT_KEY_FILE: &str = "keurmerk-root.pub";

#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Print the log's verifier key in signed-note form (creates the log key if missing).
    Key(KeyArgs),
    /// Monitor a log: check the checkpoint signature, consistency with the last run (--state),
    /// every tile and entry; exit non-zero saying what and where on any failure.
    Verify(VerifyArgs),
}

/// Where the log's private key lives and which origin (log name) it has.
#[derive(Debug, Clone, Args)]
pub struct LogKeyArgs {
    /// The log's private key file (signed-note form, mode 0600); created if missing.
    #[arg(
        long = "log-key",
        env = "KEURMERK_LOG_KEY",
        default_value = "keurmerk-log.key"
    )]
    pub log_key: PathBuf,
    /// The log origin (its name in checkpoints). Default: the existing key's origin, else
    /// `<listen host>/log`.
    #[arg(long = "log-origin", env = "KEURMERK_LOG_ORIGIN")]
    pub log_origin: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    pub key: LogKeyArgs,
    /// The server's listen address, for the default origin of a new key.
    #[arg(long, env = "KEURMERK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The registry (`https://host`) or the log prefix (`https://host/log`).
    pub url: String,
    /// State file: the last verified checkpoint. Only new entries are checked, and the new
    /// checkpoint must be consistent with it; updated only when everything verified.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The log's verifier key (signed-note form, as printed by `keurmerk log key`). Default:
    /// the one in the verified trust list (--trust-list).
    #[arg(long = "log-key-string", env = "KEURMERK_LOG_VERIFIER_KEY")]
    pub log_key_string: Option<String>,
    /// A witness verifier key; repeat for several.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned the checkpoint.
    #[arg(long, default_value_t = 0)]
    pub require_witnesses: usize,
    /// A trust list (as written by `keurmerk trust-list export`): every entry must then be a
    /// signed statement that verifies against it. Without one only the log structure is checked.
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
    /// The pinned registry root public key (base64) the trust list must be signed with; default:
    /// the file keurmerk-root.pub next to the trust list.
    #[arg(long)]
    pub root_key: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(_cli: &Cli, c: &LogCmd) -> Result<ExitCode> {
    match c {
        LogCmd::Key(a) => {
            let existed = a.key.log_key.exists();
            let key = load_key(&a.key, a.addr)?;
            if !existed {
                eprintln!(
                    "created the log key {} for origin {}",
                    a.key.log_key.display(),
                    key.origin()
                );
            }
            println!("{}", key.log_verifier_key());
            Ok(ExitCode::SUCCESS)
        }
        LogCmd::Verify(a) => verify(a).await,
    }
}

/// Loads (or creates) the log key. The origin is `--log-origin`, else the existing key file's
/// own origin (so changing the listen address does not rename the log), else
/// `<host of addr>/log`.
pub fn load_key(a: &LogKeyArgs, addr: SocketAddr) -> Result<LogKey> {
    let origin = match &a.log_origin {
        Some(o) => o.clone(),
        None => match std::fs::read_to_string(&a.log_key) {
            // The permission check and the error message (never the content) are
            // `load_or_create`'s; here only the name is taken.
            Ok(text) => match LogKey::from_skey(&text) {
                Ok(k) => k.origin().to_owned(),
                Err(_) => keurmerk_transparency::default_origin(&addr.ip().to_string()),
            },
            Err(_) => keurmerk_transparency::default_origin(&addr.ip().to_string()),
        },
    };
    LogKey::load_or_create(&a.log_key, &origin)
        .with_context(|| format!("transparency log key {}", a.log_key.display()))
}

/// Acknowledges registry writes once the sequencer has them in a signed checkpoint.
#[derive(Debug, Clone)]
pub struct SequencerWaiter(pub Sequencer);

impl LogWaiter for SequencerWaiter {
    fn wait_for(&self, queue_id: i64) -> LogWaitFuture<'_> {
        Box::pin(async move { self.0.wait_for(queue_id).await.map_err(|e| e.to_string()) })
    }
}

/// The log's public routes: C2SP tlog-tiles under `/log/`, certificate receipts at
/// `GET /api/v1/certificates/{id}/receipt` and status lists' at
/// `GET /api/v1/status-list/{sha256}/receipt`.
pub fn routes(state: LogState) -> Router {
    keurmerk_transparency::log_router(state.clone()).merge(
        Router::new()
            .route(
                "/api/v1/certificates/{id}/receipt",
                get(keurmerk_transparency::receipt),
            )
            .route(
                "/api/v1/status-list/{sha256}/receipt",
                get(keurmerk_transparency::status_list_receipt),
            )
            .with_state(state),
    )
}

async fn verify(a: &VerifyArgs) -> Result<ExitCode> {
    let trust = match &a.trust_list {
        Some(path) => Some(load_trust_list(path, a.root_key.as_deref())?),
        None => None,
    };
    let log_key = match (&a.log_key_string, &trust) {
        (Some(k), _) => k.clone(),
        (None, Some(t)) if !t.log_verifier_key.is_empty() => t.log_verifier_key.clone(),
        (None, Some(_)) => {
            bail!(
                "the trust list names no log key; pass --log-key-string (from `keurmerk log key`)"
            )
        }
        (None, None) => {
            bail!("which log key? pass --log-key-string (from `keurmerk log key`) or --trust-list")
        }
    };
    let result = match &trust {
        Some(t) => {
            let check = keurmerk_transparency::statement_check(t, chrono::Utc::now());
            keurmerk_transparency::verify_log(
                &a.url,
                a.state.as_deref(),
                &log_key,
                &a.witnesses,
                a.require_witnesses,
                &check,
            )
            .await
        }
        None => {
            keurmerk_transparency::verify_log(
                &a.url,
                a.state.as_deref(),
                &log_key,
                &a.witnesses,
                a.require_witnesses,
                &keurmerk_transparency::accept_all,
            )
            .await
        }
    };
    let entry_check = if trust.is_some() {
        "every entry is a signed statement or status list record that verifies against the \
         trust list, and the status lists' numbers only go up"
    } else {
        "structure only: statement signatures NOT checked (pass --trust-list to check them)"
    };
    match result {
        Ok(r) => {
            if a.json {
                crate::output::json(&serde_json::json!({
                    "verified": true,
                    "statements_checked": trust.is_some(),
                    "report": r,
                }))?;
            } else {
                print_report(&r, entry_check);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                crate::output::json(&serde_json::json!({
                    "verified": false,
                    "error": e.to_string(),
                }))?;
            }
            eprintln!("LOG VERIFICATION FAILED for {}: {e}", a.url);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_report(r: &MonitorReport, entry_check: &str) {
    println!("log {} verified", r.origin);
    println!(
        "  checkpoint: {} entries, root {} (previously verified: {})",
        r.size, r.root, r.previous_size
    );
    println!("  entries checked: {}", r.entries_checked);
    println!("  entry check: {entry_check}");
    println!(
        "  entry bundles fetched: {}, hash tiles compared: {}",
        r.bundles_fetched, r.tiles_compared
    );
    if r.witnesses.is_empty() {
        println!("  witness cosignatures: none verified");
    } else {
        println!("  witness cosignatures: {}", r.witnesses.join(", "));
    }
}

fn load_trust_list(path: &Path, root_key: Option<&str>) -> Result<TrustList> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the trust list {}", path.display()))?;
    let root_text = match root_key {
        Some(k) => k.to_owned(),
        None => {
            let file = path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(ROOT_KEY_FILE);
            std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "no pinned registry root key: pass --root-key BASE64 or put it in {}",
                    file.display()
                )
            })?
        }
    };
    let root = PublicKey::from_base64(root_text.trim())
        .map_err(|e| anyhow::anyhow!("the root key is not a base64 Ed25519 public key: {e}"))?;
    TrustList::verify(&bytes, &root)
        .map_err(|e| anyhow::anyhow!("trust list {}: {e}", path.display()))
}

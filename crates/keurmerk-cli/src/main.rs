//! `keurmerk`: the registry's command line. Every workflow goes through the service layer, which
//! enforces who may do what; `--as ORG` names the acting organisation.

// First, so that its `println!`, `print!` and `eprintln!` replace std's in every module after it.
#[macro_use]
mod stdout;
mod cmd;
mod config;
mod output;
mod schemes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{LoadError, LogFormat};

/// mimalloc instead of the C library's allocator (ADR 0022): while `serve`'s background work and
/// lookups ran together at 1,000,000 on SQLite, glibc's per-thread arenas held about 300 MB
/// (VmHWM 333 MB) and lookups were 10-28 % slower than with mimalloc (VmHWM 318 MB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The European cybersecurity label registry.
#[derive(Debug, Parser)]
#[command(name = "keurmerk", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML; see `keurmerk config example`). Environment variables and
    /// flags override what it sets.
    #[arg(long, global = true, env = "KEURMERK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: `sqlite:PATH` (default `sqlite:keurmerk.db` in the current directory) or
    /// `postgres://user@host/db`.
    #[arg(
        long,
        global = true,
        env = "KEURMERK_DATABASE_URL",
        default_value = "sqlite:keurmerk.db"
    )]
    pub db: String,
    /// Load scheme files from this directory instead of the shipped catalogue.
    #[arg(long, global = true, env = "KEURMERK_SCHEMES")]
    pub schemes: Option<PathBuf>,
    /// Directory of private signing keys (files mode 0600, directory 0700).
    #[arg(
        long = "keys",
        global = true,
        env = "KEURMERK_KEYS_DIR",
        default_value = "keurmerk-keys"
    )]
    pub keys_dir: PathBuf,
    /// Public base URL that label QR codes point to.
    #[arg(
        long,
        global = true,
        env = "KEURMERK_BASE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub base_url: String,
    /// Format of the log lines on stderr.
    #[arg(
        long,
        global = true,
        env = "KEURMERK_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// Which log lines to write, as a tracing filter (`LEVEL` or `target=LEVEL,…`).
    #[arg(
        long,
        global = true,
        env = "KEURMERK_LOG",
        default_value = "warn,keurmerk=info,keurmerk_server=info"
    )]
    pub log_filter: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry server.
    Serve(cmd::serve::ServeArgs),
    /// Seed an empty database with a realistic demo registry.
    Demo(cmd::DemoArgs),
    /// Schemes in the catalogue.
    #[command(subcommand)]
    Scheme(cmd::scheme::SchemeCmd),
    /// Organisations and authorisations.
    #[command(subcommand, alias = "organisation")]
    Org(cmd::org::OrgCmd),
    /// Products, their versions, support periods and dependencies.
    #[command(subcommand)]
    Product(cmd::product::ProductCmd),
    /// Assessments.
    #[command(subcommand)]
    Assessment(cmd::assess::AssessmentCmd),
    /// Issue a certificate or statement of conformity on a passed assessment.
    Certify(cmd::cert::CertifyArgs),
    /// Suspend a certificate.
    Suspend(cmd::cert::ChangeArgs),
    /// Extend a running suspension (national authority).
    ExtendSuspension(cmd::cert::ChangeArgs),
    /// Lift a suspension.
    Reinstate(cmd::cert::ChangeArgs),
    /// Withdraw a certificate for good.
    Withdraw(cmd::cert::ChangeArgs),
    /// Certificates.
    #[command(subcommand)]
    Certificate(cmd::cert::CertificateCmd),
    /// The live label status of a certificate, in plain language.
    Status(cmd::cert::StatusArgs),
    /// What the scheme's policy will do to a certificate and when, if nobody acts (writes
    /// nothing).
    Forecast(cmd::cert::ForecastArgs),
    /// The maker's update record of a product or a manufacturer: days from first match to a
    /// covered fix, deadlines met and missed, support periods honoured (from verified events).
    UpdateRecord(cmd::update_record::UpdateRecordArgs),
    /// Where a certificate is accepted: baseline coverage and, for every other scheme level,
    /// accepted by agreement, meets the requirements, or not accepted (and why).
    Recognition(cmd::recognition::RecognitionArgs),
    /// What a product needs to be sold in chosen markets: mandatory regimes, voluntary labels,
    /// and the smallest set of provisions still to assess.
    MarketAccess(cmd::recognition::MarketAccessArgs),
    /// The audit trail (registry operator and national authorities).
    Audit(cmd::org::AuditArgs),
    /// API tokens (create, revoke, list).
    #[command(subcommand)]
    Token(cmd::token::TokenCmd),
    /// Complaints from the public: the receiving authority lists, shows, assigns, answers and
    /// closes them.
    #[command(subcommand)]
    Complaint(cmd::complaint::ComplaintCmd),
    /// EU Cyber Resilience Act reports on actively exploited vulnerabilities: the holder lists
    /// its obligations and clocks, edits, submits and exports; the supervising authority and the
    /// registry operator list, show and export.
    #[command(subcommand)]
    Cra(cmd::cra::CraCmd),
    /// Signing keys of organisations and the registry root key.
    #[command(subcommand)]
    Keys(cmd::trust::KeysCmd),
    /// The signed trust list.
    #[command(subcommand)]
    TrustList(cmd::trust::TrustListCmd),
    /// The signed status list of every label (Token Status List).
    #[command(subcommand)]
    StatusList(cmd::statuslist::StatusListCmd),
    /// Labels with their signed QR code.
    #[command(subcommand)]
    Label(cmd::trust::LabelCmd),
    /// Verify a label (URL, token or file): offline "authentic", online "valid"; see --help for
    /// the exit codes.
    #[command(long_about = cmd::trust::VERIFY_ABOUT)]
    Verify(cmd::trust::VerifyArgs),
    /// Exact version semantics per ecosystem (offline).
    #[command(subcommand)]
    Version(cmd::vuln::VersionCmd),
    /// Scan an SBOM against advisories, offline.
    Scan(cmd::vuln::ScanArgs),
    /// SBOMs of product versions.
    #[command(subcommand)]
    Sbom(cmd::monitor::SbomCmd),
    /// Advisories in the registry.
    #[command(subcommand)]
    Advisories(cmd::monitor::AdvisoriesCmd),
    /// Publish the holder's VEX statements for a product.
    Vex(cmd::monitor::VexArgs),
    /// Open vulnerability findings of a product, with deadlines and CRA clocks.
    Findings(cmd::monitor::FindingsArgs),
    /// The transparency log: its verifier key, and a monitor that verifies a log.
    #[command(subcommand)]
    Log(cmd::log::LogCmd),
    /// The effective configuration, and an example configuration file.
    #[command(subcommand)]
    Config(cmd::config::ConfigCmd),
    /// Back up a running SQLite registry to a file, online, and check the copy (PostgreSQL:
    /// prints the pg_dump procedure).
    Backup(cmd::backup::BackupArgs),
    /// Check a copy of the registry (its log against the newest published checkpoint, and its
    /// integrity), and restore a SQLite copy.
    Restore(cmd::backup::RestoreArgs),
}

fn main() -> ExitCode {
    let loaded = match config::load(std::env::args_os()) {
        Ok(l) => l,
        Err(LoadError::Clap(e)) => e.exit(),
        Err(LoadError::Config(e)) => {
            eprintln!("error: {}", error_text(&e));
            return ExitCode::FAILURE;
        }
    };
    let cli = loaded.cli;
    if let Err(e) = init_logging(&cli, &loaded.effective) {
        eprintln!("error: {}", error_text(&e));
        return ExitCode::FAILURE;
    }
    if let Some(file) = &loaded.effective.file {
        tracing::debug!(file = %file.display(), "configuration file loaded");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cmd::run(cli, &loaded.effective)) {
        Ok(code) => code,
        // Output written with `?` rather than `println!` (e.g. through a locked stdout).
        Err(e) if stdout::is_broken_pipe(&e) => {
            ExitCode::from(u8::try_from(stdout::BROKEN_PIPE_EXIT).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: a cause whose text the line already
/// holds (a wrapper that prints its source, e.g. "cannot suspend …: cannot suspend …") is left
/// out.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Logs go to stderr, as text or one JSON object per line. An invalid filter is an error
/// naming where it came from (it used to fall back to the default silently).
fn init_logging(cli: &Cli, effective: &config::Effective) -> anyhow::Result<()> {
    // The parse error's source repeats its message, so it is formatted once, not chained.
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_filter).map_err(|e| {
        anyhow::anyhow!(
            "invalid log filter `{}` (from {}): {e}",
            cli.log_filter,
            effective.origin("log.filter")
        )
    })?;
    // Colour only on a terminal: logs written to a file or a collector stay plain text.
    // `NO_COLOR` (https://no-color.org) turns it off on a terminal too.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // A line that cannot be written (stderr a pipe whose reader went away) is dropped, never
    // reported with `eprintln!`, which would panic on the same closed pipe: in `serve` that
    // panic would end whichever task logged (a request's connection, the log sequencer).
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .log_internal_errors(false)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().try_init(),
    }
    .map_err(|e| anyhow::anyhow!("starting the logger: {e}"))
}

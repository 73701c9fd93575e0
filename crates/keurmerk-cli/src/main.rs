//! `keurmerk`: the registry's command line. Every workflow goes through the service layer, which
//! enforces who may do what; `--as ORG` names the acting organisation.

mod cmd;
mod output;
mod schemes;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The European cybersecurity label registry.
#[derive(Debug, Parser)]
#[command(name = "keurmerk", version, about, long_about = None)]
pub struct Cli {
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry server.
    Serve(cmd::serve::ServeArgs),
    /// Seed an empty database with a realistic demo registry.
    Demo,
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
    /// The audit trail (registry operator and national authorities).
    Audit(cmd::org::AuditArgs),
    /// API tokens (create, revoke, list).
    #[command(subcommand)]
    Token(cmd::token::TokenCmd),
    /// Signing keys of organisations and the registry root key.
    #[command(subcommand)]
    Keys(cmd::trust::KeysCmd),
    /// The signed trust list.
    #[command(subcommand)]
    TrustList(cmd::trust::TrustListCmd),
    /// Labels with their signed QR code.
    #[command(subcommand)]
    Label(cmd::trust::LabelCmd),
    /// Verify a label (URL, token or file) offline against a cached trust list.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEURMERK_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,keurmerk=info,keurmerk_server=info")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
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
    match rt.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

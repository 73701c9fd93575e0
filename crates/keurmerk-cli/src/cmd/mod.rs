pub mod assess;
pub mod backup;
pub mod cert;
pub mod complaint;
pub mod config;
pub mod cra;
pub mod files;
pub mod log;
pub mod monitor;
pub mod org;
pub mod product;
pub mod recognition;
pub mod scheme;
pub mod serve;
pub mod statuslist;
pub mod token;
pub mod trust;
pub mod update_record;
pub mod vuln;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use keurmerk_domain::ids::OrgId;
use keurmerk_service::{Actor, Registry, SystemClock};
use keurmerk_store::SqlStore;

use crate::{Cli, Command};

pub struct Ctx {
    pub registry: Registry<SqlStore>,
}

pub async fn open(cli: &Cli) -> Result<Ctx> {
    open_with(cli, keurmerk_store::PoolSettings::default()).await
}

/// [`open`] with the pool `pool` describes (its size on PostgreSQL, its wait).
pub async fn open_with(cli: &Cli, pool: keurmerk_store::PoolSettings) -> Result<Ctx> {
    let catalogue = Arc::new(crate::schemes::load(cli.schemes.as_deref())?);
    let store = SqlStore::connect_with_pool(&cli.db, None, pool)
        .await
        .with_context(|| format!("opening the database {}", redact(&cli.db)))?;
    let signer = keurmerk_service::Signer::new(
        Arc::new(store.clone()),
        keurmerk_service::Secrets::dir(&cli.keys_dir),
    )
    .with_base_url(&cli.base_url);
    Ok(Ctx {
        registry: Registry::new(store, catalogue, Arc::new(SystemClock))
            .with_clock_check(chrono::Duration::seconds(
                keurmerk_service::MAX_CLOCK_OFFSET_SECS,
            ))
            .with_signer(signer)
            .with_local_credential(keurmerk_service::Credential::cli_user(&os_user())),
    })
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The command line acting `--as` an organisation: attributed to the operating-system user
/// running it (who has direct access to the database).
pub fn actor(org: &str) -> Result<Actor> {
    Ok(Actor::cli(
        OrgId::new(org).with_context(|| format!("--as {org}"))?,
        &os_user(),
    ))
}

/// The operating-system user running the command line, from the password database (not the
/// environment, which the caller controls); its uid when it has no name there.
pub fn os_user() -> String {
    whoami::fallible::username().unwrap_or_else(|_| "unknown".into())
}

/// `YYYY-MM-DD`, or `YYYY-MM` meaning the last day of that month (support periods are published
/// with month precision).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD or YYYY-MM)"))?;
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| format!("`{s}` is out of range"))
}

pub async fn run(cli: Cli, effective: &crate::config::Effective) -> Result<ExitCode> {
    match &cli.command {
        Command::Serve(args) => serve::run(&cli, args).await,
        Command::Demo(args) => {
            let ctx = open(&cli).await?;
            let catalogue = Arc::new(crate::schemes::load(cli.schemes.as_deref())?);
            let secrets = keurmerk_service::Secrets::dir(&cli.keys_dir);
            if let Some(n) = args.scale {
                return demo_scale(&ctx, catalogue, secrets, n, args.reference).await;
            }
            let summary = keurmerk_service::demo::seed_with(
                ctx.registry.store().clone(),
                catalogue,
                chrono::Utc::now(),
                secrets,
            )
            .await?;
            crate::output::demo_summary(&summary);
            Ok(ExitCode::SUCCESS)
        }
        Command::Scheme(c) => scheme::run(&cli, c).await,
        Command::Org(c) => org::run(&open(&cli).await?, c).await,
        Command::Audit(a) => org::audit(&open(&cli).await?, a).await,
        Command::Product(c) => product::run(&open(&cli).await?, c).await,
        Command::Assessment(c) => assess::run(&open(&cli).await?, c).await,
        Command::Certify(a) => cert::certify(&open(&cli).await?, a).await,
        Command::Suspend(a) => {
            cert::change(
                &open(&cli).await?,
                keurmerk_domain::lifecycle::Command::Suspend,
                a,
            )
            .await
        }
        Command::ExtendSuspension(a) => {
            cert::change(
                &open(&cli).await?,
                keurmerk_domain::lifecycle::Command::ExtendSuspension,
                a,
            )
            .await
        }
        Command::Reinstate(a) => {
            cert::change(
                &open(&cli).await?,
                keurmerk_domain::lifecycle::Command::Reinstate,
                a,
            )
            .await
        }
        Command::Withdraw(a) => {
            cert::change(
                &open(&cli).await?,
                keurmerk_domain::lifecycle::Command::Withdraw,
                a,
            )
            .await
        }
        Command::Certificate(c) => cert::run(&open(&cli).await?, c).await,
        Command::Status(a) => cert::status(&open(&cli).await?, a).await,
        Command::Forecast(a) => cert::forecast(&open(&cli).await?, a).await,
        Command::UpdateRecord(a) => update_record::run(&open(&cli).await?, a).await,
        Command::Recognition(a) => recognition::recognition(&open(&cli).await?, a).await,
        Command::MarketAccess(a) => recognition::market_access(&open(&cli).await?, a).await,
        Command::Token(c) => token::run(&open(&cli).await?, c).await,
        Command::Complaint(c) => complaint::run(&open(&cli).await?, c).await,
        Command::Cra(c) => cra::run(&open(&cli).await?, c).await,
        Command::Keys(c) => trust::keys(&open(&cli).await?, c).await,
        Command::TrustList(c) => trust::trust_list(&open(&cli).await?, c).await,
        Command::StatusList(c) => statuslist::run(&open(&cli).await?, c).await,
        Command::Label(c) => trust::label(&open(&cli).await?, c).await,
        Command::Verify(a) => trust::verify(a).await,
        Command::Version(c) => vuln::version(c),
        Command::Scan(a) => vuln::scan(a),
        Command::Sbom(c) => monitor::sbom(&open(&cli).await?, c).await,
        Command::Advisories(c) => monitor::advisories(&open(&cli).await?, c).await,
        Command::Vex(a) => monitor::vex(&open(&cli).await?, a).await,
        Command::Findings(a) => monitor::findings(&open(&cli).await?, a).await,
        Command::Log(c) => log::run(&cli, c).await,
        Command::Config(c) => config::run(effective, c),
        Command::Backup(a) => backup::backup(&cli, a).await,
        Command::Restore(a) => backup::restore(&cli, a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_month_precision() {
        assert_eq!(
            parse_date("2027-02").unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert_eq!(
            parse_date("2028-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
        assert!(parse_date("2027-13").is_err());
        assert!(parse_date("tomorrow").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:k.db"), "sqlite:k.db");
    }
}

/// `keurmerk demo` options.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Instead of the small demo, seed this many certificates with a realistic mix (schemes,
    /// levels, states, dependencies, versions, software lists, findings), each signed and
    /// queued for the log like any write. Only into an empty database.
    #[arg(long, value_name = "N")]
    pub scale: Option<u64>,
    /// With `--scale`: seed every certificate through the use cases one by one (the reference
    /// path, about 20 certificates/s) instead of the bulk path (thousands per second, a batch
    /// of certificates per transaction, same records; ADR 0019).
    #[arg(long, requires = "scale")]
    pub reference: bool,
}

async fn demo_scale(
    ctx: &Ctx,
    catalogue: Arc<keurmerk_domain::scheme::Catalogue>,
    secrets: keurmerk_service::Secrets,
    n: u64,
    reference: bool,
) -> Result<ExitCode> {
    let bar = indicatif::ProgressBar::new(n);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} certificates ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let store = ctx.registry.store().clone();
    let progress = |done| bar.set_position(done);
    let summary = if reference {
        keurmerk_service::demo_scale::seed_scale(
            store,
            catalogue,
            chrono::Utc::now(),
            secrets,
            n,
            &progress,
        )
        .await
    } else {
        keurmerk_service::demo_scale::seed_scale_bulk(
            store,
            catalogue,
            chrono::Utc::now(),
            secrets,
            n,
            keurmerk_service::demo_scale::BATCH,
            &progress,
        )
        .await
    };
    bar.finish_and_clear();
    let summary = summary?;
    println!(
        "Seeded {} certificates in {:.1} s: {} suspended, {} withdrawn, {} products with a \
         dependency, {} with a software list ({} versions matched against the advisory).",
        summary.certificates,
        started.elapsed().as_secs_f64(),
        summary.suspended,
        summary.withdrawn,
        summary.with_dependency,
        summary.with_sbom,
        summary.rematched_versions
    );
    println!("Their statements are queued for the transparency log; `keurmerk serve` logs them.");
    Ok(ExitCode::SUCCESS)
}

//! The settings of `keurmerk serve`: listen address, log key, rate limits and webhooks, as
//! clap arguments and resolved.

use std::net::SocketAddr;

use anyhow::{bail, Result};
use clap::Args;

use super::{by_key, WebhookSettings};

/// A boolean flag that also takes an explicit value: `--flag`, `--flag true`, `--flag false`.
fn boolish() -> clap::builder::BoolishValueParser {
    clap::builder::BoolishValueParser::new()
}

#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Deliver webhooks.
    #[arg(long = "webhooks-enabled", env = "KEURMERK_WEBHOOKS_ENABLED", value_name = "BOOL",
        value_parser = boolish(), num_args = 0..=1, default_missing_value = "true",
        default_value_t = WebhookSettings::default().enabled)]
    pub webhooks_enabled: bool,
    /// Deliveries of one event before it is given up.
    #[arg(long, env = "KEURMERK_WEBHOOK_MAX_ATTEMPTS", value_name = "N",
        default_value_t = WebhookSettings::default().max_attempts)]
    pub webhook_max_attempts: u32,
    /// First retry delay in seconds; doubled per attempt.
    #[arg(long, env = "KEURMERK_WEBHOOK_BACKOFF_BASE_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().backoff_base_secs)]
    pub webhook_backoff_base_secs: u64,
    /// Largest retry delay in seconds.
    #[arg(long, env = "KEURMERK_WEBHOOK_BACKOFF_MAX_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().backoff_max_secs)]
    pub webhook_backoff_max_secs: u64,
    /// Timeout of one delivery request in seconds.
    #[arg(long, env = "KEURMERK_WEBHOOK_TIMEOUT_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().timeout_secs)]
    pub webhook_timeout_secs: u64,
    /// Allow webhook targets on loopback, private or link-local addresses.
    #[arg(long, env = "KEURMERK_WEBHOOK_ALLOW_PRIVATE_TARGETS", value_name = "BOOL",
        value_parser = boolish(), num_args = 0..=1, default_missing_value = "true",
        default_value_t = WebhookSettings::default().allow_private_targets)]
    pub webhook_allow_private_targets: bool,
}

/// The settings of `keurmerk serve`, also accepted by `keurmerk config show` so it can show
/// what `serve` would use with the same flags.
#[derive(Debug, Clone, Args)]
pub struct ServeSettingsArgs {
    /// Address to listen on.
    #[arg(long, env = "KEURMERK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The transparency log's key.
    #[command(flatten)]
    pub log: crate::cmd::log::LogKeyArgs,
    /// API writes per token (or client address) per minute.
    #[arg(long, env = "KEURMERK_WRITES_PER_MINUTE", value_name = "N",
        default_value_t = keurmerk_server::Limits::default().writes_per_minute)]
    pub writes_per_minute: u32,
    /// Complaints per client address per hour.
    #[arg(long, env = "KEURMERK_COMPLAINTS_PER_HOUR", value_name = "N",
        default_value_t = keurmerk_server::Limits::default().complaints_per_hour)]
    pub complaints_per_hour: u32,
    /// Seconds a client has to send a request's header, from connecting or from the previous
    /// response (so also the idle keep-alive timeout).
    #[arg(long, env = "KEURMERK_HEADER_READ_TIMEOUT_SECS", value_name = "SECS",
        default_value_t = keurmerk_server::ServeLimits::default().header_read_timeout.as_secs())]
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, env = "KEURMERK_BODY_READ_TIMEOUT_SECS", value_name = "SECS",
        default_value_t = keurmerk_server::ServeLimits::default().body_read_timeout.as_secs())]
    pub body_read_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted. Fewer when the open-files limit
    /// (RLIMIT_NOFILE) cannot be raised to this + 256.
    #[arg(long, env = "KEURMERK_MAX_CONNECTIONS", value_name = "N",
        default_value_t = keurmerk_server::ServeLimits::default().max_connections as u64)]
    pub max_connections: u64,
    /// PostgreSQL connections for requests (the background work opens 4 more of its own, and
    /// reading the search's words 1); refused at start when PostgreSQL's limits never allow
    /// them all. SQLite ignores it.
    #[arg(long, env = "KEURMERK_DATABASE_CONNECTIONS", value_name = "N",
        default_value_t = keurmerk_store::POSTGRES_CONNECTIONS)]
    pub database_connections: u32,
    /// Seconds a request waits for a database connection (every one in use, or the database
    /// refusing new ones), and on SQLite for the write lock (as long for this process's earlier
    /// writes and again for another process's), before it is answered 503 with Retry-After.
    #[arg(long, env = "KEURMERK_DATABASE_WAIT_SECS", value_name = "SECS",
        default_value_t = keurmerk_store::DATABASE_WAIT.as_secs())]
    pub database_wait_secs: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "KEURMERK_SHUTDOWN_GRACE_SECS", value_name = "SECS",
        default_value_t = keurmerk_server::ServeLimits::default().shutdown_grace.as_secs())]
    pub shutdown_grace_secs: u64,
    /// Seconds between two passes of the policy scheduler (it also runs once at start).
    #[arg(long, env = "KEURMERK_SCHEDULER_INTERVAL_SECS", value_name = "SECS",
        default_value_t = DEFAULT_SCHEDULER_INTERVAL_SECS)]
    pub scheduler_interval_secs: u64,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// How often the policy scheduler runs by default: suspensions, withdrawals and expiries are
/// date-based, so an hour is soon enough, and a pass with nothing due is cheap.
pub const DEFAULT_SCHEDULER_INTERVAL_SECS: u64 = 3600;

/// What `keurmerk serve` runs with, every value resolved from all layers and checked.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub addr: SocketAddr,
    pub log: crate::cmd::log::LogKeyArgs,
    pub limits: keurmerk_server::Limits,
    /// The listener's bounds.
    pub listen: keurmerk_server::ServeLimits,
    /// For the webhook delivery worker (not wired yet).
    pub webhooks: WebhookSettings,
    /// Time between two scheduler passes.
    pub scheduler_interval: std::time::Duration,
    /// The pool for requests: its connections on PostgreSQL, and how long a request waits for
    /// one.
    pub database: keurmerk_store::PoolSettings,
}

impl ServeSettingsArgs {
    /// The checked settings. Zero rates would silently become one in the rate limiter, and a
    /// backoff whose base exceeds its maximum is a typo, so both are refused here, naming the
    /// setting in all its spellings.
    pub fn resolve(&self) -> Result<ServeSettings> {
        let limits = keurmerk_server::Limits {
            writes_per_minute: self.writes_per_minute,
            complaints_per_hour: self.complaints_per_hour,
        };
        let w = &self.webhooks;
        let webhooks = WebhookSettings {
            enabled: w.webhooks_enabled,
            max_attempts: w.webhook_max_attempts,
            backoff_base_secs: w.webhook_backoff_base_secs,
            backoff_max_secs: w.webhook_backoff_max_secs,
            timeout_secs: w.webhook_timeout_secs,
            allow_private_targets: w.webhook_allow_private_targets,
        };
        check_settings(&limits, &webhooks)?;
        for (key, value) in [
            (
                "serve.header_read_timeout_secs",
                self.header_read_timeout_secs,
            ),
            ("serve.body_read_timeout_secs", self.body_read_timeout_secs),
            ("serve.max_connections", self.max_connections),
            (
                "serve.database_connections",
                u64::from(self.database_connections),
            ),
            ("serve.database_wait_secs", self.database_wait_secs),
            ("serve.shutdown_grace_secs", self.shutdown_grace_secs),
            (
                "serve.scheduler_interval_secs",
                self.scheduler_interval_secs,
            ),
        ] {
            if value == 0 {
                bail!("{} must be at least 1, got 0", by_key(key)?.names());
            }
        }
        let secs = std::time::Duration::from_secs;
        let listen = keurmerk_server::ServeLimits {
            header_read_timeout: secs(self.header_read_timeout_secs),
            body_read_timeout: secs(self.body_read_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            shutdown_grace: secs(self.shutdown_grace_secs),
        };
        Ok(ServeSettings {
            addr: self.addr,
            log: self.log.clone(),
            limits,
            listen,
            webhooks,
            scheduler_interval: secs(self.scheduler_interval_secs),
            database: keurmerk_store::PoolSettings {
                connections: self.database_connections,
                wait: secs(self.database_wait_secs),
            },
        })
    }
}

fn check_settings(limits: &keurmerk_server::Limits, w: &WebhookSettings) -> Result<()> {
    let at_least_one = [
        (
            "serve.writes_per_minute",
            u64::from(limits.writes_per_minute),
        ),
        (
            "serve.complaints_per_hour",
            u64::from(limits.complaints_per_hour),
        ),
        ("webhooks.max_attempts", u64::from(w.max_attempts)),
        ("webhooks.timeout_secs", w.timeout_secs),
    ];
    for (key, value) in at_least_one {
        if value == 0 {
            bail!("{} must be at least 1, got 0", by_key(key)?.names());
        }
    }
    if w.backoff_base_secs > w.backoff_max_secs {
        bail!(
            "{} ({}) must not exceed {} ({})",
            by_key("webhooks.backoff_base_secs")?.names(),
            w.backoff_base_secs,
            by_key("webhooks.backoff_max_secs")?.names(),
            w.backoff_max_secs
        );
    }
    Ok(())
}

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use keurmerk_server::AppState;
use keurmerk_store::OrgStore;
use keurmerk_transparency::{LogState, Sequencer, SequencerConfig};

use crate::config::{LogFormat, ServeSettings, ServeSettingsArgs};
use crate::Cli;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seed the demo registry first if the database is empty.
    #[arg(long)]
    pub demo: bool,
    /// Address, log key, limits and webhook settings (also settable in the config file).
    #[command(flatten)]
    pub settings: ServeSettingsArgs,
}

pub async fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let settings = args.settings.resolve()?;
    serve(cli, args.demo, settings).await
}

async fn serve(cli: &Cli, demo: bool, settings: ServeSettings) -> Result<ExitCode> {
    let ServeSettings {
        addr,
        log,
        limits,
        listen,
        webhooks,
        scheduler_interval,
        database: pool,
    } = settings;
    let webhooks = webhook_config(&webhooks);
    let ctx = super::open_with(cli, pool).await?;
    check_connection_room(ctx.registry.store(), pool.connections).await?;
    // Every HTTP and PostgreSQL connection is an open file: fit them under the process's limit.
    let database = match ctx.registry.store().backend() {
        keurmerk_store::Backend::Postgres => connections_needed(pool.connections),
        keurmerk_store::Backend::Sqlite => 0,
    };
    let listen = keurmerk_server::ServeLimits {
        max_connections: super::files::fit_process(listen.max_connections, database)?,
        ..listen
    };
    if demo {
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
    let log_key = super::log::load_key(&log, addr)?;
    let store = ctx.registry.store().clone();
    // Registration checks webhook targets by the rule deliveries follow, under the same setting.
    let mut registry = ctx
        .registry
        .with_webhook_targets(keurmerk_service::WebhookTargets {
            allow_private: webhooks.allow_private_targets,
            resolve_timeout: webhooks.timeout,
        });
    if let Ok(signer) = registry.signer() {
        let signer = signer
            .clone()
            .with_log_verifier_key(log_key.log_verifier_key());
        registry = registry.with_signer(signer);
    }
    tracing::info!(origin = log_key.origin(), verifier_key = %log_key.log_verifier_key(),
        "transparency log");
    // Background work — the log sequencer every write waits for, and the outbox, scheduler and
    // status list that keep the public answers current — runs on a runtime of its own, on its own
    // thread, and on PostgreSQL on connections of its own: a flood of lookups neither keeps it
    // waiting for a connection nor queues it behind the requests' tasks on the request threads.
    let runtime = BackgroundRuntime::start()?;
    let background = {
        let store = store.clone();
        runtime
            .spawn(async move { store.with_own_pool(BACKGROUND_CONNECTIONS).await })
            .await
            .context("opening the background work's connections")?
            .context("opening the background work's connections")?
    };
    let sequencer = Sequencer::new(&background, log_key, SequencerConfig::default())
        .await
        .context("starting the transparency log sequencer")?;
    let sequencer_task = runtime.enter(|| sequencer.spawn());
    let registry = registry.with_log_waiter(Arc::new(super::log::SequencerWaiter(sequencer)));
    let state = AppState {
        registry: Arc::new(registry),
    };
    // `/metrics` shows the background work's own pool beside the requests' (PostgreSQL; on
    // SQLite it is the same store).
    let background_pool = (background.backend() == keurmerk_store::Backend::Postgres)
        .then(|| keurmerk_server::BackgroundPool(background.clone()));
    let worker = Arc::new(state.registry.with_store(background));
    // Webhook deliveries of watch-lists: queued with each event, sent (and retried) from here.
    let webhook_task = keurmerk_server::webhooks::spawn(state.clone(), webhooks);
    // The policy scheduler records what the scheme policies make due (expiry, end of support,
    // suspension for an overdue vulnerability, withdrawal when a suspension ends, revoked
    // assessment bodies) as events, so feeds and webhooks report them. One instance acts.
    let holder = scheduler_holder();
    let scheduler_task =
        runtime.enter(|| spawn_scheduler(worker.clone(), holder.clone(), scheduler_interval));
    let scheduler_registry = worker.clone();
    // The status list (issue 15 item 6): published again within STATUS_LIST_CHECK_SECS of a
    // status change and at least hourly, by one instance at a time.
    let status_list_task = runtime.enter(|| spawn_status_list(worker.clone(), holder.clone()));
    // Follow-up work recorded in the outbox (dependents of a changed certificate): completed
    // right after each write, and here for anything a crash or another instance left behind.
    let outbox_task = runtime.enter(|| spawn_outbox_worker(worker));
    // The log's routes under the registry's edge: counted in /metrics, with the headers every
    // answer carries, and the receipt (under /api/) with the API's envelope on its rejections.
    let mut app =
        keurmerk_server::router_serving(state, limits, super::log::routes(LogState::new(&store)));
    if let Some(pool) = background_pool {
        app = app.layer(axum::Extension(pool));
    }
    let served = async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr().unwrap_or(addr);
        // The banner is for people at a terminal; with JSON logs stderr stays machine-readable
        // and the `keurmerk listening` line carries the address.
        if cli.log_format == LogFormat::Text {
            // Not `eprintln!`: a closed stderr must not stop the server.
            let _ = writeln!(
                std::io::stderr(),
                "Keurmerk registry on http://{bound}/ (Ctrl-C to stop)"
            );
        }
        tracing::info!(addr = %bound, "keurmerk listening");
        keurmerk_server::serve_app_with(listener, app, listen).await
    }
    .await;
    sequencer_task.abort();
    webhook_task.abort();
    scheduler_task.abort();
    status_list_task.abort();
    outbox_task.abort();
    // Another instance takes over at once instead of when the lease runs out.
    if let Err(e) = scheduler_registry.release_scheduler(&holder).await {
        tracing::warn!(error = %e, "cannot release the scheduler lease");
    }
    drop(runtime);
    served.with_context(|| format!("serving on {}", addr))?;
    Ok(ExitCode::SUCCESS)
}

/// The runtime of `serve`'s background work: one worker thread of its own, which the operating
/// system schedules beside the request threads, so that work gets its share of the CPU however
/// many requests are queued. Shut down without waiting when dropped (also on an early return,
/// where dropping a runtime inside another one would panic).
struct BackgroundRuntime {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl BackgroundRuntime {
    fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("keurmerk-background")
            .enable_all()
            .build()
            .context("starting the background work's runtime")?;
        Ok(BackgroundRuntime {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    /// Runs `future` on the background runtime.
    fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Calls `f` with the background runtime current, so what it spawns runs there.
    fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        let _entered = self.handle.enter();
        f()
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Connections of the background work's own pool on PostgreSQL (`SqlStore::with_own_pool`):
/// the sequencer, outbox worker, scheduler and status list each hold at most one at a time.
const BACKGROUND_CONNECTIONS: u32 = 4;

/// The connection a reading of the search's words opens on PostgreSQL while it lasts
/// (`keurmerk_store`'s words in memory).
const WORDS_CONNECTIONS: u32 = 1;

/// The most PostgreSQL connections `serve` opens at once with a request pool of `pool`: the
/// pool's, the background work's and the one that reads the search's words.
fn connections_needed(pool: u32) -> u32 {
    pool.saturating_add(BACKGROUND_CONNECTIONS + WORDS_CONNECTIONS)
}

/// Refuses to start when PostgreSQL could never let this role hold every connection `serve`
/// would open with a request pool of `pool`, even with no other client; logs a warning when
/// others hold so many now that it could not open them all. On SQLite, nothing to check.
/// Without this, a pool larger than the database allows starts, and then fails requests with
/// "too many clients" at the first peak.
///
/// Limits it cannot read (a PostgreSQL-compatible server or a proxy that does not offer the
/// catalogues read) are not a reason to refuse: it says so in the log and starts unchecked.
async fn check_connection_room(store: &keurmerk_store::SqlStore, pool: u32) -> Result<()> {
    let room = match store.connection_room().await {
        Ok(room) => room,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "PostgreSQL's connection limits not read; \
                 serve.database_connections not checked against them"
            );
            return Ok(());
        }
    };
    if let Some(warning) = room
        .as_ref()
        .map(|room| judge_connection_room(pool, room))
        .transpose()?
        .flatten()
    {
        tracing::warn!("{warning}");
    }
    Ok(())
}

/// [`check_connection_room`]'s verdict on `room`: an error when the tightest limit allows
/// fewer connections than [`connections_needed`], a warning when the one with fewest free
/// connections now has fewer free than that.
fn judge_connection_room(
    pool: u32,
    room: &keurmerk_store::ConnectionRoom,
) -> Result<Option<String>> {
    let needed = connections_needed(pool);
    let names = || crate::config::by_key("serve.database_connections").map(|s| s.names());
    if let Some(tightest) = room.tightest().filter(|l| l.allows < needed) {
        anyhow::bail!(
            "{} is {pool}, so `serve` may open {needed} PostgreSQL connections ({pool} for \
             requests, {BACKGROUND_CONNECTIONS} for background work, {WORDS_CONNECTIONS} to read \
             the search's words), but {} allows this role only {} in this database: set it to \
             at most {}, or raise PostgreSQL's limit",
            names()?,
            tightest.name,
            tightest.allows,
            tightest
                .allows
                .saturating_sub(BACKGROUND_CONNECTIONS + WORDS_CONNECTIONS)
        );
    }
    Ok(room.fullest().filter(|l| l.free() < needed).map(|fullest| {
        format!(
            "PostgreSQL has room for {} more connections of this role under {} ({} allowed, {} \
             held by other clients now), and `serve` may open {needed} with \
             serve.database_connections = {pool}: requests will fail with \"too many clients\" \
             if others still hold theirs when it opens them all",
            fullest.free(),
            fullest.name,
            fullest.allows,
            fullest.held_by_others
        )
    }))
}

/// The delivery worker's settings from the resolved `[webhooks]` settings.
fn webhook_config(w: &crate::config::WebhookSettings) -> keurmerk_server::webhooks::WebhookConfig {
    use std::time::Duration;
    keurmerk_server::webhooks::WebhookConfig {
        enabled: w.enabled,
        retry: keurmerk_domain::watch::RetryPolicy {
            max_attempts: w.max_attempts,
            base: Duration::from_secs(w.backoff_base_secs),
            max: Duration::from_secs(w.backoff_max_secs),
        },
        timeout: Duration::from_secs(w.timeout_secs),
        allow_private_targets: w.allow_private_targets,
        ..keurmerk_server::webhooks::WebhookConfig::default()
    }
}

/// This process's name in the scheduler lease: host, process id and start time, so two
/// instances (even on one host) never share it.
fn scheduler_holder() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{host}/{}/{started}", std::process::id())
}

/// Runs a scheduler pass now and then every `interval`, while holding the scheduler lease
/// (kept for two intervals and a minute, so a stopped holder is replaced within that).
fn spawn_scheduler(
    registry: Arc<keurmerk_service::Registry<keurmerk_store::SqlStore>>,
    holder: String,
    interval: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    let lease = interval.saturating_mul(2) + std::time::Duration::from_secs(60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match registry.scheduler_pass(&holder, lease).await {
                Ok(r) if !r.ran => {
                    tracing::debug!("another instance holds the scheduler lease");
                }
                Ok(r) => {
                    tracing::info!(
                        examined = r.examined,
                        recorded = r.recorded.len(),
                        failed = r.failed.len(),
                        "scheduler pass"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "scheduler pass failed"),
            }
        }
    })
}

/// Publishes the status list when a status changed or the newest list is an hour old, checking
/// every [`keurmerk_service::STATUS_LIST_CHECK_SECS`] while holding the `status-list` lease (kept
/// for a minute past two checks, so a stopped publisher is replaced).
fn spawn_status_list(
    registry: Arc<keurmerk_service::Registry<keurmerk_store::SqlStore>>,
    holder: String,
) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_secs(keurmerk_service::STATUS_LIST_CHECK_SECS);
    let lease = every.saturating_mul(2) + std::time::Duration::from_secs(60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match registry.status_list_pass(&holder, lease).await {
                Ok(Some(p)) => {
                    tracing::info!(
                        sequence = p.sequence,
                        size = p.size,
                        "status list published"
                    );
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot publish the status list"),
            }
        }
    })
}

/// How often `serve` looks for follow-up work left in the outbox.
const OUTBOX_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Completes follow-up work waiting in the outbox now and then every [`OUTBOX_INTERVAL`].
fn spawn_outbox_worker(
    registry: Arc<keurmerk_service::Registry<keurmerk_store::SqlStore>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(OUTBOX_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match registry.complete_follow_ups().await {
                Ok(n) if n > 0 => tracing::info!(count = n, "completed follow-up work"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot complete follow-up work"),
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use keurmerk_store::{ConnectionLimit, ConnectionRoom};

    fn limit(name: &str, allows: u32, held_by_others: u32) -> ConnectionLimit {
        ConnectionLimit {
            name: name.to_owned(),
            allows,
            held_by_others,
        }
    }

    /// A pool the tightest limit could never hold is refused, naming the setting in all its
    /// spellings, the limit, what it allows and the largest pool that fits; one that fits
    /// exactly starts.
    #[test]
    fn a_pool_postgresql_never_allows_is_refused_at_start() {
        let room = ConnectionRoom {
            limits: vec![
                limit("the role's CONNECTION LIMIT", 20, 0),
                limit("max_connections", 100, 3),
            ],
        };
        let e = judge_connection_room(16, &room).unwrap_err().to_string();
        for part in [
            "serve.database_connections",
            "KEURMERK_DATABASE_CONNECTIONS",
            "--database-connections",
            "21 PostgreSQL connections",
            "the role's CONNECTION LIMIT allows this role only 20",
            "at most 15",
        ] {
            assert!(e.contains(part), "{part} missing from: {e}");
        }
        assert_eq!(judge_connection_room(15, &room).unwrap(), None);
        // The largest setting does not overflow the count.
        assert!(judge_connection_room(u32::MAX, &room).is_err());
    }

    /// A pool that fits but not beside what others hold now starts with a warning naming the
    /// limit with fewest free connections, not the tightest one.
    #[test]
    fn a_pool_others_crowd_out_starts_with_a_warning() {
        let room = ConnectionRoom {
            limits: vec![
                limit("the role's CONNECTION LIMIT", 50, 0),
                limit("max_connections", 100, 90),
            ],
        };
        let w = judge_connection_room(16, &room).unwrap().unwrap();
        assert!(
            w.contains("room for 10 more") && w.contains("under max_connections"),
            "{w}"
        );
        assert!(
            w.contains("90 held by other clients") && w.contains("may open 21"),
            "{w}"
        );
        assert_eq!(judge_connection_room(5, &room).unwrap(), None);
    }
}

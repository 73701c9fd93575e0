//! The SQL implementation over sqlx's `Any` driver (SQLite and PostgreSQL).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::codec::{json, ts};
use crate::traits::Audit;
use crate::{Result, StoreError};

mod api;
mod assessments;
mod bulk;
mod certificates;
mod cra;
mod idempotency;
mod images;
mod keys;
mod label_status;
mod orgs;
mod outbox;
mod point;
mod products;
mod room;
mod schedule;
mod search;
mod search_check;
mod sessions;
mod statuslist;
mod vuln;
mod watch;
mod words;

pub use room::{ConnectionLimit, ConnectionRoom, PoolUse};

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (one file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; serialising writers here avoids `SQLITE_BUSY` on lock upgrades.
    write_lock: Option<Arc<Mutex<()>>>,
    /// How long a statement waits for the database: for a connection of the pool, and on SQLite
    /// for this process's earlier writes ([`SqlStore::write`]) and, as the busy timeout, for
    /// another process's.
    wait: Duration,
    /// SQLite on a file: point reads on the caller's thread (ADR 0020).
    point: Option<Arc<point::PointReader>>,
    /// PostgreSQL search: how many of the newest documents are tested one by one before the
    /// matches are taken from the index (`sql::search`).
    pub(crate) search_window: i64,
    /// PostgreSQL: the search's words in memory (`sql::words`; on SQLite the point reader's),
    /// and the schema its reading connects in.
    pg_words: Option<(Arc<words::Words>, Option<Arc<str>>)>,
}

/// PostgreSQL advisory lock key ("KMEV") every write transaction holds shared and the status
/// list's watermark takes exclusively (`SqlStore::write`).
pub(crate) const EVENT_APPEND_LOCK: i64 = 0x4B4D_4556;

/// How a PostgreSQL write transaction begins: with the event-append lock shared, in one simple
/// query (its number is [`EVENT_APPEND_LOCK`]'s; a unit test checks they agree).
const POSTGRES_WRITE_BEGIN: &str = "BEGIN; SELECT pg_advisory_xact_lock_shared(1263355222)";

/// How long a pooled connection may have been idle before it is pinged when handed out: one
/// used within the last second is handed out as it is, as pools commonly do (HikariCP skips its
/// check for a connection used within the last 500 ms). A ping on every checkout was a round trip
/// to the database before every statement, the pool's costliest part of `serve` under load. A
/// connection that broke while it was idle for less than this (the database restarted) fails the
/// one statement it is handed out for, with an error, never a wrong answer; sqlx's ping when it
/// is returned then finds it broken and closes it, so the next checkout gets a working one.
pub(crate) const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// A write transaction (holding the SQLite writer lock when on SQLite).
pub(crate) struct WriteTx<'a> {
    pub tx: Transaction<'static, Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    /// Commits. Inside a request with an `Idempotency-Key` (see [`crate::idempotency`]) the
    /// request's first committed transaction also records the key, so a retry cannot write again.
    pub async fn commit(mut self) -> Result<()> {
        let request = crate::idempotency::current().filter(|r| !r.recorded());
        if let Some(r) = &request {
            idempotency::record_key(&mut self.tx, r).await?;
        }
        self.tx.commit().await?;
        if let Some(r) = request {
            r.mark_recorded();
        }
        Ok(())
    }

    /// Commits a step that only prepares a request's write — a number taken from a counter,
    /// content stored under its digest before the event that names it — without recording the
    /// request's `Idempotency-Key`. Were the key recorded here, a crash between this step and
    /// the write itself would leave the key proving a write that never happened, and the retry
    /// would be told `committed: true`. Unrecorded, the retry runs the whole request again: a
    /// gap in the numbers or an orphan row, never an acknowledged write that is not there.
    pub async fn commit_unrecorded(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

pub(crate) fn normalise_url(url: &str) -> Result<(String, Backend)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), Backend::Postgres));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    } else {
        url
    };
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    let with_mode = if path.contains("mode=") {
        path.to_owned()
    } else {
        format!("{path}{sep}mode=rwc")
    };
    Ok((format!("sqlite://{with_mode}"), Backend::Sqlite))
}

/// The connections of a PostgreSQL store's pool unless its opener says otherwise
/// ([`SqlStore::connect_with_pool`]; `keurmerk serve`'s `serve.database_connections`).
pub const POSTGRES_CONNECTIONS: u32 = 16;

/// How long a statement waits for a connection of the pool by default (`serve.database_wait_secs`)
/// before it fails as unavailable ([`crate::StoreError::is_unavailable`]): every connection in
/// use, or the database refusing new ones (which the pool retries meanwhile).
pub const DATABASE_WAIT: Duration = Duration::from_secs(10);

/// The `Retry-After` (seconds) of an answer given while the database cannot be used
/// ([`crate::StoreError::is_unavailable`]), by the registry's API and pages and by the
/// transparency log's routes alike: long enough not to add a flood of retries to a database at
/// its connection limit, short enough for a person holding a phone to try again.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

/// The pool a store opens: at most `connections` on PostgreSQL (0 is taken as 1; SQLite's pool
/// keeps its 4), and how long a statement waits for one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections of the pool on PostgreSQL.
    pub connections: u32,
    /// How long a statement waits for a connection before it fails as unavailable.
    pub wait: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            connections: POSTGRES_CONNECTIONS,
            wait: DATABASE_WAIT,
        }
    }
}

impl SqlStore {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite:PATH`, a bare file
    /// path, or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_in_schema(url, None).await
    }

    /// Like [`connect`](Self::connect), but on PostgreSQL uses (and creates) its own schema, so
    /// tests and tenants are isolated.
    pub async fn connect_in_schema(url: &str, schema: Option<&str>) -> Result<Self> {
        Self::connect_with_pool(url, schema, PoolSettings::default()).await
    }

    /// [`connect_in_schema`](Self::connect_in_schema) with the pool `pool` describes instead of
    /// the default one: at most `pool.connections` connections on PostgreSQL, which every read
    /// and write through this store shares (SQLite's pool keeps its 4: its point reads hold no
    /// pool connection and its writers are serialised in the process anyway), and a wait of
    /// `pool.wait` for one.
    pub async fn connect_with_pool(
        url: &str,
        schema: Option<&str>,
        pool: PoolSettings,
    ) -> Result<Self> {
        let PoolSettings { connections, wait } = pool;
        sqlx::any::install_default_drivers();
        let (url, backend) = normalise_url(url)?;
        let options = AnyConnectOptions::from_str(&url)?;
        let point = match backend {
            Backend::Sqlite => point::PointReader::for_url(&url).map(Arc::new),
            Backend::Postgres => None,
        };
        if let (Backend::Postgres, Some(schema)) = (backend, schema) {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::UnsupportedUrl(format!("schema {schema}")));
            }
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            pool.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                .await?;
            pool.close().await;
        }
        let pg_words =
            (backend == Backend::Postgres).then(|| (Arc::default(), schema.map(Arc::<str>::from)));
        let schema = schema.map(str::to_owned);
        let max = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => connections.max(1),
        };
        // SQLite's busy timeout: how long a statement waits for another connection's lock.
        let busy_ms = wait.as_millis().clamp(1, u128::from(u32::MAX));
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(wait)
            // sqlx pings every idle connection it hands out by default: a round trip before each
            // statement (and it pings again on each return). Only one idle for longer than
            // `PING_IDLE_AFTER` is pinged first; see there.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            // WAL for concurrent readers; FULL sync so an acknowledged write
                            // survives a crash or power loss (SPEC §10).
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str())
                                .await?;
                        }
                        Backend::Postgres => {
                            if let Some(s) = schema {
                                conn.execute(format!("SET search_path TO {s}").as_str())
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            wait,
            point,
            search_window: search::RECENT_DOCUMENTS,
            pg_words,
        })
    }

    /// A store over an open pool that is not migrated (see [`crate::backup`]).
    pub(crate) fn from_pool(pool: AnyPool, backend: Backend) -> Self {
        Self {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            wait: DATABASE_WAIT,
            point: None,
            search_window: search::RECENT_DOCUMENTS,
            pg_words: None,
        }
    }

    /// The same store with another PostgreSQL search window (the newest documents tested one by
    /// one before the index is asked; 4,096 by default). For tests that
    /// take both paths with a handful of labels; results are the same for every window.
    #[doc(hidden)]
    pub fn with_search_window(mut self, documents: i64) -> Self {
        self.search_window = documents.max(0);
        self
    }

    /// The same store over a connection pool of its own of at most `max` connections, with the
    /// same connection settings (PostgreSQL): work on it never waits for a connection behind the
    /// callers of the other pool. `keurmerk serve` runs its background work (log sequencer,
    /// outbox, scheduler, status list) on one, so the work that keeps the public answers current
    /// never waits for a connection behind a flood of public lookups (it still shares the CPU
    /// with them: `docs/OPERATIONS.md`). On SQLite the same store: its point reads hold no pool
    /// connection and its writers are serialised in the process anyway.
    pub async fn with_own_pool(&self, max: u32) -> Result<Self> {
        if self.backend == Backend::Sqlite {
            return Ok(self.clone());
        }
        let options = (*self.pool.connect_options()).clone();
        let pool = self
            .pool
            .options()
            .clone()
            .max_connections(max.max(1))
            // The background work waits as long as ever, whatever requests are set to.
            .acquire_timeout(DATABASE_WAIT)
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            wait: DATABASE_WAIT,
            ..self.clone()
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for crates that add their own tables (log, monitoring).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it waits at most the store's wait for this
    /// process's earlier writes, then at most as long again (the busy timeout) for another
    /// process's, and fails as unavailable ([`crate::StoreError::is_unavailable`]) when either
    /// runs out: never once for every write queued ahead of it.
    pub(crate) async fn write(&self) -> Result<WriteTx<'_>> {
        let guard = self.write_turn().await?;
        // On SQLite the transaction takes the database's write lock at once (waiting up to the
        // busy timeout), so a write that reads first cannot fail with BUSY when another
        // connection (the log sequencer, another process) commits between its read and its write.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            // The event-append lock, held shared until the transaction ends and taken before
            // anything else (so a write waiting for it holds no row another write could wait
            // for), in the message that begins the transaction (no round trip of its own): the
            // status list's watermark takes it exclusively, so no event can take a number below
            // the watermark and commit after it was read (`StatusListStore::status_watermark`).
            Backend::Postgres => self.pool.begin_with(POSTGRES_WRITE_BEGIN).await?,
        };
        Ok(WriteTx { tx, _guard: guard })
    }

    /// SQLite: this process's turn to write, waited for at most the store's wait. Without the
    /// bound, when another process held SQLite's lock past the busy timeout, each write queued
    /// here waited for every one ahead of it to time out first: the `n`-th, `n` busy timeouts.
    /// PostgreSQL: no turn (its writers do not queue here).
    pub(crate) async fn write_turn(&self) -> Result<Option<MutexGuard<'_, ()>>> {
        let Some(lock) = &self.write_lock else {
            return Ok(None);
        };
        match tokio::time::timeout(self.wait, lock.lock()).await {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "earlier writes of this process held SQLite's write lock for {} ms",
                self.wait.as_millis()
            ))),
        }
    }

    /// Closes the store: waits for every read of the database under way (on SQLite, the point
    /// reader's searches, scans and readings of the words, each on a thread of its own; on
    /// PostgreSQL, a reading of the words on its own connection), then closes every connection.
    /// When it returns, this store holds the database open nowhere (a backup may move or
    /// remove the file; a schema or database can be dropped without waiting for it), and a
    /// read after it fails.
    pub async fn close(&self) {
        if let Some(point) = &self.point {
            point.close().await;
        }
        if let Some((words, _)) = &self.pg_words {
            words.close().await;
        }
        self.pool.close().await;
    }
}

/// Writes an audit record inside a transaction.
pub(crate) async fn write_audit(tx: &mut Transaction<'static, Any>, audit: &Audit) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, credential, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ts(audit.at))
    // No organisation (an anonymous visitor) is stored as the empty string: never an org id.
    .bind(audit.actor.as_ref().map_or("", |o| o.as_str()).to_owned())
    .bind(audit.credential.to_string())
    .bind(audit.action.clone())
    .bind(audit.subject.clone())
    .bind(json(&audit.detail)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Maps a unique-key violation to [`StoreError::AlreadyExists`].
pub(crate) fn unique(what: &'static str, id: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let id = id.to_owned();
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::AlreadyExists { what, id }
        }
        _ => StoreError::Database(e),
    }
}

/// A one-connection pool on a new SQLite file in `dir` with SQLite's migrations before
/// `version` run, for a test of migration `version` on rows stored before it.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) async fn test_sqlite_pool_before(dir: &std::path::Path, version: i64) -> sqlx::AnyPool {
    let pool = test_sqlite_pool(dir).await;
    migrations_before(&SQLITE_MIGRATIONS, version)
        .run(&pool)
        .await
        .unwrap();
    pool
}

/// `all`'s migrations before `version` (tests of migration `version` on rows stored before it).
#[cfg(test)]
pub(crate) fn migrations_before(all: &Migrator, version: i64) -> Migrator {
    Migrator {
        migrations: std::borrow::Cow::Owned(
            all.iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

/// A one-connection pool on a new SQLite file in `dir`, no migration run (tests of single
/// statements and of migrations).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) async fn test_sqlite_pool(dir: &std::path::Path) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store on PostgreSQL in a schema of its own (the caller drops it), when
    /// `KEURMERK_TEST_POSTGRES` says where; `None`, saying so, when it does not.
    #[allow(clippy::unwrap_used)]
    async fn on_postgres() -> Option<(SqlStore, String)> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let store = SqlStore::connect_in_schema(&url, Some(&schema))
            .await
            .unwrap();
        Some((store, schema))
    }

    /// On PostgreSQL a write transaction holds the event-append lock shared from the message
    /// that began it (the status list's watermark waits for it), under the key the watermark
    /// takes; on SQLite there is none to hold.
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_postgresql_write_holds_the_event_append_lock_shared() {
        assert!(POSTGRES_WRITE_BEGIN.ends_with(&format!("({EVENT_APPEND_LOCK})")));
        let Some((store, schema)) = on_postgres().await else {
            return;
        };
        let mut w = store.write().await.unwrap();
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() \
             AND locktype = 'advisory' AND classid = 0 AND objid = $1 AND mode = 'ShareLock' \
             AND granted",
        )
        .bind(EVENT_APPEND_LOCK)
        .fetch_one(&mut *w.tx)
        .await
        .unwrap();
        assert_eq!(held, 1);
        w.commit_unrecorded().await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    }

    /// Descriptors of this process open on `path` or its `-wal` and `-shm` files (Linux).
    fn open_on(path: &std::path::Path) -> usize {
        let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
            return 0;
        };
        let stem = path.to_string_lossy().into_owned();
        fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with(&stem))
            .count()
    }

    /// `close` waits for every read of the file under way (here a turn held as a search's
    /// thread holds one), and when it returns no connection of the store, pooled or the point
    /// reader's, has the file open; a read after it fails instead of opening the file again.
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn close_waits_for_the_readers_and_leaves_the_file_open_nowhere() {
        use crate::search::{LabelSearch, SearchStore};
        use crate::traits::CertificateStore;
        use keurmerk_domain::ids::CertificateId;
        if !std::path::Path::new("/proc/self/fd").exists() {
            eprintln!("skipped: no /proc/self/fd to count open files");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqlStore::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        let id: CertificateId = "KM-2026-000001".parse().unwrap();
        // A point read and a search (each on the point reader) leave connections open.
        assert!(store.certificate(&id).await.unwrap().is_none());
        store
            .search_labels(&LabelSearch {
                terms: vec!["camera".into()],
                limit: 20,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(open_on(&path) > 0, "the store has the file open");
        let point = store.point.clone().unwrap();
        let reading = point.turn().unwrap();
        let closing = tokio::spawn(async move {
            store.close().await;
            store
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !closing.is_finished(),
            "close returned while a read was under way"
        );
        // While it waits, no new read takes a turn.
        assert!(point.turn().is_none());
        drop(reading);
        let store = closing.await.unwrap();
        drop(point);
        assert_eq!(open_on(&path), 0, "a connection still has the file open");
        assert!(store.certificate(&id).await.is_err(), "a read after close");
        assert_eq!(open_on(&path), 0, "a read after close opened the file");
    }

    /// A pooled connection idle for longer than [`PING_IDLE_AFTER`] is pinged before it is handed
    /// out, so one whose server process ended meanwhile is replaced, not used; one used within
    /// that time is handed out without a round trip, so it fails the one statement it is given
    /// and is then replaced.
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_connection_is_pinged_only_after_it_idled_on_postgres() {
        let Some((store, schema)) = on_postgres().await else {
            return;
        };
        let one = store.with_own_pool(1).await.unwrap();
        let pid = || async {
            sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
                .fetch_one(one.pool())
                .await
        };
        // Ends a connection's server process and waits until it is gone.
        let end = |pid: i32| {
            let admin = store.pool().clone();
            async move {
                let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
                    .bind(pid)
                    .fetch_one(&admin)
                    .await
                    .unwrap();
                assert!(ended);
                for _ in 0..500 {
                    let left: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1")
                            .bind(pid)
                            .fetch_one(&admin)
                            .await
                            .unwrap();
                    if left == 0 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("process {pid} did not end");
            }
        };
        // Back in the pool (sqlx returns a connection, with a ping, on a task of its own).
        let idle = || async {
            while one.pool().num_idle() < 1 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let first = pid().await.unwrap();
        idle().await;
        end(first).await;
        tokio::time::sleep(PING_IDLE_AFTER + Duration::from_millis(300)).await;
        let mut used = pid().await.unwrap();
        assert_ne!(used, first, "the idle connection was pinged and replaced");
        // A connection used just now is handed out without a ping, and fails its one statement.
        // Asked again when ending its process took so long (a loaded machine) that it may have
        // idled for the ping's second: `since` is before it was last used.
        let mut failed = false;
        for _ in 0..5 {
            let since = std::time::Instant::now();
            used = pid().await.unwrap();
            idle().await;
            end(used).await;
            let answer = pid().await;
            if since.elapsed() < PING_IDLE_AFTER {
                assert!(answer.is_err(), "a connection just used is not pinged");
                failed = true;
                break;
            }
        }
        assert!(failed, "never asked within a second of the last use");
        let next = pid().await.unwrap();
        assert!(next != first && next != used, "the broken one was closed");
        one.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("keurmerk.db").unwrap(),
            ("sqlite://keurmerk.db?mode=rwc".into(), Backend::Sqlite)
        );
        assert_eq!(
            normalise_url("sqlite:/tmp/x.db").unwrap().0,
            "sqlite:///tmp/x.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://a.db?mode=ro").unwrap().0,
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().1,
            Backend::Postgres
        );
        assert!(normalise_url("mysql://x").is_err());
        assert!(normalise_url("sqlite:").is_err());
    }
}

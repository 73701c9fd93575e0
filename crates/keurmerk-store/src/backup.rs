//! Backups of a SQLite registry and read-only access to a copy (`keurmerk backup`,
//! `keurmerk restore --check`).
//!
//! [`SqlStore::vacuum_into`] writes a consistent copy of a live SQLite database with
//! `VACUUM INTO`: it reads inside one read transaction, so with WAL (which [`SqlStore::connect`]
//! sets) it sees one committed state and neither blocks nor is blocked by the writers of a
//! running `keurmerk serve`. The copy is a single file in rollback-journal mode (no `-wal`).
//!
//! [`SqlStore::open_read_only`] opens a copy without migrating it and without writing to it: a
//! SQLite file must carry the SQLite header, pass `PRAGMA integrity_check` and have exactly the
//! migrations this build has; a PostgreSQL database is read in read-only transactions.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _, Row as _};

use crate::sql::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::{Backend, SqlStore, StoreError};

/// Why a copy cannot be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The file is missing, empty or not a SQLite database at all.
    #[error("{path} is not a SQLite database: {detail}")]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// The file is a SQLite database, but damaged (truncated, garbled pages).
    #[error("{path} is damaged: {}", problems.join("; "))]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What SQLite's integrity check (or the first read) reports, at most 10 lines.
        problems: Vec<String>,
    },
    /// The database's migrations are not the ones this build has.
    #[error("{0}")]
    Schema(String),
    /// The operation needs SQLite.
    #[error("{0} works on SQLite only")]
    SqliteOnly(&'static str),
    /// A database error.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Store(StoreError::Database(e))
    }
}

/// What a registry database holds, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Contents {
    /// Organisations.
    pub organisations: u64,
    /// Products.
    pub products: u64,
    /// Certificates.
    pub certificates: u64,
    /// Certificate events.
    pub events: u64,
    /// Signed statements waiting in `log_queue` for the transparency log.
    pub statements_queued: u64,
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// At most this many lines of `PRAGMA integrity_check` are reported.
const MAX_PROBLEMS: i64 = 10;

/// Whether `path` starts with the SQLite header; a clear error for a missing, empty, truncated
/// or garbled file.
pub fn check_sqlite_header(path: &Path) -> Result<(), BackupError> {
    let not_db = |detail: String| BackupError::NotADatabase {
        path: path.to_owned(),
        detail,
    };
    let mut file = std::fs::File::open(path).map_err(|e| not_db(e.to_string()))?;
    let mut head = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| not_db(e.to_string()))?;
    if head.is_empty() {
        return Err(not_db("the file is empty".into()));
    }
    if head != SQLITE_HEADER {
        return Err(not_db("it does not start with the SQLite header".into()));
    }
    Ok(())
}

/// A `sqlite://` URL for `path` with `params`; `%`, `?` and `#` in the path are escaped (sqlx
/// percent-decodes the path).
fn sqlite_url(path: &Path, params: &str) -> String {
    let mut p = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => p.push_str("%25"),
            '?' => p.push_str("%3F"),
            '#' => p.push_str("%23"),
            c => p.push(c),
        }
    }
    format!("sqlite://{p}?{params}")
}

/// The file path of a `sqlite:PATH` / `sqlite://PATH` URL or a bare path; `None` for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    Some(PathBuf::from(path))
}

impl SqlStore {
    /// Opens an existing database read-only, without migrating it: `sqlite:PATH` (or a bare
    /// path) or `postgres://…`. A SQLite file is integrity-checked first. Either way its applied
    /// migrations must be exactly this build's, else [`BackupError::Schema`] says which differ.
    pub async fn open_read_only(url: &str) -> Result<SqlStore, BackupError> {
        sqlx::any::install_default_drivers();
        match sqlite_path(url) {
            Some(path) => open_sqlite_read_only(&path).await,
            None => {
                let options = AnyConnectOptions::from_str(url).map_err(StoreError::Database)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("SET default_transaction_read_only = on")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                check_migrations(&pool, Backend::Postgres).await?;
                Ok(SqlStore::from_pool(pool, Backend::Postgres))
            }
        }
    }

    /// Writes a consistent copy of this SQLite database to `path`, which must not exist (or be
    /// empty). Safe while other connections and processes write.
    pub async fn vacuum_into(&self, path: &Path) -> Result<(), BackupError> {
        if self.backend() != Backend::Sqlite {
            return Err(BackupError::SqliteOnly("VACUUM INTO"));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// What the database holds, counted.
    pub async fn contents(&self) -> Result<Contents, StoreError> {
        let count = |table: &'static str| {
            let pool = self.pool().clone();
            async move {
                let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await?;
                u64::try_from(n).map_err(|_| StoreError::Corrupt {
                    what: "row count",
                    detail: format!("{table}: {n}"),
                })
            }
        };
        Ok(Contents {
            organisations: count("organisations").await?,
            products: count("products").await?,
            certificates: count("certificates").await?,
            events: count("events").await?,
            statements_queued: count("log_queue").await?,
        })
    }
}

/// Copies the SQLite database `source` to `to` (which must not exist, or be empty) as SQLite
/// reads it: with the transactions committed to its `-wal` that no checkpoint has yet moved into
/// the file (a registry left by a crashed or killed `keurmerk serve`, or still open elsewhere).
/// A plain file copy would leave them behind, and a check of `source` would then pass on data the
/// copy does not hold. `source` is opened read-only and never changed; the copy is one file in
/// rollback-journal mode.
pub async fn copy_sqlite_file(source: &Path, to: &Path) -> Result<(), BackupError> {
    sqlx::any::install_default_drivers();
    // Not `query_only`: SQLite refuses VACUUM INTO under it, though the source is only read.
    let pool = read_only_pool(source, 1, false).await?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(to.to_string_lossy().into_owned())
        .execute(&pool)
        .await
        .map_err(|e| classify(source, e));
    pool.close().await;
    copied.map(|_| ())
}

/// Checks a SQLite file without changing it: its header, then `PRAGMA integrity_check`.
pub async fn check_sqlite_file(path: &Path) -> Result<(), BackupError> {
    sqlx::any::install_default_drivers();
    integrity_checked(path).await?.close().await;
    Ok(())
}

async fn open_sqlite_read_only(path: &Path) -> Result<SqlStore, BackupError> {
    let pool = integrity_checked(path).await?;
    if let Err(e) = check_migrations(&pool, Backend::Sqlite).await {
        pool.close().await;
        return Err(e);
    }
    Ok(SqlStore::from_pool(pool, Backend::Sqlite))
}

/// A read-only pool over a SQLite file that has the header and passes `PRAGMA integrity_check`.
async fn integrity_checked(path: &Path) -> Result<AnyPool, BackupError> {
    let pool = read_only_pool(path, 4, true).await?;
    let rows = sqlx::query(&format!("PRAGMA integrity_check({MAX_PROBLEMS})"))
        .fetch_all(&pool)
        .await
        .map_err(|e| classify(path, e))?;
    let problems = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    if problems != ["ok"] {
        pool.close().await;
        return Err(BackupError::Damaged {
            path: path.to_owned(),
            problems,
        });
    }
    Ok(pool)
}

/// A pool of at most `max` read-only connections (`mode=ro`, and `query_only` if asked) over a
/// SQLite file that carries the SQLite header.
async fn read_only_pool(path: &Path, max: u32, query_only: bool) -> Result<AnyPool, BackupError> {
    check_sqlite_header(path)?;
    let options =
        AnyConnectOptions::from_str(&sqlite_url(path, "mode=ro")).map_err(StoreError::Database)?;
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if query_only {
                    conn.execute("PRAGMA query_only = ON").await?;
                }
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| classify(path, e))
}

/// SQLite's "not a database" (26) and "malformed" (11) as the errors they mean.
fn classify(path: &Path, e: sqlx::Error) -> BackupError {
    let code = match &e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    };
    match code.as_deref() {
        Some("26") => BackupError::NotADatabase {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        Some("11") => BackupError::Damaged {
            path: path.to_owned(),
            problems: vec![e.to_string()],
        },
        _ => BackupError::Store(StoreError::Database(e)),
    }
}

/// The applied migrations must be exactly this build's: an older copy is migrated by restoring
/// it (which opens it read-write), a newer one needs the keurmerk that made it.
async fn check_migrations(pool: &AnyPool, backend: Backend) -> Result<(), BackupError> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    let expected: BTreeSet<i64> = migrator.iter().map(|m| m.version).collect();
    let applied: BTreeSet<i64> =
        match sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
        {
            Ok(v) => v.into_iter().collect(),
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => {
                return Err(BackupError::Schema(
                    "it holds no keurmerk registry (no migration table)".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        };
    let missing: Vec<i64> = expected.difference(&applied).copied().collect();
    let unknown: Vec<i64> = applied.difference(&expected).copied().collect();
    if !unknown.is_empty() {
        return Err(BackupError::Schema(format!(
            "it was written by a newer keurmerk (migrations {unknown:?} are unknown to this one); \
             check it with the version that made it"
        )));
    }
    if !missing.is_empty() {
        return Err(BackupError::Schema(format!(
            "it was written by an older keurmerk (migrations {missing:?} not applied); \
             `keurmerk restore FILE --to PATH` migrates the restored file and then checks it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_escape_what_sqlx_decodes() {
        assert_eq!(
            sqlite_url(Path::new("/tmp/a?b#c%d.db"), "mode=ro"),
            "sqlite:///tmp/a%3Fb%23c%25d.db?mode=ro"
        );
        assert_eq!(sqlite_path("sqlite:k.db"), Some(PathBuf::from("k.db")));
        assert_eq!(
            sqlite_path("sqlite:///t/k.db"),
            Some(PathBuf::from("/t/k.db"))
        );
        assert_eq!(sqlite_path("k.db"), Some(PathBuf::from("k.db")));
        assert_eq!(sqlite_path("postgres://u@h/d"), None);
    }

    #[test]
    fn headers_name_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        let e = check_sqlite_header(&empty).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let text = dir.path().join("text.db");
        std::fs::write(&text, b"hello, this is not a database").unwrap();
        let e = check_sqlite_header(&text).unwrap_err().to_string();
        assert!(e.contains("SQLite header"), "{e}");
        let e = check_sqlite_header(&dir.path().join("none.db"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a SQLite database"), "{e}");
    }

    /// A transaction committed to the `-wal` and not yet checkpointed (the connection that wrote
    /// it is still open, as with a killed server) is in the copy; a plain file copy loses it.
    #[tokio::test]
    async fn a_copy_holds_what_only_the_wal_holds() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let store = SqlStore::connect(db.to_str().unwrap()).await.unwrap();
        sqlx::query("INSERT INTO log_queue (event_seq, entry, queued_at) VALUES (1, $1, 'now')")
            .bind(b"in the wal".to_vec())
            .execute(store.pool())
            .await
            .unwrap();
        let wal = dir.path().join("live.db-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the write is in the -wal"
        );
        let plain = dir.path().join("plain.db");
        std::fs::copy(&db, &plain).unwrap();
        let copy = dir.path().join("copy.db");
        copy_sqlite_file(&db, &copy).await.unwrap();
        // `None`: not even the schema (it is in the -wal too).
        let count = |path: PathBuf| async move {
            let ro = SqlStore::open_read_only(&format!("sqlite:{}", path.display()))
                .await
                .ok()?;
            let n = ro.contents().await.unwrap().statements_queued;
            ro.close().await;
            Some(n)
        };
        assert_eq!(count(copy.clone()).await, Some(1));
        assert_ne!(count(plain).await, Some(1), "the plain copy lost the write");
        // The source is unchanged and still open; the copy has no side files.
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        assert!(!dir.path().join("copy.db-wal").exists());
        // Into an existing, non-empty file: refused, the file is untouched.
        assert!(copy_sqlite_file(&db, &copy).await.is_err());
        assert_eq!(count(copy).await, Some(1));
        // Not a database: refused naming it.
        let text = dir.path().join("text.db");
        std::fs::write(&text, b"no").unwrap();
        let e = copy_sqlite_file(&text, &dir.path().join("x.db"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("text.db"), "{e}");
        store.close().await;
    }

    /// A copy written while another connection holds an open write transaction has what was
    /// committed and nothing of what was not; it opens read-only and counts.
    #[tokio::test]
    async fn vacuum_into_copies_the_committed_state() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let store = SqlStore::connect(db.to_str().unwrap()).await.unwrap();
        let pool = store.pool().clone();
        sqlx::query("INSERT INTO log_queue (event_seq, entry, queued_at) VALUES (1, $1, 'now')")
            .bind(b"committed".to_vec())
            .execute(&pool)
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO log_queue (event_seq, entry, queued_at) VALUES (2, $1, 'now')")
            .bind(b"uncommitted".to_vec())
            .execute(&mut *tx)
            .await
            .unwrap();
        let copy = dir.path().join("copy?.db");
        store.vacuum_into(&copy).await.unwrap();
        tx.commit().await.unwrap();
        let ro = SqlStore::open_read_only(&format!("sqlite:{}", copy.display()))
            .await
            .unwrap();
        assert_eq!(ro.contents().await.unwrap().statements_queued, 1);
        // Read-only: a write is refused.
        assert!(sqlx::query("DELETE FROM log_queue")
            .execute(ro.pool())
            .await
            .is_err());
        // Into an existing, non-empty file: refused by SQLite, the file is untouched.
        assert!(store.vacuum_into(&copy).await.is_err());
        assert_eq!(ro.contents().await.unwrap().statements_queued, 1);
    }
}

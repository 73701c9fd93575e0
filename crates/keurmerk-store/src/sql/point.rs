//! Point reads on the caller's thread, SQLite only (ADR 0020).
//!
//! sqlx runs every SQLite statement on a worker thread of its own per connection and wakes the
//! task when it is done: for a lookup of one row by primary key the hand-over costs more than the
//! read (futex wake-ups and context switches were half of a status lookup's profile). A
//! [`PointReader`] keeps a few read-only connections to the same database file and runs a
//! prepared statement on the calling thread instead.
//!
//! It never blocks for long and never stands in for sqlx's answer when it cannot give it:
//! - its connections are `query_only` and have no busy timeout: a read that finds the database
//!   busy (a checkpoint restarting the WAL, a writer recovering it) returns [`Point::Busy`] at
//!   once and the caller reads through the pool as before;
//! - on a runtime thread it is used for single-statement reads by key only (one B-tree descent
//!   per table), so the time a runtime thread is held is that of an indexed read of a page
//!   already cached, or one `pread` when it is not; longer reads (the status list's scan, a
//!   label search) run on a blocking thread;
//! - an in-memory database has no reader (another connection would open another database).

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};

use crate::codec::{column_names, Cols, NamedRow};

/// Connections kept open between reads (more are opened when more threads read at once, and
/// closed after).
const KEPT: usize = 8;

/// Searches run on the reader's connections at once (each on a blocking thread); more wait, so
/// the connections kept serve them without opening new ones.
pub(crate) const SEARCHES: usize = 4;

/// Turns of the reads on a reader's file ([`PointReader::turns`]): more than ever read at once.
const TURNS: u32 = 1 << 20;

/// A read-only connection pool for point reads on the calling thread.
#[derive(Debug)]
pub(crate) struct PointReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// One turn for each read of the file under way: a point read holds one while it reads; a
    /// search, a scan and a reading of the search's words from before their thread starts
    /// until it ends. [`Self::close`] takes them all, so it returns only when no thread of this
    /// reader has the file open; a read that finds no turn (closed) reads through the pool.
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    /// Permits for searches ([`SEARCHES`]); a permit is held by the blocking thread that
    /// searches, so a caller that stops waiting does not free it early.
    pub(crate) searches: std::sync::Arc<tokio::sync::Semaphore>,
    /// The search's words in memory (`sql::words`), read from this file.
    pub(crate) words: std::sync::Arc<super::words::Words>,
}

/// What a point read gave.
pub(crate) enum Point<T> {
    /// The answer.
    Done(T),
    /// The database was busy or the reader could not open it: read through the pool instead.
    Busy,
}

impl PointReader {
    /// A reader for the database file of a `sqlite://PATH?…` URL, or `None` for an in-memory
    /// database (or a URL this module does not understand).
    pub(crate) fn for_url(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("sqlite://")?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory") {
            return None;
        }
        Some(Self {
            path: PathBuf::from(path),
            idle: Mutex::new(Vec::new()),
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(TURNS as usize)),
            searches: std::sync::Arc::new(tokio::sync::Semaphore::new(SEARCHES)),
            words: std::sync::Arc::default(),
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        open_read_only(&self.path)
    }

    /// The database file read.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A turn for a read on a thread of its own, to hold until that read has ended
    /// ([`close`](Self::close) waits for every turn). `None` once the reader is closed or
    /// closing: the caller reads through the pool, or not at all.
    pub(crate) fn turn(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        std::sync::Arc::clone(&self.turns).try_acquire_owned().ok()
    }

    /// Waits until every read of the file under way has ended (a search, a scan or a reading
    /// of the words on its own thread included), then closes the connections kept. Every read
    /// after goes through the pool (closed with it by `SqlStore::close`).
    pub(crate) async fn close(&self) {
        // Fair: once this waits, no new read gets a turn (a freed turn goes to the waiter).
        if let Ok(all) = self.turns.acquire_many(TURNS).await {
            all.forget();
        }
        self.turns.close();
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Runs `read` on a connection of the pool. An error of SQLite (busy, locked, unopenable) is
    /// [`Point::Busy`]; `read`'s own decoding errors are returned as they are.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<crate::Result<T>>,
    ) -> crate::Result<Point<T>> {
        // Closed, or closing: through the pool.
        let Ok(_turn) = self.turns.try_acquire() else {
            return Ok(Point::Busy);
        };
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match taken {
            Some(c) => c,
            None => match self.open() {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "point reader cannot open the database");
                    return Ok(Point::Busy);
                }
            },
        };
        let out = read(&conn);
        // A connection whose read failed is dropped, not reused (its state is not known).
        if matches!(out, Ok(Ok(_))) {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < KEPT {
                idle.push(conn);
            }
        }
        match out {
            Ok(Ok(v)) => Ok(Point::Done(v)),
            Ok(Err(e)) => Err(e),
            Err(e) => {
                tracing::debug!(error = %e, "point read failed; reading through the pool");
                Ok(Point::Busy)
            }
        }
    }
}

/// Page cache of each point-reader connection, KiB.
const POINT_CACHE_KIB: i64 = 8 * 1024;

/// A read-only connection to `path` that never waits for a lock.
fn open_read_only(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Reads only; never wait for a lock on a runtime thread.
    conn.pragma_update(None, "query_only", "ON")?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    // A page cache that holds the interior pages of the tables a lookup descends at 1,000,000
    // certificates (about 6 MB), so only leaves are read from the file (SQLite's default is 2 MB:
    // interior pages were evicted and read again). A few connections are open at once.
    conn.pragma_update(None, "cache_size", -POINT_CACHE_KIB)?;
    // Room for the lookups' statements and a search's (its text varies with the filters asked).
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A connection to `path` for reading the search's words (`sql::words`): it makes a temporary
/// `fts5vocab` table, which a `query_only` connection may not, and writes nothing else. It waits
/// for a lock as a background reader may.
pub(crate) fn open_for_words(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Every row of `rows` (of a statement whose column names are `names`) decoded by `decode`; a
/// decoding error ends the read with that error.
pub(crate) fn decode_all<T>(
    mut rows: rusqlite::Rows<'_>,
    names: &[String],
    decode: &impl Fn(&NamedRow<'_, '_>) -> crate::Result<T>,
) -> rusqlite::Result<crate::Result<Vec<T>>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        match decode(&NamedRow::new(row, names)) {
            Ok(v) => out.push(v),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(out))
}

/// Rows a whole-table read hands over at a time.
const SCAN_CHUNK: usize = 4096;

pub(crate) fn scan_failed(detail: String) -> crate::StoreError {
    crate::StoreError::Database(sqlx::Error::Io(std::io::Error::other(detail)))
}

impl PointReader {
    /// Every row of `sql` (text parameters `params`), read on a blocking thread of its own
    /// connection (a whole-table read is too long for a runtime thread) and decoded there,
    /// handed to `each` a chunk at a time, so memory stays at a few chunks whatever the table's
    /// size. [`Point::Busy`] only if no row was read yet (the caller reads through the pool);
    /// a failure after that is an error, never half an answer.
    pub(crate) async fn scan<T: Send + 'static>(
        &self,
        sql: &'static str,
        params: Vec<String>,
        decode: fn(&NamedRow<'_, '_>) -> crate::Result<T>,
        each: &mut (dyn FnMut(T) -> crate::Result<()> + Send),
    ) -> crate::Result<Point<()>> {
        let Some(turn) = self.turn() else {
            return Ok(Point::Busy);
        };
        let path = self.path.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::Result<Vec<T>>>(4);
        let reader = tokio::task::spawn_blocking(move || -> rusqlite::Result<()> {
            let _turn = turn;
            let conn = open_read_only(&path)?;
            let mut stmt = conn.prepare(sql)?;
            let names = column_names(&stmt);
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            let mut chunk = Vec::with_capacity(SCAN_CHUNK);
            while let Some(row) = rows.next()? {
                match decode(&NamedRow::new(row, &names)) {
                    Ok(v) => chunk.push(v),
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return Ok(());
                    }
                }
                if chunk.len() == SCAN_CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(SCAN_CHUNK));
                    if tx.blocking_send(Ok(full)).is_err() {
                        // The caller stopped listening (it failed): stop reading.
                        return Ok(());
                    }
                }
            }
            let _ = tx.blocking_send(Ok(chunk));
            Ok(())
        });
        let mut read_any = false;
        while let Some(chunk) = rx.recv().await {
            for v in chunk? {
                read_any = true;
                each(v)?;
            }
        }
        match reader.await {
            Ok(Ok(())) => Ok(Point::Done(())),
            Ok(Err(e)) if !read_any => {
                tracing::debug!(error = %e, "scan on the point reader failed; reading through the pool");
                Ok(Point::Busy)
            }
            Ok(Err(e)) => Err(scan_failed(format!("stopped after some rows: {e}"))),
            Err(e) => Err(scan_failed(format!("the reading thread failed: {e}"))),
        }
    }
}

impl super::SqlStore {
    /// The row of `sql` (one `$1` key, at most one row): on this thread when the point reader
    /// can answer, else through the pool; both decoded by `decode`.
    pub(crate) async fn row_by_key<T>(
        &self,
        sql: &str,
        key: &str,
        decode: impl Fn(&dyn Cols) -> crate::Result<T> + Send + Sync,
    ) -> crate::Result<Option<T>> {
        if let Some(found) = self.point_row(sql, key, |r| decode(r))? {
            return Ok(found);
        }
        let row = sqlx::query(sql)
            .bind(key.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| decode(r)).transpose()
    }

    /// Every row of `sql` (one `$1` key), as [`Self::row_by_key`].
    pub(crate) async fn rows_by_key<T>(
        &self,
        sql: &str,
        key: &str,
        decode: impl Fn(&dyn Cols) -> crate::Result<T> + Send + Sync,
    ) -> crate::Result<Vec<T>> {
        if let Some(found) = self.point_rows(sql, key, |r| decode(r))? {
            return Ok(found);
        }
        let rows = sqlx::query(sql)
            .bind(key.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| decode(r)).collect()
    }

    /// The row of `sql` (one `$1` key, at most one row) decoded by `decode`, read on this
    /// thread; `Ok(None)`: no point reader here or the database was busy, so the caller reads
    /// through the pool.
    pub(crate) fn point_row<T>(
        &self,
        sql: &str,
        key: &str,
        decode: impl Fn(&NamedRow<'_, '_>) -> crate::Result<T>,
    ) -> crate::Result<Option<Option<T>>> {
        Ok(self
            .point_rows(sql, key, decode)?
            .map(|rows| rows.into_iter().next()))
    }

    /// Every row of `sql` (one `$1` key), read on this thread; `Ok(None)` as for
    /// [`Self::point_row`].
    pub(crate) fn point_rows<T>(
        &self,
        sql: &str,
        key: &str,
        decode: impl Fn(&NamedRow<'_, '_>) -> crate::Result<T>,
    ) -> crate::Result<Option<Vec<T>>> {
        let Some(reader) = &self.point else {
            return Ok(None);
        };
        let read = reader.read(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            let names = column_names(&stmt);
            let read = decode_all(stmt.query([key])?, &names, &decode);
            read
        })?;
        Ok(match read {
            Point::Done(v) => Some(v),
            Point::Busy => None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn memory_databases_have_no_reader() {
        assert!(PointReader::for_url("sqlite://:memory:").is_none());
        assert!(PointReader::for_url("sqlite://x.db?mode=memory&cache=shared").is_none());
        assert!(PointReader::for_url("postgres://h/db").is_none());
        assert!(PointReader::for_url("sqlite://").is_none());
        let r = PointReader::for_url("sqlite:///tmp/k.db?mode=rwc").unwrap();
        assert_eq!(r.path, PathBuf::from("/tmp/k.db"));
    }

    /// The bundled SQLite is built as `.cargo/config.toml` says (ADR 0023): without memory
    /// statistics and without the unified page cache, whose one mutex every connection's page
    /// reads queued on.
    #[test]
    fn sqlite_is_built_without_the_global_locks() {
        let c = Connection::open_in_memory().unwrap();
        let mut stmt = c.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = stmt
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    #[test]
    fn a_locked_database_is_busy_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let w = Connection::open(&path).unwrap();
        w.execute_batch(
            "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT); INSERT INTO t VALUES ('a', 'b');",
        )
        .unwrap();
        let r = PointReader::for_url(&format!("sqlite://{}?mode=rwc", path.display())).unwrap();
        let get = |r: &PointReader| {
            r.read(|c| {
                c.query_row("SELECT v FROM t WHERE k = 'a'", [], |row| {
                    row.get::<_, String>(0)
                })
                .map(Ok)
            })
            .unwrap()
        };
        assert!(matches!(get(&r), Point::Done(v) if v == "b"));
        // The reader's connections never wait for a lock (no busy timeout).
        let timeout = r
            .read(|c| {
                c.query_row("PRAGMA busy_timeout", [], |row| row.get::<_, i64>(0))
                    .map(Ok)
            })
            .unwrap();
        assert!(matches!(timeout, Point::Done(0)));
        // A rollback-journal database under an exclusive lock: readers cannot read at all (nor
        // can a new connection be opened: setting its page cache reads the schema).
        w.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE t SET v = 'c';")
            .unwrap();
        assert!(matches!(get(&r), Point::Busy));
        assert!(matches!(get(&r), Point::Busy));
        w.execute_batch("COMMIT").unwrap();
        drop(w);
        assert!(matches!(get(&r), Point::Done(v) if v == "c"));
        // The reader never writes.
        let wrote = r
            .read(|c| c.execute("UPDATE t SET v = 'd'", []).map(Ok))
            .unwrap();
        assert!(matches!(wrote, Point::Busy));
    }

    /// A column is found by name as rusqlite finds it (ASCII case ignored, the first of two
    /// equal names), NULL reads as `None`, and a name the statement does not have is an error
    /// naming it.
    #[test]
    fn named_rows_find_columns_as_rusqlite_does() {
        let c = Connection::open_in_memory().unwrap();
        let mut stmt = c
            .prepare("SELECT 'a' AS Name, 7 AS n, NULL AS gone, x'00ff' AS b, 'second' AS name")
            .unwrap();
        let names = column_names(&stmt);
        let mut rows = stmt.query([]).unwrap();
        let row = rows.next().unwrap().unwrap();
        let r = NamedRow::new(row, &names);
        assert_eq!(r.text("name").unwrap().as_deref(), Some("a"));
        assert_eq!(
            r.text("NAME").unwrap(),
            row.get::<_, Option<String>>("NAME").unwrap()
        );
        assert_eq!(r.int("N").unwrap(), Some(7));
        assert_eq!(r.text("gone").unwrap(), None);
        assert_eq!(r.bytes("b").unwrap(), vec![0, 255]);
        let missing = r.text("absent").unwrap_err().to_string();
        assert!(missing.contains("absent"), "{missing}");
        // A text column read as an integer: an error naming the column, not a panic.
        let wrong = r.int("name").unwrap_err().to_string();
        assert!(wrong.contains("name"), "{wrong}");
    }
}

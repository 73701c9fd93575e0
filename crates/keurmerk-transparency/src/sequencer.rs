//! The sequencer: moves signed statements from `log_queue` into the log, one batch per
//! transaction, and publishes a signed checkpoint per batch.

use std::sync::Arc;
use std::time::Duration;

use keurmerk_store::SqlStore;
use keurmerk_tlog::{append_entries, entry_bundle_prefix, tree_hash, Checkpoint, Tile, TILE_WIDTH};
use sqlx::{AnyConnection, AnyPool, Row as _};
use tokio::sync::{watch, Notify};

use crate::db::{read_bundle_row, read_head, to_i64, to_u64, with_stored_tiles};
use crate::error::{Error, Result};
use crate::key::LogKey;

/// Sequencer settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SequencerConfig {
    /// Most entries appended in one batch (one transaction, one checkpoint).
    pub max_batch: usize,
    /// Longest wait between polls of the queue when nobody calls [`Sequencer::notify`]; a queued
    /// entry is in a published checkpoint within about this long.
    pub interval: Duration,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig {
            max_batch: 4096,
            interval: Duration::from_secs(1),
        }
    }
}

impl SequencerConfig {
    /// Sets [`max_batch`](Self::max_batch) (at least 1).
    pub fn with_max_batch(mut self, n: usize) -> Self {
        self.max_batch = n.max(1);
        self
    }

    /// Sets [`interval`](Self::interval).
    pub fn with_interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Log size before the batch.
    pub old_size: u64,
    /// Log size after the batch.
    pub new_size: u64,
}

impl BatchOutcome {
    /// Entries appended.
    pub fn entries(&self) -> u64 {
        self.new_size - self.old_size
    }
}

/// Drains `log_queue` into the transparency log. Cheap to clone; start one per `keurmerk serve`
/// instance with [`Sequencer::spawn`]. Several instances on one PostgreSQL database produce one log:
/// each batch holds the head row lock for its transaction.
#[derive(Debug, Clone)]
pub struct Sequencer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: AnyPool,
    key: LogKey,
    config: SequencerConfig,
    wake: Notify,
    /// Log size after this process's last committed batch.
    committed: watch::Sender<u64>,
}

impl Sequencer {
    /// A sequencer over `store`'s database, signing checkpoints with `key` (whose name is the log
    /// origin). Signs the empty log's checkpoint if no instance has yet.
    pub async fn new(store: &SqlStore, key: LogKey, config: SequencerConfig) -> Result<Sequencer> {
        let pool = store.pool().clone();
        let root = keurmerk_tlog::empty_tree_hash();
        let checkpoint = Checkpoint::new(key.origin(), 0, root)?.sign(&[key.signer()])?;
        sqlx::query(
            "UPDATE log_head SET checkpoint = $1, updated_at = $2 \
             WHERE id = 1 AND size = 0 AND checkpoint = ''",
        )
        .bind(checkpoint)
        .bind(now())
        .execute(&pool)
        .await?;
        let (committed, _) = watch::channel(0);
        Ok(Sequencer {
            inner: Arc::new(Inner {
                pool,
                key,
                config,
                wake: Notify::new(),
                committed,
            }),
        })
    }

    /// The log origin.
    pub fn origin(&self) -> &str {
        self.inner.key.origin()
    }

    /// The log's verifier key (signed-note form).
    pub fn log_verifier_key(&self) -> String {
        self.inner.key.log_verifier_key()
    }

    /// Wakes the sequencer loop now instead of at the next interval (call after queuing).
    pub fn notify(&self) {
        self.inner.wake.notify_one();
    }

    /// Starts [`run`](Self::run) on the Tokio runtime. Abort the handle to stop it; a batch cut
    /// short rolls back and leaves its queue rows for the next batch.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let s = self.clone();
        tokio::spawn(async move { s.run().await })
    }

    /// Appends batches forever: whenever woken by [`notify`](Self::notify) or after at most
    /// [`SequencerConfig::interval`], and at once again after a full batch. A failed batch is
    /// logged and retried; it changed nothing.
    pub async fn run(&self) {
        loop {
            match self.step().await {
                Ok(Some(b)) if b.entries() >= self.inner.config.max_batch as u64 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "log sequencer batch failed; will retry"),
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.inner.config.interval) => {}
            }
        }
    }

    /// Appends one batch (up to `max_batch` queued entries) in one transaction. `None` if the queue
    /// was empty.
    pub async fn step(&self) -> Result<Option<BatchOutcome>> {
        // Cheap check outside a transaction, so an idle log never takes the write lock.
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM log_queue ORDER BY id LIMIT 1")
            .fetch_optional(&self.inner.pool)
            .await?;
        if any.is_none() {
            return Ok(None);
        }
        let mut tx = self.inner.pool.begin().await?;
        let Some(outcome) = self.append_in_tx(&mut tx).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        tx.commit().await?;
        self.inner.committed.send_replace(outcome.new_size);
        tracing::debug!(
            old_size = outcome.old_size,
            new_size = outcome.new_size,
            "log batch committed"
        );
        Ok(Some(outcome))
    }

    /// Waits until the entry queued as `queue_id` is in the log and returns its log index. Wrap in
    /// `tokio::time::timeout` for a deadline. Works whichever instance sequences the entry.
    pub async fn wait_for(&self, queue_id: i64) -> Result<u64> {
        let mut rx = self.inner.committed.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(i) = self.index_of_queued(queue_id).await? {
                return Ok(i);
            }
            let queued: Option<i64> = sqlx::query_scalar("SELECT id FROM log_queue WHERE id = $1")
                .bind(queue_id)
                .fetch_optional(&self.inner.pool)
                .await?;
            if queued.is_none() {
                // It may have been sequenced between the two queries.
                return self
                    .index_of_queued(queue_id)
                    .await?
                    .ok_or(Error::UnknownQueueId(queue_id));
            }
            self.notify();
            tokio::select! {
                r = rx.changed() => { let _ = r; }
                () = tokio::time::sleep(self.inner.config.interval) => {}
            }
        }
    }

    async fn index_of_queued(&self, queue_id: i64) -> Result<Option<u64>> {
        let i: Option<i64> =
            sqlx::query_scalar("SELECT log_index FROM log_entries WHERE queue_id = $1")
                .bind(queue_id)
                .fetch_optional(&self.inner.pool)
                .await?;
        i.map(|i| to_u64(i, "log index")).transpose()
    }

    /// The batch, inside the caller's transaction. Nothing is visible until the caller commits, and
    /// a rollback leaves queue and log exactly as they were.
    pub(crate) async fn append_in_tx(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Option<BatchOutcome>> {
        // Lock the head. The first statement is a write, so on SQLite the transaction holds the
        // write lock from here on (no read-then-write upgrade that could fail with BUSY), and on
        // PostgreSQL it holds the head row lock, which serialises sequencers across instances;
        // under READ COMMITTED every later statement then sees the previous batch committed.
        sqlx::query("UPDATE log_head SET size = size WHERE id = 1")
            .execute(&mut *conn)
            .await?;
        let head = read_head(conn).await?;
        let limit = to_i64(self.inner.config.max_batch as u64, "batch size")?;
        let rows = sqlx::query("SELECT id, event_seq, entry FROM log_queue ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(r.try_get::<i64, _>("id")?);
            seqs.push(r.try_get::<i64, _>("event_seq")?);
            entries.push(r.try_get("entry")?);
        }
        drop(rows);
        if let Some((id, e)) = ids
            .iter()
            .zip(&entries)
            .find(|(_, e)| e.len() > keurmerk_tlog::MAX_ENTRY_SIZE)
        {
            return Err(Error::Corrupt(format!(
                "log_queue row {id} holds a {}-byte entry; the log takes at most {} bytes",
                e.len(),
                keurmerk_tlog::MAX_ENTRY_SIZE
            )));
        }
        let width = u64::from(TILE_WIDTH);
        let carried = (head.size % width) as u16; // < 256
        let partial = if carried > 0 {
            let (w, data) = read_bundle_row(conn, head.size / width)
                .await?
                .ok_or_else(|| Error::Corrupt("partial entry bundle missing".into()))?;
            if w < carried {
                return Err(Error::Corrupt(format!(
                    "entry bundle {} holds {w} entries, log size needs {carried}",
                    head.size / width
                )));
            }
            entry_bundle_prefix(&data, carried)?.to_vec()
        } else {
            Vec::new()
        };
        let (old_root, out) = with_stored_tiles(conn, head.size, None, |r| {
            Ok((
                tree_hash(head.size, r)?,
                append_entries(head.size, r, &partial, &entries)?,
            ))
        })
        .await?;
        if old_root != head.root {
            // Never extend a tree whose stored tiles no longer match its signed root.
            return Err(Error::Corrupt(format!(
                "stored tiles hash to {old_root}, the log head says {} at size {}",
                head.root, head.size
            )));
        }

        upsert_tiles(conn, "log_tiles", true, &out.tiles).await?;
        upsert_tiles(conn, "log_bundles", false, &out.bundles).await?;
        insert_index(conn, head.size, &seqs, &ids).await?;
        for chunk in ids.chunks(1000) {
            let sql = format!(
                "DELETE FROM log_queue WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await?;
        }
        let checkpoint = Checkpoint::new(self.origin(), out.new_size, out.root)?
            .sign(&[self.inner.key.signer()])?;
        sqlx::query(
            "UPDATE log_head SET size = $1, root = $2, checkpoint = $3, updated_at = $4 \
             WHERE id = 1",
        )
        .bind(to_i64(out.new_size, "log size")?)
        .bind(out.root.0.to_vec())
        .bind(checkpoint)
        .bind(now())
        .execute(&mut *conn)
        .await?;
        Ok(Some(BatchOutcome {
            old_size: out.old_size,
            new_size: out.new_size,
        }))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `$first, $first+1, …` (n of them).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes tiles (or bundles) in one statement, replacing narrower versions.
async fn upsert_tiles(
    conn: &mut AnyConnection,
    table: &str,
    with_level: bool,
    tiles: &[(Tile, Vec<u8>)],
) -> Result<()> {
    for chunk in tiles.chunks(200) {
        let cols = if with_level { 4 } else { 3 };
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(1 + i * cols, cols)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = if with_level {
            format!(
                "INSERT INTO {table} (level, idx, width, data) VALUES {values} \
                 ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data"
            )
        } else {
            format!(
                "INSERT INTO {table} (idx, width, data) VALUES {values} \
                 ON CONFLICT (idx) DO UPDATE SET width = excluded.width, data = excluded.data"
            )
        };
        let mut q = sqlx::query(&sql);
        for (t, data) in chunk {
            if with_level {
                q = q.bind(i64::from(t.level()));
            }
            q = q
                .bind(to_i64(t.index(), "tile index")?)
                .bind(i64::from(t.width()))
                .bind(data.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records `log_index ↔ event_seq ↔ queue_id` for a batch starting at `first_index`.
async fn insert_index(
    conn: &mut AnyConnection,
    first_index: u64,
    seqs: &[i64],
    ids: &[i64],
) -> Result<()> {
    let first = to_i64(first_index, "log index")?;
    let mut offset = 0i64;
    for (seq_chunk, id_chunk) in seqs.chunks(500).zip(ids.chunks(500)) {
        let values = (0..seq_chunk.len())
            .map(|i| format!("({})", placeholders(1 + i * 3, 3)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("INSERT INTO log_entries (log_index, event_seq, queue_id) VALUES {values}");
        let mut q = sqlx::query(&sql);
        for (seq, id) in seq_chunk.iter().zip(id_chunk) {
            q = q.bind(first + offset).bind(*seq).bind(*id);
            offset += 1;
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn count(pool: &AnyPool, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// A batch that fails before commit (here: rolled back after doing all its writes) leaves the
    /// queue intact and the log unchanged; the next batch then appends everything exactly once.
    #[tokio::test]
    async fn failed_batch_rolls_back_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::connect(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        let pool = store.pool().clone();
        let seq = Sequencer::new(
            &store,
            LogKey::generate("test.example/log").unwrap(),
            SequencerConfig::default(),
        )
        .await
        .unwrap();
        for i in 0..300i64 {
            sqlx::query("INSERT INTO log_queue (event_seq, entry, queued_at) VALUES ($1, $2, $3)")
                .bind(i + 1)
                .bind(format!("statement {i}").into_bytes())
                .bind(now())
                .execute(&pool)
                .await
                .unwrap();
        }
        let mut tx = pool.begin().await.unwrap();
        let out = seq.append_in_tx(&mut tx).await.unwrap().unwrap();
        assert_eq!(out.new_size, 300);
        tx.rollback().await.unwrap(); // the "crash"
        assert_eq!(count(&pool, "log_queue").await, 300);
        assert_eq!(count(&pool, "log_entries").await, 0);
        assert_eq!(count(&pool, "log_tiles").await, 0);
        assert_eq!(count(&pool, "log_bundles").await, 0);
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(read_head(&mut conn).await.unwrap().size, 0);
        drop(conn);

        let out = seq.step().await.unwrap().unwrap();
        assert_eq!((out.old_size, out.new_size), (0, 300));
        assert_eq!(count(&pool, "log_queue").await, 0);
        assert_eq!(count(&pool, "log_entries").await, 300);
        assert_eq!(seq.step().await.unwrap(), None);
    }

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(3, 2), "$3, $4");
    }
}

//! Error types: [`Error`] for the log service, [`MonitorError`] for [`crate::verify_log`].

use std::path::PathBuf;

/// Everything that can go wrong in the log service (sequencer, serving, keys, cosignatures).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The log math or a log format rejected something (see `keurmerk_tlog::Error`).
    #[error("transparency log: {0}")]
    Tlog(#[from] keurmerk_tlog::Error),

    /// Stored log data does not fit together (the database was changed outside Keurmerk).
    #[error("stored log is corrupt: {0}")]
    Corrupt(String),

    /// The log key file could not be read or written.
    #[error("log key file {path}: {source}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The log key file exists but is unusable (malformed, wrong origin, too open permissions).
    #[error("log key file {path}: {reason}")]
    BadKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A queue id is neither waiting in `log_queue` nor in the log.
    #[error("queue entry {0} is neither queued nor in the log")]
    UnknownQueueId(i64),

    /// No log entry records this event (or certificate).
    #[error("{0} is not in the transparency log")]
    NotInLog(String),

    /// The log has no signed checkpoint yet (no sequencer has run).
    #[error("the log has no signed checkpoint yet")]
    NoCheckpoint,

    /// A witness cosignature was rejected.
    #[error("cosignature rejected: {0}")]
    BadCosignature(String),

    /// The checkpoint moved on while a cosignature was being added; fetch the new one and retry.
    #[error("the checkpoint changed while adding the cosignature; cosign the new one")]
    StaleCheckpoint,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why [`crate::verify_log`] failed. Every variant says what and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// Fetching a resource failed (network, HTTP status).
    #[error("fetching {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// The log key or a witness key string is malformed.
    #[error("bad key {key:?}: {reason}")]
    BadKey {
        /// The key string as given.
        key: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The checkpoint is malformed or not validly signed by the log key.
    #[error("checkpoint: {0}")]
    Checkpoint(String),

    /// Fewer witness cosignatures than required.
    #[error("checkpoint has {found} valid witness cosignature(s), {required} required")]
    NotEnoughWitnesses {
        /// Valid cosignatures by the given witness keys.
        found: usize,
        /// The requirement.
        required: usize,
    },

    /// The state file cannot be read, parsed or written.
    #[error("state file {path}: {reason}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// The log is not an extension of what the monitor saw before: it shrank, forked or its
    /// history was rewritten.
    #[error("log history is inconsistent with the last verified checkpoint: {0}")]
    Inconsistent(String),

    /// Served data (a hash tile, an entry bundle or the checkpoint root) does not match what the
    /// entries hash to: history was rewritten or the data is corrupt.
    #[error("log data mismatch at {location}: {detail}")]
    Mismatch {
        /// Which tile, bundle or entry index.
        location: String,
        /// What differs.
        detail: String,
    },

    /// A served resource is malformed (wrong length, bad bundle encoding).
    #[error("malformed {location}: {detail}")]
    Malformed {
        /// Which resource.
        location: String,
        /// What is wrong.
        detail: String,
    },

    /// Entries failed the entry check (e.g. statement signature). Lists up to 10.
    #[error("{count} log entr(y/ies) failed the entry check, first: {first:?}")]
    EntriesRejected {
        /// How many entries failed.
        count: u64,
        /// The first failures: (log index, reason).
        first: Vec<(u64, String)>,
    },

    /// An internal computation failed (a bug or an impossible tree).
    #[error("log math: {0}")]
    Tlog(#[from] keurmerk_tlog::Error),
}

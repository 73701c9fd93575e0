//! The Keurmerk transparency log as a service (SPEC §7, §10): storage and sequencing over the
//! registry database, C2SP tlog-tiles serving, tlog-proof receipts, witness cosignatures, the log
//! key, and a monitor that checks any tlog-tiles log.
//!
//! # Architecture
//!
//! The log math and formats live in the pure `keurmerk-tlog` crate; this crate adds I/O around
//! it. The service layer writes every signed statement into `log_queue` in the same transaction
//! as the event it records. A [`Sequencer`] (one per `keurmerk serve` instance) drains the queue
//! in batches: in **one** transaction it locks the log head (`log_head`, row 1), reads the old
//! tree's right edge from the stored hash tiles, calls `keurmerk_tlog::append_entries`, writes
//! the changed tiles (`log_tiles`) and entry bundles (`log_bundles`), the
//! `log_index ↔ event_seq ↔ queue_id` mapping (`log_entries`) and the newly signed checkpoint,
//! and deletes the drained queue rows. Because the queue and the log change atomically, a crash
//! at any point loses nothing that was acknowledged, and a write acknowledged after
//! [`Sequencer::wait_for`] is in a signed checkpoint. On PostgreSQL the head row lock serialises
//! sequencers of several instances into one log; on SQLite the transaction's first statement
//! takes the single write lock.
//!
//! Storage keeps only the widest version of each tile and bundle (full ones are immutable; the
//! right-edge partial ones are rewritten as they grow), about 32 bytes of hashes per entry plus
//! the entry itself. The HTTP side ([`log_router`]) serves tiles straight from those rows; a
//! narrower partial tile is a prefix of the stored one. Receipts ([`LogState::receipt_for_event`])
//! prove inclusion from the same tiles; a status list's receipt carries the log's entry as its
//! `extra`, so [`verify_status_list_receipt`] checks it offline. The [`verify_log`] monitor
//! recomputes the tree from the entries and compares it with every served tile and the signed
//! checkpoint.
//!
//! Invariant: rows of the log tables only ever describe committed trees, so a tile exists for
//! readers exactly when its stored width is at least the width asked for.

mod db;
mod error;
mod key;
mod listproof;
mod monitor;
mod sequencer;
mod serve;

pub use error::{Error, MonitorError, Result};
pub use key::{default_origin, LogKey};
pub use listproof::{
    verify_status_list_receipt, ListProofError, LoggedStatusList, MAX_STATUS_LIST_RECEIPT_BYTES,
};
pub use monitor::{
    accept_all, statement_check, verify_log, EntryCheck, MonitorReport, StatementCheck,
};
pub use sequencer::{BatchOutcome, Sequencer, SequencerConfig};
pub use serve::{
    get_checkpoint, get_tile, log_router, receipt, receipt_response, status_list_receipt, LogState,
};

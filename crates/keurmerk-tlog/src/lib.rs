//! Transparency log math and formats for Keurmerk.
//!
//! **Pure and transport-agnostic:** this crate does no I/O, no HTTP and no
//! SQL, has no clock and no global state. Storage and transport live behind
//! two narrow traits owned here — [`HashReader`] (stored hashes by index)
//! and [`TileReader`] (tiles by coordinates) — which the store and server
//! crates implement.
//!
//! What it implements, following the public specifications:
//!
//! * RFC 6962 / RFC 9162 Merkle hashing ([`leaf_hash`], [`node_hash`]),
//!   inclusion and consistency proofs, both over stored hashes like Go's
//!   `golang.org/x/mod/sumdb/tlog` ([`prove_record`], [`check_record`],
//!   [`prove_tree`], [`check_tree`], [`tree_hash`]) and as stand-alone
//!   verifiers ([`verify_inclusion`], [`verify_consistency`]);
//! * C2SP tlog-tiles: [`Tile`] coordinates and paths ([`parse_tile_path`]),
//!   [`new_tiles`], [`read_tile_data`], [`hash_from_tile`], the
//!   authenticating [`TileHashReader`], and entry bundles
//!   ([`encode_entry_bundle`], [`decode_entry_bundle`]);
//! * C2SP signed-note ([`Note`], [`open_note`], [`Ed25519Signer`],
//!   [`Ed25519Verifier`], key strings), tlog-checkpoint ([`Checkpoint`]),
//!   tlog-cosignature v1 ([`CosignatureV1Signer`]) and tlog-proof receipts
//!   ([`Receipt`], [`verify_receipt`]).
//!
//! # Using it from a sequencer
//!
//! A database-backed sequencer appends a batch in one transaction:
//!
//! 1. lock the log head, read the current size `N` (and the partial entry
//!    bundle `tile/entries/<N/256>.p/<N%256>`, if any);
//! 2. call [`append_entries`]`(N, &reader, &partial_bundle, &batch)` where
//!    `reader` implements [`HashReader`] over the stored-hash table (or use
//!    [`StoredTileHashReader`] over the tile table). It reads the old tree's
//!    right edge in one batched call and returns an [`AppendOutput`];
//! 3. persist exactly what it returns: `stored_hashes` at
//!    `first_stored_index..`, each `(tile, bytes)` of `tiles` and
//!    `bundles` (a full tile replaces its partial versions), and the new
//!    size and `root`;
//! 4. sign a [`Checkpoint`] for (`origin`, `new_size`, `root`) and store it
//!    in the same transaction; commit.
//!
//! Because every output is a pure function of the old tree and the batch,
//! a crash before commit loses nothing acknowledged, and a retry produces
//! the same bytes. An HTTP tile server then serves `checkpoint`,
//! `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]` straight from
//! storage, using [`parse_tile_path`] to validate request paths; proofs for
//! receipts come from [`prove_record`] over the same [`HashReader`].
//!
//! # Example
//!
//! ```
//! use keurmerk_tlog::*;
//!
//! # fn main() -> Result<()> {
//! // Sequencer: append a batch onto an empty log kept as stored hashes.
//! let mut stored: Vec<Hash> = Vec::new();
//! let out = append_entries(0, &stored, &[], &[b"cert-1".as_slice(), b"cert-2"])?;
//! stored.extend_from_slice(&out.stored_hashes);
//! assert_eq!(out.tiles[0].0.path(), "tile/0/000.p/2");
//! assert_eq!(out.bundles[0].0.entries_path(), "tile/entries/000.p/2");
//!
//! // Sign the checkpoint with the log key.
//! let log_key = Ed25519Signer::generate("keurmerk.example/log", &mut rand_core::OsRng)?;
//! let checkpoint = Checkpoint::new("keurmerk.example/log", out.new_size, out.root)?;
//! let signed = checkpoint.sign(&[&log_key])?;
//!
//! // Receipt for entry 1, verified offline against the log's verifier key.
//! let receipt = Receipt {
//!     extra: None,
//!     index: 1,
//!     proof: prove_record(out.new_size, 1, &stored)?,
//!     checkpoint: signed,
//! };
//! let parsed = Receipt::parse(receipt.to_text().as_bytes())?;
//! let verifiers = Verifiers::new().with(Ed25519Verifier::from_vkey(&log_key.vkey())?);
//! verify_receipt_for_origin(&parsed, Leaf::Data(b"cert-2"), &verifiers, "keurmerk.example/log")?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod append;
mod bundle;
mod checkpoint;
mod cosignature;
mod error;
mod hash;
mod keys;
mod note;
mod proof;
mod receipt;
mod tile;
mod tile_reader;
mod tree;
mod verify;

pub use append::{append_entries, append_leaf_hashes, AppendOutput};
pub use bundle::{
    append_entry, decode_entry_bundle, decode_entry_bundle_exact, encode_entry_bundle,
    entry_bundle_prefix, MAX_ENTRY_SIZE,
};
pub use checkpoint::{open_checkpoint, Checkpoint};
pub use cosignature::{
    cosignature_timestamp, cosigned_message, CosignatureV1Signer, CosignatureV1Verifier,
    TimestampedCosigner, COSIGNATURE_V1_LEN, MAX_COSIGNATURE_TIMESTAMP,
};
pub use error::{BoxError, Error, Result};
pub use hash::{empty_tree_hash, leaf_hash, node_hash, Hash, HASH_SIZE};
pub use keys::{
    parse_verifier_key, Ed25519Signer, Ed25519Verifier, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519,
};
pub use note::{
    is_valid_key_name, key_id, open_note, sign_note, KeyId, Note, NoteSignature, OpenedNote,
    Signer, Verifier, Verifiers, MAX_NOTE_SIZE, MAX_SIGNATURES,
};
pub use proof::{check_record, check_tree, prove_record, prove_tree};
pub use receipt::{
    verify_receipt, verify_receipt_for_origin, Leaf, Receipt, VerifiedReceipt, MAX_PROOF_HASHES,
    RECEIPT_HEADER,
};
pub use tile::{
    hash_from_tile, new_tiles, parse_tile_path, read_tile_data, tile_for_index, tile_hashes, Tile,
    TileResource, MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH,
};
pub use tile_reader::{StoredTileHashReader, TileHashReader, TileReader};
pub use tree::{
    split_stored_hash_index, stored_hash_count, stored_hash_index, stored_hashes,
    stored_hashes_for_record_hash, tree_hash, HashReader, HashReaderFn, MAX_TREE_SIZE,
};
pub use verify::{root_from_inclusion_proof, verify_consistency, verify_inclusion};

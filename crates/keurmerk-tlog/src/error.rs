//! The crate's single error type.

use crate::note::KeyId;

/// Boxed error from a storage backend (a [`crate::HashReader`] or
/// [`crate::TileReader`] implementation), carried through unchanged.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in `keurmerk-tlog`.
///
/// Parsers of untrusted input (notes, checkpoints, proofs, tiles, bundles,
/// receipts, keys) return the `Malformed*` variants with a short reason and
/// never panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller passed arguments outside the function's domain, such as a
    /// leaf index not below the tree size, or a tree too large for the
    /// stored-hash index space (2^62 leaves).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),

    /// An inclusion or consistency proof did not verify.
    #[error("transparency proof does not verify")]
    ProofFailed,

    /// A [`crate::HashReader`] or [`crate::TileReader`] returned the wrong
    /// number of items.
    #[error("storage returned {got} items, {wanted} requested")]
    ShortRead {
        /// Number of items requested.
        wanted: usize,
        /// Number of items returned.
        got: usize,
    },

    /// A storage backend failed; the source is the backend's own error.
    #[error("storage: {0}")]
    Storage(#[source] BoxError),

    /// A tile or entry-bundle path is not in canonical C2SP tlog-tiles form.
    #[error("malformed tile path {0:?}")]
    MalformedTilePath(String),

    /// Tile coordinates or tile data are invalid for the requested operation
    /// (wrong length, index not in tile, level out of range).
    #[error("invalid tile: {0}")]
    InvalidTile(String),

    /// Tiles served for a tree do not hash to the trusted tree hash (or to
    /// their parent tile): the tile source is lying or corrupt.
    #[error("tile data is inconsistent with the trusted tree")]
    InconsistentTile,

    /// An entry bundle is truncated, has trailing bytes, or holds the wrong
    /// number of entries.
    #[error("malformed entry bundle: {0}")]
    MalformedBundle(&'static str),

    /// A log entry longer than 65,535 bytes cannot go into an entry bundle.
    #[error("entry of {0} bytes exceeds the 65535-byte bundle limit")]
    EntryTooLarge(usize),

    /// A signed note violates the C2SP signed-note format.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),

    /// A verifier or signer key string is malformed (bad name, key ID,
    /// base64 or key length).
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),

    /// A key string's key ID does not match the one computed from its name
    /// and public key.
    #[error("key ID does not match key name and public key")]
    KeyIdMismatch,

    /// The signature type byte is not one this crate implements.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedAlgorithm(u8),

    /// A known key's signature on a note failed to verify.
    #[error("invalid signature for key {name}+{key_id}")]
    InvalidSignature {
        /// Key name from the signature line.
        name: String,
        /// Key ID from the signature.
        key_id: KeyId,
    },

    /// Two configured verifiers share both name and key ID.
    #[error("ambiguous key {name}+{key_id}")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: KeyId,
    },

    /// The note parsed, but no signature by a known key was present.
    #[error("note has no verifiable signatures")]
    NoVerifiedSignature,

    /// A checkpoint body violates C2SP tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),

    /// A checkpoint's origin line is not the expected one.
    #[error("checkpoint origin {found:?} does not match expected {expected:?}")]
    OriginMismatch {
        /// Origin the caller expected.
        expected: String,
        /// Origin found in the checkpoint.
        found: String,
    },

    /// A tlog-proof receipt violates C2SP tlog-proof.
    #[error("malformed receipt: {0}")]
    MalformedReceipt(&'static str),

    /// A hash string is not 32 bytes of valid hex or base64.
    #[error("malformed hash")]
    MalformedHash,

    /// A [`crate::Signer`] failed to produce a signature.
    #[error("signer failed: {0}")]
    SignerFailed(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

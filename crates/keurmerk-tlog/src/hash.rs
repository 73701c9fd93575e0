//! RFC 6962 §2.1 hashing and the [`Hash`] newtype.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Size of a [`Hash`](struct@Hash) in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 Merkle tree hash (leaf, interior node or root).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The all-zero hash, used by the Go `tlog` package as the hash of the
    /// empty tree. RFC 6962's empty-tree hash is [`empty_tree_hash`].
    pub const ZERO: Hash = Hash([0; HASH_SIZE]);

    /// Builds a hash from a slice, which must be exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash> {
        let arr: [u8; HASH_SIZE] = bytes.try_into().map_err(|_| Error::MalformedHash)?;
        Ok(Hash(arr))
    }

    /// Lower-case hex encoding (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters (either case).
    pub fn from_hex(s: &str) -> Result<Hash> {
        let mut out = [0u8; HASH_SIZE];
        hex::decode_to_slice(s, &mut out).map_err(|_| Error::MalformedHash)?;
        Ok(Hash(out))
    }

    /// Standard (RFC 4648 §4, padded) base64 encoding, as used in checkpoints.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses canonical padded standard base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Hash> {
        // 32 bytes always encode to 44 characters; checking first bounds the
        // work done on hostile input.
        if s.len() != 44 {
            return Err(Error::MalformedHash);
        }
        let v = STANDARD.decode(s).map_err(|_| Error::MalformedHash)?;
        Hash::from_slice(&v)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; HASH_SIZE]> for Hash {
    fn from(b: [u8; HASH_SIZE]) -> Self {
        Hash(b)
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// Displays as lower-case hex.
impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// RFC 6962 leaf hash: `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// RFC 6962 interior node hash: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous buffer: a single SHA-256 call over 65 bytes is the hot
    // path of every proof and append.
    let mut buf = [0u8; 1 + 2 * HASH_SIZE];
    buf[0] = 1;
    buf[1..1 + HASH_SIZE].copy_from_slice(&left.0);
    buf[1 + HASH_SIZE..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// RFC 6962 hash of the empty tree: `SHA-256("")`.
pub fn empty_tree_hash() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_round_trip() {
        let h = leaf_hash(b"");
        assert_eq!(
            h.to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::from_base64(&h.to_base64()).unwrap(), h);
        assert!(Hash::from_base64("AAAA").is_err());
        assert!(Hash::from_hex("zz").is_err());
        assert_eq!(
            empty_tree_hash().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

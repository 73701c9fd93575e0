//! Merkle tree math over stored hashes, mirroring Go's
//! `golang.org/x/mod/sumdb/tlog` (`tlog.go`).
//!
//! Hashes are stored in the dense linear order of Crosby and Wallach §3.3:
//! appending leaf `n` writes its leaf hash followed by the hash of every
//! subtree it completes, so a log of `n` leaves holds
//! [`stored_hash_count`]`(n)` ≈ 2n hashes. Storage lives outside this crate,
//! behind [`HashReader`].

use crate::error::{Error, Result};
use crate::hash::{empty_tree_hash, leaf_hash, node_hash, Hash};

/// Largest tree this module accepts: keeps every stored-hash index below
/// 2^63 so it fits an SQL `BIGINT`.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// Reads stored hashes by their [`stored_hash_index`].
///
/// Implementations must return exactly one hash per requested index, in
/// request order, or an error. Requests are usually sorted ascending.
pub trait HashReader {
    /// Returns the hashes stored at `indexes`.
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>>;
}

impl<T: HashReader + ?Sized> HashReader for &T {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        (**self).read_hashes(indexes)
    }
}

/// A dense in-memory store: element `i` is the hash with stored index `i`.
impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.get(i))
                    .copied()
                    .ok_or(Error::InvalidInput("stored hash index out of range"))
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        self.as_slice().read_hashes(indexes)
    }
}

/// Adapts a closure into a [`HashReader`].
pub struct HashReaderFn<F>(pub F);

impl<F> std::fmt::Debug for HashReaderFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashReaderFn")
    }
}

impl<F: Fn(&[i64]) -> Result<Vec<Hash>>> HashReader for HashReaderFn<F> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        (self.0)(indexes)
    }
}

/// Reads `indexes` and checks the reader returned one hash per index.
pub(crate) fn read_exact(r: &(impl HashReader + ?Sized), indexes: &[i64]) -> Result<Vec<Hash>> {
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(Error::ShortRead {
            wanted: indexes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes)
}

/// Maps tree coordinates (level, n) — the n'th hash at `level`, level 0
/// being leaves — to the dense storage index.
///
/// Meaningful for `level <= 62` and `(n + 1) << level <= 2^62`; outside that
/// range the arithmetic wraps (never panics) and the result is meaningless.
pub fn stored_hash_index(level: u32, n: u64) -> i64 {
    // Level L's n'th hash is written right after level L+1's 2n+1'th hash, so
    // map down to the level-0 record m = (n+1)·2^L − 1; level 0's m'th hash
    // is at m + m/2 + m/4 + … = 2m − popcount(m).
    let m = n
        .wrapping_add(1)
        .wrapping_shl(level.min(63))
        .wrapping_sub(1);
    let i = m.wrapping_mul(2).wrapping_sub(u64::from(m.count_ones()));
    (i.wrapping_add(u64::from(level))) as i64
}

/// Inverse of [`stored_hash_index`]: returns (level, n).
pub fn split_stored_hash_index(index: i64) -> Result<(u32, u64)> {
    if !(0..stored_hash_index(0, MAX_TREE_SIZE)).contains(&index) {
        return Err(Error::InvalidInput("stored hash index out of range"));
    }
    // stored_hash_index(0, n) < 2n, so the record we want is in
    // [index/2, index/2 + log2(index)].
    let index = index as u64; // non-negative, checked above
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n) as u64;
    if index_n > index {
        return Err(Error::InvalidInput("stored hash index math"));
    }
    loop {
        // Each record n adds 1 + trailing_zeros(n+1) hashes.
        let x = index_n + 1 + u64::from((n + 1).trailing_zeros());
        if x > index {
            break;
        }
        n += 1;
        index_n = x;
    }
    // The hash was written with record n: it is one of (0,n), (1,n/2), …
    let level = (index - index_n) as u32; // < 64: at most trailing_zeros(n+1)
    Ok((level, n >> level))
}

/// Number of stored hashes a tree of `n` leaves holds.
pub fn stored_hash_count(n: u64) -> i64 {
    if n == 0 {
        return 0;
    }
    // Hashes up to the last leaf hash, plus those for subtrees it completes.
    stored_hash_index(0, n - 1) + 1 + i64::from((n - 1).trailing_ones())
}

/// The hashes to store when appending record `n` with leaf hash `h`, to be
/// written starting at `stored_hash_index(0, n)`. Reads up to log2(n)
/// earlier hashes (left siblings of the subtrees record `n` completes).
pub fn stored_hashes_for_record_hash(
    n: u64,
    h: Hash,
    r: &(impl HashReader + ?Sized),
) -> Result<Vec<Hash>> {
    if n >= MAX_TREE_SIZE {
        return Err(Error::InvalidInput("record index exceeds 2^62"));
    }
    // Each trailing 1 bit of n completes a subtree and consumes the hash of
    // the adjacent left subtree.
    let m = n.trailing_ones();
    let indexes: Vec<i64> = (0..m)
        .rev()
        .map(|i| stored_hash_index(i, (n >> i) - 1))
        .collect();
    let old = read_exact(r, &indexes)?;
    let mut hashes = Vec::with_capacity(1 + m as usize);
    let mut h = h;
    hashes.push(h);
    for left in old.iter().rev() {
        h = node_hash(left, &h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// Like [`stored_hashes_for_record_hash`], hashing `data` as an RFC 6962 leaf.
pub fn stored_hashes(n: u64, data: &[u8], r: &(impl HashReader + ?Sized)) -> Result<Vec<Hash>> {
    stored_hashes_for_record_hash(n, leaf_hash(data), r)
}

/// Largest power of two strictly less than `n` (for n ≥ 2), and its log2.
pub(crate) fn maxpow2(n: u64) -> (u64, u32) {
    if n <= 2 {
        return (1, 0);
    }
    let l = 63 - (n - 1).leading_zeros();
    (1 << l, l)
}

pub(crate) fn check_size(t: u64) -> Result<()> {
    if t > MAX_TREE_SIZE {
        return Err(Error::InvalidInput("tree size exceeds 2^62"));
    }
    Ok(())
}

/// Root hash of the tree of `n` leaves, with one read of at most
/// 1 + log2(n) hashes. The empty tree hashes to `SHA-256("")` (RFC 6962;
/// Go's package returns all zeros instead).
pub fn tree_hash(n: u64, r: &(impl HashReader + ?Sized)) -> Result<Hash> {
    check_size(n)?;
    if n == 0 {
        return Ok(empty_tree_hash());
    }
    let indexes = sub_tree_index(0, n, Vec::new());
    let hashes = read_exact(r, &indexes)?;
    let (h, rest) = sub_tree_hash(0, n, &hashes)?;
    ensure_consumed(rest)?;
    Ok(h)
}

/// Storage indexes of the maximal perfect subtrees covering leaves [lo, hi).
pub(crate) fn sub_tree_index(mut lo: u64, hi: u64, mut need: Vec<i64>) -> Vec<i64> {
    while lo < hi {
        let (k, level) = maxpow2(hi - lo + 1);
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
    need
}

/// Hash of the subtree [lo, hi) from the hashes of [`sub_tree_index`];
/// returns the unused remainder.
pub(crate) fn sub_tree_hash(mut lo: u64, hi: u64, hashes: &[Hash]) -> Result<(Hash, &[Hash])> {
    let mut num_tree = 0usize;
    while lo < hi {
        let (k, _) = maxpow2(hi - lo + 1);
        num_tree += 1;
        lo += k;
    }
    if num_tree == 0 || hashes.len() < num_tree {
        return Err(Error::ShortRead {
            wanted: num_tree,
            got: hashes.len(),
        });
    }
    let (mine, rest) = hashes.split_at(num_tree);
    let mut h = mine[num_tree - 1];
    for left in mine[..num_tree - 1].iter().rev() {
        h = node_hash(left, &h);
    }
    Ok((h, rest))
}

pub(crate) fn ensure_consumed(rest: &[Hash]) -> Result<()> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "internal: unused hashes in proof construction",
        ))
    }
}

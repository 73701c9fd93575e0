//! Pure append helper for a sequencer: turns "tree of size N + a batch of
//! entries" into the exact bytes to persist, so the storage layer only
//! writes what it is given. See the crate documentation for the intended
//! transaction shape.

use std::collections::HashMap;

use crate::bundle::{append_entry, decode_entry_bundle_exact};
use crate::error::{Error, Result};
use crate::hash::{leaf_hash, node_hash, Hash};
use crate::tile::{new_tiles, tile_hash_indexes, Tile, TILE_WIDTH};
use crate::tree::{
    read_exact, stored_hash_index, sub_tree_hash, sub_tree_index, tree_hash, HashReader,
    MAX_TREE_SIZE,
};

/// Everything a sequencer must persist after appending a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutput {
    /// Tree size before the batch.
    pub old_size: u64,
    /// Tree size after the batch.
    pub new_size: u64,
    /// RFC 6962 root hash of the new tree.
    pub root: Hash,
    /// Stored-hash index of `stored_hashes[0]`; the new stored hashes occupy
    /// `first_stored_index .. first_stored_index + stored_hashes.len()`,
    /// which is `stored_hash_count(old_size) .. stored_hash_count(new_size)`.
    pub first_stored_index: i64,
    /// New stored hashes, in index order (≈2 per entry).
    pub stored_hashes: Vec<Hash>,
    /// Every hash tile that changed, full or partial, with its bytes
    /// (`tile.width() · 32`). Write each at [`Tile::path`]; a full tile
    /// supersedes the partial versions of the same (level, index).
    pub tiles: Vec<(Tile, Vec<u8>)>,
    /// Every entry bundle that changed, keyed by its level-0 coordinates
    /// (write at [`Tile::entries_path`]). Empty for [`append_leaf_hashes`].
    pub bundles: Vec<(Tile, Vec<u8>)>,
}

/// Appends leaves given by their RFC 6962 leaf hashes to the tree of
/// `old_size` leaves served by `reader`. Produces stored hashes, tiles and
/// the new root, but no entry bundles.
///
/// `reader` is read twice, in batch: once for the old tree's right edge
/// (≤ 63 hashes) and once for the old hashes inside the partial tiles that
/// the batch extends (≤ 255 per level).
pub fn append_leaf_hashes(
    old_size: u64,
    reader: &(impl HashReader + ?Sized),
    leaf_hashes: &[Hash],
) -> Result<AppendOutput> {
    let new_size = u64::try_from(leaf_hashes.len())
        .ok()
        .and_then(|k| old_size.checked_add(k))
        .filter(|&n| n <= MAX_TREE_SIZE)
        .ok_or(Error::InvalidInput("tree size exceeds 2^62"))?;
    if new_size == old_size {
        return Ok(AppendOutput {
            old_size,
            new_size,
            root: tree_hash(old_size, reader)?,
            first_stored_index: stored_hash_index(0, old_size),
            stored_hashes: Vec::new(),
            tiles: Vec::new(),
            bundles: Vec::new(),
        });
    }

    // The old hashes later appends can need are exactly the roots of the
    // maximal perfect subtrees of the old tree.
    let frontier_idx = sub_tree_index(0, old_size, Vec::new());
    let frontier = read_exact(reader, &frontier_idx)?;
    let mut known: HashMap<i64, Hash> = frontier_idx.into_iter().zip(frontier).collect();

    let first = stored_hash_index(0, old_size);
    let mut stored: Vec<Hash> = Vec::with_capacity(2 * leaf_hashes.len() + 64);
    let lookup = |known: &HashMap<i64, Hash>, stored: &[Hash], idx: i64| -> Result<Hash> {
        if idx >= first {
            usize::try_from(idx - first)
                .ok()
                .and_then(|i| stored.get(i))
                .copied()
        } else {
            known.get(&idx).copied()
        }
        .ok_or(Error::InvalidInput(
            "internal: append needs a hash it does not have",
        ))
    };

    for (i, h) in leaf_hashes.iter().enumerate() {
        let n = old_size + i as u64; // < new_size ≤ 2^62
        let mut h = *h;
        stored.push(h);
        for level in 0..n.trailing_ones() {
            let left = lookup(&known, &stored, stored_hash_index(level, (n >> level) - 1))?;
            h = node_hash(&left, &h);
            stored.push(h);
        }
    }
    if first + stored.len() as i64 != stored_hash_index(0, new_size) {
        return Err(Error::InvalidInput("internal: stored hash count mismatch"));
    }

    let root_idx = sub_tree_index(0, new_size, Vec::new());
    let root_hashes = root_idx
        .iter()
        .map(|&x| lookup(&known, &stored, x))
        .collect::<Result<Vec<_>>>()?;
    let (root, _) = sub_tree_hash(0, new_size, &root_hashes)?;

    // Tile contents: new hashes from `stored`, old ones (the start of
    // partial tiles being extended) in one batched read.
    let tiles = new_tiles(old_size, new_size);
    let tile_idx = tiles
        .iter()
        .map(tile_hash_indexes)
        .collect::<Result<Vec<_>>>()?;
    let mut missing: Vec<i64> = tile_idx
        .iter()
        .flatten()
        .copied()
        .filter(|&x| x < first && !known.contains_key(&x))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let got = read_exact(reader, &missing)?;
        known.extend(missing.into_iter().zip(got));
    }
    let mut tile_data = Vec::with_capacity(tiles.len());
    for (t, idx) in tiles.into_iter().zip(tile_idx) {
        let mut data = Vec::with_capacity(t.byte_len());
        for x in idx {
            data.extend_from_slice(&lookup(&known, &stored, x)?.0);
        }
        tile_data.push((t, data));
    }

    Ok(AppendOutput {
        old_size,
        new_size,
        root,
        first_stored_index: first,
        stored_hashes: stored,
        tiles: tile_data,
        bundles: Vec::new(),
    })
}

/// Appends raw entries (hashed as RFC 6962 leaves) to the tree of
/// `old_size` leaves, producing stored hashes, tiles, entry bundles and the
/// new root.
///
/// `old_partial_bundle` is the current partial entry bundle
/// (`tile/entries/<old_size/256>.p/<old_size%256>`), or empty when
/// `old_size` is a multiple of 256. Its entries are checked against the
/// stored leaf hashes, so a stale or corrupt bundle is caught here.
pub fn append_entries<E: AsRef<[u8]>>(
    old_size: u64,
    reader: &(impl HashReader + ?Sized),
    old_partial_bundle: &[u8],
    entries: &[E],
) -> Result<AppendOutput> {
    for e in entries {
        if e.as_ref().len() > usize::from(u16::MAX) {
            return Err(Error::EntryTooLarge(e.as_ref().len()));
        }
    }
    let leaf_hashes: Vec<Hash> = entries.iter().map(|e| leaf_hash(e.as_ref())).collect();
    let mut out = append_leaf_hashes(old_size, reader, &leaf_hashes)?;
    if entries.is_empty() {
        return Ok(out);
    }

    let width = u64::from(TILE_WIDTH);
    let carried = (old_size % width) as u16; // < 256
    let old_entries = decode_entry_bundle_exact(old_partial_bundle, carried)?;
    if carried > 0 {
        // The extended level-0 tile is always in `tiles`; its first
        // `carried` hashes are the old leaves.
        let first_tile = out
            .tiles
            .iter()
            .find(|(t, _)| t.level() == 0)
            .ok_or(Error::InvalidInput("internal: missing level-0 tile"))?;
        for (e, h) in old_entries.iter().zip(first_tile.1.chunks_exact(32)) {
            if leaf_hash(e).0 != h {
                return Err(Error::MalformedBundle(
                    "old partial bundle does not match stored leaf hashes",
                ));
            }
        }
    }

    let mut bundles = Vec::new();
    let mut next = 0usize; // next new entry to place
    for (t, _) in out.tiles.iter().filter(|(t, _)| t.level() == 0) {
        let start = t.index() * width;
        let mut data = Vec::new();
        for leaf in start..start + u64::from(t.width()) {
            if leaf < old_size {
                let j = (leaf - start) as usize; // < 256
                let e = old_entries
                    .get(j)
                    .ok_or(Error::InvalidInput("internal: bundle math"))?;
                append_entry(&mut data, e)?;
            } else {
                let e = entries
                    .get(next)
                    .ok_or(Error::InvalidInput("internal: bundle math"))?;
                append_entry(&mut data, e.as_ref())?;
                next += 1;
            }
        }
        bundles.push((*t, data));
    }
    out.bundles = bundles;
    Ok(out)
}

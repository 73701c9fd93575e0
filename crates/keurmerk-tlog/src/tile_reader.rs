//! Serving [`HashReader`] requests from tiles: [`TileHashReader`] for
//! clients (authenticates every tile against a trusted tree head, like Go's
//! `tlog.TileHashReader`) and [`StoredTileHashReader`] for the log's own
//! trusted tile storage.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::hash::{node_hash, Hash};
use crate::tile::{
    hash_from_tile, tile_for_index, tile_subtree_hash, Tile, TILE_HEIGHT, TILE_WIDTH,
};
use crate::tree::{stored_hash_index, sub_tree_index, HashReader, MAX_TREE_SIZE};

/// A source of tile data (HTTP client, database, file system).
pub trait TileReader {
    /// Returns the data of each tile, exactly `tile.width() · 32` bytes each,
    /// in request order. A store that keeps only the widest version of a
    /// tile may return the first `width · 32` bytes of it: a narrower tile
    /// is a prefix of a wider one.
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>>;

    /// Called with tiles that [`TileHashReader`] has authenticated, so the
    /// reader may cache them. The default does nothing.
    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

impl<T: TileReader + ?Sized> TileReader for &T {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        (**self).read_tiles(tiles)
    }
    fn save_tiles(&self, tiles: &[Tile], data: &[Vec<u8>]) {
        (**self).save_tiles(tiles, data)
    }
}

/// `t`'s `k`-th ancestor tile as it exists in a tree of `n` leaves, or
/// `None` if the tree has no such tile.
fn tile_parent(t: Tile, k: u8, n: u64) -> Option<Tile> {
    let level = t.level().checked_add(k)?;
    let shift_in = u32::from(k) * TILE_HEIGHT;
    let index = if shift_in >= 64 {
        0
    } else {
        t.index() >> shift_in
    };
    let shift = u32::from(level) * TILE_HEIGHT;
    let max = if shift >= 64 { 0 } else { n >> shift };
    let start = index.checked_mul(u64::from(TILE_WIDTH))?;
    if start >= max {
        return None;
    }
    let width = (max - start).min(u64::from(TILE_WIDTH)) as u16; // ≤ 256
    Tile::new(level, index, width).ok()
}

fn check_tile_data(tiles: &[Tile], data: &[Vec<u8>]) -> Result<()> {
    if data.len() != tiles.len() {
        return Err(Error::ShortRead {
            wanted: tiles.len(),
            got: data.len(),
        });
    }
    for (t, d) in tiles.iter().zip(data) {
        if d.len() != t.byte_len() {
            return Err(Error::InvalidTile(format!(
                "{} returned {} bytes, want {}",
                t.path(),
                d.len(),
                t.byte_len()
            )));
        }
    }
    Ok(())
}

/// A [`HashReader`] over an untrusted [`TileReader`], for a tree whose size
/// and root hash the caller already trusts (from a verified checkpoint).
/// Every tile is checked against the root (or an authenticated parent tile)
/// before any hash from it is returned.
#[derive(Debug)]
pub struct TileHashReader<R> {
    size: u64,
    root: Hash,
    reader: R,
}

impl<R: TileReader> TileHashReader<R> {
    /// Reader for the tree of `size` leaves with root hash `root`.
    pub fn new(size: u64, root: Hash, reader: R) -> Self {
        TileHashReader { size, root, reader }
    }
}

impl<R: TileReader> HashReader for TileHashReader<R> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        let n = self.size;
        if n == 0 || n > MAX_TREE_SIZE {
            return Err(Error::InvalidInput(
                "tile hash reader needs 0 < size <= 2^62",
            ));
        }
        let bad_math = || Error::InvalidInput("internal: tile hash reader math");
        let mut order: HashMap<Tile, usize> = HashMap::new();
        let mut tiles: Vec<Tile> = Vec::new();

        // Tiles needed to recompute the tree hash; if it matches, those
        // tiles are authenticated.
        let stx = sub_tree_index(0, n, Vec::new());
        let mut stx_order = Vec::with_capacity(stx.len());
        for &x in &stx {
            let (t, _, _) = tile_for_index(x)?;
            let t = tile_parent(t, 0, n).ok_or_else(bad_math)?;
            let j = *order.entry(t).or_insert_with(|| {
                tiles.push(t);
                tiles.len() - 1
            });
            stx_order.push(j);
        }

        // Tiles holding the requested indexes, with any parents needed to
        // authenticate them, parents before children.
        let limit = stored_hash_index(0, n);
        let mut index_order = Vec::with_capacity(indexes.len());
        for &x in indexes {
            if x < 0 || x >= limit {
                return Err(Error::InvalidInput("stored hash index not in tree"));
            }
            let (t, _, _) = tile_for_index(x)?;
            let mut k = 0u8;
            loop {
                let p = tile_parent(t, k, n).ok_or_else(bad_math)?;
                if order.contains_key(&p) {
                    break;
                }
                k += 1;
                if k > 8 {
                    return Err(bad_math());
                }
            }
            while k > 0 {
                k -= 1;
                let p = tile_parent(t, k, n).ok_or_else(bad_math)?;
                if p.is_partial() {
                    // Only full tiles have parents.
                    return Err(bad_math());
                }
                order.insert(p, tiles.len());
                tiles.push(p);
            }
            let p = tile_parent(t, 0, n).ok_or_else(bad_math)?;
            index_order.push(*order.get(&p).ok_or_else(bad_math)?);
        }

        let data = self.reader.read_tiles(&tiles)?;
        check_tile_data(&tiles, &data)?;

        // Authenticate the tree-hash tiles against the trusted root.
        let mut th: Option<Hash> = None;
        for (&x, &j) in stx.iter().zip(&stx_order).rev() {
            let h = hash_from_tile(&tiles[j], &data[j], x)?;
            th = Some(match th {
                None => h,
                Some(right) => node_hash(&h, &right),
            });
        }
        if th != Some(self.root) {
            return Err(Error::InconsistentTile);
        }
        // Authenticate the remaining (full) tiles against their parents,
        // which come earlier in `tiles`.
        for i in stx_order.iter().max().map_or(0, |m| m + 1)..tiles.len() {
            let t = tiles[i];
            let p = tile_parent(t, 1, n).ok_or_else(bad_math)?;
            let j = *order.get(&p).ok_or_else(bad_math)?;
            let want = hash_from_tile(
                &p,
                &data[j],
                stored_hash_index(u32::from(p.level()) * TILE_HEIGHT, t.index()),
            )?;
            if tile_subtree_hash(&data[i])? != want {
                return Err(Error::InconsistentTile);
            }
        }
        self.reader.save_tiles(&tiles, &data);

        indexes
            .iter()
            .zip(&index_order)
            .map(|(&x, &j)| hash_from_tile(&tiles[j], &data[j], x))
            .collect()
    }
}

/// A [`HashReader`] over the log's own, trusted tile storage for a tree of
/// a given size: tiles are read as they exist at that size and not
/// authenticated. Lets a sequencer persist only tiles (≈32.1 bytes of hashes
/// per entry) instead of all stored hashes (≈64 bytes per entry).
///
/// Hashes at levels that are not a multiple of 8 are recomputed from the
/// tile (up to 255 hash operations), so this reader suits appends, which
/// read only the tree's right edge, better than bulk proof serving.
#[derive(Debug)]
pub struct StoredTileHashReader<R> {
    size: u64,
    reader: R,
}

impl<R: TileReader> StoredTileHashReader<R> {
    /// Reader for the tree of `size` leaves.
    pub fn new(size: u64, reader: R) -> Self {
        StoredTileHashReader { size, reader }
    }
}

impl<R: TileReader> HashReader for StoredTileHashReader<R> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        if self.size > MAX_TREE_SIZE {
            return Err(Error::InvalidInput("tree size exceeds 2^62"));
        }
        let limit = stored_hash_index(0, self.size);
        let mut order: HashMap<Tile, usize> = HashMap::new();
        let mut tiles = Vec::new();
        let mut which = Vec::with_capacity(indexes.len());
        for &x in indexes {
            if x < 0 || x >= limit {
                return Err(Error::InvalidInput("stored hash index not in tree"));
            }
            let (t, _, _) = tile_for_index(x)?;
            let t = tile_parent(t, 0, self.size)
                .ok_or(Error::InvalidInput("internal: stored tile reader math"))?;
            let j = *order.entry(t).or_insert_with(|| {
                tiles.push(t);
                tiles.len() - 1
            });
            which.push(j);
        }
        if tiles.is_empty() {
            return Ok(Vec::new());
        }
        let data = self.reader.read_tiles(&tiles)?;
        check_tile_data(&tiles, &data)?;
        indexes
            .iter()
            .zip(&which)
            .map(|(&x, &j)| hash_from_tile(&tiles[j], &data[j], x))
            .collect()
    }
}

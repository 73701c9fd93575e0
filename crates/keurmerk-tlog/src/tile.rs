//! C2SP tlog-tiles coordinates, paths and tile data, mirroring Go's
//! `sumdb/tlog/tile.go` at the fixed height 8.
//!
//! A tile at level `L`, index `N` and width `W` holds the `W` consecutive
//! hashes at tree level `8·L` starting at hash `256·N` of that level. Full
//! tiles are 256 hashes (8,192 bytes); the rightmost tiles of a tree are
//! partial (1–255 hashes).

use crate::error::{Error, Result};
use crate::hash::{node_hash, Hash, HASH_SIZE};
use crate::tree::{
    read_exact, split_stored_hash_index, stored_hash_index, HashReader, MAX_TREE_SIZE,
};

/// Tile height: each tile spans 8 tree levels.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile (2^8).
pub const TILE_WIDTH: u16 = 256;
/// Highest tile level allowed in paths.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Coordinates of a hash tile (or, at level 0, of the entry bundle with the
/// same index and width).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u16,
}

/// What a parsed `tile/…` path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileResource {
    /// `tile/<L>/<N>[.p/<W>]`: a hash tile.
    Hashes(Tile),
    /// `tile/entries/<N>[.p/<W>]`: an entry bundle (coordinates at level 0).
    Entries(Tile),
}

impl Tile {
    /// Checked constructor: `level <= 63`, `1 <= width <= 256`.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Tile> {
        if level > MAX_TILE_LEVEL || width == 0 || width > TILE_WIDTH {
            return Err(Error::InvalidTile(format!(
                "level {level} width {width} out of range"
            )));
        }
        Ok(Tile {
            level,
            index,
            width,
        })
    }

    /// Tile level (0 holds leaf hashes).
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Index of the tile within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Number of hashes (or bundle entries) in the tile.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile holds fewer than 256 hashes.
    pub fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// Size of the tile's data in bytes (`width · 32`).
    pub fn byte_len(&self) -> usize {
        usize::from(self.width) * HASH_SIZE
    }

    /// The same coordinates widened to a full tile.
    pub fn full(&self) -> Tile {
        Tile {
            width: TILE_WIDTH,
            ..*self
        }
    }

    /// Hash tile path `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.suffix())
    }

    /// Entry bundle path `tile/entries/<N>[.p/<W>]` for this tile's index and
    /// width (meaningful for level-0 tiles).
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", self.suffix())
    }

    fn suffix(&self) -> String {
        let mut s = encode_index(self.index);
        if self.is_partial() {
            s.push_str(&format!(".p/{}", self.width));
        }
        s
    }

    /// First leaf index covered by this tile (`N · 256^(L+1)`), if it fits.
    pub fn start_leaf(&self) -> Option<u64> {
        let shift = TILE_HEIGHT.checked_mul(u32::from(self.level) + 1)?;
        if shift >= 64 {
            return (self.index == 0).then_some(0);
        }
        self.index.checked_mul(1u64 << shift)
    }
}

/// Encodes a tile index as 3-digit groups, all but the last prefixed with
/// `x`: 1234067 → `x001/x234/067`.
fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// Parses a C2SP tlog-tiles path (`tile/<L>/<N>[.p/<W>]` or
/// `tile/entries/<N>[.p/<W>]`, without the URL prefix). Only the canonical
/// encoding is accepted: no leading zeros, `x` on all but the last group,
/// no `.p/256`.
pub fn parse_tile_path(path: &str) -> Result<TileResource> {
    let bad = || Error::MalformedTilePath(path.chars().take(80).collect());
    // Longest canonical path: "tile/entries/" + 7 groups + ".p/255".
    if path.len() > 64 {
        return Err(bad());
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 3 || parts[0] != "tile" {
        return Err(bad());
    }
    let entries = parts[1] == "entries";
    let level: u8 = if entries {
        0
    } else {
        parse_decimal(parts[1])
            .and_then(|l| u8::try_from(l).ok())
            .ok_or_else(bad)?
    };
    let mut width = TILE_WIDTH;
    if let Some(last_group) = parts[parts.len() - 2].strip_suffix(".p") {
        let w = parse_decimal(parts[parts.len() - 1]).ok_or_else(bad)?;
        width = u16::try_from(w).map_err(|_| bad())?;
        let n = parts.len();
        parts[n - 2] = last_group;
        parts.truncate(n - 1);
    }
    let groups = &parts[2..];
    if groups.is_empty() || groups.len() > 7 {
        return Err(bad());
    }
    let mut index: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x').ok_or_else(bad)?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v = parse_decimal(digits).ok_or_else(bad)?;
        index = index
            .checked_mul(1000)
            .and_then(|x| x.checked_add(v))
            .ok_or_else(bad)?;
    }
    let tile = Tile::new(level, index, width).map_err(|_| bad())?;
    let (canonical, res) = if entries {
        (tile.entries_path(), TileResource::Entries(tile))
    } else {
        (tile.path(), TileResource::Hashes(tile))
    };
    if canonical != path {
        return Err(bad());
    }
    Ok(res)
}

/// Parses ASCII decimal digits (leading zeros allowed here; callers compare
/// against the canonical form).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The tiles (full and partial) that must be published when the tree grows
/// from `old_size` to `new_size` leaves. Empty if `new_size <= old_size`.
pub fn new_tiles(old_size: u64, new_size: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    if new_size <= old_size {
        return tiles;
    }
    let h = TILE_HEIGHT;
    let mut level: u32 = 0;
    while h * level < 64 && new_size >> (h * level) > 0 {
        let old_n = old_size >> (h * level);
        let new_n = new_size >> (h * level);
        if old_n != new_n {
            for n in (old_n >> h)..(new_n >> h) {
                tiles.push(Tile {
                    level: level as u8, // level < 8 here: 8·level < 64
                    index: n,
                    width: TILE_WIDTH,
                });
            }
            let n = new_n >> h;
            let w = new_n - (n << h);
            if w > 0 {
                tiles.push(Tile {
                    level: level as u8,
                    index: n,
                    width: w as u16, // w < 256
                });
            }
        }
        level += 1;
    }
    tiles
}

/// The narrowest tile holding the stored hash at `index`, with the byte
/// range of the tile data that hashes to it.
pub fn tile_for_index(index: i64) -> Result<(Tile, usize, usize)> {
    let (level, mut n) = split_stored_hash_index(index)?;
    let h = TILE_HEIGHT;
    let tile_level = level / h;
    let within = level - tile_level * h; // level within the tile
    let tile_index = (n << within) >> h;
    n -= (tile_index << h) >> within; // n within the tile at `within`
    let width = (n + 1) << within; // ≤ 256
    let tile = Tile {
        level: tile_level as u8, // level ≤ 62
        index: tile_index,
        width: width as u16,
    };
    let start = ((n << within) as usize) * HASH_SIZE;
    let end = (((n + 1) << within) as usize) * HASH_SIZE;
    Ok((tile, start, end))
}

/// The hash with stored index `index`, taken from `data`, the data of
/// `tile`, which must be [`tile_for_index`]`(index)` or a wider version.
pub fn hash_from_tile(tile: &Tile, data: &[u8], index: i64) -> Result<Hash> {
    if data.len() < tile.byte_len() {
        return Err(Error::InvalidTile(format!(
            "{} bytes too short for {}",
            data.len(),
            tile.path()
        )));
    }
    let (t1, start, end) = tile_for_index(index)?;
    if tile.level != t1.level || tile.index != t1.index || tile.width < t1.width {
        return Err(Error::InvalidTile(format!(
            "index {index} is in {} not {}",
            t1.path(),
            tile.path()
        )));
    }
    tile_subtree_hash(&data[start..end])
}

/// Merkle hash of the 2^k consecutive hashes in `data`.
pub(crate) fn tile_subtree_hash(data: &[u8]) -> Result<Hash> {
    let n = data.len() / HASH_SIZE;
    if n == 0 || !n.is_power_of_two() || data.len() % HASH_SIZE != 0 {
        return Err(Error::InvalidTile(format!(
            "{} bytes is not 2^k hashes",
            data.len()
        )));
    }
    if n == 1 {
        return Hash::from_slice(data);
    }
    let half = data.len() / 2;
    Ok(node_hash(
        &tile_subtree_hash(&data[..half])?,
        &tile_subtree_hash(&data[half..])?,
    ))
}

/// Reads the hashes of `tile` from stored-hash storage and returns the
/// tile's bytes (`width · 32`).
pub fn read_tile_data(tile: &Tile, r: &(impl HashReader + ?Sized)) -> Result<Vec<u8>> {
    let indexes = tile_hash_indexes(tile)?;
    let hashes = read_exact(r, &indexes)?;
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// Stored-hash indexes of the hashes a tile holds, in order.
pub(crate) fn tile_hash_indexes(tile: &Tile) -> Result<Vec<i64>> {
    let level = TILE_HEIGHT * u32::from(tile.level);
    let start = tile.index.checked_mul(u64::from(TILE_WIDTH));
    let fits = start
        .and_then(|s| s.checked_add(u64::from(tile.width)))
        .filter(|&end| level < 63 && end <= MAX_TREE_SIZE >> level);
    let (Some(start), Some(_)) = (start, fits) else {
        return Err(Error::InvalidTile(format!(
            "{} beyond maximum tree size",
            tile.path()
        )));
    };
    Ok((0..u64::from(tile.width))
        .map(|i| stored_hash_index(level, start + i))
        .collect())
}

/// Splits tile data into its hashes; the length must be a multiple of 32
/// and at most 256 hashes.
pub fn tile_hashes(data: &[u8]) -> Result<Vec<Hash>> {
    if data.is_empty()
        || data.len() % HASH_SIZE != 0
        || data.len() > usize::from(TILE_WIDTH) * HASH_SIZE
    {
        return Err(Error::InvalidTile(format!(
            "{} bytes is not 1..=256 hashes",
            data.len()
        )));
    }
    data.chunks_exact(HASH_SIZE).map(Hash::from_slice).collect()
}

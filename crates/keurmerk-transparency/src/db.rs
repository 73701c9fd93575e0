//! SQL access to the log tables (migration `0002_log.sql` of keurmerk-store) and the bridge from
//! async storage to the synchronous readers of `keurmerk-tlog`.
//!
//! `keurmerk_tlog`'s [`HashReader`]/[`TileReader`] are synchronous, the database is not. The bridge
//! runs the pure computation over an in-memory tile map; when it asks for a tile that is not
//! loaded, the map records the miss and fails, the tiles are fetched, and the computation is run
//! again. Appends and proofs need at most three rounds (right edge, then the partial tiles being
//! extended).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keurmerk_tlog::{HashReader, StoredTileHashReader, Tile, TileReader, TILE_WIDTH};
use sqlx::{AnyConnection, Row as _};

use crate::error::{Error, Result};

/// Tile key: (level, index).
pub(crate) type TileKey = (u8, u64);

/// The log head as stored.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub size: u64,
    pub root: keurmerk_tlog::Hash,
    pub checkpoint: String,
}

pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Corrupt(format!("{what} {v} exceeds i64")))
}

pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative {what} {v}")))
}

/// Reads the head row (created by the migration).
pub(crate) async fn read_head(conn: &mut AnyConnection) -> Result<Head> {
    let row = sqlx::query("SELECT size, root, checkpoint FROM log_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::Corrupt("log_head row is missing".into()))?;
    let root: Vec<u8> = row.try_get("root")?;
    Ok(Head {
        size: to_u64(row.try_get("size")?, "log size")?,
        root: keurmerk_tlog::Hash::from_slice(&root)
            .map_err(|_| Error::Corrupt("log_head.root is not 32 bytes".into()))?,
        checkpoint: row.try_get("checkpoint")?,
    })
}

/// Reads the widest stored version of a hash tile: (width, data).
pub(crate) async fn read_tile_row(
    conn: &mut AnyConnection,
    level: u8,
    index: u64,
) -> Result<Option<(u16, Vec<u8>)>> {
    let row = sqlx::query("SELECT width, data FROM log_tiles WHERE level = $1 AND idx = $2")
        .bind(i64::from(level))
        .bind(to_i64(index, "tile index")?)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| width_and_data(&r)).transpose()
}

/// Reads the widest stored version of an entry bundle: (width, data).
pub(crate) async fn read_bundle_row(
    conn: &mut AnyConnection,
    index: u64,
) -> Result<Option<(u16, Vec<u8>)>> {
    let row = sqlx::query("SELECT width, data FROM log_bundles WHERE idx = $1")
        .bind(to_i64(index, "bundle index")?)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| width_and_data(&r)).transpose()
}

fn width_and_data(row: &sqlx::any::AnyRow) -> Result<(u16, Vec<u8>)> {
    let width: i64 = row.try_get("width")?;
    let width = u16::try_from(width)
        .ok()
        .filter(|w| (1..=TILE_WIDTH).contains(w))
        .ok_or_else(|| Error::Corrupt(format!("stored tile width {width}")))?;
    Ok((width, row.try_get("data")?))
}

/// Immutable full hash tiles, shared by the tile server and the receipt prover. Full tiles never
/// change, so caching them needs no invalidation; the cache is simply cleared when full.
#[derive(Debug, Default)]
pub(crate) struct FullTileCache {
    tiles: Mutex<HashMap<TileKey, Arc<Vec<u8>>>>,
}

const FULL_TILE_CACHE_ENTRIES: usize = 2048; // × 8 KiB = 16 MiB at most

impl FullTileCache {
    pub fn get(&self, key: TileKey) -> Option<Arc<Vec<u8>>> {
        self.tiles.lock().ok()?.get(&key).cloned()
    }

    pub fn put(&self, key: TileKey, data: Arc<Vec<u8>>) {
        if data.len() != Tile::new(0, 0, TILE_WIDTH).map_or(0, |t| t.byte_len()) {
            return;
        }
        if let Ok(mut m) = self.tiles.lock() {
            if m.len() >= FULL_TILE_CACHE_ENTRIES {
                m.clear();
            }
            m.insert(key, data);
        }
    }
}

/// A [`TileReader`] over loaded tiles that records the ones it lacks.
struct MapTiles<'a> {
    tiles: &'a HashMap<TileKey, Arc<Vec<u8>>>,
    missing: RefCell<Vec<TileKey>>,
}

impl TileReader for MapTiles<'_> {
    fn read_tiles(&self, tiles: &[Tile]) -> keurmerk_tlog::Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(tiles.len());
        let mut missing = self.missing.borrow_mut();
        for t in tiles {
            match self.tiles.get(&(t.level(), t.index())) {
                Some(d) => {
                    let want = t.byte_len();
                    let part = d.get(..want).ok_or_else(|| {
                        keurmerk_tlog::Error::InvalidTile(format!(
                            "stored {} holds {} bytes, {want} needed",
                            t.path(),
                            d.len()
                        ))
                    })?;
                    out.push(part.to_vec());
                }
                None => missing.push((t.level(), t.index())),
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(keurmerk_tlog::Error::Storage("tiles not loaded yet".into()))
        }
    }
}

/// Runs `f` over a [`HashReader`] for the stored tree of `size` leaves, loading the tiles it asks
/// for from `conn` (and `cache`, for full tiles).
pub(crate) async fn with_stored_tiles<T>(
    conn: &mut AnyConnection,
    size: u64,
    cache: Option<&FullTileCache>,
    f: impl Fn(&dyn HashReader) -> keurmerk_tlog::Result<T>,
) -> Result<T> {
    let mut loaded: HashMap<TileKey, Arc<Vec<u8>>> = HashMap::new();
    // Each round loads at least one new tile; a tree has at most 8 tile levels on the right edge
    // plus the tiles a proof touches, so 64 rounds means something is wrong.
    for _ in 0..64 {
        let missing = {
            let tiles = MapTiles {
                tiles: &loaded,
                missing: RefCell::new(Vec::new()),
            };
            let reader = StoredTileHashReader::new(size, &tiles);
            match f(&reader) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let missing = tiles.missing.into_inner();
                    if missing.is_empty() {
                        return Err(e.into());
                    }
                    missing
                }
            }
        };
        for key in missing {
            if loaded.contains_key(&key) {
                continue;
            }
            if let Some(d) = cache.and_then(|c| c.get(key)) {
                loaded.insert(key, d);
                continue;
            }
            let (width, data) = read_tile_row(conn, key.0, key.1).await?.ok_or_else(|| {
                Error::Corrupt(format!(
                    "hash tile level {} index {} is missing from log_tiles",
                    key.0, key.1
                ))
            })?;
            let data = Arc::new(data);
            if width == TILE_WIDTH {
                if let Some(c) = cache {
                    c.put(key, data.clone());
                }
            }
            loaded.insert(key, data);
        }
    }
    Err(Error::Corrupt(
        "tile loading did not converge (stored tiles inconsistent)".into(),
    ))
}

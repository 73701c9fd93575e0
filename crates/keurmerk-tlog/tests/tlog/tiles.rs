//! Tiles, tile-backed hash readers, entry bundles and the append helper.

use std::cell::RefCell;

use keurmerk_tlog::{
    append_entries, append_leaf_hashes, decode_entry_bundle_exact, hash_from_tile, leaf_hash,
    new_tiles, parse_tile_path, prove_record, prove_tree, read_tile_data, stored_hash_count,
    stored_hash_index, tile_for_index, tile_hashes, tree_hash, verify_consistency,
    verify_inclusion, Error, Hash, HashReader, Result, StoredTileHashReader, Tile, TileHashReader,
    TileReader, TileResource,
};

use crate::common::{numbered, MemLog};

#[test]
fn tile_for_index_and_hash_from_tile_agree_with_storage() {
    let log = MemLog::with_entries(&numbered(70_000));
    let n = log.size();
    for x in (0..stored_hash_count(n)).step_by(97) {
        let (t, _, _) = tile_for_index(x).unwrap();
        let data = read_tile_data(&t, &log.stored).unwrap();
        assert_eq!(
            hash_from_tile(&t, &data, x).unwrap(),
            log.stored[x as usize],
            "index {x}"
        );
    }
    // A tile that does not hold the index is rejected, not misread.
    let (t, _, _) = tile_for_index(stored_hash_index(0, 300)).unwrap();
    let data = read_tile_data(&t, &log.stored).unwrap();
    assert!(hash_from_tile(&t, &data, stored_hash_index(0, 10)).is_err());
    assert!(hash_from_tile(&t, &data[..10], stored_hash_index(0, 300)).is_err());
    assert_eq!(tile_hashes(&data).unwrap().len(), usize::from(t.width()));
    assert!(tile_hashes(&data[..31]).is_err());
}

#[test]
fn tile_hash_reader_serves_verified_proofs() {
    let log = MemLog::with_entries(&numbered(70_000));
    let n = log.size();
    let root = tree_hash(n, &log.stored).unwrap();
    let reader = TileHashReader::new(n, root, &log);
    for i in [0u64, 1, 255, 256, 65_535, 65_536, 69_999] {
        let p = prove_record(n, i, &reader).unwrap();
        assert_eq!(p, prove_record(n, i, &log.stored).unwrap());
        verify_inclusion(&leaf_hash(&log.entries[i as usize]), i, n, &p, &root).unwrap();
    }
    for old in [1u64, 256, 1000, 65_536, 69_999] {
        let p = prove_tree(n, old, &reader).unwrap();
        let old_root = tree_hash(old, &log.stored).unwrap();
        verify_consistency(old, n, &old_root, &root, &p).unwrap();
    }
    // A wrong trusted root makes every read fail.
    let liar = TileHashReader::new(n, Hash([0; 32]), &log);
    assert!(matches!(
        prove_record(n, 5, &liar),
        Err(Error::InconsistentTile)
    ));
    // The stored-tile reader needs no root.
    let trusted = StoredTileHashReader::new(n, &log);
    assert_eq!(
        prove_record(n, 12_345, &trusted).unwrap(),
        prove_record(n, 12_345, &log.stored).unwrap()
    );
    assert_eq!(tree_hash(n, &trusted).unwrap(), root);
}

/// A tile source that corrupts one byte of one tile.
struct Corrupting<'a> {
    log: &'a MemLog,
    target: Tile,
}

impl TileReader for Corrupting<'_> {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        let mut out = self.log.read_tiles(tiles)?;
        for (t, d) in tiles.iter().zip(out.iter_mut()) {
            if *t == self.target {
                d[0] ^= 1;
            }
        }
        Ok(out)
    }
}

#[test]
fn tile_hash_reader_detects_any_corrupt_tile() {
    let log = MemLog::with_entries(&numbered(70_000));
    let n = log.size();
    let root = tree_hash(n, &log.stored).unwrap();
    for target in new_tiles(0, n)
        .into_iter()
        .filter(|t| t.index() % 50 == 0 || t.is_partial())
    {
        let r = TileHashReader::new(n, root, Corrupting { log: &log, target });
        // Ask for a leaf under the corrupted tile.
        let leaf = target.start_leaf().unwrap().min(n - 1);
        let res = prove_record(n, leaf, &r);
        assert!(
            matches!(res, Err(Error::InconsistentTile)),
            "{target:?}: {res:?}"
        );
    }
}

/// Counts read calls, to check the append helper batches its reads.
struct Counting<'a> {
    inner: &'a [Hash],
    calls: RefCell<usize>,
}

impl HashReader for Counting<'_> {
    fn read_hashes(&self, indexes: &[i64]) -> Result<Vec<Hash>> {
        *self.calls.borrow_mut() += 1;
        self.inner.read_hashes(indexes)
    }
}

#[test]
fn append_batches_equal_one_by_one() {
    let all = numbered(1_300);
    let full = MemLog::with_entries(&all);
    let mut stored: Vec<Hash> = Vec::new();
    let mut bundles: std::collections::HashMap<u64, Vec<u8>> = Default::default();
    let mut size = 0u64;
    for batch in [1usize, 2, 253, 1, 256, 300, 7, 480] {
        let entries = &all[size as usize..size as usize + batch];
        let partial = if size % 256 == 0 {
            Vec::new()
        } else {
            bundles[&(size / 256)].clone()
        };
        let reader = Counting {
            inner: &stored,
            calls: RefCell::new(0),
        };
        let out = append_entries(size, &reader, &partial, entries).unwrap();
        assert!(*reader.calls.borrow() <= 2, "reads must be batched");
        assert_eq!(out.first_stored_index, stored.len() as i64);
        stored.extend_from_slice(&out.stored_hashes);
        size = out.new_size;
        assert_eq!(stored, full.stored[..stored.len()]);
        assert_eq!(out.root, tree_hash(size, &full.stored).unwrap());
        let want_tiles = new_tiles(out.old_size, size);
        assert_eq!(
            out.tiles.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            want_tiles
        );
        for (t, data) in &out.tiles {
            assert_eq!(
                *data,
                read_tile_data(t, &full.stored).unwrap(),
                "{}",
                t.path()
            );
        }
        for (t, data) in &out.bundles {
            let got = decode_entry_bundle_exact(data, t.width()).unwrap();
            let start = t.start_leaf().unwrap() as usize;
            for (k, e) in got.iter().enumerate() {
                assert_eq!(*e, all[start + k].as_slice());
            }
            bundles.insert(t.index(), data.clone());
        }
        // The hash-only variant yields the same tree.
        let hashes: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let prev = &stored[..out.first_stored_index as usize];
        let alt = append_leaf_hashes(out.old_size, &prev, &hashes).unwrap();
        assert_eq!((alt.root, alt.tiles.len()), (out.root, out.tiles.len()));
        assert!(alt.bundles.is_empty());
    }
    assert_eq!(size, 1_300);
}

#[test]
fn append_over_stored_tiles_and_checks_partial_bundle() {
    let all = numbered(600);
    let log = MemLog::with_entries(&all[..300]);
    let reader = StoredTileHashReader::new(300, &log);
    let partial = keurmerk_tlog::encode_entry_bundle(&all[256..300]).unwrap();
    let out = append_entries(300, &reader, &partial, &all[300..]).unwrap();
    let full = MemLog::with_entries(&all);
    assert_eq!(out.root, tree_hash(600, &full.stored).unwrap());
    // A stale or wrong partial bundle is refused.
    let wrong = keurmerk_tlog::encode_entry_bundle(&all[255..299]).unwrap();
    assert!(append_entries(300, &reader, &wrong, &all[300..]).is_err());
    assert!(append_entries(300, &reader, &[], &all[300..]).is_err());
    assert!(append_entries(300, &reader, &partial, &[vec![0u8; 70_000]]).is_err());
    // An empty batch changes nothing.
    let none: [&[u8]; 0] = [];
    let same = append_entries(300, &reader, &partial, &none).unwrap();
    assert!(same.tiles.is_empty() && same.stored_hashes.is_empty());
    assert_eq!(same.root, tree_hash(300, &log.stored).unwrap());
}

#[test]
fn paths() {
    let t = Tile::new(4, 1_234_067, 8).unwrap();
    assert_eq!(t.path(), "tile/4/x001/x234/067.p/8");
    assert_eq!(Tile::new(0, 5, 256).unwrap().path(), "tile/0/005");
    assert_eq!(
        Tile::new(0, 1000, 256).unwrap().entries_path(),
        "tile/entries/x001/000"
    );
    for p in [
        "tile/4/x001/x234/067.p/8",
        "tile/0/005",
        "tile/entries/x001/000.p/1",
        "tile/63/000",
    ] {
        let r = parse_tile_path(p).unwrap();
        let back = match r {
            TileResource::Hashes(t) => t.path(),
            TileResource::Entries(t) => t.entries_path(),
        };
        assert_eq!(back, p);
    }
    for p in [
        "tile/04/005",
        "tile/+4/005",
        "tile/64/000",
        "tile/0/5",
        "tile/0/x000/005",
        "tile/0/001/005",
        "tile/0/005.p/256",
        "tile/0/005.p/0",
        "tile/0/005.p/08",
        "tile/0/005.p/",
        "tile/0/x005",
        "tile/0/",
        "tile/0",
        "tiles/0/000",
        "tile/entries/000.p/300",
        "tile/0/000/",
        "/tile/0/000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x99999999999999999999/000",
        "tile/0/-01",
    ] {
        assert!(parse_tile_path(p).is_err(), "{p} accepted");
    }
}

#[test]
fn new_tiles_matches_spec_example() {
    // C2SP: a tree of 70,000 leaves has 273 full + 1 partial (112) level-0
    // tiles, 1 full + 1 partial (17) level-1 tiles, 1 partial (1) level-2.
    let tiles = new_tiles(0, 70_000);
    let count = |l: u8, full: bool| {
        tiles
            .iter()
            .filter(|t| t.level() == l && t.is_partial() != full)
            .count()
    };
    assert_eq!(count(0, true), 273);
    assert_eq!(count(0, false), 1);
    assert_eq!(count(1, true), 1);
    assert_eq!(count(1, false), 1);
    assert_eq!(count(2, false), 1);
    assert_eq!(tiles.len(), 277);
    assert!(tiles.contains(&Tile::new(0, 273, 112).unwrap()));
    assert!(tiles.contains(&Tile::new(1, 1, 17).unwrap()));
    assert!(tiles.contains(&Tile::new(2, 0, 1).unwrap()));
    // A tree of 256 leaves: one full level-0 tile, a level-1 tile of width 1.
    assert_eq!(
        new_tiles(0, 256),
        vec![Tile::new(0, 0, 256).unwrap(), Tile::new(1, 0, 1).unwrap()]
    );
    assert_eq!(new_tiles(256, 257), vec![Tile::new(0, 1, 1).unwrap()]);
    assert!(new_tiles(5, 5).is_empty());
}

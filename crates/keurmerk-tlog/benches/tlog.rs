//! Criterion benchmarks for the transparency-log hot paths.
//!
//! Run (numbers in the crate report come from this command):
//! `CARGO_TARGET_DIR=/work/target-tlog cargo bench -p keurmerk-tlog --bench tlog -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use keurmerk_tlog::{
    append_entries, encode_entry_bundle, leaf_hash, new_tiles, node_hash, prove_record, prove_tree,
    read_tile_data, stored_hash_count, stored_hash_index, tree_hash, verify_consistency,
    verify_inclusion, Hash, Result, StoredTileHashReader, Tile, TileReader,
};

const N: u64 = 10_000_000;

fn entry(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

/// The 10M-entry log as dense stored hashes, built directly: each leaf
/// hash followed by the hashes of the subtrees it completes.
fn stored() -> &'static Vec<Hash> {
    static S: OnceLock<Vec<Hash>> = OnceLock::new();
    S.get_or_init(|| {
        let t = std::time::Instant::now();
        let mut v: Vec<Hash> = Vec::with_capacity(stored_hash_count(N) as usize);
        for n in 0..N {
            let mut h = leaf_hash(&entry(n));
            v.push(h);
            for level in 0..n.trailing_ones() {
                let left = v[stored_hash_index(level, (n >> level) - 1) as usize];
                h = node_hash(&left, &h);
                v.push(h);
            }
        }
        eprintln!(
            "built {N}-entry tree: {} stored hashes ({:.2} bytes/entry) in {:.1?}",
            v.len(),
            (v.len() * 32) as f64 / N as f64,
            t.elapsed()
        );
        v
    })
}

/// The same log as C2SP tiles (full and partial), in memory.
struct MemTiles(HashMap<(u8, u64), Vec<u8>>);

impl TileReader for MemTiles {
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        Ok(tiles
            .iter()
            .map(|t| self.0[&(t.level(), t.index())][..t.byte_len()].to_vec())
            .collect())
    }
}

fn tiles() -> &'static MemTiles {
    static T: OnceLock<MemTiles> = OnceLock::new();
    T.get_or_init(|| {
        let s = stored();
        let mut m = HashMap::new();
        let mut bytes = 0usize;
        for t in new_tiles(0, N) {
            let d = read_tile_data(&t, s).unwrap();
            bytes += d.len();
            m.insert((t.level(), t.index()), d);
        }
        eprintln!(
            "tiles for {N} entries: {} tiles, {bytes} bytes ({:.3} bytes/entry)",
            m.len(),
            bytes as f64 / N as f64
        );
        MemTiles(m)
    })
}

/// Cheap deterministic index sequence (LCG) so each iteration proves a
/// different leaf.
fn next_index(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) % N
}

fn bench_proofs(c: &mut Criterion) {
    let s = stored();
    let root = tree_hash(N, s).unwrap();
    let mut g = c.benchmark_group("inclusion_10M");
    g.throughput(Throughput::Elements(1));
    let mut st = 1u64;
    g.bench_function("prove_record/stored_hashes", |b| {
        b.iter(|| prove_record(N, next_index(&mut st), s).unwrap())
    });
    let tr = StoredTileHashReader::new(N, tiles());
    g.bench_function("prove_record/tiles", |b| {
        b.iter(|| prove_record(N, next_index(&mut st), &tr).unwrap())
    });
    let proofs: Vec<(u64, Vec<Hash>)> = (0..1024)
        .map(|_| {
            let i = next_index(&mut st);
            (i, prove_record(N, i, s).unwrap())
        })
        .collect();
    let mut k = 0usize;
    g.bench_function("verify_inclusion", |b| {
        b.iter(|| {
            let (i, p) = &proofs[k % proofs.len()];
            k += 1;
            verify_inclusion(&leaf_hash(&entry(*i)), *i, N, p, &root).unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("consistency_10M");
    g.throughput(Throughput::Elements(1));
    let old = 7_654_321u64;
    let old_root = tree_hash(old, s).unwrap();
    let proof = prove_tree(N, old, s).unwrap();
    g.bench_function("prove_tree/stored_hashes", |b| {
        b.iter(|| prove_tree(N, black_box(old), s).unwrap())
    });
    g.bench_function("verify_consistency", |b| {
        b.iter(|| verify_consistency(old, N, &old_root, &root, black_box(&proof)).unwrap())
    });
    g.finish();
}

fn bench_append(c: &mut Criterion) {
    let s = stored();
    let carried = N % 256;
    let partial: Vec<[u8; 8]> = (N - carried..N).map(entry).collect();
    let partial = encode_entry_bundle(&partial).unwrap();
    let mut g = c.benchmark_group("append_onto_10M");
    for batch in [1usize, 1000] {
        let entries: Vec<Vec<u8>> = (0..batch as u64)
            .map(|i| vec![(i % 251) as u8; 64])
            .collect();
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(format!("append_entries/batch_{batch}"), |b| {
            b.iter_batched(
                || (),
                |_| append_entries(N, s, &partial, &entries).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench_proofs, bench_append);
criterion_main!(benches);

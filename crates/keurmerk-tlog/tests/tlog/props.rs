//! Property tests: proofs verify and every mutation fails; tile paths and
//! bundles round-trip; parsers never panic on arbitrary input.

use std::sync::OnceLock;

use keurmerk_tlog::{append_entries, read_tile_data, TileHashReader};
use keurmerk_tlog::{
    check_record, check_tree, decode_entry_bundle, encode_entry_bundle, leaf_hash, open_note,
    parse_tile_path, parse_verifier_key, prove_record, prove_tree, split_stored_hash_index,
    stored_hash_index, tree_hash, verify_consistency, verify_inclusion, Checkpoint, Ed25519Signer,
    Ed25519Verifier, Hash, Note, Receipt, Tile, TileResource, Verifiers,
};
use proptest::prelude::*;

use crate::common::{numbered, MemLog};

const MAX: u64 = 3000;

fn log() -> &'static (MemLog, Vec<Hash>) {
    static LOG: OnceLock<(MemLog, Vec<Hash>)> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = MemLog::with_entries(&numbered(MAX));
        let roots = (0..=MAX)
            .map(|n| tree_hash(n, &log.stored).unwrap())
            .collect();
        (log, roots)
    })
}

/// Proof mutations: flip a bit, drop a hash, add a hash, swap two.
fn mutations(proof: &[Hash], seed: usize) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    if !proof.is_empty() {
        let mut p = proof.to_vec();
        let i = seed % p.len();
        p[i].0[(seed / 7) % 32] ^= 1 << (seed % 8);
        out.push(p);
        let mut p = proof.to_vec();
        p.remove(seed % proof.len());
        out.push(p);
    }
    let mut p = proof.to_vec();
    p.insert(seed % (proof.len() + 1), Hash([seed as u8; 32]));
    out.push(p);
    if proof.len() >= 2 && proof[0] != proof[1] {
        let mut p = proof.to_vec();
        p.swap(0, 1);
        out.push(p);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_mutations_fail(size in 1..=MAX, idx in any::<u64>(), seed in any::<usize>()) {
        let (log, roots) = log();
        let index = idx % size;
        let root = roots[size as usize];
        let leaf = leaf_hash(&log.entries[index as usize]);
        let proof = prove_record(size, index, &log.stored).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
        prop_assert!(check_record(&proof, size, &root, index, &leaf).is_ok());
        for bad in mutations(&proof, seed) {
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            prop_assert!(check_record(&bad, size, &root, index, &leaf).is_err());
        }
        let other = (index + 1 + (seed as u64 % size.max(2))) % size;
        if other != index {
            prop_assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
        }
        let other_size = 1 + (size + seed as u64 % MAX) % MAX;
        if other_size != size && other_size > index {
            let r = roots[other_size as usize];
            prop_assert!(verify_inclusion(&leaf, index, other_size, &proof, &r).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_mutations_fail(a in 1..=MAX, b in 1..=MAX, seed in any::<usize>()) {
        let (log, roots) = log();
        let (old, new) = if a <= b { (a, b) } else { (b, a) };
        let (ro, rn) = (roots[old as usize], roots[new as usize]);
        let proof = prove_tree(new, old, &log.stored).unwrap();
        prop_assert!(verify_consistency(old, new, &ro, &rn, &proof).is_ok());
        prop_assert!(check_tree(&proof, new, &rn, old, &ro).is_ok());
        if old < new {
            for bad in mutations(&proof, seed) {
                prop_assert!(verify_consistency(old, new, &ro, &rn, &bad).is_err());
                prop_assert!(check_tree(&bad, new, &rn, old, &ro).is_err());
            }
            prop_assert!(verify_consistency(old, new, &rn, &ro, &proof).is_err());
            if new < MAX {
                prop_assert!(verify_consistency(old, new + 1, &ro, &roots[new as usize + 1], &proof).is_err());
            }
            if old > 1 {
                prop_assert!(verify_consistency(old - 1, new, &roots[old as usize - 1], &rn, &proof).is_err());
            }
        }
    }

    #[test]
    fn stored_hash_index_round_trips(level in 0u32..40, n in 0u64..(1 << 20)) {
        let i = stored_hash_index(level, n);
        prop_assert_eq!(split_stored_hash_index(i).unwrap(), (level, n));
    }

    #[test]
    fn tile_paths_round_trip(level in 0u8..=63, index in any::<u64>(), width in 1u16..=256) {
        let t = Tile::new(level, index, width).unwrap();
        prop_assert_eq!(parse_tile_path(&t.path()).unwrap(), TileResource::Hashes(t));
        let e = Tile::new(0, index, width).unwrap();
        prop_assert_eq!(parse_tile_path(&e.entries_path()).unwrap(), TileResource::Entries(e));
    }

    #[test]
    fn bundles_round_trip(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..=256)) {
        let b = encode_entry_bundle(&entries).unwrap();
        let back = decode_entry_bundle(&b).unwrap();
        prop_assert_eq!(back.len(), entries.len());
        for (x, y) in back.iter().zip(&entries) {
            prop_assert_eq!(*x, y.as_slice());
        }
        if !b.is_empty() {
            prop_assert!(decode_entry_bundle(&b[..b.len() - 1]).is_err());
        }
    }

    #[test]
    fn parsers_never_panic_on_bytes(data in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Note::parse(&data);
        let _ = open_note(&data, &Verifiers::new());
        let _ = Receipt::parse(&data);
        let _ = decode_entry_bundle(&data);
        if let Ok(s) = std::str::from_utf8(&data) {
            let _ = Checkpoint::parse(s);
            let _ = parse_tile_path(s);
            let _ = parse_verifier_key(s);
            let _ = Ed25519Signer::from_skey(s);
            let _ = Hash::from_base64(s);
        }
    }

    #[test]
    fn parsers_never_panic_on_text(s in "(tile/|— |c2sp.org/tlog-proof@v1\n|index |\n|[a-z0-9x./+=]{0,12}|\u{2014}){0,24}") {
        let _ = Note::parse(s.as_bytes());
        let _ = Receipt::parse(s.as_bytes());
        let _ = Checkpoint::parse(&s);
        let _ = parse_tile_path(&s);
        let _ = parse_verifier_key(&s);
    }

    #[test]
    fn mutated_signed_notes_never_verify_wrongly(pos in any::<usize>(), byte in any::<u8>()) {
        static SIGNED: OnceLock<(String, Ed25519Verifier)> = OnceLock::new();
        let (msg, v) = SIGNED.get_or_init(|| {
            let s = Ed25519Signer::from_skey("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").unwrap();
            let c = Checkpoint::new("keurmerk.example/log", 7, Hash([3; 32])).unwrap();
            (c.sign(&[&s]).unwrap(), s.verifier())
        });
        let mut m = msg.as_bytes().to_vec();
        let i = pos % m.len();
        if m[i] != byte {
            m[i] = byte;
            let verifiers = Verifiers::new().with(v.clone());
            if let Ok(opened) = open_note(&m, &verifiers) {
                // Only a change outside the signed text and signature bytes
                // (e.g. none) could verify; the text must be unchanged.
                prop_assert_eq!(opened.text.as_bytes(), &msg.as_bytes()[..opened.text.len()]);
            }
        }
    }

    #[test]
    fn tile_hash_reader_matches_storage(size in 1..=MAX, idx in any::<u64>()) {
        let (log, roots) = log();
        let index = idx % size;
        let reader = TileHashReader::new(size, roots[size as usize], log);
        let via_tiles = prove_record(size, index, &reader).unwrap();
        prop_assert_eq!(via_tiles, prove_record(size, index, &log.stored).unwrap());
        let old = 1 + idx % size;
        prop_assert_eq!(prove_tree(size, old, &reader).unwrap(), prove_tree(size, old, &log.stored).unwrap());
    }

    #[test]
    fn append_in_random_batches(batches in prop::collection::vec(0usize..300, 1..8)) {
        let (full, roots) = log();
        let mut stored: Vec<Hash> = Vec::new();
        let mut partial: Vec<u8> = Vec::new();
        let mut size = 0u64;
        for b in batches {
            let end = (size as usize + b).min(MAX as usize);
            let out = append_entries(size, &stored, &partial, &full.entries[size as usize..end]).unwrap();
            stored.extend_from_slice(&out.stored_hashes);
            size = out.new_size;
            prop_assert_eq!(out.root, roots[size as usize]);
            prop_assert_eq!(&stored[..], &full.stored[..stored.len()]);
            for (t, data) in &out.tiles {
                prop_assert_eq!(data, &read_tile_data(t, &full.stored).unwrap());
            }
            if let Some((t, data)) = out.bundles.last() {
                partial = if t.is_partial() { data.clone() } else { Vec::new() };
            }
        }
    }
}

//! Known-answer tests: the RFC 6962 eight-leaf tree, with roots and proofs
//! from transparency-dev/merkle `proof/verify_test.go` (which carries the
//! certificate-transparency-go test data).

use keurmerk_tlog::{
    check_record, check_tree, empty_tree_hash, leaf_hash, prove_record, prove_tree,
    root_from_inclusion_proof, split_stored_hash_index, stored_hash_count, stored_hash_index,
    tree_hash, verify_consistency, verify_inclusion, Error, Hash,
};

use crate::common::{h, rfc6962_leaves, MemLog};

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, audit path). The source lists 1-based leaves.
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// (old size, new size, consistency proof).
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn root(size: u64) -> Hash {
    h(ROOTS[size as usize - 1])
}

#[test]
fn roots_for_every_size() {
    let leaves = rfc6962_leaves();
    let log = MemLog::with_entries(&leaves);
    assert_eq!(tree_hash(0, &log.stored).unwrap(), empty_tree_hash());
    for size in 1..=8u64 {
        assert_eq!(
            tree_hash(size, &log.stored).unwrap(),
            root(size),
            "size {size}"
        );
    }
    assert_eq!(log.stored.len() as i64, stored_hash_count(8));
}

#[test]
fn inclusion_proofs_match_and_verify() {
    let leaves = rfc6962_leaves();
    let log = MemLog::with_entries(&leaves);
    for (index, size, want) in inclusion_vectors() {
        let proof = prove_record(size, index, &log.stored).unwrap();
        assert_eq!(proof, want, "proof for {index} in {size}");
        let leaf = leaf_hash(&leaves[index as usize]);
        verify_inclusion(&leaf, index, size, &proof, &root(size)).unwrap();
        check_record(&proof, size, &root(size), index, &leaf).unwrap();
        for (i, s) in [
            (index + 1, size),
            (index ^ 2, size),
            (index, size * 2),
            (index, size / 2),
        ] {
            if (i, s) != (index, size) {
                assert!(verify_inclusion(&leaf, i, s, &proof, &root(size)).is_err());
            }
        }
        let mut longer = proof.clone();
        longer.push(root(size));
        assert!(verify_inclusion(&leaf, index, size, &longer, &root(size)).is_err());
        assert!(check_record(&longer, size, &root(size), index, &leaf).is_err());
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i].0[0] ^= 8;
            assert!(matches!(
                verify_inclusion(&leaf, index, size, &bad, &root(size)),
                Err(Error::ProofFailed)
            ));
            assert!(check_record(&bad, size, &root(size), index, &leaf).is_err());
        }
    }
}

#[test]
fn consistency_proofs_match_and_verify() {
    let log = MemLog::with_entries(&rfc6962_leaves());
    for (old, new, want) in consistency_vectors() {
        let proof = prove_tree(new, old, &log.stored).unwrap();
        assert_eq!(proof, want, "proof {old} -> {new}");
        verify_consistency(old, new, &root(old), &root(new), &proof).unwrap();
        check_tree(&proof, new, &root(new), old, &root(old)).unwrap();
        if proof.is_empty() {
            continue;
        }
        let probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (old - 1, new, root(old), root(new), proof.clone()),
            (old + 1, new, root(old), root(new), proof.clone()),
            (old ^ 2, new, root(old), root(new), proof.clone()),
            (old, new * 2, root(old), root(new), proof.clone()),
            (old, new / 2, root(old), root(new), proof.clone()),
            (old, new, root(new), root(old), proof.clone()),
            (old, new, root(old), root(new), vec![]),
            (
                old,
                new,
                root(old),
                root(new),
                [proof.clone(), vec![root(old)]].concat(),
            ),
            (
                old,
                new,
                root(old),
                root(new),
                [vec![root(new)], proof.clone()].concat(),
            ),
            (
                old,
                new,
                root(old),
                root(new),
                proof[..proof.len() - 1].to_vec(),
            ),
        ];
        for (o, n, ro, rn, p) in probes {
            if (o, n) == (old, new) && ro == root(old) && rn == root(new) && p == proof {
                continue;
            }
            assert!(verify_consistency(o, n, &ro, &rn, &p).is_err(), "{o}->{n}");
        }
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            bad[i].0[0] ^= 16;
            assert!(verify_consistency(old, new, &root(old), &root(new), &bad).is_err());
            assert!(check_tree(&bad, new, &root(new), old, &root(old)).is_err());
        }
    }
}

#[test]
fn consistency_edge_cases_follow_rfc9162() {
    let a = h(ROOTS[0]);
    let b = h(ROOTS[1]);
    assert!(verify_consistency(0, 0, &a, &a, &[]).is_ok());
    assert!(verify_consistency(0, 1, &a, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &b, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 1, &a, &a, &[a]).is_err());
    assert!(verify_consistency(1, 1, &a, &a, &[a]).is_err());
    assert!(root_from_inclusion_proof(&a, 0, 0, &[]).is_err());
    assert!(root_from_inclusion_proof(&a, 1, 1, &[]).is_err());
}

#[test]
fn invalid_inputs_are_errors_not_panics() {
    let log = MemLog::with_entries(&rfc6962_leaves());
    assert!(prove_record(8, 8, &log.stored).is_err());
    assert!(prove_record(0, 0, &log.stored).is_err());
    assert!(prove_record(9, 0, &log.stored).is_err()); // reader lacks hashes
    assert!(prove_tree(8, 0, &log.stored).is_err());
    assert!(prove_tree(8, 9, &log.stored).is_err());
    assert!(prove_record(u64::MAX, 3, &log.stored).is_err());
    assert!(tree_hash(u64::MAX, &log.stored).is_err());
    assert!(check_record(&[], 0, &root(1), 0, &root(1)).is_err());
    assert!(check_tree(&[], 0, &root(1), 0, &root(1)).is_err());
    assert!(split_stored_hash_index(-1).is_err());
    assert!(split_stored_hash_index(i64::MAX).is_err());
}

#[test]
fn stored_hash_index_matches_go_layout() {
    // Go: leaf 0 at 0, leaf 1 at 1, (1,0) at 2, leaf 2 at 3, leaf 3 at 4,
    // (1,1) at 5, (2,0) at 6, leaf 4 at 7.
    let want = [
        (0, 0),
        (0, 1),
        (1, 0),
        (0, 2),
        (0, 3),
        (1, 1),
        (2, 0),
        (0, 4),
    ];
    for (i, &(level, n)) in want.iter().enumerate() {
        assert_eq!(stored_hash_index(level, n), i as i64);
        assert_eq!(split_stored_hash_index(i as i64).unwrap(), (level, n));
    }
    for i in 0..5000i64 {
        let (l, n) = split_stored_hash_index(i).unwrap();
        assert_eq!(stored_hash_index(l, n), i);
    }
}

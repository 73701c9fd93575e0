//! Stand-alone RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification, for clients
//! that hold only a proof and tree heads (no [`crate::HashReader`]).

use crate::error::{Error, Result};
use crate::hash::{node_hash, Hash};

/// Recomputes the root implied by an inclusion `proof` for `leaf_hash` at
/// `index` in a tree of `tree_size` leaves.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash> {
    if index >= tree_size {
        return Err(Error::ProofFailed);
    }
    let (mut fn_, mut sn) = (index, tree_size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(Error::ProofFailed);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::ProofFailed);
    }
    Ok(r)
}

/// Verifies that `proof` shows `leaf_hash` at `index` in the tree of
/// `tree_size` leaves with root `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    if root_from_inclusion_proof(leaf_hash, index, tree_size, proof)? == *root {
        Ok(())
    } else {
        Err(Error::ProofFailed)
    }
}

/// Verifies that `proof` shows the tree of `new_size` leaves with root
/// `new_root` extends the tree of `old_size` leaves with root `old_root`.
///
/// As in RFC 9162 and transparency-dev/merkle: equal sizes need an empty
/// proof and equal roots; the empty tree is consistent with every tree and
/// needs an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<()> {
    if old_size > new_size {
        return Err(Error::ProofFailed);
    }
    if old_size == new_size {
        return if proof.is_empty() && old_root == new_root {
            Ok(())
        } else {
            Err(Error::ProofFailed)
        };
    }
    if old_size == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(Error::ProofFailed)
        };
    }
    // 0 < old_size < new_size from here on.
    let (seed, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(Error::ProofFailed),
        }
    };
    if proof.is_empty() {
        return Err(Error::ProofFailed);
    }
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if sn == 0 {
            return Err(Error::ProofFailed);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn == 0 && fr == *old_root && sr == *new_root {
        Ok(())
    } else {
        Err(Error::ProofFailed)
    }
}

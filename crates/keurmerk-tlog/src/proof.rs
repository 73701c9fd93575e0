//! Inclusion ("record") and consistency ("tree") proofs over stored
//! hashes, mirroring Go's `sumdb/tlog` `ProveRecord`/`CheckRecord` and
//! `ProveTree`/`CheckTree`. Proofs use the RFC 6962 audit-path order (leaf
//! sibling first) and interoperate with [`crate::verify_inclusion`] and
//! [`crate::verify_consistency`].

use crate::error::{Error, Result};
use crate::hash::{node_hash, Hash};
use crate::tree::{
    check_size, ensure_consumed, maxpow2, read_exact, sub_tree_hash, sub_tree_index, HashReader,
};

/// The RFC 6962 audit path proving leaf `n` is in the tree of size `t`,
/// ordered from the leaf's sibling up to the root's child.
pub fn prove_record(t: u64, n: u64, r: &(impl HashReader + ?Sized)) -> Result<Vec<Hash>> {
    check_size(t)?;
    if n >= t {
        return Err(Error::InvalidInput("leaf index not below tree size"));
    }
    let indexes = leaf_proof_index(0, t, n, Vec::new());
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &indexes)?;
    let mut proof = Vec::with_capacity(64);
    let rest = leaf_proof(0, t, n, &hashes, &mut proof)?;
    ensure_consumed(rest)?;
    Ok(proof)
}

fn leaf_proof_index(lo: u64, hi: u64, n: u64, mut need: Vec<i64>) -> Vec<i64> {
    if lo + 1 == hi {
        return need;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        need = leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need)
    } else {
        need = sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need)
    }
}

fn leaf_proof<'a>(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &'a [Hash],
    proof: &mut Vec<Hash>,
) -> Result<&'a [Hash]> {
    if lo + 1 == hi {
        // The verifier knows the leaf hash.
        return Ok(hashes);
    }
    // Walk toward n, recording the hash of the path not taken.
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        let hashes = leaf_proof(lo, lo + k, n, hashes, proof)?;
        let (th, hashes) = sub_tree_hash(lo + k, hi, hashes)?;
        proof.push(th);
        Ok(hashes)
    } else {
        let (th, hashes) = sub_tree_hash(lo, lo + k, hashes)?;
        let hashes = leaf_proof(lo + k, hi, n, hashes, proof)?;
        proof.push(th);
        Ok(hashes)
    }
}

/// Checks that `proof` shows the tree of size `t` with root `th` has leaf
/// hash `h` at index `n`.
pub fn check_record(proof: &[Hash], t: u64, th: &Hash, n: u64, h: &Hash) -> Result<()> {
    if n >= t {
        return Err(Error::InvalidInput("leaf index not below tree size"));
    }
    if run_record_proof(proof, 0, t, n, h)? == *th {
        Ok(())
    } else {
        Err(Error::ProofFailed)
    }
}

fn run_record_proof(p: &[Hash], lo: u64, hi: u64, n: u64, leaf: &Hash) -> Result<Hash> {
    if lo + 1 == hi {
        // The proof must not carry unnecessary hashes.
        return if p.is_empty() {
            Ok(*leaf)
        } else {
            Err(Error::ProofFailed)
        };
    }
    let Some((last, rest)) = p.split_last() else {
        return Err(Error::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        let th = run_record_proof(rest, lo, lo + k, n, leaf)?;
        Ok(node_hash(&th, last))
    } else {
        let th = run_record_proof(rest, lo + k, hi, n, leaf)?;
        Ok(node_hash(last, &th))
    }
}

/// The RFC 6962 consistency proof that the tree of size `t` extends the
/// tree of size `n` (1 ≤ n ≤ t).
pub fn prove_tree(t: u64, n: u64, r: &(impl HashReader + ?Sized)) -> Result<Vec<Hash>> {
    check_size(t)?;
    if n < 1 || n > t {
        return Err(Error::InvalidInput("need 1 <= old size <= new size"));
    }
    let indexes = tree_proof_index(0, t, n, Vec::new());
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = read_exact(r, &indexes)?;
    let mut proof = Vec::with_capacity(64);
    let rest = tree_proof(0, t, n, &hashes, &mut proof)?;
    ensure_consumed(rest)?;
    Ok(proof)
}

fn tree_proof_index(lo: u64, hi: u64, n: u64, mut need: Vec<i64>) -> Vec<i64> {
    if n == hi {
        if lo == 0 {
            return need;
        }
        return sub_tree_index(lo, hi, need);
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        need = tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need)
    } else {
        need = sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need)
    }
}

fn tree_proof<'a>(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &'a [Hash],
    proof: &mut Vec<Hash>,
) -> Result<&'a [Hash]> {
    if n == hi {
        if lo == 0 {
            // This subtree is exactly the old tree; the verifier knows it.
            return Ok(hashes);
        }
        let (th, hashes) = sub_tree_hash(lo, hi, hashes)?;
        proof.push(th);
        return Ok(hashes);
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let hashes = tree_proof(lo, lo + k, n, hashes, proof)?;
        let (th, hashes) = sub_tree_hash(lo + k, hi, hashes)?;
        proof.push(th);
        Ok(hashes)
    } else {
        let (th, hashes) = sub_tree_hash(lo, lo + k, hashes)?;
        let hashes = tree_proof(lo + k, hi, n, hashes, proof)?;
        proof.push(th);
        Ok(hashes)
    }
}

/// Checks that `proof` shows the tree of size `t` with root `th` contains
/// as a prefix the tree of size `n` with root `h` (1 ≤ n ≤ t).
pub fn check_tree(proof: &[Hash], t: u64, th: &Hash, n: u64, h: &Hash) -> Result<()> {
    if n < 1 || n > t {
        return Err(Error::InvalidInput("need 1 <= old size <= new size"));
    }
    let (h2, th2) = run_tree_proof(proof, 0, t, n, h)?;
    if th2 == *th && h2 == *h {
        Ok(())
    } else {
        Err(Error::ProofFailed)
    }
}

fn run_tree_proof(p: &[Hash], lo: u64, hi: u64, n: u64, old: &Hash) -> Result<(Hash, Hash)> {
    if n == hi {
        if lo == 0 {
            return if p.is_empty() {
                Ok((*old, *old))
            } else {
                Err(Error::ProofFailed)
            };
        }
        return match p {
            [only] => Ok((*only, *only)),
            _ => Err(Error::ProofFailed),
        };
    }
    let Some((last, rest)) = p.split_last() else {
        return Err(Error::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(rest, lo, lo + k, n, old)?;
        Ok((oh, node_hash(&th, last)))
    } else {
        let (oh, th) = run_tree_proof(rest, lo + k, hi, n, old)?;
        Ok((node_hash(last, &oh), node_hash(last, &th)))
    }
}

#![no_main]
//! Key strings and proof verification on arbitrary input never panic.

use keurmerk_tlog::{
    parse_verifier_key, verify_consistency, verify_inclusion, CosignatureV1Signer, Ed25519Signer,
    Hash,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_verifier_key(s);
        let _ = Ed25519Signer::from_skey(s);
        let _ = CosignatureV1Signer::from_skey(s);
    }
    if data.len() >= 16 {
        let a = u64::from_be_bytes(data[..8].try_into().expect("8 bytes"));
        let b = u64::from_be_bytes(data[8..16].try_into().expect("8 bytes"));
        let proof: Vec<Hash> = data[16..]
            .chunks_exact(32)
            .map(|c| Hash::from_slice(c).expect("32 bytes"))
            .collect();
        let h = Hash([7; 32]);
        let _ = verify_inclusion(&h, a, b, &proof, &h);
        let _ = verify_consistency(a, b, &h, &h, &proof);
    }
});

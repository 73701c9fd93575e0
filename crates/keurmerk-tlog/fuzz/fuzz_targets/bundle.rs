#![no_main]
//! Entry bundles: decoding never panics; a decoded bundle re-encodes to its
//! input.

use keurmerk_tlog::{decode_entry_bundle, encode_entry_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = decode_entry_bundle(data) {
        assert_eq!(encode_entry_bundle(&entries).expect("re-encode"), data);
    }
});

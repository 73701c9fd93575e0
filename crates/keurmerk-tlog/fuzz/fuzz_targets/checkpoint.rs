#![no_main]
//! Checkpoint bodies: parsing never panics; a parsed checkpoint re-encodes
//! to its input.

use keurmerk_tlog::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = Checkpoint::parse(s) {
            assert_eq!(c.to_text(), s);
        }
    }
});

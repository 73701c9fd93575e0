#![no_main]
//! tlog-proof receipts: parsing and verification never panic; a parsed
//! receipt re-encodes to its input.

use keurmerk_tlog::{verify_receipt, Leaf, Receipt, Verifiers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Receipt::parse(data) {
        assert_eq!(r.to_text().as_bytes(), data);
        let _ = verify_receipt(&r, Leaf::Data(b"x"), &Verifiers::new());
    }
});

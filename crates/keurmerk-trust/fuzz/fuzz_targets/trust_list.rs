#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = keurmerk_trust::TrustList::verify(data, &common::root().public_key());
});

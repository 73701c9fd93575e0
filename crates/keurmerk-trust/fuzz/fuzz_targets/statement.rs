#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = keurmerk_trust::verify_statement(data, common::list(), common::now());
    let _ = keurmerk_trust::StatusResponse::verify(data, common::list(), "KM-1", common::now());
});

#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = keurmerk_trust::StatusList::decode_lst(2, s, 1 << 20);
        let _ = keurmerk_trust::verify_status_list_token(s, common::list(), None, common::now(), 1 << 20);
    }
});

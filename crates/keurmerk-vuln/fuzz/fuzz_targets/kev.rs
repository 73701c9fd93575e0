//! Arbitrary bytes as a CISA KEV catalogue.
#![no_main]

use keurmerk_vuln::kev;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kev::looks_like_kev(data);
    let _ = kev::parse("fuzz", data);
});

//! Arbitrary bytes as CSAF 2.0; a document that parses must resolve its product tree and convert.
#![no_main]

use keurmerk_vuln::csaf;
use keurmerk_vuln::matching::AdvisoryIndex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = csaf::parse("fuzz", data) {
        let _ = d.products();
        let _ = d.vex_statements("fuzz");
        let mut index = AdvisoryIndex::new();
        for a in d.advisories() {
            let _ = index.insert_csaf(&a);
        }
    }
});

//! Arbitrary bytes as an advisory file (OSV JSON, OSV YAML, CSAF); a parsed OSV record is indexed and
//! matched against a few versions.
#![no_main]

use keurmerk_vuln::matching::AdvisoryIndex;
use keurmerk_vuln::source::{parse_advisory, AdvisoryDoc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["fuzz.json", "fuzz.yaml"] {
        if let Ok(doc) = parse_advisory(name, data) {
            let mut index = AdvisoryIndex::new();
            let keys = index.insert(&doc);
            if let AdvisoryDoc::Osv(_) = doc {
                for k in &keys {
                    for v in ["0", "1.0.0", "v1.2.3-0.20200101000000-abcdefabcdef", "2.0rc1"] {
                        let _ = index.match_version(k, v);
                    }
                }
            }
        }
    }
});

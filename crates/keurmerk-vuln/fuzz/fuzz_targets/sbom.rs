//! Arbitrary bytes as an SBOM (format detected by content): errors are fine, panics are not. A
//! document that parses must also scan against an empty index.
#![no_main]

use keurmerk_vuln::matching::{scan_report, AdvisoryIndex};
use keurmerk_vuln::sbom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = sbom::parse_slice("fuzz", data) {
        let _ = scan_report(&s, &AdvisoryIndex::new(), &[]);
    }
    let _ = sbom::parse_cyclonedx_xml("fuzz", data);
});

//! Parses arbitrary text as a purl; a parsed purl must print canonically and re-parse to itself.
#![no_main]

use keurmerk_vuln::purl::Purl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = s.parse::<Purl>() {
        let canonical = p.to_string();
        let again: Purl = canonical.parse().expect("canonical form re-parses");
        assert_eq!(again, p, "{canonical}");
        assert_eq!(again.to_string(), canonical);
        let _ = p.package_key();
    }
});

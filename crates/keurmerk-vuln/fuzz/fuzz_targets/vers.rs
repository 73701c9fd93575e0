//! Parses arbitrary text as a `vers` range (also with each scheme prefixed); a parsed range must
//! print canonically, re-parse to the same canonical text, and answer `contains` without panicking.
#![no_main]

use keurmerk_vuln::vers::VersionRange;
use keurmerk_vuln::version::Ecosystem;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (first, rest) = match s.char_indices().nth(1) {
        Some((i, _)) => (s.as_bytes()[0], &s[i..]),
        None => return,
    };
    let eco = Ecosystem::ALL[usize::from(first) % Ecosystem::ALL.len()];
    for input in [s.to_owned(), format!("vers:{eco}/{rest}")] {
        if let Ok(r) = VersionRange::parse(&input) {
            let canonical = r.to_string();
            // Maven's reference ordering has cycles, so for garbage Maven versions the sorted
            // (canonical) order depends on the input order; only the absence of panics is checked.
            if r.ecosystem() != Some(Ecosystem::Maven) {
                let again = VersionRange::parse(&canonical).expect("canonical form re-parses");
                assert_eq!(again.to_string(), canonical);
            } else {
                let _ = VersionRange::parse(&canonical);
            }
            for c in r.constraints() {
                let _ = r.contains(c.version.as_str());
            }
            let _ = r.contains(rest);
        }
    }
});

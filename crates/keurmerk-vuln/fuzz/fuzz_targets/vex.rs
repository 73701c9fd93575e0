//! Arbitrary bytes as a VEX document (OpenVEX, CycloneDX or CSAF, detected by content).
#![no_main]

use keurmerk_vuln::vex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vex::parse("fuzz", data);
    let _ = vex::parse_openvex("fuzz", data);
    let _ = vex::parse_cyclonedx("fuzz", data);
});

//! Two arbitrary versions (split at the first newline) under an ecosystem chosen by the first byte:
//! parsing must not panic, and when both parse the comparison must be reflexive and antisymmetric.
#![no_main]

use std::cmp::Ordering;

use keurmerk_vuln::version::{Ecosystem, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(s) = std::str::from_utf8(rest) else { return };
    let eco = Ecosystem::ALL[usize::from(first) % Ecosystem::ALL.len()];
    let (a, b) = s.split_once('\n').unwrap_or((s, "1.0.0"));
    let (Ok(va), Ok(vb)) = (Version::parse(eco, a), Version::parse(eco, b)) else { return };
    assert_eq!(va.try_cmp(&va).unwrap(), Ordering::Equal, "{eco}: {a:?} reflexive");
    let ab = va.try_cmp(&vb).unwrap();
    let ba = vb.try_cmp(&va).unwrap();
    assert_eq!(ab, ba.reverse(), "{eco}: {a:?} vs {b:?}");
});

#![no_main]
//! Tile paths: parsing never panics and accepts only canonical paths.

use keurmerk_tlog::{parse_tile_path, TileResource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        match parse_tile_path(s) {
            Ok(TileResource::Hashes(t)) => assert_eq!(t.path(), s),
            Ok(TileResource::Entries(t)) => assert_eq!(t.entries_path(), s),
            Err(_) => {}
        }
    }
});

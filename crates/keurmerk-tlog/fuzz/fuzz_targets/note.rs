#![no_main]
//! Signed notes: parsing and opening never panic; a parsed note re-encodes
//! to its input.

use keurmerk_tlog::{open_note, Ed25519Verifier, Note, Verifiers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(note.to_text().as_bytes(), data);
    }
    let v = Ed25519Verifier::from_vkey(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    .expect("valid test key");
    let _ = open_note(data, &Verifiers::new().with(v));
});

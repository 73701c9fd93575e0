#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = keurmerk_trust::parse_label_input(s);
        let _ = keurmerk_trust::verify_label_input(s, common::list(), common::now());
        let _ = keurmerk_trust::verify_token(s, common::list(), common::now());
    }
    // Raw bytes as a token body too, so the binary decoder is reached without base64 luck.
    use base64_like::encode;
    let _ = keurmerk_trust::verify_token(&encode(data), common::list(), common::now());
});

mod base64_like {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    /// Minimal base64url without padding (avoids a dependency in the fuzz crate).
    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
        for chunk in data.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

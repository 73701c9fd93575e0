//! Property tests: single-byte mutations never verify; parsers never panic.

use crate::fixture::*;
use crate::statement::stmt;
use base64::Engine as _;
use keurmerk_trust::*;
use proptest::prelude::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn token_raw_byte_mutation_fails(pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let f = fx();
        let mut raw = B64.decode(issue_token(&claims(), &f.cab).unwrap()).unwrap();
        let i = pos.index(raw.len());
        raw[i] = raw[i].wrapping_add(delta);
        prop_assert!(verify_token(&B64.encode(&raw), &f.list, at(2026, 6, 1)).is_err());
    }

    #[test]
    fn token_text_char_mutation_fails(pos in any::<prop::sample::Index>(), c in any::<prop::sample::Index>()) {
        let f = fx();
        let mut t = issue_token(&claims(), &f.cab).unwrap().into_bytes();
        let i = pos.index(t.len());
        let new = ALPHABET[c.index(ALPHABET.len())];
        prop_assume!(new != t[i]);
        t[i] = new;
        let t = String::from_utf8(t).unwrap();
        prop_assert!(verify_token(&t, &f.list, at(2026, 6, 1)).is_err());
    }

    #[test]
    fn statement_byte_mutation_fails(pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let f = fx();
        let s = stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1));
        let mut bytes = sign_statement(&s, &f.cab).unwrap();
        let i = pos.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        prop_assert!(verify_statement(&bytes, &f.list, at(2026, 6, 1)).is_err());
    }

    #[test]
    fn trust_list_byte_mutation_fails(pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let f = fx();
        let mut bytes = f.signed_list.clone();
        let i = pos.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        prop_assert!(TrustList::verify(&bytes, &f.root.public_key()).is_err());
    }

    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), s in ".{0,400}") {
        let f = fx();
        let now = at(2026, 6, 1);
        let _ = verify_statement(&bytes, &f.list, now);
        let _ = TrustList::verify(&bytes, &f.root.public_key());
        let _ = StatusResponse::verify(&bytes, &f.list, "x", now);
        let _ = verify_token(&s, &f.list, now);
        let _ = verify_token(&B64.encode(&bytes), &f.list, now);
        let _ = parse_label_input(&s);
        let _ = verify_label_input(&s, &f.list, now);
    }

    #[test]
    fn structured_token_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        // Start like a real token so the decoder gets past the header.
        let f = fx();
        let mut raw = vec![1u8, 1];
        raw.extend_from_slice(f.cab.key_id().as_bytes());
        raw.extend_from_slice(&body);
        raw.extend_from_slice(&[0u8; 64]);
        prop_assert!(verify_token(&B64.encode(&raw), &f.list, at(2026, 6, 1)).is_err());
    }
}

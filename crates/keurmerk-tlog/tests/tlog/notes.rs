//! Signed notes, keys, checkpoints and cosignatures. Key strings, texts and
//! signatures are the vectors of Go's `golang.org/x/mod/sumdb/note`
//! `note_test.go`; the checkpoint and cosignature lines are the examples of
//! C2SP tlog-checkpoint and tlog-cosignature.

use keurmerk_tlog::{
    cosignature_timestamp, key_id, open_checkpoint, open_note, parse_verifier_key, sign_note,
    Checkpoint, CosignatureV1Signer, CosignatureV1Verifier, Ed25519Signer, Ed25519Verifier, Error,
    Hash, KeyId, Note, Signer, Verifier, Verifiers, SIG_TYPE_ED25519,
};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> Ed25519Verifier {
    Ed25519Verifier::from_vkey(PETER_VKEY).unwrap()
}
fn enoch() -> Ed25519Verifier {
    Ed25519Verifier::from_vkey(ENOCH_VKEY).unwrap()
}

#[test]
fn go_verifier_key_parses_and_manglings_fail() {
    let v = peter();
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.key_id(), KeyId(0xc74f20a3));
    assert_eq!(v.vkey(), PETER_VKEY);
    assert_eq!(
        key_id("PeterNeumann", SIG_TYPE_ED25519, v.public_key().as_bytes()),
        KeyId(0xc74f20a3)
    );
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = std::str::from_utf8(&b[i..j]).unwrap();
                assert!(Ed25519Verifier::from_vkey(s).is_err(), "{s}");
                assert!(parse_verifier_key(s).is_err(), "{s}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let s = String::from_utf8(m).unwrap();
        assert!(Ed25519Verifier::from_vkey(&s).is_err(), "{s}");
    }
    // Wrong key length and unknown algorithm, each with a matching key hash.
    assert!(Ed25519Verifier::from_vkey(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert!(matches!(
        Ed25519Verifier::from_vkey(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        ),
        Err(Error::UnsupportedAlgorithm(0x65))
    ));
}

#[test]
fn go_signer_key_parses_and_manglings_fail() {
    let s = Ed25519Signer::from_skey(PETER_SKEY).unwrap();
    assert_eq!(s.skey(), PETER_SKEY);
    assert_eq!(s.vkey(), PETER_VKEY);
    assert!(
        !format!("{s:?}").contains("AYEK"),
        "Debug must not leak the key"
    );
    let b = PETER_SKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let m = std::str::from_utf8(&b[i..j]).unwrap();
                assert!(Ed25519Signer::from_skey(m).is_err(), "{m}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let m = String::from_utf8(m).unwrap();
        assert!(Ed25519Signer::from_skey(&m).is_err(), "{m}");
    }
}

#[test]
fn go_sign_vector() {
    let s = Ed25519Signer::from_skey(PETER_SKEY).unwrap();
    let msg = sign_note(TEXT, &[&s]).unwrap();
    assert_eq!(msg, format!("{TEXT}\n{PETER_SIG}"));
    // Re-signing replaces the existing signature by the same key.
    let mut note = Note::parse(msg.as_bytes()).unwrap();
    note.sign(&s).unwrap();
    assert_eq!(note.to_text(), msg);
    assert!(matches!(
        sign_note("abc", &[&s]),
        Err(Error::MalformedNote(_))
    ));
    let bad_name = Ed25519Signer::new("a+b", s_key()).map(|_| ());
    assert!(bad_name.is_err());
}

fn s_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

#[test]
fn go_open_vectors() {
    let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let n = open_note(msg.as_bytes(), &Verifiers::new().with(peter())).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.verified.len(), 1);
    assert_eq!(n.verified[0].name, "PeterNeumann");
    assert_eq!(n.unverified.len(), 1);
    assert_eq!(n.unverified[0].key_id, KeyId(0xaf0cfe78));

    let both = Verifiers::new().with(peter()).with(enoch());
    let n = open_note(msg.as_bytes(), &both).unwrap();
    assert_eq!(n.verified.len(), 2);
    assert!(n.unverified.is_empty());

    assert!(matches!(
        open_note(msg.as_bytes(), &Verifiers::new()),
        Err(Error::NoVerifiedSignature)
    ));

    let dup = Verifiers::new().with(enoch()).with(peter()).with(enoch());
    let m = format!("{TEXT}\n{ENOCH_SIG}");
    assert!(matches!(
        open_note(m.as_bytes(), &dup),
        Err(Error::AmbiguousKey { .. })
    ));
    let m = format!("{TEXT}\n{PETER_SIG}");
    assert!(open_note(m.as_bytes(), &dup).is_ok());

    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        open_note(many.as_bytes(), &Verifiers::new().with(peter())),
        Err(Error::MalformedNote(_))
    ));

    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    match open_note(bad.as_bytes(), &Verifiers::new().with(peter())) {
        Err(Error::InvalidSignature { name, key_id }) => {
            assert_eq!(name, "PeterNeumann");
            assert_eq!(key_id.to_string(), "c74f20a3");
        }
        other => panic!("want invalid signature, got {other:?}"),
    }

    let enoch_abcd = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let m = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{enoch_abcd}");
    let n = open_note(m.as_bytes(), &Verifiers::new().with(peter())).unwrap();
    assert_eq!(n.verified.len(), 1);
    assert_eq!(n.unverified.len(), 2);

    for bad in [
        TEXT.to_string(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ] {
        assert!(
            matches!(open_note(bad.as_bytes(), &Verifiers::new().with(peter())), Err(Error::MalformedNote(_))),
            "{bad:?}"
        );
    }
    let mut invalid_utf8 = vec![0xff];
    invalid_utf8.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
    assert!(open_note(&invalid_utf8, &Verifiers::new().with(peter())).is_err());
}

const SPEC_CHECKPOINT: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const SPEC_LOG_SIG: &str = "\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
const SPEC_COSIG: &str = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

#[test]
fn c2sp_checkpoint_and_cosignature_examples_parse() {
    let msg = format!("{SPEC_CHECKPOINT}\n{SPEC_LOG_SIG}{SPEC_COSIG}");
    let note = Note::parse(msg.as_bytes()).unwrap();
    assert_eq!(note.to_text(), msg);
    let c = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(c.origin, "example.com/behind-the-sofa");
    assert_eq!(c.size, 20_852_163);
    assert_eq!(
        c.root.to_base64(),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert_eq!(c.to_text(), SPEC_CHECKPOINT);
    assert_eq!(note.signatures[0].key_id, KeyId(0x033de0ae));
    assert_eq!(note.signatures[0].signature.len(), 64);
    // The witness example is timestamped at 1679315147, the time shown in
    // the spec's example signed message.
    assert_eq!(note.signatures[1].name, "witness.example.com/w1");
    assert_eq!(
        cosignature_timestamp(&note.signatures[1].signature),
        Some(1_679_315_147)
    );
}

#[test]
fn checkpoint_rules() {
    let root = Hash([1; 32]).to_base64();
    for bad in [
        format!("o\n01\n{root}\n"),
        format!("o\n+1\n{root}\n"),
        format!("o\n1\n{root}"),
        format!("\n1\n{root}\n"),
        format!("o\n1\n{root}\n\n"),
        "o\n1\nAAAA\n".to_string(),
        format!("o\n18446744073709551616\n{root}\n"),
        "o\n1\n".to_string(),
        format!("o\t\n1\n{root}\n"),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
    let c = Checkpoint::parse(&format!("o\n0\n{root}\next a\n")).unwrap();
    assert_eq!(c.extensions, vec!["ext a".to_string()]);
    assert_eq!(c.to_text(), format!("o\n0\n{root}\next a\n"));
}

#[test]
fn checkpoint_signed_and_cosigned_round_trip() {
    let mut rng = rand::rngs::OsRng;
    let log = Ed25519Signer::generate("keurmerk.example/log", &mut rng).unwrap();
    let witness = CosignatureV1Signer::generate("witness.example/w1", &mut rng).unwrap();
    let c = Checkpoint::new("keurmerk.example/log", 42, Hash([9; 32])).unwrap();
    let signed = c.sign(&[&log]).unwrap();

    // A witness adds its cosignature to the log-signed note.
    let mut note = Note::parse(signed.as_bytes()).unwrap();
    let cosig = witness.cosign(&note.text, 1_700_000_000).unwrap();
    assert_eq!(cosignature_timestamp(&cosig.signature), Some(1_700_000_000));
    note.add_signature(cosig).unwrap();
    let cosigned = note.to_text();

    let wv = CosignatureV1Verifier::from_vkey(&witness.verifier().vkey()).unwrap();
    let all = Verifiers::new()
        .with(Ed25519Verifier::from_vkey(&log.vkey()).unwrap())
        .with(wv.clone());
    let (parsed, opened) =
        open_checkpoint(cosigned.as_bytes(), "keurmerk.example/log", &all).unwrap();
    assert_eq!(parsed, c);
    assert_eq!(opened.verified.len(), 2);
    assert!(opened.is_signed_by("witness.example/w1", wv.key_id()));

    // A generic key-string parse gives the same verifier behaviour.
    let boxed = parse_verifier_key(&wv.vkey()).unwrap();
    assert_eq!(boxed.key_id(), wv.key_id());
    let witness_only = {
        let mut v = Verifiers::new();
        v.push_boxed(boxed);
        v
    };
    assert!(open_note(cosigned.as_bytes(), &witness_only).is_ok());

    // The cosignature covers the checkpoint: changing the text breaks it.
    let tampered = cosigned.replacen("42", "43", 1);
    assert!(matches!(
        open_note(tampered.as_bytes(), &witness_only),
        Err(Error::InvalidSignature { .. })
    ));
    assert!(matches!(
        open_checkpoint(cosigned.as_bytes(), "other.example/log", &all),
        Err(Error::OriginMismatch { .. })
    ));
    // Same key, different type byte: distinct key IDs, so a plain Ed25519
    // verifier for the witness key ignores the cosignature.
    let skey = witness.skey();
    assert_eq!(
        CosignatureV1Signer::from_skey(&skey).unwrap().verifier(),
        witness.verifier()
    );
    assert!(Ed25519Signer::from_skey(&skey).is_err());
    assert!(witness.at(u64::MAX).is_err());
    let ts_signer = witness.at(5).unwrap();
    assert_eq!(ts_signer.sign(b"x\n").unwrap().len(), 72);
}

//! tlog-proof receipts end to end: append, sign, prove, format, parse,
//! verify; and tampering.

use keurmerk_tlog::{
    leaf_hash, prove_record, tree_hash, verify_receipt, verify_receipt_for_origin, Checkpoint,
    Ed25519Signer, Error, Leaf, Receipt, Verifiers, RECEIPT_HEADER,
};

use crate::common::{numbered, MemLog};

fn setup() -> (MemLog, Ed25519Signer, String) {
    let log = MemLog::with_entries(&numbered(1000));
    let signer = Ed25519Signer::generate("keurmerk.example/log", &mut rand::rngs::OsRng).unwrap();
    let root = tree_hash(log.size(), &log.stored).unwrap();
    let cp = Checkpoint::new("keurmerk.example/log", log.size(), root)
        .unwrap()
        .sign(&[&signer])
        .unwrap();
    (log, signer, cp)
}

#[test]
fn receipt_round_trip_and_verify() {
    let (log, signer, cp) = setup();
    let verifiers = Verifiers::new().with(signer.verifier());
    for index in [0u64, 1, 517, 999] {
        let receipt = Receipt {
            extra: (index % 2 == 1).then(|| b"context".to_vec()),
            index,
            proof: prove_record(log.size(), index, &log.stored).unwrap(),
            checkpoint: cp.clone(),
        };
        let text = receipt.to_text();
        assert!(text.starts_with(RECEIPT_HEADER));
        let parsed = Receipt::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed, receipt);
        let entry = &log.entries[index as usize];
        let v = verify_receipt(&parsed, Leaf::Data(entry), &verifiers).unwrap();
        assert_eq!(v.checkpoint.size, 1000);
        verify_receipt(&parsed, Leaf::Hash(leaf_hash(entry)), &verifiers).unwrap();
        verify_receipt_for_origin(
            &parsed,
            Leaf::Data(entry),
            &verifiers,
            "keurmerk.example/log",
        )
        .unwrap();
        assert!(matches!(
            verify_receipt_for_origin(&parsed, Leaf::Data(entry), &verifiers, "x"),
            Err(Error::OriginMismatch { .. })
        ));
        assert!(matches!(
            verify_receipt(&parsed, Leaf::Data(b"other"), &verifiers),
            Err(Error::ProofFailed)
        ));
        let mut wrong_index = parsed.clone();
        wrong_index.index ^= 1;
        assert!(verify_receipt(&wrong_index, Leaf::Data(entry), &verifiers).is_err());
        assert!(matches!(
            verify_receipt(&parsed, Leaf::Data(entry), &Verifiers::new()),
            Err(Error::NoVerifiedSignature)
        ));
    }
}

#[test]
fn malformed_receipts_are_rejected() {
    let (log, _, cp) = setup();
    let proof = prove_record(log.size(), 3, &log.stored).unwrap();
    let good = Receipt {
        extra: None,
        index: 3,
        proof,
        checkpoint: cp.clone(),
    }
    .to_text();
    assert!(Receipt::parse(good.as_bytes()).is_ok());
    let lines: Vec<&str> = good.lines().collect();
    let cases = vec![
        good.replacen(RECEIPT_HEADER, "c2sp.org/tlog-proof@v2", 1),
        good.replacen("index 3", "index 03", 1),
        good.replacen("index 3", "index -3", 1),
        good.replacen("index 3", "idx 3", 1),
        good.replacen(lines[2], "not base64!", 1),
        good.replacen(lines[2], &lines[2][..40], 1),
        good.replacen("\n\n", "\n", 1),
        format!("{RECEIPT_HEADER}\nindex 3\n\n"),
        format!("{RECEIPT_HEADER}\nextra ***\nindex 3\n\n{cp}"),
        good.trim_end().to_string(),
    ];
    for bad in cases {
        assert!(Receipt::parse(bad.as_bytes()).is_err(), "{bad}");
    }
}

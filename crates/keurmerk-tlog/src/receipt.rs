//! C2SP tlog-proof receipts: an offline-verifiable proof that an entry is
//! in a log, bundling index, inclusion proof and signed checkpoint.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]
//! index <n>
//! <base64 hash>…
//!
//! <signed checkpoint note>
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checkpoint::{parse_canonical_u64, Checkpoint};
use crate::error::{Error, Result};
use crate::hash::{leaf_hash, Hash};
use crate::note::{open_note, Note, OpenedNote, Verifiers, MAX_NOTE_SIZE};
use crate::verify::verify_inclusion;

/// First line of every receipt.
pub const RECEIPT_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Most inclusion proof hashes a receipt may carry (a 2^63-leaf tree needs 63).
pub const MAX_PROOF_HASHES: usize = 63;

/// A parsed (not yet verified) tlog-proof receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Optional unauthenticated application data.
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry.
    pub index: u64,
    /// RFC 6962 inclusion proof, leaf sibling first.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim (ends with a newline).
    pub checkpoint: String,
}

/// The leaf a receipt is checked against.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Leaf<'a> {
    /// The entry bytes; hashed as an RFC 6962 leaf.
    Data(&'a [u8]),
    /// The RFC 6962 leaf hash.
    Hash(Hash),
}

/// A receipt whose checkpoint signatures and inclusion proof verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// Signature status of the checkpoint note; apply witness policy to
    /// `note.verified`.
    pub note: OpenedNote,
    /// Index of the entry.
    pub index: u64,
}

impl Receipt {
    /// Parses a receipt.
    pub fn parse(input: &[u8]) -> Result<Receipt> {
        if input.len() > MAX_NOTE_SIZE + 4096 {
            return Err(Error::MalformedReceipt("receipt too large"));
        }
        let s = std::str::from_utf8(input).map_err(|_| Error::MalformedReceipt("invalid UTF-8"))?;
        let (head, checkpoint) = s.split_once("\n\n").ok_or(Error::MalformedReceipt(
            "missing blank line before checkpoint",
        ))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(RECEIPT_HEADER) {
            return Err(Error::MalformedReceipt(
                "missing c2sp.org/tlog-proof@v1 header",
            ));
        }
        let mut line = lines.next();
        let mut extra = None;
        if let Some(b64) = line.and_then(|l| l.strip_prefix("extra ")) {
            extra = Some(
                STANDARD
                    .decode(b64)
                    .map_err(|_| Error::MalformedReceipt("extra is not valid base64"))?,
            );
            line = lines.next();
        }
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .and_then(parse_canonical_u64)
            .ok_or(Error::MalformedReceipt("missing or malformed index line"))?;
        let mut proof = Vec::new();
        for l in lines {
            if proof.len() == MAX_PROOF_HASHES {
                return Err(Error::MalformedReceipt("too many proof hashes"));
            }
            proof.push(
                Hash::from_base64(l)
                    .map_err(|_| Error::MalformedReceipt("malformed proof hash"))?,
            );
        }
        // The checkpoint must at least be a well-formed signed note with a
        // checkpoint body; signatures are checked by `verify_receipt`.
        let note = Note::parse(checkpoint.as_bytes())?;
        Checkpoint::parse(&note.text)?;
        Ok(Receipt {
            extra,
            index,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// The encoded receipt.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(64 + 45 * self.proof.len() + self.checkpoint.len());
        s.push_str(RECEIPT_HEADER);
        s.push('\n');
        if let Some(extra) = &self.extra {
            s.push_str("extra ");
            s.push_str(&STANDARD.encode(extra));
            s.push('\n');
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }
}

/// Verifies a receipt: the checkpoint note must carry at least one valid
/// signature by a key in `verifiers` (and no invalid one by a known key),
/// and the inclusion proof must place `leaf` at `receipt.index` under the
/// checkpoint's root. The caller must still check the checkpoint origin
/// (or use [`verify_receipt_for_origin`]) and its witness policy.
pub fn verify_receipt(
    receipt: &Receipt,
    leaf: Leaf<'_>,
    verifiers: &Verifiers,
) -> Result<VerifiedReceipt> {
    let note = open_note(receipt.checkpoint.as_bytes(), verifiers)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    let h = match leaf {
        Leaf::Data(d) => leaf_hash(d),
        Leaf::Hash(h) => h,
    };
    verify_inclusion(
        &h,
        receipt.index,
        checkpoint.size,
        &receipt.proof,
        &checkpoint.root,
    )?;
    Ok(VerifiedReceipt {
        checkpoint,
        note,
        index: receipt.index,
    })
}

/// [`verify_receipt`], also requiring the checkpoint origin to be `origin`.
pub fn verify_receipt_for_origin(
    receipt: &Receipt,
    leaf: Leaf<'_>,
    verifiers: &Verifiers,
    origin: &str,
) -> Result<VerifiedReceipt> {
    let v = verify_receipt(receipt, leaf, verifiers)?;
    if v.checkpoint.origin != origin {
        return Err(Error::OriginMismatch {
            expected: origin.to_owned(),
            found: v.checkpoint.origin,
        });
    }
    Ok(v)
}

//! C2SP tlog-checkpoint: the note text of a signed tree head.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines…]
//! ```

use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::note::{check_note_chars, open_note, Note, OpenedNote, Signer, Verifiers};

/// A parsed checkpoint body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log identity, e.g. `example.com/log`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash at `size`.
    pub root: Hash,
    /// Opaque, non-empty extension lines (not recommended).
    pub extensions: Vec<String>,
}

/// Parses a decimal with no sign and no leading zeros.
pub(crate) fn parse_canonical_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be non-empty
    /// and a single line without control characters.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Checkpoint> {
        let c = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        };
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<()> {
        for line in std::iter::once(&self.origin).chain(&self.extensions) {
            if line.is_empty() || line.contains('\n') {
                return Err(Error::MalformedCheckpoint(
                    "empty or multi-line origin/extension",
                ));
            }
            check_note_chars(line).map_err(|_| Error::MalformedCheckpoint("control character"))?;
        }
        Ok(())
    }

    /// Parses checkpoint note text (including its final newline).
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let body = text
            .strip_suffix('\n')
            .ok_or(Error::MalformedCheckpoint("text must end with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(Error::MalformedCheckpoint(
                "need origin, size and root hash lines",
            ));
        };
        let size = parse_canonical_u64(size).ok_or(Error::MalformedCheckpoint(
            "tree size is not a canonical decimal",
        ))?;
        let root = Hash::from_base64(root)
            .map_err(|_| Error::MalformedCheckpoint("root hash is not base64 of 32 bytes"))?;
        let c = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: lines.map(str::to_owned).collect(),
        };
        c.validate()?;
        Ok(c)
    }

    /// The note text, ending in a newline.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Signs the checkpoint with each signer and returns the signed note.
    pub fn sign(&self, signers: &[&dyn Signer]) -> Result<String> {
        self.validate()?;
        let mut note = Note::new(self.to_text())?;
        for s in signers {
            note.sign(*s)?;
        }
        if note.signatures.is_empty() {
            return Err(Error::MalformedNote("a note needs at least one signature"));
        }
        Ok(note.to_text())
    }
}

/// Opens a signed checkpoint: verifies the note against `verifiers` (see
/// [`open_note`]), parses the body and checks the origin line.
pub fn open_checkpoint(
    msg: &[u8],
    origin: &str,
    verifiers: &Verifiers,
) -> Result<(Checkpoint, OpenedNote)> {
    let note = open_note(msg, verifiers)?;
    let c = Checkpoint::parse(&note.text)?;
    if c.origin != origin {
        return Err(Error::OriginMismatch {
            expected: origin.to_owned(),
            found: c.origin,
        });
    }
    Ok((c, note))
}

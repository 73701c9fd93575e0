//! C2SP signed-note: parsing, formatting, signing and opening notes,
//! mirroring Go's `golang.org/x/mod/sumdb/note`.
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> <base64(key ID ‖ signature)>
//! ```

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Most signatures a note may carry (the spec requires accepting ≥ 16; Go
/// allows 100).
pub const MAX_SIGNATURES: usize = 100;

/// Most bytes in a note; bounds the work spent on hostile input.
pub const MAX_NOTE_SIZE: usize = 1 << 20;

const SIG_PREFIX: &str = "\u{2014} ";

/// A 32-bit key ID: the first four bytes of
/// `SHA-256(name ‖ "\n" ‖ type ‖ public key)`, big-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

/// Formats as eight lower-case hex digits, as in key strings.
impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// Computes the signed-note key ID for `name`, signature type byte
/// `sig_type` and encoded `public_key`.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([sig_type]);
    h.update(public_key);
    let d = h.finalize();
    KeyId(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
}

/// Whether `name` is a valid key name: non-empty, no Unicode white space,
/// no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Verifies signatures by one key.
pub trait Verifier: Send + Sync {
    /// Key name.
    fn name(&self) -> &str;
    /// Key ID.
    fn key_id(&self) -> KeyId;
    /// Whether `sig` (without the 4-byte key ID) is a valid signature of
    /// the note text `msg`.
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool;
}

/// Signs note texts with one key.
pub trait Signer {
    /// Key name.
    fn name(&self) -> &str;
    /// Key ID.
    fn key_id(&self) -> KeyId;
    /// Signature over the note text `msg` (without the key ID prefix).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>>;
}

/// A set of trusted verifier keys.
#[derive(Default)]
pub struct Verifiers {
    list: Vec<Box<dyn Verifier>>,
}

impl std::fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.list
                    .iter()
                    .map(|v| format!("{}+{}", v.name(), v.key_id())),
            )
            .finish()
    }
}

impl Verifiers {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a verifier.
    pub fn push(&mut self, v: impl Verifier + 'static) -> &mut Self {
        self.list.push(Box::new(v));
        self
    }

    /// Adds a boxed verifier (e.g. from [`crate::parse_verifier_key`]).
    pub fn push_boxed(&mut self, v: Box<dyn Verifier>) -> &mut Self {
        self.list.push(v);
        self
    }

    /// Builder form of [`Verifiers::push`].
    pub fn with(mut self, v: impl Verifier + 'static) -> Self {
        self.push(v);
        self
    }

    /// Number of verifiers.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The verifier for (name, key ID): `Ok(None)` if unknown, an error if
    /// two configured keys share both.
    pub fn find(&self, name: &str, id: KeyId) -> Result<Option<&dyn Verifier>> {
        let mut it = self
            .list
            .iter()
            .filter(|v| v.name() == name && v.key_id() == id);
        let first = it.next();
        if it.next().is_some() {
            return Err(Error::AmbiguousKey {
                name: name.to_owned(),
                key_id: id,
            });
        }
        Ok(first.map(|b| b.as_ref()))
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (the first four bytes of the encoded signature).
    pub key_id: KeyId,
    /// Signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line without its final newline:
    /// `— <name> <base64(key ID ‖ signature)>`.
    pub fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.0.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}", self.name, STANDARD.encode(raw))
    }

    fn parse_line(line: &str) -> Result<NoteSignature> {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or(Error::MalformedNote(
            "signature line must start with em dash and space",
        ))?;
        let (name, b64) = rest.split_once(' ').ok_or(Error::MalformedNote(
            "signature line needs name and signature",
        ))?;
        if !is_valid_key_name(name) {
            return Err(Error::MalformedNote("invalid key name in signature line"));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedNote("signature is not valid base64"))?;
        if raw.len() < 5 {
            return Err(Error::MalformedNote("signature too short"));
        }
        let (id, sig) = raw.split_at(4);
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: KeyId(u32::from_be_bytes([id[0], id[1], id[2], id[3]])),
            signature: sig.to_vec(),
        })
    }

    /// Signs `text` with `signer`.
    pub fn create(text: &str, signer: &(impl Signer + ?Sized)) -> Result<NoteSignature> {
        let name = signer.name();
        if !is_valid_key_name(name) {
            return Err(Error::MalformedKey("invalid signer name"));
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: signer.key_id(),
            signature: signer.sign(text.as_bytes())?,
        })
    }
}

/// A parsed note whose signatures have not been verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

/// Checks the character rules shared by note texts: valid UTF-8 (given by
/// `&str`) and no ASCII control characters other than newline.
pub(crate) fn check_note_chars(s: &str) -> Result<()> {
    if s.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(Error::MalformedNote("control character"));
    }
    Ok(())
}

fn check_text(text: &str) -> Result<()> {
    check_note_chars(text)?;
    if !text.ends_with('\n') {
        return Err(Error::MalformedNote("text must end with a newline"));
    }
    Ok(())
}

impl Note {
    /// A note with `text` (which must end in a newline) and no signatures.
    pub fn new(text: impl Into<String>) -> Result<Note> {
        let text = text.into();
        check_text(&text)?;
        if text.len() > MAX_NOTE_SIZE {
            return Err(Error::MalformedNote("note too large"));
        }
        Ok(Note {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note without verifying signatures.
    pub fn parse(msg: &[u8]) -> Result<Note> {
        if msg.len() > MAX_NOTE_SIZE {
            return Err(Error::MalformedNote("note too large"));
        }
        let msg = std::str::from_utf8(msg).map_err(|_| Error::MalformedNote("invalid UTF-8"))?;
        check_note_chars(msg)?;
        // The text is separated from the signatures by the last blank line.
        let split = msg
            .rfind("\n\n")
            .ok_or(Error::MalformedNote("missing blank line before signatures"))?;
        let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(Error::MalformedNote(
                "signature block must end with a newline",
            ));
        }
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(Error::MalformedNote("too many signatures"));
        }
        let signatures = lines
            .into_iter()
            .map(NoteSignature::parse_line)
            .collect::<Result<Vec<_>>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Adds a signature by `signer`, replacing any existing signature with
    /// the same key name and ID.
    pub fn sign(&mut self, signer: &(impl Signer + ?Sized)) -> Result<()> {
        let sig = NoteSignature::create(&self.text, signer)?;
        self.add_signature(sig)
    }

    /// Adds a ready-made signature line, replacing any with the same key.
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<()> {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(Error::MalformedNote("too many signatures"));
        }
        self.signatures.push(sig);
        Ok(())
    }

    /// The encoded note: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 100 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
            out.push('\n');
        }
        out
    }
}

/// Signs `text` with each signer and returns the encoded note.
pub fn sign_note(text: &str, signers: &[&dyn Signer]) -> Result<String> {
    let mut note = Note::new(text)?;
    for s in signers {
        note.sign(*s)?;
    }
    if note.signatures.is_empty() {
        return Err(Error::MalformedNote("a note needs at least one signature"));
    }
    Ok(note.to_text())
}

/// A note whose signatures were checked against a [`Verifiers`] set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, including its final newline.
    pub text: String,
    /// Signatures by known keys, all verified (one per key).
    pub verified: Vec<NoteSignature>,
    /// Signatures by unknown keys, not verified (duplicates dropped).
    pub unverified: Vec<NoteSignature>,
}

impl OpenedNote {
    /// Whether a signature by (name, key ID) verified.
    pub fn is_signed_by(&self, name: &str, id: KeyId) -> bool {
        self.verified
            .iter()
            .any(|s| s.name == name && s.key_id == id)
    }
}

/// Parses `msg` and verifies it against `known`: signatures by unknown keys
/// are ignored, a known key's bad signature fails the whole note, and at
/// least one known key must have signed.
pub fn open_note(msg: &[u8], known: &Verifiers) -> Result<OpenedNote> {
    let note = Note::parse(msg)?;
    let mut seen: HashSet<(String, KeyId)> = HashSet::new();
    let mut seen_unverified: HashSet<(String, KeyId, Vec<u8>)> = HashSet::new();
    let mut opened = OpenedNote {
        text: note.text,
        verified: Vec::new(),
        unverified: Vec::new(),
    };
    for sig in note.signatures {
        match known.find(&sig.name, sig.key_id)? {
            None => {
                if seen_unverified.insert((sig.name.clone(), sig.key_id, sig.signature.clone())) {
                    opened.unverified.push(sig);
                }
            }
            Some(v) => {
                if !seen.insert((sig.name.clone(), sig.key_id)) {
                    continue;
                }
                if !v.verify(opened.text.as_bytes(), &sig.signature) {
                    return Err(Error::InvalidSignature {
                        name: sig.name,
                        key_id: sig.key_id,
                    });
                }
                opened.verified.push(sig);
            }
        }
    }
    if opened.verified.is_empty() {
        return Err(Error::NoVerifiedSignature);
    }
    Ok(opened)
}

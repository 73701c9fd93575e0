//! Ed25519 signed-note keys (signature type 0x01) and the key-string
//! encodings shared with the Go `note` package:
//!
//! * verifier key: `<name>+<hex8 key ID>+<base64(type ‖ public key)>`
//! * signer key: `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(type ‖ seed)>`

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;

use crate::cosignature::CosignatureV1Verifier;
use crate::error::{Error, Result};
use crate::note::{is_valid_key_name, key_id, KeyId, Signer, Verifier};

/// Signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures
/// (C2SP tlog-cosignature, `cosignature/v1`).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

fn parse_hex_id(s: &str) -> Result<KeyId> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::MalformedKey("key ID must be 8 hex digits"));
    }
    u32::from_str_radix(s, 16)
        .map(KeyId)
        .map_err(|_| Error::MalformedKey("key ID must be 8 hex digits"))
}

fn decode_key(s: &str) -> Result<Vec<u8>> {
    if s.len() > 256 {
        return Err(Error::MalformedKey("key material too long"));
    }
    let key = STANDARD
        .decode(s)
        .map_err(|_| Error::MalformedKey("key material is not valid base64"))?;
    if key.is_empty() {
        return Err(Error::MalformedKey("empty key material"));
    }
    Ok(key)
}

/// Splits a verifier key string and checks its key ID. Returns the name,
/// key ID, signature type byte and public key bytes.
pub(crate) fn split_vkey(vkey: &str) -> Result<(String, KeyId, u8, Vec<u8>)> {
    let (name, rest) = vkey
        .split_once('+')
        .ok_or(Error::MalformedKey("missing '+'"))?;
    let (id, key64) = rest
        .split_once('+')
        .ok_or(Error::MalformedKey("missing '+'"))?;
    if !is_valid_key_name(name) {
        return Err(Error::MalformedKey("invalid key name"));
    }
    let id = parse_hex_id(id)?;
    let key = decode_key(key64)?;
    let (ty, public) = (key[0], &key[1..]);
    if key_id(name, ty, public) != id {
        return Err(Error::KeyIdMismatch);
    }
    Ok((name.to_owned(), id, ty, public.to_vec()))
}

/// Splits a signer key string. The key ID is checked by the caller once it
/// has derived the public key.
pub(crate) fn split_skey(skey: &str) -> Result<(String, KeyId, u8, Vec<u8>)> {
    let rest = skey
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(Error::MalformedKey(
            "signer key must start with PRIVATE+KEY+",
        ))?;
    let (name, rest) = rest
        .split_once('+')
        .ok_or(Error::MalformedKey("missing '+'"))?;
    let (id, key64) = rest
        .split_once('+')
        .ok_or(Error::MalformedKey("missing '+'"))?;
    if !is_valid_key_name(name) {
        return Err(Error::MalformedKey("invalid key name"));
    }
    let id = parse_hex_id(id)?;
    let key = decode_key(key64)?;
    Ok((name.to_owned(), id, key[0], key[1..].to_vec()))
}

pub(crate) fn format_vkey(name: &str, ty: u8, public: &[u8]) -> String {
    let mut raw = vec![ty];
    raw.extend_from_slice(public);
    format!(
        "{name}+{}+{}",
        key_id(name, ty, public),
        STANDARD.encode(raw)
    )
}

pub(crate) fn format_skey(name: &str, ty: u8, public: &[u8], seed: &[u8]) -> String {
    let mut raw = vec![ty];
    raw.extend_from_slice(seed);
    format!(
        "PRIVATE+KEY+{name}+{}+{}",
        key_id(name, ty, public),
        STANDARD.encode(raw)
    )
}

pub(crate) fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::MalformedKey("Ed25519 public key must be 32 bytes"))?;
    VerifyingKey::from_bytes(&arr).map_err(|_| Error::MalformedKey("invalid Ed25519 public key"))
}

pub(crate) fn signing_key(seed: &[u8]) -> Result<SigningKey> {
    let arr: [u8; 32] = seed
        .try_into()
        .map_err(|_| Error::MalformedKey("Ed25519 seed must be 32 bytes"))?;
    Ok(SigningKey::from_bytes(&arr))
}

pub(crate) fn ed25519_verify(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = Signature::from_slice(sig) else {
        return false;
    };
    key.verify_strict(msg, &sig).is_ok()
}

/// Verifies Ed25519 (type 0x01) note signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Verifier {
    name: String,
    id: KeyId,
    key: VerifyingKey,
}

impl Ed25519Verifier {
    /// Verifier for `name` and `key`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(Error::MalformedKey("invalid key name"));
        }
        Ok(Ed25519Verifier {
            name: name.to_owned(),
            id: key_id(name, SIG_TYPE_ED25519, key.as_bytes()),
            key,
        })
    }

    /// Parses a verifier key string of type 0x01.
    pub fn from_vkey(vkey: &str) -> Result<Self> {
        let (name, id, ty, public) = split_vkey(vkey)?;
        if ty != SIG_TYPE_ED25519 {
            return Err(Error::UnsupportedAlgorithm(ty));
        }
        Ok(Ed25519Verifier {
            name,
            id,
            key: verifying_key(&public)?,
        })
    }

    /// The verifier key string.
    pub fn vkey(&self) -> String {
        format_vkey(&self.name, SIG_TYPE_ED25519, self.key.as_bytes())
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl Verifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        ed25519_verify(&self.key, msg, sig)
    }
}

/// Signs notes with Ed25519 (type 0x01). `Debug` does not show the key.
#[derive(Clone)]
pub struct Ed25519Signer {
    name: String,
    id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519Signer({}+{}, <redacted>)", self.name, self.id)
    }
}

impl Ed25519Signer {
    /// Signer for `name` with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(Error::MalformedKey("invalid key name"));
        }
        Ok(Ed25519Signer {
            name: name.to_owned(),
            id: key_id(name, SIG_TYPE_ED25519, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// A fresh random key.
    pub fn generate(name: &str, rng: &mut impl CryptoRngCore) -> Result<Self> {
        Self::new(name, SigningKey::generate(rng))
    }

    /// Parses a signer key string of type 0x01.
    pub fn from_skey(skey: &str) -> Result<Self> {
        let (name, id, ty, seed) = split_skey(skey)?;
        if ty != SIG_TYPE_ED25519 {
            return Err(Error::UnsupportedAlgorithm(ty));
        }
        let s = Self::new(&name, signing_key(&seed)?)?;
        if s.id != id {
            return Err(Error::KeyIdMismatch);
        }
        Ok(s)
    }

    /// The signer key string. This is secret.
    pub fn skey(&self) -> String {
        format_skey(
            &self.name,
            SIG_TYPE_ED25519,
            self.key.verifying_key().as_bytes(),
            self.key.as_bytes(),
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519Verifier {
        Ed25519Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The matching verifier key string.
    pub fn vkey(&self) -> String {
        self.verifier().vkey()
    }
}

impl Signer for Ed25519Signer {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// Parses a verifier key string of any supported type: 0x01 (Ed25519) or
/// 0x04 (cosignature/v1).
pub fn parse_verifier_key(vkey: &str) -> Result<Box<dyn Verifier>> {
    let (name, id, ty, public) = split_vkey(vkey)?;
    let key = verifying_key(&public)?;
    match ty {
        SIG_TYPE_ED25519 => Ok(Box::new(Ed25519Verifier { name, id, key })),
        SIG_TYPE_COSIGNATURE_V1 => Ok(Box::new(CosignatureV1Verifier::new(&name, key)?)),
        other => Err(Error::UnsupportedAlgorithm(other)),
    }
}

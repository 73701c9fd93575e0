//! Ed25519 keys, key ids and the key metadata that the trust list publishes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::TrustError;

/// In [`KeyInfo::schemes`] and [`KeyInfo::levels`], this entry means "any".
pub const WILDCARD: &str = "*";

/// A short, stable key id: the first 8 bytes of SHA-256 over the raw 32-byte Ed25519 public key,
/// written as 16 lowercase hex digits (e.g. `3f1c0a9be2d47c10`). Tokens carry the 8 raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// Derive the id of a public key.
    pub fn of(public_key: &PublicKey) -> Self {
        let digest = Sha256::digest(public_key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self(id)
    }
    /// Wrap 8 raw bytes (as found in a token).
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }
    /// The 8 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
    /// Parse the 16-hex-digit form (lowercase or uppercase).
    pub fn parse(s: &str) -> Result<Self, TrustError> {
        let mut id = [0u8; 8];
        hex::decode_to_slice(s, &mut id)
            .map_err(|e| TrustError::malformed("key id", format!("{s:?}: {e}")))?;
        Ok(Self(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}
impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}
impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() != 16 || s.bytes().any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(serde::de::Error::custom(
                "key id must be 16 lowercase hex digits",
            ));
        }
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 public key. In JSON: standard base64 (with padding) of the 32 raw bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// From the 32 raw bytes; rejects encodings that are not a curve point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, TrustError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|e| TrustError::malformed("public key", e.to_string()))
    }
    /// From standard base64 of the 32 raw bytes.
    pub fn from_base64(s: &str) -> Result<Self, TrustError> {
        let raw = STANDARD
            .decode(s)
            .map_err(|e| TrustError::malformed("public key", e.to_string()))?;
        let arr: [u8; 32] = raw
            .try_into()
            .map_err(|_| TrustError::malformed("public key", "expected 32 bytes"))?;
        Self::from_bytes(&arr)
    }
    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
    /// Standard base64 of the raw bytes.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.as_bytes())
    }
    /// This key's id.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(self)
    }
    /// Strict Ed25519 verification (rejects non-canonical and small-order encodings).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        self.0.verify_strict(msg, &sig).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}
impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}
impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_base64(&s).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 signing key. Its `Debug` output shows only the key id, never the secret.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }
    /// A fresh key from the given cryptographic RNG (tests use a seeded one).
    pub fn generate_with<R: rand_core::CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        Self(ed25519_dalek::SigningKey::generate(rng))
    }
    /// From the 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }
    /// From the seed as 64 hex digits (the storage form used by key files).
    pub fn from_seed_hex(s: &str) -> Result<Self, TrustError> {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut seed)
            .map_err(|e| TrustError::malformed("signing key", e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }
    /// The seed as 64 hex digits. Secret: store it with care.
    pub fn to_seed_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }
    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
    /// The key id of the public half.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }
    /// Sign `msg` (callers prepend the domain prefix).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey {{ key_id: {}, secret: <redacted> }}",
            self.key_id()
        )
    }
}

/// What a key is for. The trust list says which role each key has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// A national cybersecurity certification authority (NCCA).
    NationalAuthority,
    /// An accredited assessment body (CAB) that tests and certifies.
    AssessmentBody,
    /// A manufacturer or provider that self-declares conformity.
    Manufacturer,
    /// The registry itself (status responses, expiry and monitoring statements).
    Registry,
    /// The transparency log (checkpoints).
    Log,
}

/// Metadata the trust list publishes for every key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInfo {
    /// Must equal `KeyId::of(&public_key)`; the trust list rejects entries where it does not.
    pub key_id: KeyId,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
    /// The owning organisation's id in the registry.
    pub organisation_id: String,
    /// The owning organisation's display name (shown to people who verify a label).
    pub organisation_name: String,
    /// What the key may sign.
    pub role: Role,
    /// Scheme ids the key may sign for; `"*"` means any.
    pub schemes: Vec<String>,
    /// Assurance level ids the key may sign for; `"*"` means any.
    pub levels: Vec<String>,
    /// Start of validity: signatures dated earlier are rejected.
    pub valid_from: DateTime<Utc>,
    /// End of validity (exclusive): signatures dated at or after it are rejected. After rotation
    /// the old key keeps verifying what it signed while valid.
    pub valid_until: DateTime<Utc>,
    /// Compromise time, if the key was revoked: signatures dated at or after it are rejected,
    /// signatures dated before it stay valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyInfo {
    /// Check that a signature dated `signed_at` can be trusted as far as this key's lifetime goes:
    /// revocation first ([`TrustError::RevokedKey`]), then validity ([`TrustError::KeyNotValidAt`]).
    pub fn check_signed_at(&self, signed_at: DateTime<Utc>) -> Result<(), TrustError> {
        if let Some(revoked_at) = self.revoked_at {
            if signed_at >= revoked_at {
                return Err(TrustError::RevokedKey {
                    key_id: self.key_id.to_string(),
                    revoked_at,
                    signed_at,
                });
            }
        }
        if signed_at < self.valid_from || signed_at >= self.valid_until {
            return Err(TrustError::KeyNotValidAt {
                key_id: self.key_id.to_string(),
                signed_at,
            });
        }
        Ok(())
    }

    /// Check role, scheme and level against what the key is authorised for.
    pub fn check_authorised(
        &self,
        roles: &[Role],
        scheme: &str,
        level: &str,
    ) -> Result<(), TrustError> {
        let deny = |detail: String| TrustError::NotAuthorised {
            key_id: self.key_id.to_string(),
            detail,
        };
        if !roles.contains(&self.role) {
            return Err(deny(format!(
                "role {:?} may not sign this (needs one of {roles:?})",
                self.role
            )));
        }
        // The registry signs on behalf of every scheme; other roles are scoped.
        if self.role == Role::Registry {
            return Ok(());
        }
        let allows = |list: &[String], v: &str| list.iter().any(|s| s == WILDCARD || s == v);
        if !allows(&self.schemes, scheme) {
            return Err(deny(format!("scheme {scheme:?} not in {:?}", self.schemes)));
        }
        if !allows(&self.levels, level) {
            return Err(deny(format!("level {level:?} not in {:?}", self.levels)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret() {
        let k = SigningKey::from_seed(&[7u8; 32]);
        let dbg = format!("{k:?}");
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains(&k.to_seed_hex()));
        assert!(!dbg.contains("0707"));
    }

    #[test]
    fn key_id_is_stable_and_roundtrips() {
        let k = SigningKey::from_seed(&[1u8; 32]);
        let id = k.key_id();
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(KeyId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(
            SigningKey::from_seed_hex(&k.to_seed_hex())
                .unwrap()
                .key_id(),
            id
        );
        let json = serde_json::to_string(&k.public_key()).unwrap();
        let back: PublicKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, k.public_key());
    }

    #[test]
    fn bad_key_material_is_an_error() {
        assert!(PublicKey::from_base64("!!").is_err());
        assert!(PublicKey::from_base64("AAAA").is_err());
        assert!(KeyId::parse("xyz").is_err());
        assert!(SigningKey::from_seed_hex("00").is_err());
    }
}

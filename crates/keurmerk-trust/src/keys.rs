//! Ed25519 keys, key ids and the key metadata that the trust list publishes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::TrustError;

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

/// The kind of act a [`Grant`] allows. Which acts each statement kind needs is
/// [`crate::StatementKind::acts`]; a label token needs [`Act::Issue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Act {
    /// Issue certificates (an assessment body, for its authorisations) or statements of
    /// conformity (a manufacturer, for self-assessable levels), label tokens for them, and
    /// maintain what was issued (versions covered, suspend, reinstate, withdraw, status changes).
    Issue,
    /// A holder's acts on its own certificates of any level: versions covered and monitoring
    /// events. Never issuance.
    Maintain,
    /// A national authority's supervisory acts: suspend, reinstate, withdraw, status changes.
    /// Never issuance.
    Supervise,
    /// The registry's own acts: expiry, monitoring and propagation statements, status responses.
    Registry,
}

/// One entry of a key's scope: the key may perform `act` for `levels` of `scheme` on signatures
/// dated in `[valid_from, valid_until)`. Schemes and levels are explicit ids: there is no
/// wildcard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// What the key may do.
    pub act: Act,
    /// The scheme id.
    pub scheme: String,
    /// The level ids of that scheme (at least one).
    pub levels: Vec<String>,
    /// Start of the grant (for an assessment body: when the authority authorised it).
    pub valid_from: DateTime<Utc>,
    /// End of the grant, exclusive (for an assessment body: when the authorisation was revoked);
    /// absent while the grant holds (the key's own validity still applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
}

impl Grant {
    /// Whether the grant is for one of `acts` on `scheme`/`level` (dates aside).
    fn covers(&self, acts: &[Act], scheme: &str, level: &str) -> bool {
        acts.contains(&self.act) && self.scheme == scheme && self.levels.iter().any(|l| l == level)
    }
    /// Held at the instant `at`.
    fn holds_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from <= at && self.valid_until.is_none_or(|u| at < u)
    }
    /// Held at some moment of `day` (tokens carry day precision).
    fn holds_on(&self, day: NaiveDate) -> bool {
        let start = day.and_time(NaiveTime::MIN).and_utc();
        let next = day.succ_opt().map_or(DateTime::<Utc>::MAX_UTC, |d| {
            d.and_time(NaiveTime::MIN).and_utc()
        });
        self.valid_from < next && self.valid_until.is_none_or(|u| u > start)
    }
    fn describe(&self) -> String {
        let until = self
            .valid_until
            .map_or_else(|| "on".to_owned(), |u| format!("until {u}"));
        format!(
            "{:?} {}/{} from {} {until}",
            self.act,
            self.scheme,
            self.levels.join(","),
            self.valid_from
        )
    }
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
    /// The member state (ISO 3166-1 alpha-2) of a national authority; absent for other roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_state: Option<String>,
    /// Exactly what the key may sign, with dates: computed by the registry from its data
    /// (authorisations, the scheme catalogue) every time the trust list is built.
    pub scope: Vec<Grant>,
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

/// What is being signed, for [`KeyInfo::check_scope`]: the object's words for error messages,
/// the roles that may sign it and the acts that allow it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim<'a> {
    pub what: &'a str,
    pub roles: &'a [Role],
    pub acts: &'a [Act],
    pub scheme: &'a str,
    pub level: &'a str,
}

/// When the claim was signed: an instant (statements, status responses) or a day (tokens).
#[derive(Debug, Clone, Copy)]
pub(crate) enum SignedWhen {
    At(DateTime<Utc>),
    On(NaiveDate),
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

    /// Check that the key's role may sign the claim and that one of its grants covers the
    /// claim's act, scheme and level at the signing date; else [`TrustError::OutOfScope`].
    pub(crate) fn check_scope(&self, claim: Claim<'_>, when: SignedWhen) -> Result<(), TrustError> {
        let signed = match when {
            SignedWhen::At(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            SignedWhen::On(d) => d.to_string(),
        };
        let deny = |detail: String| TrustError::OutOfScope {
            key_id: self.key_id.to_string(),
            what: claim.what.to_owned(),
            claim: format!("{}/{} signed {signed}", claim.scheme, claim.level),
            detail,
        };
        if !claim.roles.contains(&self.role) {
            return Err(deny(format!(
                "the key belongs to a {} (needs {})",
                role_name(self.role),
                claim
                    .roles
                    .iter()
                    .map(|r| role_name(*r))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        let matching: Vec<&Grant> = self
            .scope
            .iter()
            .filter(|g| g.covers(claim.acts, claim.scheme, claim.level))
            .collect();
        if matching.is_empty() {
            return Err(deny(format!(
                "no grant covers it (the key's grants: {})",
                if self.scope.is_empty() {
                    "none".to_owned()
                } else {
                    self.scope
                        .iter()
                        .map(Grant::describe)
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            )));
        }
        let held = matching.iter().any(|g| match when {
            SignedWhen::At(t) => g.holds_at(t),
            SignedWhen::On(d) => g.holds_on(d),
        });
        if !held {
            return Err(deny(format!(
                "signed outside the grant's dates ({})",
                matching
                    .iter()
                    .map(|g| g.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        Ok(())
    }
}

/// The role's words in messages.
pub(crate) fn role_name(r: Role) -> &'static str {
    match r {
        Role::NationalAuthority => "national authority",
        Role::AssessmentBody => "assessment body",
        Role::Manufacturer => "manufacturer",
        Role::Registry => "registry",
        Role::Log => "transparency log",
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

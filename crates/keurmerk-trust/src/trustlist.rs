//! The trust list: every key the registry vouches for, signed by the registry root key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{KeyId, KeyInfo, PublicKey, SigningKey};
use crate::TrustError;

/// The trust-list format version this crate reads and writes. Version 2 replaced the keys'
/// `schemes`/`levels` lists (with their `"*"` wildcard) by an explicit, dated `scope`; lists of
/// version 1 are rejected.
pub const TRUST_LIST_VERSION: u32 = 2;

/// Domain-separation prefix of trust-list signatures.
pub const TRUST_LIST_DOMAIN: &[u8] = b"keurmerk-trust-list-v1\n";

/// The trust list (SPEC §7). Serialised inside a signed envelope, see [`TrustList::sign`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustList {
    /// Format version, always [`TRUST_LIST_VERSION`].
    pub version: u32,
    /// Monotonic sequence number; a verifier should refuse to replace a cached list with one
    /// whose sequence is lower (rollback).
    pub sequence: u64,
    /// When the list was issued.
    pub issued_at: DateTime<Utc>,
    /// When a fresh list will be available; past it the list is stale (see [`TrustList::is_stale`]).
    pub next_update: DateTime<Utc>,
    /// The transparency log's verifier key in C2SP signed-note form
    /// (`<name>+<hex key id>+<base64(type ‖ key)>`), opaque to this crate.
    pub log_verifier_key: String,
    /// Every key, current, rotated-out and revoked.
    pub keys: Vec<KeyInfo>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<T> {
    trust_list: T,
    keyid: KeyId,
    sig: String,
}

impl TrustList {
    /// Look up a key by id.
    pub fn key(&self, id: &KeyId) -> Option<&KeyInfo> {
        self.keys.iter().find(|k| &k.key_id == id)
    }

    /// True when `now` is past `next_update`: revocations published since may be missing, so
    /// verifiers report results obtained with a stale list as such.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now > self.next_update
    }

    /// Sign with the registry root key; returns the envelope
    /// `{"keyid": <root key id>, "sig": <base64>, "trust_list": {…}}` as RFC 8785 JSON.
    pub fn sign(&self, root: &SigningKey) -> Result<Vec<u8>, TrustError> {
        self.check()?;
        let msg = signing_input(TRUST_LIST_DOMAIN, self)?;
        let env = Envelope {
            trust_list: self,
            keyid: root.key_id(),
            sig: STANDARD.encode(root.sign(&msg)),
        };
        canonical_json(&env)
    }

    /// Parse and verify a signed trust list against the registry root public key.
    ///
    /// Errors: [`TrustError::Malformed`] for bad JSON or an inconsistent list (wrong version,
    /// key id not derived from its key, duplicate ids); [`TrustError::TrustListSignature`] when the
    /// signature is not the root key's.
    pub fn verify(bytes: &[u8], root: &PublicKey) -> Result<Self, TrustError> {
        let env: Envelope<serde_json::Value> = serde_json::from_slice(bytes)
            .map_err(|e| TrustError::malformed("trust list", e.to_string()))?;
        let sig = decode_sig(&env.sig).ok_or(TrustError::TrustListSignature)?;
        if env.keyid != root.key_id() {
            return Err(TrustError::TrustListSignature);
        }
        // Verify over the bytes as received (canonicalised), before interpreting them.
        let msg = signing_input(TRUST_LIST_DOMAIN, &env.trust_list)?;
        if !root.verify(&msg, &sig) {
            return Err(TrustError::TrustListSignature);
        }
        let list: TrustList = serde_json::from_value(env.trust_list)
            .map_err(|e| TrustError::malformed("trust list", e.to_string()))?;
        list.check()?;
        Ok(list)
    }

    /// Verify `bytes` like [`TrustList::verify`] and accept it as a replacement for `cached` only if
    /// its sequence is not lower ([`TrustError::TrustListRollback`]).
    pub fn verify_update(
        bytes: &[u8],
        root: &PublicKey,
        cached: &TrustList,
    ) -> Result<Self, TrustError> {
        let list = Self::verify(bytes, root)?;
        if list.sequence < cached.sequence {
            return Err(TrustError::TrustListRollback {
                cached: cached.sequence,
                offered: list.sequence,
            });
        }
        Ok(list)
    }

    fn check(&self) -> Result<(), TrustError> {
        if self.version != TRUST_LIST_VERSION {
            return Err(TrustError::malformed(
                "trust list",
                format!(
                    "unsupported version {} (expected {TRUST_LIST_VERSION})",
                    self.version
                ),
            ));
        }
        let mut seen = HashSet::new();
        for k in &self.keys {
            if k.key_id != k.public_key.key_id() {
                return Err(TrustError::malformed(
                    "trust list",
                    format!("key id {} does not match its public key", k.key_id),
                ));
            }
            for g in &k.scope {
                // A wildcard would make the scope meaningless; "*" is not an id of any scheme.
                if g.levels.is_empty() || g.levels.iter().chain([&g.scheme]).any(|v| v == "*") {
                    return Err(TrustError::malformed(
                        "trust list",
                        format!(
                            "key {}: a grant needs explicit scheme and level ids, got {}/{:?}",
                            k.key_id, g.scheme, g.levels
                        ),
                    ));
                }
            }
            if !seen.insert(k.key_id) {
                return Err(TrustError::malformed(
                    "trust list",
                    format!("duplicate key id {}", k.key_id),
                ));
            }
        }
        Ok(())
    }
}

/// Strict standard base64 of exactly 64 bytes.
pub(crate) fn decode_sig(s: &str) -> Option<[u8; 64]> {
    STANDARD.decode(s).ok()?.try_into().ok()
}

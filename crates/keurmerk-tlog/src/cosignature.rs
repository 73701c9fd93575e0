//! C2SP tlog-cosignature, `cosignature/v1`: timestamped Ed25519 witness
//! cosignatures (signature type 0x04).
//!
//! The signature bytes are `u64 timestamp (big-endian) ‖ Ed25519 signature`
//! over
//!
//! ```text
//! cosignature/v1
//! time <timestamp>
//! <checkpoint note text>
//! ```

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;

use crate::error::{Error, Result};
use crate::keys::{
    ed25519_verify, format_skey, format_vkey, signing_key, split_skey, split_vkey, verifying_key,
    SIG_TYPE_COSIGNATURE_V1,
};
use crate::note::{is_valid_key_name, key_id, KeyId, NoteSignature, Signer, Verifier};

/// Largest timestamp allowed (2^63 − 1).
pub const MAX_COSIGNATURE_TIMESTAMP: u64 = i64::MAX as u64;

/// Length of a cosignature/v1 signature (8-byte timestamp + 64).
pub const COSIGNATURE_V1_LEN: usize = 72;

/// The message a cosignature/v1 signs for note text `text` at `timestamp`.
pub fn cosigned_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// The timestamp of a cosignature/v1 signature, if it has the right length
/// and the timestamp is in range.
pub fn cosignature_timestamp(sig: &[u8]) -> Option<u64> {
    let ts: [u8; 8] = sig.get(..8)?.try_into().ok()?;
    let ts = u64::from_be_bytes(ts);
    (sig.len() == COSIGNATURE_V1_LEN && ts <= MAX_COSIGNATURE_TIMESTAMP).then_some(ts)
}

/// Verifies cosignature/v1 signatures by one witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureV1Verifier {
    name: String,
    id: KeyId,
    key: VerifyingKey,
}

impl CosignatureV1Verifier {
    /// Verifier for witness `name` with public key `key`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(Error::MalformedKey("invalid key name"));
        }
        Ok(CosignatureV1Verifier {
            name: name.to_owned(),
            id: key_id(name, SIG_TYPE_COSIGNATURE_V1, key.as_bytes()),
            key,
        })
    }

    /// Parses a witness verifier key string of type 0x04.
    pub fn from_vkey(vkey: &str) -> Result<Self> {
        let (name, id, ty, public) = split_vkey(vkey)?;
        if ty != SIG_TYPE_COSIGNATURE_V1 {
            return Err(Error::UnsupportedAlgorithm(ty));
        }
        let v = Self::new(&name, verifying_key(&public)?)?;
        debug_assert_eq!(v.id, id, "split_vkey checked the key ID");
        Ok(v)
    }

    /// The verifier key string (type 0x04).
    pub fn vkey(&self) -> String {
        format_vkey(&self.name, SIG_TYPE_COSIGNATURE_V1, self.key.as_bytes())
    }
}

impl Verifier for CosignatureV1Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some(ts) = cosignature_timestamp(sig) else {
            return false;
        };
        let Ok(text) = std::str::from_utf8(msg) else {
            return false;
        };
        ed25519_verify(&self.key, &cosigned_message(text, ts), &sig[8..])
    }
}

/// A witness's cosignature/v1 signing key. `Debug` does not show the key.
#[derive(Clone)]
pub struct CosignatureV1Signer {
    name: String,
    id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureV1Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CosignatureV1Signer({}+{}, <redacted>)",
            self.name, self.id
        )
    }
}

impl CosignatureV1Signer {
    /// Signer for witness `name` with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(Error::MalformedKey("invalid key name"));
        }
        Ok(CosignatureV1Signer {
            name: name.to_owned(),
            id: key_id(
                name,
                SIG_TYPE_COSIGNATURE_V1,
                key.verifying_key().as_bytes(),
            ),
            key,
        })
    }

    /// A fresh random key.
    pub fn generate(name: &str, rng: &mut impl CryptoRngCore) -> Result<Self> {
        Self::new(name, SigningKey::generate(rng))
    }

    /// Parses `PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`.
    pub fn from_skey(skey: &str) -> Result<Self> {
        let (name, id, ty, seed) = split_skey(skey)?;
        if ty != SIG_TYPE_COSIGNATURE_V1 {
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
            SIG_TYPE_COSIGNATURE_V1,
            self.key.verifying_key().as_bytes(),
            self.key.as_bytes(),
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureV1Verifier {
        CosignatureV1Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Cosigns the checkpoint note text `text` at `timestamp` (POSIX
    /// seconds; this crate has no clock).
    pub fn cosign(&self, text: &str, timestamp: u64) -> Result<NoteSignature> {
        NoteSignature::create(text, &self.at(timestamp)?)
    }

    /// A [`Signer`] that cosigns at a fixed `timestamp`.
    pub fn at(&self, timestamp: u64) -> Result<TimestampedCosigner<'_>> {
        if timestamp > MAX_COSIGNATURE_TIMESTAMP {
            return Err(Error::InvalidInput("cosignature timestamp exceeds 2^63-1"));
        }
        Ok(TimestampedCosigner {
            signer: self,
            timestamp,
        })
    }
}

/// A [`CosignatureV1Signer`] bound to a timestamp, usable wherever a
/// [`Signer`] is expected.
#[derive(Debug)]
pub struct TimestampedCosigner<'a> {
    signer: &'a CosignatureV1Signer,
    timestamp: u64,
}

impl Signer for TimestampedCosigner<'_> {
    fn name(&self) -> &str {
        &self.signer.name
    }
    fn key_id(&self) -> KeyId {
        self.signer.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let text = std::str::from_utf8(msg).map_err(|_| Error::MalformedNote("invalid UTF-8"))?;
        let sig = self
            .signer
            .key
            .sign(&cosigned_message(text, self.timestamp));
        let mut out = Vec::with_capacity(COSIGNATURE_V1_LEN);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&sig.to_bytes());
        Ok(out)
    }
}

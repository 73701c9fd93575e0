//! Signed live-status responses (OCSP-like, with `next_update`) and the client's fail-closed rule.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{KeyId, KeyInfo, Role, SigningKey};
use crate::trustlist::{decode_sig, TrustList};
use crate::TrustError;

/// Domain-separation prefix of status-response signatures.
pub const STATUS_DOMAIN: &[u8] = b"keurmerk-status-v1\n";

/// Label status as served (SPEC §5), plus `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertStatus {
    /// Certified, supported, nothing overdue.
    Valid,
    /// Still certified, but something needs action.
    Attention,
    /// Suspended.
    Suspended,
    /// Withdrawn.
    Withdrawn,
    /// Expired.
    Expired,
    /// Support period ended.
    SupportEnded,
    /// The registry does not know the certificate.
    Unknown,
}

/// The live-status response the registry signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusResponse {
    /// Certificate asked about.
    pub certificate_id: String,
    /// Its status at `produced_at`.
    pub status: CertStatus,
    /// Machine-readable reason codes (e.g. `vulnerability_overdue`), texts live elsewhere.
    pub reasons: Vec<String>,
    /// When the registry computed it.
    pub produced_at: DateTime<Utc>,
    /// Until when a client may rely on it; after that it is stale.
    pub next_update: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<T> {
    status: T,
    keyid: KeyId,
    sig: String,
}

/// A status response whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedStatus {
    /// The response.
    pub response: StatusResponse,
    /// The registry key that signed it.
    pub signer: KeyInfo,
}

/// What a client should conclude. Fail-closed: only a fresh, signed `valid` or `attention`
/// response counts as valid; stale or missing answers are [`ClientVerdict::Unknown`], which a
/// client must present as "could not confirm", never as valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "status")]
pub enum ClientVerdict {
    /// Fresh and `valid`.
    Valid,
    /// Fresh and `attention`: still valid, action needed.
    Attention,
    /// Fresh and not valid (suspended, withdrawn, expired, support ended, unknown certificate).
    NotValid(CertStatus),
    /// No fresh signed answer: now is past `next_update`. Not valid.
    Unknown,
}

impl StatusResponse {
    /// Sign with a registry key; returns `{"keyid", "sig", "status": {…}}` as RFC 8785 JSON.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, TrustError> {
        let msg = signing_input(STATUS_DOMAIN, self)?;
        canonical_json(&Envelope {
            status: self,
            keyid: key.key_id(),
            sig: STANDARD.encode(key.sign(&msg)),
        })
    }

    /// Verify a signed response for certificate `expected_id` at time `now`. The signer must be a
    /// `registry` key valid (and not compromised) at `produced_at`. A stale response still verifies
    /// (it is authentic); apply [`StatusResponse::verdict`] to decide what it means.
    pub fn verify(
        bytes: &[u8],
        trust: &TrustList,
        expected_id: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedStatus, TrustError> {
        let env: Envelope<serde_json::Value> = serde_json::from_slice(bytes)
            .map_err(|e| TrustError::malformed("status response", e.to_string()))?;
        let signer = trust
            .key(&env.keyid)
            .ok_or_else(|| TrustError::UnknownKey(env.keyid.to_string()))?;
        let sig = decode_sig(&env.sig).ok_or_else(|| {
            TrustError::malformed("status response", "signature is not 64 bytes of base64")
        })?;
        let msg = signing_input(STATUS_DOMAIN, &env.status)?;
        if !signer.public_key.verify(&msg, &sig) {
            return Err(TrustError::BadSignature(env.keyid.to_string()));
        }
        let response: StatusResponse = serde_json::from_value(env.status)
            .map_err(|e| TrustError::malformed("status response", e.to_string()))?;
        if response.produced_at > crate::latest_acceptable(now) {
            return Err(TrustError::FromTheFuture {
                signed_at: response.produced_at,
            });
        }
        signer.check_signed_at(response.produced_at)?;
        signer.check_authorised(&[Role::Registry], "", "")?;
        if response.certificate_id != expected_id {
            return Err(TrustError::CertificateIdMismatch {
                expected: expected_id.to_owned(),
                found: response.certificate_id,
            });
        }
        Ok(VerifiedStatus {
            response,
            signer: signer.clone(),
        })
    }

    /// The fail-closed rule: past `next_update` the answer is [`ClientVerdict::Unknown`].
    pub fn verdict(&self, now: DateTime<Utc>) -> ClientVerdict {
        if now > self.next_update {
            return ClientVerdict::Unknown;
        }
        match self.status {
            CertStatus::Valid => ClientVerdict::Valid,
            CertStatus::Attention => ClientVerdict::Attention,
            other => ClientVerdict::NotValid(other),
        }
    }
}

//! The one error type of this crate.

use chrono::{DateTime, NaiveDate, Utc};

/// Why a key, statement, trust list, token or status response was rejected.
///
/// Verifiers should show the variant to people: each one names a different situation (a damaged
/// code, a forged code, a key that was stolen, …) that calls for a different reaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The bytes are not a well-formed object of the expected kind (bad JSON, bad base64, wrong
    /// field, truncated token, …). `what` names the object and the problem.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// The kind of object being parsed (`statement`, `token`, `trust list`, …).
        what: &'static str,
        /// What was wrong and where.
        detail: String,
    },
    /// The signing key id is not in the trust list.
    #[error("unknown signing key {0}")]
    UnknownKey(String),
    /// The key was reported compromised at `revoked_at`, and the object claims to be signed at or
    /// after that moment, so the signature proves nothing.
    #[error(
        "key {key_id} was revoked (compromised) at {revoked_at}; object signed at {signed_at}"
    )]
    RevokedKey {
        /// The key id.
        key_id: String,
        /// The compromise time from the trust list.
        revoked_at: DateTime<Utc>,
        /// The signing time claimed by the object.
        signed_at: DateTime<Utc>,
    },
    /// The key exists but was not within its validity period at the signing time.
    #[error("key {key_id} was not valid at {signed_at}")]
    KeyNotValidAt {
        /// The key id.
        key_id: String,
        /// The signing time claimed by the object.
        signed_at: DateTime<Utc>,
    },
    /// The key may not sign this kind of object at all (kept for callers that check a role
    /// outside a claim; scope checks give [`TrustError::OutOfScope`]).
    #[error("key {key_id} is not authorised: {detail}")]
    NotAuthorised {
        /// The key id.
        key_id: String,
        /// Which role was missing.
        detail: String,
    },
    /// The claim (issuer kind, scheme, level, signing date) falls outside what the signing key's
    /// organisation may sign according to the trust list: a forgery, or a signature made before
    /// an authorisation was granted or after it was revoked.
    #[error("key {key_id} may not sign {what} for {claim}: {detail}")]
    OutOfScope {
        /// The key id.
        key_id: String,
        /// What was signed (`a third-party certified label`, `a suspended statement`, …).
        what: String,
        /// The claim outside the scope: `<scheme>/<level> signed <date or instant>`.
        claim: String,
        /// Why: the role, or the grants that do not cover it.
        detail: String,
    },
    /// The label's signed claims disagree with the registry's signed status for the same
    /// certificate (e.g. a forged level on a real certificate id).
    #[error("the label says {field} is {label:?}, the registry's signed record says {registry:?}")]
    ClaimsMismatch {
        /// The claim that differs (`level`, `product_name`, …).
        field: &'static str,
        /// What the label's token says.
        label: String,
        /// What the registry's signed status says.
        registry: String,
    },
    /// The Ed25519 signature does not match the signed bytes: the object was altered (tampered)
    /// or forged.
    #[error("bad signature by key {0}: the content was altered or forged")]
    BadSignature(String),
    /// The trust list's signature does not verify under the registry root key.
    #[error("trust list signature does not verify under the registry root key")]
    TrustListSignature,
    /// A verified trust list is older than the one already cached (rollback attempt).
    #[error("trust list sequence {offered} is older than the cached sequence {cached}")]
    TrustListRollback {
        /// Sequence of the cached list.
        cached: u64,
        /// Sequence of the offered list.
        offered: u64,
    },
    /// The object claims to be signed later than `now` plus the allowed clock skew.
    #[error("signed at {signed_at}, which is in the future")]
    FromTheFuture {
        /// The signing time claimed by the object.
        signed_at: DateTime<Utc>,
    },
    /// The certificate's validity ended before today.
    #[error("certificate {certificate_id} expired on {valid_until}")]
    CertificateExpired {
        /// Certificate id from the token.
        certificate_id: String,
        /// Its last day of validity.
        valid_until: NaiveDate,
    },
    /// The certificate id in the URL path differs from the one signed into the token (or a status
    /// response answers for another certificate than the one asked about).
    #[error("certificate id mismatch: expected {expected}, signed object says {found}")]
    CertificateIdMismatch {
        /// The id from the URL path (or the request).
        expected: String,
        /// The id in the signed object.
        found: String,
    },
    /// Claims cannot be encoded: a field is empty, too long or the label URL cannot fit in the
    /// size budget even after truncating names.
    #[error("cannot encode token: {0}")]
    InvalidClaims(String),
    /// A status list is past its `exp`: it can no longer say that anything is valid.
    #[error("the status list expired at {exp}; fetch a fresh one")]
    StatusListExpired {
        /// Its expiry time.
        exp: DateTime<Utc>,
    },
    /// A status index is not inside the status list (a label newer than the list, or a forged
    /// index).
    #[error("status index {index} is outside the status list, which has {size} entries")]
    StatusIndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// How many statuses the list holds.
        size: u64,
    },
    /// A value could not be serialised (should not happen for the types of this crate).
    #[error("serialisation failed: {0}")]
    Serialisation(String),
}

impl TrustError {
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            detail: detail.into(),
        }
    }
}

//! Signed statements: certificates, statements of conformity and status changes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{Act, Claim, KeyId, KeyInfo, Role, SignedWhen, SigningKey};
use crate::trustlist::{decode_sig, TrustList};
use crate::TrustError;

/// Domain-separation prefix of statement signatures.
pub const STATEMENT_DOMAIN: &[u8] = b"keurmerk-statement-v1\n";

/// At most this many signatures per envelope (the issuer's plus co-signatures).
const MAX_SIGNATURES: usize = 8;

/// What a statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatementKind {
    /// A third-party certificate was issued.
    CertificateIssued,
    /// A manufacturer self-declared conformity.
    StatementOfConformity,
    /// A product version was added to the certificate's coverage.
    VersionCovered,
    /// The certificate was suspended.
    Suspended,
    /// A suspension was lifted.
    Reinstated,
    /// The certificate was withdrawn.
    Withdrawn,
    /// The certificate reached its end of validity.
    Expired,
    /// The derived label status changed.
    StatusChanged,
    /// A monitoring event (vulnerability matched or resolved, VEX published, …).
    MonitoringEvent,
}

impl StatementKind {
    /// Roles whose keys may sign this kind (the key's scope is checked as well, see
    /// [`StatementKind::acts`]). This table is part of the format, see `docs/FORMATS.md`.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::CertificateIssued => &[AssessmentBody, NationalAuthority],
            Self::StatementOfConformity => &[Manufacturer],
            Self::VersionCovered => &[AssessmentBody, NationalAuthority, Manufacturer],
            Self::Suspended | Self::Reinstated => &[AssessmentBody, NationalAuthority, Registry],
            Self::Withdrawn => &[AssessmentBody, NationalAuthority, Registry, Manufacturer],
            Self::Expired => &[Registry],
            Self::StatusChanged => &[Registry, NationalAuthority, AssessmentBody],
            Self::MonitoringEvent => &[Registry, Manufacturer],
        }
    }

    /// Acts of which one must be granted, for the statement's scheme and level at `signed_at`,
    /// by the issuer key's scope. This table is part of the format, see `docs/FORMATS.md`.
    pub fn acts(self) -> &'static [Act] {
        use Act::*;
        match self {
            Self::CertificateIssued | Self::StatementOfConformity => &[Issue],
            Self::VersionCovered => &[Issue, Maintain],
            Self::Suspended | Self::Reinstated | Self::Withdrawn | Self::StatusChanged => {
                &[Issue, Supervise, Registry]
            }
            Self::Expired => &[Registry],
            Self::MonitoringEvent => &[Registry, Maintain],
        }
    }

    /// The kind's name as in JSON (`certificate_issued`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::CertificateIssued => "certificate_issued",
            Self::StatementOfConformity => "statement_of_conformity",
            Self::VersionCovered => "version_covered",
            Self::Suspended => "suspended",
            Self::Reinstated => "reinstated",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
            Self::StatusChanged => "status_changed",
            Self::MonitoringEvent => "monitoring_event",
        }
    }
}

/// The signed content. `payload` holds kind-specific details as a JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// What the statement says.
    pub kind: StatementKind,
    /// The certificate (or statement of conformity) it is about.
    pub certificate_id: String,
    /// The scheme of that certificate (authorisation is checked against it).
    pub scheme_id: String,
    /// The assurance level of that certificate.
    pub level: String,
    /// Key id of the issuer; the envelope must carry a valid signature by this key.
    pub issuer: KeyId,
    /// When it was signed; key validity and revocation are judged at this instant.
    pub signed_at: DateTime<Utc>,
    /// Kind-specific details (reasons, versions, dates, …).
    pub payload: serde_json::Map<String, serde_json::Value>,
}

/// One signature in the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    /// Key id of the signer.
    pub keyid: KeyId,
    /// Standard base64 of the 64-byte Ed25519 signature over
    /// `STATEMENT_DOMAIN || JCS(statement)`.
    pub sig: String,
}

/// The envelope: `{"signatures": [{"keyid", "sig"}, …], "statement": {…}}`, written as RFC 8785 JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedStatement<T = Statement> {
    /// The signatures (at least one: the issuer's).
    pub signatures: Vec<SignatureEntry>,
    /// The statement.
    pub statement: T,
}

/// A statement whose signatures, key validity and authorisation all checked out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedStatement {
    /// The statement.
    pub statement: Statement,
    /// The issuer's key metadata from the trust list (organisation name, role, …).
    pub issuer: KeyInfo,
}

/// Sign a statement with its issuer's key; returns the envelope bytes.
///
/// Fails with [`TrustError::InvalidClaims`] when `key` is not the key named in `statement.issuer`.
pub fn sign_statement(statement: &Statement, key: &SigningKey) -> Result<Vec<u8>, TrustError> {
    if statement.issuer != key.key_id() {
        return Err(TrustError::InvalidClaims(format!(
            "statement issuer {} is not the signing key {}",
            statement.issuer,
            key.key_id()
        )));
    }
    let msg = signing_input(STATEMENT_DOMAIN, statement)?;
    let env = SignedStatement {
        signatures: vec![SignatureEntry {
            keyid: key.key_id(),
            sig: STANDARD.encode(key.sign(&msg)),
        }],
        statement,
    };
    canonical_json(&env)
}

/// Verify a signed statement against a (verified) trust list at time `now`.
///
/// Checks, in order: encoding ([`TrustError::Malformed`]); every signer is in the trust list
/// ([`TrustError::UnknownKey`]); every signature verifies ([`TrustError::BadSignature`]); the issuer
/// signed; `signed_at` is not in the future ([`TrustError::FromTheFuture`]); the issuer key was
/// not compromised before `signed_at` ([`TrustError::RevokedKey`]) and was valid then
/// ([`TrustError::KeyNotValidAt`]); its role and scope (a grant of one of the kind's acts for the
/// statement's scheme and level, holding at `signed_at`) allow this statement
/// ([`TrustError::OutOfScope`]).
pub fn verify_statement(
    bytes: &[u8],
    trust: &TrustList,
    now: DateTime<Utc>,
) -> Result<VerifiedStatement, TrustError> {
    let env: SignedStatement<serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| TrustError::malformed("statement", e.to_string()))?;
    if env.signatures.is_empty() || env.signatures.len() > MAX_SIGNATURES {
        return Err(TrustError::malformed(
            "statement",
            format!(
                "expected 1..={MAX_SIGNATURES} signatures, got {}",
                env.signatures.len()
            ),
        ));
    }
    if !env.statement.is_object() {
        return Err(TrustError::malformed(
            "statement",
            "statement is not a JSON object",
        ));
    }
    let msg = signing_input(STATEMENT_DOMAIN, &env.statement)?;
    for entry in &env.signatures {
        let info = trust
            .key(&entry.keyid)
            .ok_or_else(|| TrustError::UnknownKey(entry.keyid.to_string()))?;
        let sig = decode_sig(&entry.sig).ok_or_else(|| {
            TrustError::malformed(
                "statement",
                format!("signature by {} is not 64 bytes of base64", entry.keyid),
            )
        })?;
        if !info.public_key.verify(&msg, &sig) {
            return Err(TrustError::BadSignature(entry.keyid.to_string()));
        }
    }
    let statement: Statement = serde_json::from_value(env.statement)
        .map_err(|e| TrustError::malformed("statement", e.to_string()))?;
    if !env.signatures.iter().any(|s| s.keyid == statement.issuer) {
        return Err(TrustError::malformed(
            "statement",
            format!("no signature by the issuer {}", statement.issuer),
        ));
    }
    if statement.signed_at > crate::latest_acceptable(now) {
        return Err(TrustError::FromTheFuture {
            signed_at: statement.signed_at,
        });
    }
    let issuer = trust
        .key(&statement.issuer)
        .ok_or_else(|| TrustError::UnknownKey(statement.issuer.to_string()))?;
    issuer.check_signed_at(statement.signed_at)?;
    let what = format!("a {} statement", statement.kind.name());
    issuer.check_scope(
        Claim {
            what: &what,
            roles: statement.kind.allowed_roles(),
            acts: statement.kind.acts(),
            scheme: &statement.scheme_id,
            level: &statement.level,
        },
        SignedWhen::At(statement.signed_at),
    )?;
    Ok(VerifiedStatement {
        issuer: issuer.clone(),
        statement,
    })
}

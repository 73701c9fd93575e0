//! Trust machinery for Keurmerk: signing keys and key ids, signed statements, the signed trust list,
//! the compact QR label token and the signed live-status response — everything a verifier needs to
//! check a label offline against a cached trust list (SPEC §7).
//!
//! This crate is pure: it does no network, file or database I/O and knows nothing of HTTP or SQL.
//! Callers hand it bytes and the current time; it hands back verified values or a precise
//! [`TrustError`]. Every parser here accepts untrusted input and never panics on it.
//!
//! The byte-level formats are specified in `docs/FORMATS.md` at the repository root.
//!
//! Signing domains: every signature covers `DOMAIN-PREFIX || message`, with a distinct prefix per
//! kind of object ([`STATEMENT_DOMAIN`], [`TRUST_LIST_DOMAIN`], [`TOKEN_DOMAIN`],
//! [`STATUS_DOMAIN`], [`SOFTWARE_LIST_RECORD_DOMAIN`], …), so a signature over one kind can never
//! be replayed as another.
//!
//! # Example: issue a label URL and verify it offline
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use keurmerk_trust::*;
//!
//! let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
//! let root = SigningKey::generate();
//! let lab = SigningKey::generate();
//! let list = TrustList {
//!     version: TRUST_LIST_VERSION,
//!     sequence: 1,
//!     issued_at: at(2026, 1, 1),
//!     next_update: at(2026, 2, 1),
//!     log_verifier_key: "keurmerk.example.eu/log+01020304+AQ==".into(),
//!     keys: vec![KeyInfo {
//!         key_id: lab.key_id(),
//!         public_key: lab.public_key(),
//!         organisation_id: "cab-7".into(),
//!         organisation_name: "Example Test Lab".into(),
//!         role: Role::AssessmentBody,
//!         member_state: None,
//!         // What the registry computed from the body's authorisations.
//!         scope: vec![Grant {
//!             act: Act::Issue,
//!             scheme: "eu-iot-baseline".into(),
//!             levels: vec!["substantial".into()],
//!             valid_from: at(2025, 6, 1),
//!             valid_until: None,
//!         }],
//!         valid_from: at(2025, 1, 1),
//!         valid_until: at(2030, 1, 1),
//!         revoked_at: None,
//!     }],
//! };
//! // The registry publishes `signed`; verifiers ship `root.public_key()`.
//! let signed = list.sign(&root)?;
//! let cached = TrustList::verify(&signed, &root.public_key())?;
//!
//! let claims = TokenClaims {
//!     certificate_id: "KM-2026-000123".into(),
//!     product_name: "Acme SmartCam".into(),
//!     model_designation: "SC-4000".into(),
//!     scheme_id: "eu-iot-baseline".into(),
//!     level: "substantial".into(),
//!     issuer_kind: IssuerKind::ThirdParty,
//!     issued_on: NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
//!     valid_until: NaiveDate::from_ymd_opt(2028, 1, 9).unwrap(),
//!     support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
//!     status_index: Some(41),
//! };
//! let url = label_url("https://keurmerk.example.eu", &claims, &lab)?;
//! assert!(url.len() <= MAX_LABEL_URL_BYTES);
//!
//! let label = verify_label_input(&url, &cached, at(2026, 1, 15))?;
//! assert_eq!(label.issuer.organisation_name, "Example Test Lab");
//! assert!(!label.trust_list_stale);
//! # Ok::<(), TrustError>(())
//! ```

mod canonical;
mod error;
mod keys;
mod softwarelist;
mod statement;
mod status;
mod statuslist;
mod token;
mod trustlist;
mod url;

pub use canonical::canonical_json;
pub use error::TrustError;
pub use keys::{Act, Grant, KeyId, KeyInfo, PublicKey, Role, SigningKey};
pub use softwarelist::{
    software_list_sha256, SoftwareListRecord, MAX_SOFTWARE_LIST_RECORD_BYTES,
    SOFTWARE_LIST_RECORD_DOMAIN,
};
pub use statement::{
    sign_statement, verify_statement, SignatureEntry, SignedStatement, Statement, StatementKind,
    VerifiedStatement, STATEMENT_DOMAIN,
};
pub use status::{
    CertStatus, ClientVerdict, StatusListRef, StatusResponse, VerifiedStatus, STATUS_DOMAIN,
};
pub use statuslist::{
    sign_status_list_token, status_list_sha256, status_list_token, status_type,
    verify_status_list_token, ListedStatus, StatusList, StatusListClaim, StatusListPayload,
    StatusListRecord, VerifiedStatusList, MAX_STATUS_LIST_BYTES, MAX_STATUS_LIST_TOKEN_CHARS,
    STATUS_ATTENTION, STATUS_INVALID, STATUS_LIST_BITS, STATUS_LIST_JWT_TYP,
    STATUS_LIST_MEDIA_TYPE, STATUS_LIST_RECORD_DOMAIN, STATUS_SUSPENDED, STATUS_VALID,
};
pub use token::{
    issue_token, issue_token_within, label_url, verify_token, IssuerKind, TokenClaims,
    VerifiedLabel, DEFAULT_TOKEN_MAX_CHARS, TOKEN_DOMAIN, TOKEN_VERSION,
};
pub use trustlist::{TrustList, TRUST_LIST_DOMAIN, TRUST_LIST_VERSION};
pub use url::{parse_label_input, verify_label_input, LabelInput, MAX_LABEL_URL_BYTES};

/// Errors from token verification; the same enum as every other error of this crate.
pub type TokenError = TrustError;

/// Clock skew tolerated between a signer and a verifier: a signature dated up to this far in the
/// verifier's future is accepted, anything later is rejected as [`TrustError::FromTheFuture`].
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// `now` plus the allowed clock skew (saturating at the end of time).
pub(crate) fn latest_acceptable(
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    now.checked_add_signed(chrono::Duration::seconds(MAX_CLOCK_SKEW_SECS))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

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
//! [`STATUS_DOMAIN`]), so a signature over one kind can never be replayed as another.

mod canonical;
mod error;
mod keys;
mod statement;
mod status;
mod token;
mod trustlist;
mod url;

pub use canonical::canonical_json;
pub use error::TrustError;
pub use keys::{KeyId, KeyInfo, PublicKey, Role, SigningKey, WILDCARD};
pub use statement::{
    sign_statement, verify_statement, SignatureEntry, SignedStatement, Statement, StatementKind,
    VerifiedStatement, STATEMENT_DOMAIN,
};
pub use status::{CertStatus, ClientVerdict, StatusResponse, VerifiedStatus, STATUS_DOMAIN};
pub use token::{
    issue_token, issue_token_within, label_url, verify_token, IssuerKind, TokenClaims,
    VerifiedLabel, DEFAULT_TOKEN_MAX_CHARS, TOKEN_DOMAIN, TOKEN_VERSION,
};
pub use trustlist::{TrustList, TRUST_LIST_DOMAIN};
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

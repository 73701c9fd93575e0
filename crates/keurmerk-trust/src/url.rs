//! Parsing what a verifier is handed: a label URL, a bare token, or the content of a file.

use chrono::{DateTime, Utc};

use crate::token::{is_id_char, verify_token, VerifiedLabel};
use crate::trustlist::TrustList;
use crate::TrustError;

/// Upper bound on a whole label URL (SPEC §7: the QR payload is at most 300 bytes).
pub const MAX_LABEL_URL_BYTES: usize = 300;
/// Longest input [`parse_label_input`] accepts.
const MAX_INPUT_BYTES: usize = 8192;

/// A parsed verifier input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelInput {
    /// The base64url token (the URL fragment, or the bare input).
    pub token: String,
    /// The certificate id from the URL path `/c/{id}`, if the input was a URL.
    pub certificate_id: Option<String>,
    /// Everything before `/c/`, if the input was a URL (where the live status can be fetched).
    pub base_url: Option<String>,
}

/// Parse a full label URL (`…/c/{id}#{token}`), a bare token, or file content holding either
/// (the first non-empty line is used; surrounding whitespace and a UTF-8 BOM are ignored).
pub fn parse_label_input(input: &str) -> Result<LabelInput, TrustError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(TrustError::malformed("label input", "longer than 8 KiB"));
    }
    let input = input.trim_start_matches('\u{feff}');
    let line = input
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| TrustError::malformed("label input", "empty"))?;
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let Some((url, token)) = line.split_once('#') else {
        if line.contains("://") {
            return Err(TrustError::malformed(
                "label input",
                "URL has no #token fragment",
            ));
        }
        if !line.chars().all(is_token_char) {
            return Err(TrustError::malformed(
                "label input",
                "not a URL and not a base64url token",
            ));
        }
        return Ok(LabelInput {
            token: line.to_owned(),
            certificate_id: None,
            base_url: None,
        });
    };
    if token.is_empty() || !token.chars().all(is_token_char) {
        return Err(TrustError::malformed(
            "label input",
            "URL fragment is not a base64url token",
        ));
    }
    let path = url.split_once('?').map_or(url, |(p, _)| p);
    let (base, id) = path.rsplit_once("/c/").ok_or_else(|| {
        TrustError::malformed("label input", "URL path has no /c/{certificate-id}")
    })?;
    let id = id.trim_end_matches('/');
    if id.is_empty() || !id.chars().all(is_id_char) {
        return Err(TrustError::malformed(
            "label input",
            format!("invalid certificate id {id:?} in URL"),
        ));
    }
    Ok(LabelInput {
        token: token.to_owned(),
        certificate_id: Some(id.to_owned()),
        base_url: Some(base.to_owned()),
    })
}

/// Parse `input` (see [`parse_label_input`]), verify its token with [`verify_token`], and check that
/// the certificate id in the URL path, if any, is the one signed into the token
/// ([`TrustError::CertificateIdMismatch`]).
pub fn verify_label_input(
    input: &str,
    trust: &TrustList,
    now: DateTime<Utc>,
) -> Result<VerifiedLabel, TrustError> {
    let parsed = parse_label_input(input)?;
    let label = verify_token(&parsed.token, trust, now)?;
    if let Some(id) = parsed.certificate_id {
        if id != label.claims.certificate_id {
            return Err(TrustError::CertificateIdMismatch {
                expected: id,
                found: label.claims.certificate_id,
            });
        }
    }
    Ok(label)
}

//! The compact signed QR token carried in the label URL's fragment (byte layout: docs/FORMATS.md).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{Act, Claim, KeyId, KeyInfo, Role, SignedWhen, SigningKey};
use crate::trustlist::TrustList;
use crate::TrustError;

/// Domain-separation prefix of token signatures.
pub const TOKEN_DOMAIN: &[u8] = b"keurmerk-token-v1\n";
/// First byte of every token of this format.
pub const TOKEN_VERSION: u8 = 1;
/// Token length budget used by [`issue_token`] (base64url characters).
pub const DEFAULT_TOKEN_MAX_CHARS: usize = 240;
/// Longest token [`verify_token`] will even try to decode.
const MAX_TOKEN_CHARS: usize = 1024;

const FLAG_THIRD_PARTY: u8 = 0b001;
const FLAG_PRODUCT_TRUNCATED: u8 = 0b010;
const FLAG_MODEL_TRUNCATED: u8 = 0b100;
/// The token ends with the certificate's index in the registry's status list (a varint).
const FLAG_STATUS_INDEX: u8 = 0b1000;
const KNOWN_FLAGS: u8 = 0b1111;
const SIG_LEN: usize = 64;

/// Who vouches for the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerKind {
    /// Self-declared by the manufacturer (statement of conformity).
    #[serde(rename = "self")]
    SelfDeclared,
    /// Tested and certified by an assessment body.
    ThirdParty,
}

/// What the token says. Names are informational and may be truncated to fit the URL budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Certificate id: 1–64 bytes of `A–Z a–z 0–9 . _ ~ -` (it also appears in the URL path).
    pub certificate_id: String,
    /// Product name (truncated if needed).
    pub product_name: String,
    /// Model designation (truncated if needed).
    pub model_designation: String,
    /// Scheme id, 1–32 bytes.
    pub scheme_id: String,
    /// Assurance level id, 1–32 bytes.
    pub level: String,
    /// Self-declared or third-party.
    pub issuer_kind: IssuerKind,
    /// Day the certificate was issued; key validity and revocation are judged for this day.
    pub issued_on: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Last day of the manufacturer's support commitment.
    pub support_until: NaiveDate,
    /// The certificate's index in the registry's status list, for a private offline status
    /// check. Absent in tokens issued before status lists (they still verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_index: Option<u32>,
}

/// A token that verified, with the issuer's key metadata (serialisable for `--json` output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedLabel {
    /// The signed claims (names as found in the token).
    pub claims: TokenClaims,
    /// The issuer key from the trust list (organisation name, role, …).
    pub issuer: KeyInfo,
    /// The product name was truncated when the token was issued.
    pub product_name_truncated: bool,
    /// The model designation was truncated when the token was issued.
    pub model_designation_truncated: bool,
    /// The trust list used is past its `next_update`: recent revocations may be missing.
    pub trust_list_stale: bool,
}

pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-')
}

fn check_field(name: &str, v: &str, max: usize) -> Result<(), TrustError> {
    if v.is_empty() || v.len() > max {
        return Err(TrustError::InvalidClaims(format!(
            "{name} must be 1..={max} bytes, got {}",
            v.len()
        )));
    }
    Ok(())
}

/// Remove the last character of `s`; true if something was removed.
fn pop_char(s: &mut String) -> bool {
    s.pop().is_some()
}

/// Issue a token with the default budget of [`DEFAULT_TOKEN_MAX_CHARS`] characters.
pub fn issue_token(claims: &TokenClaims, key: &SigningKey) -> Result<String, TrustError> {
    issue_token_within(claims, key, DEFAULT_TOKEN_MAX_CHARS)
}

/// Issue a token of at most `max_chars` base64url characters, truncating names by the rule in
/// `docs/FORMATS.md`: each name is first cut to 255 bytes; then, while too long, the last
/// character of the longer name (in UTF-8 bytes; the model designation on a tie) is removed.
pub fn issue_token_within(
    claims: &TokenClaims,
    key: &SigningKey,
    max_chars: usize,
) -> Result<String, TrustError> {
    check_field("certificate id", &claims.certificate_id, 64)?;
    if !claims.certificate_id.chars().all(is_id_char) {
        return Err(TrustError::InvalidClaims(
            "certificate id may only use A-Z a-z 0-9 . _ ~ -".into(),
        ));
    }
    check_field("scheme id", &claims.scheme_id, 32)?;
    check_field("level", &claims.level, 32)?;
    let mut product = claims.product_name.clone();
    let mut model = claims.model_designation.clone();
    while product.len() > 255 {
        pop_char(&mut product);
    }
    while model.len() > 255 {
        pop_char(&mut model);
    }
    let fixed = encode_body(claims, key.key_id(), "", "", 0)?.len();
    let max_body = (max_chars * 3 / 4).saturating_sub(SIG_LEN);
    if fixed > max_body {
        return Err(TrustError::InvalidClaims(format!(
            "token cannot fit in {max_chars} characters even with empty names"
        )));
    }
    let budget = max_body - fixed;
    while product.len() + model.len() > budget {
        let shorten_model = model.len() >= product.len();
        if shorten_model {
            pop_char(&mut model)
        } else {
            pop_char(&mut product)
        };
    }
    // encode_body sets the status-index flag itself.
    let mut flags = 0;
    if product != claims.product_name {
        flags |= FLAG_PRODUCT_TRUNCATED;
    }
    if model != claims.model_designation {
        flags |= FLAG_MODEL_TRUNCATED;
    }
    let mut bytes = encode_body(claims, key.key_id(), &product, &model, flags)?;
    let mut msg = Vec::with_capacity(TOKEN_DOMAIN.len() + bytes.len());
    msg.extend_from_slice(TOKEN_DOMAIN);
    msg.extend_from_slice(&bytes);
    bytes.extend_from_slice(&key.sign(&msg));
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn days(d: NaiveDate) -> Result<u32, TrustError> {
    let n = d.signed_duration_since(NaiveDate::default()).num_days();
    u32::try_from(n).map_err(|_| TrustError::InvalidClaims(format!("date {d} is before 1970")))
}

fn encode_body(
    c: &TokenClaims,
    key_id: KeyId,
    product: &str,
    model: &str,
    flags: u8,
) -> Result<Vec<u8>, TrustError> {
    let mut out = Vec::with_capacity(160);
    out.push(TOKEN_VERSION);
    let kind = if c.issuer_kind == IssuerKind::ThirdParty {
        FLAG_THIRD_PARTY
    } else {
        0
    };
    let index_flag = if c.status_index.is_some() {
        FLAG_STATUS_INDEX
    } else {
        0
    };
    out.push(flags | kind | index_flag);
    out.extend_from_slice(key_id.as_bytes());
    for d in [c.issued_on, c.valid_until, c.support_until] {
        put_varint(&mut out, days(d)?);
    }
    for s in [
        c.certificate_id.as_str(),
        &c.scheme_id,
        &c.level,
        product,
        model,
    ] {
        // Lengths are checked or truncated to <= 255 by the caller.
        let len = u8::try_from(s.len())
            .map_err(|_| TrustError::InvalidClaims("field over 255 bytes".into()))?;
        out.push(len);
        out.extend_from_slice(s.as_bytes());
    }
    if let Some(i) = c.status_index {
        put_varint(&mut out, i);
    }
    Ok(out)
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A decoded but not yet verified token.
struct Decoded<'a> {
    key_id: KeyId,
    flags: u8,
    claims: TokenClaims,
    signed: &'a [u8],
    sig: [u8; SIG_LEN],
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TrustError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| {
            TrustError::malformed("token", format!("truncated at byte {}", self.pos))
        })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, TrustError> {
        Ok(self.take(1)?[0])
    }
    fn varint(&mut self) -> Result<u32, TrustError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if (b == 0 && i > 0) || v > u64::from(u32::MAX) {
                    return Err(TrustError::malformed(
                        "token",
                        format!("non-minimal varint at byte {start}"),
                    ));
                }
                return Ok(v as u32); // checked <= u32::MAX just above
            }
        }
        Err(TrustError::malformed(
            "token",
            format!("varint too long at byte {start}"),
        ))
    }
    fn date(&mut self) -> Result<NaiveDate, TrustError> {
        let at = self.pos;
        let n = self.varint()?;
        NaiveDate::default()
            .checked_add_days(Days::new(u64::from(n)))
            .ok_or_else(|| {
                TrustError::malformed("token", format!("date out of range at byte {at}"))
            })
    }
    fn string(&mut self) -> Result<String, TrustError> {
        let at = self.pos;
        let len = usize::from(self.byte()?);
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec()).map_err(|_| {
            TrustError::malformed("token", format!("invalid UTF-8 in field at byte {at}"))
        })
    }
}

fn decode(raw: &[u8]) -> Result<Decoded<'_>, TrustError> {
    if raw.len() < SIG_LEN + 2 {
        return Err(TrustError::malformed("token", "too short"));
    }
    let (body, sig) = raw.split_at(raw.len() - SIG_LEN);
    let mut r = Reader { buf: body, pos: 0 };
    let version = r.byte()?;
    if version != TOKEN_VERSION {
        return Err(TrustError::malformed(
            "token",
            format!("unsupported version {version}"),
        ));
    }
    let flags = r.byte()?;
    if flags & !KNOWN_FLAGS != 0 {
        return Err(TrustError::malformed(
            "token",
            format!("unknown flags {flags:#04x}"),
        ));
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(r.take(8)?);
    let (issued_on, valid_until, support_until) = (r.date()?, r.date()?, r.date()?);
    let certificate_id = r.string()?;
    if certificate_id.is_empty() || !certificate_id.chars().all(is_id_char) {
        return Err(TrustError::malformed("token", "invalid certificate id"));
    }
    let (scheme_id, level) = (r.string()?, r.string()?);
    let (product_name, model_designation) = (r.string()?, r.string()?);
    let status_index = if flags & FLAG_STATUS_INDEX != 0 {
        Some(r.varint()?)
    } else {
        None
    };
    if r.pos != body.len() {
        return Err(TrustError::malformed(
            "token",
            format!("{} trailing bytes", body.len() - r.pos),
        ));
    }
    let mut sig_arr = [0u8; SIG_LEN];
    sig_arr.copy_from_slice(sig);
    let issuer_kind = if flags & FLAG_THIRD_PARTY != 0 {
        IssuerKind::ThirdParty
    } else {
        IssuerKind::SelfDeclared
    };
    Ok(Decoded {
        key_id: KeyId::from_bytes(id),
        flags,
        claims: TokenClaims {
            certificate_id,
            product_name,
            model_designation,
            scheme_id,
            level,
            issuer_kind,
            issued_on,
            valid_until,
            support_until,
            status_index,
        },
        signed: body,
        sig: sig_arr,
    })
}

/// Verify a bare token offline against a trust list at time `now`.
///
/// Errors, in the order checked: [`TrustError::Malformed`] (not base64url, bad layout),
/// [`TrustError::UnknownKey`], [`TrustError::BadSignature`] (tampered), [`TrustError::FromTheFuture`],
/// [`TrustError::RevokedKey`] (compromised on or before the issue day), [`TrustError::KeyNotValidAt`],
/// [`TrustError::OutOfScope`] (a third-party claim needs an assessment body's key, a
/// self-declaration a manufacturer's; one of its `issue` grants must cover the scheme and level
/// on the issue day),
/// [`TrustError::CertificateExpired`] (`now`'s UTC date is after `valid_until`).
pub fn verify_token(
    token: &str,
    trust: &TrustList,
    now: DateTime<Utc>,
) -> Result<VerifiedLabel, TrustError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TrustError::malformed(
            "token",
            "longer than 1024 characters",
        ));
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|e| TrustError::malformed("token", format!("not base64url: {e}")))?;
    let d = decode(&raw)?;
    let info = trust
        .key(&d.key_id)
        .ok_or_else(|| TrustError::UnknownKey(d.key_id.to_string()))?;
    let mut msg = [0u8; TOKEN_DOMAIN.len() + 256 * 5 + 64];
    let n = TOKEN_DOMAIN.len() + d.signed.len();
    msg[..TOKEN_DOMAIN.len()].copy_from_slice(TOKEN_DOMAIN);
    msg[TOKEN_DOMAIN.len()..n].copy_from_slice(d.signed);
    if !info.public_key.verify(&msg[..n], &d.sig) {
        return Err(TrustError::BadSignature(d.key_id.to_string()));
    }
    let c = &d.claims;
    let day_start = c.issued_on.and_time(chrono::NaiveTime::MIN).and_utc();
    let next_day = c
        .issued_on
        .checked_add_days(Days::new(1))
        .unwrap_or(c.issued_on);
    let next_day = next_day.and_time(chrono::NaiveTime::MIN).and_utc();
    // Issue dates are whole days; tolerate one day of time-zone difference.
    let latest = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    if c.issued_on > latest {
        return Err(TrustError::FromTheFuture {
            signed_at: day_start,
        });
    }
    // Day precision: fail closed on revocation (compromised any time on the issue day or before
    // counts), and accept a key valid at any moment of the issue day.
    if let Some(revoked_at) = info.revoked_at {
        if revoked_at < next_day {
            return Err(TrustError::RevokedKey {
                key_id: d.key_id.to_string(),
                revoked_at,
                signed_at: day_start,
            });
        }
    }
    if info.valid_from >= next_day || info.valid_until <= day_start {
        return Err(TrustError::KeyNotValidAt {
            key_id: d.key_id.to_string(),
            signed_at: day_start,
        });
    }
    let (what, roles): (&str, &[Role]) = match c.issuer_kind {
        IssuerKind::SelfDeclared => ("a self-declared label", &[Role::Manufacturer]),
        IssuerKind::ThirdParty => ("a third-party certified label", &[Role::AssessmentBody]),
    };
    info.check_scope(
        Claim {
            what,
            roles,
            acts: &[Act::Issue],
            scheme: &c.scheme_id,
            level: &c.level,
        },
        SignedWhen::On(c.issued_on),
    )?;
    if now.date_naive() > c.valid_until {
        return Err(TrustError::CertificateExpired {
            certificate_id: c.certificate_id.clone(),
            valid_until: c.valid_until,
        });
    }
    Ok(VerifiedLabel {
        product_name_truncated: d.flags & FLAG_PRODUCT_TRUNCATED != 0,
        model_designation_truncated: d.flags & FLAG_MODEL_TRUNCATED != 0,
        trust_list_stale: trust.is_stale(now),
        issuer: info.clone(),
        claims: d.claims,
    })
}

/// The label URL `{base}/c/{certificate-id}#{token}`, at most [`crate::MAX_LABEL_URL_BYTES`]
/// bytes: names are truncated (rule of [`issue_token_within`]) to fit. `base` is used as given,
/// minus trailing slashes.
pub fn label_url(base: &str, claims: &TokenClaims, key: &SigningKey) -> Result<String, TrustError> {
    let prefix = format!(
        "{}/c/{}#",
        base.trim_end_matches('/'),
        claims.certificate_id
    );
    let room = crate::MAX_LABEL_URL_BYTES
        .checked_sub(prefix.len())
        .ok_or_else(|| {
            TrustError::InvalidClaims("base URL and certificate id exceed the URL budget".into())
        })?;
    let token = issue_token_within(claims, key, room)?;
    Ok(prefix + &token)
}

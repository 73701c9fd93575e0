//! IETF OAuth Token Status Lists (draft-ietf-oauth-status-list): the status of every label as
//! a compact, signed bit array, so a verifier can check any label offline and without telling
//! anyone which one it scanned.
//!
//! - [`StatusList`]: `bits` (1, 2, 4 or 8) per entry, entry `i` in byte `i * bits / 8` starting at
//!   the least significant bit (the draft's §4.1 bit order); `lst` is base64url (no padding) of
//!   the ZLIB (RFC 1950) stream of those bytes.
//! - The Status List Token: a JWS compact serialisation (`alg` `EdDSA`, `typ` `statuslist+jwt`,
//!   `kid` the registry key id) whose payload holds `sub` (the list's URL), `iat`, `exp`, `ttl`
//!   and `status_list` (`{"bits": 2, "lst": …}`). Signed and verified with the registry's
//!   Ed25519 key from the trust list (ADR 0014 says why the JWS framing is written here).
//! - [`StatusListRecord`]: what the transparency log holds for each published list (the
//!   SHA-256 of the token and its times), signed by the same key, so a registry cannot show
//!   different lists to different people without the log showing it.
//!
//! Decoding is fail-closed and bounded: a token longer than [`MAX_STATUS_LIST_TOKEN_CHARS`], a
//! `lst` that decompresses to more than the caller's limit (a zlib bomb), a truncated or
//! trailing-garbage ZLIB stream, an expired list, an unknown or non-registry key or a bad
//! signature is an error naming what is wrong; nothing here ever reads as "valid" from input it
//! did not fully read and verify.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use flate2::{Compression, Decompress, FlushDecompress, Status};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{KeyId, KeyInfo, Role, SigningKey};
use crate::status::CertStatus;
use crate::trustlist::{decode_sig, TrustList};
use crate::TrustError;

/// Bits per label in Keurmerk's list (the draft allows 1, 2, 4 or 8).
pub const STATUS_LIST_BITS: u8 = 2;
/// The JOSE `typ` of a Status List Token.
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";
/// The media type a Status List Token is served as.
pub const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// Default bound on the decompressed list: 4 MiB, room for 16 million 2-bit statuses.
pub const MAX_STATUS_LIST_BYTES: usize = 4 * 1024 * 1024;
/// Longest Status List Token [`verify_status_list_token`] reads (characters).
pub const MAX_STATUS_LIST_TOKEN_CHARS: usize = 8 * 1024 * 1024;
/// The longest a verifier accepts a list to live (`exp - iat`): a day. The registry's lists live
/// two hours (docs/FORMATS.md §11).
pub const MAX_STATUS_LIST_LIFETIME_SECS: i64 = 24 * 3600;
/// Domain-separation prefix of a log record's signature.
pub const STATUS_LIST_RECORD_DOMAIN: &[u8] = b"keurmerk-status-list-record-v1\n";
/// Longest JOSE header read.
const MAX_HEADER_CHARS: usize = 1024;

/// Status type `0x00`, VALID.
pub const STATUS_VALID: u8 = 0;
/// Status type `0x01`, INVALID.
pub const STATUS_INVALID: u8 = 1;
/// Status type `0x02`, SUSPENDED.
pub const STATUS_SUSPENDED: u8 = 2;
/// Status type `0x03`, application specific; Keurmerk: ATTENTION (still valid, action needed).
pub const STATUS_ATTENTION: u8 = 3;

/// The status type a label status is published as. Only `valid` is `0x00`; `attention` is
/// `0x03`, `suspended` `0x02`; every status that is not in force (withdrawn, expired, support
/// ended) and `unknown` (the registry cannot prove the certificate's record) is `0x01`
/// INVALID: fail closed.
pub fn status_type(s: CertStatus) -> u8 {
    match s {
        CertStatus::Valid => STATUS_VALID,
        CertStatus::Attention => STATUS_ATTENTION,
        CertStatus::Suspended => STATUS_SUSPENDED,
        CertStatus::Withdrawn
        | CertStatus::Expired
        | CertStatus::SupportEnded
        | CertStatus::Unknown => STATUS_INVALID,
    }
}

/// What a verifier concludes from a status type read from a verified, unexpired list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListedStatus {
    /// `0x00`: valid.
    Valid,
    /// `0x01`: not valid (withdrawn, expired, support ended, or the registry cannot prove it).
    Invalid,
    /// `0x02`: suspended.
    Suspended,
    /// `0x03`: still valid, but something needs the owner's or maker's action.
    Attention,
}

impl ListedStatus {
    /// The status a type value means (Keurmerk's lists are 2-bit, so every value has one).
    pub fn of(value: u8) -> Result<Self, TrustError> {
        match value {
            STATUS_VALID => Ok(Self::Valid),
            STATUS_INVALID => Ok(Self::Invalid),
            STATUS_SUSPENDED => Ok(Self::Suspended),
            STATUS_ATTENTION => Ok(Self::Attention),
            v => Err(TrustError::malformed(
                "status list",
                format!("status value {v:#04x} is not one Keurmerk publishes"),
            )),
        }
    }
}

/// A status list: `len` entries of `bits` bits each.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    len: u64,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits)
            .field("len", &self.len)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

fn check_bits(bits: u8) -> Result<(), TrustError> {
    if matches!(bits, 1 | 2 | 4 | 8) {
        Ok(())
    } else {
        Err(TrustError::malformed(
            "status list",
            format!("bits must be 1, 2, 4 or 8, got {bits}"),
        ))
    }
}

impl StatusList {
    /// A list of `len` entries, all `0x00` (fill it with [`StatusList::set`]).
    pub fn new(bits: u8, len: u64) -> Result<Self, TrustError> {
        check_bits(bits)?;
        let n = len
            .checked_mul(u64::from(bits))
            .map(|b| b.div_ceil(8))
            .and_then(|b| usize::try_from(b).ok())
            .ok_or_else(|| TrustError::malformed("status list", "too many entries"))?;
        Ok(Self {
            bits,
            len,
            bytes: vec![0; n],
        })
    }

    /// A list over raw bytes (as decompressed): `bytes.len() * 8 / bits` entries.
    pub fn from_bytes(bits: u8, bytes: Vec<u8>) -> Result<Self, TrustError> {
        check_bits(bits)?;
        let len = bytes.len() as u64 * 8 / u64::from(bits);
        Ok(Self { bits, len, bytes })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Number of entries (for a list read from bytes: every slot the bytes hold).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn slot(&self, index: u64) -> Result<(usize, u32), TrustError> {
        if index >= self.len {
            return Err(TrustError::StatusIndexOutOfRange {
                index,
                size: self.len,
            });
        }
        let bit = index * u64::from(self.bits);
        // In range: bit / 8 < bytes.len(), which is a usize.
        let byte = usize::try_from(bit / 8).map_err(|_| TrustError::StatusIndexOutOfRange {
            index,
            size: self.len,
        })?;
        Ok((byte, (bit % 8) as u32))
    }

    fn mask(&self) -> u8 {
        // bits is 1, 2, 4 or 8.
        (((1u16) << self.bits) - 1) as u8
    }

    /// Entry `index`; [`TrustError::StatusIndexOutOfRange`] past the end.
    pub fn get(&self, index: u64) -> Result<u8, TrustError> {
        let (byte, shift) = self.slot(index)?;
        Ok((self.bytes[byte] >> shift) & self.mask())
    }

    /// Sets entry `index` to `value` (which must fit in `bits`).
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), TrustError> {
        if value & !self.mask() != 0 {
            return Err(TrustError::InvalidClaims(format!(
                "status value {value} does not fit in {} bits",
                self.bits
            )));
        }
        let (byte, shift) = self.slot(index)?;
        let m = self.mask() << shift;
        self.bytes[byte] = (self.bytes[byte] & !m) | (value << shift);
        Ok(())
    }

    /// `lst`: base64url (no padding) of the ZLIB stream of the bytes, at the best compression.
    pub fn encode_lst(&self) -> String {
        use std::io::Write as _;
        let mut z = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(self.bytes.len() / 4 + 64),
            Compression::best(),
        );
        // Writing to a Vec cannot fail.
        let compressed = z
            .write_all(&self.bytes)
            .and_then(|()| z.finish())
            .unwrap_or_default();
        URL_SAFE_NO_PAD.encode(compressed)
    }

    /// Reads `{"bits", "lst"}`: rejects bad base64url, a ZLIB stream that is damaged, truncated
    /// or followed by other bytes, and one that decompresses to more than `max_bytes`.
    pub fn decode_lst(bits: u8, lst: &str, max_bytes: usize) -> Result<Self, TrustError> {
        check_bits(bits)?;
        let compressed = URL_SAFE_NO_PAD.decode(lst).map_err(|e| {
            TrustError::malformed("status list", format!("lst is not base64url: {e}"))
        })?;
        Self::from_bytes(bits, inflate(&compressed, max_bytes)?)
    }
}

/// ZLIB-decompresses `input` completely, to at most `max` bytes.
fn inflate(input: &[u8], max: usize) -> Result<Vec<u8>, TrustError> {
    let mut d = Decompress::new(true);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let at = usize::try_from(in_before)
            .unwrap_or(input.len())
            .min(input.len());
        let status = d
            .decompress(&input[at..], &mut buf, FlushDecompress::None)
            .map_err(|e| {
                TrustError::malformed("status list", format!("lst is not a ZLIB stream: {e}"))
            })?;
        let produced = usize::try_from(d.total_out() - out_before).unwrap_or(usize::MAX);
        if out.len().saturating_add(produced) > max {
            return Err(TrustError::malformed(
                "status list",
                format!("lst decompresses to more than {max} bytes"),
            ));
        }
        out.extend_from_slice(&buf[..produced]);
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if produced == 0 && d.total_in() == in_before {
                    return Err(TrustError::malformed(
                        "status list",
                        format!(
                            "lst is truncated: the ZLIB stream ends early after {} bytes",
                            input.len()
                        ),
                    ));
                }
            }
        }
    }
    let used = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
    if used != input.len() {
        return Err(TrustError::malformed(
            "status list",
            format!(
                "{} bytes after the end of the ZLIB stream",
                input.len() - used.min(input.len())
            ),
        ));
    }
    Ok(out)
}

/// The `status_list` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListClaim {
    /// Bits per entry.
    pub bits: u8,
    /// base64url(ZLIB(bytes)).
    pub lst: String,
}

/// The payload of a Status List Token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListPayload {
    /// The list's URL (the `uri` a referenced token names).
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch); after it the list says nothing.
    pub exp: i64,
    /// How long (seconds) a verifier may cache it before fetching a fresh one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// The list.
    pub status_list: StatusListClaim,
}

#[derive(Debug, Serialize, Deserialize)]
struct JoseHeader {
    alg: String,
    typ: String,
    kid: String,
}

fn epoch(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn from_epoch(what: &'static str, secs: i64) -> Result<DateTime<Utc>, TrustError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| TrustError::malformed("status list token", format!("{what} out of range")))
}

/// Signs a Status List Token (JWS compact, `EdDSA`, `typ` `statuslist+jwt`, `kid` = the key id).
pub fn sign_status_list_token(
    payload: &StatusListPayload,
    key: &SigningKey,
) -> Result<String, TrustError> {
    let header = JoseHeader {
        alg: "EdDSA".into(),
        typ: STATUS_LIST_JWT_TYP.into(),
        kid: key.key_id().to_string(),
    };
    let h = serde_json::to_vec(&header).map_err(|e| TrustError::Serialisation(e.to_string()))?;
    let p = serde_json::to_vec(payload).map_err(|e| TrustError::Serialisation(e.to_string()))?;
    let mut out = URL_SAFE_NO_PAD.encode(h);
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(p));
    let sig = key.sign(out.as_bytes());
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(out)
}

/// A Status List Token whose signature, signer and times checked out.
#[derive(Debug, Clone)]
pub struct VerifiedStatusList {
    /// The decoded list.
    pub list: StatusList,
    /// The list's URL.
    pub sub: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The cache hint, if any.
    pub ttl: Option<u64>,
    /// The registry key that signed it.
    pub signer: KeyInfo,
    /// SHA-256 of the token as read (what the transparency log records).
    pub sha256: [u8; 32],
}

impl VerifiedStatusList {
    /// The status of entry `index`.
    pub fn status(&self, index: u64) -> Result<ListedStatus, TrustError> {
        ListedStatus::of(self.list.get(index)?)
    }
}

/// Verifies a Status List Token at `now` against a (verified) trust list.
///
/// Checks, in order: size and layout (three base64url parts; a header with `alg` `EdDSA`, `typ`
/// `statuslist+jwt` and a `kid`) ([`TrustError::Malformed`]); the key is in the trust list
/// ([`TrustError::UnknownKey`]) with the `registry` role ([`TrustError::NotAuthorised`]); the
/// signature ([`TrustError::BadSignature`]); `iat` not in the future
/// ([`TrustError::FromTheFuture`]); `exp` after `iat` and after `now`
/// ([`TrustError::StatusListExpired`]); the key valid, not compromised, at `iat`; `sub` is `expected_sub` when given
/// ([`TrustError::Malformed`]); `bits` is 2 and `lst` decodes within `max_bytes`.
pub fn verify_status_list_token(
    token: &str,
    trust: &TrustList,
    expected_sub: Option<&str>,
    now: DateTime<Utc>,
    max_bytes: usize,
) -> Result<VerifiedStatusList, TrustError> {
    let bad = |d: String| TrustError::malformed("status list token", d);
    let token = token.trim_end_matches(['\n', '\r']);
    if token.len() > MAX_STATUS_LIST_TOKEN_CHARS {
        return Err(bad(format!(
            "longer than {MAX_STATUS_LIST_TOKEN_CHARS} characters"
        )));
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a JWS compact serialisation (three parts)".into()));
    };
    if h64.len() > MAX_HEADER_CHARS {
        return Err(bad("header too long".into()));
    }
    let header: JoseHeader = URL_SAFE_NO_PAD
        .decode(h64)
        .map_err(|e| bad(format!("header is not base64url: {e}")))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| bad(format!("header: {e}"))))?;
    if header.alg != "EdDSA" {
        return Err(bad(format!("alg must be EdDSA, got {:?}", header.alg)));
    }
    if header.typ != STATUS_LIST_JWT_TYP {
        return Err(bad(format!(
            "typ must be {STATUS_LIST_JWT_TYP}, got {:?}",
            header.typ
        )));
    }
    let kid = KeyId::parse(&header.kid)?;
    let signer = trust
        .key(&kid)
        .ok_or_else(|| TrustError::UnknownKey(kid.to_string()))?;
    if signer.role != Role::Registry {
        return Err(TrustError::NotAuthorised {
            key_id: kid.to_string(),
            detail: "only a registry key may sign a status list".into(),
        });
    }
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(s64)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("signature is not 64 bytes of base64url".into()))?;
    let signing_input = &token[..h64.len() + 1 + p64.len()];
    if !signer.public_key.verify(signing_input.as_bytes(), &sig) {
        return Err(TrustError::BadSignature(kid.to_string()));
    }
    let payload: StatusListPayload = URL_SAFE_NO_PAD
        .decode(p64)
        .map_err(|e| bad(format!("payload is not base64url: {e}")))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| bad(format!("payload: {e}"))))?;
    let issued_at = from_epoch("iat", payload.iat)?;
    let expires_at = from_epoch("exp", payload.exp)?;
    if issued_at > crate::latest_acceptable(now) {
        return Err(TrustError::FromTheFuture {
            signed_at: issued_at,
        });
    }
    if expires_at <= issued_at {
        return Err(bad("exp is not after iat".into()));
    }
    // A list lives hours, never longer than this: otherwise a key that leaked after it retired
    // (it stays in the trust list for what it signed while valid) could sign a list dated
    // inside its validity that says "valid" for years.
    if expires_at - issued_at > chrono::Duration::seconds(MAX_STATUS_LIST_LIFETIME_SECS) {
        return Err(bad(format!(
            "exp is more than {MAX_STATUS_LIST_LIFETIME_SECS} s after iat"
        )));
    }
    // Expiry first: an old list is reported as expired even when its key has since ended.
    if now >= expires_at {
        return Err(TrustError::StatusListExpired { exp: expires_at });
    }
    signer.check_signed_at(issued_at)?;
    if let Some(want) = expected_sub {
        if payload.sub != want {
            return Err(bad(format!("sub is {:?}, expected {want:?}", payload.sub)));
        }
    }
    if payload.status_list.bits != STATUS_LIST_BITS {
        return Err(bad(format!(
            "bits must be {STATUS_LIST_BITS}, got {}",
            payload.status_list.bits
        )));
    }
    let list = StatusList::decode_lst(
        payload.status_list.bits,
        &payload.status_list.lst,
        max_bytes,
    )?;
    Ok(VerifiedStatusList {
        list,
        sub: payload.sub,
        issued_at,
        expires_at,
        ttl: payload.ttl,
        signer: signer.clone(),
        sha256: Sha256::digest(token.as_bytes()).into(),
    })
}

/// Builds and signs a Status List Token of `list` (the `lst` at the best compression).
pub fn status_list_token(
    list: &StatusList,
    sub: &str,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    ttl: u64,
    key: &SigningKey,
) -> Result<String, TrustError> {
    let payload = StatusListPayload {
        sub: sub.to_owned(),
        iat: epoch(issued_at),
        exp: epoch(expires_at),
        ttl: Some(ttl),
        status_list: StatusListClaim {
            bits: list.bits(),
            lst: list.encode_lst(),
        },
    };
    sign_status_list_token(&payload, key)
}

/// What the transparency log records for a published status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusListRecord {
    /// The list's URL.
    pub sub: String,
    /// The publication's sequence number (1, 2, …).
    pub sequence: u64,
    /// Its `iat`.
    pub issued_at: DateTime<Utc>,
    /// Its `exp`.
    pub expires_at: DateTime<Utc>,
    /// How many statuses it lists.
    pub size: u64,
    /// Lowercase hex SHA-256 of the Status List Token's bytes as served.
    pub sha256: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordEnvelope<T> {
    status_list: T,
    keyid: KeyId,
    sig: String,
}

impl StatusListRecord {
    /// Signs the record: `{"keyid", "sig", "status_list": {…}}` as RFC 8785 JSON.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, TrustError> {
        let msg = signing_input(STATUS_LIST_RECORD_DOMAIN, self)?;
        canonical_json(&RecordEnvelope {
            status_list: self,
            keyid: key.key_id(),
            sig: STANDARD.encode(key.sign(&msg)),
        })
    }

    /// Verifies a signed record: a registry key of the trust list, valid and not compromised at
    /// `issued_at`, which is not in the future.
    pub fn verify(bytes: &[u8], trust: &TrustList, now: DateTime<Utc>) -> Result<Self, TrustError> {
        let env: RecordEnvelope<serde_json::Value> = serde_json::from_slice(bytes)
            .map_err(|e| TrustError::malformed("status list record", e.to_string()))?;
        let signer = trust
            .key(&env.keyid)
            .ok_or_else(|| TrustError::UnknownKey(env.keyid.to_string()))?;
        let sig = decode_sig(&env.sig).ok_or_else(|| {
            TrustError::malformed("status list record", "signature is not 64 bytes of base64")
        })?;
        let msg = signing_input(STATUS_LIST_RECORD_DOMAIN, &env.status_list)?;
        if !signer.public_key.verify(&msg, &sig) {
            return Err(TrustError::BadSignature(env.keyid.to_string()));
        }
        if signer.role != Role::Registry {
            return Err(TrustError::NotAuthorised {
                key_id: env.keyid.to_string(),
                detail: "only a registry key may sign a status list record".into(),
            });
        }
        let record: Self = serde_json::from_value(env.status_list)
            .map_err(|e| TrustError::malformed("status list record", e.to_string()))?;
        if record.issued_at > crate::latest_acceptable(now) {
            return Err(TrustError::FromTheFuture {
                signed_at: record.issued_at,
            });
        }
        signer.check_signed_at(record.issued_at)?;
        Ok(record)
    }
}

/// Lowercase hex SHA-256 of a Status List Token (the value a [`StatusListRecord`] carries).
pub fn status_list_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests;

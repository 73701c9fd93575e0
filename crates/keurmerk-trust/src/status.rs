//! Signed live-status responses (OCSP-like, with `next_update`) and the client's fail-closed rule.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{Act, Claim, KeyId, KeyInfo, Role, SignedWhen, SigningKey};
use crate::token::{IssuerKind, VerifiedLabel};
use crate::trustlist::{decode_sig, TrustList};
use crate::TrustError;

/// Domain-separation prefix of status-response signatures.
pub const STATUS_DOMAIN: &[u8] = b"keurmerk-status-v1\n";
/// The longest a verifier accepts a signed status to stay fresh (`next_update - produced_at`): a
/// day. The registry's answers are fresh for an hour (docs/FORMATS.md §7).
pub const MAX_STATUS_LIFETIME_SECS: i64 = 24 * 3600;

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

/// The live-status response the registry signs. Besides the status it carries what the
/// registry records the certificate to be — every claim a label token makes — so a token that
/// disagrees with the registry is caught online ([`StatusResponse::check_label`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusResponse {
    /// Certificate asked about.
    pub certificate_id: String,
    /// The certified product's id in the registry.
    pub product_id: String,
    /// The product name (in full; a token may carry it truncated).
    pub product_name: String,
    /// The model designation (in full; a token may carry it truncated).
    pub model_designation: String,
    /// The certificate's scheme id.
    pub scheme_id: String,
    /// The certificate's level id.
    pub level: String,
    /// The issuing organisation's id (a token's signing key must belong to it).
    pub issuer_org_id: String,
    /// Self-declared or third-party.
    pub issuer_kind: IssuerKind,
    /// Day the certificate was issued.
    pub issued_on: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Last day of the support commitment as the registry has it now.
    pub support_until: NaiveDate,
    /// Its status at `produced_at`.
    pub status: CertStatus,
    /// Machine-readable reason codes (e.g. `vulnerability_overdue`), texts live elsewhere.
    pub reasons: Vec<String>,
    /// When the registry computed it.
    pub produced_at: DateTime<Utc>,
    /// Until when a client may rely on it; after that it is stale.
    pub next_update: DateTime<Utc>,
    /// Where the certificate's status is also published in the registry's Token Status List
    /// (draft-ietf-oauth-status-list `status.status_list`). Absent in responses signed before
    /// status lists; they still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list: Option<StatusListRef>,
}

/// A referenced token's pointer into a status list: entry `idx` of the list at `uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusListRef {
    /// The certificate's index in the list.
    pub idx: u32,
    /// The list's URL.
    pub uri: String,
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
        // The response is made canonical once: the signature covers it, and the envelope holds
        // it as it is (RFC 8785 sorts the envelope's members `keyid`, `sig`, `status`, and a
        // member's value is its own canonical form), so the envelope is assembled around it
        // instead of canonicalising the whole response a second time. The documented example
        // (`docs/FORMATS.md`) pins the bytes.
        let msg = signing_input(STATUS_DOMAIN, self)?;
        let body = &msg[STATUS_DOMAIN.len()..];
        let keyid = canonical_json(&key.key_id())?;
        let sig = canonical_json(&STANDARD.encode(key.sign(&msg)))?;
        let mut out = Vec::with_capacity(body.len() + keyid.len() + sig.len() + 32);
        out.extend_from_slice(b"{\"keyid\":");
        out.extend_from_slice(&keyid);
        out.extend_from_slice(b",\"sig\":");
        out.extend_from_slice(&sig);
        out.extend_from_slice(b",\"status\":");
        out.extend_from_slice(body);
        out.push(b'}');
        Ok(out)
    }

    /// Verify a signed response for certificate `expected_id` at time `now`. Its `next_update`
    /// may be at most [`MAX_STATUS_LIFETIME_SECS`] after its `produced_at`. The signer must be a
    /// `registry` key valid (and not compromised) at `produced_at` whose scope grants the
    /// `registry` act for the response's scheme and level then ([`TrustError::OutOfScope`]). A
    /// stale response still verifies (it is authentic); apply [`StatusResponse::verdict`] to
    /// decide what it means, and [`StatusResponse::check_label`] to compare it with a label.
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
        // An answer is relied on for an hour, never longer than a day: otherwise a registry key
        // that leaked after it retired could sign, dated inside its validity, an answer that
        // stays fresh for years.
        let lifetime = response.next_update - response.produced_at;
        if lifetime < chrono::Duration::zero()
            || lifetime > chrono::Duration::seconds(MAX_STATUS_LIFETIME_SECS)
        {
            return Err(TrustError::malformed(
                "status response",
                format!(
                    "next_update must be within {MAX_STATUS_LIFETIME_SECS} s after produced_at"
                ),
            ));
        }
        signer.check_signed_at(response.produced_at)?;
        signer.check_scope(
            Claim {
                what: "a status response",
                roles: &[Role::Registry],
                acts: &[Act::Registry],
                scheme: &response.scheme_id,
                level: &response.level,
            },
            SignedWhen::At(response.produced_at),
        )?;
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

    /// Check that a verified label token says what the registry's signed record says
    /// ([`TrustError::ClaimsMismatch`] naming the first claim that differs). Compared exactly:
    /// certificate id, scheme, level, issuer kind, issue day, last valid day, and the issuing
    /// organisation (the token's key must belong to `issuer_org_id`). Names: equal, or, when the
    /// token marks a name as truncated, a prefix of the registry's. Support: the token may claim
    /// an earlier end of support than the registry has now (support was extended since the label
    /// was printed), never a later one.
    pub fn check_label(&self, label: &VerifiedLabel) -> Result<(), TrustError> {
        let c = &label.claims;
        let differ = |field: &'static str, label: String, registry: String| {
            Err(TrustError::ClaimsMismatch {
                field,
                label,
                registry,
            })
        };
        let exact: [(&'static str, String, String); 7] = [
            (
                "certificate_id",
                c.certificate_id.clone(),
                self.certificate_id.clone(),
            ),
            ("scheme_id", c.scheme_id.clone(), self.scheme_id.clone()),
            ("level", c.level.clone(), self.level.clone()),
            (
                "issuer_kind",
                issuer_kind_name(c.issuer_kind).to_owned(),
                issuer_kind_name(self.issuer_kind).to_owned(),
            ),
            (
                "issuer_org_id",
                label.issuer.organisation_id.clone(),
                self.issuer_org_id.clone(),
            ),
            (
                "issued_on",
                c.issued_on.to_string(),
                self.issued_on.to_string(),
            ),
            (
                "valid_until",
                c.valid_until.to_string(),
                self.valid_until.to_string(),
            ),
        ];
        for (field, l, r) in exact {
            if l != r {
                return differ(field, l, r);
            }
        }
        let name_ok = |token: &str, full: &str, truncated: bool| {
            token == full || (truncated && full.starts_with(token))
        };
        if !name_ok(
            &c.product_name,
            &self.product_name,
            label.product_name_truncated,
        ) {
            return differ(
                "product_name",
                c.product_name.clone(),
                self.product_name.clone(),
            );
        }
        if !name_ok(
            &c.model_designation,
            &self.model_designation,
            label.model_designation_truncated,
        ) {
            return differ(
                "model_designation",
                c.model_designation.clone(),
                self.model_designation.clone(),
            );
        }
        if let (Some(token), Some(registry)) = (c.status_index, self.status_list.as_ref()) {
            if token != registry.idx {
                return differ("status_index", token.to_string(), registry.idx.to_string());
            }
        }
        if c.support_until > self.support_until {
            return differ(
                "support_until",
                c.support_until.to_string(),
                self.support_until.to_string(),
            );
        }
        Ok(())
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

fn issuer_kind_name(k: IssuerKind) -> &'static str {
    match k {
        IssuerKind::SelfDeclared => "self",
        IssuerKind::ThirdParty => "third_party",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// The envelope `sign` assembles around the canonical response is byte for byte the RFC
    /// 8785 form of the whole envelope, for responses with and without a status list, with
    /// reasons, texts that need escaping and non-ASCII names.
    /// A response about KM-2026-000123 produced at `at`, fresh for `fresh`.
    fn response(at: DateTime<Utc>, fresh: chrono::Duration) -> StatusResponse {
        let day = NaiveDate::from_ymd_opt(2029, 2, 28).unwrap();
        StatusResponse {
            certificate_id: "KM-2026-000123".into(),
            product_id: "PRD-000042".into(),
            product_name: "Doorbell".into(),
            model_designation: "DB-1".into(),
            scheme_id: "eu-iot".into(),
            level: "substantial".into(),
            issuer_org_id: "nl-lab".into(),
            issuer_kind: IssuerKind::ThirdParty,
            issued_on: day,
            valid_until: day,
            support_until: day,
            status: CertStatus::Valid,
            reasons: Vec::new(),
            produced_at: at,
            next_update: at + fresh,
            status_list: None,
        }
    }

    #[test]
    fn the_assembled_envelope_is_the_canonical_envelope() {
        let key = SigningKey::from_seed(&[7; 32]);
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 16, 0, 0).unwrap();
        let mut r = StatusResponse {
            product_name: "Slimme \"deurbel\" — Türklingel \\ 门铃 \u{1F514}".into(),
            model_designation: "DB-1\n\t</script>".into(),
            status: CertStatus::Attention,
            reasons: vec!["vulnerability_in_window".into(), "not_monitored".into()],
            ..response(at, chrono::Duration::hours(24))
        };
        for round in 0..3 {
            let whole = canonical_json(&Envelope {
                status: &r,
                keyid: key.key_id(),
                sig: STANDARD.encode(key.sign(&signing_input(STATUS_DOMAIN, &r).unwrap())),
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(r.sign(&key).unwrap()).unwrap(),
                String::from_utf8(whole).unwrap(),
                "round {round}"
            );
            r.status_list = Some(StatusListRef {
                idx: 41 + round,
                uri: "https://registry.example/api/v1/status-list".into(),
            });
            r.reasons.clear();
            r.issuer_kind = IssuerKind::SelfDeclared;
        }
    }

    /// A signed status fresh for a day verifies; one fresh for longer, or whose `next_update`
    /// is before its `produced_at`, does not (a leaked retired key could otherwise sign an
    /// answer that stays fresh for years).
    #[test]
    fn an_answer_fresh_for_longer_than_a_day_is_refused() {
        use crate::keys::Grant;
        let key = SigningKey::from_seed(&[7; 32]);
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 16, 0, 0).unwrap();
        let trust = TrustList {
            version: crate::TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at,
            next_update: at + chrono::Duration::days(7),
            log_verifier_key: String::new(),
            keys: vec![KeyInfo {
                key_id: key.key_id(),
                public_key: key.public_key(),
                organisation_id: "registry".into(),
                organisation_name: "Registry".into(),
                role: Role::Registry,
                member_state: None,
                scope: vec![Grant {
                    act: Act::Registry,
                    scheme: "eu-iot".into(),
                    levels: vec!["substantial".into()],
                    valid_from: at - chrono::Duration::days(30),
                    valid_until: None,
                }],
                valid_from: at - chrono::Duration::days(30),
                valid_until: at + chrono::Duration::days(365),
                revoked_at: None,
            }],
        };
        let answer = |fresh: chrono::Duration| response(at, fresh).sign(&key).unwrap();
        let verify = |fresh| StatusResponse::verify(&answer(fresh), &trust, "KM-2026-000123", at);
        verify(chrono::Duration::hours(1)).unwrap();
        verify(chrono::Duration::days(1)).unwrap();
        for fresh in [
            chrono::Duration::days(1) + chrono::Duration::seconds(1),
            chrono::Duration::days(3650),
            chrono::Duration::seconds(-1),
        ] {
            let e = verify(fresh).unwrap_err();
            assert!(matches!(e, TrustError::Malformed { .. }), "{fresh}: {e}");
        }
    }
}

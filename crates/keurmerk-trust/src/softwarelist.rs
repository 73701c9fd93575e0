//! The signed record of a software list (SBOM) attached to a product version
//! (`docs/FORMATS.md` §14).
//!
//! The manufacturer's key signs it when the list is attached; the registry stores it beside the
//! list and appends it to the transparency log. Whether a version is monitored (its label never
//! reads as free of known problems without a list) is decided from this record, never from the
//! stored row alone: a list inserted or replaced in the database by hand has no record that
//! verifies, and its version reads as not monitored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::{canonical_json, signing_input};
use crate::keys::{KeyId, KeyInfo, Role, SigningKey};
use crate::trustlist::{decode_sig, TrustList};
use crate::TrustError;

/// Domain-separation prefix of a software list record's signature.
pub const SOFTWARE_LIST_RECORD_DOMAIN: &[u8] = b"keurmerk-software-list-record-v1\n";

/// Longest signed record [`SoftwareListRecord::verify`] reads (bytes).
pub const MAX_SOFTWARE_LIST_RECORD_BYTES: usize = 16 * 1024;

/// What the manufacturer signs when it attaches a software list to a version of its product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareListRecord {
    /// The manufacturer's organisation id; the signing key must be one of its keys.
    pub maker: String,
    /// The product's id.
    pub product: String,
    /// The product version's id.
    pub version_id: String,
    /// The version as the maker names it (`1.2.0`).
    pub version: String,
    /// The file name given with the list.
    pub name: String,
    /// The list's format as the registry read it (`CycloneDxJson`, `SpdxJson`, …).
    pub format: String,
    /// Lowercase hex SHA-256 of the list's bytes as attached.
    pub sha256: String,
    /// Components the list names.
    pub components: u64,
    /// When it was attached; the key's validity is judged at this instant.
    pub attached_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordEnvelope<T> {
    software_list: T,
    keyid: KeyId,
    sig: String,
}

/// Lowercase hex SHA-256 of a software list's bytes (the value a [`SoftwareListRecord`] carries).
pub fn software_list_sha256(document: &[u8]) -> String {
    hex::encode(Sha256::digest(document))
}

impl SoftwareListRecord {
    /// Signs the record: `{"keyid", "sig", "software_list": {…}}` as RFC 8785 JSON.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, TrustError> {
        let msg = signing_input(SOFTWARE_LIST_RECORD_DOMAIN, self)?;
        canonical_json(&RecordEnvelope {
            software_list: self,
            keyid: key.key_id(),
            sig: STANDARD.encode(key.sign(&msg)),
        })
    }

    /// Verifies a signed record against `trust` at `now`: a manufacturer's key of the list,
    /// belonging to the record's `maker`, valid and not revoked at `attached_at`, which is not
    /// in the future. Returns the record and the signer's key.
    pub fn verify(
        bytes: &[u8],
        trust: &TrustList,
        now: DateTime<Utc>,
    ) -> Result<(Self, KeyInfo), TrustError> {
        if bytes.len() > MAX_SOFTWARE_LIST_RECORD_BYTES {
            return Err(TrustError::malformed(
                "software list record",
                format!(
                    "{} bytes, more than the {MAX_SOFTWARE_LIST_RECORD_BYTES} a record may have",
                    bytes.len()
                ),
            ));
        }
        let env: RecordEnvelope<serde_json::Value> = serde_json::from_slice(bytes)
            .map_err(|e| TrustError::malformed("software list record", e.to_string()))?;
        let signer = trust
            .key(&env.keyid)
            .ok_or_else(|| TrustError::UnknownKey(env.keyid.to_string()))?;
        let sig = decode_sig(&env.sig).ok_or_else(|| {
            TrustError::malformed(
                "software list record",
                "signature is not 64 bytes of base64",
            )
        })?;
        let msg = signing_input(SOFTWARE_LIST_RECORD_DOMAIN, &env.software_list)?;
        if !signer.public_key.verify(&msg, &sig) {
            return Err(TrustError::BadSignature(env.keyid.to_string()));
        }
        if signer.role != Role::Manufacturer {
            return Err(TrustError::NotAuthorised {
                key_id: env.keyid.to_string(),
                detail: "only a manufacturer's key may sign a software list record".into(),
            });
        }
        let record: Self = serde_json::from_value(env.software_list)
            .map_err(|e| TrustError::malformed("software list record", e.to_string()))?;
        if signer.organisation_id != record.maker {
            return Err(TrustError::NotAuthorised {
                key_id: env.keyid.to_string(),
                detail: format!(
                    "the key is {}'s, and the record is {}'s",
                    signer.organisation_id, record.maker
                ),
            });
        }
        if record.attached_at > crate::latest_acceptable(now) {
            return Err(TrustError::FromTheFuture {
                signed_at: record.attached_at,
            });
        }
        signer.check_signed_at(record.attached_at)?;
        Ok((record, signer.clone()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::TRUST_LIST_VERSION;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
    }

    fn key_info(key: &SigningKey, org: &str, role: Role) -> KeyInfo {
        KeyInfo {
            key_id: key.key_id(),
            public_key: key.public_key(),
            organisation_id: org.into(),
            organisation_name: format!("{org} name"),
            role,
            member_state: None,
            scope: vec![],
            valid_from: at(1),
            valid_until: at(20),
            revoked_at: None,
        }
    }

    fn trust(keys: Vec<KeyInfo>) -> TrustList {
        TrustList {
            version: TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at(1),
            next_update: at(28),
            log_verifier_key: "keurmerk.example.eu/log+01020304+AQ==".into(),
            keys,
        }
    }

    fn record() -> SoftwareListRecord {
        SoftwareListRecord {
            maker: "org-maker".into(),
            product: "prod-1".into(),
            version_id: "ver-1".into(),
            version: "1.2.0".into(),
            name: "bom.json".into(),
            format: "CycloneDxJson".into(),
            sha256: software_list_sha256(b"{}"),
            components: 3,
            attached_at: at(5),
        }
    }

    #[test]
    fn a_makers_record_verifies_and_nothing_else_does() {
        let maker = SigningKey::generate();
        let other_maker = SigningKey::generate();
        let lab = SigningKey::generate();
        let list = trust(vec![
            key_info(&maker, "org-maker", Role::Manufacturer),
            key_info(&other_maker, "org-other", Role::Manufacturer),
            key_info(&lab, "org-maker", Role::AssessmentBody),
        ]);
        let signed = record().sign(&maker).unwrap();
        let (back, signer) = SoftwareListRecord::verify(&signed, &list, at(6)).unwrap();
        assert_eq!(back, record());
        assert_eq!(signer.organisation_id, "org-maker");

        // Another maker's key, for this maker's record.
        let err = SoftwareListRecord::verify(&record().sign(&other_maker).unwrap(), &list, at(6))
            .unwrap_err();
        assert!(matches!(err, TrustError::NotAuthorised { .. }), "{err}");
        // A key that is not a manufacturer's.
        let err =
            SoftwareListRecord::verify(&record().sign(&lab).unwrap(), &list, at(6)).unwrap_err();
        assert!(matches!(err, TrustError::NotAuthorised { .. }), "{err}");
        // A key the list does not know.
        let err = SoftwareListRecord::verify(
            &record().sign(&SigningKey::generate()).unwrap(),
            &list,
            at(6),
        )
        .unwrap_err();
        assert!(matches!(err, TrustError::UnknownKey(_)), "{err}");
        // One changed byte of the record: another version, another hash.
        for (from, to) in [("ver-1", "ver-2"), ("\"components\":3", "\"components\":4")] {
            let text = String::from_utf8(signed.clone()).unwrap();
            assert!(text.contains(from), "{text}");
            let edited = text.replace(from, to);
            let err = SoftwareListRecord::verify(edited.as_bytes(), &list, at(6)).unwrap_err();
            assert!(matches!(err, TrustError::BadSignature(_)), "{err}");
        }
        // Attached in the future, and outside the key's validity.
        let mut late = record();
        late.attached_at = at(19);
        let err =
            SoftwareListRecord::verify(&late.sign(&maker).unwrap(), &list, at(6)).unwrap_err();
        assert!(matches!(err, TrustError::FromTheFuture { .. }), "{err}");
        late.attached_at = at(21);
        let err =
            SoftwareListRecord::verify(&late.sign(&maker).unwrap(), &list, at(22)).unwrap_err();
        assert!(matches!(err, TrustError::KeyNotValidAt { .. }), "{err}");
        // A revoked key: records before the revocation stand, later ones do not.
        let mut revoked = list.clone();
        revoked.keys[0].revoked_at = Some(at(5));
        let err = SoftwareListRecord::verify(&signed, &revoked, at(6)).unwrap_err();
        assert!(matches!(err, TrustError::RevokedKey { .. }), "{err}");
        revoked.keys[0].revoked_at = Some(at(7));
        SoftwareListRecord::verify(&signed, &revoked, at(8)).unwrap();
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let list = trust(vec![]);
        for bytes in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"software_list\":{},\"keyid\":\"x\",\"sig\":\"\"}",
            b"{\"status_list\":{},\"keyid\":\"x\",\"sig\":\"\"}",
        ] {
            assert!(SoftwareListRecord::verify(bytes, &list, at(6)).is_err());
        }
        let big = vec![b' '; MAX_SOFTWARE_LIST_RECORD_BYTES + 1];
        let err = SoftwareListRecord::verify(&big, &list, at(6)).unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
        // The status list record's domain is not this one's.
        assert_ne!(
            SOFTWARE_LIST_RECORD_DOMAIN,
            crate::statuslist::STATUS_LIST_RECORD_DOMAIN
        );
    }
}

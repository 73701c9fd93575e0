//! What a reader of a certificate's page is told about its newest signed statement: who signed
//! it and whether the signature checks out against the registry's key records *now*.
//!
//! Read-only. The verdict comes from [`keurmerk_trust::verify_statement`] over the current trust
//! list; nothing the envelope claims is trusted before that. The claimed key id and signing time
//! are kept apart ([`ClaimedSignature`]) so a page can say whose key a statement *claims* when it
//! does not verify.
//!
//! A page served from the certificate page's read model takes the verdict its row stored
//! ([`AuthenticSignature`]): reached by the fold that proved the row, on the same statement bytes
//! (any change of them deletes the row) and against a trust list of the same content digest as the
//! one the registry reads with now (the row is served only then); see `readmodel`.

use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_store::{KeyRecord, RegistryStore};
use keurmerk_trust::{verify_statement, Role, TrustError, VerifiedStatement};

use crate::{Registry, ServiceResult};

/// What a statement envelope says about itself, read without verifying it. For display only,
/// next to a failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSignature {
    /// The `issuer` key id the statement names.
    pub key_id: String,
    /// The `signed_at` time it gives.
    pub signed_at: Option<DateTime<Utc>>,
}

/// Who signed a statement that verified, as a reader is shown it. Made only in this crate, and
/// only from a [`VerifiedStatement`]: directly, or read back from the certificate page's read
/// model, which stored it from one (`readmodel::StoredSignature`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticSignature {
    certificate: String,
    event_seq: i64,
    organisation: String,
    role: Role,
    key_id: String,
    signed_at: DateTime<Utc>,
}

impl AuthenticSignature {
    /// What a reader is shown of `v`, the statement of event `event_seq`.
    pub(crate) fn of(v: &VerifiedStatement, event_seq: i64) -> Self {
        Self::stored(
            v.statement.certificate_id.clone(),
            event_seq,
            v.issuer.organisation_name.clone(),
            v.issuer.role,
            v.statement.issuer.to_string(),
            v.statement.signed_at,
        )
    }

    /// One the read model stored from an [`AuthenticSignature::of`] (`readmodel`).
    pub(crate) fn stored(
        certificate: String,
        event_seq: i64,
        organisation: String,
        role: Role,
        key_id: String,
        signed_at: DateTime<Utc>,
    ) -> Self {
        Self {
            certificate,
            event_seq,
            organisation,
            role,
            key_id,
            signed_at,
        }
    }

    /// The certificate the statement is about.
    pub fn certificate(&self) -> &str {
        &self.certificate
    }

    /// The sequence number of the event the statement records.
    pub fn event_seq(&self) -> i64 {
        self.event_seq
    }

    /// The signing key's organisation, as the trust list names it.
    pub fn organisation(&self) -> &str {
        &self.organisation
    }

    /// The signing key's role in the trust list.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The signing key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// When the statement was signed.
    pub fn signed_at(&self) -> DateTime<Utc> {
        self.signed_at
    }
}

/// The newest signed statement of a certificate, checked against the current trust list.
#[derive(Debug)]
pub struct SignatureReport {
    /// The sequence number of the event the statement records.
    pub event_seq: i64,
    /// Who signed it (from the trust list's record of its issuer key), or why it does not
    /// verify.
    pub result: Result<AuthenticSignature, TrustError>,
    /// What the envelope claims, when it can be read at all.
    pub claimed: Option<ClaimedSignature>,
    /// The registry's record of the claimed issuer key, when there is one: its validity and
    /// revocation, also when the signature does not verify.
    pub key: Option<KeyRecord>,
    /// What the certificate's signed record does not prove (any event, not only the newest):
    /// when not empty, no signature of this certificate may be presented as confirming it.
    pub integrity: Vec<crate::Problem>,
}

impl SignatureReport {
    /// Whether the statement verified and the certificate's whole record is proven by its
    /// signed statements.
    pub fn is_valid(&self) -> bool {
        self.result.is_ok() && self.integrity.is_empty()
    }
}

fn claims(bytes: &[u8]) -> Option<ClaimedSignature> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let st = v.get("statement")?;
    Some(ClaimedSignature {
        key_id: st.get("issuer")?.as_str()?.to_owned(),
        signed_at: st
            .get("signed_at")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc)),
    })
}

impl<S: RegistryStore> Registry<S> {
    /// The certificate's newest signed statement (the one recording its latest event),
    /// verified now against the trust list built from the current key records. `None` when the
    /// certificate has no stored statement. Fails when the certificate does not exist or the
    /// registry has no signer.
    pub async fn latest_signature(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<Option<SignatureReport>> {
        if self.store().certificate(id).await?.is_none() {
            return Err(crate::error::not_found("certificate", id));
        }
        self.check_latest_signature(id, None).await
    }

    /// [`Self::latest_signature`] for a page that holds the certificate's details already: the
    /// record's integrity is taken from `details` (what the page shows), not verified a second
    /// time, and so is the newest statement's verdict when `details` carry one
    /// ([`crate::CertificateDetails::newest_signature`]: the fold that made them verified it
    /// against the trust list of the digest the registry reads with now). Otherwise the newest
    /// statement is read and verified now.
    pub async fn latest_signature_of(
        &self,
        details: &crate::CertificateDetails,
    ) -> ServiceResult<Option<SignatureReport>> {
        let id = &details.certificate.id;
        let known = details.newest_signature().filter(|s| {
            // Never another certificate's, nor an older event's (defence in depth: the read
            // model checks both before it hands one out).
            details.integrity.is_empty()
                && s.certificate == id.as_str()
                && details.events.last().map(|e| e.seq) == Some(s.event_seq)
        });
        let Some(known) = known else {
            return self
                .check_latest_signature(id, Some(&details.integrity))
                .await;
        };
        // The key record from the trust list reads reuse: what this page's status was checked
        // against, without a statement of its own.
        let key = self.shown_key(&known.key_id).await?;
        Ok(Some(SignatureReport {
            event_seq: known.event_seq,
            claimed: Some(ClaimedSignature {
                key_id: known.key_id.clone(),
                signed_at: Some(known.signed_at),
            }),
            result: Ok(known.clone()),
            key,
            integrity: Vec::new(),
        }))
    }

    async fn check_latest_signature(
        &self,
        id: &CertificateId,
        integrity: Option<&[crate::Problem]>,
    ) -> ServiceResult<Option<SignatureReport>> {
        let keys = self.signer()?.key_store();
        let Some(stored) = keys.latest_statement(id.as_str()).await? else {
            return Ok(None);
        };
        let (list, _, fresh) = self.trust_for_reads(true).await?;
        let mut result = verify_statement(&stored.signed, &list, self.now());
        if result.is_err() && !fresh {
            let (list, _, _) = self.trust_for_reads(false).await?;
            result = verify_statement(&stored.signed, &list, self.now());
        }
        let result = result.map(|v| AuthenticSignature::of(&v, stored.event_seq));
        let claimed = claims(&stored.signed);
        let key = match &claimed {
            Some(c) => keys.signing_key(&c.key_id).await?,
            None => None,
        };
        let integrity = match integrity {
            Some(known) => known.to_vec(),
            None => self.verified_history(id).await?.problems().to_vec(),
        };
        Ok(Some(SignatureReport {
            event_seq: stored.event_seq,
            result,
            claimed,
            key,
            integrity,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use chrono::Duration;
    use keurmerk_domain::scheme::Catalogue;
    use keurmerk_store::{CertificateFilter, SqlStore};

    use super::*;
    use crate::{demo, Secrets, Signer, SystemClock};

    async fn demo_registry(dir: &tempfile::TempDir) -> Registry<SqlStore> {
        let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
            .await
            .unwrap();
        let catalogue = Arc::new(Catalogue::from_files(keurmerk_domain::scheme::SHIPPED).unwrap());
        let keys = dir.path().join("keys");
        demo::seed_with(
            store.clone(),
            catalogue.clone(),
            Utc::now(),
            Secrets::dir(&keys),
        )
        .await
        .unwrap();
        Registry::new(store.clone(), catalogue, Arc::new(SystemClock))
            .with_signer(Signer::new(Arc::new(store), Secrets::dir(&keys)))
            .with_local_credential(crate::Credential::Cli("test".into()))
    }

    #[tokio::test]
    async fn latest_signature_verifies_and_names_the_signer_until_its_key_is_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let reg = demo_registry(&dir).await;
        let cert = reg
            .certificates(&CertificateFilter::default())
            .await
            .unwrap()
            .remove(0);
        let r = reg.latest_signature(&cert.id).await.unwrap().unwrap();
        let all = reg.verify_statements(&cert.id).await.unwrap();
        assert_eq!(r.event_seq, all.last().unwrap().event_seq);
        let ok = r.result.as_ref().unwrap();
        assert_eq!(ok.certificate(), cert.id.as_str());
        assert_eq!(ok.event_seq(), r.event_seq);
        let claimed = r.claimed.clone().unwrap();
        assert_eq!(claimed.key_id, ok.key_id());
        assert_eq!(claimed.signed_at, Some(ok.signed_at()));
        let key = r.key.clone().unwrap();
        assert_eq!(key.key_id, claimed.key_id);
        assert_eq!(key.org_name, ok.organisation());

        // Compromised before it signed: the same statement no longer verifies.
        reg.revoke_key(&key.key_id, ok.signed_at() - Duration::seconds(1))
            .await
            .unwrap();
        let r = reg.latest_signature(&cert.id).await.unwrap().unwrap();
        assert!(!r.is_valid());
        assert!(matches!(r.result, Err(TrustError::RevokedKey { .. })));
        assert!(r.key.unwrap().revoked_at.is_some());
    }

    #[tokio::test]
    async fn unknown_certificate_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let reg = demo_registry(&dir).await;
        let id: CertificateId = "KM-2020-999999".parse().unwrap();
        assert!(matches!(
            reg.latest_signature(&id).await,
            Err(crate::ServiceError::NotFound { .. })
        ));
    }

    #[test]
    fn claims_read_without_trusting() {
        let c = claims(br#"{"signatures":[],"statement":{"issuer":"b62e867fa2f33afe","signed_at":"2026-02-01T12:00:00Z"}}"#).unwrap();
        assert_eq!(c.key_id, "b62e867fa2f33afe");
        assert_eq!(
            c.signed_at.unwrap().to_rfc3339(),
            "2026-02-01T12:00:00+00:00"
        );
        assert!(claims(b"not json").is_none());
        assert!(claims(br#"{"statement":{}}"#).is_none());
    }
}

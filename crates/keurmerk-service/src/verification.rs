//! What a reader of a certificate's page is told about its newest signed statement: who signed
//! it and whether the signature checks out against the registry's key records *now*.
//!
//! Read-only. The verdict comes from [`keurmerk_trust::verify_statement`] over the current trust
//! list; nothing the envelope claims is trusted before that. The claimed key id and signing time
//! are kept apart ([`ClaimedSignature`]) so a page can say whose key a statement *claims* when it
//! does not verify.

use chrono::{DateTime, Utc};
use keurmerk_domain::ids::CertificateId;
use keurmerk_store::{KeyRecord, RegistryStore};
use keurmerk_trust::{verify_statement, TrustError, VerifiedStatement};

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

/// The newest signed statement of a certificate, checked against the current trust list.
#[derive(Debug)]
pub struct SignatureReport {
    /// The sequence number of the event the statement records.
    pub event_seq: i64,
    /// The verified statement (with the trust list's record of its issuer key), or why it does
    /// not verify.
    pub result: Result<VerifiedStatement, TrustError>,
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
    /// newest statement is verified now all the same, and the record's integrity is taken from
    /// `details` (what the page shows), not verified a second time.
    pub async fn latest_signature_of(
        &self,
        details: &crate::CertificateDetails,
    ) -> ServiceResult<Option<SignatureReport>> {
        self.check_latest_signature(&details.certificate.id, Some(&details.integrity))
            .await
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
        assert_eq!(ok.statement.certificate_id, cert.id.to_string());
        let claimed = r.claimed.clone().unwrap();
        assert_eq!(claimed.key_id, ok.statement.issuer.to_string());
        assert_eq!(claimed.signed_at, Some(ok.statement.signed_at));
        let key = r.key.clone().unwrap();
        assert_eq!(key.key_id, claimed.key_id);
        assert_eq!(key.org_name, ok.issuer.organisation_name);

        // Compromised before it signed: the same statement no longer verifies.
        reg.revoke_key(&key.key_id, ok.statement.signed_at - Duration::seconds(1))
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

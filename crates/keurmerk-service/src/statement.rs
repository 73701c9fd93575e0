//! The signed statement recorded for each event: a keurmerk-trust [`Statement`] signed by the
//! issuer's current key (`docs/FORMATS.md` §4). These bytes go to the transparency log queue and
//! to the `statements` table; a write whose statement cannot be signed is refused.

use keurmerk_domain::event::{Event, EventKind};
use keurmerk_domain::model::IssuerKind;
use keurmerk_store::RegistryStore;
use keurmerk_trust::{
    sign_statement, verify_statement, Role, SigningKey, Statement, StatementKind, TrustError,
    VerifiedStatement,
};
use serde::Serialize;

use crate::error::invalid;
use crate::{Registry, ServiceError, ServiceResult};

/// The statement kind recording an event, given the role of the key that signs it.
pub fn statement_kind(kind: &EventKind, signer_role: Role) -> StatementKind {
    match kind {
        EventKind::Issued {
            issuer_kind: IssuerKind::SelfDeclared,
            ..
        } => StatementKind::StatementOfConformity,
        EventKind::Issued { .. } => StatementKind::CertificateIssued,
        EventKind::VersionCovered { .. } => StatementKind::VersionCovered,
        EventKind::Suspended { .. } | EventKind::SuspensionExtended { .. } => {
            StatementKind::Suspended
        }
        EventKind::Reinstated { .. } => StatementKind::Reinstated,
        EventKind::Withdrawn { .. } => StatementKind::Withdrawn,
        EventKind::Expired { .. } => StatementKind::Expired,
        // Everything else is a change of circumstances: monitoring when the registry or the
        // manufacturer reports it, a status change when an authority or body does.
        _ => match signer_role {
            Role::Registry | Role::Manufacturer => StatementKind::MonitoringEvent,
            _ => StatementKind::StatusChanged,
        },
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    actor: &'a str,
    role: &'static str,
    event: &'a EventKind,
}

/// The unsigned statement for `event` on a certificate of `scheme`/`level`, issued by `key`.
pub fn statement_for(
    event: &Event,
    scheme: &str,
    level: &str,
    key: &SigningKey,
    signer_role: Role,
) -> ServiceResult<Statement> {
    let payload = serde_json::to_value(Payload {
        actor: event.actor.as_str(),
        role: event.role.as_str(),
        event: &event.kind,
    })
    .map_err(|e| invalid("statement", e.to_string()))?;
    let serde_json::Value::Object(payload) = payload else {
        return Err(invalid("statement", "the payload is not a JSON object"));
    };
    Ok(Statement {
        kind: statement_kind(&event.kind, signer_role),
        certificate_id: event.certificate.to_string(),
        scheme_id: scheme.to_owned(),
        level: level.to_owned(),
        issuer: key.key_id(),
        signed_at: event.at,
        payload,
    })
}

/// One stored statement, re-verified.
#[derive(Debug)]
pub struct StatementCheck {
    /// The event's sequence number.
    pub event_seq: i64,
    /// The verified statement, or why it does not verify.
    pub result: Result<VerifiedStatement, TrustError>,
}

fn trust(e: TrustError) -> ServiceError {
    invalid("statement", e.to_string())
}

impl<S: RegistryStore> Registry<S> {
    /// Signs the statement recording `event` with the acting organisation's current key (the
    /// registry root key for the registry's own events) and checks it verifies against the
    /// current trust list before anything is written. No key, no write.
    pub(crate) async fn signed_statement(
        &self,
        event: &Event,
        scheme: &str,
        level: &str,
    ) -> ServiceResult<Vec<u8>> {
        let (key, role) = if event.role.is_registry() {
            (self.root_signing_key(event.at).await?, Role::Registry)
        } else {
            let org = self
                .store()
                .org(&event.actor)
                .await?
                .ok_or_else(|| crate::error::not_found("organisation", &event.actor))?;
            (
                self.org_signing_key(&event.actor, event.at).await?,
                crate::signing::role_of(org.role),
            )
        };
        let statement = statement_for(event, scheme, level, &key, role)?;
        let bytes = sign_statement(&statement, &key).map_err(trust)?;
        // Never queue a statement a verifier would reject (wrong role, or outside the scope the
        // registry's data gives the key now: the trust list built next says the same).
        let record = self
            .signer()?
            .key_store()
            .signing_key(&key.key_id().to_string())
            .await?
            .ok_or_else(|| crate::error::not_found("signing key", key.key_id()))?;
        let list = self.trust_list_of(&[record], 0).await?;
        verify_statement(&bytes, &list, event.at).map_err(|e| {
            ServiceError::Forbidden(format!(
                "the statement for this {} would not verify: {e}",
                event.kind.name()
            ))
        })?;
        Ok(bytes)
    }

    /// Re-verifies every stored statement of a certificate against the current trust list.
    pub async fn verify_statements(
        &self,
        id: &keurmerk_domain::ids::CertificateId,
    ) -> ServiceResult<Vec<StatementCheck>> {
        if self.store().certificate(id).await?.is_none() {
            return Err(crate::error::not_found("certificate", id));
        }
        let list = self.trust_list(0).await?;
        let now = self.now();
        Ok(self
            .signer()?
            .key_store()
            .statements(id.as_str())
            .await?
            .into_iter()
            .map(|s| StatementCheck {
                event_seq: s.event_seq,
                result: verify_statement(&s.signed, &list, now),
            })
            .collect())
    }
}

//! Exact per-version coverage. A certificate covers exactly the versions its issuer covered
//! (for a self-declared certificate the holder is the issuer). The holder of a certificate
//! another body issued adds a version only under the scheme's patch-management rule
//! (`StatusPolicy::patch_management`): a signed impact statement classifying the change and the
//! version's software list; the rule says whether the class is covered at once or needs the
//! issuer's confirmation, which the issuer gives or refuses. Every step is an event, signed and
//! logged like any other; the fold enforces the same rule (`keurmerk_domain::event`).

use keurmerk_domain::event::EventKind;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::lifecycle::ActorRole;
use keurmerk_domain::model::{Certificate, ChangeClass, OrgRole};
use keurmerk_domain::scheme::ChangeRule;
use keurmerk_store::{RegistryStore, VulnStore};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{invalid, not_found};
use crate::orgs::check_text;
use crate::products::covered;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// A holder's declaration of a new version under the patch-management rule.
#[derive(Debug, Clone)]
pub struct VersionChange {
    /// The version record (of the certificate's product).
    pub version: RecordId,
    /// How the holder classifies the change.
    pub class: ChangeClass,
    /// The impact statement: what changed and why the class fits.
    pub impact: String,
    /// The software list's file name (its format is read from it and its content).
    pub sbom_name: String,
    /// The software list (CycloneDX or SPDX).
    pub sbom: Vec<u8>,
}

/// What a declaration did.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeOutcome {
    /// The certificate.
    pub certificate: CertificateId,
    /// The version.
    pub version: String,
    /// Covered now (otherwise it waits for the issuer).
    pub covered: bool,
}

impl<S: RegistryStore + VulnStore> Registry<S> {
    /// The holder declares a new version of the certificate's product under the scheme's
    /// patch-management rule. The software list is attached to the version (and matched) first;
    /// the declaration records its SHA-256.
    pub async fn declare_version_change(
        &self,
        actor: &Actor,
        id: &CertificateId,
        change: VersionChange,
    ) -> ServiceResult<ChangeOutcome> {
        let me = self
            .acting_as(actor, &[OrgRole::Manufacturer], "declare version changes")
            .await?;
        let cert = self.certificate_row(id).await?;
        if cert.holder != me.id {
            return Err(ServiceError::Forbidden(format!(
                "{id} is held by {}, not {}",
                cert.holder, me.id
            )));
        }
        if cert.state.is_terminal() {
            return Err(ServiceError::Conflict(format!(
                "{id} is {}; it covers no further versions",
                cert.state
            )));
        }
        let v = self
            .store()
            .version(&change.version)
            .await?
            .ok_or_else(|| not_found("version", &change.version))?;
        if v.product != cert.product {
            return Err(invalid(
                "version",
                format!(
                    "{} is a version of {}, not of {}",
                    v.id, v.product, cert.product
                ),
            ));
        }
        check_text("impact", &change.impact, 10_000)?;
        let self_declared = cert.issuer == me.id;
        let rule = if self_declared {
            // The holder is the issuer: what it declares, it covers.
            ChangeRule::CoveredAtOnce
        } else {
            let scheme = self
                .catalogue()
                .get(&cert.scheme)
                .ok_or_else(|| invalid("scheme", format!("unknown scheme `{}`", cert.scheme)))?;
            scheme.policy.change_rule(change.class)
        };
        if rule == ChangeRule::Refused {
            return Err(ServiceError::Forbidden(format!(
                "{id} was issued by {}; the {} patch-management rule does not let its holder cover a `{}` change: only the issuer covers it",
                cert.issuer, cert.scheme, change.class
            )));
        }
        // Refuse before attaching anything when the version is covered or waiting already.
        let view = keurmerk_domain::event::fold(&self.store().events(id).await?)?;
        check_not_declared(&view, &v.id)?;
        // Its record is waited for with the declaration's statement, once both are written.
        let (_, sbom_queue_id) = self
            .attach_sbom_queued(actor, &v.id, &change.sbom_name, &change.sbom)
            .await?;
        let sbom_sha256 = hex::encode(Sha256::digest(&change.sbom));
        let covers = rule == ChangeRule::CoveredAtOnce;
        let version = covered(&v);
        let impact = change.impact.trim().to_owned();
        let role = if self_declared {
            ActorRole::Issuer
        } else {
            ActorRole::Holder
        };
        let written = self
            .write_event(id, actor, role, "certificate.declare_version", |view| {
                check_not_declared(view, &version.id)?;
                Ok(Some(EventKind::VersionChangeDeclared {
                    version: version.clone(),
                    class: change.class,
                    impact: impact.clone(),
                    sbom_sha256: sbom_sha256.clone(),
                    covered: covers,
                }))
            })
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("{id}: nothing to write")))?;
        self.logged(sbom_queue_id).await?;
        self.logged(written.appended.queue_id).await?;
        // The findings of the newly covered version reach the label.
        if covers {
            self.apply_findings(&cert.product).await?;
        }
        Ok(ChangeOutcome {
            certificate: id.clone(),
            version: v.version,
            covered: covers,
        })
    }

    /// The issuer confirms a declared version: the certificate covers it.
    pub async fn confirm_version(
        &self,
        actor: &Actor,
        id: &CertificateId,
        version: &RecordId,
    ) -> ServiceResult<ChangeOutcome> {
        let out = self
            .decide_version(actor, id, version, None, "certificate.confirm_version")
            .await?;
        self.apply_findings(&self.certificate_row(id).await?.product)
            .await?;
        Ok(out)
    }

    /// The issuer refuses a declared version: the certificate does not cover it.
    pub async fn refuse_version(
        &self,
        actor: &Actor,
        id: &CertificateId,
        version: &RecordId,
        reason: &str,
    ) -> ServiceResult<ChangeOutcome> {
        check_text("reason", reason, 1000)?;
        self.decide_version(
            actor,
            id,
            version,
            Some(reason.trim().to_owned()),
            "certificate.refuse_version",
        )
        .await
    }

    async fn decide_version(
        &self,
        actor: &Actor,
        id: &CertificateId,
        version: &RecordId,
        refusal: Option<String>,
        action: &str,
    ) -> ServiceResult<ChangeOutcome> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::AssessmentBody, OrgRole::Manufacturer],
                "confirm or refuse versions",
            )
            .await?;
        let cert = self.certificate_row(id).await?;
        if cert.issuer != me.id {
            return Err(ServiceError::Forbidden(format!(
                "{id} was issued by {}; only its issuer confirms or refuses its versions",
                cert.issuer
            )));
        }
        let mut name = String::new();
        let written = self
            .write_event(id, actor, ActorRole::Issuer, action, |view| {
                if view.state.is_terminal() {
                    return Err(ServiceError::Conflict(format!(
                        "{id} is {}; it covers no further versions",
                        view.state
                    )));
                }
                let Some(p) = view
                    .pending_versions
                    .iter()
                    .find(|p| &p.version.id == version)
                else {
                    let covered = view.versions.iter().any(|v| &v.id == version);
                    return Err(ServiceError::Conflict(if covered {
                        format!("{id} covers {version} already")
                    } else {
                        format!("no declared version {version} waits for a decision on {id}")
                    }));
                };
                name = p.version.version.clone();
                Ok(Some(match &refusal {
                    None => EventKind::VersionConfirmed {
                        version: version.clone(),
                    },
                    Some(reason) => EventKind::VersionRefused {
                        version: version.clone(),
                        reason: reason.clone(),
                    },
                }))
            })
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("{id}: nothing to write")))?;
        self.logged(written.appended.queue_id).await?;
        Ok(ChangeOutcome {
            certificate: id.clone(),
            version: name,
            covered: refusal.is_none(),
        })
    }

    async fn certificate_row(&self, id: &CertificateId) -> ServiceResult<Certificate> {
        Ok(self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?
            .0)
    }
}

fn check_not_declared(
    view: &keurmerk_domain::event::CertificateView,
    version: &RecordId,
) -> ServiceResult<()> {
    if view.versions.iter().any(|v| &v.id == version) {
        return Err(ServiceError::Conflict(format!(
            "{} covers {version} already",
            view.id
        )));
    }
    if view
        .pending_versions
        .iter()
        .any(|p| &p.version.id == version)
    {
        return Err(ServiceError::Conflict(format!(
            "{version} waits for the issuer of {} already",
            view.id
        )));
    }
    Ok(())
}

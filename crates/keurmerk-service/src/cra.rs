//! Cyber Resilience Act reporting (issue 12 item 4): the holder's reports on actively exploited
//! vulnerabilities, routed to the certificate's supervising authority. The obligations and
//! their clocks are folded from the certificate's verified events ([`keurmerk_domain::cra`]);
//! the reports are kept in the store (migration 0024), confidential.
//!
//! Who may do what:
//! - the holder lists its obligations, reads the pre-filled draft of each report, edits it and
//!   submits it: a signed, logged `cra_report_submitted` event naming the SHA-256 of the report's
//!   canonical JSON, the report itself stored under that digest before the event is appended (a
//!   report whose event never committed is never shown as submitted);
//! - the certificate's national authority (the supervising authority, to which reports are
//!   routed) and the registry operator list the obligations and read and export the reports;
//! - nobody else: not another maker, not the assessment body that issued the certificate, not
//!   another authority. Every refusal writes nothing.
//!
//! A submitted report is served only after its stored bytes hash to the digest in the signed
//! event; anything else fails closed.

use chrono::{DateTime, Utc};
use keurmerk_domain::cra::{
    self, CraFix, CraKind, CraReport, Obligation, ReportEdit, ReportedProduct, REPORT_FORMAT,
};
use keurmerk_domain::event::{fold, CertificateView, EventKind};
use keurmerk_domain::ids::{CertificateId, OrgId, RecordId};
use keurmerk_domain::lifecycle::ActorRole;
use keurmerk_domain::model::{Certificate, OrgRole};
use keurmerk_store::{
    CertificateFilter, CraDraft, CraReportKey, CraStore, RegistryStore, StoreError,
    StoredCraReport, VulnStore,
};
use serde::Serialize;
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// How the actor may deal with a certificate's reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// The holder: read, edit, submit.
    Holder,
    /// The supervising authority or the registry operator: read.
    Reader,
}

/// One actively exploited vulnerability's obligations on a certificate, with their clocks.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CraObligations {
    /// The certificate.
    pub certificate: CertificateId,
    /// The product.
    pub product: RecordId,
    /// The holder (who reports).
    pub holder: OrgId,
    /// The supervising authority (who receives the reports), if the certificate has one.
    pub authority: Option<OrgId>,
    /// The vulnerability.
    pub vulnerability: String,
    /// When the registry first knew the product was affected while it is exploited.
    pub aware_at: DateTime<Utc>,
    /// When the clocks started (not before the CRA's reporting obligations apply).
    pub clock_start: DateTime<Utc>,
    /// The fix, once a covered version has it (the final report's clock).
    pub fix: Option<CraFix>,
    /// The three obligations, now.
    pub obligations: Vec<Obligation>,
    /// Part of the certificate's history could not be verified: shown is its proven part.
    pub unverified_history: bool,
}

/// A report as its readers see it: the draft or, once submitted, the report the signed event
/// binds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CraReportView {
    /// The obligation and its clock.
    pub obligation: Obligation,
    /// Submitted: the report is final and equals the digest in the signed event.
    pub submitted: bool,
    /// SHA-256 of the canonical JSON (of the submitted report; of the draft as it stands now
    /// otherwise).
    pub sha256: String,
    /// The event that recorded the submission.
    pub event_seq: Option<i64>,
    /// The report.
    pub report: CraReport,
}

impl<S: RegistryStore + VulnStore + CraStore> Registry<S> {
    /// What `actor` may do with the reports of `cert`, or a refusal.
    async fn cra_access(&self, actor: &Actor, cert: &Certificate) -> ServiceResult<Access> {
        let me = self.acting(actor).await?;
        if me.id == cert.holder {
            Ok(Access::Holder)
        } else if cert.authority.as_ref() == Some(&me.id) || me.role == OrgRole::RegistryOperator {
            Ok(Access::Reader)
        } else {
            Err(ServiceError::Forbidden(format!(
                "CRA reports of {} are read only by its holder, its supervising authority and \
                 the registry operator",
                cert.id
            )))
        }
    }

    /// The certificate (its row) and its verified fold.
    async fn cra_view(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<(Certificate, CertificateView, bool)> {
        let (cert, _) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| not_found("certificate", id))?;
        let history = self.verified_history(id).await?;
        let view = fold(history.events())?;
        Ok((cert, view, !history.is_intact()))
    }

    /// The certificate and its verified fold, when `actor` is its holder and the `kind` report
    /// for `vulnerability` is owed and not yet submitted: what editing and submitting both
    /// require (`verb` and `submitted` word their refusals).
    async fn unsubmitted_report(
        &self,
        actor: &Actor,
        id: &CertificateId,
        vulnerability: &str,
        kind: CraKind,
        verb: &str,
        submitted: &str,
    ) -> ServiceResult<(Certificate, CertificateView)> {
        let (cert, view, _) = self.cra_view(id).await?;
        if self.cra_access(actor, &cert).await? != Access::Holder {
            return Err(ServiceError::Forbidden(format!(
                "only the holder of {id} {verb} its CRA reports"
            )));
        }
        let case = view
            .cra
            .get(vulnerability)
            .ok_or_else(|| not_found("CRA reporting obligation", vulnerability))?;
        if case.submitted.contains_key(&kind) {
            return Err(ServiceError::Conflict(format!(
                "the {kind} for {vulnerability} on {id} {submitted}"
            )));
        }
        Ok((cert, view))
    }

    /// The CRA obligations the actor may see, with their clocks at the registry's time: a
    /// holder's own, an authority's supervised certificates', every certificate's for the
    /// registry operator; `certificate` narrows it to one (refused if the actor may not see it).
    pub async fn cra_obligations(
        &self,
        actor: &Actor,
        certificate: Option<&CertificateId>,
    ) -> ServiceResult<Vec<CraObligations>> {
        let me = self.acting(actor).await?;
        let certs: Vec<Certificate> = match certificate {
            Some(id) => {
                let (cert, _) = self
                    .store()
                    .certificate(id)
                    .await?
                    .ok_or_else(|| not_found("certificate", id))?;
                self.cra_access(actor, &cert).await?;
                vec![cert]
            }
            None => {
                let filter = CertificateFilter {
                    holder: (me.role == OrgRole::Manufacturer).then(|| me.id.clone()),
                    ..CertificateFilter::default()
                };
                match me.role {
                    OrgRole::Manufacturer | OrgRole::RegistryOperator => {
                        self.store().certificates(&filter).await?
                    }
                    OrgRole::NationalAuthority => self
                        .store()
                        .certificates(&filter)
                        .await?
                        .into_iter()
                        .filter(|c| c.authority.as_ref() == Some(&me.id))
                        .collect(),
                    OrgRole::AssessmentBody => {
                        return Err(ServiceError::Forbidden(
                            "an assessment body does not read CRA reports".into(),
                        ))
                    }
                }
            }
        };
        let now = self.now();
        let mut out = Vec::new();
        for cert in certs {
            let (_, view, unverified) = self.cra_view(&cert.id).await?;
            for case in view.cra.values() {
                out.push(CraObligations {
                    certificate: cert.id.clone(),
                    product: cert.product.clone(),
                    holder: cert.holder.clone(),
                    authority: cert.authority.clone(),
                    vulnerability: case.vulnerability.clone(),
                    aware_at: case.aware_at,
                    clock_start: case.clock_start(),
                    fix: case.fix.clone(),
                    obligations: case.obligations(now),
                    unverified_history: unverified,
                });
            }
        }
        Ok(out)
    }

    /// The report as the registry pre-fills it now: product, versions, member states, severity,
    /// fix; the holder's fields empty.
    async fn prefilled(
        &self,
        cert: &Certificate,
        view: &CertificateView,
        vulnerability: &str,
        kind: CraKind,
    ) -> ServiceResult<CraReport> {
        let case = view
            .cra
            .get(vulnerability)
            .ok_or_else(|| not_found("CRA reporting obligation", vulnerability))?;
        let product = self
            .store()
            .product(&cert.product)
            .await?
            .ok_or_else(|| not_found("product", &cert.product))?;
        let finding = view.vulnerabilities.get(vulnerability);
        let covered: Vec<String> = view.versions.iter().map(|v| v.version.clone()).collect();
        let affected = match finding {
            Some(f) if !f.versions.is_empty() => f.versions.clone(),
            _ => covered.clone(),
        };
        // Where the product is made available is not known to the registry: it starts from the
        // member states it does know (the holder's, the supervising authority's) and the holder
        // corrects it.
        let mut member_states = Vec::new();
        for org in std::iter::once(&cert.holder).chain(cert.authority.as_ref()) {
            if let Some(o) = self.store().org(org).await? {
                let ms = o.member_state.to_ascii_uppercase();
                if keurmerk_domain::jurisdiction::is_eu_or_eea(&ms) && !member_states.contains(&ms)
                {
                    member_states.push(ms);
                }
            }
        }
        let mut aliases = self.vulnerability_ids(vulnerability).await?;
        aliases.retain(|a| !keurmerk_vuln::identity::same_id(a, vulnerability));
        Ok(CraReport {
            format: REPORT_FORMAT.to_owned(),
            kind,
            certificate: cert.id.clone(),
            product: ReportedProduct {
                id: product.id,
                name: product.name,
                model: product.model,
                manufacturer: cert.holder.clone(),
            },
            vulnerability: vulnerability.to_owned(),
            aliases,
            aware_at: case.aware_at,
            due_at: case.due_at(kind),
            covered_versions: covered,
            affected_versions: affected,
            member_states,
            severity: finding.map_or(keurmerk_domain::model::Severity::Unknown, |f| f.severity),
            fix_version: case.fix.as_ref().map(|f| f.version.clone()),
            nature: None,
            measures_taken: None,
            user_measures: None,
            sensitivity: None,
            description: None,
            impact: None,
            malicious_actor: None,
            security_update: None,
            nonce: None,
        })
    }

    /// The current draft: the stored one with the registry's facts brought up to date, or the
    /// pre-filled one.
    async fn draft(
        &self,
        cert: &Certificate,
        view: &CertificateView,
        vulnerability: &str,
        kind: CraKind,
    ) -> ServiceResult<CraReport> {
        let fresh = self.prefilled(cert, view, vulnerability, kind).await?;
        let key = CraReportKey {
            certificate: cert.id.clone(),
            vulnerability: vulnerability.to_owned(),
            kind,
        };
        let Some(stored) = self.store().cra_draft(&key).await? else {
            return Ok(fresh);
        };
        let mut draft: CraReport =
            serde_json::from_str(&stored.body).map_err(|e| StoreError::Corrupt {
                what: "CRA report draft",
                detail: e.to_string(),
            })?;
        // The registry's facts are the registry's: never the draft's copy of them.
        draft.format = fresh.format;
        draft.kind = fresh.kind;
        draft.certificate = fresh.certificate;
        draft.product = fresh.product;
        draft.vulnerability = fresh.vulnerability;
        draft.aliases = fresh.aliases;
        draft.aware_at = fresh.aware_at;
        draft.due_at = fresh.due_at;
        draft.covered_versions = fresh.covered_versions;
        draft.nonce = None;
        Ok(draft)
    }

    /// A submitted report, read back and checked against the digest its signed event names.
    async fn submitted_report(
        &self,
        id: &CertificateId,
        sha256: &str,
    ) -> ServiceResult<(CraReport, String)> {
        let stored =
            self.store()
                .cra_report(id, sha256)
                .await?
                .ok_or_else(|| StoreError::Corrupt {
                    what: "CRA report",
                    detail: format!("{id}: the report with digest {sha256} is missing"),
                })?;
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            stored.body.as_bytes(),
        ));
        if digest != sha256 {
            return Err(StoreError::Corrupt {
                what: "CRA report",
                detail: format!("{id}: the stored report does not hash to {sha256}"),
            }
            .into());
        }
        let report: CraReport =
            serde_json::from_str(&stored.body).map_err(|e| StoreError::Corrupt {
                what: "CRA report",
                detail: e.to_string(),
            })?;
        Ok((report, stored.body))
    }

    /// One report (draft or submitted) with its clock.
    pub async fn cra_report(
        &self,
        actor: &Actor,
        id: &CertificateId,
        vulnerability: &str,
        kind: CraKind,
    ) -> ServiceResult<CraReportView> {
        let (cert, view, _) = self.cra_view(id).await?;
        self.cra_access(actor, &cert).await?;
        let case = view
            .cra
            .get(vulnerability)
            .ok_or_else(|| not_found("CRA reporting obligation", vulnerability))?;
        let obligation = case.obligation(kind, self.now());
        if let Some(s) = case.submitted.get(&kind) {
            let (report, _) = self.submitted_report(id, &s.sha256).await?;
            return Ok(CraReportView {
                obligation,
                submitted: true,
                sha256: s.sha256.clone(),
                event_seq: Some(s.seq),
                report,
            });
        }
        let report = self.draft(&cert, &view, vulnerability, kind).await?;
        Ok(CraReportView {
            obligation,
            submitted: false,
            sha256: report.sha256(),
            event_seq: None,
            report,
        })
    }

    /// The report as a JSON document: for a submitted report exactly the bytes its digest
    /// covers (canonical JSON), otherwise the draft's canonical JSON.
    pub async fn export_cra_report(
        &self,
        actor: &Actor,
        id: &CertificateId,
        vulnerability: &str,
        kind: CraKind,
    ) -> ServiceResult<Vec<u8>> {
        let (cert, view, _) = self.cra_view(id).await?;
        self.cra_access(actor, &cert).await?;
        let case = view
            .cra
            .get(vulnerability)
            .ok_or_else(|| not_found("CRA reporting obligation", vulnerability))?;
        if let Some(s) = case.submitted.get(&kind) {
            return Ok(self.submitted_report(id, &s.sha256).await?.1.into_bytes());
        }
        Ok(self
            .draft(&cert, &view, vulnerability, kind)
            .await?
            .canonical())
    }

    /// The holder edits a report's draft. Refused once the report is submitted.
    pub async fn edit_cra_report(
        &self,
        actor: &Actor,
        id: &CertificateId,
        vulnerability: &str,
        kind: CraKind,
        edit: ReportEdit,
    ) -> ServiceResult<CraReportView> {
        let (cert, view) = self
            .unsubmitted_report(
                actor,
                id,
                vulnerability,
                kind,
                "edits",
                "was submitted; it cannot be changed",
            )
            .await?;
        let mut draft = self.draft(&cert, &view, vulnerability, kind).await?;
        let changed: Vec<&str> = edit_fields(&edit);
        draft.apply(edit).map_err(report_error)?;
        let body = serde_json::to_string(&draft).map_err(|e| invalid("report", e.to_string()))?;
        let audit = self.audit(
            actor,
            "cra.report_edit",
            id,
            // The report's content is confidential: the audit names the fields, not their text.
            json!({"vulnerability": vulnerability, "kind": kind, "fields": changed}),
        );
        self.store()
            .put_cra_draft(
                &CraDraft {
                    key: CraReportKey {
                        certificate: id.clone(),
                        vulnerability: vulnerability.to_owned(),
                        kind,
                    },
                    body,
                    updated_at: self.now(),
                    updated_by: actor.org.to_string(),
                },
                &audit,
            )
            .await?;
        self.cra_report(actor, id, vulnerability, kind).await
    }

    /// The holder submits a report: checked for what Art. 14 asks of its kind, salted, stored
    /// under its digest, and recorded as a signed, logged `cra_report_submitted` event.
    pub async fn submit_cra_report(
        &self,
        actor: &Actor,
        id: &CertificateId,
        vulnerability: &str,
        kind: CraKind,
    ) -> ServiceResult<CraReportView> {
        let (cert, view) = self
            .unsubmitted_report(
                actor,
                id,
                vulnerability,
                kind,
                "submits",
                "was submitted before",
            )
            .await?;
        let mut report = self.draft(&cert, &view, vulnerability, kind).await?;
        report.check().map_err(report_error)?;
        let mut salt = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
        report.nonce = Some(hex::encode(salt));
        let body =
            String::from_utf8(report.canonical()).map_err(|e| invalid("report", e.to_string()))?;
        let sha256 = report.sha256();
        let audit = self.audit(
            actor,
            "cra.report_store",
            id,
            json!({"vulnerability": vulnerability, "kind": kind, "sha256": sha256}),
        );
        self.store()
            .put_cra_report(
                &StoredCraReport {
                    key: CraReportKey {
                        certificate: id.clone(),
                        vulnerability: vulnerability.to_owned(),
                        kind,
                    },
                    sha256: sha256.clone(),
                    body,
                    stored_at: self.now(),
                },
                &audit,
            )
            .await?;
        let role = keurmerk_domain::event::role_of(
            &actor.org,
            &cert.issuer,
            &cert.holder,
            cert.authority.as_ref(),
            false,
        );
        let role = if role == ActorRole::Issuer {
            ActorRole::Issuer
        } else {
            ActorRole::Holder
        };
        let written = self
            .write_event(id, actor, role, "cra.report_submit", |view| {
                // Decided again on the freshly folded certificate: two submissions at once
                // record one.
                match view.cra.get(vulnerability) {
                    None => Err(not_found("CRA reporting obligation", vulnerability)),
                    Some(c) if c.submitted.contains_key(&kind) => Err(ServiceError::Conflict(
                        format!("the {kind} for {vulnerability} on {id} was submitted before"),
                    )),
                    Some(_) => Ok(Some(EventKind::CraReportSubmitted {
                        report: kind,
                        vulnerability: vulnerability.to_owned(),
                        sha256: sha256.clone(),
                    })),
                }
            })
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("{id}: nothing to write")))?;
        self.logged(written.appended.queue_id).await?;
        self.cra_report(actor, id, vulnerability, kind).await
    }
}

fn report_error(e: cra::ReportError) -> ServiceError {
    let field = match &e {
        cra::ReportError::Missing(f) | cra::ReportError::TooLong(f) => (*f).to_owned(),
        cra::ReportError::MemberState(_) => "member_states".to_owned(),
        _ => "report".to_owned(),
    };
    invalid(&field, e.to_string())
}

fn edit_fields(e: &ReportEdit) -> Vec<&'static str> {
    let mut out = Vec::new();
    macro_rules! names {
        ($($f:ident),+) => { $( if e.$f.is_some() { out.push(stringify!($f)); } )+ };
    }
    names!(
        affected_versions,
        member_states,
        severity,
        fix_version,
        nature,
        measures_taken,
        user_measures,
        sensitivity,
        description,
        impact,
        malicious_actor,
        security_update
    );
    out
}

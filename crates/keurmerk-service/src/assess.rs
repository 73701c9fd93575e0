use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use keurmerk_domain::event::{apply, fold, Event, EventKind};
use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use keurmerk_domain::lifecycle::{transition, ActorRole, Command, State};
use keurmerk_domain::model::{Assessment, Certificate, IssuerKind, OrgRole, Verdict};
use keurmerk_domain::scheme::{Obligation, Scheme, SchemeStatus};
use keurmerk_store::{CertificateFilter, FollowUp, NewEvent, Numbering, RegistryStore, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::products::covered;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// The verdicts of an assessment: one per requirement id.
pub type VerdictInput = BTreeMap<String, Verdict>;

/// An assessment to record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewAssessment {
    /// Product.
    pub product: RecordId,
    /// Assessed version.
    pub version: RecordId,
    /// Scheme.
    pub scheme: SchemeId,
    /// Level.
    pub level: LevelId,
    /// Verdict per requirement.
    pub verdicts: VerdictInput,
    /// Evidence references.
    #[serde(default)]
    pub evidence: Vec<String>,
}

pub(crate) fn scheme_level<'a>(
    scheme: &'a Scheme,
    level: &LevelId,
) -> ServiceResult<&'a keurmerk_domain::scheme::Level> {
    scheme.level(level).ok_or_else(|| {
        invalid(
            "level",
            format!("scheme {} has no level `{level}`", scheme.id),
        )
    })
}

/// Checks verdicts against the scheme and says whether the level's requirements are met.
pub(crate) fn judge(
    scheme: &Scheme,
    level: &keurmerk_domain::scheme::Level,
    verdicts: &VerdictInput,
) -> ServiceResult<bool> {
    for (id, v) in verdicts {
        let req = scheme.requirement(id).ok_or_else(|| {
            invalid(
                "verdicts",
                format!("scheme {} has no requirement `{id}`", scheme.id),
            )
        })?;
        if let Verdict::NotApplicable { justification } = v {
            if justification.trim().is_empty() {
                return Err(invalid(
                    "verdicts",
                    format!("`{id}` is marked not applicable without a justification"),
                ));
            }
            if req.obligation == Obligation::Mandatory && !req.conditional {
                return Err(invalid(
                    "verdicts",
                    format!(
                        "`{id}` is mandatory and unconditional, so it cannot be not applicable"
                    ),
                ));
            }
        }
    }
    Ok(scheme.required_at(level).iter().all(|r| {
        matches!(
            verdicts.get(&r.id),
            Some(Verdict::Pass | Verdict::NotApplicable { .. })
        )
    }))
}

pub(crate) fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

impl<S: RegistryStore> Registry<S> {
    pub(crate) fn active_scheme(&self, id: &SchemeId) -> ServiceResult<&Scheme> {
        let s = self
            .catalogue()
            .get(id)
            .ok_or_else(|| invalid("scheme", format!("unknown scheme `{id}`")))?;
        if s.status == SchemeStatus::Legacy {
            return Err(ServiceError::Forbidden(format!(
                "{id} is a legacy scheme and no longer issues"
            )));
        }
        Ok(s)
    }

    /// Records an assessment. A manufacturer may self-assess its own product only at levels the
    /// scheme allows to be self-assessed; an assessment body only for scheme levels its
    /// national authority authorised.
    pub async fn record_assessment(
        &self,
        actor: &Actor,
        new: NewAssessment,
    ) -> ServiceResult<Assessment> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::Manufacturer, OrgRole::AssessmentBody],
                "record assessments",
            )
            .await?;
        let scheme = self.active_scheme(&new.scheme)?;
        let level = scheme_level(scheme, &new.level)?;
        let product = self
            .store()
            .product(&new.product)
            .await?
            .ok_or_else(|| not_found("product", &new.product))?;
        let version = self
            .store()
            .version(&new.version)
            .await?
            .ok_or_else(|| not_found("version", &new.version))?;
        if version.product != product.id {
            return Err(invalid(
                "version",
                format!("{} is not a version of {}", version.id, product.id),
            ));
        }
        let kind = match me.role {
            OrgRole::Manufacturer => {
                if product.manufacturer != me.id {
                    return Err(ServiceError::Forbidden(format!(
                        "{} may only self-assess its own products; {} belongs to {}",
                        me.id, product.id, product.manufacturer
                    )));
                }
                if !level.self_assessment {
                    return Err(ServiceError::Forbidden(format!(
                        "scheme {} does not allow self-assessment at level {}; an independent assessment body must assess it",
                        scheme.id, level.id
                    )));
                }
                IssuerKind::SelfDeclared
            }
            _ => {
                if self
                    .active_authorisation(&me.id, &scheme.id, &level.id)
                    .await?
                    .is_none()
                {
                    return Err(ServiceError::Forbidden(format!(
                        "{} is not authorised by a national authority for {} at level {}",
                        me.id, scheme.id, level.id
                    )));
                }
                IssuerKind::ThirdParty
            }
        };
        for e in &new.evidence {
            crate::orgs::check_text("evidence", e, 500)?;
        }
        let passed = judge(scheme, level, &new.verdicts)?;
        let n = self.store().next_sequence("ASM").await?;
        let a = Assessment {
            id: RecordId::from_sequence("ASM", n),
            product: product.id.clone(),
            version: version.id.clone(),
            scheme: scheme.id.clone(),
            level: level.id.clone(),
            assessor: me.id.clone(),
            assessor_kind: kind,
            verdicts: new.verdicts,
            evidence: new.evidence,
            assessed_at: self.now(),
            passed,
            approved_by: None,
        };
        let audit = self.audit(
            actor,
            "assessment.record",
            &a.id,
            json!({"product": a.product, "scheme": a.scheme, "level": a.level, "passed": passed}),
        );
        self.store().insert_assessment(&a, &audit).await?;
        Ok(a)
    }

    /// One assessment.
    pub async fn assessment(&self, id: &RecordId) -> ServiceResult<Assessment> {
        self.store()
            .assessment(id)
            .await?
            .ok_or_else(|| not_found("assessment", id))
    }

    /// The national authority that authorised the assessing body approves an assessment at a
    /// level that needs approval (CSA Art 56(6)).
    pub async fn approve_assessment(
        &self,
        actor: &Actor,
        id: &RecordId,
    ) -> ServiceResult<Assessment> {
        let me = self
            .acting_as(actor, &[OrgRole::NationalAuthority], "approve assessments")
            .await?;
        let mut a = self.assessment(id).await?;
        if a.assessor_kind != IssuerKind::ThirdParty {
            return Err(invalid(
                "assessment",
                "self-assessments are not approved by an authority",
            ));
        }
        let auth = self
            .active_authorisation(&a.assessor, &a.scheme, &a.level)
            .await?;
        if auth.as_ref().map(|x| &x.granted_by) != Some(&me.id) {
            return Err(ServiceError::Forbidden(format!(
                "{} did not authorise {} for {} {}, so it cannot approve this assessment",
                me.id, a.assessor, a.scheme, a.level
            )));
        }
        if !a.passed {
            return Err(invalid(
                "assessment",
                "a failed assessment cannot be approved",
            ));
        }
        let audit = self.audit(actor, "assessment.approve", &a.id, json!({}));
        self.store()
            .approve_assessment(&a.id, &me.id, &audit)
            .await?;
        a.approved_by = Some(me.id);
        Ok(a)
    }

    /// Issues a certificate (assessment body) or statement of conformity (manufacturer) on a
    /// passed assessment. Only the assessor issues on its own assessment.
    pub async fn certify(
        &self,
        actor: &Actor,
        assessment: &RecordId,
        valid_until: Option<NaiveDate>,
    ) -> ServiceResult<Certificate> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::Manufacturer, OrgRole::AssessmentBody],
                "issue certificates",
            )
            .await?;
        let a = self.assessment(assessment).await?;
        if a.assessor != me.id {
            return Err(ServiceError::Forbidden(format!(
                "only the assessor {} may issue on {}",
                a.assessor, a.id
            )));
        }
        let scheme = self.active_scheme(&a.scheme)?;
        let level = scheme_level(scheme, &a.level)?;
        let authority = match (me.role, a.assessor_kind) {
            (OrgRole::Manufacturer, IssuerKind::SelfDeclared) => {
                if !level.self_assessment || scheme.third_party_only {
                    return Err(ServiceError::Forbidden(format!(
                        "a manufacturer cannot issue a {} {} certificate itself",
                        scheme.id, level.id
                    )));
                }
                // Supervision follows the scheme's jurisdiction: the maker's national authority
                // supervises only where the scheme applies in the maker's member state (a UK
                // PSTI statement or a Singapore CLS label is not supervised by an EU member
                // state; the scheme's own supervisor is named from the scheme data).
                if scheme.applies_in(&me.member_state) {
                    self.store()
                        .orgs()
                        .await?
                        .into_iter()
                        .find(|o| {
                            o.role == OrgRole::NationalAuthority
                                && o.member_state == me.member_state
                        })
                        .map(|o| o.id)
                } else {
                    None
                }
            }
            (OrgRole::AssessmentBody, IssuerKind::ThirdParty) => {
                let auth = self
                    .active_authorisation(&me.id, &a.scheme, &a.level)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::Forbidden(format!(
                            "{} is no longer authorised for {} {}",
                            me.id, a.scheme, a.level
                        ))
                    })?;
                Some(auth.granted_by)
            }
            _ => {
                return Err(ServiceError::Forbidden(
                    "a manufacturer cannot issue third-party certificates".into(),
                ))
            }
        };
        if !a.passed {
            return Err(invalid(
                "assessment",
                format!(
                    "{} did not meet every requirement of {} {}",
                    a.id, a.scheme, a.level
                ),
            ));
        }
        if level.authority_approval && a.approved_by.is_none() {
            return Err(ServiceError::Forbidden(format!(
                "level {} of {} needs the national authority's approval of {} first",
                level.id, scheme.id, a.id
            )));
        }
        let now = self.now();
        let today = now.date_naive();
        let support = self.store().support(&a.product).await?;
        let mut max = add_months(today, scheme.policy.max_validity_months);
        if scheme.policy.valid_only_while_supported {
            // The scheme's labels are valid only while the product gets security updates: no
            // label for a product whose support has ended (or was never stated), and none that
            // outlives its support.
            let Some(s) = &support else {
                return Err(invalid(
                    "support",
                    format!(
                        "{} labels are valid only while the product is supported, and the maker has not stated how long {} is supported",
                        scheme.id, a.product
                    ),
                ));
            };
            if s.support_until < today {
                return Err(invalid(
                    "support",
                    format!(
                        "support for {} ended on {}; {} labels are valid only while the product is supported",
                        a.product, s.support_until, scheme.id
                    ),
                ));
            }
            max = max.min(s.support_until);
        }
        let valid_until = valid_until.unwrap_or(max);
        if valid_until <= today || valid_until > max {
            return Err(invalid(
                "valid_until",
                format!(
                    "must be after {today} and at most {} months ahead ({max}){}",
                    scheme.policy.max_validity_months,
                    if scheme.policy.valid_only_while_supported {
                        ", and not after the end of support"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let product = self
            .store()
            .product(&a.product)
            .await?
            .ok_or_else(|| not_found("product", &a.product))?;
        let version = self
            .store()
            .version(&a.version)
            .await?
            .ok_or_else(|| not_found("version", &a.version))?;
        let mut dependencies = Vec::new();
        for d in self.store().dependencies(&product.id).await? {
            dependencies.push(self.dependency_snapshot(&d).await?);
        }
        // One assessment gives one certificate.
        let of_product = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(product.id.clone()),
                ..Default::default()
            })
            .await?;
        if let Some(c) = of_product.iter().find(|c| c.assessment == a.id) {
            return Err(one_certificate(&a.id, c.id.as_str()));
        }
        let counter = format!("KM-{}", today.year());
        for attempt in 0..ISSUE_ATTEMPTS {
            if attempt > 0 {
                crate::lifecycle::backoff(attempt).await;
            }
            // The number is taken in the issuing transaction (only if it is still free), so a
            // refused or failed certify never uses one up.
            let n = self.store().current_sequence(&counter).await? + 1;
            let id = CertificateId::from_sequence(today.year(), n);
            let cert = Certificate {
                id: id.clone(),
                product: product.id.clone(),
                holder: product.manufacturer.clone(),
                scheme: a.scheme.clone(),
                level: a.level.clone(),
                issuer: me.id.clone(),
                issuer_kind: a.assessor_kind,
                authority: authority.clone(),
                assessment: a.id.clone(),
                issued_at: now,
                valid_until,
                state: State::Active,
            };
            let event = Event {
                seq: 0,
                certificate: id.clone(),
                at: now,
                actor: me.id.clone(),
                role: ActorRole::Issuer,
                kind: EventKind::Issued {
                    product: product.id.clone(),
                    holder: product.manufacturer.clone(),
                    scheme: a.scheme.clone(),
                    level: a.level.clone(),
                    issuer: me.id.clone(),
                    issuer_kind: a.assessor_kind,
                    authority: authority.clone(),
                    assessment: a.id.clone(),
                    valid_until,
                    support_until: support.as_ref().map(|s| s.support_until),
                    versions: vec![covered(&version)],
                    dependencies: dependencies.clone(),
                },
            };
            let replaced = self.supersessions(&cert, &me.id).await?;
            let audit = self.audit(
                actor,
                "certificate.issue",
                &id,
                json!({
                    "assessment": a.id,
                    "issuer_kind": a.assessor_kind,
                    "supersedes": replaced.iter().map(|r| r.event.certificate.to_string()).collect::<Vec<_>>(),
                }),
            );
            let statement = self
                .signed_statement(&event, a.scheme.as_str(), a.level.as_str())
                .await?;
            let also: Vec<NewEvent<'_>> = replaced.iter().map(Supersession::new_event).collect();
            let numbering = Numbering {
                counter: counter.clone(),
                number: n,
            };
            match self
                .store()
                .issue_numbered(&cert, &event, &statement, &numbering, &also, &audit)
                .await
            {
                Ok(appended) => {
                    self.refresh_after_write(&cert.id).await;
                    for r in &replaced {
                        self.refresh_after_write(&r.event.certificate).await;
                        self.complete_follow_ups_of(&r.event.certificate).await;
                    }
                    for done in appended {
                        self.logged(done.queue_id).await?;
                    }
                    return Ok(cert);
                }
                // The number was taken, or a replaced certificate changed: try again.
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::AlreadyExists { id, .. }) => {
                    return Err(one_certificate(&a.id, &id))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(
            "certificates are being issued too often; nothing was written, try again".into(),
        ))
    }

    /// The supersession of every live certificate of the same product under the same scheme,
    /// recorded by the new certificate's issuer (or by the registry when another organisation
    /// issued the one it replaces).
    async fn supersessions(
        &self,
        new: &Certificate,
        actor: &OrgId,
    ) -> ServiceResult<Vec<Supersession>> {
        let live = self
            .store()
            .certificates(&CertificateFilter {
                product: Some(new.product.clone()),
                scheme: Some(new.scheme.clone()),
                ..Default::default()
            })
            .await?;
        let mut out = Vec::new();
        for old in live.into_iter().filter(|c| !c.state.is_terminal()) {
            let (_, last_seq) = self
                .store()
                .certificate(&old.id)
                .await?
                .ok_or_else(|| not_found("certificate", &old.id))?;
            let mut view = fold(&self.store().events(&old.id).await?)?;
            let role = if &old.issuer == actor {
                ActorRole::Issuer
            } else {
                ActorRole::Registry
            };
            transition(view.state, Command::Supersede, role)?;
            let event = Event {
                seq: last_seq + 1,
                certificate: old.id.clone(),
                at: new.issued_at,
                actor: actor.clone(),
                role,
                kind: EventKind::Superseded { by: new.id.clone() },
            };
            apply(&mut view, &event)?;
            let statement = self
                .signed_statement(&event, view.scheme.as_str(), view.level.as_str())
                .await?;
            out.push(Supersession {
                follow_ups: vec![FollowUp::Dependents {
                    provider: old.id.clone(),
                    actor: actor.clone(),
                }],
                event,
                state: view.state,
                last_seq,
                statement,
            });
        }
        Ok(out)
    }
}

/// How often certify retries when the number it chose was taken meanwhile.
const ISSUE_ATTEMPTS: u32 = 8;

fn one_certificate(assessment: &RecordId, certificate: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "{assessment} already gave certificate {certificate}; one assessment gives one \
         certificate (nothing was written; record a new assessment to certify again)"
    ))
}

/// A live certificate replaced by a new one, ready to be written with it.
struct Supersession {
    event: Event,
    state: State,
    last_seq: i64,
    statement: Vec<u8>,
    follow_ups: Vec<FollowUp>,
}

impl Supersession {
    fn new_event(&self) -> NewEvent<'_> {
        NewEvent {
            event: &self.event,
            new_state: self.state,
            expected_last_seq: self.last_seq,
            log_entry: &self.statement,
            follow_ups: &self.follow_ups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_months_clamps_to_month_end() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            add_months(d, 1),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }
}

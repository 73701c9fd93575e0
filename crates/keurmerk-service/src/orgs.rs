use chrono::NaiveDate;
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::model::{Authorisation, OrgRole, Organisation};
use keurmerk_domain::scheme::SchemeStatus;
use keurmerk_store::RegistryStore;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// A new organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NewOrganisation {
    /// Identifier (lowercase letters, digits, '-').
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: OrgRole,
    /// ISO 3166-1 alpha-2 member state.
    pub member_state: String,
    /// Public contact.
    pub contact: Option<String>,
}

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> ServiceResult<()> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

impl<S: RegistryStore> Registry<S> {
    /// Creates the registry operator on an empty registry (there can be only one bootstrap).
    pub async fn bootstrap_operator(&self, new: NewOrganisation) -> ServiceResult<Organisation> {
        if new.role != OrgRole::RegistryOperator {
            return Err(invalid(
                "role",
                "the first organisation must be the registry operator",
            ));
        }
        if self
            .store()
            .orgs()
            .await?
            .iter()
            .any(|o| o.role == OrgRole::RegistryOperator)
        {
            return Err(ServiceError::Forbidden(
                "the registry already has an operator".into(),
            ));
        }
        let by = self.local_actor(&new.id)?;
        self.insert_org(&by, new).await
    }

    /// Registers an organisation. The registry operator may register anyone; a national
    /// authority may register assessment bodies of its own member state.
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        new: NewOrganisation,
    ) -> ServiceResult<Organisation> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::RegistryOperator, OrgRole::NationalAuthority],
                "register organisations",
            )
            .await?;
        if me.role == OrgRole::NationalAuthority
            && (new.role != OrgRole::AssessmentBody
                || !new
                    .member_state
                    .trim()
                    .eq_ignore_ascii_case(&me.member_state))
        {
            return Err(ServiceError::Forbidden(format!(
                "a national authority may only register assessment bodies in {}",
                me.member_state
            )));
        }
        if new.role == OrgRole::RegistryOperator {
            return Err(ServiceError::Forbidden(
                "there is only one registry operator".into(),
            ));
        }
        self.insert_org(actor, new).await
    }

    async fn insert_org(&self, actor: &Actor, new: NewOrganisation) -> ServiceResult<Organisation> {
        check_text("name", &new.name, 200)?;
        let ms =
            keurmerk_domain::jurisdiction::check_member_state(self.catalogue(), &new.member_state)
                .map_err(|e| invalid("member_state", e.to_string()))?;
        if let Some(c) = &new.contact {
            check_text("contact", c, 300)?;
        }
        let org = Organisation {
            id: new.id,
            name: new.name.trim().to_owned(),
            role: new.role,
            member_state: ms,
            contact: new.contact,
            created_at: self.now(),
        };
        let audit = self.audit(
            actor,
            "organisation.create",
            &org.id,
            json!({"role": org.role, "name": org.name}),
        );
        self.store().insert_org(&org, &audit).await?;
        self.trust_changed();
        Ok(org)
    }

    /// All organisations.
    pub async fn organisations(&self) -> ServiceResult<Vec<Organisation>> {
        Ok(self.store().orgs().await?)
    }

    /// One organisation.
    pub async fn organisation(&self, id: &OrgId) -> ServiceResult<Organisation> {
        self.store()
            .org(id)
            .await?
            .ok_or_else(|| not_found("organisation", id))
    }

    /// A national authority authorises an assessment body of its member state for a scheme level,
    /// without an end (until revoked).
    pub async fn authorise(
        &self,
        actor: &Actor,
        body: &OrgId,
        scheme: &SchemeId,
        level: &LevelId,
    ) -> ServiceResult<Authorisation> {
        self.authorise_until(actor, body, scheme, level, None).await
    }

    /// A national authority authorises an assessment body of its member state for a scheme level,
    /// up to and including the day `until` (UTC) when given: afterwards it has lapsed, as if
    /// revoked then (the trust list scopes the body's key to it, the scheduler acts on the
    /// body's certificates). Granting again replaces the period.
    pub async fn authorise_until(
        &self,
        actor: &Actor,
        body: &OrgId,
        scheme: &SchemeId,
        level: &LevelId,
        until: Option<NaiveDate>,
    ) -> ServiceResult<Authorisation> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::NationalAuthority],
                "authorise assessment bodies",
            )
            .await?;
        let cab = self.organisation(body).await?;
        if cab.role != OrgRole::AssessmentBody {
            return Err(invalid(
                "body",
                format!("{} is a {}, not an assessment body", cab.id, cab.role),
            ));
        }
        if cab.member_state != me.member_state {
            return Err(ServiceError::Forbidden(format!(
                "{} supervises {}, but {} is established in {}",
                me.id, me.member_state, cab.id, cab.member_state
            )));
        }
        let s = self
            .catalogue()
            .get(scheme)
            .ok_or_else(|| not_found("scheme", scheme))?;
        if s.status == SchemeStatus::Legacy {
            return Err(invalid(
                "scheme",
                format!("{scheme} no longer issues certificates"),
            ));
        }
        if s.level(level).is_none() {
            return Err(invalid(
                "level",
                format!("scheme {scheme} has no level `{level}`"),
            ));
        }
        let expires_at = match until {
            None => None,
            Some(last) => {
                let end = last
                    .succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
                    .ok_or_else(|| invalid("until", format!("{last} is out of range")))?;
                if end <= self.now() {
                    return Err(invalid(
                        "until",
                        format!("{last} has passed: an authorisation must end in the future"),
                    ));
                }
                Some(end)
            }
        };
        // The trust list scopes the body's key by `granted_at`..its end (one row per body,
        // scheme and level): a re-grant keeps the first `granted_at`, so what the body signed
        // under the earlier grant keeps verifying. (A revoked-then-regranted interval thus
        // covers the gap too; keeping every interval needs a history table.)
        let first_granted = self
            .store()
            .authorisations(&cab.id)
            .await?
            .into_iter()
            .find(|a| &a.scheme == scheme && &a.level == level)
            .map(|a| a.granted_at);
        let a = Authorisation {
            body: cab.id.clone(),
            scheme: scheme.clone(),
            level: level.clone(),
            granted_by: me.id.clone(),
            granted_at: first_granted.unwrap_or_else(|| self.now()),
            revoked_at: None,
            expires_at,
        };
        let audit = self.audit(
            actor,
            "authorisation.grant",
            &cab.id,
            json!({"scheme": scheme, "level": level, "until": until}),
        );
        self.store().upsert_authorisation(&a, &audit).await?;
        self.trust_changed();
        Ok(a)
    }

    /// The authority that granted an authorisation revokes it.
    pub async fn revoke_authorisation(
        &self,
        actor: &Actor,
        body: &OrgId,
        scheme: &SchemeId,
        level: &LevelId,
    ) -> ServiceResult<Authorisation> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::NationalAuthority],
                "revoke authorisations",
            )
            .await?;
        let mut a = self
            .store()
            .authorisations(body)
            .await?
            .into_iter()
            .find(|a| &a.scheme == scheme && &a.level == level && a.in_force_at(self.now()))
            .ok_or_else(|| not_found("authorisation", format!("{body}/{scheme}/{level}")))?;
        if a.granted_by != me.id {
            return Err(ServiceError::Forbidden(format!(
                "only {} may revoke this authorisation",
                a.granted_by
            )));
        }
        a.revoked_at = Some(self.now());
        let audit = self.audit(
            actor,
            "authorisation.revoke",
            body,
            json!({"scheme": scheme, "level": level}),
        );
        self.store().upsert_authorisation(&a, &audit).await?;
        self.trust_changed();
        Ok(a)
    }

    /// The authorisation of a body for a scheme level in force now (not revoked, not lapsed), if
    /// any.
    pub(crate) async fn active_authorisation(
        &self,
        body: &OrgId,
        scheme: &SchemeId,
        level: &LevelId,
    ) -> ServiceResult<Option<Authorisation>> {
        Ok(self
            .store()
            .authorisations(body)
            .await?
            .into_iter()
            .find(|a| &a.scheme == scheme && &a.level == level && a.in_force_at(self.now())))
    }
}

//! Use cases of the HTTP API: API tokens (managed by the registry operator) and the key of the
//! complaint form (complaints themselves: [`crate::complaints`]).
//!
//! Secrets never reach this layer: callers generate a token's secret and pass only its SHA-256,
//! so nothing here can log or store a secret.

use keurmerk_domain::ids::{OrgId, RecordId};
use keurmerk_domain::model::OrgRole;
use keurmerk_store::{ApiStore, ApiToken, RegistryStore};
use serde_json::json;

use crate::error::{invalid, not_found};
use crate::orgs::check_text;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// The name of the complaint form's key among the shared keys.
const COMPLAINT_FORM_KEY: &str = "complaint_form";

/// Who manages tokens: the registry operator over the API, or whoever holds the database (CLI).
#[derive(Debug, Clone)]
pub enum TokenAdmin<'a> {
    /// An authenticated API caller; must be the registry operator.
    Api(&'a Actor),
    /// Local access to the database (the `keurmerk token` command): trusted like the operator.
    Local,
}

/// Whether `s` is a SHA-256 as stored: 64 lowercase hex digits.
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl<S: RegistryStore + ApiStore> Registry<S> {
    async fn token_admin(&self, admin: &TokenAdmin<'_>, action: &str) -> ServiceResult<()> {
        if let TokenAdmin::Api(actor) = admin {
            self.acting_as(actor, &[OrgRole::RegistryOperator], action)
                .await?;
        }
        Ok(())
    }

    /// Who a token change is attributed to: the API caller, or with local access the token's
    /// organisation acting with the operator's credential.
    fn token_admin_actor(&self, admin: &TokenAdmin<'_>, org: &OrgId) -> ServiceResult<Actor> {
        match admin {
            TokenAdmin::Api(a) => Ok((*a).clone()),
            TokenAdmin::Local => self.local_actor(org),
        }
    }

    /// Creates an API token for an organisation. The token acts with the organisation's role.
    pub async fn create_token(
        &self,
        admin: TokenAdmin<'_>,
        org: &OrgId,
        name: &str,
        secret_sha256: String,
    ) -> ServiceResult<ApiToken> {
        self.token_admin(&admin, "create API tokens").await?;
        let org = self.organisation(org).await?;
        check_text("name", name, 100)?;
        if !is_sha256_hex(&secret_sha256) {
            return Err(invalid("secret_sha256", "must be 64 lowercase hex digits"));
        }
        let n = self.store().next_sequence("TOK").await?;
        let t = ApiToken {
            id: RecordId::from_sequence("TOK", n),
            org: org.id.clone(),
            name: name.trim().to_owned(),
            secret_sha256,
            created_at: self.now(),
            revoked_at: None,
        };
        let by = self.token_admin_actor(&admin, &org.id)?;
        let audit = self.audit(
            &by,
            "token.create",
            &t.id,
            json!({"org": t.org, "name": t.name, "local": matches!(admin, TokenAdmin::Local)}),
        );
        self.store().insert_token(&t, &audit).await?;
        Ok(t)
    }

    /// Revokes a token; it stops working at once.
    pub async fn revoke_token(
        &self,
        admin: TokenAdmin<'_>,
        id: &RecordId,
    ) -> ServiceResult<ApiToken> {
        self.token_admin(&admin, "revoke API tokens").await?;
        let mut t = self
            .store()
            .token(id)
            .await?
            .ok_or_else(|| not_found("token", id))?;
        if t.revoked_at.is_some() {
            return Err(ServiceError::Conflict(format!("{id} is already revoked")));
        }
        let by = self.token_admin_actor(&admin, &t.org)?;
        let now = self.now();
        let audit = self.audit(&by, "token.revoke", id, json!({"org": t.org}));
        self.store().revoke_token(id, now, &audit).await?;
        t.revoked_at = Some(now);
        Ok(t)
    }

    /// Every token (without secrets).
    pub async fn tokens(&self, admin: TokenAdmin<'_>) -> ServiceResult<Vec<ApiToken>> {
        self.token_admin(&admin, "list API tokens").await?;
        Ok(self.store().tokens().await?)
    }

    /// The stored token with this id, for authentication by the caller (who compares hashes).
    pub async fn token_for_authentication(&self, id: &RecordId) -> ServiceResult<Option<ApiToken>> {
        Ok(self.store().token(id).await?)
    }

    /// The key that signs complaint form tokens, shared by every instance on this database:
    /// the stored one, or `candidate` (which the caller draws at random) if none is stored yet.
    /// It is a secret: never log it.
    pub async fn complaint_form_key(&self, candidate: &str) -> ServiceResult<String> {
        Ok(self
            .store()
            .shared_key(COMPLAINT_FORM_KEY, candidate, self.now())
            .await?)
    }
}

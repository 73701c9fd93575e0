//! Sessions of the authority's complaint pages (issue 13 item 6).
//!
//! A national authority signs in with its API token (checked by the HTTP layer exactly as for
//! the API); [`Registry::start_authority_session`] then gives a random 256-bit session id for a
//! cookie and a form token, and stores only the id's SHA-256. What a stolen cookie gives: the
//! complaint pages of that one authority, for at most [`SESSION_HOURS`] hours, until sign-out or
//! until the API token is revoked — never the API token itself. Every use re-checks the token
//! and the organisation's role, and the complaint use cases authorise each step again, so the
//! session adds no power of its own.

use chrono::{DateTime, Duration, Utc};
use keurmerk_domain::model::{OrgRole, Organisation};
use keurmerk_store::{ApiStore, Credential, PageSession, RegistryStore, SessionStore};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Actor, Registry, ServiceError, ServiceResult};

/// How long a session lasts after sign-in.
pub const SESSION_HOURS: i64 = 8;
/// How far the clock may seem to run backwards before a session is refused as not yet begun
/// (a clock that jumped must not stretch a session).
const CLOCK_SKEW_MINUTES: i64 = 5;

/// A session just started: the cookie value and the form token, shown to the browser once.
#[derive(Clone)]
pub struct NewSession {
    /// The session id for the cookie (64 lowercase hex digits).
    pub cookie: String,
    /// The form token for the session's posts.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A session in force: who acts, and the form token its posts must carry.
#[derive(Clone)]
pub struct AuthoritySession {
    /// The authority, acting with the API token it signed in with.
    pub actor: Actor,
    /// The organisation.
    pub org: Organisation,
    /// The form token.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for AuthoritySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthoritySession")
            .field("actor", &self.actor)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

/// The stored digest of a cookie value; anything but 64 lowercase hex digits is no session.
fn digest(cookie: &str) -> Option<String> {
    (cookie.len() == 64
        && cookie
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    .then(|| hex::encode(Sha256::digest(cookie.as_bytes())))
}

fn not_signed_in(why: &str) -> ServiceError {
    ServiceError::Unauthenticated(format!("not signed in to the authority pages: {why}"))
}

impl<S: RegistryStore + ApiStore + SessionStore> Registry<S> {
    /// Starts a session of the complaint pages for an authority that proved itself with an
    /// API token. Refused for any other role and for any credential but an API token.
    pub async fn start_authority_session(&self, actor: &Actor) -> ServiceResult<NewSession> {
        let me = self
            .acting_as(
                actor,
                &[OrgRole::NationalAuthority],
                "sign in to the authority's complaint pages",
            )
            .await?;
        let Credential::ApiToken(token) = &actor.credential else {
            return Err(ServiceError::Forbidden(
                "the authority pages are opened with an API token".into(),
            ));
        };
        let now = self.now();
        let (cookie, csrf) = (random_hex(), random_hex());
        let expires_at = now + Duration::hours(SESSION_HOURS);
        let row = PageSession {
            id_sha256: hex::encode(Sha256::digest(cookie.as_bytes())),
            org: me.id.clone(),
            token: token.clone(),
            csrf: csrf.clone(),
            created_at: now,
            expires_at,
        };
        let audit = self.audit(
            actor,
            "session.start",
            &me.id,
            json!({"token": token, "expires_at": expires_at}),
        );
        self.store().insert_session(&row, &audit).await?;
        Ok(NewSession {
            cookie,
            csrf,
            expires_at,
        })
    }

    /// The session a cookie stands for, if it is in force: known, begun and not expired (by
    /// the registry's clock), its API token still valid, its organisation still a national
    /// authority. Anything else is [`ServiceError::Unauthenticated`] (or `Forbidden` for a
    /// role that changed).
    pub async fn authority_session(&self, cookie: &str) -> ServiceResult<AuthoritySession> {
        let d = digest(cookie).ok_or_else(|| not_signed_in("no valid session"))?;
        let s = self
            .store()
            .session(&d)
            .await?
            .ok_or_else(|| not_signed_in("no valid session"))?;
        let now = self.now();
        if now >= s.expires_at || now < s.created_at - Duration::minutes(CLOCK_SKEW_MINUTES) {
            return Err(not_signed_in("the session has expired"));
        }
        let token_ok = self
            .store()
            .token(&s.token)
            .await?
            .is_some_and(|t| t.revoked_at.is_none() && t.org == s.org);
        if !token_ok {
            return Err(not_signed_in("the API token it was opened with is revoked"));
        }
        let actor = Actor::token(s.org.clone(), s.token.clone());
        let org = self
            .acting_as(
                &actor,
                &[OrgRole::NationalAuthority],
                "use the authority's complaint pages",
            )
            .await?;
        Ok(AuthoritySession {
            actor,
            org,
            csrf: s.csrf,
            expires_at: s.expires_at,
        })
    }

    /// Ends a session (sign-out): audited when there was one; an unknown cookie ends nothing.
    pub async fn end_authority_session(&self, cookie: &str) -> ServiceResult<()> {
        let Some(d) = digest(cookie) else {
            return Ok(());
        };
        let Some(s) = self.store().session(&d).await? else {
            return Ok(());
        };
        let actor = Actor::token(s.org.clone(), s.token.clone());
        let audit = self.audit(&actor, "session.end", &s.org, json!({"token": s.token}));
        self.store().delete_session(&d, Some(&audit)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_lowercase_hex_digits_are_a_session_id() {
        let id = random_hex();
        assert_eq!(id.len(), 64);
        assert_ne!(id, random_hex());
        assert!(digest(&id).is_some());
        for bad in [
            "",
            "abc",
            &id[..63],
            &id.to_uppercase(),
            &format!("{id}0"),
            &"g".repeat(64),
        ] {
            if bad != id {
                assert_eq!(digest(bad), None, "{bad}");
            }
        }
    }
}

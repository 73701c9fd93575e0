//! API tokens on the wire: `Authorization: Bearer kmt_<TOKEN-ID>_<64 hex digits>`.
//!
//! The secret is 256 random bits; only its SHA-256 is stored. A presented token is looked up by
//! its (public) id and its hash compared in constant time. Secrets are never logged: [`Secret`]
//! redacts itself in `Debug` and the extractor logs only token ids.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use keurmerk_domain::ids::RecordId;
use keurmerk_service::{Actor, WatchGrant};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::AppState;

const PREFIX: &str = "kmt_";
/// Prefix of watch-list management keys: `kmw_<WL-ID>_<64 hex digits>`.
const WATCH_PREFIX: &str = "kmw_";

/// A freshly generated token secret, shown once.
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// 256 random bits from the operating system's generator, as hex.
    pub fn generate() -> Self {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self(hex::encode(b))
    }

    /// The SHA-256 to store.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.0)
    }

    /// The bearer token the client sends, for a token id.
    pub fn bearer(&self, id: &RecordId) -> String {
        format!("{PREFIX}{id}_{}", self.0)
    }

    /// The management key of a watch-list.
    pub fn watch_key(&self, id: &RecordId) -> String {
        format!("{WATCH_PREFIX}{id}_{}", self.0)
    }

    /// As a webhook signing secret (`whsec_…`).
    pub fn webhook_secret(&self) -> String {
        format!("whsec_{}", self.0)
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Splits a presented token into its id and secret.
fn parse(token: &str) -> Option<(RecordId, &str)> {
    parse_with(PREFIX, token)
}

fn parse_with<'t>(prefix: &str, token: &'t str) -> Option<(RecordId, &'t str)> {
    let rest = token.strip_prefix(prefix)?;
    let (id, secret) = rest.rsplit_once('_')?;
    if secret.len() != 64 {
        return None;
    }
    Some((RecordId::new(id).ok()?, secret))
}

/// Checks a bearer token; `None` when unknown, wrong or revoked.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<Actor>, ApiError> {
    let Some((id, secret)) = parse(token) else {
        return Ok(None);
    };
    let Some(stored) = state.registry.token_for_authentication(&id).await? else {
        return Ok(None);
    };
    let presented = sha256_hex(secret);
    let same: bool = presented
        .as_bytes()
        .ct_eq(stored.secret_sha256.as_bytes())
        .into();
    if !same || stored.revoked_at.is_some() {
        tracing::info!(token = %id, "rejected API token");
        return Ok(None);
    }
    Ok(Some(Actor::token(stored.org, stored.id)))
}

/// An authenticated caller (401 otherwise).
#[derive(Debug, Clone)]
pub struct Authed(pub Actor);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized("this needs an API token: Authorization: Bearer <token>")
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        match authenticate(state, token).await? {
            Some(actor) => Ok(Authed(actor)),
            None => Err(ApiError::unauthorized(
                "the API token is unknown, wrong or revoked",
            )),
        }
    }
}

fn bearer_of(parts: &Parts, what: &str) -> Result<String, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(format!("this needs {what}: Authorization: Bearer <key>"))
        })?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))
}

/// A caller holding a watch-list's management key (401 otherwise). Handlers still check that
/// the key is for the watch-list named in the path ([`keurmerk_service::Registry::grant_for`]).
#[derive(Debug, Clone)]
pub struct WatchKey(pub WatchGrant);

impl FromRequestParts<AppState> for WatchKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_of(parts, "the watch-list's key")?;
        let Some((id, secret)) = parse_with(WATCH_PREFIX, &token) else {
            return Err(ApiError::unauthorized(
                "a watch-list key looks like kmw_<WL-ID>_<64 hex digits>",
            ));
        };
        Ok(WatchKey(state.registry.watch_grant(&id, secret).await?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_round_trip_and_redact() {
        let s = Secret::generate();
        let id = RecordId::new("TOK-000001").unwrap();
        let bearer = s.bearer(&id);
        let (pid, secret) = parse(&bearer).unwrap();
        assert_eq!(pid, id);
        assert_eq!(sha256_hex(secret), s.sha256());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(parse("kmt_TOK-000001_short").is_none());
        assert!(parse("TOK-000001").is_none());
        let wl = RecordId::new("WL-000001").unwrap();
        let key = s.watch_key(&wl);
        assert!(parse(&key).is_none(), "a watch key is not an API token");
        assert_eq!(parse_with(WATCH_PREFIX, &key).unwrap().0, wl);
        assert!(s.webhook_secret().starts_with("whsec_"));
    }
}

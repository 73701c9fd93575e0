//! Signing keys of the issuing organisations and of the registry (SPEC §7, issue 3).
//!
//! Private keys live in a key directory (one `<key-id>.key` file holding the 32-byte Ed25519 seed
//! as hex, mode 0600, in a directory of mode 0700) or, for tests and the in-process demo, in
//! memory. Only public metadata goes to the database (`signing_keys`), from which the trust list
//! is built. A [`Signer`] never prints a secret: its `Debug` shows where the keys are, not what.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use keurmerk_domain::event::fold;
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_domain::model::{Certificate, IssuerKind, OrgRole, Product};
use keurmerk_domain::status::{LabelStatus, StatusReport};
use keurmerk_store::{Audit, KeyRecord, KeyStore, PublishedTrustList, RegistryStore};
use keurmerk_trust::{
    CertStatus, KeyId, KeyInfo, PublicKey, Role, SigningKey, StatusResponse, TokenClaims,
    TrustList, TRUST_LIST_VERSION,
};
use serde_json::json;

use crate::error::invalid;
use crate::{Registry, ServiceError, ServiceResult};

/// The organisation id recorded for the root key when no registry operator exists yet.
pub const ROOT_ORG: &str = "registry";

/// How long a new key is valid unless said otherwise.
pub const DEFAULT_KEY_VALIDITY_DAYS: i64 = 3 * 365;

/// How long a published trust list is current (`next_update - issued_at`).
pub const TRUST_LIST_VALIDITY_DAYS: i64 = 7;

/// Where private keys are kept.
#[derive(Clone)]
pub enum Secrets {
    /// A directory of `<key-id>.key` files (mode 0600; the directory 0700).
    Dir(PathBuf),
    /// In memory only (tests, `serve --demo` without a key directory).
    Memory(Arc<Mutex<HashMap<String, SigningKey>>>),
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secrets::Dir(p) => write!(f, "Secrets::Dir({})", p.display()),
            Secrets::Memory(_) => f.write_str("Secrets::Memory(<redacted>)"),
        }
    }
}

fn key_dir_error(path: &Path, what: &str, e: impl std::fmt::Display) -> ServiceError {
    invalid(
        "key directory",
        format!("cannot {what} {}: {e}", path.display()),
    )
}

impl Secrets {
    /// Keys in memory only.
    pub fn memory() -> Self {
        Secrets::Memory(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Keys in a directory (created with mode 0700 on first write).
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Secrets::Dir(path.into())
    }

    fn file(dir: &Path, id: &KeyId) -> PathBuf {
        dir.join(format!("{id}.key"))
    }

    /// Stores a new private key; never overwrites one.
    pub fn save(&self, key: &SigningKey) -> ServiceResult<()> {
        match self {
            Secrets::Memory(m) => {
                // A poisoned lock only means another thread panicked mid-insert; the map itself
                // is still a valid map.
                let mut m = m.lock().unwrap_or_else(|p| p.into_inner());
                m.insert(key.key_id().to_string(), key.clone());
                Ok(())
            }
            Secrets::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| key_dir_error(dir, "create", e))?;
                restrict(dir, 0o700).map_err(|e| key_dir_error(dir, "restrict", e))?;
                let path = Self::file(dir, &key.key_id());
                write_secret(&path, &key.to_seed_hex())
                    .map_err(|e| key_dir_error(&path, "write", e))
            }
        }
    }

    /// Loads a private key by id, if present.
    pub fn load(&self, id: &KeyId) -> ServiceResult<Option<SigningKey>> {
        match self {
            Secrets::Memory(m) => {
                let m = m.lock().unwrap_or_else(|p| p.into_inner());
                Ok(m.get(&id.to_string()).cloned())
            }
            Secrets::Dir(dir) => {
                let path = Self::file(dir, id);
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(key_dir_error(&path, "read", e)),
                };
                let key = SigningKey::from_seed_hex(&text)
                    .map_err(|e| key_dir_error(&path, "decode", e))?;
                if key.key_id() != *id {
                    return Err(key_dir_error(
                        &path,
                        "use",
                        format!("it holds key {}, not {id}", key.key_id()),
                    ));
                }
                Ok(Some(key))
            }
        }
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

fn write_secret(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

/// The signing machinery of a registry: public key metadata (database) plus private keys.
#[derive(Clone)]
pub struct Signer {
    keys: Arc<dyn KeyStore>,
    secrets: Secrets,
    log_verifier_key: String,
    base_url: String,
}

/// A trust list with unchanged keys is re-signed (fresh `issued_at`, `next_update` and sequence)
/// after this long, well within its validity.
pub const TRUST_LIST_REISSUE_SECS: i64 = 3600;

/// Where labels point by default (`KEURMERK_BASE_URL`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// How long a signed status response is current (`next_update - produced_at`).
pub const STATUS_VALIDITY_SECS: i64 = 3600;

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer over key metadata in `keys` and private keys in `secrets`.
    pub fn new(keys: Arc<dyn KeyStore>, secrets: Secrets) -> Self {
        Self {
            keys,
            secrets,
            log_verifier_key: String::new(),
            base_url: DEFAULT_BASE_URL.to_owned(),
        }
    }

    /// Sets the public base URL that label QR codes point to (no trailing slash needed).
    pub fn with_base_url(mut self, base: impl Into<String>) -> Self {
        self.base_url = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// The public base URL of labels.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sets the transparency log's verifier key published in the trust list.
    pub fn with_log_verifier_key(mut self, key: impl Into<String>) -> Self {
        self.log_verifier_key = key.into();
        self
    }

    /// The private keys.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The key metadata store.
    pub fn key_store(&self) -> &dyn KeyStore {
        self.keys.as_ref()
    }
}

/// The validity of a new key. What the key may sign is not chosen here: the registry computes
/// its scope from its data (authorisations, the scheme catalogue) every time it builds the trust
/// list ([`Registry::trust_list`]), so a change of authorisation changes the published scope.
#[derive(Debug, Clone, Default)]
pub struct KeyScope {
    /// Start of validity (default: now).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of validity (default: [`DEFAULT_KEY_VALIDITY_DAYS`] after `valid_from`).
    pub valid_until: Option<DateTime<Utc>>,
}

/// The trust-list role of an organisation's keys.
pub fn role_of(role: OrgRole) -> Role {
    match role {
        OrgRole::NationalAuthority => Role::NationalAuthority,
        OrgRole::AssessmentBody => Role::AssessmentBody,
        OrgRole::Manufacturer => Role::Manufacturer,
        OrgRole::RegistryOperator => Role::Registry,
    }
}

fn role_str(role: Role) -> String {
    match serde_json::to_value(role) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{role:?}"),
    }
}

pub(crate) fn corrupt_key(k: &KeyRecord, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(keurmerk_store::StoreError::Corrupt {
        what: "signing key",
        detail: format!("{}: {e}", k.key_id),
    })
}

/// Converts a stored record into trust-list metadata, without its scope (which
/// [`Registry::trust_list`] computes from the registry's data).
pub fn key_info(k: &KeyRecord) -> ServiceResult<KeyInfo> {
    let public_key = PublicKey::from_base64(&k.public_key).map_err(|e| corrupt_key(k, e))?;
    let role: Role = serde_json::from_value(json!(k.role)).map_err(|e| corrupt_key(k, e))?;
    Ok(KeyInfo {
        key_id: KeyId::parse(&k.key_id).map_err(|e| corrupt_key(k, e))?,
        public_key,
        organisation_id: k.org_id.clone(),
        organisation_name: k.org_name.clone(),
        role,
        member_state: None,
        scope: Vec::new(),
        valid_from: k.valid_from,
        valid_until: k.valid_until,
        revoked_at: k.revoked_at,
    })
}

/// The signed status of a label status: the one place the registry's statuses map to the wire.
pub fn cert_status(s: LabelStatus) -> CertStatus {
    match s {
        LabelStatus::Valid => CertStatus::Valid,
        LabelStatus::Attention => CertStatus::Attention,
        LabelStatus::Suspended => CertStatus::Suspended,
        LabelStatus::SupportEnded => CertStatus::SupportEnded,
        LabelStatus::Expired => CertStatus::Expired,
        LabelStatus::Withdrawn => CertStatus::Withdrawn,
        // The signed record does not prove the events: nobody can say.
        LabelStatus::Unknown => CertStatus::Unknown,
    }
}

/// SHA-256 of what a trust list vouches for (its keys with their scopes, and the log key), not of
/// when it was issued: whether a published list is still current, and the key of the
/// verified-statement cache.
pub(crate) fn content_digest(list: &TrustList) -> ServiceResult<[u8; 32]> {
    let content = serde_json::to_vec(&(&list.keys, &list.log_verifier_key))
        .map_err(|e| invalid("trust list", e.to_string()))?;
    Ok(<sha2::Sha256 as sha2::Digest>::digest(&content).into())
}

/// Digest of the keys (with their scopes) of a trust list: all that verifying a statement reads.
/// The read model's rows name it (`label_status.trust`), so a row stored by a process without
/// the log's verifier key (the CLI) is served by one with it (`keurmerk serve`): the log key
/// verifies checkpoints, never statements.
pub(crate) fn keys_digest(list: &TrustList) -> ServiceResult<[u8; 32]> {
    let content =
        serde_json::to_vec(&list.keys).map_err(|e| invalid("trust list", e.to_string()))?;
    Ok(<sha2::Sha256 as sha2::Digest>::digest(&content).into())
}

/// Whether a key may sign something dated `at`.
pub(crate) fn usable_at(k: &KeyRecord, at: DateTime<Utc>) -> bool {
    k.valid_from <= at && at < k.valid_until && k.revoked_at.is_none_or(|r| at < r)
}

impl<S: RegistryStore> Registry<S> {
    /// The signer, or a clear error when this registry was built without keys.
    pub fn signer(&self) -> ServiceResult<&Signer> {
        self.signer.as_ref().ok_or_else(|| {
            ServiceError::Forbidden(
                "this registry has no signing keys configured (key directory), so it cannot sign"
                    .into(),
            )
        })
    }

    /// Creates a signing key for an organisation (its role decides the key's role).
    pub async fn create_key(&self, org: &OrgId, scope: KeyScope) -> ServiceResult<KeyInfo> {
        let o = self
            .store()
            .org(org)
            .await?
            .ok_or_else(|| crate::error::not_found("organisation", org))?;
        self.insert_new_key(&o.id, &o.name, role_of(o.role), false, scope, None)
            .await
    }

    /// Creates the registry root key (signs the trust list, status responses, and the registry's
    /// own statements: expiry and dependency propagation). Refused if a usable one exists.
    pub async fn create_root_key(&self, scope: KeyScope) -> ServiceResult<KeyInfo> {
        let now = self.now();
        if let Some(k) = self.root_record(now).await? {
            return Err(ServiceError::Conflict(format!(
                "a registry root key exists already ({}); rotate it instead",
                k.key_id
            )));
        }
        let (org_id, org_name) = match self
            .store()
            .orgs()
            .await?
            .into_iter()
            .find(|o| o.role == OrgRole::RegistryOperator)
        {
            Some(o) => (o.id, o.name),
            None => (
                OrgId::new(ROOT_ORG).map_err(|e| invalid("org", e.to_string()))?,
                "Keurmerk registry".to_owned(),
            ),
        };
        self.insert_new_key(&org_id, &org_name, Role::Registry, true, scope, None)
            .await
    }

    async fn insert_new_key(
        &self,
        org: &OrgId,
        org_name: &str,
        role: Role,
        root: bool,
        scope: KeyScope,
        retire: Option<&str>,
    ) -> ServiceResult<KeyInfo> {
        let signer = self.signer()?;
        // Refused before anything is written: no key without the operator who made it.
        let credential = self.local_credential()?;
        let now = self.now();
        let valid_from = scope.valid_from.unwrap_or(now);
        let valid_until = scope
            .valid_until
            .unwrap_or(valid_from + Duration::days(DEFAULT_KEY_VALIDITY_DAYS));
        if valid_until <= valid_from {
            return Err(invalid("valid_until", "must be after valid_from"));
        }
        let key = SigningKey::generate();
        let record = KeyRecord {
            key_id: key.key_id().to_string(),
            org_id: org.to_string(),
            org_name: org_name.to_owned(),
            role: role_str(role),
            public_key: key.public_key().to_base64(),
            // Legacy columns: the scope is computed when the trust list is built, never stored.
            schemes: Vec::new(),
            levels: Vec::new(),
            valid_from,
            valid_until,
            revoked_at: None,
            root,
            created_at: now,
        };
        // The secret first: a public record without its secret would be a key nobody can use.
        signer.secrets.save(&key)?;
        let audit = Audit {
            at: now,
            actor: Some(org.clone()),
            credential,
            action: if retire.is_some() {
                "key.rotate"
            } else {
                "key.create"
            }
            .into(),
            subject: record.key_id.clone(),
            detail: json!({"role": record.role, "root": root, "retired": retire}),
        };
        signer.keys.insert_key(&record, retire, &audit).await?;
        self.trust_changed();
        key_info(&record)
    }

    /// Replaces an organisation's current key by a new one with the same scope; the old key's
    /// validity ends now, so it still verifies what it signed before.
    pub async fn rotate_key(&self, org: &OrgId) -> ServiceResult<KeyInfo> {
        let now = self.now();
        let old = self
            .current_record(org, now)
            .await?
            .ok_or_else(|| no_key(org, now))?;
        let role: Role =
            serde_json::from_value(json!(old.role)).map_err(|e| corrupt_key(&old, e))?;
        let scope = KeyScope {
            valid_from: Some(now),
            valid_until: None,
        };
        let org_name = old.org_name.clone();
        self.insert_new_key(org, &org_name, role, old.root, scope, Some(&old.key_id))
            .await
    }

    /// Rotates the registry root key.
    pub async fn rotate_root_key(&self) -> ServiceResult<KeyInfo> {
        let now = self.now();
        let old = self
            .root_record(now)
            .await?
            .ok_or_else(|| ServiceError::Forbidden("there is no registry root key".into()))?;
        let org = OrgId::new(&old.org_id).map_err(|e| corrupt_key(&old, e))?;
        let scope = KeyScope {
            valid_from: Some(now),
            ..KeyScope::default()
        };
        let org_name = old.org_name.clone();
        self.insert_new_key(
            &org,
            &org_name,
            Role::Registry,
            true,
            scope,
            Some(&old.key_id),
        )
        .await
    }

    /// Records that a key was compromised at `at`: whatever it signed at or after `at` no longer
    /// verifies.
    pub async fn revoke_key(&self, key_id: &str, at: DateTime<Utc>) -> ServiceResult<KeyInfo> {
        let signer = self.signer()?;
        let k = signer
            .keys
            .signing_key(key_id)
            .await?
            .ok_or_else(|| crate::error::not_found("signing key", key_id))?;
        if let Some(prev) = k.revoked_at {
            if prev <= at {
                return Err(ServiceError::Conflict(format!(
                    "key {key_id} is already revoked since {prev}"
                )));
            }
        }
        let audit = Audit {
            at: self.now(),
            actor: Some(OrgId::new(&k.org_id).map_err(|e| corrupt_key(&k, e))?),
            credential: self.local_credential()?,
            action: "key.revoke".into(),
            subject: key_id.to_owned(),
            detail: json!({"compromised_at": at}),
        };
        signer.keys.revoke_key(key_id, at, &audit).await?;
        self.trust_changed();
        let mut k = k;
        k.revoked_at = Some(at);
        key_info(&k)
    }

    /// Every key, including rotated-out and revoked ones, with its current scope.
    pub async fn keys(&self) -> ServiceResult<Vec<(KeyInfo, bool)>> {
        let records = self.signer()?.keys.signing_keys().await?;
        let infos = self.scoped_keys(&records).await?;
        Ok(infos
            .into_iter()
            .zip(records.iter().map(|k| k.root))
            .collect())
    }

    async fn current_record(
        &self,
        org: &OrgId,
        at: DateTime<Utc>,
    ) -> ServiceResult<Option<KeyRecord>> {
        let signer = self.signer()?;
        Ok(signer
            .keys
            .signing_keys()
            .await?
            .into_iter()
            .filter(|k| !k.root && k.org_id == org.as_str() && usable_at(k, at))
            .max_by_key(|k| (k.valid_from, k.created_at)))
    }

    async fn root_record(&self, at: DateTime<Utc>) -> ServiceResult<Option<KeyRecord>> {
        let signer = self.signer()?;
        Ok(signer
            .keys
            .signing_keys()
            .await?
            .into_iter()
            .filter(|k| k.root && usable_at(k, at))
            .max_by_key(|k| (k.valid_from, k.created_at)))
    }

    async fn secret_of(&self, k: &KeyRecord) -> ServiceResult<SigningKey> {
        let id = KeyId::parse(&k.key_id).map_err(|e| corrupt_key(k, e))?;
        self.signer()?.secrets.load(&id)?.ok_or_else(|| {
            ServiceError::Forbidden(format!(
                "the private key {} of {} is not in this registry's key directory",
                k.key_id, k.org_id
            ))
        })
    }

    /// The organisation's key usable at `at`, with its private half. Refused (nothing is written
    /// by the caller) when there is none.
    pub(crate) async fn org_signing_key(
        &self,
        org: &OrgId,
        at: DateTime<Utc>,
    ) -> ServiceResult<SigningKey> {
        let k = self
            .current_record(org, at)
            .await?
            .ok_or_else(|| no_key(org, at))?;
        self.secret_of(&k).await
    }

    /// An organisation's key that was usable at some moment of `at`'s day (for label tokens,
    /// which carry day precision).
    pub(crate) async fn org_key_for_day(
        &self,
        org: &OrgId,
        at: DateTime<Utc>,
    ) -> ServiceResult<SigningKey> {
        match self.current_record(org, at).await? {
            Some(k) => self.secret_of(&k).await,
            None => Err(no_key(org, at)),
        }
    }

    /// The registry root key usable at `at`, with its private half.
    pub async fn root_signing_key(&self, at: DateTime<Utc>) -> ServiceResult<SigningKey> {
        Ok(self.root_signing_record(at).await?.1)
    }

    /// [`Self::root_signing_key`] with its record.
    pub(crate) async fn root_signing_record(
        &self,
        at: DateTime<Utc>,
    ) -> ServiceResult<(KeyRecord, SigningKey)> {
        let k = self.root_record(at).await?.ok_or_else(|| {
            ServiceError::Forbidden(format!(
                "there is no registry root key valid at {at}; create one with `keurmerk keys create --root`"
            ))
        })?;
        let key = self.secret_of(&k).await?;
        Ok((k, key))
    }

    /// The current trust list (unsigned): every key in the database, each with the scope computed
    /// from the registry's data now ([`Registry::keys`]).
    pub async fn trust_list(&self, sequence: u64) -> ServiceResult<TrustList> {
        let signer = self.signer()?;
        let records = signer.keys.signing_keys().await?;
        self.trust_list_of(&records, sequence).await
    }

    /// An unsigned trust list of `records` only (scoped as in [`Registry::trust_list`]).
    pub(crate) async fn trust_list_of(
        &self,
        records: &[KeyRecord],
        sequence: u64,
    ) -> ServiceResult<TrustList> {
        let orgs = self.store().orgs().await?;
        self.trust_list_with(records, &orgs, sequence).await
    }

    /// [`Self::trust_list_of`] with the organisations the caller read already.
    pub(crate) async fn trust_list_with(
        &self,
        records: &[KeyRecord],
        orgs: &[keurmerk_domain::model::Organisation],
        sequence: u64,
    ) -> ServiceResult<TrustList> {
        let signer = self.signer()?;
        let now = self.now();
        let keys = self.scoped_keys_with(records, orgs).await?;
        Ok(TrustList {
            version: TRUST_LIST_VERSION,
            sequence,
            issued_at: now,
            next_update: now + Duration::days(TRUST_LIST_VALIDITY_DAYS),
            log_verifier_key: signer.log_verifier_key.clone(),
            keys,
        })
    }

    /// The trust list signed by the root key. The published list (shared by every server
    /// instance through the database) is served as it is while it lists the current keys, their
    /// scopes (so granting or revoking an authorisation re-issues it) and the log key and is
    /// younger than [`TRUST_LIST_REISSUE_SECS`]; otherwise a new one is signed with
    /// the next sequence number and published. A list with a lower sequence than the published
    /// one is never served, so a client alternating between instances never sees a rollback.
    pub async fn signed_trust_list(&self) -> ServiceResult<Vec<u8>> {
        let now = self.now();
        let signer = self.signer()?;
        let current = self.trust_list(0).await?;
        let content_sha256 = hex::encode(content_digest(&current)?);
        let published = signer.keys.published_trust_list().await?;
        if let Some(p) = published.as_ref().filter(|p| {
            p.content_sha256 == content_sha256
                && now >= p.issued_at
                && now < p.issued_at + Duration::seconds(TRUST_LIST_REISSUE_SECS)
        }) {
            return Ok(p.signed.clone());
        }
        let root = self.root_signing_key(now).await?;
        let sequence = signer.keys.next_trust_list_sequence().await?;
        let signed = TrustList {
            sequence,
            ..current
        }
        .sign(&root)
        .map_err(|e| invalid("trust list", e.to_string()))?;
        let mine = PublishedTrustList {
            sequence,
            content_sha256,
            issued_at: now,
            signed,
        };
        if signer.keys.publish_trust_list(&mine).await? {
            return Ok(mine.signed);
        }
        // Another instance published a newer list meanwhile: serve that one.
        Ok(signer
            .keys
            .published_trust_list()
            .await?
            .map_or(mine.signed, |p| p.signed))
    }
}

/// A certificate's label: its QR URL and everything the label shows.
#[derive(Debug, Clone)]
pub struct Label {
    /// `{base}/c/{id}#{token}`.
    pub url: String,
    /// The signed claims.
    pub claims: TokenClaims,
    /// Input for `keurmerk_label::render_svg` / `render_png`, without a "not valid" band; use
    /// [`Label::input_in`], which adds it from [`Label::facts`].
    pub input: keurmerk_label::LabelInput,
    /// The facts of the certificate's current status (the one place they come from).
    pub facts: keurmerk_domain::status::StatusFacts,
    /// The scheme's title and the level's name in each language, in the order of
    /// [`keurmerk_domain::i18n::Lang::ALL`] (from the scheme file's texts).
    pub names: [(String, String); 4],
}

impl Label {
    /// What to render in `lang`: when the certificate is not valid, the label carries a
    /// "NOT VALID — <reason>" band in that language instead of its claims.
    pub fn input_in(&self, lang: keurmerk_label::Lang) -> keurmerk_label::LabelInput {
        let l = match lang {
            keurmerk_label::Lang::En => keurmerk_domain::i18n::Lang::En,
            keurmerk_label::Lang::Nl => keurmerk_domain::i18n::Lang::Nl,
            keurmerk_label::Lang::De => keurmerk_domain::i18n::Lang::De,
            keurmerk_label::Lang::Fr => keurmerk_domain::i18n::Lang::Fr,
        };
        let i = keurmerk_domain::i18n::Lang::ALL
            .iter()
            .position(|x| *x == l)
            .unwrap_or(0);
        let (scheme_name, level_name) = self.names[i].clone();
        keurmerk_label::LabelInput {
            not_valid: self.facts.not_valid_reason(l).map(str::to_owned),
            scheme_name,
            level_name,
            ..self.input.clone()
        }
    }
}

/// The label design of a scheme's `label_design`.
fn design(d: keurmerk_domain::scheme::LabelDesign) -> keurmerk_label::Design {
    use keurmerk_domain::scheme::LabelDesign as D;
    match d {
        D::Eu => keurmerk_label::Design::Eu,
        D::Stars => keurmerk_label::Design::Stars,
        D::Statement => keurmerk_label::Design::Statement,
        D::Declaration => keurmerk_label::Design::Declaration,
        D::Plain => keurmerk_label::Design::Plain,
    }
}

impl<S: RegistryStore> Registry<S> {
    /// What a certificate's label claims, computed from the registry's records: the claims of
    /// its token (and of its signed status), with the product id and the issuing organisation.
    async fn recorded_claims(&self, id: &CertificateId) -> ServiceResult<RecordedClaims> {
        self.recorded_claims_with(id, None, None).await
    }

    /// [`Self::recorded_claims`]; `support_until` is the last day of support the verified fold
    /// gives when the caller has it (a proven status report), else the events are folded here.
    async fn recorded_claims_with(
        &self,
        id: &CertificateId,
        support_until: Option<Option<chrono::NaiveDate>>,
        read: Option<(Certificate, Product, Option<u64>)>,
    ) -> ServiceResult<RecordedClaims> {
        // The rows the caller read already, or one read when both rows are there; else the
        // reads one by one, for the error naming what is missing.
        let found = match read {
            Some(read) => Some(read),
            None => self.store().certificate_with_product(id).await?,
        };
        let (cert, product, status_index) = match found {
            Some(found) => found,
            None => {
                let (cert, _) = self
                    .store()
                    .certificate(id)
                    .await?
                    .ok_or_else(|| crate::error::not_found("certificate", id))?;
                let product = self
                    .store()
                    .product(&cert.product)
                    .await?
                    .ok_or_else(|| crate::error::not_found("product", &cert.product))?;
                let index = self.store().status_index(id).await?;
                (cert, product, index)
            }
        };
        let support_until = match support_until {
            Some(s) => s,
            None => fold(&self.store().events(id).await?)?.support_until,
        };
        let support_until = support_until.unwrap_or(cert.valid_until);
        // The token carries the index only when it fits its u32 (over four billion labels).
        let status_index = status_index.and_then(|i| u32::try_from(i).ok());
        let claims = TokenClaims {
            certificate_id: cert.id.to_string(),
            product_name: product.name.clone(),
            model_designation: product.model.clone(),
            scheme_id: cert.scheme.to_string(),
            level: cert.level.to_string(),
            issuer_kind: if cert.issuer_kind == IssuerKind::ThirdParty {
                keurmerk_trust::IssuerKind::ThirdParty
            } else {
                keurmerk_trust::IssuerKind::SelfDeclared
            },
            issued_on: cert.issued_at.date_naive(),
            valid_until: cert.valid_until,
            support_until,
            status_index,
        };
        Ok(RecordedClaims {
            claims,
            product_id: product.id.to_string(),
            cert,
        })
    }

    /// The label of a certificate, its token signed by the issuer's key that was valid when the
    /// certificate was issued.
    pub async fn label(&self, id: &CertificateId) -> ServiceResult<Label> {
        let base = self.signer()?.base_url.clone();
        let RecordedClaims { claims, cert, .. } = self.recorded_claims(id).await?;
        // The claims come from the certificate row: a row that says something else than its
        // signed record proves is never signed into a label (a label verifies offline).
        if let Some(p) = self
            .verified_history(id)
            .await?
            .problems()
            .iter()
            .find(|p| matches!(p.kind, crate::integrity::ProblemKind::RowDiffers { .. }))
        {
            return Err(ServiceError::Store(keurmerk_store::StoreError::Corrupt {
                what: "certificate",
                detail: p.to_string(),
            }));
        }
        let issuer = self
            .store()
            .org(&cert.issuer)
            .await?
            .ok_or_else(|| crate::error::not_found("organisation", &cert.issuer))?;
        let scheme = self
            .catalogue()
            .get(&cert.scheme)
            .ok_or_else(|| invalid("scheme", format!("unknown scheme `{}`", cert.scheme)))?;
        let level = scheme.level(&cert.level).ok_or_else(|| {
            invalid(
                "level",
                format!("scheme {} has no level `{}`", cert.scheme, cert.level),
            )
        })?;
        let third_party = cert.issuer_kind == IssuerKind::ThirdParty;
        let key = self.org_key_for_day(&cert.issuer, cert.issued_at).await?;
        let url = keurmerk_trust::label_url(&base, &claims, &key)
            .map_err(|e| invalid("label", e.to_string()))?;
        let input = keurmerk_label::LabelInput {
            scheme_id: scheme.id.to_string(),
            scheme_name: scheme.title.clone(),
            level_id: level.id.to_string(),
            level_name: level.name.clone(),
            stars: level.stars,
            issuer_kind: if third_party {
                keurmerk_label::IssuerKind::ThirdParty
            } else {
                keurmerk_label::IssuerKind::SelfDeclared
            },
            issuer_name: issuer.name,
            support_until: claims.support_until,
            certificate_id: cert.id.to_string(),
            qr_url: url.clone(),
            product_name: format!("{} {}", claims.product_name, claims.model_designation),
            design: design(scheme.label_design),
            not_valid: None,
        };
        let facts = keurmerk_domain::status::StatusFacts::of(&self.status(id).await?);
        let names = keurmerk_domain::i18n::Lang::ALL.map(|l| {
            (
                scheme.title_in(l).to_owned(),
                scheme.level_name_in(&level.id, l).to_owned(),
            )
        });
        Ok(Label {
            url,
            claims,
            input,
            facts,
            names,
        })
    }

    /// The live status of a certificate as a signed response (`docs/FORMATS.md` §7), signed by
    /// the registry root key, current for [`STATUS_VALIDITY_SECS`]. It carries the same claims as
    /// the certificate's label token, so a token that disagrees with them is rejected online.
    pub async fn signed_status(&self, id: &CertificateId) -> ServiceResult<Vec<u8>> {
        Ok(self.signed_status_report(id).await?.bytes)
    }

    /// [`Self::signed_status`] with the report it was made from, what it signs and the key
    /// that signed it (for HTTP validators).
    pub async fn signed_status_report(
        &self,
        id: &CertificateId,
    ) -> ServiceResult<SignedStatusAnswer> {
        // The stored status with the certificate and its product, in one statement when the
        // row is served.
        let (report, read) = self.status_with_certificate(id).await?;
        // A status other than `unknown` comes from a proven history, so its last day of support
        // is the fold's; an `unknown` one proves nothing, so the events are folded as they are.
        let support = (report.status != LabelStatus::Unknown).then_some(report.support_until);
        let RecordedClaims {
            claims,
            product_id,
            cert,
        } = self.recorded_claims_with(id, support, read).await?;
        let now = self.now();
        let status_list = claims
            .status_index
            .map(|idx| {
                self.status_list_url()
                    .map(|uri| keurmerk_trust::StatusListRef { idx, uri })
            })
            .transpose()?;
        let response = StatusResponse {
            certificate_id: id.to_string(),
            product_id,
            product_name: claims.product_name,
            model_designation: claims.model_designation,
            scheme_id: claims.scheme_id,
            level: claims.level,
            issuer_org_id: cert.issuer.to_string(),
            issuer_kind: claims.issuer_kind,
            issued_on: claims.issued_on,
            valid_until: claims.valid_until,
            support_until: claims.support_until,
            status: cert_status(report.status),
            reasons: report.reasons.iter().map(|r| r.code().to_owned()).collect(),
            produced_at: now,
            next_update: now + Duration::seconds(STATUS_VALIDITY_SECS),
            status_list,
        };
        let root = self.root_key_for_status(now).await?;
        let bytes = response
            .sign(&root)
            .map_err(|e| invalid("status response", e.to_string()))?;
        Ok(SignedStatusAnswer {
            bytes,
            report,
            response,
            key_id: root.key_id(),
        })
    }
}

/// A signed status ([`Registry::signed_status_report`]) with what it was made from.
#[derive(Debug, Clone)]
pub struct SignedStatusAnswer {
    /// The signed response as served.
    pub bytes: Vec<u8>,
    /// The status report it was made from.
    pub report: StatusReport,
    /// What it signs (its claims read from the certificate's rows, its times).
    pub response: StatusResponse,
    /// The key that signed it.
    pub key_id: KeyId,
}

/// A certificate with what its label claims.
struct RecordedClaims {
    claims: TokenClaims,
    product_id: String,
    cert: keurmerk_domain::model::Certificate,
}

fn no_key(org: &OrgId, at: DateTime<Utc>) -> ServiceError {
    ServiceError::Forbidden(format!(
        "{org} has no signing key valid at {at}, so nothing it signs can be recorded; \
         create one with `keurmerk keys create --org {org}`"
    ))
}

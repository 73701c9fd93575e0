//! The trust list that reads verify against, built once and reused briefly.
//!
//! Building it reads every signing key, organisation and authorisation and hashes the result;
//! doing that for every status lookup made an uncached lookup eight times slower (2.1 ms against
//! 0.27 ms, docs/PERFORMANCE.md). Reads reuse the list while all of these hold:
//! - nothing that shapes it changed through this registry (creating, rotating or revoking a key,
//!   granting or revoking an authorisation, registering an organisation bump a generation);
//! - it is younger than [`TTL`] on the monotonic clock, so a change made by another instance or
//!   directly in the database is seen within that time;
//! - the service clock has not left the second it was built in (tests move a manual clock).
//!
//! A read that finds any problem with a reused list verifies again with a freshly built one, so
//! a key or authorisation added elsewhere a moment ago never shows as an integrity problem; a
//! revocation elsewhere takes effect within [`TTL`]. Writes (signing a statement, re-signing) and
//! the published trust list always build afresh.
//!
//! Reads build one list at a time per store handle (crate::turn): when the list expires under a
//! flood of lookups, the first read builds it and the others wait for that build and take its
//! result (all of them building their own was 4 % of a saturated server's CPU, 2026-12-03), or
//! its failure when it found the database out of reach. The background work's handle
//! ([`Registry::with_store`]) shares the list but builds in turns of its own, so a request never
//! waits for the background pool's connections. A list's age counts from the
//! moment its build began reading, not from when it was stored, and a build never replaces a
//! stored list whose reading began later. A read takes a list read from the store less than
//! [`TTL`] ago, or, after waiting for a build, one whose reading began after the read arrived
//! (however long that build took, so a build slower than [`TTL`] does not make every waiter
//! build again in turn).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use keurmerk_domain::ids::OrgId;
use keurmerk_domain::model::Organisation;
use keurmerk_store::{KeyRecord, RegistryStore};
use keurmerk_trust::{SigningKey, TrustList};

use crate::{Registry, ServiceResult};

/// A list, the digest of its keys, whether it was built just now, and what its build read.
type TrustBuilt = (Arc<TrustList>, [u8; 32], bool, Arc<TrustRead>);

/// How long a built list is reused at most.
pub const TTL: Duration = Duration::from_secs(1);

struct Built {
    list: Arc<TrustList>,
    digest: [u8; 32],
    read: Arc<TrustRead>,
    generation: u64,
    /// When its build began reading the store.
    at: Instant,
    clock: DateTime<Utc>,
}

/// The key records and organisations one build of the list read, kept with it under the same
/// reuse rules. A public page shows the signer's key record and the organisations named on it
/// from here: the same reading its status was checked against (the list's digest), and no
/// statement of its own for each.
pub(crate) struct TrustRead {
    keys: HashMap<String, KeyRecord>,
    orgs: HashMap<String, Organisation>,
}

impl TrustRead {
    fn of(keys: Vec<KeyRecord>, orgs: Vec<Organisation>) -> Self {
        Self {
            keys: keys.into_iter().map(|k| (k.key_id.clone(), k)).collect(),
            orgs: orgs
                .into_iter()
                .map(|o| (o.id.as_str().to_owned(), o))
                .collect(),
        }
    }
}

/// The registry root key a signed status is signed with, under the same reuse rules as the list.
struct Root {
    record: KeyRecord,
    key: SigningKey,
    generation: u64,
    at: Instant,
}

/// Shared by clones of a registry (one per server process).
#[derive(Default)]
pub(crate) struct TrustCache {
    built: Mutex<Option<Built>>,
    root: Mutex<Option<Root>>,
    generation: AtomicU64,
    /// Lists built since the process started (for reads and writes).
    builds: AtomicU64,
}

impl TrustCache {
    /// Something that shapes the trust list changed: the next read builds it again.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.lock() = None;
        *self.root.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Built>> {
        // A poisoned lock only means another thread panicked while replacing the value.
        self.built.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S: RegistryStore> Registry<S> {
    /// The current trust list and the digest of its keys (`signing::keys_digest`: what
    /// verifying a statement depends on), for reads (see the module docs), and
    /// whether it was built just now (`false`: reused).
    pub(crate) async fn trust_for_reads(
        &self,
        reuse: bool,
    ) -> ServiceResult<(Arc<TrustList>, [u8; 32], bool)> {
        let (list, digest, fresh, _) = self.trust_built(reuse).await?;
        Ok((list, digest, fresh))
    }

    /// [`Self::trust_for_reads`] with what its build read (`reuse`: see the module docs).
    async fn trust_built(&self, reuse: bool) -> ServiceResult<TrustBuilt> {
        if !reuse {
            let generation = self.trust_cache.generation.load(Ordering::SeqCst);
            return self.build_trust(self.now(), generation).await;
        }
        if let Some(hit) = self.reusable_trust(None) {
            return Ok(hit);
        }
        // One build at a time on this handle's connections; a read that waited takes the list
        // built meanwhile, if that build began reading after this read arrived (however long it
        // took: otherwise a build slower than `TTL` would make every waiter build again, one
        // after another), or its failure if it found the database out of reach (crate::turn).
        let mut turn = self.trust_turns.take().await?;
        if let Some(hit) = self.reusable_trust(Some(turn.arrived())) {
            return Ok(hit);
        }
        let generation = self.trust_cache.generation.load(Ordering::SeqCst);
        let built = self.build_trust(self.now(), generation).await;
        turn.ended(&built);
        built
    }

    /// The signing key record `key_id` as the trust list reads reuse (see the module docs) was
    /// built from; read from the store when that build did not have it (a key added since, by
    /// another instance).
    pub(crate) async fn shown_key(&self, key_id: &str) -> ServiceResult<Option<KeyRecord>> {
        let (_, _, _, read) = self.trust_built(true).await?;
        if let Some(k) = read.keys.get(key_id) {
            return Ok(Some(k.clone()));
        }
        Ok(self.signer()?.key_store().signing_key(key_id).await?)
    }

    /// An organisation as the trust list reads reuse was built from, for showing on a public
    /// page; read from the store when that build did not have it (registered since, elsewhere).
    /// Organisations are never changed once registered, so this differs from the store only
    /// after a restore or an edit by hand, and then for at most [`TTL`].
    pub async fn shown_organisation(&self, id: &OrgId) -> ServiceResult<Organisation> {
        let (_, _, _, read) = self.trust_built(true).await?;
        if let Some(o) = read.orgs.get(id.as_str()) {
            return Ok(o.clone());
        }
        self.organisation(id).await
    }

    /// The cached list if it may be reused now (see the module docs): younger than [`TTL`], or
    /// for a read that arrived at `arrived`, built from reads that began after that.
    fn reusable_trust(&self, arrived: Option<Instant>) -> Option<TrustBuilt> {
        let now = self.now();
        let generation = self.trust_cache.generation.load(Ordering::SeqCst);
        let built = self.trust_cache.lock();
        let b = built.as_ref()?;
        let young = b.at.elapsed() < TTL && now - b.clock < chrono::Duration::seconds(1);
        let after_arrival = arrived.is_some_and(|a| b.at >= a);
        (b.generation == generation && now >= b.clock && (young || after_arrival))
            .then(|| (b.list.clone(), b.digest, false, b.read.clone()))
    }

    /// Builds the list; stores it for reads if nothing that shapes it changed since
    /// `generation` was read (before anything was read for it).
    async fn build_trust(&self, now: DateTime<Utc>, generation: u64) -> ServiceResult<TrustBuilt> {
        self.trust_cache.builds.fetch_add(1, Ordering::Relaxed);
        // Its age counts from here: what it holds was read after this moment.
        let began = Instant::now();
        let records = self.signer()?.key_store().signing_keys().await?;
        let orgs = self.store().orgs().await?;
        let list = Arc::new(self.trust_list_with(&records, &orgs, 0).await?);
        let digest = crate::signing::keys_digest(&list)?;
        let read = Arc::new(TrustRead::of(records, orgs));
        // Stored only if nothing changed while it was built, and never over a list whose reading
        // began later (a write's build that started earlier and finished last is older).
        if self.trust_cache.generation.load(Ordering::SeqCst) == generation {
            let mut built = self.trust_cache.lock();
            if built.as_ref().is_none_or(|b| b.at <= began) {
                *built = Some(Built {
                    list: list.clone(),
                    digest,
                    read: read.clone(),
                    generation,
                    at: began,
                    clock: now,
                });
            }
        }
        Ok((list, digest, true, read))
    }

    /// How many trust lists this process has built (for reads and for writes): a counter for
    /// `/metrics`.
    pub fn trust_list_builds(&self) -> u64 {
        self.trust_cache.builds.load(Ordering::Relaxed)
    }

    /// Forgets the cached trust list (a key, authorisation or organisation changed).
    pub(crate) fn trust_changed(&self) {
        self.trust_cache.invalidate();
    }

    /// The registry root key usable at `now`, for signing status responses: reused under the
    /// rules of the module docs (so a root key revoked through another instance stops signing
    /// within [`TTL`]), else read afresh (the key records and the key file). Reading both for
    /// every signed status was most of its cost.
    pub(crate) async fn root_key_for_status(
        &self,
        now: DateTime<Utc>,
    ) -> ServiceResult<SigningKey> {
        let generation = self.trust_cache.generation.load(Ordering::SeqCst);
        {
            let root = self
                .trust_cache
                .root
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(r) = root.as_ref() {
                if r.generation == generation
                    && r.at.elapsed() < TTL
                    && crate::signing::usable_at(&r.record, now)
                {
                    return Ok(r.key.clone());
                }
            }
        }
        let (record, key) = self.root_signing_record(now).await?;
        if self.trust_cache.generation.load(Ordering::SeqCst) == generation {
            *self
                .trust_cache
                .root
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(Root {
                record,
                key: key.clone(),
                generation,
                at: Instant::now(),
            });
        }
        Ok(key)
    }
}

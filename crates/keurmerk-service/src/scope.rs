//! The scope of every key, computed from the registry's data each time the trust list is built
//! (docs/FORMATS.md §3, issue 10): never chosen at key creation, never a wildcard.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use keurmerk_domain::ids::OrgId;
use keurmerk_domain::model::Organisation;
use keurmerk_store::{KeyRecord, RegistryStore};
use keurmerk_trust::{Act, Grant, KeyInfo, Role};

use crate::signing::{corrupt_key, key_info};
use crate::{Registry, ServiceResult};

impl<S: RegistryStore> Registry<S> {
    /// Trust-list metadata of `records`, each with the scope its organisation has according to
    /// the registry's data now (docs/FORMATS.md §3): an assessment body exactly its current and
    /// past authorisations, a manufacturer the self-assessable levels of each scheme (and holder
    /// acts on any level), a national authority supervision of every level and its member state,
    /// the registry its own acts. Never a wildcard.
    pub(crate) async fn scoped_keys(&self, records: &[KeyRecord]) -> ServiceResult<Vec<KeyInfo>> {
        let orgs = self.store().orgs().await?;
        self.scoped_keys_with(records, &orgs).await
    }

    /// [`Self::scoped_keys`] with the organisations the caller read already.
    pub(crate) async fn scoped_keys_with(
        &self,
        records: &[KeyRecord],
        orgs: &[Organisation],
    ) -> ServiceResult<Vec<KeyInfo>> {
        let mut bodies: HashMap<String, Vec<Grant>> = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for k in records {
            let mut info = key_info(k)?;
            let every_level = |act: Act| self.catalogue_grants(act, k.valid_from, |_| true);
            info.scope = match info.role {
                Role::AssessmentBody => {
                    if !bodies.contains_key(&k.org_id) {
                        let org = OrgId::new(&k.org_id).map_err(|e| corrupt_key(k, e))?;
                        let grants =
                            authorisation_grants(&self.store().authorisations(&org).await?);
                        bodies.insert(k.org_id.clone(), grants);
                    }
                    bodies.get(&k.org_id).cloned().unwrap_or_default()
                }
                Role::Manufacturer => {
                    let mut g =
                        self.catalogue_grants(Act::Issue, k.valid_from, |l| l.self_assessment);
                    g.extend(every_level(Act::Maintain));
                    g
                }
                Role::NationalAuthority => {
                    info.member_state = orgs
                        .iter()
                        .find(|o| o.id.as_str() == k.org_id)
                        .map(|o| o.member_state.clone());
                    every_level(Act::Supervise)
                }
                Role::Registry => every_level(Act::Registry),
                _ => Vec::new(),
            };
            out.push(info);
        }
        Ok(out)
    }

    /// One grant of `act` per scheme of the catalogue, for its levels that pass `keep`.
    fn catalogue_grants(
        &self,
        act: Act,
        from: DateTime<Utc>,
        keep: impl Fn(&keurmerk_domain::scheme::Level) -> bool,
    ) -> Vec<Grant> {
        self.catalogue()
            .iter()
            .filter_map(|s| {
                let levels: Vec<String> = s
                    .levels
                    .iter()
                    .filter(|l| keep(l))
                    .map(|l| l.id.to_string())
                    .collect();
                (!levels.is_empty()).then(|| Grant {
                    act,
                    scheme: s.id.to_string(),
                    levels,
                    valid_from: from,
                    valid_until: None,
                })
            })
            .collect()
    }
}

/// An assessment body's grants: one per authorisation, current or past, from `granted_at` until
/// its end (revoked or lapsed, whichever came first); authorisations of one scheme with the same
/// dates share a grant.
fn authorisation_grants(auths: &[keurmerk_domain::model::Authorisation]) -> Vec<Grant> {
    let mut grants: Vec<Grant> = Vec::new();
    for a in auths {
        let (scheme, level) = (a.scheme.to_string(), a.level.to_string());
        let until = a.end().map(|(at, _)| at);
        match grants
            .iter_mut()
            .find(|g| g.scheme == scheme && g.valid_from == a.granted_at && g.valid_until == until)
        {
            Some(g) => g.levels.push(level),
            None => grants.push(Grant {
                act: Act::Issue,
                scheme,
                levels: vec![level],
                valid_from: a.granted_at,
                valid_until: until,
            }),
        }
    }
    grants
}

//! Events for feeds, as the signed record proves them. A feed (the public Atom feeds, their HTML
//! pages, a watch-list's feed) tells people what happened to labels; like the status, it may only
//! say what a verified statement says. [`ProvenEvents`] can only be made here, from each
//! certificate's [`crate::VerifiedHistory`]: an event the record does not prove (edited in the
//! database, its statement missing, signed with a compromised key) never reaches a feed, and the
//! certificate is named as unconfirmed instead, so a follower learns that something cannot be
//! vouched for rather than nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use keurmerk_domain::event::Event;
use keurmerk_domain::CertificateId;
use keurmerk_store::RegistryStore;

use crate::{Registry, ServiceResult};

/// A certificate whose record could not be verified completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconfirmed {
    /// The certificate.
    pub certificate: CertificateId,
    /// The first event (sequence number) the record does not prove.
    pub event: i64,
    /// When the registry noticed (now): the stored time of an unproven event proves nothing.
    pub at: DateTime<Utc>,
}

/// Events proven by their signed statements, newest first, and the certificates whose record
/// could not be confirmed. Only [`Registry::proven_events`] and [`Registry::proven_events_of`]
/// make one.
#[derive(Debug, Clone, Default)]
pub struct ProvenEvents {
    events: Vec<Event>,
    unconfirmed: Vec<Unconfirmed>,
}

impl ProvenEvents {
    /// The proven events, newest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The certificates whose record could not be confirmed.
    pub fn unconfirmed(&self) -> &[Unconfirmed] {
        &self.unconfirmed
    }
}

impl<S: RegistryStore> Registry<S> {
    /// The newest `limit` proven events of the given certificates, newest first (by time, then
    /// sequence number).
    pub async fn proven_events_of(
        &self,
        certificates: &[CertificateId],
        limit: usize,
    ) -> ServiceResult<ProvenEvents> {
        let mut out = ProvenEvents::default();
        let now = self.now();
        for id in certificates {
            let h = self.verified_history(id).await?;
            out.events.extend(h.events().iter().cloned());
            if let Some(p) = h.problems().first() {
                out.unconfirmed.push(Unconfirmed {
                    certificate: id.clone(),
                    event: p.event,
                    at: now,
                });
            }
        }
        out.events
            .sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
        out.events.truncate(limit);
        Ok(out)
    }

    /// Of `events` (read by the caller, of any certificates), those their certificates' signed
    /// records prove, in the order given (each as the verified history holds it).
    pub async fn proven_events(&self, events: Vec<Event>) -> ServiceResult<ProvenEvents> {
        let certificates: BTreeSet<CertificateId> =
            events.iter().map(|e| e.certificate.clone()).collect();
        let mut proven: BTreeMap<CertificateId, BTreeMap<i64, Event>> = BTreeMap::new();
        let mut unconfirmed = Vec::new();
        let now = self.now();
        for id in certificates {
            let h = match self.verified_history(&id).await {
                Ok(h) => h,
                // An event whose certificate row is gone: nothing proves it.
                Err(crate::ServiceError::NotFound { .. }) => {
                    proven.insert(id, BTreeMap::new());
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(p) = h.problems().first() {
                unconfirmed.push(Unconfirmed {
                    certificate: id.clone(),
                    event: p.event,
                    at: now,
                });
            }
            proven.insert(id, h.events().iter().map(|e| (e.seq, e.clone())).collect());
        }
        let events = events
            .iter()
            .filter_map(|e| {
                proven
                    .get(&e.certificate)
                    .and_then(|seqs| seqs.get(&e.seq))
                    .filter(|v| *v == e)
                    .cloned()
            })
            .collect();
        Ok(ProvenEvents {
            events,
            unconfirmed,
        })
    }
}

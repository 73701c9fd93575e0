//! The signed record is the source of truth (issue 10, SPEC §7).
//!
//! Every event row has a signed statement recording it (same transaction, `statements`), and that
//! statement is in the transparency log. The `events` table is only an index of what was signed:
//! a certificate's state and label status are folded from a [`VerifiedHistory`], which only
//! [`Registry::verified_history`] builds, and only from events proven equal to statements whose
//! signatures verify against the current trust list, signed by the organisation that acted (or
//! the registry key for the registry's own events). Anything else is a [`Problem`]:
//!
//! - the row differs from its statement, the statement is missing, malformed, signed by a key
//!   the trust list does not list or by another organisation, or for another certificate;
//! - the statement was signed with a key after its recorded compromise time
//!   ([`ProblemKind::CompromisedKey`]) and its issuer has not confirmed it again with a valid key
//!   ([`Registry::resign`]);
//! - (full check, [`Registry::verify_integrity`]) a statement that is neither in the log nor
//!   waiting for it, or a log entry that differs from the statement it records.
//!
//! The status of a certificate with a problem is [`LabelStatus::Unknown`], whatever its events
//! say, and only the verified prefix of its history is folded for display.
//!
//! Signature checks are cached by the SHA-256 of the trust list's keys and the statement bytes,
//! so an unchanged statement is verified once per trust list, and any edit of either is checked
//! again.
//!
//! [`LabelStatus::Unknown`]: keurmerk_domain::status::LabelStatus::Unknown

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, SubsecRound, Utc};
use keurmerk_domain::event::{fold, Event, EventKind};
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_domain::lifecycle::ActorRole;
use keurmerk_domain::model::{Certificate, OrgRole};
use keurmerk_domain::status::Reason;
use keurmerk_store::{Audit, CertificateFilter, RegistryStore, StoredStatement};
use keurmerk_trust::{
    sign_statement, verify_statement, Role, Statement, TrustError, TrustList, VerifiedStatement,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::invalid;
use crate::{Actor, Registry, ServiceError, ServiceResult};

/// What is wrong with one event's signed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The event has no signed statement.
    StatementMissing,
    /// The statement does not verify (bad signature, unknown key, malformed, out of scope…).
    StatementInvalid {
        /// Why, as the verifier says it.
        error: String,
    },
    /// The statement verifies but records something else than the stored event.
    EventDiffers {
        /// Which part differs.
        field: String,
    },
    /// The statement was signed by a key of another organisation than the one that acted.
    WrongSigner {
        /// The organisation whose key signed.
        signer: String,
    },
    /// Signed with a key at or after its recorded compromise time, not yet confirmed again.
    CompromisedKey {
        /// The key.
        key: String,
        /// Its compromise time.
        since: DateTime<Utc>,
    },
    /// A statement of this certificate records an event that is not in the database.
    EventMissing,
    /// The certificate row's last event is not its newest stored event.
    SequenceMismatch {
        /// `last_seq` of the certificate row.
        recorded: i64,
        /// The newest stored event.
        newest: i64,
    },
    /// The certificate row records something else than the events its signed statements prove
    /// (a row edited outside the registry): what the public is shown and what labels and
    /// statuses are signed with come from that row, so it must not pass.
    RowDiffers {
        /// Which fact differs ([`Certificate::differs_from`]).
        field: String,
    },
    /// A statement is neither in the transparency log nor waiting for it.
    NotLogged,
    /// The log entry recording this event differs from every stored statement of it.
    LogDiffers {
        /// The entry's index in the log.
        log_index: u64,
    },
}

/// One integrity problem: which certificate, which event, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The certificate, when known (a log entry whose event row is gone names none).
    pub certificate: Option<CertificateId>,
    /// The event's sequence number.
    pub event: i64,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: ProblemKind,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.certificate {
            Some(c) => write!(f, "{c} event {}: ", self.event)?,
            None => write!(f, "event {}: ", self.event)?,
        }
        match &self.kind {
            ProblemKind::StatementMissing => f.write_str("has no signed statement"),
            ProblemKind::StatementInvalid { error } => {
                write!(f, "its signed statement does not verify: {error}")
            }
            ProblemKind::EventDiffers { field } => write!(
                f,
                "the stored event differs from its signed statement ({field})"
            ),
            ProblemKind::WrongSigner { signer } => write!(
                f,
                "its statement is signed by {signer}, not by the organisation that acted"
            ),
            ProblemKind::CompromisedKey { key, since } => write!(
                f,
                "signed with key {key} after its compromise ({since}); the issuer must re-sign it"
            ),
            ProblemKind::EventMissing => {
                f.write_str("a signed statement records it, but the event is not in the database")
            }
            ProblemKind::SequenceMismatch { recorded, newest } => write!(
                f,
                "the certificate row says its last event is {recorded}, the newest stored is {newest}"
            ),
            ProblemKind::RowDiffers { field } => write!(
                f,
                "the certificate's stored row differs from what its signed record proves ({field})"
            ),
            ProblemKind::NotLogged => {
                f.write_str("its statement is neither in the transparency log nor queued for it")
            }
            ProblemKind::LogDiffers { log_index } => write!(
                f,
                "log entry {log_index} differs from the stored statement of this event"
            ),
        }
    }
}

impl Problem {
    /// The reason a consumer is shown for it.
    pub fn reason(&self) -> Reason {
        match &self.kind {
            ProblemKind::CompromisedKey { key, since } => Reason::CompromisedKey {
                event: self.event,
                key: key.clone(),
                since: *since,
            },
            _ => Reason::IntegrityProblem {
                event: self.event,
                detail: self.to_string(),
            },
        }
    }
}

/// The bytes of the log's entry at `index`, from its entry bundle; `None` when the bundle is
/// missing or does not hold it.
pub(crate) async fn log_entry(
    keys: &dyn keurmerk_store::KeyStore,
    index: u64,
) -> ServiceResult<Option<Vec<u8>>> {
    Ok(keys
        .log_bundle(index / 256)
        .await?
        .and_then(|data| entry_in_bundle(&data, index)))
}

/// The bytes of the log's entry at `index` in `data`, the entry bundle that holds it; `None`
/// when the bundle does not decode or does not hold it.
fn entry_in_bundle(data: &[u8], index: u64) -> Option<Vec<u8>> {
    let entries = keurmerk_tlog::decode_entry_bundle(data).ok()?;
    let at = usize::try_from(index % 256).ok()?;
    entries.get(at).map(|e| e.to_vec())
}

/// A certificate's history as far as its signed record proves it: the longest prefix of events
/// each equal to a verified statement, and every problem found. Only
/// [`Registry::verified_history`] makes one, so only verified events reach the read side's fold.
#[derive(Debug, Clone)]
pub struct VerifiedHistory {
    events: Vec<Event>,
    problems: Vec<Problem>,
    /// Content digest of the trust list it was verified against.
    trust: [u8; 32],
    /// That trust list: what the certificate's other signed inputs (its product's software
    /// lists) are verified with, so a stored row names one list for all of them.
    list: std::sync::Arc<TrustList>,
    /// Who signed the statement of the certificate's last event, when that statement itself
    /// verified (not when only a re-signature confirms its event).
    newest: Option<crate::AuthenticSignature>,
}

impl VerifiedHistory {
    /// The verified events, oldest first (all of them when [`VerifiedHistory::problems`] is
    /// empty).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// What could not be verified.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether every event is proven by its signed statement.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Content digest of the trust list the statements were verified against.
    pub(crate) fn trust_digest(&self) -> [u8; 32] {
        self.trust
    }

    /// The trust list the statements were verified against.
    pub(crate) fn trust_list(&self) -> &TrustList {
        &self.list
    }

    /// Who signed the statement of the certificate's last event (`certificates.last_seq`), when
    /// the history is intact and that statement verified itself.
    pub(crate) fn newest_signature(&self) -> Option<&crate::AuthenticSignature> {
        self.newest.as_ref().filter(|_| self.is_intact())
    }
}

/// Cache of verified statements keyed by SHA-256(trust-list keys ‖ statement bytes), bounded by
/// the size of the statements it holds.
#[derive(Default)]
pub(crate) struct VerifiedCache(Mutex<Cached>);

#[derive(Default)]
struct Cached {
    map: HashMap<[u8; 32], VerifiedStatement>,
    /// Signed bytes of the statements in `map`.
    bytes: usize,
}

/// Signed statement bytes cached before the cache starts over. A decoded statement (its
/// payload as a JSON tree, and a copy of its issuer's trust-list entry with the scopes) takes
/// about seven times its signed size: with 16 MB of signed bytes the cache held 118 MB, most of
/// `serve`'s 146 MB peak heap during the first start at 1,000,000 certificates, and starting
/// over released it in waves of about 100 MB (heaptrack, 2026-12-03). Counting entries instead
/// (200,000) let `serve` grow past a gigabyte while it told 44,000 dependents of a provider's
/// change. What the cache saves is verifying a certificate's statements again within one
/// write (the fold before it and the read model's refresh after it) and for a label looked up
/// again soon: a few thousand statements hold both, at about 20 MB.
const CACHE_MAX_BYTES: usize = 3 << 20;

impl VerifiedCache {
    fn verify(
        &self,
        list_digest: &[u8; 32],
        list: &TrustList,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedStatement, TrustError> {
        let key: [u8; 32] = Sha256::new()
            .chain_update(list_digest)
            .chain_update(bytes)
            .finalize()
            .into();
        if let Some(v) = self.lock().map.get(&key) {
            return Ok(v.clone());
        }
        let v = verify_statement(bytes, list, now)?;
        let mut c = self.lock();
        if c.bytes + bytes.len() > CACHE_MAX_BYTES {
            c.map.clear();
            c.bytes = 0;
        }
        if c.map.insert(key, v.clone()).is_none() {
            c.bytes += bytes.len();
        }
        Ok(v)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Signed bytes and entries held (for the bound's test).
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let c = self.lock();
        (c.bytes, c.map.len())
    }
}

/// The statement payload recording an event (`docs/FORMATS.md` §4).
#[derive(Deserialize)]
struct Recorded {
    actor: OrgId,
    role: ActorRole,
    event: EventKind,
    #[serde(default)]
    resigns: Option<Resigns>,
}

/// What a re-signature confirms.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resigns {
    event_seq: i64,
    at: DateTime<Utc>,
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Compares a verified statement with the stored event; `Err` names the first differing part.
fn compare(v: &VerifiedStatement, e: &Event) -> Result<Option<Resigns>, ProblemKind> {
    let st = &v.statement;
    let differs = |field: &str| ProblemKind::EventDiffers {
        field: field.to_owned(),
    };
    let recorded: Recorded = serde_json::from_value(serde_json::Value::Object(st.payload.clone()))
        .map_err(|err| ProblemKind::StatementInvalid {
            error: format!("its payload is not an event record: {err}"),
        })?;
    if st.certificate_id != e.certificate.as_str() {
        return Err(differs("certificate"));
    }
    if recorded.actor != e.actor {
        return Err(differs("actor"));
    }
    if recorded.role != e.role {
        return Err(differs("role"));
    }
    if recorded.event != e.kind {
        return Err(differs("event"));
    }
    match &recorded.resigns {
        None if micros(st.signed_at) != micros(e.at) => return Err(differs("time")),
        Some(r) if r.event_seq != e.seq => return Err(differs("sequence number")),
        Some(r) if micros(r.at) != micros(e.at) => return Err(differs("time")),
        _ => {}
    }
    // Who signed: the acting organisation's key, or the registry's for its own events.
    let signer_ok = if e.role.is_registry() {
        v.issuer.role == Role::Registry
    } else {
        v.issuer.organisation_id == e.actor.as_str() && v.issuer.role != Role::Registry
    };
    if !signer_ok {
        return Err(ProblemKind::WrongSigner {
            signer: v.issuer.organisation_id.clone(),
        });
    }
    Ok(recorded.resigns)
}

impl<S: RegistryStore> Registry<S> {
    /// A certificate's events as its signed statements prove them (see the module docs).
    pub async fn verified_history(&self, id: &CertificateId) -> ServiceResult<VerifiedHistory> {
        let (row, last_seq) = self
            .store()
            .certificate(id)
            .await?
            .ok_or_else(|| crate::error::not_found("certificate", id))?;
        let events = self.store().events(id).await?;
        self.verify_history(&row, last_seq, events).await
    }

    /// [`Registry::verified_history`] of events the caller has read already, with the
    /// certificate row and its `last_seq`. When every event is proven, the row must also say
    /// what their fold says ([`ProblemKind::RowDiffers`] otherwise).
    pub(crate) async fn verify_history(
        &self,
        row: &Certificate,
        last_seq: i64,
        events: Vec<Event>,
    ) -> ServiceResult<VerifiedHistory> {
        let mut out = self.verify_events(&row.id, last_seq, events).await?;
        if out.problems.is_empty() && !out.events.is_empty() {
            if let Some(field) = row.differs_from(&fold(&out.events)?) {
                out.problems.push(Problem {
                    certificate: Some(row.id.clone()),
                    event: last_seq,
                    kind: ProblemKind::RowDiffers {
                        field: field.to_owned(),
                    },
                });
            }
        }
        Ok(out)
    }

    /// The statements' half of [`Registry::verify_history`].
    async fn verify_events(
        &self,
        id: &CertificateId,
        last_seq: i64,
        events: Vec<Event>,
    ) -> ServiceResult<VerifiedHistory> {
        let keys = self.signer()?.key_store();
        let (statements, resignatures) = keys.signed_record(id.as_str()).await?;
        let (list, digest, fresh) = self.trust_for_reads(true).await?;
        let out = self.verify_against(
            id,
            last_seq,
            &events,
            &statements,
            &resignatures,
            &list,
            &digest,
        );
        if out.problems.is_empty() || fresh {
            return Ok(out);
        }
        // A problem with a reused list: verify again with a fresh one before saying so.
        let (list, digest, _) = self.trust_for_reads(false).await?;
        Ok(self.verify_against(
            id,
            last_seq,
            &events,
            &statements,
            &resignatures,
            &list,
            &digest,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn verify_against(
        &self,
        id: &CertificateId,
        last_seq: i64,
        events: &[Event],
        statements: &[keurmerk_store::StoredStatement],
        resignatures: &[keurmerk_store::StoredStatement],
        list: &std::sync::Arc<TrustList>,
        digest: &[u8; 32],
    ) -> VerifiedHistory {
        let now = self.now();
        let verify = |bytes: &[u8]| self.verified.verify(digest, list, bytes, now);

        let mut by_seq: HashMap<i64, &[u8]> = statements
            .iter()
            .map(|s| (s.event_seq, s.signed.as_slice()))
            .collect();
        let mut out = VerifiedHistory {
            events: Vec::with_capacity(events.len()),
            problems: Vec::new(),
            trust: *digest,
            list: list.clone(),
            newest: None,
        };
        let problem = |event: i64, kind: ProblemKind| Problem {
            certificate: Some(id.clone()),
            event,
            kind,
        };
        let mut scope: Option<(String, String)> = None;
        let mut intact = true;
        for e in events {
            let Some(bytes) = by_seq.remove(&e.seq) else {
                out.problems
                    .push(problem(e.seq, ProblemKind::StatementMissing));
                intact = false;
                continue;
            };
            let checked = match verify(bytes) {
                Ok(v) => {
                    let checked = check_scope(&v, &mut scope)
                        .and_then(|()| compare(&v, e))
                        .and_then(|resigns| match resigns {
                            // A re-signature belongs in `resignatures`, not as the original.
                            Some(_) => Err(ProblemKind::EventDiffers {
                                field: "re-signature stored as the original".into(),
                            }),
                            None => Ok(()),
                        });
                    // The page's "who signed the latest change", reached here rather than by
                    // verifying that statement again on every view.
                    if checked.is_ok() && e.seq == last_seq {
                        out.newest = Some(crate::AuthenticSignature::of(&v, e.seq));
                    }
                    checked
                }
                Err(TrustError::RevokedKey {
                    key_id, revoked_at, ..
                }) => {
                    // Authentic but signed with a key that was already compromised: it stands
                    // only if its issuer confirmed it again with a valid key.
                    let confirmed = resignatures
                        .iter()
                        .filter(|r| r.event_seq == e.seq)
                        .any(|r| {
                            verify(&r.signed).is_ok_and(|v| {
                                check_scope(&v, &mut scope.clone()).is_ok()
                                    && matches!(compare(&v, e), Ok(Some(_)))
                            })
                        });
                    if confirmed {
                        Ok(())
                    } else {
                        Err(ProblemKind::CompromisedKey {
                            key: key_id,
                            since: revoked_at,
                        })
                    }
                }
                Err(err) => Err(ProblemKind::StatementInvalid {
                    error: err.to_string(),
                }),
            };
            match checked {
                Ok(()) if intact => out.events.push(e.clone()),
                Ok(()) => {}
                Err(kind) => {
                    out.problems.push(problem(e.seq, kind));
                    intact = false;
                }
            }
        }
        let mut orphans: Vec<i64> = by_seq.into_keys().collect();
        orphans.sort_unstable();
        for seq in orphans {
            out.problems.push(problem(seq, ProblemKind::EventMissing));
        }
        let newest = events.last().map_or(0, |e| e.seq);
        if newest != last_seq {
            out.problems.push(problem(
                last_seq,
                ProblemKind::SequenceMismatch {
                    recorded: last_seq,
                    newest,
                },
            ));
        }
        out
    }

    /// The full integrity check of one certificate: [`Registry::verified_history`] plus the
    /// transparency log — every stored statement (and re-signature) is in the log with the same
    /// bytes or still queued for it, and every log entry recording one of its events equals one
    /// of that event's stored statements.
    pub async fn verify_integrity(&self, id: &CertificateId) -> ServiceResult<Vec<Problem>> {
        let mut problems = self.verified_history(id).await?.problems;
        let keys = self.signer()?.key_store();
        let (mut stored, resignatures) = keys.signed_record(id.as_str()).await?;
        stored.extend(resignatures);
        let queued = keys.queued_statements(id.as_str()).await?;
        let mut logged: Vec<(i64, u64, Vec<u8>)> = Vec::new();
        let mut bundles: HashMap<u64, Option<Vec<u8>>> = HashMap::new();
        for p in keys.log_positions(id.as_str()).await? {
            let idx = p.log_index / 256;
            if let std::collections::hash_map::Entry::Vacant(slot) = bundles.entry(idx) {
                slot.insert(keys.log_bundle(idx).await?);
            }
            let entry = bundles
                .get(&idx)
                .and_then(Option::as_ref)
                .and_then(|data| entry_in_bundle(data, p.log_index));
            match entry {
                Some(bytes) => logged.push((p.event_seq, p.log_index, bytes)),
                None => problems.push(Problem {
                    certificate: Some(id.clone()),
                    event: p.event_seq,
                    kind: ProblemKind::LogDiffers {
                        log_index: p.log_index,
                    },
                }),
            }
        }
        for s in &stored {
            let in_log = logged
                .iter()
                .any(|(seq, _, bytes)| *seq == s.event_seq && *bytes == s.signed);
            let in_queue = queued
                .iter()
                .any(|q| q.event_seq == s.event_seq && q.signed == s.signed);
            if !in_log && !in_queue {
                problems.push(Problem {
                    certificate: Some(id.clone()),
                    event: s.event_seq,
                    kind: ProblemKind::NotLogged,
                });
            }
        }
        for (seq, log_index, bytes) in &logged {
            if !stored
                .iter()
                .any(|s| s.event_seq == *seq && s.signed == *bytes)
            {
                problems.push(Problem {
                    certificate: Some(id.clone()),
                    event: *seq,
                    kind: ProblemKind::LogDiffers {
                        log_index: *log_index,
                    },
                });
            }
        }
        Ok(problems)
    }

    /// Every integrity problem in the registry: [`Registry::verify_integrity`] for each
    /// certificate, and log entries whose event row is gone.
    pub async fn verify_all_integrity(&self) -> ServiceResult<Vec<Problem>> {
        let mut problems = Vec::new();
        for c in self
            .store()
            .certificates(&CertificateFilter::default())
            .await?
        {
            problems.extend(self.verify_integrity(&c.id).await?);
        }
        for p in self
            .signer()?
            .key_store()
            .log_entries_without_event()
            .await?
        {
            problems.push(Problem {
                certificate: None,
                event: p.event_seq,
                kind: ProblemKind::EventMissing,
            });
        }
        Ok(problems)
    }

    /// The issuer confirms again, with its key valid now, every event of a certificate that it
    /// recorded and whose statement was signed with a key after that key's compromise time (the
    /// registry operator does so for the registry's own events). Each confirmation is a new
    /// signed statement over the same event, stored and logged; the certificate's status stops
    /// being `unknown` once nothing else is wrong. Only events whose stored row equals what the
    /// compromised key signed can be confirmed; anything else stays an integrity problem.
    /// Returns the confirmed events' sequence numbers.
    pub async fn resign(&self, actor: &Actor, id: &CertificateId) -> ServiceResult<Vec<i64>> {
        let me = self.acting(actor).await?;
        let registry = me.role == OrgRole::RegistryOperator;
        let history = self.verified_history(id).await?;
        let events = self.store().events(id).await?;
        let view = keurmerk_domain::event::fold(&events)?;
        let now = self.now();
        let mine: Vec<&Event> = history
            .problems
            .iter()
            .filter(|p| matches!(p.kind, ProblemKind::CompromisedKey { .. }))
            .filter_map(|p| events.iter().find(|e| e.seq == p.event))
            .filter(|e| {
                if e.role.is_registry() {
                    registry
                } else {
                    e.actor == me.id
                }
            })
            .collect();
        if mine.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "{id} has no event of {} signed with a compromised key; nothing to re-sign",
                me.id
            )));
        }
        let list = self.trust_list(0).await?;
        let mut signed = Vec::with_capacity(mine.len());
        for e in &mine {
            let (key, role) = if e.role.is_registry() {
                (self.root_signing_key(now).await?, Role::Registry)
            } else {
                (
                    self.org_signing_key(&me.id, now).await?,
                    crate::signing::role_of(me.role),
                )
            };
            let mut statement: Statement = crate::statement::statement_for(
                e,
                view.scheme.as_str(),
                view.level.as_str(),
                &key,
                role,
            )?;
            statement.signed_at = now;
            statement.payload.insert(
                "resigns".into(),
                json!(Resigns {
                    event_seq: e.seq,
                    at: e.at,
                }),
            );
            let bytes = sign_statement(&statement, &key)
                .map_err(|err| invalid("statement", err.to_string()))?;
            let v = verify_statement(&bytes, &list, now).map_err(|err| {
                ServiceError::Forbidden(format!("the re-signed statement would not verify: {err}"))
            })?;
            compare(&v, e).map_err(|kind| {
                ServiceError::Forbidden(format!(
                    "the re-signed statement would not match event {}: {kind:?}",
                    e.seq
                ))
            })?;
            signed.push(StoredStatement {
                event_seq: e.seq,
                signed: bytes,
            });
        }
        let seqs: Vec<i64> = signed.iter().map(|s| s.event_seq).collect();
        let audit = Audit {
            at: now,
            actor: Some(me.id.clone()),
            credential: actor.credential.clone(),
            action: "certificate.resign".into(),
            subject: id.to_string(),
            detail: json!({ "events": seqs }),
        };
        let queued = self
            .signer()?
            .key_store()
            .insert_resignatures(id.as_str(), &signed, now, &audit)
            .await?;
        for q in queued {
            self.logged(q).await?;
        }
        Ok(seqs)
    }
}

/// Every statement of a certificate names the same scheme and level as its first.
fn check_scope(
    v: &VerifiedStatement,
    scope: &mut Option<(String, String)>,
) -> Result<(), ProblemKind> {
    let st = &v.statement;
    match scope {
        None => {
            *scope = Some((st.scheme_id.clone(), st.level.clone()));
            Ok(())
        }
        Some((scheme, level)) if *scheme == st.scheme_id && *level == st.level => Ok(()),
        Some(_) => Err(ProblemKind::EventDiffers {
            field: "scheme or level".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use keurmerk_trust::{Act, Grant, KeyInfo, SigningKey, StatementKind, TRUST_LIST_VERSION};

    use super::*;

    /// Verifying far more statements than fit keeps the cache within its byte budget, and a
    /// statement still in it is served from it.
    #[test]
    fn the_verified_statement_cache_is_bounded_by_bytes() {
        let at = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
        let lab = SigningKey::generate();
        let list = TrustList {
            version: TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at(1),
            next_update: at(28),
            log_verifier_key: "keurmerk.example.eu/log+01020304+AQ==".into(),
            keys: vec![KeyInfo {
                key_id: lab.key_id(),
                public_key: lab.public_key(),
                organisation_id: "lab".into(),
                organisation_name: "Lab".into(),
                role: Role::AssessmentBody,
                member_state: None,
                scope: vec![Grant {
                    act: Act::Issue,
                    scheme: "eu-iot".into(),
                    levels: vec!["basic".into()],
                    valid_from: at(1),
                    valid_until: None,
                }],
                valid_from: at(1),
                valid_until: at(28),
                revoked_at: None,
            }],
        };
        let signed = |n: usize| {
            let mut payload = serde_json::Map::new();
            payload.insert("notes".into(), json!("x".repeat(32_000)));
            payload.insert("n".into(), json!(format!("{n:06}")));
            sign_statement(
                &Statement {
                    kind: StatementKind::CertificateIssued,
                    certificate_id: format!("KM-2026-{n:06}"),
                    scheme_id: "eu-iot".into(),
                    level: "basic".into(),
                    issuer: lab.key_id(),
                    signed_at: at(2),
                    payload,
                },
                &lab,
            )
            .unwrap()
        };
        let cache = VerifiedCache::default();
        let digest = [7u8; 32];
        let one = signed(0).len();
        let n = CACHE_MAX_BYTES / one * 3;
        for i in 0..n {
            cache.verify(&digest, &list, &signed(i), at(3)).unwrap();
            let (bytes, _) = cache.held();
            assert!(bytes <= CACHE_MAX_BYTES, "{bytes} bytes after {i}");
        }
        let (bytes, entries) = cache.held();
        assert!(entries > 0 && bytes == entries * one, "{bytes} / {entries}");
        // The last one is cached: verifying it again adds nothing.
        cache.verify(&digest, &list, &signed(n - 1), at(3)).unwrap();
        assert_eq!(cache.held(), (bytes, entries));
    }
}

//! All-or-nothing writes: one assessment gives one certificate, a new certificate supersedes the
//! live one, numbers are taken only when the issue commits, and follow-up work (dependents; the
//! live certificates' events of a product write) survives a crash between the commit and the
//! certificates' update.

use std::sync::Arc;

use keurmerk_domain::event::EventKind;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::{ActorRole, Command, State};
use keurmerk_domain::model::{DependencyKind, SupportCommitment, UpdatePolicy};
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, FollowUp, NewEvent, OutboxStore, SqlStore};

use crate::support::*;

async fn log_queue_len(e: &Env) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap()
}

async fn event_count(e: &Env) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn one_assessment_gives_one_certificate() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let asm = e
        .reg
        .record_assessment(&a("maker"), assessment(&e.reg, &p, &v, "eu-iot", "basic"))
        .await
        .unwrap();
    let first = e.reg.certify(&a("maker"), &asm.id, None).await.unwrap();
    let audits = audit_len(&e.reg).await;
    let events = event_count(&e).await;
    for _ in 0..2 {
        match e.reg.certify(&a("maker"), &asm.id, None).await {
            Err(ServiceError::Conflict(m)) => {
                assert!(m.contains(first.id.as_str()), "{m}");
                assert!(m.contains("nothing was written"), "{m}");
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    // Refused: nothing written, no number used.
    assert_eq!(audit_len(&e.reg).await, audits);
    assert_eq!(event_count(&e).await, events);
    let of_product = keurmerk_store::CertificateFilter {
        product: Some(p.clone()),
        ..Default::default()
    };
    assert_eq!(e.reg.certificates(&of_product).await.unwrap().len(), 1);
    let again = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    assert_eq!(again.as_str(), "KM-2026-000002");
}

#[tokio::test]
async fn a_refused_certify_uses_no_number() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let asm = e
        .reg
        .record_assessment(&a("maker"), assessment(&e.reg, &p, &v, "eu-iot", "basic"))
        .await
        .unwrap();
    // The maker's key is revoked: the statement cannot be signed, so certify is refused late,
    // after every check before it passed.
    let key = e
        .reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| k.organisation_id == "maker")
        .unwrap()
        .0
        .key_id;
    e.reg.revoke_key(&key.to_string(), t0()).await.unwrap();
    let audits = audit_len(&e.reg).await;
    assert!(e.reg.certify(&a("maker"), &asm.id, None).await.is_err());
    assert_eq!(audit_len(&e.reg).await, audits, "a refusal writes nothing");
    e.reg
        .create_key(
            &keurmerk_domain::ids::OrgId::new("maker").unwrap(),
            KeyScope {
                valid_until: Some(t0() + chrono::Duration::days(365)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = e.reg.certify(&a("maker"), &asm.id, None).await.unwrap();
    assert_eq!(
        c.id.as_str(),
        "KM-2026-000001",
        "the refused call used no number"
    );
}

#[tokio::test]
async fn a_new_certificate_supersedes_the_live_one_of_the_same_scheme() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let old = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    // A suspended one is replaced too.
    e.reg
        .change_state(
            &a("nl-lab"),
            &old,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "recall".into(),
                until: None,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    let queued = log_queue_len(&e).await;
    let new = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let d = e.reg.certificate_details(&old).await.unwrap();
    assert_eq!(d.certificate.state, State::Superseded);
    assert_eq!(d.view.superseded_by.as_ref(), Some(&new));
    let last = d.events.last().unwrap();
    assert_eq!(last.kind, EventKind::Superseded { by: new.clone() });
    assert_eq!(last.actor.as_str(), "nl-lab");
    assert_eq!(last.role, ActorRole::Issuer);
    // Signed and queued for the log like any event: the issue and the supersession.
    assert_eq!(log_queue_len(&e).await, queued + 2);
    let checks = e.reg.verify_statements(&old).await.unwrap();
    assert_eq!(checks.len(), d.events.len());
    assert_eq!(
        e.reg
            .certificate_details(&new)
            .await
            .unwrap()
            .certificate
            .state,
        State::Active
    );
    // Another scheme's certificate is left alone; the same scheme's by another issuer is
    // superseded, recorded by the registry.
    let eucc = issued(&e.reg, "de-lab", &p, &v, "eucc", "substantial").await;
    let own = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    let d = e.reg.certificate_details(&new).await.unwrap();
    assert_eq!(d.certificate.state, State::Superseded);
    assert_eq!(d.view.superseded_by.as_ref(), Some(&own));
    assert_eq!(d.events.last().unwrap().role, ActorRole::Registry);
    assert_eq!(
        e.reg
            .certificate_details(&eucc)
            .await
            .unwrap()
            .certificate
            .state,
        State::Active
    );
    assert!(e.reg.verify_event_store().await.unwrap().is_empty());
}

/// A service certificate and a product depending on it with its own live certificate.
async fn provider_and_dependent(e: &Env) -> (CertificateId, CertificateId) {
    world(&e.reg).await;
    let (svc, sv) = product(&e.reg, "other-maker").await;
    let svc_cert = issued(&e.reg, "de-lab", &svc, &sv, "eucc", "substantial").await;
    let (p, v) = product(&e.reg, "maker").await;
    e.reg
        .add_dependency(
            &a("maker"),
            &p,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Other".into(),
                service: "Other Cloud".into(),
                certificate: Some(svc_cert.clone()),
            },
        )
        .await
        .unwrap();
    let cert = issued(&e.reg, "maker", &p, &v, "eu-iot", "basic").await;
    (svc_cert, cert)
}

async fn seen_state(e: &Env, dependent: &CertificateId) -> Option<State> {
    let d = e.reg.certificate_details(dependent).await.unwrap();
    d.view
        .dependencies
        .values()
        .next()
        .unwrap()
        .certificate_state
}

#[tokio::test]
async fn dependents_are_told_in_the_write_and_the_outbox_is_left_empty() {
    let e = env().await;
    let (svc, cert) = provider_and_dependent(&e).await;
    for (command, state) in [
        (Command::Suspend, State::Suspended),
        (Command::Reinstate, State::Active),
    ] {
        e.reg
            .change_state(
                &a("de-lab"),
                &svc,
                LifecycleRequest {
                    command,
                    reason: "patch".into(),
                    until: None,
                    reason_code: (command != Command::Reinstate).then(|| "other".into()),
                    reason_lang: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(seen_state(&e, &cert).await, Some(state));
        assert_eq!(e.reg.pending_follow_ups().await.unwrap(), 0);
    }
}

/// The provider's suspension event after `last`, its follow-up work (telling the dependents) and
/// its audit record, as the service would write them.
fn provider_suspension(
    svc: &CertificateId,
    last: i64,
    reason: &str,
) -> (
    keurmerk_domain::event::Event,
    [FollowUp; 1],
    keurmerk_store::Audit,
) {
    let lab = keurmerk_domain::ids::OrgId::new("de-lab").unwrap();
    let suspend = keurmerk_domain::event::Event {
        seq: last + 1,
        certificate: svc.clone(),
        at: t0(),
        actor: lab.clone(),
        role: keurmerk_domain::lifecycle::ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: reason.into(),
            until: None,
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    };
    let work = [FollowUp::Dependents {
        provider: svc.clone(),
        actor: lab.clone(),
    }];
    let audit = keurmerk_store::Audit {
        at: t0(),
        actor: Some(lab),
        credential: keurmerk_store::Credential::Cli("test".into()),
        action: "certificate.suspend".into(),
        subject: svc.to_string(),
        detail: serde_json::json!({}),
    };
    (suspend, work, audit)
}

#[tokio::test]
async fn follow_up_work_left_by_a_crash_is_completed_once() {
    let e = env().await;
    let (svc, cert) = provider_and_dependent(&e).await;
    // The provider's suspension commits with its follow-up work, and the process dies before
    // telling the dependents (the store is written directly, as the service would).
    let (_, last) = e.reg.store().certificate(&svc).await.unwrap().unwrap();
    let (suspend, work, audit) = provider_suspension(&svc, last, "crash test");
    let append = |expected| NewEvent {
        event: &suspend,
        new_state: State::Suspended,
        expected_last_seq: expected,
        log_entry: b"statement",
        follow_ups: &work,
    };
    e.reg
        .store()
        .append_event(&append(last), &audit)
        .await
        .unwrap();
    assert_eq!(seen_state(&e, &cert).await, Some(State::Active), "drifted");
    assert_eq!(e.reg.pending_follow_ups().await.unwrap(), 1);
    let before = e.reg.certificate_details(&cert).await.unwrap().events.len();

    // Any instance's worker completes it after the restart.
    assert_eq!(e.reg.complete_follow_ups().await.unwrap(), 1);
    assert_eq!(seen_state(&e, &cert).await, Some(State::Suspended));
    let after = e.reg.certificate_details(&cert).await.unwrap().events.len();
    assert_eq!(after, before + 1);
    assert_eq!(e.reg.pending_follow_ups().await.unwrap(), 0);

    // Done twice (a worker died after telling the dependents but before deleting the item):
    // no second event.
    let (_, last) = e.reg.store().certificate(&svc).await.unwrap().unwrap();
    let noop = keurmerk_domain::event::Event {
        seq: last + 1,
        actor: keurmerk_domain::ids::OrgId::new("de-bsi").unwrap(),
        role: keurmerk_domain::lifecycle::ActorRole::NationalAuthority,
        kind: EventKind::SuspensionExtended {
            until: t0().date_naive() + chrono::Duration::days(10),
            reason: "still".into(),
            reason_code: None,
            reason_lang: None,
        },
        ..suspend.clone()
    };
    e.reg
        .store()
        .append_event(
            &NewEvent {
                event: &noop,
                ..append(last)
            },
            &audit,
        )
        .await
        .unwrap();
    let now = t0();
    assert_eq!(e.reg.complete_follow_ups().await.unwrap(), 1);
    assert_eq!(
        e.reg.certificate_details(&cert).await.unwrap().events.len(),
        after
    );
    assert!(e
        .reg
        .store()
        .claim_follow_ups(None, now, now, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(e.reg.verify_event_store().await.unwrap().is_empty());
}

/// A follow-up whose lease is renewed while its work writes (here on every tick of 1 ms, so
/// renewals fall inside the work's transactions) completes: the renewal runs beside the work,
/// never while the work holds the write lock and stands still (that deadlocked at 1,000,000).
#[tokio::test]
async fn renewing_the_lease_during_the_work_never_deadlocks() {
    let e = env().await;
    let (svc, cert) = provider_and_dependent(&e).await;
    let (_, last) = e.reg.store().certificate(&svc).await.unwrap().unwrap();
    let (suspend, work, audit) = provider_suspension(&svc, last, "lease test");
    e.reg
        .store()
        .append_event(
            &NewEvent {
                event: &suspend,
                new_state: State::Suspended,
                expected_last_seq: last,
                log_entry: b"statement",
                follow_ups: &work,
            },
            &audit,
        )
        .await
        .unwrap();
    let reg = e
        .reg
        .clone()
        .with_follow_up_renewal(std::time::Duration::from_millis(1));
    let done = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        reg.complete_follow_ups(),
    )
    .await
    .expect("the follow-up completed (no deadlock between the work and its lease renewal)")
    .unwrap();
    assert_eq!(done, 1);
    assert_eq!(seen_state(&e, &cert).await, Some(State::Suspended));
    assert_eq!(e.reg.pending_follow_ups().await.unwrap(), 0);
}

/// Makes the database refuse every event (as if the process died right after a product write
/// committed, before any certificate event), or lifts that again.
async fn refuse_events(store: &SqlStore, postgres: bool, on: bool) {
    let statements: &[&str] = match (postgres, on) {
        (false, true) => &["CREATE TRIGGER no_events BEFORE INSERT ON events \
             BEGIN SELECT RAISE(ABORT, 'simulated crash'); END"],
        (false, false) => &["DROP TRIGGER no_events"],
        (true, true) => &[
            "CREATE FUNCTION no_events() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'simulated crash'; END $$",
            "CREATE TRIGGER no_events BEFORE INSERT ON events \
             FOR EACH ROW EXECUTE FUNCTION no_events()",
        ],
        (true, false) => &["DROP TRIGGER no_events ON events"],
    };
    for sql in statements {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
}

type OutboxRow = (String, String, String, String);

async fn outbox_rows(store: &SqlStore) -> Vec<OutboxRow> {
    sqlx::query_as("SELECT kind, subject, actor_id, created_at FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

async fn events_of(reg: &Registry<SqlStore>, c: &CertificateId) -> Vec<EventKind> {
    let d = reg.certificate_details(c).await.unwrap();
    d.events.into_iter().map(|e| e.kind).collect()
}

/// A security-update version, a support period and a dependency commit while no certificate
/// event can be written: the client is told they were written (they were), the live
/// certificates' events wait in the outbox, and the worker gives every live certificate exactly
/// one event per change, signed and queued for the log, and none when done again.
async fn product_work_left_by_a_crash_is_completed_once(
    store: SqlStore,
    clock: Arc<ManualClock>,
    postgres: bool,
) {
    let reg = Registry::new(store.clone(), catalogue(), clock.clone())
        .with_signer(Signer::new(Arc::new(store.clone()), Secrets::memory()))
        .with_local_credential(keurmerk_service::Credential::Cli("test".into()));
    world(&reg).await;
    let (svc, sv) = product(&reg, "other-maker").await;
    let svc_cert = issued(&reg, "de-lab", &svc, &sv, "eucc", "substantial").await;
    let (p, v) = product(&reg, "maker").await;
    let old = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let own = issued(&reg, "maker", &p, &v, "eu-iot", "basic").await;
    let lab = issued(&reg, "de-lab", &p, &v, "eucc", "substantial").await;
    let live = [own.clone(), lab.clone()];
    let mut before = std::collections::BTreeMap::new();
    for c in [&old, &own, &lab, &svc_cert] {
        before.insert(c.clone(), events_of(&reg, c).await);
    }
    let queued = log_queue_len_of(&store).await;

    refuse_events(&store, postgres, true).await;
    let version = reg
        .add_version(
            &a("maker"),
            &p,
            NewVersion {
                version: "1.0.1".into(),
                released_on: t0().date_naive(),
                security_update: true,
                notes: None,
            },
        )
        .await
        .expect("the version committed, so the client is told so");
    let until = (t0() + chrono::Duration::days(900)).date_naive();
    reg.set_support(
        &a("maker"),
        &p,
        SupportCommitment {
            support_until: until,
            update_policy: UpdatePolicy::Automatic,
            vulnerability_contact: "security@maker.example".into(),
            disclosure_policy_url: None,
            password: None,
            updates_url: None,
        },
    )
    .await
    .expect("the support period committed");
    let dep = reg
        .add_dependency(
            &a("maker"),
            &p,
            NewDependency {
                kind: DependencyKind::Cloud,
                provider: "Other".into(),
                service: "Other Cloud".into(),
                certificate: Some(svc_cert.clone()),
            },
        )
        .await
        .expect("the dependency committed");
    for (c, events) in &before {
        assert_eq!(
            &events_of(&reg, c).await,
            events,
            "{c}: no event got through"
        );
    }
    assert_eq!(
        reg.pending_follow_ups().await.unwrap(),
        3,
        "the work is kept"
    );

    // After the restart (and past the retry delay of the failed attempts), any instance's worker
    // completes it.
    refuse_events(&store, postgres, false).await;
    clock.set(t0() + chrono::Duration::hours(1));
    let left = outbox_rows(&store).await;
    assert_eq!(reg.complete_follow_ups().await.unwrap(), 3);
    assert_eq!(reg.pending_follow_ups().await.unwrap(), 0);
    for c in &live {
        let d = reg.certificate_details(c).await.unwrap();
        let new: Vec<_> = d.events[before[c].len()..].to_vec();
        let mut kinds: Vec<_> = new.iter().map(|e| e.kind.clone()).collect();
        if c == &own {
            assert_eq!(kinds.len(), 3, "{c}: one event per change: {kinds:?}");
            assert!(
                matches!(&kinds[0], EventKind::VersionCovered { version: cv } if cv.id == version.id)
            );
            kinds.remove(0);
        } else {
            // The lab's certificate covers what the lab covered: the maker's new version is
            // not among its events (issue 12).
            assert_eq!(kinds.len(), 2, "{c}: one event per change: {kinds:?}");
        }
        assert_eq!(
            kinds[0],
            EventKind::SupportChanged {
                support_until: until
            }
        );
        assert!(
            matches!(&kinds[1], EventKind::DependencyDeclared { dependency: s }
            if s.id == dep.id && s.certificate_state == Some(State::Active))
        );
        let role = if c == &own {
            ActorRole::Issuer
        } else {
            ActorRole::Holder
        };
        for e in &new {
            assert_eq!(e.actor.as_str(), "maker");
            assert_eq!(e.role, role);
        }
        assert_eq!(d.view.support_until, Some(until));
        assert_eq!(
            d.view.versions.iter().any(|cv| cv.id == version.id),
            c == &own
        );
        assert!(d.view.dependencies.contains_key(&dep.id));
        // Signed like any event.
        let checks = reg.verify_statements(c).await.unwrap();
        assert_eq!(checks.len(), d.events.len());
        assert!(checks.iter().all(|c| c.result.is_ok()), "{checks:?}");
    }
    // The superseded certificate and the service's are left alone.
    for c in [&old, &svc_cert] {
        assert_eq!(&events_of(&reg, c).await, &before[c], "{c}");
    }
    // Queued for the log with the events.
    assert_eq!(log_queue_len_of(&store).await, queued + 5);

    // Done twice (a worker died after writing the events but before deleting the items): no
    // second event.
    for (kind, subject, actor, created_at) in &left {
        sqlx::query(
            "INSERT INTO outbox (kind, subject, actor_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind)
        .bind(subject)
        .bind(actor)
        .bind(created_at)
        .execute(store.pool())
        .await
        .unwrap();
    }
    let after: Vec<_> = {
        let mut v = Vec::new();
        for c in &live {
            v.push(events_of(&reg, c).await);
        }
        v
    };
    assert_eq!(reg.complete_follow_ups().await.unwrap(), 3);
    for (c, events) in live.iter().zip(&after) {
        assert_eq!(
            &events_of(&reg, c).await,
            events,
            "{c}: done twice, written once"
        );
    }
    assert_eq!(log_queue_len_of(&store).await, queued + 5);
    assert_eq!(reg.pending_follow_ups().await.unwrap(), 0);
    assert!(reg.verify_event_store().await.unwrap().is_empty());
}

async fn log_queue_len_of(store: &SqlStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn product_work_left_by_a_crash_is_completed_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    product_work_left_by_a_crash_is_completed_once(store, Arc::new(ManualClock::new(t0())), false)
        .await;
}

#[tokio::test]
async fn product_work_left_by_a_crash_is_completed_once_on_postgres() {
    let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
        eprintln!(
            "skipped: KEURMERK_TEST_POSTGRES is not set, so this is not tested on PostgreSQL"
        );
        return;
    };
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let store = SqlStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    product_work_left_by_a_crash_is_completed_once(
        store.clone(),
        Arc::new(ManualClock::new(t0())),
        true,
    )
    .await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(store.pool())
        .await
        .unwrap();
}

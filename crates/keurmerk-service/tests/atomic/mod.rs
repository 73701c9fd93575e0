//! All-or-nothing writes: one assessment gives one certificate, a new certificate supersedes the
//! live one, numbers are taken only when the issue commits, and follow-up work (dependents)
//! survives a crash between the provider's commit and the dependents' update.

use keurmerk_domain::event::EventKind;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::lifecycle::{ActorRole, Command, State};
use keurmerk_domain::model::DependencyKind;
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, FollowUp, NewEvent, OutboxStore};

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
                },
            )
            .await
            .unwrap();
        assert_eq!(seen_state(&e, &cert).await, Some(state));
        assert_eq!(e.reg.pending_follow_ups().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn follow_up_work_left_by_a_crash_is_completed_once() {
    let e = env().await;
    let (svc, cert) = provider_and_dependent(&e).await;
    // The provider's suspension commits with its follow-up work, and the process dies before
    // telling the dependents (the store is written directly, as the service would).
    let (_, last) = e.reg.store().certificate(&svc).await.unwrap().unwrap();
    let suspend = keurmerk_domain::event::Event {
        seq: last + 1,
        certificate: svc.clone(),
        at: t0(),
        actor: keurmerk_domain::ids::OrgId::new("de-lab").unwrap(),
        role: keurmerk_domain::lifecycle::ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: "crash test".into(),
            until: None,
        },
    };
    let work = [FollowUp::Dependents {
        provider: svc.clone(),
        actor: keurmerk_domain::ids::OrgId::new("de-lab").unwrap(),
    }];
    let append = |expected| NewEvent {
        event: &suspend,
        new_state: State::Suspended,
        expected_last_seq: expected,
        log_entry: b"statement",
        follow_ups: &work,
    };
    let audit = keurmerk_store::Audit {
        at: t0(),
        actor: suspend.actor.clone(),
        action: "certificate.suspend".into(),
        subject: svc.to_string(),
        detail: serde_json::json!({}),
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

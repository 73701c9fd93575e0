//! Writes that are all-or-nothing: certificate numbers taken in the issuing transaction, one
//! certificate per assessment, follow-up work stored with its event, idempotency keys recorded
//! with the first write.

use super::*;

pub(super) fn suspension(cert: &Certificate, day: i64) -> Event {
    Event {
        seq: 0,
        certificate: cert.id.clone(),
        at: at(day),
        actor: cert.holder.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: "recall".into(),
            until: None,
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    }
}

async fn counter(s: &SqlStore, name: &str) -> u64 {
    s.current_sequence(name).await.unwrap()
}

pub(super) async fn certificate_numbers_are_taken_when_the_issue_commits(s: &SqlStore) {
    let (_, cert, issued, _) = issued_certificate(s).await;
    assert_eq!(counter(s, "KM-2026").await, 0, "`issue` takes no number");
    let number = |n| Numbering {
        counter: "KM-2026".into(),
        number: n,
    };
    // A second certificate on the same assessment is refused, and uses no number.
    let again = Certificate {
        id: CertificateId::new("KM-2026-000002").unwrap(),
        ..cert.clone()
    };
    let issued2 = Event {
        certificate: again.id.clone(),
        ..issued.clone()
    };
    let e = s
        .issue_numbered(&again, &issued2, b"st", &number(1), &[], &audit("m", "c"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists { .. }), "{e}");
    assert_eq!(counter(s, "KM-2026").await, 0);
    assert!(s.certificate(&again.id).await.unwrap().is_none());

    // A new assessment: the number must be the next free one.
    let a2 = Assessment {
        id: rid("ASM-000002"),
        ..s.assessment(&rid("ASM-000001")).await.unwrap().unwrap()
    };
    s.insert_assessment(&a2, &audit("maker", "assessment.record"))
        .await
        .unwrap();
    let again = Certificate {
        assessment: a2.id.clone(),
        ..again
    };
    let stale = s
        .issue_numbered(&again, &issued2, b"st", &number(2), &[], &audit("m", "c"))
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    assert!(s.certificate(&again.id).await.unwrap().is_none());
    assert_eq!(counter(s, "KM-2026").await, 0);
    // It supersedes the first one in the same transaction.
    let (_, last) = s.certificate(&cert.id).await.unwrap().unwrap();
    let superseded = Event {
        seq: 0,
        certificate: cert.id.clone(),
        at: at(5),
        actor: cert.holder.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Superseded {
            by: again.id.clone(),
        },
    };
    let also = NewEvent {
        event: &superseded,
        new_state: State::Superseded,
        expected_last_seq: last,
        log_entry: b"st-old",
        follow_ups: &[],
    };
    let done = s
        .issue_numbered(
            &again,
            &issued2,
            b"st",
            &number(1),
            &[also],
            &audit("m", "c"),
        )
        .await
        .unwrap();
    assert_eq!(done.len(), 2);
    assert_eq!(counter(s, "KM-2026").await, 1);
    let (old, _) = s.certificate(&cert.id).await.unwrap().unwrap();
    assert_eq!(old.state, State::Superseded);
    assert!(s.certificate(&again.id).await.unwrap().is_some());
    // The number is gone now: a writer that read the counter before loses.
    let third = Certificate {
        id: CertificateId::new("KM-2026-000003").unwrap(),
        assessment: rid("ASM-000003"),
        ..cert.clone()
    };
    let e = s
        .issue_numbered(&third, &issued2, b"st", &number(1), &[], &audit("m", "c"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
}

pub(super) async fn follow_ups_are_stored_with_their_event_and_claimed_once(s: &SqlStore) {
    let (p, cert, _, seq1) = issued_certificate(s).await;
    let work = [FollowUp::Dependents {
        provider: cert.id.clone(),
        actor: cert.holder.clone(),
    }];
    let suspend = suspension(&cert, 3);
    // Nothing depends on the certificate yet: no work is stored.
    let seq2 = s
        .append_event(
            &NewEvent {
                event: &suspend,
                new_state: State::Suspended,
                expected_last_seq: seq1,
                log_entry: b"st",
                follow_ups: &work,
            },
            &audit("maker", "suspend"),
        )
        .await
        .unwrap()
        .seq;
    assert_eq!(s.pending_follow_ups().await.unwrap(), 0);
    s.insert_dependency(
        &Dependency {
            id: rid("DEP-000001"),
            product: p.id.clone(),
            kind: DependencyKind::Cloud,
            provider: "P".into(),
            service: "S".into(),
            certificate: Some(cert.id.clone()),
        },
        &audit("maker", "dependency.add"),
        &[],
    )
    .await
    .unwrap();
    // A lost race stores no work either.
    let stale = s
        .append_event(
            &NewEvent {
                event: &suspend,
                new_state: State::Suspended,
                expected_last_seq: seq1,
                log_entry: b"st",
                follow_ups: &work,
            },
            &audit("maker", "suspend"),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    assert_eq!(s.pending_follow_ups().await.unwrap(), 0);
    let mut last = seq2;
    for day in [4, 5] {
        let e = Event {
            at: at(day),
            ..suspend.clone()
        };
        last = s
            .append_event(
                &NewEvent {
                    event: &e,
                    new_state: State::Suspended,
                    expected_last_seq: last,
                    log_entry: b"st",
                    follow_ups: &work,
                },
                &audit("maker", "suspend"),
            )
            .await
            .unwrap()
            .seq;
    }
    assert_eq!(s.pending_follow_ups().await.unwrap(), 2);
    let subject = cert.id.to_string();
    // Only the oldest item of a subject is handed out, and only once while its lease runs.
    let first = s
        .claim_follow_ups(Some(&subject), at(10), at(11), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].work, work[0]);
    assert_eq!(first[0].attempts, 1);
    assert!(s
        .claim_follow_ups(None, at(10), at(11), 10)
        .await
        .unwrap()
        .is_empty());
    // A worker still on it renews its lease: nobody claims the item meanwhile.
    assert!(s
        .renew_follow_up(first[0].id, at(10), at(12))
        .await
        .unwrap());
    assert!(s
        .claim_follow_ups(None, at(11), at(12), 10)
        .await
        .unwrap()
        .is_empty());
    // A lease that ran out is not renewed (another worker may hold it now)…
    assert!(!s
        .renew_follow_up(first[0].id, at(12) + chrono::Duration::seconds(1), at(14))
        .await
        .unwrap());
    // …and is claimed again (the worker died).
    let again = s
        .claim_follow_ups(None, at(12) + chrono::Duration::seconds(1), at(13), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (first[0].id, 2));
    // A failure is retried after its delay; a finished item is gone and the next one is free.
    s.fail_follow_up(first[0].id, "boom", at(20)).await.unwrap();
    assert!(s
        .claim_follow_ups(None, at(14), at(15), 10)
        .await
        .unwrap()
        .is_empty());
    s.finish_follow_up(first[0].id).await.unwrap();
    let next = s.claim_follow_ups(None, at(14), at(15), 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].id > first[0].id);
    s.finish_follow_up(next[0].id).await.unwrap();
    assert_eq!(s.pending_follow_ups().await.unwrap(), 0);
}

pub(super) async fn an_idempotency_key_is_recorded_with_the_first_write(s: &SqlStore) {
    use keurmerk_store::idempotency::with_request;
    // Taking a number first (a product's id) is not the write: a crash after it must leave the
    // key free, so the retry creates the product instead of being told it committed (found by
    // the kill -9 test under load: an acknowledged product was missing).
    let numbered = IdempotentRequest::new("scope-n".into(), "key-n".into(), "hn".into());
    let n = with_request(numbered.clone(), async { s.next_sequence("PRD").await })
        .await
        .unwrap();
    assert!(n > 0);
    assert!(!numbered.recorded());
    assert_eq!(
        s.idempotency_record("scope-n", "key-n").await.unwrap(),
        None
    );
    let (_, cert, _, seq1) = issued_certificate(s).await;
    let suspend = suspension(&cert, 3);
    let req = || IdempotentRequest::new("scope-a".into(), "key-1".into(), "h1".into());
    let first = req();
    let seq2 = with_request(first.clone(), async {
        s.append(&suspend, State::Suspended, seq1, b"st", &audit("m", "s"))
            .await
    })
    .await
    .unwrap()
    .seq;
    assert!(first.recorded());
    let rec = s
        .idempotency_record("scope-a", "key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.request_sha256, "h1");
    assert_eq!(rec.response, None);
    // The same key again cannot write, even a write that would otherwise succeed.
    let second = req();
    let e = with_request(second.clone(), async {
        s.append(&suspend, State::Suspended, seq2, b"st", &audit("m", "s"))
            .await
    })
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::IdempotencyKeyUsed), "{e}");
    assert!(!second.recorded());
    assert_eq!(s.events(&cert.id).await.unwrap().len(), 2);
    // Another credential's key of the same name is its own.
    let other = IdempotentRequest::new("scope-b".into(), "key-1".into(), "h1".into());
    with_request(other, async {
        s.append(&suspend, State::Suspended, seq2, b"st", &audit("m", "s"))
            .await
    })
    .await
    .unwrap();
    s.store_response("scope-a", "key-1", 200, b"{\"ok\":1}")
        .await
        .unwrap();
    // Only the first answer is kept.
    s.store_response("scope-a", "key-1", 500, b"{}")
        .await
        .unwrap();
    let rec = s
        .idempotency_record("scope-a", "key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.response, Some((200, b"{\"ok\":1}".to_vec())));
    assert!(s
        .idempotency_record("scope-a", "nope")
        .await
        .unwrap()
        .is_none());
}

pub(super) async fn product_writes_store_their_follow_ups_in_their_transaction(s: &SqlStore) {
    let p = seed(s).await;
    let maker = p.manufacturer.clone();
    let v = ProductVersion {
        id: rid("VER-000001"),
        product: p.id.clone(),
        version: "1.0.1".into(),
        released_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        security_update: true,
        notes: None,
    };
    let covered = FollowUp::VersionCovered {
        version: v.id.clone(),
        actor: maker.clone(),
    };
    s.insert_version(
        &v,
        &audit("maker", "version.add"),
        std::slice::from_ref(&covered),
    )
    .await
    .unwrap();
    // A refused write (the same version again) stores no work: it rolls back with the record.
    let dup = ProductVersion {
        id: rid("VER-000002"),
        ..v.clone()
    };
    let again = FollowUp::VersionCovered {
        version: dup.id.clone(),
        actor: maker.clone(),
    };
    assert!(s
        .insert_version(&dup, &audit("maker", "version.add"), &[again])
        .await
        .is_err());
    let support = FollowUp::SupportChanged {
        product: p.id.clone(),
        actor: maker.clone(),
    };
    s.set_support(
        &p.id,
        &SupportCommitment {
            support_until: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            update_policy: UpdatePolicy::Automatic,
            vulnerability_contact: "security@example.org".into(),
            disclosure_policy_url: None,
            password: None,
            updates_url: None,
        },
        &audit("maker", "support.set"),
        std::slice::from_ref(&support),
    )
    .await
    .unwrap();
    let d = Dependency {
        id: rid("DEP-000001"),
        product: p.id.clone(),
        kind: DependencyKind::Cloud,
        provider: "P".into(),
        service: "S".into(),
        certificate: None,
    };
    let declared = FollowUp::DependencyDeclared {
        dependency: d.id.clone(),
        actor: maker.clone(),
    };
    s.insert_dependency(
        &d,
        &audit("maker", "dependency.add"),
        std::slice::from_ref(&declared),
    )
    .await
    .unwrap();
    assert_eq!(s.dependency(&d.id).await.unwrap(), Some(d.clone()));
    assert_eq!(s.dependency(&rid("DEP-000009")).await.unwrap(), None);
    assert_eq!(s.pending_follow_ups().await.unwrap(), 3);
    // Each item comes back as it was stored (its subject is the version, product or dependency).
    let claimed = s.claim_follow_ups(None, at(10), at(11), 10).await.unwrap();
    let work: Vec<_> = claimed.iter().map(|i| i.work.clone()).collect();
    assert_eq!(work, vec![covered, support.clone(), declared]);
    for item in &claimed {
        s.finish_follow_up(item.id).await.unwrap();
    }
    // One product's support items are handed out in order, one at a time.
    for _ in 0..2 {
        s.set_support(
            &p.id,
            &SupportCommitment {
                support_until: NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(),
                update_policy: UpdatePolicy::Automatic,
                vulnerability_contact: "security@example.org".into(),
                disclosure_policy_url: None,
                password: None,
                updates_url: None,
            },
            &audit("maker", "support.set"),
            std::slice::from_ref(&support),
        )
        .await
        .unwrap();
    }
    let subject = p.id.to_string();
    let first = s
        .claim_follow_ups(Some(&subject), at(12), at(13), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].work, support);
}

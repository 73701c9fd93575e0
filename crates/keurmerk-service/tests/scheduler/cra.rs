//! CRA reporting end to end (issue 12 item 4) on SQLite and, when `KEURMERK_TEST_POSTGRES` is
//! set, on PostgreSQL: the service clock is driven through the three deadlines; the holder
//! edits and submits (signed, logged, verifiable against the digest); only the holder, the
//! supervising authority and the operator read; the scheduler records each passed deadline once,
//! catching up after a stopped server, with two instances of which one acts.

use chrono::TimeZone;
use keurmerk_domain::cra::{CraKind, ObligationState, ReportEdit};
use keurmerk_domain::model::Severity;
use keurmerk_store::{CraReportKey, CraStore, StoredCraReport};
use sha2::Digest;

use super::*;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

const SBOM_FIXED: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
    {"type": "library", "name": "github.com/gin-gonic/gin", "version": "v1.6.0", "purl": "pkg:golang/github.com/gin-gonic/gin@v1.6.0"}]}"#;

const V: &str = "GO-2020-0001";

fn states(o: &[CraObligations]) -> Vec<ObligationState> {
    o[0].obligations.iter().map(|x| x.state).collect()
}

async fn cra_overdue(
    reg: &Registry<SqlStore>,
    id: &CertificateId,
) -> Vec<(CraKind, DateTime<Utc>)> {
    reg.store()
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::CraReportOverdue {
                report, scheduled, ..
            } => {
                assert_eq!(e.role, ActorRole::Scheduler);
                Some((report, scheduled.due_at))
            }
            _ => None,
        })
        .collect()
}

async fn cra_end_to_end(db: Db) {
    let tick = Duration::microseconds(1);
    // Found (not exploited) on 1 Oct 2026 08:00; marked exploited at 10:00: the clocks start
    // then, when the registry first knew the product is affected by an exploited vulnerability.
    db.clock.set(at(2026, 10, 1, 8));
    let reg = db.registry().await;
    world(&reg).await;
    let (p, v) = product(&reg, "maker").await;
    support(
        &reg,
        "maker",
        &p,
        (t0() + Duration::days(2000)).date_naive(),
    )
    .await;
    let cert = issued(&reg, "maker", &p, &v, "eu-iot", "basic").await;
    let details = reg.certificate_details(&cert).await.unwrap();
    assert_eq!(
        details.certificate.authority.as_ref().map(OrgId::as_str),
        Some("nl-rdi"),
        "reports are routed to the supervising authority"
    );
    reg.attach_sbom(&a("maker"), &v, "bom.json", SBOM.as_bytes())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GO-2020-0001.json");
    std::fs::write(&path, osv_critical()).unwrap();
    reg.import_advisories(&a("enisa"), &path, false, &|_| {})
        .await
        .unwrap();
    assert!(reg
        .cra_obligations(&a("maker"), None)
        .await
        .unwrap()
        .is_empty());
    let aware = at(2026, 10, 1, 10);
    db.clock.set(aware);
    reg.mark_exploited(&a("nl-rdi"), "CVE-2020-36567")
        .await
        .unwrap();
    let list = reg.cra_obligations(&a("maker"), None).await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (list[0].vulnerability.as_str(), list[0].aware_at),
        (V, aware)
    );
    let due: Vec<_> = list[0].obligations.iter().map(|o| o.due_at).collect();
    assert_eq!(
        due,
        vec![
            Some(aware + Duration::hours(24)),
            Some(aware + Duration::hours(72)),
            None
        ]
    );
    use ObligationState as S;
    assert_eq!(states(&list), vec![S::Due, S::Due, S::Pending]);

    // Who reads: the holder, its supervising authority, the operator; nobody else, for any
    // operation, and a refusal writes nothing.
    for who in ["nl-rdi", "enisa"] {
        assert_eq!(
            reg.cra_obligations(&a(who), Some(&cert))
                .await
                .unwrap()
                .len(),
            1
        );
        reg.cra_report(&a(who), &cert, V, CraKind::EarlyWarning)
            .await
            .unwrap();
    }
    assert_eq!(
        reg.cra_obligations(&a("nl-rdi"), None).await.unwrap().len(),
        1
    );
    assert!(reg
        .cra_obligations(&a("de-bsi"), None)
        .await
        .unwrap()
        .is_empty());
    assert!(reg
        .cra_obligations(&a("other-maker"), None)
        .await
        .unwrap()
        .is_empty());
    let before = audit_len(&reg).await;
    for who in ["other-maker", "nl-lab", "de-bsi", "de-lab"] {
        forbidden(reg.cra_obligations(&a(who), Some(&cert)).await);
        forbidden(
            reg.cra_report(&a(who), &cert, V, CraKind::EarlyWarning)
                .await,
        );
        forbidden(
            reg.export_cra_report(&a(who), &cert, V, CraKind::EarlyWarning)
                .await,
        );
        forbidden(
            reg.edit_cra_report(
                &a(who),
                &cert,
                V,
                CraKind::EarlyWarning,
                ReportEdit::default(),
            )
            .await,
        );
        forbidden(
            reg.submit_cra_report(&a(who), &cert, V, CraKind::EarlyWarning)
                .await,
        );
    }
    forbidden(reg.cra_obligations(&a("nl-lab"), None).await);
    for reader in ["nl-rdi", "enisa"] {
        forbidden(
            reg.edit_cra_report(
                &a(reader),
                &cert,
                V,
                CraKind::EarlyWarning,
                ReportEdit::default(),
            )
            .await,
        );
        forbidden(
            reg.submit_cra_report(&a(reader), &cert, V, CraKind::EarlyWarning)
                .await,
        );
    }
    assert_eq!(audit_len(&reg).await, before, "refusals write nothing");
    assert!(matches!(
        reg.cra_report(&a("maker"), &cert, "CVE-0000-0000", CraKind::EarlyWarning)
            .await,
        Err(ServiceError::NotFound { .. })
    ));

    // The draft is pre-filled from the registry.
    let draft = reg
        .cra_report(&a("maker"), &cert, V, CraKind::EarlyWarning)
        .await
        .unwrap();
    assert!(!draft.submitted);
    let r = &draft.report;
    assert_eq!(r.product.name, "Cosy Cam");
    assert_eq!(r.member_states, vec!["NL"]);
    assert_eq!(r.affected_versions, vec!["1.0.0"]);
    assert_eq!(r.severity, Severity::Critical);
    assert!(r.aliases.iter().any(|x| x == "CVE-2020-36567"), "{r:?}");
    assert_eq!(r.due_at, Some(aware + Duration::hours(24)));

    // The holder edits and submits the early warning in time.
    invalid(
        reg.edit_cra_report(
            &a("maker"),
            &cert,
            V,
            CraKind::EarlyWarning,
            ReportEdit {
                member_states: Some(vec!["XX".into()]),
                ..ReportEdit::default()
            },
        )
        .await,
        "member_states",
    );
    reg.edit_cra_report(
        &a("maker"),
        &cert,
        V,
        CraKind::EarlyWarning,
        ReportEdit {
            member_states: Some(vec!["NL".into(), "de".into(), "BE".into()]),
            ..ReportEdit::default()
        },
    )
    .await
    .unwrap();
    db.clock.set(aware + Duration::hours(23));
    let sent = reg
        .submit_cra_report(&a("maker"), &cert, V, CraKind::EarlyWarning)
        .await
        .unwrap();
    assert!(sent.submitted);
    assert_eq!(sent.obligation.state, S::SubmittedOnTime);
    assert_eq!(sent.report.member_states, vec!["NL", "DE", "BE"]);
    assert!(sent.report.nonce.is_some(), "salted");
    // Submitted is final.
    assert!(matches!(
        reg.submit_cra_report(&a("maker"), &cert, V, CraKind::EarlyWarning)
            .await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        reg.edit_cra_report(
            &a("maker"),
            &cert,
            V,
            CraKind::EarlyWarning,
            ReportEdit::default()
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    // The export is exactly the bytes the signed event's digest covers; the authority reads the
    // same report.
    let bytes = reg
        .export_cra_report(&a("nl-rdi"), &cert, V, CraKind::EarlyWarning)
        .await
        .unwrap();
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sent.sha256);
    let event = reg
        .store()
        .events(&cert)
        .await
        .unwrap()
        .into_iter()
        .find(|e| matches!(e.kind, EventKind::CraReportSubmitted { .. }))
        .unwrap();
    match &event.kind {
        EventKind::CraReportSubmitted { sha256, report, .. } => {
            assert_eq!((sha256, *report), (&sent.sha256, CraKind::EarlyWarning));
        }
        _ => unreachable!(),
    }
    for c in reg.verify_statements(&cert).await.unwrap() {
        assert!(c.result.is_ok(), "event {}: {:?}", c.event_seq, c.result);
    }
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue WHERE event_seq = $1")
        .bind(event.seq)
        .fetch_one(reg.store().pool())
        .await
        .unwrap();
    assert_eq!(queued, 1, "the submission is queued for the log");
    assert!(reg
        .store()
        .audit(10_000, None)
        .await
        .unwrap()
        .iter()
        .any(|e| e.audit.action == "cra.report_submit"
            && e.audit.actor.as_ref().map(OrgId::as_str) == Some("maker")));

    // A report stored without its event (a crash between the two) is never shown as submitted.
    let orphan = StoredCraReport {
        key: CraReportKey {
            certificate: cert.clone(),
            vulnerability: V.into(),
            kind: CraKind::Notification,
        },
        sha256: "0".repeat(64),
        body: "{}".into(),
        stored_at: reg.now(),
    };
    reg.store()
        .put_cra_report(
            &orphan,
            &keurmerk_store::Audit {
                at: reg.now(),
                actor: None,
                credential: Credential::System("test".into()),
                action: "test".into(),
                subject: cert.to_string(),
                detail: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
    assert!(
        !reg.cra_report(&a("maker"), &cert, V, CraKind::Notification)
            .await
            .unwrap()
            .submitted
    );

    // Someone follows the certificate with a webhook.
    let reg = reg.with_webhook_targets(WebhookTargets {
        allow_private: true,
        resolve_timeout: StdDuration::from_secs(2),
    });
    let (_, grant) = reg
        .create_watchlist(
            "CSIRT",
            Some("http://127.0.0.1:9/hook"),
            "b".repeat(64),
            Some("s".repeat(32)),
        )
        .await
        .unwrap();
    reg.watch(
        &grant,
        keurmerk_domain::watch::WatchKind::Certificate,
        cert.as_str(),
    )
    .await
    .unwrap();

    // The 72 h deadline: exactly at it nothing is due; a moment later the scheduler records it,
    // once, effective the moment after the deadline.
    let notification_due = aware + Duration::hours(72);
    db.clock.set(notification_due);
    assert!(cra_overdue(&reg, &cert).await.is_empty());
    pass(&reg).await;
    assert!(
        cra_overdue(&reg, &cert).await.is_empty(),
        "not before it passed"
    );
    db.clock.set(notification_due + Duration::minutes(5));
    let r = pass(&reg).await;
    assert_eq!(
        r.recorded
            .iter()
            .map(|x| (x.event.as_str(), x.rule, x.due_at))
            .collect::<Vec<_>>(),
        vec![(
            "cra_report_overdue",
            Rule::CraReportOverdue,
            notification_due + tick
        )]
    );
    assert!(pass(&reg).await.recorded.is_empty(), "once");
    let seq = r.recorded[0].seq;
    let delivered: Vec<i64> = reg
        .deliveries(&grant, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.event_seq)
        .collect();
    assert!(delivered.contains(&seq), "{delivered:?}");
    let list = reg.cra_obligations(&a("nl-rdi"), None).await.unwrap();
    assert_eq!(
        states(&list),
        vec![S::SubmittedOnTime, S::Overdue, S::Pending]
    );

    // The notification: incomplete is refused naming the field; complete, it is late.
    invalid(
        reg.submit_cra_report(&a("maker"), &cert, V, CraKind::Notification)
            .await,
        "nature",
    );
    reg.edit_cra_report(
        &a("maker"),
        &cert,
        V,
        CraKind::Notification,
        ReportEdit {
            nature: Some("Log line injection through a request path".into()),
            measures_taken: Some("gin updated to 1.6.0 in 1.1.0".into()),
            user_measures: Some("Install 1.1.0".into()),
            sensitivity: Some("TLP:AMBER".into()),
            ..ReportEdit::default()
        },
    )
    .await
    .unwrap();
    let late = reg
        .submit_cra_report(&a("maker"), &cert, V, CraKind::Notification)
        .await
        .unwrap();
    assert_eq!(late.obligation.state, S::SubmittedLate);

    // The fix: version 1.1.0, covered, whose software list does not carry it. The final report
    // is due 14 days after the registry learnt of it.
    let fixed_at = aware + Duration::days(5);
    db.clock.set(fixed_at);
    let v2 = reg
        .add_version(
            &a("maker"),
            &p,
            NewVersion {
                version: "1.1.0".into(),
                released_on: fixed_at.date_naive(),
                security_update: true,
                notes: None,
            },
        )
        .await
        .unwrap();
    reg.attach_sbom(&a("maker"), &v2.id, "bom.json", SBOM_FIXED.as_bytes())
        .await
        .unwrap();
    let list = reg.cra_obligations(&a("maker"), None).await.unwrap();
    let fix = list[0].fix.clone().expect("the fix is known");
    assert_eq!((fix.version.as_str(), fix.at), ("1.1.0", fixed_at));
    let final_due = fixed_at + Duration::days(14);
    assert_eq!(list[0].obligations[2].due_at, Some(final_due));
    assert_eq!(list[0].obligations[2].state, S::Due);
    assert_eq!(
        reg.cra_report(&a("maker"), &cert, V, CraKind::FinalReport)
            .await
            .unwrap()
            .report
            .fix_version
            .as_deref(),
        Some("1.1.0")
    );
    // The forecast says it, and writes nothing.
    let f = reg
        .forecast(&cert, Some(final_due.date_naive()))
        .await
        .unwrap();
    assert!(f
        .actions
        .iter()
        .any(|i| i.rule == Rule::CraReportOverdue && i.due_at == final_due + tick && !i.overdue));

    // The server is stopped before the final deadline and started long after it, as two
    // instances: the deadline is recorded once, effective when it passed.
    pass(&reg).await;
    drop(reg);
    db.clock.set(final_due + Duration::days(5));
    let one = db.registry().await;
    let two = db.registry().await;
    let (r1, r2) = tokio::join!(
        one.scheduler_pass("instance-1", LEASE),
        two.scheduler_pass("instance-2", LEASE)
    );
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert!(r1.ran != r2.ran, "one instance acts");
    // Both at once under one lease (a lease that ran out mid-pass): still once.
    let (r3, r4) = tokio::join!(
        one.scheduler_pass("instance-x", LEASE),
        two.scheduler_pass("instance-x", LEASE)
    );
    assert!(r3.unwrap().recorded.is_empty() && r4.unwrap().recorded.is_empty());
    let recorded: Vec<_> = r1
        .recorded
        .iter()
        .chain(&r2.recorded)
        .filter(|x| x.rule == Rule::CraReportOverdue)
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (
            recorded[0].rule,
            recorded[0].due_at,
            recorded[0].recorded_at
        ),
        (Rule::CraReportOverdue, final_due + tick, one.now())
    );
    assert_eq!(
        cra_overdue(&one, &cert).await,
        vec![
            (CraKind::Notification, notification_due + tick),
            (CraKind::FinalReport, final_due + tick)
        ]
    );
    let list = one.cra_obligations(&a("enisa"), None).await.unwrap();
    assert_eq!(
        states(&list),
        vec![S::SubmittedOnTime, S::SubmittedLate, S::Overdue]
    );
    assert!(one.verify_event_store().await.unwrap().is_empty());

    // A stored report changed behind the registry's back is not served.
    sqlx::query("UPDATE cra_reports SET body = REPLACE(body, 'TLP:AMBER', 'TLP:CLEAR')")
        .execute(one.store().pool())
        .await
        .unwrap();
    let tampered = one
        .cra_report(&a("nl-rdi"), &cert, V, CraKind::Notification)
        .await
        .unwrap_err();
    assert!(tampered.to_string().contains("does not hash"), "{tampered}");
    db.drop_schema(&one).await;
}
on_both!(
    cra_end_to_end_on_sqlite,
    cra_end_to_end_on_postgres,
    cra_end_to_end
);

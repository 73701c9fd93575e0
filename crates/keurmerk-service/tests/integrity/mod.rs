//! Issue 10 §4: the signed record is the source of truth. An event row that differs from its
//! signed statement, a statement that does not verify or is missing, and a statement signed with
//! a key after its compromise all make the certificate's status `unknown`, and the full check
//! names certificate and event; the issuer's re-signature restores a compromised record.

use chrono::Duration;
use keurmerk_domain::ids::{CertificateId, OrgId};
use keurmerk_domain::lifecycle::Command;
use keurmerk_domain::status::{LabelStatus, Reason};
use keurmerk_service::*;
use keurmerk_store::{CertificateStore, SqlStore};

use crate::support::*;

async fn suspended_certificate() -> (Env, CertificateId) {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    e.clock.set(t0() + Duration::days(1));
    e.reg
        .change_state(
            &a("nl-rdi"),
            &id,
            LifecycleRequest {
                command: Command::Suspend,
                reason: "default password on every unit".into(),
                until: None,
                reason_code: Some("other".into()),
                reason_lang: None,
            },
        )
        .await
        .unwrap();
    e.clock.set(t0() + Duration::days(2));
    (e, id)
}

async fn exec(reg: &Registry<SqlStore>, sql: &str) {
    sqlx::query(sql).execute(reg.store().pool()).await.unwrap();
}

async fn last_seq(reg: &Registry<SqlStore>, id: &CertificateId) -> i64 {
    reg.store().events(id).await.unwrap().last().unwrap().seq
}

#[tokio::test]
async fn an_intact_record_verifies_and_keeps_its_status() {
    let (e, id) = suspended_certificate().await;
    assert!(e.reg.verify_all_integrity().await.unwrap().is_empty());
    let h = e.reg.verified_history(&id).await.unwrap();
    assert!(h.is_intact());
    assert_eq!(h.events().len(), 2);
    let st = e.reg.status(&id).await.unwrap();
    assert_eq!(st.status, LabelStatus::Suspended);
}

#[tokio::test]
async fn an_edited_event_row_makes_the_status_unknown_and_names_the_event() {
    let (e, id) = suspended_certificate().await;
    let seq = last_seq(&e.reg, &id).await;
    exec(
        &e.reg,
        &format!(
            "UPDATE events SET payload = REPLACE(payload, 'default password', 'a minor cosmetic issue') WHERE seq = {seq}"
        ),
    )
    .await;
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].certificate.as_ref(), Some(&id));
    assert_eq!(problems[0].event, seq);
    assert!(matches!(&problems[0].kind, ProblemKind::EventDiffers { field } if field == "event"));
    let d = e.reg.certificate_details(&id).await.unwrap();
    assert_eq!(d.status.status, LabelStatus::Unknown);
    assert!(matches!(d.status.reasons[0], Reason::IntegrityProblem { event, .. } if event == seq));
    // Only the proven prefix is folded: the edited reason is shown nowhere.
    assert_eq!(d.events.len(), 1);
    assert!(!format!("{d:?}").contains("cosmetic"));
}

#[tokio::test]
async fn an_edit_of_the_time_actor_or_statement_is_seen_too() {
    for (what, sql) in [
        ("time", "UPDATE events SET at = '2026-06-02T09:00:00.000000Z' WHERE seq = {seq}"),
        ("actor", "UPDATE events SET actor_id = 'de-bsi' WHERE seq = {seq}"),
        (
            "statement",
            "UPDATE statements SET signed = CAST(REPLACE(CAST(signed AS TEXT), 'default', 'DEFAULT') AS BLOB) WHERE event_seq = {seq}",
        ),
        ("missing statement", "DELETE FROM statements WHERE event_seq = {seq}"),
        ("deleted event", "DELETE FROM events WHERE seq = {seq}"),
    ] {
        let (e, id) = suspended_certificate().await;
        let seq = last_seq(&e.reg, &id).await;
        exec(&e.reg, &sql.replace("{seq}", &seq.to_string())).await;
        let problems = e.reg.verify_all_integrity().await.unwrap();
        assert!(!problems.is_empty(), "{what}: not seen");
        assert!(problems.iter().all(|p| p.event == seq), "{what}: {problems:?}");
        assert_eq!(
            e.reg.status(&id).await.unwrap().status,
            LabelStatus::Unknown,
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_statement_signed_after_its_keys_compromise_is_unknown_until_the_issuer_resigns() {
    let (e, id) = suspended_certificate().await;
    let rdi = OrgId::new("nl-rdi").unwrap();
    let old = e
        .reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, root)| k.organisation_id == "nl-rdi" && !root)
        .unwrap()
        .0;
    // Compromised half a day before it signed the suspension.
    e.reg
        .revoke_key(&old.key_id.to_string(), t0() + Duration::hours(12))
        .await
        .unwrap();
    let st = e.reg.status(&id).await.unwrap();
    assert_eq!(st.status, LabelStatus::Unknown);
    let key_id = old.key_id.to_string();
    assert!(
        matches!(&st.reasons[0], Reason::CompromisedKey { key, .. } if *key == key_id),
        "{:?}",
        st.reasons
    );
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");

    // Nobody else can confirm the authority's act, and nothing is written when refused.
    let before = audit_len(&e.reg).await;
    assert!(matches!(
        e.reg.resign(&a("nl-lab"), &id).await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        e.reg.resign(&a("de-bsi"), &id).await,
        Err(ServiceError::Conflict(_))
    ));
    // The authority has no usable key until it makes a new one.
    assert!(matches!(
        e.reg.resign(&a("nl-rdi"), &id).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(audit_len(&e.reg).await, before);

    e.reg.create_key(&rdi, KeyScope::default()).await.unwrap();
    let seqs = e.reg.resign(&a("nl-rdi"), &id).await.unwrap();
    assert_eq!(seqs, vec![last_seq(&e.reg, &id).await]);
    assert_eq!(
        e.reg.status(&id).await.unwrap().status,
        LabelStatus::Suspended
    );
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // Nothing left to re-sign.
    assert!(matches!(
        e.reg.resign(&a("nl-rdi"), &id).await,
        Err(ServiceError::Conflict(_))
    ));

    // A re-signature does not cover an edit made after it.
    exec(
        &e.reg,
        "UPDATE events SET payload = REPLACE(payload, 'default password', 'nothing') WHERE kind = 'suspended'",
    )
    .await;
    assert_eq!(
        e.reg.status(&id).await.unwrap().status,
        LabelStatus::Unknown
    );
}

#[tokio::test]
async fn a_statement_signed_before_the_compromise_stays_trusted() {
    let (e, id) = suspended_certificate().await;
    let old = e
        .reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, root)| k.organisation_id == "nl-rdi" && !root)
        .unwrap()
        .0;
    e.reg
        .revoke_key(
            &old.key_id.to_string(),
            t0() + Duration::days(1) + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        e.reg.status(&id).await.unwrap().status,
        LabelStatus::Suspended
    );
    assert!(e.reg.verify_all_integrity().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_full_check_compares_every_statement_with_the_transparency_log() {
    let (e, id) = suspended_certificate().await;
    log_everything(&e.reg).await;
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue")
        .fetch_one(e.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    assert!(e.reg.verify_all_integrity().await.unwrap().is_empty());

    // The statement row and the log disagree: the row was replaced by another validly signed
    // statement (the issue's, copied over the suspension's), which the log does not hold.
    let seq = last_seq(&e.reg, &id).await;
    let first = e.reg.store().events(&id).await.unwrap()[0].seq;
    exec(
        &e.reg,
        &format!(
            "UPDATE statements SET signed = (SELECT signed FROM statements WHERE event_seq = {first}) WHERE event_seq = {seq}"
        ),
    )
    .await;
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.event == seq && matches!(p.kind, ProblemKind::NotLogged)),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.event == seq && matches!(p.kind, ProblemKind::LogDiffers { .. })),
        "{problems:?}"
    );
}

#[tokio::test]
async fn the_log_remembers_an_event_deleted_with_its_statement() {
    let (e, id) = suspended_certificate().await;
    log_everything(&e.reg).await;
    let seq = last_seq(&e.reg, &id).await;
    exec(
        &e.reg,
        &format!("DELETE FROM statements WHERE event_seq = {seq}"),
    )
    .await;
    exec(&e.reg, &format!("DELETE FROM events WHERE seq = {seq}")).await;
    exec(
        &e.reg,
        &format!(
            "UPDATE certificates SET last_seq = {} WHERE id = '{id}'",
            seq - 1
        ),
    )
    .await;
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert!(
        problems.iter().any(|p| p.event == seq
            && p.certificate.is_none()
            && matches!(p.kind, ProblemKind::EventMissing)),
        "{problems:?}"
    );
    // Rows claiming the entry for a status list or a software list (entries of `event_seq` 0)
    // do not hide it: its entry records event `seq`.
    for claim in [
        "INSERT INTO software_list_records (queue_id, version_id, recorded_at) \
         SELECT queue_id, 'VER-000001', 't' FROM log_entries WHERE event_seq = {seq}",
        "INSERT INTO status_lists (sequence, issued_at, expires_at, watermark, size, \
         content_sha256, token_sha256, queue_id) \
         SELECT 99, 't', 't', 0, 0, 'x', 'y', queue_id FROM log_entries WHERE event_seq = {seq}",
    ] {
        exec(&e.reg, &claim.replace("{seq}", &seq.to_string())).await;
    }
    let problems = e.reg.verify_all_integrity().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.event == seq && matches!(p.kind, ProblemKind::EventMissing)),
        "{problems:?}"
    );
}

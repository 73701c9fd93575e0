//! The policy scheduler (issue 12 item 1), on SQLite and, when `KEURMERK_TEST_POSTGRES` is set,
//! on PostgreSQL: the service clock is driven through every rule; catch-up after a stopped
//! server; two registry instances on one database (one acts, each action recorded once).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use keurmerk_domain::event::EventKind;
use keurmerk_domain::lifecycle::{ActorRole, State};
use keurmerk_domain::model::OrgRole;
use keurmerk_domain::schedule::{Rule, NOT_REMEDIED};
use keurmerk_domain::status::{LabelStatus, Reason};
use keurmerk_domain::{CertificateId, OrgId};
use keurmerk_service::*;
use keurmerk_store::{AuditStore, CertificateStore, SqlStore};

use crate::support::*;

const LEASE: StdDuration = StdDuration::from_secs(3 * 3600);

/// One registry (or several, sharing the database, keys and clock).
struct Db {
    url: String,
    schema: Option<String>,
    keys: tempfile::TempDir,
    clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        Db {
            url: format!("sqlite:{}", dir.path().join("r.db").display()),
            schema: None,
            keys: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(t0())),
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<Db> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!(
                "skipped: KEURMERK_TEST_POSTGRES is not set, so this is not tested on PostgreSQL"
            );
            return None;
        };
        Some(Db {
            url,
            schema: Some(format!("t_{}", uuid::Uuid::new_v4().simple())),
            keys: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::new(t0())),
            _dir: None,
        })
    }

    /// A registry instance over the database (each call: its own connection pool).
    async fn registry(&self) -> Registry<SqlStore> {
        let store = SqlStore::connect_in_schema(&self.url, self.schema.as_deref())
            .await
            .unwrap();
        Registry::new(store.clone(), catalogue(), self.clock.clone())
            .with_signer(Signer::new(Arc::new(store), Secrets::dir(self.keys.path())))
            .with_local_credential(Credential::Cli("test".into()))
    }

    async fn drop_schema(&self, reg: &Registry<SqlStore>) {
        if let Some(schema) = &self.schema {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(reg.store().pool())
                .await
                .unwrap();
        }
    }
}

/// Runs `$body(db)` on SQLite, and on PostgreSQL when configured.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $body(Db::sqlite().await).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(db) = Db::postgres() {
                $body(db).await;
            }
        }
    };
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc()
}

async fn support(
    reg: &Registry<SqlStore>,
    maker: &str,
    p: &keurmerk_domain::ids::RecordId,
    until: NaiveDate,
) {
    supported(reg, maker, p, until).await;
}

async fn pass(reg: &Registry<SqlStore>) -> PassReport {
    let r = reg.scheduler_pass("test-instance", LEASE).await.unwrap();
    assert!(r.ran && r.failed.is_empty(), "{r:?}");
    r
}

/// The scheduled events of a certificate: (event type, rule, due time, recorded time, role).
async fn scheduled(
    reg: &Registry<SqlStore>,
    id: &CertificateId,
) -> Vec<(&'static str, Rule, DateTime<Utc>, DateTime<Utc>, ActorRole)> {
    reg.store()
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| {
            e.kind
                .scheduled()
                .map(|s| (e.kind.name(), s.rule, s.due_at, e.at, e.role))
        })
        .collect()
}

async fn count_events(reg: &Registry<SqlStore>, id: &CertificateId) -> usize {
    reg.store().events(id).await.unwrap().len()
}

/// Expiry and end of support, caught up after the server was stopped for years; idempotent;
/// attributed, signed, queued for the log and in the feed like every event.
async fn expiry_and_support_end(db: Db) {
    let reg = db.registry().await;
    world(&reg).await;
    let (p, v) = product(&reg, "maker").await;
    let support_end = (t0() + Duration::days(400)).date_naive();
    support(&reg, "maker", &p, support_end).await;
    let cert = issued(&reg, "maker", &p, &v, "eu-iot", "basic").await;
    let valid_until = reg
        .certificate_details(&cert)
        .await
        .unwrap()
        .certificate
        .valid_until;

    // At start: nothing due; the second pass reads no certificate at all.
    assert!(pass(&reg).await.recorded.is_empty());
    assert_eq!(pass(&reg).await.examined, 0, "nothing due, nothing read");

    // The day of the end of support: not yet.
    db.clock.set(midnight(support_end) + Duration::hours(23));
    assert!(pass(&reg).await.recorded.is_empty());

    // Someone follows the certificate with a webhook.
    let reg = reg.with_webhook_targets(WebhookTargets {
        allow_private: true,
        resolve_timeout: StdDuration::from_secs(2),
    });
    let (_, grant) = reg
        .create_watchlist(
            "Plant 3",
            Some("http://127.0.0.1:9/hook"),
            "a".repeat(64),
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

    // The server was stopped for years: both are recorded at once, each effective when due.
    let now = midnight(valid_until) + Duration::days(200);
    db.clock.set(now);
    let r = pass(&reg).await;
    let rules: Vec<_> = r
        .recorded
        .iter()
        .map(|a| (a.rule, a.due_at, a.recorded_at))
        .collect();
    let support_due = midnight(support_end.succ_opt().unwrap());
    let expiry_due = midnight(valid_until.succ_opt().unwrap());
    assert_eq!(
        rules,
        vec![
            (Rule::SupportEnded, support_due, now),
            (Rule::Expiry, expiry_due, now),
        ]
    );
    assert_eq!(
        scheduled(&reg, &cert).await,
        vec![
            (
                "support_ended",
                Rule::SupportEnded,
                support_due,
                now,
                ActorRole::Scheduler
            ),
            (
                "expired",
                Rule::Expiry,
                expiry_due,
                now,
                ActorRole::Scheduler
            ),
        ]
    );
    let d = reg.certificate_details(&cert).await.unwrap();
    assert_eq!(d.certificate.state, State::Expired);
    assert_eq!(
        d.view.state_since, expiry_due,
        "effective time, not recorded time"
    );
    assert_eq!(d.status.status, LabelStatus::Expired);

    // Idempotent: again at the same time, and later, nothing new.
    let n = count_events(&reg, &cert).await;
    assert!(pass(&reg).await.recorded.is_empty());
    db.clock.set(now + Duration::days(30));
    assert!(pass(&reg).await.recorded.is_empty());
    assert_eq!(count_events(&reg, &cert).await, n);

    // Every event is signed and verifies, is queued for the transparency log, is in the feed,
    // and is attributed to the operator with the scheduler's credential.
    assert!(reg.verify_event_store().await.unwrap().is_empty());
    for c in reg.verify_statements(&cert).await.unwrap() {
        assert!(c.result.is_ok(), "event {}: {:?}", c.event_seq, c.result);
    }
    let seqs: Vec<i64> = r.recorded.iter().map(|a| a.seq).collect();
    for seq in &seqs {
        let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_queue WHERE event_seq = $1")
            .bind(seq)
            .fetch_one(reg.store().pool())
            .await
            .unwrap();
        assert_eq!(queued, 1, "event {seq} queued for the log");
    }
    let feed: Vec<i64> = reg
        .store()
        .events_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.seq)
        .collect();
    assert!(seqs.iter().all(|s| feed.contains(s)));
    let delivered: Vec<i64> = reg
        .deliveries(&grant, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.event_seq)
        .collect();
    assert!(seqs.iter().all(|s| delivered.contains(s)), "{delivered:?}");
    let watched: Vec<i64> = reg
        .watch_events(&grant, 100)
        .await
        .unwrap()
        .events()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert!(seqs.iter().all(|s| watched.contains(s)), "{watched:?}");
    let trail = reg.store().audit(10_000, None).await.unwrap();
    let mine: Vec<_> = trail
        .iter()
        .filter(|e| e.audit.action == "certificate.scheduled")
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(
        |e| e.audit.actor.as_ref().map(OrgId::as_str) == Some("enisa")
            && e.audit.credential.to_string() == "system:scheduler"
    ));
    db.drop_schema(&reg).await;
}
on_both!(
    expiry_and_support_end_on_sqlite,
    expiry_and_support_end_on_postgres,
    expiry_and_support_end
);

/// Where labels are valid only while supported (sg-cls), the end of support expires the label.
async fn support_end_expires_where_labels_need_support(db: Db) {
    let reg = db.registry().await;
    world(&reg).await;
    reg.create_organisation(
        &a("enisa"),
        new_org("sg-maker", OrgRole::Manufacturer, "SG"),
    )
    .await
    .unwrap();
    keys_for_all(&reg).await;
    let (p, v) = product(&reg, "sg-maker").await;
    let end = (t0() + Duration::days(100)).date_naive();
    support(&reg, "sg-maker", &p, end).await;
    let cert = issued(&reg, "sg-maker", &p, &v, "sg-cls", "l1").await;
    db.clock.set(midnight(end) + Duration::days(3));
    let r = pass(&reg).await;
    assert_eq!(r.recorded.len(), 1, "{r:?}");
    assert_eq!(
        (r.recorded[0].event.as_str(), r.recorded[0].rule),
        ("expired", Rule::SupportEnded)
    );
    assert_eq!(
        reg.certificate_details(&cert)
            .await
            .unwrap()
            .certificate
            .state,
        State::Expired
    );
    db.drop_schema(&reg).await;
}
on_both!(
    support_end_expires_where_labels_need_support_on_sqlite,
    support_end_expires_where_labels_need_support_on_postgres,
    support_end_expires_where_labels_need_support
);

fn osv_critical() -> String {
    r#"{"schema_version": "1.3.1", "id": "GO-2020-0001", "modified": "2023-06-12T18:45:41Z", "published": "2021-04-14T20:04:52Z",
        "aliases": ["CVE-2020-36567"], "summary": "Arbitrary log line injection in github.com/gin-gonic/gin",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}]}"#
        .to_owned()
}

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
    {"type": "library", "name": "github.com/gin-gonic/gin", "version": "v1.4.0", "purl": "pkg:golang/github.com/gin-gonic/gin@v1.4.0"}]}"#;

/// A certificate with an open critical finding (first seen at t0, eu-iot: 30 days to fix).
async fn with_critical_finding(reg: &Registry<SqlStore>) -> CertificateId {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    support(reg, "maker", &p, (t0() + Duration::days(2000)).date_naive()).await;
    let cert = issued(reg, "maker", &p, &v, "eu-iot", "basic").await;
    reg.attach_sbom(&a("maker"), &v, "bom.json", SBOM.as_bytes())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GO-2020-0001.json");
    std::fs::write(&path, osv_critical()).unwrap();
    reg.import_advisories(&a("enisa"), &path, false, &|_| {})
        .await
        .unwrap();
    let st = reg.status(&cert).await.unwrap();
    assert!(
        st.reasons
            .iter()
            .any(|r| matches!(r, Reason::VulnerabilityOpen { .. })),
        "{st:?}"
    );
    cert
}

/// Overdue critical vulnerability: suspended when the deadline has passed, withdrawn when the
/// suspension ends unremedied (EUCC rule, eu-iot's default), driven day by day.
async fn overdue_suspends_then_withdraws(db: Db) {
    let reg = db.registry().await;
    let cert = with_critical_finding(&reg).await;
    let deadline = (t0() + Duration::days(30)).date_naive();
    db.clock.set(midnight(deadline) + Duration::hours(23));
    assert!(
        pass(&reg).await.recorded.is_empty(),
        "the deadline day itself is still in time"
    );
    assert_eq!(
        reg.status(&cert).await.unwrap().status,
        LabelStatus::Attention
    );

    let overdue = midnight(deadline.succ_opt().unwrap());
    db.clock.set(overdue + Duration::hours(1));
    let r = pass(&reg).await;
    assert_eq!(r.recorded.len(), 1);
    assert_eq!(
        (r.recorded[0].rule, r.recorded[0].due_at),
        (Rule::VulnerabilityOverdue, overdue)
    );
    let d = reg.certificate_details(&cert).await.unwrap();
    assert_eq!(d.certificate.state, State::Suspended);
    let s = d.view.suspension.clone().unwrap();
    let until = (overdue + Duration::days(42)).date_naive();
    assert_eq!((s.since, s.until), (overdue, Some(until)));
    assert!(s.reason.contains("GO-2020-0001"), "{}", s.reason);
    assert!(d
        .status
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::Suspended { .. })));
    assert!(pass(&reg).await.recorded.is_empty(), "suspended once");

    db.clock.set(midnight(until) + Duration::hours(12));
    assert!(
        pass(&reg).await.recorded.is_empty(),
        "the last day of the suspension"
    );
    db.clock
        .set(midnight(until.succ_opt().unwrap()) + Duration::minutes(5));
    let r = pass(&reg).await;
    assert_eq!(
        r.recorded
            .iter()
            .map(|a| (a.event.as_str(), a.rule))
            .collect::<Vec<_>>(),
        vec![("withdrawn", Rule::SuspensionEnded)]
    );
    let d = reg.certificate_details(&cert).await.unwrap();
    assert_eq!(d.certificate.state, State::Withdrawn);
    assert_eq!(d.view.withdrawn.clone().unwrap().1, NOT_REMEDIED);
    assert_eq!(d.status.status, LabelStatus::Withdrawn);
    db.drop_schema(&reg).await;
}
on_both!(
    overdue_suspends_then_withdraws_on_sqlite,
    overdue_suspends_then_withdraws_on_postgres,
    overdue_suspends_then_withdraws
);

/// A suspension the issuer lifts in time is left alone; one the national authority extends
/// ends at the new date.
async fn lifted_suspensions_are_left_alone(db: Db) {
    let reg = db.registry().await;
    let cert = with_critical_finding(&reg).await;
    db.clock.set(t0() + Duration::days(32));
    assert_eq!(pass(&reg).await.recorded.len(), 1);
    // The national authority lifts it; the finding is still overdue, so the next pass suspends
    // again from then on (the status says suspended, so does the record).
    reg.change_state(
        &a("nl-rdi"),
        &cert,
        LifecycleRequest {
            command: keurmerk_domain::lifecycle::Command::Reinstate,
            reason: "we are on it".into(),
            until: None,
            reason_code: None,
            reason_lang: None,
        },
    )
    .await
    .unwrap();
    let lifted_at = reg.now();
    let r = pass(&reg).await;
    assert_eq!(
        r.recorded
            .iter()
            .map(|a| (a.rule, a.due_at))
            .collect::<Vec<_>>(),
        vec![(Rule::VulnerabilityOverdue, lifted_at)]
    );
    // The authority extends it: not withdrawn at the original end.
    let first_end = (lifted_at + Duration::days(42)).date_naive();
    let new_end = first_end + Duration::days(60);
    reg.change_state(
        &a("nl-rdi"),
        &cert,
        LifecycleRequest {
            command: keurmerk_domain::lifecycle::Command::ExtendSuspension,
            reason: "the fix is in certification".into(),
            until: Some(new_end),
            reason_code: Some("remedy_in_progress".into()),
            reason_lang: None,
        },
    )
    .await
    .unwrap();
    db.clock.set(midnight(first_end) + Duration::days(2));
    assert!(pass(&reg).await.recorded.is_empty());
    db.clock.set(midnight(new_end) + Duration::days(2));
    assert_eq!(pass(&reg).await.recorded[0].rule, Rule::SuspensionEnded);
    db.drop_schema(&reg).await;
}
on_both!(
    lifted_suspensions_are_left_alone_on_sqlite,
    lifted_suspensions_are_left_alone_on_postgres,
    lifted_suspensions_are_left_alone
);

/// Catch-up: a server stopped before the deadline and started months after the suspension
/// ended records the suspension and the withdrawal, each effective when it became due.
async fn catch_up_after_a_stopped_server(db: Db) {
    let reg = db.registry().await;
    let cert = with_critical_finding(&reg).await;
    assert!(pass(&reg).await.recorded.is_empty());
    drop(reg);
    db.clock.set(t0() + Duration::days(300));
    let reg = db.registry().await;
    let r = pass(&reg).await;
    let overdue = midnight((t0() + Duration::days(31)).date_naive());
    let ended = overdue + Duration::days(43);
    assert_eq!(
        r.recorded
            .iter()
            .map(|a| (a.event.as_str(), a.rule, a.due_at, a.recorded_at))
            .collect::<Vec<_>>(),
        vec![
            ("suspended", Rule::VulnerabilityOverdue, overdue, reg.now()),
            ("withdrawn", Rule::SuspensionEnded, ended, reg.now()),
        ]
    );
    let d = reg.certificate_details(&cert).await.unwrap();
    assert_eq!(d.view.withdrawn.clone().unwrap().0, ended);
    assert!(pass(&reg).await.recorded.is_empty());
    db.drop_schema(&reg).await;
}
on_both!(
    catch_up_after_a_stopped_server_on_sqlite,
    catch_up_after_a_stopped_server_on_postgres,
    catch_up_after_a_stopped_server
);

/// An assessment body loses its authorisation: its earlier certificates get it on record (a
/// status reason), once.
async fn revoked_authorisation_is_put_on_record(db: Db) {
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
    let cert = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    assert!(pass(&reg).await.recorded.is_empty());
    db.clock.set(t0() + Duration::days(10));
    reg.revoke_authorisation(
        &a("nl-rdi"),
        &OrgId::new("nl-lab").unwrap(),
        &scheme("eu-iot"),
        &level("substantial"),
    )
    .await
    .unwrap();
    db.clock.set(t0() + Duration::days(11));
    let r = pass(&reg).await;
    assert_eq!(
        r.recorded
            .iter()
            .map(|a| (a.event.as_str(), a.rule, a.due_at))
            .collect::<Vec<_>>(),
        vec![(
            "issuer_authorisation_revoked",
            Rule::IssuerAuthorisationRevoked,
            t0() + Duration::days(10)
        )]
    );
    let st = reg.status(&cert).await.unwrap();
    assert!(st.status.is_in_force(), "{st:?}");
    assert!(st
        .reasons
        .iter()
        .any(|r| r.code() == "issuer_authorisation_revoked"));
    assert!(pass(&reg).await.recorded.is_empty());
    db.drop_schema(&reg).await;
}
on_both!(
    revoked_authorisation_is_put_on_record_on_sqlite,
    revoked_authorisation_is_put_on_record_on_postgres,
    revoked_authorisation_is_put_on_record
);

/// An authorisation granted for a period lapses by itself: at the first instant after its last
/// day the scheduler puts it on record on the body's earlier certificates (a status reason, the
/// label stands), once; afterwards the body can no longer assess; a period that has already
/// passed is refused.
async fn lapsed_authorisation_is_put_on_record(db: Db) {
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
    let lab = OrgId::new("nl-lab").unwrap();
    let last_day = (t0() + Duration::days(20)).date_naive();
    // Not in the past, not by another authority than the one supervising the body.
    let past = reg
        .authorise_until(
            &a("nl-rdi"),
            &lab,
            &scheme("eu-iot"),
            &level("substantial"),
            Some((t0() - Duration::days(1)).date_naive()),
        )
        .await;
    assert!(invalid(past, "until").contains("has passed"));
    let by_maker = reg
        .authorise_until(
            &a("maker"),
            &lab,
            &scheme("eu-iot"),
            &level("substantial"),
            Some(last_day),
        )
        .await;
    forbidden(by_maker);
    let granted = reg
        .authorise_until(
            &a("nl-rdi"),
            &lab,
            &scheme("eu-iot"),
            &level("substantial"),
            Some(last_day),
        )
        .await
        .unwrap();
    let lapse = midnight(last_day.succ_opt().unwrap());
    assert_eq!(granted.expires_at, Some(lapse));
    let cert = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    assert!(pass(&reg).await.recorded.is_empty());
    // Its last day: still in force, nothing happens.
    db.clock.set(lapse - Duration::seconds(1));
    assert!(pass(&reg).await.recorded.is_empty());
    let f = reg
        .forecast(&cert, Some(last_day.succ_opt().unwrap()))
        .await
        .unwrap();
    assert!(
        f.actions
            .iter()
            .any(|i| i.rule == Rule::IssuerAuthorisationRevoked && i.due_at == lapse),
        "{f:?}"
    );
    // Caught up two days late, recorded with the time it became due.
    db.clock.set(lapse + Duration::days(2));
    let r = pass(&reg).await;
    assert_eq!(
        r.recorded
            .iter()
            .map(|a| (a.event.as_str(), a.rule, a.due_at))
            .collect::<Vec<_>>(),
        vec![(
            "issuer_authorisation_revoked",
            Rule::IssuerAuthorisationRevoked,
            lapse
        )]
    );
    let events = reg.store().events(&cert).await.unwrap();
    assert!(events.iter().any(|e| matches!(e.kind,
        EventKind::IssuerAuthorisationRevoked { lapsed: true, revoked_at, .. } if revoked_at == lapse)));
    let st = reg.status(&cert).await.unwrap();
    assert!(st.status.is_in_force(), "{st:?}");
    assert!(st
        .reasons
        .iter()
        .any(|r| r.code() == "issuer_authorisation_revoked"));
    assert!(pass(&reg).await.recorded.is_empty());
    // The lapsed body can no longer assess for that level.
    let (p2, v2) = product(&reg, "maker").await;
    let refused = reg
        .record_assessment(
            &a("nl-lab"),
            assessment(&reg, &p2, &v2, "eu-iot", "substantial"),
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
    db.drop_schema(&reg).await;
}
on_both!(
    lapsed_authorisation_is_put_on_record_on_sqlite,
    lapsed_authorisation_is_put_on_record_on_postgres,
    lapsed_authorisation_is_put_on_record
);

/// Two instances on one database: while one holds the lease the other does nothing; even two
/// passes at once (both believing they hold it) record each action once.
async fn two_instances_one_acts(db: Db) {
    let one = db.registry().await;
    let two = db.registry().await;
    world(&one).await;
    let mut certs = Vec::new();
    for _ in 0..3 {
        let (p, v) = product(&one, "maker").await;
        support(&one, "maker", &p, (t0() + Duration::days(400)).date_naive()).await;
        certs.push(issued(&one, "maker", &p, &v, "eu-iot", "basic").await);
    }
    db.clock.set(t0() + Duration::days(500));
    let (r1, r2) = tokio::join!(
        one.scheduler_pass("instance-1", LEASE),
        two.scheduler_pass("instance-2", LEASE)
    );
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert!(r1.ran != r2.ran, "exactly one instance acts: {r1:?} {r2:?}");
    assert_eq!(r1.recorded.len() + r2.recorded.len(), 3);
    // The lease holder keeps it; the other waits until it runs out, then takes over.
    let (holder, other) = if r1.ran {
        ((&one, "instance-1"), (&two, "instance-2"))
    } else {
        ((&two, "instance-2"), (&one, "instance-1"))
    };
    assert!(holder.0.scheduler_pass(holder.1, LEASE).await.unwrap().ran);
    assert!(!other.0.scheduler_pass(other.1, LEASE).await.unwrap().ran);
    db.clock.set(one.now() + Duration::hours(4));
    assert!(
        other.0.scheduler_pass(other.1, LEASE).await.unwrap().ran,
        "taken over"
    );
    assert!(!holder.0.scheduler_pass(holder.1, LEASE).await.unwrap().ran);
    other.0.release_scheduler(other.1).await.unwrap();
    assert!(
        holder.0.scheduler_pass(holder.1, LEASE).await.unwrap().ran,
        "released"
    );

    // Both at once under one lease name: the append's optimistic concurrency decides.
    db.clock.set(t0() + Duration::days(365 * 4));
    let (r1, r2) = tokio::join!(
        one.scheduler_pass("instance-1", LEASE),
        two.scheduler_pass("instance-1", LEASE)
    );
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert!(r1.ran && r2.ran);
    assert_eq!(r1.recorded.len() + r2.recorded.len(), 3, "{r1:?} {r2:?}");
    for c in &certs {
        let expired = one
            .store()
            .events(c)
            .await
            .unwrap()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Expired { .. }))
            .count();
        assert_eq!(expired, 1, "{c}");
        let noted = scheduled(&one, c).await.len();
        assert_eq!(noted, 2, "support end and expiry, once each");
    }
    db.drop_schema(&one).await;
}
on_both!(
    two_instances_one_acts_on_sqlite,
    two_instances_one_acts_on_postgres,
    two_instances_one_acts
);

/// The forecast says what will happen and when, and writes nothing; without a registry
/// operator the scheduler refuses to act.
async fn forecast_writes_nothing(db: Db) {
    let reg = db.registry().await;
    let denied = reg.scheduler_pass("x", LEASE).await.unwrap_err();
    assert!(matches!(denied, ServiceError::Forbidden(_)), "{denied}");
    let cert = with_critical_finding(&reg).await;
    let before = count_events(&reg, &cert).await;
    let f = reg.forecast(&cert, None).await.unwrap();
    assert_eq!(
        f.actions
            .iter()
            .map(|i| (i.event.name(), i.rule, i.overdue))
            .collect::<Vec<_>>(),
        vec![
            ("suspended", Rule::VulnerabilityOverdue, false),
            ("withdrawn", Rule::SuspensionEnded, false),
        ]
    );
    let f = reg
        .forecast(&cert, Some((t0() + Duration::days(40)).date_naive()))
        .await
        .unwrap();
    assert_eq!(f.actions.len(), 1);
    db.clock.set(t0() + Duration::days(35));
    let f = reg.forecast(&cert, None).await.unwrap();
    assert!(f.actions[0].overdue);
    assert_eq!(count_events(&reg, &cert).await, before, "nothing written");
    let missing = reg
        .forecast(&CertificateId::new("KM-2026-999999").unwrap(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ServiceError::NotFound { .. }),
        "{missing}"
    );
    db.drop_schema(&reg).await;
}
on_both!(
    forecast_writes_nothing_on_sqlite,
    forecast_writes_nothing_on_postgres,
    forecast_writes_nothing
);

mod cra;

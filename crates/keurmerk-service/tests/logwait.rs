//! Issue 4: with a log waiter, a write that records a statement is acknowledged only after its
//! queued log entry is reported logged; if the log fails, the caller gets `LogUnavailable` while
//! the change itself stays committed and queued.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod support;

use std::sync::{Arc, Mutex};

use keurmerk_domain::lifecycle::Command;
use keurmerk_service::*;

use support::*;

/// Records the queue ids it is asked about and answers with `answer`.
struct Recording {
    asked: Mutex<Vec<i64>>,
    answer: Result<u64, String>,
}

impl LogWaiter for Recording {
    fn wait_for(&self, queue_id: i64) -> LogWaitFuture<'_> {
        self.asked.lock().unwrap().push(queue_id);
        let answer = self.answer.clone();
        Box::pin(async move { answer })
    }
}

async fn queued(reg: &Registry<keurmerk_store::SqlStore>) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM log_queue ORDER BY id")
        .fetch_all(reg.store().pool())
        .await
        .unwrap()
}

fn suspend() -> LifecycleRequest {
    LifecycleRequest {
        command: Command::Suspend,
        reason: "lab report under review".into(),
        until: None,
        reason_code: Some("under_investigation".into()),
        reason_lang: None,
    }
}

#[tokio::test]
async fn certify_and_lifecycle_changes_wait_for_their_log_entry() {
    let e = env().await;
    world(&e.reg).await;
    let w = Arc::new(Recording {
        asked: Mutex::new(Vec::new()),
        answer: Ok(0),
    });
    let reg = e.reg.clone().with_log_waiter(w.clone());
    let (p, v) = product(&reg, "maker").await;
    let id = issued(&reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    reg.change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap();
    // Each write asked about exactly its own queue row, in order.
    let queue = queued(&reg).await;
    let asked = w.asked.lock().unwrap().clone();
    assert_eq!(asked, queue);
    assert_eq!(asked.len(), 2);
}

/// Attaching a software list waits for its record's entry (`docs/FORMATS.md` §14); with a
/// failing log the list stays stored and its record queued.
#[tokio::test]
async fn a_software_list_waits_for_its_record_in_the_log() {
    let e = env().await;
    world(&e.reg).await;
    let (_, v) = product(&e.reg, "maker").await;
    let bom =
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": []}"#;
    let w = Arc::new(Recording {
        asked: Mutex::new(Vec::new()),
        answer: Ok(0),
    });
    let reg = e.reg.clone().with_log_waiter(w.clone());
    reg.attach_sbom(&a("maker"), &v, "bom.json", bom)
        .await
        .unwrap();
    let queue = queued(&reg).await;
    assert_eq!(*w.asked.lock().unwrap(), queue);
    let failing = e.reg.clone().with_log_waiter(Arc::new(Recording {
        asked: Mutex::new(Vec::new()),
        answer: Err("sequencer stopped".into()),
    }));
    let err = failing
        .attach_sbom(&a("maker"), &v, "bom.json", bom)
        .await
        .unwrap_err();
    assert!(matches!(&err, ServiceError::LogUnavailable(_)), "{err}");
    assert_eq!(queued(&e.reg).await.len(), 2);
}

#[tokio::test]
async fn a_failing_log_is_log_unavailable_but_the_change_stays_queued() {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let id = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let before = queued(&e.reg).await;
    let reg = e.reg.clone().with_log_waiter(Arc::new(Recording {
        asked: Mutex::new(Vec::new()),
        answer: Err("sequencer stopped".into()),
    }));
    let err = reg
        .change_state(&a("nl-rdi"), &id, suspend())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::LogUnavailable(m) if m.contains("sequencer stopped")),
        "{err}"
    );
    // Recorded and queued: a sequencer logs it later.
    assert_eq!(queued(&e.reg).await.len(), before.len() + 1);
    let d = e.reg.certificate_details(&id).await.unwrap();
    assert_eq!(d.events.len(), 2);
}

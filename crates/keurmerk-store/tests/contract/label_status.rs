//! The label status read model's rows (migration 0021): a row is returned only when folded from
//! the certificate's current last event, and stored only if no input changed since its
//! generation was read; every change of an input clears the report in its own transaction.

use std::collections::BTreeMap;

use keurmerk_domain::status::{LabelStatus, StatusReport};

use super::*;

fn report(cert: &Certificate, at_day: i64) -> StatusReport {
    StatusReport {
        certificate: cert.id.clone(),
        status: LabelStatus::Valid,
        reasons: vec![],
        evaluated_at: at(at_day),
        state: State::Active,
        issuer_kind: cert.issuer_kind,
        valid_until: cert.valid_until,
        support_until: None,
        latest_security_update: None,
        open_vulnerabilities: BTreeMap::new(),
        dependencies: vec![],
        last_event_at: at(2),
        setup: None,
        covered_versions: vec![],
        version: None,
    }
}

fn row(cert: &Certificate, generation: i64, seq: i64) -> StoredStatus {
    StoredStatus {
        generation,
        seq,
        report: report(cert, 3),
        computed_at: at(3),
        stale_after: Some(at(30)),
        policy: "policy-fp".into(),
        trust: "trust-digest".into(),
    }
}

/// Stores a row for the certificate's current state and checks it is served.
async fn stored(s: &SqlStore, cert: &Certificate, seq: i64) -> i64 {
    let generation = s.status_generation(&cert.id).await.unwrap();
    assert!(s
        .put_status(&cert.id, &row(cert, generation, seq))
        .await
        .unwrap());
    assert_eq!(
        s.current_status(&cert.id).await.unwrap(),
        Some(row(cert, generation, seq))
    );
    assert_eq!(
        with_certificate(s, cert).await.0,
        Some(row(cert, generation, seq))
    );
    generation
}

/// `status_with_certificate` of an existing certificate: its status as `current_status` reads
/// it, and the certificate, product and status index as read one by one.
async fn with_certificate(s: &SqlStore, cert: &Certificate) -> StatusWithCertificate {
    let read = s
        .status_with_certificate(&cert.id)
        .await
        .unwrap()
        .expect("the certificate exists");
    assert_eq!(read.0, s.current_status(&cert.id).await.unwrap());
    let (stored, _) = s.certificate(&cert.id).await.unwrap().unwrap();
    assert_eq!(read.1, stored);
    assert_eq!(
        Some(&read.2),
        s.product(&stored.product).await.unwrap().as_ref()
    );
    assert_eq!(read.3, s.status_index(&cert.id).await.unwrap());
    assert!(read.3.is_some(), "every certificate has its index");
    read
}

async fn exec(s: &SqlStore, sql: &str) {
    sqlx::query(sql).execute(s.pool()).await.unwrap();
}

pub(super) async fn label_status_rows_are_served_only_for_the_current_event(s: &SqlStore) {
    let (p, cert, _, seq1) = issued_certificate(s).await;
    assert_eq!(
        s.current_status(&cert.id).await.unwrap(),
        None,
        "no row yet"
    );
    assert_eq!(with_certificate(s, &cert).await.0, None, "no row yet");
    // Inserting the event and its statement already counted as changes.
    let generation = s.status_generation(&cert.id).await.unwrap();
    assert!(generation >= 1, "the issue's event bumped the generation");
    // A row from an older generation is refused.
    assert!(!s
        .put_status(&cert.id, &row(&cert, generation - 1, seq1))
        .await
        .unwrap());
    assert_eq!(s.current_status(&cert.id).await.unwrap(), None);
    stored(s, &cert, seq1).await;
    // A row not folded from the last event is never returned, even if someone stores it.
    let other = CertificateId::new("KM-2026-000404").unwrap();
    assert_eq!(s.current_status(&other).await.unwrap(), None);
    assert_eq!(s.status_with_certificate(&other).await.unwrap(), None);
    assert_eq!(s.status_generation(&other).await.unwrap(), 0);

    // An append makes the row not current, in the append's own transaction.
    let suspend = Event {
        seq: 0,
        certificate: cert.id.clone(),
        at: at(4),
        actor: p.manufacturer.clone(),
        role: ActorRole::Issuer,
        kind: EventKind::Suspended {
            reason: "recall".into(),
            until: None,
            scheduled: None,
            reason_code: None,
            reason_lang: None,
        },
    };
    let seq2 = s
        .append(
            &suspend,
            State::Suspended,
            seq1,
            b"stmt-2",
            &audit("maker", "suspend"),
        )
        .await
        .unwrap()
        .seq;
    assert_eq!(
        s.current_status(&cert.id).await.unwrap(),
        None,
        "report cleared"
    );
    // A refresh that read the generation before the append cannot store its stale row.
    assert!(!s
        .put_status(&cert.id, &row(&cert, generation, seq1))
        .await
        .unwrap());
    stored(s, &cert, seq2).await;

    // A row whose seq is not the certificate's last event is never stored (and the row
    // already there stays).
    let g = s.status_generation(&cert.id).await.unwrap();
    assert!(!s.put_status(&cert.id, &row(&cert, g, seq1)).await.unwrap());
    assert_eq!(
        s.current_status(&cert.id).await.unwrap(),
        Some(row(&cert, g, seq2))
    );
    // Nor a row of a certificate that does not exist.
    assert!(!s.put_status(&other, &row(&cert, 0, seq2)).await.unwrap());
    assert_eq!(s.current_status(&other).await.unwrap(), None);

    // The page row of the current generation comes with the assessment's verdicts and, while
    // its statement is queued, no log index; verdicts that do not read do not hide the row.
    let g = s.status_generation(&cert.id).await.unwrap();
    let body = PageBody {
        format: "f".into(),
        body: "{}".into(),
    };
    assert!(s
        .put_status_and_page(&cert.id, &row(&cert, g, seq2), &body)
        .await
        .unwrap());
    let assessment = s.assessment(&cert.assessment).await.unwrap().unwrap();
    let (_, page) = s.current_page(&cert.id).await.unwrap().unwrap();
    assert_eq!(page.verdicts, Some(assessment.verdicts));
    assert_eq!(page.last_log_index, None);
    exec(
        s,
        &format!(
            "UPDATE assessments SET verdicts = 'not json' WHERE id = '{}'",
            cert.assessment
        ),
    )
    .await;
    let (_, page) = s.current_page(&cert.id).await.unwrap().unwrap();
    assert_eq!(page.verdicts, None);
    assert_eq!(page.body, body);

    // Clearing is idempotent.
    stored(s, &cert, seq2).await;
    s.clear_status(&cert.id).await.unwrap();
    s.clear_status(&cert.id).await.unwrap();
    assert_eq!(s.current_status(&cert.id).await.unwrap(), None);
    assert_eq!(with_certificate(s, &cert).await.0, None);
}

pub(super) async fn every_input_edit_clears_the_stored_label_status(s: &SqlStore) {
    let (p, cert, _, seq) = issued_certificate(s).await;
    let id = cert.id.as_str();
    let edits = [
        format!("UPDATE events SET payload = payload WHERE certificate_id = '{id}'"),
        format!("UPDATE statements SET signed = signed WHERE certificate_id = '{id}'"),
        format!(
            "INSERT INTO resignatures (event_seq, certificate_id, signed, at) \
             VALUES ({seq}, '{id}', 'x', 't')"
        ),
        "UPDATE resignatures SET signed = 'y'".to_owned(),
        "DELETE FROM resignatures".to_owned(),
        "INSERT INTO sboms (version_id, name, format, document, uploaded_at) \
         VALUES ('VER-000001', 'n', 'cyclonedx', 'd', 't')"
            .to_owned(),
        "UPDATE sboms SET name = 'm'".to_owned(),
        "DELETE FROM sboms".to_owned(),
        format!("UPDATE certificates SET scheme_id = 'other' WHERE id = '{id}'"),
        // Migration 0031: the certificate row's last event and status index.
        format!("UPDATE certificates SET last_seq = last_seq WHERE id = '{id}'"),
        format!("UPDATE certificates SET status_index = status_index WHERE id = '{id}'"),
        format!(
            "UPDATE product_versions SET product_id = product_id WHERE product_id = '{}'",
            p.id
        ),
        // The maker's setup facts (migration 0023's triggers).
        format!(
            "INSERT INTO support_commitments (product_id, support_until, update_policy, vulnerability_contact) \
             VALUES ('{}', '2031-12-31', 'automatic', 'security@maker.example')",
            p.id
        ),
        format!(
            "UPDATE support_commitments SET password_setup = 'none' WHERE product_id = '{}'",
            p.id
        ),
        format!(
            "DELETE FROM support_commitments WHERE product_id = '{}'",
            p.id
        ),
        format!("DELETE FROM statements WHERE certificate_id = '{id}'"),
    ];
    for edit in &edits {
        let before = stored(s, &cert, seq).await;
        exec(s, edit).await;
        assert_eq!(
            s.current_status(&cert.id).await.unwrap(),
            None,
            "still served after: {edit}"
        );
        assert!(
            s.status_generation(&cert.id).await.unwrap() > before,
            "no new generation after: {edit}"
        );
    }
}

/// The certificate's slots as `list_statuses` gives them under `rule`.
async fn slots(s: &SqlStore, rule: &ServedRule) -> Vec<ListSlot> {
    let mut out = Vec::new();
    s.list_statuses(rule, &mut |slot| {
        out.push(slot.expect("a readable row"));
        Ok(())
    })
    .await
    .unwrap();
    out
}

/// The slots of [`slots`], checked against what a search finds under the same rule (one
/// certificate in the store): a hit carries the stored word exactly where the list takes it.
async fn agreeing(s: &SqlStore, rule: &ServedRule) -> Vec<ListSlot> {
    let listed = slots(s, rule).await;
    let hits = s
        .search_labels(&keurmerk_store::search::LabelSearch {
            limit: 50,
            rule: Some(rule.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((listed.len(), hits.len()), (1, 1));
    assert_eq!(hits[0].status, listed[0].status.clone().ok(), "{rule:?}");
    // Without a rule a hit never carries a word.
    let bare = s
        .search_labels(&keurmerk_store::search::LabelSearch {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bare[0].status, None);
    listed
}

/// The status list and a search page take a stored row's word under the same conditions.
pub(super) async fn the_status_list_reads_a_word_only_from_a_row_a_lookup_would_serve(
    s: &SqlStore,
) {
    let (_, cert, _, seq1) = issued_certificate(s).await;
    let index = s.status_index(&cert.id).await.unwrap().expect("an index");
    let rule = ServedRule {
        policy: "policy-fp".into(),
        trust: "trust-digest".into(),
        now: at(10),
    };
    let slot = |status| vec![ListSlot { index, status }];
    let evaluate = slot(Err(cert.id.clone()));
    assert_eq!(agreeing(s, &rule).await, evaluate, "no row yet");

    stored(s, &cert, seq1).await;
    let served = slot(Ok(LabelStatus::Valid));
    assert_eq!(agreeing(s, &rule).await, served);
    // The pass gives the earliest `stale_after` of the rows it hands with their status (none
    // when the row is to be evaluated), and the store gives it for named certificates.
    let earliest =
        |rule: ServedRule| async move { s.list_statuses(&rule, &mut |_| Ok(())).await.unwrap() };
    assert_eq!(earliest(rule.clone()).await, Some(at(30)));
    let stale_rule = ServedRule {
        policy: "other-policy".into(),
        ..rule.clone()
    };
    assert_eq!(
        earliest(stale_rule).await,
        None,
        "evaluated: not the pass's"
    );
    let of =
        |ids: Vec<_>, after| async move { s.earliest_stale_after_of(&ids, after).await.unwrap() };
    assert_eq!(of(vec![cert.id.clone()], at(10)).await, Some(at(30)));
    assert_eq!(of(vec![cert.id.clone()], at(30)).await, None, "not after");
    assert_eq!(of(Vec::new(), at(10)).await, None);
    // An end edited out of the stored form (text after every instant, so the SQL takes the row
    // as current) is not read: the row is evaluated, and its end neither taken nor an error.
    exec(s, "UPDATE label_status SET stale_after = '2999'").await;
    assert_eq!(slots(s, &rule).await, evaluate);
    assert_eq!(earliest(rule.clone()).await, None);
    assert_eq!(of(vec![cert.id.clone()], at(10)).await, None);
    stored(s, &cert, seq1).await;
    assert_eq!(agreeing(s, &rule).await, served);
    assert_eq!(
        s.status_word(&cert.id).await.unwrap(),
        Some(LabelStatus::Valid)
    );
    // Every condition a lookup checks before serving the row.
    let other_rules = [
        ServedRule {
            policy: "other-policy".into(),
            ..rule.clone()
        },
        ServedRule {
            trust: "other-trust".into(),
            ..rule.clone()
        },
        // Before the row was computed (a clock set back), and once it is stale.
        ServedRule {
            now: at(2),
            ..rule.clone()
        },
        ServedRule {
            now: at(30),
            ..rule.clone()
        },
    ];
    for other in &other_rules {
        assert_eq!(agreeing(s, other).await, evaluate, "{other:?}");
    }

    // A row without a word (edited by hand: migration 0031 clears the report of rows stored
    // before the word existed) is evaluated.
    exec(s, "UPDATE label_status SET status = NULL").await;
    assert_eq!(s.status_word(&cert.id).await.unwrap(), None);
    assert_eq!(agreeing(s, &rule).await, evaluate);
    stored(s, &cert, seq1).await;
    assert_eq!(agreeing(s, &rule).await, served);

    // A word that is not a status is never read as one (and verification sees it).
    exec(s, "UPDATE label_status SET status = 'fine'").await;
    assert_eq!(agreeing(s, &rule).await, evaluate);
    assert!(matches!(
        s.status_word(&cert.id).await,
        Err(StoreError::Corrupt { .. })
    ));
    // The database keeps a word only while the row has a report (migration 0031), whoever
    // clears the report or sets a word.
    stored(s, &cert, seq1).await;
    s.clear_status(&cert.id).await.unwrap();
    assert_eq!(s.status_word(&cert.id).await.unwrap(), None);
    exec(s, "UPDATE label_status SET status = 'valid'").await;
    assert_eq!(s.status_word(&cert.id).await.unwrap(), None);
    assert_eq!(agreeing(s, &rule).await, evaluate);

    // A new event clears the report: the word alone is never read.
    stored(s, &cert, seq1).await;
    let seq2 = s
        .append(
            &super::atomic::suspension(&cert, 4),
            State::Suspended,
            seq1,
            b"stmt-2",
            &audit("maker", "suspend"),
        )
        .await
        .unwrap()
        .seq;
    assert_eq!(agreeing(s, &rule).await, evaluate);
    assert_eq!(s.status_word(&cert.id).await.unwrap(), None);
    // Stored again: the word is the new report's.
    let g = s.status_generation(&cert.id).await.unwrap();
    let mut suspended = row(&cert, g, seq2);
    suspended.report.status = LabelStatus::Suspended;
    assert!(s.put_status(&cert.id, &suspended).await.unwrap());
    assert_eq!(agreeing(s, &rule).await, slot(Ok(LabelStatus::Suspended)));

    // The index the list reads is the certificate's, kept on the row by the database
    // (migration 0031): an edit of the certificate's index moves the slot and clears the report.
    assert_eq!(
        s.status_list_index(&cert.id).await.unwrap(),
        Some(i64::try_from(index).unwrap())
    );
    exec(
        s,
        &format!(
            "UPDATE certificates SET status_index = status_index + 1000 WHERE id = '{}'",
            cert.id
        ),
    )
    .await;
    assert_eq!(
        s.status_list_index(&cert.id).await.unwrap(),
        Some(i64::try_from(index + 1000).unwrap())
    );
    assert_eq!(
        agreeing(s, &rule).await,
        vec![ListSlot {
            index: index + 1000,
            status: Err(cert.id.clone()),
        }]
    );
}

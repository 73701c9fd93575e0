//! Complaint handling (issue 13 item 6): routing to the supervising authority, the public
//! reference, the state machine through the service, and every denied path: another authority,
//! a maker, an assessment body, the operator writing, the public with a wrong reference, a
//! closed complaint, a wrong transition, two people at once.

use keurmerk_domain::complaint::{ComplaintState, Outcome};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_service::*;
use keurmerk_store::{AuditStore, Credential, SqlStore};

use crate::support::*;

async fn filed(e: &Env) -> (CertificateId, FiledComplaint) {
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let f = e
        .reg
        .file_complaint(
            &cert,
            Some(" someone@example.org ".into()),
            "The camera streams video without a password.\nIt is on the box.",
            None,
        )
        .await
        .unwrap();
    (cert, f)
}

fn assign(to: &str) -> ComplaintAction {
    ComplaintAction::Assign {
        assignee: to.into(),
    }
}
fn answer(text: &str) -> ComplaintAction {
    ComplaintAction::Answer {
        answer: text.into(),
        lang: None,
    }
}
fn close(outcome: Outcome) -> ComplaintAction {
    ComplaintAction::Close { outcome }
}

async fn last_audit(reg: &Registry<SqlStore>) -> keurmerk_store::AuditEntry {
    reg.store().audit(1, None).await.unwrap().remove(0)
}

#[tokio::test]
async fn a_complaint_goes_to_the_supervising_authority_and_is_handled_to_the_end() {
    let e = env().await;
    let (cert, f) = filed(&e).await;
    let c = &f.complaint;
    // Routed to the authority that authorised the lab; the form can name all of it.
    assert_eq!(c.authority.as_ref().map(|a| a.as_str()), Some("nl-rdi"));
    assert_eq!(c.state, ComplaintState::Received);
    assert_eq!(c.contact.as_deref(), Some("someone@example.org"));
    let r = e.reg.complaint_routing(&cert).await.unwrap();
    assert_eq!(r.authority.unwrap().id.as_str(), "nl-rdi");
    assert_eq!(r.product.name, "Cosy Cam");
    assert_eq!(r.holder.id.as_str(), "maker");
    assert!(!r.scheme_title.is_empty() && !r.level_name.is_empty());
    assert!(r.supervisor.is_some());
    // The reference: 128 random bits, shown once, only its digest stored.
    assert_eq!(f.reference.len(), 32);
    assert_eq!(
        c.reference_sha256.as_deref(),
        reference_digest(&f.reference).as_deref()
    );
    let trail = serde_json::to_string(&e.reg.store().audit(100, None).await.unwrap()).unwrap();
    assert!(
        !trail.contains(&f.reference),
        "the reference is not in the trail"
    );

    let rdi = Actor::token(
        "nl-rdi".parse().unwrap(),
        RecordId::new("TOK-000007").unwrap(),
    );
    let s = e.reg.complaint_status(&f.reference).await.unwrap();
    assert_eq!((s.state, s.assigned_at), (ComplaintState::Received, None));

    let got = e
        .reg
        .handle_complaint(&rdi, &c.id, assign("J. Jansen"))
        .await
        .unwrap();
    assert_eq!(got.state, ComplaintState::Assigned);
    assert_eq!(got.assignee.as_deref(), Some("J. Jansen"));
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "complaint.assign");
    assert_eq!(rec.audit.subject, c.id.to_string());
    assert_eq!(rec.audit.actor.as_ref().map(|o| o.as_str()), Some("nl-rdi"));
    assert_eq!(
        rec.audit.credential,
        Credential::ApiToken(RecordId::new("TOK-000007").unwrap())
    );
    // Handing it over to someone else is a step too.
    e.reg
        .handle_complaint(&rdi, &c.id, assign("P. de Vries"))
        .await
        .unwrap();

    e.clock.set(t0() + chrono::Duration::days(3));
    let got = e
        .reg
        .handle_complaint(
            &rdi,
            &c.id,
            ComplaintAction::Answer {
                answer: "We asked the maker to remove the default password.\nThank you.".into(),
                lang: Some(Lang::En),
            },
        )
        .await
        .unwrap();
    assert_eq!(got.state, ComplaintState::Answered);
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "complaint.answer");
    assert!(!rec.audit.detail.to_string().contains("default password"));

    // The complainant sees state, dates and the answer; never address, text or assignee.
    let s = e
        .reg
        .complaint_status(&f.reference.to_uppercase())
        .await
        .unwrap();
    assert_eq!(s.state, ComplaintState::Answered);
    assert_eq!(s.certificate, cert);
    assert_eq!(s.product_name, "Cosy Cam");
    assert_eq!(s.authority_name.as_deref(), Some("nl-rdi org"));
    assert!(s.answer.unwrap().starts_with("We asked the maker"));
    assert_eq!(s.answer_lang, Some(Lang::En), "as the authority stated");
    assert_eq!(s.answered_at, Some(t0() + chrono::Duration::days(3)));
    let public =
        serde_json::to_string(&e.reg.complaint_status(&f.reference).await.unwrap()).unwrap();
    for secret in ["someone@example.org", "streams video", "Vries", "Jansen"] {
        assert!(!public.contains(secret), "{secret} in {public}");
    }

    let got = e
        .reg
        .handle_complaint(&rdi, &c.id, close(Outcome::Upheld))
        .await
        .unwrap();
    assert_eq!(got.state, ComplaintState::Closed);
    assert_eq!(got.outcome, Some(Outcome::Upheld));
    assert_eq!(got.contact, None, "the address is erased on closing");
    let stored = e.reg.complaint(&rdi, &c.id).await.unwrap();
    assert_eq!(stored.contact, None);
    let rec = last_audit(&e.reg).await;
    assert_eq!(rec.audit.action, "complaint.close");
    assert_eq!(rec.audit.detail["change"]["contact_erased"], true);
    assert!(!rec.audit.detail.to_string().contains("someone@example.org"));

    // Closed is final.
    for step in [assign("X"), answer("again"), close(Outcome::Rejected)] {
        assert!(
            matches!(
                e.reg.handle_complaint(&rdi, &c.id, step).await,
                Err(ServiceError::Conflict(m)) if m.contains("closed")
            ),
            "closed complaint changed"
        );
    }
    // Five steps were audited (file, assign twice, answer, close), the refusals none.
    let actions: Vec<String> = e
        .reg
        .store()
        .audit(5, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.audit.action)
        .collect();
    assert_eq!(
        actions,
        [
            "complaint.close",
            "complaint.answer",
            "complaint.assign",
            "complaint.assign",
            "complaint.file"
        ]
    );
}

#[tokio::test]
async fn only_the_receiving_authority_handles_a_complaint() {
    let e = env().await;
    let (_, f) = filed(&e).await;
    let id = &f.complaint.id;
    // Another authority, a maker, an assessment body, the operator: no step.
    for who in ["de-bsi", "maker", "nl-lab", "enisa"] {
        for step in [assign("X"), answer("Y"), close(Outcome::Forwarded)] {
            let got = e.reg.handle_complaint(&a(who), id, step.clone()).await;
            assert!(
                matches!(got, Err(ServiceError::Forbidden(_))),
                "{who} {step:?}: {got:?}"
            );
        }
    }
    // Reading: another authority, a maker and a lab may not; the operator may, without the
    // complainant's address.
    for who in ["de-bsi", "maker", "nl-lab"] {
        assert!(
            matches!(
                e.reg.complaint(&a(who), id).await,
                Err(ServiceError::Forbidden(_))
            ),
            "{who} read it"
        );
    }
    for who in ["maker", "nl-lab"] {
        assert!(matches!(
            e.reg.complaints(&a(who), 10, 0).await,
            Err(ServiceError::Forbidden(_))
        ));
    }
    assert!(e
        .reg
        .complaints(&a("de-bsi"), 10, 0)
        .await
        .unwrap()
        .is_empty());
    let op = e.reg.complaint(&a("enisa"), id).await.unwrap();
    assert_eq!(op.contact, None);
    assert_eq!(op.body, f.complaint.body);
    let all = e.reg.complaints(&a("enisa"), 10, 0).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].contact, None);
    let mine = e.reg.complaints(&a("nl-rdi"), 10, 0).await.unwrap();
    assert_eq!(mine[0].contact.as_deref(), Some("someone@example.org"));
    // An unknown organisation is not an authority.
    assert!(e
        .reg
        .handle_complaint(&a("nobody"), id, assign("X"))
        .await
        .is_err());
    // Nothing of that changed it.
    let stored = e.reg.complaint(&a("nl-rdi"), id).await.unwrap();
    assert_eq!(stored, f.complaint);
    // An unknown complaint is not found (for its authority too).
    let ghost = RecordId::new("CMP-999999").unwrap();
    assert!(matches!(
        e.reg
            .handle_complaint(&a("nl-rdi"), &ghost, assign("X"))
            .await,
        Err(ServiceError::NotFound { .. })
    ));
}

#[tokio::test]
async fn wrong_transitions_and_bad_input_are_refused_and_change_nothing() {
    let e = env().await;
    let (_, f) = filed(&e).await;
    let id = &f.complaint.id;
    let rdi = a("nl-rdi");
    let audited = e.reg.store().audit(1000, None).await.unwrap().len();
    // Answer before anyone took it on; uphold or reject before answering.
    for step in [
        answer("Too early"),
        close(Outcome::Upheld),
        close(Outcome::Rejected),
    ] {
        assert!(
            matches!(
                e.reg.handle_complaint(&rdi, id, step.clone()).await,
                Err(ServiceError::Conflict(_))
            ),
            "{step:?}"
        );
    }
    // Bad text.
    for step in [
        assign(""),
        assign("two\nlines"),
        assign(&"x".repeat(MAX_ASSIGNEE_CHARS + 1)),
    ] {
        assert!(
            matches!(
                e.reg.handle_complaint(&rdi, id, step.clone()).await,
                Err(ServiceError::Invalid { .. })
            ),
            "{step:?}"
        );
    }
    e.reg
        .handle_complaint(&rdi, id, assign("J. Jansen"))
        .await
        .unwrap();
    for step in [
        answer("  "),
        answer("bell\u{7}"),
        answer(&"x".repeat(MAX_ANSWER_CHARS + 1)),
    ] {
        assert!(matches!(
            e.reg.handle_complaint(&rdi, id, step).await,
            Err(ServiceError::Invalid { .. })
        ));
    }
    assert_eq!(
        e.reg.store().audit(1000, None).await.unwrap().len(),
        audited + 1,
        "only the assignment was written"
    );
    // Forwarded: closing without an answer is allowed for forwarded or withdrawn.
    let got = e
        .reg
        .handle_complaint(&rdi, id, close(Outcome::Forwarded))
        .await
        .unwrap();
    assert_eq!(got.answer, None);
    assert_eq!(got.state, ComplaintState::Closed);
}

#[tokio::test]
async fn two_people_answering_at_once_give_one_answer() {
    let e = env().await;
    let (_, f) = filed(&e).await;
    let id = f.complaint.id.clone();
    e.reg
        .handle_complaint(&a("nl-rdi"), &id, assign("J. Jansen"))
        .await
        .unwrap();
    let rdi = a("nl-rdi");
    let (x, y) = tokio::join!(
        e.reg.handle_complaint(&rdi, &id, answer("First")),
        e.reg.handle_complaint(&rdi, &id, answer("Second")),
    );
    assert_eq!([&x, &y].iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        [&x, &y]
            .iter()
            .any(|r| matches!(r, Err(ServiceError::Conflict(_)))),
        "{x:?} {y:?}"
    );
    let stored = e.reg.complaint(&a("nl-rdi"), &id).await.unwrap();
    let winner = if x.is_ok() { "First" } else { "Second" };
    assert_eq!(stored.answer.as_deref(), Some(winner));
}

#[tokio::test]
async fn the_public_sees_nothing_without_the_exact_reference() {
    let e = env().await;
    let (_, f) = filed(&e).await;
    let mut other = f.reference.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let other = String::from_utf8(other).unwrap();
    for bad in [
        other.as_str(),
        "",
        "CMP-000001",
        &f.complaint.id.to_string(),
        &f.complaint.reference_sha256.clone().unwrap(),
        &f.reference[..31],
        &format!("{}0", f.reference),
        &"z".repeat(32),
        &"a".repeat(100_000),
    ] {
        assert!(
            matches!(
                e.reg.complaint_status(bad).await,
                Err(ServiceError::NotFound { ref id, .. }) if id == "with this reference"
            ),
            "{}",
            &bad[..bad.len().min(40)]
        );
    }
}

#[tokio::test]
async fn a_label_without_a_supervising_authority_takes_no_complaint() {
    let e = env().await;
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    supported(&e.reg, "maker", &p, day(700)).await;
    // A Singapore label declared by a Dutch maker: no authority in this registry supervises it.
    let cert = issued(&e.reg, "maker", &p, &v, "sg-cls", "l1").await;
    let r = e.reg.complaint_routing(&cert).await.unwrap();
    assert!(r.authority.is_none());
    assert!(
        r.supervisor.as_deref().unwrap().contains("Singapore"),
        "{:?}",
        r.supervisor
    );
    let audited = e.reg.store().audit(1000, None).await.unwrap().len();
    let got = e
        .reg
        .file_complaint(&cert, None, "Where do I go?", None)
        .await;
    match got {
        Err(ServiceError::Invalid { field, problem }) => {
            assert_eq!(field, "certificate");
            assert!(problem.contains("Singapore"), "{problem}");
        }
        other => panic!("accepted: {other:?}"),
    }
    assert_eq!(
        e.reg.store().audit(1000, None).await.unwrap().len(),
        audited
    );
    assert!(e
        .reg
        .complaints(&a("enisa"), 10, 0)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn filing_checks_the_address_and_the_text() {
    let e = env().await;
    let (cert, _) = filed(&e).await;
    for (contact, body) in [
        (Some("not an address"), "Text"),
        (Some("a@b"), "Text"),
        (None, "   "),
        (None, "esc\u{1b}[2J"),
    ] {
        assert!(
            matches!(
                e.reg
                    .file_complaint(&cert, contact.map(Into::into), body, None)
                    .await,
                Err(ServiceError::Invalid { .. })
            ),
            "{contact:?} {body:?}"
        );
    }
    let long = "x".repeat(MAX_COMPLAINT_CHARS + 1);
    assert!(e
        .reg
        .file_complaint(&cert, None, &long, None)
        .await
        .is_err());
    // An empty address is no address; an unknown certificate is not found.
    let ok = e
        .reg
        .file_complaint(&cert, Some("  ".into()), "Text", None)
        .await
        .unwrap();
    assert_eq!(ok.complaint.contact, None);
    assert!(matches!(
        e.reg
            .file_complaint(&"KM-2026-999999".parse().unwrap(), None, "Text", None)
            .await,
        Err(ServiceError::NotFound { .. })
    ));
}

#[tokio::test]
async fn the_answer_carries_its_language_stated_or_the_authoritys() {
    let e = env().await;
    let (_, f) = filed(&e).await;
    let id = f.complaint.id.clone();
    let rdi = a("nl-rdi");
    e.reg
        .handle_complaint(&rdi, &id, assign("J. Jansen"))
        .await
        .unwrap();
    // Not stated: the Dutch authority's language.
    let got = e
        .reg
        .handle_complaint(
            &rdi,
            &id,
            answer("We hebben de maker gevraagd het te herstellen."),
        )
        .await
        .unwrap();
    assert_eq!(got.answer_lang, Some(Lang::Nl));
    let s = e.reg.complaint_status(&f.reference).await.unwrap();
    assert_eq!(s.answer_lang, Some(Lang::Nl));
    assert!(last_audit(&e.reg)
        .await
        .audit
        .detail
        .to_string()
        .contains(r#""lang":"nl""#));

    // Stated: kept as stated.
    let g = e
        .reg
        .file_complaint(&f.complaint.certificate, None, "Second complaint", None)
        .await
        .unwrap();
    let id2 = g.complaint.id.clone();
    e.reg
        .handle_complaint(&rdi, &id2, assign("J. Jansen"))
        .await
        .unwrap();
    e.reg
        .handle_complaint(
            &rdi,
            &id2,
            ComplaintAction::Answer {
                answer: "Wir haben den Hersteller gebeten.".into(),
                lang: Some(Lang::De),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        e.reg
            .complaint_status(&g.reference)
            .await
            .unwrap()
            .answer_lang,
        Some(Lang::De)
    );

    // An answer stored before languages were recorded reads as English; no answer, no language.
    let mut old = keurmerk_store::ApiStore::complaint(e.reg.store(), &id2)
        .await
        .unwrap()
        .unwrap();
    let from = old.state;
    old.answer_lang = None;
    let audit = keurmerk_store::Audit {
        at: old.answered_at.unwrap(),
        actor: None,
        credential: Credential::Public,
        action: "test.rewind".into(),
        subject: id2.to_string(),
        detail: serde_json::json!({}),
    };
    keurmerk_store::ApiStore::update_complaint(e.reg.store(), &old, from, &audit)
        .await
        .unwrap();
    assert_eq!(
        e.reg
            .complaint_status(&g.reference)
            .await
            .unwrap()
            .answer_lang,
        Some(Lang::En)
    );
    let f3 = e
        .reg
        .file_complaint(&f.complaint.certificate, None, "Third complaint", None)
        .await
        .unwrap();
    assert_eq!(
        e.reg
            .complaint_status(&f3.reference)
            .await
            .unwrap()
            .answer_lang,
        None
    );
}

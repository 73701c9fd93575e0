//! Issue 13: suspensions, extensions and withdrawals take a reason code from the catalogue, plus
//! optional free text in a stated language. Every refusal writes nothing; who may is decided
//! before the reason is looked at.

use keurmerk_domain::event::EventKind;
use keurmerk_domain::lifecycle::{Command, Denial};
use keurmerk_domain::reason::ReasonCode;
use keurmerk_domain::status::Reason;
use keurmerk_domain::Lang;
use keurmerk_service::*;
use keurmerk_store::CertificateStore;

use crate::support::*;

fn req(command: Command, code: Option<&str>, text: &str, lang: Option<&str>) -> LifecycleRequest {
    LifecycleRequest {
        command,
        reason: text.into(),
        until: None,
        reason_code: code.map(str::to_owned),
        reason_lang: lang.map(str::to_owned),
    }
}

/// The suspension's or withdrawal's reason among a status's reasons.
fn coded(reasons: &[Reason]) -> &Reason {
    reasons
        .iter()
        .find(|r| r.reason_code().is_some())
        .expect("a suspension or withdrawal reason")
}

async fn setup() -> (Env, keurmerk_domain::CertificateId) {
    let e = env().await;
    world(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    let cert = issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    (e, cert)
}

#[tokio::test]
async fn bad_reasons_are_refused_naming_the_field_and_write_nothing() {
    let (e, cert) = setup().await;
    let before = audit_len(&e.reg).await;
    let events = e.reg.store().events(&cert).await.unwrap().len();
    let cases: Vec<(LifecycleRequest, &str, &str)> = vec![
        (
            req(Command::Suspend, None, "why", None),
            "reason_code",
            "vulnerability_not_fixed",
        ),
        (
            req(Command::Suspend, Some("lost"), "", None),
            "reason_code",
            "`lost`",
        ),
        (
            req(Command::Suspend, Some("Recall"), "", None),
            "reason_code",
            "recall",
        ),
        (
            req(Command::Suspend, Some("not_remedied"), "", None),
            "reason_code",
            "under_investigation",
        ),
        (
            req(Command::Withdraw, Some("remedy_in_progress"), "", None),
            "reason_code",
            "cannot be used to withdraw",
        ),
        (
            req(Command::Withdraw, Some("other"), "  ", None),
            "reason",
            "other",
        ),
        (
            req(Command::Withdraw, Some("recall"), &"x".repeat(1001), None),
            "reason",
            "1001",
        ),
        (
            req(Command::Withdraw, Some("recall"), "a\u{7}b", None),
            "reason",
            "control",
        ),
        (
            req(Command::Withdraw, Some("recall"), "terug", Some("dutch")),
            "reason_lang",
            "`dutch`",
        ),
        (
            req(
                Command::Withdraw,
                Some("recall"),
                "terug",
                Some("nl\"><script>"),
            ),
            "reason_lang",
            "language tag",
        ),
        (
            req(Command::Reinstate, Some("recall"), "fixed", None),
            "reason_code",
            "takes no reason code",
        ),
    ];
    for (r, field, says) in cases {
        let what = format!("{r:?}");
        let problem = invalid(e.reg.change_state(&a("nl-rdi"), &cert, r).await, field);
        assert!(problem.contains(says), "{what}: {problem}");
    }
    assert_eq!(audit_len(&e.reg).await, before);
    assert_eq!(e.reg.store().events(&cert).await.unwrap().len(), events);
}

#[tokio::test]
async fn a_caller_who_may_not_is_refused_before_the_reason_is_looked_at() {
    let (e, cert) = setup().await;
    let before = audit_len(&e.reg).await;
    for (who, r) in [
        ("maker", req(Command::Suspend, Some("lost"), "", None)),
        ("maker", req(Command::Withdraw, None, "", None)),
        (
            "de-bsi",
            req(Command::Withdraw, Some("recall"), "", Some("xx-<")),
        ),
        (
            "other-maker",
            req(Command::Suspend, Some("recall"), "", None),
        ),
    ] {
        let r = e.reg.change_state(&a(who), &cert, r).await;
        assert!(
            matches!(r, Err(ServiceError::Lifecycle(Denial::NotPermitted { .. }))),
            "{who}: {r:?}"
        );
    }
    // The issuer may not extend (only the authority may), whatever the code.
    e.reg
        .change_state(
            &a("nl-lab"),
            &cert,
            req(Command::Suspend, Some("non_conformity"), "", None),
        )
        .await
        .unwrap();
    let before_extend = audit_len(&e.reg).await;
    let r = e
        .reg
        .change_state(
            &a("nl-lab"),
            &cert,
            req(Command::ExtendSuspension, Some("lost"), "", None),
        )
        .await;
    assert!(
        matches!(r, Err(ServiceError::Lifecycle(Denial::NotPermitted { .. }))),
        "{r:?}"
    );
    assert_eq!(audit_len(&e.reg).await, before_extend);
    assert_eq!(before_extend, before + 1);
}

#[tokio::test]
async fn the_code_reads_in_every_language_and_the_free_text_keeps_its_own() {
    let (e, cert) = setup().await;
    e.reg
        .change_state(
            &a("nl-rdi"),
            &cert,
            req(
                Command::Suspend,
                Some(" under_investigation "),
                "Melding 2026-17 wordt onderzocht",
                Some("NL"),
            ),
        )
        .await
        .unwrap();
    let st = e.reg.status(&cert).await.unwrap();
    let r = coded(&st.reasons);
    assert_eq!(r.reason_code(), Some(ReasonCode::UnderInvestigation));
    let (text, lang) = r.free_text_lang().unwrap();
    assert_eq!(
        (text, lang.as_str()),
        ("Melding 2026-17 wordt onderzocht", "nl")
    );
    assert!(r
        .text(Lang::De)
        .contains("Eine Meldung zu dem Produkt wird untersucht."));
    assert!(r.text(Lang::Fr).contains("fait l'objet d'une enquête"));
    assert!(r
        .text(Lang::En)
        .contains("“Melding 2026-17 wordt onderzocht”"));

    let until = t0().date_naive() + chrono::Days::new(30);
    e.reg
        .change_state(
            &a("nl-rdi"),
            &cert,
            LifecycleRequest {
                until: Some(until),
                ..req(
                    Command::ExtendSuspension,
                    Some("remedy_in_progress"),
                    "",
                    None,
                )
            },
        )
        .await
        .unwrap();
    let st = e.reg.status(&cert).await.unwrap();
    let r = coded(&st.reasons);
    assert_eq!(r.reason_code(), Some(ReasonCode::RemedyInProgress));
    assert_eq!(r.free_text(), None);

    e.reg
        .change_state(
            &a("nl-rdi"),
            &cert,
            req(Command::Withdraw, Some("recall"), "", Some("de")),
        )
        .await
        .unwrap();
    let st = e.reg.status(&cert).await.unwrap();
    let r = coded(&st.reasons);
    assert_eq!(r.reason_code(), Some(ReasonCode::Recall));
    assert!(r
        .text(Lang::Nl)
        .contains("Reden: Het product is teruggeroepen."));
    // What was recorded: the code always, a language only with a free text.
    let events = e.reg.store().events(&cert).await.unwrap();
    match &events.last().unwrap().kind {
        EventKind::Withdrawn {
            reason_code,
            reason_lang,
            ..
        } => {
            assert_eq!(*reason_code, Some(ReasonCode::Recall));
            assert_eq!(*reason_lang, None);
        }
        other => panic!("{other:?}"),
    }
}

//! Idempotent retries (`Idempotency-Key`) and superseded certificates on their page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_domain::ids::{CertificateId, LevelId, SchemeId};
use keurmerk_domain::model::{Certificate, Verdict};
use keurmerk_service::{Actor, NewAssessment};
use keurmerk_store::{CertificateFilter, CertificateStore, ProductFilter, ProductStore};
use serde_json::json;
use support::{app, App};

/// The demo's cloud service certificate (issued by `rhein-pruef`).
async fn cloud_certificate(a: &App) -> CertificateId {
    let p = a
        .reg
        .store()
        .products(&ProductFilter {
            text: Some("Nimbus IoT".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    a.reg
        .store()
        .certificates(&CertificateFilter {
            product: Some(p.id),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0)
        .id
}

async fn events(a: &App, id: &CertificateId) -> usize {
    a.reg.store().events(id).await.unwrap().len()
}

async fn post(
    a: &App,
    uri: &str,
    token: &str,
    key: Option<&str>,
    body: serde_json::Value,
) -> support::Answer {
    let mut r = axum::http::Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    a.send(r.body(axum::body::Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn a_retried_write_gets_the_first_answer_and_writes_once() {
    let a = app().await;
    let cloud = cloud_certificate(&a).await;
    let lab = a.token("rhein-pruef").await;
    let suspend = format!("/api/v1/certificates/{cloud}/suspend");
    let before = events(&a, &cloud).await;

    let first = post(
        &a,
        &suspend,
        &lab,
        Some("k-1"),
        json!({"reason_code": "other", "reason": "audit"}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json()["state"], "suspended");
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(events(&a, &cloud).await, before + 1);

    // The retry (say the answer was lost) gets the same answer and writes nothing.
    for _ in 0..2 {
        let again = post(
            &a,
            &suspend,
            &lab,
            Some("k-1"),
            json!({"reason_code": "other", "reason": "audit"}),
        )
        .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json(), first.json());
        assert_eq!(again.headers["idempotent-replayed"], "true");
    }
    assert_eq!(events(&a, &cloud).await, before + 1);

    // The key with another request: refused, nothing written.
    let other = post(
        &a,
        &suspend,
        &lab,
        Some("k-1"),
        json!({"reason_code": "other", "reason": "other"}),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(other.json()["error"]["code"], "idempotency_key_reused");
    let reinstate = format!("/api/v1/certificates/{cloud}/reinstate");
    let other = post(
        &a,
        &reinstate,
        &lab,
        Some("k-1"),
        json!({"reason": "audit"}),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(events(&a, &cloud).await, before + 1);

    // Keys are per credential: another token's `k-1` is its own request (here refused by the
    // lifecycle, so it records nothing and may be retried).
    let lab2 = a.token("rhein-pruef").await;
    let denied = post(
        &a,
        &suspend,
        &lab2,
        Some("k-1"),
        json!({"reason_code": "other", "reason": "audit"}),
    )
    .await;
    assert_eq!(denied.status, StatusCode::CONFLICT, "{}", denied.text);
    assert!(denied.headers.get("idempotent-replayed").is_none());
    let ok = post(
        &a,
        &reinstate,
        &lab2,
        Some("k-1"),
        json!({"reason": "audit"}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json()["state"], "active");
    assert_eq!(events(&a, &cloud).await, before + 2);

    // Dependents were told in the same request: nothing is left in the outbox.
    assert_eq!(a.reg.pending_follow_ups().await.unwrap(), 0);

    // A bad key is refused before anything runs.
    let bad = post(
        &a,
        &suspend,
        &lab,
        Some("has space"),
        json!({"reason_code": "other", "reason": "x"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(events(&a, &cloud).await, before + 2);
}

/// A live self-declared certificate of the demo whose level may be self-assessed.
async fn self_declared(a: &App) -> Certificate {
    let all = a
        .reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    all.into_iter()
        .find(|c| {
            c.issuer == c.holder
                && c.state == keurmerk_domain::lifecycle::State::Active
                && c.scheme.as_str() == "eu-iot"
        })
        .expect("the demo has a self-declared eu-iot certificate")
}

#[tokio::test]
async fn a_superseded_certificate_links_to_its_replacement() {
    let a = app().await;
    let old = self_declared(&a).await;
    let maker = Actor::cli(old.holder.clone(), "test");
    let scheme = a
        .reg
        .catalogue()
        .get(&SchemeId::new("eu-iot").unwrap())
        .unwrap();
    let level = scheme
        .level(&LevelId::new(old.level.as_str()).unwrap())
        .unwrap();
    let verdicts = scheme
        .required_at(level)
        .into_iter()
        .map(|r| (r.id.clone(), Verdict::Pass))
        .collect();
    let version = a.reg.store().versions(&old.product).await.unwrap()[0]
        .id
        .clone();
    let asm = a
        .reg
        .record_assessment(
            &maker,
            NewAssessment {
                product: old.product.clone(),
                version,
                scheme: old.scheme.clone(),
                level: old.level.clone(),
                verdicts,
                evidence: vec![],
            },
        )
        .await
        .unwrap();
    let new = a.reg.certify(&maker, &asm.id, None).await.unwrap().id;

    let page = a.get(&format!("/c/{}", old.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("replaced by a newer label"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!(
            "rel=\"successor-version\" href=\"/c/{new}?lang=en\""
        )) || page.text.contains(&format!(
            "href=\"/c/{new}?lang=en\" rel=\"successor-version\""
        )),
        "{}",
        page.text
    );
    for (lang, words) in [
        ("nl", "Bekijk het label dat dit vervangt"),
        ("de", "das es ersetzt"),
        ("fr", "Consultez le label qui le remplace"),
    ] {
        let page = a.get(&format!("/c/{}?lang={lang}", old.id)).await;
        assert!(page.text.contains(words), "{lang}: {}", page.text);
        assert!(
            page.text.contains(&format!("/c/{new}?lang={lang}")),
            "{lang}"
        );
    }
    // The API reports it too.
    let api = a.get(&format!("/api/v1/certificates/{}", old.id)).await;
    assert!(api.text.contains("superseded"), "{}", api.text);

    // The same assessment again: refused over HTTP too, nothing written.
    let token = a.token(old.holder.as_str()).await;
    let before = a
        .reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .len();
    let again = a
        .call(
            "POST",
            &format!("/api/v1/assessments/{}/certify", asm.id),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(
        again.text.contains("one assessment gives one"),
        "{}",
        again.text
    );
    let after = a
        .reg
        .store()
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .len();
    assert_eq!(before, after);
}

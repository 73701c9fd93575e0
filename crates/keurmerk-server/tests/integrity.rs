//! Issue 10: an edit of a signed event's stored text is shown on the public page and in the API
//! as an integrity problem — never next to a confirming tick — and the re-sign endpoint is
//! authorised in the service layer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use keurmerk_domain::lifecycle::State;
use keurmerk_store::{CertificateFilter, CertificateStore};
use support::app;

async fn tampered(a: &support::App) -> (String, i64) {
    let id = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == State::Suspended)
        .unwrap()
        .id;
    let seq: i64 = sqlx::query_scalar(
        "SELECT seq FROM events WHERE certificate_id = $1 AND kind = 'suspended' ORDER BY seq DESC LIMIT 1",
    )
    .bind(id.to_string())
    .fetch_one(a.reg.store().pool())
    .await
    .unwrap();
    sqlx::query(
        "UPDATE events SET payload = REPLACE(payload, '\"reason\":\"', '\"reason\":\"Nothing serious: ') WHERE seq = $1",
    )
    .bind(seq)
    .execute(a.reg.store().pool())
    .await
    .unwrap();
    (id.to_string(), seq)
}

#[tokio::test]
async fn an_edited_event_shows_as_an_integrity_problem_on_the_page_in_every_language() {
    let a = app().await;
    let (id, _) = tampered(&a).await;
    for (lang, title) in [
        ("en", "Integrity problem"),
        ("nl", "Integriteitsprobleem"),
        ("de", "Integritätsproblem"),
        ("fr", "Problème"),
    ] {
        let page = a.get(&format!("/c/{id}?lang={lang}")).await;
        assert_eq!(page.status, 200, "{lang}");
        assert!(page.text.contains(title), "{lang}: no integrity headline");
        assert!(
            !page.text.contains("Nothing serious"),
            "{lang}: shows the edit"
        );
        assert!(
            !page.text.contains("✔ Signature"),
            "{lang}: a confirming tick"
        );
        assert!(
            !page.text.contains("sig-valid"),
            "{lang}: a confirming tick"
        );
    }
}

#[tokio::test]
async fn an_edited_event_makes_the_api_and_signed_status_unknown() {
    let a = app().await;
    let (id, seq) = tampered(&a).await;
    let st = a.get(&format!("/api/v1/certificates/{id}/status")).await;
    assert_eq!(st.status, 200);
    let j = st.json();
    assert_eq!(j["status"], "unknown", "{j}");
    assert_eq!(j["reasons"][0]["code"], "integrity_problem", "{j}");
    assert_eq!(j["reasons"][0]["details"]["event"], seq, "{j}");
    let signed = a
        .get(&format!("/api/v1/certificates/{id}/status?signed=1"))
        .await;
    assert_eq!(signed.status, 200);
    assert!(
        signed.text.contains("\"status\":\"unknown\""),
        "{}",
        signed.text
    );
}

/// A feed says only what the signed record proves: the edited event is in no feed (the public
/// one, the holder's organisation's, the product's; Atom and HTML), and each says instead, in its
/// language, that the registry cannot confirm what happened to the label.
#[tokio::test]
async fn an_edited_event_never_reaches_a_feed() {
    let a = app().await;
    let (id, seq) = tampered(&a).await;
    let cid = keurmerk_domain::ids::CertificateId::new(&id).unwrap();
    let d = a.reg.certificate_details(&cid).await.unwrap();
    let (holder, product) = (d.certificate.holder.clone(), d.certificate.product.clone());
    for path in [
        "/feed".to_owned(),
        format!("/org/{holder}/feed"),
        format!("/products/{product}/feed"),
    ] {
        for (lang, words) in [
            (
                "en",
                "the registry cannot confirm what happened to this label",
            ),
            (
                "nl",
                "het register kan niet bevestigen wat er met dit label is gebeurd",
            ),
            (
                "de",
                "das Register kann nicht bestätigen, was mit diesem Kennzeichen geschehen ist",
            ),
            (
                "fr",
                "le registre ne peut pas confirmer ce qui est arrivé à ce label",
            ),
        ] {
            for url in [
                format!("{path}?lang={lang}"),
                format!("{path}.atom?lang={lang}"),
            ] {
                let r = a.get(&url).await;
                assert_eq!(r.status, 200, "{url}");
                assert!(!r.text.contains("Nothing serious"), "{url}: shows the edit");
                assert!(
                    !r.text.contains(&format!("#event-{seq}<"))
                        && !r.text.contains(&format!("data-seq=\"{seq}\"")),
                    "{url}: lists the unproven event {seq}"
                );
                assert!(
                    r.text.contains(words),
                    "{url}: does not say the record is unconfirmed"
                );
            }
        }
    }
    // An untouched label's feed is unaffected: every event is there.
    let other = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.product != product && c.holder != holder)
        .unwrap();
    let feed = a
        .get(&format!("/products/{}/feed.atom", other.product))
        .await;
    assert!(!feed.text.contains("cannot confirm"), "{}", feed.text);
    for e in a.reg.store().events(&other.id).await.unwrap() {
        assert!(
            feed.text.contains(&format!("#event-{}<", e.seq)),
            "event {} missing",
            e.seq
        );
    }
}

#[tokio::test]
async fn resign_is_refused_without_a_token_and_when_nothing_was_signed_with_a_compromised_key() {
    let a = app().await;
    let id = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .remove(0)
        .id;
    let url = format!("/api/v1/certificates/{id}/resign");
    let anon = a.call("POST", &url, None, None).await;
    assert_eq!(anon.status, 401, "{}", anon.text);
    let token = a.token(id_issuer(&a, &id).await.as_str()).await;
    let nothing = a.call("POST", &url, Some(&token), None).await;
    assert_eq!(nothing.status, 409, "{}", nothing.text);
    assert!(
        nothing.text.contains("nothing to re-sign"),
        "{}",
        nothing.text
    );
}

async fn id_issuer(a: &support::App, id: &keurmerk_domain::ids::CertificateId) -> String {
    a.reg
        .certificate_details(id)
        .await
        .unwrap()
        .certificate
        .issuer
        .to_string()
}

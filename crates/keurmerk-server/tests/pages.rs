//! Public pages: languages, the certificate page, search, complaint form with CSRF, feeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::IssuerKind;
use keurmerk_store::CertificateFilter;
use support::app;

async fn cert(
    a: &support::App,
    pick: impl Fn(&keurmerk_domain::model::Certificate) -> bool,
) -> String {
    a.reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| pick(c))
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn certificate_page_in_four_languages() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    for (lang, status, tested) in [
        ("en", "Suspended", "Tested independently"),
        ("nl", "Geschorst", "Onafhankelijk getest"),
        ("de", "Ausgesetzt", "Unabhängig geprüft"),
        ("fr", "Suspendu", "Testé de manière indépendante"),
    ] {
        let p = a.get(&format!("/c/{id}?lang={lang}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.text.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}"
        );
        assert!(p.text.contains(status), "{lang}: {status}");
        assert!(p.text.contains(tested), "{lang}: {tested}");
        for landmark in ["<header>", "<nav ", "<main ", "<footer>", "class=\"skip\""] {
            assert!(p.text.contains(landmark), "{lang}: {landmark}");
        }
        assert!(!p.text.contains("<script"));
    }
    // Accept-Language when there is no ?lang=.
    let p = a
        .send(
            Request::get(format!("/c/{id}"))
                .header("accept-language", "de-DE,de;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(p.text.contains("<html lang=\"de\">"));
    assert!(
        p.text.contains("geschorst")
            || p.text.contains("ausgesetzt")
            || p.text.contains("Ausgesetzt")
    );
    // Security headers.
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(p.headers["x-content-type-options"], "nosniff");
    assert_eq!(p.headers["x-frame-options"], "DENY");
    assert!(p.headers.contains_key("referrer-policy"));
}

#[tokio::test]
async fn self_declared_labels_say_so() {
    let a = app().await;
    let id = cert(&a, |c| c.issuer_kind == IssuerKind::SelfDeclared).await;
    let p = a.get(&format!("/c/{id}?lang=nl")).await;
    assert!(p.text.contains("Verklaard door de fabrikant"));
    assert!(p.text.contains("issuer-self"));
    assert!(!p.text.contains("Onafhankelijk getest"));
}

#[tokio::test]
async fn unknown_certificate_is_a_friendly_404() {
    let a = app().await;
    let p = a.get("/c/KM-1999-000001?lang=fr").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.text.contains("Introuvable"));
}

#[tokio::test]
async fn home_search_finds_products_and_certificates() {
    let a = app().await;
    let home = a.get("/?lang=nl").await;
    assert!(home.text.contains("<label for=\"q\">"));
    let found = a.get("/?q=router&lang=en").await;
    assert!(found.text.contains("HH Router"), "{}", found.text);
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let by_id = a.get(&format!("/?q={}", id.to_lowercase())).await;
    assert!(by_id.text.contains(&format!("/c/{id}")));
    for page in [
        "/about?lang=de",
        "/schemes?lang=fr",
        "/schemes/eu-iot?lang=nl",
    ] {
        let p = a.get(page).await;
        assert_eq!(p.status, StatusCode::OK, "{page}");
    }
    assert!(a.get("/about?lang=nl").await.text.contains("CE-markering"));
}

#[tokio::test]
async fn complaints_need_the_form_token_and_reach_the_authority() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let authority = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id.as_str() == id)
        .unwrap()
        .authority
        .unwrap();
    let form = a.get(&format!("/c/{id}/complaint?lang=en")).await;
    let token = form
        .text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let post = |csrf: String| {
        Request::post(format!("/c/{id}/complaint"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={csrf}&lang=en&contact=me%40example.org&body=The+camera+sends+video+unencrypted"
            )))
            .unwrap()
    };
    let forged = a.send(post("1.deadbeef".into())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ok = a.send(post(token)).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert!(ok.text.contains("CMP-"));
    let mine = a
        .get_as(
            "/api/v1/complaints",
            Some(&a.token(authority.as_str()).await),
        )
        .await
        .json();
    assert_eq!(mine["items"][0]["certificate"], id.as_str());
    assert_eq!(mine["items"][0]["authority"], authority.as_str());
    let other = if authority.as_str() == "nl-rdi" {
        "de-bsi"
    } else {
        "nl-rdi"
    };
    let theirs = a
        .get_as("/api/v1/complaints", Some(&a.token(other).await))
        .await
        .json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn atom_feeds() {
    let a = app().await;
    let all = a.get("/feed.atom").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(all
        .text
        .contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(all.text.contains("suspended"));
    let org = a.get("/org/holland-home/feed.atom").await;
    assert!(org.text.contains("<entry>"));
    assert_eq!(
        a.get("/org/nobody/feed.atom").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_count_requests() {
    let a = app().await;
    a.get("/healthz").await;
    let m = a.get("/metrics").await;
    assert!(m.text.contains(
        "keurmerk_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
    ));
}

//! The authority's complaint pages (issue 13 item 6), on every backend (SQLite always,
//! PostgreSQL when `KEURMERK_TEST_POSTGRES` is set): sign-in with the authority's API token, a
//! session cookie (HttpOnly, SameSite=Strict, Path=/authority), every post checked for origin
//! and the session's form token, and every denied path: no cookie, a maker's token, another
//! authority, a forged, expired or revoked session, a cross-site post, sign-out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use keurmerk_service::TokenAdmin;
use keurmerk_store::{ApiStore, AuditStore, CertificateFilter};
use tower::ServiceExt;

mod support;
use support::{demo_env as env, DemoEnv as Env};

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

const ORIGIN: &str = "http://127.0.0.1:8080";

async fn get(app: &axum::Router, uri: &str, cookie: Option<&str>) -> Answer {
    let mut r = Request::get(uri);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, format!("km_authority={c}"));
    }
    send(app, r.body(Body::empty()).unwrap()).await
}

async fn post(
    app: &axum::Router,
    uri: &str,
    cookie: Option<&str>,
    origin: &str,
    form: &str,
) -> Answer {
    let mut r = Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", origin);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, format!("km_authority={c}"));
    }
    send(app, r.body(Body::from(form.to_owned())).unwrap()).await
}

async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Form encoding: every byte but letters and digits as `%XX`.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Signs in with a token: the session cookie's value and the whole `Set-Cookie`.
async fn sign_in(app: &axum::Router, token: &str) -> (String, String) {
    let a = post(
        app,
        "/authority/login",
        None,
        ORIGIN,
        &format!("lang=en&token={}", enc(token)),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    let set = a.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let value = set
        .strip_prefix("km_authority=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    (value, set)
}

fn csrf_of(page: &str) -> String {
    page.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned()
}

async fn authority_pages(e: Env) {
    let app = e.app();
    let certs = e
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap();
    let cert = certs.iter().find(|c| c.authority.is_some()).unwrap();
    let authority = cert.authority.clone().unwrap();
    let other = if authority.as_str() == "nl-rdi" {
        "de-bsi"
    } else {
        "nl-rdi"
    };
    let filed = e
        .reg
        .file_complaint(
            &cert.id,
            Some("someone@example.org".into()),
            "The camera has no password.",
            None,
        )
        .await
        .unwrap();
    let cid = filed.complaint.id.to_string();
    let detail = format!("/authority/complaints/{cid}");

    // No cookie: the pages send to sign-in; a post is refused.
    let a = get(&app, "/authority/complaints?lang=nl", None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/authority/login?lang=nl");
    let a = get(&app, &detail, None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = post(&app, &detail, None, ORIGIN, "csrf=x&step=assign&assignee=X").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let login = get(&app, "/authority/login?lang=de", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains(r#"<html lang="de""#));

    // Sign-in: a wrong token, a maker's and a lab's token, a cross-site post are refused.
    let (maker, _) = e.token_with_id("brightcam").await;
    let (lab, _) = e.token_with_id("delta-testlab").await;
    let (mine, mine_id) = e.token_with_id(authority.as_str()).await;
    let a = post(
        &app,
        "/authority/login",
        None,
        ORIGIN,
        "token=kmt_TOK-000001_nope",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    for t in [&maker, &lab] {
        let a = post(
            &app,
            "/authority/login",
            None,
            ORIGIN,
            &format!("token={}", enc(t)),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert!(a.headers.get(header::SET_COOKIE).is_none());
    }
    let a = post(
        &app,
        "/authority/login",
        None,
        "https://evil.example",
        &format!("token={}", enc(&mine)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.headers.get(header::SET_COOKIE).is_none());

    // The authority signs in: the cookie holds a session id, not the token.
    let (cookie, set) = sign_in(&app, &mine).await;
    for want in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/authority",
        "Max-Age=28800",
    ] {
        assert!(set.contains(want), "{want} in {set}");
    }
    assert!(
        !set.contains("Secure"),
        "the test registry's base URL is http"
    );
    assert!(!set.contains(&mine) && !mine.contains(&cookie));
    let list = get(&app, "/authority/complaints?lang=fr", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains(&cid));
    assert!(list.text.contains(r#"<html lang="fr""#));
    assert_eq!(list.headers[header::CACHE_CONTROL], "no-store");
    let page = get(&app, &format!("{detail}?lang=en"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("someone@example.org"));
    let csrf = csrf_of(&page.text);

    // A post without the form token, with another session's, or from another site changes nothing.
    for (origin, form) in [
        (ORIGIN, "step=assign&assignee=X".to_owned()),
        (
            ORIGIN,
            format!("csrf={}&step=assign&assignee=X", "0".repeat(64)),
        ),
        (
            "https://evil.example",
            format!("csrf={csrf}&step=assign&assignee=X"),
        ),
    ] {
        let a = post(&app, &detail, Some(&cookie), origin, &form).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{origin} {form}");
    }
    let stored = e
        .reg
        .store()
        .complaint(&filed.complaint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee, None);

    // Assign, answer in German, refuse a wrong step and a bad field, close.
    let ok = |a: &Answer| {
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text);
    };
    ok(&post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!("csrf={csrf}&lang=en&step=assign&assignee=J.+Jansen"),
    )
    .await);
    let a = post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!("csrf={csrf}&step=close&outcome=upheld"),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::CONFLICT,
        "upheld only after an answer"
    );
    let a = post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!("csrf={csrf}&step=answer&answer=Hola&answer_lang=es"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!("csrf={csrf}&step=answer&answer=+"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    ok(&post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!(
            "csrf={csrf}&step=answer&answer={}&answer_lang=de",
            enc("Wir haben den Hersteller gebeten.")
        ),
    )
    .await);
    let public = get(
        &app,
        &format!("/complaints/{}?lang=nl", filed.reference),
        None,
    )
    .await;
    assert!(
        public
            .text
            .contains(r#"<blockquote class="answer" lang="de">"#),
        "{}",
        public.text
    );
    ok(&post(
        &app,
        &detail,
        Some(&cookie),
        ORIGIN,
        &format!("csrf={csrf}&step=close&outcome=upheld"),
    )
    .await);
    let stored = e
        .reg
        .store()
        .complaint(&filed.complaint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assignee.as_deref(), Some("J. Jansen"));
    assert_eq!(stored.contact, None, "closing erased the address");
    // The steps are audited with the authority and the token it signed in with.
    let trail = e.reg.store().audit(50, None).await.unwrap();
    let steps: Vec<_> = trail
        .iter()
        .filter(|r| r.audit.subject == cid && r.audit.action != "complaint.file")
        .collect();
    assert_eq!(steps.len(), 3);
    for r in steps {
        assert_eq!(r.audit.actor.as_ref(), Some(&authority));
        assert_eq!(r.audit.credential.to_string(), format!("token:{mine_id}"));
    }

    // Another authority signs in but may not read or handle this complaint.
    let (theirs, _) = e.token_with_id(other).await;
    let (their_cookie, _) = sign_in(&app, &theirs).await;
    let a = get(&app, &detail, Some(&their_cookie)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let their_page = get(&app, "/authority/complaints", Some(&their_cookie)).await;
    assert!(!their_page.text.contains(&cid));
    let their_csrf = csrf_of(&their_page.text);
    let a = post(
        &app,
        &detail,
        Some(&their_cookie),
        ORIGIN,
        &format!("csrf={their_csrf}&step=assign&assignee=X"),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // A forged cookie is no session.
    for forged in ["0".repeat(64), "nope".into(), cookie.to_uppercase()] {
        let a = get(&app, "/authority/complaints", Some(&forged)).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{forged}");
    }

    // Revoking the token ends its sessions at once.
    e.reg
        .revoke_token(TokenAdmin::Local, &mine_id)
        .await
        .unwrap();
    let a = get(&app, "/authority/complaints", Some(&cookie)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    // Sign-out ends the session and clears the cookie.
    let a = post(
        &app,
        "/authority/logout",
        Some(&their_cookie),
        ORIGIN,
        &format!("csrf={their_csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let a = get(&app, "/authority/complaints", Some(&their_cookie)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    // A session expires after 8 hours by the registry's clock, and a clock that jumps back
    // before the sign-in does not revive it either.
    let (again, _) = e.token_with_id(other).await;
    let (c2, _) = sign_in(&app, &again).await;
    assert_eq!(
        get(&app, "/authority/complaints", Some(&c2)).await.status,
        StatusCode::OK
    );
    let start = e.reg.now();
    e.clock.set(start + chrono::Duration::hours(8));
    assert_eq!(
        get(&app, "/authority/complaints", Some(&c2)).await.status,
        StatusCode::SEE_OTHER
    );
    e.clock.set(start - chrono::Duration::hours(1));
    assert_eq!(
        get(&app, "/authority/complaints", Some(&c2)).await.status,
        StatusCode::SEE_OTHER
    );
    e.done().await;
}

#[tokio::test]
async fn authority_pages_on_sqlite() {
    authority_pages(env(false).await.unwrap()).await;
}

#[tokio::test]
async fn authority_pages_on_postgres() {
    let Some(e) = env(true).await else { return };
    authority_pages(e).await;
}

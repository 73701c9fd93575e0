//! HTTP caching of the label status (issue 15 item 5): validators on every answer, 304 for a
//! held answer, and a new validator as soon as the status says something else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{active_certificate, app, suspend, Answer, App};

async fn get_with(a: &App, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut r = Request::get(uri);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    a.send(r.body(Body::empty()).unwrap()).await
}

fn header<'a>(r: &'a Answer, name: &str) -> &'a str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn plain_status_is_revalidated_until_it_changes() {
    let a = app().await;
    let c = active_certificate(&a).await;
    let uri = format!("/api/v1/certificates/{}/status?lang=nl", c.id);

    let first = a.get(&uri).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(header(&first, "cache-control"), "public, max-age=60");
    assert_eq!(header(&first, "vary"), "Accept, Accept-Language");
    let etag = header(&first, "etag").to_owned();
    let last_modified = header(&first, "last-modified").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");

    // Held answer: 304, no body, the same validators.
    let again = get_with(&a, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(header(&again, "etag"), etag);
    // A date never proves an answer unchanged (a status can change without an event).
    let by_date = get_with(&a, &uri, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(by_date.status, StatusCode::OK);

    // Another language is another answer.
    let en = get_with(
        &a,
        &format!("/api/v1/certificates/{}/status?lang=en", c.id),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(en.status, StatusCode::OK);
    assert_ne!(header(&en, "etag"), etag);

    // The status changes: the held tag and the held date no longer match.
    suspend(&a, &c).await;
    let after = get_with(&a, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_eq!(after.json()["status"], "suspended");
    assert_ne!(header(&after, "etag"), etag);
}

#[tokio::test]
async fn signed_status_is_revalidated_until_it_changes() {
    let a = app().await;
    let c = active_certificate(&a).await;
    let uri = format!("/api/v1/certificates/{}/status?signed=1", c.id);

    let first = a.get(&uri).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let cc = header(&first, "cache-control");
    let max_age: i64 = cc
        .strip_prefix("public, max-age=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&max_age), "{cc}");
    let etag = header(&first, "etag").to_owned();
    // The plain answer of the same certificate is another representation.
    let plain = get_with(
        &a,
        &format!("/api/v1/certificates/{}/status", c.id),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(plain.status, StatusCode::OK);

    let again = get_with(&a, &uri, &[("if-none-match", &etag)]).await;
    // A 304 unless the request crossed a window boundary (then a fresh answer).
    if again.status == StatusCode::OK {
        assert_ne!(header(&again, "etag"), etag);
    } else {
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.text.is_empty());
    }

    suspend(&a, &c).await;
    let after = get_with(&a, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_ne!(header(&after, "etag"), etag);
    let body: serde_json::Value = serde_json::from_str(&after.text).unwrap();
    assert_eq!(body["status"]["status"], "suspended");
}

#[tokio::test]
async fn errors_carry_no_validators() {
    let a = app().await;
    let r = a.get("/api/v1/certificates/KM-2026-999999/status").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.headers.get("etag").is_none());
    let r = get_with(
        &a,
        "/api/v1/certificates/KM-2026-999999/status",
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "`*` never matches a missing status"
    );
}

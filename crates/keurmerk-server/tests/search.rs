//! Search and browse labels (issue 13 item 5, issue 15 item 4): through `GET /api/v1/labels` and
//! the home page, on the demo registry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use serde_json::Value;
use support::app;

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["certificate"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn labels_by_words_category_and_filters_with_their_status() {
    let a = app().await;
    // The README's own example: a category word finds the cameras, in any language.
    let r = a.get("/api/v1/labels?q=camera").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cams = r.json();
    assert!(ids(&cams).len() >= 2, "{}", r.text);
    for item in cams["items"].as_array().unwrap() {
        assert_eq!(item["category"], "camera");
        assert!(item["status"].is_string());
        assert_eq!(
            item["page"],
            format!("/c/{}", item["certificate"].as_str().unwrap())
        );
        assert!(item["label_svg"].as_str().unwrap().ends_with("/label.svg"));
    }
    for q in [
        "Kamera",
        "caméra",
        "brightcam",
        "BC-IN2",
        "4006381333931",
        "bright cam",
    ] {
        let r = a.get(&format!("/api/v1/labels?q={}", urlencode(q))).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
        assert!(!ids(&r.json()).is_empty(), "{q}");
    }
    // A certificate id in lower case.
    let first = ids(&cams)[0].clone();
    let r = a
        .get(&format!("/api/v1/labels?q={}", first.to_lowercase()))
        .await;
    assert_eq!(ids(&r.json()), vec![first]);

    // Filters narrow; no words at all browses.
    let all = a.get("/api/v1/labels?limit=50").await.json();
    let withdrawn = a.get("/api/v1/labels?state=withdrawn").await.json();
    assert!(!ids(&withdrawn).is_empty());
    assert!(ids(&withdrawn).len() < ids(&all).len());
    for item in withdrawn["items"].as_array().unwrap() {
        assert_eq!(item["state"], "withdrawn");
        assert_eq!(item["status"], "withdrawn");
    }
    let sg = a
        .get("/api/v1/labels?member_state=SG&limit=50")
        .await
        .json();
    assert!(!ids(&sg).is_empty());
    for item in sg["items"].as_array().unwrap() {
        assert_eq!(item["scheme"], "sg-cls", "{item}");
    }
    let eu_in_nl = a
        .get("/api/v1/labels?member_state=NL&scheme=eu-iot&limit=50")
        .await
        .json();
    assert!(!ids(&eu_in_nl).is_empty());
    let none = a
        .get("/api/v1/labels?member_state=SG&scheme=eu-iot")
        .await
        .json();
    assert!(ids(&none).is_empty());

    // Paging: one at a time, with next_offset while there are more.
    let p1 = a.get("/api/v1/labels?q=camera&limit=1").await.json();
    assert_eq!(ids(&p1).len(), 1);
    assert_eq!(p1["next_offset"], 1);
    let p2 = a
        .get("/api/v1/labels?q=camera&limit=1&offset=1")
        .await
        .json();
    assert_ne!(ids(&p1), ids(&p2));
}

#[tokio::test]
async fn refused_searches_say_why() {
    let a = app().await;
    let long = "a".repeat(201);
    for (uri, code, says) in [
        (format!("/api/v1/labels?q={long}"), 422, "too long"),
        (
            "/api/v1/labels?q=a+b+c+d+e+f+g+h+i".to_owned(),
            422,
            "too many words",
        ),
        ("/api/v1/labels?limit=51".to_owned(), 400, "limit"),
        ("/api/v1/labels?scheme=nope".to_owned(), 422, "no scheme"),
        (
            "/api/v1/labels?scheme=sg-cls&level=basic".to_owned(),
            422,
            "no level",
        ),
        ("/api/v1/labels?member_state=XX".to_owned(), 422, "XX"),
        ("/api/v1/labels?state=lost".to_owned(), 400, "lost"),
        ("/api/v1/labels?category=toaster".to_owned(), 400, "toaster"),
    ] {
        let r = a.get(&uri).await;
        assert_eq!(r.status.as_u16(), code, "{uri}: {}", r.text);
        assert!(r.text.contains(says), "{uri}: {}", r.text);
    }
}

#[tokio::test]
async fn the_home_page_lists_labels_with_status_scheme_and_a_label_link() {
    let a = app().await;
    let p = a.get("/?q=camera&lang=nl").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("data-status="), "{}", p.text);
    assert!(p.text.contains("/label.svg?lang=nl"));
    assert!(p.text.contains("camera"));
    // Browsing by a filter alone.
    let p = a.get("/?state=withdrawn&lang=de").await;
    assert!(p.text.contains("data-status=\"withdrawn\""), "{}", p.text);
    assert!(!p.text.contains("data-status=\"valid\""));
    // Too many words: nothing searched, and the page says why (not "try again later").
    let p = a.get("/?q=a+b+c+d+e+f+g+h+i&lang=en").await;
    assert!(p.text.contains("too many words"), "{}", p.text);
    assert!(!p.text.contains("could not be done"));
    // A filter the page cannot read is left out and said so.
    let p = a.get("/?state=lost&q=camera&lang=en").await;
    assert!(p.text.contains("could not be read"));
    assert!(p.text.contains("data-status="));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

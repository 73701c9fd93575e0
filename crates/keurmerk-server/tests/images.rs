//! Product images over HTTP (issue 13 item 5), on every backend (SQLite always, PostgreSQL when
//! `KEURMERK_TEST_POSTGRES` is set): only the product's maker uploads one (anonymous 401; another
//! maker, a lab, an authority 403), bad files are 422 naming what is wrong, the image is served
//! from this registry with its checked type, `nosniff` and immutable caching, and search results
//! (API and home page) carry a fixed-size slot for it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use keurmerk_store::ProductFilter;
use tower::ServiceExt;

const ROUTER_PNG: &[u8] = include_bytes!("../../keurmerk-service/demo-assets/router.png");

mod support;
use support::{demo_env as env, DemoEnv as Env};

async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

async fn put(
    app: &axum::Router,
    product: &str,
    token: Option<&str>,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let mut r =
        Request::put(format!("/api/v1/products/{product}/image")).header("content-type", ctype);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let (status, _, bytes) = send(app, r.body(Body::from(body)).unwrap()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

async fn images_over_http(e: Env) {
    let app = e.app();
    // The demo's HH Router N600 (Holland Home) has no image yet.
    let product = e
        .reg
        .search_products(&ProductFilter {
            text: Some("HHR-N600".into()),
            limit: 5,
            ..ProductFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    let pid = product.id.to_string();

    // Who may: anonymous 401; another maker, a lab, an authority 403. Nothing is stored.
    let (status, _) = put(&app, &pid, None, "image/png", ROUTER_PNG.to_vec()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for org in ["brightcam", "delta-testlab", "nl-rdi", "enisa"] {
        let t = e.token(org).await;
        let (status, json) = put(&app, &pid, Some(&t), "image/png", ROUTER_PNG.to_vec()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{org}: {json}");
        let t2 = e.token(org).await;
        let (status, _, _) = send(
            &app,
            Request::delete(format!("/api/v1/products/{pid}/image"))
                .header("authorization", format!("Bearer {t2}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{org} removing");
    }
    let maker = e.token("holland-home").await;

    // What is refused, with 422 naming it.
    let mut bomb = ROUTER_PNG.to_vec();
    bomb[16..20].copy_from_slice(&70_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&70_000u32.to_be_bytes());
    let mut oversize = ROUTER_PNG.to_vec();
    oversize.resize(keurmerk_label::product_image::MAX_IMAGE_BYTES + 10, 0);
    for (what, body, says) in [
        ("oversize", oversize, "at most 524288 bytes"),
        (
            "truncated",
            ROUTER_PNG[..ROUTER_PNG.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "wrong magic",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec(),
            "not a PNG or a JPEG",
        ),
        ("bomb", bomb, "70000×70000"),
        ("empty", Vec::new(), "empty"),
    ] {
        let (status, json) = put(&app, &pid, Some(&maker), "image/png", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {json}");
        assert!(json.to_string().contains(says), "{what}: {json}");
    }
    // A body beyond the transport limit is refused before it is read.
    let (status, _) = put(
        &app,
        &pid,
        Some(&maker),
        "image/png",
        vec![0; keurmerk_server::api::images::MAX_IMAGE_BODY + 1],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A type that is not an image upload.
    let (status, _) = put(&app, &pid, Some(&maker), "text/html", ROUTER_PNG.to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // The maker's upload; the type comes from the bytes, not the header.
    let (status, json) = put(
        &app,
        &pid,
        Some(&maker),
        "application/octet-stream",
        ROUTER_PNG.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["media_type"], "image/png");
    assert_eq!(json["width"], 96);
    let url = json["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/images/"));

    // Served by the registry with its type, nosniff and a year of immutable caching.
    let (status, headers, bytes) =
        send(&app, Request::get(&url).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, ROUTER_PNG);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    for bad in [
        "/images/nope",
        "/images/../c",
        &format!("/images/{}", "0".repeat(64)),
    ] {
        let (status, _, _) = send(&app, Request::get(bad).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }

    // The search API and the home page carry it; other results a placeholder of the same size.
    let (status, _, bytes) = send(
        &app,
        Request::get("/api/v1/labels?q=HHR-N600")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["items"][0]["image"]["url"], url.as_str());
    let (_, _, bytes) = send(
        &app,
        Request::get("/?q=router&lang=nl")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let page = String::from_utf8(bytes).unwrap();
    assert!(page.contains(&format!(r#"src="{url}""#)), "{page}");
    assert!(page.contains(r#"alt="HH Router N600""#), "{page}");
    assert!(page.contains(r#"loading="lazy""#));
    assert!(
        page.contains(r#"class="thumb thumb-none" aria-hidden="true""#),
        "a router without an image gets the placeholder"
    );

    // Removed: the search shows the placeholder; the address keeps serving its bytes.
    let (status, _, _) = send(
        &app,
        Request::delete(format!("/api/v1/products/{pid}/image"))
            .header("authorization", format!("Bearer {maker}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, bytes) = send(
        &app,
        Request::get("/api/v1/labels?q=HHR-N600")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(json["items"][0]["image"].is_null());
    let (status, _, _) = send(&app, Request::get(&url).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    e.done().await;
}

#[tokio::test]
async fn images_over_http_on_sqlite() {
    images_over_http(env(false).await.unwrap()).await;
}

#[tokio::test]
async fn images_over_http_on_postgres() {
    let Some(e) = env(true).await else { return };
    images_over_http(e).await;
}

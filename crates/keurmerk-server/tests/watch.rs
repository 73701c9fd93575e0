//! Watch-lists over the API and webhook delivery to a real local receiver: HMAC signatures,
//! retries with backoff, the delivery log, the public-address rule, and every denied path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::Certificate;
use keurmerk_domain::watch::{verify, RetryPolicy};
use keurmerk_server::webhooks::{deliver_due, WebhookConfig};
use keurmerk_server::AppState;
use keurmerk_store::CertificateFilter;
use serde_json::{json, Value};
use support::{app, App};

/// What the receiver saw: headers and body of each request.
type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on a free local port that answers the given statuses in turn (then 200).
async fn receiver(answers: Vec<u16>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (s, answers) = (s.clone(), answers.clone());
            async move {
                s.lock().unwrap().push((headers, body));
                let code = answers.lock().unwrap().next().unwrap_or(200);
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

fn fast(allow_private: bool, max_attempts: u32) -> WebhookConfig {
    WebhookConfig {
        retry: RetryPolicy {
            max_attempts,
            base: Duration::ZERO,
            max: Duration::ZERO,
        },
        timeout: Duration::from_secs(5),
        allow_private_targets: allow_private,
        ..WebhookConfig::default()
    }
}

fn state(a: &App) -> AppState {
    AppState {
        registry: Arc::new(a.reg.clone()),
    }
}

async fn active_certificate(a: &App) -> Certificate {
    a.reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == State::Active && c.authority.is_some())
        .unwrap()
}

async fn create(a: &App, body: Value) -> Value {
    let r = a.call("POST", "/api/v1/watchlists", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

async fn suspend(a: &App, c: &Certificate) {
    let authority = c.authority.as_ref().unwrap().as_str().to_owned();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/certificates/{}/suspend", c.id),
            Some(&a.token(&authority).await),
            Some(json!({"reason": "A critical vulnerability is not fixed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_status_change_is_delivered_signed_and_retried_until_accepted() {
    let a = app().await;
    let cert = active_certificate(&a).await;
    let (url, seen) = receiver(vec![500, 503]).await;
    let wl = create(
        &a,
        json!({"name": "Plant 3 suppliers", "webhook_url": url,
               "items": [{"kind": "certificate", "target": cert.id}]}),
    )
    .await;
    let (id, key) = (wl["id"].as_str().unwrap(), wl["key"].as_str().unwrap());
    let secret = wl["webhook_secret"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("kmw_{id}_")));
    assert!(secret.starts_with("whsec_"));
    assert_eq!(wl["items"][0]["target"], cert.id.as_str());
    assert!(wl.get("key_sha256").is_none() && wl["watchlist"].is_null());
    // Shown once: reading the list never shows the key or the secret again.
    let read = a
        .get_as(&format!("/api/v1/watchlists/{id}"), Some(key))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert!(!read.text.contains(&secret) && !read.text.contains("kmw_"));

    suspend(&a, &cert).await;
    let st = state(&a);
    let cfg = fast(true, 5);
    // Attempt 1: 500, attempt 2: 503, attempt 3: 200.
    for _ in 0..3 {
        assert_eq!(deliver_due(&st, &cfg, 10).await, 1);
    }
    assert_eq!(deliver_due(&st, &cfg, 10).await, 0, "nothing left to send");
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let now = chrono::Utc::now().timestamp();
    for (headers, body) in &got {
        let sig = headers["keurmerk-signature"].to_str().unwrap();
        verify(&secret, sig, body.as_bytes(), now, 300).unwrap();
        assert!(verify("whsec_wrong", sig, body.as_bytes(), now, 300).is_err());
        assert_eq!(headers["keurmerk-event"], "suspended");
        assert_eq!(headers["keurmerk-watchlist"], id);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body, &got[0].1, "every retry sends the same bytes");
        assert_eq!(headers["keurmerk-delivery"], got[0].0["keurmerk-delivery"]);
    }
    let payload: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(payload["event"]["kind"], "suspended");
    assert_eq!(payload["certificate"]["id"], cert.id.as_str());
    assert_eq!(payload["certificate"]["status"], "suspended");
    assert_eq!(payload["watchlist"], id);

    // The delivery log.
    let log = a
        .get_as(&format!("/api/v1/watchlists/{id}/deliveries"), Some(key))
        .await
        .json();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["state"], "delivered");
    assert_eq!(items[0]["attempts"], 3);
    let n = items[0]["id"].as_i64().unwrap();
    let one = a
        .get_as(
            &format!("/api/v1/watchlists/{id}/deliveries/{n}"),
            Some(key),
        )
        .await
        .json();
    let statuses: Vec<i64> = one["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert!(one["attempt_log"][0]["error"]
        .as_str()
        .unwrap()
        .contains("HTTP 500"));

    // Redelivery sends the same bytes again, once.
    let again = a
        .call(
            "POST",
            &format!("/api/v1/watchlists/{id}/deliveries/{n}/redeliver"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.json()["state"], "pending");
    assert_eq!(deliver_due(&st, &cfg, 10).await, 1);
    assert_eq!(seen.lock().unwrap().len(), 4);
    assert_eq!(seen.lock().unwrap()[3].1, got[0].1);

    // The attempts are counted for Prometheus.
    let metrics = a.get("/metrics").await.text;
    let count = |outcome: &str| -> u64 {
        let prefix = format!("keurmerk_webhook_attempts_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(count("delivered") >= 2 && count("retry") >= 2, "{metrics}");

    // The watch-list's own Atom feed has the suspension.
    let feed = a
        .get_as(&format!("/api/v1/watchlists/{id}/feed.atom"), Some(key))
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.text.contains(&format!("{}: suspended", cert.id)));
}

#[tokio::test]
async fn failures_back_off_then_give_up_and_private_targets_are_refused_by_default() {
    let a = app().await;
    let cert = active_certificate(&a).await;
    let (url, seen) = receiver(vec![]).await;
    let wl = create(
        &a,
        json!({"name": "Ops", "webhook_url": url,
               "items": [{"kind": "product", "target": cert.product}]}),
    )
    .await;
    let (id, key) = (wl["id"].as_str().unwrap(), wl["key"].as_str().unwrap());
    suspend(&a, &cert).await;
    let st = state(&a);
    // Production defaults: 127.0.0.1 is not a public address, so nothing is sent.
    let strict = WebhookConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            base: Duration::from_secs(3600),
            max: Duration::from_secs(3600),
        },
        ..WebhookConfig::default()
    };
    assert_eq!(deliver_due(&st, &strict, 10).await, 1);
    assert!(seen.lock().unwrap().is_empty());
    let d = &a
        .get_as(&format!("/api/v1/watchlists/{id}/deliveries"), Some(key))
        .await
        .json()["items"][0];
    assert_eq!(d["state"], "pending");
    let n = d["id"].as_i64().unwrap();
    let next: chrono::DateTime<chrono::Utc> =
        d["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::Duration::minutes(40),
        "backs off: {next}"
    );
    let one = a
        .get_as(
            &format!("/api/v1/watchlists/{id}/deliveries/{n}"),
            Some(key),
        )
        .await
        .json();
    assert!(one["attempt_log"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not a public address"));
    // Not due yet: the backoff holds.
    assert_eq!(deliver_due(&st, &strict, 10).await, 0);
    // A redelivery of a pending delivery is refused.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/watchlists/{id}/deliveries/{n}/redeliver"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // With one attempt per round, a failure is final.
    let (dead, _) = receiver(vec![500]).await;
    let wl2 = create(
        &a,
        json!({"name": "Once", "webhook_url": dead,
               "items": [{"kind": "organisation", "target": cert.holder}]}),
    )
    .await;
    // Reinstating the suspended certificate is an event of the holder's: wl2 follows the holder.
    let authority = cert.authority.clone().unwrap();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/certificates/{}/reinstate", cert.id),
            Some(&a.token(authority.as_str()).await),
            Some(json!({"reason": "Fixed in 1.2.1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(deliver_due(&st, &fast(true, 1), 10).await >= 1);
    let d2 = &a
        .get_as(
            &format!(
                "/api/v1/watchlists/{}/deliveries",
                wl2["id"].as_str().unwrap()
            ),
            Some(wl2["key"].as_str().unwrap()),
        )
        .await
        .json()["items"][0];
    assert_eq!(d2["state"], "failed", "{d2}");
    assert_eq!(d2["next_attempt_at"], Value::Null);
}

#[tokio::test]
async fn every_denied_path_is_answered() {
    let mut a = app().await;
    // Room for the many creations below (the default allows 5 at once per address).
    a.router = keurmerk_server::router_with(
        state(&a),
        keurmerk_server::Limits {
            complaints_per_hour: 6000,
            ..Default::default()
        },
    );
    let cert = active_certificate(&a).await;
    let one = create(
        &a,
        json!({"name": "One", "items": [{"kind": "certificate", "target": cert.id}]}),
    )
    .await;
    let two = create(&a, json!({"name": "Two"})).await;
    let (id1, key1) = (one["id"].as_str().unwrap(), one["key"].as_str().unwrap());
    let key2 = two["key"].as_str().unwrap();
    assert_eq!(one["webhook_secret"], Value::Null, "no webhook, no secret");
    let wrong_secret = format!("kmw_{id1}_{}", "0".repeat(64));
    let api_token = a.token("enisa").await;
    let paths = [
        ("GET", format!("/api/v1/watchlists/{id1}"), None),
        ("DELETE", format!("/api/v1/watchlists/{id1}"), None),
        (
            "POST",
            format!("/api/v1/watchlists/{id1}/items"),
            Some(json!({"kind": "organisation", "target": "enisa"})),
        ),
        (
            "DELETE",
            format!("/api/v1/watchlists/{id1}/items/certificate/{}", cert.id),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/watchlists/{id1}/webhook"),
            Some(json!({"url": "https://hooks.example.com/x"})),
        ),
        ("GET", format!("/api/v1/watchlists/{id1}/deliveries"), None),
        (
            "GET",
            format!("/api/v1/watchlists/{id1}/deliveries/1"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/watchlists/{id1}/deliveries/1/redeliver"),
            None,
        ),
        ("GET", format!("/api/v1/watchlists/{id1}/feed.atom"), None),
    ];
    for (method, uri, body) in &paths {
        for (who, token, want) in [
            ("no key", None, StatusCode::UNAUTHORIZED),
            (
                "wrong secret",
                Some(wrong_secret.as_str()),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "an API token",
                Some(api_token.as_str()),
                StatusCode::UNAUTHORIZED,
            ),
            ("garbage", Some("kmw_nonsense"), StatusCode::UNAUTHORIZED),
            ("another list's key", Some(key2), StatusCode::FORBIDDEN),
        ] {
            let r = a.call(method, uri, token, body.clone()).await;
            assert_eq!(r.status, want, "{method} {uri} with {who}: {}", r.text);
            let code = if want == StatusCode::FORBIDDEN {
                "forbidden"
            } else {
                "unauthorized"
            };
            assert_eq!(r.json()["error"]["code"], code, "{method} {uri} with {who}");
        }
    }
    // Nothing was changed by the denied calls.
    let still = a
        .get_as(&format!("/api/v1/watchlists/{id1}"), Some(key1))
        .await
        .json();
    assert_eq!(still["items"].as_array().unwrap().len(), 1);
    assert_eq!(still["webhook_url"], Value::Null);
    // Another list's delivery is not found through one's own list.
    let r = a
        .get_as(
            &format!("/api/v1/watchlists/{id1}/deliveries/999"),
            Some(key1),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Bad input is named.
    for (body, field) in [
        (
            json!({"name": "x", "webhook_url": "ftp://example.com/"}),
            "webhook_url",
        ),
        (
            json!({"name": "x", "webhook_url": "https://u:p@example.com/"}),
            "webhook_url",
        ),
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "items": [{"kind": "certificate", "target": "KM-2026-999999"}]}),
            "not found",
        ),
        (
            json!({"name": "x", "items": [{"kind": "planet", "target": "earth"}]}),
            "planet",
        ),
        (json!({"name": "x", "colour": "red"}), "colour"),
    ] {
        let r = a
            .call("POST", "/api/v1/watchlists", None, Some(body.clone()))
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
        assert!(r.text.contains(field), "{body}: {}", r.text);
    }
    let r = a
        .call(
            "POST",
            &format!("/api/v1/watchlists/{id1}/items"),
            Some(key1),
            Some(json!({"kind": "product", "target": "PRD-999999"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // Following twice is fine (200, not 201), unfollowing something not followed is 404.
    let r = a
        .call(
            "POST",
            &format!("/api/v1/watchlists/{id1}/items"),
            Some(key1),
            Some(json!({"kind": "certificate", "target": cert.id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = a
        .call(
            "DELETE",
            &format!("/api/v1/watchlists/{id1}/items/organisation/enisa"),
            Some(key1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // Setting a webhook returns a new secret once; removing it clears both.
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/watchlists/{id1}/webhook"),
            Some(key1),
            Some(json!({"url": "https://hooks.example.com/k"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["webhook_secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/watchlists/{id1}/webhook"),
            Some(key1),
            Some(json!({"url": null})),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"webhook_url": null, "webhook_secret": null})
    );

    // Deleting with the key works once; the key then stops working.
    let r = a
        .call(
            "DELETE",
            &format!("/api/v1/watchlists/{id1}"),
            Some(key1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = a
        .get_as(&format!("/api/v1/watchlists/{id1}"), Some(key1))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn creating_watch_lists_is_rate_limited_per_address() {
    let a = app().await;
    let mut limited = false;
    for i in 0..20 {
        let r = a
            .call(
                "POST",
                "/api/v1/watchlists",
                None,
                Some(json!({"name": format!("l{i}")})),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.json()["error"]["code"], "rate_limited");
            limited = true;
            break;
        }
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert!(
        limited,
        "20 new watch-lists from one address in a row are not all accepted"
    );
}

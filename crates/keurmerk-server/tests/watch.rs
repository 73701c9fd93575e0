//! Watch-lists over the API and webhook delivery to a real local receiver: HMAC signatures,
//! retries with backoff, the delivery log, the public-address rule (at registration and at
//! delivery), the confirmation handshake, and every denied path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use keurmerk_domain::watch::{verify, RetryPolicy};
use keurmerk_server::webhooks::{deliver_due, verify_due, WebhookConfig};
use keurmerk_server::AppState;
use keurmerk_service::WebhookTargets;
use serde_json::{json, Value};
use support::{active_certificate, app, suspend, App};

/// What the receiver saw: headers and body of each request.
type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on a local port: `seen` has the event deliveries, `challenges` the
/// handshake requests; `echo` says whether it answers the handshake by echoing the challenge.
struct Receiver {
    url: String,
    seen: Seen,
    challenges: Seen,
    echo: Arc<Mutex<bool>>,
}

/// A webhook receiver on a free local port that echoes handshake challenges (when `echo`) and
/// answers deliveries with the given statuses in turn (then 200).
async fn receiver_with(answers: Vec<u16>, echo: bool) -> Receiver {
    let seen: Seen = Arc::default();
    let challenges: Seen = Arc::default();
    let echo = Arc::new(Mutex::new(echo));
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let (s, c, e) = (seen.clone(), challenges.clone(), echo.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (s, c, e, answers) = (s.clone(), c.clone(), e.clone(), answers.clone());
            async move {
                if headers["keurmerk-event"] == "webhook.verify" {
                    c.lock().unwrap().push((headers, body.clone()));
                    let answer = if *e.lock().unwrap() {
                        let v: Value = serde_json::from_str(&body).unwrap();
                        json!({"challenge": v["challenge"]}).to_string()
                    } else {
                        "thanks".to_owned()
                    };
                    return (StatusCode::OK, answer);
                }
                s.lock().unwrap().push((headers, body));
                let code = answers.lock().unwrap().next().unwrap_or(200);
                (StatusCode::from_u16(code).unwrap(), String::new())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hook"),
        seen,
        challenges,
        echo,
    }
}

/// An echoing receiver: its URL and the deliveries it saw.
async fn receiver(answers: Vec<u16>) -> (String, Seen) {
    let r = receiver_with(answers, true).await;
    (r.url, r.seen)
}

/// The app with a registry that accepts local receivers at registration, as
/// `webhooks.allow_private_targets = true` makes `keurmerk serve` do.
async fn app_private_ok() -> App {
    let mut a = app().await;
    a.reg = a.reg.clone().with_webhook_targets(WebhookTargets {
        allow_private: true,
        ..WebhookTargets::default()
    });
    a.router = keurmerk_server::router(state(&a));
    a
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

async fn create(a: &App, body: Value) -> Value {
    let r = a.call("POST", "/api/v1/watchlists", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn a_status_change_is_delivered_signed_and_retried_until_accepted() {
    let a = app_private_ok().await;
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
    assert_eq!(read.json()["webhook_verification"]["state"], "pending");

    let st = state(&a);
    let cfg = fast(true, 5);
    // The handshake confirms the echoing receiver first.
    assert_eq!(verify_due(&st, &cfg, 10).await, 1);
    let read = a
        .get_as(&format!("/api/v1/watchlists/{id}"), Some(key))
        .await
        .json();
    assert_eq!(read["webhook_verification"]["state"], "confirmed", "{read}");
    suspend(&a, &cert).await;
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
    // Titled "<product>: <what happened>" in words, the certificate named in the sentence.
    assert!(
        feed.text.contains(": label suspended</title>"),
        "{}",
        feed.text
    );
    assert!(
        feed.text.contains(&format!("Label {}.", cert.id)),
        "{}",
        feed.text
    );
}

#[tokio::test]
async fn failures_back_off_then_give_up_and_private_targets_are_refused_at_delivery() {
    let a = app_private_ok().await;
    let cert = active_certificate(&a).await;
    let (url, seen) = receiver(vec![]).await;
    let wl = create(
        &a,
        json!({"name": "Ops", "webhook_url": url,
               "items": [{"kind": "product", "target": cert.product}]}),
    )
    .await;
    let (id, key) = (wl["id"].as_str().unwrap(), wl["key"].as_str().unwrap());
    let st = state(&a);
    // Registered and confirmed while private targets were allowed…
    assert_eq!(verify_due(&st, &fast(true, 1), 10).await, 1);
    suspend(&a, &cert).await;
    // …then delivered under production defaults: DNS (or the setting) may have changed since, so
    // the rule is applied again and 127.0.0.1 is not a public address: nothing is sent.
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
        .contains("`127.0.0.1` is a loopback address, not a public one"));
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
    assert_eq!(verify_due(&st, &fast(true, 1), 10).await, 1);
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
        (
            "POST",
            format!("/api/v1/watchlists/{id1}/webhook/verify"),
            None,
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
            Some(json!({"url": "https://93.184.216.34/k"})),
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

/// Registration applies the delivery's address rule: loopback, private, link-local, unique
/// local and multicast targets (and names resolving to them) are refused with 422 naming the
/// address and why, through the API and the service alike; nothing is stored.
#[tokio::test]
async fn targets_that_are_not_public_are_refused_at_registration() {
    let mut a = app().await;
    a.router = keurmerk_server::router_with(
        state(&a),
        keurmerk_server::Limits {
            complaints_per_hour: 6000,
            ..Default::default()
        },
    );
    let refused = [
        (
            "http://127.0.0.1:9/hook",
            "`127.0.0.1` is a loopback address",
        ),
        ("http://[::1]:9/hook", "`::1` is a loopback address"),
        ("https://10.0.0.1/hook", "`10.0.0.1` is a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "`169.254.169.254` is a link-local address",
        ),
        ("https://[fc00::1]/hook", "`fc00::1` is a private address"),
        (
            "http://224.0.0.1/hook",
            "`224.0.0.1` is a multicast address",
        ),
        ("http://localhost:9/hook", "`localhost` resolves to "),
    ];
    let plain = create(&a, json!({"name": "Plain"})).await;
    let (pid, pkey) = (
        plain["id"].as_str().unwrap(),
        plain["key"].as_str().unwrap(),
    );
    for (url, want) in refused {
        let r = a
            .call(
                "POST",
                "/api/v1/watchlists",
                None,
                Some(json!({"name": "SSRF", "webhook_url": url})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            r.text
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with("invalid webhook_url: "),
            "{url}: {message}"
        );
        assert!(message.contains(want), "{url}: {message}");
        assert!(message.contains("not a public one"), "{url}: {message}");
        // Setting it on an existing watch-list is refused the same way and changes nothing.
        let r = a
            .call(
                "PUT",
                &format!("/api/v1/watchlists/{pid}/webhook"),
                Some(pkey),
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            r.text
        );
        assert!(r.text.contains(want), "{url}: {}", r.text);
        // The service refuses it too, whoever calls it.
        let e = a
            .reg
            .create_watchlist("SSRF", Some(url), "ab".repeat(32), Some("s".repeat(40)))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, keurmerk_service::ServiceError::Invalid { field, problem }
                if field == "webhook_url" && problem.contains(want)),
            "{url}: {e}"
        );
    }
    let still = a
        .get_as(&format!("/api/v1/watchlists/{pid}"), Some(pkey))
        .await
        .json();
    assert_eq!(still["webhook_url"], Value::Null);
    assert_eq!(still["webhook_verification"], Value::Null);
    // Exactly one watch-list exists: none of the refused ones was stored.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM watchlists")
        .fetch_one(a.reg.store().pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    // A name that does not resolve is refused (fail closed), naming it.
    let r = a
        .call(
            "POST",
            "/api/v1/watchlists",
            None,
            Some(json!({"name": "x", "webhook_url": "https://no-such-host.invalid/h"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("cannot resolve `no-such-host.invalid`"),
        "{}",
        r.text
    );
    // A public address is accepted by the rule (and then waits for its handshake).
    let ok = create(
        &a,
        json!({"name": "Public", "webhook_url": "https://93.184.216.34/keurmerk"}),
    )
    .await;
    assert_eq!(ok["webhook_url"], "https://93.184.216.34/keurmerk");
    assert_eq!(ok["webhook_verification"]["state"], "pending");
    assert_eq!(ok["webhook_verification"]["attempts"], 0);
    // With the operator's setting, local receivers are accepted.
    let lenient = a.reg.clone().with_webhook_targets(WebhookTargets {
        allow_private: true,
        ..WebhookTargets::default()
    });
    lenient
        .create_watchlist(
            "Local",
            Some("http://127.0.0.1:9/hook"),
            "cd".repeat(32),
            Some("s".repeat(40)),
        )
        .await
        .unwrap();
}

/// The handshake: a target gets events only after echoing a signed challenge. One that does not
/// echo never gets an event; its deliveries are held (kept, not sent), it ends `failed`, and
/// once it echoes after a re-verification it gets them.
#[tokio::test]
async fn only_a_target_that_echoes_the_challenge_gets_events() {
    let a = app_private_ok().await;
    let cert = active_certificate(&a).await;
    let good = receiver_with(vec![], true).await;
    let mute = receiver_with(vec![], false).await;
    let item = json!([{"kind": "certificate", "target": cert.id}]);
    let g = create(
        &a,
        json!({"name": "Echoes", "webhook_url": good.url, "items": item}),
    )
    .await;
    let m = create(
        &a,
        json!({"name": "Mute", "webhook_url": mute.url, "items": item}),
    )
    .await;
    let (mid, mkey) = (m["id"].as_str().unwrap(), m["key"].as_str().unwrap());
    let st = state(&a);
    let cfg = fast(true, 2);

    // An event before any handshake: queued for both, sent to neither.
    suspend(&a, &cert).await;
    assert_eq!(deliver_due(&st, &cfg, 10).await, 0, "held until confirmed");

    // The handshake: signed like a delivery, with a challenge to echo.
    assert_eq!(verify_due(&st, &cfg, 10).await, 2);
    let (headers, body) = good.challenges.lock().unwrap()[0].clone();
    let now = chrono::Utc::now().timestamp();
    verify(
        g["webhook_secret"].as_str().unwrap(),
        headers["keurmerk-signature"].to_str().unwrap(),
        body.as_bytes(),
        now,
        300,
    )
    .unwrap();
    assert_eq!(headers["keurmerk-watchlist"], g["id"].as_str().unwrap());
    let challenge: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(challenge["type"], "webhook.verify");
    assert_eq!(challenge["challenge"].as_str().unwrap().len(), 64);
    let state_of = |id: String, key: String| {
        let a = &a;
        async move {
            a.get_as(&format!("/api/v1/watchlists/{id}"), Some(&key))
                .await
                .json()["webhook_verification"]
                .clone()
        }
    };
    let gv = state_of(
        g["id"].as_str().unwrap().into(),
        g["key"].as_str().unwrap().into(),
    )
    .await;
    assert_eq!(gv["state"], "confirmed", "{gv}");
    assert!(gv["confirmed_at"].is_string());
    let mv = state_of(mid.into(), mkey.into()).await;
    assert_eq!(mv["state"], "pending", "{mv}");
    assert!(
        mv["last_error"].as_str().unwrap().contains("not JSON"),
        "{mv}"
    );

    // The confirmed receiver gets the held event; the mute one gets nothing.
    assert_eq!(deliver_due(&st, &cfg, 10).await, 1);
    assert_eq!(good.seen.lock().unwrap().len(), 1);
    assert_eq!(
        good.seen.lock().unwrap()[0].0["keurmerk-event"],
        "suspended"
    );
    // The second (last) handshake attempt fails too: the webhook is reported `failed`.
    assert_eq!(verify_due(&st, &cfg, 10).await, 1);
    let mv = state_of(mid.into(), mkey.into()).await;
    assert_eq!(
        (mv["state"].as_str(), mv["attempts"].as_i64()),
        (Some("failed"), Some(2)),
        "{mv}"
    );
    assert_eq!(
        verify_due(&st, &cfg, 10).await,
        0,
        "a failed handshake is not retried"
    );
    // Another event: still nothing for the mute receiver, whose deliveries stay pending.
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
    assert_eq!(deliver_due(&st, &cfg, 10).await, 1);
    assert_eq!(good.seen.lock().unwrap().len(), 2);
    assert!(
        mute.seen.lock().unwrap().is_empty(),
        "never an event before the echo"
    );
    assert_eq!(mute.challenges.lock().unwrap().len(), 2);
    let held = a
        .get_as(&format!("/api/v1/watchlists/{mid}/deliveries"), Some(mkey))
        .await
        .json();
    let held = held["items"].as_array().unwrap();
    assert_eq!(held.len(), 2);
    assert!(held
        .iter()
        .all(|d| d["state"] == "pending" && d["attempts"] == 0));

    // The owner fixes the receiver and asks for a re-verification: it confirms, and the held
    // deliveries go out.
    *mute.echo.lock().unwrap() = true;
    let r = a
        .call(
            "POST",
            &format!("/api/v1/watchlists/{mid}/webhook/verify"),
            Some(mkey),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["state"], "pending");
    assert_eq!(r.json()["attempts"], 0);
    assert_eq!(verify_due(&st, &cfg, 10).await, 1);
    assert_eq!(
        state_of(mid.into(), mkey.into()).await["state"],
        "confirmed"
    );
    assert_eq!(deliver_due(&st, &cfg, 10).await, 2);
    let kinds: Vec<String> = mute
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["keurmerk-event"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"suspended".to_owned()) && kinds.contains(&"reinstated".to_owned()));

    // A new webhook URL must be confirmed again before it gets anything.
    let other = receiver_with(vec![], false).await;
    let r = a
        .call(
            "PUT",
            &format!("/api/v1/watchlists/{mid}/webhook"),
            Some(mkey),
            Some(json!({"url": other.url})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(state_of(mid.into(), mkey.into()).await["state"], "pending");
    // A watch-list without a webhook has nothing to verify.
    let plain = create(&a, json!({"name": "Plain"})).await;
    let r = a
        .call(
            "POST",
            &format!(
                "/api/v1/watchlists/{}/webhook/verify",
                plain["id"].as_str().unwrap()
            ),
            Some(plain["key"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

/// The handshake request goes through the delivery's public-only resolution: with production
/// settings a loopback target is not even contacted.
#[tokio::test]
async fn the_handshake_follows_the_address_rule() {
    let a = app_private_ok().await;
    let r = receiver_with(vec![], true).await;
    let wl = create(&a, json!({"name": "Local", "webhook_url": r.url})).await;
    let st = state(&a);
    let strict = WebhookConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            base: Duration::ZERO,
            max: Duration::ZERO,
        },
        ..WebhookConfig::default()
    };
    assert_eq!(verify_due(&st, &strict, 10).await, 1);
    assert!(r.challenges.lock().unwrap().is_empty());
    let v = a
        .get_as(
            &format!("/api/v1/watchlists/{}", wl["id"].as_str().unwrap()),
            Some(wl["key"].as_str().unwrap()),
        )
        .await
        .json()["webhook_verification"]
        .clone();
    assert_eq!(v["state"], "pending");
    assert!(
        v["last_error"]
            .as_str()
            .unwrap()
            .contains("`127.0.0.1` is a loopback address"),
        "{v}"
    );
}

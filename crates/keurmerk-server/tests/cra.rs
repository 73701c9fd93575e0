//! CRA reports over HTTP (issue 12 item 4), on the demo's doorbell (version 1.0 carries an
//! actively exploited critical problem, 1.1 fixes it): the holder's and the authority's clocks,
//! every refusal (anonymous, another maker, the lab, another authority), a field error as 422,
//! submission, the export equal to the signed digest, and feeds that say a report was made but
//! never what it says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use keurmerk_store::CertificateFilter;
use sha2::Digest;
use support::app;

#[tokio::test]
async fn cra_reports_over_http() {
    let a = app().await;
    let products = a
        .reg
        .search_products(&keurmerk_store::ProductFilter {
            text: Some("BC-DB1".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let bell = products.iter().find(|p| p.model == "BC-DB1").unwrap();
    let cert = a
        .reg
        .certificates(&CertificateFilter {
            product: Some(bell.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    let holder = a.token(cert.holder.as_str()).await;
    let authority = a.token(cert.authority.as_ref().unwrap().as_str()).await;
    let operator = a.token("enisa").await;

    // Anonymous: 401; the holder sees its obligation with its clocks.
    assert_eq!(
        a.get("/api/v1/cra-reports").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = a
        .get_as(
            &format!("/api/v1/cra-reports?certificate={}", cert.id),
            Some(&holder),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.json();
    let ob = &list[0];
    let v = ob["vulnerability"].as_str().unwrap().to_owned();
    assert_eq!(ob["obligations"][0]["kind"], "early_warning", "{list}");
    assert!(ob["obligations"][0]["due_at"].is_string());
    assert_eq!(ob["fix"]["version"], "1.1", "{list}");
    for t in [&authority, &operator] {
        let r = a
            .get_as(
                &format!("/api/v1/cra-reports?certificate={}", cert.id),
                Some(t),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.json().as_array().unwrap().len(),
            list.as_array().unwrap().len()
        );
    }

    let base = format!(
        "/api/v1/certificates/{}/cra-reports/{v}/notification",
        cert.id
    );
    let other_authority = if cert.authority.as_ref().map(|o| o.as_str()) == Some("de-bsi") {
        "nl-rdi"
    } else {
        "de-bsi"
    };
    // Another maker, the lab that issued the certificate, another lab, another authority.
    let others = [
        a.token("holland-home").await,
        a.token(cert.issuer.as_str()).await,
        a.token("delta-testlab").await,
        a.token(other_authority).await,
    ];
    let anyone_else: Vec<Option<&str>> = std::iter::once(None)
        .chain(others.iter().map(|t| Some(t.as_str())))
        .collect();
    for who in &anyone_else {
        let want = if who.is_none() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(a.get_as(&base, *who).await.status, want);
        assert_eq!(a.get_as(&format!("{base}/export"), *who).await.status, want);
        let put = a
            .call("PUT", &base, *who, Some(serde_json::json!({"nature": "x"})))
            .await;
        assert_eq!(put.status, want, "{}", put.text);
        assert_eq!(
            a.call("POST", &format!("{base}/submit"), *who, None)
                .await
                .status,
            want
        );
    }
    // The authority reads but does not write.
    assert_eq!(
        a.get_as(&base, Some(&authority)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.call(
            "PUT",
            &base,
            Some(&authority),
            Some(serde_json::json!({"nature": "x"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Field errors are 422 and name the field; unknown fields are refused.
    let r = a
        .call(
            "PUT",
            &base,
            Some(&holder),
            Some(serde_json::json!({"member_states": ["US"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("member_states"), "{}", r.text);
    let r = a
        .call(
            "PUT",
            &base,
            Some(&holder),
            Some(serde_json::json!({"vulnerability": "CVE-1"})),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    let r = a
        .call("POST", &format!("{base}/submit"), Some(&holder), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let secret = "exploited through the doorbell's video stream by a named group";
    let r = a
        .call(
            "PUT",
            &base,
            Some(&holder),
            Some(serde_json::json!({
                "nature": secret,
                "measures_taken": "fixed in 1.1",
                "user_measures": "install 1.1",
                "sensitivity": "TLP:AMBER"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = a
        .call("POST", &format!("{base}/submit"), Some(&holder), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let sent = r.json();
    assert_eq!(sent["submitted"], true);
    let sha = sent["sha256"].as_str().unwrap().to_owned();
    let r = a.get_as(&format!("{base}/export"), Some(&authority)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(hex::encode(sha2::Sha256::digest(r.text.as_bytes())), sha);
    assert!(r.text.contains(secret));

    // The public record says a report was made, for which vulnerability, never its content.
    let history = a.get(&format!("/api/v1/certificates/{}", cert.id)).await;
    assert!(
        history.text.contains("cra_report_submitted"),
        "{}",
        history.text
    );
    assert!(!history.text.contains(secret));
    for feed in ["/feed", "/feed.atom"] {
        let r = a.get(feed).await;
        assert_eq!(r.status, StatusCode::OK, "{feed}");
        assert!(!r.text.contains(secret), "{feed}");
        assert!(!r.text.contains("TLP:AMBER"), "{feed}");
    }
    let page = a.get("/feed").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&v), "the feed names the vulnerability");
}

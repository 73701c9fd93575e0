//! `keurmerk update-record PRODUCT|ORG [--json]` on the demo (issue 12 item 5): the doorbell's
//! Log4Shell fixed by 1.1, BrightCam's late fix on the floodlight camera, and an edited event
//! row that makes the record incomplete (exit 1, the certificate named).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ok, run};

#[test]
fn the_update_record_of_a_product_and_a_maker() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo"]);
    let products: serde_json::Value =
        serde_json::from_str(&ok(d, &["product", "list", "--search", "BC-DB1", "--json"])).unwrap();
    let bell = products[0]["id"].as_str().unwrap().to_owned();
    let r: serde_json::Value =
        serde_json::from_str(&ok(d, &["update-record", &bell, "--json"])).unwrap();
    assert_eq!(r["by_severity"]["critical"]["fixed"], 1, "{r}");
    assert_eq!(r["unverified"], serde_json::json!([]));
    let text = ok(d, &["update-record", &bell]);
    assert!(text.contains("critical  1 counted: 1 fixed"), "{text}");

    let maker = ok(d, &["update-record", "brightcam"]);
    assert!(maker.contains("missed 1 (1 of the fixes late)"), "{maker}");
    assert!(maker.contains("ended as announced"), "{maker}");

    let out = run(d, &["update-record", "nobody-here"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a product"));

    // An edited event row: the record names the certificate and exits 1.
    let show: serde_json::Value =
        serde_json::from_str(&ok(d, &["product", "show", &bell, "--json"])).unwrap();
    let cert = show["certificates"][0]["id"].as_str().unwrap().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store =
            keurmerk_store::SqlStore::connect(&format!("sqlite:{}", d.join("k.db").display()))
                .await
                .unwrap();
        sqlx::query(
            "UPDATE events SET payload = REPLACE(payload, '\"critical\"', '\"low\"') \
             WHERE certificate_id = $1 AND kind = 'vulnerability_matched'",
        )
        .bind(&cert)
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
    });
    let out = run(d, &["update-record", &bell]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("COULD NOT BE VERIFIED: {cert}")),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"));
}

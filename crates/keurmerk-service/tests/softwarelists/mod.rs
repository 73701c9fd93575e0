//! A software list counts only with its maker's signed record (`docs/FORMATS.md` §14): a list
//! inserted, replaced or edited in the database by hand never turns "not monitored" into
//! "valid", and `verify_software_lists` names it.

use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::status::LabelStatus;
use keurmerk_service::*;
use keurmerk_store::SqlStore;
use keurmerk_transparency::EntryCheck;

use crate::support::*;

const BOM: &[u8] =
    br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
  {"type": "library", "name": "openssl", "version": "3.0.1", "purl": "pkg:generic/openssl@3.0.1"}
]}"#;

#[tokio::test]
async fn a_software_list_counts_only_with_its_makers_signed_record() {
    let e = env().await;
    check(&e.reg).await;
}

#[tokio::test]
async fn a_software_list_counts_only_with_its_makers_signed_record_on_postgres() {
    on_postgres(|s| s, async |reg| check(reg).await).await;
}

async fn codes(reg: &Registry<SqlStore>, cert: &CertificateId) -> (LabelStatus, Vec<String>) {
    let st = reg.status(cert).await.unwrap();
    (
        st.status,
        st.reasons.iter().map(|r| r.code().to_owned()).collect(),
    )
}

async fn exec(reg: &Registry<SqlStore>, sql: &str, binds: &[&[u8]]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.to_vec());
    }
    let done = q.execute(reg.store().pool()).await.unwrap();
    assert!(done.rows_affected() >= 1, "{sql}");
}

async fn record_of(reg: &Registry<SqlStore>, v: &RecordId) -> Vec<u8> {
    let row: Option<Vec<u8>> = sqlx::query_scalar("SELECT record FROM sboms WHERE version_id = $1")
        .bind(v.to_string())
        .fetch_one(reg.store().pool())
        .await
        .unwrap();
    row.expect("a record")
}

async fn unproven(reg: &Registry<SqlStore>) -> Vec<String> {
    reg.verify_software_lists()
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

async fn check(reg: &Registry<SqlStore>) {
    world(reg).await;
    let (p, v) = product(reg, "maker").await;
    supported(reg, "maker", &p, day(1000)).await;
    let cert = issued(reg, "maker", &p, &v, "eu-iot", "basic").await;
    let not_monitored = (LabelStatus::Attention, vec!["not_monitored".to_owned()]);
    assert_eq!(codes(reg, &cert).await, not_monitored);

    // 1. A list inserted by hand, with no record: still not monitored, and named.
    exec(
        reg,
        &format!(
            "INSERT INTO sboms (version_id, name, format, document, uploaded_at) \
             VALUES ('{v}', 'bom.json', 'CycloneDxJson', $1, '2026-06-01T10:00:00.000000Z')"
        ),
        &[BOM],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, not_monitored);
    let named = unproven(reg).await;
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(
        named[0].contains(&v.to_string()) && named[0].contains("no signed record"),
        "{named:?}"
    );
    exec(reg, "DELETE FROM sboms", &[]).await;

    // 2. Attached by its maker: signed, queued for the log, and counted.
    reg.attach_sbom(&a("maker"), &v, "bom.json", BOM)
        .await
        .unwrap();
    assert_eq!(codes(reg, &cert).await, (LabelStatus::Valid, vec![]));
    assert_eq!(unproven(reg).await, Vec::<String>::new());
    let record = record_of(reg, &v).await;
    let queued: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT q.entry FROM log_queue q JOIN software_list_records r ON r.queue_id = q.id \
         WHERE q.event_seq = 0",
    )
    .fetch_all(reg.store().pool())
    .await
    .unwrap();
    assert_eq!(queued, vec![record.clone()]);
    // A monitor of the log takes the record as the maker's; the integrity check, once it is
    // logged, does not take it for an event that went missing.
    let trust = reg.trust_list(0).await.unwrap();
    let monitor = keurmerk_transparency::statement_check(&trust, t0());
    assert_eq!(monitor.check(0, &record), Ok(()));
    log_everything(reg).await;
    assert_eq!(reg.verify_all_integrity().await.unwrap(), vec![]);

    // 3. The list's bytes replaced by hand, with their hash: its record's hash no longer
    //    matches. The bytes alone (the fold reads only the hash stored with them): the check
    //    names them.
    let other_bom = String::from_utf8(BOM.to_vec())
        .unwrap()
        .replace("3.0.1", "3.0.9");
    let sha = |b: &[u8]| keurmerk_trust::software_list_sha256(b);
    exec(
        reg,
        &format!(
            "UPDATE sboms SET document = $1, sha256 = '{}' WHERE version_id = '{v}'",
            sha(other_bom.as_bytes())
        ),
        &[other_bom.as_bytes()],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, not_monitored);
    let named = unproven(reg).await;
    assert!(named[0].contains("SHA-256"), "{named:?}");
    exec(
        reg,
        &format!(
            "UPDATE sboms SET sha256 = '{}' WHERE version_id = '{v}'",
            sha(BOM)
        ),
        &[],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, (LabelStatus::Valid, vec![]));
    let named = unproven(reg).await;
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(
        named[0].contains("stored bytes' SHA-256") && named[0].contains("no longer holds"),
        "{named:?}"
    );
    exec(
        reg,
        &format!("UPDATE sboms SET document = $1 WHERE version_id = '{v}'"),
        &[BOM],
    )
    .await;
    assert_eq!(unproven(reg).await, Vec::<String>::new());

    // 4. The record of another product's list, copied over this one's (with its bytes).
    let (q, w) = product(reg, "maker").await;
    reg.attach_sbom(&a("maker"), &w, "bom.json", BOM)
        .await
        .unwrap();
    let copied = record_of(reg, &w).await;
    exec(
        reg,
        &format!("UPDATE sboms SET record = $1 WHERE version_id = '{v}'"),
        &[&copied],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, not_monitored);
    let named = unproven(reg).await;
    assert!(
        named[0].contains(&format!("its record is of {q} version {w}")),
        "{named:?}"
    );

    // 5. A record changed after signing.
    let forged = String::from_utf8(record.clone())
        .unwrap()
        .replace("\"components\":1", "\"components\":0");
    assert_ne!(forged.as_bytes(), record.as_slice());
    exec(
        reg,
        &format!("UPDATE sboms SET record = $1 WHERE version_id = '{v}'"),
        &[forged.as_bytes()],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, not_monitored);
    assert!(unproven(reg).await[0].contains("does not verify"));
    exec(
        reg,
        &format!("UPDATE sboms SET record = $1 WHERE version_id = '{v}'"),
        &[&record],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, (LabelStatus::Valid, vec![]));

    // 6. A component deleted by hand: the list still counts (its record proves it), but the
    //    registry would match less than it names, so the check names it.
    exec(
        reg,
        &format!("DELETE FROM sbom_components WHERE version_id = '{v}'"),
        &[],
    )
    .await;
    let named = unproven(reg).await;
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains("components"), "{named:?}");

    // 7. An older list of the version put back by hand, with its own genuine record: it still
    //    proves itself, but it is not the newest the log holds for the version, queued or
    //    logged, and the check names it.
    reg.attach_sbom(&a("maker"), &v, "bom.json", other_bom.as_bytes())
        .await
        .unwrap();
    assert_eq!(unproven(reg).await, Vec::<String>::new());
    for logged in [false, true] {
        if logged {
            log_everything(reg).await;
        }
        exec(
            reg,
            &format!(
                "UPDATE sboms SET document = $1, record = $2, sha256 = '{}' \
                 WHERE version_id = '{v}'",
                sha(BOM)
            ),
            &[BOM, &record],
        )
        .await;
        assert_eq!(codes(reg, &cert).await, (LabelStatus::Valid, vec![]));
        let named = unproven(reg).await;
        assert_eq!(named.len(), 1, "{named:?}");
        let expected = if logged {
            "not the newest one logged for the version (log entry"
        } else {
            "not the newest one queued for the version's log"
        };
        assert!(named[0].contains(expected), "{named:?}");
        reg.attach_sbom(&a("maker"), &v, "bom.json", other_bom.as_bytes())
            .await
            .unwrap();
    }
    assert_eq!(unproven(reg).await, Vec::<String>::new());

    // 8. The product handed to another maker by hand: the record is not its maker's any more,
    //    and no stored status says otherwise (migration 0047's trigger on the product's maker).
    exec(
        reg,
        &format!("UPDATE products SET manufacturer_id = 'other-maker' WHERE id = '{p}'"),
        &[],
    )
    .await;
    let (_, reasons) = codes(reg, &cert).await;
    assert!(reasons.contains(&"not_monitored".to_owned()), "{reasons:?}");
    assert!(unproven(reg).await[0].contains("signed by maker, and the product is other-maker's"));
    exec(
        reg,
        &format!("UPDATE products SET manufacturer_id = 'maker' WHERE id = '{p}'"),
        &[],
    )
    .await;
    assert_eq!(codes(reg, &cert).await, (LabelStatus::Valid, vec![]));

    // 9. A maker without a key attaches nothing: no record, no write.
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sboms")
        .fetch_one(reg.store().pool())
        .await
        .unwrap();
    let key = reg
        .keys()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| k.organisation_id == "other-maker")
        .unwrap()
        .0;
    reg.revoke_key(&key.key_id.to_string(), t0()).await.unwrap();
    let (_, x) = product(reg, "other-maker").await;
    assert!(reg
        .attach_sbom(&a("other-maker"), &x, "bom.json", BOM)
        .await
        .is_err());
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sboms")
        .fetch_one(reg.store().pool())
        .await
        .unwrap();
    assert_eq!(before, after);
}

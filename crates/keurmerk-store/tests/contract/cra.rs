//! CRA reports (migration 0024): a draft is replaced by each edit with its audit row; a
//! submitted report is stored once under its digest and read only for its own certificate.

use keurmerk_domain::cra::CraKind;

use super::*;

pub(crate) async fn cra_drafts_and_reports_round_trip(s: &SqlStore) {
    let (_, cert, _, _) = issued_certificate(s).await;
    let key = CraReportKey {
        certificate: cert.id.clone(),
        vulnerability: "CVE-2026-0001".into(),
        kind: CraKind::Notification,
    };
    assert_eq!(s.cra_draft(&key).await.unwrap(), None);
    let before = s.audit(10_000, None).await.unwrap().len();
    for (body, day) in [("{\"a\":1}", 1), ("{\"a\":2}", 2)] {
        s.put_cra_draft(
            &CraDraft {
                key: key.clone(),
                body: body.into(),
                updated_at: at(day),
                updated_by: "maker".into(),
            },
            &audit("maker", "cra.report_edit"),
        )
        .await
        .unwrap();
    }
    let d = s.cra_draft(&key).await.unwrap().unwrap();
    assert_eq!((d.body.as_str(), d.updated_at), ("{\"a\":2}", at(2)));
    let other_kind = CraReportKey {
        kind: CraKind::FinalReport,
        ..key.clone()
    };
    assert_eq!(s.cra_draft(&other_kind).await.unwrap(), None);

    let report = StoredCraReport {
        key: key.clone(),
        sha256: "ab".repeat(32),
        body: "{\"a\":2}".into(),
        stored_at: at(3),
    };
    // Stored twice (a retried submission): one row, the first.
    s.put_cra_report(&report, &audit("maker", "cra.report_store"))
        .await
        .unwrap();
    s.put_cra_report(
        &StoredCraReport {
            stored_at: at(4),
            ..report.clone()
        },
        &audit("maker", "cra.report_store"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.cra_report(&cert.id, &report.sha256).await.unwrap(),
        Some(report.clone())
    );
    let elsewhere = CertificateId::new("KM-2026-999999").unwrap();
    assert_eq!(
        s.cra_report(&elsewhere, &report.sha256).await.unwrap(),
        None
    );
    assert_eq!(
        s.audit(10_000, None).await.unwrap().len(),
        before + 4,
        "every write has its audit row"
    );
}

//! Vulnerability identity in the store: aliases stored with their advisory find the vulnerability
//! by any id; exploited marks keep their first date; findings keep their aliases.

use super::*;

fn advisory(id: &str, modified: &str) -> StoredAdvisory {
    StoredAdvisory {
        id: id.into(),
        source_name: format!("{id}.json"),
        modified: modified.into(),
        document: b"{}".to_vec(),
    }
}

fn aliases(vulnerability: &str, ids: &[&str]) -> Vec<AdvisoryAlias> {
    std::iter::once(vulnerability)
        .chain(ids.iter().copied())
        .map(|a| AdvisoryAlias {
            vulnerability: vulnerability.into(),
            alias: a.into(),
        })
        .collect()
}

pub(super) async fn aliases_find_a_vulnerability_by_any_id(s: &SqlStore) {
    let go = aliases("GO-2022-1059", &["CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"]);
    let keys = vec!["golang:golang.org/x/text".to_owned()];
    let up = s
        .upsert_advisory(
            &advisory("GO-2022-1059", "2023-01-01T00:00:00Z"),
            &keys,
            &go,
            &audit("enisa", "advisory.import"),
        )
        .await
        .unwrap();
    assert!(up.stored);
    let all = vec![
        "CVE-2022-32149".to_owned(),
        "GHSA-69ch-w2m2-3vjp".to_owned(),
        "GO-2022-1059".to_owned(),
    ];
    for id in [
        "GO-2022-1059",
        "CVE-2022-32149",
        "cve-2022-32149 ",
        "GHSA-69CH-W2M2-3VJP",
    ] {
        assert_eq!(s.vulnerability_ids(id).await.unwrap(), all, "by {id}");
    }
    assert!(s
        .vulnerability_ids("CVE-0000-NOPE")
        .await
        .unwrap()
        .is_empty());

    // A CSAF document with two vulnerabilities: each keeps its own ids, they do not merge.
    let mut csaf = aliases("CVE-2021-1", &["EUVD-2021-1"]);
    csaf.extend(aliases("CVE-2021-2", &[]));
    s.upsert_advisory(
        &advisory("RHSA-1", "2023-01-01T00:00:00Z"),
        &[],
        &csaf,
        &audit("enisa", "advisory.import"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.vulnerability_ids("euvd-2021-1").await.unwrap(),
        vec!["CVE-2021-1".to_owned(), "EUVD-2021-1".to_owned()]
    );
    assert_eq!(
        s.vulnerability_ids("CVE-2021-2").await.unwrap(),
        vec!["CVE-2021-2".to_owned()]
    );

    // A modified advisory replaces its aliases.
    s.upsert_advisory(
        &advisory("GO-2022-1059", "2024-01-01T00:00:00Z"),
        &keys,
        &aliases("GO-2022-1059", &["CVE-2022-32149"]),
        &audit("enisa", "advisory.import"),
    )
    .await
    .unwrap();
    assert!(s
        .vulnerability_ids("GHSA-69ch-w2m2-3vjp")
        .await
        .unwrap()
        .is_empty());
    // An unchanged advisory without stored aliases (imported before they were indexed) gets
    // them; one that has them keeps them.
    sqlx::query("DELETE FROM vulnerability_aliases WHERE advisory_id = 'GO-2022-1059'")
        .execute(s.pool())
        .await
        .unwrap();
    let again = s
        .upsert_advisory(
            &advisory("GO-2022-1059", "2024-01-01T00:00:00Z"),
            &keys,
            &go,
            &audit("enisa", "advisory.import"),
        )
        .await
        .unwrap();
    assert!(!again.stored);
    assert_eq!(
        s.vulnerability_ids("GHSA-69ch-w2m2-3vjp").await.unwrap(),
        all
    );
}

pub(super) async fn exploited_marks_keep_their_first_date(s: &SqlStore) {
    let ids = |xs: &[&str]| xs.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        s.exploited_since(&ids(&["GO-2022-1059", "CVE-2022-32149"]))
            .await
            .unwrap(),
        None
    );
    let since = at(-30);
    assert!(s
        .mark_exploited(
            "CVE-2022-32149",
            Some(since),
            &audit("enisa", "vulnerability.mark_exploited")
        )
        .await
        .unwrap());
    // Marked again (a second KEV import): not new, the first date stays, no second audit row.
    assert!(!s
        .mark_exploited(
            "CVE-2022-32149",
            None,
            &audit("enisa", "vulnerability.mark_exploited")
        )
        .await
        .unwrap());
    assert_eq!(
        s.exploited_since(&ids(&["GO-2022-1059", "CVE-2022-32149"]))
            .await
            .unwrap(),
        Some(since)
    );
    assert!(s.is_exploited("CVE-2022-32149").await.unwrap());
    // Without a date the mark's own time stands for it.
    s.mark_exploited(
        "GO-2020-0001",
        None,
        &audit("enisa", "vulnerability.mark_exploited"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.exploited_since(&ids(&["GO-2020-0001"])).await.unwrap(),
        Some(at(0))
    );
    let marks = s
        .audit(100, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.audit.action == "vulnerability.mark_exploited")
        .count();
    assert_eq!(marks, 2);
}

pub(super) async fn severities_are_kept_per_source(s: &SqlStore) {
    let ids = vec!["GO-2022-1059".to_owned(), "CVE-2022-32149".to_owned()];
    assert!(s.severities(&ids).await.unwrap().is_empty());
    s.set_severity(
        "EUVD-1",
        "euvd",
        "high",
        None,
        &audit("enisa", "vulnerability.set_severity"),
    )
    .await
    .unwrap();
    s.set_severity(
        "CVE-2022-32149",
        "operator",
        "low",
        Some("first look"),
        &audit("enisa", "vulnerability.set_severity"),
    )
    .await
    .unwrap();
    // The same source again replaces its severity.
    s.set_severity(
        "CVE-2022-32149",
        "operator",
        "critical",
        Some("reachable"),
        &audit("nl-rdi", "vulnerability.set_severity"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.severities(&ids).await.unwrap(),
        vec![("operator".to_owned(), "critical".to_owned())]
    );
    assert_eq!(
        s.severities(&["EUVD-1".to_owned()]).await.unwrap(),
        vec![("euvd".to_owned(), "high".to_owned())]
    );
    let audited = s
        .audit(100, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.audit.action == "vulnerability.set_severity")
        .count();
    assert_eq!(audited, 3);
}

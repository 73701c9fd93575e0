//! Issue 15 item 4: search words match whole words when some label has them all as whole words,
//! else as prefixes; the choice depends on the text alone, so every page of a query agrees.

use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::Category;
use keurmerk_service::*;
use keurmerk_store::SqlStore;

use crate::support::*;

/// A certificate for a router of "maker" called `name`.
async fn labelled(reg: &Registry<SqlStore>, name: &str) -> CertificateId {
    let (p, v) = named_product(reg, "maker", name, "X-1", Category::Router).await;
    issued(reg, "nl-lab", &p, &v, "eu-iot", "substantial").await
}

async fn found(
    reg: &Registry<SqlStore>,
    text: &str,
    limit: i64,
    offset: i64,
) -> Vec<CertificateId> {
    reg.search_labels(&LabelQuery {
        text: Some(text.into()),
        limit,
        offset,
        ..LabelQuery::default()
    })
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|i| i.hit.certificate.id)
    .collect()
}

#[tokio::test]
async fn whole_words_first_then_prefixes_the_same_on_every_page() {
    let e = env().await;
    words_then_prefixes(&e.reg).await;
}

/// On PostgreSQL with a window of one document, so that every query takes both of migration
/// 0034's paths (the newest documents one by one, then the index) and the pages still agree.
#[tokio::test]
async fn whole_words_first_then_prefixes_the_same_on_every_page_on_postgres() {
    on_postgres(
        |s| s.with_search_window(1),
        async |reg| words_then_prefixes(reg).await,
    )
    .await;
}

async fn words_then_prefixes(reg: &Registry<SqlStore>) {
    world(reg).await;
    let hub = labelled(reg, "Nimbus Hub").await;
    let plus = labelled(reg, "Nimbusplus Mesh").await;
    let relay = labelled(reg, "Nimbus Relay").await;
    // "nimbus" is a whole word of two labels: the third, where it only starts a word, is not
    // found, on any page.
    assert_eq!(
        found(reg, "nimbus", 10, 0).await,
        vec![relay.clone(), hub.clone()]
    );
    assert_eq!(found(reg, "NIMBUS", 1, 0).await, vec![relay.clone()]);
    assert_eq!(found(reg, "nimbus", 1, 1).await, vec![hub.clone()]);
    assert!(found(reg, "nimbus", 1, 2).await.is_empty());
    // No label has "nimb" as a word: every word it starts matches, newest first, and the pages
    // agree.
    let all = vec![relay.clone(), plus.clone(), hub.clone()];
    assert_eq!(found(reg, "nimb", 10, 0).await, all);
    let mut paged = Vec::new();
    for offset in 0..3 {
        paged.extend(found(reg, "nimb", 1, offset).await);
    }
    assert_eq!(paged, all);
    // Every word must match: as whole words when one label has them all, else all as prefixes.
    assert_eq!(found(reg, "nimbus hub", 10, 0).await, vec![hub]);
    assert_eq!(found(reg, "nimbus mesh", 10, 0).await, vec![plus.clone()]);
    assert_eq!(found(reg, "nimbus mes", 10, 0).await, vec![plus.clone()]);
    assert_eq!(found(reg, "nimbusplus mesh", 10, 0).await, vec![plus]);
    assert!(found(reg, "nimbus camera", 10, 0).await.is_empty());
    // A term of one or two characters is a whole word even among prefixes: "ni" starts every
    // name here but finds none, "nim" finds them all.
    assert!(found(reg, "ni", 10, 0).await.is_empty());
    assert_eq!(found(reg, "nim", 10, 0).await.len(), 3);
    assert!(found(reg, "nimb hu", 10, 0).await.is_empty());
}

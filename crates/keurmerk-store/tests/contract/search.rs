//! Label search (migration 0016): the index is written with the certificate, matches words of
//! every searched field as prefixes, in any case, and every filter narrows it.

use super::*;
use keurmerk_store::search::query_terms;

fn words(text: &str) -> LabelSearch {
    LabelSearch {
        terms: query_terms(text).unwrap(),
        limit: 50,
        ..LabelSearch::default()
    }
}

async fn found(s: &SqlStore, search: &LabelSearch) -> Vec<String> {
    s.search_labels(search)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.certificate.id.to_string())
        .collect()
}

pub(crate) async fn labels_are_found_by_every_field_and_filtered(s: &SqlStore) {
    let (p, cert, _, seq) = issued_certificate(s).await;
    let one = vec![cert.id.to_string()];
    let hit = s.search_labels(&words("cosy")).await.unwrap();
    assert_eq!(hit.len(), 1);
    assert_eq!(hit[0].certificate, cert);
    assert_eq!(hit[0].product_name, p.name);
    assert_eq!(hit[0].model, "CC-200");
    assert_eq!(hit[0].category, Category::Camera);
    assert_eq!(hit[0].manufacturer_name, "maker name");

    // Name, prefix, model, manufacturer, GTIN, certificate id (any case), category words in
    // four languages.
    for q in [
        "Cosy Cam",
        "COSY",
        "cos",
        "cc-200",
        "cc 200",
        "maker",
        "08712345678906",
        "km-2026-000001",
        "KM-2026-000001",
        "camera",
        "Kamera",
        "caméra",
        "camera cosy maker",
    ] {
        assert_eq!(found(s, &words(q)).await, one, "{q}");
    }
    // A word of one or two characters is never a prefix (it starts too many words).
    for q in ["router", "cosy router", "km-2026-000002", "lab", "co", "c"] {
        assert!(found(s, &words(q)).await.is_empty(), "{q}");
    }
    // Words that look like query syntax are only words.
    for q in [
        "\" OR 1=1 --",
        "cosy*) OR (x",
        "NEAR(cosy cam)",
        "cosy & !cam | :*",
    ] {
        let r = s.search_labels(&words(q)).await;
        assert!(r.is_ok(), "{q}: {r:?}");
    }

    // Filters, alone and with words; no words at all lists every label.
    let all = LabelSearch {
        limit: 50,
        ..LabelSearch::default()
    };
    assert_eq!(found(s, &all).await, one);
    let with = |f: &dyn Fn(&mut LabelSearch)| {
        let mut x = words("cosy");
        f(&mut x);
        x
    };
    let eu_iot = SchemeId::new("eu-iot").unwrap();
    let eucc = SchemeId::new("eucc").unwrap();
    assert_eq!(
        found(s, &with(&|x| x.schemes = Some(vec![eu_iot.clone()]))).await,
        one
    );
    assert!(found(s, &with(&|x| x.schemes = Some(vec![eucc.clone()])))
        .await
        .is_empty());
    assert!(found(s, &with(&|x| x.schemes = Some(vec![])))
        .await
        .is_empty());
    assert_eq!(
        found(
            s,
            &with(&|x| x.schemes = Some(vec![eucc.clone(), eu_iot.clone()]))
        )
        .await,
        one
    );
    assert_eq!(
        found(
            s,
            &with(&|x| x.level = Some(LevelId::new("basic").unwrap()))
        )
        .await,
        one
    );
    assert!(
        found(s, &with(&|x| x.level = Some(LevelId::new("high").unwrap())))
            .await
            .is_empty()
    );
    assert_eq!(
        found(s, &with(&|x| x.states = Some(vec![State::Active]))).await,
        one
    );
    assert!(found(
        s,
        &with(&|x| x.states = Some(vec![State::Withdrawn, State::Expired]))
    )
    .await
    .is_empty());
    assert_eq!(
        found(s, &with(&|x| x.category = Some(Category::Camera))).await,
        one
    );
    assert!(found(s, &with(&|x| x.category = Some(Category::Router)))
        .await
        .is_empty());
    assert_eq!(
        found(
            s,
            &with(&|x| x.manufacturer = Some(OrgId::new("maker").unwrap()))
        )
        .await,
        one
    );
    assert!(found(
        s,
        &with(&|x| x.manufacturer = Some(OrgId::new("lab").unwrap()))
    )
    .await
    .is_empty());
    assert!(found(s, &with(&|x| x.offset = 1)).await.is_empty());

    // Migration 0034: the filters are facets of the index too. A change of state rewrites the
    // certificate's facets in the append's transaction, so the state filter follows it.
    let state = |st: State| with(&move |x: &mut LabelSearch| x.states = Some(vec![st]));
    suspend(s, &cert, seq).await;
    assert_eq!(found(s, &state(State::Suspended)).await, one);
    assert!(found(s, &state(State::Active)).await.is_empty());
    assert_eq!(
        found(
            s,
            &with(&|x| {
                x.states = Some(vec![State::Active, State::Suspended]);
                x.schemes = Some(vec![eu_iot.clone()]);
                x.category = Some(Category::Camera);
                x.manufacturer = Some(OrgId::new("maker").unwrap());
                x.level = Some(LevelId::new("basic").unwrap());
            })
        )
        .await,
        one
    );
    // A facet edited in the database to claim a state the certificate is not in can hide a
    // label from a filtered search, never show it: the certificate's own row decides.
    let forge = match s.backend() {
        Backend::Sqlite => {
            "UPDATE certificate_fts SET facets = facets || ' t' || hex('active') || ' t' || \
             hex('withdrawn')"
        }
        Backend::Postgres => {
            "UPDATE certificate_search SET doc = doc || array_to_tsvector(ARRAY[\
             '~t' || encode(convert_to('active', 'UTF8'), 'hex'), \
             '~t' || encode(convert_to('withdrawn', 'UTF8'), 'hex')])"
        }
    };
    sqlx::query(forge).execute(s.pool()).await.unwrap();
    assert!(found(s, &state(State::Active)).await.is_empty());
    assert!(found(s, &state(State::Withdrawn)).await.is_empty());
    assert_eq!(found(s, &state(State::Suspended)).await, one);
    // A word a person types is never matched against the facets.
    let hex: String = "suspended".bytes().map(|b| format!("{b:02x}")).collect();
    let token = format!("t{hex}");
    assert!(found(s, &words(&token)).await.is_empty(), "{token}");
}

/// The search documents' check (`verify_search`): clean after the registry's own writes (an
/// issue and a change of state, so the check makes what the triggers make); each edit made to
/// the database by other means is found, and a repair stores the document again under a new
/// number, after which the label is found by its words again and the check is clean.
pub(crate) async fn search_documents_are_checked_and_repaired(s: &SqlStore) {
    let (p, cert, _, seq) = issued_certificate(s).await;
    let id = cert.id.to_string();
    let one = vec![id.clone()];
    suspend(s, &cert, seq).await;
    let clean = s.verify_search(false).await.unwrap();
    assert!(clean.is_clean(), "{clean:?}");
    assert_eq!((clean.documents, clean.different), (1, 0));
    // A repair of a clean registry stores nothing.
    let nothing = s.verify_search(true).await.unwrap();
    assert_eq!(
        (nothing.repaired, nothing.rebuilt),
        (0, false),
        "{nothing:?}"
    );

    let (table, key) = match s.backend() {
        Backend::Sqlite => ("certificate_fts", "rowid"),
        Backend::Postgres => ("certificate_search", "seq"),
    };
    let number = |s: &SqlStore| {
        let q = format!("SELECT {key} FROM {table} WHERE certificate_id = $1");
        let id = id.clone();
        let pool = s.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(&q)
                .bind(id)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let exec = |q: String| {
        let pool = s.pool().clone();
        async move {
            sqlx::query(&q).execute(&pool).await.unwrap();
        }
    };
    let problems = |c: &SearchCheck| -> Vec<(String, SearchProblem)> {
        c.differences
            .iter()
            .map(|d| (d.certificate.clone(), d.problem))
            .collect()
    };
    // Its words rewritten by hand: found by them no longer, and by the new ones never (the
    // rows do not decide words), until the repair.
    let old = number(s).await;
    exec(match s.backend() {
        Backend::Sqlite => format!("UPDATE {table} SET body = 'forged words'"),
        Backend::Postgres => format!(
            "UPDATE {table} SET doc = to_tsvector('simple', 'forged words') || \
             array_to_tsvector(ARRAY['~t' || encode(convert_to('suspended', 'UTF8'), 'hex')])"
        ),
    })
    .await;
    assert!(found(s, &words("cosy")).await.is_empty());
    assert_eq!(found(s, &words("forged")).await, one);
    let (before, fixed) = repaired(s).await;
    assert_eq!(problems(&before), [(id.clone(), SearchProblem::Differs)]);
    assert!(before.index_sound);
    assert_eq!(fixed.repaired, 1);
    assert_eq!(found(s, &words("cosy")).await, one);
    assert!(found(s, &words("forged")).await.is_empty());
    let new = number(s).await;
    assert_eq!(new.len(), 1);
    assert!(
        new[0] > old[0],
        "{new:?} after {old:?}: stored again as the newest"
    );

    // Its document deleted: the label is in no search until the repair.
    exec(format!("DELETE FROM {table}")).await;
    assert!(found(s, &words("cosy")).await.is_empty());
    let (before, _) = repaired(s).await;
    assert_eq!(problems(&before), [(id.clone(), SearchProblem::Missing)]);
    assert_eq!(before.documents, 0);
    assert_eq!(found(s, &words("cosy")).await, one);

    match s.backend() {
        Backend::Sqlite => {
            // A second document for it, and one naming no certificate.
            exec(format!(
                "INSERT INTO {table} (certificate_id, body, facets) \
                 SELECT certificate_id, body, facets FROM {table}"
            ))
            .await;
            exec(format!(
                "INSERT INTO {table} (certificate_id, body, facets) \
                 VALUES ('KM-2026-999999', 'ghost', '')"
            ))
            .await;
            let before = s.verify_search(false).await.unwrap();
            assert_eq!(
                problems(&before),
                [
                    (id.clone(), SearchProblem::Duplicate),
                    ("KM-2026-999999".to_owned(), SearchProblem::Orphan)
                ]
            );
            assert_eq!(before.documents, 3);
            let fixed = s.verify_search(true).await.unwrap();
            assert_eq!(fixed.repaired, 1);
            let after = s.verify_search(false).await.unwrap();
            assert!(after.is_clean(), "{after:?}");
            assert_eq!(after.documents, 1);
            assert_eq!(number(s).await.len(), 1);

            // FTS5's shadow table edited: the index no longer holds the document's words.
            exec(format!(
                "UPDATE {table}_content SET c1 = 'other words' WHERE id = \
                 (SELECT MAX(rowid) FROM {table})"
            ))
            .await;
            let before = s.verify_search(false).await.unwrap();
            assert!(!before.index_sound, "{before:?}");
            assert!(!before.is_clean());
            let fixed = s.verify_search(true).await.unwrap();
            assert!(fixed.rebuilt && !fixed.index_sound, "{fixed:?}");
            let after = s.verify_search(false).await.unwrap();
            assert!(after.is_clean(), "{after:?}");
            assert_eq!(found(s, &words("cosy")).await, one);
            assert!(found(s, &words("other")).await.is_empty());
        }
        Backend::Postgres => {
            // The state kept beside the document for a rare state's page.
            exec("UPDATE certificate_search_states SET state = 'active'".to_owned()).await;
            let (before, _) = repaired(s).await;
            assert_eq!(problems(&before), [(id.clone(), SearchProblem::State)]);
            let states: Vec<String> =
                sqlx::query_scalar("SELECT state FROM certificate_search_states")
                    .fetch_all(s.pool())
                    .await
                    .unwrap();
            assert_eq!(states, ["suspended"]);

            // What its hit shows, kept beside the document (migration 0039): rewritten by
            // hand, its results show the forged name until the repair; deleted, the label is
            // in no result until the repair.
            exec(
                "UPDATE certificate_search_hits \
                 SET product_name = 'Forged Cam', product_category = 'router'"
                    .to_owned(),
            )
            .await;
            let shown = s.search_labels(&words("cosy")).await.unwrap();
            assert_eq!(shown[0].product_name, "Forged Cam");
            // A filter is decided on the product's row, never on the kept one.
            let in_category = |category| LabelSearch {
                category: Some(category),
                ..words("cosy")
            };
            assert_eq!(found(s, &in_category(p.category)).await, one);
            assert!(found(s, &in_category(Category::Router)).await.is_empty());
            let (before, _) = repaired(s).await;
            assert_eq!(problems(&before), [(id.clone(), SearchProblem::Hit)]);
            let shown = s.search_labels(&words("cosy")).await.unwrap();
            assert_eq!(shown[0].product_name, product_name(s, &cert).await);
            exec("DELETE FROM certificate_search_hits".to_owned()).await;
            assert!(found(s, &words("cosy")).await.is_empty());
            let (before, _) = repaired(s).await;
            assert_eq!(problems(&before), [(id.clone(), SearchProblem::Hit)]);
            assert_eq!(found(s, &words("cosy")).await, one);
        }
    }
    let suspended = LabelSearch {
        states: Some(vec![State::Suspended]),
        ..words("cosy")
    };
    assert_eq!(found(s, &suspended).await, one);
}

/// The name of `cert`'s product as its row has it.
async fn product_name(s: &SqlStore, cert: &Certificate) -> String {
    sqlx::query_scalar("SELECT name FROM products WHERE id = $1")
        .bind(cert.product.to_string())
        .fetch_one(s.pool())
        .await
        .unwrap()
}

/// A search's hits show the product's image as it is now: set, replaced and removed (on
/// PostgreSQL each rewrites the row kept for the hit, migration 0039's trigger), every search
/// path agreeing, and the search documents' check clean after each.
pub(crate) async fn search_hits_show_the_products_image_as_it_is_now(s: &SqlStore) {
    let (p, _, _, _) = issued_certificate(s).await;
    assert_eq!(images_shown(s, &p).await, [None, None, None]);
    let a = super::images::image(0xaa, "image/png");
    s.set_product_image(&p.id, &a, at(1), &audit("maker", "product.image.set"))
        .await
        .unwrap();
    let some_a = Some(a.meta.clone());
    assert_eq!(
        images_shown(s, &p).await,
        [some_a.clone(), some_a.clone(), some_a]
    );
    let b = super::images::image(0xbb, "image/jpeg");
    s.set_product_image(&p.id, &b, at(2), &audit("maker", "product.image.set"))
        .await
        .unwrap();
    let some_b = Some(b.meta.clone());
    assert_eq!(
        images_shown(s, &p).await,
        [some_b.clone(), some_b.clone(), some_b]
    );
    assert!(s
        .clear_product_image(&p.id, &audit("maker", "product.image.clear"))
        .await
        .unwrap());
    assert_eq!(images_shown(s, &p).await, [None, None, None]);
}

/// The image of the one hit of three searches that find `p`'s label (by words, by words with
/// filters, without words), after asserting that the search documents' check is clean.
async fn images_shown(s: &SqlStore, p: &Product) -> Vec<Option<ImageRef>> {
    let check = s.verify_search(false).await.unwrap();
    assert!(check.is_clean(), "{check:?}");
    let filtered = LabelSearch {
        states: Some(vec![State::Active]),
        category: Some(p.category),
        manufacturer: Some(p.manufacturer.clone()),
        ..words("cosy")
    };
    let browse = LabelSearch {
        limit: 50,
        ..LabelSearch::default()
    };
    let mut images = Vec::new();
    for search in [words("cosy"), filtered, browse] {
        let hits = s.search_labels(&search).await.unwrap();
        assert_eq!(hits.len(), 1, "{search:?}");
        images.push(hits[0].image.clone());
    }
    images
}

/// A check, a repair that finds as many differences, and a clean check after it.
async fn repaired(s: &SqlStore) -> (SearchCheck, SearchCheck) {
    let before = s.verify_search(false).await.unwrap();
    let fixed = s.verify_search(true).await.unwrap();
    assert_eq!(fixed.different, before.different, "{fixed:?}");
    let after = s.verify_search(false).await.unwrap();
    assert!(after.is_clean(), "{after:?}");
    assert_eq!(after.documents, 1);
    (before, fixed)
}

/// Suspends `cert`, whose last event is `seq` (its state trigger rewrites the document).
async fn suspend(s: &SqlStore, cert: &Certificate, seq: i64) {
    s.append_event(
        &NewEvent {
            event: &super::atomic::suspension(cert, 3),
            new_state: State::Suspended,
            expected_last_seq: seq,
            log_entry: b"st",
            follow_ups: &[],
        },
        &audit("maker", "suspend"),
    )
    .await
    .unwrap();
}

/// Words with and without diacritics find the same labels on both backends, as SQLite's
/// tokenizer folds them (`unicode61 remove_diacritics 2`) and PostgreSQL's documents and the
/// query side since migration 0045 (`search::query_terms`): `cafe`, `café` and `CAFÉ` find
/// `Café Crème` and `Cafe Noir`. A letter SQLite keeps is kept on both (`ł`: `lodz` does not
/// find `Łódź`; Greek's letters with tonos: `ελλαδα` does not find `Ελλάδα`). Asked of the
/// full-text index, then again once the search's words are read into memory.
pub(crate) async fn words_with_or_without_accents_find_the_same_labels(s: &SqlStore) {
    let (_, cert, issued, _) = issued_certificate(s).await;
    for (n, name) in [
        (2, "Café Crème"),
        (3, "München"),
        (4, "Łódź"),
        (5, "Ελλάδα"),
        (6, "Cafe Noir"),
    ] {
        label_named(s, &cert, &issued, n, name).await;
    }
    let id = |n: u32| format!("KM-2026-{n:06}");
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("cafe", vec![id(6), id(2)]),
        ("café", vec![id(6), id(2)]),
        ("CAFÉ", vec![id(6), id(2)]),
        ("Cafe", vec![id(6), id(2)]),
        ("creme", vec![id(2)]),
        ("Crème", vec![id(2)]),
        ("CAFÉ CRÈME", vec![id(2)]),
        ("munchen", vec![id(3)]),
        ("München", vec![id(3)]),
        ("MUNCHEN", vec![id(3)]),
        ("łodz", vec![id(4)]),
        ("Łódź", vec![id(4)]),
        ("lodz", vec![]),
        ("ελλάδα", vec![id(5)]),
        ("ΕΛΛΆΔΑ", vec![id(5)]),
        ("ελλαδα", vec![]),
        ("cosy", vec![id(1)]),
    ];
    for (q, want) in &cases {
        assert_eq!(&found(s, &words(q)).await, want, "{q}");
    }
    // The words in memory, read after every label above was written.
    for _ in 0..600 {
        if s.search_words().is_some() {
            break;
        }
        found(s, &words("cafe")).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        s.search_words().is_some(),
        "the search's words were never read"
    );
    for (q, want) in &cases {
        assert_eq!(
            &found(s, &words(q)).await,
            want,
            "{q}, with the words in memory"
        );
    }
}

/// A label of `template`'s maker for a new product named `name`: product `PRD-00000n`, its
/// version, a passed assessment and the active certificate `KM-2026-00000n`.
async fn label_named(s: &SqlStore, template: &Certificate, issued: &Event, n: u32, name: &str) {
    let p = Product {
        id: rid(&format!("PRD-{n:06}")),
        name: name.into(),
        identifiers: ProductIdentifiers {
            gtin: None,
            purl: None,
            cpe: None,
        },
        ..s.product(&template.product).await.unwrap().unwrap()
    };
    s.insert_product(&p, &audit("maker", "product.register"))
        .await
        .unwrap();
    let v = ProductVersion {
        id: rid(&format!("VER-{n:06}")),
        product: p.id.clone(),
        version: "1".into(),
        released_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        security_update: false,
        notes: None,
    };
    s.insert_version(&v, &audit("maker", "version.add"), &[])
        .await
        .unwrap();
    let a = Assessment {
        id: rid(&format!("ASM-{n:06}")),
        product: p.id.clone(),
        version: v.id.clone(),
        ..s.assessment(&template.assessment).await.unwrap().unwrap()
    };
    s.insert_assessment(&a, &audit("maker", "assessment.record"))
        .await
        .unwrap();
    let cert = Certificate {
        id: CertificateId::new(format!("KM-2026-{n:06}")).unwrap(),
        product: p.id.clone(),
        assessment: a.id.clone(),
        ..template.clone()
    };
    let kind = match &issued.kind {
        EventKind::Issued { .. } => EventKind::Issued {
            product: p.id.clone(),
            holder: cert.holder.clone(),
            scheme: cert.scheme.clone(),
            level: cert.level.clone(),
            issuer: cert.issuer.clone(),
            issuer_kind: cert.issuer_kind,
            authority: None,
            assessment: a.id.clone(),
            valid_until: cert.valid_until,
            support_until: None,
            versions: vec![],
            dependencies: vec![],
        },
        other => panic!("not an issue: {other:?}"),
    };
    let event = Event {
        certificate: cert.id.clone(),
        kind,
        ..issued.clone()
    };
    s.issue(&cert, &event, b"stmt", &audit("maker", "certify"))
        .await
        .unwrap();
}

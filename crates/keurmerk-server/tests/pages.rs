//! Public pages: languages, the certificate page, search, complaint form with CSRF, feeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::{IssuerKind, PasswordSetup, SupportCommitment, UpdatePolicy};
use keurmerk_service::Actor;
use keurmerk_store::CertificateFilter;
use support::app;

async fn cert(
    a: &support::App,
    pick: impl Fn(&keurmerk_domain::model::Certificate) -> bool,
) -> String {
    a.reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| pick(c))
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn certificate_page_in_four_languages() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    // Under a suspension the independent test is a muted fact, not a green tick.
    for (lang, status, tested) in [
        ("en", "Suspended", "Was tested independently"),
        ("nl", "Geschorst", "Is onafhankelijk getest"),
        ("de", "Ausgesetzt", "Wurde unabhängig geprüft"),
        ("fr", "Suspendu", "A été testé de manière indépendante"),
    ] {
        let p = a.get(&format!("/c/{id}?lang={lang}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.text.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}"
        );
        assert!(p.text.contains(status), "{lang}: {status}");
        assert!(p.text.contains(tested), "{lang}: {tested}");
        assert!(
            p.text.contains("issuer-muted") && !p.text.contains("✔"),
            "{lang}"
        );
        for landmark in ["<header>", "<nav ", "<main ", "<footer>", "class=\"skip\""] {
            assert!(p.text.contains(landmark), "{lang}: {landmark}");
        }
        assert!(!p.text.contains("<script"));
    }
    // Accept-Language when there is no ?lang=.
    let p = a
        .send(
            Request::get(format!("/c/{id}"))
                .header("accept-language", "de-DE,de;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(p.text.contains("<html lang=\"de\">"));
    assert!(
        p.text.contains("geschorst")
            || p.text.contains("ausgesetzt")
            || p.text.contains("Ausgesetzt")
    );
    // Security headers.
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(p.headers["x-content-type-options"], "nosniff");
    assert_eq!(p.headers["x-frame-options"], "DENY");
    assert!(p.headers.contains_key("referrer-policy"));
}

#[tokio::test]
async fn self_declared_labels_say_so() {
    let a = app().await;
    let id = cert(&a, |c| c.issuer_kind == IssuerKind::SelfDeclared).await;
    let p = a.get(&format!("/c/{id}?lang=nl")).await;
    assert!(p.text.contains("Verklaard door de fabrikant"));
    assert!(p.text.contains("issuer-self"));
    assert!(!p.text.contains("Onafhankelijk getest"));
}

#[tokio::test]
async fn unknown_certificate_is_a_friendly_404() {
    let a = app().await;
    let p = a.get("/c/KM-1999-000001?lang=fr").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.text.contains("Introuvable"));
}

#[tokio::test]
async fn home_search_finds_products_and_certificates() {
    let a = app().await;
    let home = a.get("/?lang=nl").await;
    assert!(home.text.contains("<label for=\"q\">"));
    let found = a.get("/?q=router&lang=en").await;
    assert!(found.text.contains("HH Router"), "{}", found.text);
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let by_id = a.get(&format!("/?q={}", id.to_lowercase())).await;
    assert!(by_id.text.contains(&format!("/c/{id}")));
    for page in [
        "/about?lang=de",
        "/schemes?lang=fr",
        "/schemes/eu-iot?lang=nl",
    ] {
        let p = a.get(page).await;
        assert_eq!(p.status, StatusCode::OK, "{page}");
    }
    assert!(a.get("/about?lang=nl").await.text.contains("CE-markering"));
}

#[tokio::test]
async fn complaints_need_the_form_token_and_reach_the_authority() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let authority = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id.as_str() == id)
        .unwrap()
        .authority
        .unwrap();
    let form = a.get(&format!("/c/{id}/complaint?lang=en")).await;
    let token = form
        .text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let post = |csrf: String| {
        Request::post(format!("/c/{id}/complaint"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={csrf}&lang=en&contact=me%40example.org&body=The+camera+sends+video+unencrypted"
            )))
            .unwrap()
    };
    let forged = a.send(post("1.deadbeef".into())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ok = a.send(post(token)).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert!(ok.text.contains("CMP-"));
    let mine = a
        .get_as(
            "/api/v1/complaints",
            Some(&a.token(authority.as_str()).await),
        )
        .await
        .json();
    assert_eq!(mine["items"][0]["certificate"], id.as_str());
    assert_eq!(mine["items"][0]["authority"], authority.as_str());
    let other = if authority.as_str() == "nl-rdi" {
        "de-bsi"
    } else {
        "nl-rdi"
    };
    let theirs = a
        .get_as("/api/v1/complaints", Some(&a.token(other).await))
        .await
        .json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn atom_feeds() {
    let a = app().await;
    let all = a.get("/feed.atom").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(all
        .text
        .contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"));
    // Entries read as "<product>: <what happened>" in words, with a plain sentence, no JSON.
    assert!(
        all.text
            .contains("<title>BrightCam Baby Monitor BC-BABY-1: label suspended</title>"),
        "{}",
        all.text
    );
    assert!(
        all.text.contains(": label suspended</title>"),
        "{}",
        all.text
    );
    assert!(!all.text.contains("{&quot;") && !all.text.contains("suspended\","));
    let nl = a.get("/feed.atom?lang=nl").await;
    assert!(
        nl.text.contains("xml:lang=\"nl\"") && nl.text.contains(": label geschorst</title>"),
        "{}",
        nl.text
    );
    assert!(nl
        .text
        .contains("<title>Keurmerk: statuswijzigingen van labels</title>"));
    let org = a.get("/org/holland-home/feed.atom").await;
    assert!(org.text.contains("<entry>"));
    assert_eq!(
        a.get("/org/nobody/feed.atom").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_count_requests() {
    let a = app().await;
    a.get("/healthz").await;
    let m = a.get("/metrics").await;
    assert!(m.text.contains(
        "keurmerk_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
    ));
}

/// The request pool's gauges: its limit; every connection held counted in use (a full pool,
/// where requests wait), and in use again less once they are returned.
#[tokio::test]
async fn metrics_show_the_request_pools_connections() {
    let a = app().await;
    let gauge = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
    };
    let in_use = "keurmerk_database_connections{pool=\"requests\",use=\"in_use\"}";
    let idle = "keurmerk_database_connections{pool=\"requests\",use=\"idle\"}";
    let most = "keurmerk_database_connections_max{pool=\"requests\"}";
    let pool = a.reg.store().pool();
    let max = pool.options().get_max_connections();
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(pool.acquire().await.unwrap());
    }
    let m = a.get("/metrics").await.text;
    assert_eq!(gauge(&m, most), u64::from(max));
    // No background pool of its own here: none shown.
    assert!(!m.contains("pool=\"background\""), "{m}");
    assert_eq!(
        (gauge(&m, in_use), gauge(&m, idle)),
        (u64::from(max), 0),
        "{m}"
    );
    drop(held);
    // A connection goes back to the pool on a task of its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let m = a.get("/metrics").await.text;
        if gauge(&m, in_use) < u64::from(max) {
            assert!(gauge(&m, in_use) + gauge(&m, idle) <= u64::from(max), "{m}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{m}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The text between the verification heading and the complaint section.
fn verify_section(page: &str) -> &str {
    let start = page.find("id=\"verify\"").expect("verification section");
    let end = page[start..]
        .find("id=\"complain\"")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[tokio::test]
async fn certificate_page_shows_the_verified_signer_and_log_position() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let cid = id.parse().unwrap();
    let checks = a.reg.verify_statements(&cid).await.unwrap();
    let latest = checks.last().unwrap().result.as_ref().unwrap();
    let p = a.get(&format!("/c/{id}?lang=en")).await;
    assert_eq!(p.status, StatusCode::OK);
    let s = verify_section(&p.text);
    // Authentic, but the certificate is suspended: no green tick, and never "valid".
    assert!(s.contains("Signature authentic"), "{s}");
    assert!(s.contains("sig-neutral") && !s.contains("sig-valid"), "{s}");
    assert!(!s.contains("Signature valid"), "{s}");
    assert!(s.contains("it does not say the label is valid"), "{s}");
    assert!(s.contains(&latest.issuer.organisation_name), "{s}");
    assert!(s.contains(&latest.statement.issuer.to_string()), "{s}");
    assert!(s.contains("national authority"), "{s}");
    assert!(s.contains(
        &latest
            .statement
            .signed_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string()
    ));
    // No sequencer has run: the statement is still queued.
    assert!(s.contains("Waiting to be logged."), "{s}");
    for link in [
        format!("href=\"/api/v1/certificates/{id}/receipt\""),
        format!("href=\"/api/v1/certificates/{id}/status?signed=1\""),
        "href=\"/api/v1/trust-list\"".to_owned(),
    ] {
        assert!(s.contains(&link), "{link}");
    }
    assert!(s.contains(&format!("keurmerk verify 'http://127.0.0.1:8080/c/{id}#…'")));
    // Label/value pairs in a definition list under headings.
    assert!(s.contains("<h3>") && s.contains("<dl>") && s.contains("<dt>"));

    // Once the sequencer has logged the queue, the page gives the entry number.
    let seq = keurmerk_transparency::Sequencer::new(
        a.reg.store(),
        keurmerk_transparency::LogKey::generate("example.test/log").unwrap(),
        keurmerk_transparency::SequencerConfig::default(),
    )
    .await
    .unwrap();
    while seq.step().await.unwrap().is_some() {}
    let index = keurmerk_transparency::LogState::new(a.reg.store())
        .index_of_event(checks.last().unwrap().event_seq)
        .await
        .unwrap();
    let p = a.get(&format!("/c/{id}?lang=en")).await;
    let s = verify_section(&p.text);
    assert!(s.contains(&format!("Yes, entry number {index}")), "{s}");
    assert!(!s.contains("Waiting to be logged"));
}

#[tokio::test]
async fn verification_section_in_four_languages() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Active).await;
    for (lang, heading, valid, waiting) in [
        (
            "en",
            "Checking this label",
            "Signature authentic",
            "Waiting to be logged.",
        ),
        (
            "nl",
            "Dit label controleren",
            "Handtekening echt",
            "Wacht op opname in het logboek.",
        ),
        (
            "de",
            "Dieses Kennzeichen prüfen",
            "Signatur echt",
            "Wartet auf Aufnahme ins Protokoll.",
        ),
        (
            "fr",
            "Vérifier ce label",
            "Signature authentique",
            "En attente d'inscription au journal.",
        ),
    ] {
        let p = a.get(&format!("/c/{id}?lang={lang}")).await;
        assert_eq!(p.status, StatusCode::OK);
        let s = verify_section(&p.text);
        // An active certificate with a valid status: the tick may be green.
        assert!(s.contains("sig-valid"), "{lang}: {s}");
        for text in [heading, valid, waiting, "keurmerk verify"] {
            let escaped = text.replace('\'', "&#39;");
            assert!(
                s.contains(text) || s.contains(&escaped),
                "{lang}: {text}\n{s}"
            );
        }
    }
}

#[tokio::test]
async fn a_tampered_statement_is_not_called_valid() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Active).await;
    let cid = id.parse().unwrap();
    let seq = a
        .reg
        .verify_statements(&cid)
        .await
        .unwrap()
        .last()
        .unwrap()
        .event_seq;
    let pool = a.reg.store().pool();
    let signed: Vec<u8> = sqlx::query_scalar("SELECT signed FROM statements WHERE event_seq = $1")
        .bind(seq)
        .fetch_one(pool)
        .await
        .unwrap();
    let mut env: serde_json::Value = serde_json::from_slice(&signed).unwrap();
    env["statement"]["level"] = serde_json::json!("high");
    sqlx::query("UPDATE statements SET signed = $1 WHERE event_seq = $2")
        .bind(serde_json::to_vec(&env).unwrap())
        .bind(seq)
        .execute(pool)
        .await
        .unwrap();
    for (lang, bad, good) in [
        ("en", "Signature NOT authentic", "Signature authentic"),
        ("nl", "Handtekening NIET echt", "Handtekening echt"),
        ("de", "Signatur NICHT echt", "Signatur echt"),
        ("fr", "Signature NON authentique", "Signature authentique"),
    ] {
        let p = a.get(&format!("/c/{id}?lang={lang}")).await;
        let s = verify_section(&p.text);
        assert!(s.contains(bad), "{lang}: {s}");
        assert!(!s.contains(good), "{lang}: {s}");
        assert!(!s.contains("sig-valid"));
    }
    let s = a.get(&format!("/c/{id}?lang=en")).await.text;
    assert!(verify_section(&s).contains("changed after it was signed"));
    assert!(verify_section(&s).contains("Claims to be signed by"));
}

#[tokio::test]
async fn a_statement_signed_after_its_key_was_compromised_is_not_called_valid() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Active).await;
    let cid = id.parse().unwrap();
    let checks = a.reg.verify_statements(&cid).await.unwrap();
    let latest = checks.last().unwrap().result.as_ref().unwrap();
    a.reg
        .revoke_key(
            &latest.statement.issuer.to_string(),
            latest.statement.signed_at - chrono::Duration::seconds(1),
        )
        .await
        .unwrap();
    let p = a.get(&format!("/c/{id}?lang=en")).await;
    let s = verify_section(&p.text);
    assert!(s.contains("Signature NOT authentic"), "{s}");
    assert!(s.contains("reported stolen or compromised"), "{s}");
    assert!(s.contains("this key was reported compromised as of"), "{s}");
    assert!(!s.contains("Signature authentic"));
}

/// The facts under a red status never contradict it (issue 13 item 3), on the page and in the
/// API, and every status has advice for the owner.
#[tokio::test]
async fn facts_under_a_red_status_agree_with_it() {
    let a = app().await;
    let withdrawn = cert(&a, |c| c.state == State::Withdrawn).await;
    let p = a.get(&format!("/c/{withdrawn}?lang=en")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("<dt>Withdrawn on</dt>"), "{}", p.text);
    assert!(!p.text.contains("Valid until"), "{}", p.text);
    assert!(p.text.contains("data-advice=\"stop_using\""));
    assert!(p.text.contains("data-advice=\"return\""));
    // The reason reads in the visitor's language (its code); the organisation's own words are
    // shown as written, marked with the language they were written in (Dutch, in the demo).
    let nl = a.get(&format!("/c/{withdrawn}?lang=nl")).await;
    assert!(
        nl.text.contains("Reden: Het product is teruggeroepen."),
        "{}",
        nl.text
    );
    assert!(
        nl.text
            .contains("<q lang=\"nl\">Het product is na een terugroepactie"),
        "{}",
        nl.text
    );
    let de = a.get(&format!("/c/{withdrawn}?lang=de")).await;
    assert!(
        de.text.contains("Grund: Das Produkt wurde zurückgerufen."),
        "{}",
        de.text
    );
    assert!(de.text.contains("<q lang=\"nl\">Het product is na"));
    assert!(!de.text.contains("Siegel"));
    assert!(nl.text.contains("Wat u moet doen als u dit product hebt"));
    // The status box writes dates in words, like the rest of the page ("op 21 november 2026").
    let at = nl.text.find("Het label is op ").unwrap() + "Het label is op ".len();
    let when: String = nl.text[at..].chars().take_while(|c| *c != '<').collect();
    assert!(
        when.split(' ')
            .nth(1)
            .is_some_and(|m| m.chars().all(char::is_alphabetic)),
        "{when}"
    );

    let suspended = cert(&a, |c| c.state == State::Suspended).await;
    let p = a.get(&format!("/c/{suspended}?lang=en")).await;
    assert!(p.text.contains("<dt>Suspended since</dt>"), "{}", p.text);
    assert!(
        !p.text.contains("No known security problems are waiting"),
        "{}",
        p.text
    );
    assert!(!p.text.contains("Valid until"));
    assert!(p.text.contains("data-advice=\"do_not_buy\""));

    let expired = cert(&a, |c| c.state == State::Expired).await;
    let p = a.get(&format!("/c/{expired}?lang=de")).await;
    assert!(
        p.text.contains("<dt>Abgelaufen nach dem</dt>"),
        "{}",
        p.text
    );
    assert!(!p.text.contains("Gültig bis"), "{}", p.text);

    let status = a
        .get(&format!("/api/v1/certificates/{withdrawn}/status?lang=fr"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&status.text).unwrap();
    assert_eq!(v["facts"]["validity"]["kind"], "withdrawn_on");
    assert_eq!(v["facts"]["validity"]["label"], "Retiré le");
    assert_eq!(v["facts"]["positive_marks_muted"], true);
    assert_eq!(v["facts"]["advice"][1]["code"], "stop_using");
    assert_eq!(
        v["facts"]["advice"][1]["text"],
        "Cessez d'utiliser le produit."
    );
}

/// A label of a certificate that is not valid carries the "NOT VALID" band in the requested
/// language and none of its claims; a valid one does not.
#[tokio::test]
async fn labels_of_dead_certificates_say_not_valid() {
    let a = app().await;
    let withdrawn = cert(&a, |c| c.state == State::Withdrawn).await;
    for (lang, word, reason) in [
        ("en", "NOT VALID", "withdrawn"),
        ("nl", "NIET GELDIG", "ingetrokken"),
        ("de", "NICHT GÜLTIG", "entzogen"),
        ("fr", "NON VALIDE", "retiré"),
    ] {
        let svg = a
            .get(&format!("/c/{withdrawn}/label.svg?lang={lang}"))
            .await;
        assert_eq!(svg.status, StatusCode::OK);
        assert!(
            svg.text.contains(&format!(">{word}<")),
            "{lang}: {}",
            svg.text
        );
        assert!(svg.text.contains(&format!(">— {reason}<")), "{lang}");
        assert!(svg.text.contains("data-valid=\"false\""));
    }
    let png = a.get(&format!("/c/{withdrawn}/label.png")).await;
    assert_eq!(png.status, StatusCode::OK);
    let valid = cert(&a, |c| {
        c.state == State::Active && c.issuer_kind == IssuerKind::ThirdParty
    })
    .await;
    let status = a.get(&format!("/api/v1/certificates/{valid}/status")).await;
    let v: serde_json::Value = serde_json::from_str(&status.text).unwrap();
    let svg = a.get(&format!("/c/{valid}/label.svg")).await;
    if v["status"] == "valid" || v["status"] == "attention" {
        assert!(svg.text.contains("data-valid=\"true\"") && !svg.text.contains("NOT VALID"));
    } else {
        assert!(svg.text.contains("data-valid=\"false\""));
    }
    assert!(svg.text.contains("width=\"40mm\""));
}

#[tokio::test]
async fn lower_case_ids_unknown_paths_and_long_queries() {
    let a = app().await;
    let id = cert(&a, |c| c.state == State::Suspended).await;
    let p = a.get(&format!("/c/{}?lang=nl", id.to_lowercase())).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains(&id));
    let p = a.get(&format!("/c/{}/complaint", id.to_lowercase())).await;
    assert_eq!(p.status, StatusCode::OK);

    let p = a.get("/no/such/page?lang=de").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(p.text.contains("<html lang=\"de\">") && p.text.contains("Nicht gefunden"));
    let api = a.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.headers["content-type"]
        .to_str()
        .unwrap()
        .contains("json"));

    let long = "a".repeat(201);
    let p = a.get(&format!("/?q={long}&lang=fr")).await;
    assert!(
        p.text.contains("Votre recherche est trop longue"),
        "{}",
        p.text
    );
    let ok = a.get(&format!("/?q={}&lang=fr", "a".repeat(200))).await;
    assert!(!ok.text.contains("trop longue"));
}

#[tokio::test]
async fn a_vulnerability_shows_its_other_ids_and_an_unlisted_version_is_not_monitored() {
    use keurmerk_domain::ids::OrgId;
    let a = app().await;
    let c = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.state == State::Active && c.scheme.as_str() == "eu-iot")
        .unwrap();
    // The demo's maker has published no software list: the page never says "no known problems".
    let p = a.get(&format!("/c/{}?lang=en", c.id)).await;
    assert!(
        p.text
            .contains("Not monitored: the maker has published no software list"),
        "{}",
        p.text
    );
    assert!(!p.text.contains("No known security problems"));

    // A software list with golang.org/x/text 0.3.5 and the real GO-2022-1059 (no score).
    let version = a
        .reg
        .certificate_details(&c.id)
        .await
        .unwrap()
        .view
        .versions[0]
        .id
        .clone();
    let maker = Actor::cli(c.holder.clone(), "test");
    a.reg
        .attach_sbom(
            &maker,
            &version,
            "bom.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [
            {"type": "library", "name": "golang.org/x/text", "version": "v0.3.5", "purl": "pkg:golang/golang.org/x/text@v0.3.5"}]}"#,
        )
        .await
        .unwrap();
    let advisory = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keurmerk-vuln/tests/fixtures/identity/GO-2022-1059.json");
    a.reg
        .import_advisories(
            &Actor::cli(OrgId::new("enisa").unwrap(), "test"),
            &advisory,
            false,
            &|_| {},
        )
        .await
        .unwrap();
    for (lang, also, unknown) in [
        ("en", "Also known as", "not known yet"),
        ("nl", "Ook bekend als", "nog niet bekend"),
        ("de", "Auch bekannt als", "noch nicht bekannt"),
        ("fr", "Aussi connu sous", "pas encore connue"),
    ] {
        let p = a.get(&format!("/c/{}?lang={lang}", c.id)).await;
        assert!(p.text.contains("GO-2022-1059"), "{lang}");
        assert!(
            p.text
                .contains(&format!("{also} CVE-2022-32149, GHSA-69ch-w2m2-3vjp.")),
            "{lang}: {}",
            p.text
        );
        assert!(p.text.contains(unknown), "{lang}");
    }
}

/// The owner advice fits the maker's setup facts on the page and in the API (issue 13 item 3):
/// the demo makers said the password is chosen at first use and updates install themselves, so
/// nobody is told to change a default password or turn on automatic updates; a maker who says
/// otherwise changes the advice.
#[tokio::test]
async fn setup_facts_fit_the_owner_advice_on_the_page_and_in_the_api() {
    let a = app().await;
    let c = support::active_certificate(&a).await;
    let codes = |s: &serde_json::Value| -> Vec<String> {
        s["facts"]["advice"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let s = a
        .get(&format!("/api/v1/certificates/{}/status", c.id))
        .await
        .json();
    let got = codes(&s);
    assert!(got.contains(&"keep_updates_on".to_owned()), "{got:?}");
    assert!(
        !got.contains(&"change_default_password".to_owned()),
        "{got:?}"
    );
    assert!(
        !got.contains(&"turn_on_automatic_updates".to_owned()),
        "{got:?}"
    );
    for (lang, no_default, updates) in [
        (
            "en",
            "There is no default password",
            "Installed automatically.",
        ),
        (
            "nl",
            "Er is geen standaardwachtwoord",
            "Worden automatisch geïnstalleerd.",
        ),
        (
            "de",
            "Es gibt kein Standardpasswort",
            "Werden automatisch installiert.",
        ),
        (
            "fr",
            "Il n'y a pas de mot de passe par défaut",
            "Installées automatiquement.",
        ),
    ] {
        let p = a.get(&format!("/c/{}?lang={lang}", c.id)).await;
        let text = p.text.replace("&#39;", "'");
        assert!(text.contains(no_default), "{lang}");
        assert!(text.contains(updates), "{lang}");
        assert!(
            p.text
                .contains("href=\"https://example.eu/support/updates\""),
            "{lang}"
        );
    }

    // The maker now says each unit has its own password and the owner starts updates.
    let maker = Actor::cli(c.holder.clone(), "test");
    let old = a
        .reg
        .product_details(&c.product)
        .await
        .unwrap()
        .support
        .unwrap();
    a.reg
        .set_support(
            &maker,
            &c.product,
            SupportCommitment {
                update_policy: UpdatePolicy::UserInitiated,
                password: Some(PasswordSetup::UniquePerDevice),
                ..old.clone()
            },
        )
        .await
        .unwrap();
    // The status answer is kept for a second per process.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let s = a
        .get(&format!("/api/v1/certificates/{}/status", c.id))
        .await
        .json();
    let got = codes(&s);
    assert!(
        got.contains(&"install_updates_yourself".to_owned()),
        "{got:?}"
    );
    assert!(
        got.contains(&"change_default_password".to_owned()),
        "{got:?}"
    );
    let p = a.get(&format!("/c/{}?lang=en", c.id)).await;
    assert!(p.text.contains("Each unit has its own password"));
    assert!(p.text.contains("You start them yourself."));

    // Refused: a link that is not a plain https URL, and anyone but the maker.
    for (url, why) in [
        ("http://example.eu/updates", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://", "host"),
        ("https://user:secret@example.eu/", "host"),
        ("https://example.eu/a b", "spaces"),
    ] {
        let e = a
            .reg
            .set_support(
                &maker,
                &c.product,
                SupportCommitment {
                    updates_url: Some(url.into()),
                    ..old.clone()
                },
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("updates_url") && e.contains(why), "{url}: {e}");
    }
    let e = a
        .reg
        .set_support(
            &Actor::cli(c.authority.clone().unwrap(), "test"),
            &c.product,
            old.clone(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, keurmerk_service::ServiceError::Forbidden(_)),
        "{e:?}"
    );
}

/// Every public feed is also a page: the same entries, newest first, each linking to its label,
/// in the page's language, with the Atom address to subscribe to (issue 13 item 7).
#[tokio::test]
async fn feed_pages_show_the_atom_entries_in_the_language() {
    let a = app().await;
    let c = cert(&a, |c| c.state == State::Suspended).await;
    let product = a
        .reg
        .certificates(&CertificateFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id.as_str() == c)
        .unwrap()
        .product;
    for path in [
        "/feed".to_owned(),
        "/org/holland-home/feed".to_owned(),
        format!("/products/{product}/feed"),
    ] {
        for (lang, words) in [
            ("en", "Status changes"),
            ("nl", "statuswijzigingen"),
            ("de", "Statusänderungen"),
            ("fr", "changements de statut"),
        ] {
            let atom = a.get(&format!("{path}.atom?lang={lang}")).await;
            assert_eq!(atom.status, StatusCode::OK, "{path}.atom");
            assert!(
                atom.text.contains(&format!(
                    "<link rel=\"alternate\" type=\"text/html\" href=\"http://localhost{path}?lang={lang}\"/>"
                )),
                "{path}: {}",
                atom.text
            );
            let page = a.get(&format!("{path}?lang={lang}")).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(
                page.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"),
                "{path}"
            );
            assert!(
                page.text.contains(&format!("<html lang=\"{lang}\"")),
                "{path}"
            );
            assert!(page
                .text
                .contains(&format!("href=\"{path}.atom?lang={lang}\"")));
            assert!(
                page.text.to_lowercase().contains(&words.to_lowercase()),
                "{path} {lang}"
            );
            // The same entries, in the same order.
            let seqs_atom: Vec<&str> = atom
                .text
                .split("#event-")
                .skip(1)
                .map(|s| s.split('<').next().unwrap())
                .collect();
            let seqs_page: Vec<&str> = page
                .text
                .split("data-seq=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap())
                .collect();
            assert!(!seqs_page.is_empty(), "{path}: no entries");
            assert_eq!(seqs_atom, seqs_page, "{path} {lang}");
        }
    }
    // The product feed names the suspension, linking to the label's page.
    let page = a.get(&format!("/products/{product}/feed?lang=en")).await;
    assert!(page.text.contains(&format!("href=\"/c/{c}?lang=en\"")));
    for bad in [
        "/org/no%20such/feed",
        "/org/nobody/feed",
        "/products/PRD-NOPE/feed",
    ] {
        let p = a.get(&format!("{bad}?lang=de")).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(p.text.contains("<html lang=\"de\""), "{bad}: an HTML page");
    }
}

//! The `keurmerk` binary, driven as a user would: every role's workflow, and bad input giving a
//! clear error, a non-zero exit, and nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

struct Kit {
    dir: tempfile::TempDir,
}

impl Kit {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let db = format!("sqlite:{}", self.dir.path().join("k.db").display());
        Command::new(env!("CARGO_BIN_EXE_keurmerk"))
            .args(["--db", &db])
            .args(args)
            .env_remove("KEURMERK_DATABASE_URL")
            .env_remove("KEURMERK_SCHEMES")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }

    fn audit_len(&self) -> usize {
        self.ok(&["audit", "--as", "enisa", "--limit", "1000", "--json"])
            .matches("\"seq\"")
            .count()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

#[test]
fn demo_then_status_in_every_language() {
    let k = Kit::new();
    let out = k.ok(&["demo"]);
    assert!(out.contains("certificates"), "{out}");
    let again = k.fails(&["demo"]);
    assert!(again.contains("not empty"), "{again}");
    let list = k.ok(&["certificate", "list", "--json"]);
    let certs: serde_json::Value = serde_json::from_str(&list).unwrap();
    let suspended = certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "suspended")
        .unwrap();
    let id = suspended["id"].as_str().unwrap();
    for (lang, word) in [
        ("en", "Suspended"),
        ("nl", "Geschorst"),
        ("de", "Ausgesetzt"),
        ("fr", "Suspendu"),
    ] {
        let j: serde_json::Value =
            serde_json::from_str(&k.ok(&["status", id, "--json", "--lang", lang])).unwrap();
        assert_eq!(j["status"], "suspended");
        assert_eq!(j["title"], word);
        assert!(!j["reasons"][0]["text"].as_str().unwrap().is_empty());
    }
    let human = k.ok(&["status", id, "--lang", "nl"]);
    assert!(
        human.contains("GESCHORST") && human.contains("onafhankelijke instantie"),
        "{human}"
    );
    assert!(k
        .ok(&["certificate", "verify"])
        .contains("matches its events"));
    assert!(k.fails(&["status", "KM-1999-000001"]).contains("not found"));
    assert!(k
        .fails(&["status", "KM-2026-000001", "--lang", "es"])
        .contains("es"));
}

#[test]
fn status_for_the_version_on_the_device() {
    let k = Kit::new();
    k.ok(&["demo"]);
    let products: serde_json::Value =
        serde_json::from_str(&k.ok(&["product", "list", "--search", "BC-DB1", "--json"])).unwrap();
    let pid = products[0]["id"].as_str().unwrap().to_owned();
    let show: serde_json::Value =
        serde_json::from_str(&k.ok(&["product", "show", &pid, "--json"])).unwrap();
    let cert = show["certificates"][0]["id"].as_str().unwrap().to_owned();
    let label: serde_json::Value =
        serde_json::from_str(&k.ok(&["status", &cert, "--json"])).unwrap();
    assert_ne!(label["status"], "valid", "{label}");
    assert_eq!(label["covered_versions"], serde_json::json!(["1.0", "1.1"]));
    let old: serde_json::Value =
        serde_json::from_str(&k.ok(&["status", &cert, "--version", "1.0", "--json"])).unwrap();
    assert_eq!(old["reasons"][0]["code"], "install_update", "{old}");
    assert_eq!(old["version"]["install"], "1.1");
    let new: serde_json::Value =
        serde_json::from_str(&k.ok(&["status", &cert, "--version", "1.1", "--json"])).unwrap();
    assert_eq!(new["status"], "valid", "{new}");
    let human = k.ok(&["status", &cert, "--version", "1.0", "--lang", "de"]);
    assert!(human.contains("Installieren Sie das Update 1.1"), "{human}");
    assert!(k
        .fails(&["status", &cert, "--version", " "])
        .contains("version"));
}

#[test]
fn every_roles_workflow() {
    let k = Kit::new();
    k.ok(&[
        "org",
        "bootstrap",
        "--id",
        "enisa",
        "--name",
        "ENISA",
        "--member-state",
        "GR",
    ]);
    k.ok(&[
        "org",
        "create",
        "--as",
        "enisa",
        "--id",
        "nl-rdi",
        "--name",
        "RDI",
        "--role",
        "national_authority",
        "--member-state",
        "NL",
    ]);
    k.ok(&[
        "org",
        "create",
        "--as",
        "enisa",
        "--id",
        "maker",
        "--name",
        "Maker B.V.",
        "--role",
        "manufacturer",
        "--member-state",
        "NL",
    ]);
    k.ok(&[
        "org",
        "create",
        "--as",
        "nl-rdi",
        "--id",
        "lab",
        "--name",
        "Lab B.V.",
        "--role",
        "assessment_body",
        "--member-state",
        "NL",
    ]);
    k.ok(&[
        "org",
        "authorise",
        "--as",
        "nl-rdi",
        "--body",
        "lab",
        "--scheme",
        "eu-iot",
        "--level",
        "substantial",
    ]);
    let p = k.ok(&[
        "product",
        "register",
        "--as",
        "maker",
        "--name",
        "Cosy Cam",
        "--model",
        "CC-1",
        "--category",
        "camera",
        "--gtin",
        "4006381333931",
    ]);
    let p = p.trim();
    let v = k.ok(&[
        "product",
        "add-version",
        "--as",
        "maker",
        "--product",
        p,
        "--version",
        "1.0.0",
        "--released",
        "2026-01-15",
    ]);
    let v = v.trim();
    k.ok(&[
        "product",
        "set-support",
        "--as",
        "maker",
        "--product",
        p,
        "--until",
        "2031-12",
        "--contact",
        "security@maker.example",
    ]);
    k.ok(&[
        "product",
        "add-dependency",
        "--as",
        "maker",
        "--product",
        p,
        "--kind",
        "mobile_app",
        "--provider",
        "Maker",
        "--service",
        "Maker app",
    ]);
    let template = k.ok(&[
        "assessment",
        "template",
        "--scheme",
        "eu-iot",
        "--level",
        "substantial",
    ]);
    std::fs::write(k.path("verdicts.json"), &template).unwrap();

    // Self-assessment at substantial is refused, and nothing is written.
    let before = k.audit_len();
    let err = k.fails(&[
        "assessment",
        "record",
        "--as",
        "maker",
        "--product",
        p,
        "--version",
        v,
        "--scheme",
        "eu-iot",
        "--level",
        "substantial",
        "--verdicts",
        &k.path("verdicts.json"),
    ]);
    assert!(err.contains("does not allow self-assessment"), "{err}");
    assert_eq!(k.audit_len(), before);

    let a = k.ok(&[
        "assessment",
        "record",
        "--as",
        "lab",
        "--product",
        p,
        "--version",
        v,
        "--scheme",
        "eu-iot",
        "--level",
        "substantial",
        "--verdicts",
        &k.path("verdicts.json"),
        "--evidence",
        "report 17",
    ]);
    let a = a.split_whitespace().next().unwrap().to_owned();
    // Every statement is signed (issue 3): the acting organisations and the registry need keys.
    k.ok(&["keys", "create", "--root"]);
    for org in ["lab", "nl-rdi", "maker"] {
        k.ok(&["keys", "create", "--org", org]);
    }
    assert!(k
        .fails(&["certify", "--as", "maker", "--assessment", &a])
        .contains("only the assessor"));
    let cert = k.ok(&["certify", "--as", "lab", "--assessment", &a]);
    let cert = cert.trim();
    let st: serde_json::Value = serde_json::from_str(&k.ok(&["status", cert, "--json"])).unwrap();
    assert_eq!(st["issuer_kind"], "third_party");
    // The app has no certificate: the label asks for attention.
    assert_eq!(st["status"], "attention");
    assert_eq!(st["reasons"][0]["code"], "dependency_uncertified");

    assert!(k
        .fails(&["suspend", "--as", "maker", cert, "--reason", "x"])
        .contains("only the issuer, the national authority"));
    assert!(k
        .ok(&[
            "suspend",
            "--as",
            "nl-rdi",
            cert,
            "--reason-code",
            "complaint_upheld",
            "--reason",
            "klacht wordt onderzocht",
            "--reason-lang",
            "nl"
        ])
        .contains("suspended"));
    // The reason reads in the reader's language; the free text stays as written.
    let nl = k.ok(&["status", cert, "--lang", "nl"]);
    assert!(
        nl.contains("Een klacht over het product is gegrond verklaard.")
            && nl.contains("klacht wordt onderzocht"),
        "{nl}"
    );
    let de: serde_json::Value =
        serde_json::from_str(&k.ok(&["status", cert, "--lang", "de", "--json"])).unwrap();
    assert_eq!(
        de["reasons"][0]["details"]["reason_code"],
        "complaint_upheld"
    );
    assert_eq!(de["reasons"][0]["details"]["reason_lang"], "nl");
    // An unknown or missing code is refused naming the allowed ones, and nothing is written.
    let before = k.audit_len();
    let unknown = k.fails(&["withdraw", "--as", "nl-rdi", cert, "--reason-code", "lost"]);
    assert!(
        unknown.contains("`lost`") && unknown.contains("not_remedied"),
        "{unknown}"
    );
    let missing = k.fails(&["withdraw", "--as", "nl-rdi", cert, "--reason", "gone"]);
    assert!(missing.contains("reason code is required"), "{missing}");
    assert_eq!(k.audit_len(), before);
    // Said once: the error is not followed by its own cause repeating it.
    let again = k.fails(&["suspend", "--as", "lab", cert, "--reason", "again"]);
    assert_eq!(again.matches("cannot suspend").count(), 1, "{again}");
    // A withdrawal has no end date: `--until` is refused, not accepted and ignored.
    let before = k.audit_len();
    let until = k.fails(&[
        "withdraw",
        "--as",
        "nl-rdi",
        cert,
        "--reason",
        "recall",
        "--until",
        "2099-01-31",
    ]);
    assert!(until.contains("only a suspension"), "{until}");
    assert_eq!(k.audit_len(), before);
    k.ok(&[
        "reinstate",
        "--as",
        "lab",
        cert,
        "--reason",
        "complaint unfounded",
    ]);
    k.ok(&[
        "withdraw",
        "--as",
        "lab",
        cert,
        "--reason-code",
        "holder_request",
        "--reason",
        "product discontinued",
    ]);
    assert!(k
        .fails(&["reinstate", "--as", "lab", cert, "--reason", "oops"])
        .contains("withdrawn"));
    let show = k.ok(&["certificate", "show", cert]);
    assert!(
        show.contains("withdrawn") && show.contains("issued"),
        "{show}"
    );
    assert!(k
        .fails(&["audit", "--as", "maker"])
        .contains("only a registry_operator or national_authority"));
    // Every write names the credential: the command line's operating-system user.
    let trail: Vec<serde_json::Value> =
        serde_json::from_str(&k.ok(&["audit", "--as", "enisa", "--limit", "1000", "--json"]))
            .unwrap();
    assert!(!trail.is_empty());
    for r in &trail {
        let c = r["credential"].as_str().unwrap();
        assert!(c.starts_with("cli:") && c.len() > 4, "{r}");
    }
    let text = k.ok(&["audit", "--as", "enisa", "--limit", "3"]);
    assert!(text.contains(" cli:"), "{text}");
}

#[test]
fn bad_input_is_named_and_exits_non_zero() {
    let k = Kit::new();
    k.ok(&[
        "org",
        "bootstrap",
        "--id",
        "enisa",
        "--name",
        "ENISA",
        "--member-state",
        "GR",
    ]);
    let before = k.audit_len();
    assert!(k
        .fails(&[
            "org",
            "create",
            "--as",
            "enisa",
            "--id",
            "Bad Id",
            "--name",
            "x",
            "--role",
            "manufacturer",
            "--member-state",
            "NL"
        ])
        .contains("organisation id"));
    assert!(k
        .fails(&[
            "org",
            "create",
            "--as",
            "enisa",
            "--id",
            "x",
            "--name",
            "x",
            "--role",
            "wizard",
            "--member-state",
            "NL"
        ])
        .contains("unknown organisation role"));
    assert!(k
        .fails(&[
            "product",
            "add-version",
            "--as",
            "enisa",
            "--product",
            "PRD-000001",
            "--version",
            "1",
            "--released",
            "2026-02-30"
        ])
        .contains("not a date"));
    assert!(k
        .fails(&[
            "assessment",
            "template",
            "--scheme",
            "nope",
            "--level",
            "basic"
        ])
        .contains("unknown scheme"));
    // A member state must be an EU/EEA state or a jurisdiction a scheme names.
    let zz = k.fails(&[
        "org",
        "create",
        "--as",
        "enisa",
        "--id",
        "zz-maker",
        "--name",
        "x",
        "--role",
        "manufacturer",
        "--member-state",
        "ZZ",
    ]);
    assert!(zz.contains("`ZZ` is not an EU or EEA member state"), "{zz}");
    assert_eq!(k.audit_len(), before);

    // A broken scheme file is named with its key.
    let dir = k.dir.path().join("schemes");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("x.toml"),
        "id = \"x\"\nversion = \"1\"\ntitel = \"typo\"\n",
    )
    .unwrap();
    let err = k.fails(&["--schemes", &dir.display().to_string(), "scheme", "check"]);
    assert!(err.contains("x.toml") && err.contains("titel"), "{err}");
}

/// Issue 10: an edit of a signed event's stored text, made directly in the database, is reported
/// by `certificate verify` (non-zero, naming certificate and event) and turns the status unknown.
#[test]
fn certificate_verify_names_an_edited_event_and_the_status_turns_unknown() {
    let k = Kit::new();
    k.ok(&["demo"]);
    assert!(k.run(&["certificate", "verify"]).status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (seq, id): (i64, String) = rt.block_on(async {
        let store = keurmerk_store::SqlStore::connect(&format!("sqlite:{}", k.path("k.db")))
            .await
            .unwrap();
        let row: (i64, String) = sqlx::query_as(
            "SELECT seq, certificate_id FROM events WHERE kind = 'suspended' ORDER BY seq LIMIT 1",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "UPDATE events SET payload = REPLACE(payload, '\"reason\":\"', '\"reason\":\"Harmless: ') \
             WHERE seq = $1",
        )
        .bind(row.0)
        .execute(store.pool())
        .await
        .unwrap();
        row
    });
    let out = k.run(&["certificate", "verify"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("{id} event {seq}:")) && stdout.contains("differs"),
        "{stdout}"
    );
    let j: serde_json::Value = serde_json::from_str(&k.ok(&["status", &id, "--json"])).unwrap();
    assert_eq!(j["status"], "unknown", "{j}");
    assert_eq!(j["reasons"][0]["code"], "integrity_problem", "{j}");
    let shown = k.ok(&["certificate", "show", &id]);
    assert!(!shown.contains("Harmless"), "{shown}");
    assert!(shown.contains("Integrity problems"), "{shown}");
}

/// Search documents edited directly in the database (one deleted, one's words rewritten) are
/// reported by `certificate verify` (non-zero, naming both certificates), and `--repair` stores
/// them again: the labels are found by their words again and the check passes.
#[test]
fn certificate_verify_finds_and_repairs_edited_search_documents() {
    use keurmerk_store::search::{query_terms, LabelSearch, SearchStore};
    let k = Kit::new();
    k.ok(&["demo"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("sqlite:{}", k.path("k.db"));
    let search = |text: &str| {
        rt.block_on(async {
            let store = keurmerk_store::SqlStore::connect(&url).await.unwrap();
            let hits = store
                .search_labels(&LabelSearch {
                    terms: query_terms(text).unwrap(),
                    limit: 100,
                    ..LabelSearch::default()
                })
                .await
                .unwrap();
            store.close().await;
            hits.into_iter()
                .map(|h| h.certificate.id.to_string())
                .collect::<Vec<_>>()
        })
    };
    let (gone, forged): (String, String) = rt.block_on(async {
        let store = keurmerk_store::SqlStore::connect(&url).await.unwrap();
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM certificates ORDER BY id LIMIT 2")
                .fetch_all(store.pool())
                .await
                .unwrap();
        sqlx::query("DELETE FROM certificate_fts WHERE certificate_id = $1")
            .bind(&ids[0])
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE certificate_fts SET body = 'forged' WHERE certificate_id = $1")
            .bind(&ids[1])
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
        (ids[0].clone(), ids[1].clone())
    });
    assert!(!search(&gone).contains(&gone));
    assert_eq!(search("forged"), vec![forged.clone()]);
    let out = k.run(&["certificate", "verify"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("{gone}: no search document"))
            && stdout.contains(&format!(
                "{forged}: its search document is not what its rows make"
            ))
            && stdout.contains("2 difference(s)"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("2 search document difference(s)"),
        "{stderr}"
    );
    // The search documents alone: the same findings, without folding every certificate.
    let alone = k.run(&["certificate", "verify", "--search"]);
    assert!(!alone.status.success());
    let stdout = String::from_utf8(alone.stdout).unwrap();
    assert!(
        stdout.contains(&format!("{gone}: no search document"))
            && stdout.contains(&format!("{forged}: its search document"))
            && !stdout.contains("label status read model"),
        "{stdout}"
    );
    let repaired = k.run(&["certificate", "verify", "--repair"]);
    let stdout = String::from_utf8(repaired.stdout).unwrap();
    assert!(stdout.contains("2 certificate(s) stored again"), "{stdout}");
    let again = k.ok(&["certificate", "verify"]);
    assert!(again.contains("every search document is what"), "{again}");
    let alone = k.ok(&["certificate", "verify", "--search"]);
    assert!(alone.contains("0 difference(s)"), "{alone}");
    assert_eq!(search(&gone), vec![gone.clone()]);
    assert_eq!(search(&forged), vec![forged.clone()]);
    assert!(search("forged").is_empty());
}

#[test]
fn recognition_and_market_access_on_the_demo() {
    let k = Kit::new();
    k.ok(&["demo"]);
    let certs: serde_json::Value =
        serde_json::from_str(&k.ok(&["certificate", "list", "--json"])).unwrap();
    let of = |scheme: &str| {
        certs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["scheme"] == scheme)
            .unwrap()
            .clone()
    };
    // The legacy Finnish label, recognised as CLS Level 3, in the documented JSON shape.
    let fi = of("fi-traficom");
    let id = fi["id"].as_str().unwrap();
    let j: serde_json::Value = serde_json::from_str(&k.ok(&[
        "recognition",
        id,
        "--json",
        "--at",
        "2026-12-01",
        "--lang",
        "de",
    ]))
    .unwrap();
    assert_eq!(j["certificate"], id);
    assert_eq!(j["at"], "2026-12-01");
    let l3 = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scheme"] == "sg-cls" && t["level"] == "l3")
        .unwrap();
    assert_eq!(l3["outcome"], "accepted");
    assert_eq!(l3["kind"], "mutual_recognition");
    assert!(l3["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("anerkannt"));
    // Plain text, in French; before the arrangement (October 2021) it was not in force.
    let text = k.ok(&["recognition", id, "--at", "2021-09-30", "--lang", "fr"]);
    assert!(text.contains("sg-cls/l3"), "{text}");
    assert!(text.contains("seulement à partir du 2021-10-01"), "{text}");
    // Market access of the UK PSTI thermostat.
    let psti = of("uk-psti");
    let product = psti["product"].as_str().unwrap();
    let m: serde_json::Value = serde_json::from_str(&k.ok(&[
        "market-access",
        product,
        "--markets",
        "EU,DE,NL,FR,UK,SG,FI,KR,JP",
        "--json",
    ]))
    .unwrap();
    assert_eq!(m["markets"].as_array().unwrap().len(), 9);
    assert_eq!(m["markets"][4]["market"], "GB");
    assert_eq!(m["markets"][4]["mandatory"][0]["satisfied"], "directly");
    let text = k.ok(&["market-access", product, "--markets", "EU,UK"]);
    assert!(text.contains("Plan: assess"), "{text}");
    assert!(text.contains("eu-red-en18031/conformity"), "{text}");
    // Bad input: a clear error and a non-zero exit.
    let e = k.fails(&["market-access", product, "--markets", "EU,ZZ"]);
    assert!(e.contains("ZZ"), "{e}");
    let e = k.fails(&["recognition", id, "--at", "2026-02-30"]);
    assert!(e.contains("2026-02-30"), "{e}");
    let e = k.fails(&["recognition", "KM-2026-999999"]);
    assert!(e.contains("not found"), "{e}");
}

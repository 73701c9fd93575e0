//! `keurmerk complaint list|show|assign|answer|close`: the receiving authority handles a complaint
//! from the command line; everyone else is refused with a clear message and a non-zero exit, and
//! nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;
use std::sync::Arc;

use keurmerk_domain::scheme::{Catalogue, SHIPPED};
use keurmerk_service::{Registry, SystemClock};
use keurmerk_store::{CertificateFilter, SqlStore};

struct Kit {
    dir: tempfile::TempDir,
}

impl Kit {
    fn db(&self) -> String {
        format!("sqlite:{}", self.dir.path().join("k.db").display())
    }

    fn run(&self, args: &[&str]) -> Output {
        common::keurmerk(self.dir.path())
            .args(["--db", &self.db()])
            .args(args)
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
}

/// Files a complaint as the public form does, about a label with a receiving authority:
/// (complaint id, authority, reference).
fn file_one(k: &Kit) -> (String, String, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SqlStore::connect(&k.db()).await.unwrap();
        let reg = Registry::new(
            store.clone(),
            Arc::new(Catalogue::from_files(SHIPPED).unwrap()),
            Arc::new(SystemClock),
        );
        let cert = reg
            .certificates(&CertificateFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.authority.is_some())
            .unwrap();
        let f = reg
            .file_complaint(
                &cert.id,
                Some("someone@example.org".into()),
                "The camera has no password.\u{1b}[2J",
                None,
            )
            .await
            .map(Some)
            .or_else(|e| match e {
                // Control characters are refused: file a plain one instead.
                keurmerk_service::ServiceError::Invalid { .. } => Ok(None),
                e => Err(e),
            })
            .unwrap();
        assert!(f.is_none(), "an escape sequence was accepted");
        let f = reg
            .file_complaint(
                &cert.id,
                Some("someone@example.org".into()),
                "The camera has no password.",
                None,
            )
            .await
            .unwrap();
        store.close().await;
        (
            f.complaint.id.to_string(),
            cert.authority.unwrap().to_string(),
            f.reference,
        )
    })
}

#[test]
fn the_receiving_authority_handles_a_complaint_from_the_command_line() {
    let k = Kit {
        dir: tempfile::tempdir().unwrap(),
    };
    k.ok(&["demo"]);
    let (id, authority, _reference) = file_one(&k);
    let other = if authority == "nl-rdi" {
        "de-bsi"
    } else {
        "nl-rdi"
    };

    let list = k.ok(&["complaint", "list", "--as", &authority]);
    assert!(list.contains(&id) && list.contains("received"), "{list}");
    let shown = k.ok(&["complaint", "show", "--as", &authority, &id]);
    assert!(shown.contains("someone@example.org"), "{shown}");
    assert!(shown.contains("The camera has no password."), "{shown}");
    // The operator reads it without the address; another authority and a maker do not read it.
    let op: serde_json::Value =
        serde_json::from_str(&k.ok(&["complaint", "show", "--as", "enisa", &id, "--json"]))
            .unwrap();
    assert_eq!(op["contact"], serde_json::Value::Null);
    assert_eq!(op["state"], "received");
    for who in [other, "brightcam"] {
        let err = k.fails(&["complaint", "show", "--as", who, &id]);
        assert!(err.contains("not allowed"), "{who}: {err}");
    }
    assert!(k
        .fails(&["complaint", "list", "--as", "brightcam"])
        .contains("not allowed"));

    // Refusals write nothing: the wrong organisation, a wrong step, bad input.
    let before = k.audit_len();
    for (args, says) in [
        (
            vec!["complaint", "assign", "--as", other, &id, "--to", "X"],
            "another authority",
        ),
        (
            vec!["complaint", "assign", "--as", "enisa", &id, "--to", "X"],
            "not allowed",
        ),
        (
            vec![
                "complaint",
                "answer",
                "--as",
                &authority,
                &id,
                "--text",
                "Early",
            ],
            "assign it to a person first",
        ),
        (
            vec![
                "complaint",
                "close",
                "--as",
                &authority,
                &id,
                "--outcome",
                "upheld",
            ],
            "answer first",
        ),
        (
            vec![
                "complaint",
                "close",
                "--as",
                &authority,
                &id,
                "--outcome",
                "maybe",
            ],
            "maybe",
        ),
        (
            vec!["complaint", "assign", "--as", &authority, &id, "--to", ""],
            "assignee",
        ),
        (
            vec!["complaint", "show", "--as", &authority, "CMP-999999"],
            "not found",
        ),
    ] {
        let err = k.fails(&args);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(k.audit_len(), before);

    // The whole way: assign, answer (from a file), close; each step audited.
    assert!(k
        .ok(&[
            "complaint",
            "assign",
            "--as",
            &authority,
            &id,
            "--to",
            "J. Jansen"
        ])
        .contains("assigned"));
    let answer = k.dir.path().join("answer.txt");
    std::fs::write(&answer, "We asked the maker to fix it.\nThank you.").unwrap();
    assert!(k
        .ok(&[
            "complaint",
            "answer",
            "--as",
            &authority,
            &id,
            "--file",
            answer.to_str().unwrap(),
            "--lang",
            "en"
        ])
        .contains("answered"));
    assert!(k
        .ok(&[
            "complaint",
            "close",
            "--as",
            &authority,
            &id,
            "--outcome",
            "upheld"
        ])
        .contains("closed"));
    assert_eq!(k.audit_len(), before + 3);
    let shown = k.ok(&["complaint", "show", "--as", &authority, &id]);
    assert!(!shown.contains("someone@example.org"), "erased: {shown}");
    assert!(shown.contains("We asked the maker to fix it."), "{shown}");
    assert!(
        shown.contains("Answer (en):"),
        "the stated language: {shown}"
    );
    assert!(shown.contains("upheld"), "{shown}");
    let err = k.fails(&["complaint", "assign", "--as", &authority, &id, "--to", "X"]);
    assert!(err.contains("closed"), "{err}");
}

#[test]
fn an_answer_in_an_unsupported_language_is_refused() {
    let k = Kit {
        dir: tempfile::tempdir().unwrap(),
    };
    k.ok(&["demo"]);
    let (id, authority, _) = file_one(&k);
    k.ok(&[
        "complaint",
        "assign",
        "--as",
        &authority,
        &id,
        "--to",
        "J. Jansen",
    ]);
    let before = k.audit_len();
    let err = k.fails(&[
        "complaint",
        "answer",
        "--as",
        &authority,
        &id,
        "--text",
        "Hola",
        "--lang",
        "es",
    ]);
    assert!(err.contains("es"), "{err}");
    assert_eq!(k.audit_len(), before);
}

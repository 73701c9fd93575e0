//! The worked examples of `docs/FORMATS.md`, read from the document and checked against the code,
//! so the document cannot drift from what the code signs and verifies.

use crate::fixture::*;
use crate::statement::stmt;
use keurmerk_trust::*;

const DOC: &str = include_str!("../../../../docs/FORMATS.md");

/// The status response of the worked example (§7).
pub fn example_status() -> StatusResponse {
    let mut r = crate::status::resp(CertStatus::Valid);
    r.reasons = vec![];
    r
}

/// A token for the worked example's certificate id claiming level `basic`, signed by the same
/// assessment body, whose authorisation covers `basic`: authentic offline, rejected online.
pub fn forged_level_url(f: &Fx) -> String {
    let mut c = claims();
    c.level = "basic".into();
    label_url(BASE, &c, &f.cab).unwrap()
}

/// The body of the code block that follows `<!-- example: NAME -->` in the document.
fn example(name: &str) -> &'static str {
    let marker = format!("<!-- example: {name} -->");
    let at = DOC
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/FORMATS.md has no {marker}"));
    let rest = &DOC[at + marker.len()..];
    let open = rest.find("```").expect("a code block after the marker");
    let body = &rest[open..];
    let start = body.find('\n').expect("code fence line") + 1;
    let end = body[start..].find("\n```").expect("closing fence");
    &body[start..start + end]
}

#[test]
fn documented_examples_are_what_the_code_produces() {
    let f = fx();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    assert_eq!(example("trust-list"), text(f.signed_list.clone()));
    assert_eq!(
        example("statement"),
        text(
            sign_statement(
                &stmt(&f.cab, StatementKind::CertificateIssued, at(2026, 2, 1)),
                &f.cab
            )
            .unwrap()
        )
    );
    assert_eq!(
        example("label-url"),
        label_url(BASE, &claims(), &f.cab).unwrap()
    );
    assert_eq!(
        example("status"),
        text(example_status().sign(&f.registry).unwrap())
    );
    assert_eq!(example("forged-level-url"), forged_level_url(&f));
    assert_eq!(example("root-key"), f.root.public_key().to_base64());
}

/// Follows the document as an independent verifier would: everything comes from the document.
#[test]
fn documented_examples_verify_as_documented() {
    let now = at(2026, 6, 1);
    let root = PublicKey::from_base64(example("root-key")).unwrap();
    let list = TrustList::verify(example("trust-list").as_bytes(), &root).unwrap();
    assert!(list
        .keys
        .iter()
        .flat_map(|k| &k.scope)
        .all(|g| g.scheme != "*" && g.levels.iter().all(|l| l != "*")));
    let label = verify_label_input(example("label-url"), &list, now).unwrap();
    let status =
        StatusResponse::verify(example("status").as_bytes(), &list, "KM-2026-000123", now).unwrap();
    assert_eq!(status.response.check_label(&label), Ok(()));
    assert_eq!(status.response.verdict(now), ClientVerdict::Valid);
    // The forged level is authentic offline (the body may sign `basic`)…
    let forged = verify_label_input(example("forged-level-url"), &list, now).unwrap();
    assert_eq!(forged.claims.level, "basic");
    // …and rejected online: the registry's signed record says `substantial`.
    assert!(matches!(
        status.response.check_label(&forged),
        Err(TrustError::ClaimsMismatch { field: "level", .. })
    ));
    assert!(verify_statement(example("statement").as_bytes(), &list, now).is_ok());
}

//! `keurmerk cra list|show|edit|submit|export` on the demo's doorbell (an actively exploited
//! critical problem in 1.0, fixed in 1.1): the holder sees its clocks, edits, submits and
//! exports a report whose bytes hash to the digest in the signed event; the supervising
//! authority reads it; another maker is refused and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ok, run};
use sha2::Digest;

#[test]
fn the_holder_reports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo"]);
    let list: serde_json::Value =
        serde_json::from_str(&ok(d, &["cra", "list", "--as", "brightcam", "--json"])).unwrap();
    let case = &list[0];
    let cert = case["certificate"].as_str().unwrap().to_owned();
    let v = case["vulnerability"].as_str().unwrap().to_owned();
    let authority = case["authority"].as_str().unwrap().to_owned();
    let text = ok(d, &["cra", "list", "--as", "brightcam"]);
    assert!(
        text.contains("early_warning") && text.contains("final_report") && text.contains(&v),
        "{text}"
    );

    // Another maker and a lab are refused; nothing is written.
    for who in ["holland-home", "delta-testlab"] {
        let out = run(d, &["cra", "show", "--as", who, &cert, &v, "early_warning"]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not allowed"),
            "{who}"
        );
    }
    let out = run(
        d,
        &[
            "cra",
            "submit",
            "--as",
            &authority,
            &cert,
            &v,
            "early_warning",
        ],
    );
    assert!(!out.status.success(), "the authority does not submit");

    // Incomplete: refused naming the field.
    let out = run(
        d,
        &[
            "cra",
            "submit",
            "--as",
            "brightcam",
            &cert,
            &v,
            "notification",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nature"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = ok(
        d,
        &[
            "cra",
            "edit",
            "--as",
            "brightcam",
            &cert,
            &v,
            "notification",
            "--member-states",
            "NL,DE",
            "--nature",
            "Remote code injection through a logged header",
            "--measures-taken",
            "log4j-core 2.17.1 in version 1.1",
            "--user-measures",
            "Install 1.1",
            "--sensitivity",
            "TLP:AMBER",
        ],
    );
    assert!(shown.contains("NL, DE"), "{shown}");
    let sent = ok(
        d,
        &[
            "cra",
            "submit",
            "--as",
            "brightcam",
            &cert,
            &v,
            "notification",
        ],
    );
    assert!(sent.contains("submitted"), "{sent}");
    let file = d.join("report.json");
    ok(
        d,
        &[
            "cra",
            "export",
            "--as",
            &authority,
            &cert,
            &v,
            "notification",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&file).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&ok(
        d,
        &[
            "cra",
            "show",
            "--as",
            &authority,
            &cert,
            &v,
            "notification",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(shown["submitted"], true);
    assert_eq!(
        shown["sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    // The forecast of the certificate names any CRA deadline still to pass.
    let f = ok(d, &["forecast", &cert, "--json"]);
    assert!(f.contains("\"actions\""), "{f}");
}

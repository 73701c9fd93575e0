//! `keurmerk product set-image PRODUCT FILE` / `clear-image`: only the product's maker sets its
//! image; a file that is not a real PNG or JPEG within the limits is refused naming what is
//! wrong, with a non-zero exit, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

struct Kit {
    dir: tempfile::TempDir,
}

impl Kit {
    fn run(&self, args: &[&str]) -> Output {
        let db = format!("sqlite:{}", self.dir.path().join("k.db").display());
        common::keurmerk(self.dir.path())
            .args(["--db", &db])
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
}

#[test]
fn only_the_maker_sets_a_checked_image() {
    let k = Kit {
        dir: tempfile::tempdir().unwrap(),
    };
    k.ok(&["demo"]);
    let list: serde_json::Value =
        serde_json::from_str(&k.ok(&["product", "list", "--search", "HHR-N600", "--json"]))
            .unwrap();
    let product = list[0]["id"].as_str().unwrap().to_owned();
    let png = k.dir.path().join("router.png");
    std::fs::write(
        &png,
        include_bytes!("../../keurmerk-service/demo-assets/router.png"),
    )
    .unwrap();
    let gif = k.dir.path().join("x.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00").unwrap();
    let (png, gif) = (png.to_str().unwrap(), gif.to_str().unwrap());

    let err = k.fails(&["product", "set-image", "--as", "brightcam", &product, png]);
    assert!(err.contains("belongs to holland-home"), "{err}");
    let err = k.fails(&[
        "product",
        "set-image",
        "--as",
        "holland-home",
        &product,
        gif,
    ]);
    assert!(err.contains("not a PNG or a JPEG"), "{err}");
    let err = k.fails(&["product", "clear-image", "--as", "holland-home", &product]);
    assert!(err.contains("not found"), "no image yet: {err}");

    let out = k.ok(&[
        "product",
        "set-image",
        "--as",
        "holland-home",
        &product,
        png,
    ]);
    assert!(out.contains("image/png 96x96 at /images/"), "{out}");
    let out = k.ok(&["product", "clear-image", "--as", "holland-home", &product]);
    assert!(out.contains("image removed"), "{out}");
}

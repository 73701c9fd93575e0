//! Write sample labels (SVG and PNG, both issuer kinds, all languages) into a directory:
//! `cargo run -p keurmerk-label --example sample -- /tmp/labels`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use keurmerk_label::*;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    for (kind, stars, tag, not_valid) in [
        (IssuerKind::ThirdParty, Some(3), "tested", None),
        (IssuerKind::SelfDeclared, None, "self", None),
        (
            IssuerKind::ThirdParty,
            Some(3),
            "withdrawn",
            Some("withdrawn"),
        ),
    ] {
        let input = LabelInput {
            scheme_id: "sg-cls".into(),
            scheme_name: "Singapore Cybersecurity Labelling Scheme".into(),
            level_id: "3".into(),
            level_name: "Level 3".into(),
            stars,
            issuer_kind: kind,
            issuer_name: if kind == IssuerKind::ThirdParty {
                "TÜV Example Prüflabor".into()
            } else {
                "Acme Devices B.V.".into()
            },
            support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
            certificate_id: "KM-2026-000123".into(),
            qr_url: "https://keurmerk.example.eu/c/KM-2026-000123#AQG2LoZ_ovM6".into(),
            product_name: "Acme SmartCam Pro SC-4000".into(),
            design: Design::Stars,
            not_valid: not_valid.map(str::to_owned),
        };
        for lang in Lang::ALL {
            let base = format!("{dir}/label-{tag}-{}", lang.code());
            std::fs::write(format!("{base}.svg"), render_svg(&input, lang).unwrap()).unwrap();
            std::fs::write(
                format!("{base}.png"),
                render_png(&input, lang, 1.0).unwrap(),
            )
            .unwrap();
        }
    }
}

//! Rough profile helper: `cargo run --release -p keurmerk-label --example timing`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use keurmerk_label::*;
fn main() {
    let input = LabelInput {
        scheme_id: "eu-iot-baseline".into(),
        scheme_name: "EU Cybersecurity Label – Consumer IoT".into(),
        level_id: "substantial".into(),
        level_name: "Substantial".into(),
        stars: None,
        issuer_kind: IssuerKind::ThirdParty,
        issuer_name: "TÜV Example Prüflabor GmbH".into(),
        support_until: chrono::NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
        certificate_id: "KM-2026-000123".into(),
        qr_url: format!(
            "https://keurmerk.example.eu/c/KM-2026-000123#{}",
            "A".repeat(250)
        ),
        product_name: "Acme SmartCam Pro SC-4000".into(),
        design: Design::Eu,
        not_valid: None,
    };
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        std::hint::black_box(render_svg(&input, Lang::De).unwrap());
    }
    println!("render_svg: {:?}/label", t.elapsed() / 2000);
}

//! Label rendering throughput (QR encoding included).
//! `cargo bench -p keurmerk-label --bench render -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use keurmerk_label::*;

fn bench(c: &mut Criterion) {
    let input = LabelInput {
        scheme_id: "eu-iot-baseline".into(),
        scheme_name: "EU Cybersecurity Label – Consumer IoT".into(),
        level_id: "substantial".into(),
        level_name: "Substantial".into(),
        stars: None,
        issuer_kind: IssuerKind::ThirdParty,
        issuer_name: "TÜV Example Prüflabor GmbH".into(),
        support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
        certificate_id: "KM-2026-000123".into(),
        // A realistic 295-byte label URL.
        qr_url: format!(
            "https://keurmerk.example.eu/c/KM-2026-000123#{}",
            "A".repeat(250)
        ),
        product_name: "Acme SmartCam Pro SC-4000".into(),
        design: Design::Eu,
        not_valid: None,
    };
    let mut g = c.benchmark_group("label");
    g.throughput(Throughput::Elements(1));
    g.bench_function("render_svg", |b| {
        b.iter(|| render_svg(black_box(&input), Lang::De).unwrap())
    });
    g.sample_size(10);
    g.bench_function("render_png_scale1", |b| {
        b.iter(|| render_png(black_box(&input), Lang::De, 1.0).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

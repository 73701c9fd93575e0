//! The recognition report for every certificate of a 100,000-certificate registry (issue 11:
//! at most 2 s on one core). The inputs (certificates over every shipped scheme level, with
//! verdicts for each level's requirements, some failed or not applicable, over every product
//! category) are generated in memory before measuring; one iteration computes all 100,000
//! reports on one thread.
//!
//!     cargo bench --workspace --bench recognition
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{LevelId, SchemeId};
use keurmerk_domain::model::{Category, Verdict};
use keurmerk_domain::recognition::{CertificateFacts, RecognitionIndex};
use keurmerk_domain::scheme::{Catalogue, SHIPPED};

const CERTIFICATES: usize = 100_000;

struct Input {
    id: String,
    scheme: SchemeId,
    level: LevelId,
    category: Category,
    verdicts: BTreeMap<String, Verdict>,
}

fn inputs(catalogue: &Catalogue) -> Vec<Input> {
    let levels: Vec<(SchemeId, LevelId)> = catalogue
        .iter()
        .flat_map(|s| s.levels.iter().map(|l| (s.id.clone(), l.id.clone())))
        .collect();
    // A small deterministic generator: the same registry every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..CERTIFICATES)
        .map(|i| {
            let (scheme, level) = levels[i % levels.len()].clone();
            let s = catalogue.get(&scheme).unwrap();
            let verdicts = s
                .required_at(s.level(&level).unwrap())
                .into_iter()
                .map(|r| {
                    let v = match next() % 20 {
                        0 => Verdict::Fail { note: None },
                        1 if r.conditional => Verdict::NotApplicable {
                            justification: "no such feature".into(),
                        },
                        _ => Verdict::Pass,
                    };
                    (r.id.clone(), v)
                })
                .collect();
            Input {
                id: format!("KM-BENCH-{i:06}"),
                scheme,
                level,
                category: Category::ALL[(next() as usize) % Category::ALL.len()],
                verdicts,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let catalogue = Catalogue::from_files(SHIPPED).unwrap();
    let index = RecognitionIndex::new(&catalogue).unwrap();
    let certs = inputs(&catalogue);
    let at = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut g = c.benchmark_group("recognition");
    g.sample_size(10);
    g.bench_function("report_100k", |b| {
        b.iter(|| {
            let mut accepted = 0usize;
            for cert in &certs {
                let r = index.report(
                    &CertificateFacts {
                        id: &cert.id,
                        scheme: &cert.scheme,
                        level: &cert.level,
                        category: cert.category,
                        verdicts: &cert.verdicts,
                    },
                    black_box(at),
                );
                accepted += r.accepted().count();
            }
            black_box(accepted)
        });
    });
    g.bench_function("report_json_100k", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for cert in &certs {
                let r = index.report(
                    &CertificateFacts {
                        id: &cert.id,
                        scheme: &cert.scheme,
                        level: &cert.level,
                        category: cert.category,
                        verdicts: &cert.verdicts,
                    },
                    black_box(at),
                );
                bytes += serde_json::to_vec(&r.to_json(Lang::En)).unwrap().len();
            }
            black_box(bytes)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

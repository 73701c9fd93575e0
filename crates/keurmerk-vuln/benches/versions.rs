//! Version comparison throughput per ecosystem, `vers` containment, and OSV `affects` evaluation.
//!
//! `cargo bench -p keurmerk-vuln --bench versions -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use keurmerk_vuln::osv::Osv;
use keurmerk_vuln::vers::VersionRange;
use keurmerk_vuln::version::{compare, Ecosystem, Version};

/// Ten realistic versions per ecosystem; every pair is compared.
fn samples(eco: Ecosystem) -> &'static [&'static str] {
    match eco {
        Ecosystem::Npm | Ecosystem::Cargo | Ecosystem::SemVer => &[
            "1.0.0",
            "1.0.0-alpha.1",
            "1.0.0-rc.1",
            "1.2.3",
            "1.10.0",
            "2.0.0-beta.11",
            "0.9.12",
            "3.4.5+build.7",
            "10.0.0",
            "1.2.4",
        ],
        Ecosystem::Go => &[
            "v1.0.0",
            "v0.0.0-20191109021931-daa7c04131f5",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.3",
            "v2.0.0+incompatible",
            "v0.3.7",
            "v1.20.7",
            "v1.19.6",
            "v0.10.0",
            "v1.0.0-rc.2",
        ],
        Ecosystem::PyPI => &[
            "1.0",
            "1.0a1",
            "1.0.post1",
            "1.0.dev3",
            "2!1.0",
            "1.0+local.7",
            "2.28.1",
            "1.0rc2",
            "0.9.12",
            "3.11.4",
        ],
        Ecosystem::Maven => &[
            "1.0",
            "1.0-SNAPSHOT",
            "1.0-alpha-1",
            "2.14.1",
            "2.0-beta9",
            "1.0.0.RELEASE",
            "5.3.18",
            "1.0-sp1",
            "3.2.1-jre",
            "31.1-android",
        ],
        Ecosystem::Debian => &[
            "1.0-1",
            "1:2.4.47-2",
            "1.0~rc1-1",
            "7.74.0-1.3+deb11u7",
            "2.30-1ubuntu0.1",
            "1.1.1n-0+deb11u4",
            "3.0.11-1~deb12u2",
            "0.9.8-5",
            "2.36.1-8",
            "1.2.13.dfsg-1",
        ],
        Ecosystem::Rpm => &[
            "1.0-1",
            "1:1.1.1k-7.el8_6",
            "2.28-211.el8",
            "1.0~rc1-1",
            "7.61.1-22.el8_6.4",
            "3.0.7-16.el9_2",
            "4.18.0-425.3.1.el8",
            "1.0^git1-1",
            "0.9.8-5.fc36",
            "2.9.1-1.el9",
        ],
        Ecosystem::Alpine => &[
            "1.0-r0",
            "1.36.1-r2",
            "3.0.8-r3",
            "1.0_rc1-r0",
            "2.4.47_p1-r1",
            "8.2.0015-r0",
            "1.2.13-r1",
            "0.9.8_git20200101-r0",
            "3.1.4-r5",
            "10.42-r0",
        ],
        Ecosystem::NuGet => &[
            "1.0.0",
            "12.0.1",
            "6.0.1304",
            "1.0.0-beta.2",
            "4.7.2",
            "2.0.0.1",
            "13.0.3",
            "1.0",
            "5.0.0-rc.1",
            "3.1.10",
        ],
        Ecosystem::RubyGems => &[
            "1.0",
            "6.0.3.4",
            "1.0.rc1",
            "7.0.0.alpha2",
            "2.5.1",
            "1.13.10",
            "0.9",
            "3.2.0",
            "1.0.a",
            "2.0.0-pre",
        ],
        Ecosystem::Packagist => &[
            "v1.0.0",
            "5.4.3",
            "1.0.0-RC1",
            "2.0.0-beta.3",
            "4.4.49",
            "1.0.0-p1",
            "6.2",
            "3.4.0-dev",
            "v2.1.0",
            "7.0.1",
        ],
        _ => &[
            "1.0",
            "1.0.1",
            "2.4.1rc1",
            "1.1.1w",
            "3.0.0-beta",
            "7.88.1",
            "10.2",
            "0.9.8zh",
            "1.2",
            "2.0",
        ],
    }
}

fn bench_compare(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare_str");
    for eco in Ecosystem::ALL {
        let vs = samples(eco);
        group.throughput(Throughput::Elements((vs.len() * vs.len()) as u64));
        group.bench_function(eco.to_string(), |b| {
            b.iter(|| {
                for x in vs {
                    for y in vs {
                        black_box(compare(eco, x, y).unwrap());
                    }
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("compare_parsed");
    for eco in Ecosystem::ALL {
        let parsed: Vec<Version> = samples(eco)
            .iter()
            .map(|v| Version::parse(eco, v).unwrap())
            .collect();
        group.throughput(Throughput::Elements((parsed.len() * parsed.len()) as u64));
        group.bench_function(eco.to_string(), |b| {
            b.iter(|| {
                for x in &parsed {
                    for y in &parsed {
                        black_box(x.try_cmp(y).unwrap());
                    }
                }
            })
        });
    }
    group.finish();
}

fn bench_vers(c: &mut Criterion) {
    let range = VersionRange::parse(
        "vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1",
    )
    .unwrap();
    c.bench_function("vers_contains_maven_8", |b| {
        b.iter(|| black_box(range.contains(black_box("7.0.5")).unwrap()))
    });
    c.bench_function("vers_parse_maven_8", |b| {
        b.iter(|| {
            black_box(VersionRange::parse(black_box(
                "vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1",
            )))
        })
    });
}

fn bench_affects(c: &mut Criterion) {
    let json = include_str!("../tests/fixtures/osv/GO-2022-0354.json");
    let osv = Osv::from_json(json).unwrap();
    let affected = &osv.affected[0];
    let compiled = affected.compile().unwrap();
    c.bench_function("osv_affects_go_5_branches", |b| {
        b.iter(|| black_box(affected.affects(black_box("v1.21.5")).unwrap()))
    });
    c.bench_function("osv_affects_compiled_go_5_branches", |b| {
        b.iter(|| black_box(compiled.affects(black_box("v1.21.5")).unwrap()))
    });
    c.bench_function("osv_from_json_go", |b| {
        b.iter(|| black_box(Osv::from_json(black_box(json)).unwrap()))
    });
}

criterion_group!(benches, bench_compare, bench_vers, bench_affects);
criterion_main!(benches);

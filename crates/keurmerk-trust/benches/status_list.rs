//! Building the registry's Token Status List for 1,000,000 certificates: packing 2-bit statuses
//! and ZLIB-compressing them (best compression) into `lst`, then signing the token; the sizes are
//! printed once per mix (and the token's size gzip-compressed, as the endpoint sends it to a
//! client accepting gzip).
//!
//! `cargo bench --workspace --bench status_list -- --warm-up-time 1 --measurement-time 10`
//!
//! Mixes: `realistic` (97 % valid, 1 % invalid, 1 % suspended, 1 % attention, placed at random)
//! and `worst` (every entry uniformly random among the four values: incompressible, 2 bits each).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keurmerk_trust::*;

const N: u64 = 1_000_000;

/// xorshift64*: deterministic, dependency-free randomness for the placement of statuses.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn statuses(mix: &str) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..N)
        .map(|_| {
            let r = rng.next_u64() % 100;
            match mix {
                "realistic" => match r {
                    0 => STATUS_INVALID,
                    1 => STATUS_SUSPENDED,
                    2 => STATUS_ATTENTION,
                    _ => STATUS_VALID,
                },
                _ => (rng.next_u64() % 4) as u8,
            }
        })
        .collect()
}

fn build(values: &[u8]) -> StatusList {
    let mut l = StatusList::new(STATUS_LIST_BITS, values.len() as u64).unwrap();
    for (i, v) in values.iter().enumerate() {
        l.set(i as u64, *v).unwrap();
    }
    l
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_seed(&[1; 32]);
    let iat = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
    let sub = "https://keurmerk.example.eu/api/v1/status-list";
    let mut g = c.benchmark_group("status_list_1m");
    g.sample_size(10);
    for mix in ["realistic", "worst"] {
        let values = statuses(mix);
        let token = status_list_token(
            &build(&values),
            sub,
            iat,
            iat + Duration::hours(2),
            3600,
            &key,
        )
        .unwrap();
        let lst = build(&values).encode_lst();
        // As `GET /api/v1/status-list` sends it to a client accepting gzip.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, token.as_bytes()).unwrap();
        let gzipped = gz.finish().unwrap().len();
        eprintln!(
            "status list of {N} ({mix}): packed {} bytes, lst {} characters, token {} bytes, gzip {} bytes",
            N / 4,
            lst.len(),
            token.len(),
            gzipped
        );
        g.bench_function(format!("build_and_sign/{mix}"), |b| {
            b.iter(|| {
                let l = build(black_box(&values));
                status_list_token(&l, sub, iat, iat + Duration::hours(2), 3600, &key).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

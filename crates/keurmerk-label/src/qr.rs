//! QR encoding with fast mask selection.
//!
//! `qrcode`'s `apply_best_mask` scores the eight masks with allocation-heavy code that took about
//! 90 % of label rendering time. For symbols up to 125 modules wide (every label URL: ≤ 300 bytes
//! needs version 13 at level M, 69 modules) we build the same symbol from `qrcode`'s public
//! building blocks and score the masks with the ISO/IEC 18004 §7.8.3 penalty rules on 128-bit
//! row and column bitsets. Any mask yields a valid symbol; the score only affects how easy it is
//! to scan. The format-information modules are scored unmasked (they are the same few modules
//! for every mask). Larger symbols use `qrcode`'s own selection.

// Grid code reads best with explicit coordinates.
#![allow(clippy::needless_range_loop)]

use qrcode::canvas::{is_functional, Canvas, MaskPattern};
use qrcode::{bits, ec, Color, EcLevel, QrCode, Version};
use std::sync::OnceLock;

use crate::LabelError;

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The mask formulas of ISO/IEC 18004 Table 10, in the order of [`MASKS`].
fn mask_bit(mask: usize, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (x + y) % 3 == 0,
        4 => (y / 2 + x / 3) % 2 == 0,
        5 => (x * y) % 2 + (x * y) % 3 == 0,
        6 => ((x * y) % 2 + (x * y) % 3) % 2 == 0,
        _ => ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    }
}

/// Every mask formula is periodic with period 12 in each coordinate. `patterns()[m][0][r]` is the
/// row pattern of mask `m` for rows `y ≡ r (mod 12)` (bit x set where the mask inverts), and
/// `[m][1][r]` the column pattern for columns `x ≡ r (mod 12)`.
fn patterns() -> &'static [[[u128; 12]; 2]; 8] {
    static P: OnceLock<[[[u128; 12]; 2]; 8]> = OnceLock::new();
    P.get_or_init(|| {
        let mut p = [[[0u128; 12]; 2]; 8];
        for (m, pm) in p.iter_mut().enumerate() {
            for r in 0..12 {
                for i in 0..128 {
                    if mask_bit(m, i, r) {
                        pm[0][r] |= 1 << i;
                    }
                    if mask_bit(m, r, i) {
                        pm[1][r] |= 1 << i;
                    }
                }
            }
        }
        p
    })
}

/// Data-module positions (not finder, timing, alignment, format or version modules) of a
/// version as row and column bitsets; computed once per version.
fn data_modules(version: Version, n: usize) -> &'static (Vec<u128>, Vec<u128>) {
    static CACHE: [OnceLock<(Vec<u128>, Vec<u128>)>; 28] = [const { OnceLock::new() }; 28];
    let index = match version {
        Version::Normal(v) => usize::try_from(v).unwrap_or(0).min(27),
        Version::Micro(_) => 0,
    };
    CACHE[index].get_or_init(|| {
        let (mut rows, mut cols) = (vec![0u128; n], vec![0u128; n]);
        let width = version.width();
        for y in 0..n {
            for x in 0..n {
                // n <= 125, so the casts are lossless.
                if !is_functional(version, width, x as i16, y as i16) {
                    rows[y] |= 1 << x;
                    cols[x] |= 1 << y;
                }
            }
        }
        (rows, cols)
    })
}

/// Encode `data` (error correction level M, smallest version) into dark/light modules, row-major;
/// returns the modules and the side length.
pub(crate) fn encode(data: &[u8]) -> Result<(Vec<bool>, usize), LabelError> {
    let qr_err = |e: qrcode::types::QrError| LabelError::Qr(e.to_string());
    let level = EcLevel::M;
    let bits = bits::encode_auto(data, level).map_err(qr_err)?;
    let version = bits.version();
    let width = version.width();
    let n = usize::try_from(width).unwrap_or(0);
    if n == 0 || n > 125 {
        let code = QrCode::with_error_correction_level(data, level).map_err(qr_err)?;
        let modules = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        return Ok((modules, code.width()));
    }
    let (words, ecc) =
        ec::construct_codewords(&bits.into_bytes(), version, level).map_err(qr_err)?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&words, &ecc);
    let base: Vec<bool> = canvas
        .clone()
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    // Unmasked modules as row and column bitsets; width is at most 125 here, so every line fits
    // in a u128.
    let (mut base_rows, mut base_cols) = (vec![0u128; n], vec![0u128; n]);
    for (i, _) in base.iter().enumerate().filter(|(_, dark)| **dark) {
        let (x, y) = (i % n, i / n);
        base_rows[y] |= 1 << x;
        base_cols[x] |= 1 << y;
    }
    let (data_rows, data_cols) = data_modules(version, n);
    let patterns = patterns();
    let mut best = (u32::MAX, 0);
    let (mut rows, mut cols) = (vec![0u128; n], vec![0u128; n]);
    for mask in 0..MASKS.len() {
        for i in 0..n {
            rows[i] = base_rows[i] ^ (data_rows[i] & patterns[mask][0][i % 12]);
            cols[i] = base_cols[i] ^ (data_cols[i] & patterns[mask][1][i % 12]);
        }
        let score = penalty(&rows, &cols, n);
        if score < best.0 {
            best = (score, mask);
        }
    }
    canvas.apply_mask(MASKS[best.1]);
    Ok((
        canvas
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
        n,
    ))
}

/// ISO/IEC 18004 penalty score over bitset rows and columns (bit i = module i, 1 = dark):
/// N1 = 3 (runs of five or more), N2 = 3 (2×2 blocks), N3 = 40 (1:1:3:1:1 finder-like patterns
/// with four light modules on one side), N4 = 10 (dark/light balance).
fn penalty(rows: &[u128], cols: &[u128], n: usize) -> u32 {
    let full = (1u128 << n) - 1;
    let mut score = 0;
    for &dark in rows.iter().chain(cols) {
        let light = !dark & full;
        for c in [dark, light] {
            let five = c & c >> 1 & c >> 2 & c >> 3 & c >> 4;
            let starts = five & !(c << 1);
            score += five.count_ones() + 2 * starts.count_ones();
        }
        const FINDER: [bool; 11] = [
            true, false, true, true, true, false, true, false, false, false, false,
        ];
        let fits = (1u128 << (n - 10)) - 1;
        let (mut fwd, mut rev) = (fits, fits);
        for k in 0..11 {
            fwd &= if FINDER[k] { dark >> k } else { light >> k };
            rev &= if FINDER[10 - k] {
                dark >> k
            } else {
                light >> k
            };
        }
        score += 40 * (fwd.count_ones() + rev.count_ones());
    }
    let inner = (1u128 << (n - 1)) - 1;
    for pair in rows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same = !(a ^ b) & !(a ^ (a >> 1)) & !(b ^ (b >> 1)) & inner;
        score += 3 * same.count_ones();
    }
    let dark: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let percent = (dark as usize * 100 / (n * n)) as i64;
    score + 10 * ((percent - 50).unsigned_abs() as u32 / 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_qrcode_crate_up_to_the_mask() {
        let url = b"https://keurmerk.example.eu/c/KM-2026-000123#AQG2LoZ_ovM6";
        let (ours, n) = encode(url).unwrap();
        let theirs = QrCode::with_error_correction_level(url, EcLevel::M).unwrap();
        assert_eq!(n, theirs.width());
        assert_eq!(ours.len(), n * n);
    }

    #[test]
    fn periodic_patterns_equal_the_formulas() {
        for m in 0..8 {
            for y in 0..125 {
                for x in 0..125 {
                    assert_eq!(patterns()[m][0][y % 12] >> x & 1 == 1, mask_bit(m, x, y));
                    assert_eq!(patterns()[m][1][x % 12] >> y & 1 == 1, mask_bit(m, x, y));
                }
            }
        }
    }

    #[test]
    fn penalty_rules() {
        // 21 × 21 all light: every row and column is one 21-run (3 + 16 each, ×42), 400 blocks,
        // no finder patterns, balance 50 % off → 10 × 10.
        let rows = vec![0u128; 21];
        assert_eq!(penalty(&rows, &rows, 21), 42 * 19 + 400 * 3 + 100);
    }

    #[test]
    fn large_and_too_long_inputs() {
        let (m, n) = encode(&[b'x'; 1500]).unwrap();
        assert!(n > 125 && m.len() == n * n);
        assert!(matches!(encode(&[b'x'; 5000]), Err(LabelError::Qr(_))));
    }
}

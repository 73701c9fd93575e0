//! Text measurement with the embedded font's metrics, and shrink-then-wrap fitting.

use std::sync::OnceLock;

pub(crate) static REGULAR_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
pub(crate) static BOLD_TTF: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");

/// Line height as a multiple of the font size.
pub(crate) const LINE_HEIGHT: f32 = 1.2;
/// DejaVu Sans ascender (0.928 em) rounded up: distance from a line's top to its baseline.
pub(crate) const ASCENT: f32 = 0.93;
/// Measured widths are multiplied by this, to leave room for shaping differences (kerning is
/// ignored here, and it only ever narrows DejaVu text).
const SAFETY: f32 = 1.03;
/// Width of a character the font lacks, in em: wider than any DejaVu glyph, so we never under-measure.
const FALLBACK_EM: f32 = 1.0;

fn face(bold: bool) -> Option<&'static ttf_parser::Face<'static>> {
    static REG: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    let (cell, data) = if bold {
        (&BOLD, BOLD_TTF)
    } else {
        (&REG, REGULAR_TTF)
    };
    cell.get_or_init(|| ttf_parser::Face::parse(data, 0).ok())
        .as_ref()
}

/// Advance of `c` in em.
fn advance(face: Option<&ttf_parser::Face<'_>>, c: char) -> f32 {
    face.and_then(|f| {
        let a = f.glyph_hor_advance(f.glyph_index(c)?)?;
        Some(f32::from(a) / f32::from(f.units_per_em()))
    })
    .unwrap_or(FALLBACK_EM)
}

/// Advances of U+0000..U+017F (Latin-1 and Latin Extended-A), looked up once.
fn latin_table(bold: bool) -> &'static [f32; 384] {
    static REG: OnceLock<[f32; 384]> = OnceLock::new();
    static BOLD: OnceLock<[f32; 384]> = OnceLock::new();
    (if bold { &BOLD } else { &REG }).get_or_init(|| {
        let mut t = [FALLBACK_EM; 384];
        for (i, w) in t.iter_mut().enumerate() {
            if let Some(c) = char::from_u32(i as u32) {
                *w = advance(face(bold), c);
            }
        }
        t
    })
}

/// Width of `s` at `size` in user units.
pub(crate) fn measure(s: &str, size: f32, bold: bool) -> f32 {
    let table = latin_table(bold);
    let mut em = 0.0f32;
    for c in s.chars() {
        em += match table.get(c as usize) {
            Some(w) => *w,
            None => advance(face(bold), c),
        };
    }
    em * size * SAFETY
}

/// Text fitted into a box: a font size and the lines to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
}

/// Greedy word wrap; `None` if a single word is wider than `width` or more than `max_lines` result.
fn wrap(text: &str, size: f32, bold: bool, width: f32, max_lines: usize) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if measure(&candidate, size, bold) <= width {
            cur = candidate;
        } else {
            if measure(word, size, bold) > width {
                return None;
            }
            lines.push(std::mem::replace(&mut cur, word.to_owned()));
            if lines.len() >= max_lines {
                return None;
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    Some(lines)
}

/// Fit `text` in `width`: first on one line at sizes from `base` down to 85 % of it, then on up to
/// `max_lines` lines from `base` down to `min`, and as a last resort at `min` with words broken
/// and the last line cut with "…". The result always fits.
pub(crate) fn fit(
    text: &str,
    bold: bool,
    width: f32,
    base: f32,
    min: f32,
    max_lines: usize,
) -> Fitted {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sizes = |floor: f32| {
        (0..)
            .map(move |k| base - 0.5 * k as f32)
            .take_while(move |s| *s >= floor)
    };
    for size in sizes(base * 0.85) {
        if measure(&text, size, bold) <= width {
            return Fitted {
                size,
                lines: vec![text],
            };
        }
    }
    for size in sizes(min) {
        if let Some(lines) = wrap(&text, size, bold, width, max_lines.max(1)) {
            return Fitted { size, lines };
        }
    }
    Fitted {
        size: min,
        lines: hard_wrap(&text, min, bold, width, max_lines.max(1)),
    }
}

fn hard_wrap(text: &str, size: f32, bold: bool, width: f32, max_lines: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        let last = lines.len() - 1; // never empty: starts with one line
        let mut candidate = lines[last].clone();
        candidate.push(c);
        if measure(&candidate, size, bold) <= width {
            lines[last] = candidate;
            chars.next();
        } else if lines.len() < max_lines {
            lines.push(String::new());
            if c == ' ' {
                chars.next();
            }
            if measure(&c.to_string(), size, bold) > width {
                chars.next(); // a glyph wider than the box on its own: drop it
            }
        } else {
            // Out of lines: cut the last one so that it ends in an ellipsis and still fits.
            let line = &mut lines[last];
            while !line.is_empty() && measure(&format!("{line}…"), size, bold) > width {
                line.pop();
            }
            line.push('…');
            break;
        }
    }
    lines.retain(|l| !l.is_empty());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_with_font_metrics() {
        let w = measure("Hello", 10.0, false);
        assert!(w > 20.0 && w < 40.0, "{w}");
        assert!(measure("Hello", 10.0, true) > w);
        assert!(measure("WWW", 10.0, false) > measure("iii", 10.0, false));
    }

    #[test]
    fn fit_always_fits() {
        let cases = [
            "Short",
            "A rather long scheme name that will not fit on one line at all",
            "Donaudampfschifffahrtsgesellschaftskapitänsmützenherstellungsgesellschaft",
            "x",
            "",
            "漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字",
        ];
        for text in cases {
            for width in [40.0, 120.0, 300.0] {
                let f = fit(text, true, width, 18.0, 9.0, 2);
                assert!(f.lines.len() <= 2, "{text}: {f:?}");
                for l in &f.lines {
                    assert!(measure(l, f.size, true) <= width, "{text} @ {width}: {f:?}");
                }
            }
        }
    }
}

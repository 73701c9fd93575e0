//! Alpine apk versions, ordered as apk-tools `version.c`:
//! `digits{.digits}[letter]{_suffix[N]}[-rN]`, where the pre-release suffixes
//! `_alpha` < `_beta` < `_pre` < `_rc` sort before the bare version and the post-release suffixes
//! `_cvs` < `_svn` < `_git` < `_hg` < `_p` after it, and `-rN` is the package revision. A digit run
//! with a leading zero is compared byte-wise, as apk does (`8.2.0015` < `8.2.002`).

use std::cmp::Ordering;

/// A validated apk version.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `None` (5) separates pre-release suffixes from post-release ones.
const SUFFIXES: [&str; 11] = [
    "", "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const SUFFIX_NONE: usize = 5;

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    tok: Tok,
    value: &'a [u8],
    suffix: usize,
}

impl<'a> Lexer<'a> {
    fn span(&mut self, pred: fn(&u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(pred) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// apk's `token_first`.
    fn first(s: &'a str) -> Self {
        let mut lx = Self {
            s: s.as_bytes(),
            pos: 0,
            tok: Tok::InitialDigit,
            value: &[],
            suffix: 0,
        };
        lx.value = lx.span(u8::is_ascii_digit);
        if lx.value.is_empty() {
            lx.tok = Tok::Invalid;
        }
        lx
    }

    /// apk's `token_next`: classifies the next token and checks that it may follow the previous.
    fn next(&mut self) {
        let Some(&c) = self.s.get(self.pos) else {
            self.tok = Tok::End;
            return;
        };
        let prev = self.tok;
        self.tok = match c {
            b'a'..=b'z' if prev <= Tok::Digit => {
                self.value = &self.s[self.pos..=self.pos];
                self.pos += 1;
                Tok::Letter
            }
            b'.' | b'0'..=b'9' => {
                let dot = c == b'.';
                if dot && prev > Tok::Digit {
                    Tok::Invalid
                } else {
                    if dot {
                        self.pos += 1;
                    }
                    self.value = self.span(u8::is_ascii_digit);
                    match prev {
                        _ if self.value.is_empty() => Tok::Invalid,
                        Tok::Suffix => Tok::SuffixNo,
                        Tok::InitialDigit | Tok::Digit => Tok::Digit,
                        _ => Tok::Invalid,
                    }
                }
            }
            b'_' if prev <= Tok::SuffixNo => {
                self.pos += 1;
                self.value = self.span(u8::is_ascii_lowercase);
                match SUFFIXES.iter().position(|s| s.as_bytes() == self.value) {
                    Some(k) if k != 0 && k != SUFFIX_NONE => {
                        self.suffix = k;
                        Tok::Suffix
                    }
                    _ => Tok::Invalid,
                }
            }
            b'-' if prev < Tok::RevisionNo && self.s.get(self.pos + 1) == Some(&b'r') => {
                self.pos += 2;
                self.value = self.span(u8::is_ascii_digit);
                if self.value.is_empty() {
                    Tok::Invalid
                } else {
                    Tok::RevisionNo
                }
            }
            _ => Tok::Invalid,
        };
    }
}

/// Numeric comparison of two ASCII digit runs without allocating or overflowing.
fn cmp_digit_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|&&c| c == b'0').count()..];
    let b = &b[b.iter().take_while(|&&c| c == b'0').count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// apk's `token_cmp` for two tokens of the same type.
fn token_cmp(a: &Lexer<'_>, b: &Lexer<'_>) -> Ordering {
    match a.tok {
        // A leading zero switches to a byte-wise comparison ("similar to Gentoo spec").
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => {
            cmp_digit_bytes(a.value, b.value)
        }
        Tok::Letter => a.value.cmp(b.value),
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        Tok::End | Tok::Invalid => a.value.cmp(b.value),
    }
}

/// apk-tools' `apk_version_compare`.
fn apk_compare(a: &str, b: &str) -> Ordering {
    let mut ta = Lexer::first(a);
    let mut tb = Lexer::first(b);
    while ta.tok == tb.tok && ta.tok < Tok::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next();
        tb.next();
    }
    if ta.tok == tb.tok {
        return Ordering::Equal;
    }
    // Leading components are equal; the longer version is greater unless it goes on with a
    // pre-release suffix.
    if ta.tok == Tok::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.tok == Tok::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.tok.cmp(&ta.tok)
}

impl ApkVersion {
    /// Validates an apk version the way `apk_version_validate` does.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("version string is empty".to_owned());
        }
        let mut lx = Lexer::first(s);
        let mut at = 0;
        while lx.tok < Tok::End {
            at = lx.pos;
            lx.next();
        }
        if lx.tok == Tok::Invalid {
            return Err(format!("invalid version component at byte {at}"));
        }
        Ok(Self { text: s.to_owned() })
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        apk_compare(&self.text, &other.text)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ApkVersion {
        ApkVersion::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn suffix_order() {
        let chain = [
            "1.0_alpha",
            "1.0_alpha2",
            "1.0_beta",
            "1.0_pre1",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0-r2",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git20200101",
            "1.0_hg",
            "1.0_p1",
            "1.0_p2",
            "1.0a",
            "1.0b",
            "1.0.1",
            "1.1",
            "2",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn equalities_and_digits() {
        assert_eq!(p("1.0"), p("1.0"));
        assert!(p("1.10") > p("1.9"));
        assert!(p("1.05") < p("1.5"));
        assert!(p("8.2.0015") < p("8.2.002"));
        assert!(p("1.0") > p("1"));
        assert!(p("2.4.47-r2") > p("2.4.47-r1"));
        assert!(p("1.2.3_rc1-r0") < p("1.2.3-r0"));
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "", "a1", "1.0_foo", "1.0-1", "1.0-x", "1..0", "1.0-r", "1.0_", "1.0a1", "v1.0",
        ] {
            assert!(ApkVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}

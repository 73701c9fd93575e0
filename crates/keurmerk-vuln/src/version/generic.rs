//! The generic fallback: a version is a sequence of numeric and alphabetic runs (any other
//! character separates runs). Numeric runs compare numerically, alphabetic runs
//! case-insensitively, a number sorts above a word (so `1.0rc1` < `1.0`), and a
//! missing run counts as `0` (`1` = `1.0`, `1.0` < `1.0.1`, `1.0rc1` < `1.0`).

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed generic version.
#[derive(Debug, Clone)]
pub struct GenericVersion {
    runs: Vec<Run>,
}

#[derive(Debug, Clone)]
enum Run {
    Num(String),
    Word(String),
}

fn cmp_run(a: &Run, b: &Run) -> Ordering {
    match (a, b) {
        (Run::Num(x), Run::Num(y)) => cmp_digits(x, y),
        (Run::Num(_), Run::Word(_)) => Ordering::Greater,
        (Run::Word(_), Run::Num(_)) => Ordering::Less,
        (Run::Word(x), Run::Word(y)) => x.cmp(y),
    }
}

impl GenericVersion {
    /// Parses any non-empty string without whitespace or control characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("version string is empty".to_owned());
        }
        if let Some((i, c)) = s
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(format!("invalid character {c:?} at byte {i}"));
        }
        let mut runs = Vec::new();
        let mut cur = String::new();
        let mut cur_num = false;
        for c in s.chars() {
            let is_num = c.is_ascii_digit();
            let is_word = c.is_alphabetic();
            if !cur.is_empty() && (!(is_num || is_word) || is_num != cur_num) {
                let t = std::mem::take(&mut cur);
                runs.push(if cur_num { Run::Num(t) } else { Run::Word(t) });
            }
            if is_num || is_word {
                cur.extend(c.to_lowercase());
                cur_num = is_num;
            }
        }
        if !cur.is_empty() {
            runs.push(if cur_num {
                Run::Num(cur)
            } else {
                Run::Word(cur)
            });
        }
        Ok(Self { runs })
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Run::Num(String::new());
        let n = self.runs.len().max(other.runs.len());
        for i in 0..n {
            let a = self.runs.get(i).unwrap_or(&zero);
            let b = other.runs.get(i).unwrap_or(&zero);
            let o = cmp_run(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GenericVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GenericVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        let p = |s: &str| GenericVersion::parse(s).unwrap();
        let chain = ["1.0rc1", "1.0", "1.0.1", "1.2", "1.10", "2"];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(p("1"), p("1.0.0"));
        assert_eq!(p("1-RC1"), p("1.rc.1"));
    }
}

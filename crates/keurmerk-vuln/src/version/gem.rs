//! RubyGems versions, ordered as `Gem::Version#<=>`: the version (with `-` read as `.pre.`) is
//! split into numeric and alphabetic segments, trailing zeros are dropped from the numeric head
//! and from the tail, missing segments count as 0, strings sort before numbers (so any letter
//! marks a pre-release: `1.0.a` < `1.0`), strings compare case-sensitively.

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    segments: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

impl GemVersion {
    /// Parses a version matching `Gem::Version::ANCHORED_VERSION_PATTERN` (blank means `0`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = if t.is_empty() { "0" } else { t };
        let (main, pre) = match t.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (t, None),
        };
        let mut parts = main.split('.');
        let first = parts.next().unwrap_or("");
        if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("version must start with a number, found {first:?}"));
        }
        for p in parts {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("invalid segment {p:?} (letters and digits only)"));
            }
        }
        if let Some(pre) = pre {
            for p in pre.split('.') {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(format!("invalid pre-release segment {p:?}"));
                }
            }
        }
        let normalised = t.replace('-', ".pre.");
        let mut raw = Vec::new();
        let mut cur = String::new();
        let mut cur_num = false;
        for c in normalised.chars() {
            let n = c.is_ascii_digit();
            let a = c.is_ascii_alphabetic();
            if !cur.is_empty() && (!(n || a) || n != cur_num) {
                let t = std::mem::take(&mut cur);
                raw.push(if cur_num {
                    Seg::Num(t.trim_start_matches('0').to_owned())
                } else {
                    Seg::Str(t)
                });
            }
            if n || a {
                cur.push(c);
                cur_num = n;
            }
        }
        if !cur.is_empty() {
            raw.push(if cur_num {
                Seg::Num(cur.trim_start_matches('0').to_owned())
            } else {
                Seg::Str(cur)
            });
        }
        // canonical_segments: split at the first string, drop trailing zeros of each half.
        let split = raw
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(raw.len());
        let tail = raw.split_off(split);
        let trim = |mut v: Vec<Seg>| {
            while matches!(v.last(), Some(Seg::Num(d)) if d.is_empty()) {
                v.pop();
            }
            v
        };
        let mut segments = trim(raw);
        segments.extend(trim(tail));
        Ok(Self { segments })
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num(String::new());
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let l = self.segments.get(i).unwrap_or(&zero);
            let r = other.segments.get(i).unwrap_or(&zero);
            let o = match (l, r) {
                (Seg::Num(a), Seg::Num(b)) => cmp_digits(a, b),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(a), Seg::Str(b)) => a.cmp(b),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        let p = |s: &str| GemVersion::parse(s).unwrap();
        // Examples from the Gem::Version documentation and its tests.
        let chain = [
            "1.0.a",
            "1.0.a.2",
            "1.0.b1",
            "1.0.rc1",
            "1.0",
            "1.0.1",
            "1.1",
            "2.0.0.pre",
            "2.0",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(p("1.0"), p("1"));
        assert_eq!(p("1.0.0.a"), p("1.a"));
        assert_eq!(p("1.0-rc1"), p("1.0.pre.rc1"));
        assert_eq!(p(""), p("0"));
        assert!(GemVersion::parse("junk").is_err());
        assert!(GemVersion::parse("1.0\n2.0").is_err());
    }
}

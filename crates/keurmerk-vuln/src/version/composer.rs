//! Packagist / Composer versions: Composer's `VersionParser::normalize` (optional `v`, numeric part
//! padded to four components) followed by PHP's `version_compare`, whose special forms order
//! `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < (number) < `pl` = `p` (by prefix, so
//! `patch` counts as `p`); unknown words sort below `dev`.

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    parts: Vec<String>,
}

fn special(form: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |(_, o)| *o)
}

/// PHP's `php_canonicalize_version` split into parts.
fn canonical_parts(v: &str) -> Vec<String> {
    let mut out = String::new();
    let mut last: Option<char> = None;
    for c in v.chars() {
        if c.is_ascii_alphanumeric() {
            if let Some(l) = last {
                let boundary = (l.is_ascii_digit() && !c.is_ascii_digit())
                    || (!l.is_ascii_digit() && l != '.' && c.is_ascii_digit());
                if boundary {
                    out.push('.');
                }
            }
            out.push(c);
        } else if last != Some('.') {
            out.push('.');
        }
        last = out.chars().last();
    }
    out.split('.')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn cmp_part(a: &str, b: &str) -> Ordering {
    let ad = a.bytes().next().is_some_and(|c| c.is_ascii_digit());
    let bd = b.bytes().next().is_some_and(|c| c.is_ascii_digit());
    match (ad, bd) {
        (true, true) => cmp_digits(a, b),
        (false, false) => special(a).cmp(&special(b)),
        (true, false) => special("#").cmp(&special(b)),
        (false, true) => special(a).cmp(&special("#")),
    }
}

fn version_compare(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp_part(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    let hash = ["#".to_owned()];
    match a.len().cmp(&b.len()) {
        Ordering::Greater => {
            let rest = &a[b.len()..];
            if rest[0].starts_with(|c: char| c.is_ascii_digit()) {
                Ordering::Greater
            } else {
                version_compare(rest, &hash)
            }
        }
        Ordering::Less => {
            let rest = &b[a.len()..];
            if rest[0].starts_with(|c: char| c.is_ascii_digit()) {
                Ordering::Less
            } else {
                version_compare(&hash, rest)
            }
        }
        Ordering::Equal => Ordering::Equal,
    }
}

impl ComposerVersion {
    /// Parses a Composer version such as `v2.1.0-RC2`, `1.0.0-beta.3` or `1.2-p1`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let numeric_end = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, rest) = t.split_at(numeric_end);
        let num = num.trim_end_matches('.');
        if num.is_empty() || num.split('.').any(str::is_empty) {
            return Err(format!(
                "expected a dotted numeric version at the start of {s:?}"
            ));
        }
        if let Some((i, c)) = t
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || "._-+".contains(*c)))
        {
            return Err(format!("invalid character {c:?} at byte {i}"));
        }
        let mut parts: Vec<String> = num.split('.').map(str::to_owned).collect();
        while parts.len() < 4 {
            parts.push("0".to_owned());
        }
        let rest = rest.trim_start_matches(['.', '-', '_']);
        let rest = if rest.eq_ignore_ascii_case("stable") {
            ""
        } else {
            rest
        };
        parts.extend(canonical_parts(rest));
        Ok(Self { parts })
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        version_compare(&self.parts, &other.parts)
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        let p = |s: &str| ComposerVersion::parse(s).unwrap();
        let chain = [
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-beta2",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-p1",
            "1.0.1",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(p("v1.0"), p("1.0.0.0"));
        assert_eq!(p("1.0.0-stable"), p("1.0.0"));
        assert!(p("2.0.0-beta.3") > p("2.0.0-beta.2"));
        assert!(ComposerVersion::parse("dev-master").is_err());
    }
}

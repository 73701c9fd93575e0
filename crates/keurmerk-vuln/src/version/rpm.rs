//! RPM versions, `[epoch:]version[-release]`, ordered as rpm's `rpmvercmp`: alphanumeric segments
//! compared in turn (numeric numerically and above alphabetic, alphabetic by `strcmp`), separators
//! ignored, `~` sorting before everything (pre-releases) and `^` after the base version but before
//! any further segment (post-release snapshots). A missing epoch is 0. A missing release sorts
//! before any release (rpm itself treats it as a wildcard in dependency checks; a total order needs
//! a choice, and `rpmvercmp("", r)` gives this one).

use std::cmp::Ordering;

/// A parsed RPM EVR.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: u64,
    version: String,
    release: Option<String>,
}

/// rpm's `rpmvercmp` on one field.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let (si, sj) = (i, j);
        let is_num = ca.is_ascii_digit();
        let class = |c: u8| {
            if is_num {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        if sj == j {
            // Different segment types: numeric segments are newer than alphabetic ones.
            return if is_num {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[si..i], &b[sj..j]);
        let r = if is_num {
            let ta = trim_zeros(sa);
            let tb = trim_zeros(sb);
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

impl RpmVersion {
    /// Parses `[epoch:]version[-release]`.
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
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("epoch {e:?} is not a number"));
                }
                (
                    e.parse::<u64>()
                        .map_err(|_| format!("epoch {e:?} is too big"))?,
                    r,
                )
            }
            None => (0, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => {
                if r.is_empty() {
                    return Err("release after '-' is empty".to_owned());
                }
                (v, Some(r.to_owned()))
            }
            None => (rest, None),
        };
        if version.is_empty() {
            return Err("version part is empty".to_owned());
        }
        Ok(Self {
            epoch,
            version: version.to_owned(),
            release,
        })
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpmvercmp_vectors() {
        use Ordering::*;
        // A selection of rpm's own tests/rpmvercmp.at vectors.
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0.1a", Less),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("xyz.4", "8", Less),
            ("5.5p1", "5.5.p1", Equal),
            ("1.0aa", "1.0a", Greater),
            ("10.0001", "10.1", Equal),
            ("6.0.rc1", "6.0", Greater),
            ("10b2", "10a1", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^20160101", "1.0.1", Less),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
            ("a+", "a_", Equal),
            ("+", "_", Equal),
        ] {
            assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn evr() {
        let p = |s: &str| RpmVersion::parse(s).unwrap();
        assert!(p("1:1.0-1") > p("2.0-1"));
        assert_eq!(p("0:1.0-1"), p("1.0-1"));
        assert!(p("1.0-1.el8") < p("1.0-1.el8_1"));
        assert!(p("7.50.3-1.fc25") < p("7.50.3-2.fc25"));
        assert!(RpmVersion::parse("x:1.0").is_err());
        assert!(RpmVersion::parse("1.0-").is_err());
    }
}

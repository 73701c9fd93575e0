//! Debian package versions, `[epoch:]upstream_version[-debian_revision]`, ordered as dpkg's
//! `verrevcmp` (Debian Policy §5.6.12): epochs numerically, then upstream version and revision by
//! alternating non-digit runs (letters before non-letters, `~` before everything, even the end of
//! the string) and digit runs (numerically).

use std::cmp::Ordering;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub struct DebianVersion {
    epoch: u64,
    upstream: String,
    revision: String,
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(a, i) && is_digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(a, i) {
            return Ordering::Greater;
        }
        if is_digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl DebianVersion {
    /// Parses a Debian version with dpkg's `parseversion` checks.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("version string is empty".to_owned());
        }
        if let Some(i) = s.bytes().position(|b| b.is_ascii_whitespace()) {
            return Err(format!("version string has embedded space at byte {i}"));
        }
        let (epoch, rest, rest_off) = match s.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() {
                    return Err("epoch in version is empty".to_owned());
                }
                if !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("epoch {e:?} in version is not a number"));
                }
                let n = e
                    .parse::<u64>()
                    .map_err(|_| format!("epoch {e:?} is too big"))?;
                if r.is_empty() {
                    return Err("nothing after colon in version number".to_owned());
                }
                (n, r, e.len() + 1)
            }
            None => (0, s, 0),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err("revision number is empty".to_owned());
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty".to_owned());
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err(format!(
                "version number does not start with digit (byte {rest_off})"
            ));
        }
        if let Some(i) = upstream
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b".-+~:".contains(&b)))
        {
            return Err(format!(
                "invalid character in version number at byte {}",
                rest_off + i
            ));
        }
        if let Some(i) = revision
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b".+~".contains(&b)))
        {
            return Err(format!(
                "invalid character in revision number at byte {}",
                rest_off + upstream.len() + 1 + i
            ));
        }
        Ok(Self {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision (empty when absent, which dpkg treats like `0`).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl Ord for DebianVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebianVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DebianVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebianVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DebianVersion {
        DebianVersion::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn policy_tilde_example() {
        // Debian Policy §5.6.12: "~~" < "~~a" < "~" < "" < "a".
        let chain = ["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
        assert!(p("1.0~rc1") < p("1.0"));
        assert!(p("1.0~rc1-1") < p("1.0-1"));
    }

    #[test]
    fn epochs_revisions_and_digits() {
        assert!(p("1:0.1") > p("9.9"));
        assert_eq!(p("0:1.0"), p("1.0"));
        assert_eq!(p("1.0"), p("1.0-0"));
        assert!(p("1.0-1") < p("1.0-2"));
        assert!(p("1.0-9") < p("1.0-10"));
        assert!(p("1.10") > p("1.9"));
        assert_eq!(p("1.01"), p("1.1"));
        assert!(p("1.0+dfsg-1") > p("1.0-1"));
        assert!(p("2.30-1ubuntu0.1") > p("2.30-1"));
        assert!(p("7.6p2-4") > p("7.6-0"));
        assert!(p("1.0a") < p("1.0+"), "letters sort before non-letters");
        assert!(p("1:2.4.47-2") > p("2.4.47-2"));
        assert_eq!(p("2:1.0-a-1").upstream(), "1.0-a");
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "", ":1.0", "a:1.0", "1:", "1.0-", "1.0 1", "a1.0", "1.0_1", "1.0-1_2",
        ] {
            assert!(DebianVersion::parse(bad).is_err(), "{bad:?}");
        }
    }
}

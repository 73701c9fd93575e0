//! SemVer 2.0.0 (<https://semver.org>), plus the npm and Go module flavours.
//!
//! Precedence follows §11: major, minor, patch numerically; a pre-release sorts before its release;
//! pre-release identifiers compare numerically when all-digit, in ASCII order otherwise, numeric
//! before alphanumeric, and a longer list wins when all preceding identifiers are equal. Build
//! metadata is kept but ignored for precedence (so `1.0.0+a` and `1.0.0+b` compare `Equal`).
//!
//! Go (<https://go.dev/ref/mod#versions>) uses the same precedence with a `v` prefix (optional
//! here, because OSV Go records drop it), accepts the shorthands `v1` and `v1.2`, and writes
//! commits as pseudo-versions `vX.Y.Z-[0.]yyyymmddhhmmss-abcdef123456`, which are pre-releases and
//! therefore sort *below* the release they are based on. `+incompatible` is build metadata.

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed SemVer 2.0.0 version.
#[derive(Debug, Clone)]
pub struct SemVer {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    pre: Vec<Ident>,
    build: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    /// All-digit identifier without leading zeros, kept as text to avoid overflow.
    Numeric(String),
    Alpha(String),
}

impl Ident {
    fn cmp_semver(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Numeric(a), Self::Numeric(b)) => cmp_digits(a, b),
            (Self::Numeric(_), Self::Alpha(_)) => Ordering::Less,
            (Self::Alpha(_), Self::Numeric(_)) => Ordering::Greater,
            (Self::Alpha(a), Self::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl SemVer {
    /// Parses a strict SemVer 2.0.0 version (no `v` prefix).
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_core(s, false)
    }

    /// Parses an npm version: SemVer 2.0.0 with an optional leading `v` or `=` and surrounding
    /// whitespace, as node-semver's `valid()` accepts.
    pub fn parse_npm(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let t = t.strip_prefix('=').unwrap_or(t).trim_start();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        parse_core(t, false)
    }

    /// Parses a Go module version (`v` prefix optional; shorthand `v1`, `v1.2` allowed).
    pub fn parse_go(s: &str) -> Result<Self, String> {
        let t = s.strip_prefix('v').unwrap_or(s);
        parse_core(t, true)
    }

    /// The pre-release part (`rc.1` in `1.0.0-rc.1`), empty for releases.
    pub fn pre_release(&self) -> String {
        self.pre
            .iter()
            .map(|i| match i {
                Ident::Numeric(s) | Ident::Alpha(s) => s.as_str(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The build metadata (`build.5` in `1.0.0+build.5`), empty if absent.
    pub fn build(&self) -> &str {
        &self.build
    }

    /// True for a pre-release (anything with a `-` part, Go pseudo-versions included).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// True if this is a Go pseudo-version (`-[0.|pre.0.]yyyymmddhhmmss-<12 hex>` pre-release).
    pub fn is_go_pseudo_version(&self) -> bool {
        let n = self.pre.len();
        if n < 1 {
            return false;
        }
        // The last identifier is "yyyymmddhhmmss-abcdef123456" (a hyphen is legal inside an identifier).
        let Some(Ident::Alpha(last)) = self.pre.last() else {
            return false;
        };
        let Some((ts, rev)) = last.split_once('-') else {
            return false;
        };
        ts.len() == 14
            && ts.bytes().all(|b| b.is_ascii_digit())
            && rev.len() >= 12
            && rev
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }
}

fn parse_num(part: &str, what: &str, offset: usize) -> Result<u64, String> {
    if part.is_empty() {
        return Err(format!("empty {what} at byte {offset}"));
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} {part:?} at byte {offset} is not a number"));
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(format!(
            "{what} {part:?} at byte {offset} has a leading zero"
        ));
    }
    part.parse::<u64>()
        .map_err(|_| format!("{what} {part:?} at byte {offset} is too large"))
}

fn check_ident(id: &str, what: &str, offset: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("empty {what} identifier at byte {offset}"));
    }
    if let Some(pos) = id
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(format!(
            "invalid character in {what} at byte {}",
            offset + pos
        ));
    }
    Ok(())
}

fn parse_core(s: &str, go_shorthand: bool) -> Result<SemVer, String> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    if core.is_empty() {
        return Err("empty version".to_owned());
    }
    let parts: Vec<&str> = core.split('.').collect();
    let shorthand = go_shorthand && parts.len() < 3 && pre.is_none() && build.is_none();
    if parts.len() != 3 && !shorthand {
        return Err(format!(
            "expected MAJOR.MINOR.PATCH, found {} dot-separated part(s)",
            parts.len()
        ));
    }
    let mut offset = 0;
    let mut nums = [0u64; 3];
    for (i, (part, what)) in parts.iter().zip(["major", "minor", "patch"]).enumerate() {
        nums[i] = parse_num(part, what, offset)?;
        offset += part.len() + 1;
    }
    let mut pre_ids = Vec::new();
    if let Some(pre) = pre {
        let mut off = core.len() + 1;
        for id in pre.split('.') {
            check_ident(id, "pre-release", off)?;
            if id.bytes().all(|b| b.is_ascii_digit()) {
                if id.len() > 1 && id.starts_with('0') {
                    return Err(format!(
                        "numeric pre-release identifier {id:?} at byte {off} has a leading zero"
                    ));
                }
                pre_ids.push(Ident::Numeric(id.to_owned()));
            } else {
                pre_ids.push(Ident::Alpha(id.to_owned()));
            }
            off += id.len() + 1;
        }
    }
    let build = match build {
        Some(b) => {
            let mut off = rest.len() + 1;
            for id in b.split('.') {
                check_ident(id, "build metadata", off)?;
                off += id.len() + 1;
            }
            b.to_owned()
        }
        None => String::new(),
    };
    Ok(SemVer {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre: pre_ids,
        build,
    })
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = a.cmp_semver(b);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SemVer {
        SemVer::parse(s).unwrap()
    }

    #[test]
    fn spec_section_11_chain() {
        // The example chain from SemVer 2.0.0 §11.4.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn build_metadata_ignored() {
        assert_eq!(p("1.0.0+a.1"), p("1.0.0+b"));
        assert_eq!(p("1.0.0+a.1").build(), "a.1");
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "v1.2.3",
            "1.2.x",
        ] {
            assert!(SemVer::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn go_pseudo_versions() {
        let g = |s: &str| SemVer::parse_go(s).unwrap();
        let pseudo = g("v0.0.0-20191109021931-daa7c04131f5");
        assert!(pseudo.is_go_pseudo_version());
        assert!(pseudo < g("v0.0.0"));
        let pseudo2 = g("v1.2.4-0.20191109021931-daa7c04131f5");
        assert!(pseudo2.is_go_pseudo_version());
        assert!(g("v1.2.3") < pseudo2 && pseudo2 < g("v1.2.4"));
        assert_eq!(g("v1"), g("v1.0.0"));
        assert_eq!(g("v1.2"), g("1.2.0"));
        assert_eq!(g("v2.0.0+incompatible"), g("v2.0.0"));
        assert!(!g("v1.0.0-rc.1").is_go_pseudo_version());
    }
}

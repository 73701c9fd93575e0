//! NuGet versions (<https://learn.microsoft.com/nuget/concepts/package-versioning>): SemVer 2.0
//! with one to four numeric parts (missing parts are 0, leading zeros are ignored as NuGet
//! normalises them), pre-release labels compared case-insensitively, build metadata ignored.

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    parts: [u64; 4],
    pre: Vec<String>,
}

impl NuGetVersion {
    /// Parses a NuGet version (an optional leading `v` is not allowed, as in NuGet).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if core.is_empty() || nums.len() > 4 {
            return Err(format!(
                "expected 1 to 4 dot-separated numbers, found {core:?}"
            ));
        }
        let mut parts = [0u64; 4];
        let mut off = 0;
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{n:?} at byte {off} is not a number"));
            }
            parts[i] = n
                .parse()
                .map_err(|_| format!("{n:?} at byte {off} is too large"))?;
            off += n.len() + 1;
        }
        let check = |ids: &str, what: &str| -> Result<Vec<String>, String> {
            ids.split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        Err(format!("invalid {what} identifier {id:?}"))
                    } else {
                        Ok(id.to_ascii_lowercase())
                    }
                })
                .collect()
        };
        let pre = match pre {
            Some(p) => check(p, "pre-release")?,
            None => Vec::new(),
        };
        if let Some(b) = build {
            check(b, "build metadata")?;
        }
        Ok(Self { parts, pre })
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let an = a.bytes().all(|c| c.is_ascii_digit());
                        let bn = b.bytes().all(|c| c.is_ascii_digit());
                        let o = match (an, bn) {
                            (true, true) => cmp_digits(a, b),
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            (false, false) => a.cmp(b),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        let p = |s: &str| NuGetVersion::parse(s).unwrap();
        assert_eq!(p("1.0"), p("1.0.0.0"));
        assert_eq!(p("1.01.1"), p("1.1.1"));
        assert_eq!(p("1.0.0-RC1"), p("1.0.0-rc1"));
        assert_eq!(p("1.0.0+abc"), p("1.0.0"));
        assert!(p("1.0.0-alpha") < p("1.0.0-beta"));
        assert!(p("1.0.0-rc.2") < p("1.0.0-rc.10"));
        assert!(p("1.0.0-rc") < p("1.0.0"));
        assert!(p("1.0.0.1") > p("1.0.0"));
        assert!(NuGetVersion::parse("1.2.3.4.5").is_err());
    }
}

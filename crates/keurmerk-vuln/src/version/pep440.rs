//! PEP 440 versions (<https://peps.python.org/pep-0440/>), parsed with the normalisations the
//! specification allows (case, `alpha`/`a`, `c`/`pre`/`preview`/`rc`, `rev`/`r`/`post`, `-N` as a
//! post-release, `-`/`_`/`.` separators, a leading `v`) and ordered as the `packaging` reference
//! implementation does:
//! `(epoch, release without trailing zeros, pre, post, dev, local)`, where a release with only a
//! `.devN` sorts before its pre-releases, a missing pre-release sorts after all pre-releases, a
//! missing post-release before all post-releases, a missing dev-release after all dev-releases, and
//! local segments compare numerically when numeric, numeric above alphanumeric.

use std::cmp::Ordering;
use std::fmt;

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(PreKind, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<LocalSeg>,
}

/// Pre-release phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreKind {
    /// `a`, `alpha`.
    Alpha,
    /// `b`, `beta`.
    Beta,
    /// `rc`, `c`, `pre`, `preview`.
    Rc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LocalSeg {
    Num(u64),
    Alpha(String),
}

impl PartialOrd for LocalSeg {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LocalSeg {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Num(a), Self::Num(b)) => a.cmp(b),
            (Self::Num(_), Self::Alpha(_)) => Ordering::Greater,
            (Self::Alpha(_), Self::Num(_)) => Ordering::Less,
            (Self::Alpha(a), Self::Alpha(b)) => a.cmp(b),
        }
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }
    fn eat_sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn number(&mut self) -> Result<Option<u64>, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).map_err(|e| e.to_string())?;
        text.parse::<u64>()
            .map(Some)
            .map_err(|_| format!("number {text:?} at byte {start} is too large"))
    }
}

impl Pep440Version {
    /// Parses a PEP 440 version (case-insensitive, surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Self, String> {
        let lower = input.trim().to_ascii_lowercase();
        let lead = input.len() - input.trim_start().len();
        let mut c = Cursor {
            s: lower.as_bytes(),
            pos: 0,
        };
        let at = |c: &Cursor<'_>| c.pos + lead;
        if c.peek() == Some(b'v') {
            c.pos += 1;
        }
        let first = c
            .number()?
            .ok_or_else(|| format!("expected a number at byte {}", at(&c)))?;
        let (epoch, mut release) = if c.peek() == Some(b'!') {
            c.pos += 1;
            let n = c.number()?.ok_or_else(|| {
                format!(
                    "expected a release number after the epoch at byte {}",
                    at(&c)
                )
            })?;
            (first, vec![n])
        } else {
            (0, vec![first])
        };
        while c.peek() == Some(b'.') && matches!(c.s.get(c.pos + 1), Some(b'0'..=b'9')) {
            c.pos += 1;
            // A digit follows, so a number is present.
            release.push(c.number()?.unwrap_or(0));
        }

        // Pre-release: [-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?N?
        let mut pre = None;
        let save = c.pos;
        c.eat_sep();
        let kind = [
            ("alpha", PreKind::Alpha),
            ("a", PreKind::Alpha),
            ("beta", PreKind::Beta),
            ("b", PreKind::Beta),
            ("preview", PreKind::Rc),
            ("pre", PreKind::Rc),
            ("c", PreKind::Rc),
            ("rc", PreKind::Rc),
        ]
        .into_iter()
        .find(|(lit, _)| c.eat(lit));
        match kind {
            Some((_, k)) => {
                let save_n = c.pos;
                c.eat_sep();
                let n = match c.number()? {
                    Some(n) => n,
                    None => {
                        c.pos = save_n;
                        0
                    }
                };
                pre = Some((k, n));
            }
            None => c.pos = save,
        }

        // Post-release: -N | [-_.]?(post|rev|r)[-_.]?N?
        let mut post = None;
        let save = c.pos;
        if c.peek() == Some(b'-') {
            c.pos += 1;
            if let Some(n) = c.number()? {
                post = Some(n);
            } else {
                c.pos = save;
            }
        }
        if post.is_none() {
            c.eat_sep();
            if c.eat("post") || c.eat("rev") || c.eat("r") {
                let save_n = c.pos;
                c.eat_sep();
                post = Some(match c.number()? {
                    Some(n) => n,
                    None => {
                        c.pos = save_n;
                        0
                    }
                });
            } else {
                c.pos = save;
            }
        }

        // Dev-release: [-_.]?dev[-_.]?N?
        let mut dev = None;
        let save = c.pos;
        c.eat_sep();
        if c.eat("dev") {
            let save_n = c.pos;
            c.eat_sep();
            dev = Some(match c.number()? {
                Some(n) => n,
                None => {
                    c.pos = save_n;
                    0
                }
            });
        } else {
            c.pos = save;
        }

        // Local version: +[a-z0-9]+([-_.][a-z0-9]+)*
        let mut local = Vec::new();
        if c.peek() == Some(b'+') {
            c.pos += 1;
            loop {
                let start = c.pos;
                while matches!(c.peek(), Some(b'a'..=b'z' | b'0'..=b'9')) {
                    c.pos += 1;
                }
                if start == c.pos {
                    return Err(format!(
                        "empty local version segment at byte {}",
                        start + lead
                    ));
                }
                let seg = &lower[start..c.pos];
                local.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
                    LocalSeg::Num(seg.parse().map_err(|_| {
                        format!(
                            "local segment {seg:?} at byte {} is too large",
                            start + lead
                        )
                    })?)
                } else {
                    LocalSeg::Alpha(seg.to_owned())
                });
                if !c.eat_sep() {
                    break;
                }
            }
        }
        if c.pos != c.s.len() {
            return Err(format!(
                "unexpected {:?} at byte {}",
                &lower[c.pos..],
                at(&c)
            ));
        }
        Ok(Self {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// True for pre-releases and dev-releases (PEP 440 "pre-releases" for installer purposes).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    fn release_trimmed(&self) -> &[u64] {
        let end = self
            .release
            .iter()
            .rposition(|&n| n != 0)
            .map_or(0, |i| i + 1);
        &self.release[..end]
    }
}

impl fmt::Display for Pep440Version {
    /// The normalised form, e.g. `1!2.0rc1.post0.dev3+ubuntu.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let rel: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&rel.join("."))?;
        if let Some((k, n)) = self.pre {
            let l = match k {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{l}{n}")?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if !self.local.is_empty() {
            let segs: Vec<String> = self
                .local
                .iter()
                .map(|s| match s {
                    LocalSeg::Num(n) => n.to_string(),
                    LocalSeg::Alpha(a) => a.clone(),
                })
                .collect();
            write!(f, "+{}", segs.join("."))?;
        }
        Ok(())
    }
}

/// Sort key of the pre-release part: dev-only releases first, then pre-releases, then none.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey {
    DevOnly,
    Pre(PreKind, u64),
    None,
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let pre_key = |v: &Self| match v.pre {
            Some((k, n)) => PreKey::Pre(k, n),
            None if v.post.is_none() && v.dev.is_some() => PreKey::DevOnly,
            None => PreKey::None,
        };
        // `None` sorts above every dev number, hence the mapping to `u64::MAX` plus a flag.
        let dev_key = |v: &Self| match v.dev {
            Some(n) => (0u8, n),
            None => (1u8, 0),
        };
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release_trimmed().cmp(other.release_trimmed()))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| dev_key(self).cmp(&dev_key(other)))
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pep440Version {
        Pep440Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn pep_440_summary_ordering() {
        // The ordering example from PEP 440 "Summary of permitted suffixes and relative ordering".
        let chain = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn normalisation() {
        for (raw, norm) in [
            ("1.0ALPHA1", "1.0a1"),
            ("1.0-c1", "1.0rc1"),
            ("1.0.preview_2", "1.0rc2"),
            ("1.0-1", "1.0.post1"),
            ("1.0.rev", "1.0.post0"),
            ("v1.0-dev", "1.0.dev0"),
            ("1!2.0", "1!2.0"),
            ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
            (" 1.0 ", "1.0"),
        ] {
            assert_eq!(p(raw).to_string(), norm, "{raw}");
        }
        assert_eq!(p("1.0"), p("1.0.0"));
        assert_eq!(p("1.0a"), p("1.0a0"));
        assert!(p("1!0.1") > p("2.0"));
    }

    #[test]
    fn rejects_invalid() {
        for bad in ["", "a", "1.0+", "1.0+a..b", "1.0 2", "1.0-", "1.0foo", "!1"] {
            assert!(Pep440Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}

//! Maven versions, ordered as `org.apache.maven.artifact.versioning.ComparableVersion` (Maven 3.9,
//! including MNG-6964 and MNG-7644) does.
//!
//! A version is split on `.`, `-` and digit/letter transitions into integers and strings; `-` and
//! transitions open a nested list. Known qualifiers order
//! `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < `""` = `ga` = `final` = `release` <
//! `sp`, unknown qualifiers after them in lexical order; `a1`/`b1`/`m1` mean alpha/beta/milestone
//! when directly followed by a digit. Trailing "null" items (0, "", empty list) are dropped, so
//! `1.0.0` = `1` and `1-ga` = `1`. Comparison is case-insensitive.
//!
//! Maven 4's "combination items" (MNG-7714, `1-sp1-redhat` vs `1.final-redhat`) are not applied:
//! Maven 3.9 is what resolves the Maven Central artifacts advisories describe.

use std::cmp::Ordering;

use super::cmp_digits;

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
enum Item {
    /// Digits without leading zeros (possibly empty for zero).
    Int(String),
    /// Qualifier after alias resolution.
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

/// Sort key of a qualifier: known ones by rank, unknown ones after all of them, lexically.
fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value;
    if followed_by_digit && value.len() == 1 {
        v = match value {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        };
    }
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(v.to_owned())
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(buf.trim_start_matches('0').to_owned())
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => qualifier_key(s).0 == RELEASE_INDEX,
            Item::List(l) => l.is_empty(),
        }
    }

    /// `other == None` means "this version has run out of items here".
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => qualifier_key(s).cmp(&(RELEASE_INDEX, "")),
            (Item::Str(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::List(l), None) => {
                for i in l {
                    let r = i.compare(None);
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let r = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Builds the item tree. The Java code keeps a stack of open lists; here the stack holds the lists
/// being filled, and closing one (at the end) normalises it and appends it to its parent, which
/// yields the same tree because a nested list is always the last item of its parent while open.
fn parse_items(version: &str) -> Vec<Item> {
    let v = version.to_lowercase();
    let chars: Vec<char> = v.chars().collect();
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    let sub = |from: usize, to: usize| -> String { chars[from..to].iter().collect() };

    fn open(stack: &mut Vec<Vec<Item>>) {
        stack.push(Vec::new());
    }
    fn top(stack: &mut [Vec<Item>]) -> &mut Vec<Item> {
        let n = stack.len() - 1;
        &mut stack[n]
    }

    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            let item = if i == start {
                Item::Int(String::new())
            } else {
                parse_item(is_digit, &sub(start, i))
            };
            top(&mut stack).push(item);
            start = i + 1;
            if c == '-' {
                open(&mut stack);
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
                if !top(&mut stack).is_empty() {
                    open(&mut stack);
                }
                let s = sub(start, i);
                top(&mut stack).push(string_item(&s, true));
                start = i;
                open(&mut stack);
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                let s = sub(start, i);
                top(&mut stack).push(parse_item(true, &s));
                start = i;
                open(&mut stack);
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        if !is_digit && !top(&mut stack).is_empty() {
            open(&mut stack);
        }
        let s = sub(start, chars.len());
        top(&mut stack).push(parse_item(is_digit, &s));
    }
    while stack.len() > 1 {
        let mut done = stack.pop().unwrap_or_default();
        normalize(&mut done);
        top(&mut stack).push(Item::List(done));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

impl MavenVersion {
    /// Parses a Maven version. Maven accepts any string; this rejects only empty input and
    /// whitespace or control characters, which no repository layout can hold.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty version".to_owned());
        }
        if let Some((i, c)) = s
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(format!("invalid character {c:?} at byte {i}"));
        }
        Ok(Self {
            items: parse_items(s),
        })
    }

    /// The canonical form, as `ComparableVersion.getCanonical()` prints it.
    pub fn canonical(&self) -> String {
        fn render(items: &[Item], out: &mut String) {
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(if matches!(item, Item::List(_)) {
                        '-'
                    } else {
                        '.'
                    });
                }
                match item {
                    Item::Int(d) if d.is_empty() => out.push('0'),
                    Item::Int(d) => out.push_str(d),
                    Item::Str(s) => out.push_str(s),
                    Item::List(l) => render(l, out),
                }
            }
        }
        let mut out = String::new();
        render(&self.items, &mut out);
        out
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> MavenVersion {
        MavenVersion::parse(s).unwrap()
    }

    #[test]
    fn qualifier_order() {
        // From Maven's ComparableVersionTest VERSIONS_QUALIFIER.
        let chain = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn number_order() {
        // From Maven's ComparableVersionTest VERSIONS_NUMBER.
        let chain = [
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ];
        for w in chain.windows(2) {
            assert!(p(w[0]) < p(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn equalities() {
        for (a, b) in [
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1-final", "1.0"),
            ("1-cr1", "1-rc1"),
            ("1a1", "1-alpha-1"),
            ("1.0-RELEASE", "1"),
            ("1X", "1x"),
            ("2-abc", "2.0.abc"),
            ("2.0.abc", "2.0.0.abc"),
        ] {
            assert_eq!(p(a), p(b), "{a} == {b}");
        }
    }

    /// Issue 12 asked for `2-1` < `2.0.a` < `2.0.0.a`. Maven's own `ComparableVersion` says
    /// otherwise: Maven 3.9 and 4 (MNG-7644, `ComparableVersionTest.testMng7644` and
    /// `VERSIONS_NUMBER`: "2.0", "2.0.a", "2-1", …) and Debian's Maven 3.8.7 (run by
    /// `tests/versions_maven_oracle.rs`) read `.X` after zeros as `-X`: `2.0.a` = `2.0.0.a` =
    /// `2-a` < `2-1`. That order stands here.
    #[test]
    fn qualifiers_after_zero_segments_follow_maven_3_9() {
        assert!(p("2.0.a") < p("2-1"));
        assert!(p("2.0.0.a") < p("2-1"));
        assert_eq!(p("2.0.a"), p("2.0.0.a"));
        assert_eq!(p("2.0.a"), p("2-a"));
        assert!(p("2.0") < p("2.0.a"));
        assert!(p("2-1") < p("2.0.2"));
    }

    /// Maven 3.9.9's own `ComparableVersionTest.testMng7644`, every qualifier it loops over
    /// (checked against apache/maven tag `maven-3.9.9`): the three forms are equal and below
    /// `2-1`, as here.
    #[test]
    fn maven_3_9_mng_7644_vectors() {
        for x in [
            "abc",
            "alpha",
            "a",
            "beta",
            "b",
            "def",
            "milestone",
            "m",
            "RC",
        ] {
            assert!(
                p(&format!("1.0.0.{x}1")) < p(&format!("1.0.0-{x}2")),
                "1.0.0.{x}1 < 1.0.0-{x}2"
            );
            assert_eq!(
                p(&format!("2-{x}")),
                p(&format!("2.0.{x}")),
                "2-{x} == 2.0.{x}"
            );
            assert_eq!(
                p(&format!("2-{x}")),
                p(&format!("2.0.0.{x}")),
                "2-{x} == 2.0.0.{x}"
            );
            assert_eq!(
                p(&format!("2.0.{x}")),
                p(&format!("2.0.0.{x}")),
                "2.0.{x} == 2.0.0.{x}"
            );
        }
    }

    #[test]
    fn brief_examples_and_mng_7644() {
        assert!(p("1.0-alpha") < p("1.0-SNAPSHOT"));
        assert!(p("1.0-SNAPSHOT") < p("1.0"));
        assert!(p("1.0") < p("1.0-sp"));
        assert!(p("1.0.0.RC1") < p("1.0.0-RC2"));
        assert_eq!(p("1.0.0-rc-1").canonical(), "1-rc-1");
    }
}

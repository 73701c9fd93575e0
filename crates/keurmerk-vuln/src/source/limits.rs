//! Bounds on what reading one untrusted input may cost, and the nesting pre-scans that enforce the
//! depth bound before a parser sees the document.
//!
//! Why pre-scan: `serde_json` and `serde_yaml_ng` stop at 128 levels only in the fields they
//! deserialize; unknown fields are skipped without a depth check, and libyaml's scanner spends time
//! quadratic in the depth of flow collections (`[[[[…`) before any deserializer runs — a YAML advisory
//! nested 100,000 deep took tens of seconds. The scans here are one linear pass over the bytes.

use super::{ParseError, ParseErrorKind, Position};

/// Limits applied while reading advisories, SBOMs and VEX documents. The defaults are
/// [`Limits::DEFAULT`]; every limit is checked while reading, never by trusting a size an input states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single document: a file, or one archive entry after decompression (default 64 MiB).
    pub max_document_bytes: u64,
    /// Most bytes read from one path in total: everything a `.tar.gz` decompresses to (headers and
    /// skipped entries included), or all documents of a directory (default 4 GiB).
    pub max_total_bytes: u64,
    /// Deepest nesting of arrays/objects (JSON), sequences/mappings (YAML) or elements (XML)
    /// (default 128).
    pub max_depth: usize,
    /// Most flow-collection openers (`[`, `{`) in one YAML document (default 4,096). Bounds the
    /// YAML scanner's work even where the depth pre-scan cannot see structure (inside quotes).
    pub max_yaml_flow_openers: usize,
}

impl Limits {
    /// 64 MiB per document, 4 GiB per path, depth 128, 4,096 YAML flow openers.
    pub const DEFAULT: Limits = Limits {
        max_document_bytes: 64 * 1024 * 1024,
        max_total_bytes: 4 * 1024 * 1024 * 1024,
        max_depth: 128,
        max_yaml_flow_openers: 4096,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A byte count for messages: `64 MiB`, `4 GiB`, or bytes.
pub(crate) fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if n >= GIB && n % GIB == 0 {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

fn too_deep(name: &str, max: usize, line: usize, column: usize) -> ParseError {
    ParseError::new(
        name,
        ParseErrorKind::LimitExceeded,
        format!("nesting deeper than the limit of {max} levels"),
    )
    .at(Position::LineColumn { line, column })
}

/// Tracks 1-based line and column while scanning bytes.
struct Cursor {
    line: usize,
    column: usize,
}

impl Cursor {
    fn new() -> Self {
        Cursor { line: 1, column: 0 }
    }
    fn advance(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
    }
}

/// Reject JSON nested deeper than `max` arrays/objects. Exact: brackets inside strings are ignored.
pub fn check_json_depth(name: &str, bytes: &[u8], max: usize) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut at = Cursor::new();
    for &b in bytes {
        at.advance(b);
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(too_deep(name, max, at.line, at.column));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Reject YAML nested deeper than `max`, or with more than `max_flow_openers` flow openers.
///
/// Flow nesting is counted over every `[`/`{` against every `]`/`}` (never below zero), quotes and
/// comments included: that over-counts brackets in text, which real advisories keep balanced (the
/// PyPA corpus peaks at 4), and it cannot be fooled into under-counting except by closers inside
/// quotes — which is what the opener cap is for. Block nesting is the number of open indentation
/// levels, each compact `- ` or `? ` counting as one.
pub fn check_yaml_depth(
    name: &str,
    bytes: &[u8],
    max: usize,
    max_flow_openers: usize,
) -> Result<(), ParseError> {
    let (mut flow, mut openers) = (0usize, 0usize);
    let mut at = Cursor::new();
    for &b in bytes {
        at.advance(b);
        match b {
            b'[' | b'{' => {
                flow += 1;
                openers += 1;
                if flow > max {
                    return Err(too_deep(name, max, at.line, at.column));
                }
                if openers > max_flow_openers {
                    return Err(ParseError::new(
                        name,
                        ParseErrorKind::LimitExceeded,
                        format!("more than {max_flow_openers} flow collections (`[`, `{{`)"),
                    )
                    .at(Position::LineColumn {
                        line: at.line,
                        column: at.column,
                    }));
                }
            }
            b']' | b'}' => flow = flow.saturating_sub(1),
            _ => {}
        }
    }
    // Block nesting: a stack of indentation columns, one per open level.
    let mut stack: Vec<usize> = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        if rest.is_empty() || rest.iter().all(u8::is_ascii_whitespace) || rest[0] == b'#' {
            continue;
        }
        while stack.last().is_some_and(|&top| top >= indent) {
            stack.pop();
        }
        stack.push(indent);
        // Compact indicators on the same line (`- - - x`, `? - x`) each open one more level.
        let mut col = indent;
        let mut rest = rest;
        while rest.len() >= 2 && matches!(rest[0], b'-' | b'?') && rest[1] == b' ' {
            let spaces = rest[1..].iter().take_while(|&&b| b == b' ').count();
            col += 1 + spaces;
            rest = &rest[1 + spaces..];
            stack.push(col);
        }
        if stack.len() > max {
            return Err(too_deep(name, max, i + 1, col + 1));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_is_exact() {
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(check_json_depth("x", ok.as_bytes(), 128).is_ok());
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        let e = check_json_depth("x.json", deep.as_bytes(), 128).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::LimitExceeded);
        assert!(
            e.to_string().contains("x.json") && e.to_string().contains("128"),
            "{e}"
        );
        // Brackets in strings, with escaped quotes, do not count.
        let s = format!(r#"{{"a": "\"{}"}}"#, "[".repeat(500));
        assert!(check_json_depth("x", s.as_bytes(), 128).is_ok());
    }

    #[test]
    fn yaml_flow_and_block_depth() {
        let flow = format!("a: {}{}\n", "[".repeat(129), "]".repeat(129));
        let e = check_yaml_depth("x.yaml", flow.as_bytes(), 128, 4096).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::LimitExceeded);
        let block = format!("a:\n{}x\n", "- ".repeat(200));
        assert!(check_yaml_depth("x", block.as_bytes(), 128, 4096).is_err());
        let indented: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(check_yaml_depth("x", indented.as_bytes(), 128, 4096).is_err());
        // A quote trick that hides closers still meets the opener cap.
        let tricky = "[ \"]\" ".repeat(5000);
        assert!(check_yaml_depth("x", tricky.as_bytes(), 128, 4096).is_err());
        let normal = "id: X\nsummary: see [1] and [2]\naffected:\n  - package:\n      name: a\n    ranges: [{type: ECOSYSTEM}]\n";
        assert!(check_yaml_depth("x", normal.as_bytes(), 128, 4096).is_ok());
    }
}

//! The one error type of the document parsers: what went wrong, in which input, at which field and where.

use std::fmt;

/// Where in an input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Position {
    /// 1-based line and column (JSON, YAML).
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Byte offset from the start of the input (XML, archives).
    ByteOffset(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Position::ByteOffset(o) => write!(f, "byte {o}"),
        }
    }
}

/// What kind of problem a [`ParseError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is not well-formed JSON / XML / YAML.
    Syntax,
    /// The input ended in the middle of a value or element.
    Truncated,
    /// Well-formed, but a field is missing, has the wrong type or an invalid value.
    Schema,
    /// The input is not one of the formats this parser knows.
    UnknownFormat,
    /// Reading the input failed.
    Io,
    /// The input is larger or nested deeper than a [`Limits`](super::Limits) bound allows.
    LimitExceeded,
}

/// A document could not be parsed. Names the input (as the caller named it), the field (a path such as
/// `components[3].name` when known) and the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The name of the input, as passed by the caller (a file name or archive entry).
    pub source_name: String,
    /// Path of the offending field, when known.
    pub field: Option<String>,
    /// Position of the problem, when known.
    pub position: Option<Position>,
    /// Kind of problem.
    pub kind: ParseErrorKind,
    /// Human-readable description.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source_name)?;
        if let Some(p) = &self.position {
            write!(f, " ({p})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl ParseError {
    /// A new error without position or field.
    pub fn new(source_name: &str, kind: ParseErrorKind, message: impl Into<String>) -> Self {
        ParseError {
            source_name: source_name.to_owned(),
            field: None,
            position: None,
            kind,
            message: message.into(),
        }
    }

    /// Attach a field path.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attach a position.
    #[must_use]
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    pub(crate) fn from_json(source_name: &str, e: &serde_json::Error) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Io => ParseErrorKind::Io,
            serde_json::error::Category::Syntax => ParseErrorKind::Syntax,
            serde_json::error::Category::Data => ParseErrorKind::Schema,
            serde_json::error::Category::Eof => ParseErrorKind::Truncated,
        };
        let mut msg = e.to_string();
        // serde_json appends " at line L column C"; we report the position separately.
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        let mut err = ParseError::new(source_name, kind, msg);
        if e.line() > 0 {
            err.position = Some(Position::LineColumn {
                line: e.line(),
                column: e.column(),
            });
        }
        err
    }

    pub(crate) fn from_json_path(
        source_name: &str,
        e: &serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let mut err = ParseError::from_json(source_name, e.inner());
        let path = e.path().to_string();
        if path != "." && !path.is_empty() && err.kind == ParseErrorKind::Schema {
            err.field = Some(path);
        }
        err
    }

    pub(crate) fn from_yaml_path(
        source_name: &str,
        e: &serde_path_to_error::Error<serde_yaml_ng::Error>,
    ) -> Self {
        let inner = e.inner();
        let mut msg = inner.to_string();
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        let kind = if msg.contains("missing field")
            || msg.contains("invalid type")
            || msg.contains("unknown variant")
            || msg.contains("invalid value")
        {
            ParseErrorKind::Schema
        } else if msg.contains("end of stream") || msg.contains("EOF") {
            ParseErrorKind::Truncated
        } else {
            ParseErrorKind::Syntax
        };
        let mut err = ParseError::new(source_name, kind, msg);
        if let Some(loc) = inner.location() {
            err.position = Some(Position::LineColumn {
                line: loc.line(),
                column: loc.column(),
            });
        }
        let path = e.path().to_string();
        if path != "." && !path.is_empty() {
            err.field = Some(path);
        }
        err
    }
}

/// Deserialize a JSON document from bytes, with field paths in errors and a check for trailing data.
pub(crate) fn json_from_slice<T: serde::de::DeserializeOwned>(
    source_name: &str,
    bytes: &[u8],
) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| ParseError::from_json_path(source_name, &e))?;
    de.end()
        .map_err(|e| ParseError::from_json(source_name, &e))?;
    Ok(v)
}

/// Deserialize a JSON document from a reader (streaming: the document is never held whole).
pub(crate) fn json_from_reader<T: serde::de::DeserializeOwned, R: std::io::Read>(
    source_name: &str,
    reader: R,
) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let v = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| ParseError::from_json_path(source_name, &e))?;
    de.end()
        .map_err(|e| ParseError::from_json(source_name, &e))?;
    Ok(v)
}

/// Deserialize a YAML document from bytes.
pub(crate) fn yaml_from_slice<T: serde::de::DeserializeOwned>(
    source_name: &str,
    bytes: &[u8],
) -> Result<T, ParseError> {
    let de = serde_yaml_ng::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| ParseError::from_yaml_path(source_name, &e))
}

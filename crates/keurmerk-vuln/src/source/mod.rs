//! Loading advisories from a path a caller names: a directory (recursive), a `.tar.gz` archive or a single
//! file. This is the only module of the crate that touches the file system.

pub(crate) mod error;

pub use error::{ParseError, ParseErrorKind, Position};

//! Loading advisories from a path a caller names: a directory (recursive), a `.tar.gz` (or plain `.tar`)
//! archive, or a single file. This is the only module of the crate that touches the file system.
//!
//! Documents are recognised by name (`.json`, `.yaml`, `.yml`; hidden files skipped) and by content: JSON
//! with a `csaf_version` key is CSAF 2.0, other JSON and all YAML is OSV. Iteration streams: one archive
//! entry at a time is in memory. An advisory that fails to parse is reported (with its entry name) and
//! counted; it never aborts the others.

pub(crate) mod error;
mod walk;

pub use error::{ParseError, ParseErrorKind, Position};
pub use walk::{for_each_document, is_document_name, SourceError, WalkStats};

use std::path::Path;

use crate::csaf::{self, CsafDocument};
use crate::osv::Osv;

/// One advisory document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AdvisoryDoc {
    /// An OSV record (from JSON or YAML).
    Osv(Box<Osv>),
    /// A CSAF 2.0 document.
    Csaf(Box<CsafDocument>),
}

/// What loading a path produced besides the documents.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// Documents parsed successfully.
    pub loaded: usize,
    /// Files skipped by name (not `.json`/`.yaml`/`.yml`, or hidden).
    pub skipped: usize,
    /// Every failure, each naming its entry; `errors.len()` is the error count.
    pub errors: Vec<ParseError>,
}

/// Parse one advisory document: YAML (by name) is OSV; JSON is CSAF if it has `csaf_version`, else OSV.
pub fn parse_advisory(name: &str, bytes: &[u8]) -> Result<AdvisoryDoc, ParseError> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        let osv: Osv = error::yaml_from_slice(name, bytes)?;
        return Ok(AdvisoryDoc::Osv(Box::new(osv)));
    }
    if csaf::looks_like_csaf(bytes) {
        return Ok(AdvisoryDoc::Csaf(Box::new(csaf::parse(name, bytes)?)));
    }
    let osv: Osv = error::json_from_slice(name, bytes)?;
    Ok(AdvisoryDoc::Osv(Box::new(osv)))
}

/// Stream every advisory under `path` to `f(entry_name, doc)`. Parse failures are collected in the
/// report; only a path that cannot be opened at all is an `Err`.
pub fn load(path: &Path, mut f: impl FnMut(&str, AdvisoryDoc)) -> Result<LoadReport, SourceError> {
    let mut report = LoadReport::default();
    let stats = for_each_document(path, |name, bytes| match parse_advisory(name, bytes) {
        Ok(doc) => {
            report.loaded += 1;
            f(name, doc);
        }
        Err(e) => report.errors.push(e),
    })?;
    report.skipped = stats.skipped;
    report.errors.extend(stats.read_errors);
    Ok(report)
}

/// Load every advisory under `path` into memory (convenience over [`load`]).
pub fn load_all(path: &Path) -> Result<(Vec<(String, AdvisoryDoc)>, LoadReport), SourceError> {
    let mut docs = Vec::new();
    let report = load(path, |name, doc| docs.push((name.to_owned(), doc)))?;
    Ok((docs, report))
}

//! Loading advisories from a path a caller names: a directory (recursive), a `.tar.gz` (or plain `.tar`)
//! archive, or a single file. This is the only module of the crate that touches the file system.
//!
//! Documents are recognised by name (`.json`, `.yaml`, `.yml`; hidden files skipped) and by content: JSON
//! with a `csaf_version` key is CSAF 2.0, other JSON and all YAML is OSV. Iteration streams: one archive
//! entry at a time is in memory. An advisory that fails to parse is reported (with its entry name) and
//! counted; it never aborts the others. Whether a partly read input may be used is the caller's
//! decision: [`LoadReport::is_complete`] says whether it was read completely.
//!
//! # Limits
//!
//! Untrusted input is bounded while it is read ([`Limits::DEFAULT`]); breaking a bound is a
//! [`ParseErrorKind::LimitExceeded`] error naming the file or archive entry and the limit:
//!
//! | Bound | Default |
//! |---|---|
//! | one document (a file, or an archive entry after decompression) | 64 MiB |
//! | all bytes read from one path (a `.tar.gz` decompressed, or a directory's documents) | 4 GiB |
//! | nesting of JSON arrays/objects, YAML sequences/mappings, XML elements | 128 levels |
//! | flow collections (`[`, `{`) in one YAML document | 4,096 |
//!
//! An archive entry over the size limit, or an archive over the total, stops the walk
//! ([`WalkStats::stopped_early`]): it is rejected after reading at most the limit, in milliseconds
//! when its header states its size honestly. Nesting is checked by a linear pre-scan before parsing.

pub(crate) mod error;
mod limits;
mod walk;

pub use error::{ParseError, ParseErrorKind, Position};
pub use limits::{check_json_depth, check_yaml_depth, Limits};
pub use walk::{
    for_each_document, for_each_document_within, is_document_name, read_bounded, read_document,
    SourceError, WalkStats,
};

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
    /// Reading stopped before the end of the input (see [`WalkStats::stopped_early`]): an unknown
    /// number of further documents were not read.
    pub stopped_early: bool,
}

impl LoadReport {
    /// Was every document of the input read and parsed? A result computed from an incomplete input
    /// must say so.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && !self.stopped_early
    }
}

/// Parse one advisory document: YAML (by name) is OSV; JSON is CSAF if it has `csaf_version`, else OSV.
/// Nesting deeper than [`Limits::DEFAULT`] allows is rejected before parsing.
pub fn parse_advisory(name: &str, bytes: &[u8]) -> Result<AdvisoryDoc, ParseError> {
    parse_advisory_within(name, bytes, &Limits::DEFAULT)
}

fn parse_advisory_within(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<AdvisoryDoc, ParseError> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        check_yaml_depth(name, bytes, limits.max_depth, limits.max_yaml_flow_openers)?;
        let osv: Osv = error::yaml_from_slice(name, bytes)?;
        return Ok(AdvisoryDoc::Osv(Box::new(osv)));
    }
    check_json_depth(name, bytes, limits.max_depth)?;
    if csaf::looks_like_csaf(bytes) {
        return Ok(AdvisoryDoc::Csaf(Box::new(csaf::parse(name, bytes)?)));
    }
    let osv: Osv = error::json_from_slice(name, bytes)?;
    Ok(AdvisoryDoc::Osv(Box::new(osv)))
}

/// Stream every advisory under `path` to `f(entry_name, doc)`, within [`Limits::DEFAULT`]. Parse
/// failures are collected in the report; only a path that cannot be opened at all is an `Err`.
pub fn load(path: &Path, f: impl FnMut(&str, AdvisoryDoc)) -> Result<LoadReport, SourceError> {
    load_within(path, &Limits::DEFAULT, f)
}

/// [`load`] with explicit limits.
pub fn load_within(
    path: &Path,
    limits: &Limits,
    mut f: impl FnMut(&str, AdvisoryDoc),
) -> Result<LoadReport, SourceError> {
    let mut report = LoadReport::default();
    let stats =
        for_each_document_within(path, limits, |name, bytes| {
            match parse_advisory_within(name, bytes, limits) {
                Ok(doc) => {
                    report.loaded += 1;
                    f(name, doc);
                }
                Err(e) => report.errors.push(e),
            }
        })?;
    report.skipped = stats.skipped;
    report.stopped_early = stats.stopped_early;
    report.errors.extend(stats.read_errors);
    Ok(report)
}

/// Load every advisory under `path` into memory (convenience over [`load`]).
pub fn load_all(path: &Path) -> Result<(Vec<(String, AdvisoryDoc)>, LoadReport), SourceError> {
    let mut docs = Vec::new();
    let report = load(path, |name, doc| docs.push((name.to_owned(), doc)))?;
    Ok((docs, report))
}

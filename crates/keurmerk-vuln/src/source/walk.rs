//! Streaming iteration over the documents under a path: a single file, a directory (recursive, sorted), or
//! a tar archive (gzip-compressed or not). Archive entries are read one at a time; only the current entry
//! is in memory. Sizes are bounded while reading ([`Limits`]): a document is read with `take(limit + 1)`,
//! and an archive's decompressed stream is counted as a whole, so neither a lying header nor a sparse
//! entry nor a bomb can make a read larger than its limit.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::limits::{human_bytes, Limits};
use super::{ParseError, ParseErrorKind};

/// A path could not be opened or walked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// Reading the path failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What a walk saw.
#[derive(Debug, Default, Clone)]
pub struct WalkStats {
    /// Documents handed to the callback.
    pub documents: usize,
    /// Files skipped because their name does not look like a document (`.json`, `.yaml`, `.yml`).
    pub skipped: usize,
    /// Entries that could not be read (the callback never saw them).
    pub read_errors: Vec<ParseError>,
    /// The walk stopped before the end of its input (a corrupt or truncated archive, or a size
    /// limit): an unknown number of further documents were never seen. Always comes with an entry
    /// in `read_errors` saying why.
    pub stopped_early: bool,
}

/// Does this entry name look like a document we read?
pub fn is_document_name(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    if file.starts_with('.') {
        return false;
    }
    let lower = file.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// Call `f(entry_name, bytes)` for every document under `path`, within [`Limits::DEFAULT`].
/// Per-entry read failures are collected in the returned stats, not raised; only a path that cannot be
/// opened at all is an `Err`.
pub fn for_each_document(
    path: &Path,
    f: impl FnMut(&str, &[u8]),
) -> Result<WalkStats, SourceError> {
    for_each_document_within(path, &Limits::DEFAULT, f)
}

/// [`for_each_document`] with explicit limits.
pub fn for_each_document_within(
    path: &Path,
    limits: &Limits,
    mut f: impl FnMut(&str, &[u8]),
) -> Result<WalkStats, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut stats = WalkStats::default();
    if meta.is_dir() {
        let mut total = 0;
        walk_dir(path, path, limits, &mut total, &mut stats, &mut f);
        return Ok(stats);
    }
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0u8; 262];
    let n = read_up_to(&mut file, &mut magic).map_err(io)?;
    let magic = &magic[..n];
    let display = path.display().to_string();
    let file = File::open(path).map_err(io)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::read::GzDecoder::new(BufReader::new(file));
        walk_tar(&display, gz, limits, &mut stats, &mut f);
    } else if magic.len() >= 262 && &magic[257..262] == b"ustar" {
        walk_tar(&display, BufReader::new(file), limits, &mut stats, &mut f);
    } else {
        match read_bounded(&display, file, limits.max_document_bytes) {
            Ok(bytes) => {
                stats.documents += 1;
                f(&display, &bytes);
            }
            Err(e) => stats.read_errors.push(e),
        }
    }
    Ok(stats)
}

/// Read a whole document, at most `max` bytes: one byte more is an error naming the limit, found
/// without reading further.
pub fn read_bounded(name: &str, reader: impl Read, max: u64) -> Result<Vec<u8>, ParseError> {
    let mut bytes = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ParseError::new(name, ParseErrorKind::Io, e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(too_large(name, max));
    }
    Ok(bytes)
}

/// Read the file at `path` as one document within `limits` (for SBOM and VEX inputs).
pub fn read_document(path: &Path, limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let name = path.display().to_string();
    let file =
        File::open(path).map_err(|e| ParseError::new(&name, ParseErrorKind::Io, e.to_string()))?;
    read_bounded(&name, file, limits.max_document_bytes)
}

fn too_large(name: &str, max: u64) -> ParseError {
    ParseError::new(
        name,
        ParseErrorKind::LimitExceeded,
        format!("larger than the limit of {} per document", human_bytes(max)),
    )
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    limits: &Limits,
    total: &mut u64,
    stats: &mut WalkStats,
    f: &mut impl FnMut(&str, &[u8]),
) {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
    };
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect(),
        Err(e) => {
            stats.read_errors.push(ParseError::new(
                &dir.display().to_string(),
                ParseErrorKind::Io,
                e.to_string(),
            ));
            return;
        }
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let p = e.path();
        // `file_type` does not follow symlinks, so a symlinked directory cannot loop the walk.
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk_dir(root, &p, limits, total, stats, f);
            if stats.stopped_early {
                return;
            }
            continue;
        }
        let name = rel(&p);
        if !is_document_name(&name) {
            stats.skipped += 1;
            continue;
        }
        let read = File::open(&p)
            .map_err(|e| ParseError::new(&name, ParseErrorKind::Io, e.to_string()))
            .and_then(|file| read_bounded(&name, file, limits.max_document_bytes));
        match read {
            Ok(bytes) => {
                *total += bytes.len() as u64;
                if *total > limits.max_total_bytes {
                    stats.read_errors.push(ParseError::new(
                        &name,
                        ParseErrorKind::LimitExceeded,
                        format!(
                            "the documents read so far exceed the limit of {} per path; the rest of the directory was not read",
                            human_bytes(limits.max_total_bytes)
                        ),
                    ));
                    stats.stopped_early = true;
                    return;
                }
                stats.documents += 1;
                f(&name, &bytes);
            }
            Err(err) => stats.read_errors.push(err),
        }
    }
}

/// Counts every byte the archive's (decompressed) stream yields and fails once there are more than
/// `max`, so a bomb is stopped by what it produces, not by what it claims.
struct Counted<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    max: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.read.get().saturating_add(n as u64);
        self.read.set(total);
        if total > self.max {
            return Err(std::io::Error::other(format!(
                "decompressed size exceeds the limit of {}",
                human_bytes(self.max)
            )));
        }
        Ok(n)
    }
}

fn walk_tar<R: Read>(
    archive_name: &str,
    reader: R,
    limits: &Limits,
    stats: &mut WalkStats,
    f: &mut impl FnMut(&str, &[u8]),
) {
    let read = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: reader,
        read: Rc::clone(&read),
        max: limits.max_total_bytes,
    };
    let over_total = || read.get() > limits.max_total_bytes;
    let mut archive = tar::Archive::new(counted);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            stats.read_errors.push(ParseError::new(
                archive_name,
                ParseErrorKind::Io,
                format!("not a readable tar archive: {e}"),
            ));
            stats.stopped_early = true;
            return;
        }
    };
    fn stop(stats: &mut WalkStats, e: ParseError) {
        stats.read_errors.push(e);
        stats.stopped_early = true;
    }
    let mut buf = Vec::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) if over_total() => {
                let msg = format!("stopped reading: {e}; the rest of the archive was not read");
                return stop(
                    stats,
                    ParseError::new(archive_name, ParseErrorKind::LimitExceeded, msg),
                );
            }
            Err(e) => {
                // A broken archive cannot be resynchronised: report and stop.
                let msg = format!(
                    "archive is corrupt or truncated: {e}; the rest of the archive was not read"
                );
                return stop(
                    stats,
                    ParseError::new(archive_name, ParseErrorKind::Truncated, msg),
                );
            }
        };
        let path = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<non-UTF-8 name>".to_owned());
        let name = format!("{archive_name}:{path}");
        // The stated size is only a fast first check (it rejects an honest bomb without inflating it);
        // the bounded read below is what enforces the limit.
        let max = limits.max_document_bytes;
        if entry.size() > max {
            return stop(stats, too_large(&name, max));
        }
        if !entry.header().entry_type().is_file() {
            continue;
        }
        if !is_document_name(&path) {
            stats.skipped += 1;
            continue;
        }
        buf.clear();
        if let Err(e) = (&mut entry).take(max + 1).read_to_end(&mut buf) {
            let (kind, what) = if over_total() {
                (ParseErrorKind::LimitExceeded, "stopped reading")
            } else {
                (ParseErrorKind::Truncated, "entry could not be read")
            };
            let msg = format!("{what}: {e}; the rest of the archive was not read");
            return stop(stats, ParseError::new(&name, kind, msg));
        }
        if buf.len() as u64 > max {
            return stop(stats, too_large(&name, max));
        }
        stats.documents += 1;
        f(&name, &buf);
    }
}

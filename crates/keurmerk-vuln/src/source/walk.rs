//! Streaming iteration over the documents under a path: a single file, a directory (recursive, sorted), or
//! a tar archive (gzip-compressed or not). Archive entries are read one at a time; only the current entry
//! is in memory.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

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

/// Call `f(entry_name, bytes)` for every document under `path`. Per-entry read failures are collected in
/// the returned stats, not raised; only a path that cannot be opened at all is an `Err`.
pub fn for_each_document(
    path: &Path,
    mut f: impl FnMut(&str, &[u8]),
) -> Result<WalkStats, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut stats = WalkStats::default();
    if meta.is_dir() {
        walk_dir(path, path, &mut stats, &mut f);
        return Ok(stats);
    }
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0u8; 262];
    let n = read_up_to(&mut file, &mut magic).map_err(io)?;
    let magic = &magic[..n];
    let display = path.display().to_string();
    let file = File::open(path).map_err(io)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        walk_tar(
            &display,
            flate2::read::GzDecoder::new(BufReader::new(file)),
            &mut stats,
            &mut f,
        );
    } else if magic.len() >= 262 && &magic[257..262] == b"ustar" {
        walk_tar(&display, BufReader::new(file), &mut stats, &mut f);
    } else {
        let mut bytes = Vec::new();
        let mut file = file;
        file.read_to_end(&mut bytes).map_err(io)?;
        stats.documents += 1;
        f(&display, &bytes);
    }
    Ok(stats)
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

fn walk_dir(root: &Path, dir: &Path, stats: &mut WalkStats, f: &mut impl FnMut(&str, &[u8])) {
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
            walk_dir(root, &p, stats, f);
            continue;
        }
        let name = rel(&p);
        if !is_document_name(&name) {
            stats.skipped += 1;
            continue;
        }
        match std::fs::read(&p) {
            Ok(bytes) => {
                stats.documents += 1;
                f(&name, &bytes);
            }
            Err(err) => {
                stats
                    .read_errors
                    .push(ParseError::new(&name, ParseErrorKind::Io, err.to_string()))
            }
        }
    }
}

fn walk_tar<R: Read>(
    archive_name: &str,
    reader: R,
    stats: &mut WalkStats,
    f: &mut impl FnMut(&str, &[u8]),
) {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            stats.read_errors.push(ParseError::new(
                archive_name,
                ParseErrorKind::Io,
                format!("not a readable tar archive: {e}"),
            ));
            return;
        }
    };
    let mut buf = Vec::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A broken archive cannot be resynchronised: report and stop.
                stats.read_errors.push(ParseError::new(
                    archive_name,
                    ParseErrorKind::Truncated,
                    format!("archive is corrupt or truncated: {e}"),
                ));
                return;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<non-UTF-8 name>".to_owned());
        let name = format!("{archive_name}:{path}");
        if !is_document_name(&path) {
            stats.skipped += 1;
            continue;
        }
        buf.clear();
        if let Err(e) = entry.read_to_end(&mut buf) {
            stats.read_errors.push(ParseError::new(
                &name,
                ParseErrorKind::Truncated,
                format!("entry could not be read: {e}"),
            ));
            return;
        }
        stats.documents += 1;
        f(&name, &buf);
    }
}

//! `keurmerk backup` and `keurmerk restore` (see docs/OPERATIONS.md).
//!
//! A backup of a SQLite registry is taken online with `VACUUM INTO` (one read transaction: a
//! consistent state, safe while `keurmerk serve` writes) into a scratch file beside the target,
//! checked ([`check`]) against the checkpoint the live log had when the backup began, made
//! durable (fsync) and only then moved under the target name, so a killed backup never leaves a
//! partial file there. A restore checks the copy the same way — in a scratch file beside the
//! database it replaces, migrated first — and moves a database it replaces aside, never deleting
//! it. PostgreSQL is backed up with `pg_dump`; the command says how and refuses.

pub mod check;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use keurmerk_store::backup::{check_sqlite_file, copy_sqlite_file, sqlite_path};
use keurmerk_store::SqlStore;
use keurmerk_transparency::LogState;

use self::check::{LogVerifierArgs, Published};
use super::redact;
use crate::Cli;

/// What `keurmerk backup` says on PostgreSQL (docs/OPERATIONS.md has the same procedure).
pub const POSTGRES_PROCEDURE: &str = "\
keurmerk backup copies SQLite databases only. Back up PostgreSQL with pg_dump, which reads one
consistent snapshot while keurmerk serve keeps writing:

  pg_dump --format=custom --file keurmerk.dump 'postgres://USER@HOST/DB'

(add --schema NAME if the registry lives in its own schema). Restore into a new, empty database,
check it, and only then point keurmerk at it:

  createdb -h HOST -U USER keurmerk_restored
  pg_restore --no-owner --dbname 'postgres://USER@HOST/keurmerk_restored' keurmerk.dump
  keurmerk restore --check 'postgres://USER@HOST/keurmerk_restored' --against https://REGISTRY

Keep the key directory (--keys) and the log key file (serve.log_key) with the dump: they are
not in the database.";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (SQLite). It must not exist unless --force is given.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub key: LogVerifierArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["check", "to"])))]
pub struct RestoreArgs {
    /// The copy: a backup file (or `sqlite:PATH`); with --check also `postgres://…`, a restored
    /// PostgreSQL database.
    #[arg(value_name = "COPY")]
    pub source: String,
    /// Only check the copy (read-only); exit 0 when it may be restored.
    #[arg(long)]
    pub check: bool,
    /// Check the copy, then make it the SQLite database DB (`sqlite:PATH` or PATH). Stop every
    /// `keurmerk serve` using DB first.
    #[arg(long, value_name = "DB")]
    pub to: Option<String>,
    /// With --to: replace an existing database; it is kept, renamed `PATH.replaced-<time>`.
    #[arg(long, requires = "to")]
    pub force: bool,
    /// A published checkpoint the copy must extend: the live registry (`https://host`), its
    /// database (`sqlite:PATH`, `postgres://…`), a monitor state file (`keurmerk log verify
    /// --state`) or a checkpoint note file. Repeat for several.
    #[arg(long, value_name = "URL_OR_DB_OR_FILE")]
    pub against: Vec<String>,
    /// With --to: restore even if the integrity check reports problems with the signed record
    /// (they stay visible: the affected labels show the status `unknown`). Log problems are
    /// never overridden.
    #[arg(long, requires = "to")]
    pub allow_integrity_problems: bool,
    #[command(flatten)]
    pub key: LogVerifierArgs,
}

pub async fn backup(cli: &Cli, a: &BackupArgs) -> Result<ExitCode> {
    let Some(db_path) = sqlite_path(&cli.db) else {
        eprintln!("{POSTGRES_PROCEDURE}");
        return Ok(ExitCode::FAILURE);
    };
    if !db_path.is_file() {
        bail!("there is no database at {}", db_path.display());
    }
    if a.to.exists() && !a.force {
        bail!(
            "{} exists; pass --force to replace it (or choose another file)",
            a.to.display()
        );
    }
    let catalogue = std::sync::Arc::new(crate::schemes::load(cli.schemes.as_deref())?);
    let live = SqlStore::connect(&cli.db)
        .await
        .with_context(|| format!("opening the database {}", cli.db))?;
    // Every write acknowledged so far is in this checkpoint (serve answers a write only once its
    // entry is in a signed checkpoint); the copy must extend it.
    let before = match LogState::new(&live).checkpoint().await {
        Ok(note) => Some(Published {
            source: format!("{} when the backup began", db_path.display()),
            note,
        }),
        Err(keurmerk_transparency::Error::NoCheckpoint) => None,
        Err(e) => return Err(e).context("reading the live log's checkpoint"),
    };
    let scratch = Scratch::beside(&a.to)?;
    live.vacuum_into(scratch.path())
        .await
        .with_context(|| format!("copying the database into {}", scratch.path().display()))?;
    live.close().await;
    sync_file(scratch.path())?;

    let copy = SqlStore::open_read_only(&format!("sqlite:{}", scratch.path().display()))
        .await
        .context("opening the copy just written")?;
    let report = check::run(
        &copy,
        format!("backup {}", a.to.display()),
        &a.key,
        before.as_slice(),
        catalogue,
    )
    .await;
    copy.close().await;
    let report = report?;
    if !report.log_ok() {
        report.print();
        eprintln!("backup NOT written: the copy failed its check");
        return Ok(ExitCode::FAILURE);
    }
    scratch.persist(&a.to, a.force)?;
    report.print();
    let bytes = std::fs::metadata(&a.to).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({bytes} bytes)", a.to.display());
    if !report.integrity_ok() {
        eprintln!(
            "the registry itself has integrity problems (listed above); the backup holds them \
             as they are"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(cli: &Cli, a: &RestoreArgs) -> Result<ExitCode> {
    let catalogue = std::sync::Arc::new(crate::schemes::load(cli.schemes.as_deref())?);
    let mut against = Vec::with_capacity(a.against.len());
    for s in &a.against {
        against.push(check::published(s).await?);
    }
    let Some(to) = &a.to else {
        let copy = SqlStore::open_read_only(&a.source)
            .await
            .with_context(|| format!("opening the copy {}", redact(&a.source)))?;
        let report = check::run(&copy, redact(&a.source), &a.key, &against, catalogue).await;
        copy.close().await;
        let report = report?;
        report.print();
        return Ok(if report.log_ok() && report.integrity_ok() {
            println!("restore check passed");
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    };
    let Some(target) = sqlite_path(to) else {
        bail!(
            "keurmerk restore --to writes SQLite databases only; restore PostgreSQL with \
             pg_restore and check it with `keurmerk restore --check postgres://…` \
             (docs/OPERATIONS.md)"
        );
    };
    let Some(source) = sqlite_path(&a.source) else {
        bail!("a PostgreSQL database is restored with pg_restore, not keurmerk restore --to");
    };
    // Refused here with a clear error: a damaged file would fail later, deep in opening a pool.
    check_sqlite_file(&source).await?;
    if target.exists() && !a.force {
        bail!(
            "{} exists; pass --force to replace it (it is kept as {}.replaced-<time>)",
            target.display(),
            target.display()
        );
    }
    for side in ["-wal", "-shm"] {
        let f = suffixed(&target, side);
        if f.exists() && !a.force {
            bail!(
                "{} exists without its database; SQLite would apply it to the restored one: \
                 remove it or pass --force (it is then kept aside)",
                f.display()
            );
        }
    }
    let scratch = Scratch::beside(&target)?;
    // As SQLite reads it, with what its -wal holds (a plain file copy would drop that, and the
    // check below would pass on a copy missing committed writes).
    copy_sqlite_file(&source, scratch.path())
        .await
        .with_context(|| {
            format!(
                "copying {} to {}",
                source.display(),
                scratch.path().display()
            )
        })?;
    // Migrate the scratch copy (a backup made by an older keurmerk), then check it read-only.
    let url = format!("sqlite:{}", scratch.path().display());
    SqlStore::connect(&url)
        .await
        .with_context(|| format!("opening the copy {}", source.display()))?
        .close()
        .await;
    scratch.settle()?;
    let copy = SqlStore::open_read_only(&url)
        .await
        .with_context(|| format!("opening the copy {}", source.display()))?;
    let report = check::run(
        &copy,
        format!("copy {}", source.display()),
        &a.key,
        &against,
        catalogue,
    )
    .await;
    copy.close().await;
    let report = report?;
    report.print();
    scratch.settle()?;
    if !report.log_ok() || (!report.integrity_ok() && !a.allow_integrity_problems) {
        eprintln!("NOT restored: {} is unchanged", target.display());
        return Ok(ExitCode::FAILURE);
    }
    sync_file(scratch.path())?;
    let kept = if a.force { move_aside(&target)? } else { None };
    scratch.persist(&target, a.force)?;
    if let Some(k) = kept {
        println!("the database it replaces is kept as {}", k.display());
    }
    println!("restored {} to {}", source.display(), target.display());
    Ok(ExitCode::SUCCESS)
}

/// A scratch file beside a target, removed (with any `-wal`/`-shm`/`-journal`) unless persisted.
struct Scratch {
    path: PathBuf,
    persisted: bool,
}

impl Scratch {
    fn beside(target: &Path) -> Result<Scratch> {
        let name = target
            .file_name()
            .with_context(|| format!("{} names no file", target.display()))?
            .to_string_lossy()
            .into_owned();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = target.with_file_name(format!(".{name}.{}-{nanos}.partial", std::process::id()));
        Ok(Scratch {
            path,
            persisted: false,
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's side files of the scratch database, which follow no rename.
    fn side_files(&self) -> Vec<PathBuf> {
        ["-wal", "-shm", "-journal"]
            .iter()
            .map(|s| suffixed(&self.path, s))
            .collect()
    }

    /// After the last connection closed: nothing may be left in a `-wal` (it would not follow
    /// the rename); the empty side files are removed.
    fn settle(&self) -> Result<()> {
        for f in self.side_files() {
            match std::fs::metadata(&f) {
                Ok(m) if m.len() > 0 && f.to_string_lossy().ends_with("-wal") => {
                    bail!("{} still holds changes after closing the copy", f.display())
                }
                // Gone between the two calls is gone (CI saw a `-shm` file vanish in between).
                Ok(_) => match std::fs::remove_file(&f) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("removing {}", f.display()));
                    }
                    _ => {}
                },
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Moves the file under `target`: with `replace` by rename, else by a hard link that fails
    /// if `target` exists (no race with a file created meanwhile). Then syncs the directory.
    fn persist(mut self, target: &Path, replace: bool) -> Result<()> {
        if replace {
            std::fs::rename(&self.path, target)
        } else {
            std::fs::hard_link(&self.path, target).and_then(|()| std::fs::remove_file(&self.path))
        }
        .with_context(|| format!("moving the copy to {}", target.display()))?;
        self.persisted = true;
        sync_dir(target)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
        for f in self.side_files() {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Renames `target` and its `-wal`/`-shm` (together, so they stay a pair) to
/// `target.replaced-<UTC time>`.
fn move_aside(target: &Path) -> Result<Option<PathBuf>> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let kept = suffixed(target, &format!(".replaced-{stamp}"));
    let mut moved = false;
    for side in ["", "-wal", "-shm"] {
        let from = suffixed(target, side);
        if from.exists() {
            let to = suffixed(&kept, side);
            std::fs::rename(&from, &to)
                .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
            moved |= side.is_empty();
        }
    }
    Ok(moved.then_some(kept))
}

fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", path.display()))
}

/// Makes a rename durable: syncs the directory that holds `path`.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing the directory {}", dir.display()))
}

//! The check of a registry copy, shared by `backup` (on the file it wrote), `restore --check` and
//! `restore --to` (before anything is replaced).
//!
//! 1. The copy's transparency log is verified by the monitor of `keurmerk log verify`
//!    (`keurmerk_transparency::verify_log`), run against the copy itself: its log routes are
//!    served on a loopback port for the duration of the check. Every entry is re-hashed, every
//!    hash tile recomputed and compared, and the root compared with the copy's signed checkpoint.
//! 2. For each published checkpoint it must extend (`--against`, or the live database's
//!    checkpoint when the backup began) the checkpoint's signature is verified with the log key;
//!    a copy with fewer entries is refused naming both sizes; otherwise the monitor runs again
//!    from that checkpoint as its previous state, which proves that the copy's tree at that size
//!    has that root (the monitor's consistency check) — else the copy forked the log.
//! 3. The registry's integrity check (`keurmerk certificate verify`): stored state = fold of the
//!    events, every event = its signed statement, every statement logged or queued.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use keurmerk_domain::ids::CertificateId;
use keurmerk_service::{Problem, Registry, Secrets, Signer, SystemClock};
use keurmerk_store::backup::Contents;
use keurmerk_store::SqlStore;
use keurmerk_tlog::{Verifier as _, Verifiers};
use keurmerk_transparency::{LogKey, LogState, MonitorReport};

/// Where the log's public key comes from: `--log-key-string`, else the private key file.
#[derive(Debug, Clone, clap::Args)]
pub struct LogVerifierArgs {
    /// The log's private key file (`serve.log_key`), read to learn the log's public key; never
    /// created or changed here.
    #[arg(
        long = "log-key",
        env = "KEURMERK_LOG_KEY",
        default_value = "keurmerk-log.key",
        value_name = "FILE"
    )]
    pub log_key: PathBuf,
    /// The log's verifier key (signed-note form, as `keurmerk log key` prints it), instead of
    /// reading --log-key.
    #[arg(
        long = "log-key-string",
        env = "KEURMERK_LOG_VERIFIER_KEY",
        value_name = "KEY"
    )]
    pub log_key_string: Option<String>,
}

impl LogVerifierArgs {
    /// The log's verifier key (signed-note form).
    pub fn verifier_key(&self) -> Result<String> {
        if let Some(k) = &self.log_key_string {
            return Ok(k.trim().to_owned());
        }
        match std::fs::read_to_string(&self.log_key) {
            // The file holds a private key: its content never reaches a message.
            Ok(text) => LogKey::from_skey(&text)
                .map(|k| k.log_verifier_key())
                .map_err(|_| {
                    anyhow!(
                        "the log key file {} does not hold a signed-note private key",
                        self.log_key.display()
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "which log key? there is no log key file {} (--log-key, serve.log_key); pass \
                 --log-key FILE or --log-key-string KEY (`keurmerk log key` prints it)",
                self.log_key.display()
            ),
            Err(e) => {
                Err(e).with_context(|| format!("reading the log key {}", self.log_key.display()))
            }
        }
    }
}

/// A published checkpoint the copy must extend, and where it came from (for messages).
#[derive(Debug, Clone)]
pub struct Published {
    /// Where it came from, as the operator named it.
    pub source: String,
    /// The signed checkpoint note.
    pub note: String,
}

/// What the check found.
#[derive(Debug)]
pub struct Report {
    /// What was checked (a file or a redacted URL).
    pub copy: String,
    /// What the copy holds.
    pub contents: Contents,
    /// The copy's verified log (`None`: no checkpoint signed yet and no entries).
    pub log: Option<MonitorReport>,
    /// One line per published checkpoint the copy extends.
    pub extends: Vec<String>,
    /// Certificates whose stored state differs from their events.
    pub drifted: Vec<CertificateId>,
    /// Problems with the signed record.
    pub problems: Vec<Problem>,
    /// Why the copy must not be restored (empty: it may).
    pub refusals: Vec<String>,
}

impl Report {
    /// Whether the log checks passed (a copy failing them must never be restored).
    pub fn log_ok(&self) -> bool {
        self.refusals.is_empty()
    }

    /// Whether the integrity check found nothing.
    pub fn integrity_ok(&self) -> bool {
        self.drifted.is_empty() && self.problems.is_empty()
    }

    /// Prints what the copy holds and what was verified; refusals and problems go to stderr.
    pub fn print(&self) {
        let c = &self.contents;
        println!("{}", self.copy);
        println!(
            "  holds: {} certificates, {} events, {} products, {} organisations; {} statements \
             queued for the log",
            c.certificates, c.events, c.products, c.organisations, c.statements_queued
        );
        match &self.log {
            Some(r) => {
                println!(
                    "  log: {} entries, newest checkpoint {} root {}",
                    r.size, r.origin, r.root
                );
                println!(
                    "  log verified: {} entries re-hashed, {} hash tiles compared, root equals \
                     the signed checkpoint",
                    r.entries_checked, r.tiles_compared
                );
            }
            None => println!("  log: empty (no checkpoint signed yet)"),
        }
        for e in &self.extends {
            println!("  {e}");
        }
        if self.integrity_ok() {
            println!(
                "  integrity: every certificate's stored state matches its events, every event \
                 matches its signed statement, and every statement is logged or queued"
            );
        }
        for id in &self.drifted {
            eprintln!("{id}: stored state differs from its events");
        }
        for p in &self.problems {
            eprintln!("{p}");
        }
        for r in &self.refusals {
            eprintln!("REFUSED: {r}");
        }
        if !self.integrity_ok() {
            eprintln!(
                "integrity check failed: {} certificate(s) drifted, {} problem(s) with the \
                 signed record",
                self.drifted.len(),
                self.problems.len()
            );
        }
    }
}

/// Runs the whole check on `store` (opened read-only, or the scratch file of a restore).
pub async fn run(
    store: &SqlStore,
    copy: String,
    key: &LogVerifierArgs,
    against: &[Published],
    catalogue: Arc<keurmerk_domain::scheme::Catalogue>,
) -> Result<Report> {
    let contents = store.contents().await.context("reading the copy")?;
    let state = LogState::new(store);
    let head = match state.checkpoint().await {
        Ok(note) => Some(note),
        Err(keurmerk_transparency::Error::NoCheckpoint) => None,
        Err(e) => return Err(e).context("reading the copy's log head"),
    };
    let mut refusals = Vec::new();
    let mut extends = Vec::new();
    let mut log = None;
    if head.is_some() || !against.is_empty() {
        let vkey = key.verifier_key()?;
        let served = ServedLog::start(state.clone()).await?;
        let copy_size = match &head {
            Some(_) => match served.verify(&vkey, None).await {
                Ok(r) => {
                    let size = r.size;
                    log = Some(r);
                    Some(size)
                }
                Err(e) => {
                    refusals.push(format!("the copy's transparency log does not verify: {e}"));
                    None
                }
            },
            None => Some(0),
        };
        if let Some(copy_size) = copy_size {
            for p in against {
                match extends_checkpoint(&served, &vkey, copy_size, p).await {
                    Ok(line) => extends.push(line),
                    Err(reason) => refusals.push(reason),
                }
            }
        }
        served.stop();
    } else if state.size().await.context("reading the copy's log head")? > 0 {
        refusals.push("the copy's log has entries but no signed checkpoint".into());
    }

    let signer = Signer::new(Arc::new(store.clone()), Secrets::memory());
    let registry =
        Registry::new(store.clone(), catalogue, Arc::new(SystemClock)).with_signer(signer);
    let drifted = registry
        .verify_event_store()
        .await
        .context("folding the copy's events")?;
    let problems = registry
        .verify_all_integrity()
        .await
        .context("checking the copy's signed record")?;
    Ok(Report {
        copy,
        contents,
        log,
        extends,
        drifted,
        problems,
        refusals,
    })
}

/// Whether the copy's log (of `copy_size` entries, already verified) extends `p`; `Err` is the
/// refusal, naming both sizes.
async fn extends_checkpoint(
    served: &ServedLog,
    vkey: &str,
    copy_size: u64,
    p: &Published,
) -> Result<String, String> {
    let verifier = keurmerk_tlog::Ed25519Verifier::from_vkey(vkey)
        .map_err(|e| format!("the log key {vkey:?} is malformed: {e}"))?;
    let origin = verifier.name().to_owned();
    let mut verifiers = Verifiers::new();
    verifiers.push(verifier);
    let (cp, _) =
        keurmerk_tlog::open_checkpoint(p.note.as_bytes(), &origin, &verifiers).map_err(|e| {
            format!(
                "the checkpoint of {} is not a checkpoint of this log signed by its key \
                 ({origin}): {e}",
                p.source
            )
        })?;
    if cp.size > copy_size {
        return Err(format!(
            "the copy's log has {copy_size} entries, but the checkpoint of {} has {}: restoring \
             it would roll the published log back by {} entries (acknowledged writes lost)",
            p.source,
            cp.size,
            cp.size - copy_size
        ));
    }
    if cp.size > 0 {
        let state = StateFile::write(&origin, &cp, &p.note)
            .map_err(|e| format!("writing a scratch file: {e:#}"))?;
        let result = served.verify(vkey, Some(state.path())).await;
        drop(state);
        result.map_err(|e| {
            format!(
                "the copy's log ({copy_size} entries) is not an extension of the checkpoint of \
                 {} ({} entries): {e}",
                p.source, cp.size
            )
        })?;
    }
    Ok(format!(
        "extends the checkpoint of {} ({} entries, root {})",
        p.source,
        cp.size,
        cp.root.to_base64()
    ))
}

/// The copy's log routes on a loopback port, for the monitor.
struct ServedLog {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl ServedLog {
    async fn start(state: LogState) -> Result<ServedLog> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("opening a loopback port to verify the copy's log")?;
        let addr = listener.local_addr()?;
        let app = keurmerk_transparency::log_router(state);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "serving the copy's log for its check");
            }
        });
        Ok(ServedLog {
            url: format!("http://{addr}/log"),
            task,
        })
    }

    async fn verify(
        &self,
        vkey: &str,
        previous: Option<&Path>,
    ) -> Result<MonitorReport, keurmerk_transparency::MonitorError> {
        keurmerk_transparency::verify_log(
            &self.url,
            previous,
            vkey,
            &[],
            0,
            &keurmerk_transparency::accept_all,
        )
        .await
    }

    fn stop(self) {
        self.task.abort();
    }
}

/// A scratch monitor state file (the format `keurmerk log verify --state` keeps) holding a
/// published checkpoint, so the monitor checks the copy against it. It lives in a directory of
/// its own (mode 0700, created anew: nothing in the shared temporary directory is followed or
/// overwritten, also not the monitor's `.tmp` file beside it); removed when dropped.
struct StateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl StateFile {
    fn write(origin: &str, cp: &keurmerk_tlog::Checkpoint, note: &str) -> Result<StateFile> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("keurmerk-check-{}-{nanos}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let state = StateFile {
            path: dir.join("state.json"),
            dir,
        };
        let json = serde_json::json!({
            "origin": origin,
            "size": cp.size,
            "root": cp.root.to_base64(),
            "checkpoint": note,
        });
        std::fs::write(&state.path, serde_json::to_vec(&json)?)
            .with_context(|| format!("writing {}", state.path.display()))?;
        Ok(state)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads the published checkpoint `source` names: a registry (`http(s)://host`, or the log
/// prefix `…/log`), a registry database (`sqlite:PATH`, `postgres://…`, or a SQLite file), a
/// monitor state file (JSON with a `checkpoint`) or a checkpoint note.
pub async fn published(source: &str) -> Result<Published> {
    let note = if source.starts_with("http://") || source.starts_with("https://") {
        fetch_checkpoint(source).await?
    } else if source.starts_with("sqlite:")
        || source.starts_with("postgres://")
        || source.starts_with("postgresql://")
        || keurmerk_store::backup::check_sqlite_header(Path::new(source)).is_ok()
    {
        let store = SqlStore::open_read_only(source)
            .await
            .with_context(|| format!("opening {}", super::super::redact(source)))?;
        let note = LogState::new(&store).checkpoint().await;
        store.close().await;
        note.with_context(|| format!("the log checkpoint of {}", super::super::redact(source)))?
    } else {
        read_checkpoint_file(Path::new(source))?
    };
    Ok(Published {
        source: super::super::redact(source),
        note,
    })
}

/// Checkpoint notes are a few hundred bytes; a monitor state file a little more.
const MAX_CHECKPOINT_FILE: u64 = 64 * 1024;

fn read_checkpoint_file(path: &Path) -> Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| {
        format!(
            "--against {}: not a URL, a database or a readable file",
            path.display()
        )
    })?;
    let mut text = String::new();
    file.take(MAX_CHECKPOINT_FILE + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if text.len() as u64 > MAX_CHECKPOINT_FILE {
        bail!(
            "{}: larger than {MAX_CHECKPOINT_FILE} bytes, not a checkpoint",
            path.display()
        );
    }
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a monitor state file", path.display()))?;
        return v["checkpoint"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{}: no `checkpoint` in the monitor state", path.display()));
    }
    Ok(text)
}

async fn fetch_checkpoint(url: &str) -> Result<String> {
    let trimmed = url.trim_end_matches('/');
    let after_scheme = trimmed.split_once("://").map_or(trimmed, |(_, r)| r);
    let prefix = if after_scheme.contains('/') {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/log")
    };
    let target = format!("{prefix}/checkpoint");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("starting the HTTP client")?;
    let resp = client
        .get(&target)
        .send()
        .await
        .with_context(|| format!("fetching {target}"))?;
    if !resp.status().is_success() {
        bail!("fetching {target}: HTTP {}", resp.status());
    }
    let body = resp
        .bytes()
        .await
        .with_context(|| format!("reading {target}"))?;
    if body.len() as u64 > MAX_CHECKPOINT_FILE {
        bail!("{target}: larger than {MAX_CHECKPOINT_FILE} bytes, not a checkpoint");
    }
    String::from_utf8(body.to_vec()).map_err(|_| anyhow!("{target}: not UTF-8 text"))
}

//! A monitor for any C2SP tlog-tiles log: verifies the checkpoint signature (and witness
//! cosignatures), that the log extends what it saw last time, and that every new entry bundle and
//! hash tile matches the root it recomputes from the entries themselves.
//!
//! Incremental: the state file keeps the last verified (size, root, checkpoint). A run fetches the
//! right-edge tiles of that old tree and checks they still hash to the saved root, then appends the
//! new entries' leaf hashes onto them with `keurmerk_tlog::append_leaf_hashes`, compares every tile
//! this produces with the tile the log serves, and compares the resulting root with the checkpoint.
//! Together that proves the new checkpoint is consistent with the old one and that the served
//! entries are exactly what the signed root commits to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keurmerk_tlog::{
    append_leaf_hashes, decode_entry_bundle_exact, empty_tree_hash, leaf_hash, open_checkpoint,
    parse_verifier_key, tree_hash, Ed25519Verifier, Hash, StoredTileHashReader, Tile, TileReader,
    Verifier as _, Verifiers, TILE_WIDTH,
};
use serde::{Deserialize, Serialize};

use crate::error::MonitorError;

/// Checks the new entries of a log, one at a time in log order (index, bytes); `Err` carries
/// the reason an entry is rejected. A check that compares an entry with earlier ones keeps what
/// it needs in [`EntryCheck::memory`], which the monitor's state file carries to the next run
/// (a run resumes after the entries the last one checked, so it never sees them again).
pub trait EntryCheck: Sync {
    /// Checks the entry at `index`.
    fn check(&self, index: u64, entry: &[u8]) -> Result<(), String>;
    /// What the next run needs of the entries checked so far (`None`: nothing).
    fn memory(&self) -> Option<serde_json::Value> {
        None
    }
    /// Takes back what an earlier run's [`EntryCheck::memory`] kept, before any entry.
    fn recall(&self, _memory: &serde_json::Value) -> Result<(), String> {
        Ok(())
    }
}

impl<F: Fn(u64, &[u8]) -> Result<(), String> + Sync> EntryCheck for F {
    fn check(&self, index: u64, entry: &[u8]) -> Result<(), String> {
        self(index, entry)
    }
}

/// An [`EntryCheck`] that accepts everything (structure-only monitoring).
pub fn accept_all(_index: u64, _entry: &[u8]) -> Result<(), String> {
    Ok(())
}

/// Distinct status list URLs (`sub`) a [`StatementCheck`] follows; a log naming more is
/// rejected rather than followed without bound (a registry has one).
const MAX_LIST_URLS: usize = 64;

/// The newest status list record seen for one list URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LastList {
    /// Its publication's sequence number.
    sequence: u64,
    /// The log entry holding it.
    index: u64,
}

/// What a [`StatementCheck`] remembers between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ListMemory {
    /// The newest record of each list URL.
    status_lists: std::collections::BTreeMap<String, LastList>,
}

/// The [`EntryCheck`] of a registry's log ([`statement_check`]).
#[derive(Debug)]
pub struct StatementCheck<'a> {
    trust: &'a keurmerk_trust::TrustList,
    now: chrono::DateTime<chrono::Utc>,
    lists: std::sync::Mutex<ListMemory>,
}

/// An [`EntryCheck`] that requires every entry to be a signed statement that verifies against
/// `trust` at `now` (`keurmerk_trust::verify_statement`), a published status list's signed
/// record (`keurmerk_trust::StatusListRecord`, signed by a registry key) whose sequence number
/// is higher than every earlier record's of the same list URL, in this run and the runs before
/// (two records under one number are two lists the registry showed as the same publication), or
/// a manufacturer's signed record of a software list (`keurmerk_trust::SoftwareListRecord`).
pub fn statement_check(
    trust: &keurmerk_trust::TrustList,
    now: chrono::DateTime<chrono::Utc>,
) -> StatementCheck<'_> {
    StatementCheck {
        trust,
        now,
        lists: std::sync::Mutex::new(ListMemory::default()),
    }
}

impl StatementCheck<'_> {
    fn lists(&self) -> std::sync::MutexGuard<'_, ListMemory> {
        // A poisoned lock only means a check panicked mid-way; the map is still whole.
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A verified record's place among the earlier ones of its list URL.
    fn follows(&self, index: u64, r: &keurmerk_trust::StatusListRecord) -> Result<(), String> {
        let mut memory = self.lists();
        let lists = &mut memory.status_lists;
        if let Some(last) = lists.get(&r.sub) {
            if r.sequence <= last.sequence {
                return Err(format!(
                    "status list record: {} sequence {} does not follow sequence {} at entry {}: \
                     {}",
                    r.sub,
                    r.sequence,
                    last.sequence,
                    last.index,
                    if r.sequence == last.sequence {
                        "two different lists published under one number"
                    } else {
                        "the publications' numbers went back"
                    }
                ));
            }
        } else if lists.len() >= MAX_LIST_URLS {
            return Err(format!(
                "status list record for {}: more than {MAX_LIST_URLS} status list URLs in one log",
                r.sub
            ));
        }
        lists.insert(
            r.sub.clone(),
            LastList {
                sequence: r.sequence,
                index,
            },
        );
        Ok(())
    }
}

impl EntryCheck for StatementCheck<'_> {
    fn check(&self, index: u64, bytes: &[u8]) -> Result<(), String> {
        match keurmerk_trust::verify_statement(bytes, self.trust, self.now) {
            Ok(_) => Ok(()),
            Err(statement) => {
                // A record is a JSON object with a `status_list` or a `software_list` member; a
                // statement never has either.
                let value = serde_json::from_slice::<serde_json::Value>(bytes).ok();
                let has = |member: &str| value.as_ref().is_some_and(|v| v.get(member).is_some());
                if has("status_list") {
                    let record =
                        keurmerk_trust::StatusListRecord::verify(bytes, self.trust, self.now)
                            .map_err(|e| format!("status list record: {e}"))?;
                    self.follows(index, &record)
                } else if has("software_list") {
                    keurmerk_trust::SoftwareListRecord::verify(bytes, self.trust, self.now)
                        .map(|_| ())
                        .map_err(|e| format!("software list record: {e}"))
                } else {
                    Err(statement.to_string())
                }
            }
        }
    }

    fn memory(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&*self.lists()).ok()
    }

    fn recall(&self, memory: &serde_json::Value) -> Result<(), String> {
        let m: ListMemory = serde_json::from_value(memory.clone())
            .map_err(|e| format!("not what a registry log's check keeps: {e}"))?;
        if m.status_lists.len() > MAX_LIST_URLS {
            return Err(format!("more than {MAX_LIST_URLS} status list URLs"));
        }
        *self.lists() = m;
        Ok(())
    }
}

/// What a successful run verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MonitorReport {
    /// Log origin (the log key's name).
    pub origin: String,
    /// Size verified by the previous run (0 without a state file).
    pub previous_size: u64,
    /// Size of the checkpoint verified now.
    pub size: u64,
    /// Its root hash, base64.
    pub root: String,
    /// New entries re-hashed and passed to the entry check.
    pub entries_checked: u64,
    /// Entry bundles fetched.
    pub bundles_fetched: u64,
    /// Hash tiles fetched and compared with the recomputed ones.
    pub tiles_compared: u64,
    /// Witness keys (names) whose cosignatures verified.
    pub witnesses: Vec<String>,
}

/// The state file: the last checkpoint the monitor verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MonitorState {
    origin: String,
    size: u64,
    root: String,
    checkpoint: String,
    /// What the entry check needs of the entries verified so far ([`EntryCheck::memory`]);
    /// absent in files written before it, or by a check that keeps nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entry_check: Option<serde_json::Value>,
}

/// Bundles handled per append step (16 × 256 = 4096 entries).
const BUNDLES_PER_STEP: u64 = 16;

/// Verifies the log at `base_url` (the tlog-tiles prefix, e.g. `https://host/log`; a bare
/// `https://host` gets `/log` appended) against `log_key` (signed-note verifier key; its name is
/// the origin). With `state_file`, verifies only what is new since the last successful run and
/// checks consistency with it; the file is updated only when everything verified.
/// `witnesses` are verifier keys of witnesses; at least `require_witnesses` of them must have
/// cosigned the checkpoint. `entry_check` is applied to every new entry.
pub async fn verify_log(
    base_url: &str,
    state_file: Option<&Path>,
    log_key: &str,
    witnesses: &[String],
    require_witnesses: usize,
    entry_check: &dyn EntryCheck,
) -> Result<MonitorReport, MonitorError> {
    let base = log_prefix(base_url);
    let log_verifier =
        Ed25519Verifier::from_vkey(log_key.trim()).map_err(|e| MonitorError::BadKey {
            key: log_key.to_owned(),
            reason: e.to_string(),
        })?;
    let origin = log_verifier.name().to_owned();
    let log_id = log_verifier.key_id();
    let mut verifiers = Verifiers::new();
    verifiers.push(log_verifier);
    let mut witness_ids = Vec::new();
    for w in witnesses {
        let v = parse_verifier_key(w.trim()).map_err(|e| MonitorError::BadKey {
            key: w.clone(),
            reason: e.to_string(),
        })?;
        witness_ids.push((v.name().to_owned(), v.key_id()));
        verifiers.push_boxed(v);
    }
    let http = Http::new()?;

    // 1. The checkpoint, signed by the log key (and witnesses).
    let cp_bytes = http.get(&format!("{base}/checkpoint")).await?;
    let (cp, note) = open_checkpoint(&cp_bytes, &origin, &verifiers)
        .map_err(|e| MonitorError::Checkpoint(e.to_string()))?;
    if !note.is_signed_by(&origin, log_id) {
        return Err(MonitorError::Checkpoint(
            "not signed by the log key (only by witnesses)".into(),
        ));
    }
    let cosigned: Vec<String> = witness_ids
        .iter()
        .filter(|(n, id)| note.is_signed_by(n, *id))
        .map(|(n, _)| n.clone())
        .collect();
    if cosigned.len() < require_witnesses {
        return Err(MonitorError::NotEnoughWitnesses {
            found: cosigned.len(),
            required: require_witnesses,
        });
    }

    // 2. Consistency with what we saw last time.
    let prev = match state_file {
        Some(p) => load_state(p)?,
        None => None,
    };
    let (n0, r0) = match &prev {
        Some(s) => {
            if s.origin != origin {
                return Err(MonitorError::State {
                    path: state_file.map(Path::to_path_buf).unwrap_or_default(),
                    reason: format!("it is for log {:?}, not {origin:?}", s.origin),
                });
            }
            let root = Hash::from_base64(&s.root).map_err(|_| MonitorError::State {
                path: state_file.map(Path::to_path_buf).unwrap_or_default(),
                reason: "root is not base64 of 32 bytes".into(),
            })?;
            (s.size, root)
        }
        None => (0, empty_tree_hash()),
    };
    // What the check kept of the entries before `n0`, which this run does not read again.
    let kept = prev.as_ref().and_then(|s| s.entry_check.clone());
    if let Some(m) = &kept {
        entry_check
            .recall(m)
            .map_err(|reason| MonitorError::State {
                path: state_file.map(Path::to_path_buf).unwrap_or_default(),
                reason: format!("its entry check's memory: {reason}"),
            })?;
    }
    let n1 = cp.size;
    if n1 < n0 {
        return Err(MonitorError::Inconsistent(format!(
            "the log shrank from {n0} to {n1} entries"
        )));
    }
    if n1 == n0 && cp.root != r0 {
        return Err(MonitorError::Inconsistent(format!(
            "size {n0} now has root {}, previously {}: the log forked",
            cp.root.to_base64(),
            r0.to_base64()
        )));
    }
    let mut tiles: HashMap<(u8, u64), Vec<u8>> = HashMap::new();
    let mut tiles_compared = 0u64;
    if n0 > 0 {
        for level in 0u8..8 {
            let shift = 8 * u32::from(level);
            let count = n0 >> shift;
            if count == 0 {
                break;
            }
            let width = (count % 256) as u16; // < 256
            if width > 0 {
                let t = Tile::new(level, count >> 8, width)?;
                let data = http.tile(&base, &t).await?;
                tiles.insert((level, t.index()), data);
                tiles_compared += 1;
            }
        }
        let old_root = tree_hash(n0, &StoredTileHashReader::new(n0, MapTiles(&tiles)));
        if old_root.ok() != Some(r0) {
            return Err(MonitorError::Inconsistent(format!(
                "the right-edge tiles of the tree at size {n0} no longer hash to the root saved in \
                 the state file: history before entry {n0} was rewritten"
            )));
        }
    }

    // 3. Every new entry, re-hashed; every new tile, recomputed and compared.
    let mut n = n0;
    let mut root = r0;
    let mut bundles_fetched = 0u64;
    let mut entries_checked = 0u64;
    let mut rejected: Vec<(u64, String)> = Vec::new();
    let mut rejected_count = 0u64;
    let mut mismatches: Vec<(String, String)> = Vec::new();
    let width = u64::from(TILE_WIDTH);
    let mut b = n0 / width;
    while n < n1 {
        let b_end = (b + BUNDLES_PER_STEP).min(n1.div_ceil(width));
        let mut leaf_hashes = Vec::new();
        for bi in b..b_end {
            let w = (n1 - bi * width).min(width) as u16; // ≤ 256
            let t = Tile::new(0, bi, w)?;
            let path = t.entries_path();
            let data = http.get(&format!("{base}/{path}")).await?;
            bundles_fetched += 1;
            let entries =
                decode_entry_bundle_exact(&data, w).map_err(|e| MonitorError::Malformed {
                    location: path.clone(),
                    detail: e.to_string(),
                })?;
            for (j, e) in entries.iter().enumerate() {
                let idx = bi * width + j as u64;
                let h = leaf_hash(e);
                if idx < n0 {
                    // Verified last time; its leaf hash is in the authenticated old tile.
                    let old = tiles.get(&(0, bi)).and_then(|d| d.get(j * 32..j * 32 + 32));
                    if old != Some(h.0.as_slice()) {
                        mismatches.push((
                            format!("entry {idx} ({path}, position {j})"),
                            "an entry verified by the previous run was rewritten".into(),
                        ));
                    }
                    continue;
                }
                entries_checked += 1;
                if let Err(reason) = entry_check.check(idx, e) {
                    rejected_count += 1;
                    if rejected.len() < 10 {
                        rejected.push((idx, reason));
                    }
                }
                leaf_hashes.push(h);
            }
        }
        let out = append_leaf_hashes(
            n,
            &StoredTileHashReader::new(n, MapTiles(&tiles)),
            &leaf_hashes,
        )?;
        for (t, computed) in out.tiles {
            if !t.is_partial() || out.new_size == n1 {
                let served = http.tile(&base, &t).await?;
                tiles_compared += 1;
                if served != computed {
                    mismatches.push(describe_tile_mismatch(&t, &served, &computed));
                }
            }
            tiles.insert((t.level(), t.index()), computed);
        }
        // Full level-0 tiles are never read again; keep memory at O(log n).
        tiles.retain(|&(level, _), d| level > 0 || d.len() < usize::from(TILE_WIDTH) * 32);
        n = out.new_size;
        root = out.root;
        b = b_end;
    }
    if let Some((location, mut detail)) = mismatches.first().cloned() {
        detail.push_str(if root == cp.root {
            "; the entries still hash to the signed root, so the served hash tile was altered"
        } else {
            "; the entries no longer hash to the signed root: history was rewritten"
        });
        if mismatches.len() > 1 {
            let more: Vec<String> = mismatches[1..]
                .iter()
                .take(3)
                .map(|(l, _)| l.clone())
                .collect();
            detail.push_str(&format!("; also at: {}", more.join(", ")));
        }
        return Err(MonitorError::Mismatch { location, detail });
    }
    if root != cp.root {
        return Err(MonitorError::Mismatch {
            location: format!("checkpoint (size {n1})"),
            detail: format!(
                "the root recomputed from the entries is {}, the signed checkpoint says {}",
                root.to_base64(),
                cp.root.to_base64()
            ),
        });
    }
    if rejected_count > 0 {
        return Err(MonitorError::EntriesRejected {
            count: rejected_count,
            first: rejected,
        });
    }
    if let Some(p) = state_file {
        save_state(
            p,
            &MonitorState {
                origin: origin.clone(),
                size: n1,
                root: cp.root.to_base64(),
                checkpoint: String::from_utf8_lossy(&cp_bytes).into_owned(),
                // A check that keeps nothing (structure only) leaves an earlier check's memory
                // as it was: the entries in between were not checked by it either.
                entry_check: entry_check.memory().or(kept),
            },
        )?;
    }
    Ok(MonitorReport {
        origin,
        previous_size: n0,
        size: n1,
        root: cp.root.to_base64(),
        entries_checked,
        bundles_fetched,
        tiles_compared,
        witnesses: cosigned,
    })
}

/// Names the first differing hash of a served tile.
fn describe_tile_mismatch(t: &Tile, served: &[u8], computed: &[u8]) -> (String, String) {
    let k = served
        .chunks(32)
        .zip(computed.chunks(32))
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let b64 = |d: &[u8]| {
        d.get(k * 32..k * 32 + 32)
            .and_then(|h| Hash::from_slice(h).ok())
            .map_or_else(|| "(missing)".to_owned(), |h| h.to_base64())
    };
    let (ss, cs) = (b64(served), b64(computed));
    if t.level() == 0 {
        let leaf = t.index() * u64::from(TILE_WIDTH) + k as u64;
        (
            format!("entry {leaf} ({} position {k})", t.path()),
            format!(
                "{} holds leaf hash {ss}, but entry {leaf} in {} hashes to {cs}",
                t.path(),
                t.entries_path()
            ),
        )
    } else {
        let span = 1u64 << (8 * u32::from(t.level()));
        let first = (t.index() * u64::from(TILE_WIDTH) + k as u64) * span;
        (
            format!("{} position {k}", t.path()),
            format!(
                "served hash {ss} differs from {cs} recomputed from entries {first}..{}",
                first + span - 1
            ),
        )
    }
}

/// `base_url` as a tlog-tiles prefix without a trailing slash.
fn log_prefix(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    let after_scheme = trimmed.split_once("://").map_or(trimmed, |(_, r)| r);
    if after_scheme.contains('/') {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/log")
    }
}

struct MapTiles<'a>(&'a HashMap<(u8, u64), Vec<u8>>);

impl TileReader for MapTiles<'_> {
    fn read_tiles(&self, tiles: &[Tile]) -> keurmerk_tlog::Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|t| {
                self.0
                    .get(&(t.level(), t.index()))
                    .and_then(|d| d.get(..t.byte_len()))
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| {
                        keurmerk_tlog::Error::InvalidTile(format!("{} not held", t.path()))
                    })
            })
            .collect()
    }
}

struct Http {
    client: reqwest::Client,
}

impl Http {
    fn new() -> Result<Http, MonitorError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("keurmerk-monitor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MonitorError::Fetch {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Http { client })
    }

    async fn get_opt(&self, url: &str) -> Result<Option<Vec<u8>>, MonitorError> {
        let fail = |reason: String| MonitorError::Fetch {
            url: url.to_owned(),
            reason,
        };
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(fail(format!("HTTP {}", resp.status())));
        }
        let body = resp.bytes().await.map_err(|e| fail(e.to_string()))?;
        Ok(Some(body.to_vec()))
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, MonitorError> {
        self.get_opt(url).await?.ok_or_else(|| MonitorError::Fetch {
            url: url.to_owned(),
            reason: "HTTP 404 Not Found".into(),
        })
    }

    /// A hash tile of exactly `t.width()` hashes; a partial tile the log no longer serves is cut
    /// from the full one.
    async fn tile(&self, base: &str, t: &Tile) -> Result<Vec<u8>, MonitorError> {
        let url = format!("{base}/{}", t.path());
        let data = match self.get_opt(&url).await? {
            Some(d) => d,
            None if t.is_partial() => self.get(&format!("{base}/{}", t.full().path())).await?,
            None => {
                return Err(MonitorError::Fetch {
                    url,
                    reason: "HTTP 404 Not Found".into(),
                })
            }
        };
        let want = t.byte_len();
        match data.get(..want) {
            Some(d) if data.len() == want || t.is_partial() => Ok(d.to_vec()),
            _ => Err(MonitorError::Malformed {
                location: t.path(),
                detail: format!("{} bytes, want {want}", data.len()),
            }),
        }
    }
}

fn load_state(path: &Path) -> Result<Option<MonitorState>, MonitorError> {
    let err = |reason: String| MonitorError::State {
        path: path.to_owned(),
        reason,
    };
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| err(format!("not a monitor state file: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(e.to_string())),
    }
}

fn save_state(path: &Path, state: &MonitorState) -> Result<(), MonitorError> {
    let err = |reason: String| MonitorError::State {
        path: path.to_owned(),
        reason,
    };
    let json = serde_json::to_vec_pretty(state).map_err(|e| err(e.to_string()))?;
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| err(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use keurmerk_trust::{
        Act, Grant, KeyInfo, Role, SigningKey, SoftwareListRecord, StatusListRecord, TrustList,
        TRUST_LIST_VERSION,
    };

    const SUB: &str = "https://keurmerk.example.eu/api/v1/status-list";

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    /// A trust list holding one registry key.
    fn registry() -> (SigningKey, TrustList) {
        let key = SigningKey::from_seed(&[9; 32]);
        let info = KeyInfo {
            key_id: key.key_id(),
            public_key: key.public_key(),
            organisation_id: "registry".into(),
            organisation_name: "Registry".into(),
            role: Role::Registry,
            member_state: None,
            scope: vec![Grant {
                act: Act::Registry,
                scheme: "eu-iot-baseline".into(),
                levels: vec!["basic".into()],
                valid_from: at(-720),
                valid_until: None,
            }],
            valid_from: at(-720),
            valid_until: at(8760),
            revoked_at: None,
        };
        let trust = TrustList {
            version: TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at(0),
            next_update: at(168),
            log_verifier_key: String::new(),
            keys: vec![info],
        };
        (key, trust)
    }

    fn record(key: &SigningKey, sub: &str, sequence: u64, sha: char) -> Vec<u8> {
        StatusListRecord {
            sub: sub.into(),
            sequence,
            issued_at: at(sequence as i64),
            expires_at: at(sequence as i64 + 2),
            size: 10,
            sha256: sha.to_string().repeat(64),
        }
        .sign(key)
        .unwrap()
    }

    /// Status list records must number their publications upwards, per list URL, within a run
    /// and across runs (through the state file's memory): a second record under a number already
    /// logged, or a number going back, is rejected with both entries named.
    #[test]
    fn a_status_list_number_logged_twice_is_rejected() {
        let (key, trust) = registry();
        let check = statement_check(&trust, at(24));
        assert_eq!(check.check(0, &record(&key, SUB, 1, 'a')), Ok(()));
        assert_eq!(check.check(1, &record(&key, SUB, 2, 'b')), Ok(()));
        // Another list URL numbers on its own.
        let other = "https://other.example/api/v1/status-list";
        assert_eq!(check.check(2, &record(&key, other, 1, 'c')), Ok(()));
        let twice = check.check(3, &record(&key, SUB, 2, 'd')).unwrap_err();
        assert!(
            twice.contains("sequence 2 does not follow sequence 2 at entry 1"),
            "{twice}"
        );
        assert!(twice.contains("under one number"), "{twice}");
        let back = check.check(4, &record(&key, SUB, 1, 'e')).unwrap_err();
        assert!(back.contains("went back"), "{back}");
        // A rejected record is not taken as the newest: 3 still follows 2.
        assert_eq!(check.check(5, &record(&key, SUB, 3, 'f')), Ok(()));
        // Forged records are rejected before their number is looked at.
        let mut forged = record(&key, SUB, 9, 'g');
        let n = forged.len();
        forged[n - 3] ^= 1;
        assert!(check.check(6, &forged).is_err());
        assert_eq!(check.check(7, &record(&key, SUB, 4, 'h')), Ok(()));

        // The next run resumes from the memory.
        let memory = check.memory().unwrap();
        let next = statement_check(&trust, at(24));
        next.recall(&memory).unwrap();
        let again = next.check(8, &record(&key, SUB, 4, 'i')).unwrap_err();
        assert!(again.contains("sequence 4 at entry 7"), "{again}");
        assert_eq!(next.check(9, &record(&key, other, 2, 'j')), Ok(()));
        // A memory that is not one is refused, not ignored.
        assert!(next
            .recall(&serde_json::json!({"status_lists": 5}))
            .is_err());
        // Without a memory every first record of a URL is taken as it comes.
        let fresh = statement_check(&trust, at(24));
        assert_eq!(fresh.check(8, &record(&key, SUB, 4, 'i')), Ok(()));
        // A log naming URLs without bound is rejected past the bound.
        let many = statement_check(&trust, at(24));
        for i in 0..MAX_LIST_URLS {
            let url = format!("https://r{i}.example/api/v1/status-list");
            assert_eq!(many.check(i as u64, &record(&key, &url, 1, 'k')), Ok(()));
        }
        let past = many
            .check(99, &record(&key, "https://last.example/x", 1, 'k'))
            .unwrap_err();
        assert!(past.contains("more than 64"), "{past}");
    }

    /// A maker's software list record is a log entry the monitor accepts; the same record
    /// signed by the registry's key, or changed after signing, is not.
    #[test]
    fn a_software_list_record_is_checked_as_the_makers() {
        let (registry_key, mut trust) = registry();
        let maker = SigningKey::from_seed(&[7; 32]);
        let mut info = trust.keys[0].clone();
        info.key_id = maker.key_id();
        info.public_key = maker.public_key();
        info.organisation_id = "org-maker".into();
        info.role = Role::Manufacturer;
        info.scope = vec![];
        trust.keys.push(info);
        let record = SoftwareListRecord {
            maker: "org-maker".into(),
            product: "PRD-1".into(),
            version_id: "VER-1".into(),
            version: "1.0".into(),
            name: "bom.json".into(),
            format: "CycloneDxJson".into(),
            sha256: "ab".repeat(32),
            components: 2,
            attached_at: at(3),
        };
        let check = statement_check(&trust, at(24));
        assert_eq!(check.check(0, &record.sign(&maker).unwrap()), Ok(()));
        let by_registry = check
            .check(1, &record.sign(&registry_key).unwrap())
            .unwrap_err();
        assert!(
            by_registry.starts_with("software list record: ")
                && by_registry.contains("manufacturer"),
            "{by_registry}"
        );
        let changed = String::from_utf8(record.sign(&maker).unwrap())
            .unwrap()
            .replace("VER-1", "VER-2");
        assert!(check.check(2, changed.as_bytes()).is_err());
    }

    #[test]
    fn prefixes() {
        assert_eq!(log_prefix("http://h:1"), "http://h:1/log");
        assert_eq!(log_prefix("http://h:1/"), "http://h:1/log");
        assert_eq!(log_prefix("https://h/log/"), "https://h/log");
        assert_eq!(log_prefix("https://h/other"), "https://h/other");
    }
}

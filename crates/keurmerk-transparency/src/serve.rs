//! Serving the log: C2SP tlog-tiles over HTTP, tlog-proof receipts and witness cosignatures.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keurmerk_store::SqlStore;
use keurmerk_tlog::{
    decode_entry_bundle, entry_bundle_prefix, open_note, parse_tile_path, parse_verifier_key,
    prove_record, Checkpoint, Note, Receipt, TileResource, Verifiers, TILE_WIDTH,
};

use crate::db::{
    read_bundle_row, read_head, read_tile_row, to_i64, to_u64, with_stored_tiles, FullTileCache,
};
use crate::error::{Error, Result};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=5";
const NO_CACHE: &str = "no-cache";
const OCTETS: &str = "application/octet-stream";
const TEXT: &str = "text/plain; charset=utf-8";

/// What the log routes and receipt functions need: the database and a cache of full tiles.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct LogState {
    store: SqlStore,
    cache: Arc<FullTileCache>,
}

impl LogState {
    /// State over `store`'s database.
    pub fn new(store: &SqlStore) -> LogState {
        LogState {
            store: store.clone(),
            cache: Arc::new(FullTileCache::default()),
        }
    }

    /// The latest signed checkpoint note (with any witness cosignatures).
    pub async fn checkpoint(&self) -> Result<String> {
        let mut conn = self.store.pool().acquire().await?;
        let head = read_head(&mut conn).await?;
        if head.checkpoint.is_empty() {
            return Err(Error::NoCheckpoint);
        }
        Ok(head.checkpoint)
    }

    /// The log size of the latest checkpoint.
    pub async fn size(&self) -> Result<u64> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(read_head(&mut conn).await?.size)
    }

    /// The log index of the entry recording event `event_seq` (the first, if several).
    pub async fn index_of_event(&self, event_seq: i64) -> Result<u64> {
        let i = self
            .store
            .log_index_of_event(event_seq)
            .await
            .map_err(|e| match e {
                keurmerk_store::StoreError::Database(e) => Error::Database(e),
                other => Error::Corrupt(format!("the log index of event {event_seq}: {other}")),
            })?;
        let i = i.ok_or_else(|| Error::NotInLog(format!("event {event_seq}")))?;
        to_u64(i, "log index")
    }

    /// A C2SP tlog-proof receipt (text) for the entry at `index`, over the latest checkpoint.
    pub async fn receipt_for_index(&self, index: u64) -> Result<String> {
        let mut conn = self.store.pool().acquire().await?;
        let head = read_head(&mut conn).await?;
        if head.checkpoint.is_empty() {
            return Err(Error::NoCheckpoint);
        }
        if index >= head.size {
            return Err(Error::NotInLog(format!("log index {index}")));
        }
        // Tiles only grow, and narrower tiles are prefixes of wider ones, so tiles written after
        // `head` was read still serve the tree of `head.size`.
        let proof = with_stored_tiles(&mut conn, head.size, Some(&self.cache), |r| {
            prove_record(head.size, index, r)
        })
        .await?;
        Ok(Receipt {
            extra: None,
            index,
            proof,
            checkpoint: head.checkpoint,
        }
        .to_text())
    }

    /// A tlog-proof receipt for the status list whose token has the SHA-256 `token_sha256`
    /// (lowercase hex): it proves that the registry's signed record of that list (docs/FORMATS.md
    /// §11) is in the log, and carries the record itself as its `extra`, so a verifier holding the
    /// token checks it offline with nothing else but the trust list. [`Error::NotInLog`] for a
    /// list this registry never published, or one whose record is not under a checkpoint yet.
    pub async fn receipt_for_status_list(&self, token_sha256: &str) -> Result<String> {
        let not_in_log = || Error::NotInLog(format!("status list {token_sha256}"));
        let mut conn = self.store.pool().acquire().await?;
        let index: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(l.log_index) FROM status_lists s \
             JOIN log_entries l ON l.queue_id = s.queue_id WHERE s.token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_one(&mut *conn)
        .await?;
        let index = to_u64(index.ok_or_else(not_in_log)?, "log index")?;
        let head = read_head(&mut conn).await?;
        if head.checkpoint.is_empty() || index >= head.size {
            return Err(not_in_log());
        }
        // Bundles only grow, and the entry's is under the checkpoint just read.
        let position = usize::try_from(index % u64::from(TILE_WIDTH))
            .map_err(|_| Error::Corrupt(format!("log index {index}")))?;
        let (_, bundle) = read_bundle_row(&mut conn, index / u64::from(TILE_WIDTH))
            .await?
            .ok_or_else(|| Error::Corrupt(format!("the entry bundle of log index {index}")))?;
        let entry = decode_entry_bundle(&bundle)?
            .get(position)
            .map(|e| e.to_vec())
            .ok_or_else(|| Error::Corrupt(format!("the entry bundle of log index {index}")))?;
        let proof = with_stored_tiles(&mut conn, head.size, Some(&self.cache), |r| {
            prove_record(head.size, index, r)
        })
        .await?;
        Ok(Receipt {
            extra: Some(entry),
            index,
            proof,
            checkpoint: head.checkpoint,
        }
        .to_text())
    }

    /// A tlog-proof receipt for the log entry recording event `event_seq`.
    pub async fn receipt_for_event(&self, event_seq: i64) -> Result<String> {
        let index = self.index_of_event(event_seq).await?;
        self.receipt_for_index(index).await
    }

    /// A tlog-proof receipt for the certificate's most recent logged event.
    pub async fn receipt_for_certificate(&self, certificate_id: &str) -> Result<String> {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(e.seq) FROM events e JOIN log_entries l ON l.event_seq = e.seq \
             WHERE e.certificate_id = $1",
        )
        .bind(certificate_id)
        .fetch_one(self.store.pool())
        .await?;
        let seq = seq.ok_or_else(|| Error::NotInLog(format!("certificate {certificate_id}")))?;
        self.receipt_for_event(seq).await
    }

    /// Adds a witness cosignature to the latest checkpoint. `signature_line` is the note signature
    /// line (`— <name> <base64>`) the witness returned; it must verify against `witness_key` (a
    /// signed-note verifier key, normally a C2SP tlog-cosignature key). The cosignature stays
    /// on this checkpoint only: the next batch publishes a new, not yet cosigned, checkpoint.
    pub async fn add_cosignature(&self, witness_key: &str, signature_line: &str) -> Result<()> {
        let verifier = parse_verifier_key(witness_key.trim())
            .map_err(|e| Error::BadCosignature(format!("witness key: {e}")))?;
        let mut verifiers = Verifiers::new();
        verifiers.push_boxed(verifier);
        let mut conn = self.store.pool().acquire().await?;
        let head = read_head(&mut conn).await?;
        if head.checkpoint.is_empty() {
            return Err(Error::NoCheckpoint);
        }
        let mut note = Note::parse(head.checkpoint.as_bytes())?;
        let line = signature_line.trim_end_matches('\n');
        let added = Note::parse(format!("{}\n{line}\n", note.text).as_bytes())
            .map_err(|e| Error::BadCosignature(format!("signature line: {e}")))?;
        for sig in added.signatures {
            note.add_signature(sig)?;
        }
        let text = note.to_text();
        // Verifies the witness signature over this checkpoint (and nothing but known keys count).
        open_note(text.as_bytes(), &verifiers)
            .map_err(|e| Error::BadCosignature(format!("does not verify: {e}")))?;
        Checkpoint::parse(&note.text)?;
        let done = sqlx::query(
            "UPDATE log_head SET checkpoint = $1 WHERE id = 1 AND size = $2 AND checkpoint = $3",
        )
        .bind(text)
        .bind(to_i64(head.size, "log size")?)
        .bind(head.checkpoint)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::StaleCheckpoint);
        }
        Ok(())
    }
}

/// The C2SP tlog-tiles routes, under `/log/`: `GET /log/checkpoint`, `GET /log/tile/<L>/<N>[.p/<W>]`
/// and `GET /log/tile/entries/<N>[.p/<W>]`. Merge it into the server's router.
pub fn log_router(state: LogState) -> Router {
    Router::new()
        .route("/log/checkpoint", get(get_checkpoint))
        .route("/log/tile/{*path}", get(get_tile))
        .with_state(state)
}

fn with_headers(
    status: StatusCode,
    ctype: &'static str,
    cache: &'static str,
    body: Vec<u8>,
) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn plain(status: StatusCode, msg: &str) -> Response {
    with_headers(status, TEXT, NO_CACHE, format!("{msg}\n").into_bytes())
}

/// An error answering a log request: `503` with `Retry-After` while the database cannot be
/// used for the moment (`keurmerk_store::database_unavailable`), as the registry's other routes
/// answer it, else an internal error with the cause in the log.
fn internal(e: &Error) -> Response {
    /// Its warnings: one a second at most, counting the rest (a flood of tile fetches during
    /// an outage would otherwise write a line each).
    static UNAVAILABLE: keurmerk_store::throttle::Throttle =
        keurmerk_store::throttle::Throttle::new(std::time::Duration::from_secs(1));
    if let Error::Database(db) = e {
        if keurmerk_store::database_unavailable(db) {
            if let Some(answers) = UNAVAILABLE.admit_now() {
                tracing::warn!(error = %e, answers,
                    "transparency log request: database unavailable; answered 503 (answers: how many since the last such line)");
            }
            let mut r = with_headers(
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                // As the registry's 503s: no cache keeps "busy" to answer later requests with.
                "no-store",
                b"the log's database is busy or cannot be reached for the moment; retry later\n"
                    .to_vec(),
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(keurmerk_store::UNAVAILABLE_RETRY_AFTER_SECS),
            );
            return r;
        }
    }
    tracing::error!(error = %e, "transparency log request failed");
    plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// `GET /log/checkpoint`.
pub async fn get_checkpoint(State(state): State<LogState>) -> Response {
    match state.checkpoint().await {
        Ok(c) => with_headers(StatusCode::OK, TEXT, NO_CACHE, c.into_bytes()),
        Err(Error::NoCheckpoint) => plain(StatusCode::SERVICE_UNAVAILABLE, "no checkpoint yet"),
        Err(e) => internal(&e),
    }
}

/// `GET /log/tile/…`: hash tiles and entry bundles. Rows exist only for committed trees, so a tile
/// exists exactly when its stored (widest) version is at least as wide as requested.
pub async fn get_tile(State(state): State<LogState>, Path(path): Path<String>) -> Response {
    let full_path = format!("tile/{path}");
    let Ok(resource) = parse_tile_path(&full_path) else {
        return plain(StatusCode::BAD_REQUEST, "malformed tile path");
    };
    let (tile, entries) = match resource {
        TileResource::Hashes(t) => (t, false),
        TileResource::Entries(t) => (t, true),
    };
    let cache = if tile.is_partial() { SHORT } else { IMMUTABLE };
    let key = (tile.level(), tile.index());
    if !entries && !tile.is_partial() {
        if let Some(d) = state.cache.get(key) {
            return with_headers(StatusCode::OK, OCTETS, cache, d.as_ref().clone());
        }
    }
    let mut conn = match state.store.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return internal(&e.into()),
    };
    let row = if entries {
        read_bundle_row(&mut conn, tile.index()).await
    } else {
        read_tile_row(&mut conn, tile.level(), tile.index()).await
    };
    let (width, data) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "tile not in the log"),
        Err(e) => return internal(&e),
    };
    if width < tile.width() {
        return plain(StatusCode::NOT_FOUND, "tile not in the log");
    }
    let body = if entries {
        match entry_bundle_prefix(&data, tile.width()) {
            Ok(b) => b.to_vec(),
            Err(e) => return internal(&e.into()),
        }
    } else {
        match data.get(..tile.byte_len()) {
            Some(b) => b.to_vec(),
            None => return internal(&Error::Corrupt(format!("{full_path} is short"))),
        }
    };
    if !entries && width == TILE_WIDTH && !tile.is_partial() {
        state.cache.put(key, Arc::new(body.clone()));
    }
    with_headers(StatusCode::OK, OCTETS, cache, body)
}

/// `GET /api/v1/status-list/{sha256}/receipt`: `200 text/plain` tlog-proof of the status list
/// whose token has that SHA-256, with the log's record of it as `extra`
/// ([`LogState::receipt_for_status_list`]); `400` for anything but 64 lowercase hex digits, `404`
/// for a list not in the log (never published here, or not yet under a checkpoint: ask again in
/// a few seconds).
pub async fn status_list_receipt(
    State(state): State<LogState>,
    Path(sha256): Path<String>,
) -> Response {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return plain(
            StatusCode::BAD_REQUEST,
            "a status list is named by the SHA-256 of its token: 64 lowercase hex digits",
        );
    }
    match state.receipt_for_status_list(&sha256).await {
        Ok(text) => with_headers(StatusCode::OK, TEXT, NO_CACHE, text.into_bytes()),
        Err(Error::NotInLog(what)) => plain(
            StatusCode::NOT_FOUND,
            &format!("{what} is not in the log (yet: a new list is logged within seconds)"),
        ),
        Err(e) => internal(&e),
    }
}

/// The receipt as an HTTP response: `200 text/plain` tlog-proof, `404` if the certificate has no
/// logged event. For `GET /api/v1/certificates/{id}/receipt` (wire with
/// `.route("/api/v1/certificates/{id}/receipt", get(receipt)).with_state(log_state)` or call
/// [`receipt_response`] from the server's own handler).
pub async fn receipt(State(state): State<LogState>, Path(id): Path<String>) -> Response {
    receipt_response(&state, &id).await
}

/// See [`receipt`].
pub async fn receipt_response(state: &LogState, certificate_id: &str) -> Response {
    match state.receipt_for_certificate(certificate_id).await {
        Ok(text) => with_headers(StatusCode::OK, TEXT, NO_CACHE, text.into_bytes()),
        Err(Error::NotInLog(what)) => {
            plain(StatusCode::NOT_FOUND, &format!("{what} is not in the log"))
        }
        Err(Error::NoCheckpoint) => plain(StatusCode::SERVICE_UNAVAILABLE, "no checkpoint yet"),
        Err(e) => internal(&e),
    }
}

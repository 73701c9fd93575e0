//! A status list proven to be in the log, offline (docs/FORMATS.md §11).
//!
//! A registry could show one person a list in which a suspended label reads as valid and everyone
//! else the real one. It cannot do that unseen if every list a verifier accepts is in the
//! transparency log, where monitors see every list it ever published. The receipt
//! (`GET /api/v1/status-list/{sha256}/receipt`, [`crate::LogState::receipt_for_status_list`]) is a
//! C2SP tlog-proof whose `extra` is the log's entry itself, the registry's signed record of the
//! list; [`verify_status_list_receipt`] checks it with nothing but the trust list, so the check
//! stays offline and private.

use chrono::{DateTime, Utc};
use keurmerk_tlog::{
    verify_receipt_for_origin, Ed25519Verifier, Leaf, Receipt, Verifier, Verifiers,
};
use keurmerk_trust::{status_list_sha256, StatusListRecord, TrustError, TrustList};

/// The largest receipt accepted (a proof of at most 63 hashes, a checkpoint with a few witness
/// cosignatures and the record are a few KiB).
pub const MAX_STATUS_LIST_RECEIPT_BYTES: usize = 64 * 1024;

/// A status list the log holds: where, under which checkpoint, and the record it holds.
#[derive(Debug, Clone)]
pub struct LoggedStatusList {
    /// The log (the origin of its checkpoints, the name of the trust list's log key).
    pub origin: String,
    /// The entry's index in the log.
    pub index: u64,
    /// The size of the signed checkpoint the proof is under.
    pub tree_size: u64,
    /// The registry's signed record of the list, as the log holds it.
    pub record: StatusListRecord,
}

/// Why a receipt does not prove that a status list is in the log.
#[derive(Debug, thiserror::Error)]
pub enum ListProofError {
    /// The trust list names no log key, so there is nothing to check a checkpoint against.
    #[error("the trust list names no transparency log key")]
    NoLogKey,
    /// The trust list's log key cannot be read.
    #[error("the trust list's transparency log key is unusable: {0}")]
    BadLogKey(String),
    /// Not a receipt: cut short, oversized, not a tlog-proof, or without the entry.
    #[error("the receipt is malformed: {0}")]
    Malformed(String),
    /// The checkpoint is not signed by the log key, is another log's, or the proof does not place
    /// the entry under it.
    #[error("the receipt does not prove its entry is in the log {origin}: {reason}")]
    NotProven {
        /// The log the trust list names.
        origin: String,
        /// What failed.
        reason: String,
    },
    /// The entry is not a status list record a registry key of the trust list signed.
    #[error(
        "the log's entry is not a status list record signed by a registry key of the trust list: \
         {0}"
    )]
    Record(TrustError),
    /// The entry records another list.
    #[error(
        "the log's entry records another status list (SHA-256 {logged}), not this one ({served})"
    )]
    OtherList {
        /// The SHA-256 the record names.
        logged: String,
        /// The SHA-256 of the token checked.
        served: String,
    },
}

/// Checks that `receipt` proves the status list `token` (its bytes as served, which the record
/// names by SHA-256) is in the log whose key the trust list names: the checkpoint signed by that
/// key and for that log, the entry (the receipt's `extra`) under the checkpoint's root at the
/// receipt's index, and the entry a record of exactly this token, signed by a registry key of the
/// trust list valid at the list's `iat`. Anything else is an error, never a partial success.
pub fn verify_status_list_receipt(
    receipt: &[u8],
    token: &str,
    trust: &TrustList,
    now: DateTime<Utc>,
) -> Result<LoggedStatusList, ListProofError> {
    let key = trust.log_verifier_key.trim();
    if key.is_empty() {
        return Err(ListProofError::NoLogKey);
    }
    let log =
        Ed25519Verifier::from_vkey(key).map_err(|e| ListProofError::BadLogKey(e.to_string()))?;
    let origin = log.name().to_owned();
    if receipt.len() > MAX_STATUS_LIST_RECEIPT_BYTES {
        return Err(ListProofError::Malformed(format!(
            "{} bytes, larger than any receipt ({MAX_STATUS_LIST_RECEIPT_BYTES})",
            receipt.len()
        )));
    }
    let receipt = Receipt::parse(receipt).map_err(|e| ListProofError::Malformed(e.to_string()))?;
    let Some(entry) = receipt.extra.as_deref() else {
        return Err(ListProofError::Malformed(
            "it carries no log entry (no `extra` line)".into(),
        ));
    };
    let mut verifiers = Verifiers::new();
    verifiers.push(log);
    let proven = verify_receipt_for_origin(&receipt, Leaf::Data(entry), &verifiers, &origin)
        .map_err(|e| ListProofError::NotProven {
            origin: origin.clone(),
            reason: e.to_string(),
        })?;
    let record = StatusListRecord::verify(entry, trust, now).map_err(ListProofError::Record)?;
    let served = status_list_sha256(token);
    if record.sha256 != served {
        return Err(ListProofError::OtherList {
            logged: record.sha256,
            served,
        });
    }
    Ok(LoggedStatusList {
        origin,
        index: proven.index,
        tree_size: proven.checkpoint.size,
        record,
    })
}

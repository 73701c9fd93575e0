//! The log's signed-note key: Ed25519, named by the log origin (`<host>/log` by default).
//!
//! Stored on disk as the C2SP signed-note private key string
//! (`PRIVATE+KEY+<name>+<hex id>+<base64>`), in a file created with mode 0600. The key is never
//! logged and `Debug` redacts it.

use std::io::Write as _;
use std::path::Path;

use keurmerk_tlog::{Ed25519Signer, Ed25519Verifier};

use crate::error::{Error, Result};

/// The default log origin for a host name: `<host>/log` (SPEC §7).
pub fn default_origin(host: &str) -> String {
    format!("{host}/log")
}

/// The log's signing key. Its key name is the log origin.
pub struct LogKey {
    signer: Ed25519Signer,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("origin", &self.origin())
            .field("verifier_key", &self.log_verifier_key())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl LogKey {
    /// A fresh random key for `origin`.
    pub fn generate(origin: &str) -> Result<LogKey> {
        Ok(LogKey {
            signer: Ed25519Signer::generate(origin, &mut rand_core::OsRng)?,
        })
    }

    /// Parses a signed-note private key string.
    pub fn from_skey(skey: &str) -> Result<LogKey> {
        Ok(LogKey {
            signer: Ed25519Signer::from_skey(skey.trim())?,
        })
    }

    /// Loads the key at `path`, or creates it (mode 0600) if the file does not exist. The key's
    /// name must be `origin`. On Unix, a key file readable by group or others is refused.
    pub fn load_or_create(path: &Path, origin: &str) -> Result<LogKey> {
        let io = |source| Error::KeyFile {
            path: path.to_owned(),
            source,
        };
        let bad = |reason: String| Error::BadKeyFile {
            path: path.to_owned(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
                    if mode & 0o077 != 0 {
                        return Err(bad(format!(
                            "mode {:o} lets others read the private key; chmod 600 it",
                            mode & 0o777
                        )));
                    }
                }
                // Never echo the file content in errors: it is the private key.
                let key = LogKey::from_skey(&text)
                    .map_err(|e| bad(format!("not a signed-note private key ({e})")))?;
                if key.origin() != origin {
                    return Err(bad(format!(
                        "key is for origin {:?}, configured origin is {origin:?}",
                        key.origin()
                    )));
                }
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = LogKey::generate(origin)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(io)?;
                file.write_all(key.signer.skey().as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
                tracing::info!(path = %path.display(), verifier_key = %key.log_verifier_key(),
                    "created a new transparency log key");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The log origin (the key name).
    pub fn origin(&self) -> &str {
        keurmerk_tlog::Signer::name(&self.signer)
    }

    /// The verifier key in signed-note form `<name>+<hex key id>+<base64(0x01 ‖ public key)>`,
    /// as printed by `keurmerk log key` and listed in the trust list.
    pub fn log_verifier_key(&self) -> String {
        self.signer.vkey()
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519Verifier {
        self.signer.verifier()
    }

    /// The signer, for signing checkpoints.
    pub(crate) fn signer(&self) -> &Ed25519Signer {
        &self.signer
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn create_then_load_same_key_with_0600_and_redacted_debug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        let a = LogKey::load_or_create(&path, "example.test/log").unwrap();
        let b = LogKey::load_or_create(&path, "example.test/log").unwrap();
        assert_eq!(a.log_verifier_key(), b.log_verifier_key());
        assert!(a.log_verifier_key().starts_with("example.test/log+"));
        let skey = std::fs::read_to_string(&path).unwrap();
        let debug = format!("{a:?}");
        assert!(debug.contains("redacted"));
        assert!(!debug.contains(skey.trim()));
        // `PRIVATE+KEY+<name>+<hash>+<base64>`: the key data is everything after the fourth `+`
        // (standard base64 may itself contain `+`, so splitting from the right is flaky).
        let secret = skey.trim().splitn(5, '+').nth(4).unwrap();
        assert!(secret.len() > 40, "{secret}");
        assert!(!debug.contains(secret));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = LogKey::load_or_create(&path, "example.test/log").unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = LogKey::load_or_create(&path, "other.test/log").unwrap_err();
        assert!(err.to_string().contains("other.test/log"), "{err}");
        assert!(!err.to_string().contains(skey.trim()));
    }

    #[test]
    fn default_origin_is_host_slash_log() {
        assert_eq!(default_origin("keurmerk.eu"), "keurmerk.eu/log");
    }
}

//! The configuration file: a typed TOML document (unknown keys refused) flattened to the
//! strings that become clap defaults.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Command;
use serde::{Deserialize, Serialize};

use super::{LogFormat, Setting, SETTINGS};

/// The configuration file as written: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub schemes: Option<PathBuf>,
    pub keys_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    #[serde(default)]
    pub serve: FileServe,
    #[serde(default)]
    pub log: FileLog,
    #[serde(default)]
    pub webhooks: FileWebhooks,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileServe {
    pub addr: Option<SocketAddr>,
    pub log_key: Option<PathBuf>,
    pub log_origin: Option<String>,
    pub writes_per_minute: Option<u32>,
    pub complaints_per_hour: Option<u32>,
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub max_connections: Option<u64>,
    pub database_connections: Option<u32>,
    pub database_wait_secs: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
    pub scheduler_interval_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileLog {
    pub format: Option<LogFormat>,
    pub filter: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileWebhooks {
    pub enabled: Option<bool>,
    pub max_attempts: Option<u32>,
    pub backoff_base_secs: Option<u64>,
    pub backoff_max_secs: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub allow_private_targets: Option<bool>,
}

/// The values a configuration file sets, by dotted key, as the strings clap parses.
#[derive(Debug, Default)]
pub struct FileLayer {
    values: Vec<(&'static str, String)>,
}

impl FileLayer {
    /// Reads and checks `path`. Errors name the file and the key (and toml adds line and
    /// column).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("configuration file {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let file: FileConfig = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => match e.span().and_then(|span| key_at(text, &span)) {
                Some(key) => bail!("key `{key}`: {e}"),
                None => bail!("{e}"),
            },
        };
        Self::from_file(&file)
    }

    /// The typed file, flattened to `key → string` through its JSON form, so that the typed
    /// struct (which checked the types) and [`SETTINGS`] are the only places keys are listed.
    pub fn from_file(file: &FileConfig) -> Result<Self> {
        let json = serde_json::to_value(file).context("configuration to JSON")?;
        let mut flat = Vec::new();
        flatten("", &json, &mut flat);
        let mut values = Vec::new();
        for (key, value) in flat {
            let setting = SETTINGS
                .iter()
                .find(|s| s.key == key)
                .with_context(|| format!("key `{key}` is not in the settings table"))?;
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => values.push((setting.key, s)),
                serde_json::Value::Bool(b) => values.push((setting.key, b.to_string())),
                serde_json::Value::Number(n) => values.push((setting.key, n.to_string())),
                other => bail!("key `{key}`: unexpected value {other}"),
            }
        }
        Ok(Self { values })
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `cmd` with the defaults of every argument this file sets replaced by the file's value,
    /// in every subcommand that has the argument.
    pub fn apply(&self, cmd: Command) -> Command {
        SETTINGS.iter().fold(cmd, |cmd, s| match self.value(s.key) {
            Some(v) => with_default(cmd, s, v),
            None => cmd,
        })
    }
}

fn with_default(cmd: Command, s: &Setting, value: &str) -> Command {
    cmd.mut_args(|a| {
        if a.get_id() == s.arg && a.get_env() == Some(OsStr::new(s.env)) {
            a.default_value(value.to_owned())
        } else {
            a
        }
    })
    .mut_subcommands(|c| with_default(c, s, value))
}

/// Dotted keys of every leaf of a JSON object.
pub(super) fn flatten(
    prefix: &str,
    v: &serde_json::Value,
    out: &mut Vec<(String, serde_json::Value)>,
) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// The dotted key whose name or value covers `span` (where toml located an error).
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    key_in(doc.get_ref(), span, "")
}

fn key_in(table: &toml::de::DeTable<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
    let covers = |r: Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        if let toml::de::DeValue::Table(inner) = v.get_ref() {
            if let Some(found) = key_in(inner, span, &key) {
                return Some(found);
            }
        }
        if covers(k.span()) || covers(v.span()) {
            return Some(key);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn file_errors_name_the_key() {
        let e = FileLayer::parse("[serve]\nadr = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("key `serve.adr`"), "{e:#}");
        let e = FileLayer::parse("[webhooks]\nmax_attempts = \"many\"\n").unwrap_err();
        assert!(
            format!("{e:#}").contains("key `webhooks.max_attempts`"),
            "{e:#}"
        );
        let e = FileLayer::parse("[log]\nformat = \"xml\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("key `log.format`"), "{e:#}");
        let e = FileLayer::parse("databse = \"x\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("key `databse`"), "{e:#}");
    }
}

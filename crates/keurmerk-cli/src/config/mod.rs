//! Layered configuration (SPEC §10): built-in defaults, then a TOML file (`--config`), then
//! `KEURMERK_*` environment variables, then flags; each later layer wins.
//!
//! clap already handles flags, environment and defaults, and records which of them gave each
//! value. The file layer slots in between by *replacing the defaults* of the arguments it sets
//! before the command line is parsed: clap's own precedence (flag > env > default) then gives
//! file < env < flag, and every value, whatever its layer, goes through the same clap parser.
//! [`SETTINGS`] is the one table of settings (TOML key, clap argument, environment variable);
//! it drives the merge, `keurmerk config show`, the example file and the README table, so they
//! cannot drift apart. `file` reads the TOML file; `serve` holds the settings of `keurmerk serve`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command, CommandFactory, FromArgMatches, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::Cli;

mod file;
mod serve;

pub use file::FileLayer;
pub use serve::{ServeSettings, ServeSettingsArgs};

/// The type of a setting's value, for TOML and JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    U32,
    U64,
    Bool,
}

/// One setting: its dotted TOML key, the clap argument that carries it, and its environment
/// variable (which must be the argument's `env`). The flag, help and default are clap's.
#[derive(Debug)]
pub struct Setting {
    pub key: &'static str,
    pub arg: &'static str,
    pub env: &'static str,
    pub kind: Kind,
    /// Shown (commented out) in the example file for settings without a default.
    pub example: &'static str,
}

const fn setting(key: &'static str, arg: &'static str, env: &'static str, kind: Kind) -> Setting {
    Setting {
        key,
        arg,
        env,
        kind,
        example: "",
    }
}

/// Every setting, in the order of the example file and the docs.
pub const SETTINGS: &[Setting] = &[
    setting("database", "db", "KEURMERK_DATABASE_URL", Kind::Str),
    Setting {
        example: "/etc/keurmerk/schemes",
        ..setting("schemes", "schemes", "KEURMERK_SCHEMES", Kind::Str)
    },
    setting("keys_dir", "keys_dir", "KEURMERK_KEYS_DIR", Kind::Str),
    setting("base_url", "base_url", "KEURMERK_BASE_URL", Kind::Str),
    setting("serve.addr", "addr", "KEURMERK_ADDR", Kind::Str),
    setting("serve.log_key", "log_key", "KEURMERK_LOG_KEY", Kind::Str),
    Setting {
        example: "registry.example.eu/log",
        ..setting(
            "serve.log_origin",
            "log_origin",
            "KEURMERK_LOG_ORIGIN",
            Kind::Str,
        )
    },
    setting(
        "serve.writes_per_minute",
        "writes_per_minute",
        "KEURMERK_WRITES_PER_MINUTE",
        Kind::U32,
    ),
    setting(
        "serve.complaints_per_hour",
        "complaints_per_hour",
        "KEURMERK_COMPLAINTS_PER_HOUR",
        Kind::U32,
    ),
    setting(
        "serve.header_read_timeout_secs",
        "header_read_timeout_secs",
        "KEURMERK_HEADER_READ_TIMEOUT_SECS",
        Kind::U64,
    ),
    setting(
        "serve.body_read_timeout_secs",
        "body_read_timeout_secs",
        "KEURMERK_BODY_READ_TIMEOUT_SECS",
        Kind::U64,
    ),
    setting(
        "serve.max_connections",
        "max_connections",
        "KEURMERK_MAX_CONNECTIONS",
        Kind::U64,
    ),
    setting(
        "serve.database_connections",
        "database_connections",
        "KEURMERK_DATABASE_CONNECTIONS",
        Kind::U32,
    ),
    setting(
        "serve.database_wait_secs",
        "database_wait_secs",
        "KEURMERK_DATABASE_WAIT_SECS",
        Kind::U64,
    ),
    setting(
        "serve.shutdown_grace_secs",
        "shutdown_grace_secs",
        "KEURMERK_SHUTDOWN_GRACE_SECS",
        Kind::U64,
    ),
    setting(
        "serve.scheduler_interval_secs",
        "scheduler_interval_secs",
        "KEURMERK_SCHEDULER_INTERVAL_SECS",
        Kind::U64,
    ),
    setting("log.format", "log_format", "KEURMERK_LOG_FORMAT", Kind::Str),
    setting("log.filter", "log_filter", "KEURMERK_LOG", Kind::Str),
    setting(
        "webhooks.enabled",
        "webhooks_enabled",
        "KEURMERK_WEBHOOKS_ENABLED",
        Kind::Bool,
    ),
    setting(
        "webhooks.max_attempts",
        "webhook_max_attempts",
        "KEURMERK_WEBHOOK_MAX_ATTEMPTS",
        Kind::U32,
    ),
    setting(
        "webhooks.backoff_base_secs",
        "webhook_backoff_base_secs",
        "KEURMERK_WEBHOOK_BACKOFF_BASE_SECS",
        Kind::U64,
    ),
    setting(
        "webhooks.backoff_max_secs",
        "webhook_backoff_max_secs",
        "KEURMERK_WEBHOOK_BACKOFF_MAX_SECS",
        Kind::U64,
    ),
    setting(
        "webhooks.timeout_secs",
        "webhook_timeout_secs",
        "KEURMERK_WEBHOOK_TIMEOUT_SECS",
        Kind::U64,
    ),
    setting(
        "webhooks.allow_private_targets",
        "webhook_allow_private_targets",
        "KEURMERK_WEBHOOK_ALLOW_PRIVATE_TARGETS",
        Kind::Bool,
    ),
];

impl Setting {
    /// The clap argument of this setting in `cmd` (not its subcommands), if `cmd` has it.
    fn arg_in<'c>(&self, cmd: &'c Command) -> Option<&'c Arg> {
        cmd.get_arguments()
            .find(|a| a.get_id() == self.arg && a.get_env() == Some(OsStr::new(self.env)))
    }

    /// The clap argument of this setting anywhere in `cmd`'s tree.
    pub fn find_arg<'c>(&self, cmd: &'c Command) -> Option<&'c Arg> {
        self.arg_in(cmd)
            .or_else(|| cmd.get_subcommands().find_map(|c| self.find_arg(c)))
    }

    /// How this setting is named in messages: key, flag and variable.
    pub fn names(&self) -> String {
        let cmd = Cli::command();
        match self.find_arg(&cmd).and_then(Arg::get_long) {
            Some(long) => format!("`{}` (--{long}, {})", self.key, self.env),
            None => format!("`{}` ({})", self.key, self.env),
        }
    }
}

/// The format of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

pub(crate) fn by_key(key: &str) -> Result<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.key == key)
        .with_context(|| format!("no setting `{key}` in the settings table"))
}

/// Settings of the webhook delivery worker (`keurmerk_server::webhooks`), resolved from all
/// layers; `keurmerk serve` starts the worker with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WebhookSettings {
    /// Whether webhooks are delivered at all.
    pub enabled: bool,
    /// Deliveries of one event before it is given up.
    pub max_attempts: u32,
    /// First retry delay; doubled per attempt.
    pub backoff_base_secs: u64,
    /// Largest retry delay.
    pub backoff_max_secs: u64,
    /// Timeout of one delivery request.
    pub timeout_secs: u64,
    /// Whether targets may resolve to loopback, private or link-local addresses.
    pub allow_private_targets: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: 8,
            backoff_base_secs: 30,
            backoff_max_secs: 3600,
            timeout_secs: 10,
            allow_private_targets: false,
        }
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Default,
    File,
    Env,
    Flag,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Default => "default",
            Source::File => "file",
            Source::Env => "env",
            Source::Flag => "flag",
        })
    }
}

/// One setting's effective value. `value` is `None` for a setting without a default that no
/// layer set.
#[derive(Debug, Clone)]
pub struct Effect {
    pub setting: &'static Setting,
    pub flag: Option<String>,
    pub value: Option<toml::Value>,
    pub source: Source,
}

/// The effective configuration of the running command: the settings it takes, resolved.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    pub file: Option<PathBuf>,
    pub effects: Vec<Effect>,
}

impl Effective {
    /// Where a setting's value came from, for messages: "--log-filter", "KEURMERK_LOG", …
    pub fn origin(&self, key: &str) -> String {
        match self.effects.iter().find(|e| e.setting.key == key) {
            Some(e) => match e.source {
                Source::Flag => e.flag.clone().unwrap_or_else(|| "a flag".to_owned()),
                Source::Env => e.setting.env.to_owned(),
                Source::File => match &self.file {
                    Some(f) => format!("`{key}` in {}", f.display()),
                    None => format!("`{key}` in the configuration file"),
                },
                Source::Default => "the default".to_owned(),
            },
            None => format!("`{key}`"),
        }
    }
}

/// The effective values and their sources, for the settings the parsed (sub)command takes.
fn effective(
    cmd: &Command,
    matches: &ArgMatches,
    file: Option<(PathBuf, &FileLayer)>,
) -> Effective {
    // Global arguments are propagated to the innermost subcommand, so look there.
    let (leaf_cmd, leaf) = innermost(cmd, matches);
    let effects = SETTINGS
        .iter()
        .filter_map(|s| {
            let arg = s.arg_in(leaf_cmd)?;
            let in_file = file.as_ref().is_some_and(|(_, f)| f.value(s.key).is_some());
            let source = match leaf.value_source(s.arg) {
                Some(ValueSource::CommandLine) => Source::Flag,
                Some(ValueSource::EnvVariable) => Source::Env,
                _ if in_file => Source::File,
                _ => Source::Default,
            };
            Some(Effect {
                setting: s,
                flag: arg.get_long().map(|l| format!("--{l}")),
                value: typed_value(leaf, s),
                source,
            })
        })
        .collect();
    Effective {
        file: file.map(|(p, _)| p),
        effects,
    }
}

fn innermost<'a>(cmd: &'a Command, m: &'a ArgMatches) -> (&'a Command, &'a ArgMatches) {
    match m
        .subcommand()
        .and_then(|(name, sub)| Some((cmd.find_subcommand(name)?, sub)))
    {
        Some((c, sub)) => innermost(c, sub),
        None => (cmd, m),
    }
}

fn typed_value(m: &ArgMatches, s: &Setting) -> Option<toml::Value> {
    match s.kind {
        Kind::Str => {
            let raw = m.get_raw(s.arg)?.next()?;
            Some(toml::Value::String(raw.to_string_lossy().into_owned()))
        }
        Kind::U32 => Some(toml::Value::Integer(
            (*m.try_get_one::<u32>(s.arg).ok()??).into(),
        )),
        Kind::U64 => Some(toml::Value::Integer(
            i64::try_from(*m.try_get_one::<u64>(s.arg).ok()??).ok()?,
        )),
        Kind::Bool => Some(toml::Value::Boolean(*m.try_get_one::<bool>(s.arg).ok()??)),
    }
}

/// The parsed command line with every layer applied.
#[derive(Debug)]
pub struct Loaded {
    pub cli: Cli,
    pub effective: Effective,
}

/// Why the command line could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// Bad flags, `--help`, `--version`: clap prints and exits.
    Clap(clap::Error),
    /// The configuration file.
    Config(anyhow::Error),
}

/// Parses `args` (the program name first) with the configuration file named by `--config` /
/// `KEURMERK_CONFIG` as the layer under the environment. Without one, parsing is exactly clap's.
pub fn load<I, T>(args: I) -> Result<Loaded, LoadError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // First pass: only to learn which file to read.
    let first = Cli::command()
        .try_get_matches_from(&args)
        .map_err(LoadError::Clap)?;
    let path = first.get_one::<PathBuf>("config").cloned();
    let file = path
        .as_deref()
        .map(FileLayer::load)
        .transpose()
        .map_err(LoadError::Config)?;
    let mut cmd = match &file {
        Some(f) => f.apply(Cli::command()),
        None => Cli::command(),
    };
    let matches = cmd
        .try_get_matches_from_mut(&args)
        .map_err(LoadError::Clap)?;
    let cli = Cli::from_arg_matches(&matches).map_err(LoadError::Clap)?;
    let effective = effective(&cmd, &matches, path.zip(file.as_ref()));
    Ok(Loaded { cli, effective })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::file::{flatten, FileConfig};
    use super::*;

    fn load_with(file: &str, args: &[&str]) -> Loaded {
        let layer = FileLayer::parse(file).unwrap();
        let mut cmd = layer.apply(Cli::command());
        let matches = cmd.try_get_matches_from_mut(args).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let effective = effective(&cmd, &matches, Some((PathBuf::from("k.toml"), &layer)));
        Loaded { cli, effective }
    }

    fn serve(l: &Loaded) -> ServeSettings {
        match &l.cli.command {
            crate::Command::Serve(a) => a.settings.resolve().unwrap(),
            other => panic!("not serve: {other:?}"),
        }
    }

    fn source(l: &Loaded, key: &str) -> Source {
        l.effective
            .effects
            .iter()
            .find(|e| e.setting.key == key)
            .unwrap()
            .source
    }

    /// The merge of file and flags for the numbers of `[serve]` and `[webhooks]` (the
    /// environment layer is tested end to end in `tests/config.rs`, since it is the process's).
    #[test]
    fn file_values_fill_in_under_flags() {
        let file = "[serve]\nwrites_per_minute = 7\ncomplaints_per_hour = 3\n\
                    database_connections = 5\ndatabase_wait_secs = 2\n\
                    [webhooks]\nmax_attempts = 2\nbackoff_base_secs = 5\ntimeout_secs = 4\n\
                    allow_private_targets = true\n";
        let l = load_with(
            file,
            &[
                "keurmerk",
                "serve",
                "--complaints-per-hour",
                "9",
                "--webhook-timeout-secs",
                "11",
            ],
        );
        let s = serve(&l);
        assert_eq!(s.limits.writes_per_minute, 7);
        assert_eq!(s.limits.complaints_per_hour, 9);
        assert_eq!(
            s.database,
            keurmerk_store::PoolSettings {
                connections: 5,
                wait: std::time::Duration::from_secs(2)
            }
        );
        assert_eq!(source(&l, "serve.database_connections"), Source::File);
        assert_eq!(source(&l, "serve.database_wait_secs"), Source::File);
        assert_eq!(
            s.webhooks,
            WebhookSettings {
                enabled: true,
                max_attempts: 2,
                backoff_base_secs: 5,
                backoff_max_secs: 3600,
                timeout_secs: 11,
                allow_private_targets: true,
            }
        );
        assert_eq!(source(&l, "serve.writes_per_minute"), Source::File);
        assert_eq!(source(&l, "serve.complaints_per_hour"), Source::Flag);
        assert_eq!(source(&l, "webhooks.timeout_secs"), Source::Flag);
        assert_eq!(source(&l, "webhooks.backoff_max_secs"), Source::Default);
        assert_eq!(source(&l, "webhooks.enabled"), Source::Default);
    }

    #[test]
    fn without_a_file_the_defaults_are_the_servers() {
        let l = load_with("", &["keurmerk", "serve"]);
        let s = serve(&l);
        assert_eq!(s.webhooks, WebhookSettings::default());
        let d = keurmerk_server::Limits::default();
        assert_eq!(s.limits.writes_per_minute, d.writes_per_minute);
        assert_eq!(s.limits.complaints_per_hour, d.complaints_per_hour);
        assert_eq!(s.database, keurmerk_store::PoolSettings::default());
        assert!(l
            .effective
            .effects
            .iter()
            .all(|e| e.source == Source::Default));
    }

    #[test]
    fn boolean_flags_take_an_optional_value() {
        let l = load_with(
            "[webhooks]\nenabled = true\n",
            &[
                "keurmerk",
                "serve",
                "--webhooks-enabled",
                "false",
                "--webhook-allow-private-targets",
            ],
        );
        let s = serve(&l);
        assert!(!s.webhooks.enabled);
        assert!(s.webhooks.allow_private_targets);
    }

    #[test]
    fn global_settings_from_the_file() {
        let l = load_with(
            "database = \"sqlite:from-file.db\"\n[log]\nformat = \"json\"\n",
            &["keurmerk", "org", "list", "--log-filter", "debug"],
        );
        assert_eq!(l.cli.db, "sqlite:from-file.db");
        assert_eq!(l.cli.log_format, LogFormat::Json);
        assert_eq!(l.cli.log_filter, "debug");
        assert_eq!(source(&l, "database"), Source::File);
        assert_eq!(source(&l, "log.filter"), Source::Flag);
        // `org list` takes no serve settings.
        assert!(l
            .effective
            .effects
            .iter()
            .all(|e| !e.setting.key.starts_with("serve.")));
    }

    /// The error `serve`'s settings are refused with, from `file` and `args`.
    fn refused(file: &str, args: &[&str]) -> String {
        let l = load_with(file, args);
        let crate::Command::Serve(a) = &l.cli.command else {
            panic!("not serve: {:?}", l.cli.command)
        };
        a.settings.resolve().unwrap_err().to_string()
    }

    #[test]
    fn nonsense_numbers_are_refused_naming_the_setting() {
        let e = refused(
            "[webhooks]\nbackoff_base_secs = 100\nbackoff_max_secs = 10\n",
            &["keurmerk", "serve"],
        );
        assert!(
            e.contains("webhooks.backoff_base_secs")
                && e.contains("KEURMERK_WEBHOOK_BACKOFF_MAX_SECS"),
            "{e}"
        );
        let e = refused("", &["keurmerk", "serve", "--writes-per-minute", "0"]);
        assert!(e.contains("--writes-per-minute"), "{e}");
        // A pool of no connections would make every request wait for one until it timed out.
        let e = refused(
            "[serve]\ndatabase_connections = 0\n",
            &["keurmerk", "serve"],
        );
        assert!(
            e.contains("serve.database_connections") && e.contains("KEURMERK_DATABASE_CONNECTIONS"),
            "{e}"
        );
        // No wait at all would answer 503 whenever every connection is busy for an instant.
        let e = refused("", &["keurmerk", "serve", "--database-wait-secs", "0"]);
        assert!(
            e.contains("serve.database_wait_secs") && e.contains("KEURMERK_DATABASE_WAIT_SECS"),
            "{e}"
        );
    }

    /// Every setting of the table has a `KEURMERK_*` variable that is its clap argument's `env`,
    /// a flag, and a key the file struct accepts; and every key of the file struct is in the
    /// table. A new setting missing any of these fails here.
    #[test]
    fn every_setting_has_env_flag_and_key() {
        let cmd = Cli::command();
        for s in SETTINGS {
            assert!(s.env.starts_with("KEURMERK_"), "{}", s.key);
            let arg = s.find_arg(&cmd).unwrap_or_else(|| {
                panic!("{}: no clap argument `{}` with env {}", s.key, s.arg, s.env)
            });
            assert!(arg.get_long().is_some(), "{}: no flag", s.key);
            let sample = match s.kind {
                Kind::Str if s.key == "serve.addr" => "\"127.0.0.1:1\"".to_owned(),
                Kind::Str if s.key == "log.format" => "\"json\"".to_owned(),
                Kind::Str => "\"x\"".to_owned(),
                Kind::U32 | Kind::U64 => "1".to_owned(),
                Kind::Bool => "true".to_owned(),
            };
            let (section, name) = s.key.rsplit_once('.').unwrap_or(("", s.key));
            let text = if section.is_empty() {
                format!("{name} = {sample}\n")
            } else {
                format!("[{section}]\n{name} = {sample}\n")
            };
            let layer = FileLayer::parse(&text).unwrap_or_else(|e| panic!("{}: {e:#}", s.key));
            assert!(layer.value(s.key).is_some(), "{}", s.key);
        }
        let mut keys = Vec::new();
        flatten(
            "",
            &serde_json::to_value(FileConfig::default()).unwrap(),
            &mut keys,
        );
        let mut keys: Vec<String> = keys.into_iter().map(|(k, _)| k).collect();
        let mut table: Vec<String> = SETTINGS.iter().map(|s| s.key.to_owned()).collect();
        keys.sort();
        table.sort();
        assert_eq!(keys, table);
    }
}

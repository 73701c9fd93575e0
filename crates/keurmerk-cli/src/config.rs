//! Layered configuration (SPEC §10): built-in defaults, then a TOML file (`--config`), then
//! `KEURMERK_*` environment variables, then flags; each later layer wins.
//!
//! clap already handles flags, environment and defaults, and records which of them gave each
//! value. The file layer slots in between by *replacing the defaults* of the arguments it sets
//! before the command line is parsed: clap's own precedence (flag > env > default) then gives
//! file < env < flag, and every value, whatever its layer, goes through the same clap parser.
//! [`SETTINGS`] is the one table of settings (TOML key, clap argument, environment variable);
//! it drives the merge, `keurmerk config show`, the example file and the README table, so they
//! cannot drift apart.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, Command, CommandFactory, FromArgMatches, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::Cli;

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

/// Settings of the webhook delivery worker, resolved from all layers. Nothing delivers
/// webhooks yet; `keurmerk serve` resolves and holds these for the worker.
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

/// A boolean flag that also takes an explicit value: `--flag`, `--flag true`, `--flag false`.
fn boolish() -> clap::builder::BoolishValueParser {
    clap::builder::BoolishValueParser::new()
}

#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Deliver webhooks.
    #[arg(long = "webhooks-enabled", env = "KEURMERK_WEBHOOKS_ENABLED", value_name = "BOOL",
        value_parser = boolish(), num_args = 0..=1, default_missing_value = "true",
        default_value_t = WebhookSettings::default().enabled)]
    pub webhooks_enabled: bool,
    /// Deliveries of one event before it is given up.
    #[arg(long, env = "KEURMERK_WEBHOOK_MAX_ATTEMPTS", value_name = "N",
        default_value_t = WebhookSettings::default().max_attempts)]
    pub webhook_max_attempts: u32,
    /// First retry delay in seconds; doubled per attempt.
    #[arg(long, env = "KEURMERK_WEBHOOK_BACKOFF_BASE_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().backoff_base_secs)]
    pub webhook_backoff_base_secs: u64,
    /// Largest retry delay in seconds.
    #[arg(long, env = "KEURMERK_WEBHOOK_BACKOFF_MAX_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().backoff_max_secs)]
    pub webhook_backoff_max_secs: u64,
    /// Timeout of one delivery request in seconds.
    #[arg(long, env = "KEURMERK_WEBHOOK_TIMEOUT_SECS", value_name = "SECS",
        default_value_t = WebhookSettings::default().timeout_secs)]
    pub webhook_timeout_secs: u64,
    /// Allow webhook targets on loopback, private or link-local addresses.
    #[arg(long, env = "KEURMERK_WEBHOOK_ALLOW_PRIVATE_TARGETS", value_name = "BOOL",
        value_parser = boolish(), num_args = 0..=1, default_missing_value = "true",
        default_value_t = WebhookSettings::default().allow_private_targets)]
    pub webhook_allow_private_targets: bool,
}

/// The settings of `keurmerk serve`, also accepted by `keurmerk config show` so it can show
/// what `serve` would use with the same flags.
#[derive(Debug, Clone, Args)]
pub struct ServeSettingsArgs {
    /// Address to listen on.
    #[arg(long, env = "KEURMERK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The transparency log's key.
    #[command(flatten)]
    pub log: crate::cmd::log::LogKeyArgs,
    /// API writes per token (or client address) per minute.
    #[arg(long, env = "KEURMERK_WRITES_PER_MINUTE", value_name = "N",
        default_value_t = keurmerk_server::Limits::default().writes_per_minute)]
    pub writes_per_minute: u32,
    /// Complaints per client address per hour.
    #[arg(long, env = "KEURMERK_COMPLAINTS_PER_HOUR", value_name = "N",
        default_value_t = keurmerk_server::Limits::default().complaints_per_hour)]
    pub complaints_per_hour: u32,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// What `keurmerk serve` runs with, every value resolved from all layers and checked.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub addr: SocketAddr,
    pub log: crate::cmd::log::LogKeyArgs,
    pub limits: keurmerk_server::Limits,
    /// For the webhook delivery worker (not wired yet).
    pub webhooks: WebhookSettings,
}

impl ServeSettingsArgs {
    /// The checked settings. Zero rates would silently become one in the rate limiter, and a
    /// backoff whose base exceeds its maximum is a typo, so both are refused here, naming the
    /// setting in all its spellings.
    pub fn resolve(&self) -> Result<ServeSettings> {
        let limits = keurmerk_server::Limits {
            writes_per_minute: self.writes_per_minute,
            complaints_per_hour: self.complaints_per_hour,
        };
        let w = &self.webhooks;
        let webhooks = WebhookSettings {
            enabled: w.webhooks_enabled,
            max_attempts: w.webhook_max_attempts,
            backoff_base_secs: w.webhook_backoff_base_secs,
            backoff_max_secs: w.webhook_backoff_max_secs,
            timeout_secs: w.webhook_timeout_secs,
            allow_private_targets: w.webhook_allow_private_targets,
        };
        check_settings(&limits, &webhooks)?;
        Ok(ServeSettings {
            addr: self.addr,
            log: self.log.clone(),
            limits,
            webhooks,
        })
    }
}

fn check_settings(limits: &keurmerk_server::Limits, w: &WebhookSettings) -> Result<()> {
    let at_least_one = [
        (
            "serve.writes_per_minute",
            u64::from(limits.writes_per_minute),
        ),
        (
            "serve.complaints_per_hour",
            u64::from(limits.complaints_per_hour),
        ),
        ("webhooks.max_attempts", u64::from(w.max_attempts)),
        ("webhooks.timeout_secs", w.timeout_secs),
    ];
    for (key, value) in at_least_one {
        if value == 0 {
            bail!("{} must be at least 1, got 0", by_key(key)?.names());
        }
    }
    if w.backoff_base_secs > w.backoff_max_secs {
        bail!(
            "{} ({}) must not exceed {} ({})",
            by_key("webhooks.backoff_base_secs")?.names(),
            w.backoff_base_secs,
            by_key("webhooks.backoff_max_secs")?.names(),
            w.backoff_max_secs
        );
    }
    Ok(())
}

fn by_key(key: &str) -> Result<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.key == key)
        .with_context(|| format!("no setting `{key}` in the settings table"))
}

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
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
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

    #[test]
    fn nonsense_numbers_are_refused_naming_the_setting() {
        let l = load_with(
            "[webhooks]\nbackoff_base_secs = 100\nbackoff_max_secs = 10\n",
            &["keurmerk", "serve"],
        );
        let crate::Command::Serve(a) = &l.cli.command else {
            panic!()
        };
        let e = a.settings.resolve().unwrap_err().to_string();
        assert!(
            e.contains("webhooks.backoff_base_secs")
                && e.contains("KEURMERK_WEBHOOK_BACKOFF_MAX_SECS"),
            "{e}"
        );
        let l = load_with("", &["keurmerk", "serve", "--writes-per-minute", "0"]);
        let crate::Command::Serve(a) = &l.cli.command else {
            panic!()
        };
        let e = a.settings.resolve().unwrap_err().to_string();
        assert!(e.contains("--writes-per-minute"), "{e}");
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

//! `keurmerk config …`: the effective configuration and where each value came from, and the
//! example file and README table, generated from the one settings table.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, CommandFactory, Subcommand};

use crate::config::{Effective, Kind, Setting, Source, SETTINGS};
use crate::Cli;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the effective configuration and, per value, where it came from (flag, env, file
    /// or default). Takes the flags of `serve` too, to show what `serve` would use with them.
    Show(ShowArgs),
    /// Print an example configuration file with every setting at its default.
    Example(ExampleArgs),
}

#[derive(Debug, Args)]
pub struct ExampleArgs {
    /// Print the settings as a Markdown table (for the README) instead.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Print JSON instead of TOML.
    #[arg(long)]
    pub json: bool,
    /// Accepted so that `config show --addr …` resolves like `serve --addr …`; the values are
    /// read from the parsed command line, not from this field.
    #[command(flatten)]
    pub serve: crate::config::ServeSettingsArgs,
}

pub fn run(effective: &Effective, c: &ConfigCmd) -> Result<ExitCode> {
    match c {
        ConfigCmd::Show(a) => {
            // Checked like `serve` would, so a bad combination is reported here too.
            a.serve.resolve()?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&show_json(effective))?);
            } else {
                print!("{}", show_toml(effective));
            }
        }
        ConfigCmd::Example(a) if a.markdown => print!("{}", markdown_table()),
        ConfigCmd::Example(_) => print!("{}", example()),
    }
    Ok(ExitCode::SUCCESS)
}

/// A database URL's password is the one secret a setting can hold.
fn shown(s: &Setting, v: &toml::Value) -> toml::Value {
    match v {
        toml::Value::String(url) if s.key == "database" => toml::Value::String(super::redact(url)),
        other => other.clone(),
    }
}

fn show_json(effective: &Effective) -> serde_json::Value {
    let settings: serde_json::Map<String, serde_json::Value> = effective
        .effects
        .iter()
        .map(|e| {
            let value = match &e.value {
                Some(v) => serde_json::to_value(shown(e.setting, v)).unwrap_or_default(),
                None => serde_json::Value::Null,
            };
            let entry = serde_json::json!({
                "value": value,
                "source": e.source,
                "env": e.setting.env,
                "flag": e.flag,
            });
            (e.setting.key.to_owned(), entry)
        })
        .collect();
    serde_json::json!({
        "config_file": effective.file.as_ref().map(|p| p.display().to_string()),
        "settings": settings,
    })
}

fn show_toml(effective: &Effective) -> String {
    let mut out = String::new();
    let file = match &effective.file {
        Some(f) => f.display().to_string(),
        None => "none".to_owned(),
    };
    let _ = writeln!(
        out,
        "# Effective configuration (configuration file: {file})."
    );
    let _ = writeln!(
        out,
        "# Each value says where it came from: flag, env (the variable), file or default."
    );
    let mut section = "";
    for e in &effective.effects {
        let (sec, name) = split(e.setting.key);
        if sec != section {
            let _ = writeln!(out, "\n[{sec}]");
            section = sec;
        }
        let from = match e.source {
            Source::Flag => format!("flag {}", e.flag.as_deref().unwrap_or("")),
            Source::Env => format!("env {}", e.setting.env),
            Source::File => "file".to_owned(),
            Source::Default => "default".to_owned(),
        };
        match &e.value {
            Some(v) => {
                let _ = writeln!(out, "{name} = {} # {from}", shown(e.setting, v));
            }
            None => {
                let _ = writeln!(out, "# {name} is not set # {from}");
            }
        }
    }
    out
}

/// `("serve", "addr")` for `serve.addr`, `("", "database")` for `database`.
fn split(key: &str) -> (&str, &str) {
    key.rsplit_once('.').unwrap_or(("", key))
}

/// A setting's flag, help and built-in default, from clap.
struct Doc {
    flag: String,
    help: String,
    default: Option<String>,
}

fn doc(cmd: &clap::Command, s: &Setting) -> Doc {
    let arg = s.find_arg(cmd);
    let flag = arg
        .and_then(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .unwrap_or_default();
    let help = arg
        .and_then(|a| a.get_help())
        .map(|h| {
            h.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let default = arg
        .and_then(|a| a.get_default_values().first())
        .map(|d| d.to_string_lossy().into_owned());
    Doc {
        flag,
        help,
        default,
    }
}

/// A default (clap's string) as a TOML value of the setting's kind.
fn toml_value(kind: Kind, raw: &str) -> String {
    match kind {
        Kind::U32 | Kind::U64 | Kind::Bool => raw.to_owned(),
        Kind::Str => toml::Value::String(raw.to_owned()).to_string(),
    }
}

/// The example configuration file (`docs/keurmerk.example.toml` is this output).
pub fn example() -> String {
    let cmd = Cli::command();
    let mut out = String::from(
        "# Keurmerk configuration: `keurmerk --config FILE …` or KEURMERK_CONFIG=FILE.\n\
         # Precedence: built-in defaults < this file < KEURMERK_* environment < flags.\n\
         # Every setting is listed at its built-in default (settings without one are\n\
         # commented out). Relative paths are relative to the working directory.\n\
         # `keurmerk config show` prints the effective values and where each came from.\n\
         # Generated by `keurmerk config example`.\n",
    );
    let mut section = "";
    for s in SETTINGS {
        let (sec, name) = split(s.key);
        if sec != section {
            let _ = writeln!(out, "\n[{sec}]");
            section = sec;
        } else {
            out.push('\n');
        }
        let d = doc(&cmd, s);
        for line in wrap(&d.help, 96) {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "# {}, {}", d.flag, s.env);
        match &d.default {
            Some(v) => {
                let _ = writeln!(out, "{name} = {}", toml_value(s.kind, v));
            }
            None => {
                let _ = writeln!(out, "# {name} = {}", toml_value(s.kind, s.example));
            }
        }
    }
    out
}

/// The settings as a Markdown table, for the README.
pub fn markdown_table() -> String {
    let cmd = Cli::command();
    let mut out = String::from("| File key | Environment | Flag | Default |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let d = doc(&cmd, s);
        let default = match &d.default {
            Some(v) => format!("`{}`", toml_value(s.kind, v).trim_matches('"')),
            None => "not set".to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | {default} |",
            s.key, s.env, d.flag
        );
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The README's table is this module's output; on drift, paste the printed table.
    #[test]
    fn readme_lists_every_setting() {
        let readme = include_str!("../../../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's configuration table is out of date; regenerate it with \
             `keurmerk config example --markdown`:\n{table}"
        );
    }

    /// The example file is `keurmerk config example`, parses, and sets or names every setting.
    #[test]
    fn example_file_is_generated_and_complete() {
        let file = include_str!("../../../../docs/keurmerk.example.toml");
        assert_eq!(
            file,
            example(),
            "docs/keurmerk.example.toml is out of date: regenerate it with \
             `keurmerk config example > docs/keurmerk.example.toml`"
        );
        let layer = crate::config::FileLayer::parse(file).unwrap();
        for s in SETTINGS {
            let (_, name) = split(s.key);
            assert!(
                layer.value(s.key).is_some() || file.contains(&format!("\n# {name} = ")),
                "{} missing from the example",
                s.key
            );
        }
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert!(wrap("", 4).is_empty());
    }
}

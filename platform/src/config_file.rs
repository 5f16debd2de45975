//! `kumiki.toml`: every flag of `kumiki` (the global ones and `serve`'s) as a key of one flat TOML
//! file, named like the flag with `_` (`--data-dir` → `data_dir`). The command line fills in a
//! value from the file only where neither the flag nor its `KUMIKI_*` variable gave one, so the
//! order is defaults < file < environment < flags (`main.rs` does that merge with clap's
//! `ValueSource`). An unknown key, a wrong type or bad TOML is refused with the file, the key and
//! the line: a typo must not silently leave a default in force. docs/kumiki.example.toml lists
//! every key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Read when neither `--config` nor `KUMIKI_CONFIG` names a file, and only if it exists.
pub const DEFAULT_PATH: &str = "/etc/kumiki/kumiki.toml";

/// The keys of the file, in the order of docs/kumiki.example.toml (for the "known keys" message;
/// a test keeps it equal to the example's keys, which a test keeps equal to the flags).
pub const KEYS: &[&str] = &[
    "data_dir",
    "files_dir",
    "files_store",
    "database_url",
    "search_dictionary",
    "clamd_socket",
    "log_format",
    "host",
    "port",
    "no_examples",
    "workers",
    "insecure_cookies",
    "trusted_proxies",
    "proxy_header",
    "allowlist_off",
    "smtp_url",
    "smtp_from",
    "smtp_password",
    "smtp_timeout",
    "public_url",
    "public_listen",
    "metrics_token",
];

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (tracing's default format).
    #[default]
    Text,
    /// One JSON object per line: timestamp, level, target, message, the event's fields and the
    /// current span's (`request{id, app_id}`).
    Json,
}

/// Where new attachments put their bytes (`--files-store`); each file is read from where its row
/// says, so switching keeps earlier files readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FilesStore {
    /// Files under the attachments directory (`--files-dir`).
    #[default]
    Directory,
    /// In the database (`file_blobs`): every node reaching the database reaches them.
    Database,
}

impl From<FilesStore> for kumiki_engine::records::FilesIn {
    fn from(s: FilesStore) -> Self {
        match s {
            FilesStore::Directory => kumiki_engine::records::FilesIn::Directory,
            FilesStore::Database => kumiki_engine::records::FilesIn::Database,
        }
    }
}

/// The settings a `kumiki.toml` may hold; absent keys leave the flag's own default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub files_dir: Option<PathBuf>,
    pub files_store: Option<FilesStore>,
    pub database_url: Option<String>,
    pub search_dictionary: Option<String>,
    pub clamd_socket: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub no_examples: Option<bool>,
    pub workers: Option<usize>,
    pub insecure_cookies: Option<bool>,
    pub trusted_proxies: Option<String>,
    pub proxy_header: Option<String>,
    pub allowlist_off: Option<bool>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_timeout: Option<u64>,
    pub public_url: Option<String>,
    pub public_listen: Option<String>,
    pub metrics_token: Option<String>,
}

/// Reads the configuration file: `explicit` (from `--config` / `KUMIKI_CONFIG`) must exist;
/// without it [`DEFAULT_PATH`] is read when present. `Ok(None)`: no file.
pub fn load(explicit: Option<&Path>) -> Result<Option<FileConfig>, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from(DEFAULT_PATH);
            if !default.exists() {
                return Ok(None);
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: cannot read the configuration file: {e}",
            path.display()
        )
    })?;
    parse(&path.display().to_string(), &text).map(Some)
}

/// Parses the text of a configuration file; `name` is how errors name it.
pub fn parse(name: &str, text: &str) -> Result<FileConfig, String> {
    // Syntax first, as a plain table: a syntax error is then never blamed on a key.
    toml::from_str::<toml::Table>(text).map_err(|e| {
        let at = line_of(text, &e)
            .map(|l| format!(" at line {l}"))
            .unwrap_or_default();
        format!("{name}: invalid TOML{at}: {}", e.message().trim_end())
    })?;
    toml::from_str::<FileConfig>(text).map_err(|e| explain(name, text, &e))
}

/// The line (from 1) an error points at.
fn line_of(text: &str, e: &toml::de::Error) -> Option<usize> {
    e.span().map(|s| {
        let before = &text.as_bytes()[..s.start.min(text.len())];
        before.iter().filter(|b| **b == b'\n').count() + 1
    })
}

/// The operator's message for a file that is TOML but not a configuration: which key, which
/// line, what was wrong.
fn explain(name: &str, text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end();
    let line = line_of(text, e);
    let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        let hint = if key == "serve" {
            " (serve's settings are top-level keys, not a [serve] table)"
        } else {
            ""
        };
        return format!(
            "{name}: unknown key \"{key}\"{at}{hint}; known keys: {}",
            KEYS.join(", ")
        );
    }
    // Type errors point at the value; the key is what stands before `=` on that line.
    let key = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"'))
        .filter(|k| KEYS.contains(k));
    match key {
        Some(key) => format!("{name}: key \"{key}\"{at}: {message}"),
        None => format!("{name}: invalid TOML{at}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/kumiki.example.toml with every `# key = value` line made a setting.
    fn example_uncommented() -> String {
        include_str!("../../docs/kumiki.example.toml")
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if is_setting(rest) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn is_setting(line: &str) -> bool {
        line.split_once(" = ")
            .is_some_and(|(k, _)| KEYS.contains(&k.trim()))
    }

    #[test]
    fn the_example_parses_and_names_every_key() -> Result<(), String> {
        let example = include_str!("../../docs/kumiki.example.toml");
        // As shipped (everything commented out) and with every key set.
        parse("kumiki.example.toml", example)?;
        let full = parse("kumiki.example.toml", &example_uncommented())?;
        assert_eq!(full.port, Some(8080));
        assert_eq!(full.log_format, Some(LogFormat::Text));
        let named: Vec<&str> = example
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| is_setting(l))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
            .collect();
        let mut sorted_named = named.clone();
        sorted_named.sort_unstable();
        sorted_named.dedup();
        let mut keys = KEYS.to_vec();
        keys.sort_unstable();
        assert_eq!(
            sorted_named, keys,
            "the example names each key exactly once"
        );
        assert_eq!(named.len(), KEYS.len());
        Ok(())
    }

    #[test]
    fn refusals_name_the_file_the_key_and_the_line() {
        let unknown = parse("kumiki.toml", "data_dir = \"/x\"\n\nprot = 8080\n");
        let Err(message) = unknown else {
            panic!("an unknown key was accepted")
        };
        assert!(
            message
                .starts_with("kumiki.toml: unknown key \"prot\" at line 3; known keys: data_dir,"),
            "{message}"
        );
        let Err(message) = parse("k.toml", "# c\nport = \"eighty\"\n") else {
            panic!("a string port was accepted")
        };
        assert!(
            message.starts_with("k.toml: key \"port\" at line 2: invalid type"),
            "{message}"
        );
        let Err(message) = parse("k.toml", "port = 70000\n") else {
            panic!("port 70000 was accepted")
        };
        assert!(message.contains("key \"port\" at line 1"), "{message}");
        let Err(message) = parse("k.toml", "log_format = \"xml\"\n") else {
            panic!("log_format xml was accepted")
        };
        assert!(
            message.contains("key \"log_format\" at line 1"),
            "{message}"
        );
        assert!(message.contains("json"), "{message}");
        let Err(message) = parse("k.toml", "port = \n") else {
            panic!("bad TOML was accepted")
        };
        assert!(
            message.starts_with("k.toml: invalid TOML at line 1"),
            "{message}"
        );
        let Err(message) = parse("k.toml", "[serve]\nport = 1\n") else {
            panic!("a [serve] table was accepted")
        };
        assert!(
            message.contains("unknown key \"serve\" at line 1 (serve's"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let Err(message) = load(Some(Path::new("/nonexistent/kumiki.toml"))) else {
            panic!("a missing --config file was accepted")
        };
        assert!(
            message.starts_with("/nonexistent/kumiki.toml: cannot read"),
            "{message}"
        );
    }
}

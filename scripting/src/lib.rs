//! App scripts: the rhai sandbox (`sandbox`), the script API over the engine (`api`, `host`), and the
//! bounded pool of worker threads that runs them (`pool`). `ScriptRuntime` is created once at
//! startup and implements the engine's `records::hooks::RecordScripts`.
//!
//! docs/scripts.md describes the limits, the pool, the script API and what a failure looks like.

mod api;
mod convert;
mod dates;
mod hooks;
mod host;
pub mod logs;
mod lookup;
pub mod memory;
mod pool;
mod runtime;
pub mod sandbox;
pub mod syntax;
mod text;
mod worker;

use std::time::Duration;

pub use runtime::ScriptRuntime;

/// Every limit a script runs under. Scripts cannot change them.
#[derive(Debug, Clone)]
pub struct ScriptLimits {
    /// rhai operations per run (the CPU budget independent of the clock).
    pub max_operations: u64,
    /// Wall-clock time per script run, host calls included.
    pub deadline: Duration,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    pub max_string_bytes: usize,
    pub max_array_len: usize,
    pub max_map_len: usize,
    pub max_variables: usize,
    pub max_functions: usize,
    /// Bytes of source per script; checked before parsing.
    pub max_source_bytes: usize,
    /// Bytes of log output kept per run; the rest is dropped with a marker line.
    pub max_log_bytes: usize,
    /// Calls to other apps (`records`, `add_record`, ...) per run.
    pub max_host_calls: usize,
    /// Bytes a run may hold on its worker thread beyond what the thread held when it started
    /// (`memory::Budget`; values being built inside native functions and every recursion level's
    /// variables included).
    pub max_memory_bytes: usize,
    /// How long a save waits for a free worker before failing.
    pub pool_wait: Duration,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 2_000_000,
            deadline: Duration::from_millis(500),
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_bytes: 64 * 1024,
            max_array_len: 10_000,
            max_map_len: 10_000,
            max_variables: 500,
            max_functions: 100,
            max_source_bytes: 64 * 1024,
            max_log_bytes: 16 * 1024,
            max_host_calls: 200,
            max_memory_bytes: 32 * 1024 * 1024,
            pool_wait: Duration::from_millis(250),
        }
    }
}

/// Why a script did not finish: its name, the position in its source when known, and a message
/// (rhai's English text). A syntax error also carries its catalog message (`syntax`), which pages show
/// in the user's language.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScriptFailure {
    pub script: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syntax: Option<Box<syntax::SyntaxMessage>>,
}

impl ScriptFailure {
    pub(crate) fn new(script: &str, message: impl Into<String>) -> ScriptFailure {
        ScriptFailure {
            script: script.to_owned(),
            line: None,
            column: None,
            message: message.into(),
            syntax: None,
        }
    }
}

impl From<ScriptFailure> for kumiki_engine::UserError {
    fn from(f: ScriptFailure) -> Self {
        kumiki_engine::UserError::ScriptFailed {
            script: f.script,
            line: f.line,
            column: f.column,
            message: f.message,
            catalog: f.syntax.map(|s| {
                let s = *s;
                Box::new(kumiki_engine::error::CatalogMessage {
                    key: s.key,
                    args: s.args.into_iter().collect(),
                })
            }),
        }
    }
}

/// What a test run or a field-change evaluation produced.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScriptRun {
    /// The record after the scripts, in the record's stored (kintone GET) value shapes.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Field errors keyed `record.<code>.value`.
    pub errors: kumiki_engine::FieldErrors,
    pub logs: Vec<String>,
    pub failure: Option<ScriptFailure>,
}

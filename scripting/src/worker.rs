//! One script run on a pool worker: compile (cached), build a sandboxed engine, run, and report
//! back. Everything the script asks of the database goes to the transaction thread as `Host`
//! messages (`host.rs`); the run ends with exactly one `Done`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kumiki_engine::FieldErrors;
use rhai::{Dynamic, EvalAltResult, Position, Scope, AST};
use serde_json::{Map, Value};

use crate::convert::{to_dynamic, to_json};
use crate::host::HostCall;
use crate::sandbox::{self, Packages, RunGuard};
use crate::{ScriptFailure, ScriptLimits};

/// What a worker sends to the transaction thread.
pub enum WorkerMsg {
    Host(HostCall, Sender<Result<Value, String>>),
    Done(Result<JobOutcome, ScriptFailure>),
}

/// One script to run and its inputs (JSON in the script shape, `convert`).
pub struct JobSpec {
    pub app: i64,
    pub script: String,
    pub source: String,
    pub record: Map<String, Value>,
    pub user: Value,
    pub event: String,
    pub action: Value,
    pub field: Value,
    pub today: NaiveDate,
}

/// What a finished run leaves.
#[derive(Debug, Default)]
pub struct JobOutcome {
    pub record: Map<String, Value>,
    pub errors: FieldErrors,
    pub logs: Vec<String>,
    pub rejection: Option<String>,
    pub next_assignee: Option<String>,
}

/// The variables every script sees; strict variables make any other name a compile error.
const VARIABLES: [&str; 5] = ["record", "user", "event", "action", "field"];

/// Compiled scripts by (app, source), shared by the workers.
pub struct Compiler {
    pub limits: ScriptLimits,
    pub packages: Packages,
    cache: Mutex<HashMap<u64, Arc<AST>>>,
}

const CACHE_MAX: usize = 512;

struct NoRun;

impl RunGuard for NoRun {
    fn log(&self, _line: &str) {}
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

impl Compiler {
    pub fn new(limits: ScriptLimits) -> Compiler {
        Compiler {
            limits,
            packages: Packages::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Compiles (or finds) a script; a syntax error names its position.
    pub fn compile(&self, app: i64, name: &str, source: &str) -> Result<Arc<AST>, ScriptFailure> {
        if source.len() > self.limits.max_source_bytes {
            return Err(ScriptFailure::new(
                name,
                format!(
                    "the script is larger than {} bytes",
                    self.limits.max_source_bytes
                ),
            ));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (app, source).hash(&mut hasher);
        let key = hasher.finish();
        if let Some(ast) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(ast);
        }
        let engine = sandbox::new_engine(&self.limits, &self.packages, Arc::new(NoRun));
        let mut scope = Scope::new();
        for name in VARIABLES {
            scope.push(name, Dynamic::UNIT);
        }
        let ast = engine
            .compile_with_scope(&scope, source)
            .map(Arc::new)
            .map_err(|e| {
                let mut failure = at(name, e.1, e.0.to_string());
                failure.syntax = Some(Box::new(crate::syntax::describe(&e.0)));
                failure
            })?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, ast.clone());
        }
        Ok(ast)
    }
}

fn at(script: &str, pos: Position, message: String) -> ScriptFailure {
    ScriptFailure {
        script: script.to_owned(),
        line: pos.line(),
        column: pos.position(),
        message,
        syntax: None,
    }
}

/// The state of one run, shared by the engine's callbacks and the script API.
pub struct RunState {
    pub limits: ScriptLimits,
    started: Instant,
    deadline: Instant,
    host: Mutex<Sender<WorkerMsg>>,
    host_calls: AtomicUsize,
    logs: Mutex<(Vec<String>, usize)>,
    pub errors: Mutex<FieldErrors>,
    pub rejection: Mutex<Option<String>>,
    pub next_assignee: Mutex<Option<String>>,
    pub today: NaiveDate,
    /// Memory held by the run on its worker thread.
    memory: crate::memory::Budget,
}

impl RunGuard for RunState {
    fn log(&self, line: &str) {
        let Ok(mut logs) = self.logs.lock() else {
            return;
        };
        let (lines, bytes) = &mut *logs;
        if *bytes >= self.limits.max_log_bytes {
            return;
        }
        *bytes += line.len();
        if *bytes >= self.limits.max_log_bytes {
            lines.push("(log truncated)".to_owned());
        } else {
            lines.push(line.to_owned());
        }
    }

    fn deadline(&self) -> Option<Instant> {
        Some(self.deadline)
    }

    fn over_memory(&self) -> bool {
        self.memory.exceeded()
    }
}

impl RunState {
    /// Sends a host call and waits for the answer, at most until the run's deadline.
    pub fn call(&self, call: HostCall) -> Result<Dynamic, Box<EvalAltResult>> {
        let runtime = |m: String| -> Box<EvalAltResult> { m.into() };
        if self.host_calls.fetch_add(1, Ordering::Relaxed) >= self.limits.max_host_calls {
            return Err(runtime(format!(
                "more than {} calls to apps in one run",
                self.limits.max_host_calls
            )));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let sent = self
            .host
            .lock()
            .map_err(|_| runtime("the host is gone".into()))?
            .send(WorkerMsg::Host(call, tx));
        sent.map_err(|_| runtime("the host is gone".into()))?;
        let left = self.deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(v)) => Ok(to_dynamic(&v)),
            Ok(Err(message)) => Err(runtime(message)),
            Err(_) => Err(EvalAltResult::ErrorTerminated(
                Dynamic::from(sandbox::DEADLINE_TOKEN),
                Position::NONE,
            )
            .into()),
        }
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Runs a job on the current (worker) thread and sends its `Done`. Never panics outward.
pub fn run_job(compiler: &Compiler, spec: JobSpec, tx: Sender<WorkerMsg>) {
    let script = spec.script.clone();
    let result = catch_unwind(AssertUnwindSafe(|| execute(compiler, spec, tx.clone())))
        .unwrap_or_else(|_| Err(ScriptFailure::new(&script, "the script engine failed")));
    let _ = tx.send(WorkerMsg::Done(result));
}

fn execute(
    compiler: &Compiler,
    spec: JobSpec,
    tx: Sender<WorkerMsg>,
) -> Result<JobOutcome, ScriptFailure> {
    let ast = compiler.compile(spec.app, &spec.script, &spec.source)?;
    let limits = compiler.limits.clone();
    let started = Instant::now();
    let state = Arc::new(RunState {
        deadline: started + limits.deadline,
        started,
        limits,
        host: Mutex::new(tx),
        host_calls: AtomicUsize::new(0),
        logs: Mutex::new((Vec::new(), 0)),
        errors: Mutex::new(FieldErrors::new()),
        rejection: Mutex::new(None),
        next_assignee: Mutex::new(None),
        today: spec.today,
        memory: crate::memory::Budget::start(compiler.limits.max_memory_bytes),
    });
    let mut engine = sandbox::new_engine(&state.limits, &compiler.packages, state.clone());
    crate::api::register(&mut engine, &state);
    let mut scope = Scope::new();
    scope.push("record", to_dynamic(&Value::Object(spec.record)));
    scope.push_constant("user", to_dynamic(&spec.user));
    scope.push_constant("event", Dynamic::from(spec.event));
    scope.push_constant("action", to_dynamic(&spec.action));
    scope.push_constant("field", to_dynamic(&spec.field));
    let result = engine.run_ast_with_scope(&mut scope, &ast);
    let logs = state.logs.lock().map(|l| l.0.clone()).unwrap_or_default();
    let rejection = state.rejection.lock().ok().and_then(|mut r| r.take());
    if rejection.is_none() {
        if let Err(e) = result {
            return Err(failure(&spec.script, e, &state));
        }
    }
    let record = match scope.get_value::<Dynamic>("record").map(|d| to_json(&d)) {
        Some(Value::Object(m)) => m,
        _ => {
            return Err(ScriptFailure::new(
                &spec.script,
                "`record` must stay an object map",
            ))
        }
    };
    Ok(JobOutcome {
        record,
        errors: state.errors.lock().map(|e| e.clone()).unwrap_or_default(),
        logs,
        rejection,
        next_assignee: state.next_assignee.lock().ok().and_then(|mut a| a.take()),
    })
}

fn failure(script: &str, mut e: Box<EvalAltResult>, state: &RunState) -> ScriptFailure {
    let pos = e.take_position();
    let message = match e.unwrap_inner() {
        EvalAltResult::ErrorTerminated(token, _)
            if token.clone().into_immutable_string().ok().as_deref()
                == Some(sandbox::MEMORY_TOKEN) =>
        {
            format!(
                "the script used more than {} MB of memory",
                state.limits.max_memory_bytes / (1024 * 1024)
            )
        }
        EvalAltResult::ErrorTerminated(..) => format!(
            "the script ran longer than {} ms (stopped after {} ms)",
            state.limits.deadline.as_millis(),
            state.elapsed().as_millis()
        ),
        _ => e.to_string(),
    };
    at(script, pos, message)
}

//! `ScriptRuntime`: runs an app's scripts for an event on the pool while serving their host calls
//! on the calling (transaction) thread; implements the engine's `RecordScripts` hooks.

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kumiki_engine::acl::Principal;
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{script_change, AppScript, LiveApp, ScriptEvent, LIVE};
use kumiki_engine::db::DbConn;
use kumiki_engine::records::hooks::ScriptContext;
use kumiki_engine::records::Actor;
use kumiki_engine::users::User;
use kumiki_engine::{EngineError, EngineResult, FieldErrors, UserError};
use serde_json::{json, Map, Value};

use crate::convert;
use crate::host::{Host, HostError, Mode};
use crate::logs::{LogLine, PendingLogs};
use crate::pool::{Job, Pool};
use crate::worker::{run_job, Compiler, JobOutcome, JobSpec, WorkerMsg};
use crate::{ScriptFailure, ScriptLimits, ScriptRun};

/// How long past a script's own deadline the transaction thread waits before giving up on it.
const BACKSTOP_GRACE: Duration = Duration::from_millis(400);

/// The scripts runtime; create once at startup and share (`Arc`).
pub struct ScriptRuntime {
    compiler: Arc<Compiler>,
    pool: Pool,
    pending: PendingLogs,
}

/// What the scripts of one event did together.
#[derive(Debug, Default)]
pub(crate) struct EventResult {
    pub record: Map<String, Value>,
    pub errors: FieldErrors,
    pub logs: Vec<String>,
    pub failure: Option<ScriptFailure>,
    /// (script, message)
    pub rejection: Option<(String, String)>,
    pub next_assignee: Option<String>,
}

impl EventResult {
    /// A failure or a rejection as the engine error that rolls the save back.
    pub(crate) fn into_ok(self) -> EngineResult<EventResult> {
        if let Some(f) = self.failure {
            return Err(UserError::from(f).into());
        }
        if let Some((script, message)) = self.rejection {
            return Err(UserError::ScriptRejected { script, message }.into());
        }
        Ok(self)
    }
}

impl ScriptRuntime {
    /// Starts `workers` script threads.
    pub fn new(limits: ScriptLimits, workers: usize) -> Arc<ScriptRuntime> {
        let pool = Pool::new(workers, limits.pool_wait);
        Arc::new(ScriptRuntime {
            compiler: Arc::new(Compiler::new(limits)),
            pool,
            pending: PendingLogs::default(),
        })
    }

    pub fn limits(&self) -> &ScriptLimits {
        &self.compiler.limits
    }

    /// The pool's worker threads and how many of them run a script now (for metrics).
    pub fn pool_usage(&self) -> (usize, usize) {
        self.pool.usage()
    }

    /// Syntax check: the script compiles under the sandbox's limits (size, nesting, strict
    /// variables, no `eval`/`import`).
    pub fn check(&self, name: &str, source: &str) -> Result<(), ScriptFailure> {
        self.compiler.compile(0, name, source).map(|_| ())
    }

    /// Log lines not yet written to `script_logs`.
    pub fn pending_logs(&self) -> &PendingLogs {
        &self.pending
    }

    /// The hook context for writes by `acting` (in the `Script` channel).
    pub fn context(self: &Arc<Self>, acting: ActingContext) -> ScriptContext {
        ScriptContext {
            scripts: self.clone(),
            acting,
        }
    }

    /// Runs one script on the pool and serves its host calls until it is done. `Err`: an internal
    /// fault (database); `Ok(Err)`: the script failed.
    fn run_one(
        &self,
        host: &mut Host<'_>,
        spec: JobSpec,
    ) -> EngineResult<Result<JobOutcome, ScriptFailure>> {
        let (tx, rx) = channel();
        let name = spec.script.clone();
        let compiler = self.compiler.clone();
        let job: Job = Box::new(move || run_job(&compiler, spec, tx));
        if self.pool.submit(job).is_err() {
            return Ok(Err(ScriptFailure::new(
                &name,
                "every script worker is busy; try again shortly",
            )));
        }
        let backstop = Instant::now() + self.limits().deadline + BACKSTOP_GRACE;
        let mut fatal: Option<EngineError> = None;
        loop {
            let left = backstop.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(WorkerMsg::Host(call, reply)) => {
                    let answer = match host.serve(call) {
                        Ok(v) => Ok(v),
                        Err(HostError::User(m)) => Err(m),
                        Err(HostError::Internal(e)) => {
                            fatal.get_or_insert(e);
                            Err("internal error".to_owned())
                        }
                    };
                    let _ = reply.send(answer);
                }
                Ok(WorkerMsg::Done(result)) => {
                    return match fatal {
                        Some(e) => Err(e),
                        None => Ok(result),
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Ok(Err(ScriptFailure::new(
                        &name,
                        format!(
                            "the script did not finish within {} ms",
                            self.limits().deadline.as_millis()
                        ),
                    )))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Ok(Err(ScriptFailure::new(&name, "the script worker stopped")))
                }
            }
        }
    }

    /// Runs the enabled scripts of `app` for `event` (or only `only`), in definition order, each
    /// seeing the record as the previous one left it. Stops at the first failure or rejection.
    pub(crate) fn run_event(
        &self,
        host: &mut Host<'_>,
        event: ScriptEvent,
        record: Map<String, Value>,
        action: Value,
        field: Value,
        only: Option<&AppScript>,
    ) -> EngineResult<EventResult> {
        let scripts: Vec<&AppScript> = match only {
            Some(s) => vec![s],
            None => host
                .app
                .definition
                .scripts
                .iter()
                .filter(|s| s.runs_on(event))
                .collect(),
        };
        let mut out = EventResult {
            record,
            ..EventResult::default()
        };
        if scripts.is_empty() {
            return Ok(out);
        }
        bound_by_author(host)?;
        let user = user_value(host.acting.principal());
        let today = chrono::Utc::now()
            .with_timezone(&host.actor.timezone)
            .date_naive();
        for script in scripts {
            host.script = script.name.clone();
            host.declared = script.apps.clone();
            let spec = JobSpec {
                app: host.app.row.id,
                script: script.name.clone(),
                source: script.source.clone(),
                record: out.record.clone(),
                user: user.clone(),
                event: event.name().to_owned(),
                action: action.clone(),
                field: field.clone(),
                today,
            };
            let result = self.run_one(host, spec)?;
            let keep = host.mode == Mode::Live;
            match result {
                Ok(done) => {
                    for line in &done.logs {
                        self.remember(keep, host, &script.name, "info", line);
                    }
                    out.logs.extend(done.logs);
                    out.record = done.record;
                    for (k, v) in done.errors {
                        out.errors.entry(k).or_default().extend(v);
                    }
                    if done.next_assignee.is_some() {
                        out.next_assignee = done.next_assignee;
                    }
                    if let Some(message) = done.rejection {
                        self.remember(
                            keep,
                            host,
                            &script.name,
                            "info",
                            &format!("rejected: {message}"),
                        );
                        out.rejection = Some((script.name.clone(), message));
                        break;
                    }
                }
                Err(failure) => {
                    let at = match (failure.line, failure.column) {
                        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                        _ => String::new(),
                    };
                    let line = format!("{} failed{at}: {}", event.name(), failure.message);
                    self.remember(keep, host, &script.name, "error", &line);
                    out.failure = Some(failure);
                    break;
                }
            }
        }
        out.logs.append(&mut host.notes);
        Ok(out)
    }

    fn remember(&self, keep: bool, host: &Host<'_>, script: &str, level: &str, message: &str) {
        if keep {
            self.pending.push(LogLine {
                app_id: host.app.row.id,
                script: script.to_owned(),
                level: level.to_owned(),
                message: message.to_owned(),
                created_at: chrono::Utc::now().timestamp(),
                runner: host.acting.user_code().to_owned(),
                sources: host
                    .read_apps
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            });
        }
    }

    /// Runs `script` for `event` against `values` (stored value shapes, or the API's
    /// `{code: {"value": v}}`) without keeping anything: writes to other apps are only described
    /// in the logs ("would add ..."), and the caller rolls its transaction back. Other failures of
    /// the script are reported in `ScriptRun::failure`.
    #[allow(clippy::too_many_arguments)]
    pub fn test_run(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        acting: &ActingContext,
        actor: &Actor,
        script: &AppScript,
        event: ScriptEvent,
        values: Map<String, Value>,
    ) -> EngineResult<ScriptRun> {
        let values = unwrap_values(values);
        let mut host = Host::new(
            conn,
            app,
            acting.clone(),
            actor.without_scripts(),
            Mode::TestRun,
        );
        let record = convert::to_script(&app.definition, &values);
        self.finish_run(&mut host, event, values, record, Value::Null, Some(script))
    }

    /// Runs every enabled `field.change` script after `field_code` changed in the form, read-only
    /// (no writes, no counters). `values` as for `test_run`.
    pub fn field_change(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        acting: &ActingContext,
        actor: &Actor,
        field_code: &str,
        values: Map<String, Value>,
    ) -> EngineResult<ScriptRun> {
        let values = unwrap_values(values);
        let mut host = Host::new(
            conn,
            app,
            acting.clone(),
            actor.without_scripts(),
            Mode::ReadOnly,
        );
        let record = convert::to_script(&app.definition, &values);
        self.finish_run(
            &mut host,
            ScriptEvent::FieldChange,
            values,
            record,
            json!(field_code),
            None,
        )
    }

    fn finish_run(
        &self,
        host: &mut Host<'_>,
        event: ScriptEvent,
        mut values: Map<String, Value>,
        record: Map<String, Value>,
        field: Value,
        only: Option<&AppScript>,
    ) -> EngineResult<ScriptRun> {
        let def = &host.app.definition;
        let before = record.clone();
        let r = self.run_event(host, event, record, Value::Null, field, only)?;
        for (code, v) in convert::changes(def, &before, &r.record) {
            values.insert(code, v);
        }
        let failure = r.failure.or_else(|| {
            r.rejection.map(|(script, message)| ScriptFailure {
                script,
                line: None,
                column: None,
                message: format!("rejected: {message}"),
                syntax: None,
            })
        });
        Ok(ScriptRun {
            values,
            errors: r.errors,
            logs: r.logs,
            failure,
        })
    }

    /// Runs the app's enabled scripts for a schedule event as `acting`, in the caller's write
    /// transaction. A failing script is logged and reported; the caller decides about the
    /// transaction.
    pub fn run_scheduled(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        acting: &ActingContext,
        actor: &Actor,
        event: ScriptEvent,
    ) -> EngineResult<Option<ScriptFailure>> {
        let mut host = Host::new(
            conn,
            app,
            acting.clone(),
            actor.without_scripts(),
            Mode::Live,
        );
        let r = self.run_event(&mut host, event, Map::new(), Value::Null, Value::Null, None)?;
        Ok(r.failure)
    }
}

/// Bounds the host's acting context by the rights of whoever last changed the live scripts
/// (`apps::script_change`), with that person's current rights; when they are disabled or deleted,
/// no app may be reached at all. A test run acts for the manager trying the (unsaved) script, who
/// becomes its last changer on saving: nothing to bound. Scheduled runs already act as that
/// person (`platform::script_schedule`).
fn bound_by_author(host: &mut Host<'_>) -> EngineResult<()> {
    if host.mode == Mode::TestRun {
        return Ok(());
    }
    let change = script_change(host.conn, host.app.id(), LIVE)?;
    let Some(change) = change else {
        host.refusal =
            Some("nobody is recorded as the last changer of the scripts; save them again".into());
        return Ok(());
    };
    if change.by == host.acting.user_code() && host.acting.limit().is_none() {
        return Ok(());
    }
    let found = User::find_by_code(host.conn, &change.by)?.filter(|u| u.is_active);
    match found {
        Some(u) => {
            let principal = Principal::for_user(host.conn, &u.code, &u.name, u.is_admin)?;
            host.acting = host.acting.clone().limited_by(principal);
            host.author = Some(u.code);
        }
        None => {
            host.refusal = Some(format!(
                "{}, who last changed the scripts, is disabled or deleted: no app may be reached until a manager saves the scripts again",
                change.by
            ));
        }
    }
    Ok(())
}

/// Accepts `{code: {"value": v}}` as well as plain stored values.
fn unwrap_values(values: Map<String, Value>) -> Map<String, Value> {
    values
        .into_iter()
        .map(|(k, v)| match v {
            Value::Object(mut o) if o.contains_key("value") => {
                (k, o.remove("value").unwrap_or(Value::Null))
            }
            other => (k, other),
        })
        .collect()
}

/// `user` in scripts: code, name, departments (own, primary first), groups, primary department.
fn user_value(principal: &Principal) -> Value {
    match principal {
        Principal::User {
            code,
            name,
            own_departments,
            groups,
            primary_department,
            ..
        } => json!({
            "code": code,
            "name": name,
            "departments": own_departments,
            "primary_department": primary_department,
            "groups": groups,
        }),
        Principal::Tokens(_) | Principal::System | Principal::PublicForm { .. } => json!({
            "code": principal.acting_user(),
            "name": principal.acting_name(),
            "departments": [],
            "primary_department": null,
            "groups": [],
        }),
    }
}

//! Hooks through which app scripts take part in record writes and process actions.
//!
//! The engine does not run scripts; it calls the [`RecordScripts`] it finds on the writing
//! [`Actor`](super::Actor) (`Actor::scripts`), which the platform attaches for API and page writes.
//! An actor without one (internal jobs, imports, and every write made *by* a script) runs no script,
//! so scripts never trigger scripts: no cascades, no loops.
//!
//! Order inside one save (all in the caller's transaction, so any failure rolls back everything):
//! 1. the input is normalized and checked (`validate`);
//! 2. `create.submit` / `edit.submit` scripts see the normalized record; the values they set are
//!    normalized and checked like input, their field errors become `UserError::Validation`;
//! 3. lookups and calculated fields are computed from the final values;
//! 4. the record is written, then `save.after` scripts run.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Actor;
use crate::apps::{LiveApp, ScriptEvent};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors};

/// What submit scripts decided about one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmitOutcome {
    /// Field code → new value in the stored (kintone GET) shape; normalized again before saving.
    pub changes: Map<String, Value>,
    /// Field errors keyed `record.<code>.value` (without a bulk prefix; the engine adds it).
    pub errors: FieldErrors,
}

/// What `process.before` scripts decided about one action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessDecision {
    /// `Some(message)`: the action is refused (`UserError::ScriptRejected`).
    pub refusal: Option<String>,
    /// The user code to make the next assignee (checked against the target state's candidates).
    pub next_assignee: Option<String>,
}

/// One process action as scripts see it.
#[derive(Debug, Clone, Copy)]
pub struct ProcessStep<'a> {
    pub record_id: i64,
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub values: &'a Map<String, Value>,
}

/// Runs an app's scripts for record events. Implementations fail with `UserError::ScriptFailed`
/// (a script error, with its name and position) or `UserError::ScriptRejected` (`reject(...)`).
pub trait RecordScripts: Send + Sync {
    /// `create.submit` (`record_id` None) or `edit.submit` scripts.
    fn on_submit(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        event: ScriptEvent,
        record_id: Option<i64>,
        values: &Map<String, Value>,
    ) -> EngineResult<SubmitOutcome>;

    /// `save.after` scripts, after the record was written.
    fn after_save(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        record_id: i64,
        values: &Map<String, Value>,
    ) -> EngineResult<()>;

    /// `process.before` scripts.
    fn before_process(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        step: ProcessStep<'_>,
    ) -> EngineResult<ProcessDecision>;
}

/// The scripts of a write and who they run for.
#[derive(Clone)]
pub struct ScriptContext {
    pub scripts: Arc<dyn RecordScripts>,
    /// Who acts (channel `Script`, through the path of the saved app); scripts read and write
    /// other apps with exactly their rights.
    pub acting: crate::acting::ActingContext,
}

impl std::fmt::Debug for ScriptContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptContext")
            .field("acting", &self.acting)
            .finish_non_exhaustive()
    }
}

/// The runtime when `actor` carries one and `app` has an enabled script for `event`.
pub(crate) fn scripts_for<'a>(
    actor: &'a Actor,
    app: &LiveApp,
    event: ScriptEvent,
) -> Option<&'a Arc<dyn RecordScripts>> {
    let context = actor.scripts.as_ref()?;
    crate::apps::any_script_for(&app.definition.scripts, event).then_some(&context.scripts)
}

/// Runs submit scripts and returns the input to normalize again (the original input with the
/// scripts' changes) or the scripts' field errors, prefixed for bulk calls. `None`: nothing changed.
pub(crate) fn run_submit(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    record_id: Option<i64>,
    input: &Map<String, Value>,
    values: &Map<String, Value>,
    error_prefix: &str,
) -> EngineResult<Result<Option<Map<String, Value>>, FieldErrors>> {
    let event = if record_id.is_some() {
        ScriptEvent::EditSubmit
    } else {
        ScriptEvent::CreateSubmit
    };
    let Some(scripts) = scripts_for(actor, app, event) else {
        return Ok(Ok(None));
    };
    let outcome = scripts.on_submit(conn, app, actor, event, record_id, values)?;
    if !outcome.errors.is_empty() {
        return Ok(Err(outcome
            .errors
            .into_iter()
            .map(|(k, v)| (format!("{error_prefix}{k}"), v))
            .collect()));
    }
    if outcome.changes.is_empty() {
        return Ok(Ok(None));
    }
    let mut next = input.clone();
    for (code, value) in outcome.changes {
        next.insert(code, serde_json::json!({ "value": value }));
    }
    Ok(Ok(Some(next)))
}

/// Runs `save.after` scripts for a written record.
pub(crate) fn run_after_save(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    record_id: i64,
    values: &Map<String, Value>,
) -> EngineResult<()> {
    match scripts_for(actor, app, ScriptEvent::SaveAfter) {
        Some(scripts) => scripts.after_save(conn, app, actor, record_id, values),
        None => Ok(()),
    }
}

/// Runs `process.before` scripts for an action about to run.
pub(crate) fn run_before_process(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    step: ProcessStep<'_>,
) -> EngineResult<ProcessDecision> {
    match scripts_for(actor, app, ScriptEvent::ProcessBefore) {
        Some(scripts) => scripts.before_process(conn, app, actor, step),
        None => Ok(ProcessDecision::default()),
    }
}

//! The engine's record hooks (`records::hooks::RecordScripts`) on top of `ScriptRuntime`: submit,
//! after-save and before-process scripts run in the save's transaction with the acting user's
//! acting context; their writes carry no scripts, so scripts never trigger scripts.

use kumiki_engine::apps::{LiveApp, ScriptEvent};
use kumiki_engine::db::DbConn;
use kumiki_engine::records::hooks::{ProcessDecision, ProcessStep, RecordScripts, SubmitOutcome};
use kumiki_engine::records::Actor;
use kumiki_engine::{EngineResult, UserError};
use serde_json::{json, Map, Value};

use crate::convert;
use crate::host::{Host, Mode};
use crate::runtime::{EventResult, ScriptRuntime};

impl ScriptRuntime {
    fn run_live(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        event: ScriptEvent,
        record: Map<String, Value>,
        action: Value,
    ) -> EngineResult<EventResult> {
        let Some(context) = &actor.scripts else {
            return Ok(EventResult {
                record,
                ..EventResult::default()
            });
        };
        let mut host = Host::new(
            conn,
            app,
            context.acting.clone(),
            actor.without_scripts(),
            Mode::Live,
        );
        self.run_event(&mut host, event, record, action, Value::Null, None)?
            .into_ok()
    }
}

fn script_record(
    app: &LiveApp,
    id: Option<i64>,
    values: &Map<String, Value>,
) -> Map<String, Value> {
    let mut record = convert::to_script(&app.definition, values);
    if let Some(id) = id {
        record.insert("$id".into(), json!(id));
    }
    record
}

impl RecordScripts for ScriptRuntime {
    fn on_submit(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        event: ScriptEvent,
        record_id: Option<i64>,
        values: &Map<String, Value>,
    ) -> EngineResult<SubmitOutcome> {
        let before = script_record(app, record_id, values);
        let r = self.run_live(conn, app, actor, event, before.clone(), Value::Null)?;
        Ok(SubmitOutcome {
            changes: convert::changes(&app.definition, &before, &r.record),
            errors: r.errors,
        })
    }

    fn after_save(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        record_id: i64,
        values: &Map<String, Value>,
    ) -> EngineResult<()> {
        let record = script_record(app, Some(record_id), values);
        let r = self.run_live(
            conn,
            app,
            actor,
            ScriptEvent::SaveAfter,
            record,
            Value::Null,
        )?;
        if !r.errors.is_empty() {
            return Err(UserError::Validation(r.errors).into());
        }
        Ok(())
    }

    fn before_process(
        &self,
        conn: &mut DbConn,
        app: &LiveApp,
        actor: &Actor,
        step: ProcessStep<'_>,
    ) -> EngineResult<ProcessDecision> {
        let record = script_record(app, Some(step.record_id), step.values);
        let action = json!({"name": step.action, "from": step.from, "to": step.to});
        let r = self.run_live(conn, app, actor, ScriptEvent::ProcessBefore, record, action)?;
        if !r.errors.is_empty() {
            return Err(UserError::Validation(r.errors).into());
        }
        Ok(ProcessDecision {
            refusal: None,
            next_assignee: r.next_assignee,
        })
    }
}

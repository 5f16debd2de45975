//! Running process actions on records, changing assignees, starting new records in the first state,
//! and bringing stored records in line when process management is deployed.
//!
//! A record's status and assignees live in `records.data` under the app's STATUS and STATUS_ASSIGNEE
//! field codes (`"受付"`, `[{code, name}]`), indexed like other values so that queries filter on them.
//! Under an ALL state, who has run which action is kept in `record_process_acts` until the status moves.

use chrono::Utc;
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{Map, Value};

use super::assignees::{assignee_value, expand, DbExpander, RecordFacts};
use super::settings::{self, Action, ActionType, AssigneeType, ProcessSettings, State};
use crate::apps::{AppDefinition, AppId, FieldId, LiveApp};
use crate::db::{DbConn, IntRow};
use crate::error::{EngineError, EngineResult, FieldErrors, UserError};
use crate::fields::FieldType;
use crate::query::{self, QueryContext};
use crate::records::changes::{self, ChangeKind, NewChange};
use crate::records::history::{self, FieldChange};
use crate::records::{get_record, Actor, IndexRows, StoredRecord};

/// One action to run: kintone's `{id, action, assignee?, revision?}`.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub id: i64,
    /// The action's name.
    pub action: String,
    /// The login name of the next assignee, for a target state of type ONE with candidates.
    pub assignee: Option<String>,
    /// Absent or -1: no check.
    pub revision: Option<i64>,
}

/// An action the caller may run now, with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailableAction {
    pub name: String,
    pub to: String,
    pub kind: ActionType,
    /// Users one of whom must be chosen as `assignee` (the target state is ONE with candidates);
    /// empty when no choice is needed. `(code, name)`.
    pub choose_from: Vec<(String, String)>,
}

/// A record's place in the process as the caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordProcess {
    pub status: String,
    pub assignees: Vec<String>,
    pub actions: Vec<AvailableAction>,
}

fn status_codes(def: &AppDefinition) -> EngineResult<(String, String)> {
    let status = def
        .field_of_type(FieldType::Status)
        .map(|f| f.property.code.clone());
    let assignee = def
        .field_of_type(FieldType::StatusAssignee)
        .map(|f| f.property.code.clone());
    match (status, assignee) {
        (Some(s), Some(a)) => Ok((s, a)),
        _ => Err(EngineError::Internal(
            "the app has no STATUS/STATUS_ASSIGNEE field".into(),
        )),
    }
}

/// The enabled settings, or `ProcessDisabled` (`GAIA_ST02`).
fn enabled_settings(app: &LiveApp) -> EngineResult<ProcessSettings> {
    if !app.definition.process_enabled() {
        return Err(UserError::ProcessDisabled.into());
    }
    let s = ProcessSettings::from_definition(&app.definition);
    if s.first_state().is_none() {
        return Err(UserError::ProcessDisabled.into());
    }
    Ok(s)
}

fn codes_of(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("code").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The record's status; a record stored before process management was on counts as in the first state.
fn current_status(values: &Map<String, Value>, code: &str, s: &ProcessSettings) -> String {
    values
        .get(code)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| s.first_state().map(|st| st.name.clone()))
        .unwrap_or_default()
}

/// Whether the record matches an action's `filterCond`, by running the condition restricted to
/// this record through the query compiler.
fn matches_condition(
    conn: &mut DbConn,
    app: &LiveApp,
    id: i64,
    cond: &str,
    ctx: &QueryContext<'_>,
) -> EngineResult<bool> {
    if cond.trim().is_empty() {
        return Ok(true);
    }
    let q = query::prepare(cond, ctx)?;
    let mut b = conn.sql();
    b.push("SELECT r.id AS n FROM records r WHERE r.app_id = ")
        .bind_int(app.row.id)
        .push(" AND r.id = ")
        .bind_int(id);
    query::compile_condition(&q, ctx, &mut b)?;
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(!rows.is_empty())
}

/// Action conditions are evaluated for whoever opened the app (`app.access`: their
/// `LOGINUSER()`, primary department and time zone), not filtered by their record rights.
fn query_context(app: &LiveApp) -> QueryContext<'_> {
    crate::acting::condition_context(&app.definition, &app.access)
}

#[derive(QueryableByName)]
struct ActRow {
    #[diesel(sql_type = Text)]
    user_code: String,
    #[diesel(sql_type = Text)]
    action: String,
}

fn acts(conn: &mut DbConn, app: &LiveApp, id: i64) -> EngineResult<Vec<(String, String)>> {
    let mut b = conn.sql();
    b.push("SELECT user_code, action FROM record_process_acts WHERE app_id = ")
        .bind_int(app.row.id)
        .push(" AND record_id = ")
        .bind_int(id);
    let rows: Vec<ActRow> = conn.load(&b)?;
    Ok(rows.into_iter().map(|r| (r.user_code, r.action)).collect())
}

fn clear_acts(conn: &mut DbConn, app: &LiveApp, id: i64) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM record_process_acts WHERE app_id = ")
        .bind_int(app.row.id)
        .push(" AND record_id = ")
        .bind_int(id);
    conn.execute(&b)?;
    Ok(())
}

/// Whether `user` may run `action` now (before filterCond): an assignee (or anyone when the record
/// has none) who has not yet acted under an ALL state, and one of the action's executable users.
fn may_run(
    user: &str,
    action: &Action,
    assignees: &[String],
    acted: &[(String, String)],
    facts: &RecordFacts<'_>,
    expander: &mut DbExpander<'_>,
) -> EngineResult<bool> {
    if !assignees.is_empty() && !assignees.iter().any(|a| a == user) {
        return Ok(false);
    }
    if acted.iter().any(|(u, _)| u == user) {
        return Ok(false);
    }
    if action.executable_user.is_empty() {
        return Ok(true);
    }
    let allowed = expand(&action.executable_user, facts, expander)?;
    Ok(allowed.iter().any(|a| a == user))
}

/// The assignees of `target` after an action, from the chosen `assignee` when the state is ONE.
///
/// Errors: `CB_VA01` on `<prefix>assignee` when a needed choice is missing, not a candidate, or
/// given where nothing is chosen.
fn next_assignees(
    target: &State,
    chosen: Option<&str>,
    facts: &RecordFacts<'_>,
    expander: &mut DbExpander<'_>,
    error_prefix: &str,
) -> EngineResult<Vec<String>> {
    let candidates = expand(&target.assignee.entities, facts, expander)?;
    let key = format!("{error_prefix}assignee");
    match (target.assignee.kind, chosen.filter(|c| !c.is_empty())) {
        (AssigneeType::One, None) if !candidates.is_empty() => {
            Err(UserError::invalid(key, "Specify the assignee of the next status.").into())
        }
        (AssigneeType::One, Some(c)) if candidates.iter().any(|x| x == c) => Ok(vec![c.to_owned()]),
        (AssigneeType::One, Some(c)) if !candidates.is_empty() => Err(UserError::invalid(
            key,
            format!("The user ({c}) cannot be the assignee of the next status."),
        )
        .into()),
        (_, Some(_)) => Err(UserError::invalid(
            key,
            "The next status takes no chosen assignee; leave assignee out.",
        )
        .into()),
        (AssigneeType::One, None) => Ok(Vec::new()),
        (_, None) => Ok(candidates),
    }
}

/// Runs actions on records (kintone `record/status.json`, `records/status.json`); all or nothing.
/// Each action moves the record to its `to` state with the resolved assignees, updates modifier and
/// update time, grows the revision by 2 (as kintone) and writes a `STATUS` history entry. Under an
/// ALL state with several assignees, each one's run is recorded and the status moves with the last.
/// Returns `(id, new revision)` per change.
///
/// Errors: `ProcessDisabled` (`GAIA_ST02`); `RecordNotFound`; `RevisionConflict`;
/// `StatusActionNotAllowed` (`GAIA_IL03`) when no action of that name leaves the current status, the
/// caller may not run it, or the record does not meet its condition; `Validation` for `assignee`.
pub fn run_actions(
    conn: &mut DbConn,
    app: &LiveApp,
    changes: &[StatusChange],
    actor: &Actor,
    bulk: bool,
) -> EngineResult<Vec<(i64, i64)>> {
    run_actions_as(conn, app, changes, actor, bulk, Runner::Checked)
}

/// Replays a package's sample records' history (`statusActions`): the same steps as `run_actions`
/// but without asking whether `actor` may run them, since the history was made by the template's
/// people (the roles an importer maps), not by the importer.
pub fn replay_actions(
    conn: &mut DbConn,
    app: &LiveApp,
    changes: &[StatusChange],
    actor: &Actor,
) -> EngineResult<Vec<(i64, i64)>> {
    run_actions_as(conn, app, changes, actor, false, Runner::Replay)
}

/// Whether the runner of an action is checked against assignees and executors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runner {
    Checked,
    Replay,
}

fn run_actions_as(
    conn: &mut DbConn,
    app: &LiveApp,
    changes: &[StatusChange],
    actor: &Actor,
    bulk: bool,
    runner: Runner,
) -> EngineResult<Vec<(i64, i64)>> {
    let settings = enabled_settings(app)?;
    let (status_code, assignee_code) = status_codes(&app.definition)?;
    crate::records::write::lock_app_for_write(conn, app)?;
    let ctx = query_context(app);
    let mut out = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let prefix = if bulk {
            format!("records[{i}].")
        } else {
            String::new()
        };
        let existing = get_record(conn, app, change.id)?;
        if let Some(expected) = change.revision.filter(|r| *r != -1) {
            if expected != existing.revision {
                return Err(UserError::RevisionConflict.into());
            }
        }
        let status = current_status(&existing.values, &status_code, &settings);
        let assignees = codes_of(existing.values.get(&assignee_code));
        let acted = acts(conn, app, existing.id)?;
        let facts = RecordFacts {
            definition: &app.definition,
            values: &existing.values,
        };
        let mut chosen: Option<&Action> = None;
        for action in settings
            .actions()
            .iter()
            .filter(|a| a.name == change.action && a.from == status)
        {
            let allowed = runner == Runner::Replay || {
                let mut expander = DbExpander { conn: &mut *conn };
                may_run(
                    &actor.code,
                    action,
                    &assignees,
                    &acted,
                    &facts,
                    &mut expander,
                )?
            };
            if allowed && matches_condition(conn, app, existing.id, &action.filter_cond, &ctx)? {
                chosen = Some(action);
                break;
            }
        }
        let Some(action) = chosen else {
            return Err(UserError::StatusActionNotAllowed.into());
        };
        let Some(target) = settings.state(&action.to) else {
            return Err(UserError::StatusActionNotAllowed.into());
        };
        let decision = crate::records::hooks::run_before_process(
            conn,
            app,
            actor,
            crate::records::hooks::ProcessStep {
                record_id: existing.id,
                action: &action.name,
                from: &status,
                to: &action.to,
                values: &existing.values,
            },
        )?;
        if let Some(message) = decision.refusal {
            return Err(UserError::ScriptRejected {
                script: String::new(),
                message,
            }
            .into());
        }
        let chosen_assignee = change
            .assignee
            .as_deref()
            .or(decision.next_assignee.as_deref());
        let from_all = settings
            .state(&status)
            .is_some_and(|s| s.assignee.kind == AssigneeType::All);
        let revision = existing.revision + 2;
        if from_all && assignees.len() > 1 {
            let done: Vec<&String> = assignees
                .iter()
                .filter(|a| {
                    **a == actor.code || acted.iter().any(|(u, act)| u == *a && *act == action.name)
                })
                .collect();
            if done.len() < assignees.len() {
                // Not everyone yet: remember this run; the status stays.
                let mut b = conn.sql();
                b.push("INSERT INTO record_process_acts (app_id, record_id, user_code, action, at) VALUES (")
                    .bind_int(app.row.id)
                    .push(", ")
                    .bind_int(existing.id)
                    .push(", ")
                    .bind_text(&actor.code)
                    .push(", ")
                    .bind_text(&action.name)
                    .push(", ")
                    .bind_int(Utc::now().timestamp())
                    .push(")");
                conn.execute(&b)?;
                let values = existing.values.clone();
                let logged = (
                    ChangeKind::ProcessActed,
                    Some((status.as_str(), status.as_str())),
                );
                write_record(
                    conn,
                    app,
                    actor,
                    &existing,
                    values,
                    revision,
                    Some(&action.name),
                    logged,
                )?;
                out.push((existing.id, revision));
                continue;
            }
        }
        let next = {
            let mut expander = DbExpander { conn: &mut *conn };
            let codes = next_assignees(target, chosen_assignee, &facts, &mut expander, &prefix)?;
            assignee_value(&codes, &mut expander)?
        };
        let mut values = existing.values.clone();
        values.insert(status_code.clone(), Value::String(target.name.clone()));
        values.insert(assignee_code.clone(), next);
        clear_acts(conn, app, existing.id)?;
        let logged = (
            ChangeKind::StatusChanged,
            Some((status.as_str(), target.name.as_str())),
        );
        write_record(
            conn,
            app,
            actor,
            &existing,
            values,
            revision,
            Some(&action.name),
            logged,
        )?;
        out.push((existing.id, revision));
    }
    Ok(out)
}

/// Replaces a record's assignees (kintone `record/assignees.json`); revision +1, a `STATUS` history
/// entry without an action name. `may_manage` is true for app managers; other callers must be one
/// of the current assignees. Returns the new revision.
///
/// Errors: `ProcessDisabled`; `RecordNotFound`; `RevisionConflict`; `Forbidden` for a caller who is
/// neither; `Validation` on `assignees` for unknown users, more than 100, or more than one under a
/// ONE state.
pub fn set_assignees(
    conn: &mut DbConn,
    app: &LiveApp,
    id: i64,
    codes: &[String],
    revision: Option<i64>,
    actor: &Actor,
    may_manage: bool,
) -> EngineResult<i64> {
    let settings = enabled_settings(app)?;
    let (status_code, assignee_code) = status_codes(&app.definition)?;
    crate::records::write::lock_app_for_write(conn, app)?;
    let existing = get_record(conn, app, id)?;
    if let Some(expected) = revision.filter(|r| *r != -1) {
        if expected != existing.revision {
            return Err(UserError::RevisionConflict.into());
        }
    }
    let current = codes_of(existing.values.get(&assignee_code));
    if !may_manage && !current.contains(&actor.code) {
        return Err(UserError::Forbidden.into());
    }
    let mut unique: Vec<String> = Vec::new();
    for c in codes {
        if !unique.contains(c) {
            unique.push(c.clone());
        }
    }
    if unique.len() > 100 {
        return Err(UserError::invalid("assignees", "Specify at most 100 assignees.").into());
    }
    let status = current_status(&existing.values, &status_code, &settings);
    if settings
        .state(&status)
        .is_some_and(|s| s.assignee.kind == AssigneeType::One)
        && unique.len() > 1
    {
        return Err(UserError::invalid("assignees", "This status takes one assignee only.").into());
    }
    let value = {
        let mut expander = DbExpander { conn: &mut *conn };
        let mut errors = FieldErrors::new();
        for c in &unique {
            use super::assignees::EntityExpander;
            if expander.user_name(c)?.is_none() {
                errors
                    .entry("assignees".into())
                    .or_default()
                    .push(format!("The user ({c}) does not exist.").into());
            }
        }
        if !errors.is_empty() {
            return Err(UserError::Validation(errors).into());
        }
        assignee_value(&unique, &mut expander)?
    };
    let mut values = existing.values.clone();
    values.insert(status_code, Value::String(status));
    values.insert(assignee_code, value);
    // Runs of users who are no longer assignees do not count any more.
    for (user, _) in acts(conn, app, id)? {
        if !unique.contains(&user) {
            let mut b = conn.sql();
            b.push("DELETE FROM record_process_acts WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND record_id = ")
                .bind_int(id)
                .push(" AND user_code = ")
                .bind_text(&user);
            conn.execute(&b)?;
        }
    }
    let new_revision = existing.revision + 1;
    let logged = (ChangeKind::AssigneesChanged, None);
    write_record(
        conn,
        app,
        actor,
        &existing,
        values,
        new_revision,
        None,
        logged,
    )?;
    Ok(new_revision)
}

/// The record's status, assignees and the actions `actor` may run now (those whose condition the
/// record meets; one per name, the first in settings order, as running it would pick).
///
/// Errors: `ProcessDisabled`; `RecordNotFound`.
pub fn available_actions(
    conn: &mut DbConn,
    app: &LiveApp,
    id: i64,
    actor: &Actor,
) -> EngineResult<RecordProcess> {
    let settings = enabled_settings(app)?;
    let (status_code, assignee_code) = status_codes(&app.definition)?;
    let record = get_record(conn, app, id)?;
    let status = current_status(&record.values, &status_code, &settings);
    let assignees = codes_of(record.values.get(&assignee_code));
    let acted = acts(conn, app, id)?;
    let ctx = query_context(app);
    let facts = RecordFacts {
        definition: &app.definition,
        values: &record.values,
    };
    let mut actions: Vec<AvailableAction> = Vec::new();
    for action in settings.actions().iter().filter(|a| a.from == status) {
        if actions.iter().any(|a| a.name == action.name) {
            continue;
        }
        let allowed = {
            let mut expander = DbExpander { conn: &mut *conn };
            may_run(
                &actor.code,
                action,
                &assignees,
                &acted,
                &facts,
                &mut expander,
            )?
        };
        if !allowed || !matches_condition(conn, app, id, &action.filter_cond, &ctx)? {
            continue;
        }
        let Some(target) = settings.state(&action.to) else {
            continue;
        };
        let choose_from = if target.assignee.kind == AssigneeType::One {
            let mut expander = DbExpander { conn: &mut *conn };
            let codes = expand(&target.assignee.entities, &facts, &mut expander)?;
            let mut out = Vec::new();
            for c in codes {
                use super::assignees::EntityExpander;
                let name = expander.user_name(&c)?.unwrap_or_else(|| c.clone());
                out.push((c, name));
            }
            out
        } else {
            Vec::new()
        };
        actions.push(AvailableAction {
            name: action.name.clone(),
            to: action.to.clone(),
            kind: action.kind,
            choose_from,
        });
    }
    Ok(RecordProcess {
        status,
        assignees,
        actions,
    })
}

/// Puts new records (values as validated, before they are stored) in the first state with its
/// assignees. Does nothing while process management is off.
pub fn start_records(
    conn: &mut DbConn,
    app: &LiveApp,
    records: &mut [Map<String, Value>],
) -> EngineResult<()> {
    if !app.definition.process_enabled() {
        return Ok(());
    }
    let settings = ProcessSettings::from_definition(&app.definition);
    let Some(first) = settings.first_state() else {
        return Ok(());
    };
    let (status_code, assignee_code) = status_codes(&app.definition)?;
    let mut expander = DbExpander { conn };
    for values in records.iter_mut() {
        let value = initial_assignees(&app.definition, first, values, &mut expander)?;
        values.insert(status_code.clone(), Value::String(first.name.clone()));
        values.insert(assignee_code.clone(), value);
    }
    Ok(())
}

fn initial_assignees(
    def: &AppDefinition,
    first: &State,
    values: &Map<String, Value>,
    expander: &mut DbExpander<'_>,
) -> EngineResult<Value> {
    let facts = RecordFacts {
        definition: def,
        values,
    };
    let codes = expand(&first.assignee.entities, &facts, expander)?;
    // The first state is ONE with at most the creator, so there is nothing to choose.
    assignee_value(&codes, expander)
}

/// Writes new values and revision (modifier and update time set to the actor and now), rewrites the
/// index rows that changed, and records the history entry and the change-log row (`logged`: its
/// kind and status transition).
#[expect(
    clippy::too_many_arguments,
    reason = "one private helper of three process writes"
)]
fn write_record(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    existing: &StoredRecord,
    mut values: Map<String, Value>,
    revision: i64,
    action_name: Option<&str>,
    logged: (ChangeKind, Option<(&str, &str)>),
) -> EngineResult<()> {
    crate::records::write::store_values(conn, app, actor, existing, &mut values, revision)?;
    let (kind, id) = (logged.0, existing.id);
    let change = NewChange {
        status: logged.1,
        ..NewChange::values_changed(
            kind,
            &actor.code,
            id,
            &app.definition,
            &existing.values,
            &values,
        )
    };
    changes::log(conn, app.id(), &[change])?;
    rewrite_index(
        conn,
        app.id(),
        &app.definition,
        existing.id,
        &existing.values,
        &values,
    )?;
    let changes: Vec<FieldChange> = history::diff(&app.definition, &existing.values, &values)
        .into_iter()
        .filter(|c| {
            app.definition.field(&c.field).is_some_and(|f| {
                matches!(
                    f.property.field_type,
                    FieldType::Status | FieldType::StatusAssignee
                )
            })
        })
        .collect();
    history::insert_status(
        conn,
        app,
        &actor.code,
        existing.id,
        revision,
        action_name,
        &changes,
    )
}

type NumRow = (i64, FieldId, i64, Option<f64>);
type TextRow = (i64, FieldId, i64, String);

/// Replaces the index rows of the fields whose rows differ between `old` and `new`.
fn rewrite_index(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    id: i64,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> EngineResult<()> {
    let mut before = IndexRows::default();
    before.add_record(def, id, old);
    let mut after = IndexRows::default();
    after.add_record(def, id, new);
    let mut changed: Vec<FieldId> = Vec::new();
    for fid in def.field_ids.values() {
        let num = |rows: &[NumRow]| -> Vec<NumRow> {
            rows.iter().filter(|r| r.1 == *fid).cloned().collect()
        };
        let text = |rows: &[TextRow]| -> Vec<TextRow> {
            rows.iter().filter(|r| r.1 == *fid).cloned().collect()
        };
        if num(&before.num) != num(&after.num)
            || text(&before.text) != text(&after.text)
            || text(&before.long) != text(&after.long)
        {
            changed.push(*fid);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    crate::reports::rollup::records_leaving(conn, app, def, &[id])?;
    crate::records::gaps::written(conn, app, def, 0, &before, &after)?;
    for table in [
        "record_values_num",
        "record_values_text",
        "record_values_long",
    ] {
        let mut b = conn.sql();
        b.push(&format!("DELETE FROM {table} WHERE app_id = "))
            .bind_int(app.0)
            .push(" AND record_id = ")
            .bind_int(id)
            .push(" AND field_id IN (");
        for (i, f) in changed.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_int(i64::from(*f));
        }
        b.push(")");
        conn.execute(&b)?;
    }
    let keep = |f: &FieldId| changed.contains(f);
    let rows = IndexRows {
        num: after.num.into_iter().filter(|r| keep(&r.1)).collect(),
        text: after.text.into_iter().filter(|r| keep(&r.1)).collect(),
        long: after.long.into_iter().filter(|r| keep(&r.1)).collect(),
    };
    crate::records::index::insert(conn, app, &rows)?;
    crate::reports::rollup::records_arriving(conn, app, def, &[id])
}

#[derive(QueryableByName)]
struct IdData {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    data: String,
}

/// Checks the process settings of a definition being deployed and brings stored records in line:
/// when process management is switched on (or its states change), records without a status start in
/// the first state with its assignees, and the STATUS/STATUS_ASSIGNEE index rows are rebuilt.
/// Records keep the status they had when the feature was last on (as kintone).
///
/// Errors: `Validation` when the settings no longer fit the app (a field they name was removed, ...)
/// or when records are in a status that the new settings remove.
pub fn sync_on_deploy(
    conn: &mut DbConn,
    app: AppId,
    old: Option<&AppDefinition>,
    new: &AppDefinition,
) -> EngineResult<()> {
    if !new.process_enabled() {
        return Ok(());
    }
    let parsed = settings::parse(&new.process, new).map_err(UserError::Validation)?;
    let users = settings::user_codes(&parsed);
    let mut missing = Vec::new();
    {
        let mut expander = DbExpander { conn: &mut *conn };
        for u in users {
            use super::assignees::EntityExpander;
            if expander.user_name(&u)?.is_none() {
                missing.push(u);
            }
        }
    }
    let errors = settings::check(&parsed, new, &|u| !missing.iter().any(|m| m == u));
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    let state_names = |d: &AppDefinition| -> Vec<String> {
        ProcessSettings::from_definition(d)
            .states
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    let unchanged = old.is_some_and(|o| {
        o.process_enabled()
            && state_names(o) == state_names(new)
            && o.field_of_type(FieldType::Status).map(|f| f.id)
                == new.field_of_type(FieldType::Status).map(|f| f.id)
    });
    if unchanged {
        return Ok(());
    }
    let Some(first) = parsed.first_state() else {
        return Ok(());
    };
    let (status_code, assignee_code) = status_codes(new)?;
    let field_ids: Vec<FieldId> = [&status_code, &assignee_code]
        .iter()
        .filter_map(|c| new.field_ids.get(*c).copied())
        .collect();
    for table in ["record_values_text"] {
        let mut b = conn.sql();
        b.push(&format!("DELETE FROM {table} WHERE app_id = "))
            .bind_int(app.0)
            .push(" AND field_id IN (");
        for (i, f) in field_ids.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_int(i64::from(*f));
        }
        b.push(")");
        conn.execute(&b)?;
    }
    let mut stranded: Vec<String> = Vec::new();
    let mut after = 0i64;
    loop {
        let mut b = conn.sql();
        b.push("SELECT id, data FROM records WHERE app_id = ")
            .bind_int(app.0)
            .push(" AND id > ")
            .bind_int(after)
            .push(" ORDER BY id LIMIT 500");
        let rows: Vec<IdData> = conn.load(&b)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut index_rows = IndexRows::default();
        for row in rows {
            let mut data: Map<String, Value> = serde_json::from_str(&row.data)?;
            let status = data
                .get(&status_code)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if status.is_empty() {
                let value = {
                    let mut expander = DbExpander { conn: &mut *conn };
                    initial_assignees(new, first, &data, &mut expander)?
                };
                data.insert(status_code.clone(), Value::String(first.name.clone()));
                data.insert(assignee_code.clone(), value);
                let mut u = conn.sql();
                u.push("UPDATE records SET data = ")
                    .bind_text(&serde_json::to_string(&data)?)
                    .push(" WHERE app_id = ")
                    .bind_int(app.0)
                    .push(" AND id = ")
                    .bind_int(row.id);
                conn.execute(&u)?;
            } else if parsed.state(&status).is_none() && !stranded.contains(&status) {
                stranded.push(status);
            }
            let mut all = IndexRows::default();
            all.add_record(new, row.id, &data);
            index_rows
                .text
                .extend(all.text.into_iter().filter(|r| field_ids.contains(&r.1)));
        }
        crate::records::index::insert(conn, app, &index_rows)?;
    }
    if !stranded.is_empty() {
        let mut errors = FieldErrors::new();
        for s in stranded {
            let text = format!(
                "Records are in the status ({s}); a status that records are in cannot be removed."
            );
            errors
                .entry("states".into())
                .or_default()
                .push(crate::error::Message::keyed("procset.err.stranded", text).arg("v", s));
        }
        return Err(UserError::Validation(errors).into());
    }
    Ok(())
}

//! Adding, updating and deleting records: validation, calculated fields, lookups, unique checks,
//! file attachment, and the pivot index rows, all inside the caller's transaction.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::files::{attach_files, detach_files};
use super::index::{self, IndexRows};
use super::read::{find_by_unique_value, get_record, StoredRecord};
use super::validate::{normalize_record, Resolver, WriteContext, WriteMode};
use crate::apps::{load_live_with_rights_of, AppId, LiveApp};
use crate::db::schema::users;
use crate::db::{DbConn, IntRow};
use crate::error::{EngineError, EngineResult, FieldErrors, UserError};
use crate::fields::FieldType;
use crate::with_conn;

/// Who is writing: their code and name (API-token writes act as `Administrator`), and time zone.
#[derive(Debug, Clone)]
pub struct Actor {
    pub code: String,
    pub name: String,
    pub timezone: chrono_tz::Tz,
    /// The app scripts to run for this write (`hooks`); `None` runs none, as for writes made by
    /// scripts themselves.
    pub scripts: Option<super::hooks::ScriptContext>,
}

impl Actor {
    /// An actor that runs no scripts.
    pub fn new(code: &str, name: &str, timezone: chrono_tz::Tz) -> Actor {
        Actor {
            code: code.to_owned(),
            name: name.to_owned(),
            timezone,
            scripts: None,
        }
    }

    /// The same actor without scripts: what scripts themselves write with.
    pub fn without_scripts(&self) -> Actor {
        Actor {
            scripts: None,
            ..self.clone()
        }
    }
}

/// Which record an update addresses.
#[derive(Debug, Clone)]
pub enum RecordTarget {
    Id(i64),
    /// kintone `updateKey`: a unique field and its value.
    UpdateKey {
        field: String,
        value: String,
    },
}

/// One record of an update call.
#[derive(Debug, Clone)]
pub struct RecordUpdate {
    pub target: RecordTarget,
    pub record: Map<String, Value>,
    pub revision: Option<i64>,
}

/// The result of one update: id, new revision, and whether an upsert inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    pub id: i64,
    pub revision: i64,
    pub inserted: bool,
}

/// Allocates `n` consecutive values of a per-app counter column; returns the first.
fn allocate(conn: &mut DbConn, app: AppId, column: &str, n: i64) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push(&format!("UPDATE apps SET {column} = {column} + "))
        .bind_int(n)
        .push(" WHERE id = ")
        .bind_int(app.0)
        .push(&format!(" RETURNING {column} AS n"));
    let rows: Vec<IntRow> = conn.load(&b)?;
    let next = rows
        .first()
        .map(|r| r.n)
        .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
    Ok(next - n)
}

/// Serializes writers of one app for the rest of the transaction. SQLite already has a single writer
/// (`BEGIN IMMEDIATE`); on PostgreSQL the row lock on the app keeps unique checks and read-modify-write
/// updates from racing each other.
pub(crate) fn lock_app_for_write(conn: &mut DbConn, app: &LiveApp) -> EngineResult<()> {
    lock_app_id_for_write(conn, app.row.id)
}

/// [`lock_app_for_write`] by app id (chart rollups are built without a `LiveApp`).
pub(crate) fn lock_app_id_for_write(conn: &mut DbConn, app_id: i64) -> EngineResult<()> {
    if conn.dialect() == crate::db::Dialect::Postgres {
        let mut b = conn.sql();
        b.push("SELECT id AS n FROM apps WHERE id = ")
            .bind_int(app_id)
            .push(" FOR UPDATE");
        let _: Vec<IntRow> = conn.load(&b)?;
    }
    Ok(())
}

/// Resolves users, files and subtable row ids for validation.
struct DbResolver<'c> {
    conn: &'c mut DbConn,
    app: AppId,
    record_id: Option<i64>,
    row_ids: std::ops::Range<i64>,
    user_names: &'c mut UserNames,
    failure: Option<EngineError>,
}

/// User names looked up during one call, by code (`None`: no such user). Shared by the records of
/// a call: a bulk add naming the same users in every record asks the database once per user
/// instead of once per record (a round trip each on PostgreSQL; docs/benchmarks.md, issue 18).
type UserNames = HashMap<String, Option<String>>;

impl DbResolver<'_> {
    fn remember<T>(&mut self, r: EngineResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.failure.get_or_insert(e);
                None
            }
        }
    }
}

impl Resolver for DbResolver<'_> {
    fn user_name(&mut self, code: &str) -> Option<String> {
        if let Some(found) = self.user_names.get(code) {
            return found.clone();
        }
        let conn = &mut *self.conn;
        let found: EngineResult<Option<String>> = with_conn!(conn, |c| users::table
            .filter(users::code.eq(code))
            .select(users::name)
            .first::<String>(c)
            .optional())
        .map_err(EngineError::from);
        let found = self.remember(found).flatten();
        self.user_names.insert(code.to_owned(), found.clone());
        found
    }

    fn entity_name(&mut self, _kind: FieldType, code: &str) -> Option<String> {
        // Departments and groups arrive with the organisation issue; until then any code is accepted
        // and shown as itself.
        Some(code.to_owned())
    }

    fn file(&mut self, file_key: &str) -> Option<Value> {
        let found = super::files::resolve_for_record(self.conn, file_key, self.app, self.record_id);
        self.remember(found).flatten()
    }

    fn next_row_id(&mut self) -> i64 {
        if let Some(id) = self.row_ids.next() {
            return id;
        }
        const BLOCK: i64 = 256;
        let first = allocate(self.conn, self.app, "next_row_id", BLOCK);
        match self.remember(first) {
            Some(first) => {
                self.row_ids = (first + 1)..(first + BLOCK);
                first
            }
            None => 0,
        }
    }
}

fn write_context<'a>(
    app: &'a LiveApp,
    actor: &'a Actor,
    mode: WriteMode,
    prefix: String,
) -> WriteContext<'a> {
    WriteContext {
        definition: &app.definition,
        mode,
        now: Utc::now(),
        user_code: &actor.code,
        user_name: &actor.name,
        timezone: actor.timezone,
        error_prefix: prefix,
    }
}

fn prefix(bulk: bool, i: usize) -> String {
    if bulk {
        format!("records[{i}].")
    } else {
        String::new()
    }
}

/// Refuses (`Forbidden`, kintone `CB_NO02`) a write that sends a value for a field the caller may
/// not edit (`app.access`): values are never dropped silently. Unknown codes are ignored as kintone
/// ignores them.
fn check_writable(app: &LiveApp, input: &Map<String, Value>, is_creator: bool) -> EngineResult<()> {
    let access = &app.access;
    if access.fields.is_empty() {
        return Ok(());
    }
    for code in input.keys() {
        if app.definition.properties.contains_key(code)
            && access.field_level(&app.definition, code, is_creator)
                < crate::acl::Accessibility::Write
        {
            return Err(UserError::Forbidden.into());
        }
    }
    Ok(())
}

/// The caller's rights on an existing record (`app.access`).
fn rights_on(conn: &mut DbConn, app: &LiveApp, id: i64) -> EngineResult<crate::acl::RecordRights> {
    super::read::record_rights(conn, app, &app.access, id)
}

/// Validates and completes one record's values: normalization, lookups, calculated fields.
fn prepare_values(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    error_prefix: String,
    input: &Map<String, Value>,
    existing: Option<&StoredRecord>,
    user_names: &mut UserNames,
) -> EngineResult<Result<Map<String, Value>, FieldErrors>> {
    let mode = match existing {
        None => WriteMode::Add,
        Some(_) => WriteMode::Update,
    };
    let ctx = write_context(app, actor, mode, error_prefix);
    let mut resolver = DbResolver {
        conn,
        app: app.id(),
        record_id: existing.map(|r| r.id),
        row_ids: 0..0,
        user_names: &mut *user_names,
        failure: None,
    };
    let normalized = normalize_record(&ctx, input, existing.map(|r| &r.values), &mut resolver);
    if let Some(e) = resolver.failure {
        return Err(e);
    }
    let mut values = match normalized {
        Ok(v) => v,
        Err(errors) => return Ok(Err(errors)),
    };
    let record_id = existing.map(|r| r.id);
    match super::hooks::run_submit(
        conn,
        app,
        actor,
        record_id,
        input,
        &values,
        &ctx.error_prefix,
    )? {
        Err(errors) => return Ok(Err(errors)),
        Ok(None) => {}
        Ok(Some(changed)) => {
            // Values set by scripts are checked exactly like input.
            let mut resolver = DbResolver {
                conn,
                app: app.id(),
                record_id,
                row_ids: 0..0,
                user_names: &mut *user_names,
                failure: None,
            };
            let normalized =
                normalize_record(&ctx, &changed, existing.map(|r| &r.values), &mut resolver);
            if let Some(e) = resolver.failure {
                return Err(e);
            }
            values = match normalized {
                Ok(v) => v,
                Err(errors) => return Ok(Err(errors)),
            };
        }
    }
    apply_lookups(conn, app, input, existing.is_none(), &mut values)?;
    crate::fields::formula::compute_record(&app.definition, &mut values, actor.timezone);
    Ok(Ok(values))
}

/// Copies mapped fields from the source app for every lookup field whose key was sent (or, on add,
/// is set). An empty key clears the copied fields; a key without a match fails with `LookupNoMatch`.
fn apply_lookups(
    conn: &mut DbConn,
    app: &LiveApp,
    input: &Map<String, Value>,
    adding: bool,
    values: &mut Map<String, Value>,
) -> EngineResult<()> {
    for (code, property) in &app.definition.properties {
        let Some(lookup) = &property.lookup else {
            continue;
        };
        if !adding && !input.contains_key(code) {
            continue;
        }
        let key = values
            .get(code)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if key.is_empty() {
            for mapping in &lookup.field_mappings {
                if let Some(target) = app.definition.field(&mapping.field) {
                    values.insert(
                        mapping.field.clone(),
                        super::render::empty_value(target.property.field_type),
                    );
                }
            }
            continue;
        }
        let source_id =
            lookup
                .related_app
                .app
                .parse::<i64>()
                .map_err(|_| UserError::LookupNoMatch {
                    field: code.clone(),
                })?;
        let no_match = || -> EngineError {
            UserError::LookupNoMatch {
                field: code.clone(),
            }
            .into()
        };
        // The source is read with the caller's rights: a record, app or key field they may not see
        // answers like no match, and fields they may not view are copied empty.
        let source = load_live_with_rights_of(
            conn,
            AppId(source_id),
            &app.access.principal,
            app.access.timezone,
        )?;
        if !source.access.rights.view
            || !source
                .access
                .field_queryable(&source.definition, &lookup.related_key_field)
        {
            return Err(no_match());
        }
        let found = find_by_unique_value(conn, &source, &lookup.related_key_field, &key, None)?;
        let Some(source_record_id) = found else {
            return Err(no_match());
        };
        let source_record = match get_record(conn, &source, source_record_id) {
            Ok(r) => r,
            Err(EngineError::User(UserError::RecordNotFound(_))) => return Err(no_match()),
            Err(e) => return Err(e),
        };
        for mapping in &lookup.field_mappings {
            let copied =
                if super::render::field_viewable(&source, &source_record, &mapping.related_field) {
                    super::render::value_for(&source, &source_record, &mapping.related_field)
                } else {
                    match source.definition.field(&mapping.related_field) {
                        Some(f) => super::render::empty_value(f.property.field_type),
                        None => Value::Null,
                    }
                };
            values.insert(mapping.field.clone(), copied);
        }
    }
    Ok(())
}

/// The unique values seen so far in one call, and the errors found.
#[derive(Default)]
struct CallChecks {
    seen: HashMap<(String, String), usize>,
    errors: FieldErrors,
}

/// Checks unique fields of `values` (record `index` of the call) against stored records (excluding
/// `self_id`) and against the other records of the same call.
fn check_unique(
    conn: &mut DbConn,
    app: &LiveApp,
    values: &Map<String, Value>,
    self_id: Option<i64>,
    index: usize,
    bulk: bool,
    checks: &mut CallChecks,
) -> EngineResult<()> {
    let error_prefix = prefix(bulk, index);
    let CallChecks { seen, errors } = checks;
    for (code, property) in &app.definition.properties {
        if !property.is_unique() {
            continue;
        }
        let Some(value) = values
            .get(code)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let duplicate_in_call = match seen.get(&(code.clone(), value.to_owned())) {
            Some(other) => *other != index,
            None => {
                seen.insert((code.clone(), value.to_owned()), index);
                false
            }
        };
        let duplicate =
            duplicate_in_call || find_by_unique_value(conn, app, code, value, self_id)?.is_some();
        if duplicate {
            errors
                .entry(format!("{error_prefix}record.{code}.value"))
                .or_default()
                .push(crate::error::Message::keyed(
                    "records.err.unique",
                    "This value already exists in another record.",
                ));
        }
    }
    Ok(())
}

/// The values `add_records` would store for `inputs`, or every validation error (writable fields,
/// conversions, required fields, unique values against stored records and each other).
fn prepare_new_records(
    conn: &mut DbConn,
    app: &LiveApp,
    inputs: &[Map<String, Value>],
    actor: &Actor,
    bulk: bool,
) -> EngineResult<Vec<Map<String, Value>>> {
    for input in inputs {
        check_writable(app, input, true)?;
    }
    let mut prepared = Vec::with_capacity(inputs.len());
    let mut checks = CallChecks::default();
    let mut user_names = UserNames::new();
    for (i, input) in inputs.iter().enumerate() {
        match prepare_values(
            conn,
            app,
            actor,
            prefix(bulk, i),
            input,
            None,
            &mut user_names,
        )? {
            Ok(values) => {
                check_unique(conn, app, &values, None, i, bulk, &mut checks)?;
                prepared.push(values);
            }
            Err(e) => checks.errors.extend(e),
        }
    }
    if !checks.errors.is_empty() {
        return Err(UserError::Validation(checks.errors).into());
    }
    Ok(prepared)
}

/// Checks records as `add_records` would, writing nothing: an import's check of a whole file
/// (indexes `records[i]` over all of `inputs`, so duplicates anywhere in the file are found).
pub fn check_new_records(
    conn: &mut DbConn,
    app: &LiveApp,
    inputs: &[Map<String, Value>],
    actor: &Actor,
    bulk: bool,
) -> EngineResult<()> {
    prepare_new_records(conn, app, inputs, actor, bulk).map(|_| ())
}

/// Adds records; all or nothing. `bulk` selects `records[i].` error keys. Returns `(id, revision)`.
pub fn add_records(
    conn: &mut DbConn,
    app: &LiveApp,
    inputs: &[Map<String, Value>],
    actor: &Actor,
    bulk: bool,
) -> EngineResult<Vec<(i64, i64)>> {
    lock_app_for_write(conn, app)?;
    let mut prepared = prepare_new_records(conn, app, inputs, actor, bulk)?;
    if prepared.is_empty() {
        return Ok(Vec::new());
    }
    crate::process::start_records(conn, app, &mut prepared)?;
    let count = i64::try_from(prepared.len())
        .map_err(|_| EngineError::Internal("too many records".into()))?;
    let first_id = allocate(conn, app.id(), "next_record_id", count)?;
    let mut rows = IndexRows::default();
    let mut out = Vec::with_capacity(prepared.len());
    let mut file_keys: Vec<(i64, Vec<String>)> = Vec::new();
    let ids: Vec<i64> = (first_id..first_id + count).collect();
    for (id, values) in ids.iter().zip(prepared.iter()) {
        rows.add_record(&app.definition, *id, values);
        file_keys.push((*id, file_keys_of(&app.definition, values)));
        out.push((*id, 1));
    }
    insert_record_rows(conn, app, actor, &ids, &prepared)?;
    index::insert(conn, app.id(), &rows)?;
    super::gaps::written(
        conn,
        app.id(),
        &app.definition,
        count,
        &IndexRows::default(),
        &rows,
    )?;
    crate::reports::rollup::records_arriving(conn, app.id(), &app.definition, &ids)?;
    let entries: Vec<super::history::PendingEntry> =
        ids.iter().map(|id| (*id, 1, "ADD", Vec::new())).collect();
    super::history::insert(conn, app, &actor.code, &entries)?;
    let added = super::changes::ChangeKind::RecordAdded;
    super::changes::records_changed(conn, app.id(), added, Some(&actor.code), &ids)?;
    for (id, keys) in file_keys {
        attach_files(conn, app.id(), id, &keys)?;
    }
    for (id, values) in ids.iter().zip(prepared.iter()) {
        super::hooks::run_after_save(conn, app, actor, *id, values)?;
    }
    Ok(out)
}

fn system_times(values: &Map<String, Value>, app: &LiveApp, t: FieldType, default: i64) -> i64 {
    app.definition
        .field_of_type(t)
        .and_then(|f| values.get(&f.property.code))
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.timestamp())
        .unwrap_or(default)
}

fn system_user(values: &Map<String, Value>, app: &LiveApp, t: FieldType, default: &str) -> String {
    app.definition
        .field_of_type(t)
        .and_then(|f| values.get(&f.property.code))
        .and_then(|v| v.get("code"))
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_owned()
}

fn insert_record_rows(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    ids: &[i64],
    values: &[Map<String, Value>],
) -> EngineResult<()> {
    let now = Utc::now().timestamp();
    // 8 binds a row; 200 rows a statement.
    let pairs: Vec<(&i64, &Map<String, Value>)> = ids.iter().zip(values.iter()).collect();
    for chunk in pairs.chunks(200) {
        let mut b = conn.sql();
        b.push_insert_rows(
            "records (app_id, id, revision, creator, created_at, modifier, updated_at, data)",
        );
        for (i, (id, v)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.push("(")
                .bind_int(app.row.id)
                .push(", ")
                .bind_int(**id)
                .push(", 1, ")
                .bind_text(&system_user(v, app, FieldType::Creator, &actor.code))
                .push(", ")
                .bind_int(system_times(v, app, FieldType::CreatedTime, now))
                .push(", ")
                .bind_text(&system_user(v, app, FieldType::Modifier, &actor.code))
                .push(", ")
                .bind_int(system_times(v, app, FieldType::UpdatedTime, now))
                .push(", ")
                .bind_text(&serde_json::to_string(v)?)
                .push(")");
        }
        conn.execute(&b)?;
    }
    Ok(())
}

/// File keys referenced by FILE fields, top level and in subtables.
fn file_keys_of(def: &crate::apps::AppDefinition, values: &Map<String, Value>) -> Vec<String> {
    let mut keys = Vec::new();
    let collect = |v: &Value, keys: &mut Vec<String>| {
        if let Some(files) = v.as_array() {
            keys.extend(
                files
                    .iter()
                    .filter_map(|f| f.get("fileKey").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
    };
    for (code, p) in &def.properties {
        match p.field_type {
            FieldType::File => {
                if let Some(v) = values.get(code) {
                    collect(v, &mut keys);
                }
            }
            FieldType::Subtable => {
                let inner_files: Vec<&String> = p
                    .fields
                    .iter()
                    .flat_map(|f| f.iter())
                    .filter(|(_, ip)| ip.field_type == FieldType::File)
                    .map(|(c, _)| c)
                    .collect();
                for row in values
                    .get(code)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    for c in &inner_files {
                        if let Some(v) = row
                            .get("value")
                            .and_then(|r| r.get(c.as_str()))
                            .and_then(|cell| cell.get("value"))
                        {
                            collect(v, &mut keys);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

/// Resolves an update target to a record id.
fn target_id(conn: &mut DbConn, app: &LiveApp, target: &RecordTarget) -> EngineResult<Option<i64>> {
    match target {
        RecordTarget::Id(id) => Ok(Some(*id)),
        RecordTarget::UpdateKey { field, value } => {
            let Some(f) = app.definition.field(field) else {
                return Err(UserError::invalid(
                    "updateKey.field",
                    format!("The field ({field}) does not exist."),
                )
                .into());
            };
            if f.subtable.is_some() || !f.property.is_unique() {
                return Err(UserError::invalid(
                    "updateKey.field",
                    "The field specified in updateKey must be a text or number field that prohibits duplicate values.",
                )
                .into());
            }
            // A key the caller may not view answers like a key that matches nothing, before any
            // lookup: otherwise the answer would tell whether a hidden value exists.
            if !app.access.field_queryable(&app.definition, field) {
                return Ok(None);
            }
            find_by_unique_value(conn, app, field, value, None)
        }
    }
}

/// Updates records (or, with `upsert`, inserts those whose `updateKey` matches nothing); all or
/// nothing. A stale `revision` fails the call with `RevisionConflict`.
pub fn update_records(
    conn: &mut DbConn,
    app: &LiveApp,
    updates: &[RecordUpdate],
    actor: &Actor,
    bulk: bool,
    upsert: bool,
) -> EngineResult<Vec<UpdateOutcome>> {
    lock_app_for_write(conn, app)?;
    let mut checks = CallChecks::default();
    let mut user_names = UserNames::new();
    let mut out = Vec::with_capacity(updates.len());
    for (i, update) in updates.iter().enumerate() {
        let mut found = target_id(conn, app, &update.target)?;
        if let (true, RecordTarget::Id(id)) = (upsert, &update.target) {
            // An upsert by an id that no record has inserts (cli-kintone sends placeholder ids).
            match get_record(conn, app, *id) {
                Ok(_) => {}
                Err(EngineError::User(UserError::RecordNotFound(_))) => found = None,
                Err(e) => return Err(e),
            }
        }
        let Some(id) = found else {
            if upsert {
                let mut record = update.record.clone();
                if let RecordTarget::UpdateKey { field, value } = &update.target {
                    record.insert(field.clone(), serde_json::json!({ "value": value }));
                }
                let added = add_records(conn, app, &[record], actor, bulk)
                    .map_err(|e| reprefix_error(e, bulk, i))?;
                for (id, revision) in added {
                    out.push(UpdateOutcome {
                        id,
                        revision,
                        inserted: true,
                    });
                }
                continue;
            }
            return Err(match &update.target {
                RecordTarget::Id(id) => UserError::RecordNotFound(id.to_string()),
                RecordTarget::UpdateKey { .. } => UserError::UpdateKeyNoMatch,
            }
            .into());
        };
        let existing = match (get_record(conn, app, id), &update.target) {
            (Ok(r), _) => r,
            // A record hidden from the caller answers like no match.
            (
                Err(EngineError::User(UserError::RecordNotFound(_))),
                RecordTarget::UpdateKey { .. },
            ) => return Err(UserError::UpdateKeyNoMatch.into()),
            (Err(e), _) => return Err(e),
        };
        if !rights_on(conn, app, id)?.edit {
            // Found by key but not the caller's to edit: the same answer as no match.
            return Err(match &update.target {
                RecordTarget::UpdateKey { .. } => UserError::UpdateKeyNoMatch,
                RecordTarget::Id(_) => UserError::Forbidden,
            }
            .into());
        }
        if let Some(expected) = update.revision.filter(|r| *r != -1) {
            if expected != existing.revision {
                return Err(UserError::RevisionConflict.into());
            }
        }
        let mut input = update.record.clone();
        if let RecordTarget::UpdateKey { field, .. } = &update.target {
            // The key addresses the record; it is not a new value.
            input.remove(field);
        }
        check_writable(
            app,
            &input,
            super::render::created_by_caller(app, &existing),
        )?;
        let values = match prepare_values(
            conn,
            app,
            actor,
            prefix(bulk, i),
            &input,
            Some(&existing),
            &mut user_names,
        )? {
            Ok(v) => v,
            Err(e) => {
                checks.errors.extend(e);
                continue;
            }
        };
        check_unique(conn, app, &values, Some(id), i, bulk, &mut checks)?;
        if !checks.errors.is_empty() {
            continue;
        }
        let revision = write_update(conn, app, actor, &existing, values)?;
        out.push(UpdateOutcome {
            id,
            revision,
            inserted: false,
        });
    }
    if !checks.errors.is_empty() {
        return Err(UserError::Validation(checks.errors).into());
    }
    Ok(out)
}

/// Error keys of a nested add in a bulk upsert carry the position of the update.
fn reprefix_error(e: EngineError, bulk: bool, i: usize) -> EngineError {
    match e {
        EngineError::User(UserError::Validation(errors)) if bulk => {
            let fixed = errors
                .into_iter()
                .map(|(k, v)| (k.replacen("records[0].", &format!("records[{i}]."), 1), v))
                .collect();
            UserError::Validation(fixed).into()
        }
        other => other,
    }
}

/// Saves a record's new values under `revision`, with the modifier and update time set to the actor
/// and now. The update only applies while the stored revision is still the one `existing` was read
/// at, so a concurrent writer that read the same revision loses (`RevisionConflict`) instead of
/// overwriting. Index rows and history are the caller's.
pub(crate) fn store_values(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    existing: &StoredRecord,
    values: &mut Map<String, Value>,
    revision: i64,
) -> EngineResult<()> {
    let now = Utc::now();
    if let Some(f) = app.definition.field_of_type(FieldType::Modifier) {
        values.insert(
            f.property.code.clone(),
            serde_json::json!({"code": actor.code, "name": actor.name}),
        );
    }
    if let Some(f) = app.definition.field_of_type(FieldType::UpdatedTime) {
        values.insert(
            f.property.code.clone(),
            Value::String(now.format("%Y-%m-%dT%H:%M:00Z").to_string()),
        );
    }
    let mut b = conn.sql();
    b.push("UPDATE records SET revision = ")
        .bind_int(revision)
        .push(", modifier = ")
        .bind_text(&actor.code)
        .push(", updated_at = ")
        .bind_int(now.timestamp())
        .push(", data = ")
        .bind_text(&serde_json::to_string(&*values)?)
        .push(" WHERE app_id = ")
        .bind_int(app.row.id)
        .push(" AND id = ")
        .bind_int(existing.id)
        .push(" AND revision = ")
        .bind_int(existing.revision);
    if conn.execute(&b)? != 1 {
        return Err(UserError::RevisionConflict.into());
    }
    // The change-log row is the caller's: it knows the kind of change.
    Ok(())
}

fn write_update(
    conn: &mut DbConn,
    app: &LiveApp,
    actor: &Actor,
    existing: &StoredRecord,
    mut values: Map<String, Value>,
) -> EngineResult<i64> {
    let revision = existing.revision + 1;
    store_values(conn, app, actor, existing, &mut values, revision)?;
    let changes = super::history::diff(&app.definition, &existing.values, &values);
    let (kind, id) = (super::changes::ChangeKind::RecordEdited, existing.id);
    let edit = super::changes::NewChange::values_changed(
        kind,
        &actor.code,
        id,
        &app.definition,
        &existing.values,
        &values,
    );
    super::changes::log(conn, app.id(), &[edit])?;
    super::history::insert(
        conn,
        app,
        &actor.code,
        &[(existing.id, revision, "UPDATE", changes)],
    )?;
    let mut old_rows = IndexRows::default();
    old_rows.add_record(&app.definition, existing.id, &existing.values);
    let mut new_rows = IndexRows::default();
    new_rows.add_record(&app.definition, existing.id, &values);
    if old_rows != new_rows {
        let id = [existing.id];
        crate::reports::rollup::records_leaving(conn, app.id(), &app.definition, &id)?;
        index::delete(conn, app.id(), &app.definition, &id)?;
        index::insert(conn, app.id(), &new_rows)?;
        super::gaps::written(conn, app.id(), &app.definition, 0, &old_rows, &new_rows)?;
        crate::reports::rollup::records_arriving(conn, app.id(), &app.definition, &id)?;
    }
    let old_keys = file_keys_of(&app.definition, &existing.values);
    let new_keys = file_keys_of(&app.definition, &values);
    let dropped: Vec<String> = old_keys
        .iter()
        .filter(|k| !new_keys.contains(k))
        .cloned()
        .collect();
    detach_files(conn, &dropped)?;
    attach_files(conn, app.id(), existing.id, &new_keys)?;
    super::hooks::run_after_save(conn, app, actor, existing.id, &values)?;
    Ok(revision)
}

/// Deletes records; all or nothing. `revisions` runs parallel to `ids` (None / -1: no check).
/// Returns the storage paths of attachments that are no longer referenced, to be removed from disk
/// after the transaction commits.
pub fn delete_records(
    conn: &mut DbConn,
    app: &LiveApp,
    ids: &[i64],
    revisions: &[Option<i64>],
) -> EngineResult<Vec<String>> {
    lock_app_for_write(conn, app)?;
    let mut paths = Vec::new();
    let mut deleted_rows = IndexRows::default();
    for (i, id) in ids.iter().enumerate() {
        let existing = get_record(conn, app, *id)?;
        deleted_rows.add_record(&app.definition, *id, &existing.values);
        if !rights_on(conn, app, *id)?.delete {
            return Err(UserError::Forbidden.into());
        }
        if let Some(expected) = revisions.get(i).copied().flatten().filter(|r| *r != -1) {
            if expected != existing.revision {
                return Err(UserError::RevisionConflict.into());
            }
        }
        let keys = file_keys_of(&app.definition, &existing.values);
        paths.extend(detach_files(conn, &keys)?);
    }
    crate::reports::rollup::records_leaving(conn, app.id(), &app.definition, ids)?;
    index::delete(conn, app.id(), &app.definition, ids)?;
    let distinct: std::collections::HashSet<&i64> = ids.iter().collect();
    let deleted = i64::try_from(distinct.len()).unwrap_or(i64::MAX);
    super::gaps::written(
        conn,
        app.id(),
        &app.definition,
        -deleted,
        &deleted_rows,
        &IndexRows::default(),
    )?;
    super::changes::records_deleted(conn, app, ids)?;
    for chunk in ids.chunks(500) {
        for table in ["records", "record_comments"] {
            let mut b = conn.sql();
            let column = if table == "records" {
                "id"
            } else {
                "record_id"
            };
            b.push(&format!("DELETE FROM {table} WHERE app_id = "))
                .bind_int(app.row.id)
                .push(&format!(" AND {column} IN ("));
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.bind_int(*id);
            }
            b.push(")");
            conn.execute(&b)?;
        }
    }
    Ok(paths)
}

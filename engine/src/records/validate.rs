//! Record values on write: checks and normalizes a kintone `record` request object against the app's
//! form, the way kintone's REST API does, and answers with kintone's `errors` map.
//!
//! Guarantees: on success the result holds every record field of the form (layout-only types excluded)
//! in kintone's GET value shape, with defaults applied on Add and unchanged values carried over from the
//! stored record on Update; subtable rows carry `type` on their inner values and a row id. On failure every
//! problem found is reported, each under the key kintone uses (`record.<code>.value`, `records[2].record
//! [<code>].value`, ...). Nothing here touches the database: `unique` is checked by the caller, and users
//! and files are looked up through [`Resolver`]. No input makes this module panic.

mod scalar;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::apps::AppDefinition;
use crate::error::{FieldErrors, Message};
use crate::fields::{FieldProperty, FieldType};

/// Whether the record is being created or changed; defaults and system fields differ between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Add,
    Update,
}

/// Looks up what the checks need from outside the record (users, uploaded files).
pub trait Resolver {
    /// Display name of a user code, None if no such user.
    fn user_name(&mut self, code: &str) -> Option<String>;
    /// For ORGANIZATION_SELECT / GROUP_SELECT: the display name; None if unknown.
    /// (Organizations arrive in a later issue; the lead's resolver may return the code itself.)
    fn entity_name(&mut self, kind: FieldType, code: &str) -> Option<String>;
    /// A FILE value's `fileKey`: either a fresh upload key or a key already attached to this record.
    /// Returns {"contentType","fileKey","name","size"} as stored, None if unknown.
    fn file(&mut self, file_key: &str) -> Option<Value>;
    /// A new subtable row id.
    fn next_row_id(&mut self) -> i64;
}

/// Everything about one write that does not come from the request body.
pub struct WriteContext<'a> {
    pub definition: &'a AppDefinition,
    pub mode: WriteMode,
    pub now: DateTime<Utc>,
    /// Acting user, for CREATOR/MODIFIER defaults and `LOGINUSER()` defaults.
    pub user_code: &'a str,
    pub user_name: &'a str,
    /// The acting user's time zone: today's date for DATE defaults, and how a DATETIME without an
    /// offset is read.
    pub timezone: chrono_tz::Tz,
    /// Prefix for error keys: "" for a single record, "records[3]." in a bulk call.
    pub error_prefix: String,
}

const REQUIRED: &str = "Required.";
const NOT_A_NUMBER: &str = "Only numbers are allowed.";
const EXPECTED_STRING: &str = "The value must be a string.";
const EXPECTED_ARRAY: &str = "The value must be an array.";
const EXPECTED_FIELD_OBJECT: &str = r#"The field must be an object with a "value" property."#;
const EXPECTED_ROW_OBJECT: &str = r#"Each row must be an object with a "value" object."#;
const EXPECTED_CODE_OBJECTS: &str =
    r#"The value must be an array of objects with a "code" property."#;
const EXPECTED_CODE_OBJECT: &str = r#"The value must be an object with a "code" property."#;
const EXPECTED_FILE_OBJECTS: &str =
    r#"The value must be an array of objects with a "fileKey" property."#;
const BAD_DATE: &str = r#"The value must be a date in the "YYYY-MM-DD" format."#;
const BAD_TIME: &str = r#"The value must be a time in the "HH:MM" format."#;
const BAD_DATETIME: &str = r#"The value must be a date and time in the "YYYY-MM-DDTHH:MM:SSZ" format (or with a "±HH:MM" offset)."#;

/// Checks and normalizes one record.
///
/// `input` is the request's `record` object (`{code: {"value": ...}}`; `type` is ignored and unknown
/// codes are ignored). `existing` is the stored record's values (code → value) for Update, `None` for Add.
/// Returns the complete normalized values (code → value in kintone GET shapes, every record field of the
/// form; on Update fields not sent are taken from `existing`), or every error found, keyed as kintone keys
/// them and prefixed with `ctx.error_prefix`. CALC and auto-calculated text come out as `""` on Add (the
/// formula module fills them); RECORD_NUMBER, STATUS, STATUS_ASSIGNEE and CATEGORY are never taken from
/// input and appear only when `existing` has them. `unique` is not checked here.
pub fn normalize_record(
    ctx: &WriteContext,
    input: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
    resolver: &mut dyn Resolver,
) -> Result<Map<String, Value>, FieldErrors> {
    let mut run = Run {
        ctx,
        resolver,
        errors: FieldErrors::new(),
    };
    let mut out = Map::new();
    for (code, prop) in &ctx.definition.properties {
        let loc = Loc::top(&ctx.error_prefix, code);
        let old = existing.and_then(|e| e.get(code));
        if let Some(value) = run.field(prop, input.get(code), old, &loc, None) {
            out.insert(code.clone(), value);
        }
    }
    if run.errors.is_empty() {
        Ok(out)
    } else {
        Err(run.errors)
    }
}

/// Where a value sits, for building kintone's error keys.
struct Loc {
    /// The field's code (the map key of the form, which is what requests use).
    code: String,
    /// `<prefix>record.<code>` or `<prefix>record.<tbl>.value[<row>].value.<code>`.
    base: String,
    /// kintone reports a non-numeric top-level NUMBER under `record[<code>].value`; inside a subtable
    /// there is no such key because the value is stored as `""` instead.
    number_key: Option<String>,
}

impl Loc {
    fn top(prefix: &str, code: &str) -> Loc {
        Loc {
            code: code.to_owned(),
            base: format!("{prefix}record.{code}"),
            number_key: Some(format!("{prefix}record[{code}].value")),
        }
    }

    fn cell(prefix: &str, table: &str, row: usize, code: &str) -> Loc {
        Loc {
            code: code.to_owned(),
            base: format!("{prefix}record.{table}.value[{row}].value.{code}"),
            number_key: None,
        }
    }

    fn value(&self) -> String {
        format!("{}.value", self.base)
    }

    fn row(&self, row: usize) -> String {
        format!("{}.value[{row}]", self.base)
    }

    fn values(&self) -> String {
        format!("{}.values", self.base)
    }

    fn values_value(&self) -> String {
        format!("{}.values.value", self.base)
    }

    fn values_at(&self, index: usize) -> String {
        format!("{}.values[{index}].value", self.base)
    }

    /// The key for errors about the value as a whole (required, wrong JSON type).
    fn main(&self, field_type: FieldType) -> String {
        match field_type {
            FieldType::CheckBox | FieldType::MultiSelect | FieldType::File => self.values(),
            FieldType::UserSelect | FieldType::OrganizationSelect | FieldType::GroupSelect => {
                self.values_value()
            }
            _ => self.value(),
        }
    }
}

/// What a request said about one field.
enum Entry<'v> {
    /// The code is not in the request, or its object has no `value`.
    Absent,
    Present(&'v Value),
    /// Something other than `{"value": ...}` was sent for the code.
    Malformed,
}

impl<'v> Entry<'v> {
    fn of(raw: Option<&'v Value>) -> Entry<'v> {
        match raw {
            None => Entry::Absent,
            Some(Value::Object(m)) => m.get("value").map_or(Entry::Absent, Entry::Present),
            Some(_) => Entry::Malformed,
        }
    }
}

/// How a field's value is sourced on write.
enum Source {
    /// Taken from the request and checked.
    Input,
    /// Computed by the formula module: `""` on Add, kept on Update.
    Computed,
    /// Maintained by other modules (record number, process management, categories): kept if stored.
    Kept,
    /// CREATOR/MODIFIER/CREATED_TIME/UPDATED_TIME: from the request on Add only.
    Audit,
    /// Not part of records.
    None,
}

fn source(prop: &FieldProperty) -> Source {
    let ft = prop.field_type;
    if ft.is_layout_only() {
        return Source::None;
    }
    match ft {
        FieldType::Calc => Source::Computed,
        // A text field with "calculate automatically" takes no client value (kintone docs).
        FieldType::SingleLineText if prop.expression.as_deref().is_some_and(|e| !e.is_empty()) => {
            Source::Computed
        }
        FieldType::RecordNumber
        | FieldType::Status
        | FieldType::StatusAssignee
        | FieldType::Category => Source::Kept,
        FieldType::Creator
        | FieldType::Modifier
        | FieldType::CreatedTime
        | FieldType::UpdatedTime => Source::Audit,
        _ => Source::Input,
    }
}

/// The value a field has when nothing was sent and no default applies.
fn empty_value(field_type: FieldType) -> Value {
    match field_type {
        FieldType::DropDown | FieldType::Date | FieldType::Time => Value::Null,
        FieldType::CheckBox
        | FieldType::MultiSelect
        | FieldType::File
        | FieldType::UserSelect
        | FieldType::OrganizationSelect
        | FieldType::GroupSelect
        | FieldType::StatusAssignee
        | FieldType::Category
        | FieldType::Subtable => Value::Array(Vec::new()),
        _ => Value::String(String::new()),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Text of a JSON scalar the way kintone reads it for a text-like field.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One validation run: the context, the resolver and the errors found so far.
struct Run<'c, 'a, 'r> {
    ctx: &'c WriteContext<'a>,
    resolver: &'r mut dyn Resolver,
    errors: FieldErrors,
}

impl Run<'_, '_, '_> {
    fn error(&mut self, key: String, message: impl Into<Message>) {
        self.errors.entry(key).or_default().push(message.into());
    }

    fn is_add(&self) -> bool {
        self.ctx.mode == WriteMode::Add
    }

    /// The stored value of one field, or `None` when the field has no place in the result. For a
    /// subtable cell `in_new_row` says whether its row is new (defaults apply); `None` at top level.
    fn field(
        &mut self,
        prop: &FieldProperty,
        raw: Option<&Value>,
        old: Option<&Value>,
        loc: &Loc,
        in_new_row: Option<bool>,
    ) -> Option<Value> {
        let ft = prop.field_type;
        // Defaults apply when the record is new, or inside a row the request adds.
        let fresh = in_new_row.unwrap_or_else(|| self.is_add());
        match source(prop) {
            Source::None => None,
            Source::Kept => old.cloned(),
            Source::Computed => Some(if fresh {
                empty_value(ft)
            } else {
                old.cloned().unwrap_or_else(|| empty_value(ft))
            }),
            Source::Audit => {
                if self.is_add() {
                    self.audit(prop, Entry::of(raw), loc)
                } else {
                    old.cloned()
                }
            }
            Source::Input if ft == FieldType::Subtable => {
                let value = self.subtable(prop, Entry::of(raw), old, loc);
                Some(value.unwrap_or_else(|| empty_value(ft)))
            }
            Source::Input => {
                let before = self.errors.len();
                let value = match Entry::of(raw) {
                    Entry::Malformed => {
                        self.error(loc.value(), EXPECTED_FIELD_OBJECT);
                        None
                    }
                    Entry::Absent if fresh => Some(self.default_value(prop)),
                    Entry::Absent => Some(old.cloned().unwrap_or_else(|| empty_value(ft))),
                    Entry::Present(v) => self.normalize(prop, v, loc),
                };
                let value = value.unwrap_or_else(|| empty_value(ft));
                // kintone never fails `required` on radio buttons (they always hold an option), and a
                // field that already has an error is not also reported as missing.
                if prop.is_required()
                    && ft != FieldType::RadioButton
                    && self.errors.len() == before
                    && is_empty(&value)
                {
                    self.error(loc.main(ft), required());
                }
                Some(value)
            }
        }
    }

    /// Checks and normalizes a value that was sent for an input field.
    fn normalize(&mut self, prop: &FieldProperty, raw: &Value, loc: &Loc) -> Option<Value> {
        match prop.field_type {
            FieldType::SingleLineText
            | FieldType::MultiLineText
            | FieldType::RichText
            | FieldType::Link => self.text(prop, raw, loc),
            FieldType::Number => self.number(prop, raw, loc),
            FieldType::RadioButton | FieldType::DropDown => self.single_choice(prop, raw, loc),
            FieldType::CheckBox | FieldType::MultiSelect => self.multi_choice(prop, raw, loc),
            FieldType::Date => self.date(raw, loc),
            FieldType::Time => self.time(raw, loc),
            FieldType::Datetime => self.datetime(raw, loc).map(Value::String),
            FieldType::UserSelect | FieldType::OrganizationSelect | FieldType::GroupSelect => {
                self.entities(prop.field_type, raw, loc)
            }
            FieldType::File => self.files(raw, loc),
            // Every other type is sourced elsewhere (see `source`); nothing to take from input.
            other => Some(empty_value(other)),
        }
    }

    fn text(&mut self, prop: &FieldProperty, raw: &Value, loc: &Loc) -> Option<Value> {
        let text = if raw.is_null() {
            Some(String::new())
        } else {
            scalar_text(raw)
        };
        let Some(text) = text else {
            self.error(loc.value(), EXPECTED_STRING);
            return None;
        };
        if !text.is_empty() {
            // kintone limits count characters, not bytes.
            let length = text.chars().count();
            if let Some(max) = setting_usize(prop.max_length.as_deref()) {
                if length > max {
                    let limit = (max + 1).to_string();
                    self.error(
                        loc.value(),
                        Message::keyed(
                            "records.err.max_length",
                            format!("Enter less than {limit} characters."),
                        )
                        .arg("v", limit),
                    );
                }
            }
            if let Some(min) = setting_usize(prop.min_length.as_deref()) {
                if length < min {
                    let shown = min.saturating_sub(1);
                    self.error(
                        loc.value(),
                        Message::keyed(
                            "records.err.min_length",
                            format!("Enter more than {shown} characters."),
                        )
                        .arg("v", shown.to_string()),
                    );
                }
            }
        }
        Some(Value::String(text))
    }

    fn number(&mut self, prop: &FieldProperty, raw: &Value, loc: &Loc) -> Option<Value> {
        let parsed = match raw {
            Value::Null => return Some(Value::String(String::new())),
            Value::String(s) if s.trim().is_empty() => return Some(Value::String(String::new())),
            Value::String(s) => scalar::parse_number(s),
            Value::Number(n) => scalar::parse_number(&n.to_string()),
            _ => None,
        };
        let Some(number) = parsed else {
            return match &loc.number_key {
                Some(key) => {
                    self.error(
                        key.clone(),
                        Message::keyed("records.err.number", NOT_A_NUMBER),
                    );
                    None
                }
                // Inside a subtable kintone silently stores an empty value instead.
                None => Some(Value::String(String::new())),
            };
        };
        if let Some(max) = prop.max_value.as_deref() {
            if scalar::parse_number(max).is_some_and(|m| number > m) {
                self.error(
                    loc.value(),
                    Message::keyed(
                        "records.err.max_value",
                        format!("The value must be {max} or less."),
                    )
                    .arg("v", max),
                );
            }
        }
        if let Some(min) = prop.min_value.as_deref() {
            if scalar::parse_number(min).is_some_and(|m| number < m) {
                self.error(
                    loc.value(),
                    Message::keyed(
                        "records.err.min_value",
                        format!("The value must be {min} or more."),
                    )
                    .arg("v", min),
                );
            }
        }
        Some(Value::String(scalar::number_text(number)))
    }

    fn single_choice(&mut self, prop: &FieldProperty, raw: &Value, loc: &Loc) -> Option<Value> {
        let empty = || match prop.field_type {
            FieldType::DropDown => Value::Null,
            _ => Value::String(String::new()),
        };
        let choice = match raw {
            Value::Null => return Some(empty()),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                self.error(loc.value(), EXPECTED_STRING);
                return None;
            }
        };
        if choice.is_empty() {
            return Some(empty());
        }
        if !prop.has_option(&choice) {
            self.error(loc.value(), not_in_options(&choice));
            return None;
        }
        Some(Value::String(choice))
    }

    fn multi_choice(&mut self, prop: &FieldProperty, raw: &Value, loc: &Loc) -> Option<Value> {
        let items = match raw {
            Value::Null => return Some(Value::Array(Vec::new())),
            Value::Array(items) => items,
            _ => {
                self.error(loc.values(), EXPECTED_ARRAY);
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let choice = match item {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    self.error(loc.values_at(i), EXPECTED_STRING);
                    ok = false;
                    continue;
                }
            };
            if !prop.has_option(&choice) {
                self.error(loc.values_at(i), not_in_options(&choice));
                ok = false;
            } else if !out
                .iter()
                .any(|v: &Value| v.as_str() == Some(choice.as_str()))
            {
                out.push(Value::String(choice));
            }
        }
        ok.then_some(Value::Array(out))
    }

    fn date(&mut self, raw: &Value, loc: &Loc) -> Option<Value> {
        match raw {
            Value::Null => Some(Value::Null),
            Value::String(s) if s.is_empty() => Some(Value::Null),
            Value::String(s) => match scalar::parse_date(s) {
                Some(d) => Some(Value::String(scalar::date_text(d))),
                None => {
                    self.error(loc.value(), Message::keyed("records.err.date", BAD_DATE));
                    None
                }
            },
            _ => {
                self.error(loc.value(), Message::keyed("records.err.date", BAD_DATE));
                None
            }
        }
    }

    fn time(&mut self, raw: &Value, loc: &Loc) -> Option<Value> {
        match raw {
            Value::Null => Some(Value::Null),
            Value::String(s) if s.is_empty() => Some(Value::Null),
            Value::String(s) => match scalar::parse_time(s) {
                Some(t) => Some(Value::String(scalar::time_text(t))),
                None => {
                    self.error(loc.value(), Message::keyed("records.err.time", BAD_TIME));
                    None
                }
            },
            _ => {
                self.error(loc.value(), Message::keyed("records.err.time", BAD_TIME));
                None
            }
        }
    }

    /// DATETIME text in UTC (`""` for empty), or `None` after recording an error.
    fn datetime(&mut self, raw: &Value, loc: &Loc) -> Option<String> {
        match raw {
            Value::Null => Some(String::new()),
            Value::String(s) if s.is_empty() => Some(String::new()),
            Value::String(s) => match scalar::parse_datetime(s, &self.ctx.timezone) {
                Some(dt) => Some(scalar::datetime_text(dt)),
                None => {
                    self.error(
                        loc.value(),
                        Message::keyed("records.err.datetime", BAD_DATETIME),
                    );
                    None
                }
            },
            _ => {
                self.error(
                    loc.value(),
                    Message::keyed("records.err.datetime", BAD_DATETIME),
                );
                None
            }
        }
    }

    /// USER_SELECT / ORGANIZATION_SELECT / GROUP_SELECT: `[{code}]` in, `[{code,name}]` out.
    fn entities(&mut self, kind: FieldType, raw: &Value, loc: &Loc) -> Option<Value> {
        let items = match raw {
            Value::Null => return Some(Value::Array(Vec::new())),
            Value::Array(items) => items,
            _ => {
                self.error(loc.values_value(), EXPECTED_CODE_OBJECTS);
                return None;
            }
        };
        let mut out: Vec<Value> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Some(code) = item.get("code").and_then(Value::as_str) else {
                self.error(loc.values_value(), EXPECTED_CODE_OBJECTS);
                ok = false;
                continue;
            };
            match self.entity(kind, code) {
                Some(name) => {
                    if !out
                        .iter()
                        .any(|e| e.get("code").and_then(Value::as_str) == Some(code))
                    {
                        out.push(json!({ "code": code, "name": name }));
                    }
                }
                None => {
                    self.error(loc.values_value(), unknown_entity(kind, code));
                    ok = false;
                }
            }
        }
        ok.then_some(Value::Array(out))
    }

    fn entity(&mut self, kind: FieldType, code: &str) -> Option<String> {
        match kind {
            FieldType::UserSelect => self.resolver.user_name(code),
            _ => self.resolver.entity_name(kind, code),
        }
    }

    /// FILE: `[{fileKey}]` in, the stored file descriptions out.
    fn files(&mut self, raw: &Value, loc: &Loc) -> Option<Value> {
        let items = match raw {
            Value::Null => return Some(Value::Array(Vec::new())),
            Value::Array(items) => items,
            _ => {
                self.error(loc.values(), EXPECTED_FILE_OBJECTS);
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Some(key) = item.get("fileKey").and_then(Value::as_str) else {
                self.error(loc.values(), EXPECTED_FILE_OBJECTS);
                ok = false;
                continue;
            };
            match self.resolver.file(key) {
                Some(file) => out.push(file),
                None => {
                    self.error(
                        loc.values(),
                        Message::keyed(
                            "records.err.file",
                            format!("The specified file (id: {key}) not found."),
                        )
                        .arg("v", key),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Value::Array(out))
    }

    /// CREATOR/MODIFIER/CREATED_TIME/UPDATED_TIME on Add: what was sent (cli-kintone copies them from
    /// an export), otherwise the acting user and the current minute.
    fn audit(&mut self, prop: &FieldProperty, entry: Entry, loc: &Loc) -> Option<Value> {
        let raw = match entry {
            Entry::Malformed => {
                self.error(loc.value(), EXPECTED_FIELD_OBJECT);
                return None;
            }
            Entry::Absent => None,
            Entry::Present(v) if is_empty(v) => None,
            Entry::Present(v) => Some(v),
        };
        match prop.field_type {
            FieldType::Creator | FieldType::Modifier => {
                let Some(raw) = raw else {
                    return Some(json!({ "code": self.ctx.user_code, "name": self.ctx.user_name }));
                };
                let Some(code) = raw.get("code").and_then(Value::as_str) else {
                    self.error(loc.value(), EXPECTED_CODE_OBJECT);
                    return None;
                };
                match self.resolver.user_name(code) {
                    Some(name) => Some(json!({ "code": code, "name": name })),
                    None => {
                        self.error(loc.value(), unknown_entity(FieldType::UserSelect, code));
                        None
                    }
                }
            }
            _ => match raw {
                None => Some(Value::String(self.now_text())),
                Some(raw) => self.datetime(raw, loc).map(Value::String),
            },
        }
    }

    fn now_text(&self) -> String {
        scalar::datetime_text(self.ctx.now)
    }

    /// The value of an input field the request did not mention, in a new record or a new row.
    fn default_value(&mut self, prop: &FieldProperty) -> Value {
        let ft = prop.field_type;
        let default = prop.default_value.as_ref();
        let default_text = default.and_then(Value::as_str).filter(|s| !s.is_empty());
        let now_default = prop.default_now_value.unwrap_or(false);
        let local_now = self.ctx.now.with_timezone(&self.ctx.timezone);
        match ft {
            FieldType::SingleLineText
            | FieldType::MultiLineText
            | FieldType::RichText
            | FieldType::Link => default
                .and_then(scalar_text)
                .map_or_else(|| empty_value(ft), Value::String),
            FieldType::Number => default
                .and_then(scalar_text)
                .and_then(|s| scalar::parse_number(&s))
                .map_or_else(
                    || empty_value(ft),
                    |n| Value::String(scalar::number_text(n)),
                ),
            FieldType::RadioButton => {
                // A radio button always holds an option: the default, else the first one.
                let chosen = default_text
                    .filter(|d| prop.has_option(d))
                    .or_else(|| prop.option_keys().first().copied());
                Value::String(chosen.unwrap_or_default().to_owned())
            }
            FieldType::DropDown => default_text
                .filter(|d| prop.has_option(d))
                .map_or(Value::Null, |d| Value::String(d.to_owned())),
            FieldType::CheckBox | FieldType::MultiSelect => {
                let keys = default
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .filter(|k| prop.has_option(k))
                            .map(|k| Value::String(k.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                Value::Array(keys)
            }
            FieldType::Date if now_default => {
                Value::String(scalar::date_text(local_now.date_naive()))
            }
            FieldType::Date => default_text
                .and_then(scalar::parse_date)
                .map_or(Value::Null, |d| Value::String(scalar::date_text(d))),
            FieldType::Time if now_default => Value::String(scalar::time_text(local_now.time())),
            FieldType::Time => default_text
                .and_then(scalar::parse_time)
                .map_or(Value::Null, |t| Value::String(scalar::time_text(t))),
            FieldType::Datetime if now_default => Value::String(self.now_text()),
            FieldType::Datetime => Value::String(
                default_text
                    .and_then(|d| scalar::parse_datetime(d, &self.ctx.timezone))
                    .map(scalar::datetime_text)
                    .unwrap_or_default(),
            ),
            FieldType::UserSelect | FieldType::OrganizationSelect | FieldType::GroupSelect => {
                self.default_entities(ft, default)
            }
            _ => empty_value(ft),
        }
    }

    /// Default entities of a USER/ORGANIZATION/GROUP_SELECT. Entities that no longer exist, and
    /// functions we cannot evaluate yet (`PRIMARY_ORGANIZATION()`), are left out rather than failing the
    /// write: the user did not send them.
    fn default_entities(&mut self, kind: FieldType, default: Option<&Value>) -> Value {
        let mut out: Vec<Value> = Vec::new();
        let entries = default
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for entry in &entries {
            let Some(code) = entry.get("code").and_then(Value::as_str) else {
                continue;
            };
            let entry_type = entry
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let resolved = match (kind, entry_type, code) {
                (FieldType::UserSelect, "FUNCTION", "LOGINUSER()") => {
                    Some((self.ctx.user_code.to_owned(), self.ctx.user_name.to_owned()))
                }
                (_, "FUNCTION", _) => None,
                (FieldType::UserSelect, "USER", _) => self
                    .resolver
                    .user_name(code)
                    .map(|name| (code.to_owned(), name)),
                (FieldType::OrganizationSelect, "ORGANIZATION", _)
                | (FieldType::GroupSelect, "GROUP", _) => self
                    .resolver
                    .entity_name(kind, code)
                    .map(|name| (code.to_owned(), name)),
                _ => None,
            };
            if let Some((code, name)) = resolved {
                if !out
                    .iter()
                    .any(|e| e.get("code").and_then(Value::as_str) == Some(code.as_str()))
                {
                    out.push(json!({ "code": code, "name": name }));
                }
            }
        }
        Value::Array(out)
    }

    /// A SUBTABLE's rows, merged with the stored rows on Update (kintone's rules: key absent → rows
    /// kept; rows sent with a stored id → merged; other rows sent → new rows; stored rows not sent →
    /// deleted). `None` after a structural error.
    fn subtable(
        &mut self,
        prop: &FieldProperty,
        entry: Entry,
        old: Option<&Value>,
        loc: &Loc,
    ) -> Option<Value> {
        let old_rows: &[Value] = old.and_then(Value::as_array).map_or(&[], Vec::as_slice);
        let sent: &[Value] = match entry {
            Entry::Malformed => {
                self.error(loc.value(), EXPECTED_FIELD_OBJECT);
                return None;
            }
            Entry::Absent if self.is_add() => &[],
            Entry::Absent => {
                // Kept rows are still checked: a required inner field added later blocks the update.
                self.check_kept_rows(prop, old_rows, loc);
                return Some(Value::Array(old_rows.to_vec()));
            }
            Entry::Present(Value::Null) => &[],
            Entry::Present(Value::Array(rows)) => rows,
            Entry::Present(_) => {
                self.error(loc.value(), EXPECTED_ARRAY);
                return None;
            }
        };
        let mut used_ids: Vec<String> = Vec::new();
        let mut out = Vec::with_capacity(sent.len());
        for (index, row) in sent.iter().enumerate() {
            let cells = match row.get("value") {
                _ if !row.is_object() => None,
                None => Some(Map::new()),
                Some(Value::Object(cells)) => Some(cells.clone()),
                Some(_) => None,
            };
            let Some(cells) = cells else {
                self.error(loc.row(index), EXPECTED_ROW_OBJECT);
                continue;
            };
            let sent_id = row.get("id").and_then(scalar_text);
            // On Add every row is new: cli-kintone sends the row ids of the export it imports.
            let stored = match (&sent_id, self.is_add()) {
                (Some(id), false) if !used_ids.contains(id) => old_rows
                    .iter()
                    .find(|r| row_id(r).as_deref() == Some(id.as_str())),
                _ => None,
            };
            let id = match (stored, sent_id) {
                (Some(_), Some(id)) => id,
                _ => self.resolver.next_row_id().to_string(),
            };
            used_ids.push(id.clone());
            let stored_cells = stored
                .and_then(|r| r.get("value"))
                .and_then(Value::as_object);
            let mut values = Map::new();
            for (code, inner) in prop.fields.iter().flatten() {
                let cell_loc = Loc::cell(&self.ctx.error_prefix, &loc.code, index, code);
                let old_value = stored_cells
                    .and_then(|c| c.get(code))
                    .and_then(|c| c.get("value"));
                let value = self.field(
                    inner,
                    cells.get(code),
                    old_value,
                    &cell_loc,
                    Some(stored.is_none()),
                );
                if let Some(value) = value {
                    values.insert(
                        code.clone(),
                        json!({ "type": inner.field_type.name(), "value": value }),
                    );
                }
            }
            out.push(json!({ "id": id, "value": values }));
        }
        Some(Value::Array(out))
    }

    fn check_kept_rows(&mut self, prop: &FieldProperty, rows: &[Value], loc: &Loc) {
        for (index, row) in rows.iter().enumerate() {
            let cells = row.get("value").and_then(Value::as_object);
            for (code, inner) in prop.fields.iter().flatten() {
                if !inner.is_required() || !matches!(source(inner), Source::Input) {
                    continue;
                }
                if inner.field_type == FieldType::RadioButton {
                    continue;
                }
                let value = cells.and_then(|c| c.get(code)).and_then(|c| c.get("value"));
                if value.is_none_or(is_empty) {
                    let cell_loc = Loc::cell(&self.ctx.error_prefix, &loc.code, index, code);
                    self.error(cell_loc.main(inner.field_type), required());
                }
            }
        }
    }
}

fn row_id(row: &Value) -> Option<String> {
    row.get("id").and_then(scalar_text)
}

fn setting_usize(setting: Option<&str>) -> Option<usize> {
    setting.and_then(|s| s.trim().parse().ok())
}

/// `Required.`, the message of an empty required field.
pub(crate) fn required() -> Message {
    Message::keyed("records.err.required", REQUIRED)
}

fn not_in_options(value: &str) -> Message {
    Message::keyed(
        "records.err.option",
        format!("The value, \"{value}\", is not in options."),
    )
    .arg("v", value)
}

fn unknown_entity(kind: FieldType, code: &str) -> Message {
    let (what, key) = match kind {
        FieldType::OrganizationSelect => ("organization", "records.err.unknown_organization"),
        FieldType::GroupSelect => ("group", "records.err.unknown_group"),
        _ => ("user", "records.err.unknown_user"),
    };
    Message::keyed(
        key,
        format!("The specified {what} (code: {code}) not found."),
    )
    .arg("v", code)
}

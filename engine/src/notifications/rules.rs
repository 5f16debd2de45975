//! kintone's per-app notification settings: `app/notifications/general.json` (who is told of added
//! and edited records, comments, status changes), `perRecord.json` (who is told when a saved record
//! meets a condition) and `reminder.json` (who is told at a time computed from a date or date-time
//! field). They live in the app's definition (`AppDefinition::notifications`, keys `general`,
//! `perRecord`, `reminder`, each in kintone's JSON shape), so they are pre-live until deployed and
//! revert, version and export like every other setting. Only the live definition notifies.
//!
//! `check_*` turn a request body into the stored shape or a `Validation` error per member
//! (`notifications[0].entity.code`, ...); `general`, `per_record` and `reminders` read the stored
//! shape (which was checked when stored) for the consumer and the reminder job.

use chrono::NaiveTime;
use serde_json::{json, Map, Value};

use crate::apps::AppDefinition;
use crate::error::{FieldErrors, UserError};
use crate::fields::FieldType;
use crate::process::settings::{EntityEntry, EntityType};
use crate::query::QueryContext;

pub const GENERAL: &str = "general";
pub const PER_RECORD: &str = "perRecord";
pub const REMINDER: &str = "reminder";

/// The most rules one setting holds (kintone's screens stop well below).
pub const MAX_RULES: usize = 100;
const MAX_TITLE: usize = 200;
/// `daysLater` and `hoursLater` bounds (kintone: −10000..10000 days).
const MAX_DAYS: i64 = 10_000;
const MAX_HOURS: i64 = 240;

/// The event switches of a general rule, in kintone's member names.
pub const GENERAL_EVENTS: [&str; 5] = [
    "recordAdded",
    "recordEdited",
    "commentAdded",
    "statusChanged",
    "fileImported",
];

/// One rule of the general settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneralRule {
    pub entity: EntityEntry,
    /// `recordAdded`, `recordEdited`, ... → on.
    pub events: Map<String, Value>,
}

impl GeneralRule {
    pub fn on(&self, event: &str) -> bool {
        self.events.get(event) == Some(&Value::Bool(true))
    }
}

/// A rule with a condition and targets (per-record and reminder rules).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetedRule {
    pub filter_cond: String,
    pub title: String,
    pub targets: Vec<EntityEntry>,
    /// Reminders only.
    pub timing: Option<Timing>,
}

/// When a reminder fires, relative to the value of a DATE or DATETIME field.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub code: String,
    pub days_later: i64,
    /// DATETIME fields only, instead of `time`.
    pub hours_later: Option<i64>,
    /// `HH:MM` in the reminder time zone.
    pub time: Option<NaiveTime>,
}

/// Who may be named: users, groups and departments must exist.
pub trait EntityCheck {
    fn exists(&mut self, kind: EntityType, code: &str) -> bool;
}

fn stored<'a>(def: &'a AppDefinition, key: &str) -> Option<&'a Map<String, Value>> {
    def.notifications.get(key).and_then(Value::as_object)
}

/// `general.json` as stored (or kintone's empty default), without the revision.
pub fn general_json(def: &AppDefinition) -> Map<String, Value> {
    stored(def, GENERAL).cloned().unwrap_or_else(|| {
        let mut m = Map::new();
        m.insert("notifications".into(), json!([]));
        m.insert("notifyToCommenter".into(), Value::Bool(false));
        m
    })
}

/// `perRecord.json` as stored (or empty), without the revision.
pub fn per_record_json(def: &AppDefinition) -> Map<String, Value> {
    stored(def, PER_RECORD).cloned().unwrap_or_else(|| {
        let mut m = Map::new();
        m.insert("notifications".into(), json!([]));
        m
    })
}

/// `reminder.json` as stored (or empty in `default_tz`), without the revision.
pub fn reminder_json(def: &AppDefinition, default_tz: chrono_tz::Tz) -> Map<String, Value> {
    stored(def, REMINDER).cloned().unwrap_or_else(|| {
        let mut m = Map::new();
        m.insert("notifications".into(), json!([]));
        m.insert("timezone".into(), Value::String(default_tz.name().into()));
        m
    })
}

fn entity_entry(v: &Value) -> Option<EntityEntry> {
    let e = v.get("entity")?;
    let kind = match e.get("type")?.as_str()? {
        "USER" => EntityType::User,
        "GROUP" => EntityType::Group,
        "ORGANIZATION" => EntityType::Organization,
        "FIELD_ENTITY" => EntityType::FieldEntity,
        _ => return None,
    };
    Some(EntityEntry {
        kind,
        code: e.get("code").and_then(Value::as_str).map(str::to_owned),
        include_subs: v.get("includeSubs") == Some(&Value::Bool(true)),
    })
}

/// The live general rules and `notifyToCommenter`.
pub fn general(def: &AppDefinition) -> (Vec<GeneralRule>, bool) {
    let g = general_json(def);
    let rules = list(&g)
        .iter()
        .filter_map(|r| {
            Some(GeneralRule {
                entity: entity_entry(r)?,
                events: r.as_object()?.clone(),
            })
        })
        .collect();
    (
        rules,
        g.get("notifyToCommenter") == Some(&Value::Bool(true)),
    )
}

fn list(m: &Map<String, Value>) -> &[Value] {
    m.get("notifications")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn targeted(v: &Value) -> Option<TargetedRule> {
    let timing = v.get("timing").and_then(|t| {
        Some(Timing {
            code: t.get("code")?.as_str()?.to_owned(),
            days_later: t.get("daysLater").and_then(as_int).unwrap_or(0),
            hours_later: t.get("hoursLater").and_then(as_int),
            time: t
                .get("time")
                .and_then(Value::as_str)
                .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok()),
        })
    });
    Some(TargetedRule {
        filter_cond: v.get("filterCond")?.as_str()?.to_owned(),
        title: v
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        targets: v
            .get("targets")?
            .as_array()?
            .iter()
            .filter_map(entity_entry)
            .collect(),
        timing,
    })
}

/// The live per-record rules, in order (the index names the rule in source keys).
pub fn per_record(def: &AppDefinition) -> Vec<TargetedRule> {
    list(&per_record_json(def))
        .iter()
        .filter_map(targeted)
        .collect()
}

/// The live reminder rules and their time zone.
pub fn reminders(
    def: &AppDefinition,
    default_tz: chrono_tz::Tz,
) -> (Vec<TargetedRule>, chrono_tz::Tz) {
    let r = reminder_json(def, default_tz);
    let tz = r
        .get("timezone")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_tz);
    let rules = list(&r)
        .iter()
        .filter_map(targeted)
        .filter(|r| r.timing.is_some())
        .collect();
    (rules, tz)
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

fn err(errors: &mut FieldErrors, key: String, message: &str) {
    errors
        .entry(key)
        .or_default()
        .push(message.to_owned().into());
}

/// Field types a FIELD_ENTITY target may name: fields that hold users, departments or groups.
fn is_entity_field(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::UserSelect
            | FieldType::OrganizationSelect
            | FieldType::GroupSelect
            | FieldType::Creator
            | FieldType::Modifier
            | FieldType::StatusAssignee
    )
}

/// Checks one `{entity {type, code}, includeSubs}` and returns it normalised.
fn check_entity(
    v: &Value,
    key: &str,
    def: &AppDefinition,
    dir: &mut dyn EntityCheck,
    errors: &mut FieldErrors,
) -> Value {
    let Some(entity) = v.get("entity").and_then(Value::as_object) else {
        err(errors, format!("{key}.entity"), "Required field.");
        return Value::Null;
    };
    let code = entity.get("code").and_then(Value::as_str).unwrap_or("");
    let kind = entity.get("type").and_then(Value::as_str).unwrap_or("");
    let include_subs = match v.get("includeSubs") {
        None | Some(Value::Null) => false,
        Some(x) => as_flag(x).unwrap_or_else(|| {
            err(errors, format!("{key}.includeSubs"), "Enter true or false.");
            false
        }),
    };
    let parsed = match kind {
        "USER" => Some(EntityType::User),
        "GROUP" => Some(EntityType::Group),
        "ORGANIZATION" => Some(EntityType::Organization),
        "FIELD_ENTITY" => Some(EntityType::FieldEntity),
        _ => None,
    };
    let Some(parsed) = parsed else {
        err(
            errors,
            format!("{key}.entity.type"),
            "Enter USER, GROUP, ORGANIZATION or FIELD_ENTITY.",
        );
        return Value::Null;
    };
    if code.is_empty() {
        err(errors, format!("{key}.entity.code"), "Required field.");
        return Value::Null;
    }
    let known = match parsed {
        EntityType::FieldEntity => def
            .field(code)
            .is_some_and(|f| f.subtable.is_none() && is_entity_field(f.property.field_type)),
        other => dir.exists(other, code),
    };
    if !known {
        let message = if parsed == EntityType::FieldEntity {
            "The field does not exist or does not hold users, departments or groups."
        } else {
            "The user, group or department does not exist."
        };
        err(errors, format!("{key}.entity.code"), message);
    }
    json!({"entity": {"type": kind, "code": code}, "includeSubs": include_subs})
}

fn rules_list<'a>(
    body: &'a Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<&'a Vec<Value>> {
    match body.get("notifications") {
        None => None,
        Some(Value::Array(a)) if a.len() <= MAX_RULES => Some(a),
        Some(Value::Array(_)) => {
            err(
                errors,
                "notifications".into(),
                &format!("Specify at most {MAX_RULES} notifications."),
            );
            None
        }
        Some(_) => {
            err(errors, "notifications".into(), "Enter an array.");
            None
        }
    }
}

fn finish(errors: FieldErrors, out: Map<String, Value>) -> Result<Value, UserError> {
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(UserError::Validation(errors))
    }
}

/// `PUT preview/app/notifications/general.json`: members left out keep their pre-live value.
pub fn check_general(
    body: &Map<String, Value>,
    def: &AppDefinition,
    dir: &mut dyn EntityCheck,
) -> Result<Value, UserError> {
    let mut errors = FieldErrors::new();
    let mut out = general_json(def);
    if let Some(rules) = rules_list(body, &mut errors) {
        let mut list = Vec::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            let key = format!("notifications[{i}]");
            let mut entry = check_entity(r, &key, def, dir, &mut errors);
            for event in GENERAL_EVENTS {
                let on = match r.get(event) {
                    None | Some(Value::Null) => false,
                    Some(v) => as_flag(v).unwrap_or_else(|| {
                        err(
                            &mut errors,
                            format!("{key}.{event}"),
                            "Enter true or false.",
                        );
                        false
                    }),
                };
                if let Value::Object(m) = &mut entry {
                    m.insert(event.into(), Value::Bool(on));
                }
            }
            list.push(entry);
        }
        out.insert("notifications".into(), Value::Array(list));
    }
    match body.get("notifyToCommenter") {
        None | Some(Value::Null) => {}
        Some(v) => match as_flag(v) {
            Some(b) => {
                out.insert("notifyToCommenter".into(), Value::Bool(b));
            }
            None => err(
                &mut errors,
                "notifyToCommenter".into(),
                "Enter true or false.",
            ),
        },
    }
    finish(errors, out)
}

fn check_title_cond_targets(
    r: &Value,
    key: &str,
    def: &AppDefinition,
    dir: &mut dyn EntityCheck,
    ctx: &QueryContext<'_>,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut m = Map::new();
    let cond = match r.get("filterCond") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            err(errors, format!("{key}.filterCond"), "Enter a query.");
            String::new()
        }
    };
    if !cond.trim().is_empty() {
        match crate::query::prepare(&cond, ctx) {
            Ok(q) if q.order_by.is_empty() && q.limit.is_none() && q.offset.is_none() => {}
            Ok(_) => err(
                errors,
                format!("{key}.filterCond"),
                "A condition cannot have order by, limit or offset.",
            ),
            Err(e) => err(errors, format!("{key}.filterCond"), &e.to_string()),
        }
    }
    let title = match r.get("title") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= MAX_TITLE => s.clone(),
        Some(Value::String(_)) => {
            err(
                errors,
                format!("{key}.title"),
                &format!("Enter at most {MAX_TITLE} characters."),
            );
            String::new()
        }
        Some(_) => {
            err(errors, format!("{key}.title"), "Enter a text.");
            String::new()
        }
    };
    let targets = match r.get("targets") {
        Some(Value::Array(t)) if !t.is_empty() => t
            .iter()
            .enumerate()
            .map(|(j, t)| check_entity(t, &format!("{key}.targets[{j}]"), def, dir, errors))
            .collect(),
        _ => {
            err(errors, format!("{key}.targets"), "Required field.");
            Vec::new()
        }
    };
    m.insert("filterCond".into(), Value::String(cond));
    m.insert("title".into(), Value::String(title));
    m.insert("targets".into(), Value::Array(targets));
    m
}

/// `PUT preview/app/notifications/perRecord.json`: `notifications` replaces the list.
pub fn check_per_record(
    body: &Map<String, Value>,
    def: &AppDefinition,
    dir: &mut dyn EntityCheck,
    ctx: &QueryContext<'_>,
) -> Result<Value, UserError> {
    let mut errors = FieldErrors::new();
    let mut out = per_record_json(def);
    if let Some(rules) = rules_list(body, &mut errors) {
        let list = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let key = format!("notifications[{i}]");
                Value::Object(check_title_cond_targets(
                    r,
                    &key,
                    def,
                    dir,
                    ctx,
                    &mut errors,
                ))
            })
            .collect();
        out.insert("notifications".into(), Value::Array(list));
    }
    finish(errors, out)
}

fn check_timing(
    t: Option<&Value>,
    key: &str,
    def: &AppDefinition,
    errors: &mut FieldErrors,
) -> Value {
    let key = format!("{key}.timing");
    let Some(t) = t.and_then(Value::as_object) else {
        err(errors, key, "Required field.");
        return Value::Null;
    };
    let code = t.get("code").and_then(Value::as_str).unwrap_or("");
    let field_type = def
        .field(code)
        .filter(|f| f.subtable.is_none())
        .map(|f| f.property.field_type);
    let is_datetime = matches!(
        field_type,
        Some(FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime)
    );
    if !is_datetime && field_type != Some(FieldType::Date) {
        err(
            errors,
            format!("{key}.code"),
            "Specify a date or date and time field of the app.",
        );
    }
    let days = match t.get("daysLater") {
        None | Some(Value::Null) => 0,
        Some(v) => match as_int(v) {
            Some(d) if d.abs() <= MAX_DAYS => d,
            _ => {
                err(
                    errors,
                    format!("{key}.daysLater"),
                    &format!("Enter an integer between -{MAX_DAYS} and {MAX_DAYS}."),
                );
                0
            }
        },
    };
    let hours = match t.get("hoursLater") {
        None | Some(Value::Null) => None,
        Some(v) => match as_int(v) {
            Some(h) if h.abs() <= MAX_HOURS => Some(h),
            _ => {
                err(
                    errors,
                    format!("{key}.hoursLater"),
                    &format!("Enter an integer between -{MAX_HOURS} and {MAX_HOURS}."),
                );
                None
            }
        },
    };
    let time = match t.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match NaiveTime::parse_from_str(s, "%H:%M") {
            Ok(tm) if chrono::Timelike::minute(&tm) % 30 == 0 => Some(s.clone()),
            _ => {
                err(
                    errors,
                    format!("{key}.time"),
                    "Enter a time in HH:MM, on the hour or the half hour.",
                );
                None
            }
        },
        Some(_) => {
            err(errors, format!("{key}.time"), "Enter a time in HH:MM.");
            None
        }
    };
    if hours.is_some() && time.is_some() {
        err(
            errors,
            format!("{key}.time"),
            "Specify either hoursLater or time, not both.",
        );
    }
    if hours.is_some() && !is_datetime {
        err(
            errors,
            format!("{key}.hoursLater"),
            "Only a date and time field takes hoursLater.",
        );
    }
    let mut m = Map::new();
    m.insert("code".into(), Value::String(code.into()));
    m.insert("daysLater".into(), Value::String(days.to_string()));
    if let Some(h) = hours {
        m.insert("hoursLater".into(), Value::String(h.to_string()));
    } else {
        // A DATE field fires at `time` (midnight when left out), as kintone does.
        m.insert(
            "time".into(),
            Value::String(time.unwrap_or_else(|| "00:00".into())),
        );
    }
    Value::Object(m)
}

/// `PUT preview/app/notifications/reminder.json`: `notifications` replaces the list; `timezone`
/// (an IANA name) is kept when left out.
pub fn check_reminder(
    body: &Map<String, Value>,
    def: &AppDefinition,
    dir: &mut dyn EntityCheck,
    ctx: &QueryContext<'_>,
    default_tz: chrono_tz::Tz,
) -> Result<Value, UserError> {
    let mut errors = FieldErrors::new();
    let mut out = reminder_json(def, default_tz);
    if let Some(rules) = rules_list(body, &mut errors) {
        let list = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let key = format!("notifications[{i}]");
                let timing = check_timing(r.get("timing"), &key, def, &mut errors);
                let mut m = Map::new();
                m.insert("timing".into(), timing);
                m.extend(check_title_cond_targets(
                    r,
                    &key,
                    def,
                    dir,
                    ctx,
                    &mut errors,
                ));
                Value::Object(m)
            })
            .collect();
        out.insert("notifications".into(), Value::Array(list));
    }
    match body.get("timezone") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.parse::<chrono_tz::Tz>().is_ok() => {
            out.insert("timezone".into(), Value::String(s.clone()));
        }
        Some(_) => err(
            &mut errors,
            "timezone".into(),
            "Enter a time zone (e.g. Asia/Tokyo).",
        ),
    }
    finish(errors, out)
}

//! Kumiki's own APIs for the record pages (`/api/<name>.json`, dispatched as `kumiki/<name>`): the user
//! list for pickers and mentions (with partial matching), live calculation of CALC (and auto-calculated text) fields while a
//! form is being typed, and a record's change history with field labels and actor names.

use std::collections::HashMap;

use kumiki_engine::acl::AppRight;
use kumiki_engine::fields::formula::compute_record;
use kumiki_engine::query::fold::fold;
use kumiki_engine::records::{get_record, history::list_history};
use kumiki_engine::users::User;
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// `GET /api/users.json?q=` → `{users: [{code, name}]}`, by code. Signed-in users only: an API token
/// belongs to an app, not to someone who picks people. With `q`, only users whose login or name
/// contains it (see [`matches`]), exact matches first.
pub fn list_users(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    signed_in(call)?;
    // Issue 13, guests: a guest sees only the members of its guest space (docs/guests.md G5).
    let people = call.acting.visible_people(call.conn)?;
    let entries = User::list(call.conn)?
        .into_iter()
        .filter(|u| people.allows(&u.code, u.is_guest))
        .map(|u| (u.code, u.name))
        .collect();
    Ok(json!({ "users": filtered(entries, p)? }))
}

fn signed_in(call: &Call) -> Result<(), ApiError> {
    if call.caller.principal.is_token() {
        return Err(ApiError::no_privilege());
    }
    Ok(())
}

/// `(code, name)` pairs as `[{code, name}]`, narrowed to those matching `q` when it is given:
/// exact matches (code or name) first, then partial ones, each in the given order.
fn filtered(entries: Vec<(String, String)>, p: &Params) -> Result<Vec<Value>, ApiError> {
    let q = p.opt_str("q")?.map(|q| picker_fold(&q)).unwrap_or_default();
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    for (code, name) in entries {
        let entry = json!({"code": code, "name": name});
        if q.is_empty() {
            partial.push(entry);
            continue;
        }
        match matches(&q, &code, &name) {
            Some(true) => exact.push(entry),
            Some(false) => partial.push(entry),
            None => {}
        }
    }
    exact.extend(partial);
    Ok(exact)
}

/// Whether the folded query `q` names `code` or `name`: `Some(true)` for the whole of one of them,
/// `Some(false)` for a part, `None` otherwise. So 「田中」 finds 田中 花子 and 田中 一郎, and
/// 「ｔａｎａｋａ」 finds the login tanaka.
fn matches(q: &str, code: &str, name: &str) -> Option<bool> {
    let (code, name) = (picker_fold(code), picker_fold(name));
    if code == q || name == q {
        Some(true)
    } else if code.contains(q) || name.contains(q) {
        Some(false)
    } else {
        None
    }
}

/// The folding of the search index and `like` (width, case), plus katakana as hiragana and no
/// white space, so 「サトウ」 finds さとう and 「佐藤一郎」 finds 佐藤 一郎.
fn picker_fold(text: &str) -> String {
    fold(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{30a1}'..='\u{30f6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// `POST /api/record/calc.json {app, record}` → `{record}`: the record as sent (kintone write shape,
/// `{code: {value}}`) with every calculated field filled from the live definition. Nothing is stored
/// or validated; a formula that cannot be evaluated gives `""`, as on save.
pub fn calc(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let input = match p.get("record") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::invalid("record", "Enter an object.")),
    };
    // The engine reads top-level values bare (subtables as their row arrays) and rows' cells wrapped.
    let mut values = Map::new();
    for (code, v) in &input {
        let bare = match v {
            Value::Object(o) if o.contains_key("value") => {
                o.get("value").cloned().unwrap_or(Value::Null)
            }
            other => other.clone(),
        };
        values.insert(code.clone(), bare);
    }
    compute_record(&app.definition, &mut values, call.caller.timezone);
    let record: Map<String, Value> = values
        .into_iter()
        // Fields the caller may not view are left out, whoever created the record.
        .filter(|(code, _)| app.access.field_queryable(&app.definition, code))
        .map(|(code, v)| (code, json!({ "value": v })))
        .collect();
    Ok(json!({ "record": record }))
}

/// `GET /api/record/history.json?app&id` → `{history: [{revision, action, actor{code,name}, at,
/// changes[{field, label, type, old, new}], processAction}]}`, newest first (`processAction`: the
/// process action a `STATUS` entry ran, else null). A missing record is `GAIA_RE01`.
pub fn history(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = call.live_app(p.i64("app")?, AppRight::View)?;
    let id = p.i64("id")?;
    let record = get_record(call.conn, &app, id)?;
    let entries = list_history(call.conn, &app, &record)?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if !names.contains_key(&e.actor) {
            let name = User::find_by_code(call.conn, &e.actor)?
                .map(|u| u.name)
                .unwrap_or_else(|| e.actor.clone());
            names.insert(e.actor.clone(), name);
        }
        let name = names.get(&e.actor).cloned().unwrap_or_default();
        let changes: Vec<Value> = e
            .changes
            .iter()
            // `list_history` left out the changes of fields the caller may not view now.
            .map(|c| {
                let field = app.definition.field(&c.field);
                json!({
                    "field": c.field,
                    // A field removed since keeps its code as its label.
                    "label": field.map(|f| f.property.label.clone()).unwrap_or_else(|| c.field.clone()),
                    "type": field.map(|f| f.property.field_type.name()),
                    "old": c.old,
                    "new": c.new,
                })
            })
            .collect();
        out.push(json!({
            "revision": e.revision.to_string(),
            "action": e.action,
            "actor": {"code": e.actor, "name": name},
            "at": chrono::DateTime::from_timestamp(e.at, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            "changes": changes,
            "processAction": e.process_action,
        }));
    }
    Ok(json!({ "history": out }))
}

/// `POST /api/app/visit.json {app}` → `{}`: the signed-in user opened the app's record list, for the
/// portal's "recently used apps". The record pages send it from their script, because showing a
/// page (a GET) must not write. Users only; the app must be one they may view (`GAIA_AP01`/`CB_NO02`
/// otherwise, as for any call).
pub fn visit(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let kumiki_engine::acl::Principal::User { code, .. } = &call.caller.principal else {
        return Err(ApiError::no_privilege());
    };
    let code = code.clone();
    let app = p.i64("app")?;
    call.app_row(app, AppRight::View)?;
    kumiki_engine::sessions::touch_recent_app(call.conn, &code, app)?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_and_logins_match_across_widths_and_kana() {
        let q = picker_fold("田中");
        assert_eq!(matches(&q, "tanaka", "田中 花子"), Some(false));
        assert_eq!(
            matches(&picker_fold("ｔａｎａｋａ"), "tanaka", "田中 花子"),
            Some(true)
        );
        assert_eq!(
            matches(&picker_fold("田中花子"), "tanaka", "田中 花子"),
            Some(true)
        );
        assert_eq!(
            matches(&picker_fold("サトウ"), "sato", "さとう 一郎"),
            Some(false)
        );
        assert_eq!(
            matches(&picker_fold("ｻﾄｳ"), "sato", "さとう 一郎"),
            Some(false)
        );
        assert_eq!(matches(&q, "sato", "佐藤 一郎"), None);
    }
}

//! Issue 14, survey relay (調査照会): Kumiki's `/api/surveys*.json` calls (guests through
//! `/api/guest/<space>/surveys/...`). Handlers only translate parameters; the use cases, their
//! rights (`kumiki_engine::surveys::access`) and audit rows are in `kumiki_engine::surveys`.
//! Documented in docs/api.md "Surveys (issue 14)".

use kumiki_engine::surveys::answers::{self, AnswerInput};
use kumiki_engine::surveys::store::{self, SheetInput, SurveyInput};
use kumiki_engine::surveys::{broadcast, lists, Recipient};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::{as_i64, Params};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

/// Epoch seconds of an RFC 3339 time.
pub(super) fn time_of(key: &str, v: &Value) -> Result<i64, ApiError> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| t.timestamp())
        .ok_or_else(|| {
            ApiError::invalid(
                key,
                r#"The value must be a date and time in the "YYYY-MM-DDTHH:MM:SSZ" format (or with a "±HH:MM" offset)."#,
            )
        })
}

fn strings(key: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    match v {
        Value::Array(list) => list
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Object(o) => o
                    .get("code")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::invalid(key, "Enter a list of codes.")),
                _ => Err(ApiError::invalid(key, "Enter a list of codes.")),
            })
            .collect(),
        _ => Err(ApiError::invalid(key, "Enter a list of codes.")),
    }
}

fn file_keys(key: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    match v {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.get("fileKey")
                    .and_then(Value::as_str)
                    .or_else(|| f.as_str())
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::invalid(&format!("{key}[{i}].fileKey"), "Required field.")
                    })
            })
            .collect(),
        _ => Err(ApiError::invalid(key, "Enter a list.")),
    }
}

pub(super) fn recipients_of(v: &Value) -> Result<Vec<Recipient>, ApiError> {
    let Value::Array(list) = v else {
        return Err(ApiError::invalid("recipients", "Enter a list."));
    };
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            let kind = r.get("kind").and_then(Value::as_str).unwrap_or_default();
            let code = match r.get("code") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            if kind.is_empty() || code.is_empty() {
                return Err(ApiError::invalid(
                    &format!("recipients[{i}]"),
                    "Enter a kind (space, department or list) and a code.",
                ));
            }
            let contacts = match r.get("contacts") {
                None | Some(Value::Null) => None,
                Some(c) => Some(strings(&format!("recipients[{i}].contacts"), c)?),
            };
            Ok(Recipient {
                kind: kind.to_owned(),
                code,
                contacts,
            })
        })
        .collect()
}

fn survey_input(p: &Params) -> Result<SurveyInput, ApiError> {
    let mut input = SurveyInput {
        title: p.opt_str("title")?,
        body: p.opt_str("body")?,
        ..SurveyInput::default()
    };
    if let Some(v) = p.get("dueAt") {
        input.due_at = Some(time_of("dueAt", v)?);
    }
    if let Some(v) = p.get("attachments") {
        input.attachments = Some(file_keys("attachments", v)?);
    }
    if let Some(v) = p.get("fields") {
        input.fields = Some(v.clone());
    }
    match p.0.get("sheet") {
        None => {}
        Some(Value::Null) => input.sheet = Some(None),
        Some(Value::Object(o)) => {
            let key = o
                .get("fileKey")
                .or_else(|| o.get("templateFileKey"))
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| ApiError::invalid("sheet.fileKey", "Required field."))?;
            let mut spec: Map<String, Value> = o.clone();
            spec.remove("fileKey");
            spec.remove("templateFileKey");
            spec.remove("templateName");
            spec.remove("template");
            input.sheet = Some(Some(SheetInput {
                file_key: key.to_owned(),
                spec,
            }));
        }
        Some(_) => return Err(ApiError::invalid("sheet", "Enter an object or null.")),
    }
    if let Some(v) = p.get("recipients") {
        input.recipients = Some(recipients_of(v)?);
    }
    if let Some(v) = p.get("owners") {
        input.owners = Some(strings("owners", v)?);
    }
    if let Some(v) = p.get("reminders") {
        let Value::Array(list) = v else {
            return Err(ApiError::invalid("reminders", "Enter a list of days."));
        };
        input.reminders = Some(
            list.iter()
                .map(|d| {
                    as_i64(d).ok_or_else(|| ApiError::invalid("reminders", "Enter a list of days."))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    Ok(input)
}

/// `GET /api/surveys.json?box=sent|received&q=&offset=&limit=`.
pub fn list_surveys(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let which = match p.opt_str("box")?.as_deref() {
        None | Some("sent") => store::Box::Sent,
        Some("received") => store::Box::Received,
        Some(_) => return Err(ApiError::invalid("box", "Enter sent or received.")),
    };
    // A guest has only a received box.
    let which = if call.acting.principal().is_guest() {
        store::Box::Received
    } else {
        which
    };
    let limit = p.opt_i64("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "Enter a number from 1 to 100."));
    }
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "Enter 0 or more."));
    }
    let q = p.opt_str("q")?;
    Ok(store::list(
        call.conn,
        call.acting,
        which,
        q.as_deref(),
        offset,
        limit,
    )?)
}

/// `POST /api/surveys/survey.json` → `{id}` (a draft).
pub fn create_survey(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let input = survey_input(p)?;
    let id = store::create(call.conn, call.acting, &input)?;
    Ok(json!({"id": id}))
}

/// `PUT /api/surveys/survey.json` `{id, ...}` (drafts only).
pub fn update_survey(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let input = survey_input(p)?;
    store::update(call.conn, call.acting, id, &input)?;
    Ok(json!({}))
}

/// `GET /api/surveys/survey.json?id=`.
pub fn get_survey(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    Ok(store::get(call.conn, call.acting, p.i64("id")?)?)
}

/// `DELETE /api/surveys/survey.json` `{id}` (drafts only).
pub fn delete_survey(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    store::delete(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

/// `POST /api/surveys/sheet/inspect.json` `{fileKey, mode?}` → the proposed sheet spec.
pub fn inspect_sheet(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let key = p
        .opt_str("fileKey")?
        .ok_or_else(|| ApiError::invalid("fileKey", "Required field."))?;
    let mode = p.opt_str("mode")?;
    let storage = kumiki_engine::surveys::store::own_upload(call.conn, call.acting, &key)?;
    let local = call.state.files.open_local(call.conn, &storage)?;
    let spec = kumiki_engine::surveys::sheet::inspect_template(local.path(), mode.as_deref())?;
    serde_json::to_value(spec).map_err(ApiError::internal_because)
}

/// `POST /api/surveys/send.json` `{id}` → `{answers: n}`.
pub fn send(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let n = broadcast::send(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({"answers": n}))
}

/// `GET /api/surveys/answers.json?id=&sort=&order=` (owners: the dashboard).
pub fn dashboard(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let sort = p.opt_str("sort")?;
    if let Some(s) = &sort {
        if !matches!(
            s.as_str(),
            "state" | "organisation" | "openedAt" | "submittedAt"
        ) {
            return Err(ApiError::invalid(
                "sort",
                "Enter state, organisation, openedAt or submittedAt.",
            ));
        }
    }
    let descending = match p.opt_str("order")?.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid("order", "Enter asc or desc.")),
    };
    Ok(answers::dashboard(
        call.conn,
        call.acting,
        p.i64("id")?,
        sort.as_deref(),
        descending,
    )?)
}

/// `GET /api/surveys/answer.json?id=` (marks opened on a member's first view).
pub fn get_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    Ok(answers::open(call.conn, call.acting, p.i64("id")?)?)
}

fn answer_input(p: &Params) -> Result<AnswerInput, ApiError> {
    let values = match p.0.get("values") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(_) => return Err(ApiError::invalid("values", "Enter an object.")),
    };
    Ok(AnswerInput {
        values,
        sheet_file_key: p.opt_str("sheetFileKey")?.filter(|k| !k.is_empty()),
    })
}

/// `PUT /api/surveys/answer.json` `{id, values?, sheetFileKey?}` → `{revision}`.
pub fn save_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let input = answer_input(p)?;
    let revision = answers::save(
        call.conn,
        call.acting,
        p.i64("id")?,
        &input,
        &call.state.files,
    )?;
    Ok(json!({"revision": revision}))
}

/// `POST /api/surveys/answer/submit.json` `{id, values?, sheetFileKey?}` → `{revision}`.
pub fn submit_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let input = answer_input(p)?;
    let revision = answers::submit(
        call.conn,
        call.acting,
        p.i64("id")?,
        &input,
        &call.state.files,
    )?;
    Ok(json!({"revision": revision}))
}

/// `POST /api/surveys/answer/return.json` `{id, comment}` (owners).
pub fn return_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let comment = p.opt_str("comment")?.unwrap_or_default();
    answers::return_answer(call.conn, call.acting, p.i64("id")?, &comment)?;
    Ok(json!({}))
}

/// `POST /api/surveys/answer/accept.json` `{id}` (owners).
pub fn accept_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    answers::accept(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

/// `PUT /api/surveys/answer/deadline.json` `{id, dueAt}` (owners; `dueAt: null` goes back to the
/// survey's due time).
pub fn set_deadline(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let due = match p.get("dueAt") {
        None => return Err(ApiError::invalid("dueAt", "Required field.")),
        Some(v) => Some(time_of("dueAt", v)?),
    };
    answers::set_deadline(call.conn, call.acting, p.i64("id")?, due)?;
    Ok(json!({}))
}

/// `POST /api/surveys/remind.json` `{id, answers?}` → `{reminded: n}` (owners).
pub fn remind(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let only: Option<Vec<i64>> = match p.get("answers") {
        None => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|v| as_i64(v).ok_or_else(|| ApiError::invalid("answers", "Enter answer ids.")))
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(ApiError::invalid("answers", "Enter answer ids.")),
    };
    let n = broadcast::remind(call.conn, call.acting, p.i64("id")?, only.as_deref())?;
    Ok(json!({"reminded": n}))
}

/// `POST /api/surveys/close.json` `{id}` (owners).
pub fn close(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    answers::close(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

/// `GET /api/surveys/organisations.json` (choosable recipients with default contacts).
pub fn organisations(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    Ok(store::organisations(call.conn, call.acting)?)
}

fn entries_of(p: &Params) -> Result<Option<Vec<(String, String)>>, ApiError> {
    let Some(v) = p.get("entries") else {
        return Ok(None);
    };
    let Value::Array(list) = v else {
        return Err(ApiError::invalid("entries", "Enter a list."));
    };
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            let kind = e.get("kind").and_then(Value::as_str).unwrap_or_default();
            let code = match e.get("code") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            if kind.is_empty() || code.is_empty() {
                return Err(ApiError::invalid(
                    &format!("entries[{i}]"),
                    "Enter a kind (space or department) and a code.",
                ));
            }
            Ok((kind.to_owned(), code))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `GET /api/surveys/lists.json` → `{lists}`.
pub fn get_lists(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    Ok(lists::list(call.conn, call.acting)?)
}

/// `POST /api/surveys/lists.json` `{name, entries}` → `{id}`.
pub fn add_list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let name = p.opt_str("name")?.unwrap_or_default();
    let entries = entries_of(p)?.unwrap_or_default();
    let id = lists::create(call.conn, call.acting, &name, &entries)?;
    Ok(json!({"id": id}))
}

/// `PUT /api/surveys/lists.json` `{id, name?, entries?}`.
pub fn update_list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let name = p.opt_str("name")?;
    let entries = entries_of(p)?;
    lists::update(
        call.conn,
        call.acting,
        p.i64("id")?,
        name.as_deref(),
        entries.as_deref(),
    )?;
    Ok(json!({}))
}

/// `DELETE /api/surveys/lists.json` `{id}`.
pub fn delete_list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    lists::delete(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

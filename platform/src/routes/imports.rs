//! Record imports from CSV/XLSX (our extension, issue 16; `kumiki_engine::import`, docs/import.md).
//! The file is first uploaded through `file.json` (authenticated before the body is read, streamed
//! to disk), then:
//! - `POST /api/records/import.json {app, fileKey, encoding?, sheet?, settings?}` → the import:
//!   `{id, format, encoding, sheets, headers, fields, mapping, preview, report}`;
//! - `PUT /api/records/import.json {id, encoding?, sheet?, settings?}` → the same, checked again;
//! - `POST /api/records/import/run.json {id}` → checks once more and plans the import as a durable
//!   job (refused while the report has errors): `{id, state: "queued", ...}`;
//! - `GET /api/records/import.json?id=` → state, counts, report and, while this node writes it,
//!   `progress {done, total, rate, secondsLeft}`; `?app=` → the caller's unfinished imports of
//!   the app (`{active: [...]}`).
//!
//! `settings` is `{mapping: [fieldCode|"$start"|null per column], mode: "add"|"update", key}`.
//! Report entries carry their catalog `key` and `args` and the `message` in the caller's language.
//! Only signed-in users import (not API tokens): the job acts as the user who asked.

use kumiki_engine::apps::AppId;
use kumiki_engine::import::session::{self, Choices};
use kumiki_engine::import::ImportSettings;
use serde_json::Value;

use super::call::Call;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::params::Params;

fn choices(p: &Params) -> Result<Choices, ApiError> {
    let settings = match p.get("settings") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<ImportSettings>(v.clone())
                .map_err(|_| ApiError::invalid("settings", "Enter mapping, mode and key."))?,
        ),
    };
    Ok(Choices {
        encoding: p.opt_str("encoding")?,
        sheet: p.opt_str("sheet")?,
        settings,
    })
}

/// Adds `message` (the entry's text in the caller's language) to every report entry.
fn localize(call: &Call, mut v: Value) -> Value {
    let lang = Lang::parse(&call.caller.locale).unwrap_or(Lang::Ja);
    let Some(report) = v.get_mut("report") else {
        return v;
    };
    for list in ["errors", "conversions"] {
        let Some(Value::Array(entries)) = report.get_mut(list) else {
            continue;
        };
        for e in entries {
            let text = entry_message(e, lang);
            if let Value::Object(m) = e {
                m.insert("message".into(), Value::String(text));
            }
        }
    }
    v
}

/// An entry's message rendered from its stored key and arguments (its English text without a key).
fn entry_message(e: &Value, lang: Lang) -> String {
    let text = e.get("text").and_then(Value::as_str).unwrap_or_default();
    let Some(key) = e
        .get("key")
        .and_then(Value::as_str)
        .filter(|k| i18n::messages(lang).contains_key(*k))
    else {
        return text.to_owned();
    };
    let args: Vec<(&str, &str)> = match e.get("args") {
        Some(Value::Object(args)) => args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    };
    i18n::format(lang, key, &args)
}

pub fn open(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = AppId(p.i64("app")?);
    let key = p
        .opt_str("fileKey")?
        .ok_or_else(|| ApiError::invalid("fileKey", "Required field."))?;
    let choices = choices(p)?;
    let actor = call.actor();
    let v = session::open(
        call.conn,
        call.acting,
        &actor,
        &call.state.files,
        app,
        &key,
        &choices,
    )?;
    Ok(localize(call, v))
}

pub fn change(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let choices = choices(p)?;
    let actor = call.actor();
    let v = session::change(
        call.conn,
        call.acting,
        &actor,
        &call.state.files,
        id,
        &choices,
    )?;
    Ok(localize(call, v))
}

pub fn run(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let v = session::run(call.conn, call.acting, id)?;
    Ok(localize(call, v))
}

pub fn status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if p.get("id").is_none() {
        let app = AppId(p.i64("app")?);
        return Ok(session::active(call.conn, call.acting, app)?);
    }
    let id = p.i64("id")?;
    let mut v = session::status(call.conn, call.acting, id)?;
    if let (Some(progress), Value::Object(m)) = (call.state.imports.progress.json(id), &mut v) {
        m.insert("progress".into(), progress);
    }
    Ok(localize(call, v))
}

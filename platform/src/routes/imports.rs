//! Record imports from CSV/XLSX (our extension, issue 16; `kumiki_engine::import`). The file is
//! first uploaded through `file.json` (authenticated before the body is read, streamed to disk),
//! then:
//! - `POST /api/records/import.json {app, fileKey, encoding?, sheet?, settings?}` → the import:
//!   `{id, format, encoding, sheets, headers, mapping, preview, report}`;
//! - `PUT /api/records/import.json {id, encoding?, sheet?, settings?}` → the same, checked again;
//! - `POST /api/records/import/run.json {id}` → writes all records or none (refused while the
//!   report has errors);
//! - `GET /api/records/import.json {id}` → state, counts and report.
//!
//! `settings` is `{mapping: [fieldCode|"$start"|null per column], mode: "add"|"update", key}`.

use kumiki_engine::apps::AppId;
use kumiki_engine::import::session::{self, Choices};
use kumiki_engine::import::ImportSettings;
use serde_json::Value;

use super::call::Call;
use crate::error::ApiError;
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

fn id_of(p: &Params) -> Result<i64, ApiError> {
    p.i64("id")
}

pub fn open(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = AppId(p.i64("app")?);
    let key = p
        .opt_str("fileKey")?
        .ok_or_else(|| ApiError::invalid("fileKey", "Required field."))?;
    let choices = choices(p)?;
    Ok(session::open(
        call.conn,
        call.acting,
        &call.state.files,
        app,
        &key,
        &choices,
    )?)
}

pub fn change(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = id_of(p)?;
    let choices = choices(p)?;
    Ok(session::change(
        call.conn,
        call.acting,
        &call.state.files,
        id,
        &choices,
    )?)
}

pub fn run(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = id_of(p)?;
    Ok(session::run(call.conn, call.acting, &call.state.files, id)?)
}

pub fn status(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = id_of(p)?;
    Ok(session::status(call.conn, call.acting, id)?)
}

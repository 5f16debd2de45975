//! Issue 16, dashboards: `/api/dashboard/pins.json` — list (GET `scope`, `space`), add (POST
//! `scope`, `space`, `kind`, `app`, `item`, `rows`), move (PUT `id`, `index`) and remove (DELETE
//! `id`) the pins of a board. Who may do what is the engine's (`dashboards::Board`).

use kumiki_engine::apps::AppId;
use kumiki_engine::dashboards::{self, Board, Kind, NewPin, Pin};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

fn pin_json(p: &Pin) -> Value {
    let space = match &p.board {
        Board::Space(id) => Some(id.to_string()),
        _ => None,
    };
    json!({
        "id": p.id.to_string(),
        "scope": p.board.scope(),
        "space": space,
        "kind": p.kind.name(),
        "app": p.app.0.to_string(),
        "item": p.item,
        "rows": p.rows.to_string(),
        "createdBy": p.created_by,
    })
}

fn board(call: &Call, p: &Params) -> Result<Board, ApiError> {
    let scope = p.opt_str("scope")?.unwrap_or_else(|| "USER".to_owned());
    Ok(Board::named(call.acting, &scope, p.opt_i64("space")?)?)
}

/// `{pins: [{id, scope, space, kind, app, item, rows, createdBy}]}` of one board.
pub fn list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let board = board(call, p)?;
    let pins = dashboards::list(call.conn, call.acting, &board)?;
    Ok(json!({"pins": pins.iter().map(pin_json).collect::<Vec<_>>()}))
}

/// `{id}` of the new pin.
pub fn add(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let board = board(call, p)?;
    let kind = p
        .opt_str("kind")?
        .ok_or_else(|| ApiError::invalid("kind", "Required field."))?;
    let kind =
        Kind::parse(&kind).ok_or_else(|| ApiError::invalid("kind", "Enter CHART or LIST."))?;
    let item = match p.get("item") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(ApiError::invalid("item", "Enter a report or view id.")),
    };
    let new = NewPin {
        kind,
        app: AppId(p.i64("app")?),
        item,
        rows: p.opt_i64("rows")?,
    };
    let pin = dashboards::add(call.conn, call.acting, &board, &new)?;
    Ok(json!({"id": pin.id.to_string()}))
}

/// `{pins}` of the pin's board in the new order.
pub fn move_pin(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let index = p.i64("index")?;
    let index =
        usize::try_from(index).map_err(|_| ApiError::invalid("index", "Enter 0 or more."))?;
    let pins = dashboards::move_to(call.conn, call.acting, id, index)?;
    Ok(json!({"pins": pins.iter().map(pin_json).collect::<Vec<_>>()}))
}

/// `{}`.
pub fn remove(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    dashboards::remove(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

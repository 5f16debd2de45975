//! `GET /admin/guests`: guest users for system administrators (issue 13, docs/guests.md): the list
//! with company, division, state and guest spaces; a form to add one (e-mail address as login,
//! password, name, company, division, time zone) and a delete button per guest. The forms go
//! through `POST`/`DELETE /api/guests.json` (`routes/guests.rs`, the same rules and audit as
//! kintone's `guests.json`) from `static/admin.js`, like the other admin pages.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::guests::{list_guests, GuestSummary};
use serde::Serialize;
use serde_json::Value;

use super::admin::{require_admin, show};
use super::session::SessionUser;
use crate::error::ApiError;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct Row {
    code: String,
    name: String,
    company: String,
    division: String,
    active: bool,
    spaces: String,
}

#[derive(Serialize)]
struct GuestsData {
    guests: Vec<Row>,
}

fn load(state: &AppState, user: &SessionUser) -> Result<(GuestsData, Value), ApiError> {
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    let guests = list_guests(&acting, &mut conn)?
        .into_iter()
        .map(|g: GuestSummary| Row {
            spaces: g
                .spaces
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            code: g.code,
            name: g.name,
            company: g.company,
            division: g.division,
            active: g.active,
        })
        .collect();
    Ok((GuestsData { guests }, Value::Null))
}

/// `GET /admin/guests`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let u = user.clone();
    let loaded = blocking(move || load(&st, &u)).await;
    show(&state, &user, loaded, "admin_guests", "guests.admin.title")
}

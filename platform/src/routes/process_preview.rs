//! `POST /api/app/diagram.svg {app, enable?, states?, actions?}`: the workflow diagram of process
//! settings that are not saved yet — the live preview beside the process settings page's form.
//!
//! The body has the shape of `PUT preview/app/status.json`, and the settings go through the same
//! checks (`process::settings::parse` and `check`, against the pre-live form): members left out keep
//! their pre-live value, and settings that `status.json` would refuse are refused here with the same
//! `CB_VA01` envelope and keys, so the page can show each message beside its row. Nothing is stored.
//! The app's manage right is required, as for saving. The picture is drawn by
//! `review::render_diagram`, the one function routes draw diagrams with.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{load_definition, AppId, PREVIEW};
use kumiki_engine::process::settings::{self, ProcessSettings};
use kumiki_engine::users::User;
use kumiki_engine::UserError;
use serde_json::{Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

/// The settings of the body merged over the pre-live ones and checked as `status.json` checks them;
/// the manage right is required. Returns the settings and the app's pre-live name (the title).
fn checked_settings(call: &mut Call, p: &Params) -> Result<(ProcessSettings, String), ApiError> {
    let app = p.i64("app")?;
    call.app_row(app, AppRight::Manage)?;
    let (def, _) = load_definition(call.conn, AppId(app), PREVIEW)?
        .ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
    let mut merged: Map<String, Value> = def.process.clone();
    for key in ["enable", "states", "actions"] {
        if let Some(v) = p.get(key) {
            merged.insert(key.into(), v.clone());
        }
    }
    let parsed = settings::parse(&merged, &def).map_err(UserError::Validation)?;
    let mut known = Vec::new();
    for code in settings::user_codes(&parsed) {
        if User::find_by_code(call.conn, &code)?.is_some() {
            known.push(code);
        }
    }
    let errors = settings::check(&parsed, &def, &|u| known.iter().any(|k| k == u));
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    Ok((parsed, def.name))
}

/// The handler: authentication as for every API (a session needs its CSRF header, as this is a
/// POST), a read-only transaction, the SVG with the same safety headers as the GET diagram.
pub async fn preview_endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let query = parse_query_string(req.query_string());
    let ja = match query.get("lang").and_then(Value::as_str) {
        Some(l) => l.starts_with("ja"),
        None => super::wants_japanese(&req) || req.headers().get("Accept-Language").is_none(),
    };
    match render(req, payload, state, ja).await {
        Ok(svg) => HttpResponse::Ok()
            .content_type("image/svg+xml; charset=utf-8")
            .insert_header(("X-Content-Type-Options", "nosniff"))
            // A picture: no scripts, no outside resources, even when opened directly.
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            ))
            .insert_header(("Cache-Control", "no-store"))
            .body(svg),
        Err(e) => e.response(ja),
    }
}

async fn render(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    ja: bool,
) -> Result<String, ApiError> {
    // Who asks comes first: a stranger's body is not read, and they learn nothing, not even that
    // the body was malformed.
    let caller = super::authenticate_request(&req, &state).await?;
    let (body, _reservation) = super::read_call_body(&req, payload, &state).await?;
    let state = state.get_ref().clone();
    blocking(move || {
        let mut conn = state.conn()?;
        let params: Value =
            serde_json::from_slice(&body).map_err(|_| ApiError::malformed_json())?;
        if !params.is_object() {
            return Err(ApiError::malformed_json());
        }
        conn.read_transaction(|conn| {
            let acting = caller.api_acting(None);
            let mut call = Call::new(&state, conn, &caller, &acting);
            let (settings, title) = checked_settings(&mut call, &Params(&params))?;
            super::review::render_diagram(&mut call, &settings, &title, ja)
        })
    })
    .await
}

//! Notification mail APIs (issue 13; docs/notifications-mail.md, docs/api.md "Notification mail"):
//! - `GET /api/account/notifications.json` → `{mode, digestHour, email, address, mailEnabled}`: the
//!   caller's choice (`none`, `each`, `digest`), the address set and the one mails go to;
//! - `PUT /api/account/notifications.json {mode, digestHour?, email?}` → the same; bad input is
//!   `CB_VA01` naming the field; audited as `mail.preferences.update`;
//! - `GET /api/admin/mail.json` → `{status, counts, deliveries[]}` (administrators; `CB_NO02`
//!   otherwise);
//! - `PUT /api/admin/mail/address.json {code, email}`: an administrator sets a user's address
//!   (`mail.address.update`);
//! - `POST /api/admin/mail/test.json {to}` → `{sent, error?}`: sends a test mail now, outside any
//!   database transaction (an SMTP server may take up to `--smtp-timeout`); audited as `mail.test`
//!   with its outcome.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::Principal;
use kumiki_engine::audit::action;
use kumiki_engine::mail::{self, Mode, Preference};
use kumiki_engine::users::User;
use serde_json::{json, Value};

use super::call::Call;
use crate::auth::{authenticate, credentials_from, Caller};
use crate::error::ApiError;
use crate::jobs_runner::unix_now;
use crate::params::Params;
use crate::state::{blocking, AppState};

/// The signed-in user's code (API tokens have no account).
fn own_code(call: &Call) -> Result<String, ApiError> {
    match &call.caller.principal {
        Principal::User { code, .. } => Ok(code.clone()),
        _ => Err(ApiError::no_privilege()),
    }
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    match caller.principal {
        Principal::User { is_admin: true, .. } => Ok(()),
        _ => Err(ApiError::no_privilege()),
    }
}

fn answer(call: &mut Call, user: &str, pref: &Preference) -> Result<Value, ApiError> {
    let address = mail::address_of(call.conn, user, pref)?;
    Ok(json!({
        "mode": pref.mode,
        "digestHour": pref.digest_hour,
        "email": pref.email,
        "address": address.unwrap_or_default(),
        "mailEnabled": call.state.mail.enabled(),
    }))
}

/// `GET /api/account/notifications.json`.
pub fn get_preferences(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let user = own_code(call)?;
    let pref = mail::preference(call.conn, &user)?;
    answer(call, &user, &pref)
}

/// `PUT /api/account/notifications.json {mode, digestHour?, email?}`.
pub fn put_preferences(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let user = own_code(call)?;
    let old = mail::preference(call.conn, &user)?;
    let mode = match p.opt_str("mode")? {
        None => old.mode,
        Some(m) => Mode::parse(&m)
            .ok_or_else(|| ApiError::invalid("mode", "The choice must be none, each or digest."))?,
    };
    let pref = Preference {
        mode,
        digest_hour: p.opt_i64("digestHour")?.unwrap_or(old.digest_hour),
        email: p.opt_str("email")?.unwrap_or_else(|| old.email.clone()),
    };
    let saved = mail::set_preference(call.conn, &user, &pref, unix_now())?;
    call.audit(
        action::MAIL_PREFERENCES_UPDATE,
        &format!("user:{user}"),
        json!({"old": old, "new": saved}),
    )?;
    answer(call, &user, &saved)
}

/// `GET /api/admin/mail.json`.
pub fn admin_get(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    admin_only(call.caller)?;
    let limit = p.opt_i64("limit")?.unwrap_or(100).clamp(1, 500);
    let counts: serde_json::Map<String, Value> = mail::counts(call.conn)?
        .into_iter()
        .map(|(state, n)| (state, json!(n)))
        .collect();
    Ok(json!({
        "status": call.state.mail.status(),
        "planned": mail::planner::position(call.conn)?,
        "counts": counts,
        "deliveries": mail::recent(call.conn, limit)?,
    }))
}

/// `PUT /api/admin/mail/address.json {code, email}`.
pub fn admin_set_address(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    admin_only(call.caller)?;
    let code = p
        .opt_str("code")?
        .ok_or_else(|| ApiError::invalid("code", "Required."))?;
    let email = p.opt_str("email")?.unwrap_or_default();
    if User::find_by_code(call.conn, &code)?.is_none() {
        return Err(ApiError::invalid("code", "No such user."));
    }
    let old = mail::preference(call.conn, &code)?.email;
    mail::set_email(call.conn, &code, &email, unix_now())?;
    call.audit(
        action::MAIL_ADDRESS_UPDATE,
        &format!("user:{code}"),
        json!({"old": old, "new": email.trim()}),
    )?;
    Ok(json!({"code": code, "email": email.trim()}))
}

/// `POST /api/admin/mail/test.json {to}`: its own handler, so that the SMTP conversation runs
/// outside the database transaction every dispatched call has.
pub async fn test_endpoint(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ja = super::wants_japanese(&req);
    let result: Result<Value, ApiError> = async {
        let creds = credentials_from(&req)?;
        let params: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&body).map_err(|_| ApiError::malformed_json())?
        };
        let state = state.get_ref().clone();
        blocking(move || {
            let mut conn = state.conn()?;
            let caller = authenticate(&state, &mut conn, &creds)?;
            admin_only(&caller)?;
            let p = Params(&params);
            let to = p.opt_str("to")?.unwrap_or_default();
            let to = to.trim().to_owned();
            if !mail::valid_address(&to) {
                return Err(ApiError::invalid("to", "Not an e-mail address."));
            }
            if !state.mail.enabled() {
                return Err(ApiError::invalid(
                    "to",
                    "Mail is off: start the server with --smtp-url and --smtp-from.",
                ));
            }
            drop(conn);
            let ja_mail = caller.locale != "en";
            let sent = state.mail.send_test(&to, ja_mail);
            let mut conn = state.conn()?;
            conn.write_transaction(|c| {
                let acting = caller.api_acting(None);
                let mut call = Call::new(&state, c, &caller, &acting);
                let detail = json!({"to": to, "sent": sent.is_ok(), "error": sent.as_ref().err()});
                call.audit(action::MAIL_TEST, "mail", detail)
            })?;
            Ok(match sent {
                Ok(()) => json!({"sent": true}),
                Err(e) => json!({"sent": false, "error": e}),
            })
        })
        .await
    }
    .await;
    match result {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => e.response(ja),
    }
}

//! `/admin/security`: the sign-in settings (who must use TOTP, the inactivity timeout of sessions)
//! and the users with TOTP on, each with a reset for a lost phone. Plain forms with the session's
//! CSRF token; the use cases (`kumiki_engine::mfa`) check the administrator right and audit.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::mfa::{self, SecuritySettings, TotpRequired};
use kumiki_engine::users::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::admin::{lang_of, require_admin};
use super::session::{page_for, same_secret, SessionUser};
use super::{see_other, Page};
use crate::error::{render_message, ApiError};
use crate::i18n;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct TotpUser {
    code: String,
    name: String,
}

#[derive(Serialize, Default)]
struct SecurityAdminData {
    nobody: bool,
    admins: bool,
    everyone: bool,
    idle_minutes: i64,
    max_idle: i64,
    totp_users: Vec<TotpUser>,
    saved: bool,
    reset: String,
    error_idle: String,
}

async fn load(state: &AppState) -> Result<SecurityAdminData, ApiError> {
    let st = state.clone();
    blocking(move || {
        let mut conn = st.conn()?;
        let s = mfa::settings(&mut conn)?;
        let mut totp_users = Vec::new();
        for u in User::list(&mut conn)? {
            if mfa::state(&mut conn, &u.code)?.totp_enabled {
                totp_users.push(TotpUser {
                    code: u.code,
                    name: u.name,
                });
            }
        }
        Ok(SecurityAdminData {
            nobody: s.totp_required == TotpRequired::Nobody,
            admins: s.totp_required == TotpRequired::Administrators,
            everyone: s.totp_required == TotpRequired::Everyone,
            idle_minutes: s.idle_minutes,
            max_idle: mfa::MAX_IDLE_MINUTES,
            totp_users,
            ..SecurityAdminData::default()
        })
    })
    .await
}

fn render(state: &AppState, user: &SessionUser, data: &SecurityAdminData) -> HttpResponse {
    let lang = lang_of(user);
    page_for(
        state,
        user,
        Page {
            template: "admin_security",
            title: i18n::t(lang, "admin.security.title"),
            data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

#[derive(Deserialize)]
pub struct DoneQuery {
    saved: Option<String>,
    reset: Option<String>,
}

/// `GET /admin/security`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match load(&state).await {
        Ok(mut data) => {
            data.saved = q.saved.is_some();
            data.reset = q.reset.clone().unwrap_or_default();
            render(&state, &user, &data)
        }
        Err(_) => super::internal_error(&state, lang_of(&user), Some(&user)),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    totp_required: String,
    idle_minutes: String,
}

/// `POST /admin/security`: saves the settings.
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SettingsForm>,
) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    if !same_secret(&user.csrf, &form.csrf) {
        return see_other("/admin/security");
    }
    let totp_required = TotpRequired::parse(&form.totp_required).unwrap_or(TotpRequired::Nobody);
    // Not a number is out of range too: the engine's message says what to enter.
    let idle_minutes = form.idle_minutes.trim().parse::<i64>().unwrap_or(0);
    let st = state.get_ref().clone();
    let ctx = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        conn.write_transaction(|c| {
            mfa::save_settings(
                &ctx,
                c,
                SecuritySettings {
                    totp_required,
                    idle_minutes,
                },
            )
            .map_err(ApiError::from)
        })
    })
    .await;
    match result {
        Ok(()) => see_other("/admin/security?saved=1"),
        Err(e) => {
            let mut data = match load(&state).await {
                Ok(d) => d,
                Err(_) => return super::internal_error(&state, lang, Some(&user)),
            };
            data.error_idle = e
                .errors
                .as_ref()
                .and_then(|m| m.get("idleMinutes"))
                .and_then(|m| m.first())
                .map(|m| render_message(m, Some(lang)))
                .unwrap_or_else(|| i18n::t(lang, "error.internal.body"));
            render(&state, &user, &data)
        }
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    code: String,
}

/// `POST /admin/security/reset-totp {code}`: turns a user's TOTP off (audited).
pub async fn reset_totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !same_secret(&user.csrf, &form.csrf) {
        return see_other("/admin/security");
    }
    let st = state.get_ref().clone();
    let ctx = user.acting(&state);
    let code = form.code.clone();
    let result = blocking(move || {
        let mut conn = st.conn()?;
        conn.write_transaction(|c| mfa::admin_reset(&ctx, c, &code).map_err(ApiError::from))
    })
    .await;
    match result {
        Ok(()) => {
            let encoded: String = form_urlencoded::byte_serialize(form.code.as_bytes()).collect();
            see_other(&format!("/admin/security?reset={encoded}"))
        }
        Err(_) => super::not_found(&state, lang_of(&user), Some(&user)),
    }
}

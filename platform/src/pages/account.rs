//! The user's own security pages: changing the password (also the forced change after an
//! administrator set it) and the TOTP second factor (enrol with a QR code, confirm, disable,
//! regenerate recovery codes). These pages, and sign-out, are the only ones a session with a pending
//! obligation may open (`session::current_user_any`); the use cases are in `kumiki_engine::mfa`.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use kumiki_engine::mfa::{self, Obligation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::session::{current_user_any, page_for, safe_next, same_secret};
use super::{see_other, Page, SessionUser};
use crate::error::{render_message, ApiError};
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// The issuer shown in authenticator apps.
const ISSUER: &str = "Kumiki";

/// The signed-in user, with or without an obligation, or a redirect to the sign-in page.
async fn account_user(req: &HttpRequest, state: &AppState) -> Result<SessionUser, HttpResponse> {
    match current_user_any(req, state).await {
        Some(u) => Ok(u),
        None => Err(see_other("/login?next=%2Faccount%2Fsecurity")),
    }
}

fn lang_of(user: &SessionUser) -> Lang {
    Lang::parse(&user.locale).unwrap_or(Lang::Ja)
}

/// The first message of `field` in a validation error, in the page language; a generic message
/// for any other error.
fn field_message(err: &ApiError, field: &str, lang: Lang) -> Option<String> {
    match &err.errors {
        Some(errors) => errors
            .get(field)
            .and_then(|m| m.first())
            .map(|m| render_message(m, Some(lang))),
        None => Some(match &err.key {
            Some(m) => render_message(m, Some(lang)),
            None => i18n::t(lang, "error.internal.body"),
        }),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

// ---- password ----

#[derive(Serialize, Default)]
struct PasswordData {
    forced: bool,
    next: String,
    error_current: String,
    error_new: String,
    error_confirm: String,
    min: usize,
    max: usize,
}

fn render_password(state: &AppState, user: &SessionUser, data: &PasswordData) -> HttpResponse {
    let lang = lang_of(user);
    page_for(
        state,
        user,
        Page {
            template: "account_password",
            title: i18n::t(lang, "account.password.title"),
            data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

/// `GET /account/password`.
pub async fn password_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> HttpResponse {
    let user = match account_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let data = PasswordData {
        forced: user.obligation == Obligation::ChangePassword,
        next: safe_next(q.next.as_deref()),
        min: mfa::PASSWORD_MIN,
        max: mfa::PASSWORD_MAX,
        ..PasswordData::default()
    };
    render_password(&state, &user, &data)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    current: String,
    new: String,
    confirm: String,
    next: Option<String>,
}

/// `POST /account/password`: the current password, the new one twice.
pub async fn password_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let user = match account_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let form = form.into_inner();
    let mut data = PasswordData {
        forced: user.obligation == Obligation::ChangePassword,
        next: safe_next(form.next.as_deref()),
        min: mfa::PASSWORD_MIN,
        max: mfa::PASSWORD_MAX,
        ..PasswordData::default()
    };
    if !same_secret(&user.csrf, &form.csrf) {
        data.error_current = i18n::t(lang, "error.csrf");
        return render_password(&state, &user, &data);
    }
    if form.new != form.confirm {
        data.error_confirm = i18n::t(lang, "password.err.confirm");
        return render_password(&state, &user, &data);
    }
    let st = state.get_ref().clone();
    let ctx = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        conn.write_transaction(|c| {
            // The change ends every session of the user (`User::set_password`); this browser
            // gets a new one in the same transaction.
            mfa::change_own_password(&ctx, c, &form.current, &form.new)?;
            super::session::renewed_session(c, ctx.user_code())
        })
        .map_err(ApiError::from)
    })
    .await;
    match result {
        Ok(sid) => {
            // After a forced change the user goes on where they were going; a required enrolment
            // still comes first (every page sends them there).
            let back = if data.forced {
                data.next.clone()
            } else {
                "/account/security?changed=1".to_owned()
            };
            super::session::renewed_session_response(&state, lang, &user, sid, &back)
        }
        Err(e) => {
            data.error_current = field_message(&e, "current", lang).unwrap_or_default();
            if e.errors.is_some() {
                data.error_new = field_message(&e, "new", lang).unwrap_or_default();
            }
            render_password(&state, &user, &data)
        }
    }
}

// ---- TOTP ----

#[derive(Serialize, Default)]
struct SecurityData {
    totp_enabled: bool,
    enrolling: bool,
    secret: String,
    /// `data:image/svg+xml;base64,...` of the QR code, made here (no outside service).
    qr: String,
    recovery_left: i64,
    /// Recovery codes just made: shown once.
    codes: Vec<String>,
    required: bool,
    changed: bool,
    next: String,
    /// Which form the errors belong to.
    error_form: String,
    error_code: String,
    error_password: String,
}

/// The QR code of `uri` as an SVG data URI (an `<img>` source, so the page needs no inline markup).
fn qr_data_uri(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            )
        }
        Err(_) => String::new(),
    }
}

async fn security_data(state: &AppState, user: &SessionUser) -> Result<SecurityData, ApiError> {
    let st = state.clone();
    let code = user.code.clone();
    let mfa_state = blocking(move || {
        let mut conn = st.conn()?;
        Ok(mfa::state(&mut conn, &code)?)
    })
    .await?;
    let enrolling = !mfa_state.totp_enabled && mfa_state.secret.is_some();
    let secret = if enrolling {
        mfa_state.secret.unwrap_or_default()
    } else {
        String::new()
    };
    let qr = if enrolling {
        qr_data_uri(&mfa::otpauth_uri(ISSUER, &user.code, &secret))
    } else {
        String::new()
    };
    Ok(SecurityData {
        totp_enabled: mfa_state.totp_enabled,
        enrolling,
        // Groups of four are easier to type into an app by hand.
        secret: secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        qr,
        recovery_left: mfa_state.recovery_left,
        required: user.obligation == Obligation::EnrolTotp,
        ..SecurityData::default()
    })
}

fn render_security(state: &AppState, user: &SessionUser, data: &SecurityData) -> HttpResponse {
    let lang = lang_of(user);
    page_for(
        state,
        user,
        Page {
            template: "account_security",
            title: i18n::t(lang, "account.security.title"),
            data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

#[derive(Deserialize)]
pub struct SecurityQuery {
    next: Option<String>,
    changed: Option<String>,
}

/// `GET /account/security`.
pub async fn security_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<SecurityQuery>,
) -> HttpResponse {
    let user = match account_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if user.obligation == Obligation::ChangePassword {
        return see_other("/account/password");
    }
    match security_data(&state, &user).await {
        Ok(mut data) => {
            data.next = safe_next(q.next.as_deref());
            data.changed = q.changed.is_some();
            render_security(&state, &user, &data)
        }
        Err(_) => super::internal_error(&state, lang_of(&user), Some(&user)),
    }
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Clone, Copy)]
enum TotpAction {
    Start,
    Confirm,
    Disable,
    Recovery,
}

async fn totp_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: TotpForm,
    what: TotpAction,
) -> HttpResponse {
    let user = match account_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    if user.obligation == Obligation::ChangePassword {
        return see_other("/account/password");
    }
    if !same_secret(&user.csrf, &form.csrf) {
        return see_other("/account/security");
    }
    let next = safe_next(form.next.as_deref());
    let st = state.get_ref().clone();
    let ctx = user.acting(&state);
    let result = blocking(move || {
        let mut conn = st.conn()?;
        conn.write_transaction(|c| {
            let codes = match what {
                TotpAction::Start => {
                    mfa::start_enrolment(&ctx, c)?;
                    Vec::new()
                }
                TotpAction::Confirm => mfa::confirm_enrolment(&ctx, c, &form.code)?,
                TotpAction::Disable => {
                    mfa::disable(&ctx, c, &form.password, &form.code)?;
                    Vec::new()
                }
                TotpAction::Recovery => mfa::regenerate_recovery_codes(&ctx, c, &form.code)?,
            };
            Ok::<_, ApiError>(codes)
        })
    })
    .await;
    // The obligation may be gone now (enrolment done): read the user again.
    let user = current_user_any(&req, &state).await.unwrap_or(user);
    let mut data = match security_data(&state, &user).await {
        Ok(d) => d,
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    data.next = next;
    match result {
        Ok(codes) => data.codes = codes,
        Err(e) => {
            data.error_form = match what {
                TotpAction::Start | TotpAction::Confirm => "confirm",
                TotpAction::Disable => "disable",
                TotpAction::Recovery => "recovery",
            }
            .to_owned();
            data.error_code = field_message(&e, "code", lang).unwrap_or_default();
            if e.errors.is_some() {
                data.error_password = field_message(&e, "password", lang).unwrap_or_default();
            }
        }
    }
    render_security(&state, &user, &data)
}

/// `POST /account/totp/start`: a new secret to scan.
pub async fn totp_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TotpForm>,
) -> HttpResponse {
    totp_action(req, state, form.into_inner(), TotpAction::Start).await
}

/// `POST /account/totp/confirm {code}`: TOTP on; shows the recovery codes once.
pub async fn totp_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TotpForm>,
) -> HttpResponse {
    totp_action(req, state, form.into_inner(), TotpAction::Confirm).await
}

/// `POST /account/totp/disable {password, code}`.
pub async fn totp_disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TotpForm>,
) -> HttpResponse {
    totp_action(req, state, form.into_inner(), TotpAction::Disable).await
}

/// `POST /account/totp/recovery {code}`: new recovery codes, shown once.
pub async fn totp_recovery(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TotpForm>,
) -> HttpResponse {
    totp_action(req, state, form.into_inner(), TotpAction::Recovery).await
}

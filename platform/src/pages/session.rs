//! Sign-in, sign-out, the session cookie, CSRF tokens and the language switch.
//!
//! The session cookie (`__Host-kumiki_session`: HttpOnly, SameSite=Lax, Secure, path `/`, no domain,
//! so no other host or path can set or shadow it; `kumiki_session` without the prefix and Secure only
//! when the operator runs plain HTTP on an intranet, `--insecure-cookies`) carries a signed token
//! naming a row of `sessions`; signing out deletes the row.
//! Every state-changing form carries a CSRF token derived from the session id with the server secret,
//! and page scripts send it as `X-CSRF-Token`. Before sign-in, the login form uses a double-submit
//! cookie. Five failures within 15 minutes lock a login for the rest of that window, and twenty
//! from one address lock that address (so one machine cannot try a password on every account).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::mfa::Obligation;
use kumiki_engine::sessions;
use kumiki_engine::users::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{render, render_status, request_lang, see_other, Page};
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

pub const SESSION_COOKIE: &str = "__Host-kumiki_session";
/// The session cookie's name under `--insecure-cookies` (`__Host-` requires Secure).
pub const PLAIN_SESSION_COOKIE: &str = "kumiki_session";
const LOGIN_CSRF_COOKIE: &str = "__Host-kumiki_login_csrf";
const PLAIN_LOGIN_CSRF_COOKIE: &str = "kumiki_login_csrf";

/// The name of the session cookie under these settings.
pub fn session_cookie(settings: &crate::settings::Settings) -> &'static str {
    if settings.insecure_cookies {
        PLAIN_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

fn login_csrf_cookie(state: &AppState) -> &'static str {
    if state.settings.insecure_cookies {
        PLAIN_LOGIN_CSRF_COOKIE
    } else {
        LOGIN_CSRF_COOKIE
    }
}
const SESSION_HOURS: i64 = 12;

/// The signed-in user of a page request.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub code: String,
    pub name: String,
    pub is_admin: bool,
    pub locale: String,
    pub timezone: String,
    pub session_id: String,
    pub csrf: String,
    /// The client's address (`client_address`), for the audit rows the pages write.
    pub peer: String,
    /// Department codes with their ancestors, and group codes (`org::principal_context`).
    pub departments: Vec<String>,
    /// The user's own departments (no ancestors).
    pub own_departments: Vec<String>,
    pub groups: Vec<String>,
    /// The primary department (`PRIMARY_ORGANIZATION()`).
    pub primary_department: Option<String>,
    /// A guest user: pages show them only the guest spaces they are members of.
    pub guest: bool,
    /// What the user must do before anything else (a forced password change, a required TOTP
    /// enrolment); only the account pages see a user with one ([`current_user_any`]).
    pub obligation: Obligation,
}

impl SessionUser {
    /// The user as a permission principal.
    pub fn principal(&self) -> kumiki_engine::acl::Principal {
        kumiki_engine::acl::Principal::User {
            code: self.code.clone(),
            name: self.name.clone(),
            is_admin: self.is_admin,
            departments: self.departments.clone(),
            own_departments: self.own_departments.clone(),
            groups: self.groups.clone(),
            primary_department: self.primary_department.clone(),
            guest: self.guest,
        }
    }

    /// The user's time zone (`acting::user_timezone`: theirs, else the server's default).
    pub fn tz(&self, state: &AppState) -> chrono_tz::Tz {
        kumiki_engine::acting::user_timezone(&self.timezone, state.settings.default_timezone)
    }

    /// The user acting through the pages: every app a page opens goes through this.
    pub fn acting(&self, state: &AppState) -> kumiki_engine::acting::ActingContext {
        kumiki_engine::acting::ActingContext::new(
            self.principal(),
            kumiki_engine::acting::Channel::Page,
            self.tz(state),
        )
        .with_peer(self.peer.clone(), "session")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SessionClaims {
    sub: String,
    sid: String,
    exp: i64,
    iss: String,
    aud: String,
}

const AUDIENCE: &str = "kumiki-session";

fn validation() -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.leeway = 0;
    v.set_issuer(&["kumiki"]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

/// The CSRF token of a session: unguessable without the server secret, stable for the session.
pub fn csrf_for(state: &AppState, session_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(state.jwt_secret.as_slice());
    h.update(b":csrf:");
    h.update(session_id.as_bytes());
    h.finalize()
        .iter()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session id named by a session cookie value, if its signature and lifetime check out.
pub fn session_id_of(state: &AppState, cookie: &str) -> Option<(String, String)> {
    let data = jsonwebtoken::decode::<SessionClaims>(
        cookie,
        &jsonwebtoken::DecodingKey::from_secret(&state.jwt_secret),
        &validation(),
    )
    .ok()?;
    Some((data.claims.sid, data.claims.sub))
}

/// Resolves the session cookie of a request to a user who may use every page: a session with a
/// pending obligation counts as none here, so no page can forget to check it.
pub async fn current_user(req: &HttpRequest, state: &AppState) -> Option<SessionUser> {
    current_user_any(req, state)
        .await
        .filter(|u| u.obligation == Obligation::None)
}

/// Resolves the session cookie of a request, also while the user has an obligation (the account
/// pages that fulfil it, sign-out). Checks the inactivity timeout and moves it on.
pub async fn current_user_any(req: &HttpRequest, state: &AppState) -> Option<SessionUser> {
    let cookie = req.cookie(session_cookie(&state.settings))?;
    let (sid, _) = session_id_of(state, cookie.value())?;
    let state2 = state.clone();
    let sid2 = sid.clone();
    let user = blocking(move || {
        let mut conn = state2.conn()?;
        let Some((user, obligation)) = sessions::session_status(&mut conn, &sid2)? else {
            return Ok(None);
        };
        let ctx = kumiki_engine::org::principal_context(&mut conn, &user.code)?;
        Ok(Some((user, ctx, obligation)))
    })
    .await
    .ok()
    .flatten()?;
    let (user, ctx, obligation) = user;
    Some(SessionUser {
        departments: ctx.departments,
        own_departments: ctx.own_departments,
        groups: ctx.groups,
        primary_department: ctx.primary_department,
        guest: ctx.guest,
        csrf: csrf_for(state, &sid),
        code: user.code,
        name: user.name,
        is_admin: user.is_admin,
        locale: user.locale,
        timezone: user.timezone,
        session_id: sid,
        obligation,
        peer: crate::client_address::client_address(req),
    })
}

/// The page that fulfils an obligation.
pub fn obligation_page(obligation: Obligation) -> Option<&'static str> {
    match obligation {
        Obligation::None => None,
        Obligation::ChangePassword => Some("/account/password"),
        Obligation::EnrolTotp => Some("/account/security"),
    }
}

/// The signed-in user, or a redirect: to the sign-in page that comes back here, or to the page of
/// what the user must do first.
pub async fn require_user(
    req: &HttpRequest,
    state: &AppState,
) -> Result<SessionUser, HttpResponse> {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    match current_user_any(req, state).await {
        Some(u) => match obligation_page(u.obligation) {
            None => Ok(u),
            Some(page) => Err(see_other(&format!("{page}?next={encoded}"))),
        },
        None => Err(see_other(&format!("/login?next={encoded}"))),
    }
}

/// A local path to go back to after sign-in (never another site), else `/`.
///
/// Only a path of this site is followed: it starts with one `/` and holds visible ASCII alone.
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or
/// `/\\evil.example` would become the other site's `//evil.example`; a control character would also
/// make the `Location` header invalid (a 500). Anything else (non-ASCII included: what Kumiki
/// builds is percent-encoded) falls back to the portal.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// How long the language cookie lasts: the sign-in page keeps speaking the user's language after the
/// browser was closed and the session ended.
const LANG_COOKIE_DAYS: i64 = 400;

/// The `kumiki_lang` cookie: the language of pages shown without a signed-in user (the sign-in page),
/// set to the user's language at sign-in, at the language switch and when the settings are saved.
/// `Accept-Language` counts only when there is no cookie ([`super::request_lang`]).
pub fn lang_cookie(state: &AppState, lang: Lang) -> Cookie<'static> {
    cookie(
        state,
        "kumiki_lang",
        lang.code().to_owned(),
        LANG_COOKIE_DAYS * 24 * 3600,
    )
}

fn cookie<'c>(state: &AppState, name: &'c str, value: String, max_age_seconds: i64) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(!state.settings.insecure_cookies)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_seconds))
        .finish()
}

#[derive(Serialize)]
struct LoginData {
    next: String,
    login: String,
    error: String,
    /// The second step: the password was right, the form asks the TOTP or recovery code.
    code_step: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_response(
    state: &AppState,
    lang: Lang,
    data: LoginData,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let title = i18n::t(lang, "login.title");
    let mut resp = render_status(
        state,
        status,
        lang,
        None,
        &token,
        Page {
            template: if data.code_step {
                "login_code"
            } else {
                "login"
            },
            title,
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    );
    let _ = resp.add_cookie(&cookie(state, login_csrf_cookie(state), token, 3600));
    resp
}

pub async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> HttpResponse {
    if let Some(u) = current_user_any(&req, &state).await {
        return match obligation_page(u.obligation) {
            None => see_other(&safe_next(q.next.as_deref())),
            Some(page) => see_other(page),
        };
    }
    let lang = request_lang(&req, None);
    let data = LoginData {
        next: safe_next(q.next.as_deref()),
        login: String::new(),
        error: String::new(),
        code_step: false,
    };
    login_response(&state, lang, data, actix_web::http::StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let lang = request_lang(&req, None);
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let expected = req
        .cookie(login_csrf_cookie(&state))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let fail = |key: &str, args: &[(&str, &str)], login: &str| {
        let data = LoginData {
            next: next.clone(),
            login: login.to_owned(),
            error: i18n::format(lang, key, args),
            code_step: false,
        };
        login_response(&state, lang, data, actix_web::http::StatusCode::OK)
    };
    if expected.is_empty() || !same_secret(&expected, &form.csrf) {
        return fail("error.csrf", &[], &form.login);
    }
    if form.login.trim().is_empty() || form.password.is_empty() {
        return fail("login.required", &[], &form.login);
    }
    let peer = crate::client_address::client_address(&req);
    let st = state.get_ref().clone();
    let login = form.login.clone();
    let password = form.password.clone();
    let outcome = blocking(move || {
        let mut conn = st.conn()?;
        // The one password path shared with the API (lockout, per-address limit, audit).
        match crate::auth::sign_in_with_password(&st, &mut conn, &login, &password, &peer, "form") {
            Ok(user) => {
                // With TOTP on, the password only opens the second step; failures are kept
                // until it succeeds, so wrong codes add up with wrong passwords.
                if kumiki_engine::mfa::state(&mut conn, &user.code)?.totp_enabled {
                    return Ok(Outcome::NeedCode(user.code));
                }
                finish_sign_in(&mut conn, &user, &peer, "form")
            }
            Err(e) if e.status.as_u16() == 429 => Ok(Outcome::Locked(
                e.extra
                    .as_ref()
                    .and_then(|x| x.get("retryAfter"))
                    .and_then(Value::as_i64)
                    .unwrap_or(60),
            )),
            Err(e) if e.status.as_u16() == 401 => Ok(Outcome::Failed),
            Err(e) => Err(e),
        }
    })
    .await;
    match outcome {
        Ok(Outcome::Ok(done)) => session_response(&state, lang, &done, &next),
        Ok(Outcome::NeedCode(code)) => code_step_response(&state, lang, &code, &next, ""),
        Ok(Outcome::Locked(seconds)) => {
            let minutes = ((seconds + 59) / 60).to_string();
            fail("login.locked", &[("minutes", &minutes)], &form.login)
        }
        Ok(Outcome::Failed) => fail("login.failed", &[], &form.login),
        Err(_) => super::internal_error(&state, lang, None),
    }
}

/// A signed-in user's new session.
struct SignedIn {
    code: String,
    sid: String,
    locale: String,
}

enum Outcome {
    Ok(SignedIn),
    NeedCode(String),
    Locked(i64),
    Failed,
}

/// Ends a successful sign-in: forgets the failures, creates the session, writes the audit row.
fn finish_sign_in(
    conn: &mut kumiki_engine::db::DbConn,
    user: &User,
    peer: &str,
    method: &str,
) -> Result<Outcome, crate::error::ApiError> {
    sessions::clear_failures(conn, &user.code)?;
    let sid = sessions::create_session(conn, &user.code, SESSION_HOURS * 3600)?;
    crate::auth::record_sign_in_success(conn, &user.code, peer, method)?;
    Ok(Outcome::Ok(SignedIn {
        code: user.code.clone(),
        sid,
        locale: user.locale.clone(),
    }))
}

/// The redirect that sets the session cookie (a new session id at every sign-in).
fn session_response(state: &AppState, lang: Lang, done: &SignedIn, next: &str) -> HttpResponse {
    let user_lang = Lang::parse(&done.locale).unwrap_or(lang);
    let claims = SessionClaims {
        sub: done.code.clone(),
        sid: done.sid.clone(),
        exp: chrono::Utc::now().timestamp() + SESSION_HOURS * 3600,
        iss: "kumiki".into(),
        aud: AUDIENCE.into(),
    };
    let Ok(token) = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&state.jwt_secret),
    ) else {
        return super::internal_error(state, lang, None);
    };
    let mut resp = see_other(next);
    let _ = resp.add_cookie(&cookie(
        state,
        session_cookie(&state.settings),
        token,
        SESSION_HOURS * 3600,
    ));
    let _ = resp.add_cookie(&lang_cookie(state, user_lang));
    for name in [login_csrf_cookie(state), pending_cookie(state)] {
        let mut gone = cookie(state, name, String::new(), 0);
        gone.make_removal();
        let _ = resp.add_cookie(&gone);
    }
    resp
}

/// After users changed their own password (which ends every session of theirs, this one too): a
/// new session for the browser that proved the new password, so they stay signed in here only.
pub(super) fn renewed_session(
    conn: &mut kumiki_engine::db::DbConn,
    code: &str,
) -> kumiki_engine::EngineResult<String> {
    sessions::create_session(conn, code, SESSION_HOURS * 3600)
}

/// The redirect that sets the cookie of a session made by [`renewed_session`].
pub(super) fn renewed_session_response(
    state: &AppState,
    lang: Lang,
    user: &SessionUser,
    sid: String,
    next: &str,
) -> HttpResponse {
    let done = SignedIn {
        code: user.code.clone(),
        sid,
        locale: user.locale.clone(),
    };
    session_response(state, lang, &done, next)
}

/// The cookie of the second sign-in step: a signed, 5-minute token naming the user whose password
/// was right. It is not a session: nothing but `/login/code` accepts it.
const PENDING_COOKIE: &str = "__Host-kumiki_mfa_pending";
const PLAIN_PENDING_COOKIE: &str = "kumiki_mfa_pending";

fn pending_cookie(state: &AppState) -> &'static str {
    if state.settings.insecure_cookies {
        PLAIN_PENDING_COOKIE
    } else {
        PENDING_COOKIE
    }
}
const PENDING_AUDIENCE: &str = "kumiki-mfa-pending";
const PENDING_SECONDS: i64 = 300;

fn pending_validation() -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.leeway = 0;
    v.set_issuer(&["kumiki"]);
    v.set_audience(&[PENDING_AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

fn code_step_response(
    state: &AppState,
    lang: Lang,
    login: &str,
    next: &str,
    error: &str,
) -> HttpResponse {
    let claims = SessionClaims {
        sub: login.to_owned(),
        sid: String::new(),
        exp: chrono::Utc::now().timestamp() + PENDING_SECONDS,
        iss: "kumiki".into(),
        aud: PENDING_AUDIENCE.into(),
    };
    let Ok(token) = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&state.jwt_secret),
    ) else {
        return super::internal_error(state, lang, None);
    };
    let data = LoginData {
        next: next.to_owned(),
        login: login.to_owned(),
        error: error.to_owned(),
        code_step: true,
    };
    let mut resp = login_response(state, lang, data, actix_web::http::StatusCode::OK);
    let _ = resp.add_cookie(&cookie(
        state,
        pending_cookie(state),
        token,
        PENDING_SECONDS,
    ));
    resp
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: String,
}

/// `POST /login/code`: the second step. A wrong code is a sign-in failure (it counts towards the
/// lockout and is audited); a right one (TOTP once, or an unused recovery code) starts the session.
pub async fn login_code_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let lang = request_lang(&req, None);
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let expected = req
        .cookie(login_csrf_cookie(&state))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let pending = req.cookie(pending_cookie(&state)).and_then(|c| {
        jsonwebtoken::decode::<SessionClaims>(
            c.value(),
            &jsonwebtoken::DecodingKey::from_secret(&state.jwt_secret),
            &pending_validation(),
        )
        .ok()
    });
    let Some(pending) = pending else {
        // Expired or missing: start again from the password.
        let data = LoginData {
            next,
            login: String::new(),
            error: i18n::t(lang, "login.code_expired"),
            code_step: false,
        };
        return login_response(&state, lang, data, actix_web::http::StatusCode::OK);
    };
    let login = pending.claims.sub;
    if expected.is_empty() || !same_secret(&expected, &form.csrf) {
        let msg = i18n::t(lang, "error.csrf");
        return code_step_response(&state, lang, &login, &next, &msg);
    }
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let st = state.get_ref().clone();
    let login2 = login.clone();
    let answer = form.code.clone();
    let outcome = blocking(move || {
        let mut conn = st.conn()?;
        // The same gate as passwords: wrong codes add up with wrong passwords.
        if let Some(locked) = sessions::sign_in_gate(&mut conn, &login2, &peer)?.retry_after() {
            sessions::sign_in_failed(&mut conn, &login2, &peer, "totp", true)?;
            return Ok(Outcome::Locked(locked));
        }
        let Some(user) = User::find_by_code(&mut conn, &login2)?.filter(|u| u.is_active) else {
            return Ok(Outcome::Failed);
        };
        let now = chrono::Utc::now().timestamp();
        if kumiki_engine::mfa::verify_second_factor(&mut conn, &user.code, &answer, now)? {
            finish_sign_in(&mut conn, &user, &peer, "form+totp")
        } else {
            sessions::sign_in_failed(&mut conn, &login2, &peer, "totp", false)?;
            Ok(Outcome::Failed)
        }
    })
    .await;
    match outcome {
        Ok(Outcome::Ok(done)) => session_response(&state, lang, &done, &next),
        Ok(Outcome::Locked(seconds)) => {
            let minutes = ((seconds + 59) / 60).to_string();
            let data = LoginData {
                next,
                login,
                error: i18n::format(lang, "login.locked", &[("minutes", &minutes)]),
                code_step: false,
            };
            login_response(&state, lang, data, actix_web::http::StatusCode::OK)
        }
        Ok(Outcome::NeedCode(_) | Outcome::Failed) => {
            let msg = i18n::t(lang, "login.code_failed");
            code_step_response(&state, lang, &login, &next, &msg)
        }
        Err(_) => super::internal_error(&state, lang, None),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    lang: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if let Some(user) = current_user_any(&req, &state).await {
        if same_secret(&user.csrf, &form.csrf) {
            let st = state.get_ref().clone();
            let sid = user.session_id.clone();
            let _ = blocking(move || {
                let mut conn = st.conn()?;
                Ok(sessions::delete_session(&mut conn, &sid)?)
            })
            .await;
        } else {
            return see_other("/");
        }
    }
    let mut resp = see_other("/login");
    let mut gone = cookie(&state, session_cookie(&state.settings), String::new(), 0);
    gone.make_removal();
    let _ = resp.add_cookie(&gone);
    resp
}

/// Switches the language: the user's setting when signed in, a cookie otherwise.
pub async fn switch_language(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let back = req
        .headers()
        .get("Referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()));
    let back = safe_next(back.as_deref());
    let lang = form
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(Lang::Ja);
    if let Some(user) = current_user(&req, &state).await {
        if !same_secret(&user.csrf, &form.csrf) {
            return see_other(&back);
        }
        let st = state.get_ref().clone();
        let tz = user.timezone.clone();
        let code = user.code.clone();
        let _ = blocking(move || {
            let mut conn = st.conn()?;
            Ok(User::set_preferences(&mut conn, &code, lang.code(), &tz)?)
        })
        .await;
    }
    let mut resp = see_other(&back);
    let _ = resp.add_cookie(&lang_cookie(&state, lang));
    resp
}

/// Renders a page for a signed-in user.
pub fn page_for<T: Serialize>(
    state: &AppState,
    user: &SessionUser,
    page: Page<'_, T>,
) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    render(state, lang, Some(user), &user.csrf, page)
}

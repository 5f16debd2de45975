//! Authentication for the kintone API: `X-Cybozu-Authorization` (base64 `login:password`),
//! `X-Cybozu-API-Token` (one or more tokens, comma-separated or repeated), and `Authorization: Bearer`
//! with a JWT this server issued (what the web UI uses) or a per-user API token (`kmk_...`, see
//! `kumiki_engine::org::user_tokens`). A password wins over a token, as in kintone.
//! `Authorization: Basic` is a proxy's business and ignored here. Disabled users cannot authenticate
//! in any way.
//!
//! Every password path (this header, `POST /api/auth/token`, the sign-in form) goes through
//! [`sign_in_with_password`]: the lockout and the per-address limit of `kumiki_engine::sessions`
//! first (429 with `Retry-After`), then argon2id — run against a dummy hash for unknown logins — and
//! the failure is counted and audited (bounded). Bearer JWTs carry a `jti` (revocable through
//! `POST /api/auth/logout`) and the user's credentials epoch, so a password change, a disable or
//! "sign out everywhere" ends them at once. Refused tokens of any kind answer one generic error and
//! leave an audit row; a token with an address allowlist used from elsewhere answers 403.

use actix_web::HttpRequest;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use kumiki_engine::acl::Principal;
use kumiki_engine::audit::{self, action, AuditEvent};
use kumiki_engine::db::DbConn;
use kumiki_engine::org::UserTokenProblem;
use kumiki_engine::sessions;
use kumiki_engine::tokens::{resolve_tokens, TokenProblem};
use kumiki_engine::users::User;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// What a request presented.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub password: Option<(String, String)>,
    pub tokens: Vec<String>,
    pub bearer: Option<String>,
    /// The browser session cookie, with the CSRF header page scripts send.
    pub session: Option<String>,
    pub csrf_header: Option<String>,
    /// Whether the request changes state (needs the CSRF header when authenticated by cookie).
    pub state_changing: bool,
    /// The client's address (for the audit log).
    pub peer: String,
}

/// An authenticated caller with the time zone its dates are evaluated in.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub timezone: chrono_tz::Tz,
    pub locale: String,
    /// The client's address, for the audit log.
    pub peer: String,
    /// How the caller authenticated: `password`, `bearer`, `userToken`, `session` or `apiToken`.
    pub via: &'static str,
}

/// Reads the credential headers. A malformed `X-Cybozu-Authorization` is a failed password login.
pub fn credentials_from(req: &HttpRequest) -> Result<Credentials, ApiError> {
    let mut creds = Credentials::default();
    if let Some(v) = req.headers().get("X-Cybozu-Authorization") {
        let decoded = v
            .to_str()
            .ok()
            .and_then(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(ApiError::bad_password)?;
        let (login, password) = decoded.split_once(':').ok_or_else(ApiError::bad_password)?;
        creds.password = Some((login.to_owned(), password.to_owned()));
    }
    for v in req.headers().get_all("X-Cybozu-API-Token") {
        if let Ok(s) = v.to_str() {
            creds.tokens.extend(
                s.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    if let Some(v) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = v.strip_prefix("Bearer ") {
            creds.bearer = Some(token.trim().to_owned());
        }
    }
    // Only the cookie of the name these settings use: with `__Host-`, a cookie planted by another
    // host under the plain name is never read.
    let session_cookie = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map_or(crate::pages::session::SESSION_COOKIE, |s| {
            crate::pages::session::session_cookie(&s.settings)
        });
    creds.session = req.cookie(session_cookie).map(|c| c.value().to_owned());
    creds.csrf_header = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    creds.state_changing = crate::routes::effective_method(req) != actix_web::http::Method::GET;
    creds.peer = crate::client_address::client_address(req);
    Ok(creds)
}

/// Claims of the bearer tokens this server issues. `iss` and `aud` make a token of another purpose or
/// another system fail validation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    iat: i64,
    pub exp: i64,
    iss: String,
    aud: String,
    /// The token's id, for revocation (`sessions::revoke_jwt`).
    pub jti: String,
    /// The user's credentials epoch when the token was issued (`User::revoke_credentials`).
    pub epc: i64,
}

const ISSUER: &str = "kumiki";
const AUDIENCE: &str = "kumiki-api";

fn validation() -> Validation {
    let mut v = Validation::new(jsonwebtoken::Algorithm::HS256);
    // No grace period: an expired token is expired.
    v.leeway = 0;
    v.validate_nbf = true;
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

/// A signed token for `user`, valid for `hours`.
pub fn issue_jwt(state: &AppState, user: &User, hours: i64) -> Result<(String, i64), ApiError> {
    let now = chrono::Utc::now().timestamp();
    let exp = now + hours * 3600;
    let claims = Claims {
        sub: user.code.clone(),
        iat: now,
        exp,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        jti: uuid::Uuid::new_v4().simple().to_string(),
        epc: user.credentials_epoch,
    };
    let token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(&state.jwt_secret),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "jwt encoding failed");
        ApiError::internal()
    })?;
    Ok((token, exp))
}

/// The claims of a bearer JWT whose signature, algorithm, issuer, audience and times check out.
/// Whether it was revoked is [`user_of_jwt`]'s business.
pub fn decode_jwt(state: &AppState, token: &str) -> Option<Claims> {
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(&state.jwt_secret),
        &validation(),
    )
    .ok()
    .map(|data| data.claims)
}

/// The active user of a bearer JWT that is valid, not revoked, and issued under the user's current
/// credentials epoch; else `Err(reason)` for the audit log.
fn user_of_jwt(
    state: &AppState,
    conn: &mut DbConn,
    token: &str,
) -> Result<Result<User, (&'static str, String)>, ApiError> {
    let Some(claims) = decode_jwt(state, token) else {
        return Ok(Err(("invalid", "-".into())));
    };
    let Some(user) = User::find_by_code(conn, &claims.sub)?.filter(|u| u.is_active) else {
        return Ok(Err(("userInactive", claims.sub)));
    };
    if claims.epc != user.credentials_epoch {
        return Ok(Err(("credentialsChanged", claims.sub)));
    }
    if sessions::jwt_revoked(conn, &claims.jti)? {
        return Ok(Err(("revoked", claims.sub)));
    }
    Ok(Ok(user))
}

/// Audits a refused token (bounded per actor and address, `audit::record_throttled`). The token
/// itself is never written.
fn record_token_failure(conn: &mut DbConn, actor: &str, peer: &str, kind: &str, reason: &str) {
    let event = AuditEvent::failure(
        actor,
        peer,
        action::TOKEN_FAILURE,
        kind,
        serde_json::json!({ "kind": kind, "reason": reason }),
    );
    if let Err(e) = audit::record_throttled(conn, event) {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

/// The client's address: [`crate::client_address::client_address`] (the socket peer, or behind a
/// trusted proxy the client it names), the one value of the lockout, audit log and allowlist.
pub fn peer_of(req: &HttpRequest) -> String {
    crate::client_address::client_address(req)
}

/// The principal of a user: their departments (with ancestors) and groups come from `org`.
pub fn user_principal(conn: &mut DbConn, user: &User) -> Result<Principal, ApiError> {
    Ok(Principal::for_user(
        conn,
        &user.code,
        &user.name,
        user.is_admin,
    )?)
}

fn caller_for_user(
    state: &AppState,
    conn: &mut DbConn,
    user: User,
    creds: &Credentials,
    via: &'static str,
) -> Result<Caller, ApiError> {
    let timezone =
        kumiki_engine::acting::user_timezone(&user.timezone, state.settings.default_timezone);
    Ok(Caller {
        principal: user_principal(conn, &user)?,
        timezone,
        locale: user.locale,
        peer: creds.peer.clone(),
        via,
    })
}

/// Checks a login and password (argon2id, cached on success).
pub fn check_password(
    state: &AppState,
    conn: &mut DbConn,
    login: &str,
    password: &str,
) -> Result<User, ApiError> {
    let mut hasher = Sha256::new();
    hasher.update(login.as_bytes());
    hasher.update([0u8]);
    hasher.update(password.as_bytes());
    let key: [u8; 32] = hasher.finalize().into();
    let Some(user) = User::find_by_code(conn, login)?.filter(|u| u.is_active) else {
        // Spend the same time as a real check, so timing does not tell which logins exist.
        kumiki_engine::users::burn_password_check(password);
        return Err(ApiError::bad_password());
    };
    // A cached check counts only under the credentials epoch it was made in: a password change
    // (here or on another node) bumps the epoch, so the old password fails at once.
    if state.password_cache.get(&key) == Some((login.to_owned(), user.credentials_epoch)) {
        return Ok(user);
    }
    if !user.verify_password(password) {
        return Err(ApiError::bad_password());
    }
    state
        .password_cache
        .put(key, login.to_owned(), user.credentials_epoch);
    Ok(user)
}

/// Signs in with a password on any path (`method`: `passwordHeader`, `authToken`, `form`): refused
/// with 429 while the login or the address is locked (`sessions::sign_in_gate`), else the password
/// is checked ([`check_password`]); a failure is counted towards the lockout and audited (bounded,
/// and an unknown login is masked). Unknown logins and wrong passwords get the same answer.
pub fn sign_in_with_password(
    state: &AppState,
    conn: &mut DbConn,
    login: &str,
    password: &str,
    peer: &str,
    method: &str,
) -> Result<User, ApiError> {
    if let Some(seconds) = sessions::sign_in_gate(conn, login, peer)?.retry_after() {
        note_failure(conn, login, peer, method, true);
        return Err(ApiError::too_many_attempts(seconds));
    }
    match check_password(state, conn, login, password) {
        Ok(user) => Ok(user),
        Err(e) => {
            note_failure(conn, login, peer, method, false);
            Err(e)
        }
    }
}

/// A password given on its own to the API (`X-Cybozu-Authorization`, `/api/auth/token`): as
/// [`sign_in_with_password`], and refused for a user with TOTP on, as kintone does (they use API
/// tokens or a signed-in session), so the second factor cannot be skipped. The answer is the one
/// of a wrong password.
pub fn sign_in_with_password_only(
    state: &AppState,
    conn: &mut DbConn,
    login: &str,
    password: &str,
    peer: &str,
    method: &str,
) -> Result<User, ApiError> {
    let user = sign_in_with_password(state, conn, login, password, peer, method)?;
    if !kumiki_engine::mfa::password_only_allowed(conn, &user.code)? {
        return Err(ApiError::bad_password());
    }
    Ok(user)
}

fn note_failure(conn: &mut DbConn, login: &str, peer: &str, method: &str, locked: bool) {
    if let Err(e) = sessions::sign_in_failed(conn, login, peer, method, locked) {
        tracing::error!(error = %e, "could not record a failed sign-in");
    }
}

/// Resolves credentials to a caller, or the kintone error for what was wrong.
pub fn authenticate(
    state: &AppState,
    conn: &mut DbConn,
    creds: &Credentials,
) -> Result<Caller, ApiError> {
    if let Some((login, password)) = &creds.password {
        let user = sign_in_with_password_only(
            state,
            conn,
            login,
            password,
            &creds.peer,
            "passwordHeader",
        )?;
        return caller_for_user(state, conn, user, creds, "password");
    }
    if let Some(token) = &creds.bearer {
        if token.starts_with(kumiki_engine::org::USER_TOKEN_PREFIX) {
            return match kumiki_engine::org::resolve_user_token_from(
                conn,
                token,
                Some(&creds.peer),
            )? {
                Ok(user) => caller_for_user(state, conn, user, creds, "userToken"),
                Err(UserTokenProblem::Invalid) => {
                    record_token_failure(conn, "-", &creds.peer, "userToken", "invalid");
                    Err(ApiError::login_required())
                }
                Err(UserTokenProblem::AddressNotAllowed) => {
                    record_token_failure(conn, "-", &creds.peer, "userToken", "addressNotAllowed");
                    Err(ApiError::token_address_not_allowed())
                }
            };
        }
        return match user_of_jwt(state, conn, token)? {
            Ok(user) => caller_for_user(state, conn, user, creds, "bearer"),
            Err((reason, actor)) => {
                record_token_failure(conn, &actor, &creds.peer, "bearer", reason);
                Err(ApiError::login_required())
            }
        };
    }
    if let Some(cookie) = creds.session.as_deref().filter(|_| creds.tokens.is_empty()) {
        use crate::pages::session::{csrf_for, same_secret, session_id_of};
        let (sid, _) = session_id_of(state, cookie).ok_or_else(ApiError::login_required)?;
        // A cookie is sent by the browser on its own; only our pages know the CSRF token.
        if creds.state_changing
            && !creds
                .csrf_header
                .as_deref()
                .is_some_and(|h| same_secret(h, &csrf_for(state, &sid)))
        {
            return Err(ApiError::no_privilege());
        }
        let login = kumiki_engine::sessions::session_user(conn, &sid)?
            .ok_or_else(ApiError::login_required)?;
        let user = User::find_by_code(conn, &login)?
            .filter(|u| u.is_active)
            .ok_or_else(ApiError::login_required)?;
        return caller_for_user(state, conn, user, creds, "session");
    }
    if !creds.tokens.is_empty() {
        return match resolve_tokens(conn, &creds.tokens, &creds.peer)? {
            Ok(rights) => Ok(Caller {
                principal: Principal::Tokens(rights),
                timezone: state.settings.default_timezone,
                locale: "en".into(),
                peer: creds.peer.clone(),
                via: "apiToken",
            }),
            Err(TokenProblem::Unknown) => {
                record_token_failure(conn, "-", &creds.peer, "apiToken", "unknown");
                Err(ApiError::unknown_token())
            }
            Err(TokenProblem::DuplicateApp) => Err(ApiError::duplicate_token()),
            Err(TokenProblem::AddressNotAllowed) => {
                record_token_failure(conn, "-", &creds.peer, "apiToken", "addressNotAllowed");
                Err(ApiError::token_address_not_allowed())
            }
        };
    }
    Err(ApiError::login_required())
}

/// Writes a successful interactive sign-in (form or `/api/auth/token`) to the audit log.
pub fn record_sign_in_success(
    conn: &mut DbConn,
    login: &str,
    peer: &str,
    method: &str,
) -> Result<(), ApiError> {
    let target = format!("user:{login}");
    let event = AuditEvent::success(
        login,
        peer,
        action::SIGN_IN,
        &target,
        serde_json::json!({ "method": method }),
    );
    Ok(audit::record(conn, event)?)
}

//! `POST /api/auth/token`: a login and password exchanged for a signed bearer token (JWT), which the
//! web UI and scripts send as `Authorization: Bearer`; `POST /api/auth/logout` revokes the bearer
//! token it is sent with. Same envelope conventions as the kintone API. The password goes through the
//! same lockout and per-address limit as every other path (`auth::sign_in_with_password`).

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::audit::{self, action, AuditEvent};
use serde::Deserialize;
use serde_json::json;

use super::wants_japanese;
use crate::auth::{decode_jwt, issue_jwt, record_sign_in_success, sign_in_with_password_only};
use crate::error::ApiError;
use crate::state::{blocking, AppState};

const TOKEN_HOURS: i64 = 12;

#[derive(Deserialize)]
pub struct TokenRequest {
    login: String,
    password: String,
}

pub async fn issue_token(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ja = wants_japanese(&req);
    let result: Result<HttpResponse, ApiError> = async {
        let request: TokenRequest =
            serde_json::from_slice(&body).map_err(|_| ApiError::malformed_json())?;
        let state = state.get_ref().clone();
        let peer = crate::client_address::client_address(&req);
        let (token, exp) = blocking(move || {
            let mut conn = state.conn()?;
            let user = sign_in_with_password_only(
                &state,
                &mut conn,
                &request.login,
                &request.password,
                &peer,
                "authToken",
            )?;
            kumiki_engine::sessions::clear_failures(&mut conn, &user.code)?;
            record_sign_in_success(&mut conn, &user.code, &peer, "authToken")?;
            issue_jwt(&state, &user, TOKEN_HOURS)
        })
        .await?;
        Ok(HttpResponse::Ok().json(json!({"token": token, "expiresAt": exp.to_string()})))
    }
    .await;
    result.unwrap_or_else(|e| e.response(ja))
}

/// `POST /api/auth/logout` with `Authorization: Bearer <jwt>` → `{}`: that token stops working at
/// once (its `jti` is kept as revoked until it would have expired). Anything else is `CB_AU01`.
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ja = wants_japanese(&req);
    let bearer = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let peer = crate::auth::peer_of(&req);
    let state = state.get_ref().clone();
    let result = blocking(move || {
        let claims = bearer
            .as_deref()
            .and_then(|t| decode_jwt(&state, t))
            .ok_or_else(ApiError::login_required)?;
        let mut conn = state.conn()?;
        kumiki_engine::sessions::revoke_jwt(&mut conn, &claims.jti, claims.exp)?;
        let target = format!("user:{}", claims.sub);
        audit::record(
            &mut conn,
            AuditEvent::success(
                &claims.sub,
                &peer,
                action::SIGN_OUT,
                &target,
                json!({"method": "bearer"}),
            ),
        )?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => HttpResponse::Ok().json(json!({})),
        Err(e) => e.response(ja),
    }
}

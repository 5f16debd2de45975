//! `POST /api/auth/token`: a login and password exchanged for a signed bearer token (JWT), which the
//! web UI and scripts send as `Authorization: Bearer`. Same envelope conventions as the kintone API.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::wants_japanese;
use crate::auth::{check_password, issue_jwt, record_sign_in_failure, record_sign_in_success};
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
            let user = check_password(&state, &mut conn, &request.login, &request.password)
                .inspect_err(|_| {
                    record_sign_in_failure(&mut conn, &request.login, &peer, "authToken")
                })?;
            record_sign_in_success(&mut conn, &user.code, &peer, "authToken")?;
            issue_jwt(&state, &user.code, TOKEN_HOURS)
        })
        .await?;
        Ok(HttpResponse::Ok().json(json!({"token": token, "expiresAt": exp.to_string()})))
    }
    .await;
    result.unwrap_or_else(|e| HttpResponse::build(e.status).json(e.body(ja)))
}

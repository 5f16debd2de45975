//! `GET /healthz`: the readiness check of load balancers. 200 `{"status":"ok"}` when a database
//! connection answers `SELECT 1` within [`DEADLINE`], else 503 `{"status":"unavailable",
//! "reason":...}`, so a balancer stops sending requests to a node that cannot reach the database.
//! Exempt from the IP allowlist (`crate::edge`); cheap enough to be probed every second. The
//! reason is generic (the probe is anonymous); the detail goes to the log.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::{blocking, AppState};

/// How long the check may take in all before it answers 503.
const DEADLINE: Duration = Duration::from_secs(2);

/// How long it waits for a pooled connection, inside [`DEADLINE`]: a pool exhausted by slow
/// requests is "not ready" too.
const POOL_WAIT: Duration = Duration::from_millis(1500);

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let db = std::sync::Arc::clone(&state.db);
    let probe = blocking(move || db.ping(POOL_WAIT).map_err(Into::into));
    let reason = match actix_web::rt::time::timeout(DEADLINE, probe).await {
        Ok(Ok(())) => return HttpResponse::Ok().json(json!({"status": "ok"})),
        Ok(Err(e)) => {
            tracing::warn!(error = %e.message, "health check: the database did not answer");
            "the database did not answer"
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within 2 s");
            "the database did not answer within 2 s"
        }
    };
    HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "reason": reason}))
}

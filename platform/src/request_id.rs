//! Request ids: every request runs inside a `request` tracing span carrying its id (and the app id
//! once known), so every log line of the request names it; the id is sent back in `X-Request-Id`.
//! A proxy's own `X-Request-Id` is kept when it is short and made of safe characters, so one id
//! follows the request through the proxy's and Kumiki's logs; otherwise a new one is made.
//!
//! The span follows the handler's future (`Instrument`); blocking work gets it through
//! [`crate::state::blocking`], which enters the caller's span on the blocking thread.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

/// The header read from proxies and sent back on every response.
pub const HEADER: &str = "x-request-id";

/// Longer incoming ids are replaced: they would bloat every log line.
const MAX_LEN: usize = 64;

/// The middleware (`App::wrap(from_fn(request_span))`).
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    // At error level so that the span is enabled whenever any line is: `RUST_LOG=warn` still names
    // the request of every warning.
    let span = tracing::error_span!("request", id = %id, app_id = tracing::field::Empty);
    if let Some(app) = app_in_path(req.path()).or_else(|| app_in_query(req.query_string())) {
        span.record("app_id", app);
    }
    let mut res = next.call(req).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(res)
}

/// Records the app a call names (the `app` parameter of a kintone call, from the query string or
/// the JSON body) on the current request span.
pub fn record_app(app: Option<&serde_json::Value>) {
    let id = match app {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    if let Some(id) = id {
        tracing::Span::current().record("app_id", id);
    }
}

/// An incoming id we keep: 1 to 64 characters of `A-Z a-z 0-9 - _ . :` (nothing that could forge a
/// log line or a header).
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The app of a page path (`/apps/{id}/...`).
fn app_in_path(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("/apps/")?;
    rest.split('/').next()?.parse().ok()
}

/// The `app` parameter of a query string.
fn app_in_query(query: &str) -> Option<i64> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "app")
        .and_then(|(_, v)| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_safe_ids_are_kept() {
        assert!(acceptable("3f2a-01.proxy:7_b"));
        assert!(!acceptable(""));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("id with spaces"));
        assert!(!acceptable("x\nforged line"));
        assert!(!acceptable("<script>"));
    }

    #[test]
    fn the_app_is_found_in_pages_and_parameters() {
        assert_eq!(app_in_path("/apps/12/records/3"), Some(12));
        assert_eq!(app_in_path("/apps/new"), None);
        assert_eq!(app_in_query("id=3&app=7"), Some(7));
        assert_eq!(app_in_query("id=3"), None);
    }
}

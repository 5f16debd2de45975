//! Webhook settings (`GET /apps/{id}/webhooks`, issue 13 part "webhooks"): where an app manager lists,
//! adds and edits the app's webhooks (name, URL, events, on/off), shows or regenerates a webhook's
//! secret, sends a test and reads the delivery log with each delivery's state.
//!
//! The page renders the frame; `webhooks.js` reads and writes through `/api/app/webhooks.json`,
//! `/api/app/webhook/secret.json`, `/api/app/webhook/test.json` and
//! `/api/app/webhook/deliveries.json` with the session's CSRF token. Webhooks take effect at once
//! (they are not part of the pre-live settings, as in kintone).

use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;

/// The page, for the app's managers; anyone else gets the not-found page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => {
            app.render_settings_page(&state, "webhooks", "webhooks.title", vec!["webhooks.js"])
        }
        Err(response) => response,
    }
}

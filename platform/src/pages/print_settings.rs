//! Print template settings (`GET /apps/{id}/print-templates`, issue 16): where an app manager writes
//! the app's print templates in handlebars (name, target record or list, source), saves them pre-live
//! (`preview/app/printTemplates.json`, checked on save with the line of a syntax error), previews one
//! on a record or the list (`?template=<id>&preview=1`) and publishes with the app's other settings.
//! The page renders the frame; `print_settings.js` does the rest. docs/printing.md.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;

/// The page, for the app's managers; anyone else gets the not-found page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    match super::managed_app::managed_app(&req, &state, &path.into_inner()).await {
        Ok(app) => app.render_settings_page(
            &state,
            "print_settings",
            "print.templates",
            vec!["print_settings.js"],
        ),
        Err(response) => response,
    }
}

//! Issue 15, the residents' side of public forms (docs/public-forms.md): the pages at `/f/<slug>`
//! and `/f/<slug>/l/<token>` (a per-recipient link), their assets at `/f-assets/`, and the job
//! that mails a resident the copy of an answer.
//!
//! What it guarantees:
//! - **No session, no cookies, nothing else**: the pages read no session and set no cookie; they
//!   reach the engine only through `kumiki_engine::public_forms::{open, validate, submit}`, which
//!   act as the form's own principal (add on its one app). On the public listener
//!   (`--public-listen`) these routes are the only ones (`configure_public`).
//! - **Works without JavaScript**: the server validates and shows each problem beside its field
//!   (422, typing kept); a confirmation step; `303` to a done page with the receipt. The script
//!   (`pf_form.js`) only improves: it keeps typing in the browser's storage, checks before sending,
//!   computes the proof of work and refuses oversize files before upload.
//! - **What the page carries is signed**: uploaded files travel between the steps as keys under
//!   an HMAC of the form's secret (`sign`), so a resident cannot attach someone else's upload.
//! - **Abuse without third parties**: in-memory rate limits per address and per form (`limits`), a
//!   honeypot field, size and type caps on files (`input`), an optional proof of work (`sign`).
//! - Statuses: 404 unknown form, 410 closed, 409 used link, 422 invalid, 403 honeypot or proof of
//!   work, 400 forged or malformed, 413 too large, 429 rate limited; an internal fault shows the
//!   form again, filled, with 503.

mod assets;
pub mod copy_mail;
mod handlers;
mod input;
pub mod limits;
mod render;
mod sign;
pub mod texts;

use actix_web::web;

/// The residents' side's state of one node, shared by both listeners.
#[derive(Default)]
pub struct PublicForms {
    pub limits: limits::RateLimits,
}

/// The routes of the residents' pages (on the main listener and on the public one).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/f-assets/{file}", web::get().to(assets::asset))
        .route("/f/{slug}", web::get().to(handlers::form_page))
        .route("/f/{slug}", web::post().to(handlers::form_post))
        .route("/f/{slug}/done", web::get().to(handlers::done_page))
        .route("/f/{slug}/l/{token}", web::get().to(handlers::link_page))
        .route("/f/{slug}/l/{token}", web::post().to(handlers::link_post));
}

pub use handlers::public_fallback;

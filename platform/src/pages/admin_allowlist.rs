//! `GET /admin/allowlist`: the server-wide IP allowlist for administrators — on or off, and the
//! addresses and ranges allowed, one per line, with the administrator's own address shown so they
//! do not shut themselves out. `admin_allowlist.js` saves through `PUT /api/security/allowlist.json`
//! (checked and audited there).

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::allowlist;
use serde::Serialize;
use serde_json::json;

use super::admin::{lang_of, require_admin};
use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct AllowlistData {
    enabled: bool,
    entries: String,
    your_address: String,
    overridden: bool,
}

/// `GET /admin/allowlist`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let st = state.get_ref().clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        Ok(allowlist::load(&mut conn)?)
    })
    .await;
    let list = match loaded {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "allowlist page failed");
            return super::internal_error(&state, lang, Some(&user));
        }
    };
    let data = AllowlistData {
        enabled: list.enabled,
        entries: list.entries.join("\n"),
        your_address: user.peer.clone(),
        overridden: state.settings.allowlist_off,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "admin_allowlist",
            title: i18n::t(lang, "allowlist.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec!["admin_allowlist.js"],
        },
    )
}

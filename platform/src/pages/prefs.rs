//! The user's own settings: language and time zone.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::users::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::session::{page_for, require_user, same_secret, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// Time zones offered in the form (any IANA name is accepted by the API).
const ZONES: [&str; 8] = [
    "Asia/Tokyo",
    "UTC",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
];

#[derive(Serialize)]
struct Zone {
    name: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct PrefsData {
    ja: bool,
    zones: Vec<Zone>,
    message: String,
}

fn render_prefs(state: &AppState, user: &SessionUser, message: String) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let zones = ZONES
        .iter()
        .map(|z| Zone {
            name: z,
            selected: *z == user.timezone,
        })
        .collect();
    let data = PrefsData {
        ja: lang == Lang::Ja,
        zones,
        message,
    };
    page_for(
        state,
        user,
        Page {
            template: "prefs",
            title: i18n::t(lang, "prefs.title"),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match require_user(&req, &state).await {
        Ok(user) => render_prefs(&state, &user, String::new()),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct PrefsForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    locale: String,
    timezone: String,
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PrefsForm>,
) -> HttpResponse {
    let mut user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    if !same_secret(&user.csrf, &form.csrf) {
        return render_prefs(&state, &user, i18n::t(lang, "error.csrf"));
    }
    let st = state.get_ref().clone();
    let code = user.code.clone();
    let (locale, tz) = (form.locale.clone(), form.timezone.clone());
    let saved = blocking(move || {
        let mut conn = st.conn()?;
        Ok(User::set_preferences(&mut conn, &code, &locale, &tz)?)
    })
    .await;
    match saved {
        Ok(()) => {
            user.locale = form.locale.clone();
            user.timezone = form.timezone.clone();
            let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
            let mut resp = render_prefs(&state, &user, i18n::t(lang, "prefs.saved"));
            // The sign-in page follows the language chosen here (session::lang_cookie).
            let _ = resp.add_cookie(&super::session::lang_cookie(&state, lang));
            resp
        }
        Err(e) => render_prefs(&state, &user, e.message.clone()),
    }
}

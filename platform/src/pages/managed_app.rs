//! The shell shared by an app's settings pages (form designer, permissions): signed in, a well-formed
//! app id, and the manage right — otherwise the not-found page, exactly as for a missing app.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{load_definition, AppId, LIVE, PREVIEW};
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

/// An app the signed-in user manages, with what its settings pages show in their header.
pub struct ManagedApp {
    pub user: SessionUser,
    pub lang: Lang,
    pub app_id: i64,
    pub name: String,
    pub preview_revision: i64,
    /// None while the app was never deployed.
    pub live_revision: Option<i64>,
}

/// The app of `/apps/{id}/...` for its managers, or the response to send instead (sign-in redirect,
/// not-found page, error page).
pub async fn managed_app(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    raw_id: &str,
) -> Result<ManagedApp, HttpResponse> {
    let user = require_user(req, state).await?;
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    // A malformed id is a page that does not exist.
    let Ok(app_id) = raw_id.parse::<i64>() else {
        return Err(super::not_found(state, lang, Some(&user)));
    };
    let st = state.get_ref().clone();
    let acting = user.acting(state);
    let found = blocking(move || {
        let mut conn = st.conn()?;
        // The settings pages are for those who may manage the app (the API's rule, one door).
        match acting.find_app(&mut conn, AppId(app_id), AppRight::Manage) {
            Ok(_) => {}
            Err(kumiki_engine::EngineError::User(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let Some((preview, preview_revision)) = load_definition(&mut conn, AppId(app_id), PREVIEW)?
        else {
            return Ok(None);
        };
        let live_revision = load_definition(&mut conn, AppId(app_id), LIVE)?.map(|(_, r)| r);
        Ok(Some((preview.name, preview_revision, live_revision)))
    })
    .await;
    match found {
        Ok(Some((name, preview_revision, live_revision))) => Ok(ManagedApp {
            user,
            lang,
            app_id,
            name,
            preview_revision,
            live_revision,
        }),
        Ok(None) => Err(super::not_found(state, lang, Some(&user))),
        Err(_) => Err(super::internal_error(state, lang, Some(&user))),
    }
}

/// What the template of a plain settings page needs (its tabs, breadcrumb and title).
#[derive(Serialize)]
struct SettingsShell {
    app_id: i64,
    app_name: String,
    /// The breadcrumb links the record list only once the app is live.
    deployed: bool,
}

impl ManagedApp {
    /// Renders a settings page whose script reads and writes everything through the API: the
    /// template gets the shell, the script gets the app id, both revisions, whether there are
    /// unpublished changes, the user's time zone and the language.
    pub fn render_settings_page(
        &self,
        state: &AppState,
        template: &str,
        title_key: &str,
        scripts: Vec<&'static str>,
    ) -> HttpResponse {
        let data = SettingsShell {
            app_id: self.app_id,
            app_name: self.name.clone(),
            deployed: self.live_revision.is_some(),
        };
        page_for(
            state,
            &self.user,
            Page {
                template,
                title: format!("{} – {}", i18n::t(self.lang, title_key), self.name),
                data: &data,
                page_data: json!({
                    "app": self.app_id.to_string(),
                    "previewRevision": self.preview_revision.to_string(),
                    "liveRevision": self.live_revision.map(|r| r.to_string()),
                    "unpublished": self.live_revision != Some(self.preview_revision),
                    "timezone": self.user.timezone,
                    "lang": self.lang.code(),
                }),
                scripts,
            },
        )
    }
}

//! App icons: a bundled set of simple SVG icons (`platform/static/app-icons/<key>.svg`) that an app
//! manager picks on the general settings page, stored as kintone's `icon: {type: "PRESET", key}`.
//! kintone's own preset keys (`APP72`, ...) are accepted for compatibility and shown with the
//! default icon. `GET /apps/{id}/icon.svg` answers the icon of an app to those who may see the app,
//! so a page needs only the app id to show it.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{load_definition, AppId, LIVE, PREVIEW};
use serde_json::{Map, Value};

use super::session::require_user;
use crate::i18n::Lang;
use crate::state::{blocking, AppState};

/// The keys of the bundled icons, in the order the settings page offers them.
pub const APP_ICONS: [&str; 16] = [
    "documents",
    "people",
    "calendar",
    "money",
    "truck",
    "house",
    "health",
    "school",
    "tools",
    "chart",
    "mail",
    "shield",
    "tree",
    "pin",
    "box",
    "phone",
];

/// The icon shown for an app without a bundled icon.
pub const DEFAULT_ICON: &str = "app";

/// Whether `key` may be stored as a preset icon: a bundled key or a kintone preset (`APP` + digits).
pub fn is_preset_key(key: &str) -> bool {
    APP_ICONS.contains(&key)
        || key
            .strip_prefix("APP")
            .is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The bundled icon to show for an app's settings (`DEFAULT_ICON` when none of ours is set).
pub fn icon_of(settings: &Map<String, Value>) -> &'static str {
    let key = settings
        .get("icon")
        .and_then(|i| i.get("key"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    APP_ICONS
        .iter()
        .find(|k| **k == key)
        .copied()
        .unwrap_or(DEFAULT_ICON)
}

/// The static URL of the icon for an app's settings.
pub fn icon_url(settings: &Map<String, Value>) -> String {
    format!("/static/app-icons/{}.svg", icon_of(settings))
}

/// `GET /apps/{id}/icon.svg`: a redirect to the app's icon (live settings, else pre-live for its
/// managers); not found for an app the user may not see.
pub async fn app_icon(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Ok(app_id) = path.into_inner().parse::<i64>() else {
        return super::not_found(&state, lang, Some(&user));
    };
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let found = blocking(move || {
        let mut conn = st.conn()?;
        let access = acting.app_access(&mut conn, AppId(app_id))?;
        let may_view = access
            .as_ref()
            .is_some_and(|a| kumiki_engine::acl::check_app_access(a, AppRight::View).is_ok());
        if !may_view {
            return Ok(None);
        }
        let may_manage = access
            .as_ref()
            .is_some_and(|a| kumiki_engine::acl::check_app_access(a, AppRight::Manage).is_ok());
        let def = match load_definition(&mut conn, AppId(app_id), LIVE)? {
            Some((d, _)) => Some(d),
            None if may_manage => load_definition(&mut conn, AppId(app_id), PREVIEW)?.map(|x| x.0),
            None => None,
        };
        Ok(def.map(|d| icon_url(&d.settings)))
    })
    .await;
    match found {
        Ok(Some(url)) => HttpResponse::Found()
            .insert_header(("Location", url))
            // Asked again each time, so a newly chosen icon shows at once; the icon itself is cached.
            .insert_header(("Cache-Control", "private, no-cache"))
            .finish(),
        Ok(None) => super::not_found(&state, lang, Some(&user)),
        Err(_) => super::internal_error(&state, lang, Some(&user)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_files_match() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/app-icons");
        for key in APP_ICONS.iter().chain([&DEFAULT_ICON]) {
            assert!(dir.join(format!("{key}.svg")).is_file(), "{key}.svg");
        }
        assert!(is_preset_key("APP72"));
        assert!(!is_preset_key("APP"));
        assert!(!is_preset_key("../x"));
        let settings = serde_json::json!({"icon": {"type": "PRESET", "key": "truck"}});
        assert_eq!(
            icon_of(settings.as_object().unwrap_or(&Map::new())),
            "truck"
        );
        assert_eq!(icon_of(&Map::new()), DEFAULT_ICON);
    }
}

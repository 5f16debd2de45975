//! The thread page, `GET /spaces/{id}/threads/{tid}` (issue 13, threads part): the thread's posts
//! newest page first with "older" paging, replies, a mention picker, attachments, editing and
//! deleting one's own posts, and 既読 N on each post (who, on click). Reading the page marks the
//! thread read. The page renders a frame; `threads.js` talks to `/api/space/thread/...` (through
//! `/k/guest/<space>/api/...` for a guest space), so it sees exactly what the API lets the user see.
//! A space or thread the user may not enter answers like a missing page.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::spaces::posts::open_thread;
use serde::Serialize;
use serde_json::json;

use super::session::{page_for, require_user};
use super::Page;
use crate::i18n::Lang;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct ThreadPage {
    space_id: i64,
    space_name: String,
    thread_id: i64,
    thread_name: String,
    /// Sanitised HTML of the thread's body.
    thread_body: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let (space, thread) = path.into_inner();
    let (Ok(space), Ok(thread)) = (space.parse::<i64>(), thread.parse::<i64>()) else {
        return super::not_found(&state, lang, Some(&user));
    };
    let st = state.get_ref().clone();
    let u = user.clone();
    let found = blocking(move || {
        let mut conn = st.conn()?;
        // A guest space is entered through its own path, as its API calls are.
        let guest = kumiki_engine::spaces::Space::find(&mut conn, space)?
            .filter(|s| s.is_guest)
            .map(|s| s.id);
        let acting = u.acting(&st).through_guest_space(guest);
        match open_thread(&mut conn, &acting, space, thread) {
            Ok((s, t)) => Ok(Some((s, t))),
            Err(kumiki_engine::EngineError::User(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await;
    let (space, thread) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return super::not_found(&state, lang, Some(&user)),
        Err(_) => return super::internal_error(&state, lang, Some(&user)),
    };
    let api_base = if space.is_guest {
        format!("/k/guest/{}/api/", space.id)
    } else {
        "/api/".to_owned()
    };
    let file_base = if space.is_guest {
        format!("/k/guest/{}/v1/file.json", space.id)
    } else {
        "/k/v1/file.json".to_owned()
    };
    let title = if thread.name.is_empty() {
        space.name.clone()
    } else {
        format!("{} - {}", thread.name, space.name)
    };
    let data = ThreadPage {
        space_id: space.id,
        space_name: space.name.clone(),
        thread_id: thread.id,
        thread_name: thread.name.clone(),
        thread_body: kumiki_engine::spaces::html::sanitize(&thread.body),
    };
    page_for(
        &state,
        &user,
        Page {
            template: "threads",
            title,
            data: &data,
            page_data: json!({
                "space": space.id.to_string(),
                "thread": thread.id.to_string(),
                "apiBase": api_base,
                "fileBase": file_base,
                "me": user.code,
                "maxFiles": kumiki_engine::spaces::posts::MAX_FILES,
            }),
            scripts: vec!["entity_picker.js", "threads.js"],
        },
    )
}

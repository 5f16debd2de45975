//! Apps and spaces: the apps attached to a space (`space.json`'s `attachedApps`), creating an app in
//! a space (`preview/app.json` with `space`/`thread`) and moving an app into or out of a space
//! (`app/move.json`).
//!
//! Who may create an app in a space: its members when the space's `create_app` is `EVERYONE`, its
//! admins when it is `ADMIN`, and always within the server's app-creation policy. Moving needs the
//! app's manage right and, for the target space, the right to create apps there. Apps of guest
//! spaces are not moved in or out (kintone refuses it: their path and their audience would change).

use diesel::prelude::*;

use super::{Membership, Space, Thread};
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{load_definition, AppDefinition, AppId, AppRow, LIVE, PREVIEW};
use crate::db::schema::apps;
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::with_conn;

/// An app attached to a space, as `attachedApps` lists it.
#[derive(Debug, Clone)]
pub struct AttachedApp {
    pub row: AppRow,
    pub code: String,
    pub name: String,
    pub description: String,
}

/// The apps of `space` the actor may see (view or manage), in id order.
pub fn attached_apps(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
) -> EngineResult<Vec<AttachedApp>> {
    let ids: Vec<i64> = with_conn!(conn, |c| apps::table
        .filter(apps::space_id.eq(space))
        .order(apps::id.asc())
        .select(apps::id)
        .load(c))?;
    let mut out = Vec::new();
    for visible in acting.visible_apps_among(conn, &ids)? {
        let def = match visible.definition {
            Some(d) => d,
            None => match load_definition(conn, AppId(visible.row.id), PREVIEW)? {
                Some((d, _)) => d,
                None => continue,
            },
        };
        out.push(AttachedApp {
            row: visible.row,
            code: def.code,
            name: def.name,
            description: def.description,
        });
    }
    Ok(out)
}

/// Checks that the actor may create apps in `space` (see the module comment).
fn check_may_create_in(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: &Space,
) -> EngineResult<()> {
    let needed = match acting.space_membership(conn, space.id)? {
        Membership::Admin => return Ok(()),
        Membership::Member if space.create_app != "ADMIN" => return Ok(()),
        _ => UserError::Forbidden,
    };
    Err(needed.into())
}

/// The thread of `space` an app goes into: the given one (it must be of this space) or the
/// space's default thread.
fn thread_of(conn: &mut DbConn, space: &Space, thread: Option<i64>) -> EngineResult<Option<i64>> {
    match thread {
        None => Ok(space.default_thread),
        Some(t) => match Thread::find(conn, t)? {
            Some(row) if row.space_id == space.id => Ok(Some(t)),
            _ => Err(UserError::ThreadNotFound(t.to_string()).into()),
        },
    }
}

/// Creates an app (pre-live) in `space` (and `thread`, default: the space's default thread). A
/// guest space's app is created only through that space's path (`enter_space`).
pub fn create_app_in_space(
    conn: &mut DbConn,
    acting: &ActingContext,
    definition: AppDefinition,
    space: i64,
    thread: Option<i64>,
) -> EngineResult<(AppId, i64)> {
    let row = acting.enter_space(conn, space)?;
    check_may_create_in(conn, acting, &row)?;
    crate::apps::check_may_create(conn, acting.principal())?;
    let thread = thread_of(conn, &row, thread)?;
    crate::apps::create_app(conn, definition, Some(space), thread, acting.user_code())
}

/// Moves `app` into `space` (its default thread), or out of any space (`None`).
pub fn move_app(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: i64,
    space: Option<i64>,
) -> EngineResult<()> {
    let row = acting.find_app(conn, AppId(app), AppRight::Manage)?;
    if let Some(from) = row.space() {
        if Space::find(conn, from)?.is_none_or(|s| s.is_guest) {
            return Err(guest_move_refused().into());
        }
    }
    let thread = match space {
        Some(id) => {
            let target = acting.enter_space(conn, id)?;
            if target.is_guest {
                return Err(guest_move_refused().into());
            }
            check_may_create_in(conn, acting, &target)?;
            thread_of(conn, &target, None)?
        }
        None => None,
    };
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(apps::table.find(app))
        .set((
            apps::space_id.eq(space),
            apps::thread_id.eq(thread),
            apps::modifier.eq(acting.user_code()),
            apps::modified_at.eq(now),
        ))
        .execute(c))?;
    acting.audit(
        conn,
        super::store::action::APP_MOVE,
        &format!("app:{app}"),
        serde_json::json!({"from": row.space(), "to": space}),
    )
}

fn guest_move_refused() -> UserError {
    UserError::invalid(
        "space",
        Message::keyed(
            "spaces.err.guest_move",
            "Apps cannot be moved into or out of a guest space.",
        ),
    )
}

/// Whether the app has been deployed (its live stage exists): attached apps link to records only
/// then.
pub fn is_live(conn: &mut DbConn, app: i64) -> EngineResult<bool> {
    Ok(load_definition(conn, AppId(app), LIVE)?.is_some())
}

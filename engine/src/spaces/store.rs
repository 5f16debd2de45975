//! The space use cases of kintone's `space.json`, `space/body.json`, `space/members.json` and
//! `space/thread.json`, and Kumiki's space creation. Every use case takes the acting context and
//! enters the space through `ActingContext::enter_space` (path rule, private spaces, guests).
//!
//! Who may do what (kintone's rules):
//! - read a space, its members and threads: whoever may enter it;
//! - change its settings, body and members, delete it: its space admins;
//! - add or change threads: its members (multi-thread spaces only for adding);
//! - join or leave a public space by oneself: anyone, unless the members are fixed.
//!
//! Callers hold the transaction around these functions.

use diesel::prelude::*;

use super::{member_entries, Membership, Space, SpaceMember, Thread, GROUP, ORGANIZATION, USER};
use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::schema::{apps, space_members, space_threads, spaces, thread_posts, thread_reads};
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::users::User;
use crate::with_conn;

/// Audit actions of this module.
pub mod action {
    pub const SPACE_CREATE: &str = "space.create";
    pub const SPACE_UPDATE: &str = "space.update";
    pub const SPACE_DELETE: &str = "space.delete";
    pub const SPACE_MEMBERS: &str = "space.members.update";
    pub const SPACE_THREAD: &str = "space.thread";
    pub const APP_MOVE: &str = "app.move";
}

/// Longest space and thread names (kintone's limits).
pub const MAX_NAME: usize = 128;
/// Longest body (HTML, before sanitising).
pub const MAX_BODY: usize = 65_535;
/// The name of a new space's first thread.
pub const DEFAULT_THREAD_NAME: &str = "スレッド";

/// A member entry as callers give it (kintone's `{entity{type,code}, isAdmin, includeSubs}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberEntry {
    pub entity_type: String,
    pub code: String,
    pub is_admin: bool,
    pub include_subs: bool,
}

impl From<SpaceMember> for MemberEntry {
    fn from(m: SpaceMember) -> MemberEntry {
        MemberEntry {
            entity_type: m.entity_type,
            code: m.code,
            is_admin: m.is_admin,
            include_subs: m.include_subs,
        }
    }
}

/// A space as `space.json` describes it.
#[derive(Debug, Clone)]
pub struct SpaceDetail {
    pub space: Space,
    pub creator_name: String,
    pub modifier_name: String,
    pub member_count: usize,
    pub threads: Vec<Thread>,
    pub apps: Vec<super::apps::AttachedApp>,
    /// The reader's standing (pages show the settings link to admins).
    pub membership: Membership,
}

fn invalid(key: &str, msg_key: &'static str, text: &str) -> UserError {
    UserError::invalid(key, Message::keyed(msg_key, text))
}

fn user_name(conn: &mut DbConn, code: &str) -> EngineResult<String> {
    Ok(User::find_by_code(conn, code)?
        .map(|u| u.name)
        .unwrap_or_else(|| code.to_owned()))
}

/// The space, entered by the actor, with what `space.json` shows.
pub fn get_space(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<SpaceDetail> {
    let space = acting.enter_space(conn, id)?;
    let membership = acting.space_membership(conn, id)?;
    let member_count = super::member_user_codes(conn, id)?.len();
    let threads = Thread::of_space(conn, id)?;
    let apps = super::apps::attached_apps(conn, acting, id)?;
    Ok(SpaceDetail {
        creator_name: user_name(conn, &space.creator)?,
        modifier_name: user_name(conn, &space.modifier)?,
        space,
        member_count,
        threads,
        apps,
        membership,
    })
}

/// The space, entered by an actor who must be one of its admins (`Forbidden` otherwise).
pub fn enter_as_admin(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Space> {
    let space = acting.enter_space(conn, id)?;
    if acting.space_membership(conn, id)? != Membership::Admin {
        return Err(UserError::Forbidden.into());
    }
    Ok(space)
}

/// The space, entered by one of its members or admins (`Forbidden` for a visitor of a public space).
pub fn enter_as_member(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<Space> {
    let space = acting.enter_space(conn, id)?;
    if acting.space_membership(conn, id)? == Membership::None {
        return Err(UserError::Forbidden.into());
    }
    Ok(space)
}

/// The settings `space.json` PUT changes; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct SpaceChanges {
    pub name: Option<String>,
    pub is_private: Option<bool>,
    pub fixed_member: Option<bool>,
    pub use_multi_thread: Option<bool>,
    /// `EVERYONE` or `ADMIN`.
    pub create_app: Option<String>,
    pub show_announcement: Option<bool>,
    pub show_thread_list: Option<bool>,
    pub show_app_list: Option<bool>,
    pub show_member_list: Option<bool>,
    pub show_related_link_list: Option<bool>,
}

/// A space name after the checks (trimmed, 1 to 128 characters).
pub fn check_name(key: &str, name: &str) -> EngineResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(invalid(
            key,
            "spaces.err.name",
            "Enter a name of 1 to 128 characters.",
        )
        .into());
    }
    Ok(name.to_owned())
}

fn check_create_app(value: &str) -> EngineResult<()> {
    if value != "EVERYONE" && value != "ADMIN" {
        return Err(invalid(
            "permissions.createApp",
            "spaces.err.create_app",
            "Enter EVERYONE or ADMIN.",
        )
        .into());
    }
    Ok(())
}

/// Changes the space's settings (space admins only).
pub fn update_space(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    changes: SpaceChanges,
) -> EngineResult<()> {
    let space = enter_as_admin(conn, acting, id)?;
    let name = match &changes.name {
        Some(n) => check_name("name", n)?,
        None => space.name.clone(),
    };
    if let Some(c) = &changes.create_app {
        check_create_app(c)?;
    }
    // A guest space stays private: its guests are its only outsiders.
    let is_private = changes.is_private.unwrap_or(space.is_private) || space.is_guest;
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(spaces::table.find(id))
        .set((
            spaces::name.eq(&name),
            spaces::is_private.eq(is_private),
            spaces::fixed_member.eq(changes.fixed_member.unwrap_or(space.fixed_member)),
            spaces::use_multi_thread.eq(changes.use_multi_thread.unwrap_or(space.use_multi_thread)),
            spaces::create_app.eq(changes.create_app.as_deref().unwrap_or(&space.create_app)),
            spaces::show_announcement
                .eq(changes.show_announcement.unwrap_or(space.show_announcement)),
            spaces::show_thread_list.eq(changes.show_thread_list.unwrap_or(space.show_thread_list)),
            spaces::show_app_list.eq(changes.show_app_list.unwrap_or(space.show_app_list)),
            spaces::show_member_list.eq(changes.show_member_list.unwrap_or(space.show_member_list)),
            spaces::show_related_link_list.eq(changes
                .show_related_link_list
                .unwrap_or(space.show_related_link_list)),
            spaces::modifier.eq(acting.user_code()),
            spaces::modified_at.eq(now),
        ))
        .execute(c))?;
    acting.audit(
        conn,
        action::SPACE_UPDATE,
        &format!("space:{id}"),
        serde_json::json!({"name": name, "isPrivate": is_private}),
    )
}

/// Replaces the space's body with the sanitised `html` (space admins only).
pub fn update_body(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    html: &str,
) -> EngineResult<String> {
    enter_as_admin(conn, acting, id)?;
    if html.len() > MAX_BODY {
        return Err(invalid("body", "spaces.err.body_size", "The body is too long.").into());
    }
    let body = super::html::sanitize(html);
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(spaces::table.find(id))
        .set((
            spaces::body.eq(&body),
            spaces::modifier.eq(acting.user_code()),
            spaces::modified_at.eq(now),
        ))
        .execute(c))?;
    acting.audit(
        conn,
        action::SPACE_UPDATE,
        &format!("space:{id}"),
        serde_json::json!({"body": true}),
    )?;
    Ok(body)
}

/// Deletes the space with its threads, posts, read positions, members and, as kintone does, the
/// apps attached to it (space admins only).
pub fn delete_space(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let space = enter_as_admin(conn, acting, id)?;
    let app_ids: Vec<i64> = with_conn!(conn, |c| apps::table
        .filter(apps::space_id.eq(id))
        .select(apps::id)
        .load(c))?;
    for app in &app_ids {
        crate::apps::delete_app(conn, crate::apps::AppId(*app))?;
    }
    let threads: Vec<i64> = with_conn!(conn, |c| space_threads::table
        .filter(space_threads::space_id.eq(id))
        .select(space_threads::id)
        .load(c))?;
    with_conn!(conn, |c| diesel::delete(
        thread_reads::table.filter(thread_reads::thread_id.eq_any(&threads))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        thread_posts::table.filter(thread_posts::thread_id.eq_any(&threads))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        space_threads::table.filter(space_threads::space_id.eq(id))
    )
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        space_members::table.filter(space_members::space_id.eq(id))
    )
    .execute(c))?;
    // Issue 16: the space's dashboard goes with it.
    crate::dashboards::forget_space(conn, id)?;
    with_conn!(conn, |c| diesel::delete(spaces::table.find(id)).execute(c))?;
    acting.audit(
        conn,
        action::SPACE_DELETE,
        &format!("space:{id}"),
        serde_json::json!({"name": space.name, "apps": app_ids}),
    )
}

/// The member entries of the space (whoever may enter it may read them).
pub fn get_members(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<Vec<SpaceMember>> {
    acting.enter_space(conn, id)?;
    member_entries(conn, id)
}

/// Checks member entries given by a caller: known kinds and codes, no guest users (they are added
/// through `space/guests.json`), no entry twice. `key` prefixes the error keys (`members`).
pub fn check_members(
    conn: &mut DbConn,
    key: &str,
    entries: &[MemberEntry],
) -> EngineResult<Vec<MemberEntry>> {
    let mut out: Vec<MemberEntry> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let at = format!("{key}[{i}].entity");
        let code = e.code.trim().to_owned();
        let known = match e.entity_type.as_str() {
            USER => match User::find_by_code(conn, &code)? {
                Some(u) if u.is_guest => {
                    return Err(invalid(
                        &format!("{at}.code"),
                        "spaces.err.guest_member",
                        "A guest user is added to a guest space with space/guests.json.",
                    )
                    .into())
                }
                Some(u) => u.is_active,
                None => false,
            },
            GROUP => crate::org::find_group(conn, &code)?.is_some(),
            ORGANIZATION => crate::org::find_department(conn, &code)?.is_some(),
            _ => {
                return Err(invalid(
                    &format!("{at}.type"),
                    "spaces.err.member_type",
                    "Enter USER, GROUP or ORGANIZATION.",
                )
                .into())
            }
        };
        if !known {
            return Err(UserError::invalid(
                format!("{at}.code"),
                Message::keyed(
                    "spaces.err.unknown_member",
                    format!("The {} \"{}\" does not exist.", e.entity_type, code),
                )
                .arg("type", e.entity_type.clone())
                .arg("code", code),
            )
            .into());
        }
        if out
            .iter()
            .any(|o| o.entity_type == e.entity_type && o.code == code)
        {
            return Err(UserError::invalid(
                format!("{at}.code"),
                Message::keyed(
                    "spaces.err.duplicate_member",
                    format!("\"{code}\" is listed twice."),
                )
                .arg("code", code),
            )
            .into());
        }
        out.push(MemberEntry {
            entity_type: e.entity_type.clone(),
            code,
            is_admin: e.is_admin,
            include_subs: e.include_subs && e.entity_type == ORGANIZATION,
        });
    }
    if !out.iter().any(|e| e.is_admin && e.entity_type == USER) {
        return Err(invalid(
            key,
            "spaces.err.no_admin",
            "Specify at least one user as a space administrator.",
        )
        .into());
    }
    Ok(out)
}

/// Writes the member entries of `space`, keeping its guest users (managed by
/// `space/guests.json`). The entries must have passed `check_members`.
pub fn write_members(conn: &mut DbConn, space: i64, entries: &[MemberEntry]) -> EngineResult<()> {
    let user_codes: Vec<String> = with_conn!(conn, |c| space_members::table
        .filter(space_members::space_id.eq(space))
        .filter(space_members::entity_type.eq(USER))
        .select(space_members::code)
        .load(c))?;
    let guests: Vec<String> = with_conn!(conn, |c| crate::db::schema::users::table
        .filter(crate::db::schema::users::code.eq_any(&user_codes))
        .filter(crate::db::schema::users::is_guest.eq(true))
        .select(crate::db::schema::users::code)
        .load(c))?;
    with_conn!(conn, |c| diesel::delete(
        space_members::table
            .filter(space_members::space_id.eq(space))
            .filter(diesel::dsl::not(space_members::code.eq_any(&guests)))
    )
    .execute(c))?;
    let rows: Vec<SpaceMember> = entries
        .iter()
        .map(|e| SpaceMember {
            space_id: space,
            entity_type: e.entity_type.clone(),
            code: e.code.clone(),
            is_admin: e.is_admin,
            include_subs: e.include_subs,
        })
        .collect();
    // One row at a time: Diesel's SQLite batch insert opens a transaction of its own, which
    // fails inside the call's transaction.
    for row in &rows {
        with_conn!(conn, |c| diesel::insert_into(space_members::table)
            .values(row)
            .execute(c))?;
    }
    Ok(())
}

/// Replaces the member entries of the space (space admins only): at least one user admin, every
/// code known.
pub fn update_members(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    entries: &[MemberEntry],
) -> EngineResult<()> {
    enter_as_admin(conn, acting, id)?;
    let entries = check_members(conn, "members", entries)?;
    write_members(conn, id, &entries)?;
    touch(conn, acting, id)?;
    acting.audit(
        conn,
        action::SPACE_MEMBERS,
        &format!("space:{id}"),
        serde_json::json!({"members": entries}),
    )
}

fn touch(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(spaces::table.find(id))
        .set((
            spaces::modifier.eq(acting.user_code()),
            spaces::modified_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

/// The actor joins a public space as a plain member (kintone's 「参加する」); refused when the
/// members are fixed. Joining twice changes nothing.
pub fn join(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let space = acting.enter_space(conn, id)?;
    if !matches!(acting.principal(), Principal::User { guest: false, .. }) {
        return Err(UserError::Forbidden.into());
    }
    if space.fixed_member || space.is_private || space.is_guest {
        return Err(invalid(
            "id",
            "spaces.err.fixed",
            "The members of this space are fixed.",
        )
        .into());
    }
    if acting.space_membership(conn, id)? != Membership::None {
        return Ok(());
    }
    let row = SpaceMember {
        space_id: id,
        entity_type: USER.into(),
        code: acting.user_code().to_owned(),
        is_admin: false,
        include_subs: false,
    };
    with_conn!(conn, |c| diesel::insert_into(space_members::table)
        .values(&row)
        .execute(c))?;
    acting.audit(
        conn,
        action::SPACE_MEMBERS,
        &format!("space:{id}"),
        serde_json::json!({"join": acting.user_code()}),
    )
}

/// The actor leaves the space (their own USER entry); refused when the members are fixed or when
/// they are its last user admin.
pub fn leave(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let space = acting.enter_space(conn, id)?;
    if space.fixed_member {
        return Err(invalid(
            "id",
            "spaces.err.fixed",
            "The members of this space are fixed.",
        )
        .into());
    }
    let me = acting.user_code().to_owned();
    let entries = member_entries(conn, id)?;
    let remaining = entries
        .iter()
        .filter(|e| e.is_admin && e.entity_type == USER && e.code != me)
        .count();
    if remaining == 0 {
        return Err(invalid(
            "id",
            "spaces.err.no_admin",
            "Specify at least one user as a space administrator.",
        )
        .into());
    }
    with_conn!(conn, |c| diesel::delete(
        space_members::table
            .filter(space_members::space_id.eq(id))
            .filter(space_members::entity_type.eq(USER))
            .filter(space_members::code.eq(&me))
    )
    .execute(c))?;
    acting.audit(
        conn,
        action::SPACE_MEMBERS,
        &format!("space:{id}"),
        serde_json::json!({"leave": me}),
    )
}

/// Adds a thread to a multi-thread space (its members); returns the thread's id.
pub fn add_thread(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    name: &str,
) -> EngineResult<i64> {
    let row = enter_as_member(conn, acting, space)?;
    if !row.use_multi_thread {
        return Err(invalid(
            "space",
            "spaces.err.single_thread",
            "Threads can be added only to a space that uses multiple threads.",
        )
        .into());
    }
    let name = check_name("name", name)?;
    let id = insert_thread(conn, acting, space, &name, "")?;
    acting.audit(
        conn,
        action::SPACE_THREAD,
        &format!("space:{space}"),
        serde_json::json!({"add": id, "name": name}),
    )?;
    Ok(id)
}

/// Inserts a thread row (no checks).
pub fn insert_thread(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    name: &str,
    body: &str,
) -> EngineResult<i64> {
    let now = acting.now().timestamp();
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(space_threads::table)
        .values((
            space_threads::space_id.eq(space),
            space_threads::name.eq(name),
            space_threads::body.eq(body),
            space_threads::creator.eq(acting.user_code()),
            space_threads::created_at.eq(now),
            space_threads::modified_at.eq(now),
        ))
        .returning(space_threads::id)
        .get_result(c))?;
    Ok(id)
}

/// Changes a thread's name and/or body (members of its space). A single-thread space's only thread
/// has no name of its own in kintone: renaming it is refused.
pub fn update_thread(
    conn: &mut DbConn,
    acting: &ActingContext,
    thread: i64,
    name: Option<&str>,
    body: Option<&str>,
) -> EngineResult<()> {
    let row =
        Thread::find(conn, thread)?.ok_or_else(|| UserError::ThreadNotFound(thread.to_string()))?;
    let space = match enter_as_member(conn, acting, row.space_id) {
        Err(crate::EngineError::User(UserError::SpaceNotFound(_))) => {
            return Err(UserError::ThreadNotFound(thread.to_string()).into())
        }
        other => other?,
    };
    let name = match name {
        Some(n) if !space.use_multi_thread => {
            let _ = n;
            return Err(invalid(
                "name",
                "spaces.err.single_thread_name",
                "The thread of a single-thread space cannot be renamed.",
            )
            .into());
        }
        Some(n) => check_name("name", n)?,
        None => row.name.clone(),
    };
    let body = match body {
        Some(b) if b.len() > MAX_BODY => {
            return Err(invalid("body", "spaces.err.body_size", "The body is too long.").into())
        }
        Some(b) => super::html::sanitize(b),
        None => row.body.clone(),
    };
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(space_threads::table.find(thread))
        .set((
            space_threads::name.eq(&name),
            space_threads::body.eq(&body),
            space_threads::modified_at.eq(now),
        ))
        .execute(c))?;
    acting.audit(
        conn,
        action::SPACE_THREAD,
        &format!("space:{}", row.space_id),
        serde_json::json!({"update": thread, "name": name}),
    )
}

/// A new space.
#[derive(Debug, Clone, Default)]
pub struct NewSpace {
    pub name: String,
    pub members: Vec<MemberEntry>,
    pub is_private: bool,
    pub is_guest: bool,
    pub fixed_member: bool,
    pub use_multi_thread: bool,
    pub create_app: Option<String>,
    pub body: String,
    /// Threads beyond the first (name, body); a multi-thread space from a template gets these.
    pub threads: Vec<(String, String)>,
    /// The first thread's name (`None`: 「スレッド」).
    pub first_thread: Option<(String, String)>,
}

/// Whether the actor may create spaces: signed-in users who are not guests, and the server.
fn check_may_create_space(acting: &ActingContext) -> EngineResult<()> {
    match acting.principal() {
        Principal::System => Ok(()),
        Principal::User { guest: false, .. } => Ok(()),
        Principal::Tokens(_) => Err(UserError::TokenNotPermitted.into()),
        Principal::User { .. } | Principal::PublicForm { .. } => Err(UserError::Forbidden.into()),
    }
}

/// Creates a space with its first thread (and the template's other threads); returns its id.
pub fn create_space(conn: &mut DbConn, acting: &ActingContext, new: NewSpace) -> EngineResult<i64> {
    check_may_create_space(acting)?;
    let name = check_name("name", &new.name)?;
    let members = check_members(conn, "members", &new.members)?;
    let create_app = new.create_app.unwrap_or_else(|| "EVERYONE".into());
    check_create_app(&create_app)?;
    if new.body.len() > MAX_BODY {
        return Err(invalid("body", "spaces.err.body_size", "The body is too long.").into());
    }
    let now = acting.now().timestamp();
    let user = acting.user_code().to_owned();
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(spaces::table)
        .values((
            spaces::name.eq(&name),
            spaces::is_guest.eq(new.is_guest),
            spaces::created_at.eq(now),
            spaces::body.eq(super::html::sanitize(&new.body)),
            spaces::is_private.eq(new.is_private || new.is_guest),
            spaces::use_multi_thread.eq(new.use_multi_thread),
            spaces::fixed_member.eq(new.fixed_member),
            spaces::creator.eq(&user),
            spaces::modifier.eq(&user),
            spaces::modified_at.eq(now),
            spaces::create_app.eq(&create_app),
        ))
        .returning(spaces::id)
        .get_result(c))?;
    write_members(conn, id, &members)?;
    let (first_name, first_body) = new
        .first_thread
        .unwrap_or_else(|| (DEFAULT_THREAD_NAME.to_owned(), String::new()));
    let first = insert_thread(
        conn,
        acting,
        id,
        &first_name,
        &super::html::sanitize(&first_body),
    )?;
    with_conn!(conn, |c| diesel::update(spaces::table.find(id))
        .set(spaces::default_thread.eq(first))
        .execute(c))?;
    if new.use_multi_thread {
        for (name, body) in &new.threads {
            let name = check_name("threads", name)?;
            insert_thread(conn, acting, id, &name, &super::html::sanitize(body))?;
        }
    }
    acting.audit(
        conn,
        action::SPACE_CREATE,
        &format!("space:{id}"),
        serde_json::json!({"name": name, "isGuest": new.is_guest, "isPrivate": new.is_private}),
    )?;
    Ok(id)
}

/// The spaces the actor may enter through this path, by id: what the spaces list shows. Guests
/// see only the guest spaces they are members of.
pub fn list_spaces(
    conn: &mut DbConn,
    acting: &ActingContext,
) -> EngineResult<Vec<(Space, Membership)>> {
    let all: Vec<Space> = with_conn!(conn, |c| spaces::table
        .order(spaces::id.asc())
        .select(Space::as_select())
        .load(c))?;
    let mut out = Vec::new();
    for space in all {
        // Guest spaces are listed to their members whatever the path (the list links to their
        // own path); `enter_space` would refuse them outside it.
        if super::may_enter(conn, acting.principal(), &space)? {
            let m = acting.space_membership(conn, space.id)?;
            out.push((space, m));
        }
    }
    Ok(out)
}

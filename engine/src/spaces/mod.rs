//! Spaces (kintone's スペース): a room with a body, members, threads and attached apps. Guest spaces
//! are spaces whose members may include guest users (external people); their apps are reached only
//! through `/k/guest/<space>/...`.
//!
//! This module holds the rows and the one membership rule. Who may enter a space:
//! - the server itself (`Principal::System`);
//! - a member: a USER entry with the user's code, a GROUP entry of one of their groups, an
//!   ORGANIZATION entry of one of their own departments, or of an ancestor when the entry includes
//!   sub-departments;
//! - anyone else only when the space is public and not a guest space, and they are not a guest.
//!
//! API tokens never enter a space (kintone's space APIs refuse them); an app token reaches its own
//! app whatever space the app is in. Use cases reach spaces through
//! `ActingContext::enter_space`, which also applies the guest-space path rule.

pub mod html;
// Issue 13, threads part: posts, replies, mentions.
pub mod posts;
pub mod reads;
// Issue 13, spaces part: the space use cases, templates, apps in spaces.
pub mod apps;
pub mod store;
pub mod templates;

use diesel::prelude::*;
use serde::Serialize;

use crate::acl::Principal;
use crate::db::schema::{space_members, space_threads, spaces};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// One space row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = spaces)]
pub struct Space {
    pub id: i64,
    pub name: String,
    pub is_guest: bool,
    pub created_at: i64,
    /// Sanitised HTML.
    pub body: String,
    pub is_private: bool,
    pub use_multi_thread: bool,
    pub fixed_member: bool,
    pub default_thread: Option<i64>,
    pub creator: String,
    pub modifier: String,
    pub modified_at: i64,
    /// Who may create apps in the space: `EVERYONE` (every member) or `ADMIN` (space admins).
    pub create_app: String,
    pub show_announcement: bool,
    pub show_thread_list: bool,
    pub show_app_list: bool,
    pub show_member_list: bool,
    pub show_related_link_list: bool,
}

impl Space {
    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<Space>> {
        Ok(with_conn!(conn, |c| spaces::table
            .find(id)
            .select(Space::as_select())
            .first(c)
            .optional())?)
    }
}

/// Entity kinds a member entry names (kintone's `entity.type`).
pub const USER: &str = "USER";
pub const GROUP: &str = "GROUP";
pub const ORGANIZATION: &str = "ORGANIZATION";

/// One member entry of a space.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = space_members)]
pub struct SpaceMember {
    pub space_id: i64,
    /// `USER`, `GROUP` or `ORGANIZATION`.
    pub entity_type: String,
    pub code: String,
    pub is_admin: bool,
    /// For `ORGANIZATION`: members of its sub-departments are members too.
    pub include_subs: bool,
}

/// The member entries of `space`, users first, then groups, then departments, each by code.
pub fn member_entries(conn: &mut DbConn, space: i64) -> EngineResult<Vec<SpaceMember>> {
    let mut rows: Vec<SpaceMember> = with_conn!(conn, |c| space_members::table
        .filter(space_members::space_id.eq(space))
        .select(SpaceMember::as_select())
        .load(c))?;
    let rank = |t: &str| match t {
        USER => 0,
        GROUP => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| (rank(&a.entity_type), &a.code).cmp(&(rank(&b.entity_type), &b.code)));
    Ok(rows)
}

/// How `principal` stands in `space`: not a member, a member, or a space admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    None,
    Member,
    Admin,
}

/// The membership of `principal` in `space`, from its member entries (see the module comment).
pub fn membership(
    conn: &mut DbConn,
    principal: &Principal,
    space: i64,
) -> EngineResult<Membership> {
    let Principal::User {
        code,
        departments,
        own_departments,
        groups,
        ..
    } = principal
    else {
        return Ok(match principal {
            Principal::System => Membership::Admin,
            _ => Membership::None,
        });
    };
    let mut found = Membership::None;
    for entry in member_entries(conn, space)? {
        let matches = match entry.entity_type.as_str() {
            USER => &entry.code == code,
            GROUP => groups.contains(&entry.code),
            ORGANIZATION if entry.include_subs => departments.contains(&entry.code),
            ORGANIZATION => own_departments.contains(&entry.code),
            _ => false,
        };
        if matches {
            if entry.is_admin {
                return Ok(Membership::Admin);
            }
            found = Membership::Member;
        }
    }
    Ok(found)
}

/// Whether `principal` may enter `space` (read its body, threads and apps' list).
pub fn may_enter(conn: &mut DbConn, principal: &Principal, space: &Space) -> EngineResult<bool> {
    match principal {
        Principal::System => Ok(true),
        Principal::Tokens(_) | Principal::PublicForm { .. } => Ok(false),
        Principal::User { guest, .. } => {
            if membership(conn, principal, space.id)? != Membership::None {
                return Ok(true);
            }
            Ok(!*guest && !space.is_private && !space.is_guest)
        }
    }
}

/// The user codes of every member of `space`: USER entries, members of GROUP entries and of
/// ORGANIZATION entries (with their sub-departments when the entry says so), each once, by code.
/// Inactive users are included (they keep their membership); callers filter if they must.
pub fn member_user_codes(conn: &mut DbConn, space: i64) -> EngineResult<Vec<String>> {
    let mut users: Vec<String> = Vec::new();
    let mut all_departments = None;
    for entry in member_entries(conn, space)? {
        match entry.entity_type.as_str() {
            USER => users.push(entry.code),
            GROUP => users.extend(crate::org::members_of_group(conn, &entry.code)?),
            ORGANIZATION => {
                let codes = if entry.include_subs {
                    if all_departments.is_none() {
                        all_departments = Some(crate::org::list_departments(conn)?);
                    }
                    let all = all_departments.as_deref().unwrap_or_default();
                    crate::org::departments::with_descendants(all, &entry.code)
                } else {
                    vec![entry.code]
                };
                for d in codes {
                    users.extend(crate::org::members_of_department(conn, &d)?);
                }
            }
            _ => {}
        }
    }
    users.sort();
    users.dedup();
    Ok(users)
}

/// One thread row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = space_threads)]
pub struct Thread {
    pub id: i64,
    pub space_id: i64,
    pub name: String,
    /// Sanitised HTML.
    pub body: String,
    pub creator: String,
    pub created_at: i64,
    pub modified_at: i64,
    /// The newest post's id, 0 when there is none.
    pub last_post_id: i64,
}

impl Thread {
    pub fn find(conn: &mut DbConn, id: i64) -> EngineResult<Option<Thread>> {
        Ok(with_conn!(conn, |c| space_threads::table
            .find(id)
            .select(Thread::as_select())
            .first(c)
            .optional())?)
    }

    /// The threads of `space`, oldest first.
    pub fn of_space(conn: &mut DbConn, space: i64) -> EngineResult<Vec<Thread>> {
        Ok(with_conn!(conn, |c| space_threads::table
            .filter(space_threads::space_id.eq(space))
            .order(space_threads::id.asc())
            .select(Thread::as_select())
            .load(c))?)
    }
}

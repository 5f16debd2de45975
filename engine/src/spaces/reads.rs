//! Read positions: a member has read every post of a thread up to `thread_reads.last_read_post`.
//! Unread counts come from the posts after that position (index `thread_posts (thread_id, id)`),
//! so they cost the same in a thread of ten posts or ten thousand read ones; a thread whose
//! `last_post_id` is not after the position is skipped without looking at its posts.
//!
//! Readers of post P (既読) are the people whose position is at least P, the author aside.
//! Unread counts stop at [`UNREAD_CAP`] posts per thread (`more` says there are more), so a
//! never-opened thread of a year's posts costs no more than a busy one.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde::Serialize;
use serde_json::Value;

use super::posts::{open_post, open_thread, PostRow};
use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::schema::{space_members, spaces, thread_posts, thread_reads, users};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// Unread posts are counted up to this many per thread.
pub const UNREAD_CAP: i64 = 100;

/// `user`'s read position in `thread` (0: nothing read).
pub fn position(conn: &mut DbConn, user: &str, thread: i64) -> EngineResult<i64> {
    let found: Option<i64> = with_conn!(conn, |c| thread_reads::table
        .filter(thread_reads::thread_id.eq(thread))
        .filter(thread_reads::user_code.eq(user))
        .select(thread_reads::last_read_post)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or(0))
}

/// The unread posts of one thread for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadUnread {
    pub space_id: i64,
    pub thread_id: i64,
    pub thread_name: String,
    /// Other people's posts after the user's position, deleted posts not counted, at most
    /// [`UNREAD_CAP`].
    pub unread: i64,
    /// More unread posts than counted.
    pub more: bool,
}

#[derive(QueryableByName)]
struct UnreadRow {
    #[diesel(sql_type = BigInt)]
    space_id: i64,
    #[diesel(sql_type = BigInt)]
    thread_id: i64,
    #[diesel(sql_type = Text)]
    thread_name: String,
    #[diesel(sql_type = BigInt)]
    unread: i64,
    #[diesel(sql_type = BigInt)]
    more: i64,
}

/// The threads with unread posts for `user`: of the threads given, or (`None`) of the spaces given.
/// One statement. Threads with nothing unread are left out.
fn unread_query(
    conn: &mut DbConn,
    user: &str,
    threads: Option<&[i64]>,
    spaces: &[i64],
) -> EngineResult<Vec<ThreadUnread>> {
    let ids = threads.unwrap_or(spaces);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = conn.sql();
    // The window: the first CAP posts after the position (its end is the CAP-th post's id, or the
    // thread's last post); unread = other people's live posts in it.
    q.push("SELECT t.space_id AS space_id, t.id AS thread_id, t.name AS thread_name, (SELECT COUNT(*) FROM thread_posts p WHERE p.thread_id = t.id AND p.id > COALESCE(r.last_read_post, 0) AND p.id <= COALESCE((SELECT w.id FROM thread_posts w WHERE w.thread_id = t.id AND w.id > COALESCE(r.last_read_post, 0) ORDER BY w.id LIMIT 1 OFFSET ")
        .push(&(UNREAD_CAP - 1).to_string())
        .push("), t.last_post_id) AND p.deleted = FALSE AND p.author <> ")
        .bind_text(user)
        .push(") AS unread, (SELECT COUNT(*) FROM thread_posts m WHERE m.id = (SELECT w.id FROM thread_posts w WHERE w.thread_id = t.id AND w.id > COALESCE(r.last_read_post, 0) ORDER BY w.id LIMIT 1 OFFSET ")
        // `more`: a post exists beyond the window (bounded: one index probe, not a count).
        .push(&UNREAD_CAP.to_string())
        .push(")) AS more FROM space_threads t LEFT JOIN thread_reads r ON r.thread_id = t.id AND r.user_code = ")
        .bind_text(user)
        .push(" WHERE t.last_post_id > COALESCE(r.last_read_post, 0) AND ")
        .push(if threads.is_some() { "t.id" } else { "t.space_id" })
        .push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind_int(*id);
    }
    q.push(") ORDER BY t.space_id, t.id");
    let rows: Vec<UnreadRow> = conn.load(&q)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.unread > 0)
        .map(|r| ThreadUnread {
            space_id: r.space_id,
            thread_id: r.thread_id,
            thread_name: r.thread_name,
            unread: r.unread,
            more: r.more > 0,
        })
        .collect())
}

/// For each of `threads`, the number of posts `user` has not read (other people's posts after
/// their read position, deleted posts not counted, at most [`UNREAD_CAP`]), in the order given.
/// One statement.
pub fn unread_counts(
    conn: &mut DbConn,
    user: &str,
    threads: &[i64],
) -> EngineResult<Vec<(i64, i64)>> {
    let found = unread_query(conn, user, Some(threads), &[])?;
    Ok(threads
        .iter()
        .map(|t| {
            let n = found
                .iter()
                .find(|u| u.thread_id == *t)
                .map_or(0, |u| u.unread);
            (*t, n)
        })
        .collect())
}

/// The spaces `principal` is a member of (a USER, GROUP or ORGANIZATION entry naming them; the
/// spaces whose threads they follow), by id. Two statements whatever the number of spaces.
pub fn member_spaces(conn: &mut DbConn, principal: &Principal) -> EngineResult<Vec<i64>> {
    let Principal::User {
        code,
        departments,
        own_departments,
        groups,
        ..
    } = principal
    else {
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, String, String, bool)> = with_conn!(conn, |c| space_members::table
        .filter(
            space_members::entity_type
                .eq(super::USER)
                .and(space_members::code.eq(code))
                .or(space_members::entity_type
                    .eq(super::GROUP)
                    .and(space_members::code.eq_any(groups)))
                .or(space_members::entity_type
                    .eq(super::ORGANIZATION)
                    .and(space_members::code.eq_any(departments))),
        )
        .select((
            space_members::space_id,
            space_members::entity_type,
            space_members::code,
            space_members::include_subs,
        ))
        .load(c))?;
    let mut ids: Vec<i64> = rows
        .into_iter()
        .filter(|(_, kind, code, subs)| {
            kind != super::ORGANIZATION || *subs || own_departments.contains(code)
        })
        .map(|(id, ..)| id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// What the portal shows: per space the user is a member of, its unread total and its threads with
/// unread posts.
#[derive(Debug, Clone, Serialize)]
pub struct SpaceUnread {
    pub space_id: i64,
    pub name: String,
    pub unread: i64,
    pub more: bool,
    pub threads: Vec<ThreadUnread>,
}

/// The unread summary of the actor: the spaces they are a member of (that they may still enter
/// through this path), each with its unread posts per thread. Spaces with nothing unread are
/// listed with 0, so the portal can show every room.
pub fn unread_summary(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Vec<SpaceUnread>> {
    let ids = member_spaces(conn, acting.principal())?;
    let rooms: Vec<(i64, String, bool)> = if ids.is_empty() {
        Vec::new()
    } else {
        with_conn!(conn, |c| spaces::table
            .filter(spaces::id.eq_any(&ids))
            .order(spaces::id.asc())
            .select((spaces::id, spaces::name, spaces::is_guest))
            .load(c))?
    };
    // The guest-space path rule: through a guest path only that space; otherwise no guest space
    // (kintone lists guest spaces apart).
    let rooms: Vec<(i64, String)> = rooms
        .into_iter()
        .filter(|(id, _, guest)| match acting.guest_space() {
            Some(path) => *id == path,
            None => !*guest || acting.principal().is_guest(),
        })
        .map(|(id, name, _)| (id, name))
        .collect();
    let room_ids: Vec<i64> = rooms.iter().map(|(id, _)| *id).collect();
    let unread = unread_query(conn, acting.user_code(), None, &room_ids)?;
    Ok(rooms
        .into_iter()
        .map(|(id, name)| {
            let threads: Vec<ThreadUnread> = unread
                .iter()
                .filter(|u| u.space_id == id)
                .cloned()
                .collect();
            SpaceUnread {
                space_id: id,
                name,
                unread: threads.iter().map(|t| t.unread).sum(),
                more: threads.iter().any(|t| t.more),
                threads,
            }
        })
        .collect())
}

/// Marks `thread` read by the actor up to `post` (the thread's last post when `None`). A position
/// never moves back. Returns the position.
pub fn mark_read(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    thread: i64,
    post: Option<i64>,
) -> EngineResult<i64> {
    let (_, thread) = open_thread(conn, acting, space, thread)?;
    let upto = match post {
        None => thread.last_post_id,
        Some(p) => {
            let found: Option<i64> = with_conn!(conn, |c| thread_posts::table
                .filter(thread_posts::id.eq(p))
                .filter(thread_posts::thread_id.eq(thread.id))
                .select(thread_posts::id)
                .first(c)
                .optional())?;
            found.ok_or(UserError::CommentNotFound)?
        }
    };
    let user = acting.user_code().to_owned();
    let now = acting.now().timestamp();
    let current: Option<i64> = with_conn!(conn, |c| thread_reads::table
        .filter(thread_reads::thread_id.eq(thread.id))
        .filter(thread_reads::user_code.eq(&user))
        .select(thread_reads::last_read_post)
        .first(c)
        .optional())?;
    match current {
        None => {
            with_conn!(conn, |c| diesel::insert_into(thread_reads::table)
                .values((
                    thread_reads::thread_id.eq(thread.id),
                    thread_reads::user_code.eq(&user),
                    thread_reads::last_read_post.eq(upto),
                    thread_reads::read_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c))?;
            Ok(upto)
        }
        Some(at) if at >= upto => Ok(at),
        Some(_) => {
            with_conn!(conn, |c| diesel::update(
                thread_reads::table
                    .filter(thread_reads::thread_id.eq(thread.id))
                    .filter(thread_reads::user_code.eq(&user))
                    .filter(thread_reads::last_read_post.lt(upto))
            )
            .set((
                thread_reads::last_read_post.eq(upto),
                thread_reads::read_at.eq(now),
            ))
            .execute(c))?;
            Ok(upto)
        }
    }
}

/// Someone who has read a post.
#[derive(Debug, Clone, Serialize)]
pub struct Reader {
    pub code: String,
    pub name: String,
    /// When they last moved their read position (seconds).
    pub read_at: i64,
}

/// Who has read `post` (their position is at least the post; its author aside), by code.
pub fn readers(conn: &mut DbConn, acting: &ActingContext, post: i64) -> EngineResult<Vec<Reader>> {
    let (_, thread, row) = open_post(conn, acting, post)?;
    let rows: Vec<(String, i64)> = with_conn!(conn, |c| thread_reads::table
        .filter(thread_reads::thread_id.eq(thread.id))
        .filter(thread_reads::last_read_post.ge(row.id))
        .filter(thread_reads::user_code.ne(&row.author))
        .order(thread_reads::user_code.asc())
        .select((thread_reads::user_code, thread_reads::read_at))
        .load(c))?;
    let codes: Vec<String> = rows.iter().map(|(c, _)| c.clone()).collect();
    let names = names_of(conn, &codes)?;
    Ok(rows
        .into_iter()
        .map(|(code, read_at)| Reader {
            name: names
                .iter()
                .find(|(c, _)| *c == code)
                .map_or_else(|| code.clone(), |(_, n)| n.clone()),
            code,
            read_at,
        })
        .collect())
}

fn names_of(conn: &mut DbConn, codes: &[String]) -> EngineResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, String)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq_any(chunk))
            .select((users::code, users::name))
            .load(c))?;
        out.extend(rows);
    }
    Ok(out)
}

/// A post as a thread page and `/api/space/thread/comments.json` show it.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub author_code: String,
    pub author_name: String,
    /// Sanitised HTML (empty for a deleted post).
    pub html: String,
    pub text: String,
    pub mentions: Value,
    pub files: Value,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    /// How many people other than the author have read it.
    pub read_count: i64,
    /// Replies, oldest first (only on top-level posts).
    pub replies: Vec<PostView>,
}

/// One page of a thread, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct PostPage {
    pub posts: Vec<PostView>,
    /// More (older) top-level posts exist before the last one here.
    pub older: bool,
    /// The actor's read position in the thread.
    pub position: i64,
    pub last_post_id: i64,
}

/// The top-level posts of a thread older than `before` (newest first, at most `limit`) with all
/// their replies. Three statements (posts, replies, read positions) plus names, whatever the
/// thread's length.
pub fn list_posts(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    thread: i64,
    before: Option<i64>,
    limit: i64,
) -> EngineResult<PostPage> {
    let (_, thread) = open_thread(conn, acting, space, thread)?;
    let before = before.unwrap_or(i64::MAX);
    let mut top: Vec<PostRow> = with_conn!(conn, |c| thread_posts::table
        .filter(thread_posts::thread_id.eq(thread.id))
        .filter(thread_posts::parent_id.is_null())
        .filter(thread_posts::id.lt(before))
        .order(thread_posts::id.desc())
        .limit(limit + 1)
        .select(PostRow::as_select())
        .load(c))?;
    let older = top.len() as i64 > limit;
    top.truncate(usize::try_from(limit).unwrap_or(0));
    let ids: Vec<i64> = top.iter().map(|p| p.id).collect();
    let replies: Vec<PostRow> = if ids.is_empty() {
        Vec::new()
    } else {
        with_conn!(conn, |c| thread_posts::table
            .filter(thread_posts::thread_id.eq(thread.id))
            .filter(thread_posts::parent_id.eq_any(&ids))
            .order(thread_posts::id.asc())
            .select(PostRow::as_select())
            .load(c))?
    };
    let positions: Vec<(String, i64)> = with_conn!(conn, |c| thread_reads::table
        .filter(thread_reads::thread_id.eq(thread.id))
        .select((thread_reads::user_code, thread_reads::last_read_post))
        .load(c))?;
    let mut codes: Vec<String> = top
        .iter()
        .chain(replies.iter())
        .map(|p| p.author.clone())
        .collect();
    codes.sort();
    codes.dedup();
    let names = names_of(conn, &codes)?;
    let view = |p: &PostRow| -> PostView {
        let read_count = positions
            .iter()
            .filter(|(u, at)| *at >= p.id && *u != p.author)
            .count() as i64;
        PostView {
            id: p.id,
            parent_id: p.parent_id,
            author_name: names
                .iter()
                .find(|(c, _)| *c == p.author)
                .map_or_else(|| p.author.clone(), |(_, n)| n.clone()),
            author_code: p.author.clone(),
            text: super::html::plain_text(&p.body),
            html: p.body.clone(),
            mentions: serde_json::from_str(&p.mentions).unwrap_or(Value::Array(Vec::new())),
            files: serde_json::from_str(&p.files).unwrap_or(Value::Array(Vec::new())),
            created_at: p.created_at,
            edited_at: p.edited_at,
            deleted: p.deleted,
            read_count,
            replies: Vec::new(),
        }
    };
    let posts = top
        .iter()
        .map(|p| {
            let mut v = view(p);
            v.replies = replies
                .iter()
                .filter(|r| r.parent_id == Some(p.id))
                .map(view)
                .collect();
            v
        })
        .collect();
    let me = acting.user_code();
    let position = positions
        .iter()
        .find(|(u, _)| u == me)
        .map_or(0, |(_, at)| *at);
    Ok(PostPage {
        posts,
        older,
        position,
        last_post_id: thread.last_post_id,
    })
}

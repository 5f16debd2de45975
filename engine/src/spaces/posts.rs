//! Thread posts (kintone's thread comments) and their replies: adding, editing and deleting one's
//! own post, listing a thread newest page first. Every use case enters the space through the acting
//! context (`ActingContext::enter_space`), so the guest-space path rule and the membership rule
//! apply to posts exactly as to the space.
//!
//! Bodies are stored as sanitised HTML: kintone's `text` is plain text (escaped, URLs and record
//! paths such as `/k/5/show#record=3` turned into links, newlines into `<br>`); Kumiki's `/api`
//! may send HTML, which goes through `spaces::html::sanitize`. A deleted post keeps its row as a
//! tombstone (empty body, no files, no mentions) so that its replies stay where they were.
//!
//! Mentions notify (`notifications::notify`, source key `post:<id>`, so an edit that keeps a
//! mention notifies nobody twice) only people who may enter the space; a mention of a user who may
//! not enter it, or of an unknown user, group or department, is refused.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Space, Thread};
use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::schema::{files, space_threads, thread_post_files, thread_posts, users};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::notifications::{self, kind, Notice};
use crate::with_conn;

/// kintone's limits of a thread comment.
pub const MAX_TEXT_CHARS: usize = 65_535;
pub const MAX_FILES: usize = 5;
pub const MAX_MENTIONS: usize = 10;

/// Audit actions of posts (edits and deletions; a new post is its own record).
pub const AUDIT_EDIT: &str = "thread.post.edit";
pub const AUDIT_DELETE: &str = "thread.post.delete";

/// What a post says: kintone's plain `text`, or HTML from Kumiki's own API and pages.
#[derive(Debug, Clone)]
pub enum PostBody {
    Text(String),
    Html(String),
}

impl PostBody {
    fn raw(&self) -> &str {
        match self {
            PostBody::Text(t) | PostBody::Html(t) => t,
        }
    }

    /// The sanitised HTML stored for this body.
    pub fn to_html(&self) -> String {
        match self {
            PostBody::Text(t) => super::html::sanitize(&linkify(t)),
            PostBody::Html(h) => super::html::sanitize(h),
        }
    }
}

/// A mention: kintone's `{code, type}` with `type` USER, GROUP or ORGANIZATION. `includeSubs`
/// (Kumiki's) also notifies the sub-departments of a mentioned department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub code: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "includeSubs", default, skip_serializing_if = "is_false")]
    pub include_subs: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A file to attach: an upload's key, and kintone's optional display width (100 to 750).
#[derive(Debug, Clone)]
pub struct FileRef {
    pub file_key: String,
    pub width: Option<i64>,
}

/// A new post.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub space: i64,
    pub thread: i64,
    /// The post this one replies to (Kumiki's extension); a reply to a reply joins its root.
    pub parent: Option<i64>,
    pub body: PostBody,
    pub mentions: Vec<Mention>,
    pub files: Vec<FileRef>,
}

/// One post row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = thread_posts)]
pub struct PostRow {
    pub id: i64,
    pub thread_id: i64,
    pub space_id: i64,
    pub parent_id: Option<i64>,
    pub author: String,
    pub body: String,
    pub mentions: String,
    pub files: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
}

/// The space and thread `thread` of `space`, entered by the actor.
pub fn open_thread(
    conn: &mut DbConn,
    acting: &ActingContext,
    space: i64,
    thread: i64,
) -> EngineResult<(Space, Thread)> {
    let space = acting.enter_space(conn, space)?;
    match Thread::find(conn, thread)? {
        Some(t) if t.space_id == space.id => Ok((space, t)),
        _ => Err(UserError::ThreadNotFound(thread.to_string()).into()),
    }
}

/// A post the actor may see: it exists and the actor may enter its space (through this path).
/// A post elsewhere answers like a missing one.
pub fn open_post(
    conn: &mut DbConn,
    acting: &ActingContext,
    post: i64,
) -> EngineResult<(Space, Thread, PostRow)> {
    let row: Option<PostRow> = with_conn!(conn, |c| thread_posts::table
        .find(post)
        .select(PostRow::as_select())
        .first(c)
        .optional())?;
    let row = row.ok_or(UserError::CommentNotFound)?;
    let (space, thread) =
        open_thread(conn, acting, row.space_id, row.thread_id).map_err(|e| match e {
            crate::error::EngineError::User(_) => UserError::CommentNotFound.into(),
            other => other,
        })?;
    Ok((space, thread, row))
}

/// Adds a post (or a reply) to a thread; returns its id. Checks the limits, the mentions and the
/// files, keeps the thread's `last_post_id`, and notifies the mentioned people and the author of
/// the post replied to.
pub fn add_post(
    conn: &mut DbConn,
    acting: &ActingContext,
    new: &NewPost,
    max_total_file_bytes: i64,
) -> EngineResult<i64> {
    let (space, thread) = open_thread(conn, acting, new.space, new.thread)?;
    check_text(new.body.raw(), !new.files.is_empty())?;
    check_mention_shapes(&new.mentions)?;
    let author = acting.user_code().to_owned();
    let parent = match new.parent {
        None => None,
        Some(p) => {
            let row: Option<(i64, Option<i64>, String)> =
                with_conn!(conn, |c| thread_posts::table
                    .filter(thread_posts::id.eq(p))
                    .filter(thread_posts::thread_id.eq(thread.id))
                    .select((
                        thread_posts::id,
                        thread_posts::parent_id,
                        thread_posts::author
                    ))
                    .first(c)
                    .optional())?;
            let (id, root, parent_author) = row.ok_or_else(|| {
                UserError::invalid("comment.parent", "The post replied to does not exist.")
            })?;
            Some((root.unwrap_or(id), parent_author))
        }
    };
    let recipients = mention_recipients(conn, &space, &new.mentions)?;
    let files = check_files(conn, &author, &new.files, max_total_file_bytes)?;
    let now = acting.now().timestamp();
    let html = new.body.to_html();
    let mentions_json = serde_json::to_string(&new.mentions)?;
    let files_json = serde_json::to_string(&files)?;
    let parent_id = parent.as_ref().map(|(id, _)| *id);
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(thread_posts::table)
        .values((
            thread_posts::thread_id.eq(thread.id),
            thread_posts::space_id.eq(space.id),
            thread_posts::parent_id.eq(parent_id),
            thread_posts::author.eq(&author),
            thread_posts::body.eq(&html),
            thread_posts::mentions.eq(&mentions_json),
            thread_posts::files.eq(&files_json),
            thread_posts::created_at.eq(now),
        ))
        .returning(thread_posts::id)
        .get_result(c))?;
    with_conn!(conn, |c| diesel::update(
        space_threads::table.find(thread.id)
    )
    .set((
        space_threads::last_post_id.eq(id),
        space_threads::modified_at.eq(now),
    ))
    .execute(c))?;
    let attached: Vec<_> = new
        .files
        .iter()
        .map(|f| {
            (
                thread_post_files::file_key.eq(f.file_key.clone()),
                thread_post_files::post_id.eq(id),
                thread_post_files::thread_id.eq(thread.id),
                thread_post_files::space_id.eq(space.id),
            )
        })
        .collect();
    if !attached.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(thread_post_files::table)
            .values(&attached)
            .execute(c))?;
    }
    let notice = notice_for(&space, &thread, id, &author, &html);
    // Mentions first: someone both mentioned and replied to is told once, as mentioned.
    notifications::notify(
        conn,
        &recipients,
        &Notice {
            kind: kind::MENTION,
            ..notice.clone()
        },
        now,
    )?;
    if let Some((_, parent_author)) = parent {
        if may_enter_user(conn, &space, &parent_author)? {
            notifications::notify(
                conn,
                &[parent_author],
                &Notice {
                    kind: kind::REPLY,
                    ..notice
                },
                now,
            )?;
        }
    }
    Ok(id)
}

/// Changes the body (and, when given, the mentions) of the actor's own post. New mentions are
/// notified; people mentioned before are not told again.
pub fn edit_post(
    conn: &mut DbConn,
    acting: &ActingContext,
    post: i64,
    body: &PostBody,
    mentions: Option<&[Mention]>,
) -> EngineResult<()> {
    let (space, thread, row) = open_post(conn, acting, post)?;
    if row.deleted {
        return Err(UserError::CommentNotFound.into());
    }
    if row.author != acting.user_code() {
        return Err(UserError::Forbidden.into());
    }
    let files: Vec<Value> = serde_json::from_str(&row.files).unwrap_or_default();
    check_text(body.raw(), !files.is_empty())?;
    let mentions: Vec<Mention> = match mentions {
        Some(m) => m.to_vec(),
        None => serde_json::from_str(&row.mentions).unwrap_or_default(),
    };
    check_mention_shapes(&mentions)?;
    let recipients = mention_recipients(conn, &space, &mentions)?;
    let now = acting.now().timestamp();
    let html = body.to_html();
    let mentions_json = serde_json::to_string(&mentions)?;
    with_conn!(conn, |c| diesel::update(thread_posts::table.find(post))
        .set((
            thread_posts::body.eq(&html),
            thread_posts::mentions.eq(&mentions_json),
            thread_posts::edited_at.eq(Some(now)),
        ))
        .execute(c))?;
    let notice = notice_for(&space, &thread, post, &row.author, &html);
    notifications::notify(
        conn,
        &recipients,
        &Notice {
            kind: kind::MENTION,
            ..notice
        },
        now,
    )?;
    acting.audit(
        conn,
        AUDIT_EDIT,
        &format!("post:{post}"),
        json!({"space": space.id, "thread": thread.id}),
    )
}

/// Deletes the actor's own post, keeping a tombstone so that its replies stay. Its files are no
/// longer attached (nobody can download them through the post).
pub fn delete_post(conn: &mut DbConn, acting: &ActingContext, post: i64) -> EngineResult<()> {
    let (space, thread, row) = open_post(conn, acting, post)?;
    if row.deleted {
        return Err(UserError::CommentNotFound.into());
    }
    if row.author != acting.user_code() {
        return Err(UserError::Forbidden.into());
    }
    let now = acting.now().timestamp();
    with_conn!(conn, |c| diesel::update(thread_posts::table.find(post))
        .set((
            thread_posts::body.eq(""),
            thread_posts::mentions.eq("[]"),
            thread_posts::files.eq("[]"),
            thread_posts::deleted.eq(true),
            thread_posts::edited_at.eq(Some(now)),
        ))
        .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        thread_post_files::table.filter(thread_post_files::post_id.eq(post))
    )
    .execute(c))?;
    acting.audit(
        conn,
        AUDIT_DELETE,
        &format!("post:{post}"),
        json!({"space": space.id, "thread": thread.id}),
    )
}

/// The space of the post `key` is attached to, if it is attached to one (file downloads check
/// that the caller may enter it).
pub fn space_of_post_file(conn: &mut DbConn, key: &str) -> EngineResult<Option<i64>> {
    Ok(with_conn!(conn, |c| thread_post_files::table
        .find(key)
        .select(thread_post_files::space_id)
        .first(c)
        .optional())?)
}

fn check_text(text: &str, has_files: bool) -> EngineResult<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(UserError::invalid("comment.text", "Enter 65535 characters or less.").into());
    }
    if text.trim().is_empty() && !has_files {
        return Err(UserError::invalid("comment.text", "Required field.").into());
    }
    Ok(())
}

fn check_mention_shapes(mentions: &[Mention]) -> EngineResult<()> {
    if mentions.len() > MAX_MENTIONS {
        return Err(UserError::invalid(
            "comment.mentions",
            "A maximum of 10 mentions can be specified.",
        )
        .into());
    }
    for (i, m) in mentions.iter().enumerate() {
        if m.code.is_empty()
            || !matches!(
                m.kind.as_str(),
                super::USER | super::GROUP | super::ORGANIZATION
            )
        {
            return Err(UserError::invalid(
                format!("comment.mentions[{i}]"),
                "Enter a code and a type of USER, GROUP or ORGANIZATION.",
            )
            .into());
        }
    }
    Ok(())
}

/// Whether the user `code` (active) may enter `space`.
fn may_enter_user(conn: &mut DbConn, space: &Space, code: &str) -> EngineResult<bool> {
    let Some(user) = crate::users::User::find_by_code(conn, code)? else {
        return Ok(false);
    };
    if !user.is_active {
        return Ok(false);
    }
    let principal = Principal::for_user(conn, &user.code, &user.name, user.is_admin)?;
    super::may_enter(conn, &principal, space)
}

/// The users the mentions reach, each once: a mentioned user must exist and may enter the space
/// (else the post is refused); groups and departments must exist, and of their members only those
/// who may enter the space are told.
fn mention_recipients(
    conn: &mut DbConn,
    space: &Space,
    mentions: &[Mention],
) -> EngineResult<Vec<String>> {
    let mut users: Vec<String> = Vec::new();
    let mut expanded: Vec<String> = Vec::new();
    for (i, m) in mentions.iter().enumerate() {
        let key = format!("comment.mentions[{i}].code");
        match m.kind.as_str() {
            super::USER => {
                let known =
                    crate::users::User::find_by_code(conn, &m.code)?.is_some_and(|u| u.is_active);
                if !known {
                    return Err(UserError::invalid(
                        key,
                        format!("The user (code: {}) does not exist.", m.code),
                    )
                    .into());
                }
                if !may_enter_user(conn, space, &m.code)? {
                    return Err(UserError::invalid(
                        key,
                        format!("The user (code: {}) is not a member of this space.", m.code),
                    )
                    .into());
                }
                users.push(m.code.clone());
            }
            super::GROUP => {
                if crate::org::find_group(conn, &m.code)?.is_none() {
                    return Err(UserError::invalid(
                        key,
                        format!("The group (code: {}) does not exist.", m.code),
                    )
                    .into());
                }
                expanded.extend(crate::org::members_of_group(conn, &m.code)?);
            }
            _ => {
                if crate::org::find_department(conn, &m.code)?.is_none() {
                    return Err(UserError::invalid(
                        key,
                        format!("The department (code: {}) does not exist.", m.code),
                    )
                    .into());
                }
                let codes = if m.include_subs {
                    let all = crate::org::list_departments(conn)?;
                    crate::org::departments::with_descendants(&all, &m.code)
                } else {
                    vec![m.code.clone()]
                };
                for d in codes {
                    expanded.extend(crate::org::members_of_department(conn, &d)?);
                }
            }
        }
    }
    if !expanded.is_empty() {
        expanded.sort();
        expanded.dedup();
        users.extend(may_enter_among(conn, space, &expanded)?);
    }
    users.sort();
    users.dedup();
    Ok(users)
}

/// Those of `candidates` (active users) who may enter `space`: in a public space every non-guest,
/// otherwise its members. Two queries whatever the number of candidates.
fn may_enter_among(
    conn: &mut DbConn,
    space: &Space,
    candidates: &[String],
) -> EngineResult<Vec<String>> {
    let mut active: Vec<(String, bool)> = Vec::with_capacity(candidates.len());
    for chunk in candidates.chunks(500) {
        let rows: Vec<(String, bool)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq_any(chunk))
            .filter(users::is_active.eq(true))
            .select((users::code, users::is_guest))
            .load(c))?;
        active.extend(rows);
    }
    if !space.is_private && !space.is_guest {
        let members = super::member_user_codes(conn, space.id)?;
        return Ok(active
            .into_iter()
            .filter(|(code, guest)| !*guest || members.binary_search(code).is_ok())
            .map(|(code, _)| code)
            .collect());
    }
    let members = super::member_user_codes(conn, space.id)?;
    Ok(active
        .into_iter()
        .filter(|(code, _)| members.binary_search(code).is_ok())
        .map(|(code, _)| code)
        .collect())
}

/// The files of a new post: each an upload of the author not attached to anything yet, at most
/// five, within the total size. Returns what the post stores of each.
fn check_files(
    conn: &mut DbConn,
    author: &str,
    refs: &[FileRef],
    max_total_bytes: i64,
) -> EngineResult<Vec<Value>> {
    if refs.len() > MAX_FILES {
        return Err(
            UserError::invalid("comment.files", "A maximum of 5 files can be attached.").into(),
        );
    }
    let mut total: i64 = 0;
    let mut out = Vec::with_capacity(refs.len());
    for (i, f) in refs.iter().enumerate() {
        let key = format!("comment.files[{i}].fileKey");
        if let Some(w) = f.width {
            if !(100..=750).contains(&w) {
                return Err(UserError::invalid(
                    format!("comment.files[{i}].width"),
                    "Enter a number from 100 to 750.",
                )
                .into());
            }
        }
        let meta: Option<(String, String, i64, Option<i64>, String)> =
            with_conn!(conn, |c| files::table
                .find(&f.file_key)
                .select((
                    files::name,
                    files::content_type,
                    files::size,
                    files::app_id,
                    files::uploaded_by
                ))
                .first(c)
                .optional())?;
        let attached = space_of_post_file(conn, &f.file_key)?.is_some();
        let Some((name, content_type, size, app, uploader)) = meta else {
            return Err(UserError::FileNotFound(f.file_key.clone()).into());
        };
        if app.is_some()
            || attached
            || uploader != author
            || refs[..i].iter().any(|o| o.file_key == f.file_key)
        {
            // Someone else's upload, or a file already attached elsewhere: as if it did not exist.
            return Err(UserError::FileNotFound(f.file_key.clone()).into());
        }
        total = total.saturating_add(size);
        if total > max_total_bytes {
            return Err(UserError::invalid(
                key,
                format!("The attached files exceed {max_total_bytes} bytes in total."),
            )
            .into());
        }
        let mut v = json!({"fileKey": f.file_key, "name": name, "contentType": content_type, "size": size.to_string()});
        if let Some(w) = f.width {
            v["width"] = json!(w.to_string());
        }
        out.push(v);
    }
    Ok(out)
}

fn notice_for(space: &Space, thread: &Thread, post: i64, author: &str, html: &str) -> Notice {
    let place = if thread.name.is_empty() || thread.name == space.name {
        space.name.clone()
    } else {
        format!("{} / {}", space.name, thread.name)
    };
    Notice {
        kind: kind::POST,
        source_key: format!("post:{post}"),
        title: place,
        body: super::html::plain_text(html),
        link: format!("/spaces/{}/threads/{}#post-{post}", space.id, thread.id),
        actor: author.to_owned(),
        space_id: Some(space.id),
        thread_id: Some(thread.id),
        ..Notice::default()
    }
}

/// Plain text as HTML: escaped, newlines as `<br>`, `http(s)://` URLs and Kumiki record paths
/// (`/k/<app>/show#record=<n>`, also under `/k/guest/<space>/`) as links.
pub fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let next = [
            rest.find("https://"),
            rest.find("http://"),
            find_record_path(rest),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(at) = next else {
            out.push_str(&escape(rest));
            break;
        };
        out.push_str(&escape(&rest[..at]));
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '「' | '」' | '、' | '。')
            })
            .unwrap_or(tail.len());
        let link = &tail[..end];
        let link = link.trim_end_matches(['.', ',', ')', ';', ':']);
        let link = if link.is_empty() { &tail[..end] } else { link };
        let escaped = escape(link);
        out.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>"));
        rest = &tail[link.len()..];
    }
    out.replace("\r\n", "\n").replace('\n', "<br>")
}

/// Where a record path `/k/<digits>/show` or `/k/guest/<digits>/<digits>/show` starts in `text`,
/// at a word start.
fn find_record_path(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("/k/") {
        let at = from + i;
        let boundary = at == 0 || text[..at].ends_with(char::is_whitespace);
        let after = &text[at + 3..];
        let after = after.strip_prefix("guest/").map_or(after, |g| {
            let n = g.chars().take_while(char::is_ascii_digit).count();
            if n > 0 && g[n..].starts_with('/') {
                &g[n + 1..]
            } else {
                g
            }
        });
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if boundary && digits > 0 && after[digits..].starts_with("/show") {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_escaped_and_links_are_made() {
        let html = linkify("見て <b>x</b>\nhttps://example.jp/a?b=1. と /k/5/show#record=3 です");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;<br>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.jp/a?b=1">https://example.jp/a?b=1</a>."#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="/k/5/show#record=3">/k/5/show#record=3</a>"#),
            "{html}"
        );
        let clean =
            PostBody::Text("<script>alert(1)</script> /k/guest/4/9/show#record=1".into()).to_html();
        assert!(!clean.contains("<script"), "{clean}");
        assert!(
            clean.contains(r#"href="/k/guest/4/9/show#record=1""#),
            "{clean}"
        );
    }

    #[test]
    fn html_bodies_are_sanitised() {
        let html =
            PostBody::Html(r#"<p onclick="x()">hi<a href="javascript:alert(1)">l</a></p>"#.into())
                .to_html();
        assert!(
            !html.contains("onclick") && !html.contains("javascript"),
            "{html}"
        );
    }
}

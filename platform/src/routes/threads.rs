//! Thread posts: kintone's `space/thread/comment.json` (POST), and Kumiki's own calls under `/api/`
//! (kintone has no call to read thread posts): `space/thread/comments.json` (GET, paged newest
//! first), `space/thread/comment.json` (PUT, DELETE: one's own post), `space/thread/read.json`
//! (POST: mark read), `space/thread/readers.json` (GET: who read a post), `spaces/unread.json`
//! (GET). The guest-space path applies to all of them (`/k/guest/<space>/v1/...`,
//! `/k/guest/<space>/api/...`). The engine (`kumiki_engine::spaces::{posts, reads}`) does the work.

use kumiki_engine::spaces::posts::{self, FileRef, Mention, NewPost, PostBody};
use kumiki_engine::spaces::reads::{self, PostView};
use serde_json::{json, Map, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::{as_i64, Params};

/// The largest page of posts.
const MAX_LIMIT: i64 = 100;
const DEFAULT_LIMIT: i64 = 20;

fn iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn comment_object<'p>(p: &'p Params) -> Result<&'p Map<String, Value>, ApiError> {
    p.opt_object("comment")?
        .ok_or_else(|| ApiError::invalid("comment", "Required field."))
}

/// The body of a comment object: `html` (Kumiki's pages and `/api`) wins over kintone's `text`.
fn body_of(comment: &Map<String, Value>, allow_html: bool) -> Result<PostBody, ApiError> {
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match comment.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid(
                &format!("comment.{key}"),
                "Enter a string.",
            )),
        }
    };
    if allow_html {
        if let Some(html) = text("html")? {
            return Ok(PostBody::Html(html));
        }
    }
    Ok(PostBody::Text(text("text")?.unwrap_or_default()))
}

fn mentions_of(comment: &Map<String, Value>) -> Result<Option<Vec<Mention>>, ApiError> {
    match comment.get("mentions") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let code = m.get("code").and_then(Value::as_str).unwrap_or_default();
                let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
                if code.is_empty() || !matches!(kind, "USER" | "GROUP" | "ORGANIZATION") {
                    return Err(ApiError::invalid(
                        &format!("comment.mentions[{i}]"),
                        "Enter a code and a type of USER, GROUP or ORGANIZATION.",
                    ));
                }
                Ok(Mention {
                    code: code.to_owned(),
                    kind: kind.to_owned(),
                    include_subs: m
                        .get("includeSubs")
                        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid("comment.mentions", "Enter a list.")),
    }
}

fn files_of(comment: &Map<String, Value>) -> Result<Vec<FileRef>, ApiError> {
    match comment.get("files") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let key = f
                    .get("fileKey")
                    .and_then(Value::as_str)
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| {
                        ApiError::invalid(&format!("comment.files[{i}].fileKey"), "Required field.")
                    })?;
                let width = match f.get("width") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(as_i64(v).ok_or_else(|| {
                        ApiError::invalid(
                            &format!("comment.files[{i}].width"),
                            "Enter a number from 100 to 750.",
                        )
                    })?),
                };
                Ok(FileRef {
                    file_key: key.to_owned(),
                    width,
                })
            })
            .collect(),
        Some(_) => Err(ApiError::invalid("comment.files", "Enter a list.")),
    }
}

/// `POST space/thread/comment.json` (kintone; `/api` also takes `comment.html` and `parent`).
pub fn add_comment(call: &mut Call, p: &Params, kumiki: bool) -> Result<Value, ApiError> {
    let space = p.i64("space")?;
    let thread = p.i64("thread")?;
    let comment = comment_object(p)?;
    let parent = if kumiki {
        match comment.get("parent").or_else(|| p.get("parent")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                as_i64(v).ok_or_else(|| ApiError::invalid("comment.parent", "Enter a post id."))?,
            ),
        }
    } else {
        None
    };
    let new = NewPost {
        space,
        thread,
        parent,
        body: body_of(comment, kumiki)?,
        mentions: mentions_of(comment)?.unwrap_or_default(),
        files: files_of(comment)?,
    };
    let total = i64::try_from(call.state.settings.max_file_bytes).unwrap_or(i64::MAX);
    let id = posts::add_post(call.conn, call.acting, &new, total)?;
    Ok(json!({"id": id.to_string()}))
}

/// `PUT /api/space/thread/comment.json`: `{id, comment: {text | html, mentions?}}`.
pub fn edit_comment(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let comment = comment_object(p)?;
    let body = body_of(comment, true)?;
    let mentions = mentions_of(comment)?;
    posts::edit_post(call.conn, call.acting, id, &body, mentions.as_deref())?;
    Ok(json!({}))
}

/// `DELETE /api/space/thread/comment.json`: `{id}`.
pub fn delete_comment(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    posts::delete_post(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

fn post_json(v: &PostView) -> Value {
    json!({
        "id": v.id.to_string(),
        "parent": v.parent_id.map(|p| p.to_string()),
        "author": {"code": v.author_code, "name": v.author_name},
        "html": v.html,
        "text": v.text,
        "mentions": v.mentions,
        "files": v.files,
        "createdAt": iso(v.created_at),
        "edited": v.edited_at.is_some() && !v.deleted,
        "editedAt": v.edited_at.map(iso),
        "deleted": v.deleted,
        "readCount": v.read_count.to_string(),
        "replies": v.replies.iter().map(post_json).collect::<Vec<_>>(),
    })
}

/// `GET /api/space/thread/comments.json?space=&thread=&before=&limit=`.
pub fn list_comments(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let limit = p.opt_i64("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", "Enter a number from 1 to 100."));
    }
    let page = reads::list_posts(
        call.conn,
        call.acting,
        p.i64("space")?,
        p.i64("thread")?,
        p.opt_i64("before")?,
        limit,
    )?;
    Ok(json!({
        "comments": page.posts.iter().map(post_json).collect::<Vec<_>>(),
        "older": page.older,
        "readPosition": page.position.to_string(),
        "lastPostId": page.last_post_id.to_string(),
    }))
}

/// `POST /api/space/thread/read.json`: `{space, thread, post?}`.
pub fn mark_read(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let at = reads::mark_read(
        call.conn,
        call.acting,
        p.i64("space")?,
        p.i64("thread")?,
        p.opt_i64("post")?,
    )?;
    Ok(json!({"readPosition": at.to_string()}))
}

/// `GET /api/space/thread/readers.json?post=`.
pub fn readers(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let readers = reads::readers(call.conn, call.acting, p.i64("post")?)?;
    Ok(json!({
        "count": readers.len().to_string(),
        "readers": readers.iter().map(|r| json!({"code": r.code, "name": r.name, "readAt": iso(r.read_at)})).collect::<Vec<_>>(),
    }))
}

/// `GET /api/spaces/unread.json`: per space I am a member of, unread posts per thread.
pub fn unread(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let summary = reads::unread_summary(call.conn, call.acting)?;
    let total: i64 = summary.iter().map(|s| s.unread).sum();
    Ok(json!({
        "total": total.to_string(),
        "spaces": summary.iter().map(|s| json!({
            "id": s.space_id.to_string(),
            "name": s.name,
            "unread": s.unread.to_string(),
            "more": s.more,
            "threads": s.threads.iter().map(|t| json!({
                "id": t.thread_id.to_string(),
                "name": t.thread_name,
                "unread": t.unread.to_string(),
                "more": t.more,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
}

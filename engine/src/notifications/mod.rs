//! In-app notifications (the bell): one row per (user, event). Producers — thread posts and their
//! mentions, record comments, process assignments, review requests and decisions, the per-app
//! notification rules — call [`notify`] in the transaction of what they record, or from an outbox
//! consumer; a replayed event notifies nobody twice because `(user_code, source_key)` is unique.
//!
//! What a user may be told is the producer's responsibility: it notifies only people who may see
//! the thing the notification links to (checked through the acting context of the recipient).

pub mod bell;
pub mod consumer;
pub mod producers;
pub mod reminders;
pub mod rules;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::notifications;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// What happened, as stored in `notifications.kind`.
pub mod kind {
    /// Someone mentioned the user (or a department/group they belong to) in a post or comment.
    pub const MENTION: &str = "mention";
    /// A reply to the user's post.
    pub const REPLY: &str = "reply";
    /// A new post in a thread the user follows (a space member).
    pub const POST: &str = "post";
    /// A comment on a record the user created or is assigned to.
    pub const RECORD_COMMENT: &str = "record_comment";
    /// The user became an assignee of a record's process state.
    pub const PROCESS_ASSIGNEE: &str = "process_assignee";
    /// An app was submitted for review (IT reviewers).
    pub const REVIEW_REQUEST: &str = "review_request";
    /// A reviewer decided on the user's submission.
    pub const REVIEW_DECISION: &str = "review_decision";
    /// A per-app notification rule (general, per-record or reminder) matched.
    pub const APP_RULE: &str = "app_rule";
    /// Issue 14: a survey step (sent, reminded, submitted, returned, accepted, deadline, closed).
    pub const SURVEY: &str = "survey";
}

/// One notification to write.
#[derive(Debug, Clone, Default)]
pub struct Notice {
    pub kind: &'static str,
    /// Names the event so that a replay writes nothing new (`post:17`, `comment:5:12:3`, ...).
    pub source_key: String,
    pub title: String,
    pub body: String,
    /// A path inside Kumiki (`/k/5/show?record=3`, `/k/#/space/2/thread/7`), never an outside URL.
    pub link: String,
    /// Who caused it (user code; empty for the server).
    pub actor: String,
    pub app_id: Option<i64>,
    pub record_id: Option<i64>,
    pub space_id: Option<i64>,
    pub thread_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = notifications)]
// NULL rather than DEFAULT for absent ids, so that SQLite accepts the multi-row insert.
#[diesel(treat_none_as_default_value = false)]
struct NewNotification<'a> {
    user_code: &'a str,
    kind: &'a str,
    source_key: &'a str,
    title: &'a str,
    body: &'a str,
    link: &'a str,
    actor: &'a str,
    app_id: Option<i64>,
    record_id: Option<i64>,
    space_id: Option<i64>,
    thread_id: Option<i64>,
    created_at: i64,
}

/// The longest title and body kept, in characters (a notification is a pointer, not the content).
const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 500;

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Writes `notice` for each of `users` (the actor is skipped: nobody is notified of their own
/// action), once per (user, source key). Returns how many rows were new. Writes in batches, so a
/// mention of a 1,000-member department is a handful of statements.
pub fn notify(
    conn: &mut DbConn,
    users: &[String],
    notice: &Notice,
    now: i64,
) -> EngineResult<usize> {
    let title = clip(&notice.title, MAX_TITLE_CHARS);
    let body = clip(&notice.body, MAX_BODY_CHARS);
    let mut written = 0;
    let recipients: Vec<&String> = users.iter().filter(|u| **u != notice.actor).collect();
    for chunk in recipients.chunks(200) {
        let rows: Vec<NewNotification> = chunk
            .iter()
            .map(|user| NewNotification {
                user_code: user.as_str(),
                kind: notice.kind,
                source_key: &notice.source_key,
                title: &title,
                body: &body,
                link: &notice.link,
                actor: &notice.actor,
                app_id: notice.app_id,
                record_id: notice.record_id,
                space_id: notice.space_id,
                thread_id: notice.thread_id,
                created_at: now,
            })
            .collect();
        written += with_conn!(conn, |c| diesel::insert_into(notifications::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(written)
}

/// Writes several notices, each to its own users, in batches of multi-row inserts (issue 14: a
/// survey broadcast tells each organisation's contacts about their own answer). Same rules as
/// [`notify`]: the actor is skipped, each (user, source key) once. Returns how many rows were new.
pub fn notify_each(
    conn: &mut DbConn,
    items: &[(Vec<String>, Notice)],
    now: i64,
) -> EngineResult<usize> {
    let clipped: Vec<(String, String)> = items
        .iter()
        .map(|(_, n)| {
            (
                clip(&n.title, MAX_TITLE_CHARS),
                clip(&n.body, MAX_BODY_CHARS),
            )
        })
        .collect();
    let mut rows: Vec<NewNotification> = Vec::new();
    for ((users, notice), (title, body)) in items.iter().zip(&clipped) {
        for user in users.iter().filter(|u| **u != notice.actor) {
            rows.push(NewNotification {
                user_code: user.as_str(),
                kind: notice.kind,
                source_key: &notice.source_key,
                title,
                body,
                link: &notice.link,
                actor: &notice.actor,
                app_id: notice.app_id,
                record_id: notice.record_id,
                space_id: notice.space_id,
                thread_id: notice.thread_id,
                created_at: now,
            });
        }
    }
    let mut written = 0;
    for chunk in rows.chunks(200) {
        written += with_conn!(conn, |c| diesel::insert_into(notifications::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(written)
}

/// One stored notification, as the bell lists it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = notifications)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: i64,
    pub user_code: String,
    pub kind: String,
    pub source_key: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub actor: String,
    pub app_id: Option<i64>,
    pub record_id: Option<i64>,
    pub space_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

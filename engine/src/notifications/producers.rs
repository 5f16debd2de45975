//! What the producers share: who may see a record (each recipient through their own acting
//! context, so private and guest spaces and record permissions hold for notifications too), entity
//! expansion, and the review producers (`review::submit` / `review::decide` call them in their
//! transaction).

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::Value;

use super::{kind, notify, Notice};
use crate::acl::{AppRight, Principal};
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppId, AppRow};
use crate::db::schema::users;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::with_conn;

/// The path of a record's page.
pub fn record_link(app: i64, record: i64) -> String {
    format!("/apps/{app}/records/{record}")
}

/// Answers "may this user view this record?" for one app, remembering the answers.
pub struct Visibility {
    app: i64,
    tz: chrono_tz::Tz,
    seen: HashMap<(String, i64), bool>,
}

impl Visibility {
    pub fn new(app: i64, tz: chrono_tz::Tz) -> Visibility {
        Visibility {
            app,
            tz,
            seen: HashMap::new(),
        }
    }

    /// Whether active user `code` may view `record` of the app (through the app's own path: a
    /// guest-space app only for its members). Unknown and disabled users see nothing.
    pub fn may_view(&mut self, conn: &mut DbConn, code: &str, record: i64) -> EngineResult<bool> {
        if let Some(v) = self.seen.get(&(code.to_owned(), record)) {
            return Ok(*v);
        }
        let v = self.check(conn, code, record)?;
        self.seen.insert((code.to_owned(), record), v);
        Ok(v)
    }

    fn check(&self, conn: &mut DbConn, code: &str, record: i64) -> EngineResult<bool> {
        let found: Option<(String, bool, bool)> = with_conn!(conn, |c| users::table
            .filter(users::code.eq(code))
            .select((users::name, users::is_admin, users::is_active))
            .first(c)
            .optional())?;
        let Some((name, is_admin, true)) = found else {
            return Ok(false);
        };
        let Some(row) = AppRow::find(conn, AppId(self.app))? else {
            return Ok(false);
        };
        let principal = Principal::for_user(conn, code, &name, is_admin)?;
        let acting =
            ActingContext::new(principal, Channel::Page, self.tz).through_path_of(conn, &row)?;
        let app = match acting.open_row(conn, row, AppRight::View) {
            Ok(app) => app,
            Err(EngineError::User(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        match crate::records::get_record(conn, &app, record) {
            Ok(_) => Ok(true),
            Err(EngineError::User(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `users` without those who may not view `record`.
    pub fn filter(
        &mut self,
        conn: &mut DbConn,
        users: Vec<String>,
        record: i64,
    ) -> EngineResult<Vec<String>> {
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            if self.may_view(conn, &u, record)? {
                out.push(u);
            }
        }
        Ok(out)
    }
}

/// The users a comment's `mentions` (`[{code, type USER|ORGANIZATION|GROUP}]`) stand for.
pub fn mentioned_users(conn: &mut DbConn, mentions: &Value) -> EngineResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for m in mentions.as_array().map(Vec::as_slice).unwrap_or_default() {
        let code = m.get("code").and_then(Value::as_str).unwrap_or("");
        let codes = match m.get("type").and_then(Value::as_str).unwrap_or("USER") {
            "USER" => vec![code.to_owned()],
            "GROUP" => crate::org::members_of_group(conn, code)?,
            "ORGANIZATION" => crate::org::members_of_department(conn, code)?,
            _ => Vec::new(),
        };
        for c in codes {
            if !c.is_empty() && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The active system administrators and members of the reviewers' group.
fn reviewers(conn: &mut DbConn) -> EngineResult<Vec<String>> {
    let mut out: Vec<String> = with_conn!(conn, |c| users::table
        .filter(users::is_admin.eq(true).and(users::is_active.eq(true)))
        .select(users::code)
        .load(c))?;
    for m in crate::org::members_of_group(conn, crate::review::REVIEWER_GROUP)? {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

fn app_name(conn: &mut DbConn, app: AppId) -> EngineResult<String> {
    Ok(
        crate::apps::load_definition(conn, app, crate::apps::PREVIEW)?
            .map(|(d, _)| d.name)
            .unwrap_or_else(|| app.0.to_string()),
    )
}

/// Tells the reviewers that submission `id` of `app` waits for them (once per submission).
pub fn review_requested(
    conn: &mut DbConn,
    app: AppId,
    id: i64,
    submitter: &str,
    comment: &str,
    now: i64,
) -> EngineResult<usize> {
    let recipients = reviewers(conn)?;
    let notice = Notice {
        kind: kind::REVIEW_REQUEST,
        source_key: format!("review:{id}:request"),
        title: app_name(conn, app)?,
        body: comment.to_owned(),
        link: format!("/apps/{}/review", app.0),
        actor: submitter.to_owned(),
        app_id: Some(app.0),
        ..Notice::default()
    };
    notify(conn, &recipients, &notice, now)
}

/// Tells the submitter of `id` how the reviewer decided (once per submission).
pub fn review_decided(
    conn: &mut DbConn,
    submission: &crate::review::Submission,
    now: i64,
) -> EngineResult<usize> {
    let reviewer = submission.reviewer.clone().unwrap_or_default();
    let notice = Notice {
        kind: kind::REVIEW_DECISION,
        source_key: format!("review:{}:decision", submission.id),
        title: format!(
            "{} · {}",
            app_name(conn, submission.app)?,
            submission.state.as_str()
        ),
        body: submission.review_comment.clone().unwrap_or_default(),
        link: format!("/apps/{}/review", submission.app.0),
        actor: reviewer,
        app_id: Some(submission.app.0),
        ..Notice::default()
    };
    notify(
        conn,
        std::slice::from_ref(&submission.submitter),
        &notice,
        now,
    )
}

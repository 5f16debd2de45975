//! The bell's producer over the change log: the consumer `notify` (registered by migration
//! 2026-12-06-000040 at the log's end, so a server upgraded with history notifies nobody of it).
//! For each change, in `seq` order, it writes:
//!
//! - comments (`comment_added`): a mention to each mentioned user, department or group member
//!   (`mention`); to the record's creator and current assignees (`record_comment`); with the app's
//!   `notifyToCommenter`, to everyone who commented on the record before;
//! - process assignments (`status_changed`, `assignees_changed`, and `record_added` of an app with
//!   process management): to the record's assignees now (`process_assignee`);
//! - the app's live notification rules (`rules`): general rules for added/edited records, comments
//!   and status changes, per-record rules whose condition the saved record meets (`app_rule`).
//!
//! Every notice's source key names the change (`seq`) or the comment, so a change handled twice
//! (after a crash between writing and advancing, or by two nodes at once) notifies nobody twice.
//! Each change is handled and the position advanced in one transaction. Recipients are filtered
//! through their own rights (`producers::Visibility`). The actor is never notified of their own
//! change. On PostgreSQL the position does not step over a hole younger than `HOLE_TIMEOUT`
//! (a transaction that took its `seq` but has not committed yet).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use super::producers::{mentioned_users, record_link, Visibility};
use super::rules;
use super::{kind, notify, Notice};
use crate::acl::AppRight;
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppId, LiveApp};
use crate::db::schema::{change_consumers, change_log, record_comments};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::fields::FieldType;
use crate::process::{expand, DbExpander, RecordFacts};
use crate::records::changes::{self, Change, ChangeKind};
use crate::with_conn;

/// The consumer's name in `change_consumers`.
pub const CONSUMER: &str = "notify";
const BATCH: i64 = 200;
/// How long a hole in `seq` may stay before it is taken for a rollback.
pub const HOLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The consumer's state between runs (only the hole it waits at).
pub struct NotifyConsumer {
    hole: Option<(i64, Instant)>,
    timezone: chrono_tz::Tz,
}

impl NotifyConsumer {
    /// `timezone`: the server's default, for query functions in rule conditions.
    pub fn new(timezone: chrono_tz::Tz) -> NotifyConsumer {
        NotifyConsumer {
            hole: None,
            timezone,
        }
    }

    /// Handles the changes after the stored position (up to one batch); returns how many.
    pub fn run(&mut self, conn: &mut DbConn) -> EngineResult<usize> {
        // Registered by the migration; an administrator who forgot it registers it again at the
        // log's end (what happened meanwhile is not notified).
        // A plain read first: registering takes the write lock, which an idle poll should not.
        let stored: Option<i64> = with_conn!(conn, |c| change_consumers::table
            .find(CONSUMER)
            .select(change_consumers::position)
            .first(c)
            .optional())?;
        let position = match stored {
            Some(p) => p,
            None => {
                let end = changes::last_seq(conn)?;
                changes::register(conn, CONSUMER, end)?.position
            }
        };
        let rows = changes::changes_after(conn, position, BATCH)?;
        let mut expected = position + 1;
        let mut ready = Vec::with_capacity(rows.len());
        for row in rows {
            if row.seq > expected {
                match self.hole {
                    Some((lo, at)) if lo == expected && at.elapsed() >= HOLE_TIMEOUT => {
                        tracing::warn!(
                            lo,
                            hi = row.seq - 1,
                            "notify: change-log hole passed as a rollback"
                        );
                        self.hole = None;
                    }
                    Some((lo, _)) if lo == expected => break,
                    _ => {
                        self.hole = Some((expected, Instant::now()));
                        break;
                    }
                }
            }
            expected = row.seq + 1;
            ready.push(row);
        }
        let Some(last) = ready.last().map(|r| r.seq) else {
            return Ok(0);
        };
        // The whole batch in one transaction, each change under a savepoint: one commit (one WAL
        // flush on PostgreSQL) per batch instead of one per change, which during a bulk load
        // competed with the writers for the disk (docs/benchmarks.md, "PostgreSQL at 1M").
        let tz = self.timezone;
        conn.write_transaction(|c| {
            let mut apps = OpenApps::new();
            for row in &ready {
                match handle_with(c, row, tz, &mut apps) {
                    Ok(()) => {}
                    // The app or record is gone, or a rule no longer fits the app: nobody to tell.
                    Err(EngineError::User(e)) => {
                        tracing::debug!(seq = row.seq, error = %e, "notify: change skipped");
                    }
                    Err(e) => return Err(e),
                }
            }
            changes::advance(c, CONSUMER, last)?;
            Ok(ready.len())
        })
    }
}

/// The apps opened for the changes of one batch, by id (a deploy or deletion in the batch drops
/// them, so later changes see the definition they were made under).
type OpenApps = HashMap<i64, LiveApp>;

/// Writes the notices of one change.
pub fn handle(conn: &mut DbConn, change: &Change, tz: chrono_tz::Tz) -> EngineResult<()> {
    handle_with(conn, change, tz, &mut OpenApps::new())
}

/// [`handle`], opening each app once per batch (`apps`).
fn handle_with(
    conn: &mut DbConn,
    change: &Change,
    tz: chrono_tz::Tz,
    apps: &mut OpenApps,
) -> EngineResult<()> {
    if matches!(
        change.kind,
        ChangeKind::AppDeployed | ChangeKind::AppDeleted
    ) {
        apps.remove(&change.app_id);
    }
    let relevant = matches!(
        change.kind,
        ChangeKind::RecordAdded
            | ChangeKind::RecordEdited
            | ChangeKind::StatusChanged
            | ChangeKind::AssigneesChanged
            | ChangeKind::CommentAdded
    );
    if !relevant || change.record_id == changes::WHOLE_APP {
        return Ok(());
    }
    let app = match apps.entry(change.app_id) {
        Entry::Occupied(open) => open.into_mut(),
        Entry::Vacant(slot) => {
            let acting = ActingContext::system(Channel::System, tz);
            slot.insert(acting.open_app(conn, AppId(change.app_id), AppRight::View)?)
        }
    };
    if !may_notify(&app.definition, change.kind) {
        // Nobody to tell: the record is not even read (a bulk load of an app without rules or
        // process management costs one app read per batch).
        return Ok(());
    }
    let app = &*app;
    let record = crate::records::get_record(conn, app, change.record_id)?;
    // What this change writes is undone alone when it fails, and the batch goes on.
    conn.batch_execute("SAVEPOINT notify_change")?;
    match write_notices(conn, change, app, &record, tz) {
        Ok(()) => conn.batch_execute("RELEASE SAVEPOINT notify_change"),
        Err(e) => {
            conn.batch_execute("ROLLBACK TO SAVEPOINT notify_change")?;
            conn.batch_execute("RELEASE SAVEPOINT notify_change")?;
            Err(e)
        }
    }
}

/// The notices of a change of `record`.
fn write_notices(
    conn: &mut DbConn,
    change: &Change,
    app: &LiveApp,
    record: &crate::records::StoredRecord,
    tz: chrono_tz::Tz,
) -> EngineResult<()> {
    let mut ev = Event {
        change,
        app,
        values: &record.values,
        actor: change.actor.clone().unwrap_or_default(),
        visibility: Visibility::new(app.row.id, tz),
        title: record_title(app, &record.values, change.record_id),
        tz,
    };
    if change.kind == ChangeKind::CommentAdded {
        comments(conn, &mut ev)?;
    }
    let assigns = match change.kind {
        ChangeKind::StatusChanged | ChangeKind::AssigneesChanged => true,
        ChangeKind::RecordAdded => app.definition.process_enabled(),
        _ => false,
    };
    if assigns {
        assignments(conn, &mut ev)?;
    }
    general_rules(conn, &mut ev)?;
    if matches!(
        change.kind,
        ChangeKind::RecordAdded | ChangeKind::RecordEdited | ChangeKind::StatusChanged
    ) {
        per_record_rules(conn, &mut ev)?;
    }
    Ok(())
}

/// Whether a change of `kind` can notify anyone in an app of this definition: comments (mentions),
/// process steps, an addition with process management on, or a general or per-record rule.
fn may_notify(def: &crate::apps::AppDefinition, kind: ChangeKind) -> bool {
    let event = match kind {
        ChangeKind::CommentAdded | ChangeKind::StatusChanged | ChangeKind::AssigneesChanged => {
            return true
        }
        ChangeKind::RecordAdded if def.process_enabled() => return true,
        ChangeKind::RecordAdded => "recordAdded",
        ChangeKind::RecordEdited => "recordEdited",
        _ => return false,
    };
    rules::general(def).0.iter().any(|r| r.on(event)) || !rules::per_record(def).is_empty()
}

struct Event<'a> {
    change: &'a Change,
    app: &'a LiveApp,
    values: &'a serde_json::Map<String, Value>,
    actor: String,
    visibility: Visibility,
    title: String,
    tz: chrono_tz::Tz,
}

impl Event<'_> {
    fn notice(
        &self,
        kind: &'static str,
        source_key: String,
        title: String,
        body: String,
    ) -> Notice {
        Notice {
            kind,
            source_key,
            title,
            body,
            link: record_link(self.app.row.id, self.change.record_id),
            actor: self.actor.clone(),
            app_id: Some(self.app.row.id),
            record_id: Some(self.change.record_id),
            ..Notice::default()
        }
    }

    /// Notifies those of `users` who may view the record.
    fn send(
        &mut self,
        conn: &mut DbConn,
        users: Vec<String>,
        notice: &Notice,
    ) -> EngineResult<usize> {
        let users = self.visibility.filter(conn, users, self.change.record_id)?;
        notify(conn, &users, notice, self.change.created_at)
    }

    fn facts(&self) -> RecordFacts<'_> {
        RecordFacts {
            definition: &self.app.definition,
            values: self.values,
        }
    }

    fn assignees(&self) -> Vec<String> {
        let Some(f) = self.app.definition.field_of_type(FieldType::StatusAssignee) else {
            return Vec::new();
        };
        self.values
            .get(&f.property.code)
            .and_then(|v| v.get("value").or(Some(v)))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.get("code").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `{app name} #{record}` with the record's title field when the app names one.
fn record_title(app: &LiveApp, values: &serde_json::Map<String, Value>, record: i64) -> String {
    let title_field = app.definition.title_field();
    let shown = title_field
        .and_then(|code| values.get(code))
        .and_then(|v| v.get("value").or(Some(v)))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    match shown {
        Some(text) => format!("{} #{record} {text}", app.definition.name),
        None => format!("{} #{record}", app.definition.name),
    }
}

/// The comments the change stands for: the actor's comments on the record written at its time
/// (a change row is written in the comment's transaction, within a second of it).
fn new_comments(conn: &mut DbConn, ev: &Event<'_>) -> EngineResult<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String, String)> = with_conn!(conn, |c| record_comments::table
        .filter(record_comments::app_id.eq(ev.app.row.id))
        .filter(record_comments::record_id.eq(ev.change.record_id))
        .filter(record_comments::creator.eq(&ev.actor))
        .filter(record_comments::created_at.between(ev.change.created_at - 2, ev.change.created_at))
        .select((
            record_comments::id,
            record_comments::text,
            record_comments::mentions
        ))
        .load(c))?;
    Ok(rows)
}

fn comments(conn: &mut DbConn, ev: &mut Event<'_>) -> EngineResult<()> {
    let (_, to_commenters) = rules::general(&ev.app.definition);
    for (id, text, mentions) in new_comments(conn, ev)? {
        // One source key for every notice of this comment: a mentioned creator hears of it once,
        // as a mention (written first).
        let key = format!("comment:{}:{}:{id}", ev.app.row.id, ev.change.record_id);
        let mentions: Value = serde_json::from_str(&mentions).unwrap_or(Value::Null);
        let mentioned = mentioned_users(conn, &mentions)?;
        let n = ev.notice(kind::MENTION, key.clone(), ev.title.clone(), text.clone());
        ev.send(conn, mentioned, &n)?;
        let mut others: Vec<String> = ev.facts().creator().into_iter().collect();
        for a in ev.assignees() {
            if !others.contains(&a) {
                others.push(a);
            }
        }
        if to_commenters {
            let earlier: Vec<String> = with_conn!(conn, |c| record_comments::table
                .filter(record_comments::app_id.eq(ev.app.row.id))
                .filter(record_comments::record_id.eq(ev.change.record_id))
                .filter(record_comments::id.lt(id))
                .select(record_comments::creator)
                .distinct()
                .load(c))?;
            for e in earlier {
                if !others.contains(&e) {
                    others.push(e);
                }
            }
        }
        let n = ev.notice(kind::RECORD_COMMENT, key, ev.title.clone(), text);
        ev.send(conn, others, &n)?;
    }
    Ok(())
}

fn assignments(conn: &mut DbConn, ev: &mut Event<'_>) -> EngineResult<()> {
    // The record is read as it is now: when a later process change of it is in the log, that
    // change tells the assignees of then (the same people would otherwise hear twice).
    let later: i64 = with_conn!(conn, |c| change_log::table
        .filter(change_log::seq.gt(ev.change.seq))
        .filter(change_log::app_id.eq(ev.app.row.id))
        .filter(change_log::record_id.eq(ev.change.record_id))
        .filter(change_log::kind.eq_any([
            ChangeKind::StatusChanged.as_str(),
            ChangeKind::AssigneesChanged.as_str(),
        ]))
        .count()
        .get_result(c))?;
    if later > 0 {
        return Ok(());
    }
    let users = ev.assignees();
    if users.is_empty() {
        return Ok(());
    }
    let body = ev
        .change
        .status
        .as_ref()
        .map(|(from, to)| format!("{from} → {to}"))
        .unwrap_or_default();
    let key = format!("assign:{}", ev.change.seq);
    let n = ev.notice(kind::PROCESS_ASSIGNEE, key, ev.title.clone(), body);
    ev.send(conn, users, &n)?;
    Ok(())
}

fn general_rules(conn: &mut DbConn, ev: &mut Event<'_>) -> EngineResult<()> {
    let event = match ev.change.kind {
        ChangeKind::RecordAdded => "recordAdded",
        ChangeKind::RecordEdited => "recordEdited",
        ChangeKind::CommentAdded => "commentAdded",
        ChangeKind::StatusChanged => "statusChanged",
        _ => return Ok(()),
    };
    let (general, _) = rules::general(&ev.app.definition);
    let entities: Vec<_> = general
        .iter()
        .filter(|r| r.on(event))
        .map(|r| r.entity.clone())
        .collect();
    if entities.is_empty() {
        return Ok(());
    }
    let users = {
        let facts = ev.facts();
        expand(&entities, &facts, &mut DbExpander { conn })?
    };
    let body = match &ev.change.status {
        Some((from, to)) => format!("{from} → {to}"),
        None => String::new(),
    };
    let key = format!("rule:general:{}", ev.change.seq);
    let n = ev.notice(kind::APP_RULE, key, ev.title.clone(), body);
    ev.send(conn, users, &n)?;
    Ok(())
}

/// Whether record `id` of `app` meets `cond` (empty: every record), evaluated without anyone's
/// rights in time zone `tz`.
pub fn record_matches(
    conn: &mut DbConn,
    app: &LiveApp,
    id: i64,
    cond: &str,
    tz: chrono_tz::Tz,
) -> EngineResult<bool> {
    if cond.trim().is_empty() {
        return Ok(true);
    }
    let ctx = crate::acting::check_query_context(&app.definition, tz);
    let q = crate::query::prepare(&format!("$id = {id} and ({cond})"), &ctx)?;
    Ok(crate::records::count_records(conn, app, &q, &ctx)? > 0)
}

fn per_record_rules(conn: &mut DbConn, ev: &mut Event<'_>) -> EngineResult<()> {
    for (i, rule) in rules::per_record(&ev.app.definition)
        .into_iter()
        .enumerate()
    {
        if !record_matches(conn, ev.app, ev.change.record_id, &rule.filter_cond, ev.tz)? {
            continue;
        }
        let users = {
            let facts = ev.facts();
            expand(&rule.targets, &facts, &mut DbExpander { conn })?
        };
        let title = if rule.title.is_empty() {
            ev.title.clone()
        } else {
            format!("{} · {}", rule.title, ev.title)
        };
        let key = format!("rule:perRecord:{}:{i}", ev.change.seq);
        let n = ev.notice(kind::APP_RULE, key, title, String::new());
        ev.send(conn, users, &n)?;
    }
    Ok(())
}

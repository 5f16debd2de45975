//! Webhook deliveries: the change-log consumer `webhooks` turns each change into one row per
//! interested webhook, in the transaction that advances its position (a change is turned into
//! deliveries exactly once, even across a crash), and the sender claims due rows under a lease.
//!
//! - **The body is fixed when the row is written**: kintone's payload, read from the record as it is
//!   then (the log says what changed, not the values). Every retry sends the same bytes with the same
//!   delivery id, so a receiver can drop duplicates.
//! - **Claiming takes a lease** (`claim`): due rows become `sending` with `lease_owner`/`lease_until`
//!   and one more attempt; a row whose lease ended (its node was killed mid-send) is due again. So a
//!   crash loses no delivery; it may send one twice, with the same delivery id.
//! - **Holes** (PostgreSQL takes `seq` before commit): the position never steps over a hole younger
//!   than [`HOLE_WAIT_SECS`]; rows beyond it are turned into deliveries anyway and read again later,
//!   and `(webhook_id, change_seq)` is unique, so they make one delivery each.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::acl::AppRight;
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppId, LiveApp};
use crate::db::schema::{record_comments, users, webhook_deliveries as wd, webhooks};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::records::changes::{self, Change, ChangeKind};
use crate::with_conn;

/// The consumer's name in `change_consumers`.
pub const CONSUMER: &str = "webhooks";
/// A hole in `seq` younger than this may still fill (a transaction not yet committed).
pub const HOLE_WAIT_SECS: i64 = 30;
/// Attempts before a delivery is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 6;
/// Changes read per consumer step.
const BATCH: i64 = 200;
/// The longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 500;

/// Delivery states, as stored.
pub mod state {
    pub const QUEUED: &str = "queued";
    pub const SENDING: &str = "sending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

/// Registers the consumer; a new one starts at the current end of the log (webhooks are about what
/// happens from now on, not about history).
pub fn register(conn: &mut DbConn) -> EngineResult<()> {
    let end = changes::last_seq(conn)?;
    changes::register(conn, CONSUMER, end)?;
    Ok(())
}

/// The kintone event of a change, if webhooks know it.
pub fn event_of(kind: ChangeKind) -> Option<&'static str> {
    match kind {
        ChangeKind::RecordAdded => Some("ADD_RECORD"),
        ChangeKind::RecordEdited => Some("UPDATE_RECORD"),
        ChangeKind::RecordDeleted => Some("DELETE_RECORD"),
        ChangeKind::StatusChanged => Some("UPDATE_STATUS"),
        ChangeKind::CommentAdded => Some("ADD_RECORD_COMMENT"),
        _ => None,
    }
}

/// Turns the changes after the consumer's position into deliveries and advances it, in one write
/// transaction. `base_url` is the server's public URL (record links). Returns how far the position
/// moved (0: caught up or waiting at a hole); None when the consumer is not registered (an
/// administrator forgot it: `register` again).
pub fn consume(conn: &mut DbConn, base_url: &str, now: i64) -> EngineResult<Option<i64>> {
    // A read first: the write transaction takes SQLite's write lock, which this thread would
    // otherwise take several times a second for nothing.
    let seen: Option<i64> = with_conn!(conn, |c| crate::db::schema::change_consumers::table
        .find(CONSUMER)
        .select(crate::db::schema::change_consumers::position)
        .first(c)
        .optional())?;
    match seen {
        None => return Ok(None),
        Some(p) if changes::changes_after(conn, p, 1)?.is_empty() => return Ok(Some(0)),
        Some(_) => {}
    }
    conn.write_transaction(|conn| {
        let position: Option<i64> =
            with_conn!(conn, |c| crate::db::schema::change_consumers::table
                .find(CONSUMER)
                .select(crate::db::schema::change_consumers::position)
                .first(c)
                .optional())?;
        let Some(position) = position else {
            return Ok(None);
        };
        let rows = changes::changes_after(conn, position, BATCH)?;
        if rows.is_empty() {
            return Ok(Some(0));
        }
        let mut builder = Builder::new(base_url);
        for change in &rows {
            builder.deliver(conn, change, now)?;
        }
        let next = advance_to(position, &rows, now);
        if next != position {
            changes::advance(conn, CONSUMER, next)?;
        }
        Ok(Some(next - position))
    })
}

/// The new position after reading `rows` (ascending) from `position`: up to the last row before the
/// first hole younger than `HOLE_WAIT_SECS`.
fn advance_to(position: i64, rows: &[Change], now: i64) -> i64 {
    let mut pos = position;
    for r in rows {
        if r.seq != pos + 1 && r.created_at > now - HOLE_WAIT_SECS {
            break;
        }
        pos = r.seq;
    }
    pos
}

/// One enabled webhook of an app: id and events.
type Hook = (i64, Vec<String>);

/// Builds payloads, caching per app what it reads.
struct Builder<'a> {
    base_url: &'a str,
    hooks: HashMap<i64, Vec<Hook>>,
    apps: HashMap<i64, Option<LiveApp>>,
    acting: ActingContext,
}

impl<'a> Builder<'a> {
    fn new(base_url: &'a str) -> Builder<'a> {
        Builder {
            base_url: base_url.trim_end_matches('/'),
            hooks: HashMap::new(),
            apps: HashMap::new(),
            // The server's own work: payloads carry every field, as kintone's do.
            acting: ActingContext::system(Channel::System, chrono_tz::UTC),
        }
    }

    fn hooks(&mut self, conn: &mut DbConn, app: i64) -> EngineResult<&Vec<Hook>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.hooks.entry(app) {
            let rows: Vec<(i64, String)> = with_conn!(conn, |c| webhooks::table
                .filter(webhooks::app_id.eq(app).and(webhooks::enabled.eq(true)))
                .select((webhooks::id, webhooks::events))
                .load(c))?;
            let hooks = rows
                .into_iter()
                .map(|(id, e)| (id, serde_json::from_str(&e).unwrap_or_default()))
                .collect();
            slot.insert(hooks);
        }
        Ok(self.hooks.get(&app).map_or(&EMPTY, |h| h))
    }

    fn app(&mut self, conn: &mut DbConn, app: i64) -> EngineResult<Option<&LiveApp>> {
        if !self.apps.contains_key(&app) {
            // An app deleted meanwhile has no deliveries left to make.
            let live = self.acting.open_app(conn, AppId(app), AppRight::View).ok();
            self.apps.insert(app, live);
        }
        Ok(self.apps.get(&app).and_then(Option::as_ref))
    }

    /// Writes the deliveries of one change; returns how many.
    fn deliver(&mut self, conn: &mut DbConn, change: &Change, now: i64) -> EngineResult<usize> {
        let Some(event) = event_of(change.kind) else {
            return Ok(0);
        };
        let targets: Vec<i64> = self
            .hooks(conn, change.app_id)?
            .iter()
            .filter(|(_, events)| events.iter().any(|e| e == event))
            .map(|(id, _)| *id)
            .collect();
        if targets.is_empty() {
            return Ok(0);
        }
        let base_url = self.base_url.to_owned();
        let Some(app) = self.app(conn, change.app_id)? else {
            return Ok(0);
        };
        let Some(body) = payload(conn, app, change, event, &base_url)? else {
            return Ok(0);
        };
        let mut n = 0;
        for webhook in targets {
            let delivery_id = uuid::Uuid::new_v4().to_string();
            // kintone's member order: the delivery id first.
            let mut p = Map::new();
            p.insert("id".into(), Value::String(delivery_id.clone()));
            p.extend(body.clone());
            let p = Value::Object(p);
            n += insert_at(
                conn,
                webhook,
                change.app_id,
                Some(change.seq),
                event,
                &delivery_id,
                &p,
                now,
            )?;
        }
        Ok(n)
    }
}

static EMPTY: Vec<Hook> = Vec::new();

/// kintone's payload of `event` for `change` (without `id`, which is per delivery), or None when the
/// record is gone (an add or edit of a record deleted before the consumer read it).
fn payload(
    conn: &mut DbConn,
    app: &LiveApp,
    change: &Change,
    event: &str,
    base_url: &str,
) -> EngineResult<Option<Map<String, Value>>> {
    let mut out = Map::new();
    out.insert("type".into(), json!(event));
    out.insert(
        "app".into(),
        json!({"id": change.app_id.to_string(), "name": app.definition.name}),
    );
    let url = format!(
        "{base_url}/apps/{}/records/{}",
        change.app_id, change.record_id
    );
    let record_id = change.record_id.to_string();
    match event {
        "DELETE_RECORD" => {
            out.insert("recordId".into(), json!(record_id));
            let code = change.actor.clone().unwrap_or_default();
            let name = user_name(conn, &code)?;
            out.insert("deletedBy".into(), json!({"code": code, "name": name}));
            out.insert("deletedAt".into(), json!(iso(change.created_at)));
        }
        "ADD_RECORD_COMMENT" => {
            let Some(comment) = comment(conn, change)? else {
                return Ok(None);
            };
            out.insert("comment".into(), comment);
            out.insert("recordId".into(), json!(record_id));
            out.insert("url".into(), json!(url));
        }
        _ => {
            let Ok(record) = crate::records::get_record(conn, app, change.record_id) else {
                return Ok(None);
            };
            let rendered = crate::records::record_json(app, &record, None);
            let title = app
                .definition
                .title_field()
                .and_then(|code| rendered.get(code))
                .and_then(|f| f.get("value"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            out.insert("record".into(), Value::Object(rendered));
            out.insert("recordTitle".into(), json!(title));
            out.insert("url".into(), json!(url));
        }
    }
    Ok(Some(out))
}

fn iso(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn user_name(conn: &mut DbConn, code: &str) -> EngineResult<String> {
    let name: Option<String> = with_conn!(conn, |c| users::table
        .filter(users::code.eq(code))
        .select(users::name)
        .first(c)
        .optional())?;
    Ok(name.unwrap_or_else(|| code.to_owned()))
}

/// The comment a `CommentAdded` row is about: the log row names the record and the writer, not the
/// comment, so it is the writer's newest comment on the record written no later than the row.
fn comment(conn: &mut DbConn, change: &Change) -> EngineResult<Option<Value>> {
    let creator = change.actor.clone().unwrap_or_default();
    type Row = (i64, String, i64, String);
    let row: Option<Row> = with_conn!(conn, |c| record_comments::table
        .filter(
            record_comments::app_id
                .eq(change.app_id)
                .and(record_comments::record_id.eq(change.record_id))
                .and(record_comments::creator.eq(&creator))
                .and(record_comments::created_at.le(change.created_at + 1)),
        )
        .order(record_comments::id.desc())
        .select((
            record_comments::id,
            record_comments::text,
            record_comments::created_at,
            record_comments::mentions,
        ))
        .first(c)
        .optional())?;
    let Some((id, text, created_at, mentions)) = row else {
        return Ok(None);
    };
    let name = user_name(conn, &creator)?;
    Ok(Some(json!({
        "id": id.to_string(),
        "text": text,
        "createdAt": iso(created_at),
        "creator": {"code": creator, "name": name},
        "mentions": serde_json::from_str::<Value>(&mentions).unwrap_or(json!([])),
    })))
}

/// Queues one delivery now (a test delivery has no `change_seq`). Returns 1, or 0 when this webhook
/// already has the delivery of this change.
pub fn insert(
    conn: &mut DbConn,
    webhook: i64,
    app: i64,
    change_seq: Option<i64>,
    event: &str,
    delivery_id: &str,
    payload: &Value,
) -> EngineResult<usize> {
    let now = chrono::Utc::now().timestamp();
    insert_at(
        conn,
        webhook,
        app,
        change_seq,
        event,
        delivery_id,
        payload,
        now,
    )
}

#[expect(clippy::too_many_arguments, reason = "one row's columns")]
fn insert_at(
    conn: &mut DbConn,
    webhook: i64,
    app: i64,
    change_seq: Option<i64>,
    event: &str,
    delivery_id: &str,
    payload: &Value,
    now: i64,
) -> EngineResult<usize> {
    let body = serde_json::to_string(payload)?;
    Ok(with_conn!(conn, |c| diesel::insert_into(wd::table)
        .values((
            wd::delivery_id.eq(delivery_id),
            wd::webhook_id.eq(webhook),
            wd::app_id.eq(app),
            wd::change_seq.eq(change_seq),
            wd::event.eq(event),
            wd::payload.eq(&body),
            wd::state.eq(state::QUEUED),
            wd::attempts.eq(0),
            wd::next_at.eq(now),
            wd::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?)
}

/// A claimed delivery, with what the sender needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub delivery_id: String,
    pub url: String,
    pub secret: String,
    pub payload: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
}

/// Claims up to `limit` due deliveries for `owner` until `now + lease_secs`.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: i64,
    lease_secs: i64,
    limit: i64,
) -> EngineResult<Vec<Claimed>> {
    conn.write_transaction(|c| {
        let due = wd::state
            .eq(state::QUEUED)
            .and(wd::next_at.le(now))
            .or(wd::state.eq(state::SENDING).and(wd::lease_until.lt(now)));
        let order = (wd::next_at.asc(), wd::id.asc());
        let ids: Vec<i64> = match c {
            DbConn::Sqlite(c) => wd::table
                .filter(due)
                .order(order)
                .limit(limit)
                .select(wd::id)
                .load(&mut **c)?,
            // Concurrent claimers (other nodes) skip each other's rows instead of waiting.
            DbConn::Postgres(c) => wd::table
                .filter(due)
                .order(order)
                .limit(limit)
                .select(wd::id)
                .for_update()
                .skip_locked()
                .load(&mut **c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_conn!(c, |c| diesel::update(wd::table.filter(wd::id.eq_any(&ids)))
            .set((
                wd::state.eq(state::SENDING),
                wd::lease_owner.eq(owner),
                wd::lease_until.eq(now + lease_secs),
                wd::attempts.eq(wd::attempts + 1),
            ))
            .execute(c))?;
        type Row = (i64, String, String, String, String, i64);
        let rows: Vec<Row> = with_conn!(c, |c| wd::table
            .inner_join(webhooks::table.on(webhooks::id.eq(wd::webhook_id)))
            .filter(wd::id.eq_any(&ids))
            .order(wd::id.asc())
            .select((
                wd::id,
                wd::delivery_id,
                webhooks::url,
                webhooks::secret,
                wd::payload,
                wd::attempts
            ))
            .load(c))?;
        Ok(rows
            .into_iter()
            .map(|(id, delivery_id, url, secret, payload, attempt)| Claimed {
                id,
                delivery_id,
                url,
                secret,
                payload,
                attempt,
            })
            .collect())
    })
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver answered 2xx.
    pub ok: bool,
    /// The HTTP status, when there was an answer.
    pub response_code: Option<i64>,
    /// Why it failed (connection refused, timeout, HTTP 500, ...).
    pub error: Option<String>,
}

/// Seconds to wait before attempt `attempt + 1`: 10 s, 20 s, 40 s, 80 s, 160 s, ... (capped at an
/// hour). Tests shorten the base with `KUMIKI_WEBHOOK_BACKOFF_BASE` (platform).
pub fn backoff(attempt: i64, base: i64) -> i64 {
    let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    base.max(1)
        .saturating_mul(2_i64.saturating_pow(exp))
        .min(3600)
}

/// Records the attempt of a claimed delivery, while `owner` still holds it: delivered, queued again
/// after [`backoff`], or failed for good after [`MAX_ATTEMPTS`]. Returns the new state, None when the
/// lease was lost (another node took the row over).
pub fn finish(
    conn: &mut DbConn,
    claimed: &Claimed,
    owner: &str,
    attempt: &Attempt,
    now: i64,
    backoff_base: i64,
) -> EngineResult<Option<&'static str>> {
    let (next_state, next_at, finished) = if attempt.ok {
        (state::DELIVERED, now, Some(now))
    } else if claimed.attempt >= MAX_ATTEMPTS {
        (state::FAILED, now, Some(now))
    } else {
        (
            state::QUEUED,
            now + backoff(claimed.attempt, backoff_base),
            None,
        )
    };
    let error: Option<String> = attempt
        .error
        .as_ref()
        .map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    let n = conn.write_transaction(|c| {
        with_conn!(c, |c| diesel::update(
            wd::table.filter(
                wd::id
                    .eq(claimed.id)
                    .and(wd::state.eq(state::SENDING))
                    .and(wd::lease_owner.eq(owner))
            )
        )
        .set((
            wd::state.eq(next_state),
            wd::next_at.eq(next_at),
            wd::lease_owner.eq(None::<String>),
            wd::lease_until.eq(None::<i64>),
            wd::last_error.eq(&error),
            wd::response_code.eq(attempt.response_code),
            wd::finished_at.eq(finished),
        ))
        .execute(c))
        .map_err(crate::error::EngineError::from)
    })?;
    Ok((n == 1).then_some(next_state))
}

/// Removes finished deliveries older than `before`; returns how many.
pub fn prune(conn: &mut DbConn, before: i64) -> EngineResult<usize> {
    Ok(with_conn!(conn, |c| diesel::delete(
        wd::table.filter(
            wd::state
                .eq_any([state::DELIVERED, state::FAILED])
                .and(wd::finished_at.lt(before))
        )
    )
    .execute(c))?)
}

/// The earliest `next_at` of a queued delivery (so the sender can sleep until then).
pub fn next_due(conn: &mut DbConn) -> EngineResult<Option<i64>> {
    Ok(with_conn!(conn, |c| wd::table
        .filter(wd::state.eq(state::QUEUED))
        .select(diesel::dsl::min(wd::next_at))
        .first(c))?)
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub response_code: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The exact body sent.
    pub payload: String,
}

/// The newest `limit` deliveries of `app` (of one webhook when given).
pub fn log(
    conn: &mut DbConn,
    app: AppId,
    webhook: Option<i64>,
    limit: i64,
) -> EngineResult<Vec<Delivery>> {
    type Row = (
        String,
        i64,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
        i64,
        Option<i64>,
        String,
    );
    let rows: Vec<Row> = with_conn!(conn, |c| {
        let mut q = wd::table
            .filter(wd::app_id.eq(app.0))
            .order(wd::id.desc())
            .limit(limit.clamp(1, 500))
            .select((
                wd::delivery_id,
                wd::webhook_id,
                wd::event,
                wd::state,
                wd::attempts,
                wd::last_error,
                wd::response_code,
                wd::created_at,
                wd::finished_at,
                wd::payload,
            ))
            .into_boxed();
        if let Some(w) = webhook {
            q = q.filter(wd::webhook_id.eq(w));
        }
        q.load(c)
    })?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.0,
            webhook_id: r.1.to_string(),
            event: r.2,
            state: r.3,
            attempts: r.4,
            last_error: r.5,
            response_code: r.6,
            created_at: r.7,
            finished_at: r.8,
            payload: r.9,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: i64, created_at: i64) -> Change {
        Change {
            seq,
            app_id: 1,
            record_id: 1,
            created_at,
            kind: ChangeKind::RecordAdded,
            actor: None,
            field_ids: None,
            status: None,
        }
    }

    #[test]
    fn the_position_waits_below_a_young_hole_and_passes_an_old_one() {
        let now = 1000;
        let rows = [change(1, now), change(3, now)];
        assert_eq!(advance_to(0, &rows, now), 1);
        let old = [change(1, now - 100), change(3, now - 100)];
        assert_eq!(advance_to(0, &old, now), 3);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1, 10), 10);
        assert_eq!(backoff(2, 10), 20);
        assert_eq!(backoff(5, 10), 160);
        assert_eq!(backoff(20, 10), 3600);
    }
}

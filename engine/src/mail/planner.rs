//! The mail planner: turns new notifications into `mail_deliveries` rows and their durable jobs.
//!
//! It reads `notifications` in id order after its stored position (`mail_planner`), and in one write
//! transaction writes the deliveries, their jobs and the new position: a crash before the commit
//! plans the same batch again, a crash after it has lost nothing. On PostgreSQL the position row is
//! locked (`FOR UPDATE`), so two nodes never plan the same batch; on SQLite the write transaction
//! excludes other writers. Unique `dedupe_key`s (deliveries and jobs) make a replay harmless anyway.
//!
//! - `each`: one delivery per notification (`each:<id>`), due now.
//! - `digest`: one delivery per user and day (`digest:<user>:<send time>`), due at the user's hour in
//!   their time zone; later notifications are added to it while it is more than
//!   [`DIGEST_CLOSE_SECS`] away, so the job never reads a list the planner is still changing.
//!
//! When mail is switched on for the first time the position starts at the newest notification (no
//! mail for the past), and notifications older than [`STALE_SECS`] are never mailed (a server that
//! had mail off for a week does not send a week of mail).

use std::collections::HashMap;

use chrono::{Duration, LocalResult, TimeZone};
use diesel::prelude::*;

use super::{address_of, preference, state, Mode, Preference, JOB_KIND};
use crate::db::schema::{mail_deliveries, mail_planner, notifications, users};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::jobs::{self, NewJob};
use crate::with_conn;

const NAME: &str = "mail";
/// Notifications read per transaction.
const BATCH: i64 = 500;
/// Notifications older than this when the planner reaches them are not mailed.
pub const STALE_SECS: i64 = 86_400;
/// A digest stops taking notifications this long before it is due.
pub const DIGEST_CLOSE_SECS: i64 = 60;
/// Attempts of one delivery: 30 s, 2 min, 8 min, 32 min, then hourly (`jobs::backoff`), about five
/// hours in all before it is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// The planner's position, locked for this transaction on PostgreSQL. None: never planned.
fn locked_position(c: &mut DbConn) -> EngineResult<Option<i64>> {
    let q = mail_planner::table
        .find(NAME)
        .select(mail_planner::position);
    Ok(match c {
        DbConn::Sqlite(c) => q.first(&mut **c).optional()?,
        DbConn::Postgres(c) => q.for_update().first(&mut **c).optional()?,
    })
}

fn set_position(c: &mut DbConn, position: i64) -> EngineResult<()> {
    with_conn!(c, |c| diesel::insert_into(mail_planner::table)
        .values((
            mail_planner::name.eq(NAME),
            mail_planner::position.eq(position)
        ))
        .on_conflict(mail_planner::name)
        .do_update()
        .set(mail_planner::position.eq(position))
        .execute(c))?;
    Ok(())
}

/// The planner's position (the last notification id planned), if it has started.
pub fn position(conn: &mut DbConn) -> EngineResult<Option<i64>> {
    Ok(with_conn!(conn, |c| mail_planner::table
        .find(NAME)
        .select(mail_planner::position)
        .first(c)
        .optional())?)
}

/// Plans one batch of new notifications at `now`. Returns how many notifications were read (0: up
/// to date). Runs its own write transaction.
pub fn plan_batch(conn: &mut DbConn, now: i64, default_tz: chrono_tz::Tz) -> EngineResult<usize> {
    conn.write_transaction(|c| {
        let Some(position) = locked_position(c)? else {
            let newest: Option<i64> = with_conn!(c, |c| notifications::table
                .select(diesel::dsl::max(notifications::id))
                .first(c))?;
            set_position(c, newest.unwrap_or(0))?;
            return Ok(0);
        };
        let rows: Vec<(i64, String, i64)> = with_conn!(c, |c| notifications::table
            .filter(notifications::id.gt(position))
            .order(notifications::id.asc())
            .limit(BATCH)
            .select((
                notifications::id,
                notifications::user_code,
                notifications::created_at
            ))
            .load(c))?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(0);
        };
        let mut recipients: HashMap<String, Option<Recipient>> = HashMap::new();
        for (id, user, created_at) in &rows {
            if *created_at < now - STALE_SECS {
                continue;
            }
            if !recipients.contains_key(user) {
                let r = recipient(c, user, default_tz)?;
                recipients.insert(user.clone(), r);
            }
            let Some(Some(r)) = recipients.get(user) else {
                continue;
            };
            match r.pref.mode {
                Mode::None => {}
                Mode::Each => plan_each(c, user, *id, now)?,
                Mode::Digest => plan_digest(c, user, r, *id, now)?,
            }
        }
        set_position(c, last)?;
        Ok(rows.len())
    })
}

/// Someone who wants mail and has an address.
struct Recipient {
    pref: Preference,
    tz: chrono_tz::Tz,
}

fn recipient(
    c: &mut DbConn,
    user: &str,
    default_tz: chrono_tz::Tz,
) -> EngineResult<Option<Recipient>> {
    let pref = preference(c, user)?;
    if pref.mode == Mode::None || address_of(c, user, &pref)?.is_none() {
        return Ok(None);
    }
    let found: Option<(String, bool)> = with_conn!(c, |c| users::table
        .filter(users::code.eq(user))
        .select((users::timezone, users::is_active))
        .first(c)
        .optional())?;
    let Some((tz, true)) = found else {
        return Ok(None);
    };
    Ok(Some(Recipient {
        pref,
        tz: tz.parse().unwrap_or(default_tz),
    }))
}

fn insert_delivery(
    c: &mut DbConn,
    key: &str,
    user: &str,
    mode: Mode,
    ids: &[i64],
    send_at: i64,
    now: i64,
) -> EngineResult<()> {
    let ids_json = serde_json::to_string(ids)?;
    let inserted: Option<i64> = with_conn!(c, |c| diesel::insert_into(mail_deliveries::table)
        .values((
            mail_deliveries::dedupe_key.eq(key),
            mail_deliveries::user_code.eq(user),
            mail_deliveries::mode.eq(mode.as_str()),
            mail_deliveries::notification_ids.eq(&ids_json),
            mail_deliveries::send_at.eq(send_at),
            mail_deliveries::state.eq(state::PENDING),
            mail_deliveries::created_at.eq(now),
        ))
        .on_conflict(mail_deliveries::dedupe_key)
        .do_nothing()
        .returning(mail_deliveries::id)
        .get_result(c)
        .optional())?;
    if let Some(id) = inserted {
        let payload = serde_json::json!({ "delivery": id });
        let job_key = format!("{JOB_KIND}:{id}");
        jobs::enqueue(
            c,
            &NewJob {
                kind: JOB_KIND,
                dedupe_key: &job_key,
                payload: &payload,
                run_at: send_at,
                max_attempts: MAX_ATTEMPTS,
            },
            now,
        )?;
    }
    Ok(())
}

fn plan_each(c: &mut DbConn, user: &str, id: i64, now: i64) -> EngineResult<()> {
    insert_delivery(c, &format!("each:{id}"), user, Mode::Each, &[id], now, now)
}

fn plan_digest(c: &mut DbConn, user: &str, r: &Recipient, id: i64, now: i64) -> EngineResult<()> {
    let mut send_at = next_hour_at(now + DIGEST_CLOSE_SECS, r.pref.digest_hour, r.tz);
    // A digest already sent (or given up) for that time: the next day's takes it.
    for _ in 0..3 {
        let key = format!("digest:{user}:{send_at}");
        let existing: Option<(i64, String, String)> = with_conn!(c, |c| mail_deliveries::table
            .filter(mail_deliveries::dedupe_key.eq(&key))
            .select((
                mail_deliveries::id,
                mail_deliveries::state,
                mail_deliveries::notification_ids
            ))
            .first(c)
            .optional())?;
        match existing {
            None => return insert_delivery(c, &key, user, Mode::Digest, &[id], send_at, now),
            Some((row, st, ids)) if st == state::PENDING => {
                let mut ids: Vec<i64> = serde_json::from_str(&ids).unwrap_or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
                let ids = serde_json::to_string(&ids)?;
                with_conn!(c, |c| diesel::update(mail_deliveries::table.find(row))
                    .set(mail_deliveries::notification_ids.eq(&ids))
                    .execute(c))?;
                return Ok(());
            }
            Some(_) => send_at = next_hour_at(send_at + 1, r.pref.digest_hour, r.tz),
        }
    }
    Ok(())
}

/// The first instant at or after `after` (unix seconds) when the clock in `tz` shows `hour`:00.
pub fn next_hour_at(after: i64, hour: i64, tz: chrono_tz::Tz) -> i64 {
    let Some(local) = chrono::Utc
        .timestamp_opt(after, 0)
        .single()
        .map(|t| t.with_timezone(&tz))
    else {
        return after + 86_400;
    };
    let hour = u32::try_from(hour.clamp(0, 23)).unwrap_or(0);
    let mut day = local.date_naive();
    for _ in 0..3 {
        if let Some(at) = day.and_hms_opt(hour, 0, 0) {
            // An hour skipped by a daylight-saving change is taken at the next one that exists.
            let t = match tz.from_local_datetime(&at) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t),
                LocalResult::None => tz
                    .from_local_datetime(&(at + Duration::hours(1)))
                    .earliest(),
            };
            if let Some(t) = t.filter(|t| t.timestamp() >= after) {
                return t.timestamp();
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    after + 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_hour_is_local() {
        let tokyo = chrono_tz::Asia::Tokyo;
        // 2026-12-04 00:00 UTC is 09:00 in Tokyo: 08:00 is tomorrow, 10:00 today.
        let at = 1_796_342_400;
        assert_eq!(next_hour_at(at, 8, tokyo), at + 23 * 3600);
        assert_eq!(next_hour_at(at, 10, tokyo), at + 3600);
        assert_eq!(next_hour_at(at, 9, tokyo), at, "at the hour itself");
        assert_eq!(next_hour_at(at, 0, chrono_tz::UTC), at);
    }
}

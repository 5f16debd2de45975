//! Reminders (`app/notifications/reminder.json`): a durable job (`notify.reminders`, planned once a
//! minute by the platform's runner, `engine/src/jobs.rs`) looks at every app's live reminder rules
//! and notifies the targets of each record whose reminder moment — the date or date-time field's
//! value plus `daysLater` at `time`, or plus `hoursLater` — passed within the last `WINDOW`.
//! Once per record, rule and moment: the source key `reminder:{app}:{rule}:{record}:{moment}`
//! makes a second run (another node, a retried job) write nothing new, and a changed date makes a
//! new moment. A moment further back than the window (the server was down longer, or the rule is
//! new) is not notified.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use super::consumer::record_matches;
use super::producers::{record_link, Visibility};
use super::rules::{self, TargetedRule};
use super::{kind, notify, Notice};
use crate::acl::AppRight;
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppId, AppRow, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::fields::FieldType;
use crate::process::{expand, DbExpander, RecordFacts};

/// The job kind.
pub const JOB_KIND: &str = "notify.reminders";
/// How far back a missed moment is still notified.
pub const WINDOW_SECS: i64 = 86_400;
/// The most records one rule notifies per run.
const MAX_RECORDS: i64 = 500;

/// The job of the minute `now` falls in (its dedupe key makes one per minute across nodes).
pub fn plan(conn: &mut DbConn, now: i64) -> EngineResult<bool> {
    crate::jobs::enqueue_for_minute(conn, JOB_KIND, now)
}

/// The moment a record's reminder fires, from the field's stored value.
pub fn moment(
    rule_timing: &rules::Timing,
    field_type: FieldType,
    value: &str,
    tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if field_type == FieldType::Date {
        let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
        let day = d.checked_add_signed(Duration::days(rule_timing.days_later))?;
        let at = day.and_time(rule_timing.time.unwrap_or_default());
        return tz
            .from_local_datetime(&at)
            .earliest()
            .map(|t| t.with_timezone(&Utc));
    }
    let t = DateTime::parse_from_rfc3339(value)
        .ok()?
        .with_timezone(&Utc);
    match (rule_timing.hours_later, rule_timing.time) {
        (Some(h), _) => Some(t + Duration::days(rule_timing.days_later) + Duration::hours(h)),
        (None, time) => {
            let local = t.with_timezone(&tz).date_naive();
            let day = local.checked_add_signed(Duration::days(rule_timing.days_later))?;
            let at = day.and_time(time.unwrap_or_default());
            tz.from_local_datetime(&at)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }
    }
}

/// Runs the reminders due at `now` for every app; returns how many notifications were written.
pub fn run(conn: &mut DbConn, now: i64, default_tz: chrono_tz::Tz) -> EngineResult<usize> {
    let mut written = 0;
    for row in AppRow::list(conn)? {
        let Some((def, _)) = crate::apps::load_definition(conn, AppId(row.id), crate::apps::LIVE)?
        else {
            continue;
        };
        let (list, tz) = rules::reminders(&def, default_tz);
        if list.is_empty() {
            continue;
        }
        let acting = ActingContext::system(Channel::System, tz);
        let app = match acting.open_app(conn, AppId(row.id), AppRight::View) {
            Ok(app) => app,
            Err(EngineError::User(_)) => continue,
            Err(e) => return Err(e),
        };
        for (i, rule) in list.iter().enumerate() {
            match run_rule(conn, &app, i, rule, now, tz) {
                Ok(n) => written += n,
                // A rule that no longer fits the app (a field deleted since) notifies nobody.
                Err(EngineError::User(e)) => {
                    tracing::debug!(app = row.id, rule = i, error = %e, "reminder skipped");
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(written)
}

fn run_rule(
    conn: &mut DbConn,
    app: &LiveApp,
    index: usize,
    rule: &TargetedRule,
    now: i64,
    tz: chrono_tz::Tz,
) -> EngineResult<usize> {
    let Some(timing) = &rule.timing else {
        return Ok(0);
    };
    let Some(field) = app.definition.field(&timing.code) else {
        return Ok(0);
    };
    let field_type = field.property.field_type;
    let code = field.property.code.clone();
    let now_t = Utc.timestamp_opt(now, 0).single().unwrap_or_else(Utc::now);
    // The values whose moment can fall in the window, a day wider on each side for `time`.
    let offset =
        Duration::days(timing.days_later) + Duration::hours(timing.hours_later.unwrap_or(0));
    let lo = now_t - Duration::seconds(WINDOW_SECS) - offset - Duration::days(1);
    let hi = now_t - offset + Duration::days(1);
    let (lo_s, hi_s) = if field_type == FieldType::Date {
        (
            lo.with_timezone(&tz).format("%Y-%m-%d").to_string(),
            hi.with_timezone(&tz).format("%Y-%m-%d").to_string(),
        )
    } else {
        (
            lo.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            hi.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    };
    let mut cond = format!("{code} >= \"{lo_s}\" and {code} <= \"{hi_s}\"");
    if !rule.filter_cond.trim().is_empty() {
        cond = format!("({}) and {cond}", rule.filter_cond);
    }
    let ctx = crate::acting::check_query_context(&app.definition, tz);
    let q = crate::query::prepare(&cond, &ctx)?;
    let records = crate::records::list_records(
        conn,
        app,
        &crate::records::ListRequest {
            query: &q,
            context: &ctx,
            limit: Some(MAX_RECORDS),
            offset: None,
        },
    )?;
    let mut visibility = Visibility::new(app.row.id, tz);
    let mut written = 0;
    for r in records {
        let raw = r.values.get(&code).map(|v| v.get("value").unwrap_or(v));
        let Some(value) = raw.and_then(Value::as_str) else {
            continue;
        };
        let Some(at) = moment(timing, field_type, value, tz) else {
            continue;
        };
        let at_s = at.timestamp();
        if at_s > now || at_s <= now - WINDOW_SECS {
            continue;
        }
        // Conditions with LOGINUSER() and the like are checked as written; the range is ours.
        if !record_matches(conn, app, r.id, &rule.filter_cond, tz)? {
            continue;
        }
        let users = {
            let facts = RecordFacts {
                definition: &app.definition,
                values: &r.values,
            };
            expand(&rule.targets, &facts, &mut DbExpander { conn })?
        };
        let users = visibility.filter(conn, users, r.id)?;
        let title = if rule.title.is_empty() {
            format!("{} #{}", app.definition.name, r.id)
        } else {
            format!("{} · {} #{}", rule.title, app.definition.name, r.id)
        };
        let notice = Notice {
            kind: kind::APP_RULE,
            source_key: format!(
                "reminder:{}:{index}:{}:{}",
                app.row.id,
                r.id,
                at.format("%Y-%m-%dT%H:%M")
            ),
            title,
            body: at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            link: record_link(app.row.id, r.id),
            actor: String::new(),
            app_id: Some(app.row.id),
            record_id: Some(r.id),
            ..Notice::default()
        };
        written += notify(conn, &users, &notice, now)?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_reminder_fires_days_later_at_its_time_in_its_zone() -> Result<(), String> {
        let t = rules::Timing {
            code: "due".into(),
            days_later: -1,
            hours_later: None,
            time: chrono::NaiveTime::from_hms_opt(9, 0, 0),
        };
        let at =
            moment(&t, FieldType::Date, "2026-12-10", chrono_tz::Asia::Tokyo).ok_or("no moment")?;
        assert_eq!(at.to_rfc3339(), "2026-12-09T00:00:00+00:00");
        let h = rules::Timing {
            hours_later: Some(2),
            days_later: 0,
            time: None,
            ..t
        };
        let at = moment(
            &h,
            FieldType::Datetime,
            "2026-12-10T03:00:00Z",
            chrono_tz::UTC,
        )
        .ok_or("no moment")?;
        assert_eq!(at.to_rfc3339(), "2026-12-10T05:00:00+00:00");
        Ok(())
    }
}

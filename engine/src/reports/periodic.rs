//! The schedule of a periodic report (kintone's 定期レポート): a chart's `periodicReport`
//! (`{active, period: {every, month, dayOfMonth, time, dayOfWeek, minute}}`) read into a
//! [`Period`], and the moments it names.
//!
//! Guarantees:
//! - `parse` is the one reading of the setting: `null` or `active: false` is no schedule; an active
//!   setting with a missing or malformed member is a message keyed `reports.err.periodic_*` (refused
//!   when the chart is saved, so a stored active setting always parses);
//! - `latest_moment` is the last moment at or before `now` in the server's time zone: a run after
//!   a downtime sees only the latest missed moment, which is what makes one snapshot on catch-up;
//! - a day of month beyond the month's end (31 in April) and `END_OF_MONTH` are the month's last
//!   day; a local time that does not exist (a daylight-saving gap) is taken an hour later on the
//!   clock.

use chrono::{
    Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Weekday,
};
use serde_json::Value;

use crate::error::Message;

/// How often a periodic report is taken (kintone's `period.every`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
}

/// A checked, active schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub every: Every,
    /// YEAR: the month (1–12); QUARTER: the month within the quarter (1–3).
    pub month: u32,
    /// None: the last day of the month (`END_OF_MONTH`).
    pub day_of_month: Option<u32>,
    pub day_of_week: Weekday,
    pub hour: u32,
    pub minute: u32,
}

fn bad(key: &'static str, text: &str) -> Message {
    Message::keyed(key, text.to_owned())
}

/// A member given as a number or a string of digits.
fn number(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "SUNDAY" => Weekday::Sun,
        "MONDAY" => Weekday::Mon,
        "TUESDAY" => Weekday::Tue,
        "WEDNESDAY" => Weekday::Wed,
        "THURSDAY" => Weekday::Thu,
        "FRIDAY" => Weekday::Fri,
        "SATURDAY" => Weekday::Sat,
        _ => return None,
    })
}

/// `"HH:MM"` (kintone writes `"9:00"` or `"09:00"`).
fn time_of_day(v: Option<&Value>) -> Option<(u32, u32)> {
    let (h, m) = v?.as_str()?.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// Reads a chart's `periodicReport`. `Ok(None)`: none, or not active.
///
/// Errors: an active setting whose `period` is missing or malformed (one message saying what is
/// expected for its `every`).
pub fn parse(setting: Option<&Value>) -> Result<Option<Period>, Message> {
    let Some(setting) = setting.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let active = match setting.get("active") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    if !active {
        return Ok(None);
    }
    let period = setting.get("period").unwrap_or(&Value::Null);
    let every = match period.get("every").and_then(Value::as_str) {
        Some("YEAR") => Every::Year,
        Some("QUARTER") => Every::Quarter,
        Some("MONTH") => Every::Month,
        Some("WEEK") => Every::Week,
        Some("DAY") => Every::Day,
        Some("HOUR") => Every::Hour,
        _ => {
            return Err(bad(
                "reports.err.periodic_every",
                "Enter period.every: YEAR, QUARTER, MONTH, WEEK, DAY or HOUR.",
            ))
        }
    };
    let mut p = Period {
        every,
        month: 1,
        day_of_month: Some(1),
        day_of_week: Weekday::Mon,
        hour: 0,
        minute: 0,
    };
    if every == Every::Hour {
        p.minute = number(period.get("minute"))
            .filter(|m| *m < 60)
            .ok_or_else(|| {
                bad(
                    "reports.err.periodic_minute",
                    "Enter period.minute (0 to 59) for an hourly report.",
                )
            })?;
        return Ok(Some(p));
    }
    (p.hour, p.minute) = time_of_day(period.get("time")).ok_or_else(|| {
        bad(
            "reports.err.periodic_time",
            "Enter period.time as HH:MM (00:00 to 23:59).",
        )
    })?;
    match every {
        Every::Year | Every::Quarter => {
            let most = if every == Every::Year { 12 } else { 3 };
            p.month = number(period.get("month"))
                .filter(|m| (1..=most).contains(m))
                .ok_or_else(|| {
                    bad("reports.err.periodic_month", "Enter period.month: 1 to 12 for a yearly report, 1 to 3 (the month of the quarter) for a quarterly one.")
                })?;
        }
        Every::Week => {
            p.day_of_week = period
                .get("dayOfWeek")
                .and_then(Value::as_str)
                .and_then(weekday)
                .ok_or_else(|| {
                    bad(
                        "reports.err.periodic_day_of_week",
                        "Enter period.dayOfWeek: SUNDAY to SATURDAY.",
                    )
                })?;
        }
        _ => {}
    }
    if matches!(every, Every::Year | Every::Quarter | Every::Month) {
        p.day_of_month = match period.get("dayOfMonth") {
            Some(Value::String(s)) if s == "END_OF_MONTH" => None,
            v => Some(number(v).filter(|d| (1..=31).contains(d)).ok_or_else(|| {
                bad(
                    "reports.err.periodic_day_of_month",
                    "Enter period.dayOfMonth: 1 to 31 or END_OF_MONTH.",
                )
            })?),
        };
    }
    Ok(Some(p))
}

fn last_day(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// `months` months before (year, month), month 1-based.
fn months_back(year: i32, month: u32, months: u32) -> (i32, u32) {
    let index =
        year * 12 + i32::try_from(month).unwrap_or(1) - 1 - i32::try_from(months).unwrap_or(0);
    (
        index.div_euclid(12),
        u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
    )
}

impl Period {
    fn on_day(&self, year: i32, month: u32) -> Option<NaiveDateTime> {
        let last = last_day(year, month);
        let day = self.day_of_month.map_or(last, |d| d.min(last));
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(self.hour, self.minute, 0)
    }

    /// The moment of the current period (which may still be ahead of `local`) and of the one
    /// before, in local time.
    fn candidates(&self, local: NaiveDateTime) -> Option<[NaiveDateTime; 2]> {
        let date = local.date();
        let (y, m) = (date.year(), date.month());
        Some(match self.every {
            Every::Hour => {
                let t = date.and_hms_opt(local.hour(), self.minute, 0)?;
                [t, t - Duration::hours(1)]
            }
            Every::Day => {
                let t = date.and_hms_opt(self.hour, self.minute, 0)?;
                [t, t - Duration::days(1)]
            }
            Every::Week => {
                let back = (date.weekday().num_days_from_monday() + 7
                    - self.day_of_week.num_days_from_monday())
                    % 7;
                let t = (date - Duration::days(i64::from(back))).and_hms_opt(
                    self.hour,
                    self.minute,
                    0,
                )?;
                [t, t - Duration::days(7)]
            }
            Every::Month => {
                let (py, pm) = months_back(y, m, 1);
                [self.on_day(y, m)?, self.on_day(py, pm)?]
            }
            Every::Quarter => {
                let first = (m - 1) / 3 * 3 + 1;
                let target = first + self.month - 1;
                let (py, pm) = months_back(y, target, 3);
                [self.on_day(y, target)?, self.on_day(py, pm)?]
            }
            Every::Year => [self.on_day(y, self.month)?, self.on_day(y - 1, self.month)?],
        })
    }

    /// The last moment of this schedule at or before `now` (unix seconds) in `tz`, with its label
    /// in local time (`2026-12-01 09:00`).
    pub fn latest_moment(&self, now: i64, tz: chrono_tz::Tz) -> Option<(i64, String)> {
        let local = chrono::Utc
            .timestamp_opt(now, 0)
            .single()?
            .with_timezone(&tz)
            .naive_local();
        self.candidates(local)?.into_iter().find_map(|t| {
            let at = instant(t, tz)?;
            (at <= now).then(|| (at, t.format("%Y-%m-%d %H:%M").to_string()))
        })
    }
}

/// A local time as unix seconds; in a daylight-saving gap, the same time an hour later on the
/// clock (the instant the skipped time would have been).
fn instant(t: NaiveDateTime, tz: chrono_tz::Tz) -> Option<i64> {
    match tz.from_local_datetime(&t) {
        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => Some(x.timestamp()),
        LocalResult::None => tz
            .from_local_datetime(&(t + Duration::hours(1)))
            .earliest()
            .map(|x| x.timestamp()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Tokyo;
    use serde_json::json;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        Tokyo
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_default()
    }

    fn period(v: Value) -> Result<Period, String> {
        parse(Some(&json!({"active": true, "period": v})))
            .map_err(|m| m.to_string())?
            .ok_or_else(|| "inactive".to_owned())
    }

    fn latest(p: &Period, now: i64) -> Option<String> {
        p.latest_moment(now, Tokyo).map(|(_, label)| label)
    }

    #[test]
    fn settings_are_read_as_kintone_writes_them() -> Result<(), String> {
        assert_eq!(parse(None).map_err(|m| m.to_string())?, None);
        assert_eq!(parse(Some(&Value::Null)).map_err(|m| m.to_string())?, None);
        let off = json!({"active": false, "period": {"every": "nonsense"}});
        assert_eq!(parse(Some(&off)).map_err(|m| m.to_string())?, None);
        let p = period(json!({"every": "MONTH", "dayOfMonth": "END_OF_MONTH", "time": "9:30"}))?;
        assert_eq!(
            (p.every, p.day_of_month, p.hour, p.minute),
            (Every::Month, None, 9, 30)
        );
        let p = period(json!({"every": "WEEK", "dayOfWeek": "FRIDAY", "time": "17:00"}))?;
        assert_eq!(p.day_of_week, Weekday::Fri);
        let p = period(json!({"every": "HOUR", "minute": "30"}))?;
        assert_eq!(p.minute, 30);
        for wrong in [
            json!({"every": "MINUTE"}),
            json!({"every": "DAY"}),
            json!({"every": "DAY", "time": "24:00"}),
            json!({"every": "YEAR", "month": "13", "dayOfMonth": "1", "time": "0:00"}),
            json!({"every": "QUARTER", "month": "4", "dayOfMonth": "1", "time": "0:00"}),
            json!({"every": "MONTH", "dayOfMonth": "32", "time": "0:00"}),
            json!({"every": "WEEK", "dayOfWeek": "SUN", "time": "0:00"}),
            json!({"every": "HOUR", "minute": "60"}),
        ] {
            assert!(period(wrong.clone()).is_err(), "{wrong}");
        }
        Ok(())
    }

    #[test]
    fn the_latest_moment_is_at_or_before_now_in_the_server_time_zone() -> Result<(), String> {
        let day = period(json!({"every": "DAY", "time": "09:00"}))?;
        assert_eq!(
            latest(&day, at(2026, 12, 6, 8, 59)).as_deref(),
            Some("2026-12-05 09:00")
        );
        assert_eq!(
            latest(&day, at(2026, 12, 6, 9, 0)).as_deref(),
            Some("2026-12-06 09:00")
        );
        let hour = period(json!({"every": "HOUR", "minute": "10"}))?;
        assert_eq!(
            latest(&hour, at(2026, 12, 6, 0, 5)).as_deref(),
            Some("2026-12-05 23:10")
        );
        // 2026-12-06 is a Sunday.
        let week = period(json!({"every": "WEEK", "dayOfWeek": "MONDAY", "time": "08:00"}))?;
        assert_eq!(
            latest(&week, at(2026, 12, 6, 12, 0)).as_deref(),
            Some("2026-11-30 08:00")
        );
        assert_eq!(
            latest(&week, at(2026, 12, 7, 7, 0)).as_deref(),
            Some("2026-11-30 08:00")
        );
        assert_eq!(
            latest(&week, at(2026, 12, 7, 8, 0)).as_deref(),
            Some("2026-12-07 08:00")
        );
        let month = period(json!({"every": "MONTH", "dayOfMonth": "31", "time": "18:00"}))?;
        assert_eq!(
            latest(&month, at(2026, 12, 6, 0, 0)).as_deref(),
            Some("2026-11-30 18:00")
        );
        assert_eq!(
            latest(&month, at(2026, 3, 1, 0, 0)).as_deref(),
            Some("2026-02-28 18:00")
        );
        let end = period(json!({"every": "MONTH", "dayOfMonth": "END_OF_MONTH", "time": "0:00"}))?;
        assert_eq!(
            latest(&end, at(2026, 1, 15, 0, 0)).as_deref(),
            Some("2025-12-31 00:00")
        );
        let quarter =
            period(json!({"every": "QUARTER", "month": "2", "dayOfMonth": "1", "time": "9:00"}))?;
        assert_eq!(
            latest(&quarter, at(2026, 12, 6, 0, 0)).as_deref(),
            Some("2026-11-01 09:00")
        );
        assert_eq!(
            latest(&quarter, at(2026, 10, 6, 0, 0)).as_deref(),
            Some("2026-08-01 09:00")
        );
        assert_eq!(
            latest(&quarter, at(2026, 1, 6, 0, 0)).as_deref(),
            Some("2025-11-01 09:00")
        );
        let year =
            period(json!({"every": "YEAR", "month": "4", "dayOfMonth": "1", "time": "0:00"}))?;
        assert_eq!(
            latest(&year, at(2026, 3, 31, 23, 59)).as_deref(),
            Some("2025-04-01 00:00")
        );
        assert_eq!(
            latest(&year, at(2026, 4, 1, 0, 0)).as_deref(),
            Some("2026-04-01 00:00")
        );
        Ok(())
    }
}

//! Date functions and date/time literals, turned into the text keys the pivot table stores.
//!
//! Guarantees:
//! - every function is evaluated in the caller's time zone at the caller's `now`, so `TODAY()` is a
//!   different day for a UTC+13 and a UTC-10 user at the same instant;
//! - a value becomes a [`Span`]: a single key, or a half-open key range `[lo, hi)`. For DATE fields keys
//!   are `YYYY-MM-DD`; for DATETIME/CREATED_TIME/UPDATED_TIME they are UTC `YYYY-MM-DDTHH:MM:SSZ`, and
//!   a day (literal or function) is that whole day in the caller's zone, converted to UTC instants;
//!   an instant (`NOW()`, a datetime literal) is its whole minute, because kintone shows and compares
//!   times at minute precision;
//! - out-of-range arithmetic (`FROM_TODAY(99999999, YEARS)`) is an error, never a panic.
//!
//! Weeks run Sunday to Saturday, as in kintone. `THIS_MONTH(31)` in a 30-day month means its last day.

use chrono::{
    DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
    Utc,
};
use chrono_tz::Tz;

use super::ast::FunctionCall;
use crate::error::{QueryErrorCode, UserError};

/// What a date function or literal denotes before it meets a field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Whole local days `[start, end)` in the caller's zone.
    Days(NaiveDate, NaiveDate),
    /// One instant.
    Instant(DateTime<Utc>),
}

/// A comparison operand in pivot-key space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Span {
    /// Exactly this key.
    Point(String),
    /// Keys `k` with `lo <= k < hi`.
    Range(String, String),
}

/// Whether `name` is one of the date functions of spec §3.4.
pub(crate) fn is_date_function(name: &str) -> bool {
    matches!(
        name,
        "NOW"
            | "TODAY"
            | "YESTERDAY"
            | "TOMORROW"
            | "FROM_TODAY"
            | "THIS_WEEK"
            | "LAST_WEEK"
            | "NEXT_WEEK"
            | "THIS_MONTH"
            | "LAST_MONTH"
            | "NEXT_MONTH"
            | "THIS_YEAR"
            | "LAST_YEAR"
            | "NEXT_YEAR"
    )
}

fn arg_error(message: String) -> UserError {
    UserError::query(QueryErrorCode::FunctionArgument, message)
}

fn out_of_range(call: &FunctionCall) -> UserError {
    arg_error(format!(
        "The function {}() gives a date out of range.",
        call.name
    ))
}

fn arity(call: &FunctionCall, min: usize, max: usize) -> Result<(), UserError> {
    let n = call.args.len();
    if n < min || n > max {
        let expected = match (min, max) {
            (0, 0) => "no arguments".to_owned(),
            (a, b) if a == b => format!("{a} arguments"),
            (a, b) => format!("{a} to {b} arguments"),
        };
        return Err(arg_error(format!(
            "The function {}() takes {expected}, but {n} were given.",
            call.name
        )));
    }
    Ok(())
}

fn next_day(d: NaiveDate, call: &FunctionCall) -> Result<NaiveDate, UserError> {
    d.succ_opt().ok_or_else(|| out_of_range(call))
}

fn one_day(d: NaiveDate, call: &FunctionCall) -> Result<When, UserError> {
    Ok(When::Days(d, next_day(d, call)?))
}

fn add_days(d: NaiveDate, n: i64, call: &FunctionCall) -> Result<NaiveDate, UserError> {
    Duration::try_days(n)
        .and_then(|dur| d.checked_add_signed(dur))
        .ok_or_else(|| out_of_range(call))
}

fn add_months(d: NaiveDate, n: i64, call: &FunctionCall) -> Result<NaiveDate, UserError> {
    let magnitude = u32::try_from(n.unsigned_abs()).map_err(|_| out_of_range(call))?;
    let shifted = if n >= 0 {
        d.checked_add_months(Months::new(magnitude))
    } else {
        d.checked_sub_months(Months::new(magnitude))
    };
    shifted.ok_or_else(|| out_of_range(call))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    // Day 1 exists in every month, so this cannot fail; fall back to `d` to stay panic-free.
    d.with_day(1).unwrap_or(d)
}

/// Evaluates a date function for a caller in `tz` at `now`.
///
/// Errors: `FunctionArgument` for a wrong argument count or value, or a result out of range.
pub(crate) fn evaluate(call: &FunctionCall, tz: Tz, now: DateTime<Utc>) -> Result<When, UserError> {
    let today = now.with_timezone(&tz).date_naive();
    match call.name.as_str() {
        "NOW" => {
            arity(call, 0, 0)?;
            Ok(When::Instant(now))
        }
        "TODAY" => {
            arity(call, 0, 0)?;
            one_day(today, call)
        }
        "YESTERDAY" => {
            arity(call, 0, 0)?;
            one_day(add_days(today, -1, call)?, call)
        }
        "TOMORROW" => {
            arity(call, 0, 0)?;
            one_day(add_days(today, 1, call)?, call)
        }
        "FROM_TODAY" => {
            arity(call, 2, 2)?;
            let (n, unit) = match call.args.as_slice() {
                [n, unit] => (n, unit),
                _ => return Err(out_of_range(call)),
            };
            let n: i64 = n.strip_prefix('+').unwrap_or(n).parse().map_err(|_| {
                arg_error(format!(
                    "The first argument of FROM_TODAY() must be an integer, not \"{n}\"."
                ))
            })?;
            let day = match unit.to_ascii_uppercase().as_str() {
                "DAYS" => add_days(today, n, call)?,
                "WEEKS" => add_days(today, n.checked_mul(7).ok_or_else(|| out_of_range(call))?, call)?,
                "MONTHS" => add_months(today, n, call)?,
                "YEARS" => add_months(today, n.checked_mul(12).ok_or_else(|| out_of_range(call))?, call)?,
                _ => {
                    return Err(arg_error(format!(
                        "The unit of FROM_TODAY() must be DAYS, WEEKS, MONTHS or YEARS, not \"{unit}\"."
                    )))
                }
            };
            one_day(day, call)
        }
        "THIS_WEEK" | "LAST_WEEK" | "NEXT_WEEK" => {
            arity(call, 0, 1)?;
            let shift = match call.name.as_str() {
                "LAST_WEEK" => -7,
                "NEXT_WEEK" => 7,
                _ => 0,
            };
            let sunday = add_days(
                today,
                shift - i64::from(today.weekday().num_days_from_sunday()),
                call,
            )?;
            match call.args.first() {
                None => Ok(When::Days(sunday, add_days(sunday, 7, call)?)),
                Some(day) => {
                    let index = weekday_index(day).ok_or_else(|| {
                        arg_error(format!(
                            "The argument of {}() must be a day of the week (SUNDAY to SATURDAY), not \"{day}\".",
                            call.name
                        ))
                    })?;
                    one_day(add_days(sunday, index, call)?, call)
                }
            }
        }
        "THIS_MONTH" | "LAST_MONTH" | "NEXT_MONTH" => {
            arity(call, 0, 1)?;
            let shift = match call.name.as_str() {
                "LAST_MONTH" => -1,
                "NEXT_MONTH" => 1,
                _ => 0,
            };
            let first = add_months(first_of_month(today), shift, call)?;
            let next_first = add_months(first, 1, call)?;
            let last = add_days(next_first, -1, call)?;
            match call.args.first() {
                None => Ok(When::Days(first, next_first)),
                Some(arg) if arg.eq_ignore_ascii_case("LAST") => one_day(last, call),
                Some(arg) => {
                    let day: u32 = arg
                        .parse()
                        .ok()
                        .filter(|d| (1..=31).contains(d))
                        .ok_or_else(|| {
                            arg_error(format!(
                                "The argument of {}() must be a day from 1 to 31 or LAST, not \"{arg}\".",
                                call.name
                            ))
                        })?;
                    let wanted = first.with_day(day).unwrap_or(last);
                    one_day(wanted, call)
                }
            }
        }
        "THIS_YEAR" | "LAST_YEAR" | "NEXT_YEAR" => {
            arity(call, 0, 0)?;
            let shift = match call.name.as_str() {
                "LAST_YEAR" => -1,
                "NEXT_YEAR" => 1,
                _ => 0,
            };
            let start = NaiveDate::from_ymd_opt(today.year() + shift, 1, 1)
                .ok_or_else(|| out_of_range(call))?;
            let end = NaiveDate::from_ymd_opt(today.year() + shift + 1, 1, 1)
                .ok_or_else(|| out_of_range(call))?;
            Ok(When::Days(start, end))
        }
        other => Err(arg_error(format!("Unknown function {other}()."))),
    }
}

fn weekday_index(day: &str) -> Option<i64> {
    const DAYS: [&str; 7] = [
        "SUNDAY",
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
    ];
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(day))
        .and_then(|i| i64::try_from(i).ok())
}

fn literal_error(text: &str, what: &str) -> UserError {
    UserError::query(
        QueryErrorCode::Syntax,
        format!("\"{text}\" is not a valid {what}."),
    )
}

/// Parses a date or datetime literal. Datetimes may carry `Z` or an offset (normalized to UTC); without
/// one they are local times in the caller's zone. Seconds are optional.
pub(crate) fn parse_literal(text: &str, tz: Tz) -> Result<When, UserError> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let end = d.succ_opt().ok_or_else(|| literal_error(text, "date"))?;
        return Ok(When::Days(d, end));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(When::Instant(dt.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M%#z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, format) {
            return Ok(When::Instant(dt.with_timezone(&Utc)));
        }
    }
    if let Some(without_z) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        if let Ok(n) = NaiveDateTime::parse_from_str(without_z, "%Y-%m-%dT%H:%M") {
            return Ok(When::Instant(n.and_utc()));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, format) {
            return local_to_utc(n, tz)
                .map(When::Instant)
                .ok_or_else(|| literal_error(text, "local time"));
        }
    }
    Err(literal_error(
        text,
        "date or datetime (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
    ))
}

/// The instant a local time denotes; in a DST gap, the first instant after it.
fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    for shift_minutes in [0_i64, 30, 60, 90, 120, 180] {
        let shifted = local.checked_add_signed(Duration::try_minutes(shift_minutes)?)?;
        if let Some(t) = tz.from_local_datetime(&shifted).earliest() {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

fn date_key(d: NaiveDate) -> Result<String, UserError> {
    if !(1..=9999).contains(&d.year()) {
        return Err(arg_error(format!("The date {d} is out of range.")));
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

fn instant_key(t: DateTime<Utc>) -> Result<String, UserError> {
    if !(1..=9999).contains(&t.year()) {
        return Err(arg_error(format!("The time {t} is out of range.")));
    }
    Ok(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The operand for a DATE field: keys are local dates.
pub(crate) fn date_span(when: When, tz: Tz) -> Result<Span, UserError> {
    match when {
        When::Days(start, end) if start.succ_opt() == Some(end) => {
            Ok(Span::Point(date_key(start)?))
        }
        When::Days(start, end) => Ok(Span::Range(date_key(start)?, date_key(end)?)),
        When::Instant(t) => Ok(Span::Point(date_key(t.with_timezone(&tz).date_naive())?)),
    }
}

/// The operand for a DATETIME-like field: keys are UTC instants.
pub(crate) fn datetime_span(when: When, tz: Tz) -> Result<Span, UserError> {
    let day_start = |d: NaiveDate| {
        local_to_utc(d.and_time(NaiveTime::MIN), tz)
            .ok_or_else(|| arg_error(format!("The date {d} has no start in the time zone {tz}.")))
    };
    match when {
        When::Days(start, end) => Ok(Span::Range(
            instant_key(day_start(start)?)?,
            instant_key(day_start(end)?)?,
        )),
        When::Instant(t) => {
            let minute = t
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .ok_or_else(|| arg_error(format!("The time {t} is out of range.")))?;
            let next = minute
                .checked_add_signed(Duration::minutes(1))
                .ok_or_else(|| arg_error(format!("The time {t} is out of range.")))?;
            Ok(Span::Range(instant_key(minute)?, instant_key(next)?))
        }
    }
}

/// The operand for a TIME field: `HH:MM` (seconds, if given, are dropped as kintone stores none).
pub(crate) fn time_key(text: &str) -> Result<String, UserError> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| literal_error(text, "time (HH:MM)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[&str]) -> FunctionCall {
        FunctionCall {
            name: name.into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> Result<NaiveDate, UserError> {
        NaiveDate::from_ymd_opt(y, m, day).ok_or_else(|| literal_error("test", "date"))
    }

    fn at(s: &str) -> Result<DateTime<Utc>, UserError> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| literal_error(s, "instant"))
    }

    #[test]
    fn today_depends_on_the_callers_zone() -> Result<(), UserError> {
        // 2024-03-10T12:00Z is already the 11th in UTC+13 and still the 10th in UTC-10.
        let now = at("2024-03-10T12:00:00Z")?;
        let today = call("TODAY", &[]);
        let auckland_plus13 = chrono_tz::Etc::GMTMinus13;
        let hawaii = chrono_tz::Pacific::Honolulu;
        assert_eq!(
            evaluate(&today, auckland_plus13, now)?,
            When::Days(d(2024, 3, 11)?, d(2024, 3, 12)?)
        );
        assert_eq!(
            evaluate(&today, hawaii, now)?,
            When::Days(d(2024, 3, 10)?, d(2024, 3, 11)?)
        );
        // On a DATETIME field that day is the local day in UTC.
        assert_eq!(
            datetime_span(evaluate(&today, auckland_plus13, now)?, auckland_plus13)?,
            Span::Range("2024-03-10T11:00:00Z".into(), "2024-03-11T11:00:00Z".into())
        );
        assert_eq!(
            datetime_span(evaluate(&today, hawaii, now)?, hawaii)?,
            Span::Range("2024-03-10T10:00:00Z".into(), "2024-03-11T10:00:00Z".into())
        );
        Ok(())
    }

    #[test]
    fn ranges_of_weeks_months_years() -> Result<(), UserError> {
        let tz = chrono_tz::Asia::Tokyo;
        let now = at("2024-02-14T03:00:00Z")?; // Wednesday 2024-02-14 in Tokyo
        let days = |name: &str, args: &[&str]| evaluate(&call(name, args), tz, now);
        assert_eq!(
            days("THIS_WEEK", &[])?,
            When::Days(d(2024, 2, 11)?, d(2024, 2, 18)?)
        );
        assert_eq!(
            days("THIS_WEEK", &["monday"])?,
            When::Days(d(2024, 2, 12)?, d(2024, 2, 13)?)
        );
        assert_eq!(
            days("LAST_WEEK", &["SATURDAY"])?,
            When::Days(d(2024, 2, 10)?, d(2024, 2, 11)?)
        );
        assert_eq!(
            days("NEXT_WEEK", &[])?,
            When::Days(d(2024, 2, 18)?, d(2024, 2, 25)?)
        );
        assert_eq!(
            days("THIS_MONTH", &[])?,
            When::Days(d(2024, 2, 1)?, d(2024, 3, 1)?)
        );
        assert_eq!(
            days("THIS_MONTH", &["LAST"])?,
            When::Days(d(2024, 2, 29)?, d(2024, 3, 1)?)
        );
        assert_eq!(
            days("THIS_MONTH", &["31"])?,
            When::Days(d(2024, 2, 29)?, d(2024, 3, 1)?)
        );
        assert_eq!(
            days("LAST_MONTH", &["15"])?,
            When::Days(d(2024, 1, 15)?, d(2024, 1, 16)?)
        );
        assert_eq!(
            days("NEXT_MONTH", &[])?,
            When::Days(d(2024, 3, 1)?, d(2024, 4, 1)?)
        );
        assert_eq!(
            days("LAST_YEAR", &[])?,
            When::Days(d(2023, 1, 1)?, d(2024, 1, 1)?)
        );
        assert_eq!(
            days("FROM_TODAY", &["-3", "days"])?,
            When::Days(d(2024, 2, 11)?, d(2024, 2, 12)?)
        );
        assert_eq!(
            days("FROM_TODAY", &["2", "WEEKS"])?,
            When::Days(d(2024, 2, 28)?, d(2024, 2, 29)?)
        );
        assert_eq!(
            days("FROM_TODAY", &["1", "YEARS"])?,
            When::Days(d(2025, 2, 14)?, d(2025, 2, 15)?)
        );
        assert_eq!(
            date_span(days("THIS_MONTH", &[])?, tz)?,
            Span::Range("2024-02-01".into(), "2024-03-01".into())
        );
        assert_eq!(
            date_span(days("YESTERDAY", &[])?, tz)?,
            Span::Point("2024-02-13".into())
        );
        Ok(())
    }

    #[test]
    fn bad_arguments() -> Result<(), UserError> {
        let now = at("2024-02-14T03:00:00Z")?;
        for (name, args) in [
            ("TODAY", &["1"][..]),
            ("FROM_TODAY", &["1"][..]),
            ("FROM_TODAY", &["x", "DAYS"][..]),
            ("FROM_TODAY", &["1", "HOURS"][..]),
            ("FROM_TODAY", &["99999999999", "YEARS"][..]),
            ("FROM_TODAY", &["-9223372036854775808", "WEEKS"][..]),
            ("THIS_WEEK", &["FUNDAY"][..]),
            ("THIS_MONTH", &["32"][..]),
            ("THIS_MONTH", &["0"][..]),
            ("THIS_YEAR", &["1"][..]),
        ] {
            let r = evaluate(&call(name, args), chrono_tz::UTC, now)
                .and_then(|w| datetime_span(w, chrono_tz::UTC));
            assert!(
                matches!(
                    r,
                    Err(UserError::Query {
                        code: QueryErrorCode::FunctionArgument,
                        ..
                    })
                ),
                "{name}{args:?}: {r:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn literals_normalize_to_utc_minutes() -> Result<(), UserError> {
        let tz = chrono_tz::Asia::Tokyo;
        let minute = |s: &str| parse_literal(s, tz).and_then(|w| datetime_span(w, tz));
        let expected = Span::Range("2024-01-05T01:30:00Z".into(), "2024-01-05T01:31:00Z".into());
        assert_eq!(minute("2024-01-05T10:30:00+09:00")?, expected);
        assert_eq!(minute("2024-01-05T01:30:45Z")?, expected);
        assert_eq!(minute("2024-01-05T01:30Z")?, expected);
        assert_eq!(minute("2024-01-05T10:30+09:00")?, expected);
        assert_eq!(minute("2024-01-05T10:30")?, expected);
        assert_eq!(
            minute("2024-01-05")?,
            Span::Range("2024-01-04T15:00:00Z".into(), "2024-01-05T15:00:00Z".into())
        );
        assert!(parse_literal("2024-13-01", tz).is_err());
        assert!(parse_literal("yesterday", tz).is_err());
        assert_eq!(time_key("9:05")?, "09:05");
        assert_eq!(time_key("23:59:59")?, "23:59");
        assert!(time_key("24:00").is_err());
        Ok(())
    }
}

//! Turning a formula result into a field value, and a CALC value into what the screen shows.
//!
//! The API value of a CALC field is a plain number string (`"1234.5"`) for the number and duration formats
//! and an ISO text for DATETIME (`2026-04-01T09:00:00Z`, UTC, seconds zeroed), DATE (`2026-04-01`, the UTC
//! day, which is how DATE values are encoded) and TIME (`09:00`). Numbers are rounded half-to-even — kintone's
//! default rounding mode — to `displayScale` decimals when set, else to 4 (kintone's default precision),
//! then trailing zeros are dropped. [`display`] adds separators, units and duration words on top.

use chrono::DateTime;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

use super::eval::{fail, number_text, to_text, EvalError, EvalResult, Value};
use super::functions::group_thousands;
use crate::fields::{FieldProperty, FieldType};

/// Decimal places kept when a CALC field sets no `displayScale`.
const DEFAULT_DECIMAL_PLACES: u32 = 4;

/// The `displayScale` of a property, if it is a sane number of places.
fn display_scale(property: &FieldProperty) -> Option<u32> {
    property
        .display_scale
        .as_deref()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map(|s| s.min(28))
}

fn calc_format(property: &FieldProperty) -> &str {
    property.format.as_deref().unwrap_or("NUMBER")
}

/// The stored value of a CALC field whose formula produced `v`.
///
/// Errors: a result that is neither a number nor empty (text, TRUE/FALSE), or a date out of range.
pub(crate) fn calc_api_value(property: &FieldProperty, v: &Value) -> EvalResult<String> {
    let n = match v {
        Value::Empty => return Ok(String::new()),
        Value::Number(n) => *n,
        // `IF(A = "", "", A * 2)` is the usual way to leave a CALC blank.
        Value::Str(s) if s.trim().is_empty() => return Ok(String::new()),
        Value::Str(s) => match Decimal::from_str(s.trim()) {
            Ok(n) => n,
            Err(_) => return fail("A calculated field needs a number, not text"),
        },
        Value::Bool(_) => return fail("A calculated field needs a number, not TRUE/FALSE"),
        Value::List(_) | Value::Column(_) => return fail("A calculated field needs a number"),
    };
    let out_of_range = || EvalError("The date is out of range".to_owned());
    let seconds = || n.floor().to_i64().ok_or_else(out_of_range);
    match calc_format(property) {
        "DATETIME" => {
            let t = DateTime::from_timestamp(seconds()?, 0).ok_or_else(out_of_range)?;
            Ok(t.format("%Y-%m-%dT%H:%M:00Z").to_string())
        }
        "DATE" => {
            let t = DateTime::from_timestamp(seconds()?, 0).ok_or_else(out_of_range)?;
            Ok(t.format("%Y-%m-%d").to_string())
        }
        "TIME" => {
            let s = seconds()?.rem_euclid(86_400);
            Ok(format!("{:02}:{:02}", s / 3600, s % 3600 / 60))
        }
        _ => {
            let places = display_scale(property).unwrap_or(DEFAULT_DECIMAL_PLACES);
            Ok(number_text(n.round_dp_with_strategy(
                places,
                RoundingStrategy::MidpointNearestEven,
            )))
        }
    }
}

/// The stored value of a SINGLE_LINE_TEXT field with automatic calculation: the result as text, numbers
/// plain.
pub(crate) fn text_api_value(v: &Value) -> EvalResult<String> {
    to_text(v)
}

/// What the screen shows for a CALC field's API value: `NUMBER_DIGIT` groups thousands, `displayScale` pads
/// the decimals, the unit goes before or after, `HOUR_MINUTE` / `DAY_HOUR_MINUTE` read as `26時間3分` (ja,
/// the default) or `26 hours 3 minutes` (a locale starting with `en`). Date and time formats are returned
/// unchanged, since they need the viewer's time zone, which the page applies as for DATETIME fields. Other
/// field types, and values that do not parse, come back as given.
pub fn display(property: &FieldProperty, api_value: &str, locale: &str) -> String {
    if property.field_type != FieldType::Calc || api_value.is_empty() {
        return api_value.to_owned();
    }
    let Ok(n) = Decimal::from_str(api_value.trim()) else {
        return api_value.to_owned();
    };
    let english = locale.to_ascii_lowercase().starts_with("en");
    match calc_format(property) {
        "DATETIME" | "DATE" | "TIME" => api_value.to_owned(),
        "HOUR_MINUTE" => duration(n, false, english),
        "DAY_HOUR_MINUTE" => duration(n, true, english),
        format => {
            let mut shown = n;
            if let Some(scale) = display_scale(property) {
                shown = shown.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven);
                shown.rescale(scale);
            }
            let negative = shown.is_sign_negative() && !shown.is_zero();
            shown.set_sign_positive(true);
            let mut text = if display_scale(property).is_some() {
                shown.to_string()
            } else {
                number_text(shown)
            };
            if format == "NUMBER_DIGIT" {
                text = group_thousands(&text);
            }
            if negative {
                text.insert(0, '-');
            }
            match property.unit.as_deref().filter(|u| !u.is_empty()) {
                Some(unit) if property.unit_position.as_deref() == Some("BEFORE") => {
                    format!("{unit}{text}")
                }
                Some(unit) => format!("{text}{unit}"),
                None => text,
            }
        }
    }
}

/// Seconds as hours and minutes (and days), seconds dropped.
fn duration(seconds: Decimal, with_days: bool, english: bool) -> String {
    let negative = seconds.is_sign_negative() && seconds.abs() >= Decimal::from(60);
    let total_minutes = (seconds.abs() / Decimal::from(60))
        .trunc()
        .to_u64()
        .unwrap_or(u64::MAX);
    let minutes = total_minutes % 60;
    let total_hours = total_minutes / 60;
    let (days, hours) = if with_days {
        (total_hours / 24, total_hours % 24)
    } else {
        (0, total_hours)
    };
    let sign = if negative { "-" } else { "" };
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (with_days, english) {
        (true, true) => format!(
            "{sign}{} {} {}",
            plural(days, "day"),
            plural(hours, "hour"),
            plural(minutes, "minute")
        ),
        (false, true) => format!(
            "{sign}{} {}",
            plural(hours, "hour"),
            plural(minutes, "minute")
        ),
        (true, false) => format!("{sign}{days}日{hours}時間{minutes}分"),
        (false, false) => format!("{sign}{hours}時間{minutes}分"),
    }
}

//! Turning a cell's text into a kintone field value. Staff type numbers with full-width digits
//! and thousands separators, dates as 2024/4/1 or in the Japanese era (令和6年4月1日, R6.4.1);
//! these are accepted and the conversion is reported, so nobody is surprised by what was stored.
//! Whatever cannot be converted is passed on as typed, and the record validation reports it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

use crate::fields::FieldType;

/// A converted value, and whether the text was changed to get it (reported to the user).
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub value: Value,
    /// The stored text when it differs from what the cell said.
    pub changed_to: Option<String>,
}

/// Field types a column can be mapped to (those a record write accepts a value for).
pub fn importable(t: FieldType) -> bool {
    use FieldType::*;
    matches!(
        t,
        SingleLineText
            | MultiLineText
            | RichText
            | Number
            | RadioButton
            | CheckBox
            | MultiSelect
            | DropDown
            | Date
            | Time
            | Datetime
            | Link
            | UserSelect
            | OrganizationSelect
            | GroupSelect
    )
}

/// Converts `text` for a field of type `t`; datetimes are read in `tz`.
pub fn convert(t: FieldType, text: &str, tz: chrono_tz::Tz) -> Converted {
    let trimmed = text.trim();
    let same = |v: Value| Converted {
        value: v,
        changed_to: None,
    };
    let changed = |s: String| Converted {
        changed_to: (s != trimmed).then(|| s.clone()),
        value: Value::String(s),
    };
    match t {
        FieldType::Number => match number(trimmed) {
            Some(n) => changed(n),
            None => same(json!(trimmed)),
        },
        FieldType::Date => match date(trimmed) {
            Some(d) => changed(d.format("%Y-%m-%d").to_string()),
            None => same(json!(trimmed)),
        },
        FieldType::Time => match time(trimmed) {
            Some(t) => changed(t.format("%H:%M").to_string()),
            None => same(json!(trimmed)),
        },
        FieldType::Datetime => match datetime(trimmed, tz) {
            Some(s) => {
                let shown = s.clone();
                Converted {
                    changed_to: (shown != trimmed).then_some(shown),
                    value: Value::String(s),
                }
            }
            None => same(json!(trimmed)),
        },
        FieldType::CheckBox | FieldType::MultiSelect => same(json!(list(trimmed))),
        FieldType::UserSelect | FieldType::OrganizationSelect | FieldType::GroupSelect => {
            let entities: Vec<Value> = list(trimmed)
                .into_iter()
                .map(|code| json!({ "code": code }))
                .collect();
            same(Value::Array(entities))
        }
        FieldType::SingleLineText
        | FieldType::RadioButton
        | FieldType::DropDown
        | FieldType::Link => same(json!(trimmed)),
        _ => same(json!(text)),
    }
}

/// A multi-value cell: one value a line (as kintone writes them), or separated by commas.
fn list(text: &str) -> Vec<String> {
    let sep: &[char] = if text.contains('\n') {
        &['\n']
    } else {
        &[',', '、']
    };
    text.split(sep)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Width-folds full-width digits, signs and punctuation (NFKC) and drops blanks.
fn fold(text: &str) -> String {
    text.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// A number with full-width digits, thousands separators, a leading `+` or a `¥`/`円` unit.
pub fn number(text: &str) -> Option<String> {
    let folded = fold(text).replace([',', '¥', '\\'], "");
    let folded = folded.strip_suffix('円').unwrap_or(&folded);
    let folded = folded.strip_prefix('+').unwrap_or(folded);
    let folded = folded.replace('−', "-");
    if folded.is_empty() || !folded.parse::<f64>().is_ok_and(f64::is_finite) {
        return None;
    }
    // Keep the digits as written (no float round trip): 0.10 stays 0.10.
    let valid = folded
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E');
    valid.then_some(folded)
}

/// An era: (name, letter, first Gregorian year, first (month, day), last (month, day) of its last
/// year).
type Era = (&'static str, char, i32, (u32, u32), (u32, u32));

/// The first year of each era, and its names (kanji, letter).
const ERAS: &[Era] = &[
    // (name, letter, first Gregorian year, first (month, day), last (month, day) of its last year)
    ("令和", 'R', 2019, (5, 1), (12, 31)),
    ("平成", 'H', 1989, (1, 8), (4, 30)),
    ("昭和", 'S', 1926, (12, 25), (1, 7)),
    ("大正", 'T', 1912, (7, 30), (12, 24)),
];

/// A date: `2024-04-01`, `2024/4/1`, `2024.4.1`, `2024年4月1日`, `令和6年4月1日`, `R6.4.1`,
/// `H31/4/30`, `令和元年5月1日`; full-width digits allowed.
pub fn date(text: &str) -> Option<NaiveDate> {
    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }
    let (era, rest) = strip_era(&folded);
    let rest = rest.replacen('元', "1", 1);
    let parts: Vec<&str> = rest
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = (
        y.parse::<i32>().ok()?,
        m.parse::<u32>().ok()?,
        d.parse::<u32>().ok()?,
    );
    let date = match era {
        None if y >= 1000 => NaiveDate::from_ymd_opt(y, m, d)?,
        None => return None,
        Some(i) => {
            let (_, _, first_year, first_day, _) = ERAS[i];
            if y < 1 {
                return None;
            }
            let date = NaiveDate::from_ymd_opt(first_year + y - 1, m, d)?;
            let start = NaiveDate::from_ymd_opt(first_year, first_day.0, first_day.1)?;
            // The era must have begun; and it must not have ended (the era before ours ends
            // the day before the next one starts).
            let end = if i == 0 {
                None
            } else {
                let (_, _, next_year, next_first, _) = ERAS[i - 1];
                NaiveDate::from_ymd_opt(next_year, next_first.0, next_first.1)
            };
            if date < start || end.is_some_and(|e| date >= e) {
                return None;
            }
            date
        }
    };
    Some(date)
}

/// Splits a leading era name or letter (`令和`, `R`, `r`) off; returns its index in [`ERAS`].
fn strip_era(text: &str) -> (Option<usize>, &str) {
    for (i, (name, letter, ..)) in ERAS.iter().enumerate() {
        if let Some(rest) = text.strip_prefix(name) {
            return (Some(i), rest);
        }
        let mut chars = text.chars();
        if chars.next().map(|c| c.to_ascii_uppercase()) == Some(*letter) {
            let rest = chars.as_str();
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '元') {
                return (Some(i), rest);
            }
        }
    }
    (None, text)
}

/// A time of day: `9:00`, `09:00:00`, `9時30分`.
pub fn time(text: &str) -> Option<NaiveTime> {
    let folded = fold(text).replace('時', ":").replace('分', "");
    let folded = folded.trim_end_matches(':');
    NaiveTime::parse_from_str(folded, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(folded, "%H:%M"))
        .ok()
}

/// A date and time in `tz` (`2024/4/1 9:00`, `2024-04-01T09:00:00Z`) as kintone's UTC text.
pub fn datetime(text: &str, tz: chrono_tz::Tz) -> Option<String> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text.trim()) {
        return Some(
            dt.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        );
    }
    let folded: String = text.nfkc().collect();
    let folded = folded.trim();
    let (d, t) = folded
        .split_once(|c: char| c.is_whitespace() || c == 'T')
        .unwrap_or((folded, "0:00"));
    let local = NaiveDateTime::new(date(d)?, time(t.trim())?);
    let zoned = tz.from_local_datetime(&local).earliest()?;
    Some(
        zoned
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn numbers_with_full_width_digits_and_commas() {
        assert_eq!(number("１，２３４").as_deref(), Some("1234"));
        assert_eq!(number("1,234.50").as_deref(), Some("1234.50"));
        assert_eq!(number("¥3,000").as_deref(), Some("3000"));
        assert_eq!(number("－５").as_deref(), Some("-5"));
        assert_eq!(number("abc"), None);
        let c = convert(FieldType::Number, "１，２３４", chrono_tz::Asia::Tokyo);
        assert_eq!(c.value, json!("1234"));
        assert_eq!(c.changed_to.as_deref(), Some("1234"));
        let c = convert(FieldType::Number, "12", chrono_tz::Asia::Tokyo);
        assert_eq!(c.changed_to, None);
    }

    #[test]
    fn dates_in_slash_and_era_formats() {
        assert_eq!(date("2024/4/1"), d(2024, 4, 1));
        assert_eq!(date("２０２４／０４／０１"), d(2024, 4, 1));
        assert_eq!(date("2024年4月1日"), d(2024, 4, 1));
        assert_eq!(date("令和6年4月1日"), d(2024, 4, 1));
        assert_eq!(date("R6.4.1"), d(2024, 4, 1));
        assert_eq!(date("H31.4.30"), d(2019, 4, 30));
        assert_eq!(date("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(date("S64.1.7"), d(1989, 1, 7));
        // Heisei ended on 2019-04-30, Reiwa began on 2019-05-01.
        assert_eq!(date("H31.5.1"), None);
        assert_eq!(date("R1.4.30"), None);
        assert_eq!(date("2024/2/30"), None);
        assert_eq!(date("24/4/1"), None);
        let c = convert(FieldType::Date, "R6.4.1", chrono_tz::Asia::Tokyo);
        assert_eq!(c.value, json!("2024-04-01"));
        assert_eq!(c.changed_to.as_deref(), Some("2024-04-01"));
    }

    #[test]
    fn times_datetimes_and_lists() {
        assert_eq!(time("9:05"), NaiveTime::from_hms_opt(9, 5, 0));
        assert_eq!(
            datetime("2024/4/1 9:00", chrono_tz::Asia::Tokyo).as_deref(),
            Some("2024-04-01T00:00:00Z")
        );
        let c = convert(FieldType::CheckBox, "A\nB", chrono_tz::Asia::Tokyo);
        assert_eq!(c.value, json!(["A", "B"]));
        let c = convert(
            FieldType::UserSelect,
            "sato, suzuki",
            chrono_tz::Asia::Tokyo,
        );
        assert_eq!(c.value, json!([{ "code": "sato" }, { "code": "suzuki" }]));
        // A formula-looking text stays text.
        let c = convert(
            FieldType::SingleLineText,
            "=cmd|' /C calc'!A0",
            chrono_tz::Asia::Tokyo,
        );
        assert_eq!(c.value, json!("=cmd|' /C calc'!A0"));
    }
}

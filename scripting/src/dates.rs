//! Date helpers for scripts. Dates are `"YYYY-MM-DD"` strings, as the API shows DATE fields.
//! Fiscal years start in April (Japanese public and most company years). Japanese eras: Meiji
//! (1868-01-25) to Reiwa (2019-05-01); the first year of an era is written 元年.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Parses `"YYYY-MM-DD"` (a DATETIME's leading date is accepted too).
pub fn parse(text: &str) -> Result<NaiveDate, String> {
    let head = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .map_err(|_| format!("\"{text}\" is not a date (YYYY-MM-DD)"))
}

pub fn format(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `date` plus `days` (negative goes back).
pub fn add_days(date: NaiveDate, days: i64) -> Result<NaiveDate, String> {
    if days.abs() > 366 * 1000 {
        return Err("add_days: the number of days is out of range".into());
    }
    date.checked_add_signed(Duration::days(days))
        .ok_or_else(|| "add_days: the date is out of range".into())
}

/// `date` plus `days` business days, skipping Saturdays and Sundays (negative goes back). A start
/// on a weekend counts from that weekend.
pub fn add_business_days(date: NaiveDate, days: i64) -> Result<NaiveDate, String> {
    if days.abs() > 10_000 {
        return Err("add_business_days: the number of days is out of range".into());
    }
    let step = if days < 0 { -1 } else { 1 };
    let mut left = days.abs();
    let mut current = date;
    while left > 0 {
        current = add_days(current, step)?;
        if !matches!(current.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    Ok(current)
}

/// The fiscal year (April start) a date belongs to: 2026-03-31 → 2025, 2026-04-01 → 2026.
pub fn fiscal_year(date: NaiveDate) -> i64 {
    let year = i64::from(date.year());
    if date.month() >= 4 {
        year
    } else {
        year - 1
    }
}

/// Japanese eras: (first day, kanji name, letter).
const ERAS: [((i32, u32, u32), &str, &str); 5] = [
    ((2019, 5, 1), "令和", "R"),
    ((1989, 1, 8), "平成", "H"),
    ((1926, 12, 25), "昭和", "S"),
    ((1912, 7, 30), "大正", "T"),
    ((1868, 1, 25), "明治", "M"),
];

/// The era of `date`: (kanji name, letter, year in the era). Before Meiji: an error.
fn era(date: NaiveDate) -> Result<(&'static str, &'static str, i32), String> {
    for ((y, m, d), name, letter) in ERAS {
        let start = NaiveDate::from_ymd_opt(y, m, d).ok_or("bad era table")?;
        if date >= start {
            return Ok((name, letter, date.year() - y + 1));
        }
    }
    Err(format!("{} is before the Meiji era", format(date)))
}

/// `令和7年4月1日`; the first year of an era is `元年`.
pub fn wareki(date: NaiveDate) -> Result<String, String> {
    let (name, _, year) = era(date)?;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Ok(format!("{name}{year}年{}月{}日", date.month(), date.day()))
}

/// `R7` for a date in Reiwa 7.
pub fn era_year(date: NaiveDate) -> Result<String, String> {
    let (_, letter, year) = era(date)?;
    Ok(format!("{letter}{year}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        parse(text).unwrap_or_default()
    }

    #[test]
    fn japanese_eras() -> Result<(), String> {
        assert_eq!(wareki(d("2025-04-01"))?, "令和7年4月1日");
        assert_eq!(wareki(d("2019-05-01"))?, "令和元年5月1日");
        assert_eq!(wareki(d("2019-04-30"))?, "平成31年4月30日");
        assert_eq!(era_year(d("2025-04-01"))?, "R7");
        assert_eq!(era_year(d("1989-01-07"))?, "S64");
        assert!(wareki(d("1800-01-01")).is_err());
        Ok(())
    }

    #[test]
    fn fiscal_years_start_in_april() {
        assert_eq!(fiscal_year(d("2026-03-31")), 2025);
        assert_eq!(fiscal_year(d("2026-04-01")), 2026);
    }

    #[test]
    fn business_days_skip_weekends() -> Result<(), String> {
        // 2025-04-04 is a Friday.
        assert_eq!(format(add_business_days(d("2025-04-04"), 1)?), "2025-04-07");
        assert_eq!(
            format(add_business_days(d("2025-04-07"), -1)?),
            "2025-04-04"
        );
        assert_eq!(
            format(add_business_days(d("2025-04-01"), 10)?),
            "2025-04-15"
        );
        assert_eq!(format(add_days(d("2025-04-01"), 14)?), "2025-04-15");
        assert!(parse("2025-13-01").is_err());
        Ok(())
    }
}

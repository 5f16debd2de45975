//! Parsers for the scalar value formats kintone accepts on write, each returning the canonical stored
//! text or `None` when the input is not in the format. None of them panics on any input.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use rust_decimal::Decimal;

/// Parses a NUMBER value: optional sign, digits with an optional fraction, optional exponent, with
/// surrounding whitespace allowed (`" 12 "`, `"1.5e1"`, `"-.5"`). Anything else, and values that do not
/// fit a 96-bit decimal, is `None`.
pub(super) fn parse_number(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if !is_decimal_literal(t) {
        return None;
    }
    // rust_decimal's own parser is more lenient than kintone (it takes `_` separators), so the grammar
    // check above is what decides; the library only does the arithmetic.
    let unsigned = t.strip_prefix('+').unwrap_or(t);
    let parsed = if unsigned.contains(['e', 'E']) {
        Decimal::from_scientific(unsigned)
    } else {
        Decimal::from_str(unsigned)
    };
    parsed.ok()
}

/// The canonical text of a number: no exponent, no leading or trailing zeros, `0` rather than `-0`.
pub(super) fn number_text(value: Decimal) -> String {
    value.normalize().to_string()
}

fn is_decimal_literal(t: &str) -> bool {
    let mut chars = t.chars().peekable();
    chars.next_if(|c| matches!(c, '+' | '-'));
    let mut mantissa_digits = 0usize;
    while chars.next_if(char::is_ascii_digit).is_some() {
        mantissa_digits += 1;
    }
    if chars.next_if_eq(&'.').is_some() {
        while chars.next_if(char::is_ascii_digit).is_some() {
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if chars.next_if(|c| matches!(c, 'e' | 'E')).is_some() {
        chars.next_if(|c| matches!(c, '+' | '-'));
        let mut exponent_digits = 0usize;
        while chars.next_if(char::is_ascii_digit).is_some() {
            exponent_digits += 1;
        }
        if exponent_digits == 0 {
            return false;
        }
    }
    chars.next().is_none()
}

/// Parses `YYYY-MM-DD` (a real calendar date, four-digit year).
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    let (y, rest) = take_digits(text, 4)?;
    let rest = rest.strip_prefix('-')?;
    let (m, rest) = take_digits(rest, 2)?;
    let rest = rest.strip_prefix('-')?;
    let (d, rest) = take_digits(rest, 2)?;
    if !rest.is_empty() {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Parses `HH:MM` or `HH:MM:SS`; seconds are dropped because kintone stores minutes.
pub(super) fn parse_time(text: &str) -> Option<NaiveTime> {
    let (time, rest) = parse_clock(text)?;
    if !rest.is_empty() {
        return None;
    }
    Some(time)
}

/// `HH:MM[:SS[.fff]]` at the start of `text`, seconds dropped; returns the rest.
fn parse_clock(text: &str) -> Option<(NaiveTime, &str)> {
    let (h, rest) = take_digits(text, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (m, mut rest) = take_digits(rest, 2)?;
    if let Some(after_colon) = rest.strip_prefix(':') {
        let (s, after_seconds) = take_digits(after_colon, 2)?;
        if s > 59 {
            return None;
        }
        rest = after_seconds;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = fraction.get(digits..)?;
        }
    }
    Some((NaiveTime::from_hms_opt(h, m, 0)?, rest))
}

/// Parses a DATETIME value into UTC with the seconds zeroed. Accepts `YYYY-MM-DDTHH:MM[:SS[.fff]]`
/// followed by `Z`, `±HH:MM`, `±HHMM` or `±HH`; without a zone the time is read in `local` (the
/// acting user's time zone), which is how kintone's own forms send it.
pub(super) fn parse_datetime<Tz: TimeZone>(text: &str, local: &Tz) -> Option<DateTime<Utc>> {
    let date = parse_date(text.get(..10)?)?;
    let rest = text.get(10..)?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
    let (time, zone) = parse_clock(rest)?;
    let naive = NaiveDateTime::new(date, time);
    let utc = match zone {
        "Z" | "z" => naive.and_utc(),
        "" => local
            .from_local_datetime(&naive)
            .earliest()?
            .with_timezone(&Utc),
        _ => {
            let offset = parse_offset(zone)?;
            offset
                .from_local_datetime(&naive)
                .single()?
                .with_timezone(&Utc)
        }
    };
    // A positive offset on 0001-01-01 or a negative one on 9999-12-31 leaves the four-digit range the
    // stored text must keep.
    if !(1..=9999).contains(&chrono::Datelike::year(&utc)) {
        return None;
    }
    utc.with_second(0)?.with_nanosecond(0)
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let (sign, rest) = match zone.strip_prefix('+') {
        Some(r) => (1, r),
        None => (-1, zone.strip_prefix('-')?),
    };
    let (hours, rest) = take_digits(rest, 2)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let (minutes, rest) = if rest.is_empty() {
        (0, rest)
    } else {
        take_digits(rest, 2)?
    };
    if !rest.is_empty() || hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    FixedOffset::east_opt(sign * seconds)
}

/// Exactly `n` ASCII digits at the start of `text`, as a number, and the rest.
fn take_digits(text: &str, n: usize) -> Option<(u32, &str)> {
    let head = text.get(..n)?;
    if !head.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, text.get(n..)?))
}

/// The stored DATETIME text: `YYYY-MM-DDTHH:MM:00Z`.
pub(super) fn datetime_text(value: DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:00Z").to_string()
}

pub(super) fn date_text(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

pub(super) fn time_text(value: NaiveTime) -> String {
    value.format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<String> {
        parse_number(s).map(number_text)
    }

    #[test]
    fn numbers_normalize_like_kintone() {
        assert_eq!(num("1.5e1").as_deref(), Some("15"));
        assert_eq!(num(" 12 ").as_deref(), Some("12"));
        assert_eq!(num("0010.50").as_deref(), Some("10.5"));
        assert_eq!(num("-0").as_deref(), Some("0"));
        assert_eq!(num("+7").as_deref(), Some("7"));
        assert_eq!(num("-.5").as_deref(), Some("-0.5"));
        assert_eq!(num("2.50E-1").as_deref(), Some("0.25"));
        assert_eq!(num("1E+3").as_deref(), Some("1000"));
        assert_eq!(num("5.").as_deref(), Some("5"));
        for bad in [
            "", " ", "abc", "1_000", "1,000", "1e", "e5", ".", "--1", "1.2.3", "0x10", "1e999",
        ] {
            assert_eq!(num(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_real() {
        assert_eq!(
            parse_date("2024-02-29").map(date_text).as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024-01-01x",
            "２０２４-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_drop_seconds() {
        assert_eq!(
            parse_time("09:05:59").map(time_text).as_deref(),
            Some("09:05")
        );
        assert_eq!(parse_time("23:59").map(time_text).as_deref(), Some("23:59"));
        for bad in ["24:00", "9:05", "09:60", "09:05:60", "09:05:", "0905"] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn datetimes_go_to_utc_minutes() {
        let tokyo = chrono_tz::Asia::Tokyo;
        let dt = |s: &str| parse_datetime(s, &tokyo).map(datetime_text);
        assert_eq!(
            dt("2021-02-10T15:14:37+09:00").as_deref(),
            Some("2021-02-10T06:14:00Z")
        );
        assert_eq!(
            dt("2021-02-10T06:14:37.123Z").as_deref(),
            Some("2021-02-10T06:14:00Z")
        );
        assert_eq!(
            dt("2021-02-10T06:14Z").as_deref(),
            Some("2021-02-10T06:14:00Z")
        );
        assert_eq!(
            dt("2021-02-10T00:30-0530").as_deref(),
            Some("2021-02-10T06:00:00Z")
        );
        assert_eq!(
            dt("2021-02-10T09:00:00").as_deref(),
            Some("2021-02-10T00:00:00Z")
        );
        for bad in [
            "2021-02-10",
            "2021-02-10 06:14Z",
            "2021-02-30T00:00Z",
            "2021-02-10T06:14+24:00",
            "9999-12-31T23:00-02:00",
        ] {
            assert_eq!(dt(bad), None, "{bad:?}");
        }
    }
}

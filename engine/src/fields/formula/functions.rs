//! The built-in functions whose work is more than plumbing: SUM, the ROUND family, `^`, YEN, DATE_FORMAT
//! and CONTAINS. All arithmetic is checked: overflow is an error, never a panic or a silent wrap.

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};

use super::eval::{fail, to_number, EvalError, EvalResult, Value};
use super::parser::Func;

fn too_large() -> EvalError {
    EvalError("The result is too large".to_owned())
}

/// Adds numbers and every row of any subtable column among them.
pub(crate) fn sum(values: &[Value]) -> EvalResult<Decimal> {
    let mut total = Decimal::ZERO;
    for v in values {
        let part = match v {
            Value::Column(rows) => {
                let mut s = Decimal::ZERO;
                for r in rows {
                    s = s.checked_add(to_number(r)?).ok_or_else(too_large)?;
                }
                s
            }
            other => to_number(other)?,
        };
        total = total.checked_add(part).ok_or_else(too_large)?;
    }
    Ok(total)
}

/// The digits argument as an integer; Excel truncates a fractional one. Far-out values are clamped: beyond
/// ±40 every Decimal rounds the same way.
fn digits_of(d: Decimal) -> i64 {
    d.trunc()
        .to_i64()
        .unwrap_or(if d.is_sign_negative() { -40 } else { 40 })
        .clamp(-40, 40)
}

/// ROUND (half away from zero), ROUNDUP (away from zero), ROUNDDOWN (toward zero) to `digits` decimals;
/// negative digits round to tens, hundreds, ...
pub(crate) fn round(func: Func, x: Decimal, digits: Decimal) -> EvalResult<Decimal> {
    let strategy = match func {
        Func::RoundUp => RoundingStrategy::AwayFromZero,
        Func::RoundDown => RoundingStrategy::ToZero,
        _ => RoundingStrategy::MidpointAwayFromZero,
    };
    round_with(x, digits_of(digits), strategy)
}

fn round_with(x: Decimal, digits: i64, strategy: RoundingStrategy) -> EvalResult<Decimal> {
    if digits >= 0 {
        let dp = u32::try_from(digits).unwrap_or(u32::MAX);
        return Ok(x.round_dp_with_strategy(dp, strategy));
    }
    let places = digits.unsigned_abs();
    // Decimal's largest value is below 10^29, so a factor of 10^29 or more leaves only 0 — or, rounding
    // away from zero, a result no Decimal can hold.
    if places > 28 {
        return if x.is_zero() || strategy != RoundingStrategy::AwayFromZero {
            Ok(Decimal::ZERO)
        } else {
            Err(too_large())
        };
    }
    let factor = Decimal::TEN.checked_powu(places).ok_or_else(too_large)?;
    let scaled = x.checked_div(factor).ok_or_else(too_large)?;
    scaled
        .round_dp_with_strategy(0, strategy)
        .checked_mul(factor)
        .ok_or_else(too_large)
}

/// `base ^ exponent`. Integer exponents are exact; fractional ones go through exp/ln and are approximate.
pub(crate) fn power(base: Decimal, exponent: Decimal) -> EvalResult<Decimal> {
    if base.is_zero() && exponent.is_sign_negative() && !exponent.is_zero() {
        return fail("Division by zero");
    }
    if exponent.fract().is_zero() {
        let Some(e) = exponent.to_i64() else {
            // Only ±1 and 0 survive an exponent beyond i64.
            return match base.abs() {
                b if b.is_zero() => Ok(Decimal::ZERO),
                b if b == Decimal::ONE && base.is_sign_positive() => Ok(Decimal::ONE),
                _ => Err(too_large()),
            };
        };
        return base.checked_powi(e).ok_or_else(too_large);
    }
    if base.is_sign_negative() {
        return fail("A negative number cannot be raised to a fractional power");
    }
    if base.is_zero() {
        return Ok(Decimal::ZERO);
    }
    // `checked_powd` would call the panicking `ln`; the checked steps keep every failure an error.
    let ln = base.checked_ln().ok_or_else(too_large)?;
    ln.checked_mul(exponent)
        .and_then(|p| p.checked_exp())
        .ok_or_else(too_large)
}

/// Digits grouped by three with `,`: `1234567.5` → `1,234,567.5`. `text` is a plain non-negative number.
pub(crate) fn group_thousands(text: &str) -> String {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let mut out = String::with_capacity(text.len() + text.len() / 3);
    let len = int.chars().count();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `x` rounded half away from zero to `digits` decimals, as `¥1,234` (`-¥1,234` when negative); positive
/// digits show that many decimals.
pub(crate) fn yen(x: Decimal, digits: Decimal) -> EvalResult<String> {
    let digits = digits_of(digits);
    let mut rounded = round_with(x, digits, RoundingStrategy::MidpointAwayFromZero)?;
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    rounded.set_sign_positive(true);
    let shown = if digits > 0 {
        rounded.rescale(u32::try_from(digits).unwrap_or(0));
        rounded.to_string()
    } else {
        rounded.trunc().normalize().to_string()
    };
    Ok(format!(
        "{}¥{}",
        if negative { "-" } else { "" },
        group_thousands(&shown)
    ))
}

/// Whether a choice field (or any row of a choice column) has `option` selected.
pub(crate) fn contains(haystack: &Value, option: &str) -> EvalResult<bool> {
    match haystack {
        Value::List(items) => Ok(items.iter().any(|i| i == option)),
        Value::Str(s) => Ok(s == option),
        Value::Empty => Ok(false),
        Value::Column(rows) => {
            for r in rows {
                if contains(r, option)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => fail("The first argument of CONTAINS must be a choice field"),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Formats UNIX seconds in `tz` with a kintone/Java-style pattern: `YYYY`/`YY` year, `M`/`MM`/`MMM`/`MMMM`
/// month, `d`/`dd` day, `H`/`HH` and `h`/`hh` hour, `m`/`mm` minute, `s`/`ss` second, `a` AM/PM, `Z`
/// offset (`+0900`), `z` zone abbreviation. Text in single quotes and every other character are copied.
pub(crate) fn date_format(seconds: Decimal, pattern: &str, tz: Tz) -> EvalResult<String> {
    let secs = seconds
        .floor()
        .to_i64()
        .ok_or_else(|| EvalError("The date is out of range".to_owned()))?;
    let utc = DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| EvalError("The date is out of range".to_owned()))?;
    let t = utc.with_timezone(&tz);
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\'' {
            // Quoted literal; `''` is a quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            while let Some(&q) = chars.get(j) {
                if q == '\'' {
                    break;
                }
                out.push(q);
                j += 1;
            }
            i = j + 1;
            continue;
        }
        let mut run = 1;
        while chars.get(i + run) == Some(&c) {
            run += 1;
        }
        let pad = |n: u32| {
            if run >= 2 {
                format!("{n:02}")
            } else {
                n.to_string()
            }
        };
        let month_name = MONTHS.get(t.month0() as usize).copied().unwrap_or_default();
        let piece = match c {
            'Y' | 'y' if run == 2 => format!("{:02}", t.year().rem_euclid(100)),
            'Y' | 'y' => format!("{:04}", t.year()),
            'M' if run >= 4 => month_name.to_owned(),
            'M' if run == 3 => month_name.chars().take(3).collect(),
            'M' => pad(t.month()),
            'd' => pad(t.day()),
            'H' => pad(t.hour()),
            'h' => pad(t.hour12().1),
            'm' => pad(t.minute()),
            's' => pad(t.second()),
            'a' => (if t.hour12().0 { "PM" } else { "AM" }).to_owned(),
            'Z' => t.format("%z").to_string(),
            'z' => t.format("%Z").to_string(),
            other => std::iter::repeat_n(other, run).collect(),
        };
        out.push_str(&piece);
        i += run;
    }
    Ok(out)
}

//! The residents' input, checked field by field the way the form page shows it: one keyed message
//! per field (`public_forms.err.*`), all problems at once, and the values normalised (full-width
//! digits, `2026/4/1` dates, a local date-time turned into UTC) into the record JSON the record
//! write takes. The record write checks again (uniqueness, app-level rules) in the submit.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::submit::{FieldProblem, PublicField};
use crate::error::Message;

/// Most files in one FILE field of a form.
pub const MAX_FILES: usize = 5;

fn problem(code: &str, message: Message) -> FieldProblem {
    FieldProblem {
        code: code.to_owned(),
        message,
    }
}

/// The strings of an input value: a string, or a list of strings (multi-choice); numbers count.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Number(n)) => vec![n.to_string()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn single(v: Option<&Value>) -> String {
    strings(v).into_iter().next().unwrap_or_default()
}

/// Full-width digits and signs to ASCII, spaces and thousands separators removed.
fn number_text(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect::<String>()
        .replace('−', "-")
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s: String = s.nfkc().collect::<String>().trim().replace('/', "-");
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let s: String = s.nfkc().collect::<String>().trim().to_owned();
    NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .ok()
}

fn parse_datetime(s: &str, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    let s: String = s.nfkc().collect::<String>().trim().replace('/', "-");
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&s) {
        return Some(dt.with_timezone(&chrono::Utc));
    }
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A plain e-mail check: one `@`, a dot in the domain, no spaces or angle brackets.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
        && s.len() <= 254
}

fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace))
}

fn is_tel(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    digits >= 2
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '(' | ')' | ' '))
}

fn limit(v: &Option<i64>) -> Option<usize> {
    v.and_then(|n| usize::try_from(n).ok())
}

/// Checks one field's input; `Ok(value)` is the record value (`""`/`[]` when empty).
pub fn check_field(
    f: &PublicField,
    input: Option<&Value>,
    tz: chrono_tz::Tz,
) -> Result<Value, FieldProblem> {
    let code = f.code.as_str();
    let required = || {
        problem(
            code,
            Message::keyed("public_forms.err.required", "This field is required."),
        )
    };
    match f.field_type.as_str() {
        "CHECK_BOX" | "MULTI_SELECT" => {
            let picked: Vec<String> = strings(input)
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if picked.is_empty() {
                return if f.required {
                    Err(required())
                } else {
                    Ok(json!([]))
                };
            }
            if picked.iter().any(|p| !f.options.contains(p)) {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.not_option", "Choose one of the options."),
                ));
            }
            // In the app's option order, each once.
            let ordered: Vec<&String> = f.options.iter().filter(|o| picked.contains(o)).collect();
            Ok(json!(ordered))
        }
        "FILE" => {
            let items: Vec<&Value> = match input {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![other],
            };
            if items.is_empty() {
                return if f.required {
                    Err(required())
                } else {
                    Ok(json!([]))
                };
            }
            if items.len() > MAX_FILES {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.too_many_files", "Too many files.")
                        .arg("max", MAX_FILES.to_string()),
                ));
            }
            let mut keys = Vec::new();
            for item in items {
                match item.get("fileKey").and_then(Value::as_str) {
                    Some(k) if !k.is_empty() => keys.push(json!({ "fileKey": k })),
                    _ => {
                        return Err(problem(
                            code,
                            Message::keyed(
                                "public_forms.err.bad_file",
                                "An attached file is not valid. Upload it again.",
                            ),
                        ))
                    }
                }
            }
            Ok(Value::Array(keys))
        }
        field_type => {
            let raw = single(input);
            let text = if field_type == "MULTI_LINE_TEXT" {
                raw.replace("\r\n", "\n")
            } else {
                raw.trim().to_owned()
            };
            if text.trim().is_empty() {
                return if f.required {
                    Err(required())
                } else {
                    Ok(json!(""))
                };
            }
            check_text(f, field_type, &text, tz).map(Value::String)
        }
    }
}

fn check_text(
    f: &PublicField,
    field_type: &str,
    text: &str,
    tz: chrono_tz::Tz,
) -> Result<String, FieldProblem> {
    let code = f.code.as_str();
    let err = |key: &'static str, en: &str| Err(problem(code, Message::keyed(key, en)));
    match field_type {
        "SINGLE_LINE_TEXT" | "MULTI_LINE_TEXT" => {
            let n = text.chars().count();
            if let Some(max) = limit(&f.max_length).filter(|m| n > *m) {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.too_long", "The text is too long.")
                        .arg("max", max.to_string()),
                ));
            }
            if let Some(min) = limit(&f.min_length).filter(|m| n < *m) {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.too_short", "The text is too short.")
                        .arg("min", min.to_string()),
                ));
            }
            Ok(text.to_owned())
        }
        "NUMBER" => {
            let t = number_text(text);
            let Ok(n) = Decimal::from_str(&t) else {
                return err("public_forms.err.not_number", "Enter a number.");
            };
            let bound = |b: &Option<String>| {
                b.as_deref()
                    .filter(|s| !s.is_empty())
                    .and_then(|s| Decimal::from_str(s).ok())
            };
            if let Some(min) = bound(&f.min_value).filter(|m| n < *m) {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.too_small", "The number is too small.")
                        .arg("min", min.to_string()),
                ));
            }
            if let Some(max) = bound(&f.max_value).filter(|m| n > *m) {
                return Err(problem(
                    code,
                    Message::keyed("public_forms.err.too_large", "The number is too large.")
                        .arg("max", max.to_string()),
                ));
            }
            Ok(n.normalize().to_string())
        }
        "DATE" => match parse_date(text) {
            Some(d) => Ok(d.format("%Y-%m-%d").to_string()),
            None => err("public_forms.err.bad_date", "Enter a date like 2026-04-01."),
        },
        "TIME" => match parse_time(text) {
            Some(t) => Ok(t.format("%H:%M").to_string()),
            None => err("public_forms.err.bad_time", "Enter a time like 09:30."),
        },
        "DATETIME" => match parse_datetime(text, tz) {
            Some(t) => Ok(t.format("%Y-%m-%dT%H:%M:00Z").to_string()),
            None => err(
                "public_forms.err.bad_datetime",
                "Enter a date and time like 2026-04-01T09:30.",
            ),
        },
        "DROP_DOWN" | "RADIO_BUTTON" => {
            if f.options.iter().any(|o| o == text) {
                Ok(text.to_owned())
            } else {
                err("public_forms.err.not_option", "Choose one of the options.")
            }
        }
        "LINK" => match f.protocol.as_deref() {
            Some("MAIL") if !is_email(text) => err(
                "public_forms.err.bad_email",
                "Enter a valid e-mail address.",
            ),
            Some("CALL") if !is_tel(text) => err(
                "public_forms.err.bad_tel",
                "Enter a phone number with digits and hyphens.",
            ),
            Some("WEB") if !is_url(text) => err(
                "public_forms.err.bad_url",
                "Enter a valid URL starting with http:// or https://.",
            ),
            _ => Ok(text.to_owned()),
        },
        _ => Ok(text.to_owned()),
    }
}

/// Checks every field of the form; the record JSON `{code: {"value": v}}` or every problem.
pub fn check_all(
    fields: &[PublicField],
    values: &Map<String, Value>,
    prefill: &Map<String, Value>,
    tz: chrono_tz::Tz,
) -> Result<Map<String, Value>, Vec<FieldProblem>> {
    let mut record = Map::new();
    let mut problems = Vec::new();
    for f in fields {
        // A prefilled field is read-only: the link's value wins over whatever was sent.
        let input = if f.prefilled {
            prefill.get(&f.code)
        } else {
            values.get(&f.code)
        };
        match check_field(f, input, tz) {
            Ok(v) => {
                record.insert(f.code.clone(), json!({ "value": v }));
            }
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(problems)
    }
}

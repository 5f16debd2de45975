//! The running totals of a form's answers (`public_form_tallies`), kept by the submit transaction
//! so that results read a few rows instead of the answers. Rows (`field`, `bucket`):
//! - `<code>`, `<option>`: how many answers chose the option (choice fields);
//! - `<code>`, `""`: NUMBER fields: answers with a number and their sum;
//! - `answered:<code>`, `""`: answers with a value in the field;
//! - `min:<code>` / `max:<code>`, `""`: the extremes of a NUMBER field in `total` (over every value
//!   ever submitted: an edit does not take an old extreme back);
//! - `_hour`, `"09"`: answers by submission hour (server time zone);
//! - `pivot:<rows>|<columns>`, `[row, column]` (JSON): count and sum of the pivot's value, under
//!   the pivot settings at the time of the answer.
//!
//! An edit through an editable link applies the old answer with −1 first, then the new one.

use serde_json::{Map, Value};

use super::submit::PublicField;
use super::{FormSettings, PIVOT_HOUR, PIVOT_RECIPIENT};
use crate::db::{DbConn, Dialect};
use crate::error::EngineResult;

pub const ANSWERED: &str = "answered:";
pub const MIN: &str = "min:";
pub const MAX: &str = "max:";
pub const HOUR: &str = "_hour";
pub const PIVOT: &str = "pivot:";

const CHOICE_TYPES: [&str; 4] = ["DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT"];

/// Whether a field type counts options.
pub fn is_choice(field_type: &str) -> bool {
    CHOICE_TYPES.contains(&field_type)
}

/// One change to the tallies.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub field: String,
    pub bucket: String,
    pub answers: i64,
    pub total: f64,
}

/// The text of a value for a pivot key: a string, or multi-choice values joined with `、`.
fn key_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("、"),
        _ => String::new(),
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => s.parse().ok(),
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

fn non_empty(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    }
}

/// The rows one answer adds (`sign` 1) or takes away (`sign` −1). `vals` are the plain answer
/// values `{code: value}`, `recipient` the link's (empty without a link), `hour` "00".."23".
pub fn deltas(
    fields: &[PublicField],
    settings: &FormSettings,
    vals: &Map<String, Value>,
    recipient: &str,
    hour: &str,
    sign: i64,
) -> Vec<Delta> {
    let mut out = Vec::new();
    let s = sign as f64;
    let mut push = |field: String, bucket: String, answers: i64, total: f64| {
        out.push(Delta {
            field,
            bucket,
            answers,
            total,
        })
    };
    for f in fields {
        let v = vals.get(&f.code);
        if !non_empty(v) {
            continue;
        }
        push(format!("{ANSWERED}{}", f.code), String::new(), sign, 0.0);
        if is_choice(&f.field_type) {
            let picked: Vec<String> = match v {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                other => vec![key_text(other)],
            };
            for p in picked {
                push(f.code.clone(), p, sign, 0.0);
            }
        } else if f.field_type == "NUMBER" {
            if let Some(n) = number(v) {
                push(f.code.clone(), String::new(), sign, s * n);
                if sign > 0 {
                    push(format!("{MIN}{}", f.code), String::new(), 0, n);
                    push(format!("{MAX}{}", f.code), String::new(), 0, n);
                }
            }
        }
    }
    push(HOUR.to_owned(), hour.to_owned(), sign, 0.0);
    if let Some(pivot) = &settings.results.pivot {
        let key = |k: &str| match k {
            PIVOT_RECIPIENT => recipient.to_owned(),
            PIVOT_HOUR => hour.to_owned(),
            code => key_text(vals.get(code)),
        };
        let bucket =
            serde_json::to_string(&[key(&pivot.rows), key(&pivot.columns)]).unwrap_or_default();
        let value = pivot
            .value
            .as_deref()
            .and_then(|code| number(vals.get(code)))
            .unwrap_or(0.0);
        push(
            format!("{PIVOT}{}|{}", pivot.rows, pivot.columns),
            bucket,
            sign,
            s * value,
        );
    }
    out
}

/// Applies the deltas in the caller's transaction (one upsert each; extremes keep the smaller or
/// larger total).
pub fn apply(conn: &mut DbConn, form: i64, deltas: &[Delta]) -> EngineResult<()> {
    let (least, greatest) = match conn.dialect() {
        Dialect::Sqlite => ("MIN", "MAX"),
        Dialect::Postgres => ("LEAST", "GREATEST"),
    };
    for d in deltas {
        let total = if d.field.starts_with(MIN) {
            format!("{least}(public_form_tallies.total, excluded.total)")
        } else if d.field.starts_with(MAX) {
            format!("{greatest}(public_form_tallies.total, excluded.total)")
        } else {
            "public_form_tallies.total + excluded.total".to_owned()
        };
        let mut b = conn.sql();
        b.push("INSERT INTO public_form_tallies (form_id, field, bucket, answers, total) VALUES (")
            .bind_int(form)
            .push(", ")
            .bind_text(&d.field)
            .push(", ")
            .bind_text(&d.bucket)
            .push(", ")
            .bind_int(d.answers)
            .push(", ")
            .bind_float(d.total)
            .push(
                ") ON CONFLICT (form_id, field, bucket) DO UPDATE SET \
                 answers = public_form_tallies.answers + excluded.answers, total = ",
            )
            .push(&total);
        conn.execute(&b)?;
    }
    Ok(())
}

/// Every tally row of a form.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct TallyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub field: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub bucket: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub answers: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub total: f64,
}

pub fn load(conn: &mut DbConn, form: i64) -> EngineResult<Vec<TallyRow>> {
    let mut b = conn.sql();
    b.push("SELECT field, bucket, answers, total FROM public_form_tallies WHERE form_id = ")
        .bind_int(form)
        .push(" ORDER BY field, bucket");
    conn.load(&b)
}

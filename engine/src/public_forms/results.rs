//! A form's results for staff (view right on the app): counts per option, number summaries,
//! answers by hour and the pivot table, all from the tallies (`tallies`), plus the latest free-text
//! answers. Never scans all answers, so the page can refresh every few seconds during a count.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::store::staff_form;
use super::submit::PublicField;
use super::tallies::{self, is_choice, TallyRow};
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::db::schema::public_form_answers;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// How many latest free-text answers each text question shows.
pub const LATEST_TEXTS: usize = 20;
/// How many latest answers are read to find them.
const TEXT_SCAN: i64 = 500;

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub form: i64,
    /// Answers accepted (edits through editable links do not count again).
    pub answers: i64,
    pub questions: Vec<QuestionResult>,
    pub pivot: Option<PivotResult>,
    /// Answers by submission hour ("00".."23", server time zone), hours with answers only.
    pub by_hour: Vec<(String, i64)>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionResult {
    pub code: String,
    /// The Japanese label.
    pub label: String,
    pub field_type: String,
    /// Choice fields: every option in the app's order, zero included; then values no longer
    /// among the options.
    pub counts: Vec<(String, i64)>,
    pub number: Option<NumberSummary>,
    /// Text fields: the latest answers, newest first.
    pub texts: Vec<TextAnswer>,
    /// Answers with a value in this field.
    pub answered: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NumberSummary {
    pub answers: i64,
    pub sum: f64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TextAnswer {
    pub receipt: String,
    pub value: String,
    pub submitted_at: i64,
}

/// Rows × columns; `cells[r][c]` is the sum of the value field (or the count).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PivotResult {
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub cells: Vec<Vec<f64>>,
    pub row_totals: Vec<f64>,
    pub column_totals: Vec<f64>,
    pub total: f64,
}

/// The results of `form` (view right on its app).
pub fn results(conn: &mut DbConn, ctx: &ActingContext, form: i64) -> EngineResult<Results> {
    let (row, live) = staff_form(conn, ctx, form, AppRight::View)?;
    let f = row.to_form();
    let fields = super::submit::public_fields_of(&live.definition, &f.settings);
    let tallies = tallies::load(conn, form)?;
    let mut by_field: HashMap<&str, Vec<&TallyRow>> = HashMap::new();
    for t in &tallies {
        by_field.entry(t.field.as_str()).or_default().push(t);
    }
    let one = |field: String| -> Option<&TallyRow> {
        by_field
            .get(field.as_str())
            .and_then(|v| v.iter().find(|t| t.bucket.is_empty()).copied())
    };
    let text_fields: Vec<&str> = fields
        .iter()
        .filter(|q| {
            matches!(
                q.field_type.as_str(),
                "SINGLE_LINE_TEXT" | "MULTI_LINE_TEXT"
            )
        })
        .map(|q| q.code.as_str())
        .collect();
    let mut texts = latest_texts(conn, form, &text_fields)?;
    let mut questions = Vec::new();
    for q in &fields {
        let answered = one(format!("{}{}", tallies::ANSWERED, q.code)).map_or(0, |t| t.answers);
        let mut result = QuestionResult {
            code: q.code.clone(),
            label: q.label.get("ja").unwrap_or(&q.code).to_owned(),
            field_type: q.field_type.clone(),
            counts: Vec::new(),
            number: None,
            texts: texts.remove(q.code.as_str()).unwrap_or_default(),
            answered,
        };
        if is_choice(&q.field_type) {
            result.counts = choice_counts(q, by_field.get(q.code.as_str()));
        } else if q.field_type == "NUMBER" {
            let sum = one(q.code.clone());
            let answers = sum.map_or(0, |t| t.answers);
            let total = sum.map_or(0.0, |t| t.total);
            let extreme = |prefix: &str| {
                one(format!("{prefix}{}", q.code))
                    .map(|t| t.total)
                    .filter(|_| answers > 0)
            };
            result.number = Some(NumberSummary {
                answers,
                sum: total,
                mean: (answers > 0).then(|| total / answers as f64),
                min: extreme(tallies::MIN),
                max: extreme(tallies::MAX),
            });
        }
        questions.push(result);
    }
    let by_hour = by_field
        .get(tallies::HOUR)
        .map(|rows| {
            rows.iter()
                .filter(|t| t.answers > 0)
                .map(|t| (t.bucket.clone(), t.answers))
                .collect()
        })
        .unwrap_or_default();
    let pivot = f.settings.results.pivot.as_ref().map(|p| {
        let key = format!("{}{}|{}", tallies::PIVOT, p.rows, p.columns);
        let column_order = fields
            .iter()
            .find(|q| q.code == p.columns && is_choice(&q.field_type))
            .map(|q| q.options.clone());
        let row_order = fields
            .iter()
            .find(|q| q.code == p.rows && is_choice(&q.field_type))
            .map(|q| q.options.clone());
        pivot_table(
            by_field.get(key.as_str()).map(Vec::as_slice).unwrap_or(&[]),
            p.value.is_some(),
            row_order,
            column_order,
        )
    });
    Ok(Results {
        form,
        answers: row.answer_count,
        questions,
        pivot,
        by_hour,
        updated_at: ctx.now().timestamp(),
    })
}

fn choice_counts(q: &PublicField, rows: Option<&Vec<&TallyRow>>) -> Vec<(String, i64)> {
    let counted: BTreeMap<&str, i64> = rows
        .map(|r| r.iter().map(|t| (t.bucket.as_str(), t.answers)).collect())
        .unwrap_or_default();
    let mut out: Vec<(String, i64)> = q
        .options
        .iter()
        .map(|o| (o.clone(), counted.get(o.as_str()).copied().unwrap_or(0)))
        .collect();
    for (bucket, n) in counted {
        if n > 0 && !q.options.iter().any(|o| o == bucket) {
            out.push((bucket.to_owned(), n));
        }
    }
    out
}

/// The pivot table from its tally rows (`bucket` = JSON `[row, column]`). Rows and columns in the
/// choice field's option order when the key is one (every option shown), else sorted.
pub fn pivot_table(
    rows: &[&TallyRow],
    sum: bool,
    row_order: Option<Vec<String>>,
    column_order: Option<Vec<String>>,
) -> PivotResult {
    let mut cells: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut row_keys = BTreeSet::new();
    let mut column_keys = BTreeSet::new();
    for t in rows {
        let Ok(pair) = serde_json::from_str::<(String, String)>(&t.bucket) else {
            continue;
        };
        if t.answers <= 0 {
            continue;
        }
        let v = if sum { t.total } else { t.answers as f64 };
        row_keys.insert(pair.0.clone());
        column_keys.insert(pair.1.clone());
        *cells.entry(pair).or_default() += v;
    }
    let order = |given: Option<Vec<String>>, seen: BTreeSet<String>| -> Vec<String> {
        let mut out = given.unwrap_or_default();
        for k in seen {
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    };
    let row_list = order(row_order, row_keys);
    let column_list = order(column_order, column_keys);
    let mut grid = Vec::with_capacity(row_list.len());
    let mut row_totals = Vec::with_capacity(row_list.len());
    let mut column_totals = vec![0.0; column_list.len()];
    for r in &row_list {
        let line: Vec<f64> = column_list
            .iter()
            .map(|c| cells.get(&(r.clone(), c.clone())).copied().unwrap_or(0.0))
            .collect();
        for (i, v) in line.iter().enumerate() {
            if let Some(t) = column_totals.get_mut(i) {
                *t += v;
            }
        }
        row_totals.push(line.iter().sum());
        grid.push(line);
    }
    PivotResult {
        rows: row_list,
        columns: column_list,
        total: row_totals.iter().sum(),
        cells: grid,
        row_totals,
        column_totals,
    }
}

/// The latest non-empty answers of each text field (newest first, `LATEST_TEXTS` each), from the
/// latest `TEXT_SCAN` answers.
fn latest_texts(
    conn: &mut DbConn,
    form: i64,
    codes: &[&str],
) -> EngineResult<HashMap<String, Vec<TextAnswer>>> {
    let mut out: HashMap<String, Vec<TextAnswer>> = HashMap::new();
    if codes.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String, i64)> = with_conn!(conn, |c| public_form_answers::table
        .filter(public_form_answers::form_id.eq(form))
        .order(public_form_answers::id.desc())
        .limit(TEXT_SCAN)
        .select((
            public_form_answers::receipt,
            public_form_answers::vals,
            public_form_answers::submitted_at,
        ))
        .load(c))?;
    for (receipt, vals, submitted_at) in rows {
        let Ok(Value::Object(vals)) = serde_json::from_str::<Value>(&vals) else {
            continue;
        };
        for code in codes {
            let Some(text) = vals.get(*code).and_then(Value::as_str) else {
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            let list = out.entry((*code).to_owned()).or_default();
            if list.len() < LATEST_TEXTS {
                list.push(TextAnswer {
                    receipt: receipt.clone(),
                    value: text.to_owned(),
                    submitted_at,
                });
            }
        }
    }
    Ok(out)
}

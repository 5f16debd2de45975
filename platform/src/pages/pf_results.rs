//! Issue 15, public forms: what the results page shows, built from the engine's `Results` — counts
//! and SVG bar charts per choice question (`svg_charts`), number summaries, the latest free texts,
//! the pivot table (e.g. polling station × hour, with row and column totals) and answers by hour.
//! Times are shown in the user's time zone.
//!
//! The engine's results are read through their serialised form, so this view depends only on the
//! documented JSON of `Results` (docs/public-forms.md), not on the Rust types behind it.

use kumiki_engine::public_forms::results::Results;
use kumiki_engine::public_forms::Form;
use serde::Serialize;
use serde_json::Value;

use super::svg_charts;
use crate::i18n::{self, Lang};

#[derive(Serialize, Default)]
pub struct NumberView {
    pub answers: String,
    pub sum: String,
    pub mean: String,
    pub min: String,
    pub max: String,
}

#[derive(Serialize)]
pub struct CountRow {
    pub option: String,
    pub count: i64,
    /// Share of the question's answers, in whole percent.
    pub percent: i64,
}

#[derive(Serialize)]
pub struct TextView {
    pub receipt: String,
    pub value: String,
    pub at: String,
}

#[derive(Serialize)]
pub struct QuestionView {
    pub code: String,
    pub label: String,
    pub field_type: String,
    pub answered: i64,
    /// SVG markup from `svg_charts` (every text in it escaped there); empty when not a choice question.
    pub chart: String,
    pub counts: Vec<CountRow>,
    pub number: Option<NumberView>,
    pub texts: Vec<TextView>,
    pub is_text: bool,
}

#[derive(Serialize)]
pub struct PivotRowView {
    pub label: String,
    pub cells: Vec<String>,
    pub total: String,
}

#[derive(Serialize)]
pub struct PivotView {
    pub row_title: String,
    pub column_title: String,
    pub value_title: String,
    pub columns: Vec<String>,
    pub rows: Vec<PivotRowView>,
    pub column_totals: Vec<String>,
    pub total: String,
    /// SVG of the row totals (e.g. voters per station).
    pub chart: String,
}

#[derive(Serialize)]
pub struct HourView {
    pub hour: String,
    pub count: i64,
}

#[derive(Serialize)]
pub struct ResultsView {
    pub form_id: i64,
    pub answers: i64,
    pub updated_at: String,
    pub questions: Vec<QuestionView>,
    pub pivot: Option<PivotView>,
    pub by_hour: Vec<HourView>,
    /// SVG of answers by hour (escaped in `svg_charts`); empty without answers.
    pub by_hour_chart: String,
    pub csv_url: String,
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn shown(v: &Value) -> String {
    float(v)
        .map(svg_charts::number)
        .unwrap_or_else(|| "–".into())
}

/// `(label, n)` pairs, written by serde as two-element arrays.
fn pairs(v: &Value) -> Vec<(String, f64)> {
    v.as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    let a = p.as_array()?;
                    Some((text(a.first()?), float(a.get(1)?).unwrap_or(0.0)))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn when(tz: chrono_tz::Tz, epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The title of a pivot axis: the recipient, the hour, or the field's label on the form.
fn axis_title(lang: Lang, form: &Form, key: &str) -> String {
    match key {
        "_recipient" => i18n::t(lang, "pf_staff.pivot.recipient"),
        "_hour" => i18n::t(lang, "pf_staff.pivot.hour"),
        "" => i18n::t(lang, "pf_staff.pivot.count"),
        code => form
            .settings
            .fields
            .iter()
            .find(|f| f.code == code)
            .and_then(|f| f.label.get(lang.code()).map(str::to_owned))
            .unwrap_or_else(|| code.to_owned()),
    }
}

fn question(tz: chrono_tz::Tz, q: &Value) -> QuestionView {
    let label = text(&q["label"]);
    let answered = int(&q["answered"]);
    let counts = pairs(&q["counts"]);
    let chart = if counts.is_empty() {
        String::new()
    } else {
        svg_charts::bars(&label, &counts)
    };
    let total: f64 = counts.iter().map(|(_, n)| n).sum();
    let number = match &q["number"] {
        Value::Object(n) => Some(NumberView {
            answers: shown(n.get("answers").unwrap_or(&Value::Null)),
            sum: shown(n.get("sum").unwrap_or(&Value::Null)),
            mean: shown(n.get("mean").unwrap_or(&Value::Null)),
            min: shown(n.get("min").unwrap_or(&Value::Null)),
            max: shown(n.get("max").unwrap_or(&Value::Null)),
        }),
        _ => None,
    };
    let texts: Vec<TextView> = q["texts"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|t| TextView {
                    receipt: text(&t["receipt"]),
                    value: text(&t["value"]),
                    at: when(tz, int(&t["submitted_at"])),
                })
                .collect()
        })
        .unwrap_or_default();
    let field_type = text(&q["field_type"]);
    let is_text = counts.is_empty() && number.is_none();
    QuestionView {
        code: text(&q["code"]),
        label,
        field_type,
        answered,
        chart,
        counts: counts
            .iter()
            .map(|(option, n)| CountRow {
                option: option.clone(),
                count: *n as i64,
                percent: if total > 0.0 {
                    (n / total * 100.0).round() as i64
                } else {
                    0
                },
            })
            .collect(),
        number,
        texts,
        is_text,
    }
}

fn pivot(lang: Lang, form: &Form, p: &Value) -> Option<PivotView> {
    let p = p.as_object()?;
    let strings = |k: &str| -> Vec<String> {
        p.get(k)
            .and_then(Value::as_array)
            .map(|l| l.iter().map(text).collect())
            .unwrap_or_default()
    };
    let numbers = |v: Option<&Value>| -> Vec<f64> {
        v.and_then(Value::as_array)
            .map(|l| l.iter().map(|x| float(x).unwrap_or(0.0)).collect())
            .unwrap_or_default()
    };
    let rows = strings("rows");
    let columns = strings("columns");
    let cells: Vec<Vec<f64>> = p
        .get("cells")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(|r| numbers(Some(r))).collect())
        .unwrap_or_default();
    let row_totals = numbers(p.get("row_totals"));
    let column_totals = numbers(p.get("column_totals"));
    let total = p.get("total").and_then(float).unwrap_or(0.0);
    let setting = form.settings.results.pivot.as_ref();
    let row_key = setting.map(|s| s.rows.as_str()).unwrap_or("_recipient");
    let col_key = setting.map(|s| s.columns.as_str()).unwrap_or("_hour");
    let value_key = setting.and_then(|s| s.value.as_deref()).unwrap_or("");
    let value_title = axis_title(lang, form, value_key);
    let chart_items: Vec<(String, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.clone(), row_totals.get(i).copied().unwrap_or(0.0)))
        .collect();
    Some(PivotView {
        row_title: axis_title(lang, form, row_key),
        column_title: axis_title(lang, form, col_key),
        chart: if chart_items.is_empty() {
            String::new()
        } else {
            svg_charts::bars(&value_title, &chart_items)
        },
        value_title,
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, label)| PivotRowView {
                label: label.clone(),
                cells: (0..columns.len())
                    .map(|j| {
                        svg_charts::number(
                            cells.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0),
                        )
                    })
                    .collect(),
                total: svg_charts::number(row_totals.get(i).copied().unwrap_or(0.0)),
            })
            .collect(),
        column_totals: (0..columns.len())
            .map(|j| svg_charts::number(column_totals.get(j).copied().unwrap_or(0.0)))
            .collect(),
        columns,
        total: svg_charts::number(total),
    })
}

/// Hours (`"09"` …) from the first to the last answered one, the hours without answers as 0, so
/// the chart shows the day's shape; other labels are kept as they are.
fn contiguous_hours(hours: Vec<(String, f64)>) -> Vec<(String, f64)> {
    let parsed: Option<Vec<(u32, f64)>> = hours
        .iter()
        .map(|(h, n)| h.parse::<u32>().ok().filter(|h| *h < 24).map(|h| (h, *n)))
        .collect();
    let Some(parsed) = parsed else {
        return hours;
    };
    let (Some(first), Some(last)) = (
        parsed.iter().map(|(h, _)| *h).min(),
        parsed.iter().map(|(h, _)| *h).max(),
    ) else {
        return hours;
    };
    (first..=last)
        .map(|h| {
            let n = parsed.iter().filter(|(x, _)| *x == h).map(|(_, n)| n).sum();
            (format!("{h:02}"), n)
        })
        .collect()
}

/// The results page's data for `form`, with times in `tz`.
pub fn view(lang: Lang, tz: chrono_tz::Tz, form: &Form, results: &Results) -> ResultsView {
    let v = serde_json::to_value(results).unwrap_or(Value::Null);
    let by_hour: Vec<(String, f64)> = contiguous_hours(pairs(&v["by_hour"]))
        .into_iter()
        .map(|(h, n)| (i18n::format(lang, "pf_staff.results.hour", &[("h", &h)]), n))
        .collect();
    let by_hour_chart = if by_hour.iter().any(|(_, n)| *n > 0.0) {
        svg_charts::columns(&i18n::t(lang, "pf_staff.results.by_hour"), &by_hour)
    } else {
        String::new()
    };
    ResultsView {
        form_id: form.id,
        answers: int(&v["answers"]),
        updated_at: when(tz, int(&v["updated_at"])),
        questions: v["questions"]
            .as_array()
            .map(|l| l.iter().map(|q| question(tz, q)).collect())
            .unwrap_or_default(),
        pivot: pivot(lang, form, &v["pivot"]),
        by_hour: by_hour
            .iter()
            .map(|(h, n)| HourView {
                hour: h.clone(),
                count: *n as i64,
            })
            .collect(),
        by_hour_chart,
        csv_url: format!("/api/public-form/answers.csv?form={}", form.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_without_answers_are_filled_between_the_first_and_the_last() {
        let got = contiguous_hours(vec![("09".into(), 3.0), ("12".into(), 1.0)]);
        let labels: Vec<&str> = got.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(labels, ["09", "10", "11", "12"]);
        assert_eq!(got[1].1, 0.0);
        assert_eq!(got[3].1, 1.0);
        assert!(contiguous_hours(Vec::new()).is_empty());
        let other = vec![("朝".to_owned(), 1.0)];
        assert_eq!(contiguous_hours(other.clone()), other);
    }
}

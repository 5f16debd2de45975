//! Formulas applied to an app: checking every expression of a definition, and filling every calculated field
//! of a record.
//!
//! Guarantees: [`compute_record`] visits calculated fields in dependency order (a field is computed after
//! every calculated field it reads, across the subtable boundary both ways), computes fields inside a
//! subtable once per row, and never fails — a field whose formula does not parse, does not evaluate or sits
//! on a reference cycle becomes `""`. A CALC field whose referenced fields are all empty is empty, as in
//! kintone. The dependency walk is iterative, so a long chain of fields cannot overflow the stack.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::str::FromStr;

use super::eval::{evaluate, fail, EvalError, EvalResult, Resolver, Value};
use super::format::{calc_api_value, text_api_value};
use super::parser::UseRole;
use super::Formula;
use crate::apps::AppDefinition;
use crate::fields::{FieldProperty, FieldType};

/// A field whose value a formula computes.
struct Calculated<'a> {
    code: &'a str,
    property: &'a FieldProperty,
    /// The subtable holding the field, if any.
    table: Option<&'a str>,
}

fn is_calculated(p: &FieldProperty) -> bool {
    p.field_type == FieldType::Calc
        || (p.field_type == FieldType::SingleLineText
            && p.expression
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty()))
}

/// Every calculated field, top level and inside subtables, in form order.
fn calculated_fields(def: &AppDefinition) -> Vec<Calculated<'_>> {
    let mut out = Vec::new();
    for (code, p) in &def.properties {
        if is_calculated(p) {
            out.push(Calculated {
                code,
                property: p,
                table: None,
            });
        }
        if p.field_type == FieldType::Subtable {
            for (inner_code, inner) in p.fields.iter().flatten() {
                if is_calculated(inner) {
                    out.push(Calculated {
                        code: inner_code,
                        property: inner,
                        table: Some(code),
                    });
                }
            }
        }
    }
    out
}

/// A field by code and the subtable holding it. Looks at `properties` directly, so definitions whose field
/// ids are not assigned yet work too.
fn find<'a>(def: &'a AppDefinition, code: &str) -> Option<(&'a FieldProperty, Option<&'a str>)> {
    if let Some(p) = def.properties.get(code) {
        return Some((p, None));
    }
    def.properties.iter().find_map(|(table, p)| {
        p.fields
            .as_ref()
            .and_then(|f| f.get(code))
            .map(|inner| (inner, Some(table.as_str())))
    })
}

fn parse_formula(p: &FieldProperty) -> Result<Formula, super::FormulaError> {
    Formula::parse(p.expression.as_deref().unwrap_or_default())
}

/// Whether a formula may read a field of this type in this role.
fn allowed(t: FieldType, role: UseRole) -> bool {
    use FieldType as F;
    match role {
        UseRole::Plain => matches!(
            t,
            F::SingleLineText
                | F::Number
                | F::Calc
                | F::RadioButton
                | F::DropDown
                | F::Date
                | F::Time
                | F::Datetime
                | F::Link
                | F::RecordNumber
                | F::Creator
                | F::Modifier
                | F::CreatedTime
                | F::UpdatedTime
        ),
        UseRole::SumArgument => matches!(
            t,
            F::Number
                | F::Calc
                | F::Date
                | F::Time
                | F::Datetime
                | F::CreatedTime
                | F::UpdatedTime
                | F::RecordNumber
        ),
        UseRole::ContainsField => {
            matches!(
                t,
                F::CheckBox | F::MultiSelect | F::DropDown | F::RadioButton
            )
        }
    }
}

/// Checks every CALC / auto-calculated text expression of a definition: parse errors, unknown fields, field
/// types a formula cannot read, reference cycles, and a field outside a subtable using one of its fields
/// other than in SUM (or CONTAINS). Returns (field code, message) pairs, messages fit to show the app
/// builder; empty means fine.
pub fn check_definition(def: &AppDefinition) -> Vec<(String, String)> {
    let calcs = calculated_fields(def);
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut formulas: Vec<Option<Formula>> = Vec::with_capacity(calcs.len());
    for c in &calcs {
        match parse_formula(c.property) {
            Ok(f) => {
                check_uses(def, c, &f, &mut problems);
                formulas.push(Some(f));
            }
            Err(e) => {
                problems.push((
                    c.code.to_owned(),
                    format!("The formula has an error: {}", e.message),
                ));
                formulas.push(None);
            }
        }
    }
    let graph = Graph::new(&calcs, &formulas);
    let mut reported: Vec<bool> = vec![false; calcs.len()];
    for cycle in graph.cycles() {
        let mut names: Vec<&str> = cycle
            .iter()
            .filter_map(|&i| calcs.get(i).map(|c| c.code))
            .collect();
        if let Some(&first) = names.first() {
            names.push(first);
        }
        let path = names.join(" → ");
        for &i in &cycle {
            if let (Some(c), Some(done)) = (calcs.get(i), reported.get_mut(i)) {
                if !*done {
                    *done = true;
                    problems.push((
                        c.code.to_owned(),
                        format!("The formula refers to itself: {path}"),
                    ));
                }
            }
        }
    }
    problems
}

fn check_uses(
    def: &AppDefinition,
    c: &Calculated<'_>,
    f: &Formula,
    out: &mut Vec<(String, String)>,
) {
    let mut seen: Vec<(String, UseRole)> = Vec::new();
    for u in f.field_uses() {
        if seen
            .iter()
            .any(|(code, role)| *code == u.code && *role == u.role)
        {
            continue;
        }
        seen.push((u.code.clone(), u.role));
        let Some((p, table)) = find(def, &u.code) else {
            out.push((
                c.code.to_owned(),
                format!("The field \"{}\" in the formula does not exist", u.code),
            ));
            continue;
        };
        if !allowed(p.field_type, u.role) {
            let message = match u.role {
                UseRole::Plain => format!(
                    "The field \"{}\" ({}) cannot be used in a formula{}",
                    u.code,
                    p.field_type.name(),
                    if matches!(p.field_type, FieldType::CheckBox | FieldType::MultiSelect) {
                        " except as the first argument of CONTAINS"
                    } else {
                        ""
                    }
                ),
                UseRole::SumArgument => format!(
                    "The field \"{}\" ({}) cannot be added up by SUM",
                    u.code,
                    p.field_type.name()
                ),
                UseRole::ContainsField => format!(
                    "CONTAINS needs a check box, multi-choice, drop-down or radio button field; \"{}\" is {}",
                    u.code,
                    p.field_type.name()
                ),
            };
            out.push((c.code.to_owned(), message));
            continue;
        }
        if let Some(t) = table {
            if table != c.table && u.role == UseRole::Plain {
                out.push((
                    c.code.to_owned(),
                    format!(
                        "The field \"{}\" is in the table \"{t}\"; outside that table a formula can use it \
                         only inside SUM",
                        u.code
                    ),
                ));
            }
        }
    }
}

/// Which calculated field reads which, by index into the calculated-field list.
struct Graph {
    edges: Vec<Vec<usize>>,
}

impl Graph {
    fn new(calcs: &[Calculated<'_>], formulas: &[Option<Formula>]) -> Graph {
        let index: HashMap<&str, usize> =
            calcs.iter().enumerate().map(|(i, c)| (c.code, i)).collect();
        let edges = formulas
            .iter()
            .map(|f| {
                f.as_ref()
                    .map(|f| {
                        f.references()
                            .iter()
                            .filter_map(|r| index.get(r.as_str()).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        Graph { edges }
    }

    /// Depth-first search without recursion: returns the nodes with every dependency before its dependents,
    /// and each cycle met (as the nodes on it).
    fn walk(&self) -> (Vec<usize>, Vec<Vec<usize>>) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let n = self.edges.len();
        let mut mark = vec![Mark::New; n];
        let mut order = Vec::with_capacity(n);
        let mut cycles = Vec::new();
        for start in 0..n {
            if mark.get(start) != Some(&Mark::New) {
                continue;
            }
            // (node, index of the next edge to follow)
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(m) = mark.get_mut(start) {
                *m = Mark::Open;
            }
            while let Some(top) = stack.last_mut() {
                let (node, edge) = *top;
                let next = self.edges.get(node).and_then(|e| e.get(edge)).copied();
                top.1 += 1;
                match next {
                    None => {
                        stack.pop();
                        if let Some(m) = mark.get_mut(node) {
                            *m = Mark::Done;
                        }
                        order.push(node);
                    }
                    Some(to) => match mark.get(to) {
                        Some(Mark::New) => {
                            if let Some(m) = mark.get_mut(to) {
                                *m = Mark::Open;
                            }
                            stack.push((to, 0));
                        }
                        Some(Mark::Open) => {
                            let from = stack.iter().position(|&(s, _)| s == to).unwrap_or(0);
                            cycles.push(stack.iter().skip(from).map(|&(s, _)| s).collect());
                        }
                        _ => {}
                    },
                }
            }
        }
        (order, cycles)
    }

    fn cycles(&self) -> Vec<Vec<usize>> {
        self.walk().1
    }
}

/// Fills every CALC field and every SINGLE_LINE_TEXT field with an expression in `values` (a record's values
/// keyed by field code in kintone shapes; subtable rows as `[{"id": .., "value": {code: {"value": ..}}}]`),
/// including calculated fields inside subtable rows, which may read fields of their own row and top-level
/// fields. `tz` is the app time zone for `DATE_FORMAT(.., "system")`. Never fails: a field whose formula has
/// an error, or that sits on a reference cycle, becomes `""`.
pub fn compute_record(def: &AppDefinition, values: &mut Map<String, Json>, tz: Tz) {
    let calcs = calculated_fields(def);
    let formulas: Vec<Option<Formula>> = calcs
        .iter()
        .map(|c| parse_formula(c.property).ok())
        .collect();
    let graph = Graph::new(&calcs, &formulas);
    let (order, cycles) = graph.walk();
    let mut broken = vec![false; calcs.len()];
    for i in cycles.into_iter().flatten() {
        if let Some(b) = broken.get_mut(i) {
            *b = true;
        }
    }
    for i in order {
        let (Some(c), Some(formula)) = (calcs.get(i), formulas.get(i)) else {
            continue;
        };
        let formula = if broken.get(i).copied().unwrap_or(true) {
            None
        } else {
            formula.as_ref()
        };
        match c.table {
            None => {
                let result = {
                    let resolver = RecordResolver {
                        def,
                        values,
                        row: None,
                    };
                    result_for(c, formula, &resolver, tz)
                };
                write_top(values, c.code, result);
            }
            Some(table) => {
                let rows = values
                    .get(table)
                    .and_then(Json::as_array)
                    .map_or(0, Vec::len);
                let mut results = Vec::with_capacity(rows);
                for r in 0..rows {
                    let row = values
                        .get(table)
                        .and_then(Json::as_array)
                        .and_then(|a| a.get(r))
                        .and_then(|row| row.get("value"))
                        .and_then(Json::as_object);
                    let resolver = RecordResolver {
                        def,
                        values,
                        row: row.map(|m| (table, m)),
                    };
                    results.push(result_for(c, formula, &resolver, tz));
                }
                write_rows(values, table, c.code, results);
            }
        }
    }
}

/// The value a calculated field gets; `""` on any error.
fn result_for(
    c: &Calculated<'_>,
    formula: Option<&Formula>,
    resolver: &dyn Resolver,
    tz: Tz,
) -> String {
    let Some(formula) = formula else {
        return String::new();
    };
    if c.property.field_type == FieldType::Calc {
        let refs = formula.references();
        let all_empty = !refs.is_empty()
            && refs
                .iter()
                .all(|r| resolver.field(r).is_ok_and(|v| v.is_empty()));
        if all_empty {
            return String::new();
        }
    }
    let value = evaluate(formula, resolver, tz);
    let api = value.and_then(|v| {
        if c.property.field_type == FieldType::Calc {
            calc_api_value(c.property, &v)
        } else {
            text_api_value(&v)
        }
    });
    api.unwrap_or_default()
}

/// `{"value": x}` → `x`; anything else as is (top-level values may come bare or wrapped).
fn unwrap_value(v: &Json) -> &Json {
    v.as_object().and_then(|o| o.get("value")).unwrap_or(v)
}

fn write_top(values: &mut Map<String, Json>, code: &str, result: String) {
    match values.get_mut(code).and_then(Json::as_object_mut) {
        Some(wrapped) if wrapped.contains_key("value") => {
            wrapped.insert("value".to_owned(), Json::String(result));
        }
        _ => {
            values.insert(code.to_owned(), Json::String(result));
        }
    }
}

fn write_rows(values: &mut Map<String, Json>, table: &str, code: &str, results: Vec<String>) {
    let Some(rows) = values.get_mut(table).and_then(Json::as_array_mut) else {
        return;
    };
    for (row, result) in rows.iter_mut().zip(results) {
        let Some(row) = row.as_object_mut() else {
            continue;
        };
        let cells = row
            .entry("value")
            .or_insert_with(|| Json::Object(Map::new()));
        let Some(cells) = cells.as_object_mut() else {
            continue;
        };
        match cells.get_mut(code).and_then(Json::as_object_mut) {
            Some(cell) => {
                cell.insert("value".to_owned(), Json::String(result));
            }
            None => {
                let mut cell = Map::new();
                cell.insert("value".to_owned(), Json::String(result));
                cells.insert(code.to_owned(), Json::Object(cell));
            }
        }
    }
}

/// Field values as a formula sees them: the current row's cells for fields of its own subtable, whole
/// columns for fields of other subtables, the record's values otherwise.
struct RecordResolver<'a> {
    def: &'a AppDefinition,
    values: &'a Map<String, Json>,
    row: Option<(&'a str, &'a Map<String, Json>)>,
}

impl Resolver for RecordResolver<'_> {
    fn field(&self, code: &str) -> EvalResult<Value> {
        let Some((p, table)) = find(self.def, code) else {
            return fail(format!("The field \"{code}\" does not exist"));
        };
        let Some(table) = table else {
            return parse_value(p, self.values.get(code).map(unwrap_value));
        };
        if let Some((row_table, cells)) = self.row {
            if row_table == table {
                return parse_value(p, cells.get(code).map(unwrap_value));
            }
        }
        let rows = self
            .values
            .get(table)
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let column = rows
            .iter()
            .map(|row| {
                parse_value(
                    p,
                    row.get("value")
                        .and_then(|cells| cells.get(code))
                        .map(unwrap_value),
                )
            })
            .collect::<EvalResult<Vec<_>>>()?;
        Ok(Value::Column(column))
    }
}

/// A stored value in the formula's terms: numbers, seconds for dates and times, text, option lists.
fn parse_value(p: &FieldProperty, raw: Option<&Json>) -> EvalResult<Value> {
    let text = match raw {
        None | Some(Json::Null) => return Ok(Value::Empty),
        Some(Json::String(s)) => s.trim().to_owned(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => b.to_string(),
        Some(Json::Array(items)) => {
            let list = items
                .iter()
                .filter_map(|i| match i {
                    Json::String(s) => Some(s.clone()),
                    Json::Object(o) => o.get("code").and_then(Json::as_str).map(str::to_owned),
                    _ => None,
                })
                .collect();
            return Ok(Value::List(list));
        }
        Some(Json::Object(o)) => {
            // CREATOR / MODIFIER: formulas see the display name.
            let name = o
                .get("name")
                .or_else(|| o.get("code"))
                .and_then(Json::as_str)
                .unwrap_or_default();
            return Ok(if name.is_empty() {
                Value::Empty
            } else {
                Value::Str(name.to_owned())
            });
        }
    };
    if text.is_empty() {
        return Ok(Value::Empty);
    }
    let bad = |what: &str| EvalError(format!("The value of \"{}\" is not a valid {what}", p.code));
    let seconds = |s: i64| Ok(Value::Number(Decimal::from(s)));
    let kind = match (p.field_type, p.format.as_deref()) {
        (FieldType::Calc, Some("DATETIME")) => FieldType::Datetime,
        (FieldType::Calc, Some("DATE")) => FieldType::Date,
        (FieldType::Calc, Some("TIME")) => FieldType::Time,
        (t, _) => t,
    };
    match kind {
        FieldType::Number | FieldType::Calc => Decimal::from_str(&text)
            .map(Value::Number)
            .map_err(|_| bad("number")),
        FieldType::Date => seconds(parse_date(&text).ok_or_else(|| bad("date"))?),
        FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime => {
            seconds(parse_datetime(&text).ok_or_else(|| bad("date and time"))?)
        }
        FieldType::Time => seconds(parse_time(&text).ok_or_else(|| bad("time"))?),
        FieldType::RecordNumber => Ok(Decimal::from_str(&text)
            .map(Value::Number)
            .unwrap_or(Value::Str(text))),
        FieldType::Subtable => fail("A table cannot be used in a formula"),
        _ => Ok(Value::Str(text)),
    }
}

/// `2026-04-01` → UNIX seconds of 00:00 UTC that day.
fn parse_date(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_time(NaiveTime::MIN).and_utc().timestamp())
}

/// `2026-04-01T09:00:00Z` (any RFC 3339 offset, or seconds left out) → UNIX seconds.
fn parse_datetime(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    let bare = s.strip_suffix('Z').unwrap_or(s);
    NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// `09:00` or `09:00:30` → seconds since 00:00.
fn parse_time(s: &str) -> Option<i64> {
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()?;
    Some(i64::from(t.num_seconds_from_midnight()))
}

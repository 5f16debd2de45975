//! Printing (issue 16): what a print view of one record or of a list shows, as text ready for a page.
//! The app is opened through the acting context, so a print shows exactly what the caller may see:
//! the record-view condition applies to the list's SQL and fields the caller may not view are left out
//! (`records::render::record_json`). The platform lays the data out as an A4 page, or renders it through
//! one of the app's print templates.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{AppDefinition, AppId, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, QueryErrorCode, UserError};
use crate::fields::FieldType;
use crate::query;
use crate::records::{self, record_json, ListRequest, StoredRecord};

/// A list print holds at most this many records (a longer list says so and prints the first ones).
pub const LIST_PRINT_LIMIT: i64 = 1000;

/// How an A4 sheet lies: portrait (縦, the default) or landscape (横, wide ledgers such as the
/// 文書収受簿). Chosen per print template (`orientation`), or on the print page for the standard
/// prints (`?orientation=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    #[default]
    Portrait,
    Landscape,
}

impl Orientation {
    /// `portrait` or `landscape`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Orientation> {
        match text {
            "portrait" => Some(Orientation::Portrait),
            "landscape" => Some(Orientation::Landscape),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Orientation::Portrait => "portrait",
            Orientation::Landscape => "landscape",
        }
    }

    /// The orientation a print page was asked for: none or empty is portrait.
    ///
    /// Errors: `Validation` keyed `orientation` for any other value.
    pub fn from_param(param: Option<&str>) -> Result<Orientation, UserError> {
        match param.map(str::trim).filter(|p| !p.is_empty()) {
            None => Ok(Orientation::Portrait),
            Some(text) => Orientation::parse(text).ok_or_else(|| {
                let mut errors = FieldErrors::new();
                errors.insert("orientation".into(), vec![orientation_message()]);
                UserError::Validation(errors)
            }),
        }
    }
}

fn orientation_message() -> Message {
    Message::keyed(
        "print.err.orientation",
        "The orientation must be portrait or landscape.",
    )
}

/// What a list print selects: a view, a condition added on the list, and a sort chosen there.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListSelection<'a> {
    /// The view's name or id; `None` or an unknown one: the first list view, or every top-level
    /// field when the app has none.
    pub view: Option<&'a str>,
    /// A query condition that narrows the view's filter (the list's search box, condition builder,
    /// a private view's condition).
    pub query: Option<&'a str>,
    /// Sort keys as after `order by` (`件名 asc, $id desc`), chosen by a click on a column header;
    /// they replace the view's sort.
    pub sort: Option<&'a str>,
}

/// One field of a printed record.
#[derive(Debug, Clone, Serialize)]
pub struct PrintField {
    pub code: String,
    pub label: String,
    /// The value as printed ("" when empty); for a subtable, empty (see `table`).
    pub text: String,
    /// A subtable: its column labels and rows of printed cells.
    pub table: Option<PrintTable>,
}

/// A subtable as printed.
#[derive(Debug, Clone, Serialize)]
pub struct PrintTable {
    /// The inner fields' codes (what templates name a row's cells by).
    pub codes: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One record as printed: its fields in form order, and the texts by field code (what print
/// templates read as `fields.<code>`).
#[derive(Debug, Clone, Serialize)]
pub struct PrintRecord {
    pub id: i64,
    pub fields: Vec<PrintField>,
    pub texts: Map<String, Value>,
}

/// The print of a record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordPrint {
    pub app_id: i64,
    pub app_name: String,
    pub record: PrintRecord,
    /// Every top-level field code of the app, viewable or not (templates get hidden ones empty).
    pub codes: Vec<String>,
}

/// The print of a list: a view's columns and the records it selects, in its order.
#[derive(Debug, Clone, Serialize)]
pub struct ListPrint {
    pub app_id: i64,
    pub app_name: String,
    pub view_name: String,
    /// `(code, label)` of the columns.
    pub columns: Vec<(String, String)>,
    pub records: Vec<PrintRecord>,
    /// The printed cells of each record, in the order of `columns` (empty where hidden).
    pub rows: Vec<ListRow>,
    /// More records matched than `LIST_PRINT_LIMIT`.
    pub truncated: bool,
    /// Every top-level field code of the app (see `RecordPrint::codes`).
    pub codes: Vec<String>,
}

/// One line of a printed list.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub id: i64,
    pub cells: Vec<String>,
}

/// The print of record `id` as the caller may see it.
///
/// Errors: `AppNotFound`/`NoPermission` from the acting context; `RecordNotFound` when the record does
/// not exist or the caller may not view it.
pub fn record_print(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: AppId,
    id: i64,
) -> EngineResult<RecordPrint> {
    let live = acting.open_app(conn, app, AppRight::View)?;
    let stored = records::get_record(conn, &live, id)?;
    Ok(RecordPrint {
        app_id: app.0,
        app_name: live.definition.name.clone(),
        record: print_record(&live, &stored, acting.timezone()),
        codes: record_codes(&live.definition),
    })
}

/// The print of a list view (see [`ListSelection`]) with the view's filter narrowed by the added
/// condition, in the chosen sort or else the view's, limited to `LIST_PRINT_LIMIT` records, as the
/// caller may see them.
///
/// Errors: the acting context's; a malformed condition or sort is the query's `UserError`, and a
/// sort on a field the caller may not view is an unknown field (`GAIA_IQ11`), as on the list.
pub fn list_print(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: AppId,
    selection: ListSelection<'_>,
) -> EngineResult<ListPrint> {
    let ListSelection {
        view,
        query: extra,
        sort: chosen_sort,
    } = selection;
    let live = acting.open_app(conn, app, AppRight::View)?;
    let def = &live.definition;
    let is_list = |v: &&Value| v.get("type").and_then(Value::as_str).unwrap_or("LIST") == "LIST";
    let named = |wanted: &str| {
        def.views.iter().find_map(|(name, v)| {
            let id_matches = match v.get("id") {
                Some(Value::String(s)) => s == wanted,
                Some(Value::Number(n)) => n.to_string() == wanted,
                _ => false,
            };
            (name == wanted || id_matches).then_some(v)
        })
    };
    let chosen = view
        .filter(|v| !v.is_empty())
        .and_then(named)
        .filter(is_list)
        .or_else(|| {
            let mut lists: Vec<&Value> = def.views.values().filter(is_list).collect();
            lists.sort_by_key(|v| index_of(v));
            lists.first().copied()
        });
    let text_of = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (view_name, filter, sort) = (
        text_of(chosen, "name"),
        text_of(chosen, "filterCond"),
        text_of(chosen, "sort"),
    );
    let mut codes: Vec<String> = chosen
        .and_then(|v| v.get("fields"))
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if codes.is_empty() {
        codes = def
            .properties
            .iter()
            .filter(|(_, p)| !p.field_type.is_layout_only() && p.field_type != FieldType::Subtable)
            .map(|(c, _)| c.clone())
            .collect();
    }
    let extra = extra.map(str::trim).unwrap_or_default();
    let mut text = match (filter.trim().is_empty(), extra.is_empty()) {
        (true, true) => String::new(),
        (false, true) => filter,
        (true, false) => extra.to_owned(),
        (false, false) => format!("({filter}) and ({extra})"),
    };
    let ctx = acting.query_context(&live, None);
    match chosen_sort.map(str::trim).filter(|s| !s.is_empty()) {
        Some(chosen) => text = format!("{text} order by {}", sort_keys(chosen)?),
        None if !sort.trim().is_empty() => text = format!("{text} order by {sort}"),
        None => {}
    }
    let q = query::prepare(&text, &ctx)?;
    let mut found = records::list_records(
        conn,
        &live,
        &ListRequest {
            query: &q,
            context: &ctx,
            // One more than printed, to tell that the list was cut (above the API's page size).
            limit: Some(LIST_PRINT_LIMIT + 1),
            offset: Some(0),
        },
    )?;
    let truncated = found.len() as i64 > LIST_PRINT_LIMIT;
    found.truncate(LIST_PRINT_LIMIT as usize);
    let records: Vec<PrintRecord> = found
        .iter()
        .map(|r| print_record(&live, r, acting.timezone()))
        .collect();
    // Only columns the caller may view (field rights are per field, not per record here).
    let columns = codes
        .into_iter()
        .filter_map(|code| {
            let field = def.field(&code)?;
            if field.subtable.is_some() || !live.access.field_queryable(def, &code) {
                return None;
            }
            Some((code, field.property.label.clone()))
        })
        .collect::<Vec<(String, String)>>();
    let rows = records
        .iter()
        .map(|r| ListRow {
            id: r.id,
            cells: columns
                .iter()
                .map(|(code, _)| {
                    r.texts
                        .get(code)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect(),
        })
        .collect();
    Ok(ListPrint {
        app_id: app.0,
        app_name: def.name.clone(),
        view_name,
        columns,
        records,
        rows,
        truncated,
        codes: record_codes(def),
    })
}

/// A sort chosen on the list, checked to be only sort keys (no `limit`, `offset` or condition
/// smuggled in after `order by`); returned as written, for the query it is appended to.
fn sort_keys(sort: &str) -> Result<&str, UserError> {
    let parsed = query::parse(&format!("order by {sort}"))?;
    if parsed.condition.is_some() || parsed.limit.is_some() || parsed.offset.is_some() {
        return Err(UserError::query(
            QueryErrorCode::Syntax,
            format!("The sort ({sort}) must be field codes with asc or desc, separated by commas."),
        ));
    }
    Ok(sort)
}

fn record_codes(def: &AppDefinition) -> Vec<String> {
    def.properties
        .iter()
        .filter(|(_, p)| !p.field_type.is_layout_only())
        .map(|(c, _)| c.clone())
        .collect()
}

fn index_of(view: &Value) -> i64 {
    match view.get("index") {
        Some(Value::String(s)) => s.parse().unwrap_or(i64::MAX),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::MAX),
        _ => i64::MAX,
    }
}

/// The fields of one record the caller may view, as printed texts.
fn print_record(live: &LiveApp, stored: &StoredRecord, tz: chrono_tz::Tz) -> PrintRecord {
    let json = record_json(live, stored, None);
    let mut fields = Vec::new();
    let mut texts = Map::new();
    for code in form_order(&live.definition) {
        let Some(property) = live.definition.properties.get(&code) else {
            continue;
        };
        let code = &code;
        let Some(field) = json.get(code) else {
            continue;
        };
        let value = field.get("value").unwrap_or(&Value::Null);
        let (text, table) = if property.field_type == FieldType::Subtable {
            let inner: Vec<(&String, FieldType, &String)> = property
                .fields
                .iter()
                .flat_map(|f| f.iter())
                // A column the caller may not view is left out, not printed empty.
                .filter(|(c, _)| records::field_viewable(live, stored, c))
                .map(|(c, p)| (c, p.field_type, &p.label))
                .collect();
            let rows = value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|row| {
                    inner
                        .iter()
                        .map(|(c, t, _)| {
                            let cell = row
                                .get("value")
                                .and_then(|v| v.get(c.as_str()))
                                .and_then(|v| v.get("value"))
                                .unwrap_or(&Value::Null);
                            display_text(*t, cell, tz)
                        })
                        .collect()
                })
                .collect();
            let columns = inner.iter().map(|(_, _, l)| (*l).clone()).collect();
            let codes = inner.iter().map(|(c, _, _)| (*c).clone()).collect();
            (
                String::new(),
                Some(PrintTable {
                    codes,
                    columns,
                    rows,
                }),
            )
        } else {
            (display_text(property.field_type, value, tz), None)
        };
        texts.insert(code.clone(), Value::String(text.clone()));
        fields.push(PrintField {
            code: code.clone(),
            label: property.label.clone(),
            text,
            table,
        });
    }
    PrintRecord {
        id: stored.id,
        fields,
        texts,
    }
}

/// Field codes in the order of the form layout (rows, groups' rows, subtables), then any field the
/// layout does not place, in definition order.
fn form_order(def: &AppDefinition) -> Vec<String> {
    fn walk(items: &[Value], out: &mut Vec<String>) {
        for item in items {
            if let Some(code) = item.get("code").and_then(Value::as_str) {
                if item.get("type").and_then(Value::as_str) == Some("SUBTABLE")
                    || !out.iter().any(|c| c == code)
                {
                    out.push(code.to_owned());
                }
            }
            if item.get("type").and_then(Value::as_str) == Some("SUBTABLE") {
                continue;
            }
            for key in ["fields", "layout"] {
                if let Some(inner) = item.get(key).and_then(Value::as_array) {
                    walk(inner, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&def.layout, &mut out);
    out.retain(|c| def.properties.contains_key(c));
    out.dedup();
    for code in def.properties.keys() {
        if !out.contains(code) {
            out.push(code.clone());
        }
    }
    out
}

/// A field value as printed: option lists joined with "、", people and files by name, date-times in
/// the caller's time zone, numbers as stored.
pub fn display_text(t: FieldType, value: &Value, tz: chrono_tz::Tz) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => match t {
            FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime => {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|_| s.clone())
            }
            // Rich text prints as its text: the page escapes what it prints, so tags would show.
            FieldType::RichText => strip_tags(s),
            _ => s.clone(),
        },
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("name")
                    .or_else(|| o.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("code"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        other => other.to_string(),
    }
}

/// The text of rich-text HTML: tags dropped, block ends as line breaks, the common entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in html.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag.trim_start_matches('/').to_ascii_lowercase();
                if name.starts_with("br")
                    || (tag.starts_with('/')
                        && (name.starts_with('p')
                            || name.starts_with("div")
                            || name.starts_with("li")))
                {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim_end()
        .to_owned()
}

/// An app has at most this many print templates.
pub const MAX_TEMPLATES: usize = 50;

/// Replaces the app's print templates with `sent` (a list of `{id?, name, source, target,
/// orientation?}`; `orientation` is `portrait`, the default, or `landscape`),
/// checked; returns the stored list (with ids). A template sent with an existing id keeps it; others
/// get new ids. `check_source` is the renderer's own check (the engine has no template engine):
/// `Err(message)` for a source it refuses, e.g. a syntax error with its line.
///
/// Errors: `Validation` with every problem, keyed `printTemplates[i].<member>`.
pub fn replace_templates(
    def: &mut AppDefinition,
    sent: &[Value],
    check_source: &dyn Fn(&str) -> Result<(), Message>,
) -> Result<Vec<Value>, UserError> {
    let mut errors = FieldErrors::new();
    if sent.len() > MAX_TEMPLATES {
        errors.insert(
            "printTemplates".into(),
            vec![Message::keyed(
                "print.err.too_many",
                format!("An app has at most {MAX_TEMPLATES} print templates."),
            )
            .arg("max", MAX_TEMPLATES.to_string())],
        );
        return Err(UserError::Validation(errors));
    }
    let id_of = |v: &Value| match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let previous: Vec<String> = def.print_templates.iter().filter_map(id_of).collect();
    let mut next_id = previous
        .iter()
        .filter_map(|s| s.parse::<i64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, t) in sent.iter().enumerate() {
        let prefix = format!("printTemplates[{i}]");
        let text = |k: &str| t.get(k).and_then(Value::as_str).map(str::trim);
        let name = text("name").unwrap_or_default();
        if name.is_empty() || name.chars().count() > 100 {
            errors.insert(
                format!("{prefix}.name"),
                vec![Message::keyed(
                    "print.err.name",
                    "Enter a name of 1 to 100 characters.",
                )],
            );
        }
        let target = text("target").unwrap_or("record");
        if target != "record" && target != "list" {
            errors.insert(
                format!("{prefix}.target"),
                vec![Message::keyed(
                    "print.err.target",
                    "The target must be record or list.",
                )],
            );
        }
        let source = t.get("source").and_then(Value::as_str).unwrap_or_default();
        if source.trim().is_empty() {
            errors.insert(
                format!("{prefix}.source"),
                vec![Message::keyed(
                    "print.err.source_empty",
                    "Enter the template.",
                )],
            );
        } else if let Err(m) = check_source(source) {
            errors.insert(format!("{prefix}.source"), vec![m]);
        }
        let orientation = match text("orientation").filter(|o| !o.is_empty()) {
            None => Some(Orientation::Portrait),
            Some(o) => Orientation::parse(o),
        };
        if orientation.is_none() {
            errors.insert(format!("{prefix}.orientation"), vec![orientation_message()]);
        }
        let orientation = orientation.unwrap_or_default().as_str();
        let id = id_of(t)
            .filter(|id| previous.contains(id))
            .filter(|id| used.insert(id.clone()))
            .unwrap_or_else(|| {
                let id = next_id.to_string();
                next_id += 1;
                id
            });
        out.push(serde_json::json!({
            "id": id, "name": name, "target": target, "orientation": orientation,
            "source": source,
        }));
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors));
    }
    def.print_templates = out.clone();
    Ok(out)
}

/// Refuses a record id that is not positive before anything is read.
pub fn check_record_id(id: i64) -> EngineResult<i64> {
    if id > 0 {
        Ok(id)
    } else {
        Err(UserError::RecordNotFound(id.to_string()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_people_read_them() -> Result<(), String> {
        let tz = chrono_tz::Asia::Tokyo;
        let people = serde_json::json!([{"code": "sato", "name": "佐藤 花子"}, {"code": "ito", "name": "伊藤 誠"}]);
        assert_eq!(
            display_text(FieldType::UserSelect, &people, tz),
            "佐藤 花子、伊藤 誠"
        );
        let when = Value::String("2026-01-02T03:04:00Z".into());
        assert_eq!(
            display_text(FieldType::Datetime, &when, tz),
            "2026-01-02 12:04"
        );
        let options = serde_json::json!(["A", "B"]);
        assert_eq!(display_text(FieldType::CheckBox, &options, tz), "A、B");
        assert_eq!(display_text(FieldType::Number, &Value::Null, tz), "");
        Ok(())
    }

    #[test]
    fn a_chosen_sort_is_only_sort_keys() -> Result<(), String> {
        assert_eq!(
            sort_keys("文書番号 asc, $id desc").map_err(|e| e.to_string())?,
            "文書番号 asc, $id desc"
        );
        for smuggled in [
            "件名 asc limit 1",
            "件名 asc offset 5",
            "件名 = \"x\"",
            "件名 asc) or (1",
        ] {
            assert!(sort_keys(smuggled).is_err(), "{smuggled}");
        }
        Ok(())
    }

    #[test]
    fn orientation_is_portrait_unless_asked_for_landscape() {
        assert_eq!(
            Orientation::from_param(None).ok(),
            Some(Orientation::Portrait)
        );
        assert_eq!(
            Orientation::from_param(Some(" ")).ok(),
            Some(Orientation::Portrait)
        );
        assert_eq!(
            Orientation::from_param(Some("landscape")).ok(),
            Some(Orientation::Landscape)
        );
        assert!(Orientation::from_param(Some("Landscape")).is_err());
        assert!(Orientation::from_param(Some("sideways")).is_err());
    }
}

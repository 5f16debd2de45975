//! Print templates (issue 16, item 5): handlebars sources written by an app's managers, kept in the
//! app definition's `print_templates` and rendered here into a print page.
//!
//! A template is untrusted text, so it gets its own registry, never the pages' one: strict mode (a
//! misspelt field is an error, not a blank), HTML-escaped output, no custom helpers (nothing can
//! reach data beyond the record(s) handed in), and no partials, decorators or raw `{{{ }}}` output
//! (refused on save and on render: inline partials can recurse without end, raw output would let
//! a record value write HTML). Output is capped in size and time by the writer it renders into.
//!
//! Data (documented in docs/printing.md): `app.name`, `printedAt`, `printedAtWareki`, and for a record
//! `record.id`, `fields.<code>.label` / `.value` (subtables: `.rows`, a list of `{<code>: text}`),
//! plus each top-level field's text directly as `{{<code>}}`; for a list `view.name`, `columns`,
//! `records` (each with `id`, `fields` and the direct codes) and `truncated`. Fields the viewer may
//! not see are present as empty text, so one template serves users with different rights without
//! revealing anything.

use std::io::Write;
use std::time::{Duration, Instant};

use handlebars::Handlebars;
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{load_definition, AppId, PREVIEW};
use kumiki_engine::print::{ListPrint, Orientation, PrintRecord, RecordPrint};
use kumiki_engine::EngineError;
use serde_json::{json, Map, Value};

use super::session::SessionUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest template source accepted.
pub const MAX_SOURCE: usize = 100_000;
/// The most a rendering may write.
const MAX_OUTPUT: usize = 8 * 1024 * 1024;
/// The longest a rendering may take.
const MAX_TIME: Duration = Duration::from_secs(3);

/// Names the data gives meaning to; a field with one of these codes is only under `fields`.
const RESERVED: [&str; 8] = [
    "app",
    "fields",
    "record",
    "records",
    "view",
    "columns",
    "printedAt",
    "printedAtWareki",
];

/// One template of an app, as stored.
#[derive(Debug, Clone)]
pub struct PrintTemplate {
    pub id: String,
    pub name: String,
    pub source: String,
    /// `record` or `list`.
    pub target: String,
    /// The paper the template is laid out on (portrait when the stored value is missing).
    pub orientation: Orientation,
}

impl PrintTemplate {
    pub fn from_value(v: &Value) -> Option<PrintTemplate> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(PrintTemplate {
            id: text("id")?,
            name: text("name").unwrap_or_default(),
            source: text("source").unwrap_or_default(),
            target: text("target").unwrap_or_else(|| "record".into()),
            orientation: text("orientation")
                .and_then(|o| Orientation::parse(&o))
                .unwrap_or_default(),
        })
    }
}

/// The result of rendering: the HTML, or a catalog key and a detail (line, reason).
pub enum Rendered {
    Html(String),
    Error(&'static str, String),
}

/// The templates of `app`'s live definition, when the user may view the app (the print views'
/// toolbar lists them).
pub fn live_templates(
    state: &AppState,
    user: &SessionUser,
    app: i64,
) -> Result<Vec<PrintTemplate>, ApiError> {
    let mut conn = state.conn()?;
    match user
        .acting(state)
        .open_app(&mut conn, AppId(app), AppRight::View)
    {
        Ok(live) => Ok(live
            .definition
            .print_templates
            .iter()
            .filter_map(PrintTemplate::from_value)
            .collect()),
        Err(EngineError::User(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Template `id` of `app`'s live definition, when the user may view the app; with `preview`, of
/// its pre-live definition, when the user manages the app (the settings tab's 「プレビュー」).
pub fn find_template(
    state: &AppState,
    user: &SessionUser,
    app: i64,
    id: &str,
    preview: bool,
) -> Result<Option<PrintTemplate>, ApiError> {
    let mut conn = state.conn()?;
    let right = if preview {
        AppRight::Manage
    } else {
        AppRight::View
    };
    let live = match user.acting(state).open_app(&mut conn, AppId(app), right) {
        Ok(live) => live,
        Err(EngineError::User(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let templates = if preview {
        match load_definition(&mut conn, AppId(app), PREVIEW)? {
            Some((def, _)) => def.print_templates,
            None => return Ok(None),
        }
    } else {
        live.definition.print_templates
    };
    Ok(templates
        .iter()
        .filter_map(PrintTemplate::from_value)
        .find(|t| t.id == id))
}

/// Refuses what a print template may not use; `Err((catalog key, detail))`.
pub fn check(source: &str) -> Result<(), (&'static str, String)> {
    if source.len() > MAX_SOURCE {
        return Err(("print.error.too_long", MAX_SOURCE.to_string()));
    }
    for (n, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("{{") {
            let after = &rest[at + 2..];
            let tag = after.trim_start_matches(['~', ' ', '\t']);
            let forbidden = tag.starts_with('{')
                || tag.starts_with('&')
                || tag.starts_with('>')
                || tag.starts_with('*')
                || tag.starts_with("#>")
                || tag.starts_with("#*")
                || tag.starts_with("#~>");
            if forbidden {
                return Err(("print.error.forbidden", (n + 1).to_string()));
            }
            rest = after;
        }
    }
    handlebars::Template::compile(source)
        .map(|_| ())
        .map_err(|e| {
            // The parser's own reason lists grammar rules, which helps nobody: the line is enough.
            let line = e
                .pos()
                .map_or_else(|| "?".to_owned(), |(l, _)| l.to_string());
            ("print.error.syntax", line)
        })
}

/// Renders `source` with `data` in a fresh, strict, helper-less registry, within the caps.
pub fn render(source: &str, data: &Value) -> Rendered {
    if let Err((key, detail)) = check(source) {
        return Rendered::Error(key, detail);
    }
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    let mut out = Capped {
        bytes: Vec::new(),
        started: Instant::now(),
    };
    match hb.render_template_to_write(source, data, &mut out) {
        // Values are escaped by the registry; the template's own markup is cleaned here (the
        // page inserts it unescaped: tests/it/security_xss.rs lists it).
        Ok(()) => Rendered::Html(kumiki_engine::spaces::html::sanitize_print(
            &String::from_utf8_lossy(&out.bytes),
        )),
        Err(e) if out.bytes.len() > MAX_OUTPUT || out.started.elapsed() > MAX_TIME => {
            Rendered::Error("print.error.too_big", e.to_string())
        }
        Err(e) => {
            let line = e.line_no.map(|l| l.to_string()).unwrap_or_default();
            Rendered::Error("print.error.render", format!("{line}: {}", e.reason()))
        }
    }
}

/// A writer that refuses to grow past `MAX_OUTPUT` or to run past `MAX_TIME`.
struct Capped {
    bytes: Vec<u8>,
    started: Instant,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT || self.started.elapsed() > MAX_TIME {
            self.bytes.extend_from_slice(b" ");
            return Err(std::io::Error::other(
                "print template output over its limit",
            ));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A printed record as template data: `id`, `fields` and the direct codes.
fn record_value(r: &PrintRecord, all_codes: &[String]) -> Value {
    let mut fields = Map::new();
    let mut out = Map::new();
    // Hidden fields: empty, so a template works for everyone and shows nothing more.
    for code in all_codes {
        fields.insert(code.clone(), json!({"label": "", "value": "", "rows": []}));
        if !RESERVED.contains(&code.as_str()) {
            out.insert(code.clone(), Value::String(String::new()));
        }
    }
    for f in &r.fields {
        let rows: Vec<Value> = f
            .table
            .as_ref()
            .map(|t| {
                t.rows
                    .iter()
                    .map(|cells| {
                        let row: Map<String, Value> = t
                            .codes
                            .iter()
                            .zip(cells)
                            .map(|(c, v)| (c.clone(), Value::String(v.clone())))
                            .collect();
                        Value::Object(row)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let value = if f.table.is_some() {
            Value::Array(rows.clone())
        } else {
            Value::String(f.text.clone())
        };
        fields.insert(
            f.code.clone(),
            json!({"label": f.label, "value": value, "rows": rows}),
        );
        if !RESERVED.contains(&f.code.as_str()) {
            out.insert(f.code.clone(), value);
        }
    }
    out.insert("id".into(), Value::from(r.id));
    out.insert("fields".into(), Value::Object(fields));
    Value::Object(out)
}

fn common(app_name: &str, printed_at: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("app".into(), json!({"name": app_name}));
    m.insert("printedAt".into(), Value::String(printed_at.to_owned()));
    m.insert(
        "printedAtWareki".into(),
        Value::String(wareki(printed_at).unwrap_or_default()),
    );
    m
}

/// The data of a record print.
pub fn record_data(p: &RecordPrint, printed_at: &str) -> Value {
    let mut m = common(&p.app_name, printed_at);
    if let Value::Object(rec) = record_value(&p.record, &p.codes) {
        for (k, v) in &rec {
            if k != "id" && !m.contains_key(k) {
                m.insert(k.clone(), v.clone());
            }
        }
        m.insert("record".into(), Value::Object(rec));
    }
    Value::Object(m)
}

/// The data of a list print.
pub fn list_data(p: &ListPrint, printed_at: &str) -> Value {
    let mut m = common(&p.app_name, printed_at);
    m.insert("view".into(), json!({"name": p.view_name}));
    let columns: Vec<Value> = p
        .columns
        .iter()
        .map(|(code, label)| json!({"code": code, "label": label}))
        .collect();
    m.insert("columns".into(), Value::Array(columns));
    let records: Vec<Value> = p
        .records
        .iter()
        .map(|r| record_value(r, &p.codes))
        .collect();
    m.insert("records".into(), Value::Array(records));
    m.insert("truncated".into(), Value::Bool(p.truncated));
    Value::Object(m)
}

/// `2026-12-06 12:00` as 令和8年12月6日 (eras from Meiji 6, when the solar calendar began).
pub fn wareki(date: &str) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let ymd = (d.year(), d.month(), d.day());
    let eras = [
        ((2019, 5, 1), "令和", 2019),
        ((1989, 1, 8), "平成", 1989),
        ((1926, 12, 25), "昭和", 1926),
        ((1912, 7, 30), "大正", 1912),
        ((1873, 1, 1), "明治", 1868),
    ];
    let (_, name, first) = eras.iter().find(|(start, _, _)| ymd >= *start)?;
    let year = d.year() - first + 1;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Some(format!("{name}{year}年{}月{}日", d.month(), d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_japanese_eras() {
        assert_eq!(
            wareki("2026-12-06 10:00").as_deref(),
            Some("令和8年12月6日")
        );
        assert_eq!(wareki("2019-05-01").as_deref(), Some("令和元年5月1日"));
        assert_eq!(wareki("2019-04-30").as_deref(), Some("平成31年4月30日"));
        assert_eq!(wareki("garbage"), None);
    }

    #[test]
    fn partials_raw_output_and_syntax_errors_are_refused() {
        assert!(check("{{> other}}").is_err());
        assert!(check("{{#*inline \"a\"}}{{> a}}{{/inline}}").is_err());
        assert!(check("{{{raw}}}").is_err());
        assert!(check("{{&raw}}").is_err());
        let Err((key, detail)) = check("line\n{{#if x}}\nno end") else {
            panic!("unclosed block accepted");
        };
        assert_eq!(key, "print.error.syntax");
        assert!(!detail.is_empty());
        assert!(check("{{#each records}}{{件名}}{{/each}}").is_ok());
    }

    #[test]
    fn values_are_escaped_and_unknown_names_fail() {
        let data = json!({"件名": "<b>x</b>"});
        match render("<p>{{件名}}</p>", &data) {
            Rendered::Html(h) => assert_eq!(h, "<p>&lt;b&gt;x&lt;/b&gt;</p>"),
            Rendered::Error(k, d) => panic!("{k}: {d}"),
        }
        assert!(matches!(render("{{nope}}", &data), Rendered::Error(..)));
    }
}

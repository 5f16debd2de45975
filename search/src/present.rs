//! Turning the page's record hits into results: the best part's snippet (HTML-escaped, matches in
//! `<mark>`) with the label of that part's field (and subtable) or, for a file, the file's name, and
//! the record's title (`AppDefinition::title_field`, only when the searcher may read that field).

use std::collections::HashMap;

use kumiki_engine::apps::AppDefinition;
use kumiki_engine::db::DbConn;
use serde_json::{Map, Value};
use tantivy::query::Query;
use tantivy::schema::Value as _;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, TantivyDocument};

use crate::collector::RecordHit;
use crate::error::SearchError;
use crate::index::SearchIndex;
use crate::permissions::{field_readable, VisibleApp};
use crate::schema::PartKind;
use crate::search::Hit;

const SNIPPET_CHARS: usize = 160;

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The fragment, HTML-escaped, with `<mark>` around the highlighted byte ranges (merged when they
/// overlap; ranges outside the fragment or off a char boundary are dropped).
fn snippet_html(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    let mut ranges: Vec<std::ops::Range<usize>> = highlighted
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= fragment.len()
                && fragment.is_char_boundary(r.start)
                && fragment.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut html = String::new();
    let mut at = 0;
    for r in merged {
        html.push_str(&escape(&fragment[at..r.start]));
        html.push_str("<mark>");
        html.push_str(&escape(&fragment[r.start..r.end]));
        html.push_str("</mark>");
        at = r.end;
    }
    html.push_str(&escape(&fragment[at..]));
    html
}

/// The file key of a file part's key `<app>/<record>/file/<fileKey>`.
fn file_key_of(part_key: &str) -> String {
    part_key
        .split_once("/file/")
        .map(|(_, key)| key.to_owned())
        .unwrap_or_default()
}

/// The code of the field that names a record (the one definition, `AppDefinition::title_field`).
fn title_code(def: &AppDefinition) -> Option<String> {
    def.title_field().map(str::to_owned)
}

fn title_of(
    v: &VisibleApp,
    code: Option<&str>,
    creator: &str,
    data: &Map<String, Value>,
) -> String {
    let Some(code) = code else {
        return String::new();
    };
    let def = &v.app.definition;
    if !field_readable(v.access(), def, code, creator == v.access().user) {
        return String::new();
    }
    match data.get(code) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Results for the page's hits, in order.
pub fn present(
    index: &SearchIndex,
    conn: &mut DbConn,
    searcher: &Searcher,
    text_query: &dyn Query,
    apps: &HashMap<i64, &VisibleApp>,
    page: &[RecordHit],
) -> Result<Vec<Hit>, SearchError> {
    let f = &index.fields;
    let mut generator = SnippetGenerator::create(searcher, text_query, f.text)?;
    generator.set_max_num_chars(SNIPPET_CHARS);
    let mut titles: HashMap<(i64, i64), String> = HashMap::new();
    let mut ids_by_app: HashMap<i64, Vec<i64>> = HashMap::new();
    for h in page {
        ids_by_app.entry(h.app).or_default().push(h.record);
    }
    for (app, ids) in &ids_by_app {
        let Some(v) = apps.get(app) else { continue };
        let code = title_code(&v.app.definition);
        for r in crate::source::records_by_id(conn, *app, ids)? {
            let data: Map<String, Value> = serde_json::from_str(&r.data).unwrap_or_default();
            titles.insert(
                (*app, r.id),
                title_of(v, code.as_deref(), &r.creator, &data),
            );
        }
    }
    let mut out = Vec::with_capacity(page.len());
    for h in page {
        let Some(v) = apps.get(&h.app) else { continue };
        let doc: TantivyDocument = searcher.doc(h.doc)?;
        let field_code = text_of(&doc, f.field_code);
        let kind = PartKind::parse(&text_of(&doc, f.kind)).unwrap_or(PartKind::Field);
        // The generator works on analyzer offsets; a bad range must cost a snippet, not the search.
        let mut html = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let snippet = generator.snippet_from_doc(&doc);
            snippet_html(snippet.fragment(), snippet.highlighted())
        }))
        .unwrap_or_default();
        let text = text_of(&doc, f.text);
        // A file part's text is its name, a line break, then the extracted text.
        let (file_name, body) = match kind {
            PartKind::File => text.split_once('\n').unwrap_or((text.as_str(), "")),
            _ => ("", text.as_str()),
        };
        if html.trim().is_empty() {
            html = escape(&body.chars().take(SNIPPET_CHARS).collect::<String>());
        }
        let def = &v.app.definition;
        let field = def.field(&field_code);
        let field_label = field
            .as_ref()
            .map(|r| r.property.label.clone())
            .unwrap_or_default();
        let subtable_label = field
            .and_then(|r| r.subtable)
            .and_then(|table| def.properties.get(table))
            .map(|p| p.label.clone())
            .unwrap_or_default();
        let file_key = match kind {
            PartKind::File => file_key_of(&text_of(&doc, f.part_key)),
            _ => String::new(),
        };
        out.push(Hit {
            app: h.app,
            app_name: v.name().to_owned(),
            record: h.record,
            title: titles.remove(&(h.app, h.record)).unwrap_or_default(),
            updated: h.updated,
            kind,
            field_code,
            field_label,
            subtable_label,
            file_type: text_of(&doc, f.file_type),
            file_name: file_name.trim().to_owned(),
            file_key,
            snippet: html,
            score: h.score,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::snippet_html;

    #[test]
    fn snippets_escape_and_survive_bad_ranges() {
        let html = snippet_html(
            "a<b>県の市町村",
            &[(4..7), (7..10), (3..3), (12..99), (5..6)],
        );
        assert_eq!(html, "a&lt;b&gt;<mark>県の</mark>市町村");
    }
}

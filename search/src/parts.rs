//! A record → its searchable parts (tantivy documents): each text field value, each text cell of a
//! subtable row, each comment, each attached file (name + extracted text).

use std::collections::HashMap;

use kumiki_engine::apps::AppDefinition;
use kumiki_engine::fields::FieldType;
use serde_json::{Map, Value};
use tantivy::TantivyDocument;

use crate::schema::{record_key, Fields, PartKind};
use crate::source::{CommentRow, FileText, RecordRow};

/// One part before it becomes a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Part {
    pub key: String,
    pub kind: PartKind,
    pub field_code: String,
    pub text: String,
    pub file_type: String,
}

fn is_text_type(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::SingleLineText
            | FieldType::MultiLineText
            | FieldType::RichText
            | FieldType::Link
    )
}

fn text_of(t: FieldType, value: &Value) -> Option<String> {
    let s = value.as_str()?;
    let text = if t == FieldType::RichText {
        strip_tags(s)
    } else {
        s.to_owned()
    };
    (!text.trim().is_empty()).then_some(text)
}

/// File entries (`fileKey`, `name`) of a FILE value.
fn file_entries(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|f| {
                    let key = f.get("fileKey")?.as_str()?.to_owned();
                    let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                    Some((key, name.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The parts of one record. `texts` holds extraction results by file key (a file without one is
/// indexed by its name only).
pub fn record_parts(
    def: &AppDefinition,
    app: i64,
    record: &RecordRow,
    comments: &[&CommentRow],
    texts: &HashMap<String, FileText>,
) -> Vec<Part> {
    let values: Map<String, Value> = serde_json::from_str(&record.data).unwrap_or_default();
    let base = record_key(app, record.id);
    let mut parts = Vec::new();
    let add_file = |code: &str, key: String, name: String, parts: &mut Vec<Part>| {
        let (file_type, body) = match texts.get(&key) {
            Some(t) => (t.file_type.clone(), t.text.as_str()),
            None => (String::new(), ""),
        };
        parts.push(Part {
            key: format!("{base}/file/{key}"),
            kind: PartKind::File,
            field_code: code.to_owned(),
            text: format!("{name}\n{body}"),
            file_type,
        });
    };
    for (code, property) in &def.properties {
        let t = property.field_type;
        let value = values.get(code).unwrap_or(&Value::Null);
        if is_text_type(t) {
            if let Some(text) = text_of(t, value) {
                parts.push(Part {
                    key: format!("{base}/field/{code}"),
                    kind: PartKind::Field,
                    field_code: code.clone(),
                    text,
                    file_type: String::new(),
                });
            }
        } else if t == FieldType::File {
            for (key, name) in file_entries(value) {
                add_file(code, key, name, &mut parts);
            }
        } else if t == FieldType::Subtable {
            let (Some(inner), Some(rows)) = (&property.fields, value.as_array()) else {
                continue;
            };
            for row in rows {
                let row_id = match row.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => continue,
                };
                let cells = row.get("value").and_then(Value::as_object);
                for (inner_code, p) in inner {
                    let cell = cells
                        .and_then(|c| c.get(inner_code))
                        .and_then(|c| c.get("value"))
                        .unwrap_or(&Value::Null);
                    if is_text_type(p.field_type) {
                        if let Some(text) = text_of(p.field_type, cell) {
                            parts.push(Part {
                                key: format!("{base}/field/{inner_code}/{row_id}"),
                                kind: PartKind::Field,
                                field_code: inner_code.clone(),
                                text,
                                file_type: String::new(),
                            });
                        }
                    } else if p.field_type == FieldType::File {
                        for (key, name) in file_entries(cell) {
                            add_file(inner_code, key, name, &mut parts);
                        }
                    }
                }
            }
        }
    }
    for c in comments {
        if c.text.trim().is_empty() {
            continue;
        }
        parts.push(Part {
            key: format!("{base}/comment/{}", c.id),
            kind: PartKind::Comment,
            field_code: String::new(),
            text: c.text.clone(),
            file_type: String::new(),
        });
    }
    parts
}

/// The tantivy document of a part.
pub fn to_document(fields: &Fields, app: i64, record: &RecordRow, part: &Part) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.part_key, &part.key);
    doc.add_text(fields.record_key, record_key(app, record.id));
    doc.add_u64(fields.app_id, u64::try_from(app).unwrap_or(0));
    doc.add_u64(fields.record_id, u64::try_from(record.id).unwrap_or(0));
    doc.add_text(fields.kind, part.kind.as_str());
    doc.add_text(fields.field_code, &part.field_code);
    doc.add_text(fields.text, &part.text);
    if let Some(words) = fields.text_morph {
        doc.add_text(words, &part.text);
    }
    doc.add_text(fields.creator, &record.creator);
    doc.add_i64(fields.created, record.created_at);
    doc.add_i64(fields.updated, record.updated_at);
    doc.add_text(fields.file_type, &part.file_type);
    doc
}

/// The text of rich-text HTML: tags dropped (block ends become line breaks), common entities decoded.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let tag = after[1..gt].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
        ) {
            out.push('\n');
        }
        rest = &after[gt + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_text_loses_its_tags() {
        assert_eq!(
            strip_tags("<p>市町村<b>課</b></p><div>a &amp; b</div>"),
            "\n市町村課\n\na & b\n"
        );
        assert_eq!(strip_tags("a < b"), "a < b");
    }
}

//! kintone's system field codes in Kumiki's names. A Japanese kintone names its system fields
//! レコード番号, 作成者, ステータス, … where Kumiki has `Record_number`, `Created_by`, `Status`, …
//! (and kintone lets the first five be renamed). Views, layouts, lookups, permissions, process
//! and notification settings name them by code, so each such reference is renamed when an app's
//! files are converted (`kintone_files`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::apps::AppDefinition;
use crate::fields::FieldType;

/// One app's renames: kintone system field code → Kumiki's (only those that differ).
#[derive(Debug, Clone, Default)]
pub struct Renames(HashMap<String, String>);

/// The renames for an app whose `form/fields.json` properties are `fields`.
pub fn system_renames(fields: &Map<String, Value>) -> Renames {
    let defaults = AppDefinition::new("x");
    let mut out = HashMap::new();
    for (code, property) in fields {
        let Some(t) = property
            .get("type")
            .and_then(Value::as_str)
            .and_then(FieldType::from_name)
            .filter(|t| t.is_system())
        else {
            continue;
        };
        let kumiki = defaults
            .properties
            .iter()
            .find(|(_, p)| p.field_type == t)
            .map(|(c, _)| c.clone());
        if let Some(kumiki) = kumiki.filter(|k| k != code) {
            out.insert(code.clone(), kumiki);
        }
    }
    Renames(out)
}

/// Members whose string value is one field code.
const CODE_MEMBERS: [&str; 5] = ["code", "field", "relatedField", "date", "title"];
/// Members holding a list of field codes.
const LIST_MEMBERS: [&str; 3] = ["fields", "lookupPickerFields", "displayFields"];
/// Members holding a query or formula, in which codes appear as words.
const TEXT_MEMBERS: [&str; 3] = ["filterCond", "sort", "expression"];

impl Renames {
    fn rename(&self, s: &mut String) {
        if let Some(to) = self.0.get(s.as_str()) {
            s.clone_from(to);
        }
    }

    /// Renames every reference inside a section of one app (layout, views, process, …).
    pub fn apply(&self, value: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            Value::Object(obj) => {
                for (k, v) in obj.iter_mut() {
                    self.apply_member(k, v);
                }
            }
            _ => {}
        }
    }

    fn apply_member(&self, member: &str, v: &mut Value) {
        match v {
            Value::String(s) if CODE_MEMBERS.contains(&member) => self.rename(s),
            Value::String(s) if TEXT_MEMBERS.contains(&member) => *s = self.in_text(s),
            Value::Array(items) if LIST_MEMBERS.contains(&member) => {
                for item in items.iter_mut() {
                    match item {
                        Value::String(s) => self.rename(s),
                        other => self.apply(other),
                    }
                }
            }
            other => self.apply(other),
        }
    }

    /// Renames inside a field's settings. A lookup's or related-records table's references to
    /// its source app's fields take that app's renames (`all`, by kintone app id).
    pub fn apply_property(&self, property: &mut Value, all: &HashMap<String, Renames>) {
        let Some(obj) = property.as_object_mut() else {
            return;
        };
        for (member, v) in obj.iter_mut() {
            match member.as_str() {
                "lookup" | "referenceTable" => {
                    let source = v
                        .get("relatedApp")
                        .and_then(|r| r.get("app"))
                        .map(|a| match a {
                            Value::Number(n) => n.to_string(),
                            other => other.as_str().unwrap_or_default().to_owned(),
                        })
                        .unwrap_or_default();
                    let other = all.get(&source).cloned().unwrap_or_default();
                    self.apply_related(v, &other);
                }
                "fields" if v.is_object() => {
                    for (_, inner) in v.as_object_mut().into_iter().flatten() {
                        self.apply_property(inner, all);
                    }
                }
                _ => self.apply_member(member, v),
            }
        }
    }

    /// A lookup or related-records table: `field` names this app's field, the rest the source's.
    fn apply_related(&self, related: &mut Value, source: &Renames) {
        let Some(obj) = related.as_object_mut() else {
            return;
        };
        for (member, v) in obj.iter_mut() {
            match member.as_str() {
                "relatedApp" => {}
                "relatedKeyField" => {
                    if let Value::String(s) = v {
                        source.rename(s);
                    }
                }
                "fieldMappings" | "condition" => {
                    let pairs: Vec<&mut Value> = match v {
                        Value::Array(items) => items.iter_mut().collect(),
                        other => vec![other],
                    };
                    for pair in pairs {
                        if let Some(Value::String(s)) = pair.get_mut("field") {
                            self.rename(s);
                        }
                        if let Some(Value::String(s)) = pair.get_mut("relatedField") {
                            source.rename(s);
                        }
                    }
                }
                _ => source.apply_member(member, v),
            }
        }
    }

    /// Renames the codes that appear as whole words outside string literals of a query or formula.
    fn in_text(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        let word =
            |c: char| c == '_' || c.is_alphanumeric() || (!c.is_ascii() && !c.is_whitespace());
        let mut out = String::with_capacity(text.len());
        let mut current = String::new();
        let mut quoted = false;
        let mut escaped = false;
        let flush = |current: &mut String, out: &mut String| {
            match self.0.get(current.as_str()) {
                Some(to) => out.push_str(to),
                None => out.push_str(current),
            }
            current.clear();
        };
        for c in text.chars() {
            if quoted {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = false;
                }
                continue;
            }
            if word(c) {
                current.push(c);
                continue;
            }
            flush(&mut current, &mut out);
            if c == '"' {
                quoted = true;
            }
            out.push(c);
        }
        flush(&mut current, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn renames() -> Renames {
        let fields = json!({
            "レコード番号": {"type": "RECORD_NUMBER", "code": "レコード番号"},
            "ステータス": {"type": "STATUS", "code": "ステータス"},
            "Created_by": {"type": "CREATOR", "code": "Created_by"},
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名"},
        });
        system_renames(fields.as_object().unwrap())
    }

    #[test]
    fn system_codes_become_kumikis_in_lists_codes_and_queries() {
        let r = renames();
        let mut view = json!({"fields": ["レコード番号", "件名", "ステータス"],
            "filterCond": "ステータス in (\"ステータス\") and 件名 = \"レコード番号\"",
            "sort": "レコード番号 desc"});
        r.apply(&mut view);
        assert_eq!(view["fields"], json!(["Record_number", "件名", "Status"]));
        assert_eq!(
            view["filterCond"],
            "Status in (\"ステータス\") and 件名 = \"レコード番号\""
        );
        assert_eq!(view["sort"], "Record_number desc");
        let mut entity = json!({"entity": {"type": "FIELD_ENTITY", "code": "ステータス"}});
        r.apply(&mut entity);
        assert_eq!(entity["entity"]["code"], "Status");
    }

    #[test]
    fn a_lookup_takes_its_source_apps_names() {
        let own = Renames::default();
        let all: HashMap<String, Renames> = [("7".to_owned(), renames())].into();
        let mut p = json!({"type": "NUMBER", "code": "番号", "lookup": {
            "relatedApp": {"app": "7", "code": ""}, "relatedKeyField": "レコード番号",
            "fieldMappings": [{"field": "件名", "relatedField": "ステータス"}],
            "lookupPickerFields": ["レコード番号"], "sort": "レコード番号 asc"}});
        own.apply_property(&mut p, &all);
        assert_eq!(p["lookup"]["relatedKeyField"], "Record_number");
        assert_eq!(p["lookup"]["fieldMappings"][0]["relatedField"], "Status");
        assert_eq!(p["lookup"]["fieldMappings"][0]["field"], "件名");
        assert_eq!(p["lookup"]["lookupPickerFields"][0], "Record_number");
        assert_eq!(p["lookup"]["sort"], "Record_number asc");
    }
}

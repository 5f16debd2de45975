//! A readable difference between two app definitions, section by section: the app's name, fields
//! (added, removed, renamed — a field keeps its id across a rename — and changed, property by
//! property), layout (fields moved), views, process (enable, states, actions), permissions (any
//! `…Acl` member), scripts (any `customize`/`script…` member), other settings. Structured for pages
//! (`Serialize`) and rendered as plain text by `to_text`. Output order is deterministic.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::apps::AppDefinition;

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    Renamed,
    Moved,
}

impl ChangeKind {
    fn mark(self) -> &'static str {
        match self {
            ChangeKind::Added => "+",
            ChangeKind::Removed => "-",
            ChangeKind::Changed => "~",
            ChangeKind::Renamed => "→",
            ChangeKind::Moved => "↕",
        }
    }
}

/// One changed property: a path inside the item (`label`, `options.A.index`, `assignee.type`)
/// with its old and new value (`null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    pub path: String,
    pub old: Value,
    pub new: Value,
}

/// One changed item of a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// `app`, `field`, `layout`, `view`, `enable`, `state`, `action`, `acl`, `script`, `setting`.
    pub item: &'static str,
    /// The item's key: field code, view name, state name, `<from>: <action>`, member name.
    pub key: String,
    /// A field's label (new, else old), for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub details: Vec<Detail>,
}

/// The changes of one section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// `app`, `fields`, `layout`, `views`, `process`, `permissions`, `scripts`, `settings`.
    pub section: &'static str,
    pub changes: Vec<Change>,
}

/// Every difference from `old` to `new`; sections without changes are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionDiff {
    pub sections: Vec<Section>,
}

impl DefinitionDiff {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// Plain text, one line per change and one indented line per detail.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            out.push_str(&format!("[{}]\n", s.section));
            for c in &s.changes {
                let label = c
                    .label
                    .as_ref()
                    .filter(|l| **l != c.key)
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{} {} {}{}\n",
                    c.kind.mark(),
                    c.item,
                    c.key,
                    label
                ));
                for d in &c.details {
                    out.push_str(&format!(
                        "    {}: {} → {}\n",
                        d.path,
                        show(&d.old),
                        show(&d.new)
                    ));
                }
            }
        }
        out
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// Members of the definition that are bookkeeping, not settings.
const IGNORED: [&str; 2] = ["fieldIds", "nextFieldId"];
/// Members compared by their own section.
const KNOWN: [&str; 8] = [
    "name",
    "description",
    "code",
    "properties",
    "layout",
    "views",
    "settings",
    "process",
];

/// Compares two definitions.
pub fn diff(old: &AppDefinition, new: &AppDefinition) -> DefinitionDiff {
    let old_json = to_map(old);
    let new_json = to_map(new);
    let mut sections = Vec::new();
    let mut push = |section: &'static str, changes: Vec<Change>| {
        if !changes.is_empty() {
            sections.push(Section { section, changes });
        }
    };
    let app: Vec<Change> = ["name", "description", "code"]
        .into_iter()
        .filter_map(|m| member_change("app", m, old_json.get(m), new_json.get(m)))
        .collect();
    push("app", app);
    push("fields", fields(old, new));
    push("layout", layout(&old.layout, &new.layout));
    push("views", keyed("view", &old.views, &new.views));
    push("process", process(&old.process, &new.process));
    // Members added by later features (permissions, scripts) are compared generically.
    let mut extra: Vec<&String> = old_json
        .keys()
        .chain(new_json.keys())
        .filter(|k| !KNOWN.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
        .collect();
    extra.sort();
    extra.dedup();
    let mut permissions = Vec::new();
    let mut scripts = Vec::new();
    let mut other = Vec::new();
    for k in extra {
        let lower = k.to_ascii_lowercase();
        let (list, item) = if lower.ends_with("acl") || lower.contains("permission") {
            (&mut permissions, "acl")
        } else if lower.contains("script") || lower.contains("customize") {
            (&mut scripts, "script")
        } else {
            (&mut other, "setting")
        };
        list.extend(member_change(item, k, old_json.get(k), new_json.get(k)));
    }
    let settings = keyed_map("setting", &old.settings, &new.settings);
    let (mut setting_scripts, settings): (Vec<Change>, Vec<Change>) =
        settings.into_iter().partition(|c| {
            let k = c.key.to_ascii_lowercase();
            k.contains("script") || k.contains("customize")
        });
    for c in &mut setting_scripts {
        c.item = "script";
    }
    scripts.extend(setting_scripts);
    push("permissions", permissions);
    push("scripts", scripts);
    let mut settings = settings;
    settings.extend(other);
    push("settings", settings);
    DefinitionDiff { sections }
}

fn to_map(def: &AppDefinition) -> Map<String, Value> {
    match serde_json::to_value(def) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A change of one whole member (added, removed, or changed with its details).
fn member_change(
    item: &'static str,
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Option<Change> {
    let old = old.filter(|v| !is_empty(v));
    let new = new.filter(|v| !is_empty(v));
    let kind = match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        (Some(o), Some(n)) if o == n => return None,
        _ => ChangeKind::Changed,
    };
    let details = value_diff(old.unwrap_or(&Value::Null), new.unwrap_or(&Value::Null));
    Some(Change {
        kind,
        item,
        key: key.to_owned(),
        label: None,
        details,
    })
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The leaf values that differ between two JSON values, by path, in path order.
pub fn value_diff(old: &Value, new: &Value) -> Vec<Detail> {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten(old, "", &mut a);
    flatten(new, "", &mut b);
    let mut paths: Vec<&String> = a.keys().chain(b.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|p| {
            let o = a.get(p).cloned().unwrap_or(Value::Null);
            let n = b.get(p).cloned().unwrap_or(Value::Null);
            (o != n).then(|| Detail {
                path: if p.is_empty() {
                    "value".to_owned()
                } else {
                    p.clone()
                },
                old: o,
                new: n,
            })
        })
        .collect()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The key of an array element that names what it is about, so that reordering or inserting into a
/// list of entities does not show every later element as changed.
fn element_key(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    if let Some(e) = o.get("entity").and_then(Value::as_object) {
        let t = e.get("type").and_then(Value::as_str).unwrap_or_default();
        let c = e.get("code").and_then(Value::as_str).unwrap_or_default();
        return Some(format!("{t}:{c}"));
    }
    o.get("code").and_then(Value::as_str).map(str::to_owned)
}

fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, v) in o {
                flatten(v, &join(prefix, k), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let keys: Vec<Option<String>> = a.iter().map(element_key).collect();
            let mut unique: Vec<&String> = keys.iter().flatten().collect();
            unique.sort();
            unique.dedup();
            let keyed = keys.iter().all(Option::is_some) && unique.len() == a.len();
            for (i, (v, k)) in a.iter().zip(&keys).enumerate() {
                let key = match (keyed, k) {
                    (true, Some(k)) => format!("{prefix}[{k}]"),
                    _ => format!("{prefix}[{i}]"),
                };
                flatten(v, &key, out);
            }
        }
        Value::Null => {}
        leaf => {
            out.insert(prefix.to_owned(), leaf.clone());
        }
    }
}

fn fields(old: &AppDefinition, new: &AppDefinition) -> Vec<Change> {
    let code_of_id = |def: &AppDefinition, id: i32| -> Option<String> {
        def.field_ids
            .iter()
            .find(|(_, i)| **i == id)
            .map(|(c, _)| c.clone())
    };
    let json = |p: &crate::fields::FieldProperty| serde_json::to_value(p).unwrap_or(Value::Null);
    let mut out = Vec::new();
    let mut renamed_from: Vec<String> = Vec::new();
    for (code, p) in &new.properties {
        let label = Some(p.label.clone()).filter(|l| !l.is_empty());
        if let Some(o) = old.properties.get(code) {
            let details = value_diff(&json(o), &json(p));
            if !details.is_empty() {
                out.push(Change {
                    kind: ChangeKind::Changed,
                    item: "field",
                    key: code.clone(),
                    label,
                    details,
                });
            }
            continue;
        }
        // A field whose id the old definition knew under another (now gone) code was renamed.
        let previous = new
            .field_ids
            .get(code)
            .and_then(|id| code_of_id(old, *id))
            .filter(|c| !new.properties.contains_key(c))
            .and_then(|c| old.properties.get(&c).map(|p| (c, p)));
        match previous {
            Some((old_code, o)) => {
                renamed_from.push(old_code.clone());
                out.push(Change {
                    kind: ChangeKind::Renamed,
                    item: "field",
                    key: code.clone(),
                    label,
                    details: value_diff(&json(o), &json(p)),
                });
            }
            None => out.push(Change {
                kind: ChangeKind::Added,
                item: "field",
                key: code.clone(),
                label,
                details: vec![Detail {
                    path: "type".into(),
                    old: Value::Null,
                    new: Value::String(p.field_type.name().to_owned()),
                }],
            }),
        }
    }
    for (code, o) in &old.properties {
        if new.properties.contains_key(code) || renamed_from.contains(code) {
            continue;
        }
        out.push(Change {
            kind: ChangeKind::Removed,
            item: "field",
            key: code.clone(),
            label: Some(o.label.clone()).filter(|l| !l.is_empty()),
            details: vec![Detail {
                path: "type".into(),
                old: Value::String(o.field_type.name().to_owned()),
                new: Value::Null,
            }],
        });
    }
    out
}

/// Where each field sits in a layout: `{group?, row, column}` (1-based).
fn positions(layout: &[Value]) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    fn walk(rows: &[Value], group: Option<&str>, out: &mut IndexMap<String, Value>) {
        for (r, row) in rows.iter().enumerate() {
            let at =
                |col: usize| serde_json::json!({"group": group, "row": r + 1, "column": col + 1});
            let kind = row.get("type").and_then(Value::as_str).unwrap_or_default();
            if let Some(code) = row.get("code").and_then(Value::as_str) {
                out.insert(code.to_owned(), at(0));
            }
            if kind == "GROUP" {
                let code = row.get("code").and_then(Value::as_str);
                let inner = row.get("layout").and_then(Value::as_array);
                walk(inner.map(Vec::as_slice).unwrap_or(&[]), code, out);
                continue;
            }
            if kind == "ROW" {
                let fields = row.get("fields").and_then(Value::as_array);
                for (c, f) in fields.map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
                    if let Some(code) = f.get("code").and_then(Value::as_str) {
                        out.insert(code.to_owned(), at(c));
                    }
                }
            }
        }
    }
    walk(layout, None, &mut out);
    out
}

fn layout(old: &[Value], new: &[Value]) -> Vec<Change> {
    if old == new {
        return Vec::new();
    }
    let before = positions(old);
    let after = positions(new);
    let mut out: Vec<Change> = after
        .iter()
        .filter_map(|(code, pos)| {
            let was = before.get(code)?;
            (was != pos).then(|| Change {
                kind: ChangeKind::Moved,
                item: "layout",
                key: code.clone(),
                label: None,
                details: vec![Detail {
                    path: "position".into(),
                    old: was.clone(),
                    new: pos.clone(),
                }],
            })
        })
        .collect();
    let only_moves_or_new = after.keys().any(|c| !before.contains_key(c))
        || before.keys().any(|c| !after.contains_key(c));
    if out.is_empty() && !only_moves_or_new {
        // Same places, other sizes or labels: show what changed, briefly.
        let details: Vec<Detail> =
            value_diff(&Value::from(old.to_vec()), &Value::from(new.to_vec()))
                .into_iter()
                .take(20)
                .collect();
        out.push(Change {
            kind: ChangeKind::Changed,
            item: "layout",
            key: "layout".into(),
            label: None,
            details,
        });
    }
    out
}

/// Changes between two maps of named items (views by name).
fn keyed(
    item: &'static str,
    old: &IndexMap<String, Value>,
    new: &IndexMap<String, Value>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, v) in new {
        out.extend(member_change(item, k, old.get(k), Some(v)).map(|mut c| {
            // A view's generated id is not the user's setting.
            c.details.retain(|d| d.path != "id");
            c
        }));
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.extend(member_change(item, k, Some(v), None));
        }
    }
    out.retain(|c| c.kind != ChangeKind::Changed || !c.details.is_empty());
    out
}

fn keyed_map(
    item: &'static str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Vec<Change> {
    let to_index = |m: &Map<String, Value>| -> IndexMap<String, Value> {
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    keyed(item, &to_index(old), &to_index(new))
}

fn process(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<Change> {
    let mut out = Vec::new();
    let enabled =
        |m: &Map<String, Value>| m.get("enable").and_then(Value::as_bool).unwrap_or(false);
    if enabled(old) != enabled(new) {
        out.push(Change {
            kind: ChangeKind::Changed,
            item: "enable",
            key: "enable".into(),
            label: None,
            details: vec![Detail {
                path: "enable".into(),
                old: Value::Bool(enabled(old)),
                new: Value::Bool(enabled(new)),
            }],
        });
    }
    let states = |m: &Map<String, Value>| -> IndexMap<String, Value> {
        let mut list: Vec<(String, Value)> = m
            .get("states")
            .and_then(Value::as_object)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        list.sort_by_key(|(_, v)| index_of(v));
        list.into_iter().collect()
    };
    out.extend(keyed("state", &states(old), &states(new)));
    let actions = |m: &Map<String, Value>| -> IndexMap<String, Value> {
        m.get("actions")
            .and_then(Value::as_array)
            .map(|a| {
                // Branches share their name and status (kintone tries them in order), so the n-th
                // action of a (from, name) pair is keyed with its number: none is lost.
                let mut seen: IndexMap<String, usize> = IndexMap::new();
                a.iter()
                    .map(|v| {
                        let from = v.get("from").and_then(Value::as_str).unwrap_or_default();
                        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
                        let key = format!("{from}: {name}");
                        let n = seen.entry(key.clone()).or_insert(0);
                        *n += 1;
                        let key = if *n == 1 { key } else { format!("{key} ({n})") };
                        (key, v.clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    out.extend(keyed("action", &actions(old), &actions(new)));
    out
}

fn index_of(state: &Value) -> i64 {
    match state.get("index") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(i64::MAX),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(i64::MAX),
        _ => i64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> Result<AppDefinition, serde_json::Error> {
        let mut d: AppDefinition = serde_json::from_value(v)?;
        d.assign_field_ids();
        Ok(d)
    }

    #[test]
    fn fields_added_removed_changed_and_renamed() -> Result<(), serde_json::Error> {
        let old = def(json!({"name": "申請", "properties": {
            "氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名"},
            "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
            "メモ": {"type": "MULTI_LINE_TEXT", "code": "メモ", "label": "メモ"}
        }}))?;
        let mut new = old.clone();
        new.name = "申請（改）".into();
        // Rename 金額 → 合計 keeping its id, change a label, drop メモ, add 日付.
        let mut amount = new
            .properties
            .shift_remove("金額")
            .ok_or_else(|| serde::de::Error::custom("x"))?;
        amount.code = "合計".into();
        new.properties.insert("合計".into(), amount);
        if let Some(id) = new.field_ids.shift_remove("金額") {
            new.field_ids.insert("合計".into(), id);
        }
        if let Some(p) = new.properties.get_mut("氏名") {
            p.label = "お名前".into();
        }
        new.properties.shift_remove("メモ");
        new.properties.insert(
            "日付".into(),
            serde_json::from_value(json!({"type": "DATE", "code": "日付", "label": "日付"}))?,
        );
        new.assign_field_ids();
        let d = diff(&old, &new);
        let text = d.to_text();
        assert!(text.contains("~ app name"), "{text}");
        let fields = d.sections.iter().find(|s| s.section == "fields");
        let changes = fields.map(|s| s.changes.clone()).unwrap_or_default();
        let kinds: Vec<(ChangeKind, &str)> =
            changes.iter().map(|c| (c.kind, c.key.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Changed, "氏名"),
                (ChangeKind::Renamed, "合計"),
                (ChangeKind::Added, "日付"),
                (ChangeKind::Removed, "メモ"),
            ]
        );
        assert_eq!(changes[0].details[0].path, "label");
        assert_eq!(changes[0].details[0].old, json!("氏名"));
        assert_eq!(changes[0].details[0].new, json!("お名前"));
        assert!(text.contains("label: \"氏名\" → \"お名前\""), "{text}");
        Ok(())
    }

    #[test]
    fn layout_moves_views_process_and_acl_members() -> Result<(), serde_json::Error> {
        let old = def(json!({"name": "a", "properties": {},
            "layout": [
                {"type": "ROW", "fields": [{"type": "SINGLE_LINE_TEXT", "code": "a"}]},
                {"type": "ROW", "fields": [{"type": "NUMBER", "code": "b"}]}
            ],
            "views": {"一覧": {"type": "LIST", "name": "一覧", "id": "1", "filterCond": ""}},
            "process": {"enable": false, "states": {
                "未処理": {"name": "未処理", "index": "0", "assignee": {"type": "ONE", "entities": []}}
            }, "actions": []}
        }))?;
        let new = def(json!({"name": "a", "properties": {},
            "layout": [
                {"type": "ROW", "fields": [{"type": "NUMBER", "code": "b"}, {"type": "SINGLE_LINE_TEXT", "code": "a"}]}
            ],
            "views": {"一覧": {"type": "LIST", "name": "一覧", "id": "9", "filterCond": "b > 1"}},
            "process": {"enable": true, "states": {
                "未処理": {"name": "未処理", "index": "0", "assignee": {"type": "ONE", "entities": []}},
                "完了": {"name": "完了", "index": "1", "assignee": {"type": "ONE", "entities": []}}
            }, "actions": [{"name": "完了にする", "from": "未処理", "to": "完了", "filterCond": ""}]},
            "appAcl": [{"entity": {"type": "GROUP", "code": "everyone"}, "appEditable": false}]
        }))?;
        let d = diff(&old, &new);
        let names: Vec<&str> = d.sections.iter().map(|s| s.section).collect();
        assert_eq!(names, vec!["layout", "views", "process", "permissions"]);
        let text = d.to_text();
        assert!(text.contains("↕ layout a"), "{text}");
        assert!(text.contains("~ view 一覧"), "{text}");
        assert!(
            !text.contains("    id:"),
            "view ids are not settings: {text}"
        );
        assert!(text.contains("+ state 完了"), "{text}");
        assert!(text.contains("+ action 未処理: 完了にする"), "{text}");
        assert!(text.contains("[GROUP:everyone].appEditable"), "{text}");
        assert!(diff(&new, &new).is_empty());
        Ok(())
    }
}

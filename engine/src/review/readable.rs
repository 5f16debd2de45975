//! The difference between two app definitions as sentences for people: each statement is a message
//! key (`review.say.*`, rendered from the ja/en catalogs where it is shown) with arguments, plus,
//! where a before/after helps, rows of old and new settings side by side (`compare`) or a line diff
//! of a script's source (`lines`). Fields are named by label, users, departments and groups by name
//! (`NameMap`). `diff::diff` keeps the path-by-path detail for those who want it.
//!
//! Arguments are plain text, a message key (with its own arguments) or a list; the page joins lists
//! with the language's separator. Output order is deterministic.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::names::{Kind, NameMap};
use crate::apps::AppDefinition;
use crate::fields::FieldType;

/// One argument of a sentence or one side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Arg {
    /// Shown as is (names, labels, codes, conditions).
    Text(String),
    /// A message key, translated where shown, with its own arguments.
    Key {
        key: String,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<String, Arg>,
    },
    /// Several values, joined for reading.
    List(Vec<Arg>),
}

impl Arg {
    pub(crate) fn text(s: impl Into<String>) -> Arg {
        Arg::Text(s.into())
    }

    pub(crate) fn key(k: impl Into<String>) -> Arg {
        Arg::Key {
            key: k.into(),
            args: BTreeMap::new(),
        }
    }

    fn key_with(k: &str, args: &[(&str, Arg)]) -> Arg {
        Arg::Key {
            key: k.to_owned(),
            args: args
                .iter()
                .map(|(n, a)| ((*n).to_owned(), a.clone()))
                .collect(),
        }
    }

    fn none() -> Arg {
        Arg::key("review.value.none")
    }
}

/// One row of a before/after comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compare {
    /// What the row is about (a message key or a raw property name).
    pub label: Arg,
    pub old: Arg,
    pub new: Arg,
}

/// One line of a script's line diff: `same`, `add`, `del`, or `skip` (unchanged lines left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub kind: &'static str,
    pub text: String,
}

/// One sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub key: String,
    pub args: BTreeMap<String, Arg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<Compare>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Line>,
}

impl Statement {
    pub(crate) fn new(key: &str, args: &[(&str, Arg)]) -> Statement {
        Statement {
            key: format!("review.say.{key}"),
            args: args
                .iter()
                .map(|(n, a)| ((*n).to_owned(), a.clone()))
                .collect(),
            compare: Vec::new(),
            lines: Vec::new(),
        }
    }

    pub(crate) fn with_compare(mut self, rows: Vec<Compare>) -> Statement {
        self.compare = rows;
        self
    }
}

/// The statements of one section (`app`, `fields`, `layout`, `views`, `process`, `permissions`,
/// `scripts`, `settings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadableSection {
    pub section: &'static str,
    pub statements: Vec<Statement>,
}

/// Every difference from `old` to `new` as sentences; sections without changes are left out.
pub fn describe(old: &AppDefinition, new: &AppDefinition, names: &NameMap) -> Vec<ReadableSection> {
    let cx = Cx { old, new, names };
    let mut out = Vec::new();
    let mut push = |section: &'static str, statements: Vec<Statement>| {
        if !statements.is_empty() {
            out.push(ReadableSection {
                section,
                statements,
            });
        }
    };
    push("app", cx.app());
    push("fields", cx.fields());
    push("layout", cx.layout());
    push("views", cx.views());
    push("process", super::readable_process::process(&cx));
    push("permissions", super::readable_acl::permissions(&cx));
    push("scripts", super::readable_acl::scripts(&cx));
    push("settings", cx.settings());
    out
}

/// One line per section with its number of changes, for queues (`{section, count}`).
pub fn summary(sections: &[ReadableSection]) -> Vec<(&'static str, usize)> {
    sections
        .iter()
        .map(|s| (s.section, s.statements.len()))
        .collect()
}

/// What the describers share: both definitions and the names.
pub(crate) struct Cx<'a> {
    pub(crate) old: &'a AppDefinition,
    pub(crate) new: &'a AppDefinition,
    pub(crate) names: &'a NameMap,
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

pub(crate) fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl Cx<'_> {
    /// A field's label (new definition first), else its code.
    pub(crate) fn field_label(&self, code: &str) -> String {
        [self.new, self.old]
            .iter()
            .find_map(|d| d.field(code).map(|f| f.property.label.clone()))
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| code.to_owned())
    }

    /// An entity (`{type, code}`) as people read it.
    pub(crate) fn entity(&self, entity: &Value, include_subs: bool) -> Arg {
        let kind = str_of(entity, "type");
        let code = str_of(entity, "code");
        match kind {
            "USER" => Arg::text(self.names.name(Kind::User, code)),
            "GROUP" => Arg::text(self.names.name(Kind::Group, code)),
            "ORGANIZATION" if include_subs => Arg::key_with(
                "review.entity.with_subs",
                &[("name", Arg::text(self.names.name(Kind::Department, code)))],
            ),
            "ORGANIZATION" => Arg::text(self.names.name(Kind::Department, code)),
            "FIELD_ENTITY" => Arg::key_with(
                "review.entity.field",
                &[("name", Arg::text(self.field_label(code)))],
            ),
            "CREATOR" => Arg::key("review.entity.creator"),
            _ => Arg::text(code),
        }
    }

    /// An entry of an entity list (`{entity, includeSubs}`) as people read it, with its key.
    pub(crate) fn entry(&self, entry: &Value) -> (String, Arg) {
        let entity = entry.get("entity").unwrap_or(&Value::Null);
        let subs = entry
            .get("includeSubs")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let key = format!("{}:{}", str_of(entity, "type"), str_of(entity, "code"));
        (key, self.entity(entity, subs))
    }

    /// A settings value as people read it; `prop` tells how (options, types, entities…).
    pub(crate) fn value(&self, prop: &str, v: &Value) -> Arg {
        if is_empty(v) {
            return Arg::none();
        }
        match (prop, v) {
            (_, Value::Bool(b)) => Arg::key(if *b {
                "review.value.yes"
            } else {
                "review.value.no"
            }),
            // Settings whose values are kintone's constants: said in words, else shown as is.
            ("unitPosition" | "align" | "protocol" | "format", Value::String(t)) => Arg::key_with(
                &format!("review.enum.{prop}.{t}"),
                &[("name", Arg::text(t.clone()))],
            ),
            // A field's type, or an action's (PRIMARY/SECONDARY).
            ("type", Value::String(t)) => Arg::key(format!("review.type.{t}")),
            ("options", Value::Object(o)) => {
                let mut list: Vec<(i64, String)> = o
                    .iter()
                    .map(|(k, v)| {
                        let index = match v.get("index") {
                            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                            Some(Value::String(s)) => s.parse().unwrap_or(0),
                            _ => 0,
                        };
                        let label = v.get("label").and_then(Value::as_str).unwrap_or(k);
                        (index, label.to_owned())
                    })
                    .collect();
                list.sort();
                Arg::List(list.into_iter().map(|(_, l)| Arg::Text(l)).collect())
            }
            ("fields", Value::Object(o)) => {
                // A subtable's inner fields, by label.
                Arg::List(
                    o.values()
                        .map(|f| {
                            let label = str_of(f, "label");
                            Arg::text(if label.is_empty() {
                                str_of(f, "code")
                            } else {
                                label
                            })
                        })
                        .collect(),
                )
            }
            ("fields", Value::Array(a)) => {
                // A view's columns, by label.
                Arg::List(
                    a.iter()
                        .map(|c| match c.as_str() {
                            Some(code) => Arg::text(self.field_label(code)),
                            None => Arg::text(c.to_string()),
                        })
                        .collect(),
                )
            }
            (_, Value::Array(a)) => Arg::List(
                a.iter()
                    .map(|item| {
                        if item.get("entity").is_some() {
                            self.entry(item).1
                        } else if item.get("type").is_some() && item.get("code").is_some() {
                            self.entity(item, false)
                        } else {
                            self.value("", item)
                        }
                    })
                    .collect(),
            ),
            (_, Value::Object(o)) if o.contains_key("entities") => {
                self.value("entities", o.get("entities").unwrap_or(&Value::Null))
            }
            (_, Value::String(s)) => Arg::text(s.clone()),
            (_, Value::Number(n)) => Arg::text(n.to_string()),
            (_, other) => Arg::text(other.to_string()),
        }
    }

    /// Rows for the members of two objects that differ (`skip` left out), labelled
    /// `<prefix><member>`.
    pub(crate) fn compare_members(
        &self,
        prefix: &str,
        old: &Value,
        new: &Value,
        skip: &[&str],
    ) -> Vec<Compare> {
        let empty = Map::new();
        let o = old.as_object().unwrap_or(&empty);
        let n = new.as_object().unwrap_or(&empty);
        let mut keys: Vec<&String> = n.keys().chain(o.keys()).collect();
        keys.dedup();
        let mut seen = Vec::new();
        let mut rows = Vec::new();
        for k in keys {
            if skip.contains(&k.as_str()) || seen.contains(&k) {
                continue;
            }
            seen.push(k);
            let a = o.get(k).unwrap_or(&Value::Null);
            let b = n.get(k).unwrap_or(&Value::Null);
            if a == b || (is_empty(a) && is_empty(b)) {
                continue;
            }
            let (old, new) = match (prefix, k.as_str(), a, b) {
                // A view's type (LIST, CALENDAR) in words, not a field type.
                ("review.view.", "type", _, _) => {
                    let word = |v: &Value| match v {
                        Value::String(t) => Arg::key(format!("review.view_type.{t}")),
                        _ => self.value(k, v),
                    };
                    (word(a), word(b))
                }
                _ => (self.value(k, a), self.value(k, b)),
            };
            // Different JSON that reads the same (an empty list of people and none) is no change.
            if old == new {
                continue;
            }
            rows.push(Compare {
                label: Arg::key_with(&format!("{prefix}{k}"), &[("name", Arg::text(k.clone()))]),
                old,
                new,
            });
        }
        rows
    }

    fn app(&self) -> Vec<Statement> {
        let mut out = Vec::new();
        if self.old.name != self.new.name && !self.old.name.is_empty() {
            out.push(Statement::new(
                "app_name",
                &[
                    ("old", Arg::text(self.old.name.clone())),
                    ("new", Arg::text(self.new.name.clone())),
                ],
            ));
        }
        if self.old.description != self.new.description {
            out.push(
                Statement::new("app_description", &[]).with_compare(vec![Compare {
                    label: Arg::key("review.prop.description"),
                    old: self.value("", &Value::String(self.old.description.clone())),
                    new: self.value("", &Value::String(self.new.description.clone())),
                }]),
            );
        }
        if self.old.code != self.new.code {
            out.push(Statement::new(
                "app_code",
                &[
                    ("old", self.value("", &Value::String(self.old.code.clone()))),
                    ("new", self.value("", &Value::String(self.new.code.clone()))),
                ],
            ));
        }
        out
    }

    fn fields(&self) -> Vec<Statement> {
        let d = super::diff::diff(self.old, self.new);
        let Some(section) = d.sections.iter().find(|s| s.section == "fields") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in &section.changes {
            let new_p = self.new.properties.get(&c.key);
            // The status fields follow the process settings, said in their own section.
            let follows_process = new_p
                .or_else(|| self.old.properties.get(&c.key))
                .is_some_and(|p| {
                    matches!(
                        p.field_type,
                        FieldType::Status | FieldType::StatusAssignee | FieldType::Category
                    )
                });
            if follows_process && c.kind == super::diff::ChangeKind::Changed {
                continue;
            }
            let label = Arg::text(
                c.label
                    .clone()
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| c.key.clone()),
            );
            use super::diff::ChangeKind as K;
            match c.kind {
                K::Added => {
                    let t = new_p.map(|p| p.field_type.name()).unwrap_or_default();
                    // The new field's settings beside "none", leaving out what is off.
                    let new_json = new_p.map(to_json).unwrap_or(Value::Null);
                    let mut rows = self.compare_members(
                        "review.prop.",
                        &Value::Null,
                        &new_json,
                        &["code", "type", "label"],
                    );
                    rows.retain(|r| r.new != Arg::key("review.value.no"));
                    out.push(
                        Statement::new(
                            "field_added",
                            &[
                                ("label", label),
                                ("type", Arg::key(format!("review.type.{t}"))),
                            ],
                        )
                        .with_compare(rows),
                    );
                }
                K::Removed => {
                    let t = self
                        .old
                        .properties
                        .get(&c.key)
                        .map(|p| p.field_type.name())
                        .unwrap_or_default();
                    out.push(Statement::new(
                        "field_removed",
                        &[
                            ("label", label),
                            ("type", Arg::key(format!("review.type.{t}"))),
                        ],
                    ));
                }
                K::Renamed | K::Changed | K::Moved => {
                    let old_code = if c.kind == K::Renamed {
                        self.new
                            .field_ids
                            .get(&c.key)
                            .and_then(|id| {
                                self.old
                                    .field_ids
                                    .iter()
                                    .find(|(_, i)| *i == id)
                                    .map(|(code, _)| code.clone())
                            })
                            .unwrap_or_default()
                    } else {
                        c.key.clone()
                    };
                    let old_json = self
                        .old
                        .properties
                        .get(&old_code)
                        .map(to_json)
                        .unwrap_or(Value::Null);
                    let new_json = new_p.map(to_json).unwrap_or(Value::Null);
                    let rows =
                        self.compare_members("review.prop.", &old_json, &new_json, &["code"]);
                    let st = if c.kind == K::Renamed {
                        Statement::new(
                            "field_renamed",
                            &[
                                ("label", label),
                                ("old", Arg::text(old_code)),
                                ("new", Arg::text(c.key.clone())),
                            ],
                        )
                    } else {
                        Statement::new("field_changed", &[("label", label)])
                    };
                    out.push(st.with_compare(rows));
                }
            }
        }
        out
    }

    fn layout(&self) -> Vec<Statement> {
        let d = super::diff::diff(self.old, self.new);
        let Some(section) = d.sections.iter().find(|s| s.section == "layout") else {
            return Vec::new();
        };
        let moved: Vec<Arg> = section
            .changes
            .iter()
            .filter(|c| c.kind == super::diff::ChangeKind::Moved)
            .map(|c| Arg::text(self.field_label(&c.key)))
            .collect();
        if moved.is_empty() {
            vec![Statement::new("layout_changed", &[])]
        } else {
            vec![Statement::new(
                "layout_moved",
                &[("fields", Arg::List(moved))],
            )]
        }
    }

    fn views(&self) -> Vec<Statement> {
        let mut out = Vec::new();
        let skip = ["id", "name", "index"];
        for (name, v) in &self.new.views {
            let ty = Arg::key(format!("review.view_type.{}", str_of(v, "type")));
            match self.old.views.get(name) {
                None => {
                    let rows = self.compare_members("review.view.", &Value::Null, v, &skip);
                    out.push(
                        Statement::new(
                            "view_added",
                            &[("name", Arg::text(name.clone())), ("type", ty)],
                        )
                        .with_compare(rows),
                    );
                }
                Some(o) => {
                    let rows = self.compare_members("review.view.", o, v, &skip);
                    if !rows.is_empty() {
                        out.push(
                            Statement::new("view_changed", &[("name", Arg::text(name.clone()))])
                                .with_compare(rows),
                        );
                    }
                }
            }
        }
        for name in self.old.views.keys() {
            if !self.new.views.contains_key(name) {
                out.push(Statement::new(
                    "view_removed",
                    &[("name", Arg::text(name.clone()))],
                ));
            }
        }
        let order = |d: &AppDefinition| -> Vec<String> {
            let mut v: Vec<(i64, String)> = d
                .views
                .iter()
                .map(|(k, v)| {
                    let i = match v.get("index") {
                        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                        Some(Value::String(s)) => s.parse().unwrap_or(0),
                        _ => 0,
                    };
                    (i, k.clone())
                })
                .collect();
            v.sort();
            v.into_iter().map(|(_, k)| k).collect()
        };
        let (a, b) = (order(self.old), order(self.new));
        let common_a: Vec<&String> = a.iter().filter(|k| b.contains(k)).collect();
        let common_b: Vec<&String> = b.iter().filter(|k| a.contains(k)).collect();
        if common_a != common_b {
            out.push(Statement::new(
                "views_order",
                &[(
                    "order",
                    Arg::List(b.iter().map(|k| Arg::text(k.clone())).collect()),
                )],
            ));
        }
        out
    }

    fn settings(&self) -> Vec<Statement> {
        let (o, n) = (&self.old.settings, &self.new.settings);
        let mut keys: Vec<&String> = n.keys().chain(o.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        // An app without an icon setting shows kintone's default one: choosing nothing is no change.
        let default_icon = serde_json::json!({"type": "PRESET", "key": "APP72"});
        for k in keys {
            let a = o.get(k).unwrap_or(&Value::Null);
            let b = n.get(k).unwrap_or(&Value::Null);
            let (a, b) = if k == "icon" {
                (
                    if a.is_null() { &default_icon } else { a },
                    if b.is_null() { &default_icon } else { b },
                )
            } else {
                (a, b)
            };
            if a == b || (is_empty(a) && is_empty(b)) {
                continue;
            }
            let show = |v: &Value| -> Arg {
                match (k.as_str(), v) {
                    ("titleField", v) if v.get("code").is_some() => {
                        Arg::text(self.field_label(str_of(v, "code")))
                    }
                    // The icon's name in the general settings' catalog; kintone's own keys
                    // (APP72, …) read as the standard icon.
                    ("icon", Value::Object(_)) => Arg::key_with(
                        &format!("general.icon.{}", str_of(v, "key")),
                        &[("name", Arg::key("general.icon.standard"))],
                    ),
                    (_, Value::Object(_)) => Arg::text(v.to_string()),
                    _ => self.value(k, v),
                }
            };
            out.push(
                Statement::new(
                    "setting_changed",
                    &[(
                        "name",
                        Arg::key_with(
                            &format!("review.setting.{k}"),
                            &[("name", Arg::text(k.clone()))],
                        ),
                    )],
                )
                .with_compare(vec![Compare {
                    label: Arg::key_with(
                        &format!("review.setting.{k}"),
                        &[("name", Arg::text(k.clone()))],
                    ),
                    old: show(a),
                    new: show(b),
                }]),
            );
        }
        out
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

    fn keys(sections: &[ReadableSection]) -> Vec<String> {
        sections
            .iter()
            .flat_map(|s| s.statements.iter().map(|st| st.key.clone()))
            .collect()
    }

    #[test]
    fn branches_of_one_action_are_each_described_and_the_default_icon_is_no_change(
    ) -> Result<(), serde_json::Error> {
        let states = json!({"申請": {"name": "申請", "index": "0"}, "承認待ち": {"name": "承認待ち", "index": "1"},
            "貸出中": {"name": "貸出中", "index": "2"}});
        let old = def(
            json!({"name": "a", "properties": {}, "process": {"enable": true, "states": states, "actions": []}}),
        )?;
        let new = def(
            json!({"name": "a", "properties": {}, "settings": {"icon": {"type": "PRESET", "key": "APP72"}},
            "process": {"enable": true, "states": states, "actions": [
                {"name": "申請する", "from": "申請", "to": "承認待ち", "filterCond": "区分 in (\"高額\")"},
                {"name": "申請する", "from": "申請", "to": "貸出中", "filterCond": ""}
            ]}}),
        )?;
        let d = describe(&old, &new, &NameMap::default());
        let added: Vec<&Statement> = d
            .iter()
            .flat_map(|s| s.statements.iter())
            .filter(|st| st.key == "review.say.action_added")
            .collect();
        assert_eq!(added.len(), 2, "{:?}", keys(&d));
        assert_eq!(added[0].args.get("to"), Some(&Arg::text("承認待ち")));
        assert_eq!(added[1].args.get("to"), Some(&Arg::text("貸出中")));
        assert!(
            !keys(&d).iter().any(|k| k.contains("setting")),
            "{:?}",
            keys(&d)
        );
        // The path list keeps both branches too.
        let text = super::super::diff::diff(&old, &new).to_text();
        assert!(text.contains("申請: 申請する (2)"), "{text}");
        Ok(())
    }

    #[test]
    fn a_process_assignee_added_names_the_person() -> Result<(), serde_json::Error> {
        let process = |entities: Value| {
            json!({"enable": true, "states": {
                "承認待ち": {"name": "承認待ち", "index": "0", "assignee": {"type": "ONE", "entities": entities}}
            }, "actions": []})
        };
        let old = def(json!({"name": "a", "properties": {}, "process": process(json!([]))}))?;
        let new = def(
            json!({"name": "a", "properties": {}, "process": process(json!([
                {"entity": {"type": "USER", "code": "sato"}, "includeSubs": false}
            ]))}),
        )?;
        let mut names = NameMap::default();
        names.insert(Kind::User, "sato", "佐藤 一郎");
        let d = describe(&old, &new, &names);
        assert_eq!(keys(&d), vec!["review.say.assignee_added"]);
        let st = &d[0].statements[0];
        assert_eq!(st.args.get("state"), Some(&Arg::text("承認待ち")));
        assert_eq!(
            st.args.get("who"),
            Some(&Arg::List(vec![Arg::text("佐藤 一郎")]))
        );
        Ok(())
    }

    #[test]
    fn fields_are_said_by_label_with_old_and_new_settings() -> Result<(), serde_json::Error> {
        let old = def(json!({"name": "備品", "properties": {
            "状態": {"type": "DROP_DOWN", "code": "状態", "label": "状態", "required": false,
                "options": {"貸出中": {"label": "貸出中", "index": "0"}}}
        }}))?;
        let mut new = old.clone();
        new.properties.insert(
            "貸出日".into(),
            serde_json::from_value(json!({"type": "DATE", "code": "貸出日", "label": "貸出日"}))?,
        );
        if let Some(p) = new.properties.get_mut("状態") {
            p.required = Some(true);
        }
        new.assign_field_ids();
        let d = describe(&old, &new, &NameMap::default());
        let fields = &d[0];
        assert_eq!(fields.section, "fields");
        let changed = &fields.statements[0];
        assert_eq!(changed.key, "review.say.field_changed");
        let row = changed
            .compare
            .iter()
            .find(|r| matches!(&r.label, Arg::Key { key, .. } if key == "review.prop.required"));
        assert_eq!(
            row.map(|r| (&r.old, &r.new)),
            Some((&Arg::key("review.value.no"), &Arg::key("review.value.yes")))
        );
        let added = &fields.statements[1];
        assert_eq!(added.key, "review.say.field_added");
        assert_eq!(added.args.get("label"), Some(&Arg::text("貸出日")));
        assert_eq!(added.args.get("type"), Some(&Arg::key("review.type.DATE")));
        Ok(())
    }
}

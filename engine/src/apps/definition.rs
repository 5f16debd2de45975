//! An app's definition: the fields, layout, views and settings of one stage (pre-live or live).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{FieldProperty, FieldType};

/// Stable internal id of a field inside one app; the pivot index tables key on it.
pub type FieldId = i32;

/// Everything that is deployed together. Stored as JSON in `app_settings.definition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppDefinition {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The app code (kintone "App Code"); record numbers are shown as `<code>-<n>` when set.
    #[serde(default)]
    pub code: String,
    /// Top-level fields in form order, system fields included. Subtable fields hold their inner fields.
    pub properties: IndexMap<String, FieldProperty>,
    /// `app/form/layout.json`'s `layout` array.
    #[serde(default)]
    pub layout: Vec<Value>,
    /// `app/views.json`'s `views` object.
    #[serde(default)]
    pub views: IndexMap<String, Value>,
    /// `app/settings.json` members other than name/description (icon, theme, titleField, ...).
    #[serde(default)]
    pub settings: serde_json::Map<String, Value>,
    /// `app/status.json` members (enable, states, actions).
    #[serde(default)]
    pub process: serde_json::Map<String, Value>,
    /// Field code (top-level or inside a subtable) → stable id. Ids are never reused within an app.
    #[serde(default)]
    pub field_ids: IndexMap<String, FieldId>,
    #[serde(default = "first_field_id")]
    pub next_field_id: FieldId,
    /// `app/acl.json` rights; `None` (never set): every user has every right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_acl: Option<Vec<crate::acl::AppAclEntry>>,
    /// `record/acl.json` rules, in priority order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_acl: Vec<crate::acl::RecordAclRule>,
    /// `field/acl.json` rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_acl: Vec<crate::acl::FieldAclRule>,
    /// App scripts (rhai), checked for syntax when stored; run by the kumiki-scripting crate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<super::AppScript>,
    /// Issue 13, notify: `app/notifications/{general,perRecord,reminder}.json` in kintone's shape,
    /// under the keys `general`, `perRecord` and `reminder` (`notifications::rules`).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub notifications: serde_json::Map<String, Value>,
    /// Issue 16, charts: `app/reports.json`'s `reports` object in kintone's shape (keyed by name),
    /// checked by `reports::check`; deployed with the app like the views.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub reports: IndexMap<String, Value>,
    /// Issue 16, printing: the app's print templates (`print::PrintTemplate` as JSON), written by
    /// the app manager; deployed with the app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub print_templates: Vec<Value>,
}

fn first_field_id() -> FieldId {
    1
}

/// A field found by code: its property, the subtable holding it (if any) and its id.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'a> {
    pub property: &'a FieldProperty,
    pub subtable: Option<&'a str>,
    pub id: FieldId,
}

impl AppDefinition {
    /// A new app with kintone's system fields (English codes, Japanese labels).
    pub fn new(name: &str) -> AppDefinition {
        let mut def = AppDefinition {
            name: name.to_owned(),
            description: String::new(),
            code: String::new(),
            properties: IndexMap::new(),
            layout: Vec::new(),
            views: IndexMap::new(),
            settings: serde_json::Map::new(),
            process: serde_json::Map::new(),
            field_ids: IndexMap::new(),
            next_field_id: 1,
            app_acl: None,
            record_acl: Vec::new(),
            field_acl: Vec::new(),
            scripts: Vec::new(),
            notifications: serde_json::Map::new(),
            reports: IndexMap::new(),
            print_templates: Vec::new(),
        };
        for (t, code, label) in SYSTEM_FIELDS {
            let mut p = FieldProperty::new(t, code, label);
            p.no_label = Some(false);
            if matches!(
                t,
                FieldType::Status | FieldType::StatusAssignee | FieldType::Category
            ) {
                p.enabled = Some(false);
                p.no_label = None;
            }
            def.properties.insert(code.to_owned(), p);
        }
        def.assign_field_ids();
        def
    }

    /// Gives every field without an id a fresh one. Called after any change to `properties`.
    pub fn assign_field_ids(&mut self) {
        let mut codes: Vec<String> = Vec::new();
        for (code, p) in &self.properties {
            codes.push(code.clone());
            if let Some(inner) = &p.fields {
                codes.extend(inner.keys().cloned());
            }
        }
        for code in codes {
            if !self.field_ids.contains_key(&code) {
                self.field_ids.insert(code, self.next_field_id);
                self.next_field_id += 1;
            }
        }
        let known: std::collections::HashSet<&String> =
            self.all_field_codes().into_iter().collect();
        let stale: Vec<String> = self
            .field_ids
            .keys()
            .filter(|c| !known.contains(c))
            .cloned()
            .collect();
        for c in stale {
            self.field_ids.shift_remove(&c);
        }
    }

    fn all_field_codes(&self) -> Vec<&String> {
        let mut out = Vec::new();
        for (code, p) in &self.properties {
            out.push(code);
            if let Some(inner) = &p.fields {
                out.extend(inner.keys());
            }
        }
        out
    }

    /// Finds a field by code, at top level or inside a subtable.
    pub fn field(&self, code: &str) -> Option<FieldRef<'_>> {
        let id = *self.field_ids.get(code)?;
        if let Some(p) = self.properties.get(code) {
            return Some(FieldRef {
                property: p,
                subtable: None,
                id,
            });
        }
        for (table_code, p) in &self.properties {
            if let Some(inner) = p.fields.as_ref().and_then(|f| f.get(code)) {
                return Some(FieldRef {
                    property: inner,
                    subtable: Some(table_code),
                    id,
                });
            }
        }
        None
    }

    /// The first top-level field of a type (system fields are unique per type).
    pub fn field_of_type(&self, field_type: FieldType) -> Option<FieldRef<'_>> {
        let (code, _) = self
            .properties
            .iter()
            .find(|(_, p)| p.field_type == field_type)?;
        self.field(code)
    }

    /// The code of the top-level field that names a record (kintone's レコードタイトル): the
    /// `titleField` setting when it names a top-level field (`selectionMode: "MANUAL"`), else the first
    /// single-line text field in form order (`"AUTO"`), else none. Pages, search hits and cards all
    /// title records through this.
    pub fn title_field(&self) -> Option<&str> {
        let chosen = self
            .settings
            .get("titleField")
            .filter(|t| t.get("selectionMode").and_then(Value::as_str) != Some("AUTO"))
            .and_then(|t| t.get("code"))
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty() && self.properties.contains_key(*c));
        if let Some(code) = chosen {
            return self.properties.get_key_value(code).map(|(k, _)| k.as_str());
        }
        self.properties
            .iter()
            .find(|(_, p)| p.field_type == FieldType::SingleLineText)
            .map(|(code, _)| code.as_str())
    }

    /// Whether process management is enabled.
    pub fn process_enabled(&self) -> bool {
        self.process
            .get("enable")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

const SYSTEM_FIELDS: [(FieldType, &str, &str); 8] = [
    (FieldType::RecordNumber, "Record_number", "レコード番号"),
    (FieldType::Creator, "Created_by", "作成者"),
    (FieldType::CreatedTime, "Created_datetime", "作成日時"),
    (FieldType::Modifier, "Updated_by", "更新者"),
    (FieldType::UpdatedTime, "Updated_datetime", "更新日時"),
    (FieldType::Category, "Categories", "カテゴリー"),
    (FieldType::Status, "Status", "ステータス"),
    (FieldType::StatusAssignee, "Assignee", "作業者"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_app_has_system_fields_with_ids() {
        let def = AppDefinition::new("テスト");
        let rn = def.field("Record_number");
        assert!(rn.is_some_and(|f| f.property.field_type == FieldType::RecordNumber));
        assert_eq!(def.field_ids.len(), 8);
    }

    #[test]
    fn subtable_fields_are_found_with_their_table() {
        let mut def = AppDefinition::new("a");
        let mut table = FieldProperty::new(FieldType::Subtable, "明細", "明細");
        let mut inner = IndexMap::new();
        inner.insert(
            "品名".to_owned(),
            FieldProperty::new(FieldType::SingleLineText, "品名", "品名"),
        );
        table.fields = Some(inner);
        def.properties.insert("明細".to_owned(), table);
        def.assign_field_ids();
        let f = def.field("品名");
        assert_eq!(f.and_then(|f| f.subtable), Some("明細"));
    }
}

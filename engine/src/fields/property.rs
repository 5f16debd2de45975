//! Field properties in kintone's `app/form/fields.json` shape.
//!
//! kintone sends every scalar setting as a string (`"maxLength": "64"`) but accepts numbers too, so the
//! lenient deserializers below take both and we always answer with strings.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::FieldType;

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub label: String,
    #[serde(deserialize_with = "string_or_number", default)]
    pub index: String,
}

/// A lookup setting on a SINGLE_LINE_TEXT / NUMBER / LINK field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupSetting {
    pub related_app: RelatedApp,
    pub related_key_field: String,
    #[serde(default)]
    pub field_mappings: Vec<FieldMapping>,
    #[serde(default)]
    pub lookup_picker_fields: Vec<String>,
    #[serde(default)]
    pub filter_cond: String,
    #[serde(default)]
    pub sort: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedApp {
    #[serde(deserialize_with = "string_or_number")]
    pub app: String,
    #[serde(default)]
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldMapping {
    pub field: String,
    pub related_field: String,
}

/// Everything kintone stores about one field. Settings that a type does not use stay `None` and are not
/// serialized, so the JSON we answer with looks like kintone's for that type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldProperty {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_label: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_now_value: Option<bool>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_length: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_length: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_value: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digit: Option<bool>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_scale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_expression: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<IndexMap<String, ChoiceOption>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub thumbnail_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<Value>>,
    /// Inner fields of a SUBTABLE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<IndexMap<String, FieldProperty>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<LookupSetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_table: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_group: Option<bool>,
    /// STATUS, STATUS_ASSIGNEE, CATEGORY: whether the feature is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl FieldProperty {
    /// A property of `field_type` with only code and label set.
    pub fn new(field_type: FieldType, code: &str, label: &str) -> FieldProperty {
        FieldProperty {
            field_type,
            code: code.to_owned(),
            label: label.to_owned(),
            no_label: None,
            required: None,
            unique: None,
            default_value: None,
            default_now_value: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            digit: None,
            display_scale: None,
            unit: None,
            unit_position: None,
            expression: None,
            hide_expression: None,
            format: None,
            options: None,
            align: None,
            protocol: None,
            thumbnail_size: None,
            entities: None,
            fields: None,
            lookup: None,
            reference_table: None,
            open_group: None,
            enabled: None,
        }
    }

    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false)
    }

    pub fn is_unique(&self) -> bool {
        self.unique.unwrap_or(false) && self.field_type.supports_unique()
    }

    /// Option keys in display order.
    pub fn option_keys(&self) -> Vec<&str> {
        let Some(options) = &self.options else {
            return Vec::new();
        };
        let mut keys: Vec<(&str, i64)> = options
            .iter()
            .map(|(k, o)| (k.as_str(), o.index.parse().unwrap_or(i64::MAX)))
            .collect();
        keys.sort_by_key(|(_, i)| *i);
        keys.into_iter().map(|(k, _)| k).collect()
    }

    pub fn has_option(&self, key: &str) -> bool {
        self.options.as_ref().is_some_and(|o| o.contains_key(key))
    }
}

fn value_to_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(Value::deserialize(d)?).unwrap_or_default())
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(Value::deserialize(d)?).filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_numbers_and_strings_for_scalar_settings() -> Result<(), serde_json::Error> {
        let p: FieldProperty = serde_json::from_value(serde_json::json!({
            "type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名", "maxLength": 64, "minLength": "1"
        }))?;
        assert_eq!(p.max_length.as_deref(), Some("64"));
        assert_eq!(p.min_length.as_deref(), Some("1"));
        let back = serde_json::to_value(&p)?;
        assert_eq!(back["maxLength"], "64");
        assert!(back.get("options").is_none());
        Ok(())
    }
}

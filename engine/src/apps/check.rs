//! Checks of a whole app definition, run on every pre-live write and again before deploy: field codes,
//! types, options, subtable contents, lookups and formulas.

use super::AppDefinition;
use crate::error::{FieldErrors, UserError};
use crate::fields::{formula, FieldProperty, FieldType};

fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if first.is_ascii_digit() || code.chars().count() > 128 {
        return false;
    }
    code.chars()
        .all(|c| c == '_' || c.is_alphanumeric() || (!c.is_ascii() && !c.is_whitespace()))
}

/// Checks a whole definition; used on every pre-live write and again before deploy.
pub fn check_definition(def: &AppDefinition) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    let mut seen = std::collections::HashSet::new();
    for (code, p) in &def.properties {
        check_property(code, p, false, &mut errors);
        if !seen.insert(code.clone()) {
            errors.insert(
                format!("properties.{code}.code"),
                vec!["The field code is used more than once.".into()],
            );
        }
        for inner in p.fields.iter().flat_map(|f| f.iter()) {
            check_property(inner.0, inner.1, true, &mut errors);
            if !seen.insert(inner.0.clone()) {
                errors.insert(
                    format!("properties.{code}.fields.{}.code", inner.0),
                    vec!["The field code is used more than once.".into()],
                );
            }
        }
    }
    for (code, message) in formula::check_definition(def) {
        errors
            .entry(format!("properties.{code}.expression"))
            .or_default()
            .push(message.into());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Validation(errors))
    }
}

fn check_property(code: &str, p: &FieldProperty, in_subtable: bool, errors: &mut FieldErrors) {
    let key = format!("properties.{code}");
    let mut fail = |suffix: &str, message: &str| {
        errors
            .entry(format!("{key}{suffix}"))
            .or_default()
            .push(message.to_owned().into());
    };
    if p.code != code {
        fail(".code", "The field code must match its key.");
    }
    if !valid_code(code) {
        fail(".code", "A field code has 1 to 128 characters, does not start with a digit, and uses letters, digits and _ only.");
    }
    let t = p.field_type;
    if matches!(t, FieldType::Label | FieldType::Spacer | FieldType::Hr) {
        fail(
            ".type",
            "LABEL, SPACER and HR belong to the layout, not to the fields.",
        );
    }
    if in_subtable
        && (t.is_system()
            || matches!(
                t,
                FieldType::Subtable
                    | FieldType::ReferenceTable
                    | FieldType::Group
                    | FieldType::Category
            ))
    {
        fail(".type", "This field type cannot be placed in a table.");
    }
    if matches!(
        t,
        FieldType::RadioButton | FieldType::CheckBox | FieldType::MultiSelect | FieldType::DropDown
    ) && p.options.as_ref().is_none_or(|o| o.is_empty())
    {
        fail(".options", "Add at least one option.");
    }
    if t == FieldType::RadioButton && p.options.as_ref().is_none_or(|o| o.is_empty()) {
        return;
    }
    if t == FieldType::Calc && p.expression.as_deref().is_none_or(|e| e.trim().is_empty()) {
        fail(".expression", "Enter a formula.");
    }
    if t == FieldType::Subtable && p.fields.as_ref().is_none_or(|f| f.is_empty()) {
        fail(".fields", "A table needs at least one field.");
    }
    for (name, value) in [("minLength", &p.min_length), ("maxLength", &p.max_length)] {
        if value.as_ref().is_some_and(|v| v.parse::<u64>().is_err()) {
            fail(&format!(".{name}"), "Enter a whole number.");
        }
    }
    for (name, value) in [("minValue", &p.min_value), ("maxValue", &p.max_value)] {
        if value.as_ref().is_some_and(|v| v.parse::<f64>().is_err()) {
            fail(&format!(".{name}"), "Enter a number.");
        }
    }
    if let Some(lookup) = &p.lookup {
        if lookup.related_key_field.is_empty() || lookup.related_app.app.parse::<i64>().is_err() {
            fail(
                ".lookup",
                "A lookup needs the source app and its key field.",
            );
        }
    }
}

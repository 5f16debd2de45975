//! Kumiki API for the form designer: `POST /api/app/formula/check.json` checks a CALC formula while the
//! app builder types it, before anything is saved.
//!
//! The check runs on a copy of the pre-live definition (or of the unsaved fields the designer sends as
//! `properties`) with the candidate CALC field put in, so it reports exactly what saving would report:
//! syntax errors, unknown fields, fields of the wrong kind and circular references. Nothing is written.

use indexmap::IndexMap;
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{load_definition, AppId, PREVIEW};
use kumiki_engine::fields::formula::{self, Formula};
use kumiki_engine::fields::{FieldProperty, FieldType};
use kumiki_engine::{FieldErrors, Message, UserError};
use serde_json::{json, Value};

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

/// The code the candidate gets when the designer names none (not a valid user code, so it never
/// collides with a real field).
const CANDIDATE: &str = "__kumiki_formula_candidate__";

fn expression_error(messages: Vec<String>) -> ApiError {
    let mut errors = FieldErrors::new();
    errors.insert(
        "expression".to_owned(),
        messages.into_iter().map(Message::from).collect(),
    );
    UserError::Validation(errors).into()
}

/// `{app, expression, subtable?, code?, properties?}` → `{ok: true}`, or `CB_VA01` with
/// `errors.expression.messages`.
///
/// - `subtable`: the code of the table the CALC field sits in (its formula may then use the table's
///   own fields row by row).
/// - `code`: the CALC field's code, when it already exists or has been given one (a formula that
///   refers to its own field is reported as circular).
/// - `properties`: the designer's unsaved fields (the `properties` of `app/form/fields.json`); when
///   absent or unreadable the stored pre-live fields are used.
///
/// Errors: the manage right on the app (`CB_NO02`), a missing app (`GAIA_AP01`), a missing
/// expression (`CB_VA01`).
pub fn check_formula(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    call.app_row(app, AppRight::Manage)?;
    let expression = p.opt_str("expression")?.unwrap_or_default();
    if expression.trim().is_empty() {
        return Err(expression_error(vec!["Enter a formula.".into()]));
    }
    if let Err(e) = Formula::parse(&expression) {
        return Err(expression_error(vec![format!(
            "The formula has an error: {}",
            e.message
        )]));
    }
    let (mut def, _) = load_definition(call.conn, AppId(app), PREVIEW)?
        .ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
    if let Some(draft) = p.opt_object("properties")? {
        let parsed: Result<IndexMap<String, FieldProperty>, _> =
            serde_json::from_value(Value::Object(draft.clone()));
        if let Ok(mut props) = parsed {
            // Each property's code is its key, as the fields API treats it.
            for (key, prop) in props.iter_mut() {
                prop.code = key.clone();
                for (inner_key, inner) in prop.fields.iter_mut().flat_map(|f| f.iter_mut()) {
                    inner.code = inner_key.clone();
                }
            }
            def.properties = props;
        }
    }
    let code = p
        .opt_str("code")?
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| CANDIDATE.to_owned());
    let mut candidate = FieldProperty::new(FieldType::Calc, &code, &code);
    candidate.expression = Some(expression);
    let subtable = p.opt_str("subtable")?.filter(|s| !s.is_empty());
    match subtable {
        Some(table) => {
            let Some(inner) = def
                .properties
                .get_mut(&table)
                .filter(|t| t.field_type == FieldType::Subtable)
                .map(|t| t.fields.get_or_insert_with(IndexMap::new))
            else {
                return Err(ApiError::invalid(
                    "subtable",
                    "The specified table does not exist.",
                ));
            };
            inner.insert(code.clone(), candidate);
        }
        None => {
            // The candidate replaces any field of the same code, wherever it was.
            for p in def.properties.values_mut() {
                if let Some(inner) = p.fields.as_mut() {
                    inner.shift_remove(&code);
                }
            }
            def.properties.insert(code.clone(), candidate);
        }
    }
    def.assign_field_ids();
    let messages: Vec<String> = formula::check_definition(&def)
        .into_iter()
        .filter(|(c, _)| *c == code)
        .map(|(_, m)| m)
        .collect();
    if messages.is_empty() {
        Ok(json!({"ok": true}))
    } else {
        Err(expression_error(messages))
    }
}

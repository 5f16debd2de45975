//! Issue 16, printing: `app/printTemplates.json` (a Kumiki extension; read live or pre-live, write
//! pre-live with the app-management right, as the views and charts). The checks are the engine's
//! (`print::replace_templates`) with the source check of the template renderer
//! (`pages::print_templates::check`), which only the platform has.

use kumiki_engine::print;
use kumiki_engine::Message;
use serde_json::{json, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::params::Params;

pub fn get_templates(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"printTemplates": def.print_templates, "revision": revision.to_string()}))
}

pub fn update_templates(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let sent = match p.get("printTemplates") {
        Some(Value::Array(items)) => items.clone(),
        _ => {
            return Err(ApiError::invalid(
                "printTemplates",
                "Enter a list of templates.",
            ))
        }
    };
    let check = |source: &str| {
        crate::pages::check_print_template(source).map_err(|(key, detail)| {
            // The English wire text from the catalog; pages render the key in the user's language.
            let english = crate::i18n::format(Lang::En, key, &[("detail", detail.as_str())]);
            Message::keyed(key, english).arg("detail", detail)
        })
    };
    let mut stored = Vec::new();
    let result = change_preview(call, p, |def| {
        stored = print::replace_templates(def, &sent, &check)?;
        Ok(())
    })?;
    Ok(json!({"printTemplates": stored, "revision": result["revision"]}))
}

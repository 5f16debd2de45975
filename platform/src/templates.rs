//! Handlebars templates, embedded from `platform/templates/` and rendered in strict mode (a missing
//! variable is an error in tests, not an empty string in production). Output is HTML-escaped; the
//! triple-stashes are the layout's `body` (HTML that an escaped template already rendered) and the
//! search snippets (re-escaped by `pages::search::snippet::safe_snippet`, only `<mark>` kept).
//!
//! Helpers: `{{t "key"}}` looks the key up in the catalog of `@root.lang`; `{{json value}}` writes
//! JSON that is safe inside `<script type="application/json">` (`<`, `>`, `&` and line separators
//! escaped).

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use include_dir::{include_dir, Dir};

use crate::i18n::{self, Lang};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Builds the registry with every embedded template and the helpers.
pub fn registry() -> Result<Handlebars<'static>, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    let files: Vec<(String, Vec<u8>)> = crate::dev_assets::source_files("templates")
        .unwrap_or_else(|| {
            TEMPLATES
                .files()
                .map(|f| {
                    (
                        f.path().to_string_lossy().into_owned(),
                        f.contents().to_vec(),
                    )
                })
                .collect()
        });
    for (file_name, bytes) in files {
        let path = std::path::Path::new(&file_name);
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().and_then(|e| e.to_str()) != Some("hbs") {
            continue;
        }
        let text =
            std::str::from_utf8(&bytes).map_err(|_| format!("template {name} is not UTF-8"))?;
        hb.register_template_string(name, text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    hb.register_helper("t", Box::new(t_helper));
    hb.register_helper("json", Box::new(json_helper));
    Ok(hb)
}

fn root_lang(ctx: &Context) -> Lang {
    ctx.data()
        .get("lang")
        .and_then(|v| v.as_str())
        .and_then(Lang::parse)
        .unwrap_or(Lang::Ja)
}

fn t_helper(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let key = h
        .param(0)
        .and_then(|p| p.value().as_str())
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("t", 0)))?;
    let lang = root_lang(ctx);
    let args: Vec<(String, String)> = h
        .hash()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.value()
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.value().to_string()),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let text = i18n::format(lang, key, &refs);
    out.write(&handlebars::html_escape(&text))?;
    Ok(())
}

/// JSON for a `<script type="application/json">` block.
pub fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn json_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .map(|p| p.value().clone())
        .unwrap_or(serde_json::Value::Null);
    out.write(&script_json(&value))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_script_json_cannot_close_the_tag() -> Result<(), String> {
        registry()?;
        let v = serde_json::json!({"x": "</script><script>alert(1)</script>"});
        assert!(!script_json(&v).contains("</script>"));
        Ok(())
    }
}

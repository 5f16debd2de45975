//! Issue 15, public forms: the staff's `/api/public-form*.json` calls and the answers download
//! (`GET /api/public-form/answers.csv`). Handlers only translate parameters and shape responses;
//! the use cases, their rights (Manage on the app to change a form, View to read it) and audit rows
//! are `kumiki_engine::public_forms`. Documented in docs/public-forms.md.
//!
//! Responses use kintone's conventions (camelCase keys, ISO 8601 times in UTC); the form's
//! settings object keeps the snake_case keys of its stored JSON (docs/public-forms.md "Settings").

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::apps::AppId;
use kumiki_engine::public_forms::links::{self, Link, NewLink};
use kumiki_engine::public_forms::{export, results, store, templates};
use kumiki_engine::public_forms::{Form, FormSettings, FormUpdate, CLOSED, DRAFT, PUBLISHED};
use serde_json::{json, Map, Value};

use super::call::Call;
use super::surveys::time_of;
use crate::auth::{authenticate, credentials_from};
use crate::error::ApiError;
use crate::params::{as_i64, parse_query_string, Params};
use crate::state::{blocking, AppState};

/// How many links one call may create (a polling-station list is a few hundred).
const MAX_NEW_LINKS: usize = 2000;

/// An epoch time as kintone writes times: `2026-12-05T05:00:00Z`.
pub(crate) fn iso(t: i64) -> Value {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| Value::String(d.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        .unwrap_or(Value::Null)
}

fn iso_opt(t: Option<i64>) -> Value {
    t.map_or(Value::Null, iso)
}

/// The path residents open: `/f/<slug>`, or `/f/<slug>/l/<token>` for a recipient's link.
pub(crate) fn form_path(slug: &str, token: Option<&str>) -> String {
    match token {
        Some(t) => format!("/f/{slug}/l/{t}"),
        None => format!("/f/{slug}"),
    }
}

/// The URL of a path: absolute under `--public-url` when it is set, else the path alone (pages
/// put it after their own origin).
fn public_url(call: &Call, path: &str) -> String {
    match &call.state.settings.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

/// A form as the API shows it.
pub(crate) fn form_json(form: &Form, url: String) -> Value {
    json!({
        "id": form.id.to_string(),
        "app": form.app.to_string(),
        "slug": form.slug,
        "name": form.name,
        "state": form.state,
        "settings": form.settings,
        "opensAt": iso_opt(form.opens_at),
        "closesAt": iso_opt(form.closes_at),
        "maxAnswers": form.max_answers.map(|n| n.to_string()),
        "answerCount": form.answer_count.to_string(),
        "creator": form.creator,
        "createdAt": iso(form.created_at),
        "updatedAt": iso(form.updated_at),
        "path": form_path(&form.slug, None),
        "url": url,
    })
}

fn link_json(call: &Call, slug: &str, link: &Link) -> Value {
    let path = form_path(slug, Some(&link.token));
    json!({
        "id": link.id.to_string(),
        "form": link.form.to_string(),
        "token": link.token,
        "recipient": link.recipient,
        "prefill": link.prefill,
        "mode": link.mode,
        "expiresAt": iso_opt(link.expires_at),
        "revoked": link.revoked,
        "recordId": link.record_id.map(|n| n.to_string()),
        "answeredAt": iso_opt(link.answered_at),
        "receipt": link.receipt,
        "url": public_url(call, &path),
        "path": path,
    })
}

/// The settings object of a request, read into the engine's type (unknown keys are ignored, so
/// missing parts take their defaults).
fn settings_of(v: &Value) -> Result<FormSettings, ApiError> {
    if !v.is_object() {
        return Err(ApiError::invalid("settings", "Enter an object."));
    }
    serde_json::from_value(v.clone()).map_err(|e| {
        ApiError::invalid("settings", &format!("The settings could not be read: {e}."))
    })
}

/// A time parameter that may be cleared: absent → unchanged, `null`/"" → cleared, else ISO 8601.
fn time_change(p: &Params, key: &str, alias: &str) -> Result<Option<Option<i64>>, ApiError> {
    let (name, v) = match (p.0.get(key), p.0.get(alias)) {
        (Some(v), _) => (key, v),
        (None, Some(v)) => (alias, v),
        (None, None) => return Ok(None),
    };
    match v {
        Value::Null => Ok(Some(None)),
        Value::String(s) if s.trim().is_empty() => Ok(Some(None)),
        other => Ok(Some(Some(time_of(name, other)?))),
    }
}

fn count_change(p: &Params, key: &str, alias: &str) -> Result<Option<Option<i64>>, ApiError> {
    let (name, v) = match (p.0.get(key), p.0.get(alias)) {
        (Some(v), _) => (key, v),
        (None, Some(v)) => (alias, v),
        (None, None) => return Ok(None),
    };
    match v {
        Value::Null => Ok(Some(None)),
        Value::String(s) if s.trim().is_empty() => Ok(Some(None)),
        other => match as_i64(other) {
            Some(n) if n >= 1 => Ok(Some(Some(n))),
            _ => Err(ApiError::invalid(name, "Enter an integer of 1 or more.")),
        },
    }
}

/// `GET /api/public-forms.json?app=` → `{forms}` (View on the app).
pub fn list_forms(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let forms = store::list_forms(call.conn, call.acting, AppId(app))?;
    let list: Vec<Value> = forms
        .iter()
        .map(|f| form_json(f, public_url(call, &form_path(&f.slug, None))))
        .collect();
    Ok(json!({ "forms": list }))
}

/// `POST /api/public-form.json` `{app, name, settings?}` → `{id, slug, url}` (a draft; Manage).
pub fn create_form(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let name = p
        .opt_str("name")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("name", "Required field."))?;
    let settings = match p.get("settings") {
        None => FormSettings::default(),
        Some(v) => settings_of(v)?,
    };
    let form = store::create_form(call.conn, call.acting, AppId(app), &name, settings)?;
    let path = form_path(&form.slug, None);
    Ok(json!({
        "id": form.id.to_string(),
        "slug": form.slug,
        "url": public_url(call, &path),
        "path": path,
    }))
}

/// `GET /api/public-form.json?id=` → the form (View on its app).
pub fn get_form(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let form = store::get_form(call.conn, call.acting, p.i64("id")?)?;
    let url = public_url(call, &form_path(&form.slug, None));
    Ok(form_json(&form, url))
}

/// `PUT /api/public-form.json` `{id, name?, settings?, opensAt?, closesAt?, maxAnswers?, state?}`
/// → the form (Manage). Times are ISO 8601 or null; `state` is draft, published or closed.
pub fn update_form(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("id")?;
    let state = p.opt_str("state")?;
    if let Some(s) = &state {
        if ![DRAFT, PUBLISHED, CLOSED].contains(&s.as_str()) {
            return Err(ApiError::invalid(
                "state",
                "Enter draft, published or closed.",
            ));
        }
    }
    let name = match p.opt_str("name")? {
        Some(n) if n.trim().is_empty() => {
            return Err(ApiError::invalid("name", "Required field."));
        }
        other => other.map(|n| n.trim().to_owned()),
    };
    let update = FormUpdate {
        name,
        settings: p.get("settings").map(settings_of).transpose()?,
        opens_at: time_change(p, "opensAt", "opens_at")?,
        closes_at: time_change(p, "closesAt", "closes_at")?,
        max_answers: count_change(p, "maxAnswers", "max_answers")?,
        state,
    };
    let form = store::update_form(call.conn, call.acting, id, update)?;
    let url = public_url(call, &form_path(&form.slug, None));
    Ok(form_json(&form, url))
}

/// `DELETE /api/public-form.json` `{id}` (Manage; its links, answers and tallies go with it, the
/// records stay in the app).
pub fn delete_form(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    store::delete_form(call.conn, call.acting, p.i64("id")?)?;
    Ok(json!({}))
}

fn new_links(p: &Params) -> Result<Vec<NewLink>, ApiError> {
    let list = p
        .opt_array("links")?
        .ok_or_else(|| ApiError::invalid("links", "Required field."))?;
    if list.is_empty() || list.len() > MAX_NEW_LINKS {
        return Err(ApiError::invalid(
            "links",
            &format!("Enter 1 to {MAX_NEW_LINKS} links."),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, l)| {
            let key = |k: &str| format!("links[{i}].{k}");
            let recipient = l
                .get("recipient")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ApiError::invalid(&key("recipient"), "Required field."))?;
            let prefill: Map<String, Value> = match l.get("prefill") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(o)) => o.clone(),
                Some(_) => return Err(ApiError::invalid(&key("prefill"), "Enter an object.")),
            };
            let mode = match l.get("mode").and_then(Value::as_str) {
                None | Some("") | Some("once") => "once",
                Some("editable") => "editable",
                Some(_) => {
                    return Err(ApiError::invalid(&key("mode"), "Enter once or editable."));
                }
            };
            let expires_at = match l.get("expiresAt").or_else(|| l.get("expires_at")) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(v) => Some(time_of(&key("expiresAt"), v)?),
            };
            Ok(NewLink {
                recipient: recipient.to_owned(),
                prefill,
                mode: mode.to_owned(),
                expires_at,
            })
        })
        .collect()
}

/// `GET /api/public-form/links.json?form=` → `{links}` (View).
pub fn list_links(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("form")?;
    let form = store::get_form(call.conn, call.acting, id)?;
    let list = links::list_links(call.conn, call.acting, id)?;
    let out: Vec<Value> = list
        .iter()
        .map(|l| link_json(call, &form.slug, l))
        .collect();
    Ok(json!({ "links": out }))
}

/// `POST /api/public-form/links.json` `{form, links: [{recipient, prefill?, mode?, expiresAt?}]}`
/// → `{links}`, the new ones with their URLs (Manage).
pub fn create_links(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("form")?;
    let new = new_links(p)?;
    let created = links::create_links(call.conn, call.acting, id, &new)?;
    let form = store::get_form(call.conn, call.acting, id)?;
    let out: Vec<Value> = created
        .iter()
        .map(|l| link_json(call, &form.slug, l))
        .collect();
    Ok(json!({ "links": out }))
}

/// `DELETE /api/public-form/links.json` `{form, ids}`: revokes the links (Manage). A revoked link
/// answers "closed" to its recipient; what was answered through it stays.
pub fn revoke_links(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let id = p.i64("form")?;
    let ids: Vec<i64> = p
        .opt_i64_list("ids")?
        .ok_or_else(|| ApiError::invalid("ids", "Required field."))?
        .into_iter()
        .flatten()
        .collect();
    if ids.is_empty() {
        return Err(ApiError::invalid("ids", "Required field."));
    }
    links::revoke_links(call.conn, call.acting, id, &ids)?;
    Ok(json!({}))
}

/// `GET /api/public-form/results.json?form=` → the aggregated results (View; tallies only).
pub fn get_results(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let r = results::results(call.conn, call.acting, p.i64("form")?)?;
    serde_json::to_value(r).map_err(ApiError::internal_because)
}

/// `GET /api/public-form/templates.json` → `{templates: [{key, name, description, fields}]}`.
pub fn list_templates(_call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    let list = templates::templates();
    Ok(json!({ "templates": list }))
}

/// `POST /api/public-form/template.json` `{template, name?}` → `{app, form, slug}`: the template's
/// app, created and deployed, and its draft form (the caller needs the right to create apps).
pub fn create_from_template(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let key = p
        .opt_str("template")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("template", "Required field."))?;
    let name = p
        .opt_str("name")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let (app, form) =
        templates::create_from_template(call.conn, call.acting, &key, name.as_deref())?;
    Ok(json!({
        "app": app.0.to_string(),
        "form": form.id.to_string(),
        "slug": form.slug,
    }))
}

/// `GET /api/public-form/answers.csv?form=`: every answer of the form as CSV (UTF-8 with a BOM;
/// View and Export on the app). Written to a temporary file first and sent only when complete, so
/// a refusal still comes as kintone's JSON error.
pub async fn answers_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ja = super::wants_japanese(&req);
    let result: Result<HttpResponse, ApiError> = async {
        let creds = credentials_from(&req)?;
        let params = parse_query_string(req.query_string());
        let state = state.get_ref().clone();
        let (id, file) = blocking(move || {
            let id = Params(&params).i64("form")?;
            let mut conn = state.conn()?;
            let caller = authenticate(&state, &mut conn, &creds)?;
            // Next to the attachments, not in /tmp: a form can have 100,000 answers.
            let tmp_dir = state.files.incoming_dir()?;
            let tmp =
                tempfile::NamedTempFile::new_in(&tmp_dir).map_err(ApiError::internal_because)?;
            conn.read_transaction(|c| {
                let acting = caller.api_acting(None);
                let mut out = std::io::BufWriter::new(tmp.as_file());
                export::export_csv(c, &acting, id, &mut out)?;
                std::io::Write::flush(&mut out).map_err(ApiError::internal_because)?;
                Ok::<_, ApiError>(())
            })?;
            // Unlinked now; the open handle keeps the bytes until the download ends.
            let file = tmp.reopen().map_err(ApiError::internal_because)?;
            Ok::<_, ApiError>((id, file))
        })
        .await?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let body = super::files::file_stream(tokio::fs::File::from_std(file));
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(super::files::attachment(&format!("public-form-{id}.csv")))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", "no-store"))
            .no_chunking(size)
            .streaming(body))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => e.response(ja),
    }
}

//! App packages: an app's definition, optionally with its records and attachments, in one JSON file
//! (`"format": "kumiki-app/1"`). The same format serves `kumiki app export/import`, the example apps,
//! and templates shared between municipalities.
//!
//! Attachments travel inline (`contentBase64`) in exports; hand-written packages such as the examples
//! may name a file beside the package instead (`path`), read through a `FileSource`.
//!
//! Several linked apps travel together as a bundle (`"format": "kumiki-apps/1"`, `bundle`): their
//! permissions, process assignees and notification recipients become named roles (`roles`), and
//! their references to each other become package-local keys (`rewire`).

pub mod bundle;
pub mod kintone_files;
mod kintone_names;
pub mod kintone_read;
pub mod rewire;
pub mod roles;
pub mod upgrade;

pub use bundle::{
    export_bundle, has_roles, import_bundle, import_bundle_with, plan_import, ImportOptions,
    BUNDLE_FORMAT,
};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::acl::{check_app_access, AppRight};
use crate::acting::ActingContext;
use crate::apps::{self, check_definition, AppDefinition, AppId, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::fields::{FieldProperty, FieldType};
use crate::query;
use crate::records::{self, FileStore, ListRequest};

pub const FORMAT: &str = "kumiki-app/1";

/// The bundle that kintone app files (`kintone_files`) describe, for whoever may create apps
/// (the bundle is then planned and imported as any other).
pub fn from_kintone(
    conn: &mut DbConn,
    acting: &ActingContext,
    apps: &std::collections::BTreeMap<String, kintone_files::AppFiles>,
) -> EngineResult<Value> {
    apps::check_may_create(conn, acting.principal())?;
    kintone_files::convert(apps)
}

/// Reads files that a package names by relative path.
pub trait FileSource {
    fn read(&mut self, path: &str) -> Option<Vec<u8>>;
}

/// A source for packages that carry no path references.
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&mut self, _path: &str) -> Option<Vec<u8>> {
        None
    }
}

pub(crate) fn bad(message: impl Into<String>) -> EngineError {
    UserError::invalid("package", message.into()).into()
}

/// A refusal that pages show from the catalogs (`packages.err.*`).
pub(crate) fn bad_keyed(message: crate::error::Message) -> EngineError {
    UserError::invalid("package", message).into()
}

/// Builds the definition a package describes (system fields added by the engine).
pub fn definition_of(package: &Value) -> EngineResult<AppDefinition> {
    if package.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(bad(format!(
            "This is not a Kumiki app package (expected format \"{FORMAT}\")."
        )));
    }
    let app = package
        .get("app")
        .ok_or_else(|| bad("The package has no \"app\" section."))?;
    let name = app
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty());
    let mut def = AppDefinition::new(name.ok_or_else(|| bad("The app needs a name."))?);
    def.description = app
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    def.code = app
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let properties = package
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (code, raw) in properties {
        let mut raw = raw;
        if let Some(obj) = raw.as_object_mut() {
            obj.entry("code")
                .or_insert_with(|| Value::String(code.clone()));
        }
        let property: FieldProperty =
            serde_json::from_value(raw).map_err(|e| bad(format!("Field {code}: {e}.")))?;
        if property.field_type.is_system() {
            // System fields exist already; keep the package's label and code where they differ.
            continue;
        }
        def.properties.insert(code, property);
    }
    def.layout = package
        .get("layout")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(views) = package.get("views").and_then(Value::as_object) {
        for (i, (name, view)) in views.iter().enumerate() {
            let mut v = view.clone();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("name".into(), Value::String(name.clone()));
                obj.insert("id".into(), Value::String((i + 1).to_string()));
                obj.entry("index")
                    .or_insert_with(|| Value::String(i.to_string()));
            }
            def.views.insert(name.clone(), v);
        }
    }
    def.settings = package
        .get("settings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Review before go-live is the importing organisation's policy, set by its administrators.
    def.settings.remove(crate::review::REQUIRE_REVIEW);
    def.process = package
        .get("process")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(reports) = package.get("reports").and_then(Value::as_object) {
        // As with views: the package's key is the report's name, ids are the import's own.
        for (i, (name, report)) in reports.iter().enumerate() {
            let mut r = report.clone();
            if let Some(obj) = r.as_object_mut() {
                obj.insert("name".into(), Value::String(name.clone()));
                obj.insert("id".into(), Value::String((i + 1).to_string()));
                obj.entry("index")
                    .or_insert_with(|| Value::String(i.to_string()));
            }
            def.reports.insert(name.clone(), r);
        }
    }
    if let Some(templates) = package.get("printTemplates").and_then(Value::as_array) {
        // Sources are checked again whenever one is rendered; a paper orientation is checked here,
        // so an imported app never carries one the print page cannot lay out.
        for (i, t) in templates.iter().enumerate() {
            let orientation = t.get("orientation").and_then(Value::as_str);
            if orientation.is_some_and(|o| crate::print::Orientation::parse(o).is_none()) {
                return Err(bad_keyed(
                    crate::error::Message::keyed(
                        "packages.err.print_orientation",
                        format!(
                            "Print template {}: the orientation must be portrait or landscape.",
                            i + 1
                        ),
                    )
                    .arg("n", (i + 1).to_string()),
                ));
            }
        }
        def.print_templates = templates.clone();
    }
    if let Some(scripts) = package.get("scripts") {
        def.scripts =
            serde_json::from_value(scripts.clone()).map_err(|e| bad(format!("Scripts: {e}.")))?;
    }
    def.assign_field_ids();
    check_definition(&def)?;
    Ok(def)
}

/// Imports a package: creates and deploys the app, then adds its records (when `with_records`).
/// Runs inside the caller's transaction; returns the new app's id.
///
/// When the new app must pass review before going live (its own `requireReview`, or the server-wide
/// policy covers the importer's department), it is created pre-live only, to be submitted for review
/// like any other change; records cannot be added to an app that is not live, so asking for them
/// then fails with `ReviewRequired` and nothing is created.
pub fn import_package(
    conn: &mut DbConn,
    files: &FileStore,
    package: &Value,
    source: &mut dyn FileSource,
    acting: &ActingContext,
    with_records: bool,
) -> EngineResult<AppId> {
    // Importing a package creates an app: the same server setting decides who may.
    apps::check_may_create(conn, acting.principal())?;
    // Roles left unmapped would leave permissions and assignees naming nobody.
    if has_roles(package) {
        return Err(bad_keyed(crate::error::Message::keyed(
            "packages.err.needs_mapping",
            "This package names roles (departments, groups, users) to be mapped to local ones: \
             import it with a mapping (the import page, or --map on the command line).",
        )));
    }
    let actor = &acting.actor();
    let def = definition_of(package)?;
    let (app_id, revision) = apps::create_app(conn, def.clone(), None, None, &actor.code)?;
    if crate::review::requirement(conn, app_id, &def, None)?.required() {
        if with_records {
            return Err(UserError::ReviewRequired(revision).into());
        }
        return Ok(app_id);
    }
    apps::deploy(conn, app_id, None, false, &actor.code, |_, d, _| {
        Ok(check_definition(d)?)
    })?;
    if !with_records {
        return Ok(app_id);
    }
    let live = acting.open_app(conn, app_id, AppRight::Add)?;
    add_package_records(conn, files, &live, package, source, actor)?;
    Ok(app_id)
}

/// Adds a package's `records` (attachments uploaded first) and replays its `statusActions`.
pub(crate) fn add_package_records(
    conn: &mut DbConn,
    files: &FileStore,
    live: &LiveApp,
    package: &Value,
    source: &mut dyn FileSource,
    actor: &records::Actor,
) -> EngineResult<()> {
    let list = package
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut inputs = Vec::with_capacity(list.len());
    for (i, record) in list.into_iter().enumerate() {
        let Value::Object(mut record) = record else {
            return Err(bad(format!("Record {i} is not an object.")));
        };
        upload_files(conn, files, live, &mut record, source, &actor.code)?;
        inputs.push(record);
    }
    let mut ids = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(100) {
        ids.extend(
            records::add_records(conn, live, chunk, actor, true)?
                .into_iter()
                .map(|(id, _)| id),
        );
    }
    run_status_actions(conn, live, package, &ids, actor)
}

/// Applies the package's `statusActions` (one list of process action names per record, in the
/// order of `records`), so that an example's records stand in the states their history would have
/// left them in. Each action goes through `process::replay_actions`: the steps a user's action
/// takes, without asking whether the importer could run it (the template's people made that
/// history; a template's role may hand the steps to a group the importer is not in).
fn run_status_actions(
    conn: &mut DbConn,
    live: &LiveApp,
    package: &Value,
    ids: &[i64],
    actor: &records::Actor,
) -> EngineResult<()> {
    let Some(lists) = package.get("statusActions").and_then(Value::as_array) else {
        return Ok(());
    };
    if lists.len() > ids.len() {
        return Err(bad("\"statusActions\" has more entries than \"records\"."));
    }
    for (list, id) in lists.iter().zip(ids) {
        let names = list.as_array().map(Vec::as_slice).unwrap_or_default();
        for name in names {
            let Some(action) = name.as_str() else {
                return Err(bad("\"statusActions\" holds lists of action names."));
            };
            let change = crate::process::StatusChange {
                id: *id,
                action: action.to_owned(),
                assignee: None,
                revision: None,
            };
            crate::process::replay_actions(conn, live, &[change], actor)?;
        }
    }
    Ok(())
}

/// Replaces package file references (`path` or `contentBase64`) with uploaded file keys.
fn upload_files(
    conn: &mut DbConn,
    files: &FileStore,
    app: &LiveApp,
    record: &mut Map<String, Value>,
    source: &mut dyn FileSource,
    user: &str,
) -> EngineResult<()> {
    let file_codes: Vec<(String, Option<String>)> = app
        .definition
        .properties
        .iter()
        .flat_map(|(code, p)| {
            let mut out = Vec::new();
            if p.field_type == FieldType::File {
                out.push((code.clone(), None));
            }
            for (inner, ip) in p.fields.iter().flat_map(|f| f.iter()) {
                if ip.field_type == FieldType::File {
                    out.push((inner.clone(), Some(code.clone())));
                }
            }
            out
        })
        .collect();
    for (code, table) in file_codes {
        match table {
            None => {
                if let Some(cell) = record.get_mut(&code) {
                    replace_file_refs(conn, files, cell, source, user)?;
                }
            }
            Some(table) => {
                let rows = record
                    .get_mut(&table)
                    .and_then(|t| t.get_mut("value"))
                    .and_then(Value::as_array_mut);
                for row in rows.into_iter().flatten() {
                    if let Some(cell) = row.get_mut("value").and_then(|v| v.get_mut(&code)) {
                        replace_file_refs(conn, files, cell, source, user)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn replace_file_refs(
    conn: &mut DbConn,
    files: &FileStore,
    cell: &mut Value,
    source: &mut dyn FileSource,
    user: &str,
) -> EngineResult<()> {
    let Some(list) = cell.get_mut("value").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for item in list.iter_mut() {
        if item.get("fileKey").is_some() {
            continue;
        }
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("file")
            .to_owned();
        let content_type = item
            .get("contentType")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = if let Some(b64) = item.get("contentBase64").and_then(Value::as_str) {
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| bad(format!("The attachment {name} is not valid base64.")))?
        } else if let Some(path) = item.get("path").and_then(Value::as_str) {
            source.read(path).ok_or_else(|| {
                bad(format!(
                    "The attachment {path} is missing from the package."
                ))
            })?
        } else {
            return Err(bad(format!(
                "The attachment {name} has neither contentBase64 nor path."
            )));
        };
        let key = files.upload(conn, &name, &content_type, &bytes, user)?;
        *item = json!({ "fileKey": key });
    }
    Ok(())
}

/// Exports an app's live definition and, when `with_records`, all its records with attachments inline.
pub fn export_package(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    app: AppId,
    with_records: bool,
) -> EngineResult<Value> {
    let live = acting.open_app(conn, app, AppRight::Manage)?;
    if with_records {
        check_app_access(&live.access, AppRight::Export)?;
    }
    let def = &live.definition;
    let properties: Map<String, Value> = def
        .properties
        .iter()
        .filter(|(_, p)| !p.field_type.is_system())
        .map(|(c, p)| Ok((c.clone(), serde_json::to_value(p)?)))
        .collect::<EngineResult<_>>()?;
    let mut out = json!({
        "format": FORMAT,
        "app": {"name": def.name, "description": def.description, "code": def.code},
        "properties": properties,
        "layout": def.layout,
        "views": def.views,
        "settings": def.settings,
        "process": def.process,
    });
    if !def.reports.is_empty() {
        out["reports"] = serde_json::to_value(&def.reports)?;
    }
    if !def.print_templates.is_empty() {
        out["printTemplates"] = Value::Array(def.print_templates.clone());
    }
    if !def.scripts.is_empty() {
        out["scripts"] = serde_json::to_value(&def.scripts)?;
    }
    if with_records {
        out["records"] = Value::Array(export_records(conn, files, acting, &live)?);
    }
    Ok(out)
}

fn export_records(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    app: &LiveApp,
) -> EngineResult<Vec<Value>> {
    let mut out = Vec::new();
    let mut last_id = 0i64;
    loop {
        let text = format!("$id > {last_id} order by $id asc limit 500");
        let ctx = acting.query_context(app, None);
        let q = query::prepare(&text, &ctx)?;
        let page = records::list_records(
            conn,
            app,
            &ListRequest {
                query: &q,
                context: &ctx,
                limit: None,
                offset: None,
            },
        )?;
        let Some(last) = page.last() else { break };
        last_id = last.id;
        for record in &page {
            let mut values = Map::new();
            for (code, p) in &app.definition.properties {
                let t = p.field_type;
                if !t.is_writable()
                    && !matches!(
                        t,
                        FieldType::Creator
                            | FieldType::Modifier
                            | FieldType::CreatedTime
                            | FieldType::UpdatedTime
                    )
                {
                    continue;
                }
                let Some(v) = record.values.get(code) else {
                    continue;
                };
                let v = export_value(conn, files, t, v)?;
                values.insert(code.clone(), json!({ "value": v }));
            }
            out.push(Value::Object(values));
        }
    }
    Ok(out)
}

fn export_value(
    conn: &mut DbConn,
    files: &FileStore,
    t: FieldType,
    v: &Value,
) -> EngineResult<Value> {
    match t {
        FieldType::File => {
            let mut list = Vec::new();
            for f in v.as_array().into_iter().flatten() {
                let key = f.get("fileKey").and_then(Value::as_str).unwrap_or_default();
                let meta = records::file_meta(conn, key)?;
                let bytes = files.read(conn, &meta.storage_path)?;
                list.push(json!({
                    "name": meta.name,
                    "contentType": meta.content_type,
                    "contentBase64": base64::engine::general_purpose::STANDARD.encode(bytes),
                }));
            }
            Ok(Value::Array(list))
        }
        FieldType::Subtable => {
            let mut rows = Vec::new();
            for row in v.as_array().into_iter().flatten() {
                let mut cells = Map::new();
                for (code, cell) in row
                    .get("value")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let inner_type = cell
                        .get("type")
                        .and_then(Value::as_str)
                        .and_then(FieldType::from_name)
                        .unwrap_or(FieldType::SingleLineText);
                    if !inner_type.is_writable() {
                        continue;
                    }
                    let inner = export_value(
                        conn,
                        files,
                        inner_type,
                        cell.get("value").unwrap_or(&Value::Null),
                    )?;
                    cells.insert(code.clone(), json!({ "value": inner }));
                }
                rows.push(json!({ "value": cells }));
            }
            Ok(Value::Array(rows))
        }
        _ => Ok(v.clone()),
    }
}

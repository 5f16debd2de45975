//! kintone app files: the JSON that kintone's REST API returns for an app's definition
//! (`app.json`, `form/fields.json`, `form/layout.json`, `views.json`, `status.json`, `acl.json`,
//! `record/acl.json`, `field/acl.json`, `settings.json`, `reports.json`,
//! `notifications/{general,perRecord,reminder}.json`), for one or more apps, become one
//! `kumiki-apps/1` bundle (docs/packages.md "kintone からの移行"). The ordinary plan / preview /
//! import path then does the rest, review included.
//!
//! The input is keyed by kintone app id, then by the file's path under `/k/v1/app/` (`app.json`,
//! `record/acl.json` and `field/acl.json` keep their own names). kintone's shapes are Kumiki's, so
//! most sections pass through; what needs work:
//! - users, organizations and groups become the bundle's roles (the kintone code is the role's
//!   name and hint, so the importer maps each to a local entity on the preview page);
//! - a lookup or related-records table naming another app of the set gets that app's key
//!   (`rewire`); one naming an app outside the set is refused, naming each reference;
//! - kintone's system field codes (レコード番号, 作成者, ステータス, …) become Kumiki's
//!   (`Record_number`, `Created_by`, `Status`, …) wherever the definition names them;
//! - what Kumiki does not carry (JavaScript/CSS customization, plugins, app actions, an uploaded
//!   icon, …) is listed in the bundle's `warnings`, which the plan passes on, never dropped silently.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use super::kintone_names::{system_renames, Renames};
use super::{bad_keyed, rewire, BUNDLE_FORMAT};
use crate::acl::EVERYONE;
use crate::error::{EngineResult, Message};
use crate::fields::FieldType;

/// One app's files: path (`form/fields.json`) → parsed JSON.
pub type AppFiles = Map<String, Value>;

/// The files Kumiki reads; any other file of an app folder is reported as not carried.
const KNOWN: [&str; 13] = [
    "app.json",
    "form/fields.json",
    "form/layout.json",
    "views.json",
    "status.json",
    "acl.json",
    "record/acl.json",
    "field/acl.json",
    "settings.json",
    "reports.json",
    "notifications/general.json",
    "notifications/perRecord.json",
    "notifications/reminder.json",
];

/// A warning for the plan: a catalog key, its English text and the arguments.
fn warning(app: &str, message: Message) -> Value {
    let args: Map<String, Value> = message
        .args()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
        .collect();
    json!({"app": app, "key": message.key(), "text": message.text(), "args": args})
}

fn err(key: &'static str, text: String) -> Message {
    Message::keyed(key, text)
}

/// Normalizes a file path as written in a folder or zip (`app/form/fields.json`, `./views.json`)
/// to the key used here (`form/fields.json`).
pub fn normalize_path(path: &str) -> String {
    let p = path.trim_start_matches("./").trim_start_matches('/');
    match p.strip_prefix("app/") {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => p.to_owned(),
    }
}

/// Converts the files of `apps` (kintone app id → files) into a `kumiki-apps/1` bundle.
pub fn convert(apps: &BTreeMap<String, AppFiles>) -> EngineResult<Value> {
    if apps.is_empty() {
        return Err(bad_keyed(err(
            "kintone.err.no_apps",
            "The folder holds no kintone app (one sub-folder per app, named by its app id).".into(),
        )));
    }
    // kintone app id → bundle key; the id itself is a fine key and shows in the plan.
    let keys: HashMap<String, String> = apps.keys().map(|id| (id.clone(), id.clone())).collect();
    let mut renames = HashMap::new();
    for (id, files) in apps {
        let fields = fields_of(id, files)?;
        renames.insert(id.clone(), system_renames(fields));
    }
    let mut roles = RoleCollector::default();
    let mut warnings = Vec::new();
    let mut outside = Vec::new();
    let mut entries = Vec::new();
    for (id, files) in apps {
        let mut entry = convert_app(id, files, &renames, &mut warnings)?;
        let properties = entry
            .get_mut("properties")
            .map(std::mem::take)
            .unwrap_or_else(|| json!({}));
        let mut properties = properties;
        for r in rewire::to_keys(&mut properties, None, &keys) {
            outside.push(
                err(
                    "kintone.err.outside_one",
                    format!("app {id}, field {} → app {}", r.at, r.app),
                )
                .arg("app", id.clone())
                .arg("field", r.at)
                .arg("target", r.app),
            );
        }
        entry["properties"] = properties;
        for section in ["acl", "process"] {
            if let Some(v) = entry.get_mut(section) {
                roles.replace(v, false);
            }
        }
        if let Some(v) = entry.get_mut("notifications") {
            roles.replace(v, true);
        }
        if let Some(Value::Object(props)) = entry.get_mut("properties") {
            roles.replace_in_properties(props);
        }
        entries.push(entry);
    }
    if !outside.is_empty() {
        let list: Vec<String> = outside.iter().map(|m| m.text().to_owned()).collect();
        return Err(bad_keyed(
            err(
                "kintone.err.outside",
                format!(
                    "These lookups or related-records tables name apps that are not in the \
                     folder; add those apps' folders or remove the references: {}.",
                    list.join(", ")
                ),
            )
            .arg("list", list.join("、")),
        ));
    }
    Ok(json!({
        "format": BUNDLE_FORMAT,
        "source": "kintone",
        "roles": roles.roles,
        "warnings": warnings,
        "apps": entries,
    }))
}

/// The `properties` of an app's `form/fields.json`, which every app needs.
fn fields_of<'a>(id: &str, files: &'a AppFiles) -> EngineResult<&'a Map<String, Value>> {
    let missing = || {
        bad_keyed(
            err(
                "kintone.err.no_fields",
                format!("App {id}: form/fields.json is missing (every app needs it)."),
            )
            .arg("app", id.to_owned()),
        )
    };
    let doc = files.get("form/fields.json").ok_or_else(missing)?;
    doc.get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_keyed(
                err(
                    "kintone.err.fields_shape",
                    format!(
                        "App {id}: form/fields.json has no \"properties\" object (save the \
                         answer of GET /k/v1/app/form/fields.json as it is)."
                    ),
                )
                .arg("app", id.to_owned()),
            )
        })
}

/// The member `member` of the file `path`, when the file is there.
fn part<'a>(files: &'a AppFiles, path: &str, member: &str) -> Option<&'a Value> {
    files
        .get(path)
        .and_then(|d| d.get(member))
        .filter(|v| !v.is_null())
}

/// A file's object without kintone's `revision` (and `app`, as a saved PUT body might hold).
fn without_revision(v: &Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.remove("revision");
    m.remove("app");
    m
}

fn convert_app(
    id: &str,
    files: &AppFiles,
    renames: &HashMap<String, Renames>,
    warnings: &mut Vec<Value>,
) -> EngineResult<Value> {
    let own = renames.get(id).cloned().unwrap_or_default();
    let fields = fields_of(id, files)?;
    let mut properties = Map::new();
    for (code, property) in fields {
        check_type(id, code, property)?;
        let t = property.get("type").and_then(Value::as_str).unwrap_or("");
        if FieldType::from_name(t).is_some_and(FieldType::is_system) {
            // Kumiki adds its own system fields; their codes are renamed below.
            continue;
        }
        let mut p = property.clone();
        own.apply_property(&mut p, renames);
        properties.insert(code.clone(), p);
    }
    let info = files.get("app.json");
    let text = |member: &str| {
        info.and_then(|i| i.get(member))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let settings_doc = files.get("settings.json");
    let mut name = text("name");
    if name.trim().is_empty() {
        name = settings_doc
            .and_then(|s| s.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
    }
    if name.trim().is_empty() {
        name = format!("kintone app {id}");
    }
    let mut description = text("description");
    if description.is_empty() {
        description = settings_doc
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
    }
    let mut entry = json!({
        "key": id,
        "app": {"name": name, "description": description, "code": text("code")},
        "properties": properties,
    });
    if let Some(layout) = part(files, "form/layout.json", "layout") {
        let mut layout = layout.clone();
        own.apply(&mut layout);
        entry["layout"] = layout;
    }
    if let Some(views) = part(files, "views.json", "views") {
        let mut views = views.clone();
        own.apply(&mut views);
        entry["views"] = views;
    }
    if let Some(doc) = files.get("status.json") {
        let mut process = without_revision(doc);
        // A process never configured answers `states: null`: nothing to carry.
        if process.get("states").is_some_and(|s| !s.is_null()) {
            let mut v = Value::Object(std::mem::take(&mut process));
            own.apply(&mut v);
            entry["process"] = v;
        }
    }
    if let Some(doc) = files.get("settings.json") {
        entry["settings"] = Value::Object(settings_of(id, doc, &own, warnings));
    }
    if let Some(reports) = part(files, "reports.json", "reports") {
        let mut reports = reports.clone();
        own.apply(&mut reports);
        entry["reports"] = reports;
    }
    let mut acl = Map::new();
    for (path, member) in [
        ("acl.json", "app"),
        ("record/acl.json", "record"),
        ("field/acl.json", "field"),
    ] {
        if let Some(rights) = part(files, path, "rights") {
            let mut rights = rights.clone();
            own.apply(&mut rights);
            acl.insert(member.into(), rights);
        }
    }
    if !acl.is_empty() {
        entry["acl"] = Value::Object(acl);
    }
    let mut notifications = Map::new();
    for (path, member) in [
        ("notifications/general.json", "general"),
        ("notifications/perRecord.json", "perRecord"),
        ("notifications/reminder.json", "reminder"),
    ] {
        if let Some(doc) = files.get(path) {
            let mut v = Value::Object(without_revision(doc));
            own.apply(&mut v);
            notifications.insert(member.into(), v);
        }
    }
    if !notifications.is_empty() {
        entry["notifications"] = Value::Object(notifications);
    }
    not_carried(id, files, warnings);
    Ok(entry)
}

/// Refuses a field whose type is no kintone type (Kumiki knows every one kintone has), in a
/// table too.
fn check_type(id: &str, code: &str, property: &Value) -> EngineResult<()> {
    let t = property.get("type").and_then(Value::as_str).unwrap_or("");
    if FieldType::from_name(t).is_none() {
        return Err(bad_keyed(
            err(
                "kintone.err.field_type",
                format!("App {id}: the field \"{code}\" has the type \"{t}\", which Kumiki does not know."),
            )
            .arg("app", id.to_owned())
            .arg("field", code.to_owned())
            .arg("type", t.to_owned()),
        ));
    }
    for (inner, p) in property
        .get("fields")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        check_type(id, inner, p)?;
    }
    Ok(())
}

/// `settings.json` as Kumiki keeps it: without the name and description (the app's own), and
/// without an uploaded icon (its file stays on kintone).
fn settings_of(
    id: &str,
    doc: &Value,
    own: &Renames,
    warnings: &mut Vec<Value>,
) -> Map<String, Value> {
    let mut s = without_revision(doc);
    for member in ["name", "description"] {
        s.remove(member);
    }
    let uploaded = s
        .get("icon")
        .and_then(|i| i.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t != "PRESET");
    if uploaded {
        s.remove("icon");
        warnings.push(warning(
            id,
            err(
                "kintone.warn.icon",
                "The app's uploaded icon is not carried (a preset icon is used).".into(),
            ),
        ));
    }
    let mut v = Value::Object(s);
    own.apply(&mut v);
    v.as_object().cloned().unwrap_or_default()
}

/// Warnings for the files Kumiki does not read: customization, plugins, actions, anything else.
fn not_carried(id: &str, files: &AppFiles, warnings: &mut Vec<Value>) {
    for (path, doc) in files {
        if KNOWN.contains(&path.as_str()) {
            continue;
        }
        let message = match path.as_str() {
            "customize.json" => {
                let count = ["desktop", "mobile"]
                    .iter()
                    .flat_map(|d| ["js", "css"].map(|k| (d, k)))
                    .map(|(d, k)| {
                        doc.get(*d)
                            .and_then(|x| x.get(k))
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len)
                    })
                    .sum::<usize>();
                if count == 0 {
                    continue;
                }
                err(
                    "kintone.warn.customize",
                    format!(
                        "{count} JavaScript/CSS customization file(s) are not carried; Kumiki \
                         runs its own scripts (docs/scripts.md)."
                    ),
                )
                .arg("count", count.to_string())
            }
            "plugins.json" => {
                let count = doc
                    .get("plugins")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if count == 0 {
                    continue;
                }
                err(
                    "kintone.warn.plugins",
                    format!("{count} plugin(s) are not carried."),
                )
                .arg("count", count.to_string())
            }
            "actions.json" => {
                let count = doc
                    .get("actions")
                    .and_then(Value::as_object)
                    .map_or(0, Map::len);
                if count == 0 {
                    continue;
                }
                err(
                    "kintone.warn.actions",
                    format!("{count} app action(s) are not carried."),
                )
                .arg("count", count.to_string())
            }
            other => err(
                "kintone.warn.file",
                format!("The file {other} is not read by Kumiki and is not carried."),
            )
            .arg("file", other.to_owned()),
        };
        warnings.push(warning(id, message));
    }
}

/// Turns kintone's users, organizations and groups into roles (the kintone code names the role).
#[derive(Default)]
struct RoleCollector {
    roles: Vec<Value>,
    by_entity: HashMap<(String, String), usize>,
}

impl RoleCollector {
    fn role_for(&mut self, kind: &str, code: &str, optional: bool) -> String {
        if let Some(i) = self.by_entity.get(&(kind.to_owned(), code.to_owned())) {
            let spec = &mut self.roles[*i];
            let was = spec["optional"].as_bool().unwrap_or(false);
            spec["optional"] = Value::Bool(was && optional);
            return spec["role"].as_str().unwrap_or_default().to_owned();
        }
        let taken = |name: &str| self.roles.iter().any(|r| r["role"] == name);
        let mut role = code.to_owned();
        if taken(&role) {
            role = format!("{code} ({kind})");
        }
        let mut n = 2;
        while taken(&role) {
            role = format!("{code} ({kind} {n})");
            n += 1;
        }
        self.by_entity
            .insert((kind.to_owned(), code.to_owned()), self.roles.len());
        // Unlike a Kumiki export, a user keeps its kintone login as the code: bodies moving from
        // kintone usually keep their logins, and the plan then suggests the same local user.
        self.roles.push(json!({
            "role": role, "kind": kind, "hint": code, "code": code, "optional": optional,
        }));
        role
    }

    fn replace(&mut self, value: &mut Value, optional: bool) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|i| self.replace(i, optional)),
            Value::Object(obj) => {
                let kind = match obj.get("type").and_then(Value::as_str) {
                    Some("USER") => Some("user"),
                    Some("GROUP") => Some("group"),
                    Some("ORGANIZATION") => Some("department"),
                    _ => None,
                };
                let code = obj.get("code").and_then(Value::as_str).map(str::to_owned);
                match kind.zip(code) {
                    Some((kind, code)) if !(kind == "group" && code == EVERYONE) => {
                        let role = self.role_for(kind, &code, optional);
                        obj.remove("code");
                        obj.insert(super::roles::ROLE.into(), Value::String(role));
                    }
                    _ => obj.iter_mut().for_each(|(_, v)| self.replace(v, optional)),
                }
            }
            _ => {}
        }
    }

    /// Only the members of a field that hold entities (a field group's type is also `GROUP`).
    fn replace_in_properties(&mut self, properties: &mut Map<String, Value>) {
        for (_, property) in properties.iter_mut() {
            let Some(obj) = property.as_object_mut() else {
                continue;
            };
            for member in ["defaultValue", "entities"] {
                if let Some(v) = obj.get_mut(member) {
                    self.replace(v, false);
                }
            }
            if let Some(Value::Object(inner)) = obj.get_mut("fields") {
                self.replace_in_properties(inner);
            }
        }
    }
}

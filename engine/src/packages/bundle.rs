//! Bundles: several linked apps in one package (`"format": "kumiki-apps/1"`).
//!
//! ```text
//! {"format": "kumiki-apps/1",
//!  "roles": [{"role": "福祉課", "kind": "department", "hint": "福祉課", "code": "fukushi"}],
//!  "apps": [{"key": "customers", "app": {...}, "properties": {...}, "views": ..., "process": ...,
//!            "acl": {"app": [...], "record": [...], "field": [...]}, "notifications": {...},
//!            "records": [...]}, ...]}
//! ```
//!
//! Each app entry is a `kumiki-app/1` package body plus its permissions and notification rules,
//! with people as roles (`roles`) and other apps of the bundle as keys (`rewire`). Import is
//! planned first (`plan_import`: what will be created, which roles need which local entities,
//! which app codes already exist, whether review applies), then done in the caller's transaction
//! (`import_bundle`: every app or none). A `kumiki-app/1` package is read as a bundle of one app.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::roles::{self, RoleSpec, RoleTable};
use super::{bad, bad_keyed, definition_of, export_package, rewire, upgrade, NoFiles, FORMAT};
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{self, check_definition, AppDefinition, AppId, AppRow};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::records::FileStore;
use crate::review;

pub const BUNDLE_FORMAT: &str = "kumiki-apps/1";

/// The sections of an app entry that may name people (and so hold role references).
const PEOPLE_SECTIONS: [&str; 4] = ["acl", "process", "notifications", "properties"];

/// Exports `apps` (each needs app management; with records also record export) as one bundle.
/// A reference from one of them to an app outside the set is refused, naming each one.
pub fn export_bundle(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    app_ids: &[AppId],
    with_records: bool,
) -> EngineResult<Value> {
    if app_ids.is_empty() {
        return Err(bad("Choose at least one app to export."));
    }
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut used = HashSet::new();
    let mut lives = Vec::with_capacity(app_ids.len());
    for (i, id) in app_ids.iter().enumerate() {
        let live = acting.open_app(conn, *id, AppRight::Manage)?;
        if keys.contains_key(&id.0.to_string()) {
            return Err(bad(format!("The app {} is chosen twice.", id.0)));
        }
        // The app code is the natural key (it names the app on every server); else its position.
        let code = live.definition.code.trim();
        let key = if !code.is_empty() && !used.contains(code) {
            code.to_owned()
        } else {
            format!("app{}", i + 1)
        };
        used.insert(key.clone());
        keys.insert(id.0.to_string(), key);
        lives.push(live);
    }
    let mut table = RoleTable::default();
    let mut entries = Vec::with_capacity(lives.len());
    let mut outside = Vec::new();
    for (live, id) in lives.iter().zip(app_ids) {
        let def = &live.definition;
        let mut entry = export_package(conn, files, acting, *id, with_records)?;
        let Some(obj) = entry.as_object_mut() else {
            return Err(bad("The app could not be exported."));
        };
        obj.remove("format");
        let key = keys.get(&id.0.to_string()).cloned().unwrap_or_default();
        obj.insert("key".into(), Value::String(key));
        let mut properties = obj.remove("properties").unwrap_or_else(|| json!({}));
        let mut scripts = obj.remove("scripts");
        for r in rewire::to_keys(&mut properties, scripts.as_mut(), &keys) {
            outside.push(format!("{} ({}) → app {}", def.name, r.at, r.app));
        }
        table.replace_in_properties(conn, &mut properties)?;
        obj.insert("properties".into(), properties);
        if let Some(s) = scripts {
            obj.insert("scripts".into(), s);
        }
        let mut acl = json!({
            "app": def.app_acl,
            "record": def.record_acl,
            "field": def.field_acl,
        });
        table.replace(conn, &mut acl, false)?;
        obj.insert("acl".into(), acl);
        if let Some(process) = obj.get_mut("process") {
            table.replace(conn, process, false)?;
        }
        if !def.notifications.is_empty() {
            let mut n = Value::Object(def.notifications.clone());
            table.replace(conn, &mut n, true)?;
            obj.insert("notifications".into(), n);
        }
        // Public forms travel as their settings; their links, answers and secrets stay here.
        let forms = crate::public_forms::list_forms(conn, acting, *id)?;
        if !forms.is_empty() {
            let list: Vec<Value> = forms
                .iter()
                .rev()
                .map(|f| json!({"name": f.name, "settings": f.settings}))
                .collect();
            obj.insert("publicForms".into(), Value::Array(list));
        }
        entries.push(entry);
    }
    if !outside.is_empty() {
        return Err(bad(format!(
            "These references name apps outside the export; add those apps to it or remove the \
             references: {}.",
            outside.join(", ")
        )));
    }
    Ok(json!({"format": BUNDLE_FORMAT, "roles": table.roles, "apps": entries}))
}

/// A package read as a bundle: its roles and app entries (a single-app package is one entry,
/// keyed `app1`, without roles).
fn normalize(package: &Value) -> EngineResult<(Vec<RoleSpec>, Vec<Value>)> {
    match package.get("format").and_then(Value::as_str) {
        // A single app may name roles too (the gallery's templates with permissions and
        // assignees): they are declared at its top level, as a bundle declares them.
        Some(FORMAT) => {
            let roles = role_specs_of(package)?;
            let mut entry = package.clone();
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("key".into(), Value::String("app1".into()));
                obj.remove("roles");
            }
            Ok((roles, vec![entry]))
        }
        Some(BUNDLE_FORMAT) => {
            let roles = role_specs_of(package)?;
            let entries = package
                .get("apps")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .cloned()
                .ok_or_else(|| {
                    bad_keyed(Message::keyed(
                        "packages.err.no_apps",
                        "The package has no \"apps\".",
                    ))
                })?;
            let mut keys = HashSet::new();
            for (i, e) in entries.iter().enumerate() {
                let key = entry_key(e);
                if key.is_empty() || !keys.insert(key.to_owned()) {
                    return Err(bad_keyed(
                        Message::keyed(
                            "packages.err.key",
                            format!("The app {} of the package needs a \"key\" of its own.", i + 1),
                        )
                        .arg("n", (i + 1).to_string()),
                    ));
                }
            }
            Ok((roles, entries))
        }
        _ => Err(bad_keyed(
            Message::keyed(
                "packages.err.not_package",
                format!(
                    "This is not a Kumiki package (expected format \"{FORMAT}\" or                      \"{BUNDLE_FORMAT}\")."
                ),
            )
            .arg("expected", format!("{FORMAT}\" / \"{BUNDLE_FORMAT}")),
        )),
    }
}

/// The package's declared roles, each of a known kind and named once.
fn role_specs_of(package: &Value) -> EngineResult<Vec<RoleSpec>> {
    let roles: Vec<RoleSpec> = match package.get("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(r) => {
            serde_json::from_value(r.clone()).map_err(|e| bad(format!("\"roles\": {e}.")))?
        }
    };
    let mut names = HashSet::new();
    for r in &roles {
        if !matches!(r.kind.as_str(), "user" | "group" | "department") {
            return Err(bad_keyed(
                Message::keyed(
                    "packages.err.bad_kind",
                    format!(
                        "The role \"{}\" has the kind \"{}\" (user, group or department).",
                        r.role, r.kind
                    ),
                )
                .arg("role", r.role.clone())
                .arg("kind", r.kind.clone()),
            ));
        }
        if !names.insert(r.role.clone()) {
            return Err(bad_keyed(
                Message::keyed(
                    "packages.err.role_twice",
                    format!("The role \"{}\" is declared twice.", r.role),
                )
                .arg("role", r.role.clone()),
            ));
        }
    }
    Ok(roles)
}

/// Whether a package names roles that its importer must map (`import_bundle` with a mapping;
/// `import_package` refuses it).
pub fn has_roles(package: &Value) -> bool {
    package
        .get("roles")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
}

pub(super) fn entry_key(entry: &Value) -> &str {
    entry.get("key").and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn entry_str<'a>(entry: &'a Value, member: &str) -> &'a str {
    entry
        .get("app")
        .and_then(|a| a.get(member))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The app codes in use on this server (live or pre-live) → (app id, name).
fn existing_codes(conn: &mut DbConn) -> EngineResult<HashMap<String, (i64, String)>> {
    let mut out = HashMap::new();
    for row in AppRow::list(conn)? {
        let def = match apps::load_definition(conn, AppId(row.id), apps::LIVE)? {
            Some((d, _)) => d,
            None => match apps::load_definition(conn, AppId(row.id), apps::PREVIEW)? {
                Some((d, _)) => d,
                None => continue,
            },
        };
        if !def.code.is_empty() {
            out.entry(def.code.clone()).or_insert((row.id, def.name));
        }
    }
    Ok(out)
}

/// What importing `package` would do, for the importer to review and map roles before
/// `import_bundle`: the apps (fields, records, an existing app with the same code), the roles
/// with local suggestions, the app codes in conflict, and whether the new apps go to IT review
/// before they are live (records then cannot come along).
pub fn plan_import(
    conn: &mut DbConn,
    package: &Value,
    acting: &ActingContext,
) -> EngineResult<Value> {
    apps::check_may_create(conn, acting.principal())?;
    let (role_specs, entries) = normalize(package)?;
    let codes = existing_codes(conn)?;
    let mut plan_apps = Vec::new();
    let mut conflicts = Vec::new();
    for e in &entries {
        let code = entry_str(e, "code");
        let conflict = codes.get(code).filter(|_| !code.is_empty());
        if let Some((id, name)) = conflict {
            conflicts.push(
                json!({"key": entry_key(e), "code": code, "app": id.to_string(),
                                  "name": name}),
            );
        }
        let references: Vec<String> = e
            .get("properties")
            .map(rewire::referenced_keys)
            .unwrap_or_default();
        plan_apps.push(json!({
            "key": entry_key(e),
            "name": entry_str(e, "name"),
            "code": code,
            "fields": e.get("properties").and_then(Value::as_object).map_or(0, Map::len),
            "views": e.get("views").and_then(Value::as_object).map_or(0, Map::len),
            "records": e.get("records").and_then(Value::as_array).map_or(0, Vec::len),
            "publicForms": e.get("publicForms").and_then(Value::as_array).map_or(0, Vec::len),
            "references": references,
            "conflict": conflict.map(|(id, name)| json!({"app": id.to_string(), "name": name})),
        }));
    }
    // Each app's definition as the import would build it (any id, every role mapped), so that a
    // package the import would refuse says so before the importer maps anything.
    let any_ids: HashMap<String, i64> = entries
        .iter()
        .map(|e| (entry_key(e).to_owned(), 1))
        .collect();
    let every_role: HashMap<String, String> = role_specs
        .iter()
        .map(|r| (r.role.clone(), r.role.clone()))
        .collect();
    let mut problems = Vec::new();
    for e in &entries {
        match definition_of_entry(e, &any_ids, &every_role) {
            Ok(_) => {}
            Err(EngineError::User(u)) => {
                problems.push(json!({"key": entry_key(e), "messages": messages_of(&u)}));
            }
            Err(other) => return Err(other),
        }
    }
    let mut plan_roles = Vec::new();
    for spec in &role_specs {
        let mut r = serde_json::to_value(spec)?;
        r["suggestions"] = Value::Array(roles::suggestions(conn, spec)?);
        plan_roles.push(r);
    }
    let policy = review::policy::load(conn)?;
    let review_required =
        review::policy::covers_department(conn, &policy, acting.principal().primary_department())?;
    // Who signed it and whether this server trusts the key (docs/packages.md).
    let signature = crate::package_signing::trust::status(conn, package)?;
    let mut plan = Map::new();
    plan.insert(
        "format".into(),
        package.get("format").cloned().unwrap_or(Value::Null),
    );
    plan.insert("signature".into(), serde_json::to_value(signature)?);
    plan.insert("apps".into(), Value::Array(plan_apps));
    plan.insert("roles".into(), Value::Array(plan_roles));
    plan.insert("conflicts".into(), Value::Array(conflicts));
    plan.insert("problems".into(), Value::Array(problems));
    plan.insert("reviewRequired".into(), Value::Bool(review_required));
    // What a converted package could not carry (kintone app files), for the importer to see.
    plan.insert(
        "warnings".into(),
        package
            .get("warnings")
            .cloned()
            .unwrap_or_else(|| json!([])),
    );
    // A newer version of an installed package: the diff and local changes per app.
    upgrade::annotate_plan(conn, package, &entries, &mut plan)?;
    Ok(Value::Object(plan))
}

/// The texts of a refusal, for the plan (`{"properties.x": ["..."]}` becomes `"properties.x: ..."`).
pub(super) fn messages_of(error: &UserError) -> Vec<String> {
    match error {
        UserError::Validation(errors) => errors
            .iter()
            .flat_map(|(key, list)| list.iter().map(move |m| format!("{key}: {}", m.text())))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Checks `mapping` (role → local code) against the package's roles: every mapped role exists in
/// the package and its entity locally; every required role is mapped.
fn check_mapping(
    conn: &mut DbConn,
    role_specs: &[RoleSpec],
    mapping: &HashMap<String, String>,
) -> EngineResult<()> {
    for role in mapping.keys() {
        if !role_specs.iter().any(|r| &r.role == role) {
            return Err(bad_keyed(
                Message::keyed(
                    "packages.err.no_role",
                    format!("The package has no role \"{role}\"."),
                )
                .arg("role", role.clone()),
            ));
        }
    }
    let mut missing = Vec::new();
    // The catalog message names the roles only (their kinds are English words).
    let mut missing_names = Vec::new();
    for spec in role_specs {
        match mapping.get(&spec.role) {
            Some(code) => {
                if !roles::exists(conn, &spec.kind, code)? {
                    return Err(bad_keyed(
                        Message::keyed(
                            "packages.err.no_local",
                            format!(
                                "The role \"{}\" is mapped to \"{code}\", which is no local {}.",
                                spec.role, spec.kind
                            ),
                        )
                        .arg("role", spec.role.clone())
                        .arg("code", code.clone()),
                    ));
                }
            }
            None if spec.optional => {}
            None => {
                missing.push(format!("{} ({})", spec.role, spec.kind));
                missing_names.push(spec.role.clone());
            }
        }
    }
    if !missing.is_empty() {
        return Err(bad_keyed(
            Message::keyed(
                "packages.err.unmapped",
                format!(
                    "Map these roles of the package to local entities: {}.",
                    missing.join(", ")
                ),
            )
            .arg("roles", missing_names.join("、")),
        ));
    }
    Ok(())
}

/// The definition of one app entry, with its references and roles resolved.
pub(super) fn definition_of_entry(
    entry: &Value,
    ids: &HashMap<String, i64>,
    mapping: &HashMap<String, String>,
) -> EngineResult<AppDefinition> {
    let mut e = entry.clone();
    let Some(obj) = e.as_object_mut() else {
        return Err(bad("An app of the package is not an object."));
    };
    let mut properties = obj.remove("properties").unwrap_or_else(|| json!({}));
    let mut scripts = obj.remove("scripts");
    rewire::from_keys(&mut properties, scripts.as_mut(), ids).map_err(bad)?;
    obj.insert("properties".into(), properties);
    if let Some(s) = scripts {
        obj.insert("scripts".into(), s);
    }
    for section in PEOPLE_SECTIONS {
        if let Some(v) = obj.get_mut(section) {
            roles::from_roles(v, mapping).map_err(bad)?;
        }
    }
    obj.insert("format".into(), Value::String(FORMAT.into()));
    let mut def = definition_of(&e)?;
    match e.get("acl") {
        Some(acl) => {
            let part = |name: &str| acl.get(name).cloned().unwrap_or(Value::Null);
            def.app_acl = serde_json::from_value(part("app"))
                .map_err(|err| bad(format!("App permissions: {err}.")))?;
            // An app exported with no list of its own (everyone manages it on the source server)
            // becomes its importer's, as a new app does: the importer must be able to submit it
            // for review and manage it.
            if def.app_acl.is_none() {
                def.app_acl = Some(apps::default_app_acl());
            }
            let or_empty = |v: Value| if v.is_null() { json!([]) } else { v };
            def.record_acl = serde_json::from_value(or_empty(part("record")))
                .map_err(|err| bad(format!("Record permissions: {err}.")))?;
            def.field_acl = serde_json::from_value(or_empty(part("field")))
                .map_err(|err| bad(format!("Field permissions: {err}.")))?;
            apps::check_field_acl_codes(&def)?;
        }
        // A single-app package carries no permissions: the new app is its creator's, as when
        // created by hand.
        None => def.app_acl = Some(apps::default_app_acl()),
    }
    if let Some(n) = e.get("notifications").and_then(Value::as_object) {
        def.notifications = n.clone();
    }
    Ok(def)
}

/// Imports a package (bundle or single app) in the caller's transaction: creates every app,
/// rewires their references to the new ids, maps roles to local entities (`mapping`: role →
/// local code), then deploys each app unless review applies to it (as `import_package`: it stays
/// pre-live to be submitted; records cannot come along then, `ReviewRequired`). Returns each
/// app's key and new id, in package order.
pub fn import_bundle(
    conn: &mut DbConn,
    files: &FileStore,
    package: &Value,
    mapping: &HashMap<String, String>,
    acting: &ActingContext,
    with_records: bool,
) -> EngineResult<Vec<(String, AppId)>> {
    let options = ImportOptions {
        with_records,
        allow_downgrade: false,
    };
    import_bundle_with(conn, files, package, mapping, acting, options)
}

/// How `import_bundle_with` imports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Add the package's records (to new apps only: an upgraded app keeps its own).
    pub with_records: bool,
    /// Import an older version of an installed package over the newer one.
    pub allow_downgrade: bool,
}

/// `import_bundle`, or for a package whose id is installed here an upgrade of its apps
/// (`upgrade`, docs/packages.md "Upgrades").
pub fn import_bundle_with(
    conn: &mut DbConn,
    files: &FileStore,
    package: &Value,
    mapping: &HashMap<String, String>,
    acting: &ActingContext,
    options: ImportOptions,
) -> EngineResult<Vec<(String, AppId)>> {
    let with_records = options.with_records;
    apps::check_may_create(conn, acting.principal())?;
    // A tampered or wrongly signed package is refused before anything is written.
    crate::package_signing::trust::check_for_import(conn, package)?;
    let (role_specs, entries) = normalize(package)?;
    check_mapping(conn, &role_specs, mapping)?;
    if let Some(up) = upgrade::find(conn, package)? {
        let all = upgrade::import_upgrade(
            conn,
            &up,
            &entries,
            mapping,
            acting,
            options.allow_downgrade,
        )?;
        // Apps new in this version get their public forms and records as on a first import.
        let fresh: Vec<usize> = (0..entries.len())
            .filter(|i| !up.apps.iter().any(|a| a.key == all[*i].0))
            .collect();
        let fresh_entries: Vec<Value> = fresh.iter().map(|i| entries[*i].clone()).collect();
        let fresh_ids: Vec<(String, AppId)> = fresh.iter().map(|i| all[*i].clone()).collect();
        add_forms_and_records(
            conn,
            files,
            acting,
            &fresh_entries,
            &fresh_ids,
            with_records,
        )?;
        return Ok(all);
    }
    let actor = acting.actor();
    // Ids first (a placeholder app each), since apps may refer to each other in any direction.
    let mut ids = HashMap::new();
    let mut created = Vec::with_capacity(entries.len());
    for e in &entries {
        let name = entry_str(e, "name");
        let name = if name.trim().is_empty() { "app" } else { name };
        let (id, _) = apps::create_app(conn, AppDefinition::new(name), None, None, &actor.code)?;
        ids.insert(entry_key(e).to_owned(), id.0);
        created.push((entry_key(e).to_owned(), id));
    }
    for (e, (_, id)) in entries.iter().zip(&created) {
        let def = definition_of_entry(e, &ids, mapping)?;
        apps::save_preview(conn, *id, None, &actor.code, |d| {
            *d = def.clone();
            Ok(())
        })?;
        if review::requirement(conn, *id, &def, None)?.required() {
            continue;
        }
        apps::deploy(conn, *id, None, false, &actor.code, |_, d, _| {
            Ok(check_definition(d)?)
        })?;
    }
    // A package with an identity is remembered, so that its next version upgrades these apps.
    if let Some(identity) = upgrade::identity_of(package)? {
        for (key, id) in &created {
            if let Some((def, _)) = apps::load_definition(conn, *id, apps::PREVIEW)? {
                upgrade::record(conn, &identity, key, *id, &def, acting)?;
            }
        }
    }
    add_forms_and_records(conn, files, acting, &entries, &created, with_records)?;
    Ok(created)
}

/// Adds the public forms (as drafts) and, with `with_records`, the records of newly created
/// apps (`created`, in the order of `entries`); records need every app live.
fn add_forms_and_records(
    conn: &mut DbConn,
    files: &FileStore,
    acting: &ActingContext,
    entries: &[Value],
    created: &[(String, AppId)],
    with_records: bool,
) -> EngineResult<()> {
    let actor = acting.actor();
    // Public forms arrive as drafts (a new address each), to be published deliberately. The
    // server creates them: the package's permissions may not let the importer manage the app.
    let system = ActingContext::system(acting.channel(), acting.timezone());
    for (e, (_, id)) in entries.iter().zip(created) {
        for (i, form) in e
            .get("publicForms")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = form.get("name").and_then(Value::as_str).unwrap_or_default();
            let settings: crate::public_forms::FormSettings =
                serde_json::from_value(form.get("settings").cloned().unwrap_or(Value::Null))
                    .map_err(|err| bad(format!("Public form {}: {err}.", i + 1)))?;
            crate::public_forms::create_form(conn, &system, *id, name, settings)?;
        }
    }
    if !with_records {
        return Ok(());
    }
    // A new app that waits for review cannot take records.
    for (_, id) in created {
        if apps::load_definition(conn, *id, apps::LIVE)?.is_none() {
            let (_, revision) = apps::load_definition(conn, *id, apps::PREVIEW)?
                .ok_or_else(|| UserError::AppNotFound(id.0.to_string()))?;
            return Err(UserError::ReviewRequired(revision).into());
        }
    }
    // The package's records are added with every right (the importer may create the apps, and
    // the package's permissions may not name them); lookups fetch from their sources, which get
    // their records first.
    for i in record_order(entries) {
        let live = system.open_app(conn, created[i].1, AppRight::Add)?;
        super::add_package_records(conn, files, &live, &entries[i], &mut NoFiles, &actor)?;
    }
    Ok(())
}

/// Entry indices with every app after the apps its lookups and related tables refer to (a cycle
/// falls back to package order).
fn record_order(entries: &[Value]) -> Vec<usize> {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (entry_key(e), i))
        .collect();
    let deps: Vec<Vec<usize>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.get("properties")
                .map(rewire::referenced_keys)
                .unwrap_or_default()
                .iter()
                .filter_map(|k| index.get(k.as_str()).copied())
                .filter(|d| *d != i)
                .collect()
        })
        .collect();
    let mut done = vec![false; entries.len()];
    let mut order = Vec::with_capacity(entries.len());
    while order.len() < entries.len() {
        let next = (0..entries.len())
            .find(|i| !done[*i] && deps[*i].iter().all(|d| done[*d]))
            .or_else(|| (0..entries.len()).find(|i| !done[*i]));
        let Some(i) = next else { break };
        done[i] = true;
        order.push(i);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_get_their_records_first() {
        let lookup_to =
            |key: &str| json!({"f": {"lookup": {"relatedApp": {"app": "", "appKey": key}}}});
        let entries = vec![
            json!({"key": "orders", "properties": lookup_to("customers")}),
            json!({"key": "history", "properties": lookup_to("orders")}),
            json!({"key": "customers", "properties": {}}),
        ];
        assert_eq!(record_order(&entries), [2, 0, 1]);
    }
}

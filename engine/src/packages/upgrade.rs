//! Upgrades (issue 17 part 3): a bundle may carry an identity, `"package": {"id", "version"}`
//! (set on export, `set_identity`). Importing it records which app each entry became
//! (`package_installs`, with the definition as installed). Importing a later version of the same
//! package id then upgrades those apps instead of creating new ones:
//!
//! - the plan (`annotate_plan`) shows, per installed app, the review diff from its live
//!   definition to the new one (`review::readable::describe`, the sentences of the review page) and
//!   the local changes the new version would overwrite: a field, view, the process or a script
//!   that was changed here since the install and that the new version changes as well;
//! - the import (`import_upgrade`) saves each new definition as the app's pre-live settings with
//!   references rewired to the installed apps, keeps every record (package records never go into an
//!   upgraded app), then deploys it, or submits it for review when review applies, as any other
//!   change. Apps new in the version are created; apps no longer in it are kept and listed.
//!
//! What stays the installing body's own: permissions and notification rules (mapped from roles
//! when first installed, possibly adjusted since), the app's review setting, field ids (so that
//! records and renames keep their fields). A version not newer than the installed one is refused
//! unless the caller forces it (`allow_downgrade`, docs/packages.md "Upgrades").

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Map, Value};

use super::bundle::{definition_of_entry, entry_key, entry_str};
use super::{bad, bad_keyed};
use crate::acting::ActingContext;
use crate::apps::{self, check_definition, AppDefinition, AppId, AppRow};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::review::{self, names::NameMap, readable};

/// The member of a bundle that names the package and its version.
pub const IDENTITY: &str = "package";
const MAX_ID_CHARS: usize = 200;
const MAX_VERSION_CHARS: usize = 64;

/// A package's identity: a stable id and the version of this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub version: String,
}

fn check_text(what: &str, text: &str, max: usize) -> EngineResult<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(bad(format!(
            "The package {what} must be 1 to {max} characters without control characters."
        )));
    }
    Ok(t.to_owned())
}

/// The identity a package carries, if any (a malformed one is refused, not ignored: importing it
/// as a new package would silently duplicate the installed apps).
pub fn identity_of(package: &Value) -> EngineResult<Option<Identity>> {
    let Some(v) = package.get(IDENTITY).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let s = |name: &str| v.get(name).and_then(Value::as_str).unwrap_or_default();
    Ok(Some(Identity {
        id: check_text("id", s("id"), MAX_ID_CHARS)?,
        version: check_text("version", s("version"), MAX_VERSION_CHARS)?,
    }))
}

/// Gives an exported bundle its identity. Without `id`, the id is derived from the app keys
/// (`apps:<key>+<key>…`, sorted), so that exporting the same apps again names the same package;
/// without `version`, the export time (`2026.12.06.140839`, UTC), which grows with every export.
/// Nothing is added when neither is given: a bundle without identity imports as new apps.
pub fn set_identity(
    bundle: &mut Value,
    id: Option<&str>,
    version: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> EngineResult<()> {
    let id = id.filter(|s| !s.trim().is_empty());
    let version = version.filter(|s| !s.trim().is_empty());
    if id.is_none() && version.is_none() {
        return Ok(());
    }
    let id = match id {
        Some(id) => check_text("id", id, MAX_ID_CHARS)?,
        None => {
            let mut keys: Vec<&str> = bundle
                .get("apps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(entry_key)
                .collect();
            keys.sort_unstable();
            let derived: String = format!("apps:{}", keys.join("+"))
                .chars()
                .take(MAX_ID_CHARS)
                .collect();
            derived
        }
    };
    let version = match version {
        Some(v) => check_text("version", v, MAX_VERSION_CHARS)?,
        None => now.format("%Y.%m.%d.%H%M%S").to_string(),
    };
    let Some(obj) = bundle.as_object_mut() else {
        return Err(bad("The package is not an object."));
    };
    obj.insert(IDENTITY.into(), json!({"id": id, "version": version}));
    Ok(())
}

/// Compares versions part by part (split at `.`, `-`, `_`, `+`); parts that are both numbers
/// compare as numbers (so 1.10 is after 1.9), others as text; a version that is a prefix of
/// another is older.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |s: &str| -> Vec<String> {
        s.split(['.', '-', '_', '+'])
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (pa, pb) = (split(a), split(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(n), Ok(m)) => n.cmp(&m),
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Text)]
    entry_key: String,
    #[diesel(sql_type = BigInt)]
    app_id: i64,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// One installed app of a package.
#[derive(Debug, Clone)]
pub(crate) struct Installed {
    pub(crate) key: String,
    pub(crate) app: AppId,
    pub(crate) version: String,
    /// The definition as installed (the package's, before any local change).
    pub(crate) definition: Option<AppDefinition>,
}

/// The installed apps of package `id` that still exist.
fn installed(conn: &mut DbConn, id: &str) -> EngineResult<Vec<Installed>> {
    let mut b = conn.sql();
    b.push(
        "SELECT version, entry_key, app_id, definition FROM package_installs WHERE package_id = ",
    )
    .bind_text(id)
    .push(" ORDER BY id");
    let rows: Vec<Row> = conn.load(&b)?;
    let mut out = Vec::new();
    for r in rows {
        if AppRow::find(conn, AppId(r.app_id))?.is_none() {
            continue;
        }
        out.push(Installed {
            key: r.entry_key,
            app: AppId(r.app_id),
            version: r.version,
            // Written by `record` from a definition; unreadable text only loses the local-change
            // list, not the upgrade.
            definition: serde_json::from_str(&r.definition).ok(),
        });
    }
    Ok(out)
}

/// What is installed of a package's id: its identity and installed apps (`None`: a new package).
pub(crate) struct Upgrade {
    pub(crate) identity: Identity,
    /// The installed version (of the latest install).
    pub(crate) from: String,
    pub(crate) apps: Vec<Installed>,
}

impl Upgrade {
    fn order(&self) -> Ordering {
        compare_versions(&self.identity.version, &self.from)
    }

    fn app_of(&self, key: &str) -> Option<&Installed> {
        self.apps.iter().find(|a| a.key == key)
    }
}

pub(crate) fn find(conn: &mut DbConn, package: &Value) -> EngineResult<Option<Upgrade>> {
    let Some(identity) = identity_of(package)? else {
        return Ok(None);
    };
    let apps = installed(conn, &identity.id)?;
    let Some(from) = apps
        .iter()
        .map(|a| a.version.clone())
        .max_by(|a, b| compare_versions(a, b))
    else {
        return Ok(None);
    };
    Ok(Some(Upgrade {
        identity,
        from,
        apps,
    }))
}

/// For callers that report an import: when `package` upgrades installed apps, `{package, from,
/// to, apps: [{key, app}]}` (the installed apps), else `None`.
pub fn upgrade_of(conn: &mut DbConn, package: &Value) -> EngineResult<Option<Value>> {
    Ok(find(conn, package)?.map(|up| {
        let apps: Vec<Value> = up
            .apps
            .iter()
            .map(|a| json!({"key": a.key, "app": a.app.0.to_string()}))
            .collect();
        json!({"package": up.identity.id, "from": up.from, "to": up.identity.version, "apps": apps})
    }))
}

/// Records (or updates) that entry `key` of package `identity` is app `app` with `def`.
pub(crate) fn record(
    conn: &mut DbConn,
    identity: &Identity,
    key: &str,
    app: AppId,
    def: &AppDefinition,
    acting: &ActingContext,
) -> EngineResult<()> {
    let text = serde_json::to_string(def)?;
    let mut b = conn.sql();
    b.push("DELETE FROM package_installs WHERE package_id = ")
        .bind_text(&identity.id)
        .push(" AND entry_key = ")
        .bind_text(key);
    conn.execute(&b)?;
    let mut b = conn.sql();
    b.push("INSERT INTO package_installs (package_id, version, entry_key, app_id, definition, installed_at, installed_by) VALUES (")
        .bind_text(&identity.id)
        .push(", ")
        .bind_text(&identity.version)
        .push(", ")
        .bind_text(key)
        .push(", ")
        .bind_int(app.0)
        .push(", ")
        .bind_text(&text)
        .push(", ")
        .bind_int(acting.now().timestamp())
        .push(", ")
        .bind_text(&acting.actor().code)
        .push(")");
    conn.execute(&b)?;
    Ok(())
}

/// The current definition an upgrade starts from: live, else pre-live (never approved yet).
fn current(conn: &mut DbConn, app: AppId) -> EngineResult<(AppDefinition, bool)> {
    if let Some((d, _)) = apps::load_definition(conn, app, apps::LIVE)? {
        return Ok((d, true));
    }
    let (d, _) = apps::load_definition(conn, app, apps::PREVIEW)?
        .ok_or_else(|| crate::error::UserError::AppNotFound(app.0.to_string()))?;
    Ok((d, false))
}

/// The new version's definition with what stays local taken from `local` (see the module
/// comment). `ids` is the app's pre-live definition, whose field ids are the newest.
fn keep_local(local: &AppDefinition, ids: &AppDefinition, mut new: AppDefinition) -> AppDefinition {
    new.app_acl = local.app_acl.clone();
    new.record_acl = local.record_acl.clone();
    new.field_acl = local.field_acl.clone();
    new.notifications = local.notifications.clone();
    match local.settings.get(review::REQUIRE_REVIEW) {
        Some(v) => {
            new.settings
                .insert(review::REQUIRE_REVIEW.into(), v.clone());
        }
        None => {
            new.settings.remove(review::REQUIRE_REVIEW);
        }
    }
    new.field_ids = ids.field_ids.clone();
    new.next_field_id = ids.next_field_id.max(new.next_field_id);
    new.assign_field_ids();
    new
}

/// The parts of a definition that local changes are told by: fields, views, the process and
/// scripts, each as comparable JSON (view ids and positions are renumbered by edits, so left out).
fn parts(def: &AppDefinition) -> BTreeMap<(&'static str, String), Value> {
    let mut out = BTreeMap::new();
    for (code, p) in &def.properties {
        out.insert(("field", code.clone()), readable::to_json(p));
    }
    for (name, v) in &def.views {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("id");
            o.remove("index");
        }
        out.insert(("view", name.clone()), v);
    }
    if !def.process.is_empty() {
        out.insert(
            ("process", String::new()),
            Value::Object(def.process.clone()),
        );
    }
    for s in &def.scripts {
        out.insert(("script", s.name.clone()), readable::to_json(s));
    }
    out
}

/// Parts changed here since the install that the new version changes too (differently): what the
/// upgrade would overwrite.
fn local_changes(
    installed: &AppDefinition,
    live: &AppDefinition,
    new: &AppDefinition,
) -> Vec<Value> {
    let (i, l, n) = (parts(installed), parts(live), parts(new));
    let mut keys: Vec<&(&'static str, String)> = i.keys().chain(l.keys()).chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let (a, b, c) = (i.get(k), l.get(k), n.get(k));
        if a != b && c != a && c != b {
            let label = live
                .properties
                .get(&k.1)
                .or_else(|| new.properties.get(&k.1))
                .filter(|_| k.0 == "field")
                .map(|p| p.label.clone())
                .unwrap_or_else(|| k.1.clone());
            out.push(json!({"part": k.0, "key": k.1, "label": label}));
        }
    }
    out
}

fn version_problem(up: &Upgrade) -> Option<Message> {
    match up.order() {
        Ordering::Greater => None,
        Ordering::Equal => Some(
            Message::keyed(
                "packages.err.same_version",
                format!(
                    "The version {} of this package is already installed.",
                    up.identity.version
                ),
            )
            .arg("version", up.identity.version.clone()),
        ),
        Ordering::Less => Some(
            Message::keyed(
                "packages.err.older_version",
                format!(
                    "The version {} is older than the installed version {}; import it only \
                     with \"allowDowngrade\".",
                    up.identity.version, up.from
                ),
            )
            .arg("version", up.identity.version.clone())
            .arg("installed", up.from.clone()),
        ),
    }
}

/// Adds the upgrade to a plan of `plan_import` when the package is installed: `upgrade` (see
/// docs/packages.md), app-code conflicts with the upgraded apps themselves dropped, and a
/// problem when the version is not newer.
pub(crate) fn annotate_plan(
    conn: &mut DbConn,
    package: &Value,
    entries: &[Value],
    plan: &mut Map<String, Value>,
) -> EngineResult<()> {
    let Some(up) = find(conn, package)? else {
        return Ok(());
    };
    // Roles as the page first proposes them (the first suggestion), so that the diff of the
    // process names local people rather than role names.
    let mut mapping = HashMap::new();
    for r in plan
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let role = r["role"].as_str().unwrap_or_default().to_owned();
        let code = r["suggestions"][0]["code"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| role.clone());
        mapping.insert(role, code);
    }
    let ids: HashMap<String, i64> = entries
        .iter()
        .map(|e| {
            let key = entry_key(e);
            (key.to_owned(), up.app_of(key).map_or(1, |a| a.app.0))
        })
        .collect();
    let mut upgraded = Vec::new();
    let mut created = Vec::new();
    for e in entries {
        let key = entry_key(e);
        let Some(inst) = up.app_of(key) else {
            created.push(json!({"key": key, "name": entry_str(e, "name")}));
            continue;
        };
        let (live, _) = current(conn, inst.app)?;
        let (preview, _) = apps::load_definition(conn, inst.app, apps::PREVIEW)?
            .unwrap_or_else(|| (live.clone(), 0));
        // A definition the import would refuse is listed under `problems` already.
        let Ok(new) = definition_of_entry(e, &ids, &mapping) else {
            continue;
        };
        let new = keep_local(&live, &preview, new);
        // A field type change the app's records refuse: the import would fail, so say it here.
        match apps::check_type_changes(conn, inst.app, &live, &new) {
            Ok(()) => {}
            Err(EngineError::User(u)) => {
                if let Some(Value::Array(list)) = plan.get_mut("problems") {
                    list.push(keyed_problem(key, &refusal_message(&u, &live.name)));
                }
            }
            Err(other) => return Err(other),
        }
        let names =
            NameMap::load_for(conn, &[&readable::to_json(&live), &readable::to_json(&new)])?;
        let statements = readable::describe(&live, &new, &names);
        let local = inst
            .definition
            .as_ref()
            .map(|d| local_changes(d, &live, &new))
            .unwrap_or_default();
        upgraded.push(json!({
            "key": key,
            "app": inst.app.0.to_string(),
            "name": live.name,
            "statements": readable::to_json(&statements),
            "localChanges": local,
            "pendingChanges": preview != live,
        }));
    }
    let mut kept = Vec::new();
    for a in up
        .apps
        .iter()
        .filter(|a| !entries.iter().any(|e| entry_key(e) == a.key))
    {
        let (def, _) = current(conn, a.app)?;
        kept.push(json!({"key": a.key, "app": a.app.0.to_string(), "name": def.name}));
    }
    let upgraded_ids: Vec<String> = up.apps.iter().map(|a| a.app.0.to_string()).collect();
    if let Some(Value::Array(list)) = plan.get_mut("conflicts") {
        list.retain(|c| {
            !upgraded_ids
                .iter()
                .any(|id| c["app"].as_str() == Some(id.as_str()))
        });
    }
    if let Some(Value::Array(list)) = plan.get_mut("apps") {
        for a in list.iter_mut() {
            if up.app_of(a["key"].as_str().unwrap_or_default()).is_some() {
                a["conflict"] = Value::Null;
            }
        }
    }
    let status = match up.order() {
        Ordering::Greater => "newer",
        Ordering::Equal => "same",
        Ordering::Less => "older",
    };
    if let (Some(m), Some(Value::Array(list))) = (version_problem(&up), plan.get_mut("problems")) {
        list.push(keyed_problem("", &m));
    }
    plan.insert(
        "upgrade".into(),
        json!({
            "package": up.identity.id,
            "from": up.from,
            "to": up.identity.version,
            "status": status,
            "apps": upgraded,
            "created": created,
            "kept": kept,
        }),
    );
    Ok(())
}

/// Upgrades the installed apps of a package (module comment), in the caller's transaction.
/// Returns each entry's key and app id, in package order. `mapping` is checked by the caller.
pub(crate) fn import_upgrade(
    conn: &mut DbConn,
    up: &Upgrade,
    entries: &[Value],
    mapping: &HashMap<String, String>,
    acting: &ActingContext,
    allow_downgrade: bool,
) -> EngineResult<Vec<(String, AppId)>> {
    if let Some(m) = version_problem(up) {
        if up.order() == Ordering::Equal || !allow_downgrade {
            return Err(bad_keyed(m));
        }
    }
    let actor = acting.actor();
    let mut ids = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let key = entry_key(e);
        let id = match up.app_of(key) {
            Some(inst) => inst.app,
            None => {
                let name = entry_str(e, "name");
                let name = if name.trim().is_empty() { "app" } else { name };
                apps::create_app(conn, AppDefinition::new(name), None, None, &actor.code)?.0
            }
        };
        ids.insert(key.to_owned(), id.0);
        out.push((key.to_owned(), id));
    }
    for (e, (key, id)) in entries.iter().zip(&out) {
        let new = definition_of_entry(e, &ids, mapping)?;
        let upgraded = up.app_of(key).is_some();
        let (def, live) = if upgraded {
            let (local, is_live) = current(conn, *id)?;
            let (preview, _) = apps::load_definition(conn, *id, apps::PREVIEW)?
                .unwrap_or_else(|| (local.clone(), 0));
            (keep_local(&local, &preview, new), is_live.then_some(local))
        } else {
            (new, None)
        };
        apps::save_preview(conn, *id, None, &actor.code, |d| {
            *d = def.clone();
            Ok(())
        })?;
        let (saved, _) = apps::load_definition(conn, *id, apps::PREVIEW)?
            .ok_or_else(|| crate::error::UserError::AppNotFound(id.0.to_string()))?;
        record(conn, &up.identity, key, *id, &saved, acting)?;
        if live.as_ref() == Some(&saved) {
            continue;
        }
        if review::requirement(conn, *id, &saved, live.as_ref())?.required() {
            // An upgrade of a live app waits for review as any change; a new app stays pre-live
            // to be submitted by the importer, as on a first import. What deploy would refuse
            // after the approval is refused now, before anything waits for review.
            if let Some(live) = live.as_ref() {
                apps::check_type_changes(conn, *id, live, &saved)
                    .map_err(|err| refused_deploy(err, &saved.name))?;
                let comment = format!("{} {} → {}", up.identity.id, up.from, up.identity.version);
                let s = review::submit(conn, *id, &actor.code, &comment)?;
                // IT's trail shows the upgrade's submissions as any other.
                acting.audit(
                    conn,
                    crate::audit::action::APP_REVIEW_SUBMIT,
                    &format!("app:{}", id.0),
                    json!({"submission": s.id, "revision": s.revision, "comment": comment,
                           "package": up.identity.id, "version": up.identity.version}),
                )?;
            }
            continue;
        }
        apps::deploy(conn, *id, None, false, &actor.code, |_, d, _| {
            Ok(check_definition(d)?)
        })
        .map_err(|err| refused_deploy(err, &saved.name))?;
        acting.audit(
            conn,
            crate::audit::action::APP_DEPLOY,
            &format!("app:{}", id.0),
            json!({"package": up.identity.id, "from": up.from, "version": up.identity.version}),
        )?;
    }
    Ok(out)
}

/// A deploy the upgrade cannot make (a field type change the stored records refuse) names the
/// app, since several may be upgraded at once; the transaction undoes everything.
fn refused_deploy(err: EngineError, app: &str) -> EngineError {
    match err {
        EngineError::User(u @ UserError::Validation(_)) => bad_keyed(refusal_message(&u, app)),
        other => other,
    }
}

/// The message of a refused upgrade of `app`: `packages.err.upgrade_refused` with the deploy's
/// texts as the reason; for a type change (`apps.err.type_change`) its variant
/// `packages.err.upgrade_refused_type` with the field and types as arguments, so that pages say it
/// in the reader's language rather than quoting the English reason.
fn refusal_message(error: &UserError, app: &str) -> Message {
    let reason = super::bundle::messages_of(error).join(" ");
    let text = format!("The app \"{app}\" cannot be upgraded: {reason}");
    let type_change = match error {
        UserError::Validation(errors) => errors
            .values()
            .flatten()
            .find(|m| m.key() == Some("apps.err.type_change")),
        _ => None,
    };
    let Some(change) = type_change else {
        return Message::keyed("packages.err.upgrade_refused", text)
            .arg("app", app.to_owned())
            .arg("reason", reason);
    };
    let arg = |name: &str| {
        change
            .args()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Message::keyed("packages.err.upgrade_refused_type", text)
        .arg("app", app.to_owned())
        .arg("field", arg("field"))
        .arg("from", arg("from"))
        .arg("to", arg("to"))
}

/// A problem of a plan: the English text (the API's words) and the message key with its
/// arguments, for pages to show in the reader's language.
fn keyed_problem(key: &str, message: &Message) -> Value {
    let args: Map<String, Value> = message
        .args()
        .iter()
        .map(|(n, v)| ((*n).to_owned(), Value::String(v.clone())))
        .collect();
    json!({"key": key, "messages": [message.text()],
           "message": {"key": message.key(), "args": args}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number_then_text() {
        assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_versions("2", "2"), Ordering::Equal);
        assert_eq!(compare_versions("1.0", "1.0.1"), Ordering::Less);
        assert_eq!(
            compare_versions("2026.12.06.140839", "2026.12.06.090000"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("1.0-beta", "1.0-alpha"), Ordering::Greater);
    }

    #[test]
    fn a_derived_identity_names_the_same_apps_alike() {
        let mut a = json!({"apps": [{"key": "orders"}, {"key": "customers"}]});
        let now = chrono::Utc::now();
        assert!(set_identity(&mut a, None, Some("2"), now).is_ok());
        assert_eq!(a["package"]["id"], "apps:customers+orders");
        let mut b = json!({"apps": []});
        assert!(set_identity(&mut b, None, None, now).is_ok());
        assert!(b.get("package").is_none());
        assert!(set_identity(&mut b, Some("x"), Some("\u{7}"), now).is_err());
    }
}

//! Roles: how a bundle names the people its permissions speak of without the exporting body's
//! codes. Each distinct user, group or department named in an app's ACLs, process assignees,
//! notification rules or user/group/department field defaults becomes a role of the package
//! (`{"role": "福祉課", "kind": "department", "hint": "福祉課", "code": "fukushi"}`), and the entity
//! in place becomes `{"type": "ORGANIZATION", "role": "福祉課"}`. On import the importer maps each
//! role to a local entity of the same kind; the role references become that entity's code again.
//!
//! A role used only by notification rules is optional: left unmapped, those recipients are dropped
//! (nobody is told) rather than the import refused. Users carry no code (a user code is personal
//! and means nothing on another server); departments and groups keep theirs as a hint, since
//! municipalities often share them.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::acl::EVERYONE;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::org::{find_department, find_group, list_departments, list_groups};
use crate::users::User;

/// The member that names a role in place of an entity's `code`.
pub const ROLE: &str = "role";

/// One role of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleSpec {
    pub role: String,
    /// `user`, `group` or `department`.
    pub kind: String,
    /// The original entity's name, to help the importer choose.
    #[serde(default)]
    pub hint: String,
    /// The original code of a department or group (never of a user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Unmapped, its uses are dropped instead of the import refused.
    #[serde(default)]
    pub optional: bool,
}

fn kind_of(entity_type: &str) -> Option<&'static str> {
    match entity_type {
        "USER" => Some("user"),
        "GROUP" => Some("group"),
        "ORGANIZATION" => Some("department"),
        _ => None,
    }
}

/// The roles of one export, built while walking the apps' settings.
#[derive(Default)]
pub struct RoleTable {
    by_entity: HashMap<(String, String), usize>,
    pub roles: Vec<RoleSpec>,
    names: HashSet<String>,
}

impl RoleTable {
    fn role_for(
        &mut self,
        conn: &mut DbConn,
        kind: &'static str,
        code: &str,
        optional: bool,
    ) -> EngineResult<String> {
        if let Some(i) = self.by_entity.get(&(kind.to_owned(), code.to_owned())) {
            let spec = &mut self.roles[*i];
            spec.optional &= optional;
            return Ok(spec.role.clone());
        }
        let name = match kind {
            "department" => find_department(conn, code)?.map(|d| d.name),
            "group" => find_group(conn, code)?.map(|g| g.name),
            _ => User::find_by_code(conn, code)?.map(|u| u.name),
        };
        let hint = name.unwrap_or_else(|| match kind {
            // A user that no longer exists: neither its code nor a name travels.
            "user" => format!("user {}", self.roles.len() + 1),
            _ => code.to_owned(),
        });
        let mut role = hint.clone();
        let mut n = 2;
        while self.names.contains(&role) {
            role = format!("{hint} ({n})");
            n += 1;
        }
        self.names.insert(role.clone());
        self.by_entity
            .insert((kind.to_owned(), code.to_owned()), self.roles.len());
        self.roles.push(RoleSpec {
            role: role.clone(),
            kind: kind.to_owned(),
            hint,
            code: (kind != "user").then(|| code.to_owned()),
            optional,
        });
        Ok(role)
    }

    /// Replaces every user/group/department entity inside `value` by a role reference. `optional`:
    /// this section's uses alone do not make a role required (notification rules).
    pub fn replace(
        &mut self,
        conn: &mut DbConn,
        value: &mut Value,
        optional: bool,
    ) -> EngineResult<()> {
        match value {
            Value::Array(items) => {
                for item in items {
                    self.replace(conn, item, optional)?;
                }
            }
            Value::Object(obj) => {
                let entity = obj
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(kind_of)
                    .zip(obj.get("code").and_then(Value::as_str).map(str::to_owned));
                match entity {
                    Some((kind, code)) if !(kind == "group" && code == EVERYONE) => {
                        let role = self.role_for(conn, kind, &code, optional)?;
                        obj.remove("code");
                        obj.insert(ROLE.into(), Value::String(role));
                    }
                    _ => {
                        for (_, v) in obj.iter_mut() {
                            self.replace(conn, v, optional)?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The same for a package's `properties`: only the members that hold entities (defaults and
    /// choices of user/group/department fields), since field and layout objects also have a
    /// `type` and a `code` (a field group's type is `GROUP`).
    pub fn replace_in_properties(
        &mut self,
        conn: &mut DbConn,
        properties: &mut Value,
    ) -> EngineResult<()> {
        for (_, property) in properties.as_object_mut().into_iter().flatten() {
            let Some(obj) = property.as_object_mut() else {
                continue;
            };
            for member in ["defaultValue", "entities"] {
                if let Some(v) = obj.get_mut(member) {
                    self.replace(conn, v, false)?;
                }
            }
            if let Some(inner) = obj.get_mut("fields") {
                self.replace_in_properties(conn, inner)?;
            }
        }
        Ok(())
    }
}

/// Replaces role references by the mapped local codes. A reference to an unmapped optional role
/// removes the array element holding it; an unmapped required role is an error (the caller checks
/// the mapping first, so this only catches a role the package uses but does not declare).
pub fn from_roles(value: &mut Value, mapping: &HashMap<String, String>) -> Result<(), String> {
    match value {
        Value::Array(items) => {
            let mut kept = Vec::with_capacity(items.len());
            for mut item in std::mem::take(items) {
                if names_unmapped(&item, mapping) {
                    continue;
                }
                from_roles(&mut item, mapping)?;
                kept.push(item);
            }
            *items = kept;
        }
        Value::Object(obj) => {
            if let Some(role) = obj.remove(ROLE) {
                let role = role.as_str().unwrap_or_default();
                let code = mapping.get(role).ok_or_else(|| {
                    format!("The role \"{role}\" is used but not declared by the package.")
                })?;
                obj.insert("code".into(), Value::String(code.clone()));
            } else {
                for (_, v) in obj.iter_mut() {
                    from_roles(v, mapping)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether an array element is (or directly holds as `entity`) a reference to a role without a
/// mapping: such an element is dropped.
fn names_unmapped(item: &Value, mapping: &HashMap<String, String>) -> bool {
    let role_of = |v: &Value| v.get(ROLE).and_then(Value::as_str).map(str::to_owned);
    let role = role_of(item).or_else(|| item.get("entity").and_then(role_of));
    role.is_some_and(|r| !mapping.contains_key(&r))
}

/// Local entities that could stand for `spec`: the same code first, then the same name.
pub fn suggestions(conn: &mut DbConn, spec: &RoleSpec) -> EngineResult<Vec<Value>> {
    let candidates: Vec<(String, String)> = match spec.kind.as_str() {
        "department" => list_departments(conn)?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect(),
        "group" => list_groups(conn)?
            .into_iter()
            .map(|g| (g.code, g.name))
            .collect(),
        _ => User::list(conn)?
            .into_iter()
            .filter(|u| u.is_active)
            .map(|u| (u.code, u.name))
            .collect(),
    };
    let mut out = Vec::new();
    if let Some(code) = &spec.code {
        for (c, n) in candidates.iter().filter(|(c, _)| c == code) {
            out.push(json!({"code": c, "name": n, "match": "code"}));
        }
    }
    for (c, n) in &candidates {
        if (n == &spec.hint || n == &spec.role) && spec.code.as_deref() != Some(c.as_str()) {
            out.push(json!({"code": c, "name": n, "match": "name"}));
        }
    }
    Ok(out)
}

/// Whether a local entity of `kind` with `code` exists.
pub fn exists(conn: &mut DbConn, kind: &str, code: &str) -> EngineResult<bool> {
    Ok(match kind {
        "department" => find_department(conn, code)?.is_some(),
        "group" => find_group(conn, code)?.is_some() || code == EVERYONE,
        _ => User::find_by_code(conn, code)?.is_some(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn role_references_become_local_codes_and_unmapped_optional_ones_are_dropped() {
        let mut acl = json!([
            {"entity": {"type": "ORGANIZATION", "role": "担当課"}, "includeSubs": true},
            {"entity": {"type": "GROUP", "code": "everyone"}},
        ]);
        let mapping: HashMap<String, String> = [("担当課".to_owned(), "soumu".to_owned())].into();
        from_roles(&mut acl, &mapping).unwrap();
        assert_eq!(
            acl[0]["entity"],
            json!({"type": "ORGANIZATION", "code": "soumu"})
        );
        assert_eq!(acl[0]["includeSubs"], true);

        let mut rule = json!({"notifications": [
            {"entity": {"type": "USER", "role": "係長"}, "recordAdded": true},
            {"entity": {"type": "ORGANIZATION", "role": "担当課"}, "recordAdded": true}]});
        from_roles(&mut rule, &mapping).unwrap();
        let list = rule["notifications"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["entity"]["code"], "soumu");
    }
}

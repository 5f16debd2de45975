//! Display names of the users, departments and groups that settings refer to by code, so that
//! review texts and diagrams say 佐藤 一郎 rather than `sato`. `NameMap::load_for` collects every
//! entity (`{"type": "USER"|"ORGANIZATION"|"GROUP", "code": …}`) in some JSON values and reads their
//! names in a few queries; an unknown code is shown as itself.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::db::DbConn;
use crate::error::EngineResult;
use crate::org::{find_department, find_group};
use crate::users::User;

/// What kind of entity a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    User,
    Department,
    Group,
}

impl Kind {
    /// The kind of an entity `type` of kintone's settings (`USER`, `ORGANIZATION`, `GROUP`).
    pub fn of(entity_type: &str) -> Option<Kind> {
        match entity_type {
            "USER" => Some(Kind::User),
            "ORGANIZATION" => Some(Kind::Department),
            "GROUP" => Some(Kind::Group),
            _ => None,
        }
    }
}

/// Names by kind and code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameMap {
    names: HashMap<(Kind, String), String>,
}

impl NameMap {
    /// Adds one name (tests and callers that already know it).
    pub fn insert(&mut self, kind: Kind, code: &str, name: &str) {
        self.names.insert((kind, code.to_owned()), name.to_owned());
    }

    /// The name of `code`, or the code itself when unknown or unnamed.
    pub fn name(&self, kind: Kind, code: &str) -> String {
        self.names
            .get(&(kind, code.to_owned()))
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// Reads the names of every entity found in `values`.
    pub fn load_for(conn: &mut DbConn, values: &[&Value]) -> EngineResult<NameMap> {
        let mut wanted = BTreeSet::new();
        for v in values {
            collect(v, &mut wanted);
        }
        let mut map = NameMap::default();
        for (kind, code) in wanted {
            let name = match kind {
                Kind::User => User::find_by_code(conn, &code)?.map(|u| u.name),
                Kind::Department => find_department(conn, &code)?.map(|d| d.name),
                Kind::Group => find_group(conn, &code)?.map(|g| g.name),
            };
            if let Some(name) = name {
                map.insert(kind, &code, &name);
            }
        }
        Ok(map)
    }
}

/// Every `{type, code}` entity inside `v`.
fn collect(v: &Value, out: &mut BTreeSet<(Kind, String)>) {
    match v {
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).and_then(Kind::of);
            let code = o.get("code").and_then(Value::as_str);
            if let (Some(kind), Some(code)) = (kind, code) {
                out.insert((kind, code.to_owned()));
            }
            for v in o.values() {
                collect(v, out);
            }
        }
        Value::Array(a) => {
            for v in a {
                collect(v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entities_are_found_anywhere_and_unknown_codes_show_as_themselves() {
        let v = json!({"states": {"a": {"assignee": {"entities": [
            {"entity": {"type": "USER", "code": "sato"}},
            {"entity": {"type": "ORGANIZATION", "code": "somu"}},
            {"entity": {"type": "FIELD_ENTITY", "code": "作成者"}}
        ]}}}});
        let mut found = BTreeSet::new();
        collect(&v, &mut found);
        let found: Vec<(Kind, String)> = found.into_iter().collect();
        assert_eq!(
            found,
            vec![
                (Kind::User, "sato".to_owned()),
                (Kind::Department, "somu".to_owned())
            ]
        );
        let mut names = NameMap::default();
        names.insert(Kind::User, "sato", "佐藤 一郎");
        assert_eq!(names.name(Kind::User, "sato"), "佐藤 一郎");
        assert_eq!(names.name(Kind::Group, "sato"), "sato");
    }
}

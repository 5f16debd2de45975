//! Turning entities (users, departments, groups, fields of the record, the creator) into user codes.
//!
//! Departments and groups are expanded through [`EntityExpander`], whose default knows users only;
//! [`DbExpander`] expands them through the organisation module (`crate::org`).

use diesel::prelude::*;
use serde_json::{Map, Value};

use super::settings::{EntityEntry, EntityType};
use crate::apps::AppDefinition;
use crate::db::schema::users;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::fields::FieldType;
use crate::with_conn;

/// Looks up users and expands departments (ORGANIZATION) and groups (GROUP) into user codes.
pub trait EntityExpander {
    /// The display name of a user, or `None` when no such user exists.
    fn user_name(&mut self, code: &str) -> EngineResult<Option<String>>;

    /// The users of a department (with its sub-departments when `include_subs`) or of a group.
    /// The default knows none.
    fn members(
        &mut self,
        kind: EntityType,
        code: &str,
        include_subs: bool,
    ) -> EngineResult<Vec<String>> {
        let _ = (kind, code, include_subs);
        Ok(Vec::new())
    }
}

/// The expander over the database: users from `users`, department and group members from
/// `crate::org` (a department "with sub-departments" includes every department below it).
pub struct DbExpander<'c> {
    pub conn: &'c mut DbConn,
}

impl EntityExpander for DbExpander<'_> {
    fn user_name(&mut self, code: &str) -> EngineResult<Option<String>> {
        let conn = &mut *self.conn;
        with_conn!(conn, |c| users::table
            .filter(users::code.eq(code))
            .select(users::name)
            .first::<String>(c)
            .optional())
        .map_err(EngineError::from)
    }

    fn members(
        &mut self,
        kind: EntityType,
        code: &str,
        include_subs: bool,
    ) -> EngineResult<Vec<String>> {
        match kind {
            EntityType::Group => crate::org::members_of_group(self.conn, code),
            EntityType::Organization => {
                let mut departments = vec![code.to_owned()];
                if include_subs {
                    let all = crate::org::list_departments(self.conn)?;
                    let mut i = 0;
                    while let Some(parent) = departments.get(i).cloned() {
                        for d in &all {
                            if d.parent_code.as_deref() == Some(parent.as_str())
                                && !departments.contains(&d.code)
                            {
                                departments.push(d.code.clone());
                            }
                        }
                        i += 1;
                    }
                }
                let mut out = Vec::new();
                for d in departments {
                    push_unique(&mut out, crate::org::members_of_department(self.conn, &d)?);
                }
                Ok(out)
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// What entity expansion needs to know about one record.
pub struct RecordFacts<'a> {
    pub definition: &'a AppDefinition,
    pub values: &'a Map<String, Value>,
}

impl RecordFacts<'_> {
    /// The creator's code, from the CREATOR field.
    pub fn creator(&self) -> Option<String> {
        let f = self.definition.field_of_type(FieldType::Creator)?;
        self.values
            .get(&f.property.code)
            .and_then(|v| v.get("code"))
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
    }

    /// The codes stored in a field: `[{code}]` for selection fields, `{code}` for creator/updater.
    fn entity_codes(&self, field: &str) -> Vec<String> {
        match self.values.get(field) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.get("code").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
            Some(Value::Object(o)) => o
                .get("code")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(|c| vec![c.to_owned()])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

fn push_unique(out: &mut Vec<String>, codes: impl IntoIterator<Item = String>) {
    for c in codes {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
}

/// The user codes the entities stand for on this record, without duplicates, in entity order.
/// FIELD_ENTITY on a department or group field expands its values through `expander`; CUSTOM_FIELD
/// names nobody.
pub fn expand(
    entities: &[EntityEntry],
    record: &RecordFacts<'_>,
    expander: &mut dyn EntityExpander,
) -> EngineResult<Vec<String>> {
    let mut out = Vec::new();
    for e in entities {
        let code = e.code.as_deref().unwrap_or_default();
        match e.kind {
            EntityType::User => push_unique(&mut out, [code.to_owned()]),
            EntityType::Creator => push_unique(&mut out, record.creator()),
            EntityType::Organization | EntityType::Group => {
                push_unique(&mut out, expander.members(e.kind, code, e.include_subs)?);
            }
            EntityType::FieldEntity => {
                let kind = record.definition.field(code).map(|f| f.property.field_type);
                let values = record.entity_codes(code);
                match kind {
                    Some(FieldType::OrganizationSelect) => {
                        for v in values {
                            let members =
                                expander.members(EntityType::Organization, &v, e.include_subs)?;
                            push_unique(&mut out, members);
                        }
                    }
                    Some(FieldType::GroupSelect) => {
                        for v in values {
                            push_unique(&mut out, expander.members(EntityType::Group, &v, false)?);
                        }
                    }
                    Some(_) => push_unique(&mut out, values),
                    None => {}
                }
            }
            EntityType::CustomField => {}
        }
    }
    Ok(out)
}

/// `[{code, name}]` for the STATUS_ASSIGNEE value; a code without a user keeps its code as name.
pub fn assignee_value(codes: &[String], expander: &mut dyn EntityExpander) -> EngineResult<Value> {
    let mut out = Vec::with_capacity(codes.len());
    for c in codes {
        let name = expander.user_name(c)?.unwrap_or_else(|| c.clone());
        out.push(serde_json::json!({"code": c, "name": name}));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fake;

    impl EntityExpander for Fake {
        fn user_name(&mut self, code: &str) -> EngineResult<Option<String>> {
            Ok((code != "ghost").then(|| format!("name of {code}")))
        }

        fn members(
            &mut self,
            kind: EntityType,
            code: &str,
            include_subs: bool,
        ) -> EngineResult<Vec<String>> {
            Ok(match (kind, code, include_subs) {
                (EntityType::Organization, "soumu", false) => vec!["sato".into()],
                (EntityType::Organization, "soumu", true) => vec!["sato".into(), "kato".into()],
                (EntityType::Group, "leaders", _) => vec!["suzuki".into(), "sato".into()],
                _ => Vec::new(),
            })
        }
    }

    fn def() -> Result<AppDefinition, serde_json::Error> {
        serde_json::from_value(json!({
            "name": "t",
            "properties": {
                "Created_by": {"type": "CREATOR", "code": "Created_by"},
                "担当": {"type": "USER_SELECT", "code": "担当"},
                "部署": {"type": "ORGANIZATION_SELECT", "code": "部署"}
            },
            "fieldIds": {"Created_by": 1, "担当": 2, "部署": 3}
        }))
    }

    fn entry(kind: EntityType, code: Option<&str>, include_subs: bool) -> EntityEntry {
        EntityEntry {
            kind,
            code: code.map(str::to_owned),
            include_subs,
        }
    }

    #[test]
    fn entities_expand_to_users_without_duplicates() -> Result<(), Box<dyn std::error::Error>> {
        let def = def()?;
        let Value::Object(values) = json!({
            "Created_by": {"code": "tanaka", "name": "田中"},
            "担当": [{"code": "suzuki", "name": "鈴木"}, {"code": "yamada", "name": "山田"}],
            "部署": [{"code": "soumu", "name": "総務"}]
        }) else {
            return Err("not an object".into());
        };
        let facts = RecordFacts {
            definition: &def,
            values: &values,
        };
        let got = expand(
            &[
                entry(EntityType::Creator, None, false),
                entry(EntityType::FieldEntity, Some("担当"), false),
                entry(EntityType::User, Some("tanaka"), false),
                entry(EntityType::Group, Some("leaders"), false),
                entry(EntityType::FieldEntity, Some("部署"), true),
                entry(EntityType::CustomField, Some("boss"), false),
            ],
            &facts,
            &mut Fake,
        )?;
        assert_eq!(got, ["tanaka", "suzuki", "yamada", "sato", "kato"]);
        let only_dept = expand(
            &[entry(EntityType::Organization, Some("soumu"), false)],
            &facts,
            &mut Fake,
        )?;
        assert_eq!(only_dept, ["sato"]);
        Ok(())
    }

    #[test]
    fn the_default_expander_knows_no_departments() -> Result<(), Box<dyn std::error::Error>> {
        struct UsersOnly;
        impl EntityExpander for UsersOnly {
            fn user_name(&mut self, _code: &str) -> EngineResult<Option<String>> {
                Ok(None)
            }
        }
        let def = def()?;
        let values = Map::new();
        let facts = RecordFacts {
            definition: &def,
            values: &values,
        };
        let got = expand(
            &[
                entry(EntityType::Organization, Some("soumu"), true),
                entry(EntityType::User, Some("sato"), false),
                entry(EntityType::Creator, None, false),
            ],
            &facts,
            &mut UsersOnly,
        )?;
        assert_eq!(got, ["sato"]);
        let v = assignee_value(&got, &mut UsersOnly)?;
        assert_eq!(v, json!([{"code": "sato", "name": "sato"}]));
        Ok(())
    }
}

//! Who may create apps and import packages (a server setting administrators manage), the
//! permission list a new app starts with, and the checks that keep field permissions attached to
//! their fields through renames.
//!
//! The promises (docs/security/rights.md):
//! - creating an app (API, portal, package import) is allowed by `AppCreationPolicy`; the default
//!   is administrators only; system work (example apps, the command line) is always allowed;
//! - a new app's permission list gives its creator every right and everyone else the record rights
//!   view/add/edit/delete, never manage: a colleague cannot change settings or save scripts in it;
//! - a field permission follows its field through a rename and leaves with a deleted field; a
//!   deploy refuses a field permission naming no field.

use serde::{Deserialize, Serialize};

use super::{AppDefinition, FieldId};
use crate::acl::{AppAclEntry, Entity, EntityType, Principal, EVERYONE};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, UserError};

/// The `server_settings` name of the policy.
const SETTING: &str = "app_creation_policy";

/// Who may create apps and import packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CreationMode {
    /// Every signed-in user.
    Everyone,
    /// Administrators and the listed users, departments (with their sub-departments) and groups.
    Listed,
    /// Administrators only (the default).
    #[default]
    Administrators,
}

/// The stored setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppCreationPolicy {
    pub mode: CreationMode,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

impl AppCreationPolicy {
    /// The setting in force (the default when never set or unreadable: administrators only).
    pub fn load(conn: &mut DbConn) -> EngineResult<AppCreationPolicy> {
        Ok(crate::server_settings::get(conn, SETTING)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Stores the setting after checking that every listed user, department and group exists.
    pub fn save(&self, conn: &mut DbConn) -> EngineResult<()> {
        let mut errors = FieldErrors::new();
        for (i, code) in self.users.iter().enumerate() {
            if crate::users::User::find_by_code(conn, code)?.is_none() {
                errors
                    .entry(format!("users[{i}]"))
                    .or_default()
                    .push(format!("The user ({code}) does not exist.").into());
            }
        }
        for (i, code) in self.departments.iter().enumerate() {
            if crate::org::find_department(conn, code)?.is_none() {
                errors
                    .entry(format!("departments[{i}]"))
                    .or_default()
                    .push(format!("The department ({code}) does not exist.").into());
            }
        }
        for (i, code) in self.groups.iter().enumerate() {
            if crate::org::find_group(conn, code)?.is_none() {
                errors
                    .entry(format!("groups[{i}]"))
                    .or_default()
                    .push(format!("The group ({code}) does not exist.").into());
            }
        }
        if !errors.is_empty() {
            return Err(UserError::Validation(errors).into());
        }
        crate::server_settings::set(conn, SETTING, &serde_json::to_string(self)?)
    }

    /// Whether `principal` may create apps under this policy. API tokens never may, nor guest
    /// users (issue 13, docs/guests.md G7: a guest works in the apps of its guest spaces).
    pub fn allows(&self, principal: &Principal) -> bool {
        match principal {
            Principal::System => true,
            Principal::Tokens(_) | Principal::PublicForm { .. } => false,
            Principal::User { guest: true, .. } => false,
            Principal::User {
                code,
                is_admin,
                departments,
                groups,
                ..
            } => {
                *is_admin
                    || match self.mode {
                        CreationMode::Everyone => true,
                        CreationMode::Administrators => false,
                        CreationMode::Listed => {
                            self.users.contains(code)
                                || departments.iter().any(|d| self.departments.contains(d))
                                || groups.iter().any(|g| self.groups.contains(g))
                        }
                    }
            }
        }
    }
}

/// `Forbidden` unless `principal` may create apps and import packages now.
pub fn check_may_create(conn: &mut DbConn, principal: &Principal) -> EngineResult<()> {
    if AppCreationPolicy::load(conn)?.allows(principal) {
        Ok(())
    } else {
        Err(UserError::AppCreationNotAllowed.into())
    }
}

/// The use case "create an app" for `acting` (API, portal): refused with `AppCreationNotAllowed`
/// unless the creation setting allows them; the app starts with `default_app_acl`, pre-live.
pub fn create_app_as(
    conn: &mut DbConn,
    acting: &crate::acting::ActingContext,
    definition: AppDefinition,
) -> EngineResult<(super::AppId, i64)> {
    check_may_create(conn, acting.principal())?;
    super::create_app(conn, definition, None, None, acting.user_code())
}

/// The permission list of a new app: its creator may do everything; everyone else may view, add,
/// edit and delete records, nothing more (no manage, import or export) until a manager changes it.
pub fn default_app_acl() -> Vec<AppAclEntry> {
    vec![
        AppAclEntry {
            entity: Entity {
                kind: EntityType::Creator,
                code: None,
            },
            include_subs: false,
            app_editable: true,
            record_viewable: true,
            record_addable: true,
            record_editable: true,
            record_deletable: true,
            record_importable: true,
            record_exportable: true,
        },
        AppAclEntry {
            entity: Entity {
                kind: EntityType::Group,
                code: Some(EVERYONE.to_owned()),
            },
            include_subs: false,
            app_editable: false,
            record_viewable: true,
            record_addable: true,
            record_editable: true,
            record_deletable: true,
            record_importable: false,
            record_exportable: false,
        },
    ]
}

/// Keeps field permissions on their fields after a change of `before` into `after` (both with
/// their field ids assigned): a rule follows its field's id to the field's new code, and the rule
/// of a field that no longer exists is dropped with the field.
pub(crate) fn follow_field_acl(before: &AppDefinition, after: &mut AppDefinition) {
    if after.field_acl.is_empty() {
        return;
    }
    let old_rules = std::mem::take(&mut after.field_acl);
    let new_code_of = |id: FieldId| {
        after
            .field_ids
            .iter()
            .find(|(_, i)| **i == id)
            .map(|(c, _)| c.clone())
    };
    let mut rules = Vec::with_capacity(old_rules.len());
    for mut rule in old_rules {
        // A rule that named a field before the change follows that field's id (a new field that
        // takes over an old code does not inherit the old field's rule); a rule written in this
        // change names the field it means.
        match before.field_ids.get(&rule.code) {
            Some(id) => match new_code_of(*id) {
                Some(code) if after.properties.contains_key(&code) => {
                    rule.code = code;
                    rules.push(rule);
                }
                // The field is gone: its rule goes with it.
                _ => {}
            },
            None => rules.push(rule),
        }
    }
    after.field_acl = rules;
}

/// Deploy check: every field permission names a top-level field of `def`.
pub fn check_field_acl_codes(def: &AppDefinition) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    for (i, rule) in def.field_acl.iter().enumerate() {
        if !def.properties.contains_key(&rule.code) {
            errors
                .entry(format!("fieldAcl.rights[{i}].code"))
                .or_default()
                .push(
                    format!(
                        "The field permission names a field ({}) that does not exist. Update the field permissions.",
                        rule.code
                    )
                    .into(),
                );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::{Accessibility, FieldAclEntity, FieldAclRule};
    use crate::fields::{FieldProperty, FieldType};

    fn with_field(code: &str) -> AppDefinition {
        let mut def = AppDefinition::new("a");
        def.properties.insert(
            code.to_owned(),
            FieldProperty::new(FieldType::SingleLineText, code, code),
        );
        def.assign_field_ids();
        def.field_acl = vec![FieldAclRule {
            code: code.to_owned(),
            entities: vec![FieldAclEntity {
                accessibility: Accessibility::None,
                entity: Entity {
                    kind: EntityType::Group,
                    code: Some(EVERYONE.to_owned()),
                },
                include_subs: false,
            }],
        }];
        def
    }

    #[test]
    fn a_rule_follows_a_renamed_field_and_leaves_with_a_deleted_one() {
        let before = with_field("secret");
        let mut renamed = before.clone();
        let id = renamed.field_ids.shift_remove("secret");
        if let Some(id) = id {
            renamed.field_ids.insert("hidden".into(), id);
        }
        let p = renamed.properties.shift_remove("secret");
        if let Some(mut p) = p {
            p.code = "hidden".into();
            renamed.properties.insert("hidden".into(), p);
        }
        renamed.assign_field_ids();
        follow_field_acl(&before, &mut renamed);
        assert_eq!(renamed.field_acl[0].code, "hidden");
        assert!(check_field_acl_codes(&renamed).is_ok());

        let mut deleted = before.clone();
        deleted.properties.shift_remove("secret");
        deleted.assign_field_ids();
        assert!(check_field_acl_codes(&deleted).is_err());
        follow_field_acl(&before, &mut deleted);
        assert!(deleted.field_acl.is_empty());
    }

    #[test]
    fn the_default_policy_is_administrators_only() {
        let user = |admin: bool| Principal::User {
            code: "u".into(),
            name: "u".into(),
            is_admin: admin,
            departments: vec!["d".into()],
            own_departments: vec!["d".into()],
            groups: vec![],
            primary_department: None,
            guest: false,
        };
        let p = AppCreationPolicy::default();
        assert!(!p.allows(&user(false)));
        assert!(p.allows(&user(true)));
        // Issue 13, guests: a guest never creates apps, whatever the setting.
        let everyone = AppCreationPolicy {
            mode: CreationMode::Everyone,
            ..AppCreationPolicy::default()
        };
        assert!(everyone.allows(&user(false)));
        let mut guest = user(false);
        if let Principal::User { guest: g, .. } = &mut guest {
            *g = true;
        }
        assert!(!everyone.allows(&guest));
        let listed = AppCreationPolicy {
            mode: CreationMode::Listed,
            departments: vec!["d".into()],
            ..AppCreationPolicy::default()
        };
        assert!(listed.allows(&user(false)));
    }
}

//! The three permission lists of an app in kintone's JSON shapes (`app/acl.json`, `record/acl.json`,
//! `field/acl.json`), stored in the app definition and deployed with it, and their checks.

use serde::{Deserialize, Serialize};

use crate::apps::AppDefinition;
use crate::error::{FieldErrors, UserError};
use crate::fields::FieldType;

/// The group code kintone uses for "Everyone".
pub const EVERYONE: &str = "everyone";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    User,
    Group,
    Organization,
    /// App ACL: the app's creator. Record and field ACLs: the record's creator.
    Creator,
    /// Record and field ACLs: the users in a field of the record. Kumiki supports the creator field.
    FieldEntity,
}

/// Who an entry is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: EntityType,
    #[serde(default)]
    pub code: Option<String>,
}

impl Entity {
    pub fn is_everyone(&self) -> bool {
        self.kind == EntityType::Group && self.code.as_deref() == Some(EVERYONE)
    }
}

/// One row of `app/acl.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppAclEntry {
    pub entity: Entity,
    #[serde(default)]
    pub include_subs: bool,
    #[serde(default)]
    pub app_editable: bool,
    #[serde(default)]
    pub record_viewable: bool,
    #[serde(default)]
    pub record_addable: bool,
    #[serde(default)]
    pub record_editable: bool,
    #[serde(default)]
    pub record_deletable: bool,
    #[serde(default)]
    pub record_importable: bool,
    #[serde(default)]
    pub record_exportable: bool,
}

/// One rule of `record/acl.json`: the records its condition matches, and who may do what with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAclRule {
    /// A query condition (no `order by`/`limit`); empty = every record.
    #[serde(default)]
    pub filter_cond: String,
    pub entities: Vec<RecordAclEntity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordAclEntity {
    pub entity: Entity,
    #[serde(default)]
    pub viewable: bool,
    #[serde(default)]
    pub editable: bool,
    #[serde(default)]
    pub deletable: bool,
    #[serde(default)]
    pub include_subs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Accessibility {
    None,
    Read,
    Write,
}

/// One field of `field/acl.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldAclRule {
    pub code: String,
    pub entities: Vec<FieldAclEntity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldAclEntity {
    pub accessibility: Accessibility,
    pub entity: Entity,
    #[serde(default)]
    pub include_subs: bool,
}

/// The entity kinds each list accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclKind {
    App,
    Record,
    Field,
}

/// Which entities exist (checked by the caller against the organisation tables).
pub trait EntityDirectory {
    fn user_exists(&mut self, code: &str) -> bool;
    fn group_exists(&mut self, code: &str) -> bool;
    fn department_exists(&mut self, code: &str) -> bool;
}

/// Checks one entity; errors go to `key`.
pub fn check_entity(
    kind: AclKind,
    entity: &Entity,
    def: &AppDefinition,
    dir: &mut dyn EntityDirectory,
    key: &str,
    errors: &mut FieldErrors,
) {
    let code = entity.code.as_deref().unwrap_or_default();
    let problem = match entity.kind {
        EntityType::Creator => None,
        EntityType::User if !dir.user_exists(code) => Some(format!("The user ({code}) does not exist.")),
        EntityType::Group if !entity.is_everyone() && !dir.group_exists(code) => {
            Some(format!("The group ({code}) does not exist."))
        }
        EntityType::Organization if !dir.department_exists(code) => {
            Some(format!("The department ({code}) does not exist."))
        }
        EntityType::FieldEntity if kind == AclKind::App => {
            Some("FIELD_ENTITY cannot be used in app permissions.".to_owned())
        }
        EntityType::FieldEntity
            if def
                .field(code)
                .is_none_or(|f| f.subtable.is_some() || f.property.field_type != FieldType::Creator) =>
        {
            Some(format!(
                "The field ({code}) is not a creator field (Kumiki supports FIELD_ENTITY on the creator field only)."
            ))
        }
        _ => None,
    };
    if let Some(message) = problem {
        errors
            .entry(format!("{key}.entity"))
            .or_default()
            .push(message.into());
    }
}

/// Checks an app ACL: entities exist; edit/delete/export need view, import needs add.
pub fn check_app_acl(
    rights: &[AppAclEntry],
    def: &AppDefinition,
    dir: &mut dyn EntityDirectory,
) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    for (i, r) in rights.iter().enumerate() {
        let key = format!("rights[{i}]");
        check_entity(AclKind::App, &r.entity, def, dir, &key, &mut errors);
        if (r.record_editable || r.record_deletable || r.record_exportable) && !r.record_viewable {
            errors
                .entry(format!("{key}.recordViewable"))
                .or_default()
                .push(
                    "Edit, delete and export permissions need the view permission."
                        .to_owned()
                        .into(),
                );
        }
        if r.record_importable && !r.record_addable {
            errors
                .entry(format!("{key}.recordAddable"))
                .or_default()
                .push(
                    "The import permission needs the add permission."
                        .to_owned()
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

/// Checks record ACL rules: entities exist, edit/delete need view, conditions are valid for the app
/// (`check_cond` runs the query checks; no `order by`, `limit` or `offset`).
pub fn check_record_acl(
    rules: &[RecordAclRule],
    def: &AppDefinition,
    dir: &mut dyn EntityDirectory,
    check_cond: &mut dyn FnMut(&str) -> Result<(), UserError>,
) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    for (i, rule) in rules.iter().enumerate() {
        let key = format!("rights[{i}]");
        if let Err(e) = check_cond(&rule.filter_cond) {
            errors
                .entry(format!("{key}.filterCond"))
                .or_default()
                .push(e.to_string().into());
        }
        for (j, e) in rule.entities.iter().enumerate() {
            let key = format!("{key}.entities[{j}]");
            check_entity(AclKind::Record, &e.entity, def, dir, &key, &mut errors);
            if (e.editable || e.deletable) && !e.viewable {
                errors.entry(format!("{key}.viewable")).or_default().push(
                    "Edit and delete permissions need the view permission."
                        .to_owned()
                        .into(),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Validation(errors))
    }
}

/// Checks field ACL rules: each names a top-level field (a subtable covers its fields) once.
pub fn check_field_acl(
    rules: &[FieldAclRule],
    def: &AppDefinition,
    dir: &mut dyn EntityDirectory,
) -> Result<(), UserError> {
    let mut errors = FieldErrors::new();
    let mut seen = std::collections::HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let key = format!("rights[{i}]");
        let ok = def
            .properties
            .get(&rule.code)
            .is_some_and(|p| !p.field_type.is_layout_only());
        if !ok {
            errors.entry(format!("{key}.code")).or_default().push(
                format!(
                    "The field ({}) does not exist or is not a top-level field.",
                    rule.code
                )
                .into(),
            );
        }
        if !seen.insert(rule.code.as_str()) {
            errors
                .entry(format!("{key}.code"))
                .or_default()
                .push(format!("The field ({}) is listed twice.", rule.code).into());
        }
        for (j, e) in rule.entities.iter().enumerate() {
            check_entity(
                AclKind::Field,
                &e.entity,
                def,
                dir,
                &format!("{key}.entities[{j}]"),
                &mut errors,
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UserError::Validation(errors))
    }
}

//! Apps: definitions with a pre-live (preview) and a live stage, deploy, and every deployed version.
mod check;
mod creation;
mod definition;
mod migrate;
mod script_authors;
mod scripts;
mod store;

pub use check::check_definition;
pub use creation::{
    check_field_acl_codes, check_may_create, create_app_as, default_app_acl, AppCreationPolicy,
    CreationMode,
};
pub use definition::{AppDefinition, FieldId, FieldRef};
pub(crate) use migrate::check_type_changes;
pub use script_authors::{script_change, ScriptChange};
pub use scripts::{any_script_for, AppScript, ScriptAccess, ScriptApp, ScriptEvent};
pub use store::{
    create_app, delete_app, deploy, load_definition, save_preview, versions, AppRow, AppVersion,
    LiveApp, LIVE, PREVIEW,
};
pub(crate) use store::{guest_space_of, load_live_with_rights_of, OUTSIDE_GUEST_SPACES_SQL};

/// An app's id (kintone `app`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub i64);

//! Apps: definitions with a pre-live (preview) and a live stage, deploy, and every deployed version.
mod check;
mod definition;
mod migrate;
mod scripts;
mod store;

pub use check::check_definition;
pub use definition::{AppDefinition, FieldId, FieldRef};
pub use scripts::{any_script_for, AppScript, ScriptEvent};
pub use store::{
    create_app, delete_app, deploy, load_definition, load_live, save_preview, versions, AppRow,
    AppVersion, LiveApp, LIVE, PREVIEW,
};

/// An app's id (kintone `app`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub i64);

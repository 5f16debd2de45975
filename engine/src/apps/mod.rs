//! Apps: definitions (pre-live and live), deploy, versions.
mod definition;
pub use definition::{AppDefinition, FieldId, FieldRef};

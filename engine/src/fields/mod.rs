//! Fields: the kintone field types, their properties, and how values of each type are checked and
//! normalized. A field is identified by its code in every API; internally each field also has a stable
//! numeric id (see `apps::AppDefinition::field_ids`) that the pivot index tables use, so renaming a field
//! does not touch its index rows.

pub mod formula;
mod property;
mod types;

pub use property::{ChoiceOption, FieldMapping, FieldProperty, LookupSetting, RelatedApp};
pub use types::{FieldType, IndexKind};

//! Kumiki's engine: app definitions, fields, generic record storage on SQLite and PostgreSQL, and the
//! kintone query language. It knows nothing of HTTP; the platform crate turns its results and errors
//! into kintone's wire format.

pub mod apps;
pub mod db;
pub mod error;
pub mod fields;
pub mod query;

pub use error::{EngineError, EngineResult, FieldErrors, QueryErrorCode, UserError};

//! Kumiki's engine: app definitions, fields, generic record storage on SQLite and PostgreSQL, and the
//! kintone query language. It knows nothing of HTTP; the platform crate turns its results and errors
//! into kintone's wire format.

pub mod acl;
pub mod acting;
pub mod allowlist;
pub mod apps;
pub mod audit;
pub mod db;
pub mod error;
pub mod fields;
pub mod jobs;
// Issue 13 (mail): e-mail delivery of notifications.
pub mod mail;
pub mod mfa;
pub mod netlist;
pub mod notifications;
pub mod org;
pub mod packages;
pub mod process;
pub mod query;
pub mod records;
pub mod review;
pub mod server_settings;
pub mod sessions;
pub mod spaces;
pub mod tokens;
pub mod users;
pub mod views;

pub use error::{EngineError, EngineResult, FieldErrors, Message, QueryErrorCode, UserError};

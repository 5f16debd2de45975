//! Database access for both backends.
pub mod sql;
pub use sql::{Dialect, SqlBuilder, SqlValue};

//! Kumiki's engine: app definitions, fields, generic record storage on SQLite and PostgreSQL, and the
//! kintone query language. It knows nothing of HTTP; the platform crate turns its results and errors
//! into kintone's wire format.

pub mod acl;
pub mod acting;
pub mod allowlist;
pub mod apps;
pub mod audit;
pub mod backup;
// Issue 16, dashboards: charts and record lists pinned to the portal and space pages.
pub mod dashboards;
// Issue 17 part 5: the local gallery of app packages added by IT.
pub mod db;
pub mod error;
pub mod gallery;
// Issue 16, export: records to CSV/XLSX (「ファイルに書き出す」).
pub mod export;
pub mod fields;
// Issue 13, guests: guest users and the guest members of guest spaces.
pub mod guests;
// Issue 16: record imports from CSV/XLSX.
pub mod import;
pub mod jobs;
// Issue 13 (mail): e-mail delivery of notifications.
pub mod mail;
pub mod mfa;
pub mod netlist;
pub mod notifications;
pub mod org;
pub mod package_signing;
pub mod packages;
// Issue 16, printing: print views of a record and a list, as the caller may see them.
pub mod print;
pub mod process;
// Issue 15: public forms (公開フォーム).
pub mod public_forms;
pub mod query;
pub mod records;
// Issue 16, charts: graphs (app/reports.json) and their aggregation.
pub mod reports;
pub mod review;
pub mod server_settings;
pub mod sessions;
pub mod spaces;
// Issue 14: survey relay (調査照会).
pub mod surveys;
// Issue 16, export: the shared CSV/XLSX writers.
pub mod tabular;
pub mod tokens;
pub mod users;
pub mod views;
// Issue 13 part "webhooks".
pub mod webhooks;

pub use error::{EngineError, EngineResult, FieldErrors, Message, QueryErrorCode, UserError};

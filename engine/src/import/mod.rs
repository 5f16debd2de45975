//! Importing records from a CSV or XLSX file (issue 16): `read` turns the file into a table,
//! `convert` turns cells into field values, `apply` maps columns to fields and writes the records
//! through the normal record write path, reporting every problem per row and column. `store` keeps
//! an import's settings, state and report between the upload, the check and the run (a job).

pub mod apply;
pub mod convert;
pub mod read;
pub mod session;
pub mod store;

pub use apply::{
    apply, suggest_mapping, validate, ImportMode, ImportSettings, Report, ReportEntry,
};
pub use read::{detect_encoding, read_csv, read_xlsx, xlsx_sheets, Encoding, Table};

//! Records: generic storage of every app's records in shared tables, with typed pivot index rows.
//!
//! Functions here expect the caller to hold a transaction (`DbConn::write_transaction`) around a whole
//! API call, so that a bulk call or a `bulkRequest` is all-or-nothing.

mod bulk_by_query;
pub mod changes;
mod comments;
mod cursors;
mod files;
pub(crate) mod gaps;
pub mod history;
pub mod hooks;
pub(crate) mod index;
mod pg_write;
mod read;
mod render;
pub mod scan;
mod use_cases;
pub mod validate;
pub(crate) mod write;

pub use bulk_by_query::{
    bulk_delete_by_query, bulk_update_by_query, plan_bulk, BulkKind, BulkPlan, BULK_QUERY_CAP,
};
pub use comments::{add_comment, delete_comment, list_comments, Comment, CommentPage};
pub use cursors::{create_cursor, cursor_app, delete_cursor, next_cursor_page, CursorPage};
pub use files::{
    display_name, file_meta, in_database, FileMeta, FileStore, FilesIn, Incoming, LocalFile,
    BLOB_CHUNK_BYTES,
};
pub use index::IndexRows;
pub use read::{count_records, get_record, list_records, record_rights, ListRequest, StoredRecord};
pub use render::{created_by_caller, empty_value, field_viewable, record_json};
pub use use_cases::{delete_records_as, DELETE_LIMIT};
pub use write::{
    add_records, check_new_records, delete_records, update_records, Actor, RecordTarget,
    RecordUpdate, UpdateOutcome,
};

/// A record's id within its app (kintone `$id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub i64);

//! Kumiki's full-text search over records, comments and attached files.
//!
//! - `tokenizer`: the Japanese analyzer (NFKC width folding, CJK unigrams + bigrams with positions,
//!   lower-cased Latin words). Index time emits unigrams and bigrams; query time bigrams only.
//! - `extract`: text out of attached files (PDF, DOCX, XLSX/XLS/ODS, CSV in UTF-8 or Shift_JIS, plain
//!   text), contained: a malformed file never takes the server down, and why it failed is kept.
//! - `schema`, `index`, `parts`, `source`: one tantivy document per searchable part of a record, in
//!   `<data_dir>/search-index`, built from the database.
//! - `indexer`: the one writer, applying the engine's change log (`kumiki_engine::records::changes`)
//!   in order and committing its position with the documents; `service`: the thread and its status.
//! - `morph`: the optional word field (lindera + IPADIC compiled from Debian's mecab-ipadic) that
//!   ranks whole-word matches first; without a dictionary search runs on bigrams alone.
//! - `query`, `search`, `permissions`, `present`: the searcher's syntax, permission-filtered
//!   execution through `acl::Access`, snippets and titles.

mod collector;
pub mod error;
pub mod extract;
pub mod index;
pub mod indexer;
mod like;
pub mod morph;
mod page;
pub mod parts;
pub mod permissions;
mod position;
mod present;
pub mod query;
pub mod schema;
pub mod search;
pub mod service;
pub mod source;
pub mod tokenizer;

pub use error::SearchError;
pub use schema::PartKind;
pub use search::{AppCount, Hit, SearchRequest, SearchResponse, Searcher, Sort};
pub use service::{IndexStatus, SearchService};

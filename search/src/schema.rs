//! The tantivy schema: one document per searchable part of a record (a text field value, a
//! subtable cell, a comment, an attached file). Keeping parts apart is what lets a query drop the
//! hits in fields a searcher may not see while the rest of the record still matches.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

use crate::tokenizer;

/// Bump when the schema or the analyzer changes: an index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// What a part is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum PartKind {
    /// A text field value (or a text cell of a subtable row).
    Field,
    Comment,
    /// An attached file: its name and extracted text.
    File,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Field => "field",
            PartKind::Comment => "comment",
            PartKind::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<PartKind> {
        match s {
            "field" => Some(PartKind::Field),
            "comment" => Some(PartKind::Comment),
            "file" => Some(PartKind::File),
            _ => None,
        }
    }
}

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Unique per part: `<app>/<record>/<kind>/<detail>`.
    pub part_key: Field,
    /// `<app>/<record>`: all parts of a record, deleted together.
    pub record_key: Field,
    pub app_id: Field,
    pub record_id: Field,
    pub kind: Field,
    /// The field code (inner code for subtable cells, the FILE field for files; empty for comments).
    pub field_code: Field,
    pub text: Field,
    /// The same text cut into dictionary words (`morph::JA_MORPH`, positions, not stored); only in
    /// an index opened with a dictionary. Queries use it to rank whole-word matches first.
    pub text_morph: Option<Field>,
    /// The record's creator (user code); field rights may depend on it.
    pub creator: Field,
    pub created: Field,
    pub updated: Field,
    /// `extract::FileKind::label()` of a file part; empty otherwise.
    pub file_type: Field,
}

/// Builds the schema and its field handles (without the word field).
pub fn build() -> (Schema, Fields) {
    build_with(false)
}

/// The schema version as written beside the index: the word field is part of it, so switching
/// the dictionary on or off rebuilds the index.
pub fn version_tag(morph: bool) -> String {
    if morph {
        format!("{SCHEMA_VERSION}+morph")
    } else {
        SCHEMA_VERSION.to_string()
    }
}

/// Builds the schema and its field handles; `morph` adds the word field `text_morph`.
pub fn build_with(morph: bool) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer::JA)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text_options = TextOptions::default()
        .set_indexing_options(text_indexing)
        .set_stored();
    let fields = Fields {
        part_key: b.add_text_field("part_key", STRING | STORED),
        record_key: b.add_text_field("record_key", STRING),
        app_id: b.add_u64_field("app_id", INDEXED | FAST | STORED),
        record_id: b.add_u64_field("record_id", INDEXED | FAST | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        field_code: b.add_text_field("field_code", STRING | STORED),
        text: b.add_text_field("text", text_options),
        text_morph: morph.then(|| {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(crate::morph::JA_MORPH)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            b.add_text_field(
                "text_morph",
                TextOptions::default().set_indexing_options(indexing),
            )
        }),
        creator: b.add_text_field("creator", STRING | STORED),
        created: b.add_i64_field("created", INDEXED | FAST | STORED),
        updated: b.add_i64_field("updated", INDEXED | FAST | STORED),
        file_type: b.add_text_field("file_type", STRING | STORED),
    };
    (b.build(), fields)
}

/// The `record_key` term value of a record.
pub fn record_key(app: i64, record: i64) -> String {
    format!("{app}/{record}")
}

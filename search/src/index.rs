//! The index on disk: `<data_dir>/search-index`, with the schema version in a file beside the tantivy
//! files. An index of another version (or a damaged one) is wiped and rebuilt from the database.
//! The position in the change log up to which the index is complete is the payload of the last
//! tantivy commit (`{"seq": L}`), so it is written atomically with the documents it covers.

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

use crate::error::SearchError;
use crate::morph::{Morph, JA_MORPH};
use crate::query::TextTarget;
use crate::schema::{self, Fields};
use crate::tokenizer;

const VERSION_FILE: &str = "kumiki-schema-version";
/// The writer's indexing memory, split among its threads (tantivy wants ≥ 15 MB each), and the
/// thread count: fixed, so the budget fits on any machine. One thread with 40 MB writes segments of
/// about the size the two threads with 50 MB each wrote, and holds half the memory: the server's
/// whole budget at 1M records is 300 MB (issue 18), and on two cores a second indexing thread only
/// competes with the requests whose records it indexes (docs/benchmarks.md, "Memory").
const WRITER_MEMORY: usize = 40_000_000;
const WRITER_THREADS: usize = 1;

/// An open index and its reader.
#[derive(Clone)]
pub struct SearchIndex {
    pub index: Index,
    pub fields: Fields,
    pub reader: IndexReader,
    pub dir: PathBuf,
    /// The dictionary behind `fields.text_morph`; `None` = bigrams only.
    pub morph: Option<Morph>,
}

/// The index directory inside a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search-index")
}

/// The payload of a commit at change-log position `seq`.
pub fn payload_for(seq: i64) -> String {
    serde_json::json!({ "seq": seq }).to_string()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (empty, without a position) when missing or of another
    /// schema version.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_with(dir, None)
    }

    /// Like [`SearchIndex::open`]; with a dictionary the index has the word field `text_morph`.
    /// An index built with the other choice is rebuilt (the version file records it).
    pub fn open_with(dir: &Path, morph: Option<Morph>) -> Result<SearchIndex, SearchError> {
        let version_path = dir.join(VERSION_FILE);
        let wanted = schema::version_tag(morph.is_some());
        let current = std::fs::read_to_string(&version_path).ok();
        if current.as_deref().map(str::trim) != Some(wanted.as_str()) && dir.exists() {
            tracing::info!(
                dir = %dir.display(),
                "the search index has another schema version; it is rebuilt"
            );
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build_with(morph.is_some());
        let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.to_string()))?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            Err(e) => {
                tracing::warn!(error = %e, "the search index cannot be opened; it is rebuilt");
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                let directory =
                    MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.to_string()))?;
                Index::open_or_create(directory, schema)?
            }
        };
        tokenizer::register(&index);
        if let Some(m) = &morph {
            index.tokenizers().register(JA_MORPH, m.analyzer());
        }
        std::fs::write(&version_path, wanted)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            reader,
            dir: dir.to_path_buf(),
            morph,
        })
    }

    /// Where query items are searched: the bigram field, plus the word field when it exists.
    pub fn text_target(&self) -> TextTarget<'_> {
        TextTarget {
            text: self.fields.text,
            words: self.fields.text_morph.zip(self.morph.as_ref()),
        }
    }

    /// The only writer of the index (tantivy holds a lock file: a second one fails with `Locked`).
    pub fn writer(&self) -> Result<IndexWriter, SearchError> {
        match self
            .index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY)
        {
            Ok(w) => Ok(w),
            Err(tantivy::TantivyError::LockFailure(..)) => Err(SearchError::Locked),
            Err(e) => Err(e.into()),
        }
    }

    /// The change-log position of the last commit; `None` for an index never committed by us.
    pub fn committed_seq(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|v| v.get("seq").and_then(serde_json::Value::as_i64)))
    }

    /// Documents (parts) visible to the current reader.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Bytes of the index files on disk.
    pub fn size_bytes(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Whether a process holds the writer of the index in `dir`, i.e. a server runs on this data
/// directory (`kumiki restore` refuses then). Changes nothing: the writer taken for the test is
/// dropped at once without a commit. A missing or unreadable index is not in use.
pub fn in_use(dir: &Path) -> bool {
    let Ok(index) = tantivy::Index::open_in_dir(dir) else {
        return false;
    };
    // tantivy's smallest indexing budget; nothing is indexed with it.
    const PROBE_MEMORY: usize = 15_000_000;
    matches!(
        index.writer_with_num_threads::<tantivy::TantivyDocument>(1, PROBE_MEMORY),
        Err(tantivy::TantivyError::LockFailure(..))
    )
}

/// Commits everything the writer holds with the position `seq`, then makes it visible.
pub fn commit_at(
    index: &SearchIndex,
    writer: &mut IndexWriter,
    seq: i64,
) -> Result<(), SearchError> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload_for(seq));
    prepared.commit()?;
    index.reader.reload()?;
    Ok(())
}

/// Every document as (part key, text), for comparing two indexes (tests, consistency checks).
pub fn all_parts(
    index: &SearchIndex,
) -> Result<std::collections::BTreeSet<(String, String)>, SearchError> {
    use tantivy::schema::Value as _;
    let searcher = index.reader.searcher();
    let docs = searcher.search(
        &tantivy::query::AllQuery,
        &tantivy::collector::DocSetCollector,
    )?;
    let mut out = std::collections::BTreeSet::new();
    for address in docs {
        let doc: tantivy::TantivyDocument = searcher.doc(address)?;
        let get = |f| {
            doc.get_first(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        out.insert((get(index.fields.part_key), get(index.fields.text)));
    }
    Ok(out)
}

//! The search service the platform holds: the index, its reader, and the indexer thread. The
//! platform calls `notify` after each committed write so the indexer wakes at once (it also polls
//! every 250 ms); dropping the last handle stops the thread.
//!
//! Each index directory is its own change-log consumer (`search:<index id>`, the id in
//! `indexer::INDEX_ID_FILE`): [`open_index`] keeps that id when an index of another schema version
//! is wiped and rebuilt, so a rebuilt index does not leave its old name behind to block pruning.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::records::changes;
use serde::Serialize;

use crate::error::SearchError;
use crate::extract::Extractor;
use crate::index::{index_dir, SearchIndex};
use crate::indexer::{consumer_name, Indexer, Progress, INDEX_ID_FILE};
use crate::like::IndexLike;
use crate::morph::Morph;
use crate::search::{SearchRequest, SearchResponse, Searcher};
use crate::source::{self, FailedFile};

pub struct SearchService {
    index: SearchIndex,
    progress: Arc<Progress>,
    wake: SyncSender<()>,
    like: IndexLike,
}

/// What admins see of the index.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexStatus {
    /// Every change-log row up to here is searchable (`L`; -1 before the first build).
    pub applied_seq: i64,
    /// The newest change-log row.
    pub log_head: i64,
    /// Rows not yet covered by `applied_seq` (rows beyond a gap may already be searchable).
    pub lag_rows: i64,
    /// Age in seconds of the oldest row not covered.
    pub lag_seconds: i64,
    pub rebuilding: bool,
    /// Indexed parts (field values, comments, files).
    pub documents: u64,
    pub index_bytes: u64,
    /// Unix time of the indexer's last commit in this process (`None` before the first one, and
    /// for `offline_status`).
    pub last_commit_at: Option<i64>,
    pub last_error: Option<String>,
    /// Attached files whose text could not be read, and why (newest first, at most 100).
    pub failed_files: Vec<FailedFile>,
    /// This index's name among the change-log consumers (`None` offline before the first start).
    pub consumer: Option<String>,
    /// Every registered change-log consumer (each node's index, later others) and its lag: the
    /// log is pruned only behind the slowest (`kumiki outbox`).
    pub consumers: Vec<changes::Consumer>,
}

/// Opens the index in `dir` like `SearchIndex::open_with`, keeping its consumer id across a wipe.
pub fn open_index(dir: &Path, morph: Option<Morph>) -> Result<SearchIndex, SearchError> {
    let id = std::fs::read(dir.join(INDEX_ID_FILE)).ok();
    let index = SearchIndex::open_with(dir, morph)?;
    if let Some(id) = id {
        if !dir.join(INDEX_ID_FILE).exists() {
            std::fs::write(dir.join(INDEX_ID_FILE), id)?;
        }
    }
    Ok(index)
}

impl SearchService {
    /// Opens (or creates) `<data_dir>/search-index` and starts the indexer thread. Fails with
    /// `Locked` when another process writes the index. `morph` (see `morph::resolve`) adds the
    /// word field; the index is rebuilt when that choice changed since the last start.
    pub fn start(
        db: Arc<Database>,
        data_dir: &Path,
        files_root: &Path,
        extractor: Extractor,
        morph: Option<Morph>,
    ) -> Result<SearchService, SearchError> {
        let index = open_index(&index_dir(data_dir), morph)?;
        let progress = Arc::new(Progress::default());
        let indexer = Indexer::new(
            index.clone(),
            db,
            files_root.to_path_buf(),
            extractor,
            Arc::clone(&progress),
        )?;
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("search-indexer".into())
            .spawn(move || indexer.run(woken))?;
        let like = IndexLike {
            index: index.clone(),
            progress: Arc::clone(&progress),
        };
        Ok(SearchService {
            index,
            progress,
            wake,
            like,
        })
    }

    /// Wakes the indexer (after a write transaction committed). Never blocks.
    pub fn notify(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Runs a search (see `search::search`).
    pub fn search(
        &self,
        conn: &mut DbConn,
        who: &Searcher,
        req: &SearchRequest,
    ) -> Result<SearchResponse, SearchError> {
        crate::search::search(&self.index, conn, who, req)
    }

    /// The index status (lag, size, failed files).
    pub fn status(&self, conn: &mut DbConn) -> Result<IndexStatus, SearchError> {
        let mut s = status_of(
            &self.index,
            conn,
            self.progress.position.load(Ordering::Relaxed),
        )?;
        s.consumer = Some(consumer_name(&self.index.dir)?);
        s.rebuilding = self.progress.rebuilding.load(Ordering::Relaxed);
        let last_commit = self.progress.last_commit.load(Ordering::Relaxed);
        s.last_commit_at = Some(last_commit).filter(|t| *t > 0);
        s.last_error = self.progress.last_error.lock().ok().and_then(|e| e.clone());
        Ok(s)
    }

    /// What the query compiler uses for `like` (`QueryContext::text_matcher`).
    pub fn like_matcher(&self) -> &dyn kumiki_engine::query::TextMatcher {
        &self.like
    }

    /// The change-log position the index covers.
    pub fn applied_seq(&self) -> i64 {
        self.progress.position.load(Ordering::Relaxed)
    }
}

impl Drop for SearchService {
    fn drop(&mut self) {
        // The thread also ends when the channel closes; the flag stops a long catch-up early.
        self.progress.stop.store(true, Ordering::Relaxed);
    }
}

/// The status of an index at position `applied`.
pub fn status_of(
    index: &SearchIndex,
    conn: &mut DbConn,
    applied: i64,
) -> Result<IndexStatus, SearchError> {
    let head = changes::last_seq(conn)?;
    let (lag_rows, oldest) = changes::backlog(conn, applied.max(0))?;
    let now = chrono::Utc::now().timestamp();
    Ok(IndexStatus {
        applied_seq: applied,
        log_head: head,
        lag_rows,
        lag_seconds: oldest.map(|t| (now - t).max(0)).unwrap_or(0),
        rebuilding: false,
        documents: index.num_docs(),
        index_bytes: index.size_bytes(),
        last_commit_at: None,
        last_error: None,
        failed_files: source::failed_files(conn, 100)?,
        consumer: None,
        consumers: changes::consumers(conn)?,
    })
}

/// Rebuilds the index of `data_dir` from the database (the server must be stopped: the index
/// writer lock makes this fail with `Locked` otherwise). Returns the position it covers. `morph`
/// must be what the server uses, or the server rebuilds again at its next start.
pub fn rebuild(
    db: Arc<Database>,
    data_dir: &Path,
    files_root: &Path,
    extractor: Extractor,
    morph: Option<Morph>,
) -> Result<i64, SearchError> {
    let index = open_index(&index_dir(data_dir), morph)?;
    let mut indexer = Indexer::new(
        index,
        db,
        files_root.to_path_buf(),
        extractor,
        Arc::new(Progress::default()),
    )?;
    let seq = indexer.rebuild()?;
    // Whatever committed while rebuilding.
    while indexer.step()? {}
    Ok(seq.max(indexer.position()))
}

/// The status of the index of `data_dir` without starting an indexer (for the CLI). `morph` must
/// be what the server uses: an index of the other kind is wiped on open.
pub fn offline_status(
    data_dir: &Path,
    conn: &mut DbConn,
    morph: Option<Morph>,
) -> Result<IndexStatus, SearchError> {
    let dir = index_dir(data_dir);
    let index = open_index(&dir, morph)?;
    let applied = index.committed_seq()?.unwrap_or(-1);
    let mut s = status_of(&index, conn, applied)?;
    s.consumer = dir
        .join(INDEX_ID_FILE)
        .exists()
        .then(|| consumer_name(&dir))
        .transpose()?;
    Ok(s)
}

//! The indexer: the only writer of the index. It applies the change log in `seq` order, reading the
//! current state of each changed record (so applying a row twice is harmless), and commits with the
//! position `L` ("every row up to L is applied") as the commit payload, atomically with the
//! documents. After a crash it resumes from the last commit's `L`.
//!
//! The index is one consumer of the change log among others: it registers as `search:<index id>`
//! (the id lives in a file in the index directory, so each node's index is its own consumer) and
//! copies `L` to its `change_consumers` row after each commit. The commit payload stays the truth:
//! the row only tells the pruning (which waits for the slowest consumer) how far this index is, and
//! is set back to the payload's `L` at start. An index whose rows were pruned while it was not
//! registered (an administrator forgot it) is rebuilt.
//!
//! PostgreSQL hands out `seq` before commit: transactions can commit out of order, and a rollback
//! leaves a gap for good. `L` therefore stops below the first gap, while rows beyond it are applied
//! at once (a saved record is searchable within the second); a gap older than `GAP_TIMEOUT` is taken
//! for a rollback and passed, and its range is still watched for a late commit for `LATE_WATCH`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::apps::{load_definition, AppDefinition, AppId, LIVE};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::records::changes::{self, Change, WHOLE_APP};
use kumiki_engine::records::FileStore;
use tantivy::{IndexWriter, Term};

use crate::error::SearchError;
use crate::extract::{self, ExtractError, ExtractLimits, Extractor};
use crate::index::{commit_at, SearchIndex};
use crate::parts::{record_parts, to_document};
use crate::position::LogPosition;
use crate::source::{self, FileRow, FileText, RecordRow};

const GAP_TIMEOUT: Duration = Duration::from_secs(10);
const LATE_WATCH: Duration = Duration::from_secs(600);
const BATCH_ROWS: i64 = 2000;
const RECORD_PAGE: i64 = 500;
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const PRUNE_AGE_SECONDS: i64 = 86_400;
/// The file in the index directory that names this index as a change-log consumer.
pub const INDEX_ID_FILE: &str = "kumiki-index-id";

/// What the indexer shares with readers of its status.
#[derive(Debug, Default)]
pub struct Progress {
    /// `L`: every change-log row up to here is in the committed index.
    pub position: AtomicI64,
    pub rebuilding: AtomicBool,
    pub stop: AtomicBool,
    pub last_error: Mutex<Option<String>>,
    /// Unix time of the last commit.
    pub last_commit: AtomicI64,
}

pub struct Indexer {
    index: SearchIndex,
    writer: IndexWriter,
    db: Arc<Database>,
    /// Reads attachments wherever their row says (the directory or the database).
    files: FileStore,
    limits: ExtractLimits,
    /// Where text extraction runs (a child process in a server).
    extractor: Extractor,
    position: LogPosition,
    progress: Arc<Progress>,
    last_prune: Instant,
    /// `search:<index id>`, this index's row in `change_consumers`.
    consumer: String,
    /// The position that row was last set to.
    consumer_at: i64,
}

/// The consumer name of the index in `dir`: `search:` and the id in its `INDEX_ID_FILE`, created
/// on first use.
pub fn consumer_name(dir: &std::path::Path) -> Result<String, SearchError> {
    let path = dir.join(INDEX_ID_FILE);
    let id = match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            std::fs::write(&path, &id)?;
            id
        }
    };
    Ok(format!("search:{id}"))
}

impl Indexer {
    /// Takes the index writer (fails with `Locked` when another process holds it) and registers the
    /// index as a change-log consumer at its committed position. Attachments are read under
    /// `files_root` and their text extracted by `extractor`.
    pub fn new(
        index: SearchIndex,
        db: Arc<Database>,
        files_root: PathBuf,
        extractor: Extractor,
        progress: Arc<Progress>,
    ) -> Result<Indexer, SearchError> {
        let writer = index.writer()?;
        let mut position = index.committed_seq()?.unwrap_or(-1);
        let consumer = consumer_name(&index.dir)?;
        {
            let mut conn = db.conn()?;
            let registered = changes::register(&mut conn, &consumer, position)?;
            if registered.missed {
                tracing::warn!(
                    consumer,
                    position,
                    "change-log rows this index needs were pruned; it is rebuilt"
                );
                position = -1;
            } else if registered.position == changes::REBUILD_REQUESTED {
                tracing::warn!(
                    consumer,
                    position,
                    "the database was restored from a backup; this index is rebuilt"
                );
                position = -1;
            } else if position > changes::head(&mut conn)? {
                // Fed by changes the database does not have: it was restored while this index
                // was away (a node that joined after the backup was taken).
                tracing::warn!(
                    consumer,
                    position,
                    "this index is ahead of the database's change log; it is rebuilt"
                );
                position = -1;
            }
            if registered.position != position {
                changes::advance(&mut conn, &consumer, position)?;
            }
        }
        progress.position.store(position, Ordering::Relaxed);
        Ok(Indexer {
            index,
            writer,
            db,
            files: FileStore::new(files_root)?,
            limits: ExtractLimits::default(),
            extractor,
            position: LogPosition::new(position, GAP_TIMEOUT, LATE_WATCH),
            progress,
            last_prune: Instant::now(),
            consumer,
            consumer_at: position,
        })
    }

    /// This index's consumer name (`search:<index id>`).
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// Whether the index has never been built (no position in its last commit).
    pub fn needs_rebuild(&self) -> bool {
        self.position.get() < 0
    }

    pub fn position(&self) -> i64 {
        self.position.get()
    }

    /// Rebuilds everything from the database. The position is the log head read BEFORE the
    /// records, lowered to just below any recent gap, so a change committing meanwhile is applied
    /// again afterwards rather than lost.
    pub fn rebuild(&mut self) -> Result<i64, SearchError> {
        self.progress.rebuilding.store(true, Ordering::Relaxed);
        let result = self.rebuild_inner();
        self.progress.rebuilding.store(false, Ordering::Relaxed);
        result
    }

    fn rebuild_inner(&mut self) -> Result<i64, SearchError> {
        let mut conn = self.db.conn()?;
        let head = changes::last_seq(&mut conn)?;
        let recent = changes::changes_after(&mut conn, (head - 1000).max(0), 1000)?;
        let mut start = head;
        let mut expected = (head - 1000).max(0) + 1;
        for row in &recent {
            if row.seq > expected {
                start = expected - 1;
                break;
            }
            expected = row.seq + 1;
        }
        self.writer.delete_all_documents()?;
        for app in source::app_ids(&mut conn)? {
            self.index_whole_app(&mut conn, app)?;
        }
        commit_at(&self.index, &mut self.writer, start)?;
        self.position.reset(start);
        self.published(&mut conn, start)?;
        Ok(start)
    }

    /// After a commit at `position`: tells readers of the status and the consumer table. A consumer
    /// row an administrator removed is registered again; when rows were pruned meanwhile the index
    /// is rebuilt (the position drops to -1).
    fn published(&mut self, conn: &mut DbConn, position: i64) -> Result<(), SearchError> {
        self.progress.position.store(position, Ordering::Relaxed);
        self.progress
            .last_commit
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
        if !changes::advance(conn, &self.consumer, position)? {
            // Registered again where the row last stood: rows after that may have been pruned
            // meanwhile (and taken for a rolled-back hole by this step).
            let registered = changes::register(conn, &self.consumer, self.consumer_at)?;
            if registered.missed {
                tracing::warn!(
                    consumer = self.consumer,
                    position,
                    "this index was forgotten and rows it needs were pruned; it is rebuilt"
                );
                self.position.reset(-1);
                self.progress.position.store(-1, Ordering::Relaxed);
                changes::advance(conn, &self.consumer, -1)?;
                self.consumer_at = -1;
                return Ok(());
            }
            changes::advance(conn, &self.consumer, position)?;
        }
        self.consumer_at = position;
        Ok(())
    }

    /// Applies what the log holds beyond the position; returns whether anything was applied.
    pub fn step(&mut self) -> Result<bool, SearchError> {
        let mut conn = self.db.conn()?;
        let position = self.position.get();
        // Rows between the position and the newest applied row (holes that filled late among
        // them), then new rows beyond: a hole never holds back what committed after it.
        let high = self.position.high();
        let mut rows = if high > position {
            changes::changes_between(&mut conn, position + 1, high)?
        } else {
            Vec::new()
        };
        rows.extend(changes::changes_after(&mut conn, high, BATCH_ROWS)?);
        let mut todo: Vec<Change> = rows
            .iter()
            .filter(|r| !self.position.is_applied(r.seq))
            .cloned()
            .collect();
        for range in self.position.watched(Instant::now()) {
            let late = changes::changes_between(&mut conn, range.0, range.1)?;
            if !late.is_empty() {
                tracing::info!(lo = range.0, hi = range.1, "a change-log hole filled late");
                self.position.unwatch(range);
                todo.extend(late);
            }
        }
        if !todo.is_empty() {
            self.apply(&mut conn, &todo)?;
        }
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        let new_position = self.position.advance(&seqs, Instant::now());
        if !todo.is_empty() || new_position != position {
            commit_at(&self.index, &mut self.writer, new_position)?;
            self.published(&mut conn, new_position)?;
        }
        if self.last_prune.elapsed() > PRUNE_EVERY {
            self.last_prune = Instant::now();
            // Up to the slowest consumer (this index or another node's, or another kind).
            let before = chrono::Utc::now().timestamp() - PRUNE_AGE_SECONDS;
            changes::prune(&mut conn, before)?;
            source::prune_texts(&mut conn)?;
        }
        Ok(!todo.is_empty())
    }

    /// Re-indexes the records (or whole apps) the rows name.
    fn apply(&mut self, conn: &mut DbConn, rows: &[Change]) -> Result<(), SearchError> {
        let mut by_app: BTreeMap<i64, (bool, BTreeSet<i64>)> = BTreeMap::new();
        for r in rows {
            let entry = by_app.entry(r.app_id).or_default();
            if r.record_id == WHOLE_APP {
                entry.0 = true;
            } else {
                entry.1.insert(r.record_id);
            }
        }
        for (app, (whole, ids)) in by_app {
            if whole {
                self.writer
                    .delete_term(Term::from_field_u64(self.index.fields.app_id, app_u64(app)));
                self.index_whole_app(conn, app)?;
            } else {
                let ids: Vec<i64> = ids.into_iter().collect();
                self.index_records(conn, app, &ids)?;
            }
        }
        Ok(())
    }

    fn index_whole_app(&mut self, conn: &mut DbConn, app: i64) -> Result<(), SearchError> {
        let Some((def, _)) = load_definition(conn, AppId(app), LIVE)? else {
            return Ok(());
        };
        let mut after = 0;
        loop {
            let page = source::records_after(conn, app, after, RECORD_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            self.add_records(conn, &def, app, &page)?;
        }
        Ok(())
    }

    /// Deletes the documents of these records and adds those of the ones that still exist.
    fn index_records(
        &mut self,
        conn: &mut DbConn,
        app: i64,
        ids: &[i64],
    ) -> Result<(), SearchError> {
        for id in ids {
            self.writer.delete_term(Term::from_field_text(
                self.index.fields.record_key,
                &crate::schema::record_key(app, *id),
            ));
        }
        let Some((def, _)) = load_definition(conn, AppId(app), LIVE)? else {
            return Ok(());
        };
        let records = source::records_by_id(conn, app, ids)?;
        self.add_records(conn, &def, app, &records)
    }

    fn add_records(
        &mut self,
        conn: &mut DbConn,
        def: &AppDefinition,
        app: i64,
        records: &[RecordRow],
    ) -> Result<(), SearchError> {
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let comments = source::comments_of(conn, app, &ids)?;
        let files = source::files_of(conn, app, &ids)?;
        let texts = self.file_texts(conn, &files)?;
        let mut by_record: HashMap<i64, Vec<&source::CommentRow>> = HashMap::new();
        for c in &comments {
            by_record.entry(c.record_id).or_default().push(c);
        }
        for record in records {
            let cs = by_record.get(&record.id).map(Vec::as_slice).unwrap_or(&[]);
            for part in record_parts(def, app, record, cs, &texts) {
                self.writer
                    .add_document(to_document(&self.index.fields, app, record, &part))?;
            }
        }
        Ok(())
    }

    /// Extracted texts of these files: from the cache, else extracted now and cached.
    fn file_texts(
        &self,
        conn: &mut DbConn,
        files: &[FileRow],
    ) -> Result<HashMap<String, FileText>, SearchError> {
        let keys: Vec<String> = files.iter().map(|f| f.file_key.clone()).collect();
        let mut texts = source::cached_texts(conn, &keys)?;
        for f in files {
            if texts.contains_key(&f.file_key) {
                continue;
            }
            let (t, keep) = self.extract(conn, f);
            if keep {
                source::store_text(conn, &t)?;
            }
            texts.insert(t.file_key.clone(), t);
        }
        Ok(texts)
    }

    /// The text of a file, and whether the result is worth caching (not a transient refusal).
    /// A type without text (an image) is not a failure. A file that fails (too large, a bomb that
    /// hit the memory cap or the time limit, a crash) is cached with its reason: it stays findable
    /// by name and is never extracted again.
    fn extract(&self, conn: &mut DbConn, f: &FileRow) -> (FileText, bool) {
        let failed = |file_type: &str, error: String| FileText {
            file_key: f.file_key.clone(),
            file_type: file_type.to_owned(),
            text: String::new(),
            error: Some(error),
        };
        // A file in the database is copied out for the extractor (a child process reads a path).
        let local = match self.files.open_local(conn, &f.storage_path) {
            Ok(local) => local,
            // Not cached: the database may answer next time.
            Err(e) => return (failed("", format!("the file cannot be read: {e}")), false),
        };
        let path = local.path();
        let mut head = Vec::with_capacity(1024);
        let opened = std::fs::File::open(path).and_then(|file| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, 1024), &mut head)
        });
        if let Err(e) = opened {
            return (failed("", format!("the file cannot be read: {e}")), true);
        }
        let kind = extract::detect(&f.name, &f.content_type, &head);
        match extract::extract_file(
            &self.extractor,
            path,
            &f.name,
            &f.content_type,
            &self.limits,
        ) {
            Ok(x) => (
                FileText {
                    file_key: f.file_key.clone(),
                    file_type: x.kind.label().to_owned(),
                    text: x.text,
                    error: None,
                },
                true,
            ),
            Err(ExtractError::Unsupported) => (
                FileText {
                    file_key: f.file_key.clone(),
                    file_type: kind.label().to_owned(),
                    text: String::new(),
                    error: None,
                },
                true,
            ),
            Err(e @ ExtractError::Unavailable(_)) => {
                tracing::warn!(error = %e, file = f.file_key, "text extraction unavailable");
                (failed(kind.label(), e.to_string()), false)
            }
            Err(e) => {
                tracing::info!(error = %e, file = f.file_key, "no text extracted from an attachment");
                (failed(kind.label(), e.to_string()), true)
            }
        }
    }

    /// The indexer thread's loop: wakes on `wake` or every `poll`, stops when the sender is gone
    /// or `progress.stop` is set. On SQLite every write comes from this process, which wakes the
    /// thread after its commit. On PostgreSQL the writes of other nodes wake it through the
    /// change listener (`kumiki_engine::db::listen`); the longer poll there only covers a
    /// notification missed while the listener reconnected.
    pub fn run(mut self, wake: std::sync::mpsc::Receiver<()>) {
        let poll = match self.db.dialect() {
            kumiki_engine::db::Dialect::Sqlite => Duration::from_millis(250),
            kumiki_engine::db::Dialect::Postgres => Duration::from_secs(2),
        };
        if self.needs_rebuild() {
            match self.rebuild() {
                Ok(seq) => tracing::info!(seq, "search index built"),
                Err(e) => self.record_error(&e),
            }
        }
        loop {
            if self.progress.stop.load(Ordering::Relaxed) {
                break;
            }
            if self.needs_rebuild() {
                if let Err(e) = self.rebuild() {
                    self.record_error(&e);
                }
            } else {
                // Drain the whole backlog before sleeping again.
                loop {
                    match self.step() {
                        // A forgotten index that must be rebuilt leaves for the outer loop.
                        Ok(true)
                            if !self.progress.stop.load(Ordering::Relaxed)
                                && !self.needs_rebuild() =>
                        {
                            continue
                        }
                        Ok(_) => break,
                        Err(e) => {
                            self.record_error(&e);
                            // Drop half-applied changes; the rows are applied again next time.
                            if let Err(e) = self.writer.rollback() {
                                self.record_error(&e.into());
                            }
                            break;
                        }
                    }
                }
            }
            match wake.recv_timeout(poll) {
                Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn record_error(&self, e: &SearchError) {
        tracing::warn!(error = %e, "search indexer");
        if let Ok(mut last) = self.progress.last_error.lock() {
            *last = Some(e.to_string());
        }
    }
}

fn app_u64(app: i64) -> u64 {
    u64::try_from(app).unwrap_or(0)
}

//! What every request handler shares: the database, the file store, settings, and the credential cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::records::FileStore;

use crate::error::ApiError;
use crate::settings::Settings;

/// Shared state, cloned cheaply into each worker.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Database>,
    pub files: FileStore,
    pub settings: Arc<Settings>,
    pub jwt_secret: Arc<Vec<u8>>,
    pub password_cache: Arc<PasswordCache>,
    pub templates: Arc<handlebars::Handlebars<'static>>,
    /// App scripts: the sandboxed runtime and its worker pool (`kumiki-scripting`).
    pub scripts: Arc<kumiki_scripting::ScriptRuntime>,
    /// Runs scheduled scripts and writes script logs; stops when the last state is dropped.
    pub script_schedule: Arc<crate::script_schedule::ScriptSchedule>,
    /// Full-text search: the index and its indexer thread (stops when the last state is dropped).
    pub search: Arc<kumiki_search::SearchService>,
    /// The server-wide IP allowlist as last read (`crate::edge`).
    pub allowlist: Arc<crate::edge::AllowlistCache>,
    /// Memory that API request bodies may take at once (`crate::body_budget`).
    pub body_budget: Arc<crate::body_budget::BodyBudget>,
    /// Issue 13, notify: the bell's producers; stop when the last state is dropped.
    pub notify: Arc<crate::notify_runner::NotifyRunner>,
    /// Issue 16: periodic reports' snapshots (`crate::report_schedule`); stop when the last state
    /// is dropped.
    pub report_schedule: Arc<crate::report_schedule::ReportSchedule>,
    // Issue 13 part "webhooks".
    /// The webhook sender of this node and the URL rule (`crate::webhooks`).
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// Issue 13 (mail): notification mail (`crate::mail`); off without `--smtp-url`.
    pub mail: Arc<crate::mail::MailService>,
    /// Issue 16: the record import runner of this node and the progress of what it writes.
    pub imports: Arc<crate::imports_runner::ImportService>,
    /// Issue 15: the residents' side of public forms (its rate limits; `crate::public_forms`).
    pub public_forms: Arc<crate::public_forms::PublicForms>,
    /// Issue 18: keeps PostgreSQL's statistics of the record tables current; stops when the last
    /// state is dropped.
    pub pg_statistics: Arc<crate::pg_statistics::PgStatistics>,
    /// Issue 19: this process's request counters and latencies (`crate::metrics`).
    pub metrics: Arc<crate::metrics::HttpMetrics>,
    /// Issue 19: on PostgreSQL, the wake-ups from the other nodes' writes
    /// (`kumiki_engine::db::listen`); None on SQLite. Stops when the last state is dropped.
    pub change_listener: Arc<Option<kumiki_engine::db::listen::ChangeListener>>,
}

impl AppState {
    pub fn conn(&self) -> Result<DbConn, ApiError> {
        self.db.conn().map_err(ApiError::from)
    }
}

/// Successful password checks, keyed by a SHA-256 of the credential, so that kintone clients that send
/// `X-Cybozu-Authorization` on every request do not pay for argon2 every time. Each entry remembers
/// the user's credentials epoch: a password change, a disable or "sign out everywhere" bumps it in the
/// database, and `auth::check_password` then ignores the entry at once (on every node). Entries also
/// expire after a minute.
#[derive(Default)]
pub struct PasswordCache {
    entries: Mutex<HashMap<[u8; 32], (String, i64, Instant)>>,
}

const CACHE_TTL: Duration = Duration::from_secs(60);

impl PasswordCache {
    /// The login and credentials epoch of a fresh entry.
    pub fn get(&self, key: &[u8; 32]) -> Option<(String, i64)> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(_, _, at)| at.elapsed() < CACHE_TTL)
            .map(|(user, epoch, _)| (user.clone(), *epoch))
    }

    pub fn put(&self, key: [u8; 32], user: String, epoch: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.retain(|_, (_, _, at)| at.elapsed() < CACHE_TTL);
            }
            entries.insert(key, (user, epoch, Instant::now()));
        }
    }
}

/// Runs blocking database work on actix's blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| ApiError::internal_because(format!("blocking task failed: {e}")))?
}

//! Script logs (what scripts print or `log`, and every failure) and `next_number` counters, both
//! stored per app. Log lines are queued in memory and written by the scheduler thread in its own
//! transaction, so the lines of a run whose save was rolled back (the most useful ones) are kept.

use std::collections::VecDeque;
use std::sync::Mutex;

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use kumiki_engine::apps::AppId;
use kumiki_engine::db::{DbConn, IntRow};
use kumiki_engine::EngineResult;

/// Lines kept per app; older ones are deleted when new ones are written.
pub const LINES_PER_APP: i64 = 1000;
/// Lines waiting in memory at most; beyond, the oldest are dropped (the writer is behind).
const PENDING_MAX: usize = 10_000;

/// One log line.
#[derive(Debug, Clone, PartialEq, serde::Serialize, QueryableByName)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    #[diesel(sql_type = BigInt)]
    pub app_id: i64,
    #[diesel(sql_type = Text)]
    pub script: String,
    /// `info` (log/print), `debug`, `error` (a failure).
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = Text)]
    pub message: String,
    /// Unix seconds.
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    /// The user the run acted for (a scheduled run: the scripts' last changer).
    #[diesel(sql_type = Text)]
    pub runner: String,
    /// Ids of the apps whose records the run had read when the line was written, comma-separated
    /// (`""`: none). A line with sources is shown only to its runner and to readers who may see
    /// everything in those apps (`may_read`): log lines never carry values their reader may not see.
    #[diesel(sql_type = Text)]
    pub sources: String,
}

impl LogLine {
    /// The app ids of `sources`.
    pub fn source_apps(&self) -> Vec<AppId> {
        self.sources
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .map(AppId)
            .collect()
    }
}

/// Lines not yet written.
#[derive(Default)]
pub struct PendingLogs(Mutex<VecDeque<LogLine>>);

impl PendingLogs {
    pub fn push(&self, line: LogLine) {
        if let Ok(mut q) = self.0.lock() {
            if q.len() >= PENDING_MAX {
                q.pop_front();
            }
            q.push_back(line);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().map(|q| q.is_empty()).unwrap_or(true)
    }

    fn take(&self) -> Vec<LogLine> {
        self.0
            .lock()
            .map(|mut q| q.drain(..).collect())
            .unwrap_or_default()
    }

    /// Lines of one app still waiting, oldest first.
    pub fn of_app(&self, app: AppId) -> Vec<LogLine> {
        self.0
            .lock()
            .map(|q| q.iter().filter(|l| l.app_id == app.0).cloned().collect())
            .unwrap_or_default()
    }

    /// Writes the waiting lines (the caller holds a write transaction) and trims each app's log
    /// to `LINES_PER_APP`. Lines of apps deleted meanwhile are dropped.
    pub fn flush(&self, conn: &mut DbConn) -> EngineResult<usize> {
        let lines = self.take();
        let mut apps: Vec<i64> = Vec::new();
        let mut written = 0;
        for line in &lines {
            let mut exists = conn.sql();
            exists
                .push("SELECT COUNT(*) AS n FROM apps WHERE id = ")
                .bind_int(line.app_id);
            let found: Vec<IntRow> = conn.load(&exists)?;
            if found.first().map_or(0, |r| r.n) == 0 {
                continue;
            }
            let mut b = conn.sql();
            b.push("INSERT INTO script_logs (app_id, script, level, message, created_at, runner, sources) VALUES (")
                .bind_int(line.app_id)
                .push(", ")
                .bind_text(&line.script)
                .push(", ")
                .bind_text(&line.level)
                .push(", ")
                .bind_text(&line.message)
                .push(", ")
                .bind_int(line.created_at)
                .push(", ")
                .bind_text(&line.runner)
                .push(", ")
                .bind_text(&line.sources)
                .push(")");
            conn.execute(&b)?;
            written += 1;
            if !apps.contains(&line.app_id) {
                apps.push(line.app_id);
            }
        }
        for app in apps {
            let mut b = conn.sql();
            b.push("DELETE FROM script_logs WHERE app_id = ")
                .bind_int(app)
                .push(" AND id <= (SELECT id FROM script_logs WHERE app_id = ")
                .bind_int(app)
                .push(" ORDER BY id DESC LIMIT 1 OFFSET ")
                .bind_int(LINES_PER_APP)
                .push(")");
            conn.execute(&b)?;
        }
        Ok(written)
    }
}

/// The newest `limit` stored lines of an app, newest first.
pub fn stored_logs(conn: &mut DbConn, app: AppId, limit: i64) -> EngineResult<Vec<LogLine>> {
    let mut b = conn.sql();
    b.push("SELECT app_id, script, level, message, created_at, runner, sources FROM script_logs WHERE app_id = ")
        .bind_int(app.0)
        .push(" ORDER BY id DESC LIMIT ")
        .bind_int(limit.clamp(1, LINES_PER_APP));
    conn.load(&b)
}

/// The next value of counter `key` of `app` (1 for a new key). Runs in the caller's transaction:
/// the increment commits or rolls back with the save that asked for it.
pub fn next_number(conn: &mut DbConn, app: AppId, key: &str) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push("INSERT INTO script_counters (app_id, counter_key, value) VALUES (")
        .bind_int(app.0)
        .push(", ")
        .bind_text(key)
        .push(", 1) ON CONFLICT (app_id, counter_key) DO UPDATE SET value = script_counters.value + 1 RETURNING value AS n");
    let rows: Vec<IntRow> = conn.load(&b)?;
    rows.first()
        .map(|r| r.n)
        .ok_or_else(|| kumiki_engine::EngineError::Internal("counter not returned".into()))
}

//! Issue 16: record imports run as durable jobs (`records.import`, `kumiki_engine::import`) on a
//! job runner of their own (`jobs_runner`). `POST /api/records/import/run.json` checks the import
//! once more and plans its job in the caller's transaction; this runner claims it, acts as the user
//! who asked (their rights as they are now, through the guest-space path they used) and writes
//! every record in ONE transaction together with the import's `done` state and the job's
//! completion: all records or none, exactly once even when the server is killed half-way (the
//! transaction rolls back and the job runs again after its lease).
//!
//! Progress (rows written, rate, time left) lives in memory on the node running the import
//! ([`Progress`]): the rows being written are not committed, so no other connection could read a
//! count kept in the database, and on SQLite no other connection may write one while the import
//! holds the write lock. The status API adds it to the stored state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{user_timezone, ActingContext, Channel};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::error::Message;
use kumiki_engine::import::session;
use kumiki_engine::import::store::{self, state, ImportRow};
use kumiki_engine::import::{Report, ReportEntry};
use kumiki_engine::jobs::{self, Job};
use kumiki_engine::records::{Actor, FileStore};
use kumiki_engine::users::User;
use kumiki_engine::{EngineError, EngineResult};
use serde_json::{json, Value};

use crate::jobs_runner::{unix_now, JobHandler, JobsRunner, Outcome};

/// An import being written on this node.
#[derive(Debug, Clone, Copy)]
struct Live {
    done: usize,
    total: usize,
    started: Instant,
}

/// The progress of the imports this node is writing, by import id.
#[derive(Default)]
pub struct Progress {
    live: Mutex<HashMap<i64, Live>>,
}

impl Progress {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<i64, Live>) -> T) -> T {
        let mut map = self.live.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map)
    }

    fn start(&self, id: i64, total: usize) {
        self.with(|m| {
            m.insert(
                id,
                Live {
                    done: 0,
                    total,
                    started: Instant::now(),
                },
            )
        });
    }

    fn set(&self, id: i64, done: usize) {
        self.with(|m| {
            if let Some(l) = m.get_mut(&id) {
                l.done = done;
            }
        });
    }

    fn end(&self, id: i64) {
        self.with(|m| m.remove(&id));
    }

    /// `{done, total, rate (rows/s), secondsLeft}` of import `id` while this node writes it.
    pub fn json(&self, id: i64) -> Option<Value> {
        let live = self.with(|m| m.get(&id).copied())?;
        let secs = live.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            live.done as f64 / secs
        } else {
            0.0
        };
        let left = (rate > 0.0).then(|| (live.total.saturating_sub(live.done)) as f64 / rate);
        Some(json!({
            "done": live.done,
            "total": live.total,
            "rate": rate.round(),
            "secondsLeft": left.map(f64::ceil),
        }))
    }
}

/// The import runner of this node; it stops when dropped.
pub struct ImportService {
    pub progress: Arc<Progress>,
    _runner: JobsRunner,
}

impl ImportService {
    pub fn start(
        db: Arc<Database>,
        files: FileStore,
        scripts: Arc<kumiki_scripting::ScriptRuntime>,
        timezone: chrono_tz::Tz,
    ) -> ImportService {
        let progress = Arc::new(Progress::default());
        let handler: Arc<dyn JobHandler> = Arc::new(ImportJobs {
            files,
            scripts,
            timezone,
            progress: Arc::clone(&progress),
        });
        ImportService {
            progress,
            _runner: JobsRunner::start(db, vec![handler]),
        }
    }
}

struct ImportJobs {
    files: FileStore,
    scripts: Arc<kumiki_scripting::ScriptRuntime>,
    timezone: chrono_tz::Tz,
    progress: Arc<Progress>,
}

/// Why the import's transaction committed nothing.
enum RunError {
    /// The file no longer imports cleanly (the app or its records changed since the check).
    Refused(Report),
    LeaseLost,
    Engine(EngineError),
}

impl From<EngineError> for RunError {
    fn from(e: EngineError) -> RunError {
        RunError::Engine(e)
    }
}

/// A report of one whole-import error (line 0).
fn failure(message: Message) -> Report {
    Report {
        errors: vec![ReportEntry {
            line: 0,
            column: None,
            message,
        }],
        ..Report::default()
    }
}

/// Who the import acts as: the user who asked, with their rights as they are now, through the
/// guest-space path they used; `Err(why)` when that user is gone or disabled (never anyone else).
fn acting_for(
    conn: &mut DbConn,
    row: &ImportRow,
    server_tz: chrono_tz::Tz,
) -> EngineResult<Result<ActingContext, Message>> {
    let user = match User::find_by_code(conn, &row.user_code)? {
        Some(u) if u.is_active => u,
        _ => {
            return Ok(Err(Message::keyed(
                "import.err.user_gone",
                "The user who started this import no longer exists or is disabled.",
            )))
        }
    };
    let principal = Principal::for_user(conn, &user.code, &user.name, user.is_admin)?;
    let tz = user_timezone(&user.timezone, server_tz);
    Ok(Ok(ActingContext::new(principal, Channel::Api, tz)
        .through_guest_space(row.guest_space)
        .with_peer(String::new(), "import")))
}

impl ImportJobs {
    /// Ends the job with the import failed (its report says why), in one transaction.
    fn fail(&self, db: &Database, job: &Job, owner: &str, id: i64, report: &Report) -> Outcome {
        let done = db.conn().and_then(|mut conn| {
            conn.write_transaction(|c| {
                let now = unix_now();
                if !jobs::complete(c, job.id, owner, now)? {
                    return Ok(false);
                }
                store::set_state(c, id, state::FAILED, Some(report), 0, now)?;
                Ok::<bool, EngineError>(true)
            })
        });
        match done {
            Ok(true) => Outcome::Done,
            Ok(false) => Outcome::LeaseLost,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn run_job(&self, db: &Database, job: &Job, owner: &str) -> EngineResult<Outcome> {
        let mut conn = db.conn()?;
        let id = job.payload.get("id").and_then(Value::as_i64).unwrap_or(0);
        let row = match store::find(&mut conn, id)? {
            Some(r) if r.state == state::QUEUED || r.state == state::RUNNING => r,
            // Nothing to do (already done, or gone): the job ends without effect.
            _ => {
                let ended = conn.write_transaction(|c| {
                    jobs::complete_skipped(c, job.id, owner, unix_now(), "no queued import")
                })?;
                return Ok(if ended {
                    Outcome::Done
                } else {
                    Outcome::LeaseLost
                });
            }
        };
        let acting = match acting_for(&mut conn, &row, self.timezone)? {
            Ok(a) => a,
            Err(why) => return Ok(self.fail(db, job, owner, id, &failure(why))),
        };
        let actor = Actor {
            scripts: Some(
                self.scripts
                    .context(acting.clone().in_channel(Channel::Script)),
            ),
            ..acting.actor()
        };
        conn.write_transaction(|c| store::set_state(c, id, state::RUNNING, None, 0, unix_now()))?;
        // Progress counts records (a record with table rows spans several rows of the file).
        let records = row.report_json()["records"].as_u64().unwrap_or(0);
        self.progress
            .start(id, usize::try_from(records).unwrap_or(0));
        let progress = Arc::clone(&self.progress);
        let result = conn.write_transaction(|c| -> Result<Report, RunError> {
            let mut on_progress = |done: usize| progress.set(id, done);
            let report = session::perform(c, &acting, &actor, &self.files, id, &mut on_progress)?;
            if !report.errors.is_empty() {
                return Err(RunError::Refused(report));
            }
            let now = unix_now();
            store::set_state(
                c,
                id,
                state::DONE,
                Some(&report),
                i64::try_from(report.records).unwrap_or(i64::MAX),
                now,
            )?;
            if !jobs::complete(c, job.id, owner, now)? {
                return Err(RunError::LeaseLost);
            }
            Ok(report)
        });
        self.progress.end(id);
        Ok(match result {
            Ok(_) => Outcome::Done,
            Err(RunError::LeaseLost) => Outcome::LeaseLost,
            Err(RunError::Refused(report)) => self.fail(db, job, owner, id, &report),
            // What the user cannot import (rights taken away, the app deleted, the file gone):
            // running again would not help.
            Err(RunError::Engine(EngineError::User(e))) => {
                let message = Message::keyed("import.err.run_failed", e.to_string())
                    .arg("reason", e.to_string());
                self.fail(db, job, owner, id, &failure(message))
            }
            Err(RunError::Engine(e)) => {
                if job.attempts >= job.max_attempts {
                    let message = Message::keyed(
                        "import.err.internal",
                        "The import failed because of a server error; nothing was written.",
                    );
                    return Ok(self.fail(db, job, owner, id, &failure(message)));
                }
                Outcome::Failed(e.to_string())
            }
        })
    }
}

impl JobHandler for ImportJobs {
    fn kinds(&self) -> &'static [&'static str] {
        &[store::JOB_KIND]
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        self.run_job(db, job, owner)
            .unwrap_or_else(|e| Outcome::Failed(e.to_string()))
    }

    fn tick(&self, _db: &Database) {}

    fn gave_up(&self) {}

    fn stop(&self, _db: &Database) {}
}

//! Issue 16, periodic reports (kintone's 定期レポート): the job runner of this node that takes
//! charts' snapshots (`kumiki_engine::reports::snapshots`). Every tick it plans the job of the
//! current minute (`snapshots::plan`: one row per minute across nodes, its dedupe key); the node
//! that claims it runs `snapshots::run` with the server's time zone and marks the job done. A
//! snapshot is unique per app, chart and moment, so a run repeated after a lost lease or on two
//! nodes stores nothing twice; a run after a downtime takes the latest missed moment once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job};
use kumiki_engine::reports::snapshots;
use kumiki_engine::EngineError;

use crate::jobs_runner::{unix_now, JobHandler, JobsRunner, Outcome};

/// How often the minute's job is planned (a snapshot is taken at most this late, plus the poll).
const PLAN_EVERY: Duration = Duration::from_secs(15);
const KINDS: &[&str] = &[snapshots::JOB_KIND];

struct ReportJobs {
    timezone: chrono_tz::Tz,
    last_plan: Mutex<Option<Instant>>,
}

/// The running snapshot taker; stops when dropped (with the last `AppState`).
pub struct ReportSchedule {
    _runner: JobsRunner,
}

impl ReportSchedule {
    pub fn start(db: Arc<Database>, timezone: chrono_tz::Tz) -> ReportSchedule {
        let handler: Arc<dyn JobHandler> = Arc::new(ReportJobs {
            timezone,
            last_plan: Mutex::new(None),
        });
        ReportSchedule {
            _runner: JobsRunner::start(db, vec![handler]),
        }
    }
}

impl JobHandler for ReportJobs {
    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        let now = unix_now();
        let result = db.conn().and_then(|mut conn| {
            // Each snapshot commits on its own (a slow chart does not hold the others' writes);
            // being unique, one repeated by a node that lost the lease is not stored twice.
            let stored = snapshots::run(&mut conn, now, self.timezone)?;
            let done = conn.write_transaction(|c| jobs::complete(c, job.id, owner, now))?;
            Ok::<(usize, bool), EngineError>((stored, done))
        });
        match result {
            Ok((stored, true)) => {
                if stored > 0 {
                    tracing::info!(snapshots = stored, "periodic reports taken");
                }
                Outcome::Done
            }
            Ok((_, false)) => Outcome::LeaseLost,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn tick(&self, db: &Database) {
        let mut last = self.last_plan.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < PLAN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let planned = db
            .conn()
            .and_then(|mut conn| conn.write_transaction(|c| snapshots::plan(c, unix_now())));
        if let Err(e) = planned {
            tracing::error!(error = %e, "planning periodic reports");
        }
    }

    fn gave_up(&self) {}

    fn stop(&self, _db: &Database) {}
}

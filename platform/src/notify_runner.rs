//! Issue 13, notify: runs the bell's producers in the background on a job runner of its own
//! (`jobs_runner`): each tick applies the change log through the consumer `notify`
//! (`kumiki_engine::notifications::consumer`, a batch at a time, position advanced with each
//! change), and once a minute plans the durable reminder job (`notify.reminders`), which one node
//! runs (`notifications::reminders`). A crash loses nothing: the consumer resumes from its stored
//! position, a reminder job whose node died runs again after its lease, and both write each
//! notification once (unique source keys).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job};
use kumiki_engine::notifications::consumer::NotifyConsumer;
use kumiki_engine::notifications::reminders;
use kumiki_engine::surveys;
use kumiki_engine::{EngineError, EngineResult};

use crate::jobs_runner::{unix_now, JobHandler, JobsRunner, Outcome};

/// How often the consumer looks at the log (a notification appears at most this late, plus the
/// time to handle the changes before it).
const CONSUME_EVERY: Duration = Duration::from_millis(500);
const PLAN_EVERY: Duration = Duration::from_secs(20);
/// Issue 14: the survey reminders (`surveys::broadcast::run_reminder`) run here too.
const KINDS: &[&str] = &[reminders::JOB_KIND, surveys::REMIND_JOB];

struct Ticks {
    consumer: NotifyConsumer,
    last_consume: Option<Instant>,
    last_plan: Option<Instant>,
}

struct NotifyJobs {
    timezone: chrono_tz::Tz,
    ticks: Mutex<Ticks>,
}

/// The running producers; they stop when this is dropped.
pub struct NotifyRunner {
    _runner: JobsRunner,
}

impl NotifyRunner {
    pub fn start(db: Arc<Database>, timezone: chrono_tz::Tz) -> NotifyRunner {
        let handler: Arc<dyn JobHandler> = Arc::new(NotifyJobs {
            timezone,
            ticks: Mutex::new(Ticks {
                consumer: NotifyConsumer::new(timezone),
                last_consume: None,
                last_plan: None,
            }),
        });
        NotifyRunner {
            _runner: JobsRunner::start(db, vec![handler]),
        }
    }
}

fn report<T>(what: &str, r: EngineResult<T>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "notify: {what}");
    }
}

impl JobHandler for NotifyJobs {
    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        let now = unix_now();
        let result = db.conn().and_then(|mut conn| {
            conn.write_transaction(|c| {
                if job.kind == surveys::REMIND_JOB {
                    surveys::broadcast::run_reminder(c, &job.payload, &job.dedupe_key, now)?;
                } else {
                    reminders::run(c, now, self.timezone)?;
                }
                if jobs::complete(c, job.id, owner, now)? {
                    Ok(true)
                } else {
                    // Roll the notifications back: the node that took the job over writes them.
                    Err(EngineError::Internal("lease lost".into()))
                }
            })
        });
        match result {
            Ok(_) => Outcome::Done,
            Err(EngineError::Internal(m)) if m == "lease lost" => Outcome::LeaseLost,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn tick(&self, db: &Database) {
        let mut t = self.ticks.lock().unwrap_or_else(|e| e.into_inner());
        if t.last_consume
            .is_none_or(|at| at.elapsed() >= CONSUME_EVERY)
        {
            t.last_consume = Some(Instant::now());
            let consumed = db.conn().and_then(|mut conn| {
                // Catch up a backlog in batches without starving the reminder jobs for long.
                let mut total = 0;
                for _ in 0..10 {
                    let n = t.consumer.run(&mut conn)?;
                    total += n;
                    if n == 0 {
                        break;
                    }
                }
                Ok(total)
            });
            report("consumer", consumed);
        }
        if t.last_plan.is_none_or(|at| at.elapsed() >= PLAN_EVERY) {
            t.last_plan = Some(Instant::now());
            let planned = db
                .conn()
                .and_then(|mut conn| conn.write_transaction(|c| reminders::plan(c, unix_now())));
            report("planning reminders", planned);
        }
    }

    fn gave_up(&self) {}

    fn stop(&self, _db: &Database) {}
}

//! The job runner: one thread per node that claims due rows of the durable job table
//! (`kumiki_engine::jobs`) under a lease and hands each to the handler of its kind. Handlers also
//! get a periodic `tick` on this thread to plan their jobs and flush buffers.
//!
//! A job runs once across nodes: claiming is exclusive (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one
//! writer on SQLite), and a handler marks its job done in the transaction that commits the job's
//! effects, which commits nothing when another node has taken the job over after the lease ended.
//! A node killed mid-job leaves its job `running`; any node (or the same one, restarted) runs it
//! again once the lease (`LEASE_SECS`) has ended. A failure is retried with backoff until the job's
//! `max_attempts`, then stays `failed` with its error (`kumiki jobs list --state failed`). Finished
//! jobs are pruned after `KEEP_DONE_SECS` / `KEEP_FAILED_SECS`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job, JobState};
use kumiki_engine::EngineResult;

const TICK: Duration = Duration::from_millis(250);
/// How often the runner looks for due jobs (a due job starts at most this late).
const POLL: Duration = Duration::from_secs(1);
/// How long a claim holds a job. Far above a script run's limits (about a second), so a live node
/// never loses a job it is running; a dead node's job waits this long before it runs elsewhere.
pub const LEASE_SECS: i64 = 120;
pub const CLAIM_BATCH: i64 = 8;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Finished jobs are kept a week, failed ones a month (for an administrator to read the error).
pub const KEEP_DONE_SECS: i64 = 7 * 86_400;
pub const KEEP_FAILED_SECS: i64 = 30 * 86_400;

/// What running one job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done, marked so (`jobs::complete`) in the transaction that committed its effects.
    Done,
    /// Failed; nothing of it was committed. The runner records the error and retries later.
    Failed(String),
    /// Another node holds the job now; nothing was committed.
    LeaseLost,
}

/// Runs the jobs of some kinds.
pub trait JobHandler: Send + Sync {
    /// The job kinds this handler runs.
    fn kinds(&self) -> &'static [&'static str];
    /// Runs a claimed job held by `owner`. `Outcome::Done` only when `jobs::complete` returned
    /// true in the transaction that committed the job's effects.
    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome;
    /// Periodic work on the runner's thread (plan jobs, flush buffers).
    fn tick(&self, db: &Database);
    /// A job of this handler failed for good or was given up (to plan what comes after it).
    fn gave_up(&self);
    /// Last work when the runner stops.
    fn stop(&self, db: &Database);
}

/// The handle of the runner thread; it stops when this is dropped.
pub struct JobsRunner {
    stop: Arc<AtomicBool>,
    node: String,
}

impl JobsRunner {
    pub fn start(db: Arc<Database>, handlers: Vec<Arc<dyn JobHandler>>) -> JobsRunner {
        JobsRunner::start_with_lease(db, handlers, LEASE_SECS)
    }

    /// A runner whose claims hold jobs for `lease_secs` (issue 13, mail: a mail's lease follows the
    /// SMTP timeout, so a killed node's mails go out again within a minute, not two).
    pub fn start_with_lease(
        db: Arc<Database>,
        handlers: Vec<Arc<dyn JobHandler>>,
        lease_secs: i64,
    ) -> JobsRunner {
        let stop = Arc::new(AtomicBool::new(false));
        let node = node_id();
        let (flag, owner) = (stop.clone(), node.clone());
        let spawned = std::thread::Builder::new()
            .name("kumiki-jobs".into())
            .spawn(move || run(&db, &handlers, &owner, &flag, lease_secs));
        if let Err(e) = spawned {
            tracing::error!("cannot start the job runner: {e}");
        }
        JobsRunner { stop, node }
    }

    /// This node's name in `jobs.lease_owner`.
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl Drop for JobsRunner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Host, process and a random part: unique per running server, readable in `kumiki jobs list`.
fn node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{host}:{}:{}",
        std::process::id(),
        random.get(..8).unwrap_or("")
    )
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn run(
    db: &Database,
    handlers: &[Arc<dyn JobHandler>],
    node: &str,
    stop: &AtomicBool,
    lease_secs: i64,
) {
    let mut last_poll: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        for h in handlers {
            h.tick(db);
        }
        if last_poll.is_none_or(|t| t.elapsed() >= POLL) {
            last_poll = Some(Instant::now());
            report(run_due(db, handlers, node, stop, lease_secs));
        }
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            report(prune(db));
        }
    }
    for h in handlers {
        h.stop(db);
    }
}

fn report<T>(r: EngineResult<T>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "job runner");
    }
}

fn prune(db: &Database) -> EngineResult<usize> {
    let now = unix_now();
    let mut conn = db.conn()?;
    jobs::prune(&mut conn, now - KEEP_DONE_SECS, now - KEEP_FAILED_SECS)
}

/// Claims and runs due jobs of the handlers' kinds as `node` until none is due; returns how many
/// ran.
pub fn run_due(
    db: &Database,
    handlers: &[Arc<dyn JobHandler>],
    node: &str,
    stop: &AtomicBool,
    lease_secs: i64,
) -> EngineResult<usize> {
    let kinds: Vec<&str> = handlers.iter().flat_map(|h| h.kinds()).copied().collect();
    let mut ran = 0;
    loop {
        let now = unix_now();
        let mut conn = db.conn()?;
        // A read first: claiming takes the write lock, which SQLite writers would queue behind.
        if !jobs::any_due(&mut conn, &kinds, now)? {
            return Ok(ran);
        }
        let (claimed, gave_up) =
            jobs::claim(&mut conn, node, &kinds, now, lease_secs, CLAIM_BATCH)?;
        drop(conn);
        if gave_up > 0 {
            tracing::warn!(jobs = gave_up, "{}", jobs::LEASE_ENDED);
            handlers.iter().for_each(|h| h.gave_up());
        }
        let full = i64::try_from(claimed.len()).unwrap_or(i64::MAX) >= CLAIM_BATCH;
        for job in claimed {
            // Jobs claimed but not run when the server stops run again after their lease.
            if stop.load(Ordering::Relaxed) {
                return Ok(ran);
            }
            let Some(handler) = handlers
                .iter()
                .find(|h| h.kinds().contains(&job.kind.as_str()))
            else {
                continue;
            };
            run_one(db, handler.as_ref(), &job, node)?;
            ran += 1;
        }
        if !full {
            return Ok(ran);
        }
    }
}

fn run_one(db: &Database, handler: &dyn JobHandler, job: &Job, node: &str) -> EngineResult<()> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| handler.run(db, job, node)))
        .unwrap_or_else(|_| Outcome::Failed("the job panicked".to_owned()));
    let ms = started.elapsed().as_millis();
    match outcome {
        Outcome::Done => {
            tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, ms, "job done");
        }
        Outcome::LeaseLost => {
            tracing::warn!(job = job.id, kind = %job.kind, "job taken over by another node");
        }
        Outcome::Failed(error) => {
            let mut conn = db.conn()?;
            let state =
                conn.write_transaction(|c| jobs::fail(c, job.id, node, &error, unix_now()))?;
            match state {
                Some(JobState::Failed) => {
                    tracing::error!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed for good");
                    handler.gave_up();
                }
                Some(_) => {
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed; will retry");
                }
                None => {
                    tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed after another node took it over");
                }
            }
        }
    }
    Ok(())
}

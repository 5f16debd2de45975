//! Durable jobs: background work kept as rows of the `jobs` table, so it survives a restart and runs
//! once across nodes that share one database.
//!
//! - **Planning is idempotent.** Every job has a unique `dedupe_key`; `enqueue` inserts or does
//!   nothing, so two nodes planning the same run make one row.
//! - **Claiming takes a lease.** `claim` moves due rows to `running` with `lease_owner` and
//!   `lease_until` in one write transaction: on PostgreSQL the due rows are selected
//!   `FOR UPDATE SKIP LOCKED`, so concurrent claimers never get the same row and never wait for each
//!   other; on SQLite the transaction is `BEGIN IMMEDIATE` (one writer), which serializes claimers.
//! - **A dead node's job runs again.** A `running` row whose lease has ended is due again; each claim
//!   counts an attempt, and a job whose lease ended after its last attempt is marked `failed`.
//! - **Completion is conditional.** `complete` and `fail` change the row only while the caller still
//!   holds the lease. A handler calls `complete` in the transaction that commits the job's effects, so
//!   a job whose lease was taken over commits nothing (exactly one run commits).
//! - **Failures retry with backoff** (`backoff`) until `max_attempts`, then stay `failed` with
//!   `last_error` for an administrator to read (`list`); `prune` removes old finished rows.
//!
//! Every time is unix seconds and passed in by the caller, so the clock is explicit (and testable).

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::jobs;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult};
use crate::with_conn;

/// The longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 2000;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for `run_at` (first run or a retry).
    Queued,
    /// Claimed by `lease_owner` until `lease_until`.
    Running,
    Done,
    /// Gave up after `max_attempts`; `last_error` says why.
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Queued or running: the job has not finished.
    pub fn is_pending(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// One row of the job table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub run_at: i64,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct JobRow {
    id: i64,
    kind: String,
    dedupe_key: String,
    payload: String,
    run_at: i64,
    state: String,
    attempts: i64,
    max_attempts: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<JobRow> for Job {
    type Error = EngineError;

    fn try_from(r: JobRow) -> EngineResult<Job> {
        let state = JobState::parse(&r.state)
            .ok_or_else(|| EngineError::Internal(format!("job {}: state {:?}", r.id, r.state)))?;
        Ok(Job {
            id: r.id,
            kind: r.kind,
            dedupe_key: r.dedupe_key,
            payload: serde_json::from_str(&r.payload)?,
            run_at: r.run_at,
            state,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            last_error: r.last_error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
    }
}

fn jobs_of(rows: Vec<JobRow>) -> EngineResult<Vec<Job>> {
    rows.into_iter().map(Job::try_from).collect()
}

/// A job to plan.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// Unique across all jobs, finished ones included (until pruned): the same key is planned once.
    pub dedupe_key: &'a str,
    pub payload: &'a serde_json::Value,
    pub run_at: i64,
    /// At least 1.
    pub max_attempts: i64,
}

/// Plans the `kind` job of the minute `now` falls in, `{"minute": m}`, due at the minute's start;
/// its dedupe key (`<kind>:<minute>`) makes one per minute across nodes. For jobs that look each
/// minute for what has come due (reminders, periodic reports).
pub fn enqueue_for_minute(conn: &mut DbConn, kind: &str, now: i64) -> EngineResult<bool> {
    let minute = now.div_euclid(60);
    let key = format!("{kind}:{minute}");
    let payload = serde_json::json!({ "minute": minute });
    enqueue(
        conn,
        &NewJob {
            kind,
            dedupe_key: &key,
            payload: &payload,
            run_at: minute * 60,
            max_attempts: 3,
        },
        now,
    )
}

/// Plans `job` unless a job with its `dedupe_key` exists. Returns whether a row was inserted.
pub fn enqueue(conn: &mut DbConn, job: &NewJob<'_>, now: i64) -> EngineResult<bool> {
    let payload = serde_json::to_string(job.payload)?;
    let values = (
        jobs::kind.eq(job.kind),
        jobs::dedupe_key.eq(job.dedupe_key),
        jobs::payload.eq(&payload),
        jobs::run_at.eq(job.run_at),
        jobs::state.eq(JobState::Queued.as_str()),
        jobs::attempts.eq(0_i64),
        jobs::max_attempts.eq(job.max_attempts.max(1)),
        jobs::created_at.eq(now),
    );
    let inserted = with_conn!(conn, |c| diesel::insert_into(jobs::table)
        .values(values)
        .on_conflict(jobs::dedupe_key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted > 0)
}

/// The job with this key, if any.
pub fn find_by_key(conn: &mut DbConn, key: &str) -> EngineResult<Option<Job>> {
    let row = with_conn!(conn, |c| jobs::table
        .filter(jobs::dedupe_key.eq(key))
        .select(JobRow::as_select())
        .first(c)
        .optional())?;
    row.map(Job::try_from).transpose()
}

/// What a claim does with one due row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimStep {
    /// Run it (again): take the lease, count an attempt.
    Lease,
    /// Its lease ended after the last allowed attempt: give up.
    GiveUp,
}

/// A due row whose lease ended was claimed by a node that stopped before it finished.
fn claim_step(state: JobState, attempts: i64, max_attempts: i64) -> ClaimStep {
    if state == JobState::Running && attempts >= max_attempts {
        ClaimStep::GiveUp
    } else {
        ClaimStep::Lease
    }
}

/// The error recorded on a job whose last attempt's lease ended.
pub const LEASE_ENDED: &str = "the lease ended before the job finished (was its node stopped?)";

/// Claims up to `limit` due jobs of `kinds` for `owner` until `now + lease_secs`, in its own write
/// transaction (call it outside one). Due: queued with `run_at <= now`, or running with a lease that
/// ended before `now`. Returns the claimed jobs, oldest `run_at` first, with `attempts` counted.
/// Running jobs whose lease ended after their last attempt are marked failed instead (and not
/// returned); their number is the second value.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    kinds: &[&str],
    now: i64,
    lease_secs: i64,
    limit: i64,
) -> EngineResult<(Vec<Job>, usize)> {
    conn.write_transaction(|c| {
        let due = due_rows(c, kinds, now, limit)?;
        let mut leased = Vec::new();
        let mut gave_up = Vec::new();
        for (id, state, attempts, max_attempts) in due {
            let Some(state) = JobState::parse(&state) else {
                continue;
            };
            match claim_step(state, attempts, max_attempts) {
                ClaimStep::Lease => leased.push(id),
                ClaimStep::GiveUp => gave_up.push(id),
            }
        }
        if !gave_up.is_empty() {
            with_conn!(c, |c| diesel::update(
                jobs::table.filter(jobs::id.eq_any(&gave_up))
            )
            .set((
                jobs::state.eq(JobState::Failed.as_str()),
                jobs::lease_owner.eq(None::<String>),
                jobs::lease_until.eq(None::<i64>),
                jobs::last_error.eq(LEASE_ENDED),
                jobs::finished_at.eq(now),
            ))
            .execute(c))?;
        }
        if leased.is_empty() {
            return Ok((Vec::new(), gave_up.len()));
        }
        let rows = with_conn!(c, |c| diesel::update(
            jobs::table.filter(jobs::id.eq_any(&leased))
        )
        .set((
            jobs::state.eq(JobState::Running.as_str()),
            jobs::lease_owner.eq(owner),
            jobs::lease_until.eq(now + lease_secs),
            jobs::attempts.eq(jobs::attempts + 1),
        ))
        .returning(JobRow::as_returning())
        .get_results(c))?;
        let mut claimed = jobs_of(rows)?;
        claimed.sort_by_key(|j| (j.run_at, j.id));
        Ok((claimed, gave_up.len()))
    })
}

type DueRow = (i64, String, i64, i64);

/// The due rows, locked for this transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL (rows another
/// claimer holds are skipped, not waited for); SQLite's `BEGIN IMMEDIATE` already excludes other
/// writers.
fn due_rows(c: &mut DbConn, kinds: &[&str], now: i64, limit: i64) -> EngineResult<Vec<DueRow>> {
    let due = jobs::kind.eq_any(kinds.to_vec()).and(
        jobs::state
            .eq(JobState::Queued.as_str())
            .and(jobs::run_at.le(now))
            .or(jobs::state
                .eq(JobState::Running.as_str())
                .and(jobs::lease_until.lt(now))),
    );
    let columns = (jobs::id, jobs::state, jobs::attempts, jobs::max_attempts);
    let order = (jobs::run_at.asc(), jobs::id.asc());
    Ok(match c {
        DbConn::Sqlite(c) => jobs::table
            .filter(due)
            .order(order)
            .limit(limit)
            .select(columns)
            .load(&mut **c)?,
        DbConn::Postgres(c) => jobs::table
            .filter(due)
            .order(order)
            .limit(limit)
            .select(columns)
            .for_update()
            .skip_locked()
            .load(&mut **c)?,
    })
}

/// Whether any job of `kinds` is due at `now` (a cheap read before taking the write lock to claim).
pub fn any_due(conn: &mut DbConn, kinds: &[&str], now: i64) -> EngineResult<bool> {
    let due = jobs::kind.eq_any(kinds.to_vec()).and(
        jobs::state
            .eq(JobState::Queued.as_str())
            .and(jobs::run_at.le(now))
            .or(jobs::state
                .eq(JobState::Running.as_str())
                .and(jobs::lease_until.lt(now))),
    );
    let found: Option<i64> = with_conn!(conn, |c| jobs::table
        .filter(due)
        .select(jobs::id)
        .first(c)
        .optional())?;
    Ok(found.is_some())
}

/// Marks job `id` done, if `owner` still holds its lease; call it in the transaction that commits
/// the job's effects and roll back when it returns false (another node took the job over).
pub fn complete(conn: &mut DbConn, id: i64, owner: &str, now: i64) -> EngineResult<bool> {
    let changed = with_conn!(conn, |c| diesel::update(
        jobs::table.filter(
            jobs::id
                .eq(id)
                .and(jobs::state.eq(JobState::Running.as_str()))
                .and(jobs::lease_owner.eq(owner))
        )
    )
    .set((
        jobs::state.eq(JobState::Done.as_str()),
        jobs::lease_owner.eq(None::<String>),
        jobs::lease_until.eq(None::<i64>),
        jobs::finished_at.eq(now),
    ))
    .execute(c))?;
    Ok(changed > 0)
}

/// Extends the lease of job `id` to `until` while `owner` still holds it (a long job's heartbeat,
/// from a connection other than the one running the job, so other nodes do not take it over).
/// Returns false when `owner` no longer holds the lease: the job should stop, since its
/// `complete` would fail anyway.
pub fn renew(conn: &mut DbConn, id: i64, owner: &str, until: i64) -> EngineResult<bool> {
    let changed = with_conn!(conn, |c| diesel::update(
        jobs::table.filter(
            jobs::id
                .eq(id)
                .and(jobs::state.eq(JobState::Running.as_str()))
                .and(jobs::lease_owner.eq(owner))
        )
    )
    .set(jobs::lease_until.eq(until))
    .execute(c))?;
    Ok(changed > 0)
}

/// Marks job `id` done without having run it, with `reason` in `last_error` (a scheduled script
/// whose last changer is disabled is skipped, not retried and never run as someone else). Same
/// lease rule as `complete`.
pub fn complete_skipped(
    conn: &mut DbConn,
    id: i64,
    owner: &str,
    now: i64,
    reason: &str,
) -> EngineResult<bool> {
    if !complete(conn, id, owner, now)? {
        return Ok(false);
    }
    let text: String = format!("skipped: {reason}")
        .chars()
        .take(MAX_ERROR_CHARS)
        .collect();
    with_conn!(conn, |c| diesel::update(jobs::table.find(id))
        .set(jobs::last_error.eq(Some(text.as_str())))
        .execute(c))?;
    Ok(true)
}

/// Seconds to wait before retrying after `attempts` failed attempts: 30 s, 2 min, 8 min, ... at most
/// an hour.
pub fn backoff(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30_i64 * 4_i64.pow(exp)).min(3600)
}

/// Records a failed attempt of job `id` held by `owner`: queued again at `now + backoff` while
/// attempts remain, else failed. Returns the new state, or None when `owner` no longer holds the
/// lease (nothing changed).
pub fn fail(
    conn: &mut DbConn,
    id: i64,
    owner: &str,
    error: &str,
    now: i64,
) -> EngineResult<Option<JobState>> {
    let held = jobs::id
        .eq(id)
        .and(jobs::state.eq(JobState::Running.as_str()))
        .and(jobs::lease_owner.eq(owner));
    let attempts: Option<(i64, i64)> = with_conn!(conn, |c| jobs::table
        .filter(held)
        .select((jobs::attempts, jobs::max_attempts))
        .first(c)
        .optional())?;
    let Some((attempts, max_attempts)) = attempts else {
        return Ok(None);
    };
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let state = if attempts >= max_attempts {
        JobState::Failed
    } else {
        JobState::Queued
    };
    let finished_at = (state == JobState::Failed).then_some(now);
    let run_at = if state == JobState::Queued {
        now + backoff(attempts)
    } else {
        now
    };
    let changed = with_conn!(conn, |c| diesel::update(jobs::table.filter(held))
        .set((
            jobs::state.eq(state.as_str()),
            jobs::run_at.eq(run_at),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_until.eq(None::<i64>),
            jobs::last_error.eq(&error),
            jobs::finished_at.eq(finished_at),
        ))
        .execute(c))?;
    Ok((changed > 0).then_some(state))
}

/// The unfinished (queued or running) jobs of `kinds`.
pub fn pending(conn: &mut DbConn, kinds: &[&str]) -> EngineResult<Vec<Job>> {
    let rows =
        with_conn!(conn, |c| jobs::table
            .filter(jobs::kind.eq_any(kinds.to_vec()).and(
                jobs::state.eq_any(vec![JobState::Queued.as_str(), JobState::Running.as_str()])
            ))
            .order(jobs::id.asc())
            .select(JobRow::as_select())
            .load(c))?;
    jobs_of(rows)
}

/// Jobs for an administrator, newest first: all, or only those in `state`.
pub fn list(conn: &mut DbConn, state: Option<JobState>, limit: i64) -> EngineResult<Vec<Job>> {
    let rows = with_conn!(conn, |c| {
        let mut q = jobs::table.select(JobRow::as_select()).into_boxed();
        if let Some(s) = state {
            q = q.filter(jobs::state.eq(s.as_str()));
        }
        q.order(jobs::id.desc()).limit(limit).load(c)
    })?;
    jobs_of(rows)
}

/// How many jobs are in each state (states without jobs are absent); one `GROUP BY` over the
/// `(state, run_at)` index, cheap enough for every metrics scrape.
pub fn count_by_state(conn: &mut DbConn) -> EngineResult<Vec<(String, i64)>> {
    Ok(with_conn!(conn, |c| jobs::table
        .group_by(jobs::state)
        .select((jobs::state, diesel::dsl::count_star()))
        .load::<(String, i64)>(c))?)
}

/// Removes jobs that finished before `done_before` (done) or `failed_before` (failed). Returns how
/// many went.
pub fn prune(conn: &mut DbConn, done_before: i64, failed_before: i64) -> EngineResult<usize> {
    Ok(with_conn!(conn, |c| diesel::delete(
        jobs::table.filter(
            jobs::state
                .eq(JobState::Done.as_str())
                .and(jobs::finished_at.lt(done_before))
                .or(jobs::state
                    .eq(JobState::Failed.as_str())
                    .and(jobs::finished_at.lt(failed_before)))
        )
    )
    .execute(c))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 120);
        assert_eq!(backoff(3), 480);
        assert_eq!(backoff(5), 3600);
        assert_eq!(backoff(100), 3600);
        assert_eq!(backoff(0), 30, "never zero: a failing job cannot spin");
    }

    #[test]
    fn an_expired_lease_is_retried_until_the_last_attempt() {
        assert_eq!(claim_step(JobState::Queued, 0, 3), ClaimStep::Lease);
        assert_eq!(claim_step(JobState::Queued, 2, 3), ClaimStep::Lease);
        assert_eq!(claim_step(JobState::Running, 2, 3), ClaimStep::Lease);
        assert_eq!(claim_step(JobState::Running, 3, 3), ClaimStep::GiveUp);
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("QUEUED"), None);
        assert!(JobState::Running.is_pending() && !JobState::Failed.is_pending());
    }
}

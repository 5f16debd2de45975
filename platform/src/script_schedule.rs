//! Scheduled app scripts as durable jobs. For every live app with a `schedule.hourly` or
//! `schedule.daily` script there is one planned job (`script.schedule.hourly` / `.daily`, payload
//! `{"app": id}`) whose `run_at` is the next hour or day boundary in the server's default time
//! zone. The job runner (`jobs_runner`) claims it on one node when it is due; the app's scripts run
//! in one write transaction that also marks the job done and plans the next boundary after now, so:
//! - a run missed while every server was down runs once when one comes back (there is only ever one
//!   planned job per app and event, so several missed hours make one run), then the next boundary
//!   after now is planned;
//! - with several nodes on one database, each run happens on exactly one node, and a run never
//!   commits twice (a node that lost its lease commits nothing);
//! - a failing script rolls its run back, is logged to the app's script log, and retries with
//!   backoff (`jobs::backoff`) up to `MAX_ATTEMPTS`; then the job stays failed with its error and the
//!   next boundary is planned. Other apps' jobs are independent rows and run regardless.
//!
//! Scheduled scripts act as the person who last changed the app's live scripts
//! (`apps::script_change`), with that person's rights as they are when the job runs. When that
//! person is disabled or deleted the run is skipped: the job is marked done with `skipped: <why>`
//! in `last_error`, the reason goes to the app's script log (its managers read it on the scripts
//! page), and the next boundary is planned. A scheduled script never falls back to Administrator
//! or to the app's creator (issue 12). The same thread writes queued script log lines every few
//! seconds.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{LocalResult, TimeZone, Timelike};
use kumiki_engine::acl::AppRight;
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::{
    any_script_for, script_change, AppId, AppRow, LiveApp, ScriptEvent, LIVE,
};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::jobs::{self, Job, NewJob};
use kumiki_engine::users::User;
use kumiki_engine::{EngineError, EngineResult, UserError};
use kumiki_scripting::ScriptRuntime;

use crate::jobs_runner::{unix_now, JobHandler, JobsRunner, Outcome};

const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// How often the app list is compared with what was planned (one cheap query).
const CHECK_APPS_EVERY: Duration = Duration::from_secs(2);
/// How often every app's planned job is checked even when nothing seems to have changed (a node
/// that stopped between a job's failure and planning the next run).
const PLAN_ALL_EVERY: Duration = Duration::from_secs(60);
/// Attempts of one scheduled run (the first and two retries).
pub const MAX_ATTEMPTS: i64 = 3;

pub const HOURLY: &str = "script.schedule.hourly";
pub const DAILY: &str = "script.schedule.daily";
const KINDS: &[&str] = &[HOURLY, DAILY];
const EVENTS: [ScriptEvent; 2] = [ScriptEvent::ScheduleHourly, ScriptEvent::ScheduleDaily];

/// Script worker threads: half the cores, at least two, at most eight.
pub fn script_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(2)
        .clamp(2, 8)
}

/// The job kind of a schedule event.
pub fn kind_of(event: ScriptEvent) -> Option<&'static str> {
    match event {
        ScriptEvent::ScheduleHourly => Some(HOURLY),
        ScriptEvent::ScheduleDaily => Some(DAILY),
        _ => None,
    }
}

fn event_of(kind: &str) -> Option<ScriptEvent> {
    EVENTS.into_iter().find(|e| kind_of(*e) == Some(kind))
}

/// The first hour (or day) boundary in `tz` strictly after `after` (unix seconds).
pub fn next_boundary(event: ScriptEvent, after: i64, tz: chrono_tz::Tz) -> i64 {
    let Some(local) = chrono::Utc
        .timestamp_opt(after, 0)
        .single()
        .map(|t| t.with_timezone(&tz))
    else {
        return after + 3600;
    };
    if event == ScriptEvent::ScheduleDaily {
        let midnight = local
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0));
        // A day that starts in a daylight-saving gap starts at the first instant that exists.
        let start = midnight.and_then(|m| match tz.from_local_datetime(&m) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.timestamp()),
            LocalResult::None => tz
                .from_local_datetime(&(m + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.timestamp()),
        });
        return start.unwrap_or(after + 86_400);
    }
    // The local minute and second, so that zones offset by half an hour turn the hour when their
    // clocks do.
    let into_hour = i64::from(local.minute() * 60 + local.second());
    after - into_hour + 3600
}

fn dedupe_key(kind: &str, app: i64, at: i64) -> String {
    format!("{kind}:{app}:{at}")
}

/// Plans the run of `event` for `app` at the first boundary after `now` that has not run yet. A
/// boundary whose job already finished is skipped (it ran, perhaps early); one another node just
/// planned is left as it is.
pub fn plan_next(
    conn: &mut DbConn,
    app: i64,
    event: ScriptEvent,
    now: i64,
    tz: chrono_tz::Tz,
) -> EngineResult<()> {
    let Some(kind) = kind_of(event) else {
        return Ok(());
    };
    let payload = serde_json::json!({ "app": app });
    let mut at = next_boundary(event, now, tz);
    for _ in 0..4 {
        let key = dedupe_key(kind, app, at);
        let job = NewJob {
            kind,
            dedupe_key: &key,
            payload: &payload,
            run_at: at,
            max_attempts: MAX_ATTEMPTS,
        };
        if jobs::enqueue(conn, &job, now)? {
            return Ok(());
        }
        if jobs::find_by_key(conn, &key)?.is_some_and(|j| j.state.is_pending()) {
            return Ok(());
        }
        at = next_boundary(event, at, tz);
    }
    Ok(())
}

/// The handle of the job runner that runs scheduled scripts; stops when dropped (with the last
/// `AppState`).
pub struct ScriptSchedule {
    runner: JobsRunner,
}

impl ScriptSchedule {
    pub fn start(db: Arc<Database>, scripts: Arc<ScriptRuntime>, tz: chrono_tz::Tz) -> Self {
        let handler: Arc<dyn JobHandler> = Arc::new(ScheduleJobs::new(scripts, tz));
        ScriptSchedule {
            runner: JobsRunner::start(db, vec![handler]),
        }
    }

    /// This node's name in the job table's `lease_owner`.
    pub fn node(&self) -> &str {
        self.runner.node()
    }
}

/// Which schedule events an app has at its live version.
#[derive(Debug, Clone, Copy)]
struct Planned {
    live_version: i64,
    hourly: bool,
    daily: bool,
}

impl Planned {
    fn has(&self, event: ScriptEvent) -> bool {
        match event {
            ScriptEvent::ScheduleHourly => self.hourly,
            ScriptEvent::ScheduleDaily => self.daily,
            _ => false,
        }
    }
}

struct PlanState {
    apps: HashMap<i64, Planned>,
    /// Plan every app at the next tick (a job failed for good).
    dirty: bool,
    last_check: Option<Instant>,
    last_plan_all: Option<Instant>,
    last_flush: Instant,
}

/// The job handler of scheduled scripts.
pub struct ScheduleJobs {
    scripts: Arc<ScriptRuntime>,
    tz: chrono_tz::Tz,
    // Only the runner thread uses it; a mutex makes the handler shareable.
    state: Mutex<PlanState>,
}

impl ScheduleJobs {
    pub fn new(scripts: Arc<ScriptRuntime>, tz: chrono_tz::Tz) -> ScheduleJobs {
        ScheduleJobs {
            scripts,
            tz,
            state: Mutex::new(PlanState {
                apps: HashMap::new(),
                dirty: true,
                last_check: None,
                last_plan_all: None,
                last_flush: Instant::now(),
            }),
        }
    }

    /// Makes sure every app with a schedule script has its next run planned. Reads the app list
    /// (one query) and loads only definitions whose live version changed.
    fn plan(&self, db: &Database, st: &mut PlanState) -> EngineResult<()> {
        let mut conn = db.conn()?;
        let rows = AppRow::list(&mut conn)?;
        let mut changed = rows.len() != st.apps.len();
        let mut seen = HashMap::with_capacity(rows.len());
        for row in rows {
            let planned = match st.apps.get(&row.id) {
                Some(p) if p.live_version == row.live_version => *p,
                _ => {
                    changed = true;
                    // An app that was never deployed has no live scripts. Looking is the server's
                    // own bookkeeping (the system context); the run acts as the creator.
                    let live = ActingContext::system(Channel::System, self.tz)
                        .open_app(&mut conn, AppId(row.id), AppRight::View)
                        .ok();
                    let has = |e| {
                        live.as_ref()
                            .is_some_and(|l| any_script_for(&l.definition.scripts, e))
                    };
                    Planned {
                        live_version: row.live_version,
                        hourly: has(ScriptEvent::ScheduleHourly),
                        daily: has(ScriptEvent::ScheduleDaily),
                    }
                }
            };
            seen.insert(row.id, planned);
        }
        st.apps = seen;
        let due = st.dirty
            || changed
            || st
                .last_plan_all
                .is_none_or(|t| t.elapsed() >= PLAN_ALL_EVERY);
        if !due {
            return Ok(());
        }
        st.dirty = false;
        st.last_plan_all = Some(Instant::now());
        let pending: HashSet<(String, i64)> = jobs::pending(&mut conn, KINDS)?
            .into_iter()
            .filter_map(|j| Some((j.kind, j.payload.get("app")?.as_i64()?)))
            .collect();
        for (app, planned) in &st.apps {
            for event in EVENTS {
                let Some(kind) = kind_of(event) else { continue };
                if planned.has(event) && !pending.contains(&(kind.to_owned(), *app)) {
                    conn.write_transaction(|c| plan_next(c, *app, event, unix_now(), self.tz))?;
                }
            }
        }
        Ok(())
    }

    fn run_job(&self, db: &Database, job: &Job, owner: &str) -> EngineResult<Outcome> {
        let (Some(event), Some(app)) = (
            event_of(&job.kind),
            job.payload.get("app").and_then(|a| a.as_i64()),
        ) else {
            return Ok(Outcome::Failed(format!("not a schedule job: {}", job.kind)));
        };
        let mut conn = db.conn()?;
        let found = ActingContext::system(Channel::System, self.tz).open_app(
            &mut conn,
            AppId(app),
            AppRight::View,
        );
        let live = match found {
            Ok(live) if any_script_for(&live.definition.scripts, event) => live,
            // The app or its schedule script is gone: nothing to run, nothing to plan (a script
            // added later is planned when its app is deployed).
            Ok(_) | Err(EngineError::User(_)) => {
                let done =
                    conn.write_transaction(|c| jobs::complete(c, job.id, owner, unix_now()))?;
                return Ok(if done {
                    Outcome::Done
                } else {
                    Outcome::LeaseLost
                });
            }
            Err(e) => return Err(e),
        };
        let ran = run_app(&mut conn, &self.scripts, &live, event, self.tz, |c| {
            let now = unix_now();
            if !jobs::complete(c, job.id, owner, now)? {
                return Err(RunError::LeaseLost);
            }
            plan_next(c, app, event, now, self.tz)?;
            Ok(())
        });
        let outcome = match ran {
            Ok(()) => Outcome::Done,
            Err(RunError::LeaseLost) => Outcome::LeaseLost,
            Err(RunError::Engine(e)) => Outcome::Failed(e.to_string()),
            Err(RunError::Skipped(reason)) => {
                let done = conn.write_transaction(|c| {
                    let now = unix_now();
                    if !jobs::complete_skipped(c, job.id, owner, now, &reason)? {
                        return Ok(false);
                    }
                    plan_next(c, app, event, now, self.tz)?;
                    Ok::<bool, EngineError>(true)
                })?;
                if done {
                    note_skipped(&self.scripts, &live, event, &reason);
                    Outcome::Done
                } else {
                    Outcome::LeaseLost
                }
            }
        };
        flush_logs(db, &self.scripts)?;
        Ok(outcome)
    }
}

impl JobHandler for ScheduleJobs {
    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        self.run_job(db, job, owner)
            .unwrap_or_else(|e| Outcome::Failed(e.to_string()))
    }

    fn tick(&self, db: &Database) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.last_flush.elapsed() >= FLUSH_EVERY {
            st.last_flush = Instant::now();
            report(flush_logs(db, &self.scripts));
        }
        if st
            .last_check
            .is_none_or(|t| t.elapsed() >= CHECK_APPS_EVERY)
        {
            st.last_check = Some(Instant::now());
            let planned = self.plan(db, &mut st);
            if planned.is_err() {
                st.dirty = true;
            }
            report(planned);
        }
    }

    fn gave_up(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).dirty = true;
    }

    fn stop(&self, db: &Database) {
        report(flush_logs(db, &self.scripts));
    }
}

fn report<T>(r: EngineResult<T>) {
    if let Err(e) = r {
        tracing::error!(error = %e, "script schedule");
    }
}

/// Writes queued script log lines.
pub fn flush_logs(db: &Database, scripts: &ScriptRuntime) -> EngineResult<usize> {
    if scripts.pending_logs().is_empty() {
        return Ok(0);
    }
    let mut conn = db.conn()?;
    conn.write_transaction(|c| scripts.pending_logs().flush(c))
}

/// Why a scheduled run committed nothing.
enum RunError {
    /// A script failed (`UserError::ScriptFailed`, also in the app's script log) or the database did.
    Engine(EngineError),
    LeaseLost,
    /// Nobody may run it: the scripts' last changer is disabled, deleted or unknown.
    Skipped(String),
}

/// Writes why a scheduled run was skipped to the app's script log, for its managers.
fn note_skipped(scripts: &ScriptRuntime, live: &LiveApp, event: ScriptEvent, reason: &str) {
    tracing::warn!(
        app = live.row.id,
        event = event.name(),
        reason,
        "scheduled script skipped"
    );
    let names: Vec<&str> = live
        .definition
        .scripts
        .iter()
        .filter(|s| s.runs_on(event))
        .map(|s| s.name.as_str())
        .collect();
    scripts
        .pending_logs()
        .push(kumiki_scripting::logs::LogLine {
            app_id: live.row.id,
            script: names.join(", "),
            level: "error".into(),
            message: format!("{} skipped: {reason}", event.name()),
            created_at: chrono::Utc::now().timestamp(),
            runner: String::new(),
            sources: String::new(),
        });
}

impl From<EngineError> for RunError {
    fn from(e: EngineError) -> Self {
        RunError::Engine(e)
    }
}

/// Runs `found`'s `event` scripts as the last changer of its live scripts (`Channel::Schedule`,
/// through the app's own guest-space path; the app is opened again with that person's current
/// rights, so one who lost the right to view it gets a refused run) in one write transaction, then
/// `then` in the same transaction; any failure rolls everything back. A disabled or deleted last
/// changer is `RunError::Skipped`.
fn run_app(
    conn: &mut DbConn,
    scripts: &ScriptRuntime,
    found: &LiveApp,
    event: ScriptEvent,
    tz: chrono_tz::Tz,
    then: impl FnOnce(&mut DbConn) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let principal = last_changer(conn, found.id())?.map_err(RunError::Skipped)?;
    let acting = ActingContext::new(principal, Channel::Schedule, tz)
        .with_peer(String::new(), "schedule")
        .through_path_of(conn, &found.row)?;
    let live = acting.open_app(conn, found.id(), AppRight::View)?;
    let actor = acting.actor();
    conn.write_transaction(|c| {
        if let Some(failure) = scripts.run_scheduled(c, &live, &acting, &actor, event)? {
            return Err(RunError::Engine(UserError::from(failure).into()));
        }
        then(c)
    })
}

/// Runs `event` scripts of every live app that has one now, outside the job table (tools and
/// tests; the server runs them through jobs). Returns how many apps ran without a failure; a
/// failing app's transaction is rolled back (its failure is in its script log).
pub fn run_due(
    db: &Database,
    scripts: &ScriptRuntime,
    tz: chrono_tz::Tz,
    event: ScriptEvent,
) -> EngineResult<usize> {
    let mut conn = db.conn()?;
    let system = ActingContext::system(Channel::System, tz);
    let mut done = 0;
    for row in AppRow::list(&mut conn)? {
        let Ok(live) = system.open_app(&mut conn, AppId(row.id), AppRight::View) else {
            continue;
        };
        if !any_script_for(&live.definition.scripts, event) {
            continue;
        }
        match run_app(&mut conn, scripts, &live, event, tz, |_| Ok(())) {
            Ok(()) => done += 1,
            Err(RunError::Skipped(reason)) => note_skipped(scripts, &live, event, &reason),
            Err(RunError::Engine(EngineError::User(_))) | Err(RunError::LeaseLost) => {}
            Err(RunError::Engine(e)) => return Err(e),
        }
    }
    flush_logs(db, scripts)?;
    Ok(done)
}

/// Who a scheduled script acts as: the last changer of the app's live scripts with their current
/// rights (`Ok(Err(why))` when there is nobody to act as: never a fallback to anyone else).
fn last_changer(conn: &mut DbConn, app: AppId) -> EngineResult<Result<Principal, String>> {
    let Some(change) = script_change(conn, app, LIVE)? else {
        return Ok(Err(
            "nobody is recorded as the last changer of the scripts".into()
        ));
    };
    let Some(user) = User::find_by_code(conn, &change.by)? else {
        return Ok(Err(format!(
            "{}, who last changed the scripts, no longer exists",
            change.by
        )));
    };
    if !user.is_active {
        return Ok(Err(format!(
            "{}, who last changed the scripts, is disabled",
            change.by
        )));
    }
    Ok(Ok(Principal::for_user(
        conn,
        &user.code,
        &user.name,
        user.is_admin,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: chrono_tz::Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_default()
    }

    #[test]
    fn hours_and_days_turn_in_the_server_time_zone() {
        use chrono_tz::{America::New_York, Asia::Kolkata, Asia::Tokyo};
        let hourly = ScriptEvent::ScheduleHourly;
        let daily = ScriptEvent::ScheduleDaily;
        let t = at(Tokyo, 2026, 12, 4, 10, 59);
        assert_eq!(
            next_boundary(hourly, t, Tokyo),
            at(Tokyo, 2026, 12, 4, 11, 0)
        );
        assert_eq!(next_boundary(daily, t, Tokyo), at(Tokyo, 2026, 12, 5, 0, 0));
        // Exactly on a boundary: the next one.
        let eleven = at(Tokyo, 2026, 12, 4, 11, 0);
        assert_eq!(next_boundary(hourly, eleven, Tokyo), eleven + 3600);
        // Half-hour zones turn the hour at :30 UTC.
        let k = at(Kolkata, 2026, 12, 4, 10, 10);
        assert_eq!(
            next_boundary(hourly, k, Kolkata),
            at(Kolkata, 2026, 12, 4, 11, 0)
        );
        // Across the spring-forward gap (02:00 does not exist): 01:30 EST → 03:00 EDT.
        let ny = at(New_York, 2026, 3, 8, 1, 30);
        assert_eq!(next_boundary(hourly, ny, New_York), ny + 1800);
        assert_eq!(
            next_boundary(daily, ny, New_York),
            at(New_York, 2026, 3, 9, 0, 0)
        );
    }

    #[test]
    fn kinds_name_their_events() {
        for e in EVENTS {
            assert_eq!(kind_of(e).and_then(event_of), Some(e));
        }
        assert_eq!(kind_of(ScriptEvent::SaveAfter), None);
        assert_eq!(dedupe_key(HOURLY, 3, 100), "script.schedule.hourly:3:100");
    }
}

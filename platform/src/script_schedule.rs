//! The background thread for app scripts: runs `schedule.hourly` scripts when the hour changes and
//! `schedule.daily` scripts when the date changes (in the server's default time zone), each app
//! in its own write transaction under the same sandbox limits; and writes queued script log lines
//! every few seconds. Scheduled scripts act as the app's creator (Administrator when the creator
//! no longer exists or is disabled). The thread stops when the last `AppState` is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Timelike;
use kumiki_engine::acl::Principal;
use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::{all_app_ids, any_script_for, AppId, ScriptEvent};
use kumiki_engine::db::{Database, DbConn};
use kumiki_engine::users::{User, ADMINISTRATOR};
use kumiki_engine::{EngineError, EngineResult};
use kumiki_scripting::ScriptRuntime;

const TICK: Duration = Duration::from_millis(250);
const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Script worker threads: half the cores, at least two, at most eight.
pub fn script_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(2)
        .clamp(2, 8)
}

/// The handle of the schedule thread.
pub struct ScriptSchedule {
    stop: Arc<AtomicBool>,
}

impl ScriptSchedule {
    pub fn start(db: Arc<Database>, scripts: Arc<ScriptRuntime>, tz: chrono_tz::Tz) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("kumiki-script-schedule".into())
            .spawn(move || run(&db, &scripts, tz, &flag));
        if let Err(e) = spawned {
            tracing::error!("cannot start the script schedule: {e}");
        }
        ScriptSchedule { stop }
    }
}

impl Drop for ScriptSchedule {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(db: &Database, scripts: &ScriptRuntime, tz: chrono_tz::Tz, stop: &AtomicBool) {
    let now = || chrono::Utc::now().with_timezone(&tz);
    let mut last_hour = now().hour();
    let mut last_day = now().date_naive();
    let mut last_flush = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let t = now();
        if t.hour() != last_hour {
            last_hour = t.hour();
            report(run_due(db, scripts, tz, ScriptEvent::ScheduleHourly));
        }
        if t.date_naive() != last_day {
            last_day = t.date_naive();
            report(run_due(db, scripts, tz, ScriptEvent::ScheduleDaily));
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            last_flush = Instant::now();
            report(flush_logs(db, scripts));
        }
    }
    report(flush_logs(db, scripts));
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

/// Runs `event` scripts of every live app that has one; returns how many apps ran without a
/// failure. A failing app's transaction is rolled back (its failure is in its script log).
pub fn run_due(
    db: &Database,
    scripts: &ScriptRuntime,
    tz: chrono_tz::Tz,
    event: ScriptEvent,
) -> EngineResult<usize> {
    let mut conn = db.conn()?;
    // Finding the apps with schedule scripts is the server's own work; each app's scripts then
    // run as its creator, through the app's own path (`Channel::Schedule`).
    let system = ActingContext::system(Channel::System, tz);
    let mut done = 0;
    for app_id in all_app_ids(&mut conn)? {
        let Ok(found) = system.open_app(&mut conn, AppId(app_id), AppRight::View) else {
            continue;
        };
        if !any_script_for(&found.definition.scripts, event) {
            continue;
        }
        let principal = creator_principal(&mut conn, &found.row.creator)?;
        let acting = ActingContext::new(principal, Channel::Schedule, tz)
            .with_peer(String::new(), "schedule")
            .through_path_of(&mut conn, &found.row)?;
        // The creator may have lost rights on their own app: the run is refused like any call.
        let Ok(live) = acting.open_app(&mut conn, AppId(app_id), AppRight::View) else {
            continue;
        };
        let actor = acting.actor();
        let ran = conn.write_transaction(|c| {
            match scripts.run_scheduled(c, &live, &acting, &actor, event)? {
                None => Ok(()),
                Some(failure) => Err(EngineError::from(kumiki_engine::UserError::from(failure))),
            }
        });
        match ran {
            Ok(()) => done += 1,
            Err(EngineError::User(_)) => {}
            Err(e) => return Err(e),
        }
    }
    flush_logs(db, scripts)?;
    Ok(done)
}

fn creator_principal(conn: &mut DbConn, creator: &str) -> EngineResult<Principal> {
    let user = User::find_by_code(conn, creator)?.filter(|u| u.is_active);
    let (code, name, is_admin) = match user {
        Some(u) => (u.code, u.name, u.is_admin),
        None => (ADMINISTRATOR.to_owned(), ADMINISTRATOR.to_owned(), true),
    };
    Principal::for_user(conn, &code, &name, is_admin)
}

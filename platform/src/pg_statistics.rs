//! Issue 18, PostgreSQL: a thread that keeps the record tables' planner statistics current after
//! large writes (`kumiki_engine::db::pg_statistics::refresh`), so lists are planned on what the
//! tables hold right after a bulk import, not a minute or more later when autovacuum gets to them.
//! It looks every `CHECK_EVERY` (one small read of `pg_stat_user_tables`) and stops when dropped.
//! On SQLite it does not start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kumiki_engine::db::{Database, Dialect};

const CHECK_EVERY: Duration = Duration::from_secs(10);
/// How often the thread looks at its stop flag.
const NAP: Duration = Duration::from_millis(250);

/// The running thread (or nothing on SQLite); it stops when this is dropped.
#[derive(Default)]
pub struct PgStatistics {
    stop: Arc<AtomicBool>,
}

impl PgStatistics {
    pub fn start(db: Arc<Database>) -> PgStatistics {
        let keeper = PgStatistics::default();
        if db.dialect() != Dialect::Postgres {
            return keeper;
        }
        let stop = Arc::clone(&keeper.stop);
        let spawned = std::thread::Builder::new()
            .name("kumiki-pg-statistics".into())
            .spawn(move || run(&db, &stop));
        if let Err(e) = spawned {
            tracing::error!("cannot start the statistics thread: {e}");
        }
        keeper
    }
}

impl Drop for PgStatistics {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(db: &Database, stop: &AtomicBool) {
    let mut last: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(NAP);
        if last.is_some_and(|at| at.elapsed() < CHECK_EVERY) {
            continue;
        }
        last = Some(Instant::now());
        let refreshed = db
            .conn()
            .and_then(|mut conn| kumiki_engine::db::pg_statistics::refresh(&mut conn));
        match refreshed {
            Ok(tables) if !tables.is_empty() => {
                tracing::info!(tables = ?tables, "planner statistics refreshed");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "planner statistics"),
        }
    }
}

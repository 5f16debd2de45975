//! Issue 19: wake-ups across nodes through PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! Every transaction that writes change-log rows also sends `NOTIFY kumiki_changes`
//! ([`notify_changes`]); PostgreSQL delivers it when (and only if) the transaction commits, once per
//! transaction however many rows it wrote. Each node keeps one connection of its own listening on
//! that channel ([`ChangeListener`]) and calls its wake-up (the search indexer, the webhook sender)
//! when a notification arrives, so a write on one node is indexed on the others at once instead of
//! at their next poll. The pollers stay as the fallback for a notification missed while the
//! listening connection was down; after a reconnect the wake-up is called once for the same reason.
//!
//! diesel has no blocking wait for notifications: the thread asks libpq for what has arrived every
//! [`CHECK_EVERY`] (a non-blocking read of the socket, no query), which bounds the added latency.
//! On SQLite (one process) there is nothing to listen to: the writes of this process wake its
//! threads directly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::{Database, DbConn, Dialect};
use crate::error::EngineResult;

/// The channel of change-log wake-ups.
pub const CHANGES_CHANNEL: &str = "kumiki_changes";

/// How often the listener looks for arrived notifications.
const CHECK_EVERY: Duration = Duration::from_millis(20);
/// How long the listener waits before connecting again after losing its connection.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// A query now and then, so a connection dropped without a word (a restarted server behind a
/// proxy) is noticed.
const PING_EVERY: Duration = Duration::from_secs(10);

/// Tells the other nodes, when the caller's transaction commits, that the change log grew.
/// Nothing on SQLite.
pub fn notify_changes(conn: &mut DbConn) -> EngineResult<()> {
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(&format!("NOTIFY {CHANGES_CHANNEL}"))?;
    }
    Ok(())
}

/// The listening thread of this node; it stops when this is dropped.
pub struct ChangeListener {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChangeListener {
    /// Starts listening on PostgreSQL and calls `on_change` after each batch of notifications.
    /// None on SQLite.
    pub fn start(
        db: &Database,
        on_change: impl Fn() + Send + 'static,
    ) -> EngineResult<Option<ChangeListener>> {
        if db.dialect() != Dialect::Postgres {
            return Ok(None);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let url = db.url.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kumiki-change-listener".into())
            .spawn(move || run(&url, &flag, &on_change))?;
        Ok(Some(ChangeListener {
            stop,
            thread: Some(thread),
        }))
    }
}

impl Drop for ChangeListener {
    /// Waits for the thread (at most one look, or one connection attempt): a process that exits
    /// while the thread is inside libpq can crash in libpq's exit-time cleanup.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn listening_connection(url: &str) -> Result<PgConnection, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// What one look at the connection found.
enum Look {
    Quiet,
    Notified,
    Lost(String),
}

fn look(conn: &mut PgConnection) -> Look {
    let mut found = Look::Quiet;
    for arrived in conn.notifications_iter() {
        match arrived {
            Ok(_) => found = Look::Notified,
            Err(e) => return Look::Lost(e.to_string()),
        }
    }
    found
}

fn run(url: &str, stop: &AtomicBool, on_change: &dyn Fn()) {
    let mut conn: Option<PgConnection> = None;
    let mut last_ping = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let Some(listening) = conn.as_mut() else {
            match listening_connection(url) {
                Ok(c) => {
                    conn = Some(c);
                    last_ping = Instant::now();
                    // Whatever was written while no one listened is picked up now.
                    on_change();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the change listener cannot connect; retrying");
                    let failed = Instant::now();
                    while failed.elapsed() < RECONNECT_AFTER && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(CHECK_EVERY);
                    }
                }
            }
            continue;
        };
        match look(listening) {
            Look::Quiet => {}
            Look::Notified => on_change(),
            Look::Lost(e) => {
                tracing::warn!(error = %e, "the change listener lost its connection");
                conn = None;
                continue;
            }
        }
        if last_ping.elapsed() >= PING_EVERY {
            last_ping = Instant::now();
            if let Err(e) = listening.batch_execute("SELECT 1") {
                tracing::warn!(error = %e, "the change listener lost its connection");
                conn = None;
                continue;
            }
        }
        std::thread::sleep(CHECK_EVERY);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// On PostgreSQL: tests/it/change_listener.rs (both databases, through the server).
    #[test]
    fn nothing_listens_on_sqlite() {
        let db = Database::connect("sqlite://:memory:", 1).unwrap();
        assert!(ChangeListener::start(&db, || {}).unwrap().is_none());
        let mut conn = db.conn().unwrap();
        notify_changes(&mut conn).unwrap();
    }
}

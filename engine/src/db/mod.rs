//! Database access for both backends.
//!
//! `Database` owns an r2d2 pool for SQLite (the embedded default) or PostgreSQL, chosen by the URL
//! scheme; an unknown scheme is refused at startup. `DbConn` is one pooled connection; typed diesel
//! queries run on it through `with_conn!`, which compiles the body once per backend, and dynamic SQL
//! (the query language, pivot index rows) through `execute`/`load` with a `SqlBuilder`.
//!
//! SQLite runs in WAL mode with one writer at a time: every write transaction starts with
//! `BEGIN IMMEDIATE`, so writers queue on `busy_timeout` instead of failing mid-transaction.
//! `synchronous = NORMAL` in WAL mode keeps every committed transaction across a process crash; a power
//! loss can lose the last transactions but never corrupts the file (the documented SQLite trade-off).

pub mod listen;
pub mod pg_statistics;
pub mod schema;
#[cfg(test)]
pub(crate) mod scratch;
pub mod sql;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sql_types::{BigInt, Double, Text};
use diesel::sqlite::Sqlite;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use sql::{Dialect, SqlBuilder, SqlValue};

use crate::error::{EngineError, EngineResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Runs `$body` with `$c` bound to the concrete diesel connection of either backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => {
                let $c: &mut diesel::SqliteConnection = &mut *$c;
                $body
            }
            $crate::db::DbConn::Postgres($c) => {
                let $c: &mut diesel::PgConnection = &mut *$c;
                $body
            }
        }
    };
}

enum PoolInner {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

/// A pool of connections to one database.
pub struct Database {
    pool: PoolInner,
    /// What `connect` was given: the change listener opens a connection of its own with it.
    url: String,
}

/// What [`Database::pool_state`] reports.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// One pooled connection.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// The page size of a new SQLite database.
const SQLITE_PAGE_SIZE: &str = "PRAGMA page_size = 8192";

/// The bound on all of SQLite's memory in this process (64 MiB), in bytes.
const SQLITE_SOFT_HEAP_LIMIT: &str = "PRAGMA soft_heap_limit = 67108864";

/// Settings of every PostgreSQL session of the pool. `jit = off`: none of the server's statements
/// runs long enough to gain from JIT compilation, but a list walk's cost estimate (the walk times a
/// per-entry candidate test) passes `jit_above_cost`, and compiling then took ~200 ms of a 38 ms walk:
/// `like … order by` at 200,000 records 221 → 84 ms p50 (docs/benchmarks.md, "PostgreSQL: JIT").
#[derive(Debug)]
struct PgSession;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for PgSession {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("SET jit = off")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // One statement each: some pragmas are ignored when batched after another statement.
        for pragma in [
            "PRAGMA busy_timeout = 10000",
            // Only a new, empty database takes it (before WAL is on; an existing one keeps its
            // size until VACUUM). `records` is WITHOUT ROWID, whose rows stay in their page only up
            // to about a quarter of it: with 4 KiB pages a record of a thousand bytes of JSON
            // spills into an overflow page it mostly leaves empty (docs/benchmarks.md, issue 18).
            SQLITE_PAGE_SIZE,
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            // Per connection, and a pool holds up to 16: 16 MiB each keeps the worst case at
            // 256 MiB, inside issue 18's memory budget; the OS page cache holds the rest of the
            // file (docs/benchmarks.md "Memory (step 3)"). 64 MiB each measured 824 MB RSS after a 1M load.
            "PRAGMA cache_size = -16384",
            // Process-wide, not per connection: the bundled SQLite is built with
            // SQLITE_ENABLE_MEMORY_MANAGEMENT, so every connection's pages sit in one shared cache
            // and, once all of SQLite's memory passes this, a connection reuses the least recently
            // used page instead of allocating another. Bounds the pool's caches together at
            // 64 MiB instead of 16 × 16 MiB (issue 18's 300 MB budget; 96 MiB left 314 MB after
            // a 1M load, 64 MiB 277 MB at the same load rate; docs/benchmarks.md "Memory at 1M").
            SQLITE_SOFT_HEAP_LIMIT,
            // Truncate the WAL back to 64 MiB after a checkpoint (a 1M load left 1 GB behind).
            "PRAGMA journal_size_limit = 67108864",
            "PRAGMA temp_store = MEMORY",
        ] {
            conn.batch_execute(pragma)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

impl Database {
    /// Opens a pool. `url` is `postgres://...` / `postgresql://...`, or `sqlite://<path>` / `sqlite:<path>`.
    pub fn connect(url: &str, max_connections: u32) -> EngineResult<Database> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let manager = ConnectionManager::<PgConnection>::new(url);
            PoolInner::Postgres(
                Pool::builder()
                    .max_size(max_connections)
                    .connection_timeout(Duration::from_secs(30))
                    .connection_customizer(Box::new(PgSession))
                    .build(manager)
                    .map_err(|e| {
                        EngineError::Internal(format!("cannot connect to PostgreSQL: {e}"))
                    })?,
            )
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let manager = ConnectionManager::<SqliteConnection>::new(path);
            PoolInner::Sqlite(
                Pool::builder()
                    .max_size(max_connections)
                    .connection_timeout(Duration::from_secs(30))
                    .connection_customizer(Box::new(SqlitePragmas))
                    .build(manager)
                    .map_err(|e| {
                        EngineError::Internal(format!("cannot open SQLite database: {e}"))
                    })?,
            )
        } else {
            return Err(EngineError::Internal(format!(
                "unsupported database URL scheme (expected sqlite:// or postgres://): {}",
                url.split(':').next().unwrap_or("")
            )));
        };
        Ok(Database {
            pool,
            url: url.to_owned(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            PoolInner::Sqlite(_) => Dialect::Sqlite,
            PoolInner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A connection from the pool.
    pub fn conn(&self) -> EngineResult<DbConn> {
        let pool_error =
            |e: diesel::r2d2::PoolError| EngineError::Internal(format!("database pool: {e}"));
        Ok(match &self.pool {
            PoolInner::Sqlite(p) => DbConn::Sqlite(p.get().map_err(pool_error)?),
            PoolInner::Postgres(p) => DbConn::Postgres(p.get().map_err(pool_error)?),
        })
    }

    /// Whether the database answers a trivial query on a connection the pool hands out within
    /// `wait` (the readiness check of `/healthz`; it never waits the pool's 30 s).
    pub fn ping(&self, wait: Duration) -> EngineResult<()> {
        let pool_error =
            |e: diesel::r2d2::PoolError| EngineError::Internal(format!("database pool: {e}"));
        let mut conn = match &self.pool {
            PoolInner::Sqlite(p) => DbConn::Sqlite(p.get_timeout(wait).map_err(pool_error)?),
            PoolInner::Postgres(p) => DbConn::Postgres(p.get_timeout(wait).map_err(pool_error)?),
        };
        conn.batch_execute("SELECT 1")
    }

    /// The pool's connections now: open, idle among them, and the most it opens.
    pub fn pool_state(&self) -> PoolState {
        let (state, max) = match &self.pool {
            PoolInner::Sqlite(p) => (p.state(), p.max_size()),
            PoolInner::Postgres(p) => (p.state(), p.max_size()),
        };
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max,
        }
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> EngineResult<usize> {
        let mut conn = self.conn()?;
        let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| {
            EngineError::Internal(format!("migration failed: {e}"))
        };
        let ran = match &mut conn {
            DbConn::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(migration_error)?
                .len(),
            DbConn::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(migration_error)?
                .len(),
        };
        // Text values written before `like` folded widths get their folded form (once).
        crate::query::fold::backfill(&mut conn)?;
        Ok(ran)
    }

    /// Reverts every migration (for the up → down → up test).
    pub fn revert_all_migrations(&self) -> EngineResult<()> {
        let mut conn = self.conn()?;
        let migration_error = |e: Box<dyn std::error::Error + Send + Sync>| {
            EngineError::Internal(format!("migration revert failed: {e}"))
        };
        match &mut conn {
            DbConn::Sqlite(c) => c
                .revert_all_migrations(SQLITE_MIGRATIONS)
                .map(|_| ())
                .map_err(migration_error),
            DbConn::Postgres(c) => c
                .revert_all_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(migration_error),
        }
    }
}

fn boxed_sqlite(b: &SqlBuilder) -> BoxedSqlQuery<'static, Sqlite, SqlQuery> {
    let mut q = diesel::sql_query(b.sql.clone()).into_boxed::<Sqlite>();
    for v in &b.binds {
        q = match v {
            SqlValue::Int(i) => q.bind::<BigInt, _>(*i),
            SqlValue::Float(f) => q.bind::<Double, _>(*f),
            SqlValue::Text(s) => q.bind::<Text, _>(s.clone()),
        };
    }
    q
}

fn boxed_pg(b: &SqlBuilder) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
    let mut q = diesel::sql_query(b.sql.clone()).into_boxed::<Pg>();
    for v in &b.binds {
        q = match v {
            SqlValue::Int(i) => q.bind::<BigInt, _>(*i),
            SqlValue::Float(f) => q.bind::<Double, _>(*f),
            SqlValue::Text(s) => q.bind::<Text, _>(s.clone()),
        };
    }
    q
}

impl DbConn {
    pub fn dialect(&self) -> Dialect {
        match self {
            DbConn::Sqlite(_) => Dialect::Sqlite,
            DbConn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A new builder in this connection's dialect.
    pub fn sql(&self) -> SqlBuilder {
        SqlBuilder::new(self.dialect())
    }

    /// Runs a statement with bound values; returns the affected row count.
    pub fn execute(&mut self, b: &SqlBuilder) -> EngineResult<usize> {
        Ok(match self {
            DbConn::Sqlite(c) => boxed_sqlite(b).execute(&mut **c)?,
            DbConn::Postgres(c) => boxed_pg(b).execute(&mut **c)?,
        })
    }

    /// Runs a query with bound values and maps rows by column name.
    pub fn load<T>(&mut self, b: &SqlBuilder) -> EngineResult<Vec<T>>
    where
        T: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
    {
        Ok(match self {
            DbConn::Sqlite(c) => boxed_sqlite(b).load::<T>(&mut **c)?,
            DbConn::Postgres(c) => boxed_pg(b).load::<T>(&mut **c)?,
        })
    }

    /// `load`, where the statement's outer side is known to be small (a driver's entries, counted
    /// and bounded before the plan was chosen) and each of its rows should probe the other
    /// conditions' indexes: on PostgreSQL with hash and merge joins off for this one statement.
    /// PostgreSQL estimates that side from value statistics every field shares (`Number_a` in
    /// 0–100 as 255,000 rows, found 9,948) and then read another condition's whole index into a
    /// hash (400,000 rows, ~1.1 s at 1M records) instead of probing it once per entry (~50 ms).
    /// `SET LOCAL` holds until the end of the transaction: reset after the statement, and a failed
    /// statement rolls the transaction and the settings back. SQLite: a plain `load`.
    pub fn load_probing<T>(&mut self, b: &SqlBuilder) -> EngineResult<Vec<T>>
    where
        T: QueryableByName<Sqlite> + QueryableByName<Pg> + 'static,
    {
        if self.dialect() == Dialect::Sqlite {
            return self.load(b);
        }
        if !in_transaction() {
            return self.read_transaction(|c| c.load_probing(b));
        }
        self.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")?;
        let rows = self.load(b)?;
        self.batch_execute(
            "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT",
        )?;
        Ok(rows)
    }

    /// Runs raw SQL without parameters (DDL, transaction control).
    pub fn batch_execute(&mut self, sql: &str) -> EngineResult<()> {
        match self {
            DbConn::Sqlite(c) => c.batch_execute(sql)?,
            DbConn::Postgres(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock up front so
    /// the transaction cannot fail half-way on a busy database), `BEGIN` on PostgreSQL. Any error rolls
    /// everything back; nothing is half-written.
    pub fn write_transaction<T, E: From<EngineError>>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E> {
        let begin = match self.dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        self.batch_execute(begin)?;
        OPEN_TRANSACTIONS.with(|n| n.set(n.get() + 1));
        let mut guard = TransactionGuard {
            conn: self,
            done: false,
        };
        let result = f(guard.conn);
        match result {
            Ok(v) => {
                guard.conn.batch_execute("COMMIT")?;
                guard.done = true;
                guard.conn.keep_wal_short();
                Ok(v)
            }
            Err(e) => {
                guard.conn.batch_execute("ROLLBACK")?;
                guard.done = true;
                Err(e)
            }
        }
    }

    /// After a commit on SQLite: when the WAL has grown past `WAL_RESTART_FRAMES` (the automatic
    /// checkpoint could not catch up because some reader was always active, which steady concurrent
    /// traffic causes), checkpoint it and wait for readers so the next writer starts the WAL over.
    /// Without this the WAL grows without bound (several GB during a bulk load) and every page read
    /// searches a longer WAL index. Failures only leave the WAL long; the commit stands.
    fn keep_wal_short(&mut self) {
        const WAL_RESTART_FRAMES: i64 = 16_384;
        let DbConn::Sqlite(c) = self else { return };
        let state = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").load::<WalState>(&mut **c);
        let long = matches!(state.as_deref(), Ok([s, ..]) if s.log > WAL_RESTART_FRAMES);
        if long {
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(RESTART)") {
                tracing::warn!("WAL checkpoint failed: {e}");
            }
        }
    }

    /// Runs `f` in a read transaction, so multi-statement reads see one snapshot.
    pub fn read_transaction<T, E: From<EngineError>>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E> {
        self.batch_execute("BEGIN")?;
        OPEN_TRANSACTIONS.with(|n| n.set(n.get() + 1));
        let mut guard = TransactionGuard {
            conn: self,
            done: false,
        };
        let result = f(guard.conn);
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        guard.conn.batch_execute(end)?;
        guard.done = true;
        result
    }
}

thread_local! {
    /// Transactions open on this thread: connections are used synchronously on the blocking
    /// thread that checked them out, so this tells a use case whether it may start its own.
    static OPEN_TRANSACTIONS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether a `write_transaction` or `read_transaction` is open on this thread (a nested one would
/// fail: `BEGIN` inside `BEGIN`).
pub fn in_transaction() -> bool {
    OPEN_TRANSACTIONS.with(|n| n.get() > 0)
}

/// Rolls back if a transaction body panicked or a COMMIT failed, so the connection goes back to the
/// pool clean.
struct TransactionGuard<'a> {
    conn: &'a mut DbConn,
    done: bool,
}

impl Drop for TransactionGuard<'_> {
    fn drop(&mut self) {
        OPEN_TRANSACTIONS.with(|n| n.set(n.get().saturating_sub(1)));
        if !self.done {
            // Best effort: the connection may already be broken, in which case r2d2 drops it.
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

/// The row of `PRAGMA wal_checkpoint`.
#[derive(Debug, QueryableByName)]
struct WalState {
    #[diesel(sql_type = BigInt)]
    log: i64,
}

/// A single `BIGINT` column named `n`, for counts and ids.
#[derive(Debug, QueryableByName)]
pub struct IntRow {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

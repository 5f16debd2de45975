//! Planner statistics of the record tables on PostgreSQL, kept current by the server after large
//! writes instead of waiting for autovacuum.
//!
//! Why: without statistics PostgreSQL takes the default selectivity for `id IN (...)` (0.5% per
//! value), so the page fetch `WHERE app_id = $1 AND id IN (<500 ids>)` of a keyset list was planned
//! as a scan of the whole app (398 ms at 200,000 records instead of 4 ms; docs/benchmarks.md,
//! "PostgreSQL"). Autovacuum analyzes a table only after 10% of it changed and only when one of its
//! few workers, shared by every database of the cluster, reaches it (a minute or more), so right
//! after a bulk import the lists were slow. [`refresh`] analyzes a record table when it has never
//! been analyzed and holds rows, or when as many rows changed since the last analysis as it held
//! then (an insert-only table doubled): a handful of `ANALYZE`s while a table grows to millions of
//! rows (each samples at most 30,000 rows, whatever the size). SQLite plans without such
//! statistics; [`refresh`] does nothing there.
//!
//! It also VACUUMs a record table by the same rule on the rows inserted since its last vacuum
//! (`VACUUM (ANALYZE)`, which does both). Why: the list planner's scans are meant to be index-only
//! (a driver's ids, the sort index walked, the counts), but PostgreSQL reads the table row of every
//! index entry until VACUUM has marked its page all-visible. After a 1M-record load nothing had
//! (`relallvisible` 0 on every record table, autovacuum off in that cluster, and an enabled
//! autovacuum waits for 20% of the table to be inserted): walking 20,000 sort-index entries read
//! 20,000 table rows (1.2 s cold). On an insert-only table a vacuum skips the pages already
//! all-visible, so the repeated vacuums of a growing table cost about one pass over it in all; it
//! takes no lock that blocks readers or writers.

use diesel::sql_types::{BigInt, Bool, Text};
use diesel::QueryableByName;

use super::{DbConn, Dialect};
use crate::error::EngineResult;

/// The tables whose statistics the list and count plans depend on. `change_log`: a `like` answered
/// from the search index reads the records changed after the index's position
/// (`seq > <position>`); never analyzed, PostgreSQL scanned all of it for that (55–110 ms at 1M
/// records) instead of reading the end of its primary key.
const RECORD_TABLES: [&str; 5] = [
    "records",
    "record_values_num",
    "record_values_text",
    "record_values_long",
    "change_log",
];

/// A table with fewer changed rows is left to autovacuum.
const MIN_CHANGED_ROWS: i64 = 1_000;

/// What `pg_stat_user_tables` says of one table.
#[derive(Debug, QueryableByName)]
struct TableActivity {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    live_rows: i64,
    #[diesel(sql_type = BigInt)]
    changed_since_analyze: i64,
    #[diesel(sql_type = Bool)]
    analyzed: bool,
    #[diesel(sql_type = BigInt)]
    inserted_since_vacuum: i64,
    #[diesel(sql_type = Bool)]
    vacuumed: bool,
}

/// Whether a table with these counts needs an `ANALYZE` now: it changed by at least
/// `MIN_CHANGED_ROWS`, and was never analyzed or the changes are half of its rows now. The same
/// rule on the rows inserted since the last vacuum says when it needs a `VACUUM`.
fn needs_analyze(live_rows: i64, changed_since_analyze: i64, analyzed: bool) -> bool {
    changed_since_analyze >= MIN_CHANGED_ROWS
        && (!analyzed || changed_since_analyze.saturating_mul(2) >= live_rows)
}

/// Analyzes (or vacuums and analyzes) the record tables that need it (see the module); returns
/// their names. Run outside a transaction (VACUUM cannot run inside one), on a connection of its own
/// (an `ANALYZE` of a large table takes up to a few hundred milliseconds, a first VACUUM after a
/// large import tens of seconds; neither locks a reader or writer out).
pub fn refresh(conn: &mut DbConn) -> EngineResult<Vec<&'static str>> {
    if conn.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    let mut b = conn.sql();
    b.push(
        "SELECT relname::text AS name, n_live_tup AS live_rows, \
         n_mod_since_analyze AS changed_since_analyze, \
         (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed, \
         n_ins_since_vacuum AS inserted_since_vacuum, \
         (last_vacuum IS NOT NULL OR last_autovacuum IS NOT NULL) AS vacuumed \
         FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname IN (",
    );
    for (i, table) in RECORD_TABLES.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind_text(table);
    }
    b.push(")");
    let activity: Vec<TableActivity> = conn.load(&b)?;
    let mut analyzed = Vec::new();
    for table in RECORD_TABLES {
        let Some(a) = activity.iter().find(|a| a.name == table) else {
            continue;
        };
        // `table` is one of the constants above, never input.
        if needs_analyze(a.live_rows, a.inserted_since_vacuum, a.vacuumed) {
            conn.batch_execute(&format!("VACUUM (ANALYZE) {table}"))?;
            analyzed.push(table);
        } else if needs_analyze(a.live_rows, a.changed_since_analyze, a.analyzed) {
            conn.batch_execute(&format!("ANALYZE {table}"))?;
            analyzed.push(table);
        }
    }
    Ok(analyzed)
}

#[cfg(test)]
mod tests {
    use super::needs_analyze;

    #[test]
    fn a_table_is_analyzed_once_it_holds_rows_and_again_after_growing_by_half() {
        // Never analyzed: as soon as enough rows changed.
        assert!(!needs_analyze(500, 500, false));
        assert!(needs_analyze(1_000, 1_000, false));
        // Analyzed: again when the changes reach half of the table.
        assert!(!needs_analyze(200_000, 99_999, true));
        assert!(needs_analyze(200_000, 100_000, true));
        // Small tables are autovacuum's.
        assert!(!needs_analyze(1_500, 900, true));
    }
}

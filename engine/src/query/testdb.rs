//! Test-only: an in-memory SQLite database with the core schema, pivot rows written by hand, and a
//! runner that compiles a query the way the record list does and returns the matching record ids in
//! order.

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Double, Text};
use diesel::sqlite::Sqlite;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use super::{compile_condition, compile_order, paging, prepare, QueryContext};
use crate::apps::FieldId;
use crate::db::{Dialect, SqlBuilder, SqlValue};

pub(crate) type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const CORE: &str = include_str!("../../../migrations/sqlite/2026-11-27-000001_core/up.sql");
const LIKE_FOLD: &str =
    include_str!("../../../migrations/sqlite/2026-12-03-000030_like_fold/up.sql");

pub(crate) const APP: i64 = 7;

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub(crate) struct TestDb {
    conn: SqliteConnection,
}

impl TestDb {
    pub fn new() -> TestResult<TestDb> {
        let mut conn = SqliteConnection::establish(":memory:")?;
        conn.batch_execute(CORE)?;
        conn.batch_execute(LIKE_FOLD)?;
        Ok(TestDb { conn })
    }

    fn exec(&mut self, b: &SqlBuilder) -> TestResult<usize> {
        Ok(bind_all(b).execute(&mut self.conn)?)
    }

    /// Adds records with the given ids (and an unrelated record of another app with the same id, which
    /// no query may return).
    pub fn records(&mut self, ids: &[i64]) -> TestResult {
        for &id in ids {
            for app in [APP, APP + 1] {
                let mut b = SqlBuilder::new(Dialect::Sqlite);
                b.push("INSERT INTO records (app_id, id, revision, creator, created_at, modifier, updated_at, data) VALUES (")
                    .bind_int(app)
                    .push(", ")
                    .bind_int(id)
                    .push(", 1, 'u', 0, 'u', 0, '{}')");
                self.exec(&b)?;
            }
        }
        Ok(())
    }

    pub fn num(&mut self, field: FieldId, record: i64, row: i64, value: Option<f64>) -> TestResult {
        let mut b = SqlBuilder::new(Dialect::Sqlite);
        b.push(
            "INSERT INTO record_values_num (app_id, field_id, record_id, row_id, value) VALUES (",
        )
        .bind_int(APP)
        .push(", ")
        .bind_int(i64::from(field))
        .push(", ")
        .bind_int(record)
        .push(", ")
        .bind_int(row)
        .push(", ");
        match value {
            Some(v) => b.bind_float(v),
            None => b.push("NULL"),
        };
        b.push(")");
        self.exec(&b).map(|_| ())
    }

    fn textual(
        &mut self,
        table: &str,
        field: FieldId,
        record: i64,
        row: i64,
        value: &str,
    ) -> TestResult {
        let mut b = SqlBuilder::new(Dialect::Sqlite);
        b.push(&format!(
            "INSERT INTO {table} (app_id, field_id, record_id, row_id, value, folded) VALUES ("
        ))
        .bind_int(APP)
        .push(", ")
        .bind_int(i64::from(field))
        .push(", ")
        .bind_int(record)
        .push(", ")
        .bind_int(row)
        .push(", ")
        .bind_text(value)
        .push(", ");
        match super::fold::stored(value) {
            Some(folded) => b.bind_text(&folded),
            None => b.push("NULL"),
        };
        b.push(")");
        self.exec(&b).map(|_| ())
    }

    pub fn text(&mut self, field: FieldId, record: i64, row: i64, value: &str) -> TestResult {
        self.textual("record_values_text", field, record, row, value)
    }

    pub fn long(&mut self, field: FieldId, record: i64, row: i64, value: &str) -> TestResult {
        self.textual("record_values_long", field, record, row, value)
    }

    /// Runs `query` as the record list would and returns the ids in result order.
    pub fn ids(&mut self, query: &str, ctx: &QueryContext<'_>) -> TestResult<Vec<i64>> {
        let q = prepare(query, ctx)?;
        let mut b = SqlBuilder::new(Dialect::Sqlite);
        b.push("SELECT r.id AS id FROM records r WHERE r.app_id = ")
            .bind_int(APP);
        compile_condition(&q, ctx, &mut b)?;
        compile_order(&q, ctx, &mut b)?;
        let p = paging(&q);
        b.push(" LIMIT ")
            .bind_int(p.limit)
            .push(" OFFSET ")
            .bind_int(p.offset);
        let rows: Vec<IdRow> = bind_all(&b)
            .load(&mut self.conn)
            .map_err(|e| format!("{e}: {}", b.sql))?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}

fn bind_all(
    b: &SqlBuilder,
) -> diesel::query_builder::BoxedSqlQuery<'static, Sqlite, diesel::query_builder::SqlQuery> {
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

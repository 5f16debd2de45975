//! The PostgreSQL side of writing pivot index rows: one `INSERT ... SELECT FROM UNNEST(arrays)`
//! statement per table and call, whatever the number of rows, instead of multi-row `VALUES` lists of
//! 500 rows with six placeholders each.
//!
//! Why (docs/benchmarks.md, "PostgreSQL at 1M"): a bulk add of 100 records writes ~2,000 index rows;
//! as `VALUES` lists that was 5–6 statements whose 3,000 placeholders PostgreSQL parsed and bound
//! one by one (parse + bind cost as much as the inserts' own execution), and which the engine
//! built as text and bound as as many separate values. With arrays the statement text is fixed
//! (six parameters), PostgreSQL receives each column as one array value, and the rows are the same.
//!
//! SQLite keeps `index::insert`'s `VALUES` lists (it has no arrays; its statements are local calls).

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use diesel::PgConnection;

use super::index::IndexRows;
use crate::apps::AppId;
use crate::error::EngineResult;

/// Rows per statement: bounds one statement's parameter size (a bulkRequest of 2,000 records
/// writes ~40,000 text rows: two statements).
const ROWS_PER_STATEMENT: usize = 20_000;

/// Inserts `rows` of `app` into the three pivot tables, one statement per table (and per
/// `ROWS_PER_STATEMENT` rows). Same rows as `index::insert`, folded forms included.
pub(crate) fn insert_index_rows(
    conn: &mut PgConnection,
    app: AppId,
    rows: &IndexRows,
) -> EngineResult<()> {
    for chunk in rows.num.chunks(ROWS_PER_STATEMENT) {
        let mut fields = Vec::with_capacity(chunk.len());
        let mut records = Vec::with_capacity(chunk.len());
        let mut row_ids = Vec::with_capacity(chunk.len());
        let mut values = Vec::with_capacity(chunk.len());
        for (record_id, field_id, row_id, value) in chunk {
            fields.push(*field_id);
            records.push(*record_id);
            row_ids.push(*row_id);
            values.push(*value);
        }
        diesel::sql_query(
            "INSERT INTO record_values_num (app_id, field_id, record_id, row_id, value) \
             SELECT $1, f, r, w, v FROM UNNEST($2::integer[], $3::bigint[], $4::bigint[], \
             $5::double precision[]) AS u(f, r, w, v)",
        )
        .bind::<BigInt, _>(app.0)
        .bind::<Array<Integer>, _>(&fields)
        .bind::<Array<BigInt>, _>(&records)
        .bind::<Array<BigInt>, _>(&row_ids)
        .bind::<Array<Nullable<Double>>, _>(&values)
        .execute(conn)?;
    }
    for (table, list) in [
        ("record_values_text", &rows.text),
        ("record_values_long", &rows.long),
    ] {
        for chunk in list.chunks(ROWS_PER_STATEMENT) {
            insert_text_rows(conn, table, app, chunk)?;
        }
    }
    Ok(())
}

/// One statement of text or long-text rows, with the folded form `like` compares
/// (`query::fold::stored`, NULL when the value serves).
fn insert_text_rows(
    conn: &mut PgConnection,
    table: &str,
    app: AppId,
    chunk: &[(i64, crate::apps::FieldId, i64, String)],
) -> EngineResult<()> {
    let mut fields = Vec::with_capacity(chunk.len());
    let mut records = Vec::with_capacity(chunk.len());
    let mut row_ids = Vec::with_capacity(chunk.len());
    let mut values = Vec::with_capacity(chunk.len());
    let mut folded = Vec::with_capacity(chunk.len());
    for (record_id, field_id, row_id, value) in chunk {
        fields.push(*field_id);
        records.push(*record_id);
        row_ids.push(*row_id);
        values.push(value.as_str());
        folded.push(crate::query::fold::stored(value));
    }
    // `table` is one of two constants chosen above, never input.
    diesel::sql_query(format!(
        "INSERT INTO {table} (app_id, field_id, record_id, row_id, value, folded) \
         SELECT $1, f, r, w, v, d FROM UNNEST($2::integer[], $3::bigint[], $4::bigint[], \
         $5::text[], $6::text[]) AS u(f, r, w, v, d)"
    ))
    .bind::<BigInt, _>(app.0)
    .bind::<Array<Integer>, _>(&fields)
    .bind::<Array<BigInt>, _>(&records)
    .bind::<Array<BigInt>, _>(&row_ids)
    .bind::<Array<Text>, _>(&values)
    .bind::<Array<Nullable<Text>>, _>(&folded)
    .execute(conn)?;
    Ok(())
}

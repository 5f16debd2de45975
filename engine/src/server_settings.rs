//! Server-wide values kept in the database, so that every node of a multi-node deployment shares them.

use diesel::prelude::*;

use crate::db::schema::server_settings;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// The stored value of `name`, creating it with `make()` on first use. Two nodes starting at once
/// agree: the loser of the insert race reads the winner's value.
pub fn get_or_create(
    conn: &mut DbConn,
    name: &str,
    make: impl FnOnce() -> String,
) -> EngineResult<String> {
    if let Some(v) = get(conn, name)? {
        return Ok(v);
    }
    let value = make();
    let inserted = with_conn!(conn, |c| diesel::insert_into(server_settings::table)
        .values((
            server_settings::name.eq(name),
            server_settings::value.eq(&value)
        ))
        .execute(c));
    match inserted {
        Ok(_) => Ok(value),
        Err(_) => Ok(get(conn, name)?.unwrap_or(value)),
    }
}

pub fn get(conn: &mut DbConn, name: &str) -> EngineResult<Option<String>> {
    let v = with_conn!(conn, |c| server_settings::table
        .find(name)
        .select(server_settings::value)
        .first::<String>(c)
        .optional())?;
    Ok(v)
}

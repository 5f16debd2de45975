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

/// The stored value of `name`, if any.
pub fn get(conn: &mut DbConn, name: &str) -> EngineResult<Option<String>> {
    let v = with_conn!(conn, |c| server_settings::table
        .find(name)
        .select(server_settings::value)
        .first::<String>(c)
        .optional())?;
    Ok(v)
}

/// Stores `value` under `name`, replacing any earlier value (an update, else an insert; both
/// backends). Runs in the caller's transaction.
pub fn set(conn: &mut DbConn, name: &str, value: &str) -> EngineResult<()> {
    let updated = with_conn!(conn, |c| diesel::update(server_settings::table.find(name))
        .set(server_settings::value.eq(value))
        .execute(c))?;
    if updated == 0 {
        with_conn!(conn, |c| diesel::insert_into(server_settings::table)
            .values((
                server_settings::name.eq(name),
                server_settings::value.eq(value)
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Removes `name` (nothing happens when it is not there).
pub fn delete(conn: &mut DbConn, name: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::delete(server_settings::table.find(name))
        .execute(c))?;
    Ok(())
}

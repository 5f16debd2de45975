//! Groups (roles): a flat list of codes with names.

use diesel::prelude::*;
use serde::Serialize;

use super::{check_code, check_name};
use crate::db::schema::groups;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::with_conn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = groups)]
pub struct Group {
    pub code: String,
    pub name: String,
}

fn no_such_group() -> EngineError {
    UserError::invalid("code", "The group does not exist.").into()
}

/// Every group, by code.
pub fn list_groups(conn: &mut DbConn) -> EngineResult<Vec<Group>> {
    let all = with_conn!(conn, |c| groups::table
        .order(groups::code.asc())
        .select(Group::as_select())
        .load(c))?;
    Ok(all)
}

pub fn find_group(conn: &mut DbConn, code: &str) -> EngineResult<Option<Group>> {
    let found = with_conn!(conn, |c| groups::table
        .find(code)
        .select(Group::as_select())
        .first(c)
        .optional())?;
    Ok(found)
}

/// Adds a group. A code in use is a validation error.
pub fn add_group(conn: &mut DbConn, code: &str, name: &str) -> EngineResult<Group> {
    check_code("code", code)?;
    check_name("name", name)?;
    if find_group(conn, code)?.is_some() {
        return Err(UserError::invalid("code", "This code is already used.").into());
    }
    let g = Group {
        code: code.to_owned(),
        name: name.trim().to_owned(),
    };
    with_conn!(conn, |c| diesel::insert_into(groups::table)
        .values((groups::code.eq(&g.code), groups::name.eq(&g.name)))
        .execute(c))?;
    Ok(g)
}

/// Renames a group; returns it before and after.
pub fn update_group(conn: &mut DbConn, code: &str, name: &str) -> EngineResult<(Group, Group)> {
    check_name("name", name)?;
    let before = find_group(conn, code)?.ok_or_else(no_such_group)?;
    let after = Group {
        name: name.trim().to_owned(),
        ..before.clone()
    };
    with_conn!(conn, |c| diesel::update(groups::table.find(code))
        .set(groups::name.eq(&after.name))
        .execute(c))?;
    Ok((before, after))
}

/// Deletes a group and its memberships; returns it.
pub fn delete_group(conn: &mut DbConn, code: &str) -> EngineResult<Group> {
    let g = find_group(conn, code)?.ok_or_else(no_such_group)?;
    super::members::remove_group_members(conn, code)?;
    with_conn!(conn, |c| diesel::delete(groups::table.find(code))
        .execute(c))?;
    Ok(g)
}

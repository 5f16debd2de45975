//! Memberships: which departments (one of them primary) and groups each user belongs to. Setting a
//! user's memberships replaces them as a whole, so one call states the full picture.

use diesel::prelude::*;

use super::{find_department, find_group};
use crate::db::schema::{user_departments, user_groups};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::users::User;
use crate::with_conn;

/// Departments of `user` as (code, is_primary), primary first, then by code.
pub fn user_departments(conn: &mut DbConn, user: &str) -> EngineResult<Vec<(String, bool)>> {
    let rows: Vec<(String, bool)> = with_conn!(conn, |c| user_departments::table
        .filter(user_departments::user_code.eq(user))
        .order((
            user_departments::is_primary.desc(),
            user_departments::department_code.asc(),
        ))
        .select((
            user_departments::department_code,
            user_departments::is_primary,
        ))
        .load(c))?;
    Ok(rows)
}

/// The primary department of `user`, if any.
pub fn primary_department(conn: &mut DbConn, user: &str) -> EngineResult<Option<String>> {
    Ok(user_departments(conn, user)?
        .into_iter()
        .find(|(_, p)| *p)
        .map(|(c, _)| c))
}

/// Group codes of `user`, by code.
pub fn user_groups(conn: &mut DbConn, user: &str) -> EngineResult<Vec<String>> {
    let rows = with_conn!(conn, |c| user_groups::table
        .filter(user_groups::user_code.eq(user))
        .order(user_groups::group_code.asc())
        .select(user_groups::group_code)
        .load(c))?;
    Ok(rows)
}

/// User codes directly in `department`, by code.
pub fn members_of_department(conn: &mut DbConn, department: &str) -> EngineResult<Vec<String>> {
    let rows = with_conn!(conn, |c| user_departments::table
        .filter(user_departments::department_code.eq(department))
        .order(user_departments::user_code.asc())
        .select(user_departments::user_code)
        .load(c))?;
    Ok(rows)
}

/// User codes in `group`, by code.
pub fn members_of_group(conn: &mut DbConn, group: &str) -> EngineResult<Vec<String>> {
    let rows = with_conn!(conn, |c| user_groups::table
        .filter(user_groups::group_code.eq(group))
        .order(user_groups::user_code.asc())
        .select(user_groups::user_code)
        .load(c))?;
    Ok(rows)
}

fn require_user(conn: &mut DbConn, user: &str) -> EngineResult<()> {
    if User::find_by_code(conn, user)?.is_none() {
        return Err(UserError::invalid("code", "The user does not exist.").into());
    }
    Ok(())
}

fn dedup(codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in codes {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// Replaces the departments of `user`. `primary` must be one of `codes`; when it is `None` the first
/// department becomes primary. Unknown codes are a validation error naming their position.
pub fn set_user_departments(
    conn: &mut DbConn,
    user: &str,
    codes: &[String],
    primary: Option<&str>,
) -> EngineResult<()> {
    require_user(conn, user)?;
    let codes = dedup(codes);
    for (i, code) in codes.iter().enumerate() {
        if find_department(conn, code)?.is_none() {
            return Err(UserError::invalid(
                format!("departments[{i}]"),
                "The department does not exist.",
            )
            .into());
        }
    }
    let primary = match primary {
        Some(p) if !codes.iter().any(|c| c == p) => {
            return Err(UserError::invalid(
                "primaryDepartment",
                "The primary department must be one of the user's departments.",
            )
            .into())
        }
        Some(p) => Some(p.to_owned()),
        None => codes.first().cloned(),
    };
    with_conn!(conn, |c| diesel::delete(
        user_departments::table.filter(user_departments::user_code.eq(user))
    )
    .execute(c))?;
    for code in &codes {
        let is_primary = primary.as_deref() == Some(code.as_str());
        with_conn!(conn, |c| diesel::insert_into(user_departments::table)
            .values((
                user_departments::user_code.eq(user),
                user_departments::department_code.eq(code),
                user_departments::is_primary.eq(is_primary),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Replaces the groups of `user`.
pub fn set_user_groups(conn: &mut DbConn, user: &str, codes: &[String]) -> EngineResult<()> {
    require_user(conn, user)?;
    let codes = dedup(codes);
    for (i, code) in codes.iter().enumerate() {
        if find_group(conn, code)?.is_none() {
            return Err(
                UserError::invalid(format!("groups[{i}]"), "The group does not exist.").into(),
            );
        }
    }
    with_conn!(conn, |c| diesel::delete(
        user_groups::table.filter(user_groups::user_code.eq(user))
    )
    .execute(c))?;
    for code in &codes {
        with_conn!(conn, |c| diesel::insert_into(user_groups::table)
            .values((
                user_groups::user_code.eq(user),
                user_groups::group_code.eq(code),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Removes every membership of a department (before it is deleted). Explicit rather than left to
/// `ON DELETE CASCADE`, which SQLite applies only with `foreign_keys=ON`.
pub(crate) fn remove_department_members(conn: &mut DbConn, department: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::delete(
        user_departments::table.filter(user_departments::department_code.eq(department))
    )
    .execute(c))?;
    Ok(())
}

/// Removes every membership of a group (before it is deleted).
pub(crate) fn remove_group_members(conn: &mut DbConn, group: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::delete(
        user_groups::table.filter(user_groups::group_code.eq(group))
    )
    .execute(c))?;
    Ok(())
}

//! Saved recipient lists (送付先リスト), e.g. 「県内35市町村」: a name and organisations, owned by
//! the user who saved them and seen only by them. A draft names a list as a recipient
//! (`{kind: "list", code: <list id>}`); the send expands it.

use diesel::prelude::*;
use serde_json::{json, Value};

use super::store::organisation;
use super::{refused, Organisation, DEPARTMENT, SPACE};
use crate::acting::ActingContext;
use crate::db::schema::survey_lists;
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ENTRIES: usize = 5_000;

fn refuse_guests_and_tokens(acting: &ActingContext) -> EngineResult<()> {
    let p = acting.principal();
    if p.is_token() {
        return Err(UserError::TokenNotPermitted.into());
    }
    if p.is_guest() || acting.guest_space().is_some() {
        return Err(UserError::Forbidden.into());
    }
    Ok(())
}

/// The actor's lists: `{lists: [{id, name, entries: [{kind, code, name}]}]}`.
pub fn list(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Value> {
    refuse_guests_and_tokens(acting)?;
    let me = acting.user_code().to_owned();
    let rows: Vec<(i64, String, String)> = with_conn!(conn, |c| survey_lists::table
        .filter(survey_lists::owner.eq(&me))
        .order(survey_lists::id.asc())
        .select((survey_lists::id, survey_lists::name, survey_lists::entries))
        .load(c))?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, entries) in rows {
        let entries: Vec<Organisation> = serde_json::from_str(&entries).unwrap_or_default();
        let mut shown = Vec::with_capacity(entries.len());
        for e in entries {
            let current = organisation(conn, &e.kind, &e.code)?.map(|(n, _)| n);
            shown.push(json!({
                "kind": e.kind,
                "code": e.code,
                "name": current.unwrap_or(e.name),
            }));
        }
        out.push(json!({"id": id, "name": name, "entries": shown}));
    }
    Ok(json!({ "lists": out }))
}

fn checked_entries(
    conn: &mut DbConn,
    entries: &[(String, String)],
) -> EngineResult<Vec<Organisation>> {
    if entries.len() > MAX_ENTRIES {
        return Err(refused(
            "entries",
            "surveys.err.tooManyRecipients",
            "Too many recipients.",
        )
        .into());
    }
    let mut out: Vec<Organisation> = Vec::with_capacity(entries.len());
    for (i, (kind, code)) in entries.iter().enumerate() {
        let known = if matches!(kind.as_str(), SPACE | DEPARTMENT) {
            organisation(conn, kind, code)?
        } else {
            None
        };
        let Some((name, _)) = known else {
            return Err(refused(
                &format!("entries[{i}].code"),
                "surveys.err.unknownOrganisation",
                &format!("The organisation ({kind}: {code}) does not exist."),
            )
            .into());
        };
        if !out.iter().any(|o| o.kind == *kind && o.code == *code) {
            out.push(Organisation {
                kind: kind.clone(),
                code: code.clone(),
                name,
            });
        }
    }
    Ok(out)
}

fn checked_name(name: &str) -> EngineResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(refused(
            "name",
            "surveys.err.listName",
            "Enter a name of 1 to 100 characters.",
        )
        .into());
    }
    Ok(name.to_owned())
}

/// Saves a new list of the actor; returns its id.
pub fn create(
    conn: &mut DbConn,
    acting: &ActingContext,
    name: &str,
    entries: &[(String, String)],
) -> EngineResult<i64> {
    refuse_guests_and_tokens(acting)?;
    let name = checked_name(name)?;
    let entries = serde_json::to_string(&checked_entries(conn, entries)?)?;
    let now = acting.now().timestamp();
    let me = acting.user_code().to_owned();
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(survey_lists::table)
        .values((
            survey_lists::name.eq(&name),
            survey_lists::owner.eq(&me),
            survey_lists::entries.eq(&entries),
            survey_lists::created_at.eq(now),
            survey_lists::updated_at.eq(now),
        ))
        .returning(survey_lists::id)
        .get_result(c))?;
    acting.audit(
        conn,
        super::audit_action::LIST_SAVE,
        &format!("survey_list:{id}"),
        json!({"name": name}),
    )?;
    Ok(id)
}

fn own_list(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    let owner: Option<String> = with_conn!(conn, |c| survey_lists::table
        .find(id)
        .select(survey_lists::owner)
        .first(c)
        .optional())?;
    if owner.as_deref() != Some(acting.user_code()) {
        return Err(UserError::Forbidden.into());
    }
    Ok(())
}

/// Changes one of the actor's lists (`None` keeps a part).
pub fn update(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    name: Option<&str>,
    entries: Option<&[(String, String)]>,
) -> EngineResult<()> {
    refuse_guests_and_tokens(acting)?;
    own_list(conn, acting, id)?;
    let now = acting.now().timestamp();
    if let Some(name) = name {
        let name = checked_name(name)?;
        with_conn!(conn, |c| diesel::update(survey_lists::table.find(id))
            .set((
                survey_lists::name.eq(&name),
                survey_lists::updated_at.eq(now)
            ))
            .execute(c))?;
    }
    if let Some(entries) = entries {
        let entries = serde_json::to_string(&checked_entries(conn, entries)?)?;
        with_conn!(conn, |c| diesel::update(survey_lists::table.find(id))
            .set((
                survey_lists::entries.eq(&entries),
                survey_lists::updated_at.eq(now),
            ))
            .execute(c))?;
    }
    acting.audit(
        conn,
        super::audit_action::LIST_SAVE,
        &format!("survey_list:{id}"),
        json!({}),
    )
}

/// Deletes one of the actor's lists.
pub fn delete(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    refuse_guests_and_tokens(acting)?;
    own_list(conn, acting, id)?;
    with_conn!(conn, |c| diesel::delete(survey_lists::table.find(id))
        .execute(c))?;
    acting.audit(
        conn,
        super::audit_action::LIST_DELETE,
        &format!("survey_list:{id}"),
        json!({}),
    )
}

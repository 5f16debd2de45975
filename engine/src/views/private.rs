//! Private views (kintone's 個人用の一覧): list views that one user keeps for one app, seen only by
//! them. Stored in `private_views`, keyed by (app, user, view id); ids count up per app and user and
//! are never reused while the view exists. Deleting the app deletes them (foreign key cascade).
//!
//! The caller (the platform's route) checks that the user may view the app and passes a query context
//! carrying the user's rights; `save`/`replace_all` check every view with [`super::check_view`] before
//! writing anything.
//!
//! Issue 16, dashboards: a private view may be pinned to its owner's dashboard; deleting the view
//! (`delete`, or leaving it out of `replace_all`) removes its pins in the same transaction
//! (`dashboards::forget_private_view`), as ids may be given again to a later view.

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Map, Value};

use super::{check_view, Kind};
use crate::apps::AppId;
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, UserError};
use crate::query::QueryContext;

/// Most private views one user keeps per app.
pub const MAX_PER_USER: usize = 50;

/// The members of a view that are stored (anything else sent is dropped).
const STORED: [&str; 4] = ["type", "fields", "filterCond", "sort"];

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    view_id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// A user's private views of an app in their order, each as
/// `{id, name, index, type, fields, filterCond, sort}` (ids and index as strings, as kintone's views).
pub fn list(conn: &mut DbConn, app: AppId, user: &str) -> EngineResult<Vec<Value>> {
    let mut b = conn.sql();
    b.push("SELECT view_id, name, definition FROM private_views WHERE app_id = ")
        .bind_int(app.0)
        .push(" AND user_code = ")
        .bind_text(user)
        .push(" ORDER BY position, view_id");
    let rows: Vec<Row> = conn.load(&b)?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let mut v: Map<String, Value> = serde_json::from_str(&row.definition)?;
        v.insert("id".into(), Value::String(row.view_id.to_string()));
        v.insert("name".into(), Value::String(row.name));
        v.insert("index".into(), Value::String(i.to_string()));
        out.push(Value::Object(v));
    }
    Ok(out)
}

/// Checks `views` (a list of view objects) and returns them normalised: the stored members only,
/// with empty `filterCond`/`sort` and `fields: []` written out. Names must differ.
fn checked(
    views: &[Value],
    ctx: &QueryContext<'_>,
) -> Result<Vec<(Option<i64>, String, Value)>, UserError> {
    let mut errors = FieldErrors::new();
    if views.len() > MAX_PER_USER {
        errors.insert(
            "views".into(),
            vec![format!("Keep at most {MAX_PER_USER} private views per app.").into()],
        );
    }
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(views.len());
    for (i, view) in views.iter().enumerate() {
        let prefix = format!("views[{i}]");
        let Some(obj) = view.as_object() else {
            errors.insert(prefix, vec!["Enter a view object.".into()]);
            continue;
        };
        check_view(obj, ctx, Kind::Private, &prefix, &mut errors);
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !name.is_empty() && !names.insert(name.clone()) {
            errors
                .entry(format!("{prefix}.name"))
                .or_default()
                .push(format!("Another private view is named \"{name}\".").into());
        }
        let id = match obj.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => match v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            {
                Some(n) if n > 0 => Some(n),
                _ => {
                    errors.insert(format!("{prefix}.id"), vec!["Enter a view id.".into()]);
                    None
                }
            },
        };
        let mut stored = Map::new();
        for key in STORED {
            let value = obj.get(key).cloned().unwrap_or(Value::Null);
            let value = match (key, value) {
                ("type", Value::Null) => json!("LIST"),
                ("fields", Value::Null) => json!([]),
                ("filterCond" | "sort", Value::Null) => json!(""),
                (_, v) => v,
            };
            stored.insert(key.into(), value);
        }
        out.push((id, name, Value::Object(stored)));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(UserError::Validation(errors))
    }
}

fn existing_ids(conn: &mut DbConn, app: AppId, user: &str) -> EngineResult<Vec<i64>> {
    let mut b = conn.sql();
    b.push("SELECT view_id AS n FROM private_views WHERE app_id = ")
        .bind_int(app.0)
        .push(" AND user_code = ")
        .bind_text(user);
    let rows: Vec<crate::db::IntRow> = conn.load(&b)?;
    Ok(rows.into_iter().map(|r| r.n).collect())
}

fn unknown_view(key: String, id: i64) -> UserError {
    UserError::invalid(key, format!("The private view (id: {id}) does not exist."))
}

fn write(
    conn: &mut DbConn,
    app: AppId,
    user: &str,
    id: i64,
    position: i64,
    name: &str,
    definition: &Value,
) -> EngineResult<()> {
    let json = serde_json::to_string(definition)?;
    let now = chrono::Utc::now().timestamp();
    let mut b = conn.sql();
    b.push("INSERT INTO private_views (app_id, user_code, view_id, position, name, definition, updated_at) VALUES (")
        .bind_int(app.0)
        .push(", ")
        .bind_text(user)
        .push(", ")
        .bind_int(id)
        .push(", ")
        .bind_int(position)
        .push(", ")
        .bind_text(name)
        .push(", ")
        .bind_text(&json)
        .push(", ")
        .bind_int(now)
        .push(")");
    conn.execute(&b)?;
    Ok(())
}

fn delete_all(conn: &mut DbConn, app: AppId, user: &str) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM private_views WHERE app_id = ")
        .bind_int(app.0)
        .push(" AND user_code = ")
        .bind_text(user);
    conn.execute(&b)?;
    Ok(())
}

/// Replaces all of a user's private views of an app with `views` (in this order). A view with an
/// `id` keeps it (the id must exist); one without gets a new id. Returns the saved list.
///
/// Errors: `Validation` (`CB_VA01`) keyed `views[<i>].<member>` for a bad view, a repeated name or an
/// unknown id; nothing is written then.
pub fn replace_all(
    conn: &mut DbConn,
    ctx: &QueryContext<'_>,
    app: AppId,
    user: &str,
    views: &[Value],
) -> EngineResult<Vec<Value>> {
    let views = checked(views, ctx)?;
    let known = existing_ids(conn, app, user)?;
    let mut next = known.iter().copied().max().unwrap_or(0) + 1;
    for (i, (id, _, _)) in views.iter().enumerate() {
        if let Some(id) = id.filter(|id| !known.contains(id)) {
            return Err(unknown_view(format!("views[{i}].id"), id).into());
        }
    }
    for gone in known
        .iter()
        .filter(|k| !views.iter().any(|(id, _, _)| *id == Some(**k)))
    {
        crate::dashboards::forget_private_view(conn, app, user, *gone)?;
    }
    delete_all(conn, app, user)?;
    for (position, (id, name, definition)) in views.iter().enumerate() {
        let id = id.unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        write(conn, app, user, id, position as i64, name, definition)?;
    }
    list(conn, app, user)
}

/// Adds one private view (no `id`: placed last) or changes one (`id`: keeps its place); the user's
/// other views are left as they are. Returns its id.
///
/// Errors: `Validation` (`CB_VA01`) keyed `views[0].<member>` for a bad view, a name used by another
/// of the user's views of the app, an unknown id, or one view too many; nothing is written then.
pub fn save(
    conn: &mut DbConn,
    ctx: &QueryContext<'_>,
    app: AppId,
    user: &str,
    view: &Value,
) -> EngineResult<i64> {
    let mut views = checked(std::slice::from_ref(view), ctx)?;
    let Some((id, name, definition)) = views.pop() else {
        return Err(UserError::invalid("view", "Enter a view object.").into());
    };
    let others = list(conn, app, user)?;
    let id_of = |v: &Value| {
        v.get("id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<i64>().ok())
    };
    if let Some(id) = id.filter(|id| !others.iter().any(|v| id_of(v) == Some(*id))) {
        return Err(unknown_view("views[0].id".into(), id).into());
    }
    if others
        .iter()
        .any(|v| id_of(v) != id && v.get("name").and_then(Value::as_str) == Some(name.as_str()))
    {
        return Err(UserError::invalid(
            "views[0].name",
            format!("Another private view is named \"{name}\"."),
        )
        .into());
    }
    if let Some(id) = id {
        let json = serde_json::to_string(&definition)?;
        let mut b = conn.sql();
        b.push("UPDATE private_views SET name = ")
            .bind_text(&name)
            .push(", definition = ")
            .bind_text(&json)
            .push(", updated_at = ")
            .bind_int(chrono::Utc::now().timestamp())
            .push(" WHERE app_id = ")
            .bind_int(app.0)
            .push(" AND user_code = ")
            .bind_text(user)
            .push(" AND view_id = ")
            .bind_int(id);
        conn.execute(&b)?;
        return Ok(id);
    }
    if others.len() >= MAX_PER_USER {
        return Err(UserError::invalid(
            "views",
            format!("Keep at most {MAX_PER_USER} private views per app."),
        )
        .into());
    }
    let id = existing_ids(conn, app, user)?
        .into_iter()
        .max()
        .unwrap_or(0)
        + 1;
    write(conn, app, user, id, others.len() as i64, &name, &definition)?;
    Ok(id)
}

/// Deletes one of the user's private views of the app.
///
/// Errors: `Validation` on `id` when the user has no such view.
pub fn delete(conn: &mut DbConn, app: AppId, user: &str, id: i64) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM private_views WHERE app_id = ")
        .bind_int(app.0)
        .push(" AND user_code = ")
        .bind_text(user)
        .push(" AND view_id = ")
        .bind_int(id);
    if conn.execute(&b)? == 0 {
        return Err(unknown_view("id".into(), id).into());
    }
    crate::dashboards::forget_private_view(conn, app, user, id)
}

//! What a list pin shows: the first records of a view of an app, read with the viewer's rights —
//! the app's view right, the record-view condition (`list_records` with the viewer's query
//! context) and the field rights (`record_json` leaves out what the viewer may not see).
//!
//! A list pin names a shared view by its id, or one of the viewer's own private views as
//! `private:<id>` (the record list's `?view=` value for it); a private view is looked up among the
//! caller's own, so nobody reaches another user's.

use serde_json::Value;

use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::{AppDefinition, AppId, LiveApp};
use crate::db::DbConn;
use crate::error::{EngineResult, Message, UserError};
use crate::fields::FieldType;
use crate::query;
use crate::records::{list_records, record_json, ListRequest};

/// Columns a list pin shows when its view names none.
const DEFAULT_COLUMNS: usize = 4;

/// The view `id` of an app: its name and definition.
pub fn find_view<'d>(def: &'d AppDefinition, id: &str) -> Option<(&'d str, &'d Value)> {
    def.views.iter().find_map(|(name, v)| {
        let vid = match v.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return None,
        };
        (vid == id).then_some((name.as_str(), v))
    })
}

/// How a private view is named in a pin's item and in the record list's `?view=`.
const PRIVATE_PREFIX: &str = "private:";

/// Whether a list pin's item names a private view.
pub fn is_private(item: &str) -> bool {
    item.starts_with(PRIVATE_PREFIX)
}

/// The item naming private view `id`.
pub fn private_item(id: i64) -> String {
    format!("{PRIVATE_PREFIX}{id}")
}

/// A view a list pin shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedView {
    pub name: String,
    /// The record list's `?view=` value: the shared view's name, or `private:<id>`.
    pub key: String,
    pub definition: Value,
}

/// The view `item` names (`None` for every record): a shared view of the app by id, or, for
/// `private:<id>`, one of the caller's own private views.
///
/// Errors: `Validation` on `item` when there is no such view (for private views: none of the
/// caller's).
pub fn resolve_view(
    conn: &mut DbConn,
    acting: &ActingContext,
    live: &LiveApp,
    item: &str,
) -> EngineResult<Option<ResolvedView>> {
    if item.is_empty() {
        return Ok(None);
    }
    let Some(id) = item.strip_prefix(PRIVATE_PREFIX) else {
        return match find_view(&live.definition, item) {
            Some((name, v)) => Ok(Some(ResolvedView {
                name: name.to_owned(),
                key: name.to_owned(),
                definition: v.clone(),
            })),
            None => Err(UserError::invalid("item", "The view does not exist.").into()),
        };
    };
    let missing = || {
        UserError::invalid(
            "item",
            Message::keyed(
                "dash.private_missing",
                "You have no such private view of this app.",
            ),
        )
    };
    let id: i64 = id.parse().map_err(|_| missing())?;
    let owner = acting.principal().acting_user().to_owned();
    let found = crate::views::private::list(conn, live.id(), &owner)?
        .into_iter()
        .find(|v| v.get("id").and_then(Value::as_str) == Some(id.to_string().as_str()))
        .ok_or_else(missing)?;
    Ok(Some(ResolvedView {
        name: found
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        key: private_item(id),
        definition: found,
    }))
}

/// A list pin as the viewer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PinnedList {
    pub app_name: String,
    /// The view's name; empty for every record.
    pub view_name: String,
    /// The record list's `?view=` value for the view; empty for every record.
    pub view_key: String,
    /// `(code, label)` of each column.
    pub columns: Vec<(String, String)>,
    /// Per record: its id and one text per column (empty where the viewer may not see the field).
    pub records: Vec<(i64, Vec<String>)>,
}

/// The columns of a view: the ones it lists, else the first few fields that read as text.
fn columns(def: &AppDefinition, view: Option<&Value>) -> Vec<(String, String)> {
    let label = |code: &str| {
        def.field(code)
            .map(|f| f.property.label.clone())
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| code.to_owned())
    };
    let listed: Vec<String> = view
        .and_then(|v| v.get("fields"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|c| def.properties.contains_key(*c))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let codes: Vec<String> = if listed.is_empty() {
        def.properties
            .iter()
            .filter(|(_, p)| {
                let t = p.field_type;
                !t.is_layout_only()
                    && !matches!(
                        t,
                        FieldType::Subtable
                            | FieldType::File
                            | FieldType::Status
                            | FieldType::StatusAssignee
                            | FieldType::Category
                            | FieldType::Creator
                            | FieldType::Modifier
                            | FieldType::CreatedTime
                            | FieldType::UpdatedTime
                    )
            })
            .take(DEFAULT_COLUMNS)
            .map(|(c, _)| c.clone())
            .collect()
    } else {
        listed
    };
    codes
        .into_iter()
        .map(|c| {
            let l = label(&c);
            (c, l)
        })
        .collect()
}

/// One value as a line of text: people and entities by name, lists joined with 「、」, subtables
/// by their row count.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            if items
                .iter()
                .any(|i| i.get("value").is_some() && i.get("id").is_some())
            {
                return format!("({})", items.len());
            }
            items
                .iter()
                .map(cell_text)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("、")
        }
        Value::Object(m) => m
            .get("name")
            .or_else(|| m.get("code"))
            .map(cell_text)
            .unwrap_or_default(),
    }
}

/// The first `rows` records of view `view` (empty: every record, newest first; `private:<id>`:
/// one of the caller's private views) of `app`, as the caller may see them.
///
/// Errors: the app's (`AppNotFound` when the caller may not view it); `Validation` for a view the
/// app (or the caller) no longer has; the query's when the view's filter or sort no longer checks
/// for this caller (a field removed, or one the caller may not see).
pub fn open_list(
    conn: &mut DbConn,
    acting: &ActingContext,
    app: AppId,
    view: &str,
    rows: i64,
) -> EngineResult<PinnedList> {
    let live = acting.open_app(conn, app, AppRight::View)?;
    let found = resolve_view(conn, acting, &live, view)?;
    let text = |key: &str| {
        found
            .as_ref()
            .and_then(|v| v.definition.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let (filter, sort) = (text("filterCond"), text("sort"));
    let sort = if sort.is_empty() {
        "$id desc".to_owned()
    } else {
        sort
    };
    let q = format!("{filter} order by {sort}");
    let ctx = acting.query_context(&live, None);
    let parsed = query::prepare(&q, &ctx)?;
    let limit = rows.clamp(1, super::MAX_ROWS);
    let records = list_records(
        conn,
        &live,
        &ListRequest {
            query: &parsed,
            context: &ctx,
            limit: Some(limit),
            offset: Some(0),
        },
    )?;
    let columns = columns(&live.definition, found.as_ref().map(|v| &v.definition));
    let codes: Vec<String> = columns.iter().map(|(c, _)| c.clone()).collect();
    let records = records
        .iter()
        .map(|r| {
            let shown = record_json(&live, r, Some(&codes));
            let cells = codes
                .iter()
                .map(|c| {
                    shown
                        .get(c)
                        .and_then(|v| v.get("value"))
                        .map(cell_text)
                        .unwrap_or_default()
                })
                .collect();
            (r.id, cells)
        })
        .collect();
    Ok(PinnedList {
        app_name: live.definition.name.clone(),
        view_name: found.as_ref().map(|v| v.name.clone()).unwrap_or_default(),
        view_key: found.map(|v| v.key).unwrap_or_default(),
        columns,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::cell_text;
    use serde_json::json;

    #[test]
    fn cells_read_as_text() {
        assert_eq!(cell_text(&json!(null)), "");
        assert_eq!(cell_text(&json!("受付")), "受付");
        assert_eq!(
            cell_text(&json!([{"code": "sato", "name": "佐藤"}, {"code": "x", "name": ""}])),
            "佐藤"
        );
        assert_eq!(cell_text(&json!(["A", "B"])), "A、B");
        assert_eq!(
            cell_text(&json!([{"id": "1", "value": {}}, {"id": "2", "value": {}}])),
            "(2)"
        );
    }
}

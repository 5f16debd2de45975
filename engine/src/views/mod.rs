//! List views (kintone's 一覧): the shared views of an app, stored in its definition
//! (`app/views.json`) and deployed with it, and each user's private views (個人用の一覧, `private`),
//! stored per (app, user) and never deployed.
//!
//! Guarantees:
//! - one check (`check_view`) for both kinds: a name of 1 to 64 characters, a known type, columns that
//!   are top-level data fields of the app (system fields, Status and Assignee included) without
//!   repeats, a calendar's date field of a date type, a `filterCond` that parses and checks with the
//!   query language as a condition only (no `order by`, `limit`, `offset`), and a `sort` that parses as
//!   sort keys the app can sort by; every problem is a `CB_VA01` message keyed under the view;
//! - the query checks run with the caller's rights when the context carries them, so a private view
//!   cannot filter on a field its owner may not see; the records a view lists are read through the
//!   normal record API, which applies record and field permissions again.

pub mod private;

use serde_json::{Map, Value};

use crate::apps::AppDefinition;
use crate::error::FieldErrors;
use crate::fields::FieldType;
use crate::query::{self, QueryContext};

/// Longest view name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Most columns in one view.
pub const MAX_COLUMNS: usize = 100;

/// Which view types a check accepts: shared views may be any of kintone's, private views are lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shared,
    Private,
}

/// Field types a calendar can place records by.
fn is_date_type(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::Date | FieldType::Datetime | FieldType::CreatedTime | FieldType::UpdatedTime
    )
}

/// Why `code` cannot be a column (or a calendar's date/title), or None when it can.
fn column_problem(def: &AppDefinition, code: &str) -> Option<String> {
    match def.properties.get(code) {
        Some(p) if !p.field_type.is_layout_only() => None,
        Some(_) => Some(format!(
            "The field ({code}) holds no values and cannot be shown."
        )),
        None if def.field(code).is_some() => Some(format!(
            "The field ({code}) is inside a table; choose a field outside tables."
        )),
        None => Some(format!("The field ({code}) does not exist.")),
    }
}

/// Checks one view (an `app/views.json` member, or a private view) and writes its problems into
/// `errors` under `prefix` (`views.<name>` or `views[<i>]`): `prefix.name`, `.type`, `.fields`,
/// `.date`, `.title`, `.filterCond`, `.sort`. Returns the view type (LIST when left out).
pub fn check_view(
    view: &Map<String, Value>,
    ctx: &QueryContext<'_>,
    kind: Kind,
    prefix: &str,
    errors: &mut FieldErrors,
) -> String {
    let def = ctx.definition;
    let mut add = |key: &str, message: String| {
        errors
            .entry(format!("{prefix}.{key}"))
            .or_default()
            .push(message.into());
    };
    let name = view.get("name").and_then(Value::as_str).unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        add(
            "name",
            format!("Enter a view name of 1 to {MAX_NAME_CHARS} characters."),
        );
    }
    let view_type = view
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("LIST")
        .to_owned();
    match (kind, view_type.as_str()) {
        (Kind::Shared, "LIST" | "CALENDAR" | "CUSTOM") | (Kind::Private, "LIST") => {}
        (Kind::Shared, _) => add("type", "Enter LIST, CALENDAR or CUSTOM.".into()),
        (Kind::Private, _) => add("type", "A private view is a LIST view.".into()),
    }
    match view.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            if list.len() > MAX_COLUMNS {
                add(
                    "fields",
                    format!("A view shows at most {MAX_COLUMNS} columns."),
                );
            }
            let mut seen = std::collections::HashSet::new();
            for code in list {
                let Some(code) = code.as_str() else {
                    add("fields", "Enter field codes as text.".into());
                    continue;
                };
                if let Some(problem) = column_problem(def, code) {
                    add("fields", problem);
                } else if !seen.insert(code) {
                    add("fields", format!("The field ({code}) is listed twice."));
                }
            }
        }
        Some(_) => add("fields", "Enter a list of field codes.".into()),
    }
    if view_type == "CALENDAR" {
        let date = view.get("date").and_then(Value::as_str).unwrap_or_default();
        match def.properties.get(date) {
            _ if date.is_empty() => add("date", "Choose the date field of the calendar.".into()),
            Some(p) if is_date_type(p.field_type) => {}
            Some(_) => add(
                "date",
                format!(
                    "The field ({date}) is not a date, date and time, created or updated field."
                ),
            ),
            None => add("date", format!("The field ({date}) does not exist.")),
        }
        let title = view
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(problem) = (!title.is_empty())
            .then(|| column_problem(def, title))
            .flatten()
        {
            add("title", problem);
        }
    }
    let filter = view
        .get("filterCond")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match query::parse(filter) {
        Ok(q) if !q.order_by.is_empty() || q.limit.is_some() || q.offset.is_some() => add(
            "filterCond",
            "Enter only conditions here; choose the sort order separately (no order by, limit or offset)."
                .into(),
        ),
        Ok(q) => {
            if let Err(e) = query::check(&q, ctx) {
                add("filterCond", e.to_string());
            }
        }
        Err(e) => add("filterCond", e.to_string()),
    }
    let sort = view.get("sort").and_then(Value::as_str).unwrap_or_default();
    if !sort.trim().is_empty() {
        match query::parse(&format!("order by {sort}")) {
            Ok(q) if q.limit.is_some() || q.offset.is_some() || q.condition.is_some() => {
                add("sort", "Enter sort keys only (field asc or desc).".into())
            }
            Ok(q) => {
                if let Err(e) = query::check(&q, ctx) {
                    add("sort", e.to_string());
                }
            }
            Err(e) => add("sort", e.to_string()),
        }
    }
    view_type
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldProperty;
    use serde_json::json;

    fn app() -> AppDefinition {
        let mut def = AppDefinition::new("備品貸出管理");
        for (t, code) in [
            (FieldType::SingleLineText, "備品名"),
            (FieldType::Date, "貸出日"),
            (FieldType::Label, "説明"),
        ] {
            def.properties
                .insert(code.into(), FieldProperty::new(t, code, code));
        }
        def.assign_field_ids();
        def
    }

    fn check(def: &AppDefinition, view: Value, kind: Kind) -> FieldErrors {
        let ctx = QueryContext {
            definition: def,
            login_user: "sato",
            primary_organization: None,
            timezone: chrono_tz::Asia::Tokyo,
            now: chrono::Utc::now(),
            access: None,
            text_matcher: None,
        };
        let mut errors = FieldErrors::new();
        let obj = view.as_object().cloned().unwrap_or_default();
        check_view(&obj, &ctx, kind, "v", &mut errors);
        errors
    }

    #[test]
    fn a_good_view_has_no_problems() {
        let def = app();
        let errors = check(
            &def,
            json!({"name": "貸出中", "type": "LIST", "fields": ["Record_number", "備品名", "Status", "Assignee", "Updated_by"],
                   "filterCond": "備品名 like \"PC\"", "sort": "貸出日 desc, Record_number asc"}),
            Kind::Shared,
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn bad_members_are_reported_under_the_view() {
        let def = app();
        let errors = check(
            &def,
            json!({"name": "", "type": "CALENDAR", "fields": ["無い", "説明", "備品名", "備品名"],
                   "date": "備品名", "filterCond": "備品名 = \"a\" order by 貸出日 asc", "sort": "無い asc"}),
            Kind::Private,
        );
        for key in [
            "v.name",
            "v.type",
            "v.fields",
            "v.date",
            "v.filterCond",
            "v.sort",
        ] {
            assert!(errors.contains_key(key), "{key}: {errors:?}");
        }
        assert_eq!(errors["v.fields"].len(), 3);
    }
}

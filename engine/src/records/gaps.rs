//! How many records of an app have no value for a field, kept exact on write (`record_value_gaps`).
//!
//! The list planner walks a sort field's value index; records without a value are not in it and
//! sort first in ascending order (last in descending). Finding them means checking every record of
//! the app for a missing pivot row, which at a million records costs more than the whole page
//! (docs/benchmarks.md, "List queries: ascending walks and range+in"). When this count says there are
//! none, the walk skips that check.
//!
//! "No value" is exactly what the walk's check tests: no row-0 pivot row with a non-NULL value (an
//! empty NUMBER has a NULL row, an empty text has no row, a field added after the record has no row).
//! Guarantees: a counter row, where present, equals that number in the same transaction; every path
//! that writes records or pivot rows of a tracked field keeps it (`written`), drops it (`forget`), or
//! the counter is computed again from the rows (`on_deploy`). An absent row means "not known" and
//! costs the walk the old check, never a wrong answer. Writers of one app are serialized
//! (`write::lock_app_id_for_write`), so `missing = missing + delta` never races.

use std::collections::{HashMap, HashSet};

use crate::apps::{AppDefinition, AppId, FieldId};
use crate::db::{DbConn, IntRow};
use crate::error::EngineResult;
use crate::fields::{FieldType, IndexKind};

use super::index::IndexRows;

/// The fields whose gaps are counted: sortable, top-level, with a pivot row per record. The status
/// fields only while the process is on (their rows are written only then).
fn tracked(def: &AppDefinition) -> Vec<(FieldId, IndexKind)> {
    def.field_ids
        .keys()
        .filter_map(|code| def.field(code))
        .filter(|f| f.subtable.is_none() && f.property.field_type.is_sortable())
        .filter(|f| {
            !matches!(
                f.property.field_type,
                FieldType::Status | FieldType::StatusAssignee
            ) || def.process_enabled()
        })
        .filter_map(|f| match f.property.field_type.index_kind() {
            kind @ (IndexKind::Number | IndexKind::Text) => Some((f.id, kind)),
            _ => None,
        })
        .collect()
}

/// How many records of the app have no value of the field, if known.
pub(crate) fn missing(
    conn: &mut DbConn,
    app_id: i64,
    field_id: FieldId,
) -> EngineResult<Option<i64>> {
    let mut b = conn.sql();
    b.push("SELECT missing AS n FROM record_value_gaps WHERE app_id = ")
        .bind_int(app_id)
        .push(" AND field_id = ")
        .bind_int(i64::from(field_id));
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n))
}

/// Records (distinct ids) that have a value of each field in `rows`.
fn valued(rows: &IndexRows) -> HashMap<FieldId, HashSet<i64>> {
    let mut out: HashMap<FieldId, HashSet<i64>> = HashMap::new();
    let num = rows
        .num
        .iter()
        .filter(|(_, _, row, value)| *row == 0 && value.is_some())
        .map(|(record, field, _, _)| (*record, *field));
    let text = rows
        .text
        .iter()
        .filter(|(_, _, row, _)| *row == 0)
        .map(|(record, field, _, _)| (*record, *field));
    for (record, field) in num.chain(text) {
        out.entry(field).or_default().insert(record);
    }
    out
}

/// Keeps the counters after a write that replaced the pivot rows `before` with `after` and added
/// `records_added` records (negative: deleted). `before` holds the rows of records that existed and
/// were rewritten or deleted, `after` those of records that exist afterwards.
pub(crate) fn written(
    conn: &mut DbConn,
    app: AppId,
    def: &AppDefinition,
    records_added: i64,
    before: &IndexRows,
    after: &IndexRows,
) -> EngineResult<()> {
    let (before, after) = (valued(before), valued(after));
    let count = |m: &HashMap<FieldId, HashSet<i64>>, f: &FieldId| {
        m.get(f)
            .map(|s| i64::try_from(s.len()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    };
    for (field, _) in tracked(def) {
        let delta = records_added - (count(&after, &field) - count(&before, &field));
        if delta == 0 {
            continue;
        }
        let mut b = conn.sql();
        b.push("UPDATE record_value_gaps SET missing = missing + ")
            .bind_int(delta)
            .push(" WHERE app_id = ")
            .bind_int(app.0)
            .push(" AND field_id = ")
            .bind_int(i64::from(field));
        conn.execute(&b)?;
    }
    Ok(())
}

/// Drops the counters of the given fields (all of the app's with `None`): their rows were rewritten
/// by a path that does not count.
pub(crate) fn forget(
    conn: &mut DbConn,
    app: AppId,
    fields: Option<&[FieldId]>,
) -> EngineResult<()> {
    let mut b = conn.sql();
    b.push("DELETE FROM record_value_gaps WHERE app_id = ")
        .bind_int(app.0);
    if let Some(fields) = fields {
        if fields.is_empty() {
            return Ok(());
        }
        b.push(" AND field_id IN (");
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_int(i64::from(*f));
        }
        b.push(")");
    }
    conn.execute(&b)?;
    Ok(())
}

/// After a deploy changed the definition from `old` to `new` (and the process sync rewrote the
/// status rows if its settings changed): drops the counters of fields no longer tracked and of the
/// status fields when the process changed, and counts, from the rows, every tracked field without a
/// counter (a new field: the app's record count; a database from before the counters: one pass over
/// the field's index rows).
pub(crate) fn on_deploy(
    conn: &mut DbConn,
    app: AppId,
    old: Option<&AppDefinition>,
    new: &AppDefinition,
) -> EngineResult<()> {
    super::write::lock_app_id_for_write(conn, app.0)?;
    let fields = tracked(new);
    let mut stale: Vec<FieldId> = old
        .map(|o| {
            tracked(o)
                .into_iter()
                .map(|(f, _)| f)
                .filter(|f| !fields.iter().any(|(g, _)| g == f))
                .collect()
        })
        .unwrap_or_default();
    if old.is_none_or(|o| o.process != new.process) {
        stale.extend(
            [FieldType::Status, FieldType::StatusAssignee]
                .into_iter()
                .filter_map(|t| new.field_of_type(t).map(|f| f.id)),
        );
    }
    // A field of no tracked kind any more (or a removed one) keeps no counter either.
    stale.extend(
        new.field_ids
            .values()
            .filter(|id| !fields.iter().any(|(f, _)| f == *id)),
    );
    forget(conn, app, Some(&stale))?;
    let mut known: HashSet<i64> = HashSet::new();
    {
        let mut b = conn.sql();
        b.push("SELECT CAST(field_id AS BIGINT) AS n FROM record_value_gaps WHERE app_id = ")
            .bind_int(app.0);
        let rows: Vec<IntRow> = conn.load(&b)?;
        known.extend(rows.into_iter().map(|r| r.n));
    }
    let mut records: Option<i64> = None;
    for (field, kind) in fields {
        if known.contains(&i64::from(field)) {
            continue;
        }
        let total = match records {
            Some(n) => n,
            None => {
                let mut b = conn.sql();
                b.push("SELECT COUNT(*) AS n FROM records WHERE app_id = ")
                    .bind_int(app.0);
                let rows: Vec<IntRow> = conn.load(&b)?;
                let n = rows.first().map(|r| r.n).unwrap_or(0);
                records = Some(n);
                n
            }
        };
        let with_value = if total == 0 {
            0
        } else {
            let table = match kind {
                IndexKind::Number => "record_values_num",
                _ => "record_values_text",
            };
            let mut b = conn.sql();
            b.push(&format!(
                "SELECT COUNT(DISTINCT record_id) AS n FROM {table} WHERE app_id = "
            ))
            .bind_int(app.0)
            .push(" AND field_id = ")
            .bind_int(i64::from(field))
            .push(" AND row_id = 0 AND value IS NOT NULL");
            let rows: Vec<IntRow> = conn.load(&b)?;
            rows.first().map(|r| r.n).unwrap_or(0)
        };
        let mut b = conn.sql();
        b.push("INSERT INTO record_value_gaps (app_id, field_id, missing) VALUES (")
            .bind_int(app.0)
            .push(", ")
            .bind_int(i64::from(field))
            .push(", ")
            .bind_int(total - with_value)
            .push(")");
        conn.execute(&b)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::AppRight;
    use crate::acting::{ActingContext, Channel};
    use crate::apps::LiveApp;
    use crate::fields::FieldProperty;
    use crate::records::{
        add_records, delete_records, update_records, Actor, RecordTarget, RecordUpdate,
    };
    use serde_json::{json, Map, Value};

    type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    /// The number `missing` stands for, counted from the rows as the walk's check tests it.
    fn counted(conn: &mut DbConn, app: AppId, field: FieldId, table: &str) -> TestResult<i64> {
        let mut b = conn.sql();
        b.push("SELECT COUNT(*) AS n FROM records r WHERE r.app_id = ")
            .bind_int(app.0)
            .push(&format!(
                " AND NOT EXISTS (SELECT 1 FROM {table} v WHERE v.app_id = r.app_id AND v.field_id = {field} AND v.record_id = r.id AND v.row_id = 0 AND v.value IS NOT NULL)"
            ));
        let rows: Vec<IntRow> = conn.load(&b)?;
        Ok(rows.first().map(|r| r.n).unwrap_or(-1))
    }

    fn open(conn: &mut DbConn, app: AppId) -> TestResult<LiveApp> {
        let acting = ActingContext::system(Channel::Api, chrono_tz::Asia::Tokyo);
        Ok(acting.open_app(conn, app, AppRight::View)?)
    }

    fn record(values: Value) -> Map<String, Value> {
        let mut out = Map::new();
        if let Value::Object(v) = values {
            for (code, value) in v {
                out.insert(code, json!({ "value": value }));
            }
        }
        out
    }

    /// Every counter equals the count from the rows after adds, updates that empty and fill
    /// values, deletes, a field added to an app with records and a field removed.
    #[test]
    fn counters_follow_every_write() -> TestResult {
        let (_guard, db) = crate::db::scratch::database("gaps")?;
        let mut conn = db.conn()?;
        let mut def = AppDefinition::new("gaps");
        for f in [
            FieldProperty::new(FieldType::Number, "n", "n"),
            FieldProperty::new(FieldType::SingleLineText, "t", "t"),
            FieldProperty::new(FieldType::Date, "d", "d"),
        ] {
            def.properties.insert(f.code.clone(), f);
        }
        let (app, _) = crate::apps::create_app(&mut conn, def, None, None, "u")?;
        crate::apps::deploy(&mut conn, app, None, false, "u", |_, _, _| Ok(()))?;
        let actor = Actor {
            code: "u".into(),
            name: "u".into(),
            timezone: chrono_tz::Asia::Tokyo,
            scripts: None,
        };
        // Every tracked field (the three and the system fields) has a counter equal to the rows'.
        let check = |conn: &mut DbConn| -> TestResult {
            let live = open(conn, app)?;
            let fields = tracked(&live.definition);
            assert!(fields.len() >= 3, "{fields:?}");
            let mut known = 0;
            for (field, kind) in fields.iter().copied() {
                let table = match kind {
                    IndexKind::Number => "record_values_num",
                    _ => "record_values_text",
                };
                if let Some(n) = missing(conn, app.0, field)? {
                    assert_eq!(n, counted(conn, app, field, table)?, "field {field}");
                    known += 1;
                }
            }
            assert_eq!(known, fields.len(), "counters kept");
            Ok(())
        };
        check(&mut conn)?;
        let live = open(&mut conn, app)?;
        let ids = add_records(
            &mut conn,
            &live,
            &[
                record(json!({"n": "1", "t": "a", "d": "2024-01-01"})),
                record(json!({"n": "", "t": "", "d": "2024-01-02"})),
                record(json!({"t": "b"})),
                record(json!({"n": "4", "d": "2024-01-04"})),
            ],
            &actor,
            true,
        )?;
        check(&mut conn)?;
        let target = |i: usize| RecordTarget::Id(ids[i].0);
        update_records(
            &mut conn,
            &live,
            &[
                RecordUpdate {
                    target: target(0),
                    record: record(json!({"n": "", "t": ""})),
                    revision: None,
                },
                RecordUpdate {
                    target: target(1),
                    record: record(json!({"n": "2", "t": "x"})),
                    revision: None,
                },
                RecordUpdate {
                    target: target(2),
                    record: record(json!({"d": "2024-02-02"})),
                    revision: None,
                },
            ],
            &actor,
            true,
            false,
        )?;
        check(&mut conn)?;
        delete_records(&mut conn, &live, &[ids[1].0, ids[3].0], &[None, None])?;
        check(&mut conn)?;
        // A field added while records exist: none of them has a value of it.
        crate::apps::save_preview(&mut conn, app, None, "u", |d| {
            let f = FieldProperty::new(FieldType::Number, "late", "late");
            d.properties.insert(f.code.clone(), f);
            d.properties.shift_remove("t");
            Ok(())
        })?;
        crate::apps::deploy(&mut conn, app, None, false, "u", |_, _, _| Ok(()))?;
        check(&mut conn)?;
        let live = open(&mut conn, app)?;
        let late = live.definition.field("late").map(|f| f.id).ok_or("late")?;
        assert_eq!(missing(&mut conn, app.0, late)?, Some(2));
        add_records(
            &mut conn,
            &live,
            &[record(json!({"late": "5"}))],
            &actor,
            false,
        )?;
        check(&mut conn)?;
        assert_eq!(missing(&mut conn, app.0, late)?, Some(2));
        crate::apps::delete_app(&mut conn, app)?;
        let mut b = conn.sql();
        b.push("SELECT COUNT(*) AS n FROM record_value_gaps WHERE app_id = ")
            .bind_int(app.0);
        let rows: Vec<IntRow> = conn.load(&b)?;
        assert_eq!(rows.first().map(|r| r.n), Some(0), "dropped with the app");
        Ok(())
    }
}

//! Reading records: one by id, lists by query (compiled to SQL over the pivot indexes), counts, and
//! unique-value lookups.

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{Map, Value};

use crate::apps::LiveApp;
use crate::db::{DbConn, IntRow};
use crate::error::{EngineResult, UserError};
use crate::fields::IndexKind;
use crate::query::{self, plan, plan_like, Query, QueryContext};

/// A stored record: id, revision and values keyed by field code (system fields included).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: i64,
    pub revision: i64,
    pub values: Map<String, Value>,
}

#[derive(QueryableByName)]
struct RecordRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    revision: i64,
    #[diesel(sql_type = Text)]
    data: String,
}

impl RecordRow {
    fn into_record(self) -> EngineResult<StoredRecord> {
        Ok(StoredRecord {
            id: self.id,
            revision: self.revision,
            values: serde_json::from_str(&self.data)?,
        })
    }
}

/// One record, or `RecordNotFound` — also when the caller may not view it (`app.access`).
pub fn get_record(conn: &mut DbConn, app: &LiveApp, id: i64) -> EngineResult<StoredRecord> {
    if !record_rights(conn, app, &app.access, id)?.view {
        return Err(UserError::RecordNotFound(id.to_string()).into());
    }
    let mut b = conn.sql();
    b.push("SELECT r.id, r.revision, r.data FROM records r WHERE r.app_id = ")
        .bind_int(app.row.id)
        .push(" AND r.id = ")
        .bind_int(id);
    let rows: Vec<RecordRow> = conn.load(&b)?;
    rows.into_iter()
        .next()
        .ok_or_else(|| UserError::RecordNotFound(id.to_string()).into())
        .and_then(RecordRow::into_record)
}

/// The caller's rights on record `id` (none when it does not exist); every right without rules.
pub fn record_rights(
    conn: &mut DbConn,
    app: &LiveApp,
    access: &crate::acl::Access,
    id: i64,
) -> EngineResult<crate::acl::RecordRights> {
    let rights = access.rights;
    if !access.has_record_rules() {
        return Ok(crate::acl::RecordRights {
            view: rights.view,
            edit: rights.edit,
            delete: rights.delete,
        });
    }
    let found = crate::acl::sql::records_rights(conn, app, access, &[id])?;
    Ok(found.get(&id).map(|(r, _)| *r).unwrap_or_default())
}

/// What a list call asks for.
pub struct ListRequest<'a> {
    pub query: &'a Query,
    pub context: &'a QueryContext<'a>,
    /// Overrides the query's limit/offset (cursors page by their own size).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Records matching a prepared query, in its order, limited and offset as it says.
pub fn list_records(
    conn: &mut DbConn,
    app: &LiveApp,
    req: &ListRequest<'_>,
) -> EngineResult<Vec<StoredRecord>> {
    let paging = query::paging(req.query);
    let limit = req.limit.unwrap_or(paging.limit);
    let offset = req.offset.unwrap_or(paging.offset);
    // The full-text index asked once per call and for this app only (`query::plan_like`).
    let matcher = plan_like::AppMatcher::of(req.context, app.row.id);
    let ctx = plan_like::scoped(req.context, matcher.as_ref());
    let plan = plan::choose(
        conn,
        app.row.id,
        app.row.next_record_id,
        req.query,
        &ctx,
        Some(limit.saturating_add(offset)),
    )?;
    // A selective value index drives better than a `like`; otherwise the `like` may.
    let from_like = match plan {
        plan::Plan::Drive(_) => None,
        _ => plan_like::list(
            conn,
            app.row.id,
            app.row.next_record_id,
            req.query,
            &ctx,
            limit,
            offset,
        )?,
    };
    // Ids first, then the page's rows: sorting and skipping never carry the (wide) record data.
    let ids: Vec<IntRow> = match from_like {
        Some(ids) => ids.into_iter().map(|n| IntRow { n }).collect(),
        None => plan::load(
            conn,
            app.row.id,
            "r.id AS n",
            req.query,
            &ctx,
            &plan,
            limit,
            offset,
        )?,
    };
    let mut found: std::collections::HashMap<i64, RecordRow> =
        std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut b = conn.sql();
        b.push("SELECT r.id, r.revision, r.data FROM records r WHERE r.app_id = ")
            .bind_int(app.row.id)
            .push(" AND r.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_int(id.n);
        }
        b.push(")");
        let rows: Vec<RecordRow> = conn.load(&b)?;
        found.extend(rows.into_iter().map(|r| (r.id, r)));
    }
    let rows = ids.iter().filter_map(|id| found.remove(&id.n));
    rows.into_iter().map(RecordRow::into_record).collect()
}

/// How many records match the query's condition (limit and offset ignored).
pub fn count_records(
    conn: &mut DbConn,
    app: &LiveApp,
    q: &Query,
    ctx: &QueryContext<'_>,
) -> EngineResult<i64> {
    let matcher = plan_like::AppMatcher::of(ctx, app.row.id);
    let ctx = &plan_like::scoped(ctx, matcher.as_ref());
    let plan = plan::choose(conn, app.row.id, app.row.next_record_id, q, ctx, None)?;
    if plan == plan::Plan::Plain {
        // The records the full-text index finds for a `like`, tested one by one, rather than
        // every record of the app.
        if let Some(n) = plan_like::count(conn, app.row.id, q, ctx)? {
            return Ok(n);
        }
    }
    // Without a selective driver the count would probe every record of a large app; the value
    // indexes can answer an AND of indexed conditions by themselves.
    if plan == plan::Plan::Plain && app.row.next_record_id >= plan::SMALL_APP {
        if let Some(n) = plan::count_from_indexes(conn, app.row.id, app.row.next_record_id, q, ctx)?
        {
            return Ok(n);
        }
    }
    plan::count(conn, app.row.id, q, ctx, &plan)
}

/// The id of the record whose top-level field `code` equals `value` (other than `exclude`), if any.
/// Uses the `(app_id, field_id, value, record_id)` index.
pub fn find_by_unique_value(
    conn: &mut DbConn,
    app: &LiveApp,
    code: &str,
    value: &str,
    exclude: Option<i64>,
) -> EngineResult<Option<i64>> {
    let Some(field) = app.definition.field(code) else {
        return Ok(None);
    };
    if field.subtable.is_some() {
        return Ok(None);
    }
    let mut b = conn.sql();
    match field.property.field_type.index_kind() {
        IndexKind::Number => {
            let Ok(n) = value.trim().parse::<f64>() else {
                return Ok(None);
            };
            b.push("SELECT record_id AS n FROM record_values_num WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND row_id = 0 AND field_id = ")
                .bind_int(i64::from(field.id))
                .push(" AND value = ")
                .bind_float(n);
        }
        IndexKind::Text => {
            b.push("SELECT record_id AS n FROM record_values_text WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND row_id = 0 AND field_id = ")
                .bind_int(i64::from(field.id))
                .push(" AND value = ")
                .bind_text(value);
        }
        IndexKind::None if field.property.field_type == crate::fields::FieldType::RecordNumber => {
            let digits = value.rsplit('-').next().unwrap_or(value);
            let Ok(id) = digits.parse::<i64>() else {
                return Ok(None);
            };
            b.push("SELECT id AS n FROM records WHERE app_id = ")
                .bind_int(app.row.id)
                .push(" AND id = ")
                .bind_int(id);
        }
        _ => return Ok(None),
    }
    if let Some(ex) = exclude {
        let column = if field.property.field_type == crate::fields::FieldType::RecordNumber {
            "id"
        } else {
            "record_id"
        };
        b.push(&format!(" AND {column} <> ")).bind_int(ex);
    }
    b.push(" LIMIT 1");
    let rows: Vec<IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n))
}

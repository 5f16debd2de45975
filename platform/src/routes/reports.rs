//! Issue 16, charts: `app/reports.json` (read live or pre-live; write pre-live, with the app-management
//! right, as the views) and Kumiki's `GET /api/app/report/data.json?app=&id=`, a report's aggregated
//! table as the caller may see it. The checks and the aggregation are the engine's (`reports`).

use kumiki_engine::apps::AppId;
use kumiki_engine::reports::{self, aggregate::DataRow};
use kumiki_engine::UserError;
use serde_json::{json, Value};

use super::call::Call;
use super::form::{change_preview, stage_definition};
use crate::error::ApiError;
use crate::params::Params;

pub fn get_reports(call: &mut Call, p: &Params, preview: bool) -> Result<Value, ApiError> {
    let (def, revision) = stage_definition(call, p, preview)?;
    Ok(json!({"reports": def.reports, "revision": revision.to_string()}))
}

pub fn update_reports(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let sent = p
        .opt_object("reports")?
        .ok_or_else(|| ApiError::invalid("reports", "Required field."))?
        .clone();
    let tz = call.caller.timezone;
    let mut ids = serde_json::Map::new();
    let result = change_preview(call, p, |def| {
        ids = reports::replace_reports(def, &sent, tz)?;
        Ok(())
    })?;
    Ok(json!({"reports": ids, "revision": result["revision"]}))
}

/// `{report{id,name,chartType,chartMode,groups,aggregations}, rows[{keys, values}], rest, total}`.
pub fn get_data(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let id = match p.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::invalid("id", "Required field.")),
    };
    let acting = call.acting;
    let (_, report, data) = reports::open_report(call.conn, acting, AppId(app), &id)?
        .ok_or_else(|| UserError::ReportNotFound(id.clone()))?;
    let row = |r: &DataRow| json!({"keys": r.keys, "values": r.values});
    Ok(json!({
        "report": {
            "id": report.id,
            "name": report.name,
            "chartType": report.chart_type,
            "groups": report.groups.iter().map(|g| json!({"code": g.code, "per": g.per.map(|p| p.name())})).collect::<Vec<_>>(),
            "aggregations": report.aggregations.iter().map(|a| json!({"type": a.kind.name(), "code": a.code})).collect::<Vec<_>>(),
        },
        "rows": data.rows.iter().map(row).collect::<Vec<_>>(),
        "rest": data.rest.as_ref().map(row),
        "total": row(&data.total),
    }))
}

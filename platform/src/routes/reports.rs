//! Issue 16, charts: `app/reports.json` (read live or pre-live; write pre-live, with the app-management
//! right, as the views) and Kumiki's `GET /api/app/report/data.json?app=&id=`, a report's aggregated
//! table as the caller may see it. The checks and the aggregation are the engine's (`reports`).
//! Periodic reports: `GET /api/app/report/snapshots.json?app=&id=[&snapshot=]`, the past results
//! (`reports::snapshots`), for those who may see numbers of every record.

use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::AppId;
use kumiki_engine::reports::snapshots::{self, Past, SnapshotSummary};
use kumiki_engine::reports::{self, aggregate::DataRow, Report};
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
    Ok(data_json(&report, &data))
}

fn data_json(report: &Report, data: &reports::aggregate::ReportData) -> Value {
    let row = |r: &DataRow| json!({"keys": r.keys, "values": r.values});
    json!({
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
    })
}

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn summary_json(s: &SnapshotSummary) -> Value {
    json!({
        "id": s.id.to_string(),
        "period": s.period_label,
        "periodStart": iso(s.period_start),
        "takenAt": iso(s.taken_at),
    })
}

/// Periodic reports' past results: without `snapshot`, `{snapshots: [{id, period, periodStart,
/// takenAt}]}` newest first; with it, `{snapshot{...}, report{...}, rows, rest, total}` as the data
/// API. Refused (`CB_NO02`) for callers a record rule narrows (they could not see every record the
/// snapshot counted) unless they manage the app.
pub fn get_snapshots(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let id = match p.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::invalid("id", "Required field.")),
    };
    let wanted = match p.get("snapshot") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.parse::<i64>()
                .map_err(|_| ApiError::invalid("snapshot", "Enter a snapshot id."))?,
        ),
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .ok_or_else(|| ApiError::invalid("snapshot", "Enter a snapshot id."))?,
        ),
        Some(_) => return Err(ApiError::invalid("snapshot", "Enter a snapshot id.")),
    };
    let acting = call.acting;
    let live = acting.open_app(call.conn, AppId(app), AppRight::View)?;
    let ctx = acting.query_context(&live, None);
    if reports::find_report(&ctx, &id)?.is_none() {
        return Err(UserError::ReportNotFound(id).into());
    }
    let Some(wanted) = wanted else {
        return match snapshots::list(call.conn, &live, &id)? {
            Past::Shown(list) => {
                Ok(json!({"snapshots": list.iter().map(summary_json).collect::<Vec<_>>()}))
            }
            Past::Hidden => Err(UserError::Forbidden.into()),
        };
    };
    let snapshot = match snapshots::open(call.conn, &live, &id, wanted)? {
        Past::Shown(Some(s)) => s,
        Past::Shown(None) => return Err(UserError::ReportNotFound(id).into()),
        Past::Hidden => return Err(UserError::Forbidden.into()),
    };
    let report = snapshots::report_of(&ctx, &snapshot)?;
    let mut answer = data_json(
        &Report {
            id: id.clone(),
            ..report
        },
        &snapshot.data,
    );
    answer["snapshot"] = summary_json(&snapshot.summary);
    Ok(answer)
}

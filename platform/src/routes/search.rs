//! Full-text search: `GET /api/search.json` (kumiki/search) for every signed-in user or API token,
//! permission-filtered by `kumiki_search`; `GET /api/search/status.json` (kumiki/search/status) for
//! administrators: index position, lag, size and files that could not be read.

use chrono::{NaiveDate, TimeZone};
use kumiki_engine::acl::Principal;
use kumiki_search::{PartKind, SearchError, SearchRequest, Sort};
use serde_json::Value;

use super::call::Call;
use crate::error::ApiError;
use crate::params::Params;

const DEFAULT_SIZE: usize = 20;

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::BadRequest { param, message } => ApiError::invalid(param, &message),
            SearchError::Engine(e) => e.into(),
            other => {
                tracing::error!(error = %other, "search failed");
                ApiError::internal()
            }
        }
    }
}

/// A date (`YYYY-MM-DD`, in the caller's time zone; `to` covers the whole day) or an ISO 8601
/// date-time, as unix seconds.
fn parse_time(key: &str, s: &str, tz: chrono_tz::Tz, end_of_day: bool) -> Result<i64, ApiError> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let time = if end_of_day {
            d.and_hms_opt(23, 59, 59)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        if let Some(t) = time.and_then(|t| tz.from_local_datetime(&t).earliest()) {
            return Ok(t.timestamp());
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|_| {
            ApiError::invalid(
                key,
                "Enter a date (YYYY-MM-DD) or a date and time (ISO 8601, e.g. 2026-04-01T09:00:00Z).",
            )
        })
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn request(call: &Call, p: &Params) -> Result<SearchRequest, ApiError> {
    let tz = call.caller.timezone;
    let mut apps = Vec::new();
    for item in p.opt_str_list("app")?.unwrap_or_default() {
        for part in item.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let id = part
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("app", "Enter app ids (integers)."))?;
            apps.push(id);
        }
    }
    let sort = match non_empty(p.opt_str("sort")?).as_deref() {
        None | Some("best") => Sort::Best,
        Some("newest") => Sort::Newest,
        Some(_) => return Err(ApiError::invalid("sort", "Enter best or newest.")),
    };
    let kind = match non_empty(p.opt_str("kind")?) {
        None => None,
        Some(k) => Some(
            PartKind::parse(&k)
                .ok_or_else(|| ApiError::invalid("kind", "Enter field, comment or file."))?,
        ),
    };
    let from = match non_empty(p.opt_str("from")?) {
        Some(s) => Some(parse_time("from", &s, tz, false)?),
        None => None,
    };
    let to = match non_empty(p.opt_str("to")?) {
        Some(s) => Some(parse_time("to", &s, tz, true)?),
        None => None,
    };
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    let size = p.opt_i64("size")?.unwrap_or(DEFAULT_SIZE as i64);
    if !(0..=100_000).contains(&offset) {
        return Err(ApiError::invalid(
            "offset",
            "Enter an offset from 0 to 100000.",
        ));
    }
    Ok(SearchRequest {
        q: p.opt_str("q")?.unwrap_or_default(),
        apps,
        field: non_empty(p.opt_str("field")?),
        creator: non_empty(p.opt_str("creator")?),
        from,
        to,
        file_type: non_empty(p.opt_str("fileType")?),
        kind,
        sort,
        offset: usize::try_from(offset).unwrap_or(0),
        size: usize::try_from(size).unwrap_or(0),
    })
}

/// `GET /api/search.json`.
pub fn search(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let req = request(call, p)?;
    let state = call.state;
    let response = state.search.search(call.conn, call.acting, &req)?;
    serde_json::to_value(response).map_err(|_| ApiError::internal())
}

/// `GET /api/search/status.json`: administrators only.
pub fn status(call: &mut Call, _p: &Params) -> Result<Value, ApiError> {
    match call.caller.principal {
        Principal::User { is_admin: true, .. } => {}
        _ => return Err(ApiError::no_privilege()),
    }
    let state = call.state;
    let status = state.search.status(call.conn)?;
    serde_json::to_value(status).map_err(|_| ApiError::internal())
}

//! `bulkRequest.json`: up to 20 record API calls in one transaction. The first failure rolls back
//! everything and is answered as `{"results": [{}, {<error>}, {}...]}` with that call's status.

use actix_web::http::Method;
use serde_json::{json, Value};

use super::call::Call;
use super::{dispatch, Failure};
use crate::error::ApiError;
use crate::params::Params;

const MAX_REQUESTS: usize = 20;

/// A failure inside a bulk request: which sub-request, and its error.
pub struct BulkFailure {
    pub index: usize,
    pub total: usize,
    pub error: ApiError,
}

/// The APIs a bulk request may call (kintone allows record writes only).
fn allowed(api: &str) -> bool {
    matches!(
        api,
        "record" | "records" | "record/status" | "records/status" | "record/assignees"
    )
}

/// Splits `/k/v1/records.json` or `/k/guest/3/v1/records.json` into (guest space, api name).
pub fn parse_api_path(path: &str) -> Option<(Option<i64>, String)> {
    let path = path.strip_suffix(".json")?;
    if let Some(rest) = path.strip_prefix("/k/v1/") {
        return Some((None, rest.to_owned()));
    }
    let rest = path.strip_prefix("/k/guest/")?;
    let (space, rest) = rest.split_once('/')?;
    let api = rest.strip_prefix("v1/")?;
    Some((Some(space.parse().ok()?), api.to_owned()))
}

pub fn run(call: &mut Call, p: &Params) -> Result<Value, Failure> {
    let requests = p
        .opt_array("requests")?
        .ok_or_else(|| ApiError::invalid("requests", "Required field."))?;
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return Err(Failure::Api(ApiError::invalid(
            "requests",
            "Specify from 1 to 20 requests.",
        )));
    }
    let mut parsed = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let method = r.get("method").and_then(Value::as_str).unwrap_or_default();
        let method = match method {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            _ => {
                return Err(Failure::Api(ApiError::invalid(
                    &format!("requests[{i}].method"),
                    "Enter POST, PUT or DELETE.",
                )))
            }
        };
        let api_path = r.get("api").and_then(Value::as_str).unwrap_or_default();
        let Some((space, api)) = parse_api_path(api_path).filter(|(_, api)| allowed(api)) else {
            return Err(Failure::Api(ApiError::invalid(
                &format!("requests[{i}].api"),
                "Specify a record API path.",
            )));
        };
        if space != call.guest_space() {
            return Err(Failure::Api(ApiError::invalid(
                &format!("requests[{i}].api"),
                "All requests must be in the same space as the bulk request.",
            )));
        }
        // Borrowed, not copied: a bulk add carries up to 2,000 records.
        parsed.push((method, api, r.get("payload")));
    }
    let total = parsed.len();
    let mut results = Vec::with_capacity(total);
    let no_payload = json!({});
    for (index, (method, api, payload)) in parsed.into_iter().enumerate() {
        match dispatch(call, &method, &api, payload.unwrap_or(&no_payload)) {
            Ok(v) => results.push(v),
            Err(error) => {
                return Err(Failure::Bulk(BulkFailure {
                    index,
                    total,
                    error,
                }))
            }
        }
    }
    Ok(json!({"results": results}))
}

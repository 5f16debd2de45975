//! `GET /admin/search`: the search index as administrators see it — how far the indexer is behind
//! the change log, how big the index is, and the attached files whose text could not be read. The
//! same `SearchService::status` as `GET /api/search/status.json`, rendered on the server.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_search::IndexStatus;
use serde::Serialize;
use serde_json::Value;

use super::admin::{local_time, require_admin, show};
use crate::error::ApiError;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct FailedFileRow {
    name: String,
    url: String,
    app: i64,
    record: i64,
    error: String,
}

#[derive(Serialize)]
struct IndexStatusData {
    applied_seq: i64,
    log_head: i64,
    lag_rows: i64,
    lag_seconds: i64,
    /// Caught up: nothing in the log beyond the applied position.
    current: bool,
    /// Before the first build (no position yet).
    never_built: bool,
    rebuilding: bool,
    documents: u64,
    index_size: String,
    index_bytes: u64,
    last_commit: String,
    last_error: String,
    failed_files: Vec<FailedFileRow>,
}

/// `bytes` for people: `512 B`, `3.4 KB`, `12.0 MB`, `1.2 GB` (powers of 1024).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Display only: the precision lost converting to f64 does not show at one decimal.
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS.get(unit).copied().unwrap_or("TB"))
}

fn page_data(s: IndexStatus, tz: chrono_tz::Tz) -> IndexStatusData {
    IndexStatusData {
        current: s.lag_rows == 0 && s.applied_seq >= s.log_head,
        never_built: s.applied_seq < 0,
        applied_seq: s.applied_seq,
        log_head: s.log_head,
        lag_rows: s.lag_rows,
        lag_seconds: s.lag_seconds,
        rebuilding: s.rebuilding,
        documents: s.documents,
        index_size: human_bytes(s.index_bytes),
        index_bytes: s.index_bytes,
        last_commit: s
            .last_commit_at
            .map(|t| local_time(t, tz))
            .unwrap_or_default(),
        last_error: s.last_error.unwrap_or_default(),
        failed_files: s
            .failed_files
            .into_iter()
            .map(|f| FailedFileRow {
                url: format!("/apps/{}/records/{}", f.app_id, f.record_id),
                name: f.name,
                app: f.app_id,
                record: f.record_id,
                error: f.error,
            })
            .collect(),
    }
}

fn load(state: &AppState, tz: chrono_tz::Tz) -> Result<(IndexStatusData, Value), ApiError> {
    let mut conn = state.conn()?;
    let status = state.search.status(&mut conn)?;
    Ok((page_data(status, tz), Value::Null))
}

/// `GET /admin/search`: administrators only; anyone else gets the not-found page.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let tz = user.tz(&state);
    let loaded = blocking(move || load(&st, tz)).await;
    show(
        &state,
        &user,
        loaded,
        "admin_search",
        "admin.search_index.title",
    )
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_like_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}

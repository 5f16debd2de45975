//! HTTP routes. kintone's API is one URL pattern per app area (`/k/v1/<api>.json`, and the same under
//! `/k/guest/<space>/v1/`); one handler authenticates, reads parameters the way kintone's clients send
//! them, opens a transaction, and dispatches on (method, api) to the functions of each resource file.
//! `bulkRequest.json` dispatches its sub-requests through the same table inside one transaction.

mod acl;
mod allowlist;
mod app_creation;
mod app_settings;
mod apps;
mod bulk;
mod call;
mod comments;
mod cursors;
mod package_signing;
// Issue 16, dashboards.
mod dashboards;
mod designer_api;
mod directory;
mod files;
mod form;
// Issue 17 part 5: the template gallery.
mod gallery;
// Issue 13, guests: guests.json, space/guests.json, the administrators' guest list.
mod guests;
// Issue 16: record imports from CSV/XLSX.
mod imports;
// Issue 13 (mail).
mod mail;
mod org_api;
mod packages;
mod private_views;
mod process;
mod process_preview;
// Issue 15, public forms: the staff's API (the residents' pages are `crate::public_forms`).
pub(crate) mod public_forms;
// Issue 16, export: the records of a query or view as CSV or XLSX (a download, not JSON).
mod record_export;
mod record_tools;
mod records;
// Issue 16, charts: app/reports.json and a report's numbers.
mod reports;
// Issue 16, printing: app/printTemplates.json.
mod print_templates;
mod review;
mod review_policy;
mod script_api;
mod scripts;
mod search;
mod session;
// Issue 13, spaces part.
mod spaces;
// Issue 14: survey relay.
mod surveys;
mod surveys_relay;
// Issue 13, threads part.
mod threads;
mod ui_api;
// Issue 13, notify: the bell and the per-app notification settings.
mod notifications;
// Issue 13 part "webhooks".
mod webhooks;

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::Value;

pub use call::Call;

use crate::auth::{authenticate, credentials_from};
use crate::body_budget::{Refusal, Reservation};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/k/v1/file.json", web::route().to(files::file_endpoint))
        .route(
            "/k/guest/{space}/v1/file.json",
            web::route().to(files::file_endpoint),
        )
        .route("/k/v1/{api:.*}.json", web::route().to(kintone_endpoint))
        .route(
            "/k/guest/{space}/v1/{api:.*}.json",
            web::route().to(kintone_endpoint),
        )
        .route("/api/auth/token", web::post().to(session::issue_token))
        .route("/api/auth/logout", web::post().to(session::logout))
        .route("/api/audit.csv", web::get().to(org_api::audit_csv))
        // Issue 14: the merge of a survey's answers as XLSX or CSV.
        .route("/api/surveys/export", web::get().to(surveys_relay::export))
        // Issue 16: the records of a query or list view as CSV or XLSX (docs/export.md).
        .route("/api/records/export", web::get().to(record_export::export))
        .route(
            "/api/guest/{space}/records/export",
            web::get().to(record_export::export),
        )
        .route(
            "/k/guest/{space}/api/records/export",
            web::get().to(record_export::export),
        )
        // Issue 15: a public form's answers as CSV.
        .route(
            "/api/public-form/answers.csv",
            web::get().to(public_forms::answers_csv),
        )
        .route(
            "/api/app/diagram.svg",
            web::get().to(review::diagram_endpoint),
        )
        .route(
            "/api/app/diagram.svg",
            web::post().to(process_preview::preview_endpoint),
        )
        // Issue 13, guests: Kumiki's own APIs through a guest space's path, the `/api` twin of
        // `/k/guest/{space}/v1/` (guests call nothing else; docs/guests.md G3). Before the general
        // `/api/...` route, which would otherwise take `guest/<id>/` as part of the API name.
        .route(
            "/api/guest/{space}/{api:.*}.json",
            web::route().to(kintone_endpoint),
        )
        // Issue 13 (mail): the test mail talks to SMTP outside a database transaction.
        .route(
            "/api/admin/mail/test.json",
            web::post().to(mail::test_endpoint),
        )
        // Kumiki's own APIs (what kintone lacks), with the same conventions; dispatched as `kumiki/<api>`.
        .route("/api/{api:.*}.json", web::route().to(kintone_endpoint))
        // Issue 13, threads part: Kumiki's `/api` calls through a guest space's path.
        .route(
            "/k/guest/{space}/api/{api:.*}.json",
            web::route().to(kintone_endpoint),
        )
        // `GET /api/search` (as the issue names it) answers exactly like `/api/search.json`.
        .route("/api/{api:search}", web::route().to(kintone_endpoint))
        // Issue 19: readiness for load balancers (exempt from the IP allowlist in `crate::edge`)
        // and Prometheus metrics; both only here, on the main listener.
        .route("/healthz", web::get().to(crate::health::healthz))
        .route("/metrics", web::get().to(crate::metrics::endpoint));
}

/// The method a kintone client meant: `X-HTTP-Method-Override` on a POST wins (long GETs arrive so).
pub fn effective_method(req: &HttpRequest) -> Method {
    if req.method() == Method::POST {
        if let Some(m) = req
            .headers()
            .get("X-HTTP-Method-Override")
            .and_then(|v| v.to_str().ok())
        {
            if let Ok(method) = Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()) {
                return method;
            }
        }
    }
    req.method().clone()
}

/// Whether messages should be Japanese (`Accept-Language: ja...`); English otherwise, as kintone's
/// Node clients expect.
pub fn wants_japanese(req: &HttpRequest) -> bool {
    req.headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("ja"))
}

/// Reads the body up to `limit` (small bodies of routes outside the budget).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::invalid("body", "The request body could not be read."))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads the body of an authenticated call: up to the body limit (413 beyond, before reading when
/// `Content-Length` says so), within the server-wide body budget (`crate::body_budget`; 429 when
/// it is spent, before reading on). Each byte reserves two (the text, and the strings parsed from
/// it), and once read the body reserves what its parsed tree will cost. The reservation must live
/// until the call has finished with the body and what was parsed from it.
pub async fn read_call_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
) -> Result<(web::BytesMut, Reservation), ApiError> {
    let limit = state.settings.max_body_bytes;
    let refused = |r: Refusal| match r {
        Refusal::Busy => ApiError::too_busy(),
        Refusal::TooLarge => ApiError::too_large(limit),
    };
    let mut reservation = state.body_budget.start();
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let mut reserved = 0;
    if let Some(n) = declared {
        if n > limit {
            return Err(ApiError::too_large(limit));
        }
        reservation.grow(n.saturating_mul(2)).map_err(refused)?;
        reserved = n;
    }
    let mut body = web::BytesMut::with_capacity(reserved);
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::invalid("body", "The request body could not be read."))?;
        let len = body.len() + chunk.len();
        if len > limit {
            return Err(ApiError::too_large(limit));
        }
        if len > reserved {
            reservation
                .grow((len - reserved).saturating_mul(2))
                .map_err(refused)?;
            reserved = len;
        }
        body.extend_from_slice(&chunk);
    }
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        let tree = crate::body_budget::parse_cost(&body).saturating_sub(body.len());
        reservation.grow(tree).map_err(refused)?;
    }
    Ok((body, reservation))
}

/// The caller of a request, from its headers and cookies alone: nothing of the body is read
/// before the caller is known, so a stranger's body costs nothing (finding 1 of issue 12).
pub async fn authenticate_request(
    req: &HttpRequest,
    state: &AppState,
) -> Result<crate::auth::Caller, ApiError> {
    let creds = credentials_from(req)?;
    let state = state.clone();
    blocking(move || {
        let mut conn = state.conn()?;
        authenticate(&state, &mut conn, &creds)
    })
    .await
}

/// Parameters: the query string, overlaid with a JSON body when there is one.
fn request_params(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let mut params = parse_query_string(req.query_string());
    let trimmed = body.iter().position(|b| !b.is_ascii_whitespace());
    if trimmed.is_some() {
        let json: Value = serde_json::from_slice(body).map_err(|_| ApiError::malformed_json())?;
        let Value::Object(fields) = json else {
            return Err(ApiError::malformed_json());
        };
        if let Value::Object(target) = &mut params {
            target.extend(fields);
        }
    }
    Ok(params)
}

fn guest_space(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    match req.match_info().get("space") {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| ApiError::no_privilege()),
    }
}

async fn kintone_endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ja = wants_japanese(&req);
    match handle(req, payload, state).await {
        Ok(response) => response,
        Err(e) => e.response(ja),
    }
}

/// Why a call failed: an API error, or one sub-request of a bulk request.
pub enum Failure {
    Api(ApiError),
    Bulk(bulk::BulkFailure),
}

impl Failure {
    /// Renders the failure's messages in the language of the signed-in page that made the call.
    fn in_lang(self, lang: Option<crate::i18n::Lang>) -> Failure {
        match self {
            Failure::Api(e) => Failure::Api(e.in_lang(lang)),
            Failure::Bulk(mut b) => {
                b.error = b.error.in_lang(lang);
                Failure::Bulk(b)
            }
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<kumiki_engine::EngineError> for Failure {
    fn from(e: kumiki_engine::EngineError) -> Self {
        Failure::Api(e.into())
    }
}

/// Calls on the caller's own things (the bell, the mail choice): a guest makes them without a
/// guest-space path, as its header and account pages do.
fn is_own_call(api: &str) -> bool {
    matches!(
        api,
        "kumiki/notifications" | "kumiki/notifications/read" | "kumiki/account/notifications"
    )
}

async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let method = effective_method(&req);
    let name = req.match_info().get("api").unwrap_or_default();
    // `/k/guest/<space>/api/...` (issue 13, threads part) is Kumiki's `/api` through a guest path.
    let kumiki_guest = req.path().starts_with("/k/guest/") && !req.path().contains("/v1/");
    let api = if req.path().starts_with("/api/") || kumiki_guest {
        format!("kumiki/{name}")
    } else {
        name.to_owned()
    };
    let space = guest_space(&req)?;
    let caller = authenticate_request(&req, &state).await?;
    let (body, _reservation) = read_call_body(&req, payload, &state).await?;
    let params = request_params(&req, &body)?;
    drop(body);
    crate::request_id::record_app(params.get("app"));
    let state = state.get_ref().clone();
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        // A call from a signed-in page speaks the user's language (docs/api.md "Error messages").
        let page_lang = (caller.via == "session")
            .then(|| crate::i18n::Lang::parse(&caller.locale).unwrap_or(crate::i18n::Lang::Ja));
        let mut removed = Vec::new();
        let mut viewed = Vec::new();
        let acting = caller.api_acting(space);
        let run = |conn: &mut kumiki_engine::db::DbConn| -> Result<Value, Failure> {
            // Issue 13, guests: a guest acts only through the path of one of its guest spaces,
            // except on what is its own whatever the path: its bell and its mail choice.
            if !is_own_call(&api) {
                acting.admit_guest(conn)?;
            }
            let mut call = Call::new(&state, conn, &caller, &acting);
            let result = if method == Method::POST && api == "bulkRequest" {
                bulk::run(&mut call, &Params(&params))?
            } else {
                dispatch(&mut call, &method, &api, &params)?
            };
            removed = std::mem::take(&mut call.removed_files);
            viewed = std::mem::take(&mut call.viewed);
            Ok(result)
        };
        // A GET of the next cursor page writes (it moves or deletes the cursor): it takes the write
        // lock up front like any write, instead of upgrading a read transaction, which SQLite
        // refuses with "database is locked" while another writer (the indexer, the job runner) holds it.
        // Issue 14: a member's first view of a survey answer marks it opened (a write).
        // Issue 16: a chart's first open stores its rollup (engine/src/reports/rollup.rs); in a
        // read transaction SQLite would refuse that write whenever another one committed meanwhile.
        let writes = [
            "records/cursor",
            "kumiki/surveys/answer",
            "kumiki/app/report/data",
            // Issue 17: a package export writes its audit row (and the signing key on first use).
            "kumiki/app/package",
        ];
        let result = if method == Method::GET && !writes.contains(&api.as_str()) {
            conn.read_transaction(run)
        } else {
            conn.write_transaction(run)
        };
        let refused = match &result {
            Err(Failure::Api(e)) => refusal_code(&mut conn, e, &params),
            Err(Failure::Bulk(b)) => refusal_code(&mut conn, &b.error, &params),
            Ok(_) => None,
        };
        if result.is_ok() {
            // Record-view rows of apps that ask for them; a read that could not be logged fails,
            // so no logged app is read without its row.
            for (app, query, ids) in &viewed {
                kumiki_engine::audit::record_view(&mut conn, &acting, *app, query.as_deref(), ids)?;
            }
        }
        if let Some(code) = refused {
            record_refusal(&mut conn, &caller, method.as_str(), &api, &params, code);
        }
        if result.is_ok() {
            // Only after the commit: a rolled-back delete must keep its files.
            state.files.remove(&removed);
            if method != Method::GET {
                // The change log rows of this call are committed: index them now.
                state.search.notify();
                // Issue 13 part "webhooks": turn them into deliveries now.
                state.webhooks.wake();
            }
        }
        Ok(result.map_err(|f| f.in_lang(page_lang)))
    })
    .await?;
    match outcome {
        Ok(value) => Ok(HttpResponse::Ok().json(value)),
        Err(Failure::Bulk(failure)) => Ok(bulk_error_response(&failure)),
        Err(Failure::Api(e)) => Err(e),
    }
}

/// The code of an error that refused an authorisation: a 403, or a `GAIA_AP01` for an app that
/// exists (an app the caller may not see answers "not found", but the log says it was refused).
fn refusal_code(
    conn: &mut kumiki_engine::db::DbConn,
    e: &ApiError,
    params: &Value,
) -> Option<&'static str> {
    if e.status == actix_web::http::StatusCode::FORBIDDEN {
        return Some(e.code);
    }
    if e.code != "GAIA_AP01" {
        return None;
    }
    let app = match params.get("app")? {
        Value::String(s) => s.parse::<i64>().ok()?,
        v => v.as_i64()?,
    };
    kumiki_engine::apps::AppRow::find(conn, kumiki_engine::apps::AppId(app))
        .ok()
        .flatten()
        .map(|_| e.code)
}

/// Audits a refused authorisation (a 403 such as `GAIA_NO01`/`CB_NO02`): who, which API, which app.
/// Written after the call's transaction rolled back, bounded per caller, address and target
/// (`audit::record_throttled`) so that probing cannot flood the log.
fn record_refusal(
    conn: &mut kumiki_engine::db::DbConn,
    caller: &crate::auth::Caller,
    method: &str,
    api: &str,
    params: &Value,
    code: &str,
) {
    use kumiki_engine::audit::{self, action, AuditEvent};
    let actor = if caller.via == "apiToken" {
        "apiToken"
    } else {
        caller.principal.acting_user()
    };
    let app = params.get("app").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let target = match &app {
        Some(a) => format!("app:{a}"),
        None => format!("api:{api}"),
    };
    let event = AuditEvent::failure(
        actor,
        &caller.peer,
        action::ACCESS_DENIED,
        &target,
        serde_json::json!({"api": api, "method": method, "app": app, "code": code, "via": caller.via}),
    );
    if let Err(e) = audit::record_throttled(conn, event) {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

fn bulk_error_response(failure: &bulk::BulkFailure) -> HttpResponse {
    let mut results = vec![Value::Object(Default::default()); failure.total];
    if let Some(slot) = results.get_mut(failure.index) {
        *slot = failure.error.body(false);
    }
    HttpResponse::build(failure.error.status).json(serde_json::json!({"results": results}))
}

/// Dispatches one kintone API call. Unknown (method, api) pairs are `CB_NF01`.
pub fn dispatch(
    call: &mut Call,
    method: &Method,
    api: &str,
    params: &Value,
) -> Result<Value, ApiError> {
    let p = Params(params);
    let (preview, bare) = match api.strip_prefix("preview/") {
        Some(rest) => (true, rest),
        None => (false, api),
    };
    let m = method.as_str();
    match (m, preview, bare) {
        ("GET", false, "record") => records::get_record_by_id(call, &p),
        ("POST", false, "record") => records::add_record(call, &p),
        ("PUT", false, "record") => records::update_record(call, &p),
        ("GET", false, "records") => records::get_records(call, &p),
        ("POST", false, "records") => records::add_records(call, &p),
        ("PUT", false, "records") => records::update_records(call, &p),
        ("DELETE", false, "records") => records::delete_records(call, &p),
        ("POST", false, "records/cursor") => cursors::create(call, &p),
        ("GET", false, "records/cursor") => cursors::get(call, &p),
        ("DELETE", false, "records/cursor") => cursors::delete(call, &p),
        ("GET", false, "record/comments") => comments::get_comments(call, &p),
        ("POST", false, "record/comment") => comments::add(call, &p),
        ("DELETE", false, "record/comment") => comments::delete(call, &p),
        ("GET", false, "app") => apps::get_app(call, &p),
        ("GET", false, "apps") => apps::get_apps(call, &p),
        ("POST", true, "app") => apps::create_app(call, &p),
        ("POST", true, "app/deploy") => apps::deploy(call, &p),
        ("GET", true, "app/deploy") => apps::deploy_status(call, &p),
        ("GET", _, "app/form/fields") => form::get_fields(call, &p, preview),
        ("POST", true, "app/form/fields") => form::add_fields(call, &p),
        ("PUT", true, "app/form/fields") => form::update_fields(call, &p),
        ("DELETE", true, "app/form/fields") => form::delete_fields(call, &p),
        ("GET", _, "app/form/layout") => form::get_layout(call, &p, preview),
        ("PUT", true, "app/form/layout") => form::update_layout(call, &p),
        ("GET", _, "app/views") => app_settings::get_views(call, &p, preview),
        ("PUT", true, "app/views") => app_settings::update_views(call, &p),
        ("GET", _, "app/settings") => app_settings::get_settings(call, &p, preview),
        ("PUT", true, "app/settings") => app_settings::update_settings(call, &p),
        ("GET", _, "app/status") => process::get_status(call, &p, preview),
        ("PUT", true, "app/status") => process::update_status(call, &p),
        ("PUT", false, "record/status") => process::update_record_status(call, &p),
        ("PUT", false, "records/status") => process::update_records_status(call, &p),
        ("PUT", false, "record/assignees") => process::update_assignees(call, &p),
        ("GET", _, "app/acl") => acl::get_app_acl(call, &p, preview),
        ("PUT", true, "app/acl") => acl::update_app_acl(call, &p),
        ("GET", _, "record/acl") => acl::get_record_acl(call, &p, preview),
        ("PUT", true, "record/acl") => acl::update_record_acl(call, &p),
        ("GET", _, "field/acl") => acl::get_field_acl(call, &p, preview),
        ("PUT", true, "field/acl") => acl::update_field_acl(call, &p),
        ("GET", false, "records/acl/evaluate") => acl::evaluate(call, &p),
        ("GET", false, "kumiki/app/views/private") => private_views::list(call, &p),
        ("PUT", false, "kumiki/app/views/private") => private_views::save(call, &p),
        ("DELETE", false, "kumiki/app/views/private") => private_views::delete(call, &p),
        ("GET", false, "kumiki/process/actions") => process::actions(call, &p),
        ("GET", false, "kumiki/process/assigned") => process::assigned(call, &p),
        ("POST", false, "kumiki/app/formula/check") => designer_api::check_formula(call, &p),
        ("GET", false, "kumiki/users") => ui_api::list_users(call, &p),
        ("GET", false, "kumiki/directory") => directory::directory(call, &p),
        ("POST", false, "kumiki/record/calc") => ui_api::calc(call, &p),
        ("GET", false, "kumiki/record/history") => ui_api::history(call, &p),
        ("POST", false, "kumiki/packages/export") => packages::export(call, &p),
        ("POST", false, "kumiki/packages/plan") => packages::plan(call, &p),
        ("POST", false, "kumiki/packages/import") => packages::import(call, &p),
        // Issue 17 part 6: kintone app files → a bundle (docs/packages.md "kintone からの移行").
        ("POST", false, "kumiki/packages/from-kintone") => packages::from_kintone(call, &p),
        ("GET", false, "kumiki/admin/app-creation") => app_creation::get_policy(call, &p),
        ("PUT", false, "kumiki/admin/app-creation") => app_creation::put_policy(call, &p),
        ("POST", false, "kumiki/app/visit") => ui_api::visit(call, &p),
        ("GET", false, "kumiki/security/allowlist") => allowlist::get(call, &p),
        ("PUT", false, "kumiki/security/allowlist") => allowlist::put(call, &p),
        ("GET", false, "kumiki/org/users") => org_api::list_users(call, &p),
        ("POST", false, "kumiki/org/users") => org_api::add_user(call, &p),
        ("PUT", false, "kumiki/org/users") => org_api::update_user(call, &p),
        ("POST", false, "kumiki/org/users/disable") => org_api::disable_user(call, &p),
        ("POST", false, "kumiki/org/users/enable") => org_api::enable_user(call, &p),
        ("POST", false, "kumiki/org/users/signout") => org_api::sign_out_user(call, &p),
        ("GET", false, "kumiki/org/departments") => org_api::list_departments(call, &p),
        ("POST", false, "kumiki/org/departments") => org_api::add_department(call, &p),
        ("PUT", false, "kumiki/org/departments") => org_api::update_department(call, &p),
        ("DELETE", false, "kumiki/org/departments") => org_api::delete_department(call, &p),
        ("GET", false, "kumiki/org/groups") => org_api::list_groups(call, &p),
        ("POST", false, "kumiki/org/groups") => org_api::add_group(call, &p),
        ("PUT", false, "kumiki/org/groups") => org_api::update_group(call, &p),
        ("DELETE", false, "kumiki/org/groups") => org_api::delete_group(call, &p),
        ("GET", false, "kumiki/org/memberships") => org_api::get_memberships(call, &p),
        ("PUT", false, "kumiki/org/memberships") => org_api::set_memberships(call, &p),
        ("GET", false, "kumiki/tokens/user") => org_api::list_user_tokens(call, &p),
        ("POST", false, "kumiki/tokens/user") => org_api::create_user_token(call, &p),
        ("DELETE", false, "kumiki/tokens/user") => org_api::revoke_user_token(call, &p),
        ("GET", false, "kumiki/tokens/app") => org_api::list_app_tokens(call, &p),
        ("POST", false, "kumiki/tokens/app") => org_api::create_app_token(call, &p),
        ("DELETE", false, "kumiki/tokens/app") => org_api::revoke_app_token(call, &p),
        ("GET", false, "kumiki/audit") => org_api::list_audit(call, &p),
        ("GET", false, "kumiki/app/scripts") => scripts::get_scripts(call, &p),
        ("PUT", false, "kumiki/app/scripts") => scripts::update_scripts(call, &p),
        ("GET", false, "kumiki/app/script/logs") => scripts::get_logs(call, &p),
        ("POST", false, "kumiki/app/script/test") => script_api::test_run(call, &p),
        // The form sends a GET (with a body): a read transaction, no write lock. POST works too.
        ("GET", false, "kumiki/record/script/change") => script_api::field_change(call, &p),
        ("POST", false, "kumiki/record/script/change") => script_api::field_change(call, &p),
        ("GET", false, "kumiki/search") => search::search(call, &p),
        ("GET", false, "kumiki/search/status") => search::status(call, &p),
        ("POST", false, "kumiki/app/review/submit") => review::submit(call, &p),
        ("GET", false, "kumiki/app/review/submissions") => review::list(call, &p),
        ("GET", false, "kumiki/app/review/submission") => review::get(call, &p),
        ("POST", false, "kumiki/app/review/decide") => review::decide(call, &p),
        ("GET", false, "kumiki/app/diff") => review::diff(call, &p),
        ("GET", false, "kumiki/app/versions") => review::versions(call, &p),
        ("POST", false, "kumiki/app/rollback") => review::rollback(call, &p),
        // Issue 13 part "webhooks".
        ("GET", false, "kumiki/app/webhooks") => webhooks::list(call, &p),
        ("PUT", false, "kumiki/app/webhooks") => webhooks::save(call, &p),
        ("POST", false, "kumiki/app/webhook/secret") => webhooks::secret(call, &p),
        ("GET", false, "kumiki/app/webhook/deliveries") => webhooks::deliveries(call, &p),
        ("POST", false, "kumiki/app/webhook/test") => webhooks::test(call, &p),
        ("POST", false, "kumiki/record/restore") => review::restore_record(call, &p),
        ("GET", false, "kumiki/review/policy") => review_policy::get_policy(call, &p),
        ("PUT", false, "kumiki/review/policy") => review_policy::put_policy(call, &p),
        ("GET", false, "kumiki/review/queue") => review_policy::queue(call, &p),
        ("GET", false, "kumiki/records/bulk_check") => record_tools::check(call, &p),
        ("POST", false, "kumiki/records/bulk_update") => record_tools::bulk_update(call, &p),
        ("POST", false, "kumiki/records/bulk_delete") => record_tools::bulk_delete(call, &p),
        ("POST", false, "kumiki/records/import") => imports::open(call, &p),
        ("PUT", false, "kumiki/records/import") => imports::change(call, &p),
        ("GET", false, "kumiki/records/import") => imports::status(call, &p),
        ("POST", false, "kumiki/records/import/run") => imports::run(call, &p),
        // Issue 13, guests (docs/guests.md).
        ("POST", false, "guests") => guests::add_guests(call, &p),
        ("DELETE", false, "guests") => guests::delete_guests(call, &p),
        ("PUT", false, "space/guests") => guests::update_space_guests(call, &p),
        ("GET", false, "kumiki/guests") => guests::list_guests(call, &p),
        ("POST", false, "kumiki/guests") => guests::add_one_guest(call, &p),
        ("DELETE", false, "kumiki/guests") => guests::delete_one_guest(call, &p),
        // Issue 13, notify: the bell and kintone's per-app notification settings.
        ("GET", false, "kumiki/notifications") => notifications::list(call, &p),
        ("POST", false, "kumiki/notifications/read") => notifications::mark_read(call, &p),
        ("GET", _, "app/notifications/general") => notifications::get_general(call, &p, preview),
        ("PUT", true, "app/notifications/general") => notifications::update_general(call, &p),
        ("GET", _, "app/notifications/perRecord") => {
            notifications::get_per_record(call, &p, preview)
        }
        ("PUT", true, "app/notifications/perRecord") => notifications::update_per_record(call, &p),
        ("GET", _, "app/notifications/reminder") => notifications::get_reminder(call, &p, preview),
        ("PUT", true, "app/notifications/reminder") => notifications::update_reminder(call, &p),
        // Issue 13, spaces part: kintone's space calls and Kumiki's own under /api/.
        ("GET", false, "space") => spaces::get_space(call, &p),
        ("PUT", false, "space") => spaces::update_space(call, &p),
        ("DELETE", false, "space") => spaces::delete_space(call, &p),
        ("PUT", false, "space/body") => spaces::update_body(call, &p),
        ("GET", false, "space/members") => spaces::get_members(call, &p),
        ("PUT", false, "space/members") => spaces::update_members(call, &p),
        ("POST", false, "space/thread") => spaces::add_thread(call, &p),
        ("PUT", false, "space/thread") => spaces::update_thread(call, &p),
        ("POST", false, "template/space") => spaces::add_from_template(call, &p),
        ("POST", false, "app/move") => spaces::move_app(call, &p),
        ("GET", false, "kumiki/spaces") => spaces::list_spaces(call, &p),
        ("POST", false, "kumiki/space") => spaces::create_space(call, &p),
        ("GET", false, "kumiki/space/templates") => spaces::list_templates(call, &p),
        ("POST", false, "kumiki/space/template") => spaces::create_template(call, &p),
        ("POST", false, "kumiki/space/join") => spaces::join(call, &p),
        ("POST", false, "kumiki/space/leave") => spaces::leave(call, &p),
        // Issue 13, threads part.
        ("POST", false, "space/thread/comment") => threads::add_comment(call, &p, false),
        ("POST", false, "kumiki/space/thread/comment") => threads::add_comment(call, &p, true),
        ("PUT", false, "kumiki/space/thread/comment") => threads::edit_comment(call, &p),
        ("DELETE", false, "kumiki/space/thread/comment") => threads::delete_comment(call, &p),
        ("GET", false, "kumiki/space/thread/comments") => threads::list_comments(call, &p),
        ("POST", false, "kumiki/space/thread/read") => threads::mark_read(call, &p),
        ("GET", false, "kumiki/space/thread/readers") => threads::readers(call, &p),
        ("GET", false, "kumiki/spaces/unread") => threads::unread(call, &p),
        // Issue 13 (mail).
        ("GET", false, "kumiki/account/notifications") => mail::get_preferences(call, &p),
        ("PUT", false, "kumiki/account/notifications") => mail::put_preferences(call, &p),
        ("GET", false, "kumiki/admin/mail") => mail::admin_get(call, &p),
        ("PUT", false, "kumiki/admin/mail/address") => mail::admin_set_address(call, &p),
        // Issue 14: survey relay (docs/api.md "Surveys (issue 14)").
        ("GET", false, "kumiki/surveys") => surveys::list_surveys(call, &p),
        ("POST", false, "kumiki/surveys/survey") => surveys::create_survey(call, &p),
        ("PUT", false, "kumiki/surveys/survey") => surveys::update_survey(call, &p),
        ("GET", false, "kumiki/surveys/survey") => surveys::get_survey(call, &p),
        ("DELETE", false, "kumiki/surveys/survey") => surveys::delete_survey(call, &p),
        ("POST", false, "kumiki/surveys/sheet/inspect") => surveys::inspect_sheet(call, &p),
        ("POST", false, "kumiki/surveys/send") => surveys::send(call, &p),
        ("GET", false, "kumiki/surveys/answers") => surveys::dashboard(call, &p),
        ("GET", false, "kumiki/surveys/answer") => surveys::get_answer(call, &p),
        ("PUT", false, "kumiki/surveys/answer") => surveys::save_answer(call, &p),
        ("POST", false, "kumiki/surveys/answer/submit") => surveys::submit_answer(call, &p),
        ("POST", false, "kumiki/surveys/answer/return") => surveys::return_answer(call, &p),
        ("POST", false, "kumiki/surveys/answer/accept") => surveys::accept_answer(call, &p),
        ("PUT", false, "kumiki/surveys/answer/deadline") => surveys::set_deadline(call, &p),
        ("POST", false, "kumiki/surveys/remind") => surveys::remind(call, &p),
        ("POST", false, "kumiki/surveys/close") => surveys::close(call, &p),
        ("GET", false, "kumiki/surveys/organisations") => surveys::organisations(call, &p),
        ("GET", false, "kumiki/surveys/lists") => surveys::get_lists(call, &p),
        ("POST", false, "kumiki/surveys/lists") => surveys::add_list(call, &p),
        ("PUT", false, "kumiki/surveys/lists") => surveys::update_list(call, &p),
        ("DELETE", false, "kumiki/surveys/lists") => surveys::delete_list(call, &p),
        ("POST", false, "kumiki/surveys/copy") => surveys_relay::copy(call, &p),
        ("POST", false, "kumiki/surveys/relay") => surveys_relay::relay_answer(call, &p),
        ("POST", false, "kumiki/surveys/answer/merge_relay") => {
            surveys_relay::merge_relay(call, &p)
        }
        // Issue 15, public forms (staff side; docs/public-forms.md).
        ("GET", false, "kumiki/public-forms") => public_forms::list_forms(call, &p),
        ("POST", false, "kumiki/public-form") => public_forms::create_form(call, &p),
        ("GET", false, "kumiki/public-form") => public_forms::get_form(call, &p),
        ("PUT", false, "kumiki/public-form") => public_forms::update_form(call, &p),
        ("DELETE", false, "kumiki/public-form") => public_forms::delete_form(call, &p),
        ("GET", false, "kumiki/public-form/links") => public_forms::list_links(call, &p),
        ("POST", false, "kumiki/public-form/links") => public_forms::create_links(call, &p),
        ("DELETE", false, "kumiki/public-form/links") => public_forms::revoke_links(call, &p),
        ("GET", false, "kumiki/public-form/results") => public_forms::get_results(call, &p),
        ("GET", false, "kumiki/public-form/templates") => public_forms::list_templates(call, &p),
        ("POST", false, "kumiki/public-form/template") => {
            public_forms::create_from_template(call, &p)
        }
        // Issue 16, charts (docs/charts.md).
        ("GET", _, "app/reports") => reports::get_reports(call, &p, preview),
        ("PUT", true, "app/reports") => reports::update_reports(call, &p),
        ("GET", _, "app/printTemplates") => print_templates::get_templates(call, &p, preview),
        ("PUT", true, "app/printTemplates") => print_templates::update_templates(call, &p),
        ("GET", false, "kumiki/app/report/data") => reports::get_data(call, &p),
        ("GET", false, "kumiki/app/report/snapshots") => reports::get_snapshots(call, &p),
        // Issue 16, dashboards (docs/dashboards.md).
        ("GET", false, "kumiki/dashboard/pins") => dashboards::list(call, &p),
        ("POST", false, "kumiki/dashboard/pins") => dashboards::add(call, &p),
        ("PUT", false, "kumiki/dashboard/pins") => dashboards::move_pin(call, &p),
        ("DELETE", false, "kumiki/dashboard/pins") => dashboards::remove(call, &p),
        // Issue 17 part 4: signed packages and the trust list (docs/packages.md).
        ("GET", false, "kumiki/app/package") => package_signing::export(call, &p),
        ("POST", false, "kumiki/packages/verify") => package_signing::verify(call, &p),
        ("GET", false, "kumiki/packages/trust") => package_signing::list(call, &p),
        ("POST", false, "kumiki/packages/trust") => package_signing::add(call, &p),
        ("DELETE", false, "kumiki/packages/trust") => package_signing::remove(call, &p),
        ("PUT", false, "kumiki/packages/key") => package_signing::set_name(call, &p),
        // Issue 17 part 5, the template gallery (docs/gallery.md).
        ("GET", false, "kumiki/gallery/templates") => gallery::list_templates(call, &p),
        ("GET", false, "kumiki/gallery/template") => gallery::get_template(call, &p),
        ("POST", false, "kumiki/gallery/apps") => gallery::create_app(call, &p),
        ("POST", false, "kumiki/gallery/packages") => gallery::add_package(call, &p),
        ("DELETE", false, "kumiki/gallery/packages") => gallery::remove_package(call, &p),
        _ => Err(ApiError::unknown_api()),
    }
}

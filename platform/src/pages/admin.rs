//! The administration pages (情報政策課): users, the department tree, groups, API tokens and the audit
//! log. Administrators only; anyone else gets the not-found page, as for anything they may not see.
//! Pages are rendered from the engine; every change goes through the `/api/org/...`, `/api/tokens/...`
//! APIs (`routes/org_api.rs`, which audit it) from `static/admin.js`, so the page and every other
//! client share one code path.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acting::ActingContext;
use kumiki_engine::apps::{load_definition, AppId, PREVIEW};
use kumiki_engine::audit::{self, action, AuditFilter};
use kumiki_engine::org;
use kumiki_engine::tokens;
use kumiki_engine::users::User;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::session::{page_for, require_user, SessionUser};
use super::Page;
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

const SCRIPTS: [&str; 1] = ["admin.js"];

/// The signed-in administrator, or the response to send instead (sign-in redirect or not found).
pub(super) async fn require_admin(
    req: &HttpRequest,
    state: &AppState,
) -> Result<SessionUser, HttpResponse> {
    let user = require_user(req, state).await?;
    if !user.is_admin {
        let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
        return Err(super::not_found(state, lang, Some(&user)));
    }
    Ok(user)
}

pub(super) fn lang_of(user: &SessionUser) -> Lang {
    Lang::parse(&user.locale).unwrap_or(Lang::Ja)
}

pub(super) fn local_time(t: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Renders an admin page, or the internal-error page when loading its data failed.
pub(super) fn show<T: Serialize>(
    state: &AppState,
    user: &SessionUser,
    loaded: Result<(T, Value), ApiError>,
    template: &str,
    title_key: &str,
) -> HttpResponse {
    let lang = lang_of(user);
    match loaded {
        Ok((data, page_data)) => page_for(
            state,
            user,
            Page {
                template,
                title: i18n::t(lang, title_key),
                data: &data,
                page_data,
                scripts: SCRIPTS.to_vec(),
            },
        ),
        Err(e) => {
            tracing::error!(error = %e, template, "admin page failed");
            super::internal_error(state, lang, Some(user))
        }
    }
}

#[derive(Serialize)]
struct Empty {}

/// `GET /admin`: links to the administration pages.
pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    show(
        &state,
        &user,
        Ok((Empty {}, Value::Null)),
        "admin_index",
        "admin.title",
    )
}

// ---- users ----

#[derive(Serialize)]
struct UserRow {
    code: String,
    name: String,
    is_admin: bool,
    is_active: bool,
    is_self: bool,
    primary: String,
    departments: String,
    groups: String,
}

#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct UsersData {
    users: Vec<UserRow>,
    departments: Vec<Choice>,
    groups: Vec<Choice>,
}

fn department_choices(conn: &mut kumiki_engine::db::DbConn) -> Result<Vec<Choice>, ApiError> {
    Ok(org::department_tree(conn)?
        .into_iter()
        .map(|n| Choice {
            name: format!("{}{}", "　".repeat(n.depth), n.department.name),
            code: n.department.code,
        })
        .collect())
}

fn load_users(state: &AppState, me: &str) -> Result<(UsersData, Value), ApiError> {
    let mut conn = state.conn()?;
    let dept_names: BTreeMap<String, String> = org::list_departments(&mut conn)?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let mut rows = Vec::new();
    let mut page_users = serde_json::Map::new();
    for u in User::list(&mut conn)? {
        let depts = org::user_departments(&mut conn, &u.code)?;
        let groups = org::user_groups(&mut conn, &u.code)?;
        let primary = depts.iter().find(|(_, p)| *p).map(|(c, _)| c.clone());
        let name_of = |c: &String| dept_names.get(c).cloned().unwrap_or_else(|| c.clone());
        page_users.insert(
            u.code.clone(),
            json!({
                "name": u.name,
                "isAdmin": u.is_admin.to_string(),
                "departments": depts.iter().map(|(c, _)| c).collect::<Vec<_>>(),
                "primaryDepartment": primary.clone().unwrap_or_default(),
                "groups": groups,
            }),
        );
        rows.push(UserRow {
            is_self: u.code == me,
            primary: primary.as_ref().map(name_of).unwrap_or_default(),
            departments: depts
                .iter()
                .map(|(c, _)| name_of(c))
                .collect::<Vec<_>>()
                .join("、"),
            groups: groups.join("、"),
            code: u.code,
            name: u.name,
            is_admin: u.is_admin,
            is_active: u.is_active,
        });
    }
    let departments = department_choices(&mut conn)?;
    let groups = org::list_groups(&mut conn)?
        .into_iter()
        .map(|g| Choice {
            code: g.code,
            name: g.name,
        })
        .collect();
    Ok((
        UsersData {
            users: rows,
            departments,
            groups,
        },
        json!({ "users": page_users }),
    ))
}

/// `GET /admin/users`: every user with their departments and groups; add, edit, disable, memberships.
pub async fn users(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let me = user.code.clone();
    let loaded = blocking(move || load_users(&st, &me)).await;
    show(&state, &user, loaded, "admin_users", "admin.users.title")
}

// ---- departments ----

#[derive(Serialize)]
struct DepartmentRow {
    code: String,
    name: String,
    /// Indentation class (0..=9).
    depth: usize,
    sort: i64,
    members: usize,
}

#[derive(Serialize)]
struct DepartmentsData {
    departments: Vec<DepartmentRow>,
    choices: Vec<Choice>,
}

fn load_departments(state: &AppState) -> Result<(DepartmentsData, Value), ApiError> {
    let mut conn = state.conn()?;
    let tree = org::department_tree(&mut conn)?;
    let mut rows = Vec::new();
    let mut page = serde_json::Map::new();
    for n in &tree {
        let d = &n.department;
        page.insert(
            d.code.clone(),
            json!({"name": d.name, "parentCode": d.parent_code.clone().unwrap_or_default(), "sort": d.sort.to_string()}),
        );
        rows.push(DepartmentRow {
            code: d.code.clone(),
            name: d.name.clone(),
            depth: n.depth.min(9),
            sort: d.sort,
            members: org::members_of_department(&mut conn, &d.code)?.len(),
        });
    }
    let choices = department_choices(&mut conn)?;
    Ok((
        DepartmentsData {
            departments: rows,
            choices,
        },
        json!({ "departments": page }),
    ))
}

/// `GET /admin/departments`: the department tree; add, edit (rename, move, reorder), delete.
pub async fn departments(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let loaded = blocking(move || load_departments(&st)).await;
    show(
        &state,
        &user,
        loaded,
        "admin_departments",
        "admin.departments.title",
    )
}

// ---- groups ----

#[derive(Serialize)]
struct GroupRow {
    code: String,
    name: String,
    members: String,
}

#[derive(Serialize)]
struct GroupsData {
    groups: Vec<GroupRow>,
}

fn load_groups(state: &AppState) -> Result<(GroupsData, Value), ApiError> {
    let mut conn = state.conn()?;
    let mut rows = Vec::new();
    let mut page = serde_json::Map::new();
    for g in org::list_groups(&mut conn)? {
        page.insert(g.code.clone(), json!({"name": g.name}));
        rows.push(GroupRow {
            members: org::members_of_group(&mut conn, &g.code)?.join("、"),
            code: g.code,
            name: g.name,
        });
    }
    Ok((GroupsData { groups: rows }, json!({ "groups": page })))
}

/// `GET /admin/groups`: groups (roles) with their members; add, rename, delete.
pub async fn groups(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let loaded = blocking(move || load_groups(&st)).await;
    show(&state, &user, loaded, "admin_groups", "admin.groups.title")
}

// ---- tokens ----

#[derive(Serialize)]
struct UserTokenRow {
    id: String,
    user: String,
    name: String,
    created_by: String,
    created_at: String,
    expires_at: String,
    /// The address allowlist, comma-separated (empty: anywhere).
    allowed_ips: String,
}

#[derive(Serialize)]
struct AppChoice {
    id: i64,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct AppTokenRow {
    id: String,
    /// The first characters of the token (the rest is not stored).
    prefix: String,
    rights: String,
    allowed_ips: String,
    created_at: String,
}

#[derive(Serialize)]
struct TokensData {
    user_tokens: Vec<UserTokenRow>,
    users: Vec<Choice>,
    apps: Vec<AppChoice>,
    app: Option<i64>,
    app_tokens: Vec<AppTokenRow>,
}

#[derive(Deserialize)]
pub struct TokensQuery {
    app: Option<String>,
}

fn load_tokens(
    state: &AppState,
    acting: &ActingContext,
    app: Option<i64>,
) -> Result<(TokensData, Value), ApiError> {
    let tz = acting.timezone();
    let mut conn = state.conn()?;
    let user_tokens = org::list_user_tokens(&mut conn, None)?
        .into_iter()
        .map(|t| UserTokenRow {
            id: t.id,
            user: t.user_code,
            name: t.name,
            created_by: t.created_by,
            created_at: local_time(t.created_at, tz),
            expires_at: t.expires_at.map(|e| local_time(e, tz)).unwrap_or_default(),
            allowed_ips: kumiki_engine::netlist::entries(&t.allowed_ips).join(", "),
        })
        .collect();
    let users = User::list(&mut conn)?
        .into_iter()
        .filter(|u| u.is_active)
        .map(|u| Choice {
            code: u.code,
            name: u.name,
        })
        .collect();
    let mut apps = Vec::new();
    for visible in acting.visible_apps(&mut conn)? {
        let row = visible.row;
        let def = match visible.definition {
            Some(d) => Some(d),
            None => load_definition(&mut conn, AppId(row.id), PREVIEW)?.map(|(d, _)| d),
        };
        apps.push(AppChoice {
            id: row.id,
            name: def.map(|d| d.name).unwrap_or_default(),
            selected: Some(row.id) == app,
        });
    }
    let app = app.filter(|a| apps.iter().any(|c| c.id == *a));
    let app_tokens = match app {
        Some(a) => tokens::list_app_tokens(&mut conn, AppId(a))?
            .into_iter()
            .map(|t| {
                let r = t.rights;
                let names: Vec<&str> = [
                    (r.view, "view"),
                    (r.add, "add"),
                    (r.edit, "edit"),
                    (r.delete, "delete"),
                    (r.manage, "manage"),
                ]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| n)
                .collect();
                AppTokenRow {
                    id: t.id,
                    prefix: t.prefix,
                    allowed_ips: t.allowed_ips.join(", "),
                    rights: names.join(", "),
                    created_at: local_time(t.created_at, tz),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    Ok((
        TokensData {
            user_tokens,
            users,
            apps,
            app,
            app_tokens,
        },
        Value::Null,
    ))
}

/// `GET /admin/tokens[?app=N]`: per-user tokens, and the tokens of one app; create (shown once) and
/// revoke.
pub async fn tokens(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TokensQuery>,
) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let app = q.app.as_deref().and_then(|a| a.parse::<i64>().ok());
    let acting = user.acting(&state);
    let loaded = blocking(move || load_tokens(&st, &acting, app)).await;
    show(&state, &user, loaded, "admin_tokens", "admin.tokens.title")
}

// ---- audit log ----

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    outcome: Option<String>,
    offset: Option<i64>,
}

#[derive(Serialize)]
struct AuditRow {
    at: String,
    actor: String,
    peer: String,
    action: String,
    target: String,
    outcome: String,
    failed: bool,
    detail: String,
}

#[derive(Serialize)]
struct ActionChoice {
    name: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct AuditData {
    from: String,
    to: String,
    actor: String,
    target: String,
    outcome: String,
    actions: Vec<ActionChoice>,
    entries: Vec<AuditRow>,
    csv_url: String,
    prev_url: String,
    next_url: String,
    error: String,
    /// The hash chain check over the whole log (`audit::verify_chain`), run on every view.
    chain: audit::ChainReport,
    chain_ok: bool,
    /// The row count and id as text for the catalog messages.
    chain_rows: String,
    chain_broken_at: String,
}

const AUDIT_PAGE: i64 = 100;

/// A filter date (`YYYY-MM-DD`) as Unix seconds at the start of that day in `tz` (the next day for
/// `end`, so the `to` day is included).
fn day_start(s: &str, tz: chrono_tz::Tz, end: bool) -> Option<i64> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let d = if end { d.succ_opt()? } else { d };
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp())
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    s.finish()
}

fn load_audit(
    state: &AppState,
    q: AuditQuery,
    tz: chrono_tz::Tz,
    lang: Lang,
) -> Result<(AuditData, Value), ApiError> {
    let text = |v: &Option<String>| v.clone().map(|s| s.trim().to_owned()).unwrap_or_default();
    let (from, to) = (text(&q.from), text(&q.to));
    let (actor, act, target, outcome) = (
        text(&q.actor),
        text(&q.action),
        text(&q.target),
        text(&q.outcome),
    );
    let mut error = String::new();
    let mut parse = |s: &str, end: bool| {
        if s.is_empty() {
            return None;
        }
        let t = day_start(s, tz, end);
        if t.is_none() {
            error = i18n::t(lang, "admin.audit.bad_date");
        }
        t
    };
    let filter = AuditFilter {
        from: parse(&from, false),
        to: parse(&to, true),
        actor: Some(actor.clone()).filter(|s| !s.is_empty()),
        action: Some(act.clone()).filter(|s| !s.is_empty()),
        target: Some(target.clone()).filter(|s| !s.is_empty()),
        outcome: Some(outcome.clone()).filter(|s| !s.is_empty()),
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let mut conn = state.conn()?;
    let chain = audit::verify_chain(&mut conn)?;
    let mut entries = audit::list(&mut conn, &filter, AUDIT_PAGE + 1, offset)?;
    let more = entries.len() > usize::try_from(AUDIT_PAGE).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(AUDIT_PAGE).unwrap_or(0));
    let base = [
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("actor", actor.as_str()),
        ("action", act.as_str()),
        ("target", target.as_str()),
        ("outcome", outcome.as_str()),
    ];
    let page_url = |o: i64| {
        let o = o.to_string();
        let mut pairs = base.to_vec();
        pairs.push(("offset", o.as_str()));
        format!("/admin/audit?{}", query_string(&pairs))
    };
    let data = AuditData {
        csv_url: format!("/api/audit.csv?{}", query_string(&base)),
        prev_url: if offset > 0 {
            page_url((offset - AUDIT_PAGE).max(0))
        } else {
            String::new()
        },
        next_url: if more {
            page_url(offset + AUDIT_PAGE)
        } else {
            String::new()
        },
        entries: entries
            .into_iter()
            .map(|e| AuditRow {
                at: local_time(e.at, tz),
                failed: e.outcome != "success",
                detail: e.detail.to_string(),
                actor: e.actor,
                peer: e.peer,
                action: e.action,
                target: e.target,
                outcome: e.outcome,
            })
            .collect(),
        actions: action::ALL
            .iter()
            .map(|a| ActionChoice {
                name: a,
                selected: *a == act,
            })
            .collect(),
        from,
        to,
        actor,
        target,
        outcome,
        error,
        chain_ok: chain.ok(),
        chain_rows: chain.rows.to_string(),
        chain_broken_at: chain.broken_at.map(|i| i.to_string()).unwrap_or_default(),
        chain,
    };
    Ok((data, Value::Null))
}

/// `GET /admin/audit`: the audit log, filtered (dates in the user's time zone, actor, action, target,
/// outcome), 100 a page, newest first, with a CSV download of the same filter.
pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let st = state.get_ref().clone();
    let (tz, lang) = (user.tz(&state), lang_of(&user));
    let loaded = blocking(move || load_audit(&st, q.into_inner(), tz, lang)).await;
    show(&state, &user, loaded, "admin_audit", "admin.audit.title")
}

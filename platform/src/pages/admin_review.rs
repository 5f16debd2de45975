//! `GET /admin/review`: the server-wide review policy for administrators — off, every app, or the
//! apps of chosen departments (an app's department is its creator's primary department; a chosen
//! department covers its sub-departments, `kumiki_engine::review::policy`). The form is rendered
//! here with the department tree; `admin_review.js` saves it through `PUT /api/review/policy.json`
//! (audited there).

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::org::department_tree;
use kumiki_engine::review::policy::{self, PolicyMode};
use serde::Serialize;
use serde_json::json;

use super::admin::{lang_of, require_admin};
use super::session::page_for;
use super::Page;
use crate::i18n;
use crate::state::{blocking, AppState};

#[derive(Serialize)]
struct DepartmentChoice {
    code: String,
    name: String,
    /// Indentation level in the tree (0 = top).
    depth: usize,
    chosen: bool,
}

#[derive(Serialize)]
struct PolicyData {
    mode_off: bool,
    mode_all: bool,
    mode_departments: bool,
    departments: Vec<DepartmentChoice>,
    has_departments: bool,
}

/// `GET /admin/review`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_admin(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = lang_of(&user);
    let st = state.get_ref().clone();
    let loaded = blocking(move || {
        let mut conn = st.conn()?;
        let p = policy::load(&mut conn)?;
        let tree = department_tree(&mut conn)?;
        Ok((p, tree))
    })
    .await;
    let (p, tree) = match loaded {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "review policy page failed");
            return super::internal_error(&state, lang, Some(&user));
        }
    };
    let departments: Vec<DepartmentChoice> = tree
        .into_iter()
        .map(|n| DepartmentChoice {
            chosen: p.departments.contains(&n.department.code),
            code: n.department.code,
            name: n.department.name,
            depth: n.depth.min(6),
        })
        .collect();
    let data = PolicyData {
        mode_off: p.mode == PolicyMode::Off,
        mode_all: p.mode == PolicyMode::All,
        mode_departments: p.mode == PolicyMode::Departments,
        has_departments: !departments.is_empty(),
        departments,
    };
    page_for(
        &state,
        &user,
        Page {
            template: "admin_review",
            title: i18n::t(lang, "review.policy.title"),
            data: &data,
            page_data: json!({}),
            scripts: vec!["review_common.js", "admin_review.js"],
        },
    )
}

//! Importing a package from the portal in two steps (docs/packages.md "The import page"): the
//! upload shows a preview (`plan_import`: apps, conflicts, problems, review, roles with local
//! pickers), and 「読み込む」 there imports with the chosen role mapping (`import_bundle`).
//!
//! Between the steps the package travels back as a hidden field of the preview form rather than
//! being kept on the server: it is the user's own upload, the import checks it again in full, and
//! nothing has to be owned, expired or cleaned up. The forms are multipart so that the size limit
//! is the file upload's (`max_file_bytes`), not the small urlencoded form limit.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kumiki_engine::packages::{from_kintone, import_bundle, kintone_read, plan_import};
use serde::Serialize;
use serde_json::Value;

use super::session::{page_for, require_user, same_secret, SessionUser};
use super::{see_other, Page};
use crate::error::ApiError;
use crate::i18n::{self, Lang};
use crate::state::{blocking, AppState};

#[derive(Serialize, Default)]
struct Choice {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize, Default)]
struct RoleRow {
    index: usize,
    role: String,
    kind: String,
    /// 部署 / グループ / ユーザー.
    kind_label: String,
    hint: String,
    optional: bool,
    /// The plan's suggestions first, then every other local entity of the kind.
    suggested: Vec<Choice>,
    others: Vec<Choice>,
}

#[derive(Serialize, Default)]
struct PreviewData {
    error: String,
    /// The uploaded package, sent back with the mapping (see the module comment).
    package: String,
    apps: Vec<Value>,
    problems: Vec<Value>,
    /// What a converted package (kintone app files) does not carry, in the user's language.
    warnings: Vec<String>,
    roles: Vec<RoleRow>,
    review_required: bool,
    /// The signature status (issue 17 part 4): text and `trusted`/`unknown`/`unsigned`/`invalid`.
    signature: String,
    signature_status: String,
    has_records: bool,
    with_records: bool,
    /// False when the file could not be read at all: only the error and the way back show.
    has_plan: bool,
    may_import: bool,
    /// A newer version of an installed package (「更新」, `package_upgrade`).
    upgrade: Option<super::package_upgrade::UpgradeView>,
    /// A version of a package installed here (newer or not): its apps are not "to be created".
    installed_package: bool,
}

/// The fields of a multipart form, each at most `max_file_bytes`; None when one is larger.
async fn read_form(payload: &mut Multipart, limit: usize) -> Option<HashMap<String, Vec<u8>>> {
    let mut out = HashMap::new();
    while let Some(Ok(mut field)) = payload.next().await {
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(Ok(chunk)) = field.next().await {
            if data.len() + chunk.len() > limit {
                return None;
            }
            data.extend_from_slice(&chunk);
        }
        out.insert(name, data);
    }
    Some(out)
}

fn text(form: &HashMap<String, Vec<u8>>, name: &str) -> String {
    form.get(name)
        .map(|d| String::from_utf8_lossy(d).into_owned())
        .unwrap_or_default()
}

/// The first message of an error in the user's language.
fn message_of(e: &ApiError, lang: Lang) -> String {
    e.errors
        .as_ref()
        .and_then(|errs| errs.values().next().and_then(|m| m.first().cloned()))
        .map(|m| crate::error::render_message(&m, Some(lang)))
        .unwrap_or_else(|| {
            e.body(lang == Lang::Ja)["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
}

/// Local entities of `kind` as (code, name).
fn local_entities(
    conn: &mut kumiki_engine::db::DbConn,
    kind: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    use kumiki_engine::org::{list_departments, list_groups};
    Ok(match kind {
        "department" => list_departments(conn)?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect(),
        "group" => list_groups(conn)?
            .into_iter()
            .map(|g| (g.code, g.name))
            .collect(),
        _ => kumiki_engine::users::User::list(conn)?
            .into_iter()
            .filter(|u| u.is_active)
            .map(|u| (u.code, u.name))
            .collect(),
    })
}

/// A plan problem in the reader's language when it carries its message key (`message: {key,
/// args}`, e.g. the version of an upgrade); field types among the arguments (`from`, `to`) by
/// their names on the review page. Other problems keep the plan's texts.
fn localized_problem(lang: Lang, mut problem: Value) -> Value {
    let Some(key) = problem["message"]["key"].as_str().map(str::to_owned) else {
        return problem;
    };
    let args: Vec<(String, String)> = problem["message"]["args"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, v)| {
            let v = v.as_str().unwrap_or_default();
            let type_key = format!("review.type.{v}");
            let named = i18n::t(lang, &type_key);
            let v = if matches!(name.as_str(), "from" | "to") && named != type_key {
                named
            } else {
                v.to_owned()
            };
            (name.clone(), v)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    problem["messages"] = Value::Array(vec![Value::String(i18n::format(lang, &key, &pairs))]);
    problem
}

/// The preview of `package` for `user`; `chosen` (role → code) keeps the choices of a failed
/// import, else the first suggestion is chosen.
fn build(
    state: &AppState,
    user: &SessionUser,
    package: &Value,
    chosen: Option<&HashMap<String, String>>,
) -> Result<PreviewData, ApiError> {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let mut conn = state.conn()?;
    let acting = user.acting(state);
    let plan = plan_import(&mut conn, package, &acting)?;
    let list = |name: &str| plan[name].as_array().cloned().unwrap_or_default();
    let mut roles = Vec::new();
    for (index, r) in list("roles").iter().enumerate() {
        let s = |name: &str| r[name].as_str().unwrap_or_default().to_owned();
        let role = s("role");
        let kind = s("kind");
        let suggestions: Vec<String> = r["suggestions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["code"].as_str().map(str::to_owned))
            .collect();
        let pick = match chosen {
            Some(map) => map.get(&role).cloned().unwrap_or_default(),
            None => suggestions.first().cloned().unwrap_or_default(),
        };
        let mut row = RoleRow {
            index,
            hint: s("hint"),
            optional: r["optional"].as_bool().unwrap_or(false),
            ..RoleRow::default()
        };
        for (code, name) in local_entities(&mut conn, &kind)? {
            let choice = Choice {
                selected: code == pick,
                code: code.clone(),
                name,
            };
            if suggestions.contains(&code) {
                row.suggested.push(choice);
            } else {
                row.others.push(choice);
            }
        }
        row.kind_label = i18n::t(lang, &format!("pkgimport.kind.{kind}"));
        row.role = role;
        row.kind = kind;
        roles.push(row);
    }
    let apps = list("apps");
    let has_records = apps
        .iter()
        .any(|a| a["records"].as_u64().is_some_and(|n| n > 0));
    let problems: Vec<Value> = list("problems")
        .into_iter()
        .map(|p| localized_problem(lang, p))
        .collect();
    let warnings = list("warnings")
        .iter()
        .map(|w| {
            let key = w["key"].as_str().unwrap_or_default();
            let args: Vec<(&str, &str)> = w["args"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
                .collect();
            let text = i18n::format(lang, key, &args);
            format!("{}: {text}", w["app"].as_str().unwrap_or_default())
        })
        .collect();
    let sig = &plan["signature"];
    let text = |key: &str, args: &[(&str, &str)]| i18n::format(lang, key, args);
    let sig_str = |name: &str| sig[name].as_str().unwrap_or_default();
    let signature_status = sig_str("status").to_owned();
    let signature = match signature_status.as_str() {
        "trusted" => text("packages.status.trusted", &[("name", sig_str("name"))]),
        "unknown" => format!(
            "{} {}",
            text(
                "packages.status.unknown",
                &[
                    ("name", sig_str("signer")),
                    ("fingerprint", sig_str("fingerprint"))
                ]
            ),
            i18n::t(lang, "packages.status.unknown_help")
        ),
        "invalid" => format!(
            "{} {}",
            i18n::t(lang, "packages.status.invalid"),
            i18n::t(lang, "packages.status.invalid_help")
        ),
        _ => i18n::t(lang, "packages.status.unsigned"),
    };
    Ok(PreviewData {
        upgrade: super::package_upgrade::view(lang, &plan),
        installed_package: plan["upgrade"].is_object(),
        signature,
        may_import: problems.is_empty() && signature_status != "invalid",
        signature_status,
        package: package.to_string(),
        problems,
        warnings,
        apps,
        roles,
        review_required: plan["reviewRequired"].as_bool().unwrap_or(false),
        has_records,
        has_plan: true,
        ..PreviewData::default()
    })
}

fn render(state: &AppState, user: &SessionUser, data: &PreviewData) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    page_for(
        state,
        user,
        Page {
            template: "package_import",
            title: i18n::t(lang, "pkgimport.title"),
            data,
            page_data: Value::Null,
            scripts: vec!["package_import.js"],
        },
    )
}

/// The preview, or the page with only `error` when no plan can be made.
async fn show(
    state: &AppState,
    user: &SessionUser,
    package: Option<Value>,
    chosen: Option<HashMap<String, String>>,
    error: String,
    with_records: bool,
) -> HttpResponse {
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Some(package) = package else {
        return render(
            state,
            user,
            &PreviewData {
                error,
                ..PreviewData::default()
            },
        );
    };
    let st = state.clone();
    let u = user.clone();
    let result = blocking(move || build(&st, &u, &package, chosen.as_ref())).await;
    match result {
        Ok(mut data) => {
            data.error = error;
            data.with_records = with_records && data.has_records && !data.review_required;
            render(state, user, &data)
        }
        Err(e) if e.status.is_server_error() => super::internal_error(state, lang, Some(user)),
        Err(e) => {
            let data = PreviewData {
                error: message_of(&e, lang),
                ..PreviewData::default()
            };
            render(state, user, &data)
        }
    }
}

/// The preview of a package that is already on the server (a gallery template), for `user`.
pub(crate) async fn preview_package(
    state: &AppState,
    user: &SessionUser,
    package: Value,
) -> HttpResponse {
    show(state, user, Some(package), None, String::new(), true).await
}

/// The signed-in user, their language and the multipart form of a post, or the answer when the
/// user is not signed in, the form is too large or its CSRF token is wrong.
async fn signed_form(
    req: &HttpRequest,
    state: &actix_web::web::Data<AppState>,
    payload: &mut Multipart,
) -> Result<(SessionUser, Lang, HashMap<String, Vec<u8>>), HttpResponse> {
    let user = require_user(req, state).await?;
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let Some(form) = read_form(payload, state.settings.max_file_bytes).await else {
        let error = i18n::t(lang, "pkgimport.too_large");
        return Err(show(state, &user, None, None, error, false).await);
    };
    if !same_secret(&user.csrf, &text(&form, "_csrf")) {
        let error = i18n::t(lang, "error.csrf");
        return Err(show(state, &user, None, None, error, false).await);
    }
    Ok((user, lang, form))
}

/// `POST /apps/import/preview` (multipart: `_csrf`, `file`): the preview of an uploaded package.
pub async fn preview(
    req: HttpRequest,
    state: actix_web::web::Data<AppState>,
    mut payload: Multipart,
) -> HttpResponse {
    let (user, lang, form) = match signed_form(&req, &state, &mut payload).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let bytes = form.get("file").cloned().unwrap_or_default();
    // A .zip is a folder of kintone app files (docs/packages.md "kintone からの移行"), converted
    // to a bundle and previewed like any other.
    if kintone_read::is_zip(&bytes) {
        let st = state.get_ref().clone();
        let acting = user.acting(&state);
        let converted = blocking(move || {
            let apps = kintone_read::read_zip(&bytes)?;
            let mut conn = st.conn()?;
            Ok(from_kintone(&mut conn, &acting, &apps)?)
        })
        .await;
        return match converted {
            Ok(package) => show(&state, &user, Some(package), None, String::new(), false).await,
            Err(e) if e.status.is_server_error() => {
                super::internal_error(&state, lang, Some(&user))
            }
            Err(e) => show(&state, &user, None, None, message_of(&e, lang), false).await,
        };
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(package @ Value::Object(_)) => {
            show(&state, &user, Some(package), None, String::new(), true).await
        }
        _ => {
            let error = i18n::t(lang, "portal.bad_file");
            show(&state, &user, None, None, error, false).await
        }
    }
}

/// `POST /apps/import/confirm` (multipart: `_csrf`, `package`, `role_<n>` = local code,
/// `with_records`): imports every app or none, then opens the first one (its review page when
/// it waits for review); a refusal shows the preview again with the choices kept.
pub async fn confirm(
    req: HttpRequest,
    state: actix_web::web::Data<AppState>,
    mut payload: Multipart,
) -> HttpResponse {
    let (user, lang, form) = match signed_form(&req, &state, &mut payload).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Ok(package @ Value::Object(_)) = serde_json::from_str::<Value>(&text(&form, "package"))
    else {
        let error = i18n::t(lang, "portal.bad_file");
        return show(&state, &user, None, None, error, false).await;
    };
    // Roles by their position in the package (names may hold any character).
    let mut mapping = HashMap::new();
    for (i, r) in package["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let code = text(&form, &format!("role_{i}"));
        if let (Some(role), false) = (r["role"].as_str(), code.trim().is_empty()) {
            mapping.insert(role.to_owned(), code.trim().to_owned());
        }
    }
    let with_records = form.contains_key("with_records");
    let st = state.get_ref().clone();
    let acting = user.acting(&state);
    let (p, m) = (package.clone(), mapping.clone());
    let result = blocking(move || {
        let mut conn = st.conn()?;
        let created =
            conn.write_transaction(|c| import_bundle(c, &st.files, &p, &m, &acting, with_records))?;
        let first = created.first().map(|(_, id)| *id);
        // Live with nothing pending, else (a new app or an upgrade waiting for review) the
        // review page.
        let live = match first {
            Some(id) => {
                use kumiki_engine::apps::{load_definition, LIVE, PREVIEW};
                let live = load_definition(&mut conn, id, LIVE)?.map(|(d, _)| d);
                let preview = load_definition(&mut conn, id, PREVIEW)?.map(|(d, _)| d);
                live.is_some() && live == preview
            }
            None => true,
        };
        Ok((first, live))
    })
    .await;
    match result {
        Ok((Some(id), true)) => see_other(&format!("/apps/{}", id.0)),
        Ok((Some(id), false)) => see_other(&format!("/apps/{}/review", id.0)),
        Ok((None, _)) => see_other("/"),
        Err(e) if e.status.is_server_error() => super::internal_error(&state, lang, Some(&user)),
        Err(e) => {
            let error = if e.code == "GAIA_RV01" {
                i18n::t(lang, "pkgimport.review_no_records")
            } else {
                message_of(&e, lang)
            };
            show(
                &state,
                &user,
                Some(package),
                Some(mapping),
                error,
                with_records,
            )
            .await
        }
    }
}

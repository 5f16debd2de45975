//! App review before go-live, versions and rollback, record restore (`/api/...`, docs/api.md "App
//! review"). Submitting needs the app's manage right; deciding needs a reviewer (an administrator or
//! a member of `it-reviewers`), who may also read any app's review, diff, diagram and versions.
//! Approving does not deploy: as in kintone, deploy stays its own action (`preview/app/deploy.json`),
//! which the review gate lets through once the current pre-live settings are approved.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::AppRight;
use kumiki_engine::apps::{self, load_definition, AppDefinition, AppId, AppRow, LIVE, PREVIEW};
use kumiki_engine::audit::action;
use kumiki_engine::process::ProcessSettings;
use kumiki_engine::review::names::NameMap;
use kumiki_engine::review::{self, diagram, diff, readable, Submission};
use kumiki_engine::users::User;
use kumiki_engine::UserError;
use serde_json::{json, Value};

use super::call::Call;
use super::form::check_definition;
use crate::auth::{authenticate, credentials_from};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

pub(crate) fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn is_reviewer(call: &Call) -> bool {
    review::is_reviewer(&call.caller.principal)
}

/// The app, for someone who may read its review: a reviewer (any app outside guest spaces), else
/// whoever may manage it (`ActingContext::find_app_for_review`).
fn readable_app(call: &mut Call, app: i64) -> Result<AppRow, ApiError> {
    Ok(call.acting.find_app_for_review(call.conn, AppId(app))?.0)
}

pub(crate) fn user_json(call: &mut Call, code: &str) -> Result<Value, ApiError> {
    let name = User::find_by_code(call.conn, code)?
        .map(|u| u.name)
        .unwrap_or_else(|| code.to_owned());
    Ok(json!({"code": code, "name": name}))
}

pub(crate) fn submission_json(
    call: &mut Call,
    s: &Submission,
    current: i64,
) -> Result<Value, ApiError> {
    let reviewer = match &s.reviewer {
        Some(code) => user_json(call, code)?,
        None => Value::Null,
    };
    Ok(json!({
        "id": s.id.to_string(),
        "app": s.app.0.to_string(),
        "revision": s.revision.to_string(),
        "submitter": user_json(call, &s.submitter)?,
        "comment": s.comment,
        "submittedAt": iso(s.submitted_at),
        "state": s.state.as_str(),
        "reviewer": reviewer,
        "reviewComment": s.review_comment,
        "reviewedAt": s.reviewed_at.map(iso),
        // Whether it still describes the pre-live settings (a later change outdates it).
        "current": s.revision == current,
    }))
}

fn stage(
    call: &mut Call,
    app: AppId,
    stage: &str,
) -> Result<Option<(AppDefinition, i64)>, ApiError> {
    Ok(load_definition(call.conn, app, stage)?)
}

/// A definition named by `live`, `preview` or a version number. A never-deployed app's `live` is a
/// new app (system fields only), so its diff shows what the builder added.
fn definition_at(
    call: &mut Call,
    app: AppId,
    spec: &str,
    key: &str,
) -> Result<(AppDefinition, Value), ApiError> {
    match spec {
        "preview" => {
            let (d, r) = stage(call, app, PREVIEW)?
                .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
            Ok((d, json!({"stage": "preview", "revision": r.to_string()})))
        }
        "live" => match stage(call, app, LIVE)? {
            Some((d, r)) => Ok((d, json!({"stage": "live", "revision": r.to_string()}))),
            None => {
                let empty = review::queue::empty()?;
                Ok((empty, json!({"stage": "live", "revision": null})))
            }
        },
        other => {
            let version: i64 = other
                .parse()
                .map_err(|_| ApiError::invalid(key, "Enter live, preview or a version number."))?;
            let found = apps::versions(call.conn, app)?
                .into_iter()
                .find(|v| v.version == version)
                .ok_or_else(|| ApiError::invalid(key, "No such version."))?;
            let def: AppDefinition =
                serde_json::from_str(&found.definition).map_err(|_| ApiError::internal())?;
            Ok((def, json!({"version": version.to_string()})))
        }
    }
}

/// `POST /api/app/review/submit.json {app, comment}` → `{submission}`.
pub fn submit(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    call.app_row(app, AppRight::Manage)?;
    let comment = p.opt_str("comment")?.unwrap_or_default();
    let user = call.caller.principal.acting_user().to_owned();
    let s = review::submit(call.conn, AppId(app), &user, &comment)?;
    call.audit(
        action::APP_REVIEW_SUBMIT,
        &format!("app:{app}"),
        json!({"submission": s.id, "revision": s.revision, "comment": comment}),
    )?;
    let current = s.revision;
    Ok(json!({"submission": submission_json(call, &s, current)?}))
}

/// `GET /api/app/review/submissions.json?app` → `{requireReview, requiredBy, isReviewer, previewRevision,
/// liveRevision, approved, submissions[]}` (newest first; `approved`: the current pre-live settings
/// may deploy).
pub fn list(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    readable_app(call, app)?;
    let id = AppId(app);
    let (preview, preview_revision) =
        stage(call, id, PREVIEW)?.ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
    let live = stage(call, id, LIVE)?;
    let requirement = review::requirement(call.conn, id, &preview, live.as_ref().map(|(d, _)| d))?;
    let approved = review::approved_for_current(call.conn, id)?;
    let mut out = Vec::new();
    for s in review::list(call.conn, id)? {
        out.push(submission_json(call, &s, preview_revision)?);
    }
    Ok(json!({
        "requireReview": requirement.required(),
        // `app` (its own setting), `policy` (the server-wide policy) or `none`.
        "requiredBy": requirement.as_str(),
        "isReviewer": is_reviewer(call),
        "previewRevision": preview_revision.to_string(),
        "liveRevision": live.map(|(_, r)| r.to_string()),
        "approved": approved,
        "submissions": out,
    }))
}

/// `GET /api/app/review/submission.json?app&id` → `{submission}`.
pub fn get(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    readable_app(call, app)?;
    let s = review::get(call.conn, AppId(app), p.i64("id")?)?;
    let current = stage(call, AppId(app), PREVIEW)?
        .map(|(_, r)| r)
        .unwrap_or(0);
    Ok(json!({"submission": submission_json(call, &s, current)?}))
}

/// `POST /api/app/review/decide.json {app, submission, approve, comment}` → `{submission}`.
/// Reviewers only (`CB_NO02` otherwise); a rejection needs a comment.
pub fn decide(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    if !is_reviewer(call) {
        return Err(ApiError::no_privilege());
    }
    let app = p.i64("app")?;
    readable_app(call, app)?;
    let id = p.i64("submission")?;
    let approve = p
        .opt_bool("approve")?
        .ok_or_else(|| ApiError::invalid("approve", "Required field."))?;
    let comment = p.opt_str("comment")?.unwrap_or_default();
    let user = call.caller.principal.acting_user().to_owned();
    let s = review::decide(call.conn, AppId(app), id, &user, approve, &comment)?;
    let verb = if approve {
        action::APP_REVIEW_APPROVE
    } else {
        action::APP_REVIEW_REJECT
    };
    call.audit(
        verb,
        &format!("app:{app}"),
        json!({"submission": id, "revision": s.revision, "comment": comment, "submitter": s.submitter}),
    )?;
    let current = s.revision;
    Ok(json!({"submission": submission_json(call, &s, current)?}))
}

/// The names of every user, department and group two definitions refer to (process, permissions,
/// default values).
pub(crate) fn names_for(
    call: &mut Call,
    old: &AppDefinition,
    new: &AppDefinition,
) -> Result<NameMap, ApiError> {
    let a = serde_json::to_value(old).map_err(|_| ApiError::internal())?;
    let b = serde_json::to_value(new).map_err(|_| ApiError::internal())?;
    Ok(NameMap::load_for(call.conn, &[&a, &b])?)
}

/// `GET /api/app/diff.json?app&from=live|preview|<version>&to=…` (defaults: live → preview) →
/// `{from, to, statements[{section, statements[{key, args, compare?, lines?}]}], sections[{section,
/// changes[{kind, item, key, label?, details[{path, old, new}]}]}], text}`. `statements` are the
/// sentences for people (message keys of the `review.say.*` catalog with arguments, docs/api.md);
/// `sections` and `text` the path-by-path detail.
pub fn diff(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    readable_app(call, app)?;
    let from = p.opt_str("from")?.unwrap_or_else(|| "live".into());
    let to = p.opt_str("to")?.unwrap_or_else(|| "preview".into());
    let (old, from_desc) = definition_at(call, AppId(app), &from, "from")?;
    let (new, to_desc) = definition_at(call, AppId(app), &to, "to")?;
    let d = diff::diff(&old, &new);
    let names = names_for(call, &old, &new)?;
    Ok(json!({
        "from": from_desc,
        "to": to_desc,
        "statements": readable::describe(&old, &new, &names),
        "sections": d.sections,
        "text": d.to_text(),
    }))
}

/// `GET /api/app/versions.json?app` → `{versions[{version, deployedBy{code,name}, deployedAt,
/// live}]}`, newest first.
pub fn versions(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let row = readable_app(call, app)?;
    let mut out = Vec::new();
    for v in apps::versions(call.conn, AppId(app))? {
        out.push(json!({
            "version": v.version.to_string(),
            "deployedBy": user_json(call, &v.deployed_by)?,
            "deployedAt": iso(v.deployed_at),
            "live": v.version == row.live_version,
        }));
    }
    Ok(json!({"versions": out}))
}

/// `POST /api/app/rollback.json {app, version}` → `{deployed, revision, submission?}`: copies the
/// version into the pre-live stage and deploys it. Under review, a reviewer's rollback is their
/// approval (recorded as a submission they approved); anyone else's waits as a pending submission.
pub fn rollback(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app = p.i64("app")?;
    let reviewer = is_reviewer(call);
    if reviewer {
        readable_app(call, app)?;
    } else {
        call.app_row(app, AppRight::Manage)?;
    }
    let id = AppId(app);
    let version = p.i64("version")?;
    let target = apps::versions(call.conn, id)?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| ApiError::invalid("version", "No such version."))?;
    let mut def: AppDefinition =
        serde_json::from_str(&target.definition).map_err(|_| ApiError::internal())?;
    let live = stage(call, id, LIVE)?;
    let user = call.caller.principal.acting_user().to_owned();
    let (current, _) =
        stage(call, id, PREVIEW)?.ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
    // Field ids are never reused: keep the counter of the newer definition.
    def.next_field_id = def.next_field_id.max(current.next_field_id);
    // Whether the app asks for review is today's setting, not part of what is rolled back.
    let own = review::requires_review(&current)
        || live
            .as_ref()
            .is_some_and(|(d, _)| review::requires_review(d));
    if own {
        def.settings
            .insert(review::REQUIRE_REVIEW.into(), Value::Bool(true));
    } else {
        def.settings.remove(review::REQUIRE_REVIEW);
    }
    let mut live_now = live.as_ref().map(|(d, _)| d.clone());
    if let Some(l) = live_now.as_mut() {
        l.next_field_id = def.next_field_id;
    }
    if live_now.as_ref() == Some(&def) {
        return Err(ApiError::invalid(
            "version",
            "This version is already live.",
        ));
    }
    let revision = apps::save_preview(call.conn, id, None, &user, move |d| {
        *d = def;
        Ok(())
    })?;
    call.audit(
        action::APP_ROLLBACK,
        &format!("app:{app}"),
        json!({"version": version, "revision": revision}),
    )?;
    let (preview, _) =
        stage(call, id, PREVIEW)?.ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
    let required =
        review::requirement(call.conn, id, &preview, live.as_ref().map(|(d, _)| d))?.required();
    let comment = format!("Rollback to version {version}");
    let mut submission = None;
    if required {
        let s = review::submit(call.conn, id, &user, &comment)?;
        call.audit(
            action::APP_REVIEW_SUBMIT,
            &format!("app:{app}"),
            json!({"submission": s.id, "revision": s.revision, "comment": comment}),
        )?;
        if !reviewer {
            let json = submission_json(call, &s, revision)?;
            return Ok(
                json!({"deployed": false, "revision": revision.to_string(), "submission": json}),
            );
        }
        let s = review::decide(call.conn, id, s.id, &user, true, &comment)?;
        call.audit(
        action::APP_REVIEW_APPROVE,
            &format!("app:{app}"),
            json!({"submission": s.id, "revision": s.revision, "comment": comment, "submitter": s.submitter}),
        )?;
        submission = Some(submission_json(call, &s, revision)?);
    }
    apps::deploy(
        call.conn,
        id,
        Some(revision),
        false,
        &user,
        |_conn, preview, _live| check_definition(preview).map_err(kumiki_engine::EngineError::User),
    )?;
    call.audit(
        action::APP_DEPLOY,
        &format!("app:{app}"),
        json!({"revert": false, "revision": revision, "rollbackTo": version}),
    )?;
    Ok(json!({"deployed": true, "revision": revision.to_string(), "submission": submission}))
}

/// `POST /api/record/restore.json {app, id, revision}` → `{revision}`: saves the record's values at
/// that revision as a new revision (edit right; the normal write path).
pub fn restore_record(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let app_id = p.i64("app")?;
    let app = call.live_app(app_id, AppRight::Edit)?;
    let id = p.i64("id")?;
    let revision = p.i64("revision")?;
    let actor = call.actor();
    let new_revision = review::restore::restore_record(call.conn, &app, id, revision, &actor)?;
    call.audit(
        action::RECORD_RESTORE,
        &format!("app:{app_id}"),
        json!({"record": id, "revision": revision, "newRevision": new_revision}),
    )?;
    Ok(json!({"revision": new_revision.to_string()}))
}

/// The SVG of a definition's process, in the caller's language.
fn diagram_svg(call: &mut Call, p: &Params, ja: bool) -> Result<(String, String), ApiError> {
    let app = p.i64("app")?;
    readable_app(call, app)?;
    let spec = p.opt_str("stage")?.unwrap_or_else(|| "preview".into());
    let (def, _) = definition_at(call, AppId(app), &spec, "stage")?;
    let settings = ProcessSettings::from_definition(&def);
    let svg = render_diagram(call, &settings, &def.name, ja)?;
    Ok((svg, format!("app-{app}-{spec}-process.svg")))
}

/// The one way routes draw a workflow diagram (the review page, the process settings preview): the
/// caller's language, and people, departments and groups shown the way the pages show them.
pub(crate) fn render_diagram(
    call: &mut Call,
    settings: &ProcessSettings,
    title: &str,
    ja: bool,
) -> Result<String, ApiError> {
    let labels = if ja {
        diagram::Labels::JA
    } else {
        diagram::Labels::EN
    };
    // Every entity of the states and actions, as `{type, code}`, to read their names at once.
    let mut entities = Vec::new();
    let states = settings.states.as_deref().unwrap_or_default();
    let lists = states
        .iter()
        .map(|s| &s.assignee.entities)
        .chain(settings.actions().iter().map(|a| &a.executable_user));
    for list in lists {
        for e in list {
            entities.push(json!({"type": e.kind.name(), "code": e.code}));
        }
    }
    let entities = Value::Array(entities);
    let names = NameMap::load_for(call.conn, &[&entities])?;
    Ok(diagram::render_svg_named(settings, title, &labels, &names))
}

/// `GET /api/app/diagram.svg?app&stage=preview|live|<version>&download=1&lang=ja|en`: the
/// workflow diagram as `image/svg+xml` (an attachment with `download=1`). Same authentication as
/// the JSON APIs; errors are the usual JSON envelope.
pub async fn diagram_endpoint(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = parse_query_string(req.query_string());
    let lang = params
        .get("lang")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let ja = match lang.as_deref() {
        Some(l) => l.starts_with("ja"),
        None => super::wants_japanese(&req) || req.headers().get("Accept-Language").is_none(),
    };
    let download = params.get("download").and_then(Value::as_str) == Some("1");
    let creds = match credentials_from(&req) {
        Ok(c) => c,
        Err(e) => return e.response(ja),
    };
    let state = state.get_ref().clone();
    let result = blocking(move || {
        let mut conn = state.conn()?;
        let caller = authenticate(&state, &mut conn, &creds)?;
        conn.read_transaction(|conn| {
            let acting = caller.api_acting(None);
            let mut call = Call::new(&state, conn, &caller, &acting);
            diagram_svg(&mut call, &Params(&params), ja)
        })
    })
    .await;
    match result {
        Ok((svg, name)) => {
            let mut response = HttpResponse::Ok();
            response
                .content_type("image/svg+xml; charset=utf-8")
                .insert_header(("X-Content-Type-Options", "nosniff"))
                // The SVG is a picture: no scripts, no outside resources, even when opened directly.
                .insert_header((
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'",
                ))
                .insert_header(("Cache-Control", "no-store"));
            if download {
                response.insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"{name}\""),
                ));
            }
            response.body(svg)
        }
        Err(e) => e.response(ja),
    }
}

//! The residents' requests: `GET`/`POST /f/{slug}` and `/f/{slug}/l/{token}`, and the done page.
//! Handlers only translate: the engine opens the form, validates and submits
//! (`kumiki_engine::public_forms::submit`); here are the steps of the page, the signatures of what
//! the page carries, the rate limits and the statuses.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::acl::Principal;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppId;
use kumiki_engine::public_forms::{self as pf, Opened, PublicField, Submission, PUBLIC_FORM_USER};
use kumiki_engine::{EngineError, UserError};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::input::{self, Caps, FileProblem, Posted, ReadError};
use super::render::{self, Draft, FileRef, FormExtras, Frame};
use super::sign;
use super::texts::{self, PageLang};
use crate::client_address::{client_address, client_ip};
use crate::error::ApiError;
use crate::state::{blocking, AppState};

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    r: Option<String>,
    lang: Option<String>,
}

/// Which form and link a request is for.
struct Target {
    slug: String,
    token: Option<String>,
}

impl Target {
    fn path(&self) -> String {
        match &self.token {
            Some(t) => format!("/f/{}/l/{}", self.slug, t),
            None => format!("/f/{}", self.slug),
        }
    }

    fn storage_key(&self) -> String {
        match &self.token {
            Some(t) => format!("kumiki-pf:{}:{}", self.slug, t),
            None => format!("kumiki-pf:{}", self.slug),
        }
    }

    fn token(&self) -> &str {
        self.token.as_deref().unwrap_or("")
    }
}

/// A form as opened for a request, and its HMAC key.
struct Loaded {
    opened: std::sync::Arc<Opened>,
    secret: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The engine's context for residents: the server acting through the public-form channel (the
/// engine narrows it to the form's own principal for the record write), with the client's address
/// for audit rows.
fn resident_context(state: &AppState, peer: &str) -> ActingContext {
    ActingContext::new(
        Principal::System,
        Channel::PublicForm,
        state.settings.default_timezone,
    )
    .with_peer(peer, "public-form")
}

/// The language asked for, else what the browser prefers among Japanese and English.
fn requested_lang(req: &HttpRequest, asked: Option<&str>) -> PageLang {
    if let Some(l) = asked.and_then(PageLang::parse) {
        return l;
    }
    let accept = req
        .headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("en") {
        PageLang::En
    } else {
        PageLang::Ja
    }
}

/// `lang` if the form offers it (Japanese always), else Japanese.
fn form_lang(opened: &Opened, lang: PageLang) -> PageLang {
    let offered = lang == PageLang::Ja
        || opened
            .form
            .settings
            .languages
            .iter()
            .any(|l| l == lang.code());
    if offered {
        lang
    } else {
        PageLang::Ja
    }
}

/// What an engine error means for the page: its status and error page, or None for "not a
/// refusal of the form" (shown on the form itself).
fn refusal(e: &EngineError) -> Option<(StatusCode, &'static str)> {
    match e {
        EngineError::User(UserError::FormNotFound) => Some((StatusCode::NOT_FOUND, "not_found")),
        EngineError::User(UserError::FormClosed) => Some((StatusCode::GONE, "closed")),
        EngineError::User(UserError::FormLinkUsed) => Some((StatusCode::CONFLICT, "used")),
        _ => None,
    }
}

async fn load(state: &AppState, target: &Target, peer: String) -> Result<Loaded, EngineError> {
    let st = state.clone();
    let slug = target.slug.clone();
    let token = target.token.clone();
    let result = web::block(move || -> Result<Loaded, EngineError> {
        let mut conn = st.db.conn()?;
        let ctx = resident_context(&st, &peer);
        let opened = pf::open(&mut conn, &ctx, &slug, token.as_deref())?;
        let secret = pf::secret(&mut conn, opened.form.id)?;
        Ok(Loaded {
            opened: std::sync::Arc::new(opened),
            secret,
        })
    })
    .await;
    match result {
        Ok(r) => r,
        Err(e) => Err(EngineError::Internal(format!("blocking task failed: {e}"))),
    }
}

/// The page for an engine error: the form's refusal, else the internal-error page (logged).
fn engine_error_page(state: &AppState, lang: PageLang, e: &EngineError) -> HttpResponse {
    match refusal(e) {
        Some((status, kind)) => render::error_page(state, status, lang, kind, None),
        None => {
            tracing::error!(error = %e, "a public form could not be opened");
            render::error_page(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                "internal",
                None,
            )
        }
    }
}

fn frame<'a>(lang: PageLang, loaded: &'a Loaded, target: &Target) -> Frame<'a> {
    Frame {
        lang,
        form: &loaded.opened.form,
        action: target.path(),
        recipient: loaded.opened.link.as_ref().map(|l| l.recipient.as_str()),
        storage_key: target.storage_key(),
    }
}

/// The values a form starts with: the link's prefill, or an editable link's current answer.
fn initial_draft(opened: &Opened) -> Draft {
    let mut draft = Draft::default();
    for f in &opened.app_fields {
        let Some(v) = opened.current.get(&f.code) else {
            continue;
        };
        if f.field_type == "FILE" {
            // Files of an earlier answer are kept by the record; a new upload replaces them.
            continue;
        }
        draft.values.insert(f.code.clone(), strings_of(v));
    }
    draft
}

fn strings_of(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::Null => Vec::new(),
        Value::Object(o) => o.get("value").map(strings_of).unwrap_or_default(),
        other => vec![other.to_string()],
    }
}

fn copy_offered(state: &AppState, opened: &Opened) -> bool {
    state.mail.enabled() && opened.form.settings.email_copy_field.is_some()
}

/// A fresh challenge when the form asks for proof of work.
fn fresh_pow(loaded: &Loaded) -> Option<(String, String)> {
    let form = &loaded.opened.form;
    form.settings.pow.enabled.then(|| {
        (
            sign::new_challenge(&loaded.secret, form.id, now()),
            String::new(),
        )
    })
}

pub async fn form_page(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let target = Target {
        slug: path.into_inner(),
        token: None,
    };
    show_form(&req, &state, target, query.lang.as_deref()).await
}

pub async fn link_page(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<LangQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (slug, token) = path.into_inner();
    let target = Target {
        slug,
        token: Some(token),
    };
    show_form(&req, &state, target, query.lang.as_deref()).await
}

async fn show_form(
    req: &HttpRequest,
    state: &AppState,
    target: Target,
    asked: Option<&str>,
) -> HttpResponse {
    let lang = requested_lang(req, asked);
    let loaded = match load(state, &target, client_address(req)).await {
        Ok(l) => l,
        Err(e) => return engine_error_page(state, lang, &e),
    };
    let lang = form_lang(&loaded.opened, lang);
    let draft = initial_draft(&loaded.opened);
    let extras = FormExtras {
        problems: BTreeMap::new(),
        alert: None,
        sig: sign::sign_files(
            &loaded.secret,
            &target.slug,
            target.token(),
            &draft.files_json(),
        ),
        pow: fresh_pow(&loaded),
        copy_offered: copy_offered(state, &loaded.opened),
    };
    render::form_page(
        state,
        StatusCode::OK,
        &frame(lang, &loaded, &target),
        &loaded.opened.app_fields,
        &draft,
        extras,
    )
}

pub async fn form_post(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let target = Target {
        slug: path.into_inner(),
        token: None,
    };
    post(&req, &state, target, query.lang.as_deref(), payload).await
}

pub async fn link_post(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<LangQuery>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (slug, token) = path.into_inner();
    let target = Target {
        slug,
        token: Some(token),
    };
    post(&req, &state, target, query.lang.as_deref(), payload).await
}

/// A step of the form: `confirm`, `back` or `submit`.
async fn post(
    req: &HttpRequest,
    state: &AppState,
    target: Target,
    asked: Option<&str>,
    payload: web::Payload,
) -> HttpResponse {
    let peer = client_address(req);
    let lang = requested_lang(req, asked);
    let loaded = match load(state, &target, peer.clone()).await {
        Ok(l) => l,
        Err(e) => return engine_error_page(state, lang, &e),
    };
    let form = &loaded.opened.form;
    let back = Some(target.path());
    // Counted before the body is read: a flood costs a lookup, not an upload.
    let limits = &form.settings.limits;
    if state
        .public_forms
        .limits
        .hit(
            form.id,
            client_ip(req),
            limits.per_address_per_minute,
            limits.per_form_per_minute,
            now(),
        )
        .is_err()
    {
        return render::error_page(state, StatusCode::TOO_MANY_REQUESTS, lang, "rate", back);
    }
    let file_fields: Vec<String> = loaded
        .opened
        .app_fields
        .iter()
        .filter(|f| f.field_type == "FILE" && !f.prefilled)
        .map(|f| f.code.clone())
        .collect();
    let rules = &form.settings.files;
    let max_file = rules
        .max_bytes
        .min(u64::try_from(state.settings.max_file_bytes).unwrap_or(u64::MAX));
    let caps = Caps {
        file_fields: &file_fields,
        max_file,
        types: &rules.types,
    };
    let posted = match input::read(req, payload, &caps, &state.files, &state.body_budget).await {
        Ok(p) => p,
        Err(ReadError::TooLarge) => {
            return render::error_page(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                lang,
                "too_large",
                back,
            )
        }
        Err(ReadError::Busy) => {
            return render::error_page(state, StatusCode::TOO_MANY_REQUESTS, lang, "rate", back)
        }
        Err(ReadError::Malformed) => {
            return render::error_page(state, StatusCode::BAD_REQUEST, lang, "bad_request", back)
        }
        Err(ReadError::Internal(detail)) => {
            let _logged = ApiError::internal_because(detail);
            return render::error_page(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                "internal",
                back,
            );
        }
    };
    let lang = form_lang(
        &loaded.opened,
        PageLang::parse(posted.get("lang")).unwrap_or(lang),
    );
    if !posted.get("homepage").is_empty() {
        tracing::info!(form = form.id, "a public form post filled the honeypot");
        return render::error_page(state, StatusCode::FORBIDDEN, lang, "forbidden", back);
    }
    let Some(mut draft) = draft_of(&posted, &loaded, &target, &file_fields) else {
        tracing::info!(
            form = form.id,
            "a public form post carried files with a bad signature"
        );
        return render::error_page(state, StatusCode::BAD_REQUEST, lang, "bad_request", back);
    };
    let pow = (
        posted.get("challenge").to_owned(),
        posted.get("pow").to_owned(),
    );
    let step_name = posted.get("step").to_owned();
    let mut problems: BTreeMap<String, String> = BTreeMap::new();
    if let Err(resp) = store_uploads(
        state,
        &loaded,
        posted.uploads,
        &peer,
        lang,
        &mut draft,
        &mut problems,
    )
    .await
    {
        return resp;
    }
    let step = Step {
        state,
        loaded: &loaded,
        target: &target,
        lang,
        draft,
        problems,
        pow,
    };
    match step_name.as_str() {
        "back" => step.form(StatusCode::OK, None),
        "confirm" => step.confirm().await,
        "submit" => step.submit(peer).await,
        _ => render::error_page(state, StatusCode::BAD_REQUEST, lang, "bad_request", back),
    }
}

/// The draft of a post: its values (a link's prefilled values always from the link) and its
/// files, whose signature must hold. None: a forged or damaged `files`/`sig`.
fn draft_of(
    posted: &Posted,
    loaded: &Loaded,
    target: &Target,
    file_fields: &[String],
) -> Option<Draft> {
    let opened = &loaded.opened;
    let mut draft = Draft {
        copy: posted.get("copy") == "1",
        ..Draft::default()
    };
    for f in &opened.app_fields {
        if f.field_type == "FILE" {
            continue;
        }
        let values = if f.prefilled {
            opened.current.get(&f.code).map(strings_of)
        } else {
            posted.values.get(&f.code).cloned()
        };
        if let Some(values) = values {
            draft.values.insert(f.code.clone(), values);
        }
    }
    let files = posted.get("files");
    if !files.is_empty() && files != "{}" {
        if !sign::verify_files(
            &loaded.secret,
            &target.slug,
            target.token(),
            files,
            posted.get("sig"),
        ) {
            return None;
        }
        let parsed: BTreeMap<String, Vec<FileRef>> = serde_json::from_str(files).ok()?;
        draft.files = parsed
            .into_iter()
            .filter(|(code, v)| file_fields.contains(code) && !v.is_empty())
            .collect();
    }
    Some(draft)
}

/// Stores the files of this post that pass the form's caps (replacing what their fields had) and
/// notes a message beside the fields of those that do not.
async fn store_uploads(
    state: &AppState,
    loaded: &Loaded,
    uploads: Vec<input::Upload>,
    peer: &str,
    lang: PageLang,
    draft: &mut Draft,
    problems: &mut BTreeMap<String, String>,
) -> Result<(), HttpResponse> {
    let rules = &loaded.opened.form.settings.files;
    let mut replaced: Vec<String> = Vec::new();
    for upload in uploads {
        if let Some(problem) = upload.problem {
            let message = match problem {
                FileProblem::TooLarge => texts::format(
                    lang,
                    "pf.err.file_size",
                    &[("size", &texts::size(rules.max_bytes))],
                ),
                FileProblem::WrongType => {
                    let names: Vec<String> =
                        rules.types.iter().map(|t| texts::type_name(t)).collect();
                    texts::format(lang, "pf.err.file_type", &[("types", &names.join("・"))])
                }
            };
            problems.insert(upload.code, message);
            continue;
        }
        let Some(incoming) = upload.incoming else {
            continue;
        };
        let st = state.clone();
        let (name, content_type, peer) = (
            upload.name.clone(),
            upload.content_type.clone(),
            peer.to_owned(),
        );
        let stored = web::block(move || -> Result<String, EngineError> {
            let mut conn = st.db.conn()?;
            st.files.store(
                &mut conn,
                incoming,
                &name,
                &content_type,
                PUBLIC_FORM_USER,
                &peer,
            )
        })
        .await;
        match stored {
            Ok(Ok(key)) => {
                let list = draft.files.entry(upload.code.clone()).or_default();
                if !replaced.contains(&upload.code) {
                    list.clear();
                    replaced.push(upload.code.clone());
                }
                list.push(FileRef {
                    file_key: key,
                    name: kumiki_engine::records::display_name(&upload.name),
                    size: upload.size,
                });
            }
            Ok(Err(EngineError::User(_))) => {
                // Refused by the virus scanner (or its failure): beside the field, nothing kept.
                problems.insert(upload.code, texts::text(lang, "pf.err.file_refused"));
            }
            Ok(Err(e)) => {
                let _logged = ApiError::from(e);
                return Err(render::error_page(
                    state,
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang,
                    "internal",
                    None,
                ));
            }
            Err(e) => {
                let _logged = ApiError::internal_because(format!("blocking task failed: {e}"));
                return Err(render::error_page(
                    state,
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang,
                    "internal",
                    None,
                ));
            }
        }
    }
    Ok(())
}

/// One post being answered.
struct Step<'a> {
    state: &'a AppState,
    loaded: &'a Loaded,
    target: &'a Target,
    lang: PageLang,
    draft: Draft,
    problems: BTreeMap<String, String>,
    /// The posted challenge and answer.
    pow: (String, String),
}

impl Step<'_> {
    fn fields(&self) -> &[PublicField] {
        &self.loaded.opened.app_fields
    }

    fn sig(&self) -> String {
        sign::sign_files(
            &self.loaded.secret,
            &self.target.slug,
            self.target.token(),
            &self.draft.files_json(),
        )
    }

    /// Whether the posted proof of work holds; `Ok` with its expiry, or when the form asks none.
    fn check_pow(&self) -> Result<Option<i64>, ()> {
        let form = &self.loaded.opened.form;
        if !form.settings.pow.enabled {
            return Ok(None);
        }
        let (challenge, answer) = &self.pow;
        sign::verify_pow(
            &self.loaded.secret,
            form.id,
            challenge,
            answer,
            form.settings.pow.bits,
            now(),
        )
        .map(Some)
        .map_err(|_| ())
    }

    /// The challenge the re-shown form carries: the posted one while it holds, else a fresh one.
    fn pow_for_form(&self) -> Option<(String, String)> {
        match self.check_pow() {
            Ok(Some(_)) => Some(self.pow.clone()),
            _ => fresh_pow(self.loaded),
        }
    }

    /// The form again with the draft, the problems and an optional message on top.
    fn form(self, status: StatusCode, alert: Option<String>) -> HttpResponse {
        let extras = FormExtras {
            sig: self.sig(),
            pow: self.pow_for_form(),
            copy_offered: copy_offered(self.state, &self.loaded.opened),
            problems: self.problems,
            alert,
        };
        render::form_page(
            self.state,
            status,
            &frame(self.lang, self.loaded, self.target),
            &self.loaded.opened.app_fields,
            &self.draft,
            extras,
        )
    }

    fn submission(&self) -> Submission {
        let mut values = Map::new();
        for f in self.fields() {
            let v = if f.field_type == "FILE" {
                let keys: Vec<Value> = self
                    .draft
                    .files
                    .get(&f.code)
                    .map(|files| {
                        files
                            .iter()
                            .map(|file| serde_json::json!({"fileKey": file.file_key}))
                            .collect()
                    })
                    .unwrap_or_default();
                Value::Array(keys)
            } else if f.field_type == "CHECK_BOX" || f.field_type == "MULTI_SELECT" {
                Value::Array(
                    self.draft
                        .values
                        .get(&f.code)
                        .map(|v| v.iter().map(|s| Value::String(s.clone())).collect())
                        .unwrap_or_default(),
                )
            } else {
                Value::String(self.draft.first(&f.code).to_owned())
            };
            values.insert(f.code.clone(), v);
        }
        Submission {
            values,
            lang: self.lang.code().to_owned(),
            copy_to: self.copy_to(),
        }
    }

    /// The copy's address: the e-mail field's value when "send me a copy" is ticked.
    fn copy_to(&self) -> Option<String> {
        if !self.draft.copy || !copy_offered(self.state, &self.loaded.opened) {
            return None;
        }
        let field = self
            .loaded
            .opened
            .form
            .settings
            .email_copy_field
            .as_deref()?;
        let address = self.draft.first(field).trim();
        (!address.is_empty()).then(|| address.to_owned())
    }

    fn note_problems(&mut self, problems: &[pf::FieldProblem]) {
        for p in problems {
            self.problems
                .entry(p.code.clone())
                .or_insert_with(|| texts::message(self.lang, &p.message));
        }
    }

    async fn confirm(mut self) -> HttpResponse {
        if self.check_pow().is_err() {
            let alert = texts::text(self.lang, "pf.err.pow");
            return self.form(StatusCode::FORBIDDEN, Some(alert));
        }
        let submission = self.submission();
        let st = self.state.clone();
        let opened = std::sync::Arc::clone(&self.loaded.opened);
        let checked = web::block(
            move || -> Result<Result<(), Vec<pf::FieldProblem>>, EngineError> {
                let mut conn = st.db.conn()?;
                match pf::validate(&mut conn, &opened, &submission) {
                    Ok(_) => Ok(Ok(())),
                    Err(UserError::FormInvalid(problems)) => Ok(Err(problems)),
                    Err(other) => Err(EngineError::User(other)),
                }
            },
        )
        .await;
        match checked {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(problems))) => self.note_problems(&problems),
            Ok(Err(e)) => return self.failed(e),
            Err(e) => {
                return self.failed(EngineError::Internal(format!("blocking task failed: {e}")))
            }
        }
        if !self.problems.is_empty() {
            return self.form(StatusCode::UNPROCESSABLE_ENTITY, None);
        }
        let mut carried = vec![
            ("lang".to_owned(), self.lang.code().to_owned()),
            ("files".to_owned(), self.draft.files_json()),
            ("sig".to_owned(), self.sig()),
        ];
        if self.loaded.opened.form.settings.pow.enabled {
            carried.push(("challenge".to_owned(), self.pow.0.clone()));
            carried.push(("pow".to_owned(), self.pow.1.clone()));
        }
        if self.draft.copy {
            carried.push(("copy".to_owned(), "1".to_owned()));
        }
        let copy_to = self.copy_to();
        render::confirm_page(
            self.state,
            &frame(self.lang, self.loaded, self.target),
            self.fields(),
            &self.draft,
            carried,
            copy_to.as_deref(),
        )
    }

    async fn submit(mut self, peer: String) -> HttpResponse {
        let now = now();
        match self.check_pow() {
            Ok(None) => {}
            Ok(Some(expires)) => {
                if !self
                    .state
                    .public_forms
                    .limits
                    .spend_challenge(&self.pow.0, expires, now)
                {
                    let alert = texts::text(self.lang, "pf.err.pow");
                    self.pow = (String::new(), String::new());
                    return self.form(StatusCode::FORBIDDEN, Some(alert));
                }
            }
            Err(()) => {
                let alert = texts::text(self.lang, "pf.err.pow");
                return self.form(StatusCode::FORBIDDEN, Some(alert));
            }
        }
        if !self.problems.is_empty() {
            return self.form(StatusCode::UNPROCESSABLE_ENTITY, None);
        }
        let submission = self.submission();
        let st = self.state.clone();
        let slug = self.target.slug.clone();
        let token = self.target.token.clone();
        let form = &self.loaded.opened.form;
        let principal = Principal::PublicForm {
            form: form.id,
            app: AppId(form.app),
            record: self.loaded.opened.link.as_ref().and_then(|l| l.record_id),
        };
        let tz = st.settings.default_timezone;
        let script_acting = ActingContext::new(principal, Channel::Script, tz)
            .with_peer(peer.clone(), "public-form");
        let result = web::block(move || {
            let mut conn = st.db.conn()?;
            let ctx = resident_context(&st, &peer);
            let scripts = Some(st.scripts.context(script_acting));
            pf::submit(
                &mut conn,
                &ctx,
                &slug,
                token.as_deref(),
                &submission,
                scripts,
            )
        })
        .await;
        let receipt = match result {
            Ok(Ok(r)) => r,
            Ok(Err(EngineError::User(UserError::FormInvalid(problems)))) => {
                self.note_problems(&problems);
                return self.form(StatusCode::UNPROCESSABLE_ENTITY, None);
            }
            Ok(Err(e)) => return self.failed(e),
            Err(e) => {
                return self.failed(EngineError::Internal(format!("blocking task failed: {e}")))
            }
        };
        let mut location = format!("/f/{}/done?r={}", self.target.slug, receipt.receipt);
        if self.lang != PageLang::Ja {
            location.push_str("&lang=");
            location.push_str(self.lang.code());
        }
        crate::pages::see_other(&location)
    }

    /// An engine error during a step: the form's refusal page (closed, used link, gone), else the
    /// form again, filled, with a message (a server error never loses the typing).
    fn failed(self, e: EngineError) -> HttpResponse {
        if let Some((status, kind)) = refusal(&e) {
            return render::error_page(self.state, status, self.lang, kind, None);
        }
        let status = match &e {
            EngineError::User(u) => {
                tracing::info!(error = %u, "a public form post was refused");
                StatusCode::BAD_REQUEST
            }
            EngineError::Internal(_) => {
                let _logged = ApiError::from(e);
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let alert = texts::text(self.lang, "pf.err.server");
        self.form(status, Some(alert))
    }
}

pub async fn done_page(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let lang = requested_lang(&req, query.lang.as_deref());
    let slug = path.into_inner();
    let receipt = query.r.clone().unwrap_or_default();
    let Some(form_id) = receipt_form(&receipt) else {
        return render::error_page(&state, StatusCode::NOT_FOUND, lang, "not_found", None);
    };
    let st = state.get_ref().clone();
    let form = blocking(move || {
        let mut conn = st.conn()?;
        let ctx = ActingContext::system(Channel::PublicForm, st.settings.default_timezone);
        Ok(pf::get_form(&mut conn, &ctx, form_id)?)
    })
    .await;
    match form {
        Ok(form) if form.slug == slug => {
            let lang = if lang == PageLang::Ja
                || form.settings.languages.iter().any(|l| l == lang.code())
            {
                lang
            } else {
                PageLang::Ja
            };
            render::done_page(&state, lang, &form, &receipt)
        }
        _ => render::error_page(&state, StatusCode::NOT_FOUND, lang, "not_found", None),
    }
}

/// The form id of a receipt `<form>-<6 digits>-<4 of [A-Z2-9]>`; None for anything else, so the
/// done page never echoes arbitrary text.
fn receipt_form(receipt: &str) -> Option<i64> {
    let mut parts = receipt.split('-');
    let form = parts.next()?;
    let seq = parts.next()?;
    let check = parts.next()?;
    let ok = parts.next().is_none()
        && !form.is_empty()
        && form.len() <= 18
        && form.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= 6
        && seq.len() <= 18
        && seq.bytes().all(|b| b.is_ascii_digit())
        && check.len() == 4
        && check
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'9').contains(&b));
    ok.then(|| form.parse().ok()).flatten()
}

/// Anything else on the public listener: the not-found page, in the browser's language.
pub async fn public_fallback(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = requested_lang(&req, None);
    render::error_page(&state, StatusCode::NOT_FOUND, lang, "not_found", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_name_their_form() {
        assert_eq!(receipt_form("12-000345-K7QD"), Some(12));
        assert_eq!(receipt_form("12-000345-K7Q1"), None);
        assert_eq!(receipt_form("12-000345-K7QD-x"), None);
        assert_eq!(receipt_form("<b>-000345-K7QD"), None);
        assert_eq!(receipt_form(""), None);
    }
}

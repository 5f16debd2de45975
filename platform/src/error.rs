//! The one table from errors to kintone error codes and HTTP statuses, and the JSON envelope
//! `{"code","id","message","errors"?}` every API error is sent in. Internal faults are logged with
//! the error id the client receives and answered with a generic message; their details are never sent.
//!
//! Messages are keys: an error carries its English wire text (what kintone sends and its clients
//! match) and, where people see it, a catalog key with arguments (`platform/i18n`). [`ApiError::body`]
//! renders the keys in the caller's language: the signed-in user's language for calls made from
//! pages (session), Japanese for `Accept-Language: ja`, and the wire text otherwise (docs/api.md
//! "Error messages").

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kumiki_engine::{EngineError, FieldErrors, Message, QueryErrorCode, UserError};
use serde_json::{json, Value};

use crate::i18n::{self, Lang};

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// The English wire text.
    pub message: String,
    /// Boxed: most errors carry none, and a small error keeps every `Result` small.
    pub errors: Option<Box<FieldErrors>>,
    /// The catalog key of `message` (`api.*`) with its arguments, where people may read it.
    pub key: Option<Box<Message>>,
    /// Kumiki's members beside kintone's (e.g. `script` for a failed app script).
    pub extra: Option<Box<serde_json::Map<String, Value>>>,
    /// The envelope's `id`, fixed when the error is made so that the log line of an internal fault
    /// and the client's envelope show the same id.
    pub id: String,
    /// The language of the signed-in user whose page made the call; None for API clients (their
    /// `Accept-Language` decides).
    pub lang: Option<Lang>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            errors: None,
            key: None,
            extra: None,
            id: uuid::Uuid::new_v4().simple().to_string(),
            lang: None,
        }
    }

    /// Names the catalog message (`api.<...>`) people read instead of the wire text.
    fn catalog(mut self, key: &'static str) -> ApiError {
        self.key = Some(Box::new(Message::keyed(key, self.message.clone())));
        self
    }

    /// Adds an argument of the catalog message.
    fn arg(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        if let Some(m) = self.key.take() {
            self.key = Some(Box::new(m.arg(name, value)));
        }
        self
    }

    /// Renders the messages in `lang` (a signed-in page's language); see [`ApiError::body`].
    #[must_use]
    pub fn in_lang(mut self, lang: Option<Lang>) -> ApiError {
        self.lang = lang;
        self
    }

    /// `CB_VA01` with one message under `key`.
    pub fn invalid(key: &str, message: &str) -> ApiError {
        ApiError::from(UserError::invalid(key, message))
    }

    pub fn login_required() -> ApiError {
        ApiError::new(401, "CB_AU01", "Please login.").catalog("api.CB_AU01")
    }

    pub fn bad_password() -> ApiError {
        ApiError::new(
            401,
            "CB_WA01",
            "Password authentication failed. Please check your login name and password.",
        )
        .catalog("api.CB_WA01")
    }

    pub fn unknown_token() -> ApiError {
        ApiError::new(
            400,
            "GAIA_IA02",
            "The specified API token does not match the API token generated via an app.",
        )
        .catalog("api.GAIA_IA02")
    }

    pub fn duplicate_token() -> ApiError {
        ApiError::new(
            400,
            "GAIA_DA03",
            "You cannot specify a duplicate API token for the same app.",
        )
        .catalog("api.GAIA_DA03")
    }

    /// 429 while a login or an address is locked after failed passwords; `Retry-After` (seconds)
    /// goes into the header by [`ApiError::response`] and into the body as `retryAfter`.
    pub fn too_many_attempts(retry_after: i64) -> ApiError {
        let mut e = ApiError::new(
            429,
            "CB_TM01",
            "Too many failed sign-in attempts. Try again later.",
        )
        .catalog("api.CB_TM01");
        let mut extra = serde_json::Map::new();
        extra.insert("retryAfter".into(), json!(retry_after.max(1)));
        e.extra = Some(Box::new(extra));
        e
    }

    /// 403 for a token used from an address its allowlist does not name.
    pub fn token_address_not_allowed() -> ApiError {
        ApiError::new(
            403,
            "CB_IP01",
            "This API token cannot be used from your IP address.",
        )
        .catalog("api.CB_IP01")
    }

    /// The HTTP answer: the JSON envelope, with `Retry-After` on a 429.
    pub fn response(&self, ja: bool) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if let Some(seconds) = self
            .extra
            .as_ref()
            .and_then(|x| x.get("retryAfter"))
            .and_then(Value::as_i64)
        {
            builder.insert_header(("Retry-After", seconds.to_string()));
        }
        builder.json(self.body(ja))
    }

    pub fn no_privilege() -> ApiError {
        ApiError::from(UserError::Forbidden)
    }

    pub fn malformed_json() -> ApiError {
        ApiError::new(400, "CB_IJ01", "Invalid JSON string.").catalog("api.CB_IJ01")
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "CB_VA02",
            format!("The request is too large. The maximum size is {limit} bytes."),
        )
        .catalog("api.CB_VA02")
        .arg("limit", limit.to_string())
    }

    /// 429: the server-wide budget for request bodies is spent (`body_budget`); kintone's code for
    /// too many concurrent calls.
    pub fn too_busy() -> ApiError {
        ApiError::new(
            429,
            "GAIA_TO04",
            "The number of concurrent API requests exceeds the limit.",
        )
        .catalog("edge.too_busy")
    }

    /// 403: the client's address is outside the server's IP allowlist (`edge`).
    pub fn address_not_allowed() -> ApiError {
        ApiError::new(
            403,
            "CB_NO02",
            "Access from your IP address is not allowed.",
        )
        .catalog("edge.address_not_allowed")
    }

    /// 403: a state-changing request with cookies from another site's page (`edge`).
    pub fn foreign_origin() -> ApiError {
        ApiError::new(
            403,
            "CB_NO02",
            "The request came from a page of another site and was refused.",
        )
        .catalog("edge.foreign_origin")
    }

    pub fn unknown_api() -> ApiError {
        ApiError::new(404, "CB_NF01", "The specified API does not exist.").catalog("api.CB_NF01")
    }

    /// The generic 500; logs its id (the one the client receives) in the request's span. Callers
    /// that know what failed use [`ApiError::internal_because`] instead.
    pub fn internal() -> ApiError {
        let e = ApiError::generic_internal();
        tracing::error!(error_id = %e.id, "internal error");
        e
    }

    /// The generic 500, logging `detail` (never sent) with the id the client receives.
    pub fn internal_because(detail: impl std::fmt::Display) -> ApiError {
        let e = ApiError::generic_internal();
        tracing::error!(error_id = %e.id, error = %detail, "internal error");
        e
    }

    fn generic_internal() -> ApiError {
        ApiError::new(
            500,
            "CB_IN01",
            "An unexpected error occurred. Contact the administrator.",
        )
        .catalog("api.CB_IN01")
    }

    /// The JSON body. Messages are rendered from the catalogs in the page language the error
    /// carries ([`ApiError::in_lang`]), else in Japanese when `ja` (the request's
    /// `Accept-Language`), else they are the English wire texts.
    pub fn body(&self, ja: bool) -> Value {
        let lang = self.lang.or(ja.then_some(Lang::Ja));
        let message = match &self.key {
            Some(m) => render_message(m, lang),
            None => self.message.clone(),
        };
        let mut body = json!({"code": self.code, "id": self.id, "message": message});
        if let Some(errors) = &self.errors {
            let map: serde_json::Map<String, Value> = errors
                .iter()
                .map(|(k, v)| {
                    let texts: Vec<String> = v.iter().map(|m| render_message(m, lang)).collect();
                    (k.clone(), json!({ "messages": texts }))
                })
                .collect();
            body["errors"] = Value::Object(map);
        }
        if let (Some(extra), Some(out)) = (&self.extra, body.as_object_mut()) {
            for (k, v) in extra.iter() {
                out.insert(k.clone(), v.clone());
            }
        }
        body
    }
}

/// A message in `lang` from the catalogs, or its English wire text (no language, or no key).
pub fn render_message(message: &Message, lang: Option<Lang>) -> String {
    match (lang, message.key()) {
        (Some(lang), Some(key)) => {
            let args: Vec<(&str, &str)> = message
                .args()
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            i18n::format(lang, key, &args)
        }
        _ => message.text().to_owned(),
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.response(false)
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> ApiError {
        let message = e.to_string();
        match e {
            UserError::Validation(errors) => {
                let mut err = ApiError::new(400, "CB_VA01", message).catalog("api.CB_VA01");
                err.errors = Some(Box::new(errors));
                err
            }
            UserError::AppNotFound(app) => ApiError::new(404, "GAIA_AP01", message)
                .catalog("api.GAIA_AP01")
                .arg("app", app),
            UserError::RecordNotFound(id) => ApiError::new(404, "GAIA_RE01", message)
                .catalog("api.GAIA_RE01")
                .arg("id", id),
            UserError::SpaceNotFound(id) => ApiError::new(404, "GAIA_SP01", message)
                .catalog("api.GAIA_SP01")
                .arg("id", id),
            UserError::ThreadNotFound(id) => ApiError::new(404, "GAIA_TH01", message)
                .catalog("api.GAIA_TH01")
                .arg("id", id),
            UserError::CommentNotFound => {
                ApiError::new(400, "GAIA_RE02", message).catalog("api.GAIA_RE02")
            }
            UserError::FileNotFound(key) => ApiError::new(404, "GAIA_BL01", message)
                .catalog("api.GAIA_BL01")
                .arg("file", key),
            // The virus scan of uploads (Kumiki's codes, docs/security/files.md).
            UserError::FileInfected(signature) => ApiError::new(400, "GAIA_VS01", message)
                .catalog("api.GAIA_VS01")
                .arg("signature", signature),
            UserError::FileScanFailed => {
                ApiError::new(503, "GAIA_VS02", message).catalog("api.GAIA_VS02")
            }
            UserError::RevisionConflict => {
                ApiError::new(409, "GAIA_CO02", message).catalog("api.GAIA_CO02.record")
            }
            UserError::SettingsRevisionConflict => {
                ApiError::new(409, "GAIA_CO02", message).catalog("api.GAIA_CO02.settings")
            }
            UserError::FormFieldNotFound(code) => ApiError::new(400, "GAIA_FC01", message)
                .catalog("api.GAIA_FC01")
                .arg("code", code),
            UserError::UpdateKeyNoMatch => {
                ApiError::new(400, "GAIA_RE20", message).catalog("api.GAIA_RE20")
            }
            UserError::LookupNoMatch { field } => ApiError::new(400, "GAIA_LO04", message)
                .catalog("api.GAIA_LO04")
                .arg("field", field),
            UserError::Forbidden => ApiError::new(403, "CB_NO02", message).catalog("api.CB_NO02"),
            UserError::AppCreationNotAllowed => ApiError::new(403, "CB_NO02", message)
                .catalog("security_rights.app_creation_not_allowed"),
            UserError::GuestSpacePathRequired => {
                ApiError::new(400, "GAIA_IL23", message).catalog("api.GAIA_IL23")
            }
            UserError::TokenNotPermitted => {
                ApiError::new(403, "GAIA_NO01", message).catalog("api.GAIA_NO01")
            }
            UserError::CursorNotFound => {
                ApiError::new(400, "GAIA_RE18", message).catalog("api.GAIA_RE18")
            }
            UserError::TooManyCursors => {
                ApiError::new(400, "GAIA_CU01", message).catalog("api.GAIA_CU01")
            }
            UserError::ProcessDisabled => {
                ApiError::new(400, "GAIA_ST02", message).catalog("api.GAIA_ST02")
            }
            UserError::StatusActionNotAllowed => {
                ApiError::new(400, "GAIA_IL03", message).catalog("api.GAIA_IL03")
            }
            // App review (Kumiki's codes, docs/api.md "App review").
            UserError::ReviewRequired(revision) => ApiError::new(409, "GAIA_RV01", message)
                .catalog("api.GAIA_RV01")
                .arg("revision", revision.to_string()),
            UserError::SubmissionNotFound(_) => {
                ApiError::new(404, "GAIA_RV02", message).catalog("api.GAIA_RV02")
            }
            // Charts (issue 16, Kumiki's code, docs/charts.md).
            UserError::ReportNotFound(id) => ApiError::new(404, "GAIA_RP01", message)
                .catalog("api.GAIA_RP01")
                .arg("id", id),
            // Dashboards (issue 16, Kumiki's code, docs/dashboards.md).
            UserError::PinNotFound(id) => ApiError::new(404, "GAIA_DB01", message)
                .catalog("api.GAIA_DB01")
                .arg("id", id),
            UserError::ReviewAlreadyDecided => {
                ApiError::new(409, "GAIA_RV03", message).catalog("api.GAIA_RV03.decided")
            }
            UserError::ReviewOutdated => {
                ApiError::new(409, "GAIA_RV03", message).catalog("api.GAIA_RV03.outdated")
            }
            UserError::ReviewPending => {
                ApiError::new(409, "GAIA_RV03", message).catalog("api.GAIA_RV03.pending")
            }
            UserError::Query { code, message } => query_error(code, message),
            // App scripts (Kumiki's codes, docs/scripts.md "What a failure looks like").
            UserError::ScriptFailed {
                script,
                line,
                column,
                message: detail,
                catalog,
            } => {
                let mut e = ApiError::new(400, "GAIA_SC01", message);
                let mut extra = serde_json::Map::new();
                let (message_key, args) = match catalog.map(|c| *c) {
                    Some(c) => (
                        Some(c.key),
                        c.args
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect::<serde_json::Map<String, Value>>(),
                    ),
                    None => (None, serde_json::Map::new()),
                };
                extra.insert(
                    "script".into(),
                    json!({"name": script, "line": line, "column": column, "message": detail,
                           "messageKey": message_key, "messageArgs": args}),
                );
                e.extra = Some(Box::new(extra));
                e
            }
            // Public forms (issue 15, Kumiki's codes, docs/public-forms.md).
            UserError::FormNotFound => {
                ApiError::new(404, "GAIA_PF01", message).catalog("public_forms.err.not_found")
            }
            UserError::FormClosed => {
                ApiError::new(410, "GAIA_PF02", message).catalog("public_forms.err.closed")
            }
            UserError::FormLinkUsed => {
                ApiError::new(409, "GAIA_PF03", message).catalog("public_forms.err.link_used")
            }
            UserError::FormInvalid(problems) => {
                let mut err = ApiError::new(422, "CB_VA01", message).catalog("api.CB_VA01");
                let mut errors = FieldErrors::new();
                for p in problems {
                    errors
                        .entry(format!("record.{}.value", p.code))
                        .or_default()
                        .push(p.message);
                }
                err.errors = Some(Box::new(errors));
                err
            }
            UserError::ScriptRejected { script, .. } => {
                let mut e = ApiError::new(400, "GAIA_SC02", message);
                let mut extra = serde_json::Map::new();
                extra.insert("script".into(), json!({ "name": script }));
                e.extra = Some(Box::new(extra));
                e
            }
        }
    }
}

fn query_error(code: QueryErrorCode, message: String) -> ApiError {
    let kintone_code = match code {
        QueryErrorCode::Syntax => {
            let mut errors = FieldErrors::new();
            errors.insert("query".into(), vec![Message::from(message)]);
            let mut e =
                ApiError::new(400, "CB_VA01", "Missing or invalid input.").catalog("api.CB_VA01");
            e.errors = Some(Box::new(errors));
            return e;
        }
        QueryErrorCode::UnknownField => "GAIA_IQ11",
        QueryErrorCode::OperatorNotAllowed => "GAIA_IQ03",
        QueryErrorCode::SubtableEquality => "GAIA_IQ07",
        QueryErrorCode::OptionNotDefined => "GAIA_IQ10",
        QueryErrorCode::FunctionArgument => "GAIA_IQ23",
        QueryErrorCode::LimitTooLarge => "GAIA_QU01",
        QueryErrorCode::OffsetTooLarge => "GAIA_QU02",
        QueryErrorCode::SortNotAllowed => "GAIA_IQ09",
        QueryErrorCode::TooComplex => "GAIA_QU03",
    };
    ApiError::new(400, kintone_code, message)
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::User(u) => u.into(),
            // Logged with the id the client sees, so that a user's report finds the line.
            EngineError::Internal(detail) => ApiError::internal_because(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_use_the_kintone_envelope() {
        let e = ApiError::from(UserError::invalid("record.氏名.value", "Required."));
        let body = e.body(false);
        assert_eq!(body["code"], "CB_VA01");
        assert_eq!(body["message"], "Missing or invalid input.");
        assert_eq!(
            body["errors"]["record.氏名.value"]["messages"][0],
            "Required."
        );
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.body(true)["message"], "入力内容が正しくありません。");
    }

    /// Issue 15: the public-form errors and their statuses; a form's problems keep their field.
    #[test]
    fn public_form_errors_map_to_their_statuses() {
        let cases = [
            (UserError::FormNotFound, 404, "GAIA_PF01"),
            (UserError::FormClosed, 410, "GAIA_PF02"),
            (UserError::FormLinkUsed, 409, "GAIA_PF03"),
        ];
        for (e, status, code) in cases {
            let e = ApiError::from(e);
            assert_eq!((e.status.as_u16(), e.code), (status, code));
        }
        let problem = kumiki_engine::public_forms::FieldProblem {
            code: "氏名".into(),
            message: Message::keyed("public_forms.err.required", "This field is required."),
        };
        let e = ApiError::from(UserError::FormInvalid(vec![problem]));
        assert_eq!((e.status.as_u16(), e.code), (422, "CB_VA01"));
        assert_eq!(
            e.body(true)["errors"]["record.氏名.value"]["messages"][0],
            i18n::format(Lang::Ja, "public_forms.err.required", &[]).as_str()
        );
    }

    #[test]
    fn internal_details_are_not_sent() {
        let e = ApiError::from(EngineError::Internal("secret path /x".into()));
        assert_eq!(e.status.as_u16(), 500);
        assert!(!e.body(false).to_string().contains("secret"));
        // The id is fixed with the error: the logged line and every rendering agree.
        assert_eq!(e.body(false)["id"], e.id.as_str());
        assert_eq!(e.body(true)["id"], e.id.as_str());
    }

    #[test]
    fn keyed_messages_render_in_the_callers_language() {
        let message =
            Message::keyed("records.err.max_value", "The value must be 10 or less.").arg("v", "10");
        let e = ApiError::from(UserError::invalid("record.数量.value", message));
        let field = |b: &Value| b["errors"]["record.数量.value"]["messages"][0].clone();
        // API clients: kintone's wire text.
        assert_eq!(field(&e.body(false)), "The value must be 10 or less.");
        // Accept-Language: ja, or a Japanese page: the catalog.
        let ja = i18n::format(Lang::Ja, "records.err.max_value", &[("v", "10")]);
        assert_eq!(field(&e.body(true)), ja.as_str());
        let page = e.clone().in_lang(Some(Lang::En));
        assert_eq!(
            field(&page.body(true)),
            i18n::format(Lang::En, "records.err.max_value", &[("v", "10")]).as_str()
        );
        assert_eq!(page.body(true)["message"], "Missing or invalid input.");
        // A text without a key stays as it is.
        let plain = ApiError::invalid("size", "Enter a number from 1 to 500.");
        assert_eq!(
            plain.body(true)["errors"]["size"]["messages"][0],
            "Enter a number from 1 to 500."
        );
    }

    /// Every key the engine and this table name is in the catalogs, so a page never shows a bare key.
    #[test]
    fn every_message_key_is_in_the_catalogs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = Vec::new();
        let mut dirs = vec![root.join("engine/src"), root.join("platform/src")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    sources.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let mut keys = Vec::new();
        for text in &sources {
            for marker in ["Message::keyed(", ".catalog("] {
                for (at, _) in text.match_indices(marker) {
                    let rest = text[at + marker.len()..].trim_start();
                    if let Some(literal) = rest.strip_prefix('"') {
                        let key = literal.split('"').next().unwrap_or_default();
                        // Skips this test's own markers (no key follows them).
                        if !key.is_empty()
                            && key
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                        {
                            keys.push(key.to_owned());
                        }
                    }
                }
            }
        }
        assert!(keys.len() > 30, "found the keys: {keys:?}");
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| !i18n::messages(Lang::Ja).contains_key(k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from the catalogs: {missing:?}"
        );
    }
}

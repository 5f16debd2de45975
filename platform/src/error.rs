//! The one table from errors to kintone error codes and HTTP statuses, and the JSON envelope
//! `{"code","id","message","errors"?}` every API error is sent in. Internal faults are logged with
//! the error id and answered with a generic message; their details are never sent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kumiki_engine::{EngineError, FieldErrors, QueryErrorCode, UserError};
use serde_json::{json, Value};

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Boxed: most errors carry none, and a small error keeps every `Result` small.
    pub errors: Option<Box<FieldErrors>>,
    /// Japanese message where the catalog has one.
    pub message_ja: Option<&'static str>,
    /// Kumiki's members beside kintone's (e.g. `script` for a failed app script).
    pub extra: Option<Box<serde_json::Map<String, Value>>>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            errors: None,
            message_ja: None,
            extra: None,
        }
    }

    fn ja(mut self, message: &'static str) -> ApiError {
        self.message_ja = Some(message);
        self
    }

    /// `CB_VA01` with one message under `key`.
    pub fn invalid(key: &str, message: &str) -> ApiError {
        ApiError::from(UserError::invalid(key, message))
    }

    pub fn login_required() -> ApiError {
        ApiError::new(401, "CB_AU01", "Please login.").ja("ログインしてください。")
    }

    pub fn bad_password() -> ApiError {
        ApiError::new(
            401,
            "CB_WA01",
            "Password authentication failed. Please check your login name and password.",
        )
        .ja("パスワード認証に失敗しました。ログイン名とパスワードを確認してください。")
    }

    pub fn unknown_token() -> ApiError {
        ApiError::new(
            400,
            "GAIA_IA02",
            "The specified API token does not match the API token generated via an app.",
        )
        .ja("指定したAPIトークンが、アプリで生成したAPIトークンと一致しません。")
    }

    pub fn duplicate_token() -> ApiError {
        ApiError::new(
            400,
            "GAIA_DA03",
            "You cannot specify a duplicate API token for the same app.",
        )
        .ja("同じアプリのAPIトークンを重複して指定することはできません。")
    }

    pub fn no_privilege() -> ApiError {
        ApiError::from(UserError::Forbidden)
    }

    pub fn malformed_json() -> ApiError {
        ApiError::new(400, "CB_IJ01", "Invalid JSON string.").ja("JSON文字列が不正です。")
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "CB_VA02",
            format!("The request is too large. The maximum size is {limit} bytes."),
        )
        .ja("リクエストのサイズが上限を超えています。")
    }

    pub fn unknown_api() -> ApiError {
        ApiError::new(404, "CB_NF01", "The specified API does not exist.")
            .ja("指定したAPIは存在しません。")
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            500,
            "CB_IN01",
            "An unexpected error occurred. Contact the administrator.",
        )
        .ja("予期しないエラーが発生しました。管理者に連絡してください。")
    }

    /// The JSON body; `ja` picks the Japanese message where there is one.
    pub fn body(&self, ja: bool) -> Value {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let message = match (ja, self.message_ja) {
            (true, Some(m)) => m.to_owned(),
            _ => self.message.clone(),
        };
        let mut body = json!({"code": self.code, "id": id, "message": message});
        if let Some(errors) = &self.errors {
            let map: serde_json::Map<String, Value> = errors
                .iter()
                .map(|(k, v)| (k.clone(), json!({"messages": v})))
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
        HttpResponse::build(self.status).json(self.body(false))
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> ApiError {
        let message = e.to_string();
        match e {
            UserError::Validation(errors) => {
                let mut err = ApiError::new(400, "CB_VA01", message).ja("入力内容が正しくありません。");
                err.errors = Some(Box::new(errors));
                err
            }
            UserError::AppNotFound(_) => ApiError::new(404, "GAIA_AP01", message),
            UserError::RecordNotFound(_) => ApiError::new(404, "GAIA_RE01", message),
            UserError::CommentNotFound => ApiError::new(400, "GAIA_RE02", message),
            UserError::FileNotFound(_) => ApiError::new(404, "GAIA_BL01", message),
            UserError::RevisionConflict => ApiError::new(409, "GAIA_CO02", message)
                .ja("指定したrevisionは最新ではありません。ほかのユーザーがレコードを更新した可能性があります。"),
            UserError::SettingsRevisionConflict => ApiError::new(409, "GAIA_CO02", message)
                .ja("指定したrevisionは最新ではありません。ほかのユーザーがアプリの設定を変更した可能性があります。"),
            UserError::FormFieldNotFound(_) => ApiError::new(400, "GAIA_FC01", message),
            UserError::UpdateKeyNoMatch => ApiError::new(400, "GAIA_RE20", message),
            UserError::LookupNoMatch { .. } => ApiError::new(400, "GAIA_LO04", message),
            UserError::Forbidden => ApiError::new(403, "CB_NO02", message).ja("権限がありません。"),
            UserError::GuestSpacePathRequired => ApiError::new(400, "GAIA_IL23", message)
                .ja("ゲストスペース内のアプリを操作する場合は、リクエストURLにゲストスペースIDを指定してください。"),
            UserError::TokenNotPermitted => ApiError::new(403, "GAIA_NO01", message)
                .ja("このAPIトークンでは、指定したAPIを実行できません。"),
            UserError::CursorNotFound => ApiError::new(400, "GAIA_RE18", message),
            UserError::TooManyCursors => ApiError::new(400, "GAIA_CU01", message),
            UserError::ProcessDisabled => ApiError::new(400, "GAIA_ST02", message),
            UserError::StatusActionNotAllowed => ApiError::new(400, "GAIA_IL03", message),
            // App review (Kumiki's codes, docs/api.md "App review").
            UserError::ReviewRequired(_) => ApiError::new(409, "GAIA_RV01", message)
                .ja("このアプリは変更の公開前に審査が必要です。運用前の設定を審査に提出し、承認後に公開してください。"),
            UserError::SubmissionNotFound(_) => ApiError::new(404, "GAIA_RV02", message)
                .ja("指定した審査の申請が見つかりません。"),
            UserError::ReviewAlreadyDecided => ApiError::new(409, "GAIA_RV03", message)
                .ja("この申請はすでに審査済みです。"),
            UserError::ReviewOutdated => ApiError::new(409, "GAIA_RV03", message)
                .ja("申請の後に運用前の設定が変更されました。もう一度審査に提出してください。"),
            UserError::ReviewPending => ApiError::new(409, "GAIA_RV03", message)
                .ja("現在の運用前の設定はすでに審査待ちです。"),
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
            errors.insert("query".into(), vec![message]);
            let mut e = ApiError::new(400, "CB_VA01", "Missing or invalid input.");
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
    };
    ApiError::new(400, kintone_code, message)
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::User(u) => u.into(),
            EngineError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::internal()
            }
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

    #[test]
    fn internal_details_are_not_sent() {
        let e = ApiError::from(EngineError::Internal("secret path /x".into()));
        assert_eq!(e.status.as_u16(), 500);
        assert!(!e.body(false).to_string().contains("secret"));
    }
}

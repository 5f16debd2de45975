//! Engine errors. `UserError` is what the caller did wrong, with a message fit to show; `Internal` is a
//! fault of ours, logged and never shown in detail. The platform maps each `UserError` variant to one
//! kintone error code and HTTP status in a single table (`platform/src/error.rs`).

use indexmap::IndexMap;

/// Field-level validation messages keyed the way kintone keys its `errors` object
/// (`record.<code>.value`, `records[3].record.<code>.value`, `id`, `query`, ...).
pub type FieldErrors = IndexMap<String, Vec<Message>>;

/// A message for people: the English text the kintone API sends (kintone's wire text, which its
/// clients and their users match), and, where pages show it, the key of the page catalogs
/// (`platform/i18n`) with its `{name}` arguments. The platform renders the key in the caller's
/// language, so rewording the English text never changes what a Japanese page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    key: Option<&'static str>,
    args: Vec<(&'static str, String)>,
    text: String,
}

impl Message {
    /// A message with a catalog key; add its arguments with [`Message::arg`].
    pub fn keyed(key: &'static str, text: impl Into<String>) -> Message {
        Message {
            key: Some(key),
            args: Vec::new(),
            text: text.into(),
        }
    }

    /// Adds the `{name}` argument of the catalog message.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Message {
        self.args.push((name, value.into()));
        self
    }

    /// The catalog key, None when only the English text exists (API-only input checks).
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    pub fn args(&self) -> &[(&'static str, String)] {
        &self.args
    }

    /// The English text (the kintone API's wire message).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A text without a catalog key: shown as it is everywhere.
impl From<String> for Message {
    fn from(text: String) -> Message {
        Message {
            key: None,
            args: Vec::new(),
            text,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::from(text.to_owned())
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Serialised as its English text (script test runs and other JSON that shows the wire text).
impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Compares the English text (tests and callers that only care about the wire text).
impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<String> for Message {
    fn eq(&self, other: &String) -> bool {
        &self.text == other
    }
}

/// Something the caller can fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UserError {
    /// Bad input, with per-field or per-parameter messages (kintone `CB_VA01`).
    #[error("Missing or invalid input.")]
    Validation(FieldErrors),
    #[error("The app (ID: {0}) not found. The app may have been deleted.")]
    AppNotFound(String),
    #[error("The specified record (ID: {0}) is not found.")]
    RecordNotFound(String),
    #[error("The specified comment does not exist. The comment may have been deleted.")]
    CommentNotFound,
    /// A space that does not exist, or that the caller may not enter and may not know of.
    #[error("The specified space (ID: {0}) is not found.")]
    SpaceNotFound(String),
    /// A thread that does not exist in the space (or whose space the caller may not enter).
    #[error("The specified thread (ID: {0}) is not found.")]
    ThreadNotFound(String),
    #[error("The specified file (id: {0}) not found.")]
    FileNotFound(String),
    /// The virus scanner found something in an upload; it was not stored.
    #[error("The file was not accepted: the virus scanner found {0}.")]
    FileInfected(String),
    /// A virus scanner is configured but could not check the upload; it was not stored.
    #[error("The file could not be checked for viruses and was not accepted. Contact the administrator.")]
    FileScanFailed,
    #[error("The revision is not the latest. Someone may update a record.")]
    RevisionConflict,
    #[error("The specified field (code: {0}) is not found.")]
    FormFieldNotFound(String),
    #[error("No records match the conditions specified in the \"updateKey\" field.")]
    UpdateKeyNoMatch,
    /// A lookup key that matches no record of the source app.
    #[error("A record that matches the value of the \"{field}\" lookup field does not exist in the source app. Enter another value.")]
    LookupNoMatch { field: String },
    /// A query problem, with the kintone code it maps to (`GAIA_IQ11`, `GAIA_QU01`, `CB_VA01`, ...).
    #[error("{message}")]
    Query {
        code: QueryErrorCode,
        message: String,
    },
    #[error("No privilege to proceed.")]
    Forbidden,
    /// The server's app-creation setting does not let the caller create apps or import packages
    /// (`apps::AppCreationPolicy`).
    #[error("You are not allowed to create apps. Ask an administrator.")]
    AppCreationNotAllowed,
    /// An app of a guest space asked for without the guest-space path (`acting`).
    #[error("To access an app in a guest space, specify the guest space ID in the request URL.")]
    GuestSpacePathRequired,
    #[error("Using this API token, you cannot run the specified API.")]
    TokenNotPermitted,
    #[error("The specified cursor does not exist.")]
    CursorNotFound,
    #[error("The number of cursors exceeds the limit.")]
    TooManyCursors,
    #[error("Your request failed. The process management feature has been disabled.")]
    ProcessDisabled,
    #[error("Failed to update the status. The settings or the status itself may have been changed by someone.")]
    StatusActionNotAllowed,
    /// A settings revision that is not the latest.
    #[error("The revision is not the latest. Someone may update the app settings.")]
    SettingsRevisionConflict,
    /// A deploy of an app that requires review, without an approved submission of the current
    /// pre-live revision (`review::check_gate`).
    #[error("This app requires review before its changes go live. Submit the pre-live settings (revision {0}) for review and deploy after they are approved.")]
    ReviewRequired(i64),
    #[error("The specified review submission (ID: {0}) is not found.")]
    SubmissionNotFound(String),
    /// Issue 16: a graph (report) id the app does not have.
    #[error("The specified graph (ID: {0}) is not found.")]
    ReportNotFound(String),
    /// Issue 16, dashboards: a pin that does not exist, or is on a board the caller may not see.
    #[error("The specified dashboard item (ID: {0}) is not found.")]
    PinNotFound(String),
    /// The submission was already approved or rejected.
    #[error("This submission has already been decided.")]
    ReviewAlreadyDecided,
    /// The pre-live settings changed after the submission; it no longer describes what would deploy.
    #[error("The pre-live settings changed after this submission. Submit them again for review.")]
    ReviewOutdated,
    /// The current pre-live revision is already waiting for review.
    #[error("The current pre-live settings are already waiting for review.")]
    ReviewPending,
    /// An app script failed (syntax, runtime error or a sandbox limit); the save is rolled back.
    /// `line`/`column` point into the script's source when known.
    #[error("The script \"{script}\" failed: {message}")]
    ScriptFailed {
        script: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
        /// A catalog key for `message` (`scripts.syntax.*`) and its `{name}` arguments, for pages
        /// that show it in the user's language; None when only the English text exists.
        catalog: Option<Box<CatalogMessage>>,
    },
    /// An app script refused the operation with `reject(message)`.
    #[error("{message}")]
    ScriptRejected { script: String, message: String },
    /// Issue 15: a public form that does not exist (or a link token of another form).
    #[error("The specified form is not found.")]
    FormNotFound,
    /// Issue 15: a public form that takes no answers now: not yet open, closed, past its closing
    /// time, full (max answers), or reached through an expired or revoked link.
    #[error("This form is not accepting answers.")]
    FormClosed,
    /// Issue 15: a one-time link that was already used to answer.
    #[error("This link has already been used to answer.")]
    FormLinkUsed,
    /// Issue 15: a public-form answer with problems, one per field (`public_forms.err.*` keys).
    #[error("Missing or invalid input.")]
    FormInvalid(Vec<crate::public_forms::FieldProblem>),
}

/// A message of a page catalog (`platform/i18n`) with its `{name}` arguments: an error that pages
/// show in the user's language while the API keeps its English text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogMessage {
    pub key: String,
    pub args: Vec<(String, String)>,
}

/// The kintone codes that query errors map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorCode {
    /// Syntax errors and bad values: `CB_VA01` with `errors.query`.
    Syntax,
    /// `GAIA_IQ11`: unknown field.
    UnknownField,
    /// `GAIA_IQ03`: operator not allowed for the field type.
    OperatorNotAllowed,
    /// `GAIA_IQ07`: `=`/`!=` on a subtable field.
    SubtableEquality,
    /// `GAIA_IQ10`: value not among a choice field's options.
    OptionNotDefined,
    /// `GAIA_IQ23` / `GAIA_IQ25` / `GAIA_IL08`: bad function argument or argument count.
    FunctionArgument,
    /// `GAIA_QU01`: limit over 500.
    LimitTooLarge,
    /// `GAIA_QU02`: offset over 10,000.
    OffsetTooLarge,
    /// `GAIA_IQ09`-like: the field cannot be used in `order by`.
    SortNotAllowed,
    /// `GAIA_QU03` (Kumiki's, beside kintone's QU01/QU02): the query is over a size limit (length,
    /// conditions, `in` values, sort keys, `like` text); `query::parser` lists the limits.
    TooComplex,
}

/// Every engine error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    User(#[from] UserError),
    /// A fault of ours; the text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for EngineError {
    fn from(e: diesel::result::Error) -> Self {
        EngineError::Internal(format!("database: {e}"))
    }
}

impl From<serde_json::Error> for EngineError {
    fn from(e: serde_json::Error) -> Self {
        EngineError::Internal(format!("json: {e}"))
    }
}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        EngineError::Internal(format!("io: {e}"))
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

impl UserError {
    /// A validation error with one message for one key.
    pub fn invalid(key: impl Into<String>, message: impl Into<Message>) -> UserError {
        let mut errors = FieldErrors::new();
        errors.insert(key.into(), vec![message.into()]);
        UserError::Validation(errors)
    }

    /// A query error of the given kind.
    pub fn query(code: QueryErrorCode, message: impl Into<String>) -> UserError {
        UserError::Query {
            code,
            message: message.into(),
        }
    }
}

//! Issue 15: public forms (公開フォーム). A form publishes chosen fields of one app to residents who
//! have no account; every answer becomes a record of that app (docs/public-forms.md).
//!
//! Guarantees:
//! - **One principal for residents**: the record is written by an acting context of
//!   `Principal::PublicForm` (`acl::eval`): add on the form's app only, and with an editable link
//!   view and edit of that link's one record. Every other app answers `AppNotFound`; no settings,
//!   no people, no spaces. App scripts, process management, notifications and search indexing
//!   apply as for any record write (`records::add_records` / `update_records`).
//! - **Gates are conditional writes** in the submit transaction: the max-answers / open-window
//!   gate (`UPDATE public_forms … WHERE answer_count < max_answers …`) and the one-time link gate
//!   (`UPDATE public_form_links … WHERE answered_at IS NULL AND revoked = 0`). A refused gate
//!   rolls everything back, so a full form never gets an extra record.
//! - **Results never scan answers**: tallies (`public_form_tallies`) are kept by the same
//!   transaction (an edit subtracts the old answer first).
//! - Staff use cases (`store`, `links`, `results`, `export`, `templates`) check the caller's app
//!   rights through the acting context and write audit rows; nothing here knows HTTP.

pub mod export;
pub mod links;
pub mod results;
pub mod store;
pub mod submit;
mod tallies;
pub mod templates;
pub(crate) mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use export::export_csv;
pub use links::{create_links, list_links, revoke_links, Link, NewLink};
pub use results::{results, NumberSummary, PivotResult, QuestionResult, Results, TextAnswer};
pub use store::{create_form, delete_form, get_form, list_forms, secret, update_form};
pub use submit::{open, submit, validate, FieldProblem, Opened, PublicField, Receipt, Submission};
pub use templates::{create_from_template, templates, Template};

/// The user code records written by residents are attributed to.
pub const PUBLIC_FORM_USER: &str = "public-form";
/// The display name of `PUBLIC_FORM_USER`.
pub const PUBLIC_FORM_NAME: &str = "公開フォーム";

/// Form states.
pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";
pub const CLOSED: &str = "closed";

/// The durable job that mails a resident the copy of their answer; payload `{to, subject, body}`.
pub const COPY_MAIL_JOB: &str = "public_form.copy";

/// The languages of a form's texts (`easy`: やさしい日本語).
pub const LANGS: [&str; 3] = ["ja", "en", "easy"];

/// Link modes.
pub const ONCE: &str = "once";
pub const EDITABLE: &str = "editable";

/// The field types a form may show.
pub const FORM_FIELD_TYPES: [&str; 12] = [
    "SINGLE_LINE_TEXT",
    "MULTI_LINE_TEXT",
    "NUMBER",
    "DATE",
    "TIME",
    "DATETIME",
    "DROP_DOWN",
    "RADIO_BUTTON",
    "CHECK_BOX",
    "MULTI_SELECT",
    "LINK",
    "FILE",
];

/// Pivot keys that are not field codes.
pub const PIVOT_RECIPIENT: &str = "_recipient";
pub const PIVOT_HOUR: &str = "_hour";

/// Audit actions.
pub mod audit_action {
    pub const CREATE: &str = "public_form.create";
    pub const UPDATE: &str = "public_form.update";
    pub const DELETE: &str = "public_form.delete";
    pub const LINKS_CREATE: &str = "public_form.links.create";
    pub const LINKS_REVOKE: &str = "public_form.links.revoke";
    pub const SUBMIT: &str = "public_form.submit";
    pub const EXPORT: &str = "public_form.export";
    pub const TEMPLATE: &str = "public_form.template";
}

/// A text in each language: `lang -> text`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Texts(pub BTreeMap<String, String>);

impl Texts {
    /// The text in `lang`, else the Japanese one; empty texts count as missing.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0
            .get(lang)
            .filter(|t| !t.is_empty())
            .or_else(|| self.0.get("ja").filter(|t| !t.is_empty()))
            .map(String::as_str)
    }

    /// Texts from `(lang, text)` pairs.
    pub fn of(pairs: &[(&str, &str)]) -> Texts {
        Texts(
            pairs
                .iter()
                .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
                .collect(),
        )
    }
}

/// One field of the form, in form order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FormField {
    pub code: String,
    /// Required on the form even when the app field is not.
    #[serde(default)]
    pub required: bool,
    /// Falls back to the app field's label.
    #[serde(default)]
    pub label: Texts,
    #[serde(default)]
    pub help: Texts,
}

/// Upload caps of FILE fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FileRules {
    pub max_bytes: u64,
    pub types: Vec<String>,
}

impl Default for FileRules {
    fn default() -> Self {
        FileRules {
            max_bytes: 5 * 1024 * 1024,
            types: vec![
                "image/jpeg".into(),
                "image/png".into(),
                "application/pdf".into(),
            ],
        }
    }
}

/// Proof of work asked of the residents' browsers (a cost for bots).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Pow {
    pub enabled: bool,
    pub bits: u32,
}

impl Default for Pow {
    fn default() -> Self {
        Pow {
            enabled: false,
            bits: 16,
        }
    }
}

/// Rate limits per minute; 0 = no limit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Limits {
    pub per_address_per_minute: u32,
    pub per_form_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_address_per_minute: 20,
            per_form_per_minute: 30_000,
        }
    }
}

/// A cross table of the answers: `rows` × `columns` keys, summing `value` (None: counting).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pivot {
    pub rows: String,
    pub columns: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct ResultSettings {
    pub pivot: Option<Pivot>,
}

/// `public_forms.settings`: snake_case keys, every member optional.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FormSettings {
    pub fields: Vec<FormField>,
    /// `title`, `intro`, `confirm`, `done`.
    pub texts: BTreeMap<String, Texts>,
    pub languages: Vec<String>,
    pub files: FileRules,
    pub pow: Pow,
    /// A LINK (MAIL) or SINGLE_LINE_TEXT field: offer "send me a copy" to its address.
    pub email_copy_field: Option<String>,
    pub limits: Limits,
    pub results: ResultSettings,
}

impl Default for FormSettings {
    fn default() -> Self {
        FormSettings {
            fields: Vec::new(),
            texts: BTreeMap::new(),
            languages: vec!["ja".into()],
            files: FileRules::default(),
            pow: Pow::default(),
            email_copy_field: None,
            limits: Limits::default(),
            results: ResultSettings::default(),
        }
    }
}

impl FormSettings {
    /// A form text (`title`, `intro`, `confirm`, `done`) in `lang`, falling back to Japanese.
    pub fn text(&self, key: &str, lang: &str) -> Option<&str> {
        self.texts.get(key).and_then(|t| t.get(lang))
    }
}

/// A form as staff and the residents' pages see it (the HMAC secret is not part of it:
/// `store::secret`).
#[derive(Debug, Clone, Serialize)]
pub struct Form {
    pub id: i64,
    pub app: i64,
    pub slug: String,
    pub name: String,
    pub state: String,
    pub settings: FormSettings,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub max_answers: Option<i64>,
    pub answer_count: i64,
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Form {
    /// The form's title in `lang`, else its name.
    pub fn title(&self, lang: &str) -> &str {
        self.settings.text("title", lang).unwrap_or(&self.name)
    }
}

/// A change to a form; `None` keeps the stored value (`Some(None)` clears a time or cap).
#[derive(Debug, Clone, Default)]
pub struct FormUpdate {
    pub name: Option<String>,
    pub settings: Option<FormSettings>,
    pub opens_at: Option<Option<i64>>,
    pub closes_at: Option<Option<i64>>,
    pub max_answers: Option<Option<i64>>,
    pub state: Option<String>,
}

/// `len` random bytes as unpadded base64url (16 bytes: 22 characters).
pub(crate) fn random_token(len: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = vec![0_u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests;

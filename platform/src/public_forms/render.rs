//! The residents' pages as data for their templates (`pf_form`, `pf_confirm`, `pf_done`,
//! `pf_error`, inside `pf_layout`): typed structs, every text already in the page's language.
//! Field ids are `pf-<n>` (codes may be any text); errors point at them from the summary.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use kumiki_engine::public_forms::{Form, PublicField};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::texts::{self, PageLang};
use crate::state::AppState;

/// Page strings the templates use, by their name in `txt` (`pf.step.input` → `step_input`).
const TXT: &[&str] = &[
    "pf.required",
    "pf.optional",
    "pf.steps",
    "pf.step.input",
    "pf.step.confirm",
    "pf.step.done",
    "pf.step.current",
    "pf.confirm_button",
    "pf.submit_button",
    "pf.back_button",
    "pf.confirm_title",
    "pf.confirm_lead",
    "pf.done_title",
    "pf.receipt",
    "pf.receipt_note",
    "pf.errors_lead",
    "pf.language",
    "pf.file_replace",
    "pf.copy_label",
    "pf.honeypot_label",
    "pf.pow_needed",
    "pf.not_answered",
    "pf.saved_locally",
    "pf.choose",
    "pf.error.back",
];

fn txt(lang: PageLang) -> BTreeMap<String, String> {
    TXT.iter()
        .map(|k| {
            let name = k.trim_start_matches("pf.").replace('.', "_");
            (name, texts::text(lang, k))
        })
        .collect()
}

/// A file a form carries between its steps (signed, `super::sign`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRef {
    #[serde(rename = "fileKey")]
    pub file_key: String,
    pub name: String,
    pub size: u64,
}

/// What a resident has entered so far.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Field code → its values (one for most types, several for multi-choice).
    pub values: BTreeMap<String, Vec<String>>,
    /// FILE field code → the files uploaded for it.
    pub files: BTreeMap<String, Vec<FileRef>>,
    /// "Send me a copy" is ticked.
    pub copy: bool,
}

impl Draft {
    pub fn first(&self, code: &str) -> &str {
        self.values
            .get(code)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The files as the signed JSON text (`{}` when none).
    pub fn files_json(&self) -> String {
        serde_json::to_string(&self.files).unwrap_or_else(|_| "{}".into())
    }
}

/// The page's address and what it carries besides the fields.
pub struct Frame<'a> {
    pub lang: PageLang,
    pub form: &'a Form,
    /// `/f/<slug>` or `/f/<slug>/l/<token>`.
    pub action: String,
    /// The recipient of a per-recipient link.
    pub recipient: Option<&'a str>,
    /// `kumiki-pf:<slug>[:<token>]`, the browser's storage of the typing.
    pub storage_key: String,
}

impl Frame<'_> {
    fn languages(&self) -> Vec<LangLink> {
        let mut langs: Vec<PageLang> = self
            .form
            .settings
            .languages
            .iter()
            .filter_map(|l| PageLang::parse(l))
            .collect();
        if !langs.contains(&PageLang::Ja) {
            langs.insert(0, PageLang::Ja);
        }
        if langs.len() < 2 {
            return Vec::new();
        }
        langs
            .into_iter()
            .map(|l| LangLink {
                href: format!("{}?lang={}", self.action, l.code()),
                label: texts::text(l, &format!("pf.lang.{}", l.code())),
                html_lang: l.html_lang(),
                current: l == self.lang,
            })
            .collect()
    }

    fn title(&self) -> String {
        self.form.title(self.lang.code()).to_owned()
    }

    fn form_text(&self, key: &str) -> Vec<String> {
        paragraphs(self.form.settings.text(key, self.lang.code()).unwrap_or(""))
    }

    fn steps(&self, current: usize) -> Vec<Step> {
        ["pf.step.input", "pf.step.confirm", "pf.step.done"]
            .iter()
            .enumerate()
            .map(|(i, k)| Step {
                number: i + 1,
                label: texts::text(self.lang, k),
                current: i == current,
            })
            .collect()
    }

    fn recipient(&self) -> Option<String> {
        self.recipient
            .filter(|r| !r.is_empty())
            .map(|r| texts::format(self.lang, "pf.recipient", &[("name", r)]))
    }
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[derive(Serialize)]
struct LangLink {
    href: String,
    label: String,
    html_lang: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct Step {
    number: usize,
    label: String,
    current: bool,
}

#[derive(Serialize)]
struct OptionView {
    id: String,
    value: String,
    checked: bool,
}

#[derive(Serialize)]
struct FileView {
    text: String,
}

#[derive(Serialize)]
struct FieldView {
    code: String,
    id: String,
    name: String,
    label: String,
    help: Vec<String>,
    help_id: String,
    error: Option<String>,
    error_id: String,
    /// `aria-describedby`: the help and the error, when present.
    described_by: String,
    required: bool,
    readonly: bool,
    /// `text`, `textarea`, `select`, `multiselect`, `radio`, `checkbox`, `file`.
    kind: &'static str,
    /// The `type` of an `<input>`.
    input_type: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
    value: String,
    options: Vec<OptionView>,
    max_length: Option<i64>,
    min: Option<String>,
    max: Option<String>,
    files: Vec<FileView>,
    accept: String,
    file_hint: String,
}

/// The field's label in `lang`: the form's label, else the code.
pub fn label_of(f: &PublicField, lang: PageLang) -> String {
    f.label
        .get(lang.code())
        .map(str::to_owned)
        .unwrap_or_else(|| f.code.clone())
}

fn field_view(
    i: usize,
    f: &PublicField,
    lang: PageLang,
    draft: &Draft,
    error: Option<String>,
    form: &Form,
) -> FieldView {
    let id = format!("pf-{i}");
    let help = paragraphs(f.help.get(lang.code()).unwrap_or(""));
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let mut described: Vec<&str> = Vec::new();
    if error.is_some() {
        described.push(&error_id);
    }
    if !help.is_empty() {
        described.push(&help_id);
    }
    let described_by = described.join(" ");
    let (kind, input_type, inputmode, autocomplete) =
        match (f.field_type.as_str(), f.protocol.as_deref()) {
            ("MULTI_LINE_TEXT", _) => ("textarea", "text", "", ""),
            ("NUMBER", _) => ("text", "text", "decimal", ""),
            ("DATE", _) => ("text", "date", "", ""),
            ("TIME", _) => ("text", "time", "", ""),
            ("DATETIME", _) => ("text", "datetime-local", "", ""),
            ("DROP_DOWN", _) => ("select", "", "", ""),
            ("MULTI_SELECT", _) => ("multiselect", "", "", ""),
            ("RADIO_BUTTON", _) => ("radio", "radio", "", ""),
            ("CHECK_BOX", _) => ("checkbox", "checkbox", "", ""),
            ("FILE", _) => ("file", "file", "", ""),
            ("LINK", Some("MAIL")) => ("text", "email", "email", "email"),
            ("LINK", Some("CALL")) => ("text", "tel", "tel", "tel"),
            ("LINK", Some("WEB")) => ("text", "url", "url", "url"),
            _ => ("text", "text", "", ""),
        };
    let picked = draft.values.get(&f.code).cloned().unwrap_or_default();
    let options = f
        .options
        .iter()
        .enumerate()
        .map(|(j, o)| OptionView {
            id: format!("{id}-{j}"),
            value: o.clone(),
            checked: picked.contains(o),
        })
        .collect();
    let rules = &form.settings.files;
    let type_names: Vec<String> = rules.types.iter().map(|t| texts::type_name(t)).collect();
    let files = draft
        .files
        .get(&f.code)
        .map(|v| {
            v.iter()
                .map(|file| FileView {
                    text: texts::format(
                        lang,
                        "pf.file_attached",
                        &[("name", &file.name), ("size", &texts::size(file.size))],
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    FieldView {
        code: f.code.clone(),
        name: format!("f.{}", f.code),
        label: label_of(f, lang),
        help,
        help_id,
        error,
        error_id,
        described_by,
        required: f.required,
        readonly: f.prefilled,
        kind,
        input_type,
        inputmode,
        autocomplete,
        value: draft.first(&f.code).to_owned(),
        options,
        max_length: f.max_length,
        min: f.min_value.clone().filter(|s| !s.is_empty()),
        max: f.max_value.clone().filter(|s| !s.is_empty()),
        files,
        accept: rules.types.join(","),
        file_hint: texts::format(
            lang,
            "pf.file_hint",
            &[
                ("types", &type_names.join("・")),
                ("size", &texts::size(rules.max_bytes)),
            ],
        ),
        id,
    }
}

#[derive(Serialize)]
struct ErrorLink {
    target: String,
    label: String,
    message: String,
}

#[derive(Serialize)]
struct PowView {
    challenge: String,
    answer: String,
    bits: u32,
}

#[derive(Serialize)]
struct FormPage {
    page_lang: &'static str,
    title: String,
    recipient: Option<String>,
    intro: Vec<String>,
    action: String,
    langs: Vec<LangLink>,
    steps: Vec<Step>,
    alert: Option<String>,
    error_title: String,
    errors: Vec<ErrorLink>,
    fields: Vec<FieldView>,
    files_json: String,
    sig: String,
    pow: Option<PowView>,
    copy: Option<bool>,
    data: Value,
    txt: BTreeMap<String, String>,
}

/// What the form page shows besides the draft.
pub struct FormExtras {
    /// Field code → its message (validation, files).
    pub problems: BTreeMap<String, String>,
    /// A message above the form (a server error, a refused proof of work).
    pub alert: Option<String>,
    pub sig: String,
    /// The challenge and the answer already computed for it (empty: not yet).
    pub pow: Option<(String, String)>,
    /// Offer "send me a copy".
    pub copy_offered: bool,
}

/// The form page.
pub fn form_page(
    state: &AppState,
    status: StatusCode,
    frame: &Frame<'_>,
    fields: &[PublicField],
    draft: &Draft,
    extras: FormExtras,
) -> HttpResponse {
    let lang = frame.lang;
    let mut errors = Vec::new();
    let views: Vec<FieldView> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let error = extras.problems.get(&f.code).cloned();
            let view = field_view(i, f, lang, draft, error, frame.form);
            if let Some(message) = &view.error {
                errors.push(ErrorLink {
                    target: if view.kind == "radio" || view.kind == "checkbox" {
                        format!("{}-0", view.id)
                    } else {
                        view.id.clone()
                    },
                    label: view.label.clone(),
                    message: message.clone(),
                });
            }
            view
        })
        .collect();
    // Problems of codes the form does not show (never expected) still reach the summary.
    for (code, message) in &extras.problems {
        if !fields.iter().any(|f| &f.code == code) {
            errors.push(ErrorLink {
                target: "pf-form".into(),
                label: code.clone(),
                message: message.clone(),
            });
        }
    }
    let rules = &frame.form.settings.files;
    let pow_bits = frame.form.settings.pow.bits;
    let data = json!({
        "storageKey": frame.storage_key,
        "maxBytes": rules.max_bytes,
        "types": rules.types,
        "pow": extras.pow.as_ref().map(|_| pow_bits),
        "messages": {
            "required": texts::text(lang, "pf.js.required"),
            "fileSize": texts::format(lang, "pf.js.file_size", &[("size", &texts::size(rules.max_bytes))]),
            "fileType": texts::text(lang, "pf.js.file_type"),
            "restored": texts::text(lang, "pf.restored"),
            "powWorking": texts::text(lang, "pf.pow_working"),
            "tooLong": texts::text(lang, "public_forms.err.too_long"),
            "badEmail": texts::text(lang, "public_forms.err.bad_email"),
            "notNumber": texts::text(lang, "public_forms.err.not_number"),
        },
        "restore": errors.is_empty() && extras.alert.is_none(),
    });
    let page = FormPage {
        page_lang: lang.code(),
        title: frame.title(),
        recipient: frame.recipient(),
        intro: frame.form_text("intro"),
        action: frame.action.clone(),
        langs: frame.languages(),
        steps: frame.steps(0),
        alert: extras.alert,
        error_title: texts::format(
            lang,
            "pf.errors_title",
            &[("count", &errors.len().to_string())],
        ),
        errors,
        fields: views,
        files_json: draft.files_json(),
        sig: extras.sig,
        pow: extras.pow.map(|(challenge, answer)| PowView {
            challenge,
            answer,
            bits: pow_bits,
        }),
        copy: extras.copy_offered.then_some(draft.copy),
        data,
        txt: txt(lang),
    };
    let title = page.title.clone();
    wrap(state, status, lang, &title, "pf_form", &page, true)
}

#[derive(Serialize)]
struct ReviewRow {
    label: String,
    values: Vec<String>,
}

#[derive(Serialize)]
struct Hidden {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct ConfirmPage {
    page_lang: &'static str,
    title: String,
    recipient: Option<String>,
    lead: Vec<String>,
    action: String,
    steps: Vec<Step>,
    rows: Vec<ReviewRow>,
    copy_to: Option<String>,
    hidden: Vec<Hidden>,
    data: Value,
    txt: BTreeMap<String, String>,
}

/// The confirmation page: the values, and the same post again as hidden inputs.
pub fn confirm_page(
    state: &AppState,
    frame: &Frame<'_>,
    fields: &[PublicField],
    draft: &Draft,
    carried: Vec<(String, String)>,
    copy_to: Option<&str>,
) -> HttpResponse {
    let lang = frame.lang;
    let rows = fields
        .iter()
        .map(|f| {
            let values = if f.field_type == "FILE" {
                draft
                    .files
                    .get(&f.code)
                    .map(|v| {
                        v.iter()
                            .map(|file| format!("{}（{}）", file.name, texts::size(file.size)))
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                draft
                    .values
                    .get(&f.code)
                    .map(|v| v.iter().filter(|s| !s.trim().is_empty()).cloned().collect())
                    .unwrap_or_default()
            };
            ReviewRow {
                label: label_of(f, lang),
                values,
            }
        })
        .collect();
    let mut hidden: Vec<Hidden> = Vec::new();
    for (code, values) in &draft.values {
        for value in values {
            hidden.push(Hidden {
                name: format!("f.{code}"),
                value: value.clone(),
            });
        }
    }
    hidden.extend(
        carried
            .into_iter()
            .map(|(name, value)| Hidden { name, value }),
    );
    let lead = {
        let own = frame.form_text("confirm");
        if own.is_empty() {
            vec![texts::text(lang, "pf.confirm_lead")]
        } else {
            own
        }
    };
    let page = ConfirmPage {
        page_lang: lang.code(),
        title: frame.title(),
        recipient: frame.recipient(),
        lead,
        action: frame.action.clone(),
        steps: frame.steps(1),
        rows,
        copy_to: copy_to.map(|a| texts::format(lang, "pf.copy_to", &[("address", a)])),
        hidden,
        data: json!({"storageKey": frame.storage_key}),
        txt: txt(lang),
    };
    let title = format!("{} - {}", texts::text(lang, "pf.confirm_title"), page.title);
    wrap(
        state,
        StatusCode::OK,
        lang,
        &title,
        "pf_confirm",
        &page,
        true,
    )
}

#[derive(Serialize)]
struct DonePage {
    page_lang: &'static str,
    title: String,
    receipt: String,
    done: Vec<String>,
    steps: Vec<Step>,
    again: String,
    data: Value,
    txt: BTreeMap<String, String>,
}

/// The page after a submit: the receipt and the form's done text, nothing of the answer.
pub fn done_page(state: &AppState, lang: PageLang, form: &Form, receipt: &str) -> HttpResponse {
    let frame = Frame {
        lang,
        form,
        action: format!("/f/{}", form.slug),
        recipient: None,
        storage_key: format!("kumiki-pf:{}", form.slug),
    };
    let done = {
        let own = frame.form_text("done");
        if own.is_empty() {
            vec![texts::text(lang, "pf.done_default")]
        } else {
            own
        }
    };
    let page = DonePage {
        page_lang: lang.code(),
        title: frame.title(),
        receipt: receipt.to_owned(),
        done,
        steps: frame.steps(2),
        again: frame.action.clone(),
        // The done page clears what this device kept of the form (and of its links).
        data: json!({"clearPrefix": frame.storage_key}),
        txt: txt(lang),
    };
    let title = format!("{} - {}", texts::text(lang, "pf.done_title"), page.title);
    wrap(state, StatusCode::OK, lang, &title, "pf_done", &page, true)
}

#[derive(Serialize)]
struct ErrorPage {
    page_lang: &'static str,
    title: String,
    body: String,
    back: Option<String>,
    txt: BTreeMap<String, String>,
}

/// An error page (`pf.error.<kind>.title` / `.body`), with a link back to the form when there is one.
pub fn error_page(
    state: &AppState,
    status: StatusCode,
    lang: PageLang,
    kind: &str,
    back: Option<String>,
) -> HttpResponse {
    let page = ErrorPage {
        page_lang: lang.code(),
        title: texts::text(lang, &format!("pf.error.{kind}.title")),
        body: texts::text(lang, &format!("pf.error.{kind}.body")),
        back,
        txt: txt(lang),
    };
    let title = page.title.clone();
    wrap(state, status, lang, &title, "pf_error", &page, false)
}

#[derive(Serialize)]
struct Layout<'a> {
    html_lang: &'static str,
    title: &'a str,
    body: String,
    script: bool,
    version: &'static str,
}

/// Renders `template` inside the residents' own layout, with the headers of every form page.
fn wrap<T: Serialize>(
    state: &AppState,
    status: StatusCode,
    lang: PageLang,
    title: &str,
    template: &str,
    data: &T,
    script: bool,
) -> HttpResponse {
    let rendered = state.templates.render(template, data).and_then(|body| {
        state.templates.render(
            "pf_layout",
            &Layout {
                html_lang: lang.html_lang(),
                title,
                body,
                script,
                version: super::assets::version(),
            },
        )
    });
    match rendered {
        Ok(html) => with_headers(HttpResponse::build(status))
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, template, "public form template failed");
            with_headers(HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE))
                .content_type("text/plain; charset=utf-8")
                .body(texts::text(lang, "pf.error.internal.body"))
        }
    }
}

/// Only this server's own files, no inline script, not framed, no referrer to other sites, never
/// stored by a cache (a shared terminal's back button must not show someone's answer).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn with_headers(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-store"));
    builder
}

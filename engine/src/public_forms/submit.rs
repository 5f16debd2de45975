//! The residents' side: open a form (or a per-recipient link), check an answer, submit it.
//!
//! `submit` runs in ONE write transaction of its own (call it outside a transaction): open and
//! check again, the max-answers / open-window gate and the one-time link gate as conditional
//! UPDATEs, the record write by a `Principal::PublicForm` acting context (scripts, process
//! management, notifications and search indexing apply as for any record), the answer row, the
//! tallies, the audit row and the copy mail job. Any refusal rolls all of it back.

use chrono::Timelike;
use diesel::prelude::*;
use rand::Rng as _;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::links::{Link, LinkRow};
use super::store::FormRow;
use super::{
    audit_action, tallies, validate as checks, Form, FormSettings, Texts, COPY_MAIL_JOB, EDITABLE,
    ONCE, PUBLISHED,
};
use crate::acl::{AppRight, Principal};
use crate::acting::{ActingContext, Channel};
use crate::apps::{AppDefinition, AppId, LiveApp};
use crate::db::schema::{public_form_answers, public_form_links};
use crate::db::{DbConn, IntRow};
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::records::hooks::ScriptContext;
use crate::records::{self, RecordTarget, RecordUpdate};
use crate::with_conn;

/// A form opened for a resident: what the page shows.
#[derive(Debug, Clone)]
pub struct Opened {
    pub form: Form,
    pub link: Option<Link>,
    /// The form's fields in form order, with the app's rules.
    pub app_fields: Vec<PublicField>,
    /// The values to show: the link's prefill, or an editable link's current answer.
    pub current: Map<String, Value>,
    /// The time zone local dates and times are read in (the acting context's).
    pub timezone: chrono_tz::Tz,
}

/// One field as the residents' page shows and checks it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicField {
    pub code: String,
    pub field_type: String,
    /// The form's label per language; `ja` is always there (the app field's label by default).
    pub label: Texts,
    pub help: Texts,
    /// The app field's required flag OR the form's.
    pub required: bool,
    /// Choice options in the app's order.
    pub options: Vec<String>,
    pub max_length: Option<i64>,
    pub min_length: Option<i64>,
    pub max_value: Option<String>,
    pub min_value: Option<String>,
    /// LINK: `WEB`, `MAIL` or `CALL`.
    pub protocol: Option<String>,
    /// Prefilled by the link: shown read-only, the link's value is what is saved.
    pub prefilled: bool,
}

/// An answer as the page sends it.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// Code → a string, a list of strings (CHECK_BOX, MULTI_SELECT), or `[{"fileKey": k}]` (FILE).
    pub values: Map<String, Value>,
    /// `ja`, `en` or `easy`.
    pub lang: String,
    /// An e-mail address for the copy of the answer (used when the form offers the copy).
    pub copy_to: Option<String>,
}

/// One problem with one field (`public_forms.err.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub code: String,
    pub message: Message,
}

/// What the resident is told after submitting.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// `<form id>-<6-digit seq>-<4 chars>`, e.g. `12-000345-K7QD`.
    pub receipt: String,
    pub record_id: i64,
    pub answer_id: i64,
}

fn opt_i64(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.trim().parse().ok())
}

/// The form's fields that the app still has, as the page shows them.
fn public_fields(
    def: &AppDefinition,
    settings: &FormSettings,
    prefill: &Map<String, Value>,
) -> Vec<PublicField> {
    settings
        .fields
        .iter()
        .filter_map(|f| {
            let p = def.properties.get(&f.code)?;
            let mut label = f.label.clone();
            if label.0.get("ja").is_none_or(String::is_empty) {
                label.0.insert("ja".into(), p.label.clone());
            }
            Some(PublicField {
                code: f.code.clone(),
                field_type: p.field_type.name().to_owned(),
                label,
                help: f.help.clone(),
                required: f.required || p.is_required(),
                options: p.option_keys().into_iter().map(str::to_owned).collect(),
                max_length: opt_i64(&p.max_length),
                min_length: opt_i64(&p.min_length),
                max_value: p.max_value.clone().filter(|v| !v.is_empty()),
                min_value: p.min_value.clone().filter(|v| !v.is_empty()),
                protocol: p.protocol.clone(),
                prefilled: prefill.contains_key(&f.code),
            })
        })
        .collect()
}

/// The form's fields that the app still has, without a link (staff views: results, export).
pub(crate) fn public_fields_of(def: &AppDefinition, settings: &FormSettings) -> Vec<PublicField> {
    public_fields(def, settings, &Map::new())
}

/// The acting context records of a form are written through.
fn form_context(ctx: &ActingContext, row: &FormRow, record: Option<i64>) -> ActingContext {
    ActingContext::new(
        Principal::PublicForm {
            form: row.id,
            app: AppId(row.app_id),
            record,
        },
        Channel::PublicForm,
        ctx.timezone(),
    )
    .with_peer(ctx.peer(), "public_form")
}

fn open_app_for(acting: &ActingContext, conn: &mut DbConn, app: i64) -> EngineResult<LiveApp> {
    let right = match acting.principal() {
        Principal::PublicForm {
            record: Some(_), ..
        } => AppRight::Edit,
        _ => AppRight::Add,
    };
    match acting.open_app(conn, AppId(app), right) {
        // The app was deleted (or never deployed): the form is gone with it.
        Err(EngineError::User(UserError::AppNotFound(_))) => Err(UserError::FormNotFound.into()),
        other => other,
    }
}

/// The stored answer values of an answer row.
fn answer_vals(
    conn: &mut DbConn,
    answer_id: i64,
) -> EngineResult<Option<(Map<String, Value>, i64)>> {
    let row: Option<(String, i64)> = with_conn!(conn, |c| public_form_answers::table
        .find(answer_id)
        .select((public_form_answers::vals, public_form_answers::submitted_at))
        .first(c)
        .optional())?;
    Ok(row.map(|(vals, at)| {
        let map = match serde_json::from_str(&vals) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        (map, at)
    }))
}

/// Opens form `slug` (and link `link_token`) for a resident. `FormNotFound`: no such form, a
/// draft, or a token of another form; `FormClosed`: not published, not yet open, closed, full,
/// or an expired or revoked link; `FormLinkUsed`: a one-time link already answered.
pub fn open(
    conn: &mut DbConn,
    ctx: &ActingContext,
    slug: &str,
    link_token: Option<&str>,
) -> EngineResult<Opened> {
    Ok(open_inner(conn, ctx, slug, link_token)?.0)
}

/// `open`, with the rows and the opened app that `submit` goes on with.
fn open_inner(
    conn: &mut DbConn,
    ctx: &ActingContext,
    slug: &str,
    link_token: Option<&str>,
) -> EngineResult<(Opened, FormRow, Option<LinkRow>, LiveApp)> {
    let row = FormRow::find_by_slug(conn, slug)?.ok_or(UserError::FormNotFound)?;
    if row.state == super::DRAFT {
        return Err(UserError::FormNotFound.into());
    }
    let now = ctx.now().timestamp();
    let link = match link_token {
        None => None,
        Some(token) => {
            let link = LinkRow::find_by_token(conn, token)?
                .filter(|l| l.form_id == row.id)
                .ok_or(UserError::FormNotFound)?;
            if link.revoked != 0 || link.expires_at.is_some_and(|e| e <= now) {
                return Err(UserError::FormClosed.into());
            }
            if link.mode == ONCE && link.answered_at.is_some() {
                return Err(UserError::FormLinkUsed.into());
            }
            Some(link)
        }
    };
    // An editable link's second answer changes its record and does not count again.
    let editing = link
        .as_ref()
        .is_some_and(|l| l.mode == EDITABLE && l.record_id.is_some());
    let full = row.max_answers.is_some_and(|m| row.answer_count >= m);
    if row.state != PUBLISHED
        || row.opens_at.is_some_and(|o| o > now)
        || row.closes_at.is_some_and(|c| c <= now)
        || (full && !editing)
    {
        return Err(UserError::FormClosed.into());
    }
    let record = if editing {
        link.as_ref().and_then(|l| l.record_id)
    } else {
        None
    };
    let acting = form_context(ctx, &row, record);
    let live = open_app_for(&acting, conn, row.app_id)?;
    let form = row.to_form();
    let prefill = link.as_ref().map(LinkRow::prefill_map).unwrap_or_default();
    let app_fields = public_fields(&live.definition, &form.settings, &prefill);
    let mut current = Map::new();
    if let Some(answer) = link.as_ref().and_then(|l| l.answer_id).filter(|_| editing) {
        if let Some((vals, _)) = answer_vals(conn, answer)? {
            current = vals;
        }
    }
    for (k, v) in &prefill {
        current.insert(k.clone(), v.clone());
    }
    let receipt = match link.as_ref().and_then(|l| l.answer_id) {
        Some(a) => with_conn!(conn, |c| public_form_answers::table
            .find(a)
            .select(public_form_answers::receipt)
            .first::<String>(c)
            .optional())?,
        None => None,
    };
    let opened = Opened {
        form,
        link: link.as_ref().map(|l| l.to_link(receipt)),
        app_fields,
        current,
        timezone: ctx.timezone(),
    };
    Ok((opened, row, link, live))
}

/// Checks an answer against the opened form: the normalised record JSON `{code: {"value": v}}`
/// of the form's fields, or `FormInvalid` with one problem per field. Writes nothing.
pub fn validate(
    _conn: &mut DbConn,
    opened: &Opened,
    s: &Submission,
) -> Result<Map<String, Value>, UserError> {
    let prefill = opened
        .link
        .as_ref()
        .map(|l| l.prefill.clone())
        .unwrap_or_default();
    checks::check_all(&opened.app_fields, &s.values, &prefill, opened.timezone)
        .map_err(UserError::FormInvalid)
}

/// A record write's validation errors (`record.<code>.value`) as the form's problems.
fn as_form_problems(e: EngineError) -> EngineError {
    match e {
        EngineError::User(UserError::Validation(errors)) => {
            let mut problems = Vec::new();
            for (key, messages) in errors {
                let code = key
                    .strip_prefix("record.")
                    .and_then(|k| k.strip_suffix(".value"))
                    .unwrap_or(&key)
                    .to_owned();
                for message in messages {
                    problems.push(FieldProblem {
                        code: code.clone(),
                        message,
                    });
                }
            }
            UserError::FormInvalid(problems).into()
        }
        other => other,
    }
}

/// `<form>-<seq:06>-<4 of [A-Z2-9]>`.
fn receipt_text(form: i64, seq: i64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..4)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{form}-{seq:06}-{tail}")
}

/// The conditional UPDATE that admits one more answer (0 rows: closed or full).
fn admit_answer(conn: &mut DbConn, form: i64, now: i64) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push(
        "UPDATE public_forms SET answer_count = answer_count + 1, next_seq = next_seq + 1 \
         WHERE id = ",
    )
    .bind_int(form)
    .push(" AND state = ")
    .bind_text(PUBLISHED)
    .push(" AND (max_answers IS NULL OR answer_count < max_answers) AND (opens_at IS NULL OR opens_at <= ")
    .bind_int(now)
    .push(") AND (closes_at IS NULL OR closes_at > ")
    .bind_int(now)
    .push(")");
    if conn.execute(&b)? == 0 {
        return Err(UserError::FormClosed.into());
    }
    let mut q = conn.sql();
    q.push("SELECT next_seq AS n FROM public_forms WHERE id = ")
        .bind_int(form);
    let rows: Vec<IntRow> = conn.load(&q)?;
    rows.first()
        .map(|r| r.n)
        .ok_or_else(|| UserError::FormNotFound.into())
}

/// The one-time gate on a link's first answer (0 rows: answered meanwhile, or revoked).
fn claim_link(conn: &mut DbConn, link: i64, now: i64) -> EngineResult<()> {
    let n = with_conn!(conn, |c| diesel::update(
        public_form_links::table
            .filter(public_form_links::id.eq(link))
            .filter(public_form_links::answered_at.is_null())
            .filter(public_form_links::revoked.eq(0_i64))
    )
    .set(public_form_links::answered_at.eq(now))
    .execute(c))?;
    if n == 0 {
        return Err(UserError::FormLinkUsed.into());
    }
    Ok(())
}

/// The plain values `{code: value}` of a record JSON `{code: {"value": v}}`.
fn plain(record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .map(|(k, v)| (k.clone(), v.get("value").cloned().unwrap_or(Value::Null)))
        .collect()
}

/// The answer's FILE values with the names the page sent beside the keys (`[{fileKey, name}]`),
/// so that the CSV and the copy mail can name the files; the record gets the keys only.
fn with_file_names(
    mut vals: Map<String, Value>,
    fields: &[PublicField],
    input: &Map<String, Value>,
) -> Map<String, Value> {
    for f in fields.iter().filter(|f| f.field_type == "FILE") {
        let Some(Value::Array(items)) = input.get(&f.code) else {
            continue;
        };
        let named: Vec<Value> = items
            .iter()
            .filter_map(|i| {
                let key = i.get("fileKey").and_then(Value::as_str)?;
                let name = i.get("name").and_then(Value::as_str).unwrap_or_default();
                Some(json!({"fileKey": key, "name": name}))
            })
            .collect();
        if vals.contains_key(&f.code) {
            vals.insert(f.code.clone(), Value::Array(named));
        }
    }
    vals
}

/// Submits an answer for a resident (`ctx`: the platform's system context of channel
/// `PublicForm`, with the resident's address as peer). Opens its own write transaction. The app's
/// scripts (`scripts`) run with the public form's rights (their `acting` is replaced). Errors:
/// those of `open`, `FormInvalid` (nothing written), `FormClosed` when the form filled up or
/// closed meanwhile, `FormLinkUsed` when a one-time link was used meanwhile, and what the app's
/// scripts refuse.
pub fn submit(
    conn: &mut DbConn,
    ctx: &ActingContext,
    slug: &str,
    link_token: Option<&str>,
    s: &Submission,
    scripts: Option<ScriptContext>,
) -> EngineResult<Receipt> {
    conn.write_transaction(|conn| submit_in(conn, ctx, slug, link_token, s, scripts))
}

fn submit_in(
    conn: &mut DbConn,
    ctx: &ActingContext,
    slug: &str,
    link_token: Option<&str>,
    s: &Submission,
    scripts: Option<ScriptContext>,
) -> EngineResult<Receipt> {
    let (opened, row, link, live) = open_inner(conn, ctx, slug, link_token)?;
    let record = validate(conn, &opened, s)?;
    let vals = with_file_names(plain(&record), &opened.app_fields, &s.values);
    let now = ctx.now();
    let at = now.timestamp();
    let lang = if super::LANGS.contains(&s.lang.as_str()) {
        s.lang.clone()
    } else {
        "ja".to_owned()
    };
    let editing = link
        .as_ref()
        .and_then(|l| l.record_id.filter(|_| l.mode == EDITABLE))
        .zip(link.as_ref().and_then(|l| l.answer_id));
    let acting = form_context(ctx, &row, editing.map(|(r, _)| r));
    let mut actor = acting.actor();
    // The app's scripts act for the resident, whatever context the caller built them with: the
    // public form's rights in the script channel (its own app only), never the system's.
    actor.scripts = scripts.map(|s| ScriptContext {
        acting: acting.clone().in_channel(Channel::Script),
        ..s
    });
    let recipient = link
        .as_ref()
        .map(|l| l.recipient.clone())
        .unwrap_or_default();
    let settings = &opened.form.settings;
    let receipt = match editing {
        Some((record_id, answer_id)) => {
            let Some((old, submitted_at)) = answer_vals(conn, answer_id)? else {
                return Err(EngineError::Internal(format!(
                    "public form {}: link answer {answer_id} is missing",
                    row.id
                )));
            };
            // Still inside the window: the link's record may change while the form is open.
            let n = with_conn!(conn, |c| diesel::update(
                public_form_links::table
                    .filter(public_form_links::id.eq(link.as_ref().map_or(0, |l| l.id)))
                    .filter(public_form_links::revoked.eq(0_i64))
            )
            .set(public_form_links::answered_at.eq(at))
            .execute(c))?;
            if n == 0 {
                return Err(UserError::FormClosed.into());
            }
            records::update_records(
                conn,
                &live,
                &[RecordUpdate {
                    target: RecordTarget::Id(record_id),
                    record: record.clone(),
                    revision: None,
                }],
                &actor,
                false,
                false,
            )
            .map_err(as_form_problems)?;
            let hour = hour_of(submitted_at, ctx.timezone());
            let mut deltas =
                tallies::deltas(&opened.app_fields, settings, &old, &recipient, &hour, -1);
            deltas.extend(tallies::deltas(
                &opened.app_fields,
                settings,
                &vals,
                &recipient,
                &hour,
                1,
            ));
            tallies::apply(conn, row.id, &deltas)?;
            with_conn!(conn, |c| diesel::update(
                public_form_answers::table.find(answer_id)
            )
            .set((
                public_form_answers::vals.eq(Value::Object(vals.clone()).to_string()),
                public_form_answers::lang.eq(&lang),
                public_form_answers::updated_at.eq(at),
            ))
            .execute(c))?;
            let receipt: String = with_conn!(conn, |c| public_form_answers::table
                .find(answer_id)
                .select(public_form_answers::receipt)
                .first(c))?;
            Receipt {
                receipt,
                record_id,
                answer_id,
            }
        }
        None => {
            let seq = admit_answer(conn, row.id, at)?;
            if let Some(l) = &link {
                claim_link(conn, l.id, at)?;
            }
            let added =
                records::add_records(conn, &live, std::slice::from_ref(&record), &actor, false)
                    .map_err(as_form_problems)?;
            let (record_id, _) = added
                .first()
                .copied()
                .ok_or_else(|| EngineError::Internal("record write returned no id".into()))?;
            let receipt = receipt_text(row.id, seq);
            let answer_id: i64 =
                with_conn!(conn, |c| diesel::insert_into(public_form_answers::table)
                    .values((
                        public_form_answers::form_id.eq(row.id),
                        public_form_answers::record_id.eq(record_id),
                        public_form_answers::receipt.eq(&receipt),
                        public_form_answers::link_id.eq(link.as_ref().map(|l| l.id)),
                        public_form_answers::lang.eq(&lang),
                        public_form_answers::vals.eq(Value::Object(vals.clone()).to_string()),
                        public_form_answers::submitted_at.eq(at),
                        public_form_answers::updated_at.eq(at),
                    ))
                    .returning(public_form_answers::id)
                    .get_result(c))?;
            if let Some(l) = &link {
                with_conn!(conn, |c| diesel::update(
                    public_form_links::table.find(l.id)
                )
                .set((
                    public_form_links::record_id.eq(record_id),
                    public_form_links::answer_id.eq(answer_id),
                ))
                .execute(c))?;
            }
            let hour = hour_of(at, ctx.timezone());
            let deltas = tallies::deltas(&opened.app_fields, settings, &vals, &recipient, &hour, 1);
            tallies::apply(conn, row.id, &deltas)?;
            Receipt {
                receipt,
                record_id,
                answer_id,
            }
        }
    };
    acting.audit(
        conn,
        audit_action::SUBMIT,
        &format!("public_form:{}", row.id),
        json!({
            "app": row.app_id,
            "record": receipt.record_id,
            "receipt": receipt.receipt,
            "link": link.as_ref().map(|l| l.id),
            "edit": editing.is_some(),
        }),
    )?;
    if let Some(to) = s
        .copy_to
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if settings.email_copy_field.is_some() && checks::is_email(to) {
            enqueue_copy(conn, &opened, &vals, &lang, to, &receipt.receipt, at)?;
        }
    }
    Ok(receipt)
}

/// The hour "00".."23" of `at` in `tz`.
pub(crate) fn hour_of(at: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| format!("{:02}", t.with_timezone(&tz).hour()))
        .unwrap_or_else(|| "00".into())
}

/// A value as the copy mail and the CSV show it.
pub(crate) fn value_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                // A file: its name, never the upload key.
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .unwrap_or("(file)")
                    .to_owned(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// Plans the copy mail (`COPY_MAIL_JOB`, payload `{to, subject, body}`): the receipt, the form's
/// title and the answered values, in the resident's language (English for `en`, Japanese else).
fn enqueue_copy(
    conn: &mut DbConn,
    opened: &Opened,
    vals: &Map<String, Value>,
    lang: &str,
    to: &str,
    receipt: &str,
    at: i64,
) -> EngineResult<()> {
    let title = opened.form.title(lang).to_owned();
    let lines: Vec<String> = opened
        .app_fields
        .iter()
        .map(|f| {
            let label = f.label.get(lang).unwrap_or(&f.code);
            let value = if f.field_type == "FILE" {
                let n = vals
                    .get(&f.code)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if lang == "en" {
                    format!("{n} file(s)")
                } else {
                    format!("{n}件")
                }
            } else {
                value_text(vals.get(&f.code))
            };
            format!("{label}: {value}")
        })
        .collect();
    let (subject, body) = if lang == "en" {
        (
            format!("[Copy] {title} (receipt {receipt})"),
            format!(
                "We received your answer as follows.\nReceipt: {receipt}\n\n{}\n",
                lines.join("\n")
            ),
        )
    } else {
        (
            format!("【控え】{title}（受付番号 {receipt}）"),
            format!(
                "以下の内容で受け付けました。\n受付番号: {receipt}\n\n{}\n",
                lines.join("\n")
            ),
        )
    };
    let payload = json!({"to": to, "subject": subject, "body": body});
    let key = format!("{COPY_MAIL_JOB}:{receipt}:{}", super::random_token(9));
    crate::jobs::enqueue(
        conn,
        &crate::jobs::NewJob {
            kind: COPY_MAIL_JOB,
            dedupe_key: &key,
            payload: &payload,
            run_at: at,
            max_attempts: 5,
        },
        at,
    )?;
    Ok(())
}

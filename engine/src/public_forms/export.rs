//! The answers of a form as CSV for staff (view and export rights on the app): UTF-8 with a BOM
//! (Excel opens it as UTF-8), one row per answer in submission order with the receipt, the
//! submission time (server time zone), the link's recipient, the language and each field (the
//! answer as submitted; an edit through an editable link shows its latest values). Read in pages
//! of 1000 answers and written as it goes, so a large form never sits in memory.

use std::collections::HashMap;
use std::io::Write;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::store::staff_form;
use super::submit::value_text;
use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::db::schema::{public_form_answers, public_form_links};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// Answers read per page.
pub const PAGE: i64 = 1000;

/// Text that a spreadsheet would evaluate (CSV injection) gets a leading `'`.
fn guarded(text: &str) -> String {
    let formula = match text.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => text.len() > 1 && text.parse::<f64>().is_err(),
        _ => false,
    };
    if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// One CSV field (RFC 4180 quoting).
pub fn csv_field(text: &str) -> String {
    let text = guarded(text);
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn write_row(out: &mut dyn Write, cells: &[String]) -> EngineResult<()> {
    let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")?;
    Ok(())
}

type AnswerPage = Vec<(i64, String, Option<i64>, String, String, i64)>;

/// Writes the answers of `form` as CSV to `out` (view and export rights on its app). Writes an
/// audit row.
pub fn export_csv(
    conn: &mut DbConn,
    ctx: &ActingContext,
    form: i64,
    out: &mut dyn Write,
) -> EngineResult<()> {
    let (row, live) = staff_form(conn, ctx, form, AppRight::Export)?;
    let f = row.to_form();
    let fields = super::submit::public_fields_of(&live.definition, &f.settings);
    let tz = ctx.timezone();
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut header = vec![
        "受付番号".to_owned(),
        "受付日時".to_owned(),
        "宛先".to_owned(),
        "言語".to_owned(),
    ];
    header.extend(
        fields
            .iter()
            .map(|q| q.label.get("ja").unwrap_or(&q.code).to_owned()),
    );
    write_row(out, &header)?;
    let mut after = 0_i64;
    let mut written = 0_usize;
    loop {
        let page: AnswerPage = with_conn!(conn, |c| public_form_answers::table
            .filter(public_form_answers::form_id.eq(form))
            .filter(public_form_answers::id.gt(after))
            .order(public_form_answers::id)
            .limit(PAGE)
            .select((
                public_form_answers::id,
                public_form_answers::receipt,
                public_form_answers::link_id,
                public_form_answers::lang,
                public_form_answers::vals,
                public_form_answers::submitted_at,
            ))
            .load(c))?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.0;
        let link_ids: Vec<i64> = page.iter().filter_map(|a| a.2).collect();
        let recipients: HashMap<i64, String> = with_conn!(conn, |c| public_form_links::table
            .filter(public_form_links::id.eq_any(&link_ids))
            .select((public_form_links::id, public_form_links::recipient))
            .load::<(i64, String)>(c))?
        .into_iter()
        .collect();
        for (_, receipt, link_id, lang, vals, submitted_at) in &page {
            let vals = match serde_json::from_str::<Value>(vals) {
                Ok(Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            let when = chrono::DateTime::from_timestamp(*submitted_at, 0)
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            let mut cells = vec![
                receipt.clone(),
                when,
                link_id
                    .and_then(|l| recipients.get(&l).cloned())
                    .unwrap_or_default(),
                lang.clone(),
            ];
            cells.extend(fields.iter().map(|q| value_text(vals.get(&q.code))));
            write_row(out, &cells)?;
            written += 1;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    out.flush()?;
    ctx.audit(
        conn,
        super::audit_action::EXPORT,
        &format!("public_form:{form}"),
        json!({"app": row.app_id, "answers": written}),
    )
}

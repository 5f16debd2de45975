//! Issue 14, survey relay: copying a survey, relaying a received one onwards, merging the relayed
//! answers upward, and the merge download (`GET /api/surveys/export`). Handlers only translate;
//! the use cases and their rights are `kumiki_engine::surveys::{relay, merged}`. Documented in
//! docs/api.md "Surveys (issue 14)" and docs/surveys.md.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::surveys::export::CsvEncoding;
use kumiki_engine::surveys::merged::{self, Format, Part};
use kumiki_engine::surveys::relay;
use serde_json::{json, Value};

use super::call::Call;
use super::surveys::{recipients_of, time_of};
use crate::auth::{authenticate, credentials_from};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

/// `POST /api/surveys/copy.json` `{id, dueAt?}` → `{id}`: a new draft repeating survey `id`, due
/// `dueAt` or one year after the original.
pub fn copy(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let due = match p.0.get("dueAt") {
        None | Some(Value::Null) => None,
        Some(v) => Some(time_of("dueAt", v)?),
    };
    let id = relay::copy(call.conn, &call.state.files, call.acting, p.i64("id")?, due)?;
    Ok(json!({ "id": id }))
}

/// `POST /api/surveys/relay.json` `{answer, recipients, dueAt}` → `{id}`: the received request
/// sent onwards by a member of the answering organisation, as a new draft the member owns.
pub fn relay_answer(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let answer = p.i64("answer")?;
    let recipients = recipients_of(p.0.get("recipients").unwrap_or(&Value::Null))?;
    let due = time_of("dueAt", p.0.get("dueAt").unwrap_or(&Value::Null))?;
    let id = relay::relay(
        call.conn,
        &call.state.files,
        call.acting,
        answer,
        recipients,
        due,
    )?;
    Ok(json!({ "id": id }))
}

/// `POST /api/surveys/answer/merge_relay.json` `{id}` → `{merged: n}`: the answer's draft filled
/// from the relayed survey's submitted answers.
pub fn merge_relay(call: &mut Call, p: &Params) -> Result<Value, ApiError> {
    let n = relay::merge_relay(call.conn, &call.state.files, call.acting, p.i64("id")?)?;
    Ok(json!({ "merged": n }))
}

fn export_options(p: &Params) -> Result<(i64, Part, Format), ApiError> {
    let id = p.i64("id")?;
    let part = match p.opt_str("part")?.as_deref() {
        None | Some("fields") => Part::Fields,
        Some("sheet") => Part::Sheet,
        Some(_) => return Err(ApiError::invalid("part", "Enter fields or sheet.")),
    };
    let format = match p.opt_str("format")?.as_deref() {
        None | Some("xlsx") => Format::Xlsx,
        Some("csv") => match p.opt_str("encoding")?.as_deref() {
            None | Some("utf-8") | Some("utf8") => Format::Csv(CsvEncoding::Utf8Bom),
            Some("shift_jis") | Some("sjis") => Format::Csv(CsvEncoding::ShiftJis),
            Some(_) => return Err(ApiError::invalid("encoding", "Enter utf-8 or shift_jis.")),
        },
        Some(_) => return Err(ApiError::invalid("format", "Enter xlsx or csv.")),
    };
    Ok((id, part, format))
}

/// `GET /api/surveys/export?id=&part=fields|sheet&format=xlsx|csv&encoding=utf-8|shift_jis`: the
/// merge of the submitted and accepted answers as a download (owners). The file is written to a
/// temporary file first and sent only when complete; errors (a character Shift_JIS cannot hold, a
/// survey without a sheet) come in the kintone JSON envelope.
pub async fn export(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ja = super::wants_japanese(&req);
    let result: Result<HttpResponse, ApiError> = async {
        let creds = credentials_from(&req)?;
        let params = parse_query_string(req.query_string());
        let state = state.get_ref().clone();
        let (name, format, file) = blocking(move || {
            let (id, part, format) = export_options(&Params(&params))?;
            let mut conn = state.conn()?;
            let caller = authenticate(&state, &mut conn, &creds)?;
            // Next to the attachments, not in /tmp: a merge can be large.
            let tmp_dir = state.files.incoming_dir()?;
            let tmp =
                tempfile::NamedTempFile::new_in(&tmp_dir).map_err(ApiError::internal_because)?;
            let name = conn.write_transaction(|c| {
                let acting = caller.api_acting(None);
                let call = Call::new(&state, c, &caller, &acting);
                merged::write_merge(call.conn, call.acting, id, part, format, tmp.path())
                    .map_err(ApiError::from)
            })?;
            // Unlinked now; the open handle keeps the bytes until the download ends.
            let file = tmp.reopen().map_err(ApiError::internal_because)?;
            Ok::<_, ApiError>((name, format, file))
        })
        .await?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let body = super::files::file_stream(tokio::fs::File::from_std(file));
        Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header(super::files::attachment(&name))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", "no-store"))
            .no_chunking(size)
            .streaming(body))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => e.response(ja),
    }
}

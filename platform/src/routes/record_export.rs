//! Issue 16, export (kintone's 「ファイルに書き出す」): `GET /api/records/export` and the same through a
//! guest space's path (`/api/guest/{space}/records/export`, `/k/guest/{space}/api/records/export`).
//! The records of a query or list view as CSV (UTF-8 with a BOM, or Shift_JIS) or XLSX.
//!
//! Not a dispatch-table route: the answer is a file, not JSON. The engine writes the whole file to a
//! temporary file first (`kumiki_engine::export`, rights and audit included) inside a read
//! transaction, so every error — a character Shift_JIS cannot hold, an unknown field, no right —
//! arrives as a kintone JSON error before any byte of the file; the file is then streamed from disk
//! (never held in memory) and unlinked when the download ends. Documented in docs/export.md.

use actix_web::{web, HttpRequest, HttpResponse};
use kumiki_engine::apps::AppId;
use kumiki_engine::export::{self, ExportFormat, ExportRequest};
use kumiki_engine::tabular::CsvEncoding;
use kumiki_engine::{Message, UserError};
use serde_json::Value;

use super::{guest_space, record_refusal, refusal_code, wants_japanese};
use crate::auth::{authenticate, credentials_from};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

/// The API name the refusal log uses for this route.
const API: &str = "kumiki/records/export";

/// `app`, `format` (`csv` | `xlsx`), `encoding` (`utf8` | `sjis`, CSV only), `view`, `query`,
/// `fields[]` as an engine request.
fn request_of(p: &Params) -> Result<ExportRequest, ApiError> {
    let app = AppId(p.i64("app")?);
    let encoding = match p.opt_str("encoding")?.as_deref() {
        None | Some("" | "utf8" | "utf-8" | "UTF-8") => CsvEncoding::Utf8Bom,
        Some("sjis" | "shift_jis" | "Shift_JIS" | "cp932" | "windows-31j") => CsvEncoding::ShiftJis,
        Some(_) => {
            return Err(UserError::invalid(
                "encoding",
                Message::keyed("export.err.encoding", "Enter utf8 or sjis as the encoding."),
            )
            .into())
        }
    };
    let format = match p.opt_str("format")?.as_deref() {
        None | Some("" | "csv") => ExportFormat::Csv(encoding),
        Some("xlsx") => ExportFormat::Xlsx,
        Some(other) => match ExportFormat::parse(other) {
            Some(f) => f,
            None => {
                return Err(UserError::invalid(
                    "format",
                    Message::keyed("export.err.format", "Enter csv or xlsx as the format."),
                )
                .into())
            }
        },
    };
    let fields = p
        .opt_str_list("fields")?
        .map(|f| f.into_iter().filter(|c| !c.is_empty()).collect::<Vec<_>>())
        .filter(|f| !f.is_empty());
    Ok(ExportRequest {
        app,
        view: p.opt_str("view")?,
        query: p.opt_str("query")?,
        fields,
        format,
    })
}

/// `GET /api/records/export?app=&format=csv|xlsx&encoding=utf8|sjis&view=&query=&fields[]=`: the
/// download, or a kintone JSON error (in the page's language for a signed-in page).
pub async fn export(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ja = wants_japanese(&req);
    let result: Result<HttpResponse, ApiError> = async {
        let creds = credentials_from(&req)?;
        let space = guest_space(&req)?;
        let params = parse_query_string(req.query_string());
        crate::request_id::record_app(params.get("app"));
        let state = state.get_ref().clone();
        let (done, file) = blocking(move || run(&state, &creds, space, &params)).await?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let body = super::files::file_stream(tokio::fs::File::from_std(file));
        Ok(HttpResponse::Ok()
            .content_type(done.format.content_type())
            .insert_header(super::files::attachment(&done.file_name))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Kumiki-Records", done.records.to_string()))
            .no_chunking(size)
            .streaming(body))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(e) => e.response(ja),
    }
}

/// Authenticates, exports to a temporary file in a read transaction, audits, and hands back the
/// open (already unlinked) file.
fn run(
    state: &AppState,
    creds: &crate::auth::Credentials,
    space: Option<i64>,
    params: &Value,
) -> Result<(export::ExportDone, std::fs::File), ApiError> {
    let mut conn = state.conn()?;
    let caller = authenticate(state, &mut conn, creds)?;
    let page_lang = (caller.via == "session")
        .then(|| crate::i18n::Lang::parse(&caller.locale).unwrap_or(crate::i18n::Lang::Ja));
    let acting = caller.api_acting(space);
    let outcome = (|| {
        let request = request_of(&Params(params))?;
        // Next to the attachments, not in /tmp: an export can be large (and XLSX sheets spill
        // their rows beside it).
        let tmp_dir = state.files.incoming_dir()?;
        let tmp = tempfile::NamedTempFile::new_in(&tmp_dir).map_err(ApiError::internal_because)?;
        // A read transaction: a long export must not hold SQLite's write lock (or PostgreSQL's app
        // row lock). The matching ids are read once; a record deleted while the rest are read is
        // skipped, never half-written.
        let done = conn.read_transaction(|c| {
            acting.admit_guest(c)?;
            export::export_records(
                c,
                &acting,
                Some(state.search.like_matcher()),
                &request,
                tmp.path(),
            )
            .map_err(ApiError::from)
        })?;
        conn.write_transaction(|c| {
            export::audit_export(c, &acting, &done).map_err(ApiError::from)
        })?;
        // Unlinked now; the open handle keeps the bytes until the download ends.
        let file = tmp.reopen().map_err(ApiError::internal_because)?;
        drop(tmp);
        Ok::<_, ApiError>((done, file))
    })();
    outcome.map_err(|e| {
        if let Some(code) = refusal_code(&mut conn, &e, params) {
            record_refusal(&mut conn, &caller, "GET", API, params, code);
        }
        e.in_lang(page_lang)
    })
}

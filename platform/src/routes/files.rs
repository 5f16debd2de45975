//! `file.json`: multipart upload (returns a `fileKey`) and download (the exact stored bytes).
//! A download of a file attached to a record needs the view right on its app; an upload that is not
//! attached yet can be fetched only by whoever uploaded it; one attached to a thread post by whoever
//! may enter the post's space.
//!
//! Uploads authenticate before a byte of the body is read (an anonymous client gets its 401 with the
//! body unread), and stream into a temporary file with the size limit counted as they go, so an
//! upload costs the server a buffer of memory, not its size. Downloads are always attachments, with
//! `nosniff`, `Content-Security-Policy: sandbox` and an RFC 6266 `filename*`; types a browser would
//! run (HTML, SVG, XML, scripts) and images whose bytes are not that image are sent as
//! `application/octet-stream` (docs/security/files.md).

use actix_multipart::Multipart;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kumiki_engine::acl::AppRight;
use kumiki_engine::records::file_meta;
use kumiki_engine::UserError;
use serde_json::json;

use super::{wants_japanese, Call};
use crate::auth::{authenticate, credentials_from};
use crate::error::ApiError;
use crate::params::{parse_query_string, Params};
use crate::state::{blocking, AppState};

pub async fn file_endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ja = wants_japanese(&req);
    let method = super::effective_method(&req);
    let result = if method == Method::POST {
        upload(req, payload, state).await
    } else if method == Method::GET {
        download(req, payload, state).await
    } else {
        Err(ApiError::unknown_api())
    };
    result.unwrap_or_else(|e| e.response(ja))
}

/// Bytes gathered in memory before they are written to the upload's temporary file.
const FLUSH_BYTES: usize = 1024 * 1024;
/// Room for the multipart framing (boundaries, part headers) above the file size limit.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let creds = credentials_from(&req)?;
    let space = match req.match_info().get("space") {
        Some(s) => Some(s.parse::<i64>().map_err(|_| ApiError::no_privilege())?),
        None => None,
    };
    let limit = state.settings.max_file_bytes;
    // Who uploads is settled before the body is touched: an anonymous or wrong caller is answered
    // while the body is still unread (actix closes the connection rather than read it).
    let peer = creds.peer.clone();
    let auth_state = state.get_ref().clone();
    let user = blocking(move || {
        let mut conn = auth_state.conn()?;
        let caller = authenticate(&auth_state, &mut conn, &creds)?;
        // Issue 13, guests: a guest uploads only through the path of one of its guest spaces.
        caller.api_acting(space).admit_guest(&mut conn)?;
        if !caller.principal.may_upload() {
            return Err(UserError::TokenNotPermitted.into());
        }
        Ok(caller.principal.acting_user().to_owned())
    })
    .await?;
    // A declared length past the limit is refused without reading it.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64 + MULTIPART_OVERHEAD) {
        return Err(ApiError::too_large(limit));
    }
    let files = state.files.clone();
    let mut incoming = web::block(move || files.incoming())
        .await
        .map_err(|e| ApiError::internal_because(format!("blocking task failed: {e}")))??;
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut meta: Option<(String, String)> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| {
            ApiError::invalid(
                "file",
                "The upload could not be read as multipart/form-data.",
            )
        })?;
        // One file per call, as in kintone: the first `file` part.
        if field.name() != Some("file") || meta.is_some() {
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename().map(str::to_owned))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::invalid("file", "The file needs a file name."))?;
        let content_type = field
            .content_type()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "application/octet-stream".into());
        let mut size: usize = 0;
        let mut pending = web::BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::invalid("file", "The upload was interrupted."))?;
            size = size.saturating_add(chunk.len());
            if size > limit {
                // The temporary file goes with `incoming`.
                return Err(ApiError::too_large(limit));
            }
            pending.extend_from_slice(&chunk);
            if pending.len() >= FLUSH_BYTES {
                incoming = write_part(incoming, pending.split().freeze()).await?;
            }
        }
        if !pending.is_empty() {
            incoming = write_part(incoming, pending.freeze()).await?;
        }
        meta = Some((name, content_type));
    }
    let (name, content_type) = meta.ok_or_else(|| ApiError::invalid("file", "Required field."))?;
    let state = state.get_ref().clone();
    let key = blocking(move || {
        let mut conn = state.conn()?;
        Ok(state
            .files
            .store(&mut conn, incoming, &name, &content_type, &user, &peer)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"fileKey": key})))
}

/// Appends `bytes` to the upload's temporary file on a blocking thread.
async fn write_part(
    mut incoming: kumiki_engine::records::Incoming,
    bytes: web::Bytes,
) -> Result<kumiki_engine::records::Incoming, ApiError> {
    web::block(move || incoming.write_all(&bytes).map(|()| incoming))
        .await
        .map_err(|e| ApiError::internal_because(format!("blocking task failed: {e}")))?
        .map_err(|e| ApiError::internal_because(format!("cannot write an upload: {e}")))
}

async fn download(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let creds = credentials_from(&req)?;
    let body = super::read_body(payload, 64 * 1024).await?;
    let mut params = parse_query_string(req.query_string());
    if !body.is_empty() {
        if let (Ok(serde_json::Value::Object(extra)), Some(target)) = (
            serde_json::from_slice::<serde_json::Value>(&body),
            params.as_object_mut(),
        ) {
            target.extend(extra);
        }
    }
    let key = Params(&params)
        .opt_str("fileKey")?
        .ok_or_else(|| ApiError::invalid("fileKey", "Required field."))?;
    let space = match req.match_info().get("space") {
        Some(s) => Some(s.parse::<i64>().map_err(|_| ApiError::no_privilege())?),
        None => None,
    };
    let state = state.get_ref().clone();
    let (meta, local, file) = blocking(move || {
        let mut conn = state.conn()?;
        let caller = authenticate(&state, &mut conn, &creds)?;
        // Issue 13, guests: a guest downloads only through the path of one of its guest spaces.
        caller.api_acting(space).admit_guest(&mut conn)?;
        let meta = file_meta(&mut conn, &key)?;
        match meta.app_id {
            Some(app) => {
                let acting = caller.api_acting(space);
                let mut call = Call::new(&state, &mut conn, &caller, &acting);
                // A file of an app, record or field the caller cannot see answers like a missing
                // file.
                let missing = || ApiError::from(UserError::FileNotFound(key.clone()));
                let live = call.live_app(app, AppRight::View).map_err(|_| missing())?;
                if let Some(record_id) = meta.record_id {
                    let record = kumiki_engine::records::get_record(call.conn, &live, record_id)
                        .map_err(|_| missing())?;
                    let in_visible_field = live.definition.properties.iter().any(|(code, p)| {
                        p.field_type == kumiki_engine::fields::FieldType::File
                            && kumiki_engine::records::field_viewable(&live, &record, code)
                            && record
                                .values
                                .get(code)
                                .and_then(|v| v.as_array())
                                .is_some_and(|files| {
                                    files.iter().any(|f| {
                                        f.get("fileKey").and_then(|k| k.as_str())
                                            == Some(key.as_str())
                                    })
                                })
                    }) || file_in_visible_table(&live, &record, &key);
                    if !in_visible_field {
                        return Err(missing());
                    }
                }
            }
            // Issue 13, threads part: a file attached to a thread post is downloaded by whoever may
            // enter the post's space through this path (the uploader too only while they may).
            // Issue 14: a survey's attachments and sheet template follow the survey (owners while
            // a draft; owners and the members of its organisations once sent), an uploaded answer
            // sheet its answer (owners and that organisation's members), through this path.
            None => match kumiki_engine::surveys::access::may_download(
                &mut conn,
                &caller.api_acting(space),
                &key,
            )? {
                Some(true) => {}
                Some(false) => return Err(UserError::FileNotFound(key).into()),
                None => match kumiki_engine::spaces::posts::space_of_post_file(&mut conn, &key)? {
                    Some(post_space) => {
                        let acting = caller.api_acting(space);
                        if acting.enter_space(&mut conn, post_space).is_err() {
                            return Err(UserError::FileNotFound(key).into());
                        }
                    }
                    None if meta.uploaded_by != caller.principal.acting_user() => {
                        return Err(UserError::FileNotFound(key).into());
                    }
                    None => {}
                },
            },
        }
        // A file in the database is copied to a temporary file first: the response then streams
        // from disk like any other, without holding a connection while the client reads.
        let local = state.files.open_local(&mut conn, &meta.storage_path)?;
        let file = std::fs::File::open(local.path()).map_err(|e| {
            tracing::error!(error = %e, "attachment file missing on disk");
            ApiError::internal()
        })?;
        Ok((meta, local, file))
    })
    .await?;
    let mut file = tokio::fs::File::from_std(file);
    let mut head = Vec::with_capacity(HEAD_BYTES);
    {
        use tokio::io::AsyncReadExt;
        let mut limited = (&mut file).take(HEAD_BYTES as u64);
        limited
            .read_to_end(&mut head)
            .await
            .map_err(|e| ApiError::internal_because(format!("cannot read an attachment: {e}")))?;
    }
    let content_type = served_type(&meta.content_type, &head);
    let size = u64::try_from(meta.size).unwrap_or(0);
    let body = futures_util::stream::once(async move { Ok(web::Bytes::from(head)) })
        .chain(file_stream(file))
        // The temporary copy of a database file lives until the response is done (or dropped).
        .map(move |part| {
            let _keep = &local;
            part
        });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(attachment(&meta.name))
        // The bytes are someone's upload: never sniffed into something a browser runs, and if
        // opened anyway, rendered without scripts, forms or same-origin rights.
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "sandbox"))
        .no_chunking(size)
        .streaming(body))
}

/// Bytes read up front to check a file's type.
const HEAD_BYTES: usize = 512;
/// Bytes per chunk of a download.
const DOWNLOAD_CHUNK: usize = 64 * 1024;

/// The rest of `file` in chunks, ending at the first error.
pub(super) fn file_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; DOWNLOAD_CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(web::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// `Content-Disposition: attachment` with an ASCII `filename` for old clients and the real name as
/// RFC 6266 / RFC 5987 `filename*=UTF-8''...`.
pub(super) fn attachment(name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(actix_web::http::header::ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// The type a download is sent as: what the uploader declared, except types a browser would run
/// (HTML, SVG, XML, scripts), images whose first bytes are not that kind of image, and anything
/// unparsable, which go out as `application/octet-stream`.
pub(crate) fn served_type(declared: &str, head: &[u8]) -> String {
    const OPAQUE: &str = "application/octet-stream";
    let Ok(mime) = declared.parse::<actix_web::mime::Mime>() else {
        return OPAQUE.to_owned();
    };
    let essence = mime.essence_str().to_ascii_lowercase();
    let active = matches!(
        essence.as_str(),
        "text/html"
            | "application/xhtml+xml"
            | "image/svg+xml"
            | "text/xml"
            | "application/xml"
            | "text/javascript"
            | "application/javascript"
            | "application/x-javascript"
            | "application/ecmascript"
            | "text/ecmascript"
            | "application/x-shockwave-flash"
            | "text/xsl"
            | "application/pdf+html"
            | "multipart/x-mixed-replace"
    ) || essence.ends_with("+xml");
    if active {
        return OPAQUE.to_owned();
    }
    if let Some(image) = essence.strip_prefix("image/") {
        if !image_magic_matches(image, head) {
            return OPAQUE.to_owned();
        }
    }
    declared.to_owned()
}

/// Whether `head` starts like an image of this subtype (unknown subtypes do not match).
fn image_magic_matches(subtype: &str, head: &[u8]) -> bool {
    match subtype {
        "png" | "apng" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpeg" | "jpg" | "pjpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "webp" => head.len() >= 12 && head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP"),
        "bmp" => head.starts_with(b"BM"),
        "tiff" => head.starts_with(b"II*\0") || head.starts_with(b"MM\0*"),
        "x-icon" | "vnd.microsoft.icon" => head.starts_with(&[0, 0, 1, 0]),
        _ => false,
    }
}

/// Whether `key` is attached to a FILE field inside a subtable the caller may view.
fn file_in_visible_table(
    app: &kumiki_engine::apps::LiveApp,
    record: &kumiki_engine::records::StoredRecord,
    key: &str,
) -> bool {
    app.definition.properties.iter().any(|(code, p)| {
        p.field_type == kumiki_engine::fields::FieldType::Subtable
            && kumiki_engine::records::field_viewable(app, record, code)
            && serde_json::to_string(record.values.get(code).unwrap_or(&serde_json::Value::Null))
                .is_ok_and(|s| {
                    s.contains(&format!(
                        "\"fileKey\":{}",
                        serde_json::Value::String(key.to_owned())
                    ))
                })
    })
}

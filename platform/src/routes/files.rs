//! `file.json`: multipart upload (returns a `fileKey`) and download (the exact stored bytes).
//! A download of a file attached to a record needs the view right on its app; an upload that is not
//! attached yet can be fetched only by whoever uploaded it.

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

async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let creds = credentials_from(&req)?;
    let limit = state.settings.max_file_bytes;
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut file: Option<(String, String, Vec<u8>)> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| {
            ApiError::invalid(
                "file",
                "The upload could not be read as multipart/form-data.",
            )
        })?;
        if field.name() != Some("file") {
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
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::invalid("file", "The upload was interrupted."))?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((name, content_type, bytes));
    }
    let (name, content_type, bytes) =
        file.ok_or_else(|| ApiError::invalid("file", "Required field."))?;
    let state = state.get_ref().clone();
    let key = blocking(move || {
        let mut conn = state.conn()?;
        let caller = authenticate(&state, &mut conn, &creds)?;
        if !caller.principal.may_upload() {
            return Err(UserError::TokenNotPermitted.into());
        }
        let user = caller.principal.acting_user().to_owned();
        Ok(state
            .files
            .upload(&mut conn, &name, &content_type, &bytes, &user)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"fileKey": key})))
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
    let (meta, path) = blocking(move || {
        let mut conn = state.conn()?;
        let caller = authenticate(&state, &mut conn, &creds)?;
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
            None if meta.uploaded_by != caller.principal.acting_user() => {
                return Err(UserError::FileNotFound(key).into());
            }
            None => {}
        }
        let path = state.files.path_of(&meta.storage_path);
        Ok((meta, path))
    })
    .await?;
    let bytes = web::block(move || std::fs::read(path))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "attachment file missing on disk");
            ApiError::internal()
        })?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(
            actix_web::http::header::ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: meta.name.into_bytes(),
            },
        )],
    };
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type)
        .insert_header(disposition)
        .body(bytes))
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

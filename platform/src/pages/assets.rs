//! Static assets (CSS, scripts, icons), embedded in the binary and served with long cache lifetimes
//! keyed by the build, so a closed network needs nothing from elsewhere.

use actix_web::{web, HttpResponse};
use include_dir::{include_dir, Dir};

static STATIC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    if let Some(lang) = path
        .strip_prefix("i18n/")
        .and_then(|f| f.strip_suffix(".js"))
    {
        // The message catalog of a language; its URL carries the catalog's version (`?v=`), so it
        // may be cached for long.
        return match crate::i18n::Lang::parse(lang).filter(|l| l.code() == lang) {
            Some(lang) => HttpResponse::Ok()
                .content_type(content_type("x.js"))
                .insert_header(("Cache-Control", "public, max-age=86400"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(crate::i18n::messages_script(lang)),
            None => HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("not found"),
        };
    }
    if let Some(bytes) = crate::dev_assets::source_file("static", &path) {
        return HttpResponse::Ok()
            .content_type(content_type(&path))
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes);
    }
    match STATIC.get_file(&path) {
        Some(file) => HttpResponse::Ok()
            .content_type(content_type(&path))
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(file.contents()),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found"),
    }
}

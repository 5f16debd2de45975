//! `/f-assets/<file>`: the residents' stylesheet and script, embedded in the binary. Only these
//! files are served here, so the public listener exposes nothing of the staff pages' assets.

use actix_web::{web, HttpResponse};

const CSS: &[u8] = include_bytes!("../../static/pf_form.css");
const JS: &[u8] = include_bytes!("../../static/pf_form.js");

/// A version for the assets' URLs (`?v=`): a hash of their bytes, so a changed file gets a new URL
/// and the old one may be cached.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        CSS.hash(&mut h);
        JS.hash(&mut h);
        format!("{:016x}", h.finish())
    })
}

pub async fn asset(file: web::Path<String>) -> HttpResponse {
    let (bytes, content_type) = match file.as_str() {
        "pf_form.css" => (CSS, "text/css; charset=utf-8"),
        "pf_form.js" => (JS, "text/javascript; charset=utf-8"),
        _ => {
            return HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body("not found")
        }
    };
    if let Some(dev) = crate::dev_assets::source_file("static", file.as_str()) {
        return HttpResponse::Ok()
            .content_type(content_type)
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(dev);
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes)
}

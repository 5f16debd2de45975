//! First steps (`GET /guide`): a guide for workshops that walks a new user through building a first
//! app — 備品貸出管理 with fields, a workflow with an approver and a view — in about ten minutes.
//! Linked from the portal and from the `?` of every settings page's tabs.
//!
//! The text is in the `guide.*` catalogs; the screenshots are made by the browser test
//! `tests/browser/test/guide.test.mjs` (`KUMIKI_WRITE_GUIDE_SHOTS=1` writes them to `docs/guide/`
//! and `platform/static/guide/`), so they follow the pages as they change.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::session::{page_for, require_user};
use super::Page;
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// The steps of the guide: catalog key stem, number of paragraphs, screenshot (in
/// `static/guide/`). The order is the order of the work.
const STEPS: [(&str, usize, Option<&str>); 7] = [
    ("create", 2, Some("01-create.png")),
    ("form", 3, Some("02-form.png")),
    ("general", 2, Some("03-general.png")),
    ("process", 3, Some("04-process.png")),
    ("views", 2, Some("05-views.png")),
    ("publish", 2, None),
    ("record", 2, Some("06-record.png")),
];

#[derive(Serialize)]
struct Step {
    number: usize,
    id: &'static str,
    title: String,
    paragraphs: Vec<String>,
    image: Option<&'static str>,
    alt: String,
}

#[derive(Serialize)]
struct GuideData {
    steps: Vec<Step>,
}

fn steps(lang: Lang) -> Vec<Step> {
    STEPS
        .iter()
        .enumerate()
        .map(|(i, (id, count, image))| Step {
            number: i + 1,
            id,
            title: i18n::t(lang, &format!("guide.{id}.title")),
            paragraphs: (1..=*count)
                .map(|n| i18n::t(lang, &format!("guide.{id}.p{n}")))
                .collect(),
            image: *image,
            alt: i18n::t(lang, &format!("guide.{id}.alt")),
        })
        .collect()
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match require_user(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let lang = Lang::parse(&user.locale).unwrap_or(Lang::Ja);
    let data = GuideData { steps: steps(lang) };
    page_for(
        &state,
        &user,
        Page {
            template: "guide",
            title: i18n::t(lang, "guide.title"),
            data: &data,
            page_data: Value::Null,
            scripts: vec![],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_its_text_and_image() {
        for lang in [Lang::Ja, Lang::En] {
            for step in steps(lang) {
                for text in step.paragraphs.iter().chain([&step.title, &step.alt]) {
                    assert!(!text.starts_with("guide."), "missing message: {text}");
                }
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/guide");
        for (_, _, image) in STEPS {
            if let Some(image) = image {
                assert!(dir.join(image).is_file(), "static/guide/{image}");
            }
        }
    }
}

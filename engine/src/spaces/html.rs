//! The one sanitiser for HTML written by people (space bodies, thread bodies, posts): an allowlist
//! of formatting tags and attributes (ammonia), so scripts, event handlers, styles that hide
//! content, and `javascript:`/`data:` URLs never reach a page. Links open in a new tab without an
//! opener. Applied when the HTML is stored, so every reader (API, pages, exports) gets the same
//! clean text.

use std::collections::HashSet;

/// Sanitised HTML for `input`.
pub fn sanitize(input: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "img",
    ]
    .into_iter()
    .collect();
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    ammonia::Builder::default()
        .tags(tags)
        .url_schemes(schemes)
        .link_rel(Some("noopener noreferrer"))
        .clean(input)
        .to_string()
}

/// A print template's output (issue 16, printing): the markup an app manager writes for a form such
/// as 文書収受簿 — the rich-text tags plus the rest of a table's structure and `class` on every tag
/// (the print styles are classes: inline `style` is refused by the pages' CSP anyway) — without
/// scripts, event handlers, forms, frames or links to anything but http(s). The template is escaped
/// by Handlebars for the record's values; this guards against what the template's author wrote.
pub fn sanitize_print(input: &str) -> String {
    let tags: HashSet<&str> = [
        "b", "br", "caption", "col", "colgroup", "dd", "div", "dl", "dt", "em", "footer", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "li", "ol", "p", "s", "section",
        "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "u", "ul",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .add_generic_attributes(["class"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
        .url_schemes(["http", "https"].into_iter().collect())
        .clean(input)
        .to_string()
}

/// The text of sanitised HTML without tags (notification bodies, e-mails, search), whitespace
/// collapsed.
pub fn plain_text(html: &str) -> String {
    let stripped = ammonia::Builder::empty().clean(html).to_string();
    let unescaped = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    unescaped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let dirty = r#"<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(1)">l</a><img src=x onerror=alert(1)></p>"#;
        let clean = sanitize(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(clean.contains("<p>hi"), "{clean}");
    }

    #[test]
    fn print_templates_keep_tables_and_classes_but_not_scripts() {
        let clean = sanitize_print(
            r#"<table class="pt-ledger"><tr><th colspan="2">件名</th></tr></table><script>x()</script><img src=x onerror=y()><form action="/k/v1/record.json"><button>送信</button></form>"#,
        );
        assert!(clean.contains(r#"<table class="pt-ledger">"#), "{clean}");
        assert!(clean.contains(r#"colspan="2""#), "{clean}");
        for gone in ["script", "onerror", "<img", "<form", "<button"] {
            assert!(!clean.contains(gone), "{gone}: {clean}");
        }
    }

    #[test]
    fn formatting_and_http_links_stay() {
        let clean = sanitize(r#"<b>太字</b><a href="https://example.jp/a">リンク</a>"#);
        assert!(clean.contains("<b>太字</b>"), "{clean}");
        assert!(clean.contains(r#"href="https://example.jp/a""#), "{clean}");
        assert!(clean.contains("noopener"), "{clean}");
    }

    #[test]
    fn plain_text_drops_tags() {
        assert_eq!(plain_text("<p>a &amp; <b>b</b></p>\n<p>c</p>"), "a & b c");
    }
}

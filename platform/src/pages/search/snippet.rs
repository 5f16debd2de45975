//! Snippets as HTML the page can insert: the search service sends escaped text with `<mark>` around
//! matches; this module does not trust that. It decodes the entities of the text between marks and
//! escapes it again, keeping `<mark>`/`</mark>` (balanced) as the only markup, so record text can
//! never become HTML whatever the service produced.

/// The snippet as HTML in which only balanced `<mark>` elements are markup.
pub fn safe_snippet(html: &str) -> String {
    const OPEN: &str = "<mark>";
    const CLOSE: &str = "</mark>";
    let mut out = String::with_capacity(html.len() + 16);
    let mut open = false;
    let mut rest = html;
    loop {
        let next_open = rest.find(OPEN);
        let next_close = rest.find(CLOSE);
        let (pos, is_open) = match (next_open, next_close) {
            (None, None) => break,
            (Some(o), Some(c)) if c < o => (c, false),
            (Some(o), _) => (o, true),
            (None, Some(c)) => (c, false),
        };
        out.push_str(&escape_text(&rest[..pos]));
        if is_open && !open {
            out.push_str(OPEN);
            open = true;
        } else if !is_open && open {
            out.push_str(CLOSE);
            open = false;
        }
        rest = &rest[pos + if is_open { OPEN.len() } else { CLOSE.len() }..];
    }
    out.push_str(&escape_text(rest));
    if open {
        out.push_str(CLOSE);
    }
    out
}

/// Text between marks: entities decoded once, then everything escaped.
fn escape_text(s: &str) -> String {
    handlebars::html_escape(&decode_entities(s))
}

/// Decodes the entities an HTML escaper produces (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`,
/// numeric ones); anything else stays literal text (and is escaped afterwards).
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|end| *end <= 10)
            .and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_snippet;

    #[test]
    fn only_marks_stay_markup() {
        assert_eq!(
            safe_snippet("a &lt;b&gt; <mark>市町村</mark> &amp; c"),
            "a &lt;b&gt; <mark>市町村</mark> &amp; c"
        );
        let out = safe_snippet("<script>alert(1)</script><mark>x</mark><img src=x onerror=y>");
        assert!(!out.contains("<script") && !out.contains("<img"), "{out}");
        assert!(out.contains("<mark>x</mark>"), "{out}");
        // An entity that decodes to a tag is text again.
        assert_eq!(safe_snippet("&#60;b&#x3E;"), "&lt;b&gt;");
        assert_eq!(safe_snippet("&amp;lt;"), "&amp;lt;");
        // Unbalanced marks are balanced or dropped.
        assert_eq!(safe_snippet("</mark>a<mark>b"), "a<mark>b</mark>");
        assert_eq!(safe_snippet("<mark><mark>a</mark>"), "<mark>a</mark>");
        assert_eq!(
            safe_snippet("AT&T &unknown; &"),
            "AT&amp;T &amp;unknown; &amp;"
        );
    }
}

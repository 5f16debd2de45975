//! The residents' page languages: Japanese and English from the page catalogs
//! (`platform/i18n/public_forms_page.*.json`, and the engine's validation messages in
//! `public_forms.*.json`), and easy Japanese (やさしい日本語) from the table here — short sentences,
//! words spaced apart, hard kanji avoided. An easy text that is missing falls back to Japanese.

use kumiki_engine::Message;

use crate::i18n::{self, Lang};

/// The language a resident reads the page in (`?lang=` / the posted `lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLang {
    Ja,
    En,
    Easy,
}

impl PageLang {
    pub fn parse(s: &str) -> Option<PageLang> {
        match s {
            "ja" => Some(PageLang::Ja),
            "en" => Some(PageLang::En),
            "easy" => Some(PageLang::Easy),
            _ => None,
        }
    }

    /// The code in URLs and form settings (`ja`, `en`, `easy`).
    pub fn code(self) -> &'static str {
        match self {
            PageLang::Ja => "ja",
            PageLang::En => "en",
            PageLang::Easy => "easy",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(self) -> &'static str {
        match self {
            PageLang::En => "en",
            PageLang::Ja | PageLang::Easy => "ja",
        }
    }

    /// The catalog the page's texts come from.
    pub fn catalog(self) -> Lang {
        match self {
            PageLang::En => Lang::En,
            PageLang::Ja | PageLang::Easy => Lang::Ja,
        }
    }
}

/// The page text `key` in `lang`.
pub fn text(lang: PageLang, key: &str) -> String {
    if lang == PageLang::Easy {
        if let Some(t) = easy(key) {
            return t.to_owned();
        }
    }
    i18n::t(lang.catalog(), key)
}

/// The page text `key` with `{name}` placeholders filled.
pub fn format(lang: PageLang, key: &str, args: &[(&str, &str)]) -> String {
    let mut t = text(lang, key);
    for (name, value) in args {
        t = t.replace(&format!("{{{name}}}"), value);
    }
    t
}

/// An engine message (validation problems) in `lang`.
pub fn message(lang: PageLang, m: &Message) -> String {
    match m.key() {
        Some(key) => {
            let args: Vec<(&str, &str)> = m.args().iter().map(|(n, v)| (*n, v.as_str())).collect();
            format(lang, key, &args)
        }
        None => m.text().to_owned(),
    }
}

/// A size for people: `5 MB`, `300 KB`.
pub fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = bytes * 10 / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024).max(1))
    }
}

/// A content type for people: `image/jpeg` → `JPEG`.
pub fn type_name(content_type: &str) -> String {
    match content_type {
        "image/jpeg" => "JPEG".into(),
        "image/png" => "PNG".into(),
        "image/gif" => "GIF".into(),
        "image/webp" => "WebP".into(),
        "image/heic" => "HEIC".into(),
        "application/pdf" => "PDF".into(),
        "text/plain" => "テキスト (.txt)".into(),
        "text/csv" => "CSV".into(),
        other => other
            .rsplit('/')
            .next()
            .unwrap_or(other)
            .to_ascii_uppercase(),
    }
}

/// やさしい日本語: the residents' page texts and the validation messages.
fn easy(key: &str) -> Option<&'static str> {
    Some(match key {
        "pf.required" => "かならず かいて ください",
        "pf.optional" => "かかなくても いいです",
        "pf.steps" => "すすみかた",
        "pf.step.input" => "かく",
        "pf.step.confirm" => "たしかめる",
        "pf.step.done" => "おわり",
        "pf.step.current" => "（いま ここ）",
        "pf.confirm_button" => "かいた ことを たしかめる",
        "pf.submit_button" => "おくる",
        "pf.back_button" => "もどって なおす",
        "pf.confirm_title" => "かいた ことを たしかめて ください",
        "pf.confirm_lead" => "これで いいですか。いい ときは「おくる」を おして ください。",
        "pf.done_title" => "おくりました",
        "pf.done_default" => "ありがとう ございました。",
        "pf.receipt" => "うけつけ ばんごう",
        "pf.receipt_note" => "この ばんごうを メモして ください。きく ときに つかいます。",
        "pf.errors_title" => "なおす ところが {count}こ あります。",
        "pf.errors_lead" => "したの ところを なおして、もう いちど「かいた ことを たしかめる」を おして ください。",
        "pf.language" => "ことば",
        "pf.file_attached" => "つけた ファイル：{name}（{size}）",
        "pf.file_hint" => "おくれる ファイル：{types}（{size} まで）",
        "pf.file_replace" => "ちがう ファイルを えらぶと、かわります。",
        "pf.copy_label" => "かいた メールアドレスに おなじ ないようを おくる",
        "pf.copy_to" => "{address} に おくります",
        "pf.honeypot_label" => "ここには なにも かかないで ください",
        "pf.pow_working" => "おくる じゅんびを しています。すこし まって ください。",
        "pf.pow_needed" => "この フォームを おくるには JavaScript が ひつようです。",
        "pf.recipient" => "だれの ための フォーム：{name}",
        "pf.not_answered" => "（かいて いません）",
        "pf.saved_locally" => "かいた ことは この でんわ（パソコン）に のこります。おくると きえます。",
        "pf.restored" => "まえに かいた ことを もどしました。",
        "pf.choose" => "えらんで ください",
        "pf.chars_left" => "あと {count} もじ",
        "pf.err.file_type" => "この ファイルは おくれません（おくれる ファイル：{types}）。",
        "pf.err.file_size" => "ファイルが おおきすぎます（{size} まで）。",
        "pf.err.file_refused" => "この ファイルは うけつけ できません。",
        "pf.err.pow" => "おくれません でした。ページを もう いちど ひらいて ください。",
        "pf.err.server" => "いま おくれません。かいた ことは のこって います。すこし まってから もう いちど おくって ください。",
        "pf.error.back" => "フォームに もどる",
        "pf.error.not_found.title" => "フォームが ありません",
        "pf.error.not_found.body" => "URL（アドレス）を たしかめて ください。",
        "pf.error.closed.title" => "この フォームは もう おわりました",
        "pf.error.closed.body" => "うけつけの じかんでは ありません。または、もう いっぱいです。",
        "pf.error.used.title" => "この リンクは もう つかいました",
        "pf.error.used.body" => "この リンクからの こたえは もう うけとりました。",
        "pf.error.forbidden.title" => "おくれません でした",
        "pf.error.forbidden.body" => "ページを もう いちど ひらいて、もう いちど おくって ください。",
        "pf.error.bad_request.title" => "おくった ないようが ただしく ありません",
        "pf.error.bad_request.body" => "ページを もう いちど ひらいて、はじめから かいて ください。",
        "pf.error.too_large.title" => "おおきすぎます",
        "pf.error.too_large.body" => "ファイルを ちいさく して、もう いちど おくって ください。",
        "pf.error.rate.title" => "いま とても こんで います",
        "pf.error.rate.body" => "すこし まってから、もう いちど おくって ください。",
        "pf.error.internal.title" => "いま つかえません",
        "pf.error.internal.body" => "すこし まってから、もう いちど ためして ください。",
        "pf.js.required" => "かいて ください。",
        "pf.js.file_size" => "ファイルが おおきすぎます（{size} まで）。",
        "pf.js.file_type" => "この ファイルは おくれません。",
        "public_forms.err.required" => "かならず かいて ください。",
        "public_forms.err.too_long" => "ながすぎます。{max} もじ までです。",
        "public_forms.err.too_short" => "みじかすぎます。{min} もじ いじょう かいて ください。",
        "public_forms.err.not_number" => "すうじ（0〜9）で かいて ください。",
        "public_forms.err.too_small" => "かずが ちいさすぎます。{min} いじょうです。",
        "public_forms.err.too_large" => "かずが おおきすぎます。{max} いかです。",
        "public_forms.err.not_option" => "この なかから えらんで ください。",
        "public_forms.err.bad_date" => "ひづけが ただしく ありません。",
        "public_forms.err.bad_time" => "じかんが ただしく ありません。",
        "public_forms.err.bad_email" => "メールアドレスが ただしく ありません。",
        "public_forms.err.bad_url" => "URL（アドレス）が ただしく ありません。",
        "public_forms.err.bad_tel" => "でんわ ばんごうが ただしく ありません。",
        "public_forms.err.too_many_files" => "ファイルが おおすぎます。{max}こ までです。",
        "public_forms.err.bad_file" => "ファイルが ただしく ありません。もう いちど えらんで ください。",
        "public_forms.err.bad_datetime" => "ひづけと じかんが ただしく ありません。",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easy_japanese_falls_back_to_japanese() {
        assert_eq!(text(PageLang::Easy, "pf.submit_button"), "おくる");
        assert_eq!(text(PageLang::Ja, "pf.submit_button"), "送信する");
        assert_eq!(text(PageLang::Easy, "pf.lang.ja"), "日本語");
        assert_eq!(
            format(PageLang::Easy, "pf.errors_title", &[("count", "2")]),
            "なおす ところが 2こ あります。"
        );
    }

    #[test]
    fn sizes_and_types() {
        assert_eq!(size(5 * 1024 * 1024), "5 MB");
        assert_eq!(size(1536 * 1024), "1.5 MB");
        assert_eq!(size(1000), "1 KB");
        assert_eq!(type_name("application/pdf"), "PDF");
    }
}

//! The message catalog: every user-facing text of the pages, in Japanese (the default) and English.
//! Catalogs are flat JSON maps embedded in the binary, one pair per area (`platform/i18n/<area>.ja.json`
//! and `<area>.en.json`), merged at start; a test checks that both languages have the same keys.
//! `{name}` placeholders are filled by `format`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A supported UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("ja") => Some(Lang::Ja),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

type Messages = HashMap<String, String>;

static CATALOG_FILES: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/i18n");

fn catalogs() -> &'static (Messages, Messages) {
    static CATALOGS: OnceLock<(Messages, Messages)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        let mut ja = Messages::new();
        let mut en = Messages::new();
        let files: Vec<(String, Vec<u8>)> =
            crate::dev_assets::source_files("i18n").unwrap_or_else(|| {
                CATALOG_FILES
                    .files()
                    .map(|f| {
                        (
                            f.path().to_string_lossy().into_owned(),
                            f.contents().to_vec(),
                        )
                    })
                    .collect()
            });
        for (name, contents) in files {
            let target = if name.ends_with(".ja.json") {
                &mut ja
            } else if name.ends_with(".en.json") {
                &mut en
            } else {
                continue;
            };
            match serde_json::from_slice::<Messages>(&contents) {
                Ok(map) => target.extend(map),
                Err(e) => {
                    tracing::error!(file = %name, error = %e, "message catalog is not valid JSON")
                }
            }
        }
        (ja, en)
    })
}

/// All messages of a language (sent to page scripts as JSON).
pub fn messages(lang: Lang) -> &'static Messages {
    let (ja, en) = catalogs();
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The catalog of `lang` as a script that sets `window.KUMIKI_MESSAGES`, served as a cached asset
/// (`/static/i18n/{lang}.js?v={version}`) instead of inline in every page, and its version: a hash of
/// both catalogs, so a changed catalog gets a new URL.
pub fn messages_script(lang: Lang) -> &'static str {
    static SCRIPTS: OnceLock<(String, String)> = OnceLock::new();
    let (ja, en) = SCRIPTS.get_or_init(|| {
        let script = |m: &Messages| {
            let sorted: std::collections::BTreeMap<&String, &String> = m.iter().collect();
            let json = serde_json::to_string(&sorted).unwrap_or_else(|_| "{}".into());
            format!("window.KUMIKI_MESSAGES = {json};\n")
        };
        (script(messages(Lang::Ja)), script(messages(Lang::En)))
    });
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The version of the catalogs, for cache-busting their script URL.
pub fn messages_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        // Deterministic across processes (several nodes serve the same URL): a fixed-key hasher.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        messages_script(Lang::Ja).hash(&mut h);
        messages_script(Lang::En).hash(&mut h);
        format!("{:016x}", h.finish())
    })
}

/// The message for `key`; the key itself when missing (visible in review, never a crash).
pub fn t(lang: Lang, key: &str) -> String {
    messages(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// The message for `key` with `{name}` placeholders replaced.
pub fn format(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys_and_parse() {
        let (ja, en) = catalogs();
        assert!(ja.len() > 20, "the Japanese catalog parsed");
        let mut missing: Vec<&String> = ja.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !ja.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one catalog only: {missing:?}");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(Lang::parse("ja-JP"), Some(Lang::Ja));
        assert!(format(Lang::En, "login.locked", &[("minutes", "3")]).contains('3'));
    }
}

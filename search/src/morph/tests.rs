#![allow(clippy::unwrap_used, clippy::expect_used)]

//! These tests need Debian's mecab-ipadic. Without it they skip locally, but under CI=true a missing
//! seed fails: CI installs the package, so a skip there would hide a broken setup.

use std::path::Path;
use std::sync::OnceLock;

use tantivy::tokenizer::TokenStream;

use super::*;

/// The dictionary, compiled once per test process into a temp dir that lives as long as it.
fn morph() -> Option<&'static Morph> {
    static MORPH: OnceLock<Option<(tempfile::TempDir, Morph)>> = OnceLock::new();
    MORPH
        .get_or_init(|| {
            let seed = Path::new(DEBIAN_SEED);
            if !seed_exists(seed) {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but {DEBIAN_SEED} is missing: install mecab-ipadic"
                );
                eprintln!("skipped: {DEBIAN_SEED} missing (apt-get install mecab-ipadic)");
                return None;
            }
            let tmp = tempfile::tempdir().expect("temp dir");
            let dir = tmp.path().join("ipadic");
            build_dictionary(seed, &dir).expect("dictionary builds");
            assert!(dictionary_exists(&dir));
            let morph = Morph::load(&dir).expect("dictionary loads");
            Some((tmp, morph))
        })
        .as_ref()
        .map(|(_, m)| m)
}

fn tokens(morph: &Morph, text: &str) -> Vec<(String, usize, usize, usize)> {
    let mut analyzer = morph.analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
    }
    out
}

#[test]
fn words_not_substrings() {
    let Some(morph) = morph() else { return };
    let kyoto: Vec<String> = tokens(morph, "京都府の観光")
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert!(kyoto.contains(&"京都".to_owned()), "{kyoto:?}");
    let tokyo: Vec<String> = tokens(morph, "東京都庁の案内")
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert!(!tokyo.contains(&"京都".to_owned()), "{tokyo:?}");
    assert!(tokyo.contains(&"東京".to_owned()), "{tokyo:?}");
}

#[test]
fn offsets_point_into_the_original_text() {
    let Some(morph) = morph() else { return };
    // Full-width Latin and half-width kana fold before segmentation; offsets stay original.
    let text = "ｋｉｎｔｏｎｅで、ﾃﾞｰﾀを管理する。";
    let toks = tokens(morph, text);
    assert!(!toks.is_empty());
    for (word, from, to, _) in &toks {
        let original = &text[*from..*to];
        assert_eq!(&crate::tokenizer::fold(original), word, "{toks:?}");
    }
    let words: Vec<&str> = toks.iter().map(|t| t.0.as_str()).collect();
    assert!(words.contains(&"kintone"), "{words:?}");
    assert!(words.contains(&"データ"), "{words:?}");
    // Punctuation (、。) is not a word; positions count words only.
    assert!(!words.iter().any(|w| *w == "、" || *w == "。"));
    let positions: Vec<usize> = toks.iter().map(|t| t.3).collect();
    assert_eq!(positions, (0..toks.len()).collect::<Vec<_>>());
}

#[test]
fn settings_parse() {
    assert_eq!(DictionarySetting::parse("off"), DictionarySetting::Off);
    assert_eq!(DictionarySetting::parse("auto"), DictionarySetting::Auto);
    assert_eq!(
        DictionarySetting::parse("/x/ipadic"),
        DictionarySetting::Dir("/x/ipadic".into())
    );
}

#[test]
fn a_missing_seed_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let err = build_dictionary(tmp.path(), &tmp.path().join("out")).unwrap_err();
    assert!(err.to_string().contains("mecab-ipadic"), "{err}");
    assert!(resolve(&DictionarySetting::Off, tmp.path(), true)
        .expect("off")
        .is_none());
}

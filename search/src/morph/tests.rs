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

/// Numbers for docs/search.md: dictionary build time, indexing rate and index size with and
/// without the word field on the same synthetic sample. Run it by hand:
/// `cargo test --release -p kumiki-search morph::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure() {
    use crate::index::{commit_at, SearchIndex};
    use tantivy::TantivyDocument;

    let seed = Path::new(DEBIAN_SEED);
    assert!(seed_exists(seed), "install mecab-ipadic");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dict = tmp.path().join("ipadic");
    let started = std::time::Instant::now();
    build_dictionary(seed, &dict).expect("builds");
    let build = started.elapsed();
    let dict_bytes: u64 = std::fs::read_dir(&dict)
        .expect("dir")
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let started = std::time::Instant::now();
    let morph = Morph::load(&dict).expect("loads");
    let load = started.elapsed();
    println!(
        "dictionary: build {:.2} s, {:.1} MB, load {:.1} ms",
        build.as_secs_f64(),
        dict_bytes as f64 / 1e6,
        load.as_secs_f64() * 1e3
    );
    let words = [
        "京都府",
        "東京都庁",
        "市町村",
        "補助金",
        "申請",
        "住民基本台帳",
        "観光",
        "案内",
        "道路",
        "補修",
        "工事",
        "予算",
        "会議",
        "議事録",
        "令和5年度",
        "業務改善",
        "の",
        "を",
        "と",
        "に",
        "について",
        "ワークショップ",
        "マイナンバー",
        "子育て支援",
        "防災",
        "訓練",
        "kintone",
    ];
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let texts: Vec<String> = (0..20_000)
        .map(|_| {
            let n = 8 + next() % 16;
            (0..n).map(|_| words[next() % words.len()]).collect()
        })
        .collect();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    println!(
        "sample: {} texts, {} chars on average",
        texts.len(),
        chars / texts.len()
    );
    for with in [None, Some(morph)] {
        let label = if with.is_some() {
            "bigram + words"
        } else {
            "bigram only"
        };
        let dir = tmp.path().join(label.replace(' ', "_"));
        let index = SearchIndex::open_with(&dir, with).expect("opens");
        let mut writer = index.writer().expect("writer");
        let started = std::time::Instant::now();
        for text in &texts {
            let mut doc = TantivyDocument::default();
            doc.add_text(index.fields.text, text);
            if let Some(words) = index.fields.text_morph {
                doc.add_text(words, text);
            }
            writer.add_document(doc).expect("adds");
        }
        commit_at(&index, &mut writer, 1).expect("commits");
        let secs = started.elapsed().as_secs_f64();
        writer.wait_merging_threads().expect("merges");
        println!(
            "{label}: {:.0} docs/s, index {:.1} MB",
            texts.len() as f64 / secs,
            index.size_bytes() as f64 / 1e6
        );
    }
}

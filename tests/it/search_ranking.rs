//! Whole-word ranking with the IPADIC dictionary: recall stays the bigram recall (京都 finds 東京都庁
//! too) and the record where 京都 is a word ranks first. The dictionary is compiled ONCE per test
//! process into a shared temp dir; other tests run without it. Needs Debian's mecab-ipadic: skipped
//! locally without it, a failure under CI=true.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use kumiki_search::morph::{self, DictionarySetting};
use kumiki_tests::TestApp;
use serde_json::{json, Value};

/// The compiled dictionary shared by this process's ranking tests; `None` = seed missing (local).
fn dictionary() -> Option<&'static Path> {
    static DICT: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    DICT.get_or_init(|| {
        let seed = Path::new(morph::DEBIAN_SEED);
        if !morph::seed_exists(seed) {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but {} is missing: install mecab-ipadic",
                morph::DEBIAN_SEED
            );
            eprintln!("skipped: no mecab-ipadic seed");
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ipadic");
        morph::build_dictionary(seed, &dir).unwrap();
        Some((tmp, dir))
    })
    .as_ref()
    .map(|(_, dir)| dir.as_path())
}

/// Record ids of the hits of `q`, in ranked order.
fn ranked(app: &TestApp, q: &str) -> Vec<i64> {
    let enc: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
    let (s, b): (u16, Value) = app.get(&format!("/api/search.json?q={enc}"));
    assert_eq!(s, 200, "{b}");
    b["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["record"].as_i64().unwrap())
        .collect()
}

/// Two records; the whole-word one is longer and older, so on bigrams alone 東京都庁 ranks first
/// (shorter field, higher BM25; newest first among equals) and only the word field can turn it.
fn kyoto_records(app: &TestApp) -> (i64, i64) {
    let a = app.create_app(
        "観光",
        json!({"表題": {"type": "SINGLE_LINE_TEXT", "code": "表題", "label": "表題"}}),
    );
    let kyoto = app.add_record(
        a,
        json!({"表題": {"value": "京都府の観光と季節の行事のご案内"}}),
    );
    std::thread::sleep(Duration::from_millis(1100));
    let tokyo = app.add_record(a, json!({"表題": {"value": "東京都庁の案内"}}));
    app.wait_indexed(Duration::from_secs(10));
    (kyoto, tokyo)
}

#[test]
fn whole_word_matches_rank_first_with_the_dictionary() {
    let Some(dir) = dictionary() else { return };
    let app = TestApp::spawn_with(|s| s.search_dictionary = DictionarySetting::Dir(dir.into()));
    let (kyoto, tokyo) = kyoto_records(&app);
    // Recall is the bigram recall: both hit; the whole word ranks first.
    assert_eq!(ranked(&app, "京都"), vec![kyoto, tokyo]);
    // A substring that is no dictionary word still finds its record.
    assert_eq!(ranked(&app, "都庁"), vec![tokyo]);
    assert_eq!(ranked(&app, "京都府"), vec![kyoto]);
    // Rebuilding with the word field (index status) keeps working.
    let (s, b) = app.get("/api/search/status.json");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["documents"], 2, "{b}");
}

#[test]
fn without_the_dictionary_recall_is_the_same() {
    let app = TestApp::spawn();
    let (kyoto, tokyo) = kyoto_records(&app);
    // Same recall; the substring match ranks first, which is what the word field fixes.
    assert_eq!(ranked(&app, "京都"), vec![tokyo, kyoto]);
}

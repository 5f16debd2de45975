use super::*;
use tantivy::collector::Count;
use tantivy::query::QueryParser;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{doc, Index};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// (text, position, offset_from, offset_to) of every token.
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((
            token.text.clone(),
            token.position,
            token.offset_from,
            token.offset_to,
        ));
    }
    out
}

fn texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text)
        .into_iter()
        .map(|(t, ..)| t)
        .collect()
}

/// Indexes `docs` in RAM and returns how many match `query` (parsed with the query analyzer).
fn hits(docs: &[&str], query: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(JA)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let body = builder.add_text_field(
        "body",
        TextOptions::default().set_indexing_options(indexing),
    );
    let index = Index::create_in_ram(builder.build());
    register(&index);
    let mut writer = index.writer(15_000_000)?;
    for text in docs {
        writer.add_document(doc!(body => *text))?;
    }
    writer.commit()?;
    let searcher = index.reader()?.searcher();
    let mut parser = QueryParser::new(index.schema(), vec![body], query_tokenizer_manager());
    parser.set_conjunction_by_default();
    let parsed = parser.parse_query(query)?;
    Ok(searcher.search(&*parsed, &Count)?)
}

#[test]
fn bigrams_with_unigrams_at_the_same_position() {
    let got = tokens(&mut index_analyzer(), "市町村課");
    let want = [
        ("市町", 0, 0, 6),
        ("市", 0, 0, 3),
        ("町村", 1, 3, 9),
        ("町", 1, 3, 6),
        ("村課", 2, 6, 12),
        ("村", 2, 6, 9),
        ("課", 2, 9, 12),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, p, f, e)| (t.to_string(), *p, *f, *e))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        texts(&mut query_analyzer(), "市町村課"),
        ["市町", "町村", "村課"]
    );
    assert_eq!(texts(&mut query_analyzer(), "県"), ["県"]);
}

#[test]
fn words_and_runs_take_consecutive_positions() {
    let got = tokens(&mut query_analyzer(), "令和5年度 kintoneで管理");
    let positions: Vec<_> = got.iter().map(|(t, p, ..)| (t.as_str(), *p)).collect();
    assert_eq!(
        positions,
        [
            ("令和", 0),
            ("5", 1),
            ("年度", 2),
            ("kintone", 3),
            ("で管", 4),
            ("管理", 5)
        ]
    );
}

#[test]
fn offsets_point_into_the_original_text() {
    let text = "お知らせ：ﾃﾞｰﾀ連携、ＫＩＮＴＯＮＥ ２０２５年";
    for (token, _, from, to) in tokens(&mut index_analyzer(), text) {
        assert!(
            text.is_char_boundary(from) && text.is_char_boundary(to),
            "{token}"
        );
        let original = &text[from..to];
        assert_eq!(fold(original).replace(' ', ""), token, "{original}");
    }
}

#[test]
fn half_width_katakana_and_full_width_ascii_fold() -> TestResult {
    assert_eq!(fold("ﾃﾞｰﾀ ﾊﾟｿｺﾝ"), "データ パソコン");
    assert_eq!(fold("ＫＩＮＴＯＮＥ ２０２５"), "kintone 2025");
    assert_eq!(fold("か\u{3099}か゛"), "がが");
    assert_eq!(
        texts(&mut query_analyzer(), "ﾃﾞｰﾀ"),
        texts(&mut query_analyzer(), "データ")
    );
    assert_eq!(hits(&["基幹系ﾃﾞｰﾀの移行"], "データ")?, 1);
    assert_eq!(hits(&["基幹系データの移行"], "ﾃﾞｰﾀ")?, 1);
    assert_eq!(hits(&["ＫＩＮＴＯＮＥで管理"], "kintone")?, 1);
    assert_eq!(hits(&["Kintone で管理"], "ＫＩＮＴＯＮＥ")?, 1);
    assert_eq!(hits(&["令和７年度　第２回"], "7年度")?, 1);
    assert_eq!(hits(&["令和7年度"], "令和７年度")?, 1);
    Ok(())
}

#[test]
fn phrase_matches_substrings_only() -> TestResult {
    assert_eq!(hits(&["市町村課からのお知らせ"], "市町村")?, 1);
    assert_eq!(hits(&["市町合併と町村議会"], "市町村")?, 0);
    assert_eq!(hits(&["長野県の統計"], "県")?, 1);
    assert_eq!(hits(&["長野市の統計"], "県")?, 0);
    assert_eq!(hits(&["県"], "県")?, 1);
    assert_eq!(hits(&["業務改善ワークショップ"], "ワーク")?, 1);
    assert_eq!(hits(&["業務改善ワークショップ"], "改善 ショップ")?, 1);
    assert_eq!(hits(&["業務改善ワークショップ"], "改善 ショッピング")?, 0);
    Ok(())
}

#[test]
fn whitespace_between_cjk_does_not_break_a_phrase() -> TestResult {
    assert_eq!(hits(&["住民基本台帳の\n閲覧について"], "台帳の閲覧")?, 1);
    assert_eq!(hits(&["令和 5 年度 市町 村課"], "市町村課")?, 1);
    assert_eq!(hits(&["住民基本台帳の\r\n閲覧"], "\"台帳の閲覧\"")?, 1);
    // punctuation does break it
    assert_eq!(hits(&["市町、村"], "市町村")?, 0);
    Ok(())
}

#[test]
fn expansions_and_compatibility_chars() {
    assert_eq!(fold("㍿①㈱ﬁ"), "株式会社1(株)fi");
    let got = tokens(&mut query_analyzer(), "㍿");
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(_, _, from, to)| (*from, *to) == (0, 3)));
}

#[test]
fn tricky_text_never_panics_and_offsets_are_char_boundaries() {
    let tricky = [
        "",
        " ",
        "\u{3099}",
        "ﾞﾞﾞ",
        "e\u{301}\u{301}\u{301}",
        "İstanbul ǅ ﬃ",
        "👨‍👩‍👧‍👦家族🇯🇵日本",
        "𠮷野家の𩸽",
        "a\u{0}b\u{feff}c\u{200b}d",
        "ｶﾞｷﾞｸﾞ ﾟﾟ ㋿ ㌔ ㌢",
        "\u{fffd}\u{10ffff}\u{e000}",
        "ーーー・・・〆々〇",
        "한국어 텍스트",
        "ا\u{064b}لعربية",
        "x̸̛̖̗̘̙̜̝̞̟̠̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼ͅ͏͓͔͕͖͙͚",
    ];
    let mut long = "長野県".repeat(2000);
    long.push_str(&"a".repeat(500));
    let inputs = tricky.iter().map(|s| s.to_string()).chain([long]);
    for text in inputs {
        for analyzer in [&mut index_analyzer(), &mut query_analyzer()] {
            for (token, _, from, to) in tokens(analyzer, &text) {
                assert!(from <= to && to <= text.len(), "{text:?} {token}");
                assert!(
                    text.is_char_boundary(from) && text.is_char_boundary(to),
                    "{text:?}"
                );
                assert!(!token.is_empty() && token.len() < MAX_TOKEN_BYTES);
            }
        }
        let _ = fold(&text);
    }
}

#[test]
fn arbitrary_strings_never_panic() {
    // A small deterministic fuzz: random chars from ranges where folding does unusual things.
    let ranges: [(u32, u32); 8] = [
        (0x20, 0x7F),
        (0x300, 0x36F),
        (0x3000, 0x30FF),
        (0x3200, 0x33FF),
        (0x4E00, 0x4E80),
        (0xFF00, 0xFFEF),
        (0x1F300, 0x1F6FF),
        (0x20000, 0x20100),
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut analyzer = index_analyzer();
    for _ in 0..2000 {
        let len = (next() % 24) as usize;
        let text: String = (0..len)
            .filter_map(|_| {
                let (low, high) = ranges[(next() % ranges.len() as u64) as usize];
                char::from_u32(low + (next() % u64::from(high - low)) as u32)
            })
            .collect();
        for (_, _, from, to) in tokens(&mut analyzer, &text) {
            assert!(
                text.is_char_boundary(from) && text.is_char_boundary(to),
                "{text:?}"
            );
        }
    }
}

proptest::proptest! {
    /// Any text: no panic, offsets on char boundaries and in order of position, fold never panics.
    #[test]
    fn any_text_tokenizes_safely(text in "\\PC{0,40}|[ぁ-んァ-ヶｦ-ﾟ０-ｚ一-龠 \\n、ﾞﾟ\u{3099}\u{301}]{0,40}") {
        let _ = fold(&text);
        for analyzer in [&mut index_analyzer(), &mut query_analyzer()] {
            let mut last_position = 0;
            for (token, position, from, to) in tokens(analyzer, &text) {
                proptest::prop_assert!(from < to && to <= text.len(), "{:?} {}", text, token);
                proptest::prop_assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
                proptest::prop_assert!(position >= last_position);
                last_position = position;
            }
        }
    }
}

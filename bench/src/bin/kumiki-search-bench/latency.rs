//! Query latency through the search layer (`kumiki_search::search::search`: parse, permissions,
//! tantivy, record collapse, per-app counts, snippets and titles of the first page of 20), timed
//! around the call. Queries rotate through a list and apps through the archive apps, so no two
//! consecutive calls are equal.

use std::time::Instant;

use anyhow::{anyhow, Result};
use kumiki_engine::acl::Principal;
use kumiki_engine::db::DbConn;
use kumiki_search::index::SearchIndex;
use kumiki_search::search::search;
use kumiki_search::{SearchRequest, Searcher};

use crate::report::Latency;

/// One kind of query.
pub struct Case {
    pub name: &'static str,
    pub queries: &'static [&'static str],
    /// Filter by one app (rotating), else search every app.
    pub app_filter: bool,
}

pub const TWO_WORDS: &[&str] = &[
    "補助金 申請",
    "空き家 対策",
    "防災 計画",
    "仙台市 補助金",
    "子育て支援 事業",
    "データ 活用",
    "kintone 業務",
    "個人情報保護 条例",
    "避難所 運用",
    "移住 定住",
    "予算 報告書",
    "介護保険 制度",
    "ふるさと納税 案内",
    "市町村 協議会",
    "道路 調査",
    "ペーパーレス 推進",
    "LGWAN システム",
    "感染症 対策",
    "学校給食 見直し",
    "入札 結果",
];

pub const ONE_WORD: &[&str] = &[
    "補助金",
    "空き家",
    "防災",
    "マイナンバー",
    "委員会",
    "説明会",
    "令和5年度",
    "図書館",
    "ﾃﾞｰﾀ",
    "ＫＩＮＴＯＮＥ",
    "福岡市",
    "要綱",
    "ハザードマップ",
    "公民館",
    "議事録",
];

pub const ONE_CHAR: &[&str] = &["県"];

pub const PHRASE: &[&str] = &[
    "\"補助金交付要綱\"",
    "\"空き家対策事業\"",
    "\"防災計画の見直し\"",
    "\"を実施します\"",
    "\"市町村課\"",
    "\"データを活用した\"",
];

pub const OR: &[&str] = &[
    "空き家 OR 移住",
    "補助金 OR 交付金",
    "札幌市 OR 仙台市",
    "kintone OR Excel",
    "図書館 OR 公民館",
];

pub const EXCLUDE: &[&str] = &[
    "補助金 -交付金",
    "防災 -訓練",
    "データ -システム",
    "計画 -基本計画",
    "空き家 -移住",
];

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "two words + app filter",
            queries: TWO_WORDS,
            app_filter: true,
        },
        Case {
            name: "one word + app filter",
            queries: ONE_WORD,
            app_filter: true,
        },
        Case {
            name: "one char 県 + app filter",
            queries: ONE_CHAR,
            app_filter: true,
        },
        Case {
            name: "phrase + app filter",
            queries: PHRASE,
            app_filter: true,
        },
        Case {
            name: "OR + app filter",
            queries: OR,
            app_filter: true,
        },
        Case {
            name: "exclude + app filter",
            queries: EXCLUDE,
            app_filter: true,
        },
        Case {
            name: "two words, all apps",
            queries: TWO_WORDS,
            app_filter: false,
        },
        Case {
            name: "one word, all apps",
            queries: ONE_WORD,
            app_filter: false,
        },
        Case {
            name: "one char 県, all apps",
            queries: ONE_CHAR,
            app_filter: false,
        },
    ]
}

pub struct Outcome {
    pub latency: Latency,
    /// Mean `total` (matching records the searcher may view).
    pub mean_total: f64,
    /// The query with the highest median, and that median (ms).
    pub slowest: (String, f64),
}

/// Runs `case` `runs` times (after 5 untimed warm-up calls) as `principal` over `apps`; cases
/// over all apps (not a target, and each takes up to a few hundred ms at 1M) run `runs / 5` times,
/// at least 100.
pub fn run(
    index: &SearchIndex,
    conn: &mut DbConn,
    principal: &Principal,
    apps: &[i64],
    case: &Case,
    runs: usize,
) -> Result<Outcome> {
    let who = Searcher::new(
        principal.clone(),
        kumiki_engine::acting::Channel::Api,
        chrono_tz::Asia::Tokyo,
    );
    let runs = if case.app_filter {
        runs
    } else {
        (runs / 5).max(100)
    };
    let mut samples = Vec::with_capacity(runs);
    let mut totals = 0usize;
    let mut by_query: std::collections::BTreeMap<&str, Vec<std::time::Duration>> =
        std::collections::BTreeMap::new();
    for i in 0..runs + 5 {
        let q = case.queries[i % case.queries.len()];
        let req = SearchRequest {
            q: q.to_owned(),
            apps: if case.app_filter {
                vec![apps[(i * 7) % apps.len()]]
            } else {
                Vec::new()
            },
            size: 20,
            ..SearchRequest::default()
        };
        let start = Instant::now();
        let response = search(index, conn, &who, &req).map_err(|e| anyhow!("{q}: {e}"))?;
        let took = start.elapsed();
        if i >= 5 {
            samples.push(took);
            by_query.entry(q).or_default().push(took);
            totals += response.total;
        }
    }
    let slowest = by_query
        .iter_mut()
        .map(|(q, s)| ((*q).to_owned(), Latency::of(s).p50))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_default();
    Ok(Outcome {
        slowest,
        latency: Latency::of(&mut samples),
        mean_total: totals as f64 / runs.max(1) as f64,
    })
}

/// Prints one result row (markdown).
pub fn print_row(label: &str, o: &Outcome) {
    let l = &o.latency;
    println!(
        "| {label} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | `{}` {:.1} |",
        l.runs, o.mean_total, l.p50, l.p95, l.p99, l.max, o.slowest.0, o.slowest.1
    );
}

pub fn print_header() {
    println!("| case | runs | mean hits | p50 ms | p95 ms | p99 ms | max ms | slowest query: its p50 ms |");
    println!("|---|---|---|---|---|---|---|---|");
}

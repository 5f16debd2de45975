//! Search quality against the substring truth. For each judged query the index answers with the
//! queries the search layer builds (`query::parse`, no filters, every part), combined as the search layer combines them (`group_queries` intersected per record, minus
//! `excluded_queries`); the truth is computed from the corpus records themselves: a record is
//! relevant when, after `tokenizer::fold`, each word (one alternative of each OR group) is a
//! substring of one of its parts (the non-blank field values, exactly the parts
//! `parts::record_parts` indexes) and no part contains an excluded word.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use kumiki_search::index::SearchIndex;
use kumiki_search::query::{parse, UserQuery};
use kumiki_search::tokenizer::fold;
use tantivy::collector::DocSetCollector;

use crate::corpus;

/// A record's folded parts, and the same with whitespace between two CJK chars removed when that
/// changes any part (the tokenizer reads 住民基本⏎台帳 as 住民基本台帳).
struct Doc {
    key: (u64, u64),
    parts: Vec<String>,
    joined: Option<Vec<String>>,
}

pub struct Judged {
    pub category: String,
    pub query: String,
    pub truth: usize,
    pub found: usize,
    pub hits: usize,
    /// The same against the truth that joins CJK text across whitespace.
    pub truth_joined: usize,
    pub hits_joined: usize,
    /// One missed record and one false hit against the joined truth, for the report.
    pub missed: Option<String>,
    pub false_hit: Option<String>,
}

impl Judged {
    pub fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.hits as f64 / self.truth as f64
        }
    }
    pub fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.hits as f64 / self.found as f64
        }
    }
    pub fn recall_joined(&self) -> f64 {
        ratio(self.hits_joined, self.truth_joined)
    }
    pub fn precision_joined(&self) -> f64 {
        ratio(self.hits_joined, self.found)
    }
}

/// `part / whole`, 1 for an empty whole (nothing to find, or nothing found).
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// `(category, query)` lines of the judged set (`#` comments and blank lines skipped).
pub fn load_queries(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (c, q) = l
                .split_once('\t')
                .with_context(|| format!("no tab in {l:?}"))?;
            Ok((c.to_owned(), q.to_owned()))
        })
        .collect()
}

fn corpus_docs(records: u64, app_ids: &[i64]) -> Vec<Doc> {
    (0..records)
        .map(|i| {
            let r = corpus::record(i);
            let parts: Vec<String> = r
                .texts()
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| fold(t))
                .collect();
            let joined: Vec<String> = parts.iter().map(|p| join_cjk(p)).collect();
            Doc {
                key: (app_ids[r.app] as u64, r.id as u64),
                joined: (joined != parts).then_some(joined),
                parts,
            }
        })
        .collect()
}

/// CJK as the tokenizer sees it (`tokenizer::is_cjk`, which is crate-private): kana, ー, ideographs.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}' | '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FA}'
        | '\u{30FC}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}')
}

/// `text` without the whitespace that has a CJK char on both sides.
fn join_cjk(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() && out.chars().last().is_some_and(is_cjk) {
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && is_cjk(chars[j]) {
                i = j;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

struct FoldedQuery {
    groups: Vec<Vec<String>>,
    excluded: Vec<String>,
}

impl FoldedQuery {
    fn of(q: &UserQuery) -> FoldedQuery {
        FoldedQuery {
            groups: q
                .groups
                .iter()
                .map(|g| g.iter().map(|i| fold(&i.text)).collect())
                .collect(),
            excluded: q.excluded.iter().map(|i| fold(&i.text)).collect(),
        }
    }

    /// Every group has an alternative in some part, and no part holds an excluded word.
    fn matches(&self, parts: &[String]) -> bool {
        self.groups.iter().all(|g| {
            parts
                .iter()
                .any(|p| g.iter().any(|w| p.contains(w.as_str())))
        }) && !parts
            .iter()
            .any(|p| self.excluded.iter().any(|w| p.contains(w.as_str())))
    }
}

/// Relevant records, scanned on two threads; `joined` uses the parts joined across whitespace.
fn truth(docs: &[Doc], q: &FoldedQuery, joined: bool) -> HashSet<(u64, u64)> {
    let half = docs.len() / 2;
    let scan = |slice: &[Doc]| -> Vec<(u64, u64)> {
        slice
            .iter()
            .filter(|d| {
                let parts = match (&d.joined, joined) {
                    (Some(j), true) => j,
                    _ => &d.parts,
                };
                q.matches(parts)
            })
            .map(|d| d.key)
            .collect()
    };
    std::thread::scope(|s| {
        let a = s.spawn(|| scan(&docs[..half]));
        let mut out: HashSet<(u64, u64)> = scan(&docs[half..]).into_iter().collect();
        out.extend(a.join().unwrap_or_default());
        out
    })
}

/// Records with a part matching `query`, among those with an id up to `max_id` (the subset).
fn records_of(
    index: &SearchIndex,
    query: &dyn tantivy::query::Query,
    max_id: u64,
) -> Result<HashSet<(u64, u64)>> {
    let searcher = index.reader.searcher();
    let docs = searcher.search(query, &DocSetCollector)?;
    let mut columns = Vec::new();
    for reader in searcher.segment_readers() {
        let fast = reader.fast_fields();
        columns.push((fast.u64("app_id")?, fast.u64("record_id")?));
    }
    let mut out = HashSet::new();
    for address in docs {
        let (app, record) = &columns[address.segment_ord as usize];
        if let (Some(a), Some(r)) = (app.first(address.doc_id), record.first(address.doc_id)) {
            if r <= max_id {
                out.insert((a, r));
            }
        }
    }
    Ok(out)
}

/// Records the index returns, combined as `search::search` does: every group (its alternatives
/// OR-ed) matched by some part, in any part, and no part matching an excluded item.
fn found(index: &SearchIndex, q: &UserQuery, max_id: u64) -> Result<HashSet<(u64, u64)>> {
    let mut result: Option<HashSet<(u64, u64)>> = None;
    for group in q.group_queries(index.text_target()) {
        let set = records_of(index, &*group, max_id)?;
        result = Some(match result {
            None => set,
            Some(r) => r.intersection(&set).copied().collect(),
        });
    }
    let mut result = result.ok_or_else(|| anyhow!("the query has no searchable group"))?;
    for item in q.excluded_queries(index.text_target()) {
        for key in records_of(index, &*item, max_id)? {
            result.remove(&key);
        }
    }
    Ok(result)
}

/// The part of record `key` around `needle` (or around where it appears once whitespace is
/// removed, marked so), else the record's first part.
fn describe(docs: &[Doc], key: (u64, u64), needle: &str) -> Option<String> {
    let d = docs.iter().find(|d| d.key == key)?;
    let window = |text: &str, at: usize| {
        let chars: Vec<char> = text.chars().collect();
        let at = text[..at].chars().count();
        let from = at.saturating_sub(30);
        let to = (at + needle.chars().count() + 30).min(chars.len());
        chars[from..to]
            .iter()
            .collect::<String>()
            .replace('\n', "⏎")
    };
    for p in &d.parts {
        if let Some(at) = p.find(needle) {
            return Some(format!("…{}…", window(p, at)));
        }
    }
    for p in &d.parts {
        let joined: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(at) = joined.find(needle) {
            return Some(format!("(whitespace removed) …{}…", window(&joined, at)));
        }
    }
    d.parts.first().map(|p| clip(&p.replace('\n', "⏎")))
}

/// Judges every query against the index, over corpus records `0..records` (a multiple of the app
/// count, so that they are exactly the records with an id up to `records / APPS` in every app).
pub fn judge(
    index: &SearchIndex,
    app_ids: &[i64],
    records: u64,
    queries: &[(String, String)],
) -> Result<Vec<Judged>> {
    let docs = corpus_docs(records, app_ids);
    let max_id = records.div_ceil(corpus::APPS as u64);
    let mut out = Vec::with_capacity(queries.len());
    for (category, text) in queries {
        let parsed = parse(text).map_err(|e| anyhow!("{text}: {e}"))?;
        let folded = FoldedQuery::of(&parsed);
        let expected = truth(&docs, &folded, false);
        let expected_joined = truth(&docs, &folded, true);
        let got = found(index, &parsed, max_id)?;
        let hits = expected.intersection(&got).count();
        let needle = fold(
            &parsed
                .groups
                .first()
                .and_then(|g| g.first())
                .map(|i| i.text.clone())
                .unwrap_or_default(),
        );
        let first = |set: &HashSet<(u64, u64)>, other: &HashSet<(u64, u64)>| {
            let mut keys: Vec<_> = set.difference(other).copied().collect();
            keys.sort_unstable();
            keys.first().and_then(|k| describe(&docs, *k, &needle))
        };
        out.push(Judged {
            category: category.clone(),
            query: text.clone(),
            truth: expected.len(),
            found: got.len(),
            hits,
            truth_joined: expected_joined.len(),
            hits_joined: expected_joined.intersection(&got).count(),
            missed: first(&expected_joined, &got),
            false_hit: first(&got, &expected_joined),
        });
    }
    Ok(out)
}

/// Prints per-query, per-category and overall figures (markdown), and the imperfect queries.
pub fn print(results: &[Judged]) {
    let total = |f: &dyn Fn(&Judged) -> usize| results.iter().map(f).sum::<usize>() as f64;
    let (truth, found, hits) = (total(&|j| j.truth), total(&|j| j.found), total(&|j| j.hits));
    let n = results.len() as f64;
    println!("\n### Judged set: {} queries", results.len());
    println!(
        "micro recall {:.4}, micro precision {:.4}; macro recall {:.4}, macro precision {:.4}",
        hits / truth.max(1.0),
        hits / found.max(1.0),
        results.iter().map(Judged::recall).sum::<f64>() / n,
        results.iter().map(Judged::precision).sum::<f64>() / n,
    );
    let (truth_j, hits_j) = (total(&|j| j.truth_joined), total(&|j| j.hits_joined));
    println!(
        "against the joined truth (CJK across whitespace): micro recall {:.4}, micro precision {:.4}; macro recall {:.4}, macro precision {:.4}",
        hits_j / truth_j.max(1.0),
        hits_j / found.max(1.0),
        results.iter().map(Judged::recall_joined).sum::<f64>() / n,
        results.iter().map(Judged::precision_joined).sum::<f64>() / n,
    );
    println!("\n| category | queries | relevant | found | macro recall | macro precision | joined: recall | joined: precision |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut categories: Vec<&str> = results.iter().map(|j| j.category.as_str()).collect();
    categories.dedup();
    for c in categories {
        let of: Vec<&Judged> = results.iter().filter(|j| j.category == c).collect();
        let k = of.len() as f64;
        println!(
            "| {c} | {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} |",
            of.len(),
            of.iter().map(|j| j.truth).sum::<usize>(),
            of.iter().map(|j| j.found).sum::<usize>(),
            of.iter().map(|j| j.recall()).sum::<f64>() / k,
            of.iter().map(|j| j.precision()).sum::<f64>() / k,
            of.iter().map(|j| j.recall_joined()).sum::<f64>() / k,
            of.iter().map(|j| j.precision_joined()).sum::<f64>() / k,
        );
    }
    println!("\n| query | relevant | found | correct | recall | precision |");
    println!("|---|---|---|---|---|---|");
    for j in results {
        println!(
            "| `{}` | {} | {} | {} | {:.4} | {:.4} |",
            j.query,
            j.truth,
            j.found,
            j.hits,
            j.recall(),
            j.precision()
        );
    }
    println!("\nQueries imperfect against the joined truth (one example each):");
    for j in results
        .iter()
        .filter(|j| j.hits_joined < j.truth_joined.max(j.found))
    {
        println!(
            "- `{}` recall {:.4} precision {:.4}",
            j.query,
            j.recall(),
            j.precision()
        );
        if let Some(m) = &j.missed {
            println!("    missed: {}", clip(m));
        }
        if let Some(f) = &j.false_hit {
            println!("    false hit: {}", clip(f));
        }
    }
}

fn clip(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() > 220 {
        format!("{}…", chars[..220].iter().collect::<String>())
    } else {
        s.to_owned()
    }
}

//! Running a search: the parsed text query AND the filters AND the searcher's permissions, matching
//! parts collapsed into records (a record's best part gives its snippet), records of apps with record
//! rules checked in the database, then sorted, counted per app and paged.

use std::collections::HashMap;
use std::ops::Bound;

use kumiki_engine::acting::ActingContext;
use kumiki_engine::db::DbConn;
use serde::Serialize;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::collector::{RecordCollector, RecordHit, RecordMap};
use crate::error::SearchError;
use crate::index::SearchIndex;
use crate::permissions::{any_app, hidden_parts, visible_apps, VisibleApp};
use crate::schema::PartKind;

/// Most records checked one by one per app with record rules; beyond, results are cut (`capped`).
pub const MAX_CHECKED_PER_APP: usize = 5000;
pub const MAX_PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Relevance (BM25 of the best part), newest first among equals.
    #[default]
    Best,
    /// Last update time, newest first.
    Newest,
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// Only these apps (empty: every app the searcher may view).
    pub apps: Vec<i64>,
    pub field: Option<String>,
    pub creator: Option<String>,
    /// Update time bounds, unix seconds, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub file_type: Option<String>,
    pub kind: Option<PartKind>,
    pub sort: Sort,
    pub offset: usize,
    pub size: usize,
}

/// Who searches, and through which path: their acting context.
pub type Searcher = ActingContext;

/// Matching records of one app.
#[derive(Debug, Clone, Serialize)]
pub struct AppCount {
    pub app: i64,
    pub name: String,
    pub count: usize,
}

/// One result: a record, through its best-matching part (the field value, subtable cell, comment or
/// attached file where the words were found; the snippet and the labels are that part's).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub app: i64,
    pub app_name: String,
    pub record: i64,
    /// The record's title: the value of the app's title field (`AppDefinition::title_field`), empty
    /// when it is empty or the searcher may not read that field.
    pub title: String,
    /// Unix seconds.
    pub updated: i64,
    pub kind: PartKind,
    /// The field of the part (for a file: its FILE field; empty for a comment).
    pub field_code: String,
    pub field_label: String,
    /// For a cell of a subtable row: the subtable's label (empty otherwise).
    pub subtable_label: String,
    pub file_type: String,
    /// For a file hit: the attached file's name and key (empty otherwise).
    pub file_name: String,
    pub file_key: String,
    /// HTML: escaped text of the matching part with `<mark>` around matches.
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    /// Matching records the searcher may view.
    pub total: usize,
    /// Some apps had more candidates than are checked one by one: counts are lower bounds.
    pub capped: bool,
    /// Per-app counts, largest first.
    pub apps: Vec<AppCount>,
    pub hits: Vec<Hit>,
}

fn term_query(t: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
}

fn filters(index: &SearchIndex, req: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
    let f = &index.fields;
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(code) = &req.field {
        out.push((
            Occur::Must,
            term_query(Term::from_field_text(f.field_code, code)),
        ));
    }
    if let Some(user) = &req.creator {
        out.push((
            Occur::Must,
            term_query(Term::from_field_text(f.creator, user)),
        ));
    }
    if let Some(t) = &req.file_type {
        out.push((
            Occur::Must,
            term_query(Term::from_field_text(f.file_type, t)),
        ));
    }
    if let Some(kind) = req.kind {
        out.push((
            Occur::Must,
            term_query(Term::from_field_text(f.kind, kind.as_str())),
        ));
    }
    if req.from.is_some() || req.to.is_some() {
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(f.updated, v)),
            None => Bound::Unbounded,
        };
        out.push((
            Occur::Must,
            Box::new(RangeQuery::new(bound(req.from), bound(req.to))),
        ));
    }
    out
}

/// Runs a search for `who`.
pub fn search(
    index: &SearchIndex,
    conn: &mut DbConn,
    who: &Searcher,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    if req.size == 0 || req.size > MAX_PAGE_SIZE {
        return Err(SearchError::bad(
            "size",
            format!("size must be between 1 and {MAX_PAGE_SIZE}."),
        ));
    }
    if let (Some(from), Some(to)) = (req.from, req.to) {
        if from > to {
            return Err(SearchError::bad("from", "from is after to."));
        }
    }
    let parsed = crate::query::parse(&req.q)?;
    let text_query = parsed.to_tantivy(index.text_target())?;
    let apps = visible_apps(conn, who, &req.apps)?;
    if apps.is_empty() {
        return Ok(SearchResponse {
            total: 0,
            capped: false,
            apps: Vec::new(),
            hits: Vec::new(),
        });
    }
    let searcher = index.reader.searcher();
    // Only parts the searcher may read, of the apps they may view, within the filters.
    let scoped = |text: Box<dyn Query>, with_filters: bool| -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text),
            (Occur::Must, any_app(&index.fields, &apps)),
        ];
        if with_filters {
            clauses.extend(filters(index, req));
        }
        for v in &apps {
            for hidden in hidden_parts(&index.fields, v) {
                clauses.push((Occur::MustNot, hidden));
            }
        }
        BooleanQuery::new(clauses)
    };
    let groups = parsed.group_queries(index.text_target());
    let excluded = parsed.excluded_queries(index.text_target());
    let mut hits = if groups.len() == 1 && excluded.is_empty() {
        searcher.search(&scoped(text_query.box_clone(), true), &RecordCollector)?
    } else {
        // Words may sit in different fields, comments or files of one record (a title word and a
        // body word): each group is matched on its own and the records are intersected.
        let mut sets = Vec::with_capacity(groups.len());
        for group in groups {
            sets.push(searcher.search(&scoped(group, true), &RecordCollector)?);
        }
        let mut gone = std::collections::HashSet::new();
        for item in excluded {
            for h in searcher.search(&scoped(item, false), &RecordCollector)? {
                gone.insert((h.app, h.record));
            }
        }
        intersect_records(sets, &gone)
    };
    let by_id: HashMap<i64, &VisibleApp> = apps.iter().map(|v| (v.app.row.id, v)).collect();
    if by_id.values().any(|v| v.needs_record_check()) {
        // Which records are checked one by one (the first ones in result order) depends on the order.
        sort_hits(&mut hits, req.sort);
    } else {
        // Only the page needs an order: select it, then sort just that part.
        let end = req.offset.saturating_add(req.size).min(hits.len());
        if end > 0 && end < hits.len() {
            hits.select_nth_unstable_by(end - 1, |a, b| compare_hits(a, b, req.sort));
        }
        sort_hits(&mut hits[..end], req.sort);
    }
    let (hits, capped) = check_records(conn, &by_id, hits)?;
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for h in &hits {
        *counts.entry(h.app).or_default() += 1;
    }
    let mut app_counts: Vec<AppCount> = counts
        .into_iter()
        .map(|(app, count)| AppCount {
            app,
            name: by_id
                .get(&app)
                .map(|v| v.name().to_owned())
                .unwrap_or_default(),
            count,
        })
        .collect();
    app_counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.app.cmp(&b.app)));
    let page: Vec<RecordHit> = hits
        .iter()
        .skip(req.offset)
        .take(req.size)
        .copied()
        .collect();
    let shown = crate::present::present(index, conn, &searcher, &*text_query, &by_id, &page)?;
    Ok(SearchResponse {
        total: hits.len(),
        capped,
        apps: app_counts,
        hits: shown,
    })
}

/// Records present in every set and in none of `gone`; a record's score is the sum of its groups'
/// scores and its snippet part the best-scoring one.
fn intersect_records(
    mut sets: Vec<Vec<RecordHit>>,
    gone: &std::collections::HashSet<(i64, i64)>,
) -> Vec<RecordHit> {
    sets.sort_by_key(Vec::len);
    let mut sets = sets.into_iter();
    let Some(first) = sets.next() else {
        return Vec::new();
    };
    let key = |h: &RecordHit| (h.app as u64, h.record as u64);
    let mut acc: RecordMap<(RecordHit, f32)> = first
        .into_iter()
        .filter(|h| !gone.contains(&(h.app, h.record)))
        .map(|h| (key(&h), (h, h.score)))
        .collect();
    for set in sets {
        if acc.is_empty() {
            break;
        }
        let mut next = RecordMap::with_capacity_and_hasher(acc.len(), Default::default());
        for h in set {
            if let Some((best, total)) = acc.remove(&key(&h)) {
                let best = if h.score > best.score { h } else { best };
                next.insert(key(&h), (best, total + h.score));
            }
        }
        acc = next;
    }
    acc.into_values()
        .map(|(mut h, total)| {
            h.score = total;
            h
        })
        .collect()
}

fn compare_hits(a: &RecordHit, b: &RecordHit, sort: Sort) -> std::cmp::Ordering {
    let key = |h: &RecordHit| (h.app, h.record);
    match sort {
        Sort::Best => b
            .score
            .total_cmp(&a.score)
            .then(b.updated.cmp(&a.updated))
            .then(key(a).cmp(&key(b))),
        Sort::Newest => b
            .updated
            .cmp(&a.updated)
            .then(b.score.total_cmp(&a.score))
            .then(key(a).cmp(&key(b))),
    }
}

fn sort_hits(hits: &mut [RecordHit], sort: Sort) {
    hits.sort_unstable_by(|a, b| compare_hits(a, b, sort));
}

/// Keeps the hits the searcher may view: records of apps with record rules are checked in the
/// database (the first `MAX_CHECKED_PER_APP` in result order; the rest are dropped and `capped`
/// says so). Order is kept.
fn check_records(
    conn: &mut DbConn,
    apps: &HashMap<i64, &VisibleApp>,
    hits: Vec<RecordHit>,
) -> Result<(Vec<RecordHit>, bool), SearchError> {
    let mut to_check: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut capped = false;
    for h in &hits {
        if apps.get(&h.app).is_some_and(|v| v.needs_record_check()) {
            let ids = to_check.entry(h.app).or_default();
            if ids.len() < MAX_CHECKED_PER_APP {
                ids.push(h.record);
            } else {
                capped = true;
            }
        }
    }
    if to_check.is_empty() {
        return Ok((hits, false));
    }
    let mut viewable: HashMap<i64, std::collections::HashSet<i64>> = HashMap::new();
    for (app, ids) in &to_check {
        let Some(v) = apps.get(app) else { continue };
        let rights = kumiki_engine::acl::sql::records_rights(conn, &v.app, v.access(), ids)?;
        viewable.insert(
            *app,
            rights
                .into_iter()
                .filter(|(_, (r, _))| r.view)
                .map(|(id, _)| id)
                .collect(),
        );
    }
    let kept = hits
        .into_iter()
        .filter(|h| match viewable.get(&h.app) {
            None => true,
            Some(ok) => ok.contains(&h.record),
        })
        .collect();
    Ok((kept, capped))
}

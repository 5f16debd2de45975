//! Running a search: the parsed text query AND the filters AND the searcher's permissions, matching
//! parts collapsed into records (a record's best part gives its snippet), records of apps with record
//! rules checked in the database, then sorted, counted per app and paged.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use kumiki_engine::acting::ActingContext;
use kumiki_engine::db::DbConn;
use serde::Serialize;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use crate::collector::{better_part, RecordCollector, RecordHit, RecordMap};
use crate::error::SearchError;
use crate::index::SearchIndex;
use crate::page::{self, AppSlots, MatchCollector, PageCollector, RecordSet, SheetCollector};
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
    let by_id: HashMap<i64, &VisibleApp> = apps.iter().map(|v| (v.app.row.id, v)).collect();
    let checked = by_id.values().any(|v| v.needs_record_check());
    // Searching (nearly) every app, the app clause would make tantivy walk the union of every app's
    // parts beside the text; the fast path's collector drops parts of other apps itself. The
    // clause scores nothing, so that a record's score does not depend on how large its app is.
    let fast = !checked && page::fits(&searcher);
    let app_clause: Option<Box<dyn Query>> = (!fast || !covers_most_parts(index, &searcher, &apps))
        .then(|| Box::new(ConstScoreQuery::new(any_app(&index.fields, &apps), 0.0)) as _);
    let groups = parsed.group_queries_within(index.text_target(), app_clause.as_deref());
    let excluded = parsed.excluded_queries_within(index.text_target(), app_clause.as_deref());
    // Only parts the searcher may read, of the apps they may view (the app clause is inside each
    // group), within the filters.
    let scoped = |text: Box<dyn Query>, with_filters: bool| -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
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
    let text = TextQueries {
        groups: &groups,
        excluded: &excluded,
        scoped: &scoped,
    };
    let found = if fast {
        records_without_checks(&searcher, &apps, req, &text)?
    } else {
        records_checked(conn, &searcher, &by_id, req, &text, checked)?
    };
    let Found {
        total,
        capped,
        counts,
        page,
    } = found;
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
    let shown = crate::present::present(index, conn, &searcher, &*text_query, &by_id, &page)?;
    Ok(SearchResponse {
        total,
        capped,
        apps: app_counts,
        hits: shown,
    })
}

/// The records with a part matching an excluded item (`None` without any), found without scoring.
fn excluded_records(
    searcher: &tantivy::Searcher,
    slots: &Arc<AppSlots>,
    excluded: &[Box<dyn Query>],
    scoped: &Scoped<'_>,
) -> Result<Option<RecordSet>, SearchError> {
    let collector = MatchCollector {
        slots: Arc::clone(slots),
    };
    let mut gone: Option<RecordSet> = None;
    for item in excluded {
        let set = searcher.search(&scoped(item.box_clone(), false), &collector)?;
        match gone.as_mut() {
            None => gone = Some(set),
            Some(acc) => acc.union_with(&set),
        }
    }
    Ok(gone)
}

/// Whether the searched apps hold at least half of the index's parts: then filtering the apps in
/// the collector costs less than intersecting the text with the union of their parts.
fn covers_most_parts(
    index: &SearchIndex,
    searcher: &tantivy::Searcher,
    apps: &[VisibleApp],
) -> bool {
    let all = searcher.num_docs();
    let mut theirs: u64 = 0;
    for v in apps {
        let term = Term::from_field_u64(
            index.fields.app_id,
            u64::try_from(v.app.row.id).unwrap_or(0),
        );
        theirs += searcher.doc_freq(&term).unwrap_or(0);
    }
    theirs.saturating_mul(2) >= all
}

/// Puts the first `end` hits in order (only those: selecting them first is cheaper than sorting all).
fn select_page(hits: &mut [RecordHit], end: usize, sort: Sort) {
    let end = end.min(hits.len());
    if end > 0 && end < hits.len() {
        hits.select_nth_unstable_by(end - 1, |a, b| compare_hits(a, b, sort));
    }
    sort_hits(&mut hits[..end], sort);
}

/// The matching records a search found: how many, per app, and the page.
struct Found {
    total: usize,
    capped: bool,
    counts: HashMap<i64, usize>,
    page: Vec<RecordHit>,
}

/// A scoped tantivy query (`text`, with or without the request's filters) of the search.
type Scoped<'a> = dyn Fn(Box<dyn Query>, bool) -> BooleanQuery + 'a;

/// The text of a search: its groups, its excluded items and how each is scoped.
struct TextQueries<'a> {
    groups: &'a [Box<dyn Query>],
    excluded: &'a [Box<dyn Query>],
    scoped: &'a Scoped<'a>,
}

/// The fast path (`page.rs`): no searched app needs a check per record.
fn records_without_checks(
    searcher: &tantivy::Searcher,
    apps: &[VisibleApp],
    req: &SearchRequest,
    text: &TextQueries<'_>,
) -> Result<Found, SearchError> {
    let TextQueries {
        groups,
        excluded,
        scoped,
    } = *text;
    let slots = Arc::new(AppSlots::new(apps.iter().map(|v| v.app.row.id)));
    let want = req.offset.saturating_add(req.size);
    let (matched, top) = if let ([group], []) = (groups, excluded) {
        let collector = PageCollector {
            slots: Arc::clone(&slots),
            want,
            sort: req.sort,
        };
        searcher.search(&scoped(group.box_clone(), true), &collector)?
    } else {
        let mut sheets = Vec::with_capacity(groups.len());
        for group in groups {
            let collector = SheetCollector::new(&slots);
            sheets.push(searcher.search(&scoped(group.box_clone(), true), &collector)?);
        }
        let gone = excluded_records(searcher, &slots, excluded, scoped)?;
        page::combine(searcher, &slots, &sheets, gone.as_ref(), want, req.sort)?
    };
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for (slot, n) in matched.counts().filter(|&(_, n)| n > 0) {
        counts.insert(slots.app(slot), n);
    }
    Ok(Found {
        total: counts.values().sum(),
        capped: false,
        counts,
        page: top.into_iter().skip(req.offset).take(req.size).collect(),
    })
}

/// The general path: every matching record collected, then (`checked`) the candidates of apps with
/// record rules checked in the database.
fn records_checked(
    conn: &mut DbConn,
    searcher: &tantivy::Searcher,
    by_id: &HashMap<i64, &VisibleApp>,
    req: &SearchRequest,
    text: &TextQueries<'_>,
    checked: bool,
) -> Result<Found, SearchError> {
    let TextQueries {
        groups,
        excluded,
        scoped,
    } = *text;
    let mut hits = if let ([group], []) = (groups, excluded) {
        searcher.search(&scoped(group.box_clone(), true), &RecordCollector)?
    } else {
        // Words may sit in different fields, comments or files of one record (a title word and a
        // body word): each group is matched on its own and the records are intersected.
        let mut sets = Vec::with_capacity(groups.len());
        for group in groups {
            sets.push(searcher.search(&scoped(group.box_clone(), true), &RecordCollector)?);
        }
        let mut gone = std::collections::HashSet::new();
        for item in excluded {
            for h in searcher.search(&scoped(item.box_clone(), false), &RecordCollector)? {
                gone.insert((h.app, h.record));
            }
        }
        intersect_records(sets, &gone)
    };
    if checked {
        // Which records are checked one by one (the first ones in result order) depends on the
        // order.
        sort_hits(&mut hits, req.sort);
    } else {
        select_page(&mut hits, req.offset.saturating_add(req.size), req.sort);
    }
    let (hits, capped) = check_records(conn, by_id, hits)?;
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for h in &hits {
        *counts.entry(h.app).or_default() += 1;
    }
    let page = hits
        .iter()
        .skip(req.offset)
        .take(req.size)
        .copied()
        .collect();
    Ok(Found {
        total: hits.len(),
        capped,
        counts,
        page,
    })
}

/// Records present in every set and in none of `gone`; a record's score is the sum of its groups'
/// scores (added in the groups' order, as the fast path adds them, so that both give the same
/// total to the last bit) and its snippet part the best one (`better_part`).
fn intersect_records(
    sets: Vec<Vec<RecordHit>>,
    gone: &std::collections::HashSet<(i64, i64)>,
) -> Vec<RecordHit> {
    let groups = sets.len();
    // Smallest set first: the records kept shrink fastest.
    let mut sets: Vec<(usize, Vec<RecordHit>)> = sets.into_iter().enumerate().collect();
    sets.sort_by_key(|(_, set)| set.len());
    let mut sets = sets.into_iter();
    let Some((first_group, first)) = sets.next() else {
        return Vec::new();
    };
    let key = |h: &RecordHit| (h.app as u64, h.record as u64);
    // Each record of the first set gets a row of `groups` scores in one allocation; a record keeps
    // its row while it stays in every set.
    let mut scores = vec![0.0_f32; first.len() * groups];
    let mut acc: RecordMap<(RecordHit, usize)> = first
        .into_iter()
        .enumerate()
        .filter(|(_, h)| !gone.contains(&(h.app, h.record)))
        .map(|(row, h)| {
            scores[row * groups + first_group] = h.score;
            (key(&h), (h, row))
        })
        .collect();
    for (group, set) in sets {
        if acc.is_empty() {
            break;
        }
        let mut next = RecordMap::with_capacity_and_hasher(acc.len(), Default::default());
        for h in set {
            if let Some((best, row)) = acc.remove(&key(&h)) {
                let best = if better_part(h.score, h.doc, best.score, best.doc) {
                    h
                } else {
                    best
                };
                scores[row * groups + group] = h.score;
                next.insert(key(&h), (best, row));
            }
        }
        acc = next;
    }
    acc.into_values()
        .map(|(mut h, row)| {
            h.score = scores[row * groups..(row + 1) * groups]
                .iter()
                .fold(0.0, |total, s| total + s);
            h
        })
        .collect()
}

pub(crate) fn compare_hits(a: &RecordHit, b: &RecordHit, sort: Sort) -> std::cmp::Ordering {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn part(record: i64, score: f32, doc: u32) -> RecordHit {
        RecordHit {
            app: 1,
            record,
            score,
            updated: 0,
            doc: tantivy::DocAddress::new(0, doc),
        }
    }

    #[test]
    fn a_records_part_and_total_do_not_depend_on_the_order_sets_are_met() {
        // The sets are met smallest first (the third group, then the second, then the first).
        // Record 1 scores equally in the first and third groups: the first document wins, not the
        // first met. Record 2's scores add up differently in f32 depending on the order.
        let groups = vec![
            vec![
                part(1, 0.3, 3),
                part(2, 1.1, 1),
                part(3, 1.0, 4),
                part(4, 1.0, 8),
            ],
            vec![part(1, 0.2, 5), part(2, 2.2, 2), part(3, 1.0, 6)],
            vec![part(1, 0.3, 9), part(2, 3.3, 7)],
        ];
        let in_order = |scores: [f32; 3]| scores.iter().fold(0.0_f32, |t, s| t + s).to_bits();
        assert_ne!(
            in_order([1.1, 2.2, 3.3]),
            in_order([3.3, 2.2, 1.1]),
            "the data must tell the orders apart"
        );
        let none = std::collections::HashSet::new();
        let mut got = intersect_records(groups, &none);
        got.sort_by_key(|h| h.record);
        let seen: Vec<(i64, u32, u32)> = got
            .iter()
            .map(|h| (h.record, h.doc.doc_id, h.score.to_bits()))
            .collect();
        // What the fast path computes: groups added in query order, the best part by `better_part`.
        assert_eq!(
            seen,
            [
                (1, 3, in_order([0.3, 0.2, 0.3])),
                (2, 7, in_order([1.1, 2.2, 3.3]))
            ]
        );
    }
}

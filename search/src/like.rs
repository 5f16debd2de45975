//! kintone `like` through the index: the engine's query compiler asks for the records whose part of
//! a field may contain a pattern ([`TextMatcher`]), and keeps its own exact `LIKE` test on them.
//! Only patterns made of CJK characters are answered: the index holds every CJK bigram and unigram,
//! so it finds every record whose text contains such a pattern (a superset, never fewer), whereas
//! Latin words are indexed whole and a part of a word would be missed.
//!
//! The hits are collected without scoring, from the `record_id` fast field only (no stored
//! documents, no per-record map): a pattern found in 30,000 records of an app costs a few
//! milliseconds, so the engine can drive a list or a count from them (`query::plan_like`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use kumiki_engine::query::{LikeCandidates, TextMatcher};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, Term};

use crate::index::SearchIndex;
use crate::indexer::Progress;
use crate::query::{item_query, Item};
use crate::schema::PartKind;
use crate::tokenizer;

/// Beyond this many matching parts: no answer, the plain probe is used. The ids travel to the
/// database as one array parameter, so this bounds memory and the statement's size rather than a
/// parameter count; past a quarter of a 1M-record app the plain probe finds a page as fast.
const MAX_HITS: usize = 250_000;

pub struct IndexLike {
    pub(crate) index: SearchIndex,
    pub(crate) progress: Arc<Progress>,
}

impl std::fmt::Debug for IndexLike {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexLike").finish_non_exhaustive()
    }
}

fn term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// The record ids of the matching parts, unscored; `None` past [`MAX_HITS`].
struct RecordIds;

struct SegmentRecordIds {
    record: Column<u64>,
    ids: Vec<i64>,
    over: bool,
}

impl Collector for RecordIds {
    type Fruit = Option<Vec<i64>>;
    type Child = SegmentRecordIds;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentRecordIds> {
        Ok(SegmentRecordIds {
            record: reader.fast_fields().u64("record_id")?,
            ids: Vec::new(),
            over: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Option<Vec<i64>>>) -> tantivy::Result<Option<Vec<i64>>> {
        let mut all = Vec::new();
        for ids in fruits {
            let Some(ids) = ids else {
                return Ok(None);
            };
            all.extend(ids);
            if all.len() > MAX_HITS {
                return Ok(None);
            }
        }
        Ok(Some(all))
    }
}

impl SegmentCollector for SegmentRecordIds {
    type Fruit = Option<Vec<i64>>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if self.over {
            return;
        }
        if self.ids.len() >= MAX_HITS {
            self.over = true;
            return;
        }
        if let Some(id) = self.record.first(doc).and_then(|r| i64::try_from(r).ok()) {
            self.ids.push(id);
        }
    }

    fn harvest(self) -> Option<Vec<i64>> {
        (!self.over).then_some(self.ids)
    }
}

impl IndexLike {
    fn candidates(
        &self,
        app_id: Option<i64>,
        field: &str,
        text: &str,
        file_field: bool,
    ) -> Option<LikeCandidates> {
        let folded = tokenizer::fold(text);
        if folded.is_empty() || !folded.chars().all(tokenizer::is_cjk) {
            return None;
        }
        // The position first: the reader taken after it covers at least that much.
        let position = self.progress.position.load(Ordering::Relaxed);
        if position < 0 || self.progress.rebuilding.load(Ordering::Relaxed) {
            return None;
        }
        let f = &self.index.fields;
        let phrase = item_query(
            f.text,
            &Item {
                text: text.to_owned(),
                quoted: true,
            },
        )?;
        let kind = if file_field {
            PartKind::File
        } else {
            PartKind::Field
        };
        let mut clauses = vec![
            (Occur::Must, phrase),
            (Occur::Must, term(f.field_code, field)),
            (Occur::Must, term(f.kind, kind.as_str())),
        ];
        if let Some(app) = app_id.and_then(|a| u64::try_from(a).ok()) {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.app_id, app),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let mut record_ids = self
            .index
            .reader
            .searcher()
            .search(&query, &RecordIds)
            .ok()??;
        record_ids.sort_unstable();
        record_ids.dedup();
        Some(LikeCandidates {
            position,
            record_ids,
        })
    }
}

impl TextMatcher for IndexLike {
    fn like_candidates(&self, field: &str, text: &str, file_field: bool) -> Option<LikeCandidates> {
        self.candidates(None, field, text, file_field)
    }

    fn like_candidates_in_app(
        &self,
        app_id: i64,
        field: &str,
        text: &str,
        file_field: bool,
    ) -> Option<LikeCandidates> {
        self.candidates(Some(app_id), field, text, file_field)
    }
}
